/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Resize job classification, kick policy and shrink safety, as tables.
 */
#include "config.h"

#include "vmem-error.h"
#include "vmem-job.h"

#define MIB G_GUINT64_CONSTANT(1048576)
#define S G_USEC_PER_SEC
#define RUNNING VMEM_RUN_STATE_RUNNING

typedef struct {
	const char *name;
	guint64 requested_mib[2];
	guint64 plugged_mib[2];
	guint n_devices;
	VmemRunState run_state;
	gint64 since_progress_s;
	gint64 since_boot_s;
	gboolean plugged_since_boot;
	gboolean rebooted;
	gboolean agent_valid;
	gboolean agent_driver;
	VmemJobState expect;
} ClassifyCase;

/* clang-format off */
static const ClassifyCase classify_cases[] = {
	{"converged", {1024}, {1024}, 1, RUNNING, 100, 100, TRUE, FALSE, FALSE, FALSE,
	 VMEM_JOB_CONVERGED},
	{"converged-zero", {0}, {0}, 1, RUNNING, 100, 100, FALSE, FALSE, FALSE, FALSE,
	 VMEM_JOB_CONVERGED},
	{"converged-while-migrating", {512}, {512}, 1, VMEM_RUN_STATE_MIGRATING, 0, 10, TRUE,
	 FALSE, FALSE, FALSE, VMEM_JOB_CONVERGED},
	{"plugging", {1024}, {512}, 1, RUNNING, 1, 100, TRUE, FALSE, FALSE, FALSE,
	 VMEM_JOB_PLUGGING},
	{"plugging-slow-but-plugged-before", {1024}, {512}, 1, RUNNING, 29, 100, TRUE, FALSE,
	 FALSE, FALSE, VMEM_JOB_PLUGGING},
	{"plug-stalled", {1024}, {512}, 1, RUNNING, 30, 100, TRUE, FALSE, FALSE, FALSE,
	 VMEM_JOB_PLUG_STALLED},
	{"unplugging", {256}, {1024}, 1, RUNNING, 1, 100, TRUE, FALSE, FALSE, FALSE,
	 VMEM_JOB_UNPLUGGING},
	{"unplugging-almost-stuck", {256}, {1024}, 1, RUNNING, 14, 100, TRUE, FALSE, FALSE, FALSE,
	 VMEM_JOB_UNPLUGGING},
	{"stuck-unplug", {256}, {1024}, 1, RUNNING, 15, 100, TRUE, FALSE, FALSE, FALSE,
	 VMEM_JOB_STUCK_UNPLUG},
	{"stuck-one-of-two", {256, 1024}, {1024, 512}, 2, RUNNING, 20, 100, TRUE, FALSE, FALSE,
	 FALSE, VMEM_JOB_STUCK_UNPLUG},
	{"mixed-moving", {256, 1024}, {1024, 512}, 2, RUNNING, 1, 100, TRUE, FALSE, FALSE, FALSE,
	 VMEM_JOB_PLUGGING},
	{"paused-stalled-unplug", {256}, {1024}, 1, VMEM_RUN_STATE_PAUSED, 100, 100, TRUE, FALSE,
	 FALSE, FALSE, VMEM_JOB_NOT_RUNNING},
	{"shut-off", {1024}, {0}, 1, VMEM_RUN_STATE_SHUT_OFF, 100, -1, FALSE, FALSE, FALSE, FALSE,
	 VMEM_JOB_NOT_RUNNING},
	{"crashed", {1024}, {0}, 1, VMEM_RUN_STATE_CRASHED, 100, -1, FALSE, FALSE, FALSE, FALSE,
	 VMEM_JOB_NOT_RUNNING},
	{"migrating", {256}, {1024}, 1, VMEM_RUN_STATE_MIGRATING, 100, 100, TRUE, FALSE, FALSE,
	 FALSE, VMEM_JOB_BUSY},
	{"saving", {1024}, {0}, 1, VMEM_RUN_STATE_SAVING, 100, 100, FALSE, FALSE, FALSE, FALSE,
	 VMEM_JOB_BUSY},
	{"no-driver", {1024}, {0}, 1, RUNNING, 30, 30, FALSE, FALSE, FALSE, FALSE,
	 VMEM_JOB_NO_DRIVER},
	{"no-driver-boot-unknown", {1024}, {0}, 1, RUNNING, 30, -1, FALSE, FALSE, FALSE, FALSE,
	 VMEM_JOB_NO_DRIVER},
	{"just-booted", {1024}, {0}, 1, RUNNING, 30, 5, FALSE, FALSE, FALSE, FALSE,
	 VMEM_JOB_PLUGGING},
	{"waiting-for-driver", {1024}, {0}, 1, RUNNING, 29, 100, FALSE, FALSE, FALSE, FALSE,
	 VMEM_JOB_PLUGGING},
	{"agent-says-no-driver", {1024}, {0}, 1, RUNNING, 0, 100, FALSE, FALSE, TRUE, FALSE,
	 VMEM_JOB_NO_DRIVER},
	{"agent-says-driver", {1024}, {0}, 1, RUNNING, 29, 100, FALSE, FALSE, TRUE, TRUE,
	 VMEM_JOB_PLUGGING},
	{"agent-says-driver-but-nothing-plugs", {1024}, {0}, 1, RUNNING, 30, 100, FALSE, FALSE,
	 TRUE, TRUE, VMEM_JOB_PLUG_STALLED},
	{"replugging", {1024}, {512}, 1, RUNNING, 1, 2, TRUE, TRUE, FALSE, FALSE,
	 VMEM_JOB_REPLUGGING},
	{"rebooted-into-no-driver", {1024}, {0}, 1, RUNNING, 40, 40, FALSE, TRUE, FALSE, FALSE,
	 VMEM_JOB_NO_DRIVER},
	{"rebooted-then-converged", {1024}, {1024}, 1, RUNNING, 1, 2, TRUE, TRUE, FALSE, FALSE,
	 VMEM_JOB_CONVERGED},
};
/* clang-format on */

