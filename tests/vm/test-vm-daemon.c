/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemd on a private libvirtd and a private system bus with virtmem's
 * bus policy, managing real TCG guests:
 * - an unprivileged caller reads the properties but is refused Resize(),
 *   SetPolicy() and Pause(), by the bus policy and by the daemon itself;
 *   root's Resize() holds as an override until Resume();
 * - a memory ramp in the guest makes it grow before the guest runs short
 *   (no OOM kill, no reboot), and the release shrinks it back after the
 *   cooldown; without an agent, from libvirt's balloon statistics;
 * - killed mid-resize and started again, it converges without asking
 *   again; libvirtd restarted under it, it reconnects;
 * - under a host reserve, and under host memory pressure (PSI), the lower
 *   priority domain gives memory first;
 * - Dump() and Save() write only what is plugged, where asked; Save()
 *   squeezes by the agent's report it holds, never below what the guest uses.
 * Every guest must keep its boot (boot_id, running, no OOM on its console).
 */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>

#include "vmem-test-bus.h"
#include "vmem-test-run.h"
#include "vmem-testbed.h"

#define MIB (G_GUINT64_CONSTANT(1024) * 1024)
#define DOMAIN1 "org.virtmem.Domain1"
#define MANAGER1 "org.virtmem.Manager1"
#define POLICY_NS "http://virtmem.org/xmlns/policy/1"

typedef struct {
	VmemTestGuest *guest;
	char *boot_id;
	char *path; /* its object on the bus */
} Guest;

typedef struct {
	VmemTestbed *tb;
	VmemTestBus *bus;
	GDBusConnection *conn;
	VmemTestDaemon *daemon;
	Guest a, b, c; /* c has no agent port */
} Fixture;

static Fixture f;

static void
guest_start(Guest *g, const char *name, guint64 requested_mib, gboolean agent_port)
{
	g_autoptr(GError) error = NULL;
	VmemTestGuestConfig config;

	vmem_test_guest_config_init(&config);
	config.requested_mib = requested_mib;
	config.agent_port = agent_port;
	g->guest = vmem_test_guest_new(f.tb, name, &config, &error);
	g_assert_no_error(error);
	g_assert_true(vmem_test_guest_start(g->guest, &error));
	g_assert_no_error(error);
	g->boot_id = vmem_test_guest_output(g->guest, "cat /proc/sys/kernel/random/boot_id");
}

/* The guest still runs the boot it started with, and never ran short. */
static void
assert_same_boot(Guest *g)
{
	g_autofree char *now =
		vmem_test_guest_output(g->guest, "cat /proc/sys/kernel/random/boot_id");

	g_assert_true(vmem_test_guest_is_running(g->guest));
	g_assert_cmpstr(now, ==, g->boot_id);
	g_assert_cmpuint(vmem_test_guest_console_boots(g->guest), ==, 1);
}

static void
set_policy(Guest *g, const char *xml)
{
	virDomainPtr dom = vmem_test_guest_get_domain(g->guest);

	g_assert_cmpint(virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, xml, "virtmem",
					     POLICY_NS, VIR_DOMAIN_AFFECT_LIVE),
			==, 0);
}

static void
daemon_start(void)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(vmem_test_daemon_start(f.daemon, f.bus, vmem_testbed_get_uri(f.tb), &error));
	g_assert_no_error(error);
}

static void
daemon_stop(int signal)
{
	vmem_test_daemon_stop(f.daemon, signal);
}

static char *
wait_domain(Guest *g)
{
	g_autoptr(GError) error = NULL;
	char *path = NULL;

	g_assert_true(vmem_test_virtmemd_wait_domain(f.conn, vmem_test_guest_get_name(g->guest), 60,
						     &path, &error));
	g_assert_no_error(error);
	return path;
}

static char *
get_string(const char *path, const char *property)
{
	g_autoptr(GVariant) value = vmem_test_bus_get_property(f.conn, path, DOMAIN1, property);

	g_assert_nonnull(value);
	return g_variant_dup_string(value, NULL);
}

