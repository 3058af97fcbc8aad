/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemctl next to virtmemd: a private libvirtd, a private system bus
 * with virtmem's bus policy, virtmemd managing one real TCG guest, and
 * virtmemctl run as a user runs it with DBUS_SYSTEM_BUS_ADDRESS on that bus:
 * - `status` and `status --json` show the daemon's view of the domain;
 * - `resize` goes through the daemon's Resize(): an override the daemon
 *   notes as its last decision, followed by `--wait` to the end, and
 *   handed back by `resize --resume`;
 * - `agent` and `show` take the guest's figures from the daemon, which
 *   holds the agent's channel, and `agent --watch` follows them;
 * - without the daemon, `status` fails with its exit status and `agent`
 *   reads the channel itself again.
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-c/json.h>
#include <signal.h>

#include "vmem-json.h"
#include "vmem-test-bus.h"
#include "vmem-testbed.h"

#define MIB (G_GUINT64_CONSTANT(1024) * 1024)
#define DOMAIN1 "org.virtmem.Domain1"
#define NAME "ctld-a"

/* virtmemctl(1), EXIT STATUS */
#define EXIT_OK 0
#define EXIT_USAGE 2
#define EXIT_ERROR 9
#define EXIT_NO_DAEMON 12

typedef struct {
	int status;
	char *out;
	char *err;
} CtlResult;

static void
ctl_result_clear(CtlResult *r)
{
	g_clear_pointer(&r->out, g_free);
	g_clear_pointer(&r->err, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CtlResult, ctl_result_clear)

static struct {
	VmemTestbed *tb;
	VmemTestBus *bus;
	GDBusConnection *conn;
	VmemTestDaemon *daemon;
	VmemTestGuest *guest;
	char *path; /* the guest's object on the bus */
} f;

static void
on_communicated(GObject *source, GAsyncResult *result, gpointer user_data)
{
	*(GAsyncResult **)user_data = g_object_ref(result);
}

/* Runs `virtmemctl -c URI ARGS...` on the private bus.  The main loop runs
 * meanwhile: libvirtd drops a client whose keepalives go unanswered. */
static void
run_ctl(CtlResult *r, const char *const *args)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
		G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocess) proc = NULL;
	g_autoptr(GAsyncResult) result = NULL;
	g_autofree char *line = NULL;

	g_ptr_array_add(argv, (gpointer)g_getenv("VIRTMEMCTL"));
	g_ptr_array_add(argv, (gpointer) "-c");
	g_ptr_array_add(argv, (gpointer)vmem_testbed_get_uri(f.tb));
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	g_assert_nonnull(argv->pdata[0]);
	g_subprocess_launcher_setenv(launcher, "DBUS_SYSTEM_BUS_ADDRESS",
				     vmem_test_bus_get_address(f.bus), TRUE);
	g_subprocess_launcher_setenv(launcher, "LC_ALL", "C.UTF-8", TRUE);
	proc = g_subprocess_launcher_spawnv(launcher, (const char *const *)argv->pdata, &error);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8_async(proc, NULL, NULL, on_communicated, &result);
	while (result == NULL)
		g_main_context_iteration(NULL, TRUE);
	g_subprocess_communicate_utf8_finish(proc, result, &r->out, &r->err, &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_get_if_exited(proc));
	r->status = g_subprocess_get_exit_status(proc);
	line = g_strjoinv(" ", (char **)args);
	g_test_message("virtmemctl %s -> %d\n%s%s", line, r->status, r->out, r->err);
}

static json_object *
parse_json(const char *text)
{
	json_object *root = json_tokener_parse(text);

	g_assert_nonnull(root);
	return root;
}

static json_object *
get(json_object *obj, const char *key)
{
	json_object *value = NULL;

	g_assert_true(json_object_object_get_ex(obj, key, &value));
	return value;
}

static char *
get_string(const char *property)
{
	g_autoptr(GVariant) value = vmem_test_bus_get_property(f.conn, f.path, DOMAIN1, property);

	g_assert_nonnull(value);
	return g_variant_dup_string(value, NULL);
}

static void
daemon_start(void)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(vmem_test_daemon_start(f.daemon, f.bus, vmem_testbed_get_uri(f.tb), &error));
	g_assert_no_error(error);
	g_clear_pointer(&f.path, g_free);
	g_assert_true(vmem_test_virtmemd_wait_domain(f.conn, NAME, 60, &f.path, &error));
	g_assert_no_error(error);
}

static void
daemon_stop(void)
{
	vmem_test_daemon_stop(f.daemon, SIGTERM);
}

