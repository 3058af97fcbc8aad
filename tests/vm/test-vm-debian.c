/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmem-agent on a stock Debian 12 guest, installed the way a user
 * installs it (tests/guest/build-debian-guest): a debootstrapped bookworm
 * with systemd and udev, the agent put in by `meson install` from an
 * agent-only configure of this tree and enabled as a package would, started
 * only by its own unit and udev rule.  On the bookworm (6.1) and the
 * backports (6.12) kernel: the agent starts by itself and reports (read
 * through VmemAgentChannel), memory the host plugs is online in
 * ZONE_MOVABLE and counted in MemTotal, a shrink to nothing converges, and
 * all of it again after a reboot, which replugs memory while the guest
 * boots.  Every shrink checks that the guest did not crash and reboot (its
 * boot_id and the boots on its console).  A VM without the agent's port
 * boots without waiting for it.
 */
#include "config.h"

#include "vmem-agent-channel.h"
#include "virtmemctl-agent-view.h"
#include "vmem-testbed.h"

#define KIB_PER_MIB G_GUINT64_CONSTANT(1024)
#define ALIAS "ua-vmem0"
/* A stock Debian reaches multi-user.target in ~20 s under TCG; waiting for
 * a missing device would add 90 s. */
#define BOOT_BOUND_S 60
#define RESIZE_TIMEOUT_S 120

typedef struct {
	const char *name;   /* the folder in the guest dir */
	const char *series; /* its kernel release starts so */
	char *kernel;
	char *initrd;
} Kernel;

static Kernel kernels[] = {
	{"bookworm", "6.1."},
	{"backports", "6.12."},
};

/* One per process: libvirt's embedded driver opens only one root. */
static VmemTestbed *tb;
static char *disk;

typedef struct {
	guint hellos;
	guint reports;
} Events;

static void
on_event(VmemAgentChannel *channel, VmemAgentChannelEvent event, gpointer user_data)
{
	Events *ev = user_data;

	if (event == VMEM_AGENT_CHANNEL_HELLO)
		ev->hellos++;
	if (event == VMEM_AGENT_CHANNEL_REPORT)
		ev->reports++;
}

static guint64
mem_total_kib(VmemTestGuest *guest)
{
	g_autoptr(GError) error = NULL;
	guint64 kib = 0;

	g_assert_true(vmem_test_guest_meminfo(guest, "MemTotal", &kib, &error));
	g_assert_no_error(error);
	return kib;
}

/* Boots seen on the guest's console: systemd greets each one ("Welcome to
 * Debian GNU/Linux 12", with colours). */
static guint
console_boots(VmemTestGuest *guest)
{
	g_autofree char *log = NULL;
	guint n = 0;

	g_assert_true(
		g_file_get_contents(vmem_test_guest_get_console_log(guest), &log, NULL, NULL));
	for (const char *p = log; (p = strstr(p, "Welcome to ")) != NULL; p++)
		n++;
	for (const char *bad = "Kernel panic\0BUG: \0Oops: \0"; *bad != '\0';
	     bad += strlen(bad) + 1)
		if (strstr(log, bad) != NULL)
			g_error("\"%s\" on the console of %s (%s)", bad,
				vmem_test_guest_get_name(guest),
				vmem_test_guest_get_console_log(guest));
	return n;
}

/* The guest is the one that booted @boots times, the last one as @boot_id:
 * a panic and a reboot would look like a successful unplug. */
static void
assert_same_boot(VmemTestGuest *guest, const char *boot_id, guint boots)
{
	g_autofree char *now = vmem_test_guest_output(guest, "cat /proc/sys/kernel/random/boot_id");

	g_assert_true(vmem_test_guest_is_running(guest));
	g_assert_cmpstr(now, ==, boot_id);
	g_assert_cmpuint(console_boots(guest), ==, boots);
}

/* Starts a guest and waits until systemd finished booting; returns the
 * seconds from virDomainCreate() to there. */
