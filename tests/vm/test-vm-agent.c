/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmem-agent in a real guest: the agent built by this tree runs in the
 * test guest's initramfs (started by its /init), and the host reads it
 * through libvirt's virDomainOpenChannel() and through QEMU's unix socket.
 * The reported virtio-mem memory follows resizes, a guest without
 * online_movable shows ZONE_NORMAL blocks and the report predicts a stuck
 * unplug, a guest without the virtio_mem driver says so, the agent's
 * footprint is measured, and an agent restart and a guest reboot are
 * survived.
 */
#include "config.h"

#include <stdlib.h>

#include "vmem-agent-channel.h"
#include "vmem-error.h"
#include "virtmemctl-agent-view.h"
#include "vmem-testbed.h"

#define KIB_PER_MIB G_GUINT64_CONSTANT(1024)
#define ALIAS "ua-vmem0"
#define AGENT_PORT "/dev/virtio-ports/org.virtmem.agent.0"
#define FOOTPRINT_S 60

/* One per process: libvirt's embedded driver opens only one root. */
static VmemTestbed *tb;

typedef struct {
	guint disconnected;
	guint hellos;
	guint reports;
	guint request_reports;
	guint block_reports; /* reason "blocks-changed": sent on memory uevents */
	gint64 requested_us;
	gint64 round_trip_us;
} Events;

static void
on_event(VmemAgentChannel *channel, VmemAgentChannelEvent event, gpointer user_data)
{
	Events *ev = user_data;
	const VmemAgentReport *report;

	if (event == VMEM_AGENT_CHANNEL_HELLO)
		ev->hellos++;
	if (event == VMEM_AGENT_CHANNEL_DISCONNECTED)
		ev->disconnected++;
	if (event != VMEM_AGENT_CHANNEL_REPORT)
		return;
	ev->reports++;
	report = vmem_agent_channel_get_report(channel, NULL);
	if (g_str_equal(report->reason, "blocks-changed"))
		ev->block_reports++;
	if (g_str_equal(report->reason, "request")) {
		ev->request_reports++;
		if (ev->requested_us != 0 && ev->round_trip_us == 0)
			ev->round_trip_us = g_get_monotonic_time() - ev->requested_us;
	}
}

static guint64
abs_diff(guint64 a, guint64 b)
{
	return a > b ? a - b : b - a;
}

/* Waits until the agent reports virtio-mem online memory within one memory
 * block of <current>. */
static const VmemAgentReport *
wait_online_matches(VmemAgentChannel *ch, Events *ev, guint64 current_kib)
{
	gint64 deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;

	for (;;) {
		const VmemAgentReport *r = vmem_agent_channel_get_report(ch, NULL);

		if (r != NULL && abs_diff(vmem_agent_report_get_online_bytes(r),
					  current_kib * 1024) <= r->block_size)
			return r;
		if (g_get_monotonic_time() > deadline) {
			g_autofree char *text =
				vmem_agent_view_format_text(vmem_agent_channel_get_hello(ch), r);

			g_error("agent never reported %" G_GUINT64_FORMAT " MiB online:\n%s",
				current_kib / KIB_PER_MIB, text);
		}
		vmem_test_wait_for(&ev->reports, ev->reports + 1, 30);
	}
}

static void
resize(VmemTestGuest *guest, guint64 mib)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(vmem_test_guest_set_requested(guest, ALIAS, mib * KIB_PER_MIB, &error));
	g_assert_no_error(error);
	g_assert_true(vmem_test_guest_wait_current(guest, ALIAS, mib * KIB_PER_MIB, 120, &error));
	g_assert_no_error(error);
}

/* VmRSS in KiB and utime + stime in clock ticks of the guest's agent. */
static void
agent_usage(VmemTestGuest *guest, guint64 *ret_rss_kib, guint64 *ret_ticks)
{
	g_autofree char *out = vmem_test_guest_output(
		guest, "p=$(pidof virtmem-agent); grep VmRSS /proc/$p/status | tr -s ' ' | "
		       "cut -d' ' -f2; cut -d' ' -f14,15 /proc/$p/stat");
	g_auto(GStrv) lines = g_strsplit(out, "\n", 0);
	g_auto(GStrv) ticks = NULL;

	g_assert_cmpuint(g_strv_length(lines), >=, 2);
	ticks = g_strsplit(lines[1], " ", 0);
	g_assert_cmpuint(g_strv_length(ticks), ==, 2);
	*ret_rss_kib = g_ascii_strtoull(lines[0], NULL, 10);
	*ret_ticks = g_ascii_strtoull(ticks[0], NULL, 10) + g_ascii_strtoull(ticks[1], NULL, 10);
	g_assert_cmpuint(*ret_rss_kib, >, 0);
}