static void
test_classify(gconstpointer data)
{
	const ClassifyCase *c = data;
	VmemDevice devices[2] = {{0}};
	VmemJobTuning tuning;
	VmemJobFacts facts = {0};

	vmem_job_tuning_init(&tuning);
	for (guint i = 0; i < c->n_devices; i++) {
		devices[i].requested = c->requested_mib[i] * MIB;
		devices[i].plugged = c->plugged_mib[i] * MIB;
	}
	facts.devices = devices;
	facts.n_devices = c->n_devices;
	facts.run_state = c->run_state;
	facts.since_progress_us = c->since_progress_s * S;
	facts.since_boot_us = c->since_boot_s < 0 ? -1 : c->since_boot_s * S;
	facts.plugged_since_boot = c->plugged_since_boot;
	facts.rebooted = c->rebooted;
	facts.agent.valid = c->agent_valid;
	facts.agent.driver_loaded = c->agent_driver;
	g_assert_cmpstr(vmem_job_state_to_string(vmem_job_classify(&facts, &tuning)), ==,
			vmem_job_state_to_string(c->expect));
}

/* One observation of a timeline and the state expected right after it. */
typedef struct {
	gint64 t_s;
	VmemRunState run_state;
	guint64 requested_mib;
	guint64 plugged_mib;
	gboolean reset; /* a RESET event instead of an observation */
	VmemJobState expect;
} Step;

typedef struct {
	const char *name;
	gint64 boot_s; /* -1: unknown */
	Step steps[8];
	guint n_steps;
} TimelineCase;

