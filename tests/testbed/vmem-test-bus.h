/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A private system bus (dbus-daemon) with virtmem's bus policy, and
 * virtmemd on it: for the tests, the benchmarks and the demo.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _VmemTestBus VmemTestBus;

VmemTestBus *vmem_test_bus_new(const char *policy_file, GError **error);
void vmem_test_bus_free(VmemTestBus *bus);
const char *vmem_test_bus_get_address(VmemTestBus *bus);
GDBusConnection *vmem_test_bus_get_connection(VmemTestBus *bus);

GSubprocess *vmem_test_virtmemd_start(VmemTestBus *bus, const char *uri, const char *config_file,
				      const char *log_file, GError **error);
void vmem_test_virtmemd_stop(GSubprocess *virtmemd, int signal);
gboolean vmem_test_virtmemd_wait_domain(GDBusConnection *connection, const char *name,
					guint timeout_s, char **ret_path, GError **error);

GVariant *vmem_test_bus_get_property(GDBusConnection *connection, const char *path,
				     const char *iface, const char *property);
guint64 vmem_test_bus_device_requested(GDBusConnection *connection, const char *path);

G_END_DECLS