static double
boot(VmemTestGuest *guest)
{
	g_autoptr(GError) error = NULL;
	gint64 start = g_get_monotonic_time();
	g_autofree char *state = NULL;
	g_autofree char *failed = NULL;
	g_autofree char *target_us = NULL;
	double seconds;

	g_assert_true(vmem_test_guest_start(guest, &error));
	g_assert_no_error(error);
	state = vmem_test_guest_output(guest, "systemctl is-system-running --wait || true");
	seconds = (g_get_monotonic_time() - start) / (double)G_USEC_PER_SEC;
	target_us = vmem_test_guest_output(
		guest, "systemctl show --value -p ActiveEnterTimestampMonotonic multi-user.target");
	failed = vmem_test_guest_output(guest, "systemctl list-units --failed --plain --no-legend");
	g_test_message(
		"%s: %s after %.1f s (multi-user.target %.1f s after the kernel started)%s%s",
		vmem_test_guest_get_name(guest), state, seconds,
		g_ascii_strtoull(target_us, NULL, 10) / (double)G_USEC_PER_SEC,
		*failed != '\0' ? "; failed units:\n" : "", failed);
	g_assert_cmpstr(state, ==, "running");
	return seconds;
}

static void
config_for(VmemTestGuestConfig *config, const Kernel *k)
{
	vmem_test_guest_config_init(config);
	/* Stock: what the kernel and the agent's rules do, no command line. */
	config->online_movable = FALSE;
	config->kernel = k->kernel;
	config->initrd = k->initrd;
	config->disk = disk;
}

static void
resize(VmemTestGuest *guest, guint64 mib)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(vmem_test_guest_set_requested(guest, ALIAS, mib * KIB_PER_MIB, &error));
	g_assert_no_error(error);
	g_assert_true(vmem_test_guest_wait_current(guest, ALIAS, mib * KIB_PER_MIB,
						   RESIZE_TIMEOUT_S, &error));
	g_assert_no_error(error);
}

/* Waits until the agent reports @mib of virtio-mem memory online, all of it
 * in ZONE_MOVABLE and none offline, and returns that report. */
static const VmemAgentReport *
wait_online_movable(VmemAgentChannel *ch, Events *ev, guint64 mib)
{
	gint64 deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;

	for (;;) {
		const VmemAgentReport *r = vmem_agent_channel_get_report(ch, NULL);
		guint64 offline = 0;

		for (guint i = 0; r != NULL && i < r->devices->len; i++)
			offline += ((VmemAgentDevice *)g_ptr_array_index(r->devices, i))->offline;
		if (r != NULL && vmem_agent_report_get_online_bytes(r) == mib << 20 &&
		    vmem_agent_report_get_movable_bytes(r) == mib << 20 && offline == 0)
			return r;
		if (g_get_monotonic_time() > deadline) {
			g_autofree char *text =
				vmem_agent_view_format_text(vmem_agent_channel_get_hello(ch), r);

			g_error("the agent never reported %" G_GUINT64_FORMAT
				" MiB online movable:\n%s",
				mib, text);
		}
		vmem_test_wait_for(&ev->reports, ev->reports + 1, 30);
	}
}

/* Grows by @mib: the guest's MemTotal grows by as much, and the agent sees
 * it all online movable.  Then shrinks to nothing in the same boot. */
static void
grow_and_shrink(VmemTestGuest *guest, VmemAgentChannel *ch, Events *ev, guint64 base_mib,
		guint64 mib, const char *boot_id, guint boots)
{
	guint64 total0 = mem_total_kib(guest), total1;
	g_autofree char *offline = NULL;

	resize(guest, base_mib + mib);
	wait_online_movable(ch, ev, base_mib + mib);
	total1 = mem_total_kib(guest);
	g_test_message("grew by %" G_GUINT64_FORMAT " MiB: MemTotal %" G_GUINT64_FORMAT
		       " -> %" G_GUINT64_FORMAT " KiB",
		       mib, total0, total1);
	g_assert_cmpuint(total1 - total0, ==, mib * KIB_PER_MIB);
	offline = vmem_test_guest_output(guest,
					 "grep -l offline /sys/devices/system/memory/memory*/state "
					 "| wc -l");
	g_assert_cmpstr(offline, ==, "0");

	resize(guest, 0);
	wait_online_movable(ch, ev, 0);
	assert_same_boot(guest, boot_id, boots);
	g_assert_cmpuint(mem_total_kib(guest), ==, total0 - base_mib * KIB_PER_MIB);
}