/* clang-format off */
static const TimelineCase timeline_cases[] = {
	{"grow", 0,
	 {{10, RUNNING, 1024, 0, FALSE, VMEM_JOB_PLUGGING},
	  {11, RUNNING, 1024, 512, FALSE, VMEM_JOB_PLUGGING},
	  {12, RUNNING, 1024, 1024, FALSE, VMEM_JOB_CONVERGED}},
	 3},
	{"stuck-unplug", 0,
	 {{10, RUNNING, 256, 1024, FALSE, VMEM_JOB_UNPLUGGING},
	  {15, RUNNING, 256, 768, FALSE, VMEM_JOB_UNPLUGGING},
	  {29, RUNNING, 256, 768, FALSE, VMEM_JOB_UNPLUGGING},
	  {30, RUNNING, 256, 768, FALSE, VMEM_JOB_STUCK_UNPLUG},
	  /* data freed in the guest: it moves again */
	  {31, RUNNING, 256, 512, FALSE, VMEM_JOB_UNPLUGGING},
	  {32, RUNNING, 256, 256, FALSE, VMEM_JOB_CONVERGED}},
	 6},
	{"new-request-restarts-clock", 0,
	 {{10, RUNNING, 256, 1024, FALSE, VMEM_JOB_UNPLUGGING},
	  {30, RUNNING, 256, 1024, FALSE, VMEM_JOB_STUCK_UNPLUG},
	  {31, RUNNING, 512, 1024, FALSE, VMEM_JOB_UNPLUGGING}},
	 3},
	{"pause-resume-restarts-clock", 0,
	 {{10, RUNNING, 256, 1024, FALSE, VMEM_JOB_UNPLUGGING},
	  {20, VMEM_RUN_STATE_PAUSED, 256, 1024, FALSE, VMEM_JOB_NOT_RUNNING},
	  {60, RUNNING, 256, 1024, FALSE, VMEM_JOB_UNPLUGGING},
	  {75, RUNNING, 256, 1024, FALSE, VMEM_JOB_STUCK_UNPLUG}},
	 4},
	{"no-driver", 0,
	 {{1, RUNNING, 1024, 0, FALSE, VMEM_JOB_PLUGGING},
	  {30, RUNNING, 1024, 0, FALSE, VMEM_JOB_PLUGGING},
	  {31, RUNNING, 1024, 0, FALSE, VMEM_JOB_NO_DRIVER}},
	 3},
	{"reboot-seen-in-sizes", -1,
	 {{10, RUNNING, 1024, 1024, FALSE, VMEM_JOB_CONVERGED},
	  {20, RUNNING, 1024, 0, FALSE, VMEM_JOB_REPLUGGING},
	  {25, RUNNING, 1024, 512, FALSE, VMEM_JOB_REPLUGGING},
	  {26, RUNNING, 1024, 1024, FALSE, VMEM_JOB_CONVERGED}},
	 4},
	{"reboot-event", -1,
	 {{10, RUNNING, 1024, 512, FALSE, VMEM_JOB_PLUGGING},
	  {11, RUNNING, 0, 0, TRUE, VMEM_JOB_REPLUGGING},
	  {12, RUNNING, 1024, 0, FALSE, VMEM_JOB_REPLUGGING},
	  /* the new kernel has no driver */
	  {42, RUNNING, 1024, 0, FALSE, VMEM_JOB_NO_DRIVER}},
	 4},
	{"shrink-to-zero-is-no-reboot", 0,
	 {{10, RUNNING, 0, 1024, FALSE, VMEM_JOB_UNPLUGGING},
	  {11, RUNNING, 0, 0, FALSE, VMEM_JOB_CONVERGED}},
	 2},
	{"migration", 0,
	 {{10, RUNNING, 1024, 0, FALSE, VMEM_JOB_PLUGGING},
	  {11, VMEM_RUN_STATE_MIGRATING, 1024, 0, FALSE, VMEM_JOB_BUSY},
	  {50, RUNNING, 1024, 0, FALSE, VMEM_JOB_PLUGGING}},
	 3},
};
/* clang-format on */

static void
test_timeline(gconstpointer data)
{
	const TimelineCase *c = data;
	VmemJobTuning tuning;
	g_autoptr(VmemJob) job = NULL;

	vmem_job_tuning_init(&tuning);
	job = vmem_job_new(&tuning, c->steps[0].t_s * S, c->boot_s < 0 ? -1 : c->boot_s * S);
	for (guint i = 0; i < c->n_steps; i++) {
		const Step *step = &c->steps[i];
		VmemDevice dev = {.requested = step->requested_mib * MIB,
				  .plugged = step->plugged_mib * MIB};

		if (step->reset)
			vmem_job_note_reset(job, step->t_s * S);
		else
			vmem_job_observe(job, step->t_s * S, step->run_state, &dev, 1);
		g_test_message("step %u at %" G_GINT64_FORMAT " s", i, step->t_s);
		g_assert_cmpstr(vmem_job_state_to_string(vmem_job_get_state(job, step->t_s * S)),
				==, vmem_job_state_to_string(step->expect));
	}
}

static void
test_kick_delay(void)
{
	static const struct {
		guint n_kicks;
		gint64 expect_s;
	} cases[] = {{0, 2}, {1, 4}, {2, 8}, {4, 32}, {5, 60}, {6, 60}, {1000, 60}};
	VmemJobTuning tuning;

	vmem_job_tuning_init(&tuning);
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
		g_assert_cmpint(vmem_job_kick_delay(&tuning, cases[i].n_kicks), ==,
				cases[i].expect_s * S);
}