static guint64
plugged_mib(Guest *g)
{
	guint64 current_kib = 0;
	g_autoptr(GError) error = NULL;

	g_assert_true(vmem_test_guest_get_sizes(g->guest, "ua-vmem0", NULL, &current_kib, &error));
	g_assert_no_error(error);
	return current_kib / 1024;
}

static guint64
requested_mib(Guest *g)
{
	return vmem_test_bus_device_requested(f.conn, g->path) / MIB;
}

static guint64
available_mib(Guest *g)
{
	guint64 kib = 0;
	g_autoptr(GError) error = NULL;

	g_assert_true(vmem_test_guest_meminfo(g->guest, "MemAvailable", &kib, &error));
	g_assert_no_error(error);
	return kib / 1024;
}

static void
write_meminfo(guint64 available_mib)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(vmem_test_daemon_set_host_available(f.daemon, available_mib, &error));
	g_assert_no_error(error);
}

/* `gdbus call` on the private system bus as nobody: @args after the
 * method, such as "uint64 0" "{}". */
static void
call_as_nobody(VmemTestRun *r, const char *path, const char *method, const char *arg1,
	       const char *arg2)
{
	g_autofree char *address =
		g_strdup_printf("DBUS_SYSTEM_BUS_ADDRESS=%s", vmem_test_bus_get_address(f.bus));
	const char *argv[] = {"setpriv",
			      "--reuid=nobody",
			      "--regid=nogroup",
			      "--clear-groups",
			      "env",
			      address,
			      "gdbus",
			      "call",
			      "--system",
			      "--dest",
			      MANAGER1,
			      "--object-path",
			      path,
			      "--method",
			      method,
			      arg1,
			      arg2,
			      NULL};

	vmem_test_run(r, NULL, NULL, argv);
}