static void
test_kernel(gconstpointer data)
{
	const Kernel *k = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemAgentChannel) ch = NULL;
	g_autofree char *name = g_strconcat("debian-", k->name, NULL);
	g_autofree char *release = NULL;
	g_autofree char *agent = NULL;
	g_autofree char *boot_id = NULL;
	g_autofree char *boot_id2 = NULL;
	VmemTestGuestConfig config;
	VmemTestGuest *guest;
	const VmemAgentReport *r;
	Events ev = {0};
	guint hellos;

	config_for(&config, k);
	config.reboot_restarts = TRUE;
	guest = vmem_test_guest_new(tb, name, &config, &error);
	g_assert_no_error(error);
	boot(guest);
	release = vmem_test_guest_output(guest, "uname -r");
	g_assert_true(g_str_has_prefix(release, k->series));
	boot_id = vmem_test_guest_output(guest, "cat /proc/sys/kernel/random/boot_id");
	g_assert_cmpuint(console_boots(guest), ==, 1);

	ch = vmem_agent_channel_new_libvirt(vmem_test_guest_get_domain(guest));
	g_signal_connect(ch, "event", G_CALLBACK(on_event), &ev);
	g_assert_true(vmem_agent_channel_start(ch, &error));
	g_assert_no_error(error);
	vmem_test_wait_for(&ev.hellos, 1, 60);
	vmem_test_wait_for(&ev.reports, 1, 30);
	/* Started by its unit (from the port's device), once. */
	agent = vmem_test_guest_output(guest,
				       "u=virtmem-agent.service; echo $(systemctl is-active $u) "
				       "$(systemctl show --value -p NRestarts $u) $(readlink "
				       "/proc/$(systemctl show --value -p MainPID $u)/exe)");
	g_assert_cmpstr(agent, ==, "active 0 /usr/bin/virtmem-agent");
	r = vmem_agent_channel_get_report(ch, NULL);
	g_assert_cmpstr(r->kernel, ==, release);
	g_assert_true(r->driver_loaded);
	g_assert_cmpuint(r->driver_devices, ==, 1);
	/* What 40-virtmem-memory.rules set up before virtio_mem loaded. */
	g_assert_cmpstr(r->auto_online_blocks, ==, "online");
	g_assert_cmpstr(r->online_policy, ==, "auto-movable");

	grow_and_shrink(guest, ch, &ev, 0, 1024, boot_id, 1);

	/* A reboot with memory plugged: the device is reset, and the driver
	 * plugs the requested size again while the guest boots, before and
	 * while udev runs the agent's rules. */
	resize(guest, 512);
	wait_online_movable(ch, &ev, 512);
	hellos = ev.hellos;
	g_free(vmem_test_guest_output(guest, "systemctl --no-block reboot"));
	vmem_test_wait_for(&ev.hellos, hellos + 1, 180);
	g_free(vmem_test_guest_output(guest, "systemctl is-system-running --wait || true"));
	boot_id2 = vmem_test_guest_output(guest, "cat /proc/sys/kernel/random/boot_id");
	g_assert_cmpstr(boot_id2, !=, boot_id);
	g_assert_cmpuint(console_boots(guest), ==, 2);
	g_assert_true(vmem_test_guest_wait_current(guest, ALIAS, 512 * KIB_PER_MIB,
						   RESIZE_TIMEOUT_S, &error));
	g_assert_no_error(error);
	wait_online_movable(ch, &ev, 512);
	grow_and_shrink(guest, ch, &ev, 512, 512, boot_id2, 2);

	g_clear_object(&ch);
	/* Two TCG guests at once would starve each other. */
	g_assert_cmpint(virDomainDestroy(vmem_test_guest_get_domain(guest)), ==, 0);
}

/* The boot race: virtio_mem loaded by the initramfs, as an initramfs that
 * has it does, plugs the requested 512 MiB before the root file system's
 * udev runs the agent's rules.  On 6.1 those blocks are added offline, and
 * coldplug's "add" events let the rules online them. */