/* A stalled unplug is kicked after 2 s, then after 4, 8, ...; progress
 * starts over. */
static void
test_kick_backoff(void)
{
	static const struct {
		gint64 t_s;
		guint64 plugged_mib;
		gboolean expect_due;
	} steps[] = {
		{0, 1024, FALSE}, {1, 1024, FALSE}, {2, 1024, TRUE},   {3, 1024, FALSE},
		{5, 1024, FALSE}, {6, 1024, TRUE},  {13, 1024, FALSE}, {14, 1024, TRUE},
		{15, 768, FALSE}, {16, 768, FALSE}, {17, 768, TRUE},   {18, 256, FALSE},
		{30, 256, FALSE},
	};
	/* a fresh report: the memory to unplug is free and movable */
	const VmemJobAgentFacts agent = {.valid = TRUE,
					 .driver_loaded = TRUE,
					 .mem_total = 2048 * MIB,
					 .mem_used = 100 * MIB,
					 .mem_available = 1948 * MIB,
					 .base = 1024 * MIB,
					 .online = 1024 * MIB,
					 .movable = 1024 * MIB};
	VmemJobTuning tuning;
	g_autoptr(VmemJob) job = NULL;

	vmem_job_tuning_init(&tuning);
	job = vmem_job_new(&tuning, 0, 0);
	for (guint i = 0; i < G_N_ELEMENTS(steps); i++) {
		VmemDevice dev = {.requested = 256 * MIB, .plugged = steps[i].plugged_mib * MIB};
		gint64 now = steps[i].t_s * S;

		vmem_job_observe(job, now, RUNNING, &dev, 1);
		vmem_job_set_agent(job, now, &agent);
		g_test_message("at %" G_GINT64_FORMAT " s", steps[i].t_s);
		g_assert_cmpint(vmem_job_kick_due(job, now), ==, steps[i].expect_due);
		if (steps[i].expect_due)
			vmem_job_kicked(job, now);
	}
}

static void
test_no_kick_when_busy_or_absent(void)
{
	VmemJobTuning tuning;
	g_autoptr(VmemJob) job = NULL;
	VmemDevice dev = {.requested = 1024 * MIB};

	vmem_job_tuning_init(&tuning);
	job = vmem_job_new(&tuning, 0, 0);
	vmem_job_observe(job, 0, VMEM_RUN_STATE_MIGRATING, &dev, 1);
	g_assert_false(vmem_job_kick_due(job, 10 * S));
	vmem_job_observe(job, 10 * S, RUNNING, &dev, 1);
	g_assert_true(vmem_job_kick_due(job, 12 * S));
	/* no driver: setting the size again cannot help */
	g_assert_false(vmem_job_kick_due(job, 50 * S));
	g_assert_cmpint(vmem_job_get_state(job, 50 * S), ==, VMEM_JOB_NO_DRIVER);
}

/* An unplug is told again only when a fresh report says the memory to
 * unplug is free and movable; otherwise it is over as soon as it is stuck:
 * a kick made a real guest holding data run out of memory and panic. */
typedef struct {
	const char *name;
	gboolean has_report;
	gint64 report_age_s;
	guint64 available_mib;
	guint64 movable_mib;
	VmemJobStuckReason expect;
} StuckCase;

static const StuckCase stuck_cases[] = {
	{"no-report", FALSE, 0, 0, 0, VMEM_JOB_STUCK_UNKNOWN},
	{"stale-report", TRUE, 6, 4096, 1024, VMEM_JOB_STUCK_UNKNOWN},
	/* 768 MiB to unplug and a 256 MiB margin: 1000 MiB are not enough */
	{"in-use", TRUE, 0, 1000, 1024, VMEM_JOB_STUCK_IN_USE},
	{"not-movable", TRUE, 0, 4096, 512, VMEM_JOB_STUCK_NOT_MOVABLE},
	{"free-and-movable", TRUE, 5, 4096, 1024, VMEM_JOB_STUCK_KICKED},
};