static void
check_footprint(VmemTestGuest *guest)
{
	guint64 rss0 = 0, rss1 = 0, ticks0 = 0, ticks1 = 0;
	g_autofree char *hz =
		vmem_test_guest_output(guest, "getconf CLK_TCK 2>/dev/null || echo 100");
	guint64 clk_tck = g_ascii_strtoull(hz, NULL, 10);
	double cpu_percent;

	g_assert_cmpuint(clk_tck, >, 0);
	agent_usage(guest, &rss0, &ticks0);
	/* The host keeps reading (the loop runs), as virtmemd would. */
	vmem_test_spin(FOOTPRINT_S * 1000);
	agent_usage(guest, &rss1, &ticks1);
	cpu_percent = 100.0 * (double)(ticks1 - ticks0) / (double)clk_tck / FOOTPRINT_S;
	g_test_message("agent footprint at a 1 s interval over %d s: VmRSS %" G_GUINT64_FORMAT
		       " KiB -> %" G_GUINT64_FORMAT " KiB, CPU %" G_GUINT64_FORMAT
		       " ticks of 1/%" G_GUINT64_FORMAT " s = %.3f %% (TCG)",
		       FOOTPRINT_S, rss0, rss1, ticks1 - ticks0, clk_tck, cpu_percent);
	g_assert_cmpuint(rss1, <, 4 * 1024);
	/* The target is 0.1 %; TCG emulates every instruction, so allow more. */
	g_assert_cmpfloat(cpu_percent, <, 1.0);
}

/* Boots a guest and listens to its agent through libvirt until the first
 * hello. */
static VmemAgentChannel *
boot_and_listen(const char *name, const VmemTestGuestConfig *config, Events *ev,
		VmemTestGuest **ret_guest)
{
	g_autoptr(GError) error = NULL;
	VmemTestGuest *guest = vmem_test_guest_new(tb, name, config, &error);
	VmemAgentChannel *ch;

	g_assert_no_error(error);
	g_assert_true(vmem_test_guest_start(guest, &error));
	g_assert_no_error(error);
	ch = vmem_agent_channel_new_libvirt(vmem_test_guest_get_domain(guest));
	g_signal_connect(ch, "event", G_CALLBACK(on_event), ev);
	g_assert_true(vmem_agent_channel_start(ch, &error));
	g_assert_no_error(error);
	vmem_test_wait_for(&ev->hellos, 1, 60);
	*ret_guest = guest;
	return ch;
}

