/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmem-testbed: the test bed for people.
 *
 *   virtmem-testbed demo   boot the tiny guest under virtmemd ($VIRTMEMD)
 *   virtmem-testbed up     boot it and keep it up until Ctrl-C
 */
#include "config.h"

#include <glib-unix.h>
#include <stdio.h>
#include <libvirt/virterror.h>
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmem-error.h"
#include "vmem-test-bus.h"
#include "vmem-test-control.h"
#include "vmem-testbed-private.h"
#include "vmem-testbed.h"

#define MIB (G_GUINT64_CONSTANT(1024) * 1024)

/* What the demo prints each second, from virtmemd's D-Bus object. */
static void
print_state(GDBusConnection *bus, const char *path, gint64 t0)
{
	g_autoptr(GVariant) available =
		vmem_test_bus_get_property(bus, path, "org.virtmem.Domain1", "GuestAvailable");
	g_autoptr(GVariant) devices =
		vmem_test_bus_get_property(bus, path, "org.virtmem.Domain1", "Devices");
	g_autoptr(GVariant) decision =
		vmem_test_bus_get_property(bus, path, "org.virtmem.Domain1", "LastDecision");
	guint64 requested = 0, plugged = 0;
	const char *reason = NULL;

	g_variant_get_child(devices, 0, "(&sutttt)", NULL, NULL, NULL, NULL, &requested, &plugged);
	g_variant_get(decision, "(dtt&s&s)", NULL, NULL, NULL, NULL, &reason);
	g_print("%5.0f s  requested %5" G_GUINT64_FORMAT " MiB  plugged %5" G_GUINT64_FORMAT
		" MiB  guest available %5" G_GUINT64_FORMAT " MiB  %s\n",
		(g_get_monotonic_time() - t0) / (double)G_USEC_PER_SEC, requested / MIB,
		plugged / MIB, g_variant_get_uint64(available) / MIB, reason);
}

/* The guest holds @mib MiB more on its tmpfs (from @held). */
static gboolean
hold_more(VmemTestControl *ctl, guint64 held, guint64 mib)
{
	g_autofree char *command =
		g_strdup_printf("dd if=/dev/zero of=/hold/data bs=1M count=%" G_GUINT64_FORMAT
				" seek=%" G_GUINT64_FORMAT " conv=notrunc 2>&1",
				mib, held);
	int status = -1;

	return vmem_test_control_run(ctl, command, 60, NULL, &status, NULL) && status == 0;
}

