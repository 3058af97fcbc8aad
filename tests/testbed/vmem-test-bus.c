/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-test-bus.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>

#include "vmem-error.h"
#include "vmem-test-dir.h"
#include "vmem-testbed-private.h"

#define VMEM_TEST_BUS_NAME "org.virtmem.Manager1"
#define VMEM_TEST_BUS_PATH "/org/virtmem/Manager1"

struct _VmemTestBus {
	char *dir;
	char *address;
	GSubprocess *daemon;
	GDBusConnection *connection;
};

/* A system bus like Debian's: nobody may call a method or own a name
 * unless a policy allows it; @policy_file is included.  Without it, the
 * bus lets everyone do everything (for the daemon's own checks). */
static char *
vmem_test_bus_config(const char *dir, const char *policy_file, VmemTestBusFlags flags)
{
	const char *auth = (flags & VMEM_TEST_BUS_ANONYMOUS)
				   ? "<auth>EXTERNAL</auth><auth>ANONYMOUS</auth><allow_anonymous/>"
				   : "<auth>EXTERNAL</auth>";

	if (policy_file == NULL)
		return g_strdup_printf(
			"<busconfig><type>system</type><listen>unix:path=%s/bus</listen>"
			"%s<policy context='default'><allow user='*'/>"
			"<allow own='*'/><allow send_destination='*'/>"
			"<allow receive_sender='*'/></policy></busconfig>",
			dir, auth);
	return g_strdup_printf(
		"<busconfig><type>system</type><listen>unix:path=%s/bus</listen>"
		"%s<policy context='default'><allow user='*'/>"
		"<deny own='*'/><deny send_type='method_call'/><allow send_type='signal'/>"
		"<allow send_requested_reply='true' send_type='method_return'/>"
		"<allow send_requested_reply='true' send_type='error'/>"
		"<allow receive_type='method_call'/><allow receive_type='method_return'/>"
		"<allow receive_type='error'/><allow receive_type='signal'/>"
		"<allow send_destination='org.freedesktop.DBus'/></policy>"
		"<include>%s</include></busconfig>",
		dir, auth, policy_file);
}

/**
 * vmem_test_bus_new:
 * @policy_file: (nullable): a bus policy to include, or %NULL for a bus
 *   that allows everything
 *
 * Starts a dbus-daemon on a socket that any user may reach.
 */
VmemTestBus *
vmem_test_bus_new(const char *policy_file, GError **error)
{
	return vmem_test_bus_new_full(policy_file, VMEM_TEST_BUS_NONE, error);
}

/**
 * vmem_test_bus_new_full:
 * @policy_file: (nullable): a bus policy to include, or %NULL for a bus
 *   that allows everything
 * @flags: how clients may authenticate
 *
 * vmem_test_bus_new(), with @flags.
 */
VmemTestBus *
vmem_test_bus_new_full(const char *policy_file, VmemTestBusFlags flags, GError **error)
{
	VmemTestBus *bus = g_new0(VmemTestBus, 1);
	g_autofree char *config = NULL;
	g_autofree char *config_file = NULL;
	g_autofree char *socket = NULL;

	bus->dir = g_dir_make_tmp("virtmem-bus-XXXXXX", error);
	if (bus->dir == NULL || g_chmod(bus->dir, 0755) < 0) {
		vmem_test_bus_free(bus);
		return NULL;
	}
	config = vmem_test_bus_config(bus->dir, policy_file, flags);
	config_file = g_build_filename(bus->dir, "bus.conf", NULL);
	socket = g_build_filename(bus->dir, "bus", NULL);
	if (!g_file_set_contents(config_file, config, -1, error)) {
		vmem_test_bus_free(bus);
		return NULL;
	}
	bus->daemon = g_subprocess_new(
		(flags & VMEM_TEST_BUS_QUIET) ? G_SUBPROCESS_FLAGS_STDERR_SILENCE
					      : G_SUBPROCESS_FLAGS_NONE,
		error, "dbus-daemon", "--nofork", "--nosyslog", "--config-file", config_file, NULL);
	if (bus->daemon == NULL) {
		vmem_test_bus_free(bus);
		return NULL;
	}
	vmem_testbed_track_pid(
		(GPid)g_ascii_strtoll(g_subprocess_get_identifier(bus->daemon), NULL, 10));
	bus->address = g_strdup_printf("unix:path=%s", socket);
	for (guint i = 0; i < 200 && bus->connection == NULL; i++) {
		if (g_file_test(socket, G_FILE_TEST_EXISTS))
			bus->connection = g_dbus_connection_new_for_address_sync(
				bus->address,
				G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
					G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
				NULL, NULL, NULL);
		if (bus->connection == NULL)
			g_usleep(50 * 1000);
	}
	if (bus->connection == NULL) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_TIMED_OUT,
			    "dbus-daemon did not listen on %s within 10 s", socket);
		vmem_test_bus_free(bus);
		return NULL;
	}
	return bus;
}