static void
setup(void)
{
	g_autoptr(GError) error = NULL;
	VmemTestGuestConfig guest_config;
	guint64 total = 0;

	f.tb = vmem_testbed_new(VMEM_TESTBED_DAEMON, &error);
	g_assert_no_error(error);
	f.bus = vmem_test_bus_new(g_getenv("VIRTMEM_BUS_POLICY"), &error);
	g_assert_no_error(error);
	f.conn = vmem_test_bus_get_connection(f.bus);
	/* a host with plenty: no pressure decides anything here */
	f.daemon = vmem_test_daemon_new("tick=1\nreserve=2GiB\n", &error);
	g_assert_no_error(error);

	vmem_test_guest_config_init(&guest_config);
	guest_config.requested_mib = 0;
	f.guest = vmem_test_guest_new(f.tb, NAME, &guest_config, &error);
	g_assert_no_error(error);
	g_assert_true(vmem_test_guest_start(f.guest, &error));
	g_assert_no_error(error);
	/* explicit resizes only: the engine decides nothing by itself here */
	g_assert_cmpint(virDomainSetMetadata(vmem_test_guest_get_domain(f.guest),
					     VIR_DOMAIN_METADATA_ELEMENT, "<policy mode='manual'/>",
					     "virtmem", "http://virtmem.org/xmlns/policy/1",
					     VIR_DOMAIN_AFFECT_LIVE),
			==, 0);
	daemon_start();
	/* the daemon reads the guest's agent */
	for (guint i = 0; i < 120 && total == 0; i++) {
		g_autoptr(GVariant) v =
			vmem_test_bus_get_property(f.conn, f.path, DOMAIN1, "GuestTotal");

		total = g_variant_get_uint64(v);
		if (total == 0)
			vmem_test_spin(250);
	}
	g_assert_cmpuint(total, >, 0);
}

static void
test_status(void)
{
	g_auto(CtlResult) text = {0};
	g_auto(CtlResult) json = {0};
	g_auto(CtlResult) by_uuid = {0};
	g_auto(CtlResult) unknown = {0};
	g_autoptr(json_object) root = NULL;
	g_autoptr(json_object) one = NULL;
	json_object *domains, *domain, *device, *manager;
	g_autofree char *uuid = NULL;

	run_ctl(&text, (const char *const[]){"status", NULL});
	g_assert_cmpint(text.status, ==, EXIT_OK);
	g_assert_nonnull(strstr(text.out, "connected"));
	g_assert_nonnull(strstr(text.out, "Domain " NAME " (running)"));
	g_assert_nonnull(strstr(text.out, "Automation: manual"));
	g_assert_nonnull(strstr(text.out, "Device ua-vmem0 (node 0, 4 GiB, block 2 MiB)"));

	run_ctl(&json, (const char *const[]){"status", "--json", NULL});
	g_assert_cmpint(json.status, ==, EXIT_OK);
	root = parse_json(json.out);
	manager = get(root, "manager");
	g_assert_cmpstr(json_object_get_string(get(manager, "uri")), ==,
			vmem_testbed_get_uri(f.tb));
	g_assert_true(json_object_get_boolean(get(manager, "connected")));
	g_assert_cmpuint(json_object_get_uint64(get(manager, "host_reserve")), ==, 2048 * MIB);
	domains = get(root, "domains");
	g_assert_cmpuint(json_object_array_length(domains), ==, 1);
	domain = json_object_array_get_idx(domains, 0);
	g_assert_cmpstr(json_object_get_string(get(domain, "name")), ==, NAME);
	g_assert_cmpstr(json_object_get_string(get(domain, "state")), ==, "running");
	g_assert_cmpstr(json_object_get_string(get(get(domain, "policy"), "mode")), ==, "manual");
	g_assert_cmpuint(json_object_get_uint64(get(get(domain, "guest"), "total")), >, 0);
	device = json_object_array_get_idx(get(domain, "devices"), 0);
	g_assert_cmpstr(json_object_get_string(get(device, "alias")), ==, "ua-vmem0");
	g_assert_cmpuint(json_object_get_uint64(get(device, "size")), ==, 4096 * MIB);
	g_assert_cmpuint(json_object_get_uint64(get(device, "block_size")), ==, 2 * MIB);
	uuid = g_ascii_strup(json_object_get_string(get(domain, "uuid")), -1);

	/* one domain, by UUID in any case */
	run_ctl(&by_uuid, (const char *const[]){"status", uuid, "--json", NULL});
	g_assert_cmpint(by_uuid.status, ==, EXIT_OK);
	one = parse_json(by_uuid.out);
	g_assert_cmpuint(json_object_array_length(get(one, "domains")), ==, 1);

	run_ctl(&unknown, (const char *const[]){"status", "no-such-domain", NULL});
	g_assert_cmpint(unknown.status, ==, EXIT_ERROR);
	g_assert_nonnull(strstr(unknown.err, "no-such-domain"));
}

