/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shrinks that cannot hurt a real guest.  Measured before: with 700 MB held
 * on tmpfs and 1 GiB plugged, a shrink to 256 MiB stalled at 384 MiB, and
 * telling the guest again (a kick) made it retry at once, run out of memory
 * and panic ("System is deadlocked on memory"); the domain rebooted, which
 * looked like a successful unplug.  Now an unplug is told again only when
 * a fresh guest report says the memory is free and movable, and every
 * phase checks that the guest did not reboot (its boot id).
 *
 * Also measured before: right after another resize, the shrink check
 * subtracted QEMU's plugged size from a MemTotal that had already dropped
 * and refused a safe shrink ("would leave the guest 0 B").
 */
#include "config.h"

#include "vmem-agent-channel.h"
#include "vmem-error.h"
#include "vmem-resize.h"
#include "vmem-testbed.h"

#define MIB G_GUINT64_CONSTANT(1048576)
#define ALIAS "ua-vmem0"
#define AGENT_PORT "/dev/virtio-ports/org.virtmem.agent.0"

typedef struct {
	VmemTestbed *tb;
	VmemTestGuest *guest;
	VmemBackend *backend;
	char *boot_id;
} Fixture;

/* The guest never rebooted or crashed since the test began. */
static void
assert_same_boot(Fixture *f)
{
	g_autofree char *boot_id = NULL;

	g_assert_true(vmem_test_guest_is_running(f->guest));
	boot_id = vmem_test_guest_output(f->guest, "cat /proc/sys/kernel/random/boot_id");
	g_assert_cmpstr(boot_id, ==, f->boot_id);
}

static void
on_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	*(GAsyncResult **)user_data = g_object_ref(result);
}

static GAsyncResult *
run_until(GAsyncResult **pending)
{
	while (*pending == NULL)
		g_main_context_iteration(NULL, TRUE);
	return g_steal_pointer(pending);
}

/* Resizes to @total_mib and follows the job for at most @timeout_s. */
static VmemJobState
resize(Fixture *f, guint64 total_mib, VmemAgentChannel *agent, guint timeout_s,
       VmemResizeProgress *ret_progress)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemResize) resize = vmem_resize_new(f->backend, "shrink", &error);
	g_autoptr(GAsyncResult) result = NULL;
	GAsyncResult *pending = NULL;
	VmemJobState state = VMEM_JOB_PLUGGING;

	g_assert_no_error(error);
	g_assert_true(vmem_resize_plan_total(resize, total_mib * MIB, &error));
	g_assert_true(vmem_resize_apply(resize, VMEM_RESIZE_LIVE, &error));
	g_assert_no_error(error);
	vmem_resize_set_agent(resize, agent);
	vmem_resize_wait_async(resize, timeout_s, NULL, on_done, &pending);
	result = run_until(&pending);
	g_assert_true(vmem_resize_wait_finish(resize, result, &state, &error));
	g_assert_no_error(error);
	vmem_resize_get_progress(resize, ret_progress);
	g_test_message("to %" G_GUINT64_FORMAT " MiB: %s, plugged %" G_GUINT64_FORMAT
		       " MiB after %.1f s, %u kicks",
		       total_mib, vmem_job_state_to_string(state), ret_progress->plugged / MIB,
		       ret_progress->elapsed_us / (double)G_USEC_PER_SEC, ret_progress->n_kicks);
	return state;
}

static VmemAgentChannel *
open_agent(Fixture *f)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemAgentChannel) channel = vmem_agent_channel_open(f->backend, "shrink", &error);
	g_autoptr(GAsyncResult) result = NULL;
	GAsyncResult *pending = NULL;

	g_assert_no_error(error);
	g_assert_true(vmem_agent_channel_start(channel, &error));
	g_assert_no_error(error);
	vmem_agent_channel_wait_report_async(channel, 60000, NULL, on_done, &pending);
	result = run_until(&pending);
	g_assert_nonnull(vmem_agent_channel_wait_report_finish(channel, result, &error));
	g_assert_no_error(error);
	return g_steal_pointer(&channel);
}

/* A fresh report's facts about the whole guest. */
static void
agent_facts(VmemAgentChannel *channel, VmemJobAgentFacts *ret_facts)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GAsyncResult) result = NULL;
	GAsyncResult *pending = NULL;
	const VmemAgentReport *report;

	vmem_agent_channel_wait_report_async(channel, 30000, NULL, on_done, &pending);
	result = run_until(&pending);
	report = vmem_agent_channel_wait_report_finish(channel, result, &error);
	g_assert_no_error(error);
	vmem_resize_agent_facts(report, NULL, ret_facts);
}