void
vmem_test_bus_free(VmemTestBus *bus)
{
	if (bus == NULL)
		return;
	if (bus->connection != NULL)
		g_dbus_connection_close_sync(bus->connection, NULL, NULL);
	g_clear_object(&bus->connection);
	if (bus->daemon != NULL) {
		g_subprocess_send_signal(bus->daemon, SIGTERM);
		g_subprocess_wait(bus->daemon, NULL, NULL);
		g_object_unref(bus->daemon);
	}
	if (bus->dir != NULL) {
		g_autofree char *config_file = g_build_filename(bus->dir, "bus.conf", NULL);
		g_autofree char *socket = g_build_filename(bus->dir, "bus", NULL);

		g_remove(config_file);
		g_remove(socket);
		g_rmdir(bus->dir);
	}
	g_free(bus->dir);
	g_free(bus->address);
	g_free(bus);
}

const char *
vmem_test_bus_get_address(VmemTestBus *bus)
{
	return bus->address;
}

GDBusConnection *
vmem_test_bus_get_connection(VmemTestBus *bus)
{
	return bus->connection;
}

static gboolean
vmem_test_bus_only_anonymous(GDBusAuthObserver *observer, const char *mechanism, gpointer user_data)
{
	return g_str_equal(mechanism, "ANONYMOUS");
}

/**
 * vmem_test_bus_connect:
 * @anonymous: whether to authenticate as nobody (a bus made with
 *   %VMEM_TEST_BUS_ANONYMOUS) rather than as this process's user
 *
 * Returns: (transfer full): one more client connection to @bus, its
 *   messages dispatched in the thread-default main context
 */
GDBusConnection *
vmem_test_bus_connect(VmemTestBus *bus, gboolean anonymous, GError **error)
{
	g_autoptr(GDBusAuthObserver) observer = NULL;

	if (anonymous) {
		observer = g_dbus_auth_observer_new();
		g_signal_connect(observer, "allow-mechanism",
				 G_CALLBACK(vmem_test_bus_only_anonymous), NULL);
	}
	return g_dbus_connection_new_for_address_sync(
		bus->address,
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
			G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
		observer, NULL, error);
}

/**
 * vmem_test_virtmemd_start:
 * @config_file: (nullable): its virtmemd.conf
 * @log_file: where its stderr goes
 *
 * Starts the built virtmemd ($VIRTMEMD) on @bus as the system bus.
 */
GSubprocess *
vmem_test_virtmemd_start(VmemTestBus *bus, const char *uri, const char *config_file,
			 const char *log_file, GError **error)
{
	g_autoptr(GSubprocessLauncher) launcher =
		g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
	const char *virtmemd = g_getenv("VIRTMEMD");
	GSubprocess *process;

	if (virtmemd == NULL) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_NOT_FOUND,
			    "VIRTMEMD names no virtmemd to test");
		return NULL;
	}
	int log_fd = open(log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	if (log_fd < 0) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_IO, "cannot open %s: %s", log_file,
			    g_strerror(errno));
		return NULL;
	}
	g_subprocess_launcher_setenv(launcher, "DBUS_SYSTEM_BUS_ADDRESS", bus->address, TRUE);
	/* Appended: a restarted virtmemd continues the log. */
	g_subprocess_launcher_take_stderr_fd(launcher, log_fd);
	process = g_subprocess_launcher_spawn(launcher, error, virtmemd, "--system", "--connect",
					      uri, "--config",
					      config_file ? config_file : "/dev/null", NULL);
	if (process != NULL)
		vmem_testbed_track_pid(
			(GPid)g_ascii_strtoll(g_subprocess_get_identifier(process), NULL, 10));
	return process;
}