static void
test_stuck(gconstpointer data)
{
	const StuckCase *c = data;
	const VmemDevice dev = {.requested = 256 * MIB, .plugged = 1024 * MIB};
	const VmemJobAgentFacts agent = {.valid = TRUE,
					 .driver_loaded = TRUE,
					 .mem_total = 8192 * MIB,
					 .mem_used = 8192 * MIB - c->available_mib * MIB,
					 .mem_available = c->available_mib * MIB,
					 .online = 1024 * MIB,
					 .movable = c->movable_mib * MIB};
	gboolean may_kick = c->expect == VMEM_JOB_STUCK_KICKED;
	VmemJobTuning tuning;
	g_autoptr(VmemJob) job = NULL;

	vmem_job_tuning_init(&tuning);
	job = vmem_job_new(&tuning, 0, 0);
	vmem_job_observe(job, 0, RUNNING, &dev, 1);
	for (gint64 t = 1; t <= 16; t++) {
		if (c->has_report)
			vmem_job_set_agent(job, (t - c->report_age_s) * S, &agent);
		vmem_job_observe(job, t * S, RUNNING, &dev, 1);
		/* kicks after 2 s without progress, then 4 and 8 s later, and
		 * only when safe */
		g_assert_cmpint(vmem_job_kick_due(job, t * S), ==,
				may_kick && (t == 2 || t == 6 || t == 14));
		if (vmem_job_kick_due(job, t * S))
			vmem_job_kicked(job, t * S);
		/* over once stuck: not safe, nothing to wait for; safe, told
		 * again as often as the tuning allows */
		g_assert_cmpint(vmem_job_is_over(job, t * S), ==, t >= 15);
	}
	g_assert_cmpint(vmem_job_get_state(job, 16 * S), ==, VMEM_JOB_STUCK_UNPLUG);
	g_assert_cmpint(vmem_job_get_stuck_reason(job, 16 * S), ==, c->expect);
}

/* The guest says at once what it has online, QEMU at most once a second. */
static void
test_agent_online(void)
{
	const VmemDevice asked = {.requested = 1024 * MIB, .plugged = 0};
	const VmemDevice plugged = {.requested = 1024 * MIB, .plugged = 1024 * MIB};
	VmemJobAgentFacts agent = {.valid = TRUE, .driver_loaded = TRUE, .mem_total = 1536 * MIB};
	VmemJobTuning tuning;
	g_autoptr(VmemJob) job = NULL;

	vmem_job_tuning_init(&tuning);
	job = vmem_job_new(&tuning, 10 * S, 0);
	vmem_job_observe(job, 10 * S, RUNNING, &asked, 1);
	/* a report from before the job says nothing about it */
	agent.online = 1024 * MIB;
	vmem_job_set_agent(job, 9 * S, &agent);
	g_assert_cmpint(vmem_job_get_state(job, 10 * S), ==, VMEM_JOB_PLUGGING);
	agent.online = 512 * MIB;
	vmem_job_set_agent(job, 10 * S + 100000, &agent);
	g_assert_cmpint(vmem_job_get_state(job, 10 * S + 100000), ==, VMEM_JOB_PLUGGING);
	agent.online = 1024 * MIB;
	vmem_job_set_agent(job, 10 * S + 200000, &agent);
	g_assert_cmpint(vmem_job_get_state(job, 10 * S + 200000), ==, VMEM_JOB_CONVERGED);
	g_assert_true(vmem_job_is_over(job, 10 * S + 200000));

	/* plugged, but the guest left it offline (Debian 12's own kernel) */
	job = (vmem_job_free(job), vmem_job_new(&tuning, 10 * S, 0));
	vmem_job_observe(job, 10 * S, RUNNING, &asked, 1);
	vmem_job_observe(job, 11 * S, RUNNING, &plugged, 1);
	agent.online = 0;
	agent.offline = 1024 * MIB;
	/* (a report from before the plug ended proves nothing) */
	vmem_job_set_agent(job, 10 * S + 500000, &agent);
	g_assert_cmpint(vmem_job_get_state(job, 11 * S), ==, VMEM_JOB_CONVERGED);
	vmem_job_set_agent(job, 11 * S + 100000, &agent);
	g_assert_cmpint(vmem_job_get_state(job, 11 * S + 100000), ==, VMEM_JOB_NOT_ONLINE);
	g_assert_true(vmem_job_is_over(job, 11 * S + 100000));
}

typedef struct {
	const char *name;
	guint64 plugged_mib;
	guint64 requested_mib;
	gboolean agent_valid;
	guint64 total_mib;
	guint64 used_mib;
	gboolean force;
	gboolean expect_ok;
	const char *expect_message_part;
	gint64 online_mib; /* virtio-mem online per the report; -1: plugged_mib */
} ShrinkCase;