static void
test_shrink(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemAgentChannel) agent = NULL;
	g_autoptr(VmemResize) next = NULL;
	g_autofree char *ignored = NULL;
	VmemTestGuestConfig config;
	VmemResizeProgress progress;
	VmemJobAgentFacts facts;
	Fixture f = {0};

	f.tb = vmem_testbed_new(VMEM_TESTBED_EMBEDDED, &error);
	g_assert_no_error(error);
	vmem_test_guest_config_init(&config);
	f.guest = vmem_test_guest_new(f.tb, "shrink", &config, &error);
	g_assert_no_error(error);
	g_assert_true(vmem_test_guest_start(f.guest, &error));
	g_assert_no_error(error);
	f.backend = vmem_testbed_get_backend(f.tb, &error);
	g_assert_no_error(error);
	f.boot_id = vmem_test_guest_output(f.guest, "cat /proc/sys/kernel/random/boot_id");
	agent = open_agent(&f);

	/* A shrink checked while another resize still moves: what the guest
	 * keeps comes from one report (its memory without virtio-mem) and the
	 * request, not from a MemTotal that already dropped. */
	g_assert_cmpint(resize(&f, 2048, agent, 120, &progress), ==, VMEM_JOB_CONVERGED);
	next = vmem_resize_new(f.backend, "shrink", &error);
	g_assert_true(vmem_resize_plan_total(next, 1024 * MIB, &error));
	g_assert_true(vmem_resize_apply(next, VMEM_RESIZE_LIVE, &error));
	g_assert_no_error(error);
	g_clear_object(&next);
	agent_facts(agent, &facts);
	next = vmem_resize_new(f.backend, "shrink", &error);
	g_assert_true(vmem_resize_plan_total(next, 0, &error));
	g_test_message("guest: MemTotal %" G_GUINT64_FORMAT
		       " MiB, without virtio-mem %" G_GUINT64_FORMAT " MiB, uses %" G_GUINT64_FORMAT
		       " MiB",
		       facts.mem_total / MIB, facts.base / MIB, facts.mem_used / MIB);
	/* what it keeps is its boot memory (~400 MiB), not MemTotal minus
	 * QEMU's plugged size (0 B before) */
	g_assert_cmpuint(facts.base, >, 300 * MIB);
	g_assert_cmpuint(facts.base, <, 512 * MIB);
	if (!vmem_resize_check_shrink(next, &facts, FALSE, &error)) {
		/* refused only for the margin, with the right figure */
		g_test_message("%s", error->message);
		g_assert_null(strstr(error->message, "leave the guest 0 B"));
		g_clear_error(&error);
	}
	g_clear_object(&next);

	/* 1 GiB plugged, 700 MB held: the memory to unplug is in use.  The
	 * request itself makes the guest try once (it gets part of it); the
	 * agent says the rest is in use, so it is never told again. */
	g_assert_cmpint(resize(&f, 1024, agent, 120, &progress), ==, VMEM_JOB_CONVERGED);
	g_assert_true(vmem_test_guest_hold(f.guest, 700, &error));
	g_assert_no_error(error);
	g_assert_cmpint(resize(&f, 256, agent, 90, &progress), ==, VMEM_JOB_STUCK_UNPLUG);
	g_assert_cmpint(progress.stuck_reason, ==, VMEM_JOB_STUCK_IN_USE);
	g_assert_cmpuint(progress.n_kicks, ==, 0);
	g_assert_cmpuint(progress.plugged, >, 256 * MIB);
	assert_same_boot(&f);

	/* The same without an agent: what the guest uses is unknown, so no
	 * kick either.  (Every phase starts from a fresh request: telling a
	 * stalled guest the same size again is exactly the kick that hurts.) */
	g_assert_true(vmem_test_guest_release(f.guest, &error));
	g_assert_no_error(error);
	g_assert_cmpint(resize(&f, 1024, agent, 120, &progress), ==, VMEM_JOB_CONVERGED);
	g_assert_true(vmem_test_guest_hold(f.guest, 700, &error));
	g_assert_no_error(error);
	g_clear_object(&agent);
	g_free(vmem_test_guest_output(f.guest, "killall virtmem-agent; echo"));
	g_assert_cmpint(resize(&f, 256, NULL, 90, &progress), ==, VMEM_JOB_STUCK_UNPLUG);
	g_assert_cmpint(progress.stuck_reason, ==, VMEM_JOB_STUCK_UNKNOWN);
	g_assert_cmpuint(progress.n_kicks, ==, 0);
	assert_same_boot(&f);

	/* Freed, the guest gives the memory back. */
	g_assert_true(vmem_test_guest_release(f.guest, &error));
	g_assert_no_error(error);
	ignored = vmem_test_guest_output(f.guest, "/bin/virtmem-agent --port " AGENT_PORT
						  " </dev/null >/dev/null 2>&1 3>&- & echo");
	agent = open_agent(&f);
	g_assert_cmpint(resize(&f, 256, agent, 120, &progress), ==, VMEM_JOB_CONVERGED);
	assert_same_boot(&f);

	g_clear_object(&agent);
	g_free(f.boot_id);
	vmem_testbed_free(f.tb);
	g_assert_true(vmem_testbed_all_processes_gone());
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/vm/resize/shrink-safety", test_shrink);
	return g_test_run();
}
