/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The host's memory, as the engine's arbitration needs it: MemAvailable
 * from /proc/meminfo (or the file virtmemd.conf names).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The most of a meminfo file read: the real one is under 2 KiB. */
#define VMEM_HOST_MEMINFO_MAX (64 * 1024)

gboolean vmem_host_parse_meminfo(const char *text, guint64 *ret_available, GError **error);
gboolean vmem_host_read_meminfo(const char *path, guint64 *ret_available, GError **error);

G_END_DECLS