static void
test_agent_movable(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemAgentChannel) ch = NULL;
	g_autoptr(VmemAgentChannel) sock = NULL;
	g_autoptr(VmemAgentChannel) second = NULL;
	g_autofree char *text = NULL;
	VmemTestGuestConfig config;
	VmemTestGuest *guest;
	const VmemAgentReport *r;
	const VmemAgentDevice *dev;
	VmemAgentChannelStats stats;
	Events ev = {0}, sev = {0};
	guint64 seq_before;
	guint hellos_before;

	vmem_test_guest_config_init(&config);
	/* Through libvirt. */
	ch = boot_and_listen("agent", &config, &ev, &guest);
	vmem_test_wait_for(&ev.reports, 1, 60);
	g_assert_cmpuint(vmem_agent_channel_get_hello(ch)->protocol, ==, 1);

	/* One reader at a time: a second one is refused, saying why, and the
	 * first keeps the channel (it used to be taken away silently). */
	second = vmem_agent_channel_new_libvirt(vmem_test_guest_get_domain(guest));
	g_assert_false(vmem_agent_channel_start(second, &error));
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_BUSY);
	g_assert_nonnull(strstr(error->message, "one reader at a time"));
	g_clear_error(&error);
	g_clear_object(&second);
	vmem_test_spin(500);
	g_assert_true(vmem_agent_channel_is_connected(ch));
	g_assert_cmpuint(ev.disconnected, ==, 0);

	ev.requested_us = g_get_monotonic_time();
	g_assert_true(vmem_agent_channel_request_report(ch, &error));
	g_assert_no_error(error);
	vmem_test_wait_for(&ev.request_reports, 1, 30);
	g_test_message("report-now round trip through libvirt: %.3f s",
		       ev.round_trip_us / (double)G_USEC_PER_SEC);

	r = vmem_agent_channel_get_report(ch, NULL);
	g_assert_true(r->driver_loaded);
	g_assert_cmpuint(r->driver_devices, ==, 1);
	g_assert_cmpstr(r->auto_online_blocks, ==, "online_movable");
	g_assert_nonnull(r->kernel);
	g_assert_true(g_str_has_prefix(r->kernel, "6.12"));
	g_assert_true(r->has_memory);
	g_assert_true(r->has_psi);
	g_assert_cmpuint(r->devices->len, ==, 1);
	dev = g_ptr_array_index(r->devices, 0);
	g_assert_cmpuint(dev->size, ==, config.device_mib << 20);
	g_assert_cmpuint(dev->blocks, ==, 0);

	resize(guest, 1024);
	r = wait_online_matches(ch, &ev, 1024 * KIB_PER_MIB);
	/* Told by memory uevents, not only by the periodic report. */
	g_assert_cmpuint(ev.block_reports, >, 0);
	g_assert_cmpuint(vmem_agent_report_get_movable_bytes(r), ==,
			 vmem_agent_report_get_online_bytes(r));
	g_assert_false(vmem_agent_report_unplug_may_stick(r));
	text = vmem_agent_view_format_text(vmem_agent_channel_get_hello(ch), r);
	g_test_message("after growing to 1024 MiB:\n%s", text);

	resize(guest, 256);
	r = wait_online_matches(ch, &ev, 256 * KIB_PER_MIB);
	g_assert_false(vmem_agent_report_unplug_may_stick(r));

	check_footprint(guest);
	vmem_agent_channel_get_stats(ch, &stats);
	g_assert_cmpuint(stats.invalid, ==, 0);
	g_assert_cmpuint(stats.overlong, ==, 0);
	g_assert_cmpuint(stats.rate_limited, ==, 0);

	/* The agent is killed and started again: a new hello, reports go on. */
	seq_before = vmem_agent_channel_get_report(ch, NULL)->seq;
	hellos_before = ev.hellos;
	g_free(vmem_test_guest_output(
		guest, "killall virtmem-agent; sleep 0.5; /bin/virtmem-agent --port " AGENT_PORT
		       " </dev/null >/dev/null 2>&1 3>&- &"));
	/* (the agent may also have answered the channel's own hello request
	 * earlier: count from now) */
	vmem_test_wait_for(&ev.hellos, hellos_before + 1, 60);
	vmem_test_wait_for(&ev.reports, ev.reports + 1, 30);
	r = vmem_agent_channel_get_report(ch, NULL);
	g_assert_cmpuint(r->seq, <, seq_before);
	r = wait_online_matches(ch, &ev, 256 * KIB_PER_MIB);

	/* Through QEMU's unix socket, once libvirt's stream is gone. */
	g_clear_object(&ch);
	vmem_test_spin(200);
	sock = vmem_agent_channel_new_socket(vmem_test_guest_get_agent_socket(guest));
	g_signal_connect(sock, "event", G_CALLBACK(on_event), &sev);
	g_assert_true(vmem_agent_channel_start(sock, &error));
	g_assert_no_error(error);
	vmem_test_wait_for(&sev.hellos, 1, 60);
	vmem_test_wait_for(&sev.reports, 1, 30);
	resize(guest, 512);
	wait_online_matches(sock, &sev, 512 * KIB_PER_MIB);

	g_clear_object(&sock);
	/* Two TCG guests at once would starve each other. */
	g_assert_cmpint(virDomainDestroy(vmem_test_guest_get_domain(guest)), ==, 0);
}

static void
test_agent_zone_normal(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemAgentChannel) ch = NULL;
	g_autofree char *summary = NULL;
	VmemTestGuestConfig config;
	VmemTestGuest *guest;
	const VmemAgentReport *r;
	const VmemAgentDevice *dev;
	Events ev = {0};

	vmem_test_guest_config_init(&config);
	config.online_movable = FALSE;
	ch = boot_and_listen("agent-normal", &config, &ev, &guest);
	vmem_test_wait_for(&ev.reports, 1, 60);

	resize(guest, 512);
	r = wait_online_matches(ch, &ev, 512 * KIB_PER_MIB);
	g_assert_cmpstr(r->auto_online_blocks, !=, "online_movable");
	dev = g_ptr_array_index(r->devices, 0);
	g_assert_cmpuint(dev->normal, >, 0);
	g_assert_true(vmem_agent_report_unplug_may_stick(r));
	summary = vmem_agent_view_format_summary(r);
	g_test_message("%s", summary);

	g_clear_object(&ch);
	g_assert_cmpint(virDomainDestroy(vmem_test_guest_get_domain(guest)), ==, 0);
}

