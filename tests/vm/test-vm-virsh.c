/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Interoperation with `virsh update-memory-device` on the same domain, on a
 * private libvirtd (several processes share one daemon): virsh resizes,
 * and our connection sees the event, the live XML and the guest follow.
 */
#include "config.h"

#include "vmem-testbed.h"

#define KIB_PER_MIB G_GUINT64_CONSTANT(1024)
#define ALIAS "ua-vmem0"

static char *
run_virsh(VmemTestbed *tb, const char *const *args)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;
	g_autoptr(GError) error = NULL;
	int status = -1;

	g_ptr_array_add(argv, (gpointer) "virsh");
	g_ptr_array_add(argv, (gpointer) "-c");
	g_ptr_array_add(argv, (gpointer)vmem_testbed_get_uri(tb));
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
		     &status, &error);
	g_assert_no_error(error);
	if (!g_spawn_check_wait_status(status, NULL))
		g_error("virsh failed: %s", err);
	return g_steal_pointer(&out);
}

static void
test_virsh_update_memory_device(void)
{
	g_autoptr(GError) error = NULL;
	VmemTestGuestConfig config;
	VmemTestbed *tb;
	VmemTestGuest *guest;
	guint64 base_total = 0, total = 0, last_event = 0, requested = 0;
	g_autofree char *xml = NULL;

	tb = vmem_testbed_new(VMEM_TESTBED_DAEMON, &error);
	g_assert_no_error(error);
	vmem_test_guest_config_init(&config);
	guest = vmem_test_guest_new(tb, "interop", &config, &error);
	g_assert_no_error(error);
	g_assert_true(vmem_test_guest_start(guest, &error));
	g_assert_no_error(error);
	g_assert_true(vmem_test_guest_meminfo(guest, "MemTotal", &base_total, &error));
	g_assert_no_error(error);

	/* virsh resizes ... */
	g_free(run_virsh(tb,
			 (const char *const[]){"update-memory-device", "interop", "--alias", ALIAS,
					       "--requested-size", "512MiB", "--live", NULL}));
	/* ... and our connection sees it. */
	g_assert_true(vmem_test_guest_wait_current(guest, ALIAS, 512 * KIB_PER_MIB, 120, &error));
	g_assert_no_error(error);
	g_assert_true(vmem_test_guest_get_sizes(guest, ALIAS, &requested, NULL, &error));
	g_assert_cmpuint(requested, ==, 512 * KIB_PER_MIB);
	for (guint i = 0; i < 50 && last_event != 512 * KIB_PER_MIB; i++) {
		vmem_test_guest_get_size_events(guest, ALIAS, &last_event);
		vmem_test_spin(100);
	}
	g_assert_cmpuint(last_event, ==, 512 * KIB_PER_MIB);
	g_assert_true(vmem_test_guest_meminfo(guest, "MemTotal", &total, &error));
	g_assert_cmpuint(total, ==, base_total + 512 * KIB_PER_MIB);

	/* We resize, and virsh sees it. */
	g_assert_true(vmem_test_guest_set_requested(guest, ALIAS, 128 * KIB_PER_MIB, &error));
	g_assert_true(vmem_test_guest_wait_current(guest, ALIAS, 128 * KIB_PER_MIB, 120, &error));
	g_assert_no_error(error);
	xml = run_virsh(tb, (const char *const[]){"dumpxml", "interop", NULL});
	g_assert_nonnull(strstr(xml, "<requested unit='KiB'>131072</requested>"));
	g_assert_nonnull(strstr(xml, "<current unit='KiB'>131072</current>"));

	vmem_testbed_free(tb);
	g_assert_true(vmem_testbed_all_processes_gone());
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/vm/virsh/update-memory-device", test_virsh_update_memory_device);
	return g_test_run();
}