static void
test_resize(void)
{
	g_autoptr(GError) error = NULL;
	g_auto(CtlResult) grow = {0};
	g_auto(CtlResult) shrink = {0};
	g_auto(CtlResult) one_device = {0};
	g_auto(CtlResult) resume = {0};
	g_autoptr(GVariant) decision = NULL;
	g_autofree char *automation = NULL;
	g_autofree char *after = NULL;
	guint64 from = 0, to = 0, current_kib = 0;
	const char *action = NULL, *reason = NULL;

	run_ctl(&grow, (const char *const[]){"resize", NAME, "512M", "--wait", NULL});
	g_assert_cmpint(grow.status, ==, EXIT_OK);
	g_assert_nonnull(strstr(grow.out, "virtmemd holds " NAME " at 512 MiB until"));
	g_assert_nonnull(strstr(grow.out, "virtmemctl resize " NAME " --resume"));
	g_assert_nonnull(strstr(grow.out, NAME ": 512 MiB plugged in"));
	g_assert_true(vmem_test_guest_get_sizes(f.guest, "ua-vmem0", NULL, &current_kib, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(current_kib, ==, 512 * 1024);

	/* the daemon did it, and holds it */
	automation = get_string("Automation");
	g_assert_cmpstr(automation, ==, "override");
	decision = vmem_test_bus_get_property(f.conn, f.path, DOMAIN1, "LastDecision");
	g_variant_get(decision, "(dtt&s&s)", NULL, &from, &to, &action, &reason);
	g_assert_cmpuint(from, ==, 0);
	g_assert_cmpuint(to, ==, 512 * MIB);
	g_assert_cmpstr(action, ==, "resize");
	g_assert_nonnull(strstr(reason, "administrator"));

	/* a shrink too, checked by the daemon's figures of the guest */
	run_ctl(&shrink, (const char *const[]){"resize", NAME, "256M", "--wait", NULL});
	g_assert_cmpint(shrink.status, ==, EXIT_OK);
	g_assert_nonnull(strstr(shrink.out, NAME ": 256 MiB plugged in"));
	g_assert_null(strstr(shrink.err, "unknown"));
	g_clear_pointer(&decision, g_variant_unref);
	decision = vmem_test_bus_get_property(f.conn, f.path, DOMAIN1, "LastDecision");
	g_variant_get(decision, "(dtt&s&s)", NULL, &from, &to, NULL, NULL);
	g_assert_cmpuint(from, ==, 512 * MIB);
	g_assert_cmpuint(to, ==, 256 * MIB);

	/* the daemon splits the total itself: one device is refused */
	run_ctl(&one_device,
		(const char *const[]){"resize", NAME, "256M", "--alias", "ua-vmem0", NULL});
	g_assert_cmpint(one_device.status, ==, EXIT_USAGE);
	g_assert_nonnull(strstr(one_device.err, "virtmemd manages " NAME));

	run_ctl(&resume, (const char *const[]){"resize", NAME, "--resume", NULL});
	g_assert_cmpint(resume.status, ==, EXIT_OK);
	g_assert_nonnull(strstr(resume.out, "automation: manual"));
	after = get_string("Automation");
	g_assert_cmpstr(after, ==, "manual");
}

static void
test_agent_show(void)
{
	g_auto(CtlResult) text = {0};
	g_auto(CtlResult) json = {0};
	g_auto(CtlResult) show = {0};
	g_autoptr(json_object) root = NULL;
	g_autoptr(json_object) show_root = NULL;
	json_object *daemon;

	/* the daemon holds the channel: the figures come from it, no BUSY */
	run_ctl(&text, (const char *const[]){"agent", NAME, NULL});
	g_assert_cmpint(text.status, ==, EXIT_OK);
	g_assert_nonnull(strstr(text.out, "from virtmemd"));
	g_assert_nonnull(strstr(text.out, "total"));

	run_ctl(&json, (const char *const[]){"agent", NAME, "--json", NULL});
	g_assert_cmpint(json.status, ==, EXIT_OK);
	root = parse_json(json.out);
	g_assert_cmpstr(json_object_get_string(get(root, "source")), ==, "virtmemd");
	daemon = get(root, "virtmemd");
	g_assert_cmpstr(json_object_get_string(get(daemon, "source")), ==, "agent");
	g_assert_cmpuint(json_object_get_uint64(get(daemon, "total")), >, 256 * MIB);
	g_assert_cmpuint(json_object_get_uint64(get(daemon, "available")), >, 0);

	run_ctl(&show, (const char *const[]){"show", NAME, "--json", NULL});
	g_assert_cmpint(show.status, ==, EXIT_OK);
	show_root = parse_json(show.out);
	g_assert_null(get(show_root, "agent_error"));
	daemon = get(show_root, "virtmemd");
	g_assert_nonnull(daemon);
	g_assert_cmpstr(json_object_get_string(get(daemon, "automation")), ==, "manual");
}

static guint
count_lines(const char *file)
{
	g_autofree char *text = NULL;
	guint n = 0;

	if (!g_file_get_contents(file, &text, NULL, NULL))
		return 0;
	for (const char *p = text; *p != '\0'; p++)
		n += *p == '\n';
	return n;
}

/* agent --watch prints the daemon's figures again when they change:
 * memory held in the guest changes its MemAvailable. */
static void
test_agent_watch(void)
{
	g_autoptr(GSubprocessLauncher) launcher =
		g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDERR_SILENCE);
	g_autoptr(GSubprocess) proc = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *out =
		g_build_filename(vmem_test_daemon_get_dir(f.daemon), "watch.out", NULL);
	g_autofree char *text = NULL;
	guint lines = 0;

	g_subprocess_launcher_setenv(launcher, "DBUS_SYSTEM_BUS_ADDRESS",
				     vmem_test_bus_get_address(f.bus), TRUE);
	g_subprocess_launcher_set_stdout_file_path(launcher, out);
	proc = g_subprocess_launcher_spawn(launcher, &error, g_getenv("VIRTMEMCTL"), "-c",
					   vmem_testbed_get_uri(f.tb), "agent", NAME, "--watch",
					   NULL);
	g_assert_no_error(error);
	for (guint i = 0; i < 40 && count_lines(out) < 1; i++)
		vmem_test_spin(250);
	g_assert_cmpuint(count_lines(out), ==, 1);
	g_assert_true(vmem_test_guest_hold(f.guest, 64, &error));
	g_assert_no_error(error);
	for (guint i = 0; i < 80 && (lines = count_lines(out)) < 2; i++)
		vmem_test_spin(250);
	g_subprocess_send_signal(proc, SIGTERM);
	g_assert_true(g_subprocess_wait(proc, NULL, &error));
	g_assert_no_error(error);
	g_assert_true(g_file_get_contents(out, &text, NULL, NULL));
	g_test_message("agent --watch:\n%s", text);
	g_assert_cmpuint(lines, >=, 2);
	g_assert_true(g_subprocess_get_if_exited(proc));
	g_assert_cmpint(g_subprocess_get_exit_status(proc), ==, EXIT_OK);
	g_assert_true(vmem_test_guest_release(f.guest, &error));
	g_assert_no_error(error);
	g_remove(out);
}

/* Without the daemon: status says so by its exit status, and the agent's
 * channel is free for virtmemctl again. */
static void
test_no_daemon(void)
{
	g_auto(CtlResult) status = {0};
	g_auto(CtlResult) agent = {0};

	daemon_stop();
	run_ctl(&status, (const char *const[]){"status", NULL});
	g_assert_cmpint(status.status, ==, EXIT_NO_DAEMON);
	g_assert_nonnull(strstr(status.err, "virtmemd is not running"));

	run_ctl(&agent, (const char *const[]){"agent", NAME, NULL});
	g_assert_cmpint(agent.status, ==, EXIT_OK);
	g_assert_null(strstr(agent.out, "virtmemd"));
	g_assert_nonnull(strstr(agent.out, "Memory:"));
}

static void
teardown(void)
{
	g_clear_pointer(&f.daemon, vmem_test_daemon_free);
	vmem_test_bus_free(f.bus);
	vmem_testbed_free(f.tb);
	g_assert_true(vmem_testbed_all_processes_gone());
	g_free(f.path);
}

/* One test bed for all: each step starts where the one before ended. */
int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ctl-daemon/setup", setup);
	g_test_add_func("/ctl-daemon/status", test_status);
	g_test_add_func("/ctl-daemon/resize", test_resize);
	g_test_add_func("/ctl-daemon/agent-show", test_agent_show);
	g_test_add_func("/ctl-daemon/agent-watch", test_agent_watch);
	g_test_add_func("/ctl-daemon/no-daemon", test_no_daemon);
	g_test_add_func("/ctl-daemon/teardown", teardown);
	return g_test_run();
}
