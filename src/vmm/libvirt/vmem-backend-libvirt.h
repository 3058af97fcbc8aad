/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libvirt/libvirt.h>

#include "vmem-backend.h"

G_BEGIN_DECLS

VmemBackend *vmem_backend_libvirt_open(const char *uri, GError **error);
virDomainPtr vmem_backend_libvirt_lookup(VmemBackend *backend, const char *domain, GError **error);

G_END_DECLS