static void
test_access(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autofree char *automation = NULL;
	const char *denied[][3] = {
		{DOMAIN1 ".Resize", "0", "{}"},
		{DOMAIN1 ".SetPolicy", "{'mode': <'off'>}", NULL},
		{DOMAIN1 ".Pause", NULL, NULL},
	};

	/* Reading works for anyone. */
	{
		g_auto(VmemTestRun) r = {0};

		call_as_nobody(&r, f.a.path, "org.freedesktop.DBus.Properties.Get", DOMAIN1,
			       "Name");
		g_assert_cmpint(r.status, ==, 0);
		g_assert_nonnull(strstr(r.out, vmem_test_guest_get_name(f.a.guest)));
	}
	/* Changing is refused by the bus policy... */
	for (guint i = 0; i < G_N_ELEMENTS(denied); i++) {
		g_auto(VmemTestRun) r = {0};

		call_as_nobody(&r, f.a.path, denied[i][0], denied[i][1], denied[i][2]);
		g_test_message("%s as nobody: %s", denied[i][0], r.err);
		g_assert_cmpint(r.status, !=, 0);
		g_assert_nonnull(strstr(r.err, "AccessDenied"));
	}
	/* ...and by the daemon itself, on a bus that lets everything through. */
	{
		VmemTestBus *system_bus = f.bus;
		GDBusConnection *system_conn = f.conn;
		g_autofree char *path = NULL;

		daemon_stop(SIGTERM);
		f.bus = vmem_test_bus_new(NULL, &error);
		g_assert_no_error(error);
		f.conn = vmem_test_bus_get_connection(f.bus);
		daemon_start();
		path = wait_domain(&f.a);
		for (guint i = 0; i < G_N_ELEMENTS(denied); i++) {
			g_auto(VmemTestRun) r = {0};

			call_as_nobody(&r, path, denied[i][0], denied[i][1], denied[i][2]);
			g_test_message("%s as nobody, open bus: %s", denied[i][0], r.err);
			g_assert_cmpint(r.status, !=, 0);
			g_assert_nonnull(strstr(r.err, "org.virtmem.Error.AccessDenied"));
		}
		daemon_stop(SIGTERM);
		vmem_test_bus_free(f.bus);
		f.bus = system_bus;
		f.conn = system_conn;
		daemon_start();
		g_free(wait_domain(&f.a));
	}

	/* Root may: a Resize() holds as an override until Resume(). */
	reply = g_dbus_connection_call_sync(
		f.conn, MANAGER1, f.a.path, DOMAIN1, "Resize",
		g_variant_new("(t@a{sv})", 256 * MIB,
			      g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0)),
		NULL, G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
	g_assert_no_error(error);
	g_clear_pointer(&reply, g_variant_unref);
	automation = get_string(f.a.path, "Automation");
	g_assert_cmpstr(automation, ==, "override");
	vmem_test_guest_wait_current(f.a.guest, "ua-vmem0", 256 * 1024, 120, &error);
	g_assert_no_error(error);
	reply = g_dbus_connection_call_sync(f.conn, MANAGER1, f.a.path, DOMAIN1, "Resume", NULL,
					    NULL, G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
	g_assert_no_error(error);
	g_free(automation);
	automation = get_string(f.a.path, "Automation");
	g_assert_cmpstr(automation, ==, "manual");
	assert_same_boot(&f.a);
}

/* SetPolicy() as root; FALSE when the daemon refuses it. */
static gboolean
set_policy_dbus(Guest *g, const char *dict)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	GVariant *changes = g_variant_parse(G_VARIANT_TYPE_VARDICT, dict, NULL, NULL, &error);

	g_assert_no_error(error);
	reply = g_dbus_connection_call_sync(f.conn, MANAGER1, g->path, DOMAIN1, "SetPolicy",
					    g_variant_new_tuple(&changes, 1), NULL,
					    G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
	if (error != NULL)
		g_test_message("SetPolicy(%s): %s", dict, error->message);
	return reply != NULL;
}

/* Whether the Policy property has @key at @value (as GVariant prints it). */
static gboolean
policy_is(Guest *g, const char *key, const char *value)
{
	g_autoptr(GVariant) policy = vmem_test_bus_get_property(f.conn, g->path, DOMAIN1, "Policy");
	g_autoptr(GVariant) v = g_variant_lookup_value(policy, key, NULL);
	g_autofree char *text = v ? g_variant_print(v, TRUE) : NULL;

	return g_strcmp0(text, value) == 0;
}

/* Holds more on the guest's tmpfs, from @from_mib to @to_mib in 64 MiB
 * steps @step_ms apart: a load that rises slower than the guest plugs. */
static void
ramp_up(Guest *g, guint64 from_mib, guint64 to_mib, guint step_ms)
{
	for (guint64 mib = from_mib; mib < to_mib; mib += 64) {
		g_autofree char *command = g_strdup_printf(
			"dd if=/dev/zero of=/hold/data bs=1M count=64 seek=%" G_GUINT64_FORMAT
			" conv=notrunc 2>&1 && echo held",
			mib);
		g_autofree char *out = vmem_test_guest_output(g->guest, command);

		g_assert_nonnull(strstr(out, "held"));
		g_test_message("held %" G_GUINT64_FORMAT " MiB: requested %" G_GUINT64_FORMAT
			       " MiB, plugged %" G_GUINT64_FORMAT
			       " MiB, available %" G_GUINT64_FORMAT " MiB",
			       mib + 64, requested_mib(g), plugged_mib(g), available_mib(g));
		vmem_test_spin(step_ms);
	}
}

static void
test_grow_shrink(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *decision = NULL;
	g_autoptr(GVariant) last = NULL;
	guint64 peak, settled;

	/* The policy set over D-Bus, as root: refused when it breaks a rule. */
	g_assert_false(set_policy_dbus(&f.a, "{'min': <uint64 4294967296>, 'max': <uint64 0>}"));
	g_assert_true(set_policy_dbus(&f.a,
				      "{'mode': <'auto'>, 'buffer': <uint32 20>, "
				      "'cooldown-grow': <uint32 1>, 'cooldown-shrink': <uint32 "
				      "15>, 'priority': <uint32 9>}"));
	for (guint i = 0; i < 20 && !policy_is(&f.a, "mode", "'auto'"); i++)
		vmem_test_spin(250);
	g_assert_true(policy_is(&f.a, "mode", "'auto'"));
	g_assert_true(policy_is(&f.a, "cooldown-shrink", "uint32 15"));
	ramp_up(&f.a, 0, 1024, 1000);
	vmem_test_spin(3000);
	peak = requested_mib(&f.a);
	g_test_message("after the ramp: requested %" G_GUINT64_FORMAT
		       " MiB, available %" G_GUINT64_FORMAT " MiB",
		       peak, available_mib(&f.a));
	/* It grew by most of what the guest holds (its boot memory had room
	 * for some), and the guest kept a buffer. */
	g_assert_cmpuint(peak, >=, 768);
	g_assert_cmpuint(available_mib(&f.a), >=, 128);
	assert_same_boot(&f.a);

	/* Released: after the cooldown it shrinks back towards the buffer. */
	g_free(vmem_test_guest_output(f.a.guest, "rm -f /hold/data; echo"));
	for (guint i = 0; i < 180 && requested_mib(&f.a) > peak / 4; i++)
		vmem_test_spin(1000);
	g_test_message("after the release: requested %" G_GUINT64_FORMAT " MiB",
		       requested_mib(&f.a));
	g_assert_cmpuint(requested_mib(&f.a), <=, peak / 4);
	last = vmem_test_bus_get_property(f.conn, f.a.path, DOMAIN1, "LastDecision");
	decision = g_variant_print(last, FALSE);
	g_test_message("last decision: %s", decision);
	g_assert_nonnull(strstr(decision, "shrink"));
	g_assert_true(
		vmem_test_guest_wait_settled(f.a.guest, "ua-vmem0", 3, 120, &settled, &error));
	g_assert_no_error(error);
	assert_same_boot(&f.a);
}

/* Without an agent, libvirt's balloon statistics stand in: the guest is
 * grown as it takes memory, and never ran short. */
static void
test_balloon(void)
{
	g_autofree char *source = NULL;

	set_policy(&f.c, "<policy mode='auto'><buffer percent='20'/></policy>");
	vmem_test_spin(3000);
	source = get_string(f.c.path, "GuestSource");
	g_assert_cmpstr(source, ==, "balloon");
	/* Half the agent guest's pace: balloon figures come through QEMU's
	 * one-second poll and lag a tick or two behind the agent's; at 64 MiB
	 * a second on a loaded machine the guest ran out (CI). */
	ramp_up(&f.c, 0, 640, 2000);
	vmem_test_spin(3000);
	g_test_message("without an agent: requested %" G_GUINT64_FORMAT
		       " MiB, available %" G_GUINT64_FORMAT " MiB",
		       requested_mib(&f.c), available_mib(&f.c));
	/* It grew towards the buffer (what the guest holds beyond its boot
	 * memory and more), and the guest never ran out. */
	g_assert_cmpuint(requested_mib(&f.c), >=, 256);
	g_assert_cmpuint(available_mib(&f.c), >=, 32);
	assert_same_boot(&f.c);
	g_free(vmem_test_guest_output(f.c.guest, "rm -f /hold/data; echo"));
	set_policy(&f.c, "<policy mode='manual'/>");
}

/* Killed right after it asked for more, virtmemd starts again from the
 * live XML: the guest converges on the request, which is not made again. */
static void
test_restart(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) decision = NULL;
	guint64 from = 0, to = 0;

	set_policy(&f.a, "<policy mode='manual'/>");
	vmem_test_spin(1500);
	reply = g_dbus_connection_call_sync(
		f.conn, MANAGER1, f.a.path, DOMAIN1, "Resize",
		g_variant_new("(t@a{sv})", 1536 * MIB,
			      g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0)),
		NULL, G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
	g_assert_no_error(error);
	daemon_stop(SIGKILL);
	g_assert_cmpuint(plugged_mib(&f.a), <, 1536);
	daemon_start();
	g_free(wait_domain(&f.a));
	g_assert_true(
		vmem_test_guest_wait_current(f.a.guest, "ua-vmem0", 1536 * 1024, 120, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(requested_mib(&f.a), ==, 1536);
	decision = vmem_test_bus_get_property(f.conn, f.a.path, DOMAIN1, "LastDecision");
	g_variant_get(decision, "(dtt&s&s)", NULL, &from, &to, NULL, NULL);
	g_assert_cmpuint(to, ==, 0); /* the new daemon decided nothing */

	/* Resize() checks a shrink as virtmemctl does: not below what the
	 * guest uses. */
	g_free(vmem_test_guest_output(f.a.guest, "dd if=/dev/zero of=/hold/data bs=1M count=1200 "
						 "2>&1; echo"));
	vmem_test_spin(2000);
	g_clear_pointer(&reply, g_variant_unref);
	reply = g_dbus_connection_call_sync(
		f.conn, MANAGER1, f.a.path, DOMAIN1, "Resize",
		g_variant_new("(t@a{sv})", 0, g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0)),
		NULL, G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
	g_assert_null(reply);
	g_assert_nonnull(error);
	g_test_message("Resize(0) with 1200 MiB held: %s", error->message);
	g_clear_error(&error);
	g_assert_cmpuint(requested_mib(&f.a), ==, 1536);
	g_free(vmem_test_guest_output(f.a.guest, "rm -f /hold/data; echo"));
	assert_same_boot(&f.a);
}

/* Both at 1 GiB with nothing to do, then the host falls short of its
 * reserve: the priority 1 domain gives first, the priority 9 one keeps. */
static void
test_priority(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) pressure = NULL;
	guint64 a_before, b_before;

	set_policy(&f.a, "<policy mode='auto'><cooldown grow='1' shrink='3600'/>"
			 "<priority>9</priority></policy>");
	set_policy(&f.b, "<policy mode='auto'><cooldown grow='1' shrink='3600'/>"
			 "<priority>1</priority></policy>");
	vmem_test_spin(3000);
	a_before = requested_mib(&f.a);
	b_before = requested_mib(&f.b);
	g_test_message("before: a %" G_GUINT64_FORMAT " MiB, b %" G_GUINT64_FORMAT " MiB", a_before,
		       b_before);
	g_assert_cmpuint(b_before, ==, 1024);
	write_meminfo(2048 - 256);
	for (guint i = 0; i < 30 && requested_mib(&f.b) == b_before; i++)
		vmem_test_spin(500);
	g_test_message("short of the reserve: a %" G_GUINT64_FORMAT " MiB, b %" G_GUINT64_FORMAT
		       " MiB",
		       requested_mib(&f.a), requested_mib(&f.b));
	g_assert_cmpuint(requested_mib(&f.b), <, b_before);
	g_assert_cmpuint(requested_mib(&f.a), ==, a_before);
	write_meminfo(16384);

	/* The host's memory pressure (PSI) counts as much, reserve or not. */
	b_before = requested_mib(&f.b);
	g_assert_true(vmem_test_daemon_set_host_pressure(f.daemon, 30.0, 5.0, &error));
	g_assert_no_error(error);
	for (guint i = 0; i < 30 && requested_mib(&f.b) == b_before; i++)
		vmem_test_spin(500);
	pressure = vmem_test_bus_get_property(f.conn, "/org/virtmem/Manager1", MANAGER1,
					      "HostPressure");
	g_test_message(
		"host pressure: a %" G_GUINT64_FORMAT " MiB, b %" G_GUINT64_FORMAT " MiB (%s)",
		requested_mib(&f.a), requested_mib(&f.b), g_variant_get_string(pressure, NULL));
	g_assert_cmpuint(requested_mib(&f.b), <, b_before);
	g_assert_cmpuint(requested_mib(&f.a), ==, a_before);
	g_assert_cmpstr(g_variant_get_string(pressure, NULL), !=, "");
	g_assert_true(vmem_test_daemon_set_host_pressure(f.daemon, 0, 0, &error));
	g_assert_no_error(error);
	assert_same_boot(&f.a);
	assert_same_boot(&f.b);
}

static void
on_called(GObject *source, GAsyncResult *result, gpointer user_data)
{
	*(GAsyncResult **)user_data = g_object_ref(result);
}

/* Save() or Dump() as root: the report's figures, or NULL when refused. */
static GVariant *
save_dbus(Guest *g, const char *method, const char *file, const char *options)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	GVariant *dict = g_variant_parse(G_VARIANT_TYPE_VARDICT, options, NULL, NULL, &error);
	GVariant *report = NULL;

	g_assert_no_error(error);
	reply = g_dbus_connection_call_sync(
		f.conn, MANAGER1, g->path, DOMAIN1, method, g_variant_new("(s@a{sv})", file, dict),
		G_VARIANT_TYPE("(a{sv})"), G_DBUS_CALL_FLAGS_NONE, 300000, NULL, &error);
	if (reply == NULL) {
		g_test_message("%s(%s): %s", method, file, error->message);
		return NULL;
	}
	g_variant_get(reply, "(@a{sv})", &report);
	g_test_message("%s: %s", method, g_variant_print(report, FALSE));
	return report;
}