static const ShrinkCase shrink_cases[] = {
	/* Measured: 2 GiB plugged, 1 GiB requested and moving, MemTotal already
	 * down to boot memory + 1 GiB while QEMU still says 2 GiB: a shrink to 0
	 * keeps the ~400 MiB of boot memory, which is enough. */
	{"while-another-moves", 2048, 0, TRUE, 400 + 1024, 57, FALSE, TRUE, NULL, 1024},
	{"while-another-moves-too-much", 2048, 0, TRUE, 400 + 1024, 300, FALSE, FALSE,
	 "leave the guest 400 MiB of memory while it uses 300 MiB", 1024},
	{"safe", 2048, 1024, TRUE, 2560, 1024, FALSE, TRUE, NULL, -1},
	{"exactly-the-margin", 2048, 1024, TRUE, 2560, 1280, FALSE, TRUE, NULL, -1},
	{"inside-the-margin", 2048, 1024, TRUE, 2560, 1300, FALSE, FALSE,
	 "leave the guest 1.5 GiB of memory while it uses 1300 MiB and needs a margin of 256 MiB",
	 -1},
	/* the OOM panic measured on a real guest: 600 MB used, asked for 0 */
	{"to-zero-with-data", 1434, 0, TRUE, 1434 + 480, 600, FALSE, FALSE, "while it uses 600 MiB",
	 -1},
	{"percentage-margin", 8192, 1024, TRUE, 10240, 2800, FALSE, FALSE, "a margin of 280 MiB",
	 -1},
	{"forced", 1434, 0, TRUE, 1914, 600, TRUE, TRUE, NULL, -1},
	{"no-agent", 1434, 0, FALSE, 0, 0, FALSE, TRUE, NULL, -1},
	{"grow", 1024, 2048, TRUE, 1500, 1400, FALSE, TRUE, NULL, -1},
	{"removes-more-than-total", 4096, 0, TRUE, 1024, 100, FALSE, FALSE, "leave the guest 0 B",
	 -1},
};

static void
test_shrink(gconstpointer data)
{
	const ShrinkCase *c = data;
	VmemJobTuning tuning;
	guint64 online = (c->online_mib < 0 ? c->plugged_mib : (guint64)c->online_mib) * MIB;
	VmemJobAgentFacts agent = {
		.valid = c->agent_valid,
		.driver_loaded = TRUE,
		.mem_total = c->total_mib * MIB,
		.mem_used = c->used_mib * MIB,
		.mem_available = (c->total_mib - MIN(c->used_mib, c->total_mib)) * MIB,
		.base = c->total_mib * MIB > online ? c->total_mib * MIB - online : 0,
		.online = online,
	};
	g_autoptr(GError) error = NULL;
	gboolean ok;

	vmem_job_tuning_init(&tuning);
	ok = vmem_job_check_shrink(&tuning, c->plugged_mib * MIB, c->requested_mib * MIB, 0, &agent,
				   c->force, &error);
	if (c->expect_ok) {
		g_assert_no_error(error);
		g_assert_true(ok);
		return;
	}
	g_assert_false(ok);
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, c->expect_message_part));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (guint i = 0; i < G_N_ELEMENTS(classify_cases); i++) {
		g_autofree char *path = g_strdup_printf("/job/classify/%s", classify_cases[i].name);
		g_test_add_data_func(path, &classify_cases[i], test_classify);
	}
	for (guint i = 0; i < G_N_ELEMENTS(timeline_cases); i++) {
		g_autofree char *path = g_strdup_printf("/job/timeline/%s", timeline_cases[i].name);
		g_test_add_data_func(path, &timeline_cases[i], test_timeline);
	}
	g_test_add_func("/job/kick/delay", test_kick_delay);
	g_test_add_func("/job/kick/backoff", test_kick_backoff);
	g_test_add_func("/job/kick/not-when-busy-or-absent", test_no_kick_when_busy_or_absent);
	for (guint i = 0; i < G_N_ELEMENTS(stuck_cases); i++) {
		g_autofree char *path = g_strdup_printf("/job/stuck/%s", stuck_cases[i].name);
		g_test_add_data_func(path, &stuck_cases[i], test_stuck);
	}
	g_test_add_func("/job/agent/online", test_agent_online);
	for (guint i = 0; i < G_N_ELEMENTS(shrink_cases); i++) {
		g_autofree char *path = g_strdup_printf("/job/shrink/%s", shrink_cases[i].name);
		g_test_add_data_func(path, &shrink_cases[i], test_shrink);
	}
	return g_test_run();
}