/* Ends virtmemd with @signal (SIGTERM for a clean stop, SIGKILL for a crash). */
void
vmem_test_virtmemd_stop(GSubprocess *virtmemd, int signal)
{
	if (virtmemd == NULL)
		return;
	g_subprocess_send_signal(virtmemd, signal);
	g_subprocess_wait(virtmemd, NULL, NULL);
}

struct _VmemTestDaemon {
	char *dir;
	char *config;
	char *meminfo;
	char *pressure;
	char *log;
	GSubprocess *process;
};

/**
 * vmem_test_daemon_new:
 * @settings: virtmemd.conf's [virtmemd] keys, lines such as "tick=1\n"
 *
 * A virtmemd for a test, not started, with its files in a directory of
 * its own: virtmemd.conf with @settings, the host's meminfo and memory
 * pressure it reads (32 GiB, 16 GiB available, no stalls: no pressure
 * until the test says so) and its log.
 */
VmemTestDaemon *
vmem_test_daemon_new(const char *settings, GError **error)
{
	g_autoptr(VmemTestDaemon) daemon = g_new0(VmemTestDaemon, 1);
	g_autofree char *config = NULL;

	daemon->dir = g_dir_make_tmp("virtmemd-XXXXXX", error);
	if (daemon->dir == NULL)
		return NULL;
	daemon->config = g_build_filename(daemon->dir, "virtmemd.conf", NULL);
	daemon->meminfo = g_build_filename(daemon->dir, "meminfo", NULL);
	daemon->pressure = g_build_filename(daemon->dir, "pressure", NULL);
	daemon->log = g_build_filename(daemon->dir, "virtmemd.log", NULL);
	config = g_strdup_printf("[virtmemd]\n%smeminfo=%s\npressure=%s\n", settings,
				 daemon->meminfo, daemon->pressure);
	if (!g_file_set_contents(daemon->config, config, -1, error) ||
	    !vmem_test_daemon_set_host_available(daemon, 16384, error) ||
	    !vmem_test_daemon_set_host_pressure(daemon, 0, 0, error))
		return NULL;
	return g_steal_pointer(&daemon);
}

/**
 * vmem_test_daemon_free:
 *
 * Stops the daemon if it runs, shows its log in the test's output and
 * removes its files (and whatever else the test left in its directory).
 */
void
vmem_test_daemon_free(VmemTestDaemon *daemon)
{
	g_autofree char *log = NULL;

	if (daemon == NULL)
		return;
	vmem_test_daemon_stop(daemon, SIGTERM);
	if (daemon->log != NULL && g_file_get_contents(daemon->log, &log, NULL, NULL))
		g_test_message("virtmemd's log:\n%s", log);
	vmem_test_remove_dir(daemon->dir);
	g_free(daemon->dir);
	g_free(daemon->config);
	g_free(daemon->meminfo);
	g_free(daemon->pressure);
	g_free(daemon->log);
	g_free(daemon);
}

/* Its directory, for the test's own files: removed with it. */
const char *
vmem_test_daemon_get_dir(VmemTestDaemon *daemon)
{
	return daemon->dir;
}

/* Its log: what it wrote on stderr, across restarts. */
const char *
vmem_test_daemon_get_log(VmemTestDaemon *daemon)
{
	return daemon->log;
}

/* Writes the host's meminfo it reads: 32 GiB, @available_mib available. */
gboolean
vmem_test_daemon_set_host_available(VmemTestDaemon *daemon, guint64 available_mib, GError **error)
{
	g_autofree char *text = g_strdup_printf(
		"MemTotal:       33554432 kB\nMemAvailable:   %" G_GUINT64_FORMAT " kB\n",
		available_mib * 1024);

	return g_file_set_contents(daemon->meminfo, text, -1, error);
}