/* Dump() and Save() through virtmemd: memory only as far as plugged, and
 * the file where asked; a relative path, a bad option or a second job at
 * once is refused; a squeeze goes by the guest's report that virtmemd
 * holds. */
static void
test_save_dump(void)
{
	g_autofree char *dump =
		g_build_filename(vmem_test_daemon_get_dir(f.daemon), "b.dump", NULL);
	g_autofree char *image =
		g_build_filename(vmem_test_daemon_get_dir(f.daemon), "b.save", NULL);
	g_autoptr(GVariant) report = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) squeeze = NULL;
	g_autoptr(GAsyncResult) dumped = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) dump_error = NULL;
	guint64 base = 0, plugged = 0, apparent = 0, allocated = 0, squeezed = 0;
	const char *outcome = NULL;

	g_assert_null(save_dbus(&f.b, "Dump", "b.dump", "@a{sv} {}"));
	g_assert_null(save_dbus(&f.b, "Save", image, "{'format': <'zip'>}"));
	/* One job at a time: a Save() while the Dump() runs is refused. */
	g_dbus_connection_call(f.conn, MANAGER1, f.b.path, DOMAIN1, "Dump",
			       g_variant_new_parsed("(%s, {'format': <'elf'>})", dump),
			       G_VARIANT_TYPE("(a{sv})"), G_DBUS_CALL_FLAGS_NONE, 300000, NULL,
			       on_called, &dumped);
	reply = g_dbus_connection_call_sync(f.conn, MANAGER1, f.b.path, DOMAIN1, "Save",
					    g_variant_new_parsed("(%s, @a{sv} {})", image), NULL,
					    G_DBUS_CALL_FLAGS_NONE, 300000, NULL, &error);
	g_assert_null(reply);
	g_assert_nonnull(strstr(error->message, "runs already"));
	while (dumped == NULL)
		g_main_context_iteration(NULL, TRUE);
	reply = g_dbus_connection_call_finish(f.conn, dumped, &dump_error);
	g_assert_no_error(dump_error);
	g_variant_get(reply, "(@a{sv})", &report);
	g_test_message("Dump: %s", g_variant_print(report, FALSE));
	g_assert_true(g_variant_lookup(report, "base", "t", &base));
	g_assert_true(g_variant_lookup(report, "plugged", "t", &plugged));
	g_assert_true(g_variant_lookup(report, "apparent", "t", &apparent));
	/* at most base + plugged, far from base + the whole 4 GiB device */
	g_assert_cmpuint(apparent, <=, (base + plugged) * 11 / 10);
	g_assert_cmpuint(apparent, <, (base + 4096 * MIB) / 2);
	g_assert_true(g_file_test(dump, G_FILE_TEST_IS_REGULAR));
	g_clear_pointer(&report, g_variant_unref);

	/* The squeeze goes by the agent's report virtmemd holds. */
	g_assert_null(
		save_dbus(&f.b, "Save", image, "{'squeeze': <false>, 'squeeze-size': <uint64 0>}"));
	report = save_dbus(&f.b, "Save", image, "{'squeeze': <true>}");
	g_assert_nonnull(report);
	squeeze = g_variant_lookup_value(report, "squeeze", G_VARIANT_TYPE_VARDICT);
	g_assert_nonnull(squeeze);
	g_assert_true(g_variant_lookup(squeeze, "outcome", "&s", &outcome));
	g_assert_cmpstr(outcome, !=, "skipped");
	g_assert_true(g_variant_lookup(squeeze, "plugged-after", "t", &squeezed));
	/* saved, so asked nothing more: the squeeze cost it no boot, no OOM */
	g_assert_cmpuint(vmem_test_guest_console_boots(f.b.guest), ==, 1);
	g_assert_true(g_variant_lookup(report, "allocated", "t", &allocated));
	g_assert_true(g_variant_lookup(report, "plugged", "t", &plugged));
	g_assert_cmpuint(plugged, ==, squeezed);
	g_assert_cmpuint(allocated, <=, (base + plugged) * 105 / 100);
	g_assert_true(g_file_test(image, G_FILE_TEST_IS_REGULAR));
	g_remove(dump);
	g_remove(image);
}

