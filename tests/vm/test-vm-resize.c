/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Resize a real guest's virtio-mem device through libvirt's public API, as
 * `virsh update-memory-device` does, on the embedded QEMU driver.
 */
#include "config.h"

#include "vmem-testbed.h"

#define KIB_PER_MIB G_GUINT64_CONSTANT(1024)
#define ALIAS "ua-vmem0"
#define BLOCK_KIB (2 * KIB_PER_MIB)

static VmemTestbed *tb;

static void
assert_resize(VmemTestGuest *guest, guint64 requested_kib, guint64 base_total_kib)
{
	g_autoptr(GError) error = NULL;
	guint n_before = vmem_test_guest_get_size_events(guest, ALIAS, NULL);
	guint64 last_event_kib = 0;
	guint64 total_kib = 0;
	gint64 start = g_get_monotonic_time();

	g_assert_true(vmem_test_guest_set_requested(guest, ALIAS, requested_kib, &error));
	g_assert_no_error(error);
	g_assert_true(vmem_test_guest_wait_current(guest, ALIAS, requested_kib, 120, &error));
	g_assert_no_error(error);
	g_test_message("%s -> %" G_GUINT64_FORMAT " MiB converged in %.2f s", ALIAS,
		       requested_kib / KIB_PER_MIB,
		       (g_get_monotonic_time() - start) / (double)G_USEC_PER_SEC);

	/* QEMU throttles MEMORY_DEVICE_SIZE_CHANGE to one a second per device:
	 * the last one may trail <current>. */
	for (guint i = 0; i < 50; i++) {
		if (vmem_test_guest_get_size_events(guest, ALIAS, &last_event_kib) > n_before &&
		    last_event_kib == requested_kib)
			break;
		vmem_test_spin(100);
	}
	g_assert_cmpuint(vmem_test_guest_get_size_events(guest, ALIAS, NULL), >, n_before);
	g_assert_cmpuint(last_event_kib, ==, requested_kib);

	/* The guest sees exactly what was plugged. */
	g_assert_true(vmem_test_guest_meminfo(guest, "MemTotal", &total_kib, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(total_kib, >=, base_total_kib + requested_kib - BLOCK_KIB);
	g_assert_cmpuint(total_kib, <=, base_total_kib + requested_kib + BLOCK_KIB);
}

/* How many of the guest's online memory blocks sit in @zone. */
static guint
count_blocks_in_zone(VmemTestGuest *guest, const char *zone)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *command = g_strdup_printf(
		"cat /sys/devices/system/memory/memory*/valid_zones | grep -cx '%s' || true", zone);
	g_autofree char *output = NULL;
	int status = -1;

	g_assert_true(vmem_test_guest_run(guest, command, &output, &status, &error));
	g_assert_no_error(error);
	g_assert_cmpint(status, ==, 0);
	return (guint)g_ascii_strtoull(output, NULL, 10);
}

static void
test_resize_grow_shrink(void)
{
	g_autoptr(GError) error = NULL;
	VmemTestGuestConfig config;
	VmemTestGuest *guest;
	guint64 requested = 1, current = 1, base_total = 0;

	vmem_test_guest_config_init(&config);
	guest = vmem_test_guest_new(tb, "resize", &config, &error);
	g_assert_no_error(error);
	g_assert_true(vmem_test_guest_start(guest, &error));
	g_assert_no_error(error);

	g_assert_true(vmem_test_guest_get_sizes(guest, ALIAS, &requested, &current, &error));
	g_assert_cmpuint(requested, ==, 0);
	g_assert_cmpuint(current, ==, 0);
	g_assert_true(vmem_test_guest_meminfo(guest, "MemTotal", &base_total, &error));
	g_assert_no_error(error);

	assert_resize(guest, 1024 * KIB_PER_MIB, base_total);
	/* online_movable: all of it in ZONE_MOVABLE, 128 MiB Linux memory
	 * blocks on x86_64. */
	g_assert_cmpuint(count_blocks_in_zone(guest, "Movable"), ==, 8);
	g_assert_cmpuint(count_blocks_in_zone(guest, "Normal"), ==, 0);
	assert_resize(guest, 256 * KIB_PER_MIB, base_total);
	g_assert_cmpuint(count_blocks_in_zone(guest, "Movable"), ==, 2);
	g_assert_true(vmem_test_guest_is_running(guest));

	vmem_test_guest_destroy(guest);
}

/* Without memhp_default_state=online_movable, plugged memory lands in
 * ZONE_NORMAL, where unplug can get stuck: the test bed must be able to
 * boot that way. */
static void
test_boot_without_online_movable(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *cmdline = NULL;
	VmemTestGuestConfig config;
	VmemTestGuest *guest;
	guint64 base_total = 0;

	vmem_test_guest_config_init(&config);
	config.online_movable = FALSE;
	guest = vmem_test_guest_new(tb, "normal", &config, &error);
	g_assert_no_error(error);
	g_assert_true(vmem_test_guest_start(guest, &error));
	g_assert_no_error(error);
	g_assert_true(vmem_test_guest_run(guest, "cat /proc/cmdline", &cmdline, NULL, &error));
	g_assert_null(strstr(cmdline, "memhp_default_state"));
	g_assert_true(vmem_test_guest_meminfo(guest, "MemTotal", &base_total, &error));
	g_assert_no_error(error);

	assert_resize(guest, 256 * KIB_PER_MIB, base_total);
	g_assert_cmpuint(count_blocks_in_zone(guest, "Normal"), ==, 2);
	g_assert_cmpuint(count_blocks_in_zone(guest, "Movable"), ==, 0);

	vmem_test_guest_destroy(guest);
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	int rc;

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/vm/resize/grow-shrink", test_resize_grow_shrink);
	g_test_add_func("/vm/boot/without-online-movable", test_boot_without_online_movable);

	tb = vmem_testbed_new(VMEM_TESTBED_EMBEDDED, &error);
	g_assert_no_error(error);
	rc = g_test_run();
	vmem_testbed_free(tb);
	g_assert_true(vmem_testbed_all_processes_gone());
	return rc;
}