static void
test_initramfs_driver(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemAgentChannel) ch = NULL;
	g_autofree char *first = NULL;
	g_autofree char *boot_id = NULL;
	VmemTestGuestConfig config;
	VmemTestGuest *guest;
	Events ev = {0};

	config_for(&config, &kernels[0]);
	config.requested_mib = 512;
	config.cmdline = "virtmem.initramfs_modules=virtio_mem";
	guest = vmem_test_guest_new(tb, "debian-early-driver", &config, &error);
	g_assert_no_error(error);
	boot(guest);
	/* virtio_mem came before systemd, so before udev and the rules. */
	first = vmem_test_guest_output(
		guest, "dmesg | grep -m1 -o -e 'virtio_mem' -e 'systemd 2[0-9][0-9] '");
	g_assert_cmpstr(first, ==, "virtio_mem");
	boot_id = vmem_test_guest_output(guest, "cat /proc/sys/kernel/random/boot_id");
	ch = vmem_agent_channel_new_libvirt(vmem_test_guest_get_domain(guest));
	g_signal_connect(ch, "event", G_CALLBACK(on_event), &ev);
	g_assert_true(vmem_agent_channel_start(ch, &error));
	g_assert_no_error(error);
	vmem_test_wait_for(&ev.reports, 1, 60);
	g_assert_true(vmem_test_guest_wait_current(guest, ALIAS, 512 * KIB_PER_MIB,
						   RESIZE_TIMEOUT_S, &error));
	g_assert_no_error(error);
	wait_online_movable(ch, &ev, 512);
	grow_and_shrink(guest, ch, &ev, 512, 512, boot_id, 1);
	g_clear_object(&ch);
	g_assert_cmpint(virDomainDestroy(vmem_test_guest_get_domain(guest)), ==, 0);
}

/* Enabled (as Debian's packaging does) but without its port: nothing waits
 * for the port's device. */
static void
test_no_agent_port(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *jobs = NULL;
	g_autofree char *agent = NULL;
	g_autofree char *timeouts = NULL;
	VmemTestGuestConfig config;
	VmemTestGuest *guest;
	double seconds;

	config_for(&config, &kernels[0]);
	config.agent_port = FALSE;
	guest = vmem_test_guest_new(tb, "debian-no-port", &config, &error);
	g_assert_no_error(error);
	seconds = boot(guest);
	g_assert_cmpfloat(seconds, <, BOOT_BOUND_S);
	jobs = vmem_test_guest_output(guest, "systemctl list-jobs --no-legend");
	g_assert_cmpstr(jobs, ==, "");
	agent = vmem_test_guest_output(guest, "systemctl is-active virtmem-agent.service || true");
	g_assert_cmpstr(agent, ==, "inactive");
	timeouts = vmem_test_guest_output(
		guest, "journalctl -b -q --no-pager | grep -c 'Timed out' || true");
	g_assert_cmpstr(timeouts, ==, "0");
	g_assert_cmpint(virDomainDestroy(vmem_test_guest_get_domain(guest)), ==, 0);
}

static void
skip_not_built(gconstpointer data)
{
	g_autofree char *msg = g_strdup_printf(
		"no Debian guest in %s: build it with `ninja -C BUILDDIR tests/guest/debian-guest.stamp`",
		(const char *)data);

	g_test_skip(msg);
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	const char *dir = g_getenv("VIRTMEM_DEBIAN_GUEST_DIR");
	int ret;

	g_test_init(&argc, &argv, NULL);
	g_assert_nonnull(dir);
	disk = g_build_filename(dir, "root.img", NULL);
	if (!g_file_test(disk, G_FILE_TEST_IS_REGULAR)) {
		/* Built by `meson test` unless --no-rebuild, not by ninja. */
		g_test_add_data_func("/vm/debian/not-built", dir, skip_not_built);
		return g_test_run();
	}
	for (gsize i = 0; i < G_N_ELEMENTS(kernels); i++) {
		g_autofree char *path = g_strdup_printf("/vm/debian/%s", kernels[i].name);

		kernels[i].kernel = g_build_filename(dir, kernels[i].name, "vmlinuz", NULL);
		kernels[i].initrd = g_build_filename(dir, kernels[i].name, "initrd.img", NULL);
		g_test_add_data_func(path, &kernels[i], test_kernel);
	}
	g_test_add_func("/vm/debian/bookworm/initramfs-driver", test_initramfs_driver);
	g_test_add_func("/vm/debian/no-agent-port", test_no_agent_port);
	tb = vmem_testbed_new(VMEM_TESTBED_EMBEDDED, &error);
	g_assert_no_error(error);
	ret = g_test_run();
	vmem_testbed_free(tb);
	g_assert_true(vmem_testbed_all_processes_gone());
	for (gsize i = 0; i < G_N_ELEMENTS(kernels); i++) {
		g_free(kernels[i].kernel);
		g_free(kernels[i].initrd);
	}
	g_free(disk);
	return ret;
}