/* Writes the host's memory pressure it reads: "some" and "full" avg10. */
gboolean
vmem_test_daemon_set_host_pressure(VmemTestDaemon *daemon, double some_avg10, double full_avg10,
				   GError **error)
{
	g_autofree char *text = g_strdup_printf("some avg10=%.2f avg60=0.00 avg300=0.00 total=0\n"
						"full avg10=%.2f avg60=0.00 avg300=0.00 total=0\n",
						some_avg10, full_avg10);

	return g_file_set_contents(daemon->pressure, text, -1, error);
}

/* Starts it on @bus as the system bus, managing @uri's domains. */
gboolean
vmem_test_daemon_start(VmemTestDaemon *daemon, VmemTestBus *bus, const char *uri, GError **error)
{
	g_return_val_if_fail(daemon->process == NULL, FALSE);
	daemon->process = vmem_test_virtmemd_start(bus, uri, daemon->config, daemon->log, error);
	return daemon->process != NULL;
}

/* Ends it with @signal (SIGTERM for a clean stop, SIGKILL for a crash). */
void
vmem_test_daemon_stop(VmemTestDaemon *daemon, int signal)
{
	vmem_test_virtmemd_stop(daemon->process, signal);
	g_clear_object(&daemon->process);
}

GVariant *
vmem_test_bus_get_property(GDBusConnection *connection, const char *path, const char *iface,
			   const char *property)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_sync(
		connection, VMEM_TEST_BUS_NAME, path, "org.freedesktop.DBus.Properties", "Get",
		g_variant_new("(ss)", iface, property), G_VARIANT_TYPE("(v)"),
		G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
	GVariant *value = NULL;

	g_assert_no_error(error);
	g_variant_get(reply, "(v)", &value);
	return value;
}

/* The requested sizes of a domain's devices added up, from its Devices. */
guint64
vmem_test_bus_device_requested(GDBusConnection *connection, const char *path)
{
	g_autoptr(GVariant) devices =
		vmem_test_bus_get_property(connection, path, "org.virtmem.Domain1", "Devices");
	GVariantIter iter;
	guint64 requested, total = 0;

	if (devices == NULL)
		return 0;
	g_variant_iter_init(&iter, devices);
	while (g_variant_iter_next(&iter, "(&suttt@t)", NULL, NULL, NULL, NULL, &requested, NULL))
		total += requested;
	return total;
}

/**
 * vmem_test_virtmemd_wait_domain:
 * @name: a domain name
 * @ret_path: (out): its object path
 *
 * Waits (spinning the default main context) for virtmemd to publish
 * @name among its managed objects.
 */
gboolean
vmem_test_virtmemd_wait_domain(GDBusConnection *connection, const char *name, guint timeout_s,
			       char **ret_path, GError **error)
{
	gint64 end = g_get_monotonic_time() + (gint64)timeout_s * G_USEC_PER_SEC;

	while (g_get_monotonic_time() < end) {
		g_autoptr(GVariant) reply = g_dbus_connection_call_sync(
			connection, VMEM_TEST_BUS_NAME, VMEM_TEST_BUS_PATH,
			"org.freedesktop.DBus.ObjectManager", "GetManagedObjects", NULL,
			G_VARIANT_TYPE("(a{oa{sa{sv}}})"), G_DBUS_CALL_FLAGS_NONE, 5000, NULL,
			NULL);

		if (reply != NULL) {
			g_autoptr(GVariant) objects = g_variant_get_child_value(reply, 0);
			GVariantIter iter;
			const char *path;
			GVariant *ifaces;

			g_variant_iter_init(&iter, objects);
			while (g_variant_iter_next(&iter, "{&o@a{sa{sv}}}", &path, &ifaces)) {
				g_autoptr(GVariant) props =
					g_variant_lookup_value(ifaces, "org.virtmem.Domain1", NULL);
				const char *n = NULL;

				g_variant_unref(ifaces);
				if (props != NULL && g_variant_lookup(props, "Name", "&s", &n) &&
				    g_str_equal(n, name)) {
					*ret_path = g_strdup(path);
					return TRUE;
				}
			}
		}
		g_usleep(200 * 1000);
	}
	g_set_error(error, VMEM_ERROR, VMEM_ERROR_TIMED_OUT,
		    "virtmemd did not publish domain %s within %u s", name, timeout_s);
	return FALSE;
}
