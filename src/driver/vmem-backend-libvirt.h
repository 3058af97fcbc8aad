/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "vmem-backend.h"

G_BEGIN_DECLS

VmemBackend *vmem_backend_libvirt_open(const char *uri, GError **error);

G_END_DECLS