static gint
demo_compare_doubles(gconstpointer a, gconstpointer b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* From virtmemd's log: how old the guest's report was when each grow
 * was asked, the daemon's reaction time (bench/reaction reads this). */
static void
print_reaction(const char *log)
{
	g_autofree char *text = NULL;
	g_autoptr(GRegex) regex =
		g_regex_new(": grow .* \\(guest report ([0-9.]+) s old\\)", 0, 0, NULL);
	g_autoptr(GMatchInfo) match = NULL;
	g_autoptr(GArray) ages = g_array_new(FALSE, FALSE, sizeof(double));

	if (!g_file_get_contents(log, &text, NULL, NULL))
		return;
	g_regex_match(regex, text, 0, &match);
	for (; g_match_info_matches(match); g_match_info_next(match, NULL)) {
		g_autofree char *age = g_match_info_fetch(match, 1);
		double value = g_ascii_strtod(age, NULL);

		g_array_append_val(ages, value);
	}
	if (ages->len == 0)
		return;
	g_array_sort(ages, (GCompareFunc)demo_compare_doubles);
	g_print("reaction: %u grows, each asked %.3f s (median) and at most %.3f s after the "
		"guest's report\n",
		ages->len, g_array_index(ages, double, ages->len / 2),
		g_array_index(ages, double, ages->len - 1));
}

/* Where the demo's guest is, as the process that booted it tells. */
typedef struct {
	char *root;
	char *uri;
	char *name;
	GPid qemu_pid;
} DemoGuest;

/* In the child: boots the guest, sets its policy, tells the parent where
 * it is and leaves without cleaning up. */
static void G_GNUC_NORETURN
demo_boot_child(gboolean online_movable, int fd)
{
	g_autoptr(GError) error = NULL;
	VmemTestGuestConfig config;
	VmemTestbed *tb;
	VmemTestGuest *guest = NULL;
	g_autofree char *pid_file = NULL;
	g_autofree char *out = NULL;

	tb = vmem_testbed_new(VMEM_TESTBED_EMBEDDED, &error);
	vmem_test_guest_config_init(&config);
	config.online_movable = online_movable;
	if (tb != NULL) {
		g_print("booting a TCG guest on %s ...\n", vmem_testbed_get_uri(tb));
		guest = vmem_test_guest_new(tb, "virtmem-demo", &config, &error);
	}
	if (guest == NULL || !vmem_test_guest_start(guest, &error)) {
		g_printerr("virtmem-testbed: %s\n", error->message);
		_exit(1);
	}
	if (virDomainSetMetadata(vmem_test_guest_get_domain(guest), VIR_DOMAIN_METADATA_ELEMENT,
				 "<policy mode='auto'><buffer percent='20'/>"
				 "<cooldown grow='1' shrink='10'/></policy>",
				 "virtmem", "http://virtmem.org/xmlns/policy/1",
				 VIR_DOMAIN_AFFECT_LIVE) < 0) {
		g_printerr("virtmem-testbed: %s\n", virGetLastErrorMessage());
		_exit(1);
	}
	pid_file = vmem_testbed_qemu_pid_file(tb, "virtmem-demo");
	out = g_strdup_printf("%s\n%s\nvirtmem-demo\n%d\n", tb->root, vmem_testbed_get_uri(tb),
			      vmem_testbed_read_pid_file(pid_file));
	if (write(fd, out, strlen(out)) != (gssize)strlen(out))
		_exit(1);
	_exit(0);
}

/*
 * Boots the demo's guest in a child process, which gives the embedded
 * root up when it exits: only one process may have it open, and that
 * must be virtmemd.  The guest keeps running; its policy is auto.
 */
static gboolean
demo_boot(gboolean online_movable, DemoGuest *ret, GError **error)
{
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	int fds[2];
	pid_t pid;
	int status = 0;

	if (pipe(fds) < 0 || (pid = fork()) < 0) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_IO, "cannot fork: %s", g_strerror(errno));
		return FALSE;
	}
	if (pid == 0) {
		close(fds[0]);
		demo_boot_child(online_movable, fds[1]);
	}
	close(fds[1]);
	{
		g_autoptr(GIOChannel) channel = g_io_channel_unix_new(fds[0]);

		g_io_channel_set_close_on_unref(channel, TRUE);
		g_io_channel_read_to_end(channel, &text, NULL, NULL);
	}
	waitpid(pid, &status, 0);
	lines = g_strsplit(text ? text : "", "\n", -1);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || g_strv_length(lines) < 4) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_FAILED, "the guest did not boot");
		return FALSE;
	}
	ret->root = g_strdup(lines[0]);
	ret->uri = g_strdup(lines[1]);
	ret->name = g_strdup(lines[2]);
	ret->qemu_pid = (GPid)g_ascii_strtoll(lines[3], NULL, 10);
	return TRUE;
}

/*
 * The guest under virtmemd's auto policy: it holds more and more memory,
 * keeps it a while and frees it; virtmemd grows the VM before the guest
 * runs short and shrinks it back after its cooldown.  The demo follows
 * virtmemd on a private bus and drives the guest through its control
 * port; at the end it stops virtmemd and the guest.
 */
static int
run_demo(gboolean online_movable)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *log = NULL;
	g_autofree char *ctl_socket = NULL;
	g_autofree char *path = NULL;
	g_autoptr(VmemTestControl) ctl = NULL;
	DemoGuest guest = {0};
	VmemTestBus *bus = NULL;
	GSubprocess *virtmemd = NULL;
	GDBusConnection *conn;
	gint64 t0;
	int rc = 1;

	if (!demo_boot(online_movable, &guest, &error)) {
		g_printerr("virtmem-testbed: %s\n", error->message);
		return 1;
	}
	vmem_testbed_track_pid(guest.qemu_pid);
	log = g_build_filename(guest.root, "virtmemd.log", NULL);
	ctl_socket = g_strdup_printf("%s/%s.ctl", guest.root, guest.name);
	ctl = vmem_test_control_connect(guest.name, ctl_socket, guest.qemu_pid, &error);
	if (ctl == NULL || !vmem_test_control_wait_ready(ctl, 60, &error))
		goto out;
	bus = vmem_test_bus_new(NULL, &error);
	if (bus == NULL)
		goto out;
	conn = vmem_test_bus_get_connection(bus);
	virtmemd = vmem_test_virtmemd_start(bus, guest.uri, NULL, log, &error);
	if (virtmemd == NULL ||
	    !vmem_test_virtmemd_wait_domain(conn, guest.name, 60, &path, &error))
		goto out;
	g_print("virtmemd manages %s: policy auto, buffer 20 %%, shrink cooldown 10 s\n",
		guest.name);
	t0 = g_get_monotonic_time();
	g_print("-- the guest takes 64 MiB more every second, up to 1 GiB\n");
	for (guint64 held = 0; held < 1024; held += 64) {
		if (!hold_more(ctl, held, 64)) {
			g_set_error(&error, VMEM_ERROR, VMEM_ERROR_FAILED,
				    "the guest could not hold more memory");
			goto out;
		}
		vmem_test_spin(1000);
		print_state(conn, path, t0);
	}
	g_print("-- it keeps 1 GiB for 10 s\n");
	for (guint i = 0; i < 10; i++) {
		vmem_test_spin(1000);
		print_state(conn, path, t0);
	}
	g_print("-- it frees it all; virtmemd gives the memory back after its cooldown\n");
	if (!vmem_test_control_run(ctl, "rm -f /hold/data", 60, NULL, NULL, &error))
		goto out;
	for (guint i = 0; i < 90; i++) {
		vmem_test_spin(1000);
		print_state(conn, path, t0);
		if (vmem_test_bus_device_requested(conn, path) <= 256 * MIB)
			break;
	}
	print_reaction(log);
	g_print("demo done\n");
	rc = 0;
