/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The host's memory, as the engine's arbitration needs it: MemAvailable
 * from /proc/meminfo and the memory pressure from /proc/pressure/memory
 * (or the files virtmemd.conf names).
 */
#pragma once

#include <glib.h>

#include "vmem-psi.h"

G_BEGIN_DECLS

/* The most of a meminfo file read: the real one is under 2 KiB. */
#define VMEM_HOST_MEMINFO_MAX (64 * 1024)
/* The most of a pressure file read: the real one is under 200 bytes. */
#define VMEM_HOST_PSI_MAX 4096

gboolean vmem_host_parse_meminfo(const char *text, guint64 *ret_available, GError **error);
gboolean vmem_host_read_meminfo(const char *path, guint64 *ret_available, GError **error);
void vmem_host_read_psi(const char *path, VmemPsi *ret_psi);

G_END_DECLS
