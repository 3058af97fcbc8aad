/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Save() and Dump() on D-Bus: the save library's jobs, run by virtmemd for
 * a domain it manages, its decisions for the domain held meanwhile.
 */
#pragma once

#include <gio/gio.h>

#include "vmem-backend.h"
#include "vmem-save.h"

G_BEGIN_DECLS

gboolean vmem_daemon_save_options(GVariant *dict, gboolean dump, VmemSaveOptions *ret_save,
				  VmemDumpFormat *ret_dump, GError **error);
GVariant *vmem_daemon_save_report(const VmemSaveResult *result);

G_END_DECLS
