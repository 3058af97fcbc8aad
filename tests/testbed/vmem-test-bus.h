/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A private system bus (dbus-daemon) with virtmem's bus policy, and
 * virtmemd on it: for the tests, the benchmarks and the demo; and
 * VmemTestDaemon, the tests' virtmemd with its own files (virtmemd.conf,
 * the host's meminfo it reads, its log).
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _VmemTestBus VmemTestBus;

/**
 * VmemTestBusFlags:
 * @VMEM_TEST_BUS_NONE: clients authenticate as who they are (EXTERNAL)
 * @VMEM_TEST_BUS_ANONYMOUS: clients may also connect anonymously, as
 *   nobody at all: the bus gives no user ID for them, so virtmemd may not
 *   let them change anything (an unauthorized caller without root's help)
 * @VMEM_TEST_BUS_QUIET: dbus-daemon's stderr (a line for each message its
 *   policy rejects) goes nowhere, for a test that floods it with them
 */
typedef enum {
	VMEM_TEST_BUS_NONE = 0,
	VMEM_TEST_BUS_ANONYMOUS = 1 << 0,
	VMEM_TEST_BUS_QUIET = 1 << 1,
} VmemTestBusFlags;

VmemTestBus *vmem_test_bus_new(const char *policy_file, GError **error);
VmemTestBus *vmem_test_bus_new_full(const char *policy_file, VmemTestBusFlags flags,
				    GError **error);
void vmem_test_bus_free(VmemTestBus *bus);
const char *vmem_test_bus_get_address(VmemTestBus *bus);
GDBusConnection *vmem_test_bus_get_connection(VmemTestBus *bus);
GDBusConnection *vmem_test_bus_connect(VmemTestBus *bus, gboolean anonymous, GError **error);

GSubprocess *vmem_test_virtmemd_start(VmemTestBus *bus, const char *uri, const char *config_file,
				      const char *log_file, GError **error);
void vmem_test_virtmemd_stop(GSubprocess *virtmemd, int signal);
gboolean vmem_test_virtmemd_wait_domain(GDBusConnection *connection, const char *name,
					guint timeout_s, char **ret_path, GError **error);

typedef struct _VmemTestDaemon VmemTestDaemon;

VmemTestDaemon *vmem_test_daemon_new(const char *settings, GError **error);
void vmem_test_daemon_free(VmemTestDaemon *daemon);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmemTestDaemon, vmem_test_daemon_free)
const char *vmem_test_daemon_get_dir(VmemTestDaemon *daemon);
const char *vmem_test_daemon_get_log(VmemTestDaemon *daemon);
gboolean vmem_test_daemon_set_host_available(VmemTestDaemon *daemon, guint64 available_mib,
					     GError **error);
gboolean vmem_test_daemon_set_host_pressure(VmemTestDaemon *daemon, double some_avg10,
					    double full_avg10, GError **error);
gboolean vmem_test_daemon_start(VmemTestDaemon *daemon, VmemTestBus *bus, const char *uri,
				GError **error);
void vmem_test_daemon_stop(VmemTestDaemon *daemon, int signal);

GVariant *vmem_test_bus_get_property(GDBusConnection *connection, const char *path,
				     const char *iface, const char *property);
guint64 vmem_test_bus_device_requested(GDBusConnection *connection, const char *path);

G_END_DECLS
