/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What vmem-daemon.c and vmem-daemon-bus.c share.
 */
#pragma once

#include "vmem-daemon-access.h"
#include "vmem-daemon.h"
#include "vmem-dbus.h"
#include "vmem-managed.h"

G_BEGIN_DECLS

struct _VmemDaemon {
	VmemDaemonConfig config;
	VmemDaemonAccess access; /* the admin group looked up once */
	gint64 start_us;

	VmemBackend *backend; /* NULL while disconnected */
	gulong size_handler, event_handler;
	guint reconnect_source;
	guint reconnect_delay_s;
	GCancellable *opening; /* a reconnection in a thread */
	guint open_timeout;
	GHashTable *domains; /* name → VmemManaged */
	double discovered_at;

	guint tick_source;
	guint early_source; /* a round brought forward by a report */
	gint64 decided_us;  /* when the last round ran, monotonic */
	gboolean host_overcommitted;

	GDBusConnection *bus;
	GDBusObjectManagerServer *manager;
	VmemDBusManager1 *manager_iface;
};

double vmem_daemon_now(VmemDaemon *daemon);

void vmem_daemon_bus_export_manager(VmemDaemon *daemon);
void vmem_daemon_bus_export(VmemDaemon *daemon, VmemManaged *managed);
void vmem_daemon_bus_unexport(VmemDaemon *daemon, VmemManaged *managed);

G_END_DECLS