static void
test_agent_no_driver(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemAgentChannel) ch = NULL;
	VmemTestGuestConfig config;
	VmemTestGuest *guest;
	const VmemAgentReport *r;
	Events ev = {0};

	vmem_test_guest_config_init(&config);
	config.virtio_mem_driver = FALSE;
	ch = boot_and_listen("agent-nodrv", &config, &ev, &guest);
	vmem_test_wait_for(&ev.reports, 1, 60);
	r = vmem_agent_channel_get_report(ch, NULL);
	g_assert_false(r->driver_loaded);
	g_assert_cmpuint(r->driver_devices, ==, 0);
	g_assert_cmpuint(r->devices->len, ==, 0);
	g_assert_true(r->has_memory);

	g_clear_object(&ch);
	g_assert_cmpint(virDomainDestroy(vmem_test_guest_get_domain(guest)), ==, 0);
}

static void
test_agent_reboot(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemAgentChannel) ch = NULL;
	VmemTestGuestConfig config;
	VmemTestGuest *guest;
	VmemAgentChannelStats stats;
	Events ev = {0};
	guint hellos;

	vmem_test_guest_config_init(&config);
	config.reboot_restarts = TRUE;
	ch = boot_and_listen("agent-reboot", &config, &ev, &guest);
	resize(guest, 512);
	wait_online_matches(ch, &ev, 512 * KIB_PER_MIB);

	/* The guest reboots (virtio-mem unplugs everything, the driver plugs
	 * the requested size again): the agent of the new boot says hello. */
	hellos = ev.hellos;
	g_free(vmem_test_guest_output(guest,
				      "(sleep 1; reboot -f) </dev/null >/dev/null 2>&1 3>&- &"));
	vmem_test_wait_for(&ev.hellos, hellos + 1, 120);
	g_assert_true(vmem_test_guest_is_running(guest));
	g_assert_true(vmem_test_guest_wait_current(guest, ALIAS, 512 * KIB_PER_MIB, 120, &error));
	g_assert_no_error(error);
	wait_online_matches(ch, &ev, 512 * KIB_PER_MIB);
	vmem_agent_channel_get_stats(ch, &stats);
	g_test_message("across the reboot: %" G_GUINT64_FORMAT " connects, %" G_GUINT64_FORMAT
		       " lines, %" G_GUINT64_FORMAT " hellos, %" G_GUINT64_FORMAT
		       " reports, %" G_GUINT64_FORMAT " ignored, %" G_GUINT64_FORMAT
		       " invalid, %" G_GUINT64_FORMAT " rate-limited",
		       stats.connects, stats.lines, stats.hellos, stats.reports, stats.ignored,
		       stats.invalid, stats.rate_limited);
	g_assert_cmpuint(stats.rate_limited, ==, 0);

	/* The domain goes away under an open channel: it notices, keeps the
	 * last report and keeps trying to reconnect, without errors. */
	g_assert_cmpint(virDomainDestroy(vmem_test_guest_get_domain(guest)), ==, 0);
	vmem_test_wait_for(&ev.disconnected, 1, 30);
	g_assert_false(vmem_agent_channel_is_connected(ch));
	g_assert_nonnull(vmem_agent_channel_get_report(ch, NULL));
	vmem_test_spin(2500);
	g_clear_object(&ch);
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	int ret;

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/vm/agent/movable", test_agent_movable);
	g_test_add_func("/vm/agent/zone-normal", test_agent_zone_normal);
	g_test_add_func("/vm/agent/no-driver", test_agent_no_driver);
	g_test_add_func("/vm/agent/reboot", test_agent_reboot);
	tb = vmem_testbed_new(VMEM_TESTBED_EMBEDDED, &error);
	g_assert_no_error(error);
	ret = g_test_run();
	vmem_testbed_free(tb);
	g_assert_true(vmem_testbed_all_processes_gone());
	return ret;
}
