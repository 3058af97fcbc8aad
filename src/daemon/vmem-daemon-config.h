/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemd's settings: /etc/virtmem/virtmemd.conf (a GKeyFile), then the
 * command line on top.  See docs/virtmemd.md for every key.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define VMEM_DAEMON_CONFIG_FILE "/etc/virtmem/virtmemd.conf"

/**
 * VmemDaemonConfig:
 * @uri: the libvirt URI, %NULL for libvirt's default
 * @bus_type: the bus to own org.virtmem.Manager1 on
 * @tick: seconds between two decisions
 * @reserve: memory the host keeps for itself, bytes (0: no arbitration)
 * @meminfo: where the host's MemAvailable is read (/proc/meminfo)
 * @pressure: where the host's memory pressure is read
 *   (/proc/pressure/memory), %NULL not to
 * @admin_group: besides root, the group whose members may change domains
 * @resize_timeout: how long one resize is followed, seconds
 * @debug: log debug messages
 */
typedef struct {
	char *uri;
	GBusType bus_type;
	double tick;
	guint64 reserve;
	char *meminfo;
	char *pressure;
	char *admin_group;
	guint resize_timeout;
	gboolean debug;
} VmemDaemonConfig;

void vmem_daemon_config_init(VmemDaemonConfig *config);
void vmem_daemon_config_copy(const VmemDaemonConfig *config, VmemDaemonConfig *ret_copy);
void vmem_daemon_config_clear(VmemDaemonConfig *config);
gboolean vmem_daemon_config_load(VmemDaemonConfig *config, const char *path, gboolean must_exist,
				 GError **error);
gboolean vmem_daemon_config_load_data(VmemDaemonConfig *config, const char *data,
				      const char *origin, GError **error);

G_END_DECLS