out:
	if (error != NULL)
		g_printerr("demo: %s (virtmemd's log: %s)\n", error->message, log);
	vmem_test_virtmemd_stop(virtmemd, SIGTERM);
	g_clear_object(&virtmemd);
	vmem_test_bus_free(bus);
	g_clear_pointer(&ctl, vmem_test_control_free);
	vmem_testbed_kill_pid(guest.qemu_pid);
	if (rc == 0 || g_getenv("VIRTMEM_TESTBED_KEEP") == NULL)
		vmem_testbed_remove_tree(guest.root);
	g_free(guest.root);
	g_free(guest.uri);
	g_free(guest.name);
	return rc;
}

static gboolean
on_signal(gpointer user_data)
{
	g_main_loop_quit(user_data);
	return G_SOURCE_REMOVE;
}

static int
run_up(VmemTestbed *tb, VmemTestGuest *guest)
{
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);

	g_print("URI:     %s\n", vmem_testbed_get_uri(tb));
	g_print("domain:  %s\n", vmem_test_guest_get_name(guest));
	g_print("agent:   %s\n", vmem_test_guest_get_agent_socket(guest));
	g_print("console: %s\n", vmem_test_guest_get_console_log(guest));
	/* free for a script: one line of shell in, its output and
	 * "@@virtmem-rc N" out (tests/guest/init) */
	vmem_test_guest_detach_control(guest);
	g_print("control: %s\n", vmem_test_guest_get_control_socket(guest));
	g_print("Ctrl-C ends the guest and the test bed.\n");
	g_unix_signal_add(SIGINT, on_signal, loop);
	g_unix_signal_add(SIGTERM, on_signal, loop);
	g_main_loop_run(loop);
	return 0;
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	gboolean daemon_mode = FALSE;
	gboolean no_movable = FALSE;
	gint device_mib = 0;
	GOptionEntry entries[] = {
		{"daemon", 0, 0, G_OPTION_ARG_NONE, &daemon_mode,
		 "Run a private libvirtd instead of the embedded driver", NULL},
		{"no-online-movable", 0, 0, G_OPTION_ARG_NONE, &no_movable,
		 "Boot without memhp_default_state=online_movable", NULL},
		{"device-mib", 0, 0, G_OPTION_ARG_INT, &device_mib,
		 "Size of the virtio-mem device in MiB (4096)", "MIB"},
		{NULL},
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("demo|up");
	VmemTestGuestConfig config;
	VmemTestbed *tb;
	VmemTestGuest *guest;
	int rc;

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_summary(ctx, "The virtmem test bed: a tiny TCG guest with a "
					  "virtio-mem device on a private libvirt.");
	if (!g_option_context_parse(ctx, &argc, &argv, &error) || argc != 2 ||
	    (g_strcmp0(argv[1], "demo") != 0 && g_strcmp0(argv[1], "up") != 0)) {
		g_printerr("%s\n",
			   error ? error->message : "usage: virtmem-testbed [OPTION...] demo|up");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (g_str_equal(argv[1], "demo"))
		return run_demo(!no_movable);

	tb = vmem_testbed_new(daemon_mode ? VMEM_TESTBED_DAEMON : VMEM_TESTBED_EMBEDDED, &error);
	if (tb == NULL) {
		g_printerr("virtmem-testbed: %s\n", error->message);
		return 1;
	}
	vmem_test_guest_config_init(&config);
	config.online_movable = !no_movable;
	if (device_mib > 0)
		config.device_mib = (guint64)device_mib;
	g_print("booting a TCG guest on %s ...\n", vmem_testbed_get_uri(tb));
	guest = vmem_test_guest_new(tb, "virtmem-demo", &config, &error);
	if (guest == NULL || !vmem_test_guest_start(guest, &error)) {
		g_printerr("virtmem-testbed: %s\n", error->message);
		vmem_testbed_free(tb);
		return 1;
	}
	rc = run_up(tb, guest);
	vmem_testbed_free(tb);
	return rc;
}