/* libvirtd restarted under it: virtmemd reconnects and manages again. */
static void
test_libvirtd_restart(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) connected = NULL;
	g_autofree char *log = NULL;
	g_autofree char *path = NULL;

	g_assert_true(vmem_testbed_restart_libvirtd(f.tb, &error));
	g_assert_no_error(error);
	for (guint i = 0; i < 120; i++) {
		g_clear_pointer(&log, g_free);
		g_assert_true(
			g_file_get_contents(vmem_test_daemon_get_log(f.daemon), &log, NULL, NULL));
		if (strstr(log, "was lost") != NULL &&
		    strstr(strstr(log, "was lost"), "Connected to") != NULL)
			break;
		vmem_test_spin(500);
	}
	g_assert_nonnull(strstr(log, "was lost"));
	g_assert_nonnull(strstr(strstr(log, "was lost"), "Connected to"));
	path = wait_domain(&f.a);
	connected =
		vmem_test_bus_get_property(f.conn, "/org/virtmem/Manager1", MANAGER1, "Connected");
	g_assert_true(g_variant_get_boolean(connected));
	g_assert_cmpstr(path, ==, f.a.path);
}

static void
setup(void)
{
	g_autoptr(GError) error = NULL;

	f.tb = vmem_testbed_new(VMEM_TESTBED_DAEMON, &error);
	g_assert_no_error(error);
	f.bus = vmem_test_bus_new(g_getenv("VIRTMEM_BUS_POLICY"), &error);
	g_assert_no_error(error);
	f.conn = vmem_test_bus_get_connection(f.bus);
	f.daemon = vmem_test_daemon_new("tick=1\nreserve=2GiB\n", &error);
	g_assert_no_error(error);
	guest_start(&f.a, "daemon-a", 0, TRUE);
	guest_start(&f.b, "daemon-b", 1024, TRUE);
	guest_start(&f.c, "daemon-c", 0, FALSE);
	daemon_start();
	f.a.path = wait_domain(&f.a);
	f.b.path = wait_domain(&f.b);
	f.c.path = wait_domain(&f.c);
}

static void
teardown(void)
{
	g_clear_pointer(&f.daemon, vmem_test_daemon_free);
	vmem_test_bus_free(f.bus);
	vmem_testbed_free(f.tb);
	g_assert_true(vmem_testbed_all_processes_gone());
}

/* One test bed for all: each step starts where the one before ended. */
int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/daemon/setup", setup);
	g_test_add_func("/daemon/access", test_access);
	g_test_add_func("/daemon/grow-shrink", test_grow_shrink);
	g_test_add_func("/daemon/balloon", test_balloon);
	g_test_add_func("/daemon/restart", test_restart);
	g_test_add_func("/daemon/priority", test_priority);
	g_test_add_func("/daemon/save-dump", test_save_dump);
	g_test_add_func("/daemon/libvirtd-restart", test_libvirtd_restart);
	g_test_add_func("/daemon/teardown", teardown);
	return g_test_run();
}
