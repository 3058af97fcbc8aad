/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A stuck unplug, reproduced on a real guest: data the guest holds stands
 * in the way of a shrink, the device stalls above the request with the
 * guest alive, and completes once the data is gone and the same size is
 * requested again (which makes QEMU notify the guest, so it retries at
 * once instead of on its 50 s timer).
 */
#include "config.h"

#include "vmem-testbed.h"

#define KIB_PER_MIB G_GUINT64_CONSTANT(1024)
#define ALIAS "ua-vmem0"

static void
test_stuck_unplug(void)
{
	g_autoptr(GError) error = NULL;
	VmemTestGuestConfig config;
	VmemTestbed *tb;
	VmemTestGuest *guest;
	guint64 target = 256 * KIB_PER_MIB;
	guint64 stalled = 0, requested = 0;
	g_autofree char *output = NULL;
	int status = -1;
	gint64 start;

	tb = vmem_testbed_new(VMEM_TESTBED_EMBEDDED, &error);
	g_assert_no_error(error);
	vmem_test_guest_config_init(&config);
	guest = vmem_test_guest_new(tb, "stuck", &config, &error);
	g_assert_no_error(error);
	g_assert_true(vmem_test_guest_start(guest, &error));
	g_assert_no_error(error);

	g_assert_true(vmem_test_guest_set_requested(guest, ALIAS, 1024 * KIB_PER_MIB, &error));
	g_assert_true(vmem_test_guest_wait_current(guest, ALIAS, 1024 * KIB_PER_MIB, 120, &error));
	g_assert_no_error(error);
	g_assert_true(vmem_test_guest_hold(guest, 700, &error));
	g_assert_no_error(error);

	g_assert_true(vmem_test_guest_set_requested(guest, ALIAS, target, &error));
	g_assert_no_error(error);
	g_assert_true(vmem_test_guest_wait_settled(guest, ALIAS, 8, 180, &stalled, &error));
	g_assert_no_error(error);
	g_test_message("unplug stalled at %" G_GUINT64_FORMAT " MiB (requested %" G_GUINT64_FORMAT
		       " MiB)",
		       stalled / KIB_PER_MIB, target / KIB_PER_MIB);
	g_assert_cmpuint(stalled, >, target);
	g_assert_true(vmem_test_guest_get_sizes(guest, ALIAS, &requested, NULL, &error));
	g_assert_cmpuint(requested, ==, target);
	/* Alive: the domain runs and the guest still answers. */
	g_assert_true(vmem_test_guest_is_running(guest));
	g_assert_true(vmem_test_guest_run(guest, "echo alive", &output, &status, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(output, ==, "alive\n");

	g_assert_true(vmem_test_guest_release(guest, &error));
	g_assert_no_error(error);
	start = g_get_monotonic_time();
	g_assert_true(vmem_test_guest_set_requested(guest, ALIAS, target, &error));
	g_assert_true(vmem_test_guest_wait_current(guest, ALIAS, target, 120, &error));
	g_assert_no_error(error);
	g_test_message("after release and re-request: converged in %.2f s",
		       (g_get_monotonic_time() - start) / (double)G_USEC_PER_SEC);
	g_assert_true(vmem_test_guest_is_running(guest));

	vmem_testbed_free(tb);
	g_assert_true(vmem_testbed_all_processes_gone());
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/vm/resize/stuck-unplug", test_stuck_unplug);
	return g_test_run();
}
