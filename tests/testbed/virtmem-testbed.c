/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmem-testbed: the test bed for people.
 *
 *   virtmem-testbed demo   boot the tiny guest and resize it, live
 *   virtmem-testbed up     boot it and keep it up until Ctrl-C
 */
#include "config.h"

#include <glib-unix.h>
#include <stdio.h>
#include <unistd.h>

#include "vmem-error.h"
#include "vmem-testbed.h"

#define KIB_PER_MIB G_GUINT64_CONSTANT(1024)
#define ALIAS "ua-vmem0"

static void
print_state(VmemTestGuest *guest, gint64 t0)
{
	g_autoptr(GError) error = NULL;
	guint64 requested = 0, current = 0, total = 0;

	if (!vmem_test_guest_get_sizes(guest, ALIAS, &requested, &current, &error) ||
	    !vmem_test_guest_meminfo(guest, "MemTotal", &total, &error)) {
		g_printerr("demo: %s\n", error->message);
		return;
	}
	g_print("%6.1f s  requested %5" G_GUINT64_FORMAT " MiB  current %5" G_GUINT64_FORMAT
		" MiB  guest MemTotal %5" G_GUINT64_FORMAT " MiB\n",
		(g_get_monotonic_time() - t0) / (double)G_USEC_PER_SEC, requested / KIB_PER_MIB,
		current / KIB_PER_MIB, total / KIB_PER_MIB);
}

static gboolean
demo_step(VmemTestGuest *guest, guint64 mib, gint64 t0, GError **error)
{
	guint64 current = 0;

	g_print("-- resize %s to %" G_GUINT64_FORMAT " MiB\n", ALIAS, mib);
	if (!vmem_test_guest_set_requested(guest, ALIAS, mib * KIB_PER_MIB, error))
		return FALSE;
	for (guint i = 0; i < 240; i++) {
		vmem_test_spin(500);
		print_state(guest, t0);
		if (!vmem_test_guest_get_sizes(guest, ALIAS, NULL, &current, error))
			return FALSE;
		if (current == mib * KIB_PER_MIB)
			return TRUE;
	}
	g_set_error(error, VMEM_ERROR, VMEM_ERROR_TIMED_OUT,
		    "no convergence to %" G_GUINT64_FORMAT " MiB in 120 s", mib);
	return FALSE;
}

static int
run_demo(VmemTestbed *tb, VmemTestGuest *guest)
{
	g_autoptr(GError) error = NULL;
	const guint64 steps[] = {1024, 2048, 512, 0};
	gint64 t0 = g_get_monotonic_time();

	g_print("guest up; virtio-mem device %s: 4 GiB, block 2 MiB\n", ALIAS);
	print_state(guest, t0);
	for (guint i = 0; i < G_N_ELEMENTS(steps); i++) {
		if (!demo_step(guest, steps[i], t0, &error)) {
			g_printerr("demo: %s\n", error->message);
			return 1;
		}
	}
	g_print("demo done\n");
	return 0;
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
	rc = g_strcmp0(argv[1], "demo") == 0 ? run_demo(tb, guest) : run_up(tb, guest);
	vmem_testbed_free(tb);
	return rc;
}
