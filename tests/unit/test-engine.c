/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The policy engine: one table case per rule (src/policy/vmem-engine.c,
 * vmem-engine-host.c), host arbitration cases, and properties checked on
 * random, seeded inputs.  `-m perf` also times 10,000 decisions
 * (bench/policy reads that line).
 */
#include "config.h"

#include <glib.h>

#include "vmem-engine.h"
#include "vmem-size.h"

#define MIB VMEM_SIZE_MIB
#define BASE (1024 * MIB)
#define NOW 1000.0
#define NEVER VMEM_ENGINE_NEVER

typedef struct {
	const char *name;
	VmemPolicyMode mode;
	VmemEngineState state;
	guint64 requested, plugged; /* MiB */
	gboolean report;
	guint64 used; /* MiB */
	double age, psi;
	gboolean zones;
	gint64 movable; /* MiB, -1: all plugged */
	gboolean may_stick;
	guint64 min, max; /* MiB; max 0: 8 GiB */
	double last_grow, excess_since;
	gboolean stuck;
	guint64 stuck_used; /* MiB */
	VmemEngineAction action;
	gint64 expect; /* MiB, -1: unchanged */
	const char *reason;
	gboolean ahead;	  /* the last grow was only ahead of a rise */
	gboolean balloon; /* the report is libvirt's balloon statistics */
} EngineCase;

#define R VMEM_ENGINE_STATE_RUNNING
#define AUTO VMEM_POLICY_MODE_AUTO

static const EngineCase engine_cases[] = {
	{"off",
	 VMEM_POLICY_MODE_OFF,
	 R,
	 1024,
	 1024,
	 TRUE,
	 800,
	 0,
	 0,
	 TRUE,
	 -1,
	 FALSE,
	 0,
	 0,
	 NEVER,
	 NEVER,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_NONE,
	 -1,
	 "off:"},
	{"manual",
	 VMEM_POLICY_MODE_MANUAL,
	 R,
	 1024,
	 1024,
	 TRUE,
	 2000,
	 0,
	 0,
	 TRUE,
	 -1,
	 FALSE,
	 0,
	 0,
	 NEVER,
	 NEVER,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_NONE,
	 -1,
	 "manual:"},
	{"migrating",
	 AUTO,
	 VMEM_ENGINE_STATE_MIGRATING,
	 1024,
	 1024,
	 TRUE,
	 2000,
	 0,
	 0,
	 TRUE,
	 -1,
	 FALSE,
	 0,
	 0,
	 NEVER,
	 NEVER,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_HOLD,
	 -1,
	 "hold: busy migrating"},
	{"saving",
	 AUTO,
	 VMEM_ENGINE_STATE_SAVING,
	 1024,
	 1024,
	 TRUE,
	 2000,
	 0,
	 0,
	 TRUE,
	 -1,
	 FALSE,
	 0,
	 0,
	 NEVER,
	 NEVER,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_HOLD,
	 -1,
	 "hold: busy saving"},
	{"paused",
	 AUTO,
	 VMEM_ENGINE_STATE_PAUSED,
	 1024,
	 1024,
	 TRUE,
	 2000,
	 0,
	 0,
	 TRUE,
	 -1,
	 FALSE,
	 0,
	 0,
	 NEVER,
	 NEVER,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_HOLD,
	 -1,
	 "hold: guest paused"},
	{"stopped",
	 AUTO,
	 VMEM_ENGINE_STATE_STOPPED,
	 1024,
	 0,
	 FALSE,
	 0,
	 0,
	 0,
	 FALSE,
	 -1,
	 FALSE,
	 0,
	 0,
	 NEVER,
	 NEVER,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_HOLD,
	 -1,
	 "hold: domain stopped"},
	{"rebooted",
	 AUTO,
	 VMEM_ENGINE_STATE_REBOOTED,
	 2048,
	 0,
	 FALSE,
	 0,
	 0,
	 0,
	 FALSE,
	 -1,
	 FALSE,
	 0,
	 0,
	 NEVER,
	 NEVER,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_RESTORE,
	 2048,
	 "restore: guest rebooted"},
	{"rebooted-above-max",
	 AUTO,
	 VMEM_ENGINE_STATE_REBOOTED,
	 2048,
	 0,
	 FALSE,
	 0,
	 0,
	 0,
	 FALSE,
	 -1,
	 FALSE,
	 0,
	 1024,
	 NEVER,
	 NEVER,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_RESTORE,
	 1024,
	 "restore:"},
	{"no-report-below-min",
	 AUTO,
	 R,
	 0,
	 0,
	 FALSE,
	 0,
	 0,
	 0,
	 FALSE,
	 -1,
	 FALSE,
	 512,
	 0,
	 NEVER,
	 NEVER,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_GROW,
	 512,
	 "grow: below the policy minimum 512 MiB"},
	{"no-report",
	 AUTO,
	 R,
	 1024,
	 1024,
	 FALSE,
	 0,
	 0,
	 0,
	 FALSE,
	 -1,
	 FALSE,
	 0,
	 0,
	 NEVER,
	 NEVER,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_HOLD,
	 -1,
	 "hold: no guest report"},
	{"grow-deficit",
	 AUTO,
	 R,
	 1024,
	 1024,
	 TRUE,
	 1900,
	 0,
	 0,
	 TRUE,
	 -1,
	 FALSE,
	 0,
	 0,
	 NEVER,
	 NEVER,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_GROW,
	 1432,
	 "grow: guest available 7 % < buffer 20 %"},
	{"grow-capped-at-max",
	 AUTO,
	 R,
	 1024,
	 1024,
	 TRUE,
	 1900,
	 0,
	 0,
	 TRUE,
	 -1,
	 FALSE,
	 0,
	 1200,
	 NEVER,
	 NEVER,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_GROW,
	 1200,
	 "grow:"},
	{"at-max",
	 AUTO,
	 R,
	 1200,
	 1200,
	 TRUE,
	 2100,
	 0,
	 0,
	 TRUE,
	 -1,
	 FALSE,
	 0,
	 1200,
	 NEVER,
	 NEVER,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_HOLD,
	 -1,
	 "hold: at the policy maximum 1200 MiB"},
	{"grow-cooldown",
	 AUTO,
	 R,
	 1024,
	 1024,
	 TRUE,
	 1600,
	 0,
	 0,
	 TRUE,
	 -1,
	 FALSE,
	 0,
	 0,
	 NOW - 0.5,
	 NEVER,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_HOLD,
	 -1,
	 "hold: grow cooldown"},
	{"below-buffer-ignores-cooldown",
	 AUTO,
	 R,
	 1024,
	 1024,
	 TRUE,
	 1700,
	 0,
	 0,
	 TRUE,
	 -1,
	 FALSE,
	 0,
	 0,
	 NOW - 0.5,
	 NEVER,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_GROW,
	 1182,
	 "grow: guest available 16 % < buffer 20 %"},
	{"below-floor-ignores-cooldown",
	 AUTO,
	 R,
	 1024,
	 1024,
	 TRUE,
	 2000,
	 0,
	 0,
	 TRUE,
	 -1,
	 FALSE,
	 0,
	 0,
	 NOW - 0.5,
	 NEVER,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_GROW,
	 1556,
	 "grow:"},
	{"grow-psi",
	 AUTO,
	 R,
	 1024,
	 1024,
	 TRUE,
	 1500,
	 0,
	 30,
	 TRUE,
	 -1,
	 FALSE,
	 0,
	 0,
	 NEVER,
	 NEVER,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_GROW,
	 1152,
	 "grow: guest memory pressure 30 %"},
	{"steady",
	 AUTO,
	 R,
	 1024,
	 1024,
	 TRUE,
	 1574,
	 0,
	 0,
	 TRUE,
	 -1,
	 FALSE,
	 0,
	 0,
	 NEVER,
	 NEVER,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_NONE,
	 -1,
	 "steady:"},
	{"grow-headroom",
	 AUTO,
	 R,
	 1024,
	 1024,
	 TRUE,
	 1638,
	 0,
	 0,
	 TRUE,
	 -1,
	 FALSE,
	 0,
	 0,
	 NEVER,
	 NEVER,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_GROW,
	 1104,
	 "grow: guest available 20 % close to buffer 20 %, headroom"},
	{"balloon-grows-earlier",
	 AUTO,
	 R,
	 1024,
	 1024,
	 TRUE,
	 1574,
	 0,
	 0,
	 FALSE,
	 -1,
	 FALSE,
	 0,
	 0,
	 NEVER,
	 NEVER,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_GROW,
	 1104,
	 "grow: guest available 23 % close to buffer 20 %, balloon statistics lag",
	 FALSE,
	 TRUE},
	{"shrink-waits-for-excess-to-last",
	 AUTO,
	 R,
	 1024,
	 1024,
	 TRUE,
	 800,
	 0,
	 0,
	 TRUE,
	 -1,
	 FALSE,
	 0,
	 0,
	 NEVER,
	 NEVER,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_HOLD,
	 -1,
	 "hold: shrink cooldown"},
	{"shrink-one-step",
	 AUTO,
	 R,
	 1024,
	 1024,
	 TRUE,
	 1400,
	 0,
	 0,
	 TRUE,
	 -1,
	 FALSE,
	 0,
	 0,
	 NEVER,
	 NOW - 31,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_SHRINK,
	 896,
	 "shrink: guest available 31 % > buffer 20 %"},
	{"shrink-half-the-excess",
	 AUTO,
	 R,
	 1024,
	 1024,
	 TRUE,
	 800,
	 0,
	 0,
	 TRUE,
	 -1,
	 FALSE,
	 0,
	 0,
	 NEVER,
	 NOW - 31,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_SHRINK,
	 640,
	 "shrink: guest available 60 % > buffer 20 %"},
	{"shrink-large-excess-sooner",
	 AUTO,
	 R,
	 1024,
	 1024,
	 TRUE,
	 800,
	 0,
	 0,
	 TRUE,
	 -1,
	 FALSE,
	 0,
	 0,
	 NEVER,
	 NOW - 5,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_SHRINK,
	 640,
	 "shrink: guest available 60 % > buffer 20 %"},
	{"shrink-small-excess-waits",
	 AUTO,
	 R,
	 1024,
	 1024,
	 TRUE,
	 1400,
	 0,
	 0,
	 TRUE,
	 -1,
	 FALSE,
	 0,
	 0,
	 NEVER,
	 NOW - 5,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_HOLD,
	 -1,
	 "hold: shrink cooldown"},
	{"shrink-needs-fresh-report",
	 AUTO,
	 R,
	 1024,
	 1024,
	 TRUE,
	 800,
	 60,
	 0,
	 TRUE,
	 -1,
	 FALSE,
	 0,
	 0,
	 NEVER,
	 NOW - 31,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_HOLD,
	 -1,
	 "hold: no fresh guest report to shrink"},
	{"shrink-cooldown-after-grow",
	 AUTO,
	 R,
	 1024,
	 1024,
	 TRUE,
	 800,
	 0,
	 0,
	 TRUE,
	 -1,
	 FALSE,
	 0,
	 0,
	 NOW - 10,
	 NOW - 31,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_HOLD,
	 -1,
	 "hold: shrink cooldown"},
	{"shrink-after-grow-ahead",
	 AUTO,
	 R,
	 1024,
	 1024,
	 TRUE,
	 800,
	 0,
	 0,
	 TRUE,
	 -1,
	 FALSE,
	 0,
	 0,
	 NOW - 10,
	 NOW - 31,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_SHRINK,
	 640,
	 "shrink: guest available 60 % > buffer 20 %",
	 TRUE},
	{"shrink-not-below-target",
	 AUTO,
	 R,
	 1024,
	 1024,
	 TRUE,
	 1500,
	 0,
	 0,
	 TRUE,
	 -1,
	 FALSE,
	 0,
	 0,
	 NEVER,
	 NOW - 31,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_SHRINK,
	 932,
	 "shrink:"},
	{"balloon-keeps-more",
	 AUTO,
	 R,
	 1024,
	 1024,
	 TRUE,
	 1500,
	 0,
	 0,
	 FALSE,
	 -1,
	 FALSE,
	 0,
	 0,
	 NEVER,
	 NOW - 31,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_SHRINK,
	 1012,
	 "shrink:",
	 FALSE,
	 TRUE},
	{"shrink-not-below-min",
	 AUTO,
	 R,
	 1024,
	 1024,
	 TRUE,
	 800,
	 0,
	 0,
	 TRUE,
	 -1,
	 FALSE,
	 1000,
	 0,
	 NEVER,
	 NOW - 31,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_SHRINK,
	 1000,
	 "shrink:"},
	{"shrink-waits-for-unplug",
	 AUTO,
	 R,
	 1024,
	 1152,
	 TRUE,
	 800,
	 0,
	 0,
	 TRUE,
	 -1,
	 FALSE,
	 0,
	 0,
	 NEVER,
	 NOW - 31,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_HOLD,
	 -1,
	 "hold: unplug in progress"},
	{"shrink-movable-bound",
	 AUTO,
	 R,
	 1024,
	 1024,
	 TRUE,
	 800,
	 0,
	 0,
	 TRUE,
	 64,
	 FALSE,
	 0,
	 0,
	 NEVER,
	 NOW - 31,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_SHRINK,
	 960,
	 "shrink:"},
	{"shrink-nothing-movable",
	 AUTO,
	 R,
	 1024,
	 1024,
	 TRUE,
	 800,
	 0,
	 0,
	 TRUE,
	 0,
	 TRUE,
	 0,
	 0,
	 NEVER,
	 NOW - 31,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_HOLD,
	 -1,
	 "hold: no movable memory to unplug"},
	{"shrink-may-stick-no-zones",
	 AUTO,
	 R,
	 1024,
	 1024,
	 TRUE,
	 800,
	 0,
	 0,
	 FALSE,
	 -1,
	 TRUE,
	 0,
	 0,
	 NEVER,
	 NOW - 31,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_HOLD,
	 -1,
	 "hold: the guest says an unplug may stick"},
	{"stuck-backs-off",
	 AUTO,
	 R,
	 512,
	 1024,
	 TRUE,
	 800,
	 0,
	 0,
	 TRUE,
	 -1,
	 FALSE,
	 0,
	 0,
	 NEVER,
	 NOW - 31,
	 TRUE,
	 800,
	 VMEM_ENGINE_ACTION_BACK_OFF,
	 1024,
	 "back off: unplug stuck, 700 MiB in ZONE_NORMAL"},
	{"stuck-retries-when-report-changes",
	 AUTO,
	 R,
	 1024,
	 1024,
	 TRUE,
	 800,
	 0,
	 0,
	 TRUE,
	 -1,
	 FALSE,
	 0,
	 0,
	 NEVER,
	 NOW - 31,
	 TRUE,
	 1056,
	 VMEM_ENGINE_ACTION_SHRINK,
	 640,
	 "shrink:"},
	{"stuck-still-grows",
	 AUTO,
	 R,
	 1024,
	 1024,
	 TRUE,
	 1900,
	 0,
	 0,
	 TRUE,
	 -1,
	 FALSE,
	 0,
	 0,
	 NEVER,
	 NEVER,
	 TRUE,
	 1900,
	 VMEM_ENGINE_ACTION_GROW,
	 1432,
	 "grow:"},
	{"above-max-shrinks-at-once",
	 AUTO,
	 R,
	 2048,
	 2048,
	 TRUE,
	 500,
	 0,
	 0,
	 TRUE,
	 -1,
	 FALSE,
	 0,
	 1024,
	 NEVER,
	 NEVER,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_SHRINK,
	 1024,
	 "shrink: above the policy maximum 1 GiB"},
	{"above-max-not-below-floor",
	 AUTO,
	 R,
	 2048,
	 2048,
	 TRUE,
	 2500,
	 0,
	 0,
	 TRUE,
	 -1,
	 FALSE,
	 0,
	 1024,
	 NEVER,
	 NEVER,
	 FALSE,
	 0,
	 VMEM_ENGINE_ACTION_SHRINK,
	 1630,
	 "shrink: above"},
};

static guint64
round_up(guint64 value, guint64 block)
{
	return (value + block - 1) / block * block;
}

/* A random multiple of @unit, at most @max */
static guint64
random_multiple(GRand *rand, guint64 max, guint64 unit)
{
	return (guint64)g_rand_int_range(rand, 0, (gint32)(max / unit) + 1) * unit;
}

static guint64
sum_devices(GPtrArray *devices, gboolean plugged)
{
	guint64 sum = 0;

	for (guint i = 0; i < devices->len; i++) {
		const VmemDevice *dev = devices->pdata[i];

		sum += plugged ? dev->plugged : dev->requested;
	}
	return sum;
}

static VmemPolicyDef *
make_policy(VmemPolicyMode mode, guint64 min_mib, guint64 max_mib, guint priority)
{
	VmemPolicyDef *policy = vmem_policy_def_new();

	policy->has_mode = TRUE;
	policy->mode = mode;
	policy->has_min = TRUE;
	policy->min_kib = min_mib * 1024;
	if (max_mib != 0) {
		policy->has_max = TRUE;
		policy->max_kib = max_mib * 1024;
	}
	policy->has_priority = TRUE;
	policy->priority = priority;
	vmem_policy_def_postparse(policy, 8 * 1024 * 1024, 2048);
	return policy;
}

static GPtrArray *
make_devices(guint n, guint64 size, guint64 block, guint64 requested, guint64 plugged)
{
	GPtrArray *devices = g_ptr_array_new_with_free_func((GDestroyNotify)vmem_device_free);

	for (guint i = 0; i < n; i++) {
		VmemDevice *dev = g_new0(VmemDevice, 1);

		dev->alias = g_strdup_printf("ua-vmem%u", i);
		dev->node = i;
		dev->size = size;
		dev->block_size = block;
		dev->requested = requested / n;
		dev->plugged = plugged / n;
		g_ptr_array_add(devices, dev);
	}
	return devices;
}

static VmemEngineReport
make_report(guint64 plugged, guint64 used, double age, double psi, gboolean zones, gint64 movable,
	    gboolean may_stick)
{
	VmemEngineReport r = {0};

	r.valid = TRUE;
	r.age = age;
	r.plugged = plugged;
	r.mem_total = BASE + plugged;
	r.mem_available = r.mem_total > used ? r.mem_total - used : 0;
	r.has_psi = TRUE;
	r.psi_some_avg10 = psi;
	r.has_zones = zones;
	r.movable_online = movable < 0 ? plugged : (guint64)movable * MIB;
	r.unplug_may_stick = may_stick;
	return r;
}

static void
test_engine_case(gconstpointer data)
{
	const EngineCase *c = data;
	g_autoptr(VmemPolicyDef) policy = make_policy(c->mode, c->min, c->max, 5);
	g_autoptr(GPtrArray) devices =
		make_devices(1, 8192 * MIB, 2 * MIB, c->requested * MIB, c->plugged * MIB);
	VmemEngineDomain domain = {
		.name = "vm",
		.devices = devices,
		.state = c->state,
		.policy = policy,
		.history = VMEM_ENGINE_HISTORY_INIT,
	};
	VmemEngineDecision d = {0};

	if (c->report)
		domain.report = make_report(c->plugged * MIB, c->used * MIB, c->age, c->psi,
					    c->zones, c->movable, c->may_stick);
	if (c->balloon) {
		domain.report.from_balloon = TRUE;
		domain.report.has_psi = FALSE;
	}
	domain.history.last_grow = c->last_grow;
	domain.history.last_need = c->ahead ? NEVER : c->last_grow;
	/* a grow the guest needed: all of it, unless a case says otherwise */
	domain.history.need_level = c->ahead ? 0 : c->requested * MIB;
	domain.history.excess_since = c->excess_since;
	/* an excess that has lasted was seen by the decision before too */
	if (c->excess_since != NEVER)
		domain.history.surplus = c->requested * MIB;
	domain.stuck = (VmemEngineStuck){c->stuck, "700 MiB in ZONE_NORMAL", c->stuck_used * MIB,
					 c->plugged * MIB};
	vmem_engine_decide(NULL, NULL, &domain, 1, NOW, &d, NULL);
	g_test_message("%s: %s %" G_GUINT64_FORMAT " MiB: %s", c->name,
		       vmem_engine_action_to_string(d.action), d.requested / MIB, d.reason);
	g_assert_cmpstr(vmem_engine_action_to_string(d.action), ==,
			vmem_engine_action_to_string(c->action));
	g_assert_cmpuint(d.requested, ==,
			 c->expect < 0 ? c->requested * MIB : (guint64)c->expect * MIB);
	g_assert_true(g_str_has_prefix(d.reason, c->reason));
	/* a change comes with its split; no change, no split */
	g_assert_true((d.split != NULL) == (d.requested != c->requested * MIB ||
					    d.action == VMEM_ENGINE_ACTION_RESTORE));
	vmem_engine_decision_clear(&d);
}

/* Two NUMA nodes: the split is balanced and block-aligned */
static void
test_engine_split(void)
{
	g_autoptr(VmemPolicyDef) policy = make_policy(AUTO, 0, 0, 5);
	g_autoptr(GPtrArray) devices = make_devices(2, 4096 * MIB, 2 * MIB, 1024 * MIB, 1024 * MIB);
	VmemEngineDomain domain = {"vm",
				   devices,
				   NULL,
				   R,
				   policy,
				   make_report(1024 * MIB, 1900 * MIB, 0, 0, TRUE, -1, FALSE),
				   VMEM_ENGINE_HISTORY_INIT};
	VmemEngineDecision d = {0};

	vmem_engine_decide(NULL, NULL, &domain, 1, NOW, &d, NULL);
	g_assert_cmpint(d.action, ==, VMEM_ENGINE_ACTION_GROW);
	g_assert_nonnull(d.split);
	g_assert_cmpuint(d.split[0] + d.split[1], ==, d.requested);
	g_assert_cmpuint(d.split[0] % (2 * MIB), ==, 0);
	g_assert_cmpuint(d.split[0], ==, d.split[1]);
	vmem_engine_decision_clear(&d);
}

/* The rise between two reports is planned for: the target covers the
 * used memory of the next report if it rises as much again. */
static void
test_engine_rise(void)
{
	g_autoptr(VmemPolicyDef) policy = make_policy(AUTO, 0, 0, 5);
	g_autoptr(GPtrArray) devices = make_devices(1, 8192 * MIB, 2 * MIB, 1024 * MIB, 1024 * MIB);
	VmemEngineDomain domain = {"vm",
				   devices,
				   NULL,
				   R,
				   policy,
				   make_report(1024 * MIB, 1600 * MIB, 0, 0, TRUE, -1, FALSE),
				   VMEM_ENGINE_HISTORY_INIT};
	VmemEngineDecision d = {0};

	domain.history.used = 1500 * MIB;
	domain.history.used_at = NOW - 1;
	vmem_engine_decide(NULL, NULL, &domain, 1, NOW, &d, NULL);
	g_assert_cmpint(d.action, ==, VMEM_ENGINE_ACTION_GROW);
	/* (1600 + 100) / 0.8 - 1024 = 1101 -> 1102 */
	g_assert_cmpuint(d.requested, ==, 1102 * MIB);
	g_assert_true(g_str_has_prefix(d.reason, "grow: guest use rising by 100 MiB"));
	vmem_engine_history_update(&domain.history, &d, NOW);
	g_assert_cmpuint(domain.history.rise, ==, 100 * MIB);
	g_assert_cmpfloat(domain.history.rise_over, ==, 1);
	g_assert_cmpfloat(domain.history.last_grow, ==, NOW);
	vmem_engine_decision_clear(&d);
}

/* One domain of 1 GiB plugged on 1 GiB of boot memory, using @used_mib,
 * its report @age seconds old (balloon statistics with @balloon), decided
 * at NOW with @history */
static void
decide_one(guint64 used_mib, double age, gboolean balloon, const VmemEngineHistory *history,
	   VmemEngineDecision *ret)
{
	g_autoptr(VmemPolicyDef) policy = make_policy(AUTO, 0, 0, 5);
	g_autoptr(GPtrArray) devices = make_devices(1, 8192 * MIB, 2 * MIB, 1024 * MIB, 1024 * MIB);
	VmemEngineDomain domain = {.name = "vm",
				   .devices = devices,
				   .state = R,
				   .policy = policy,
				   .history = *history};

	domain.report = make_report(1024 * MIB, used_mib * MIB, age, 0, !balloon, -1, FALSE);
	domain.report.from_balloon = balloon;
	domain.report.has_psi = !balloon;
	vmem_engine_decide(NULL, NULL, &domain, 1, NOW, ret, NULL);
}

/* Balloon statistics come a poll later than their age says: the rise is
 * planned for over that poll too, with half a step more margin. */
static void
test_engine_rise_balloon(void)
{
	VmemEngineHistory history = VMEM_ENGINE_HISTORY_INIT;
	VmemEngineDecision d = {0};

	history.used = 1500 * MIB;
	history.used_at = NOW - 1;
	decide_one(1600, 0, TRUE, &history, &d);
	g_assert_cmpint(d.action, ==, VMEM_ENGINE_ACTION_GROW);
	/* (1600 + 100 * 2 + 64) / 0.8 - 1024 = 1306 */
	g_assert_cmpuint(d.requested, ==, 1306 * MIB);
	g_assert_cmpfloat(d.rise_over, ==, 1);
	vmem_engine_decision_clear(&d);
}

/* An old report: the rise goes on during its age, but for one report
 * interval at most. */
static void
test_engine_rise_stale(void)
{
	VmemEngineHistory history = VMEM_ENGINE_HISTORY_INIT;
	VmemEngineDecision d = {0};

	history.used = 1500 * MIB;
	history.used_at = NOW - 31;
	decide_one(1600, 30, FALSE, &history, &d);
	g_assert_cmpfloat(d.rise_over, ==, 1);
	/* (1600 + 100 * (1 + 1)) / 0.8 - 1024 = 1226 */
	g_assert_cmpuint(d.requested, ==, 1226 * MIB);
	vmem_engine_decision_clear(&d);
}

/* An early report (the agent's watch) 0.2 s after the last: its rise is a
 * rate, planned for until the grow cooldown (1 s) lets the engine grow
 * again, not only until the next such report. */
static void
test_engine_rise_early(void)
{
	VmemEngineHistory history = VMEM_ENGINE_HISTORY_INIT;
	VmemEngineDecision d = {0};

	history.used = 1580 * MIB;
	history.used_at = NOW - 0.2;
	decide_one(1600, 0, FALSE, &history, &d);
	g_assert_cmpfloat_with_epsilon(d.rise_over, 0.2, 1e-9);
	/* (1600 + 20 * 1 / 0.2) / 0.8 - 1024 = 1101 -> 1102 */
	g_assert_cmpuint(d.requested, ==, 1102 * MIB);
	vmem_engine_decision_clear(&d);

	/* a large rise in a short time: at most twelve steps (1536 MiB) */
	history.used = 1100 * MIB;
	history.used_at = NOW - 0.1;
	decide_one(1600, 0, FALSE, &history, &d);
	/* (1600 + 1536) / 0.8 - 1024 = 2896 */
	g_assert_cmpuint(d.requested, ==, 2896 * MIB);
	vmem_engine_decision_clear(&d);
}

/* Within the shrink cooldown of a grow the guest needed, what it needed
 * then stays, and what the grow added ahead of a rise that did not come
 * is given back like any other excess. */
static void
test_engine_shrink_ahead_part(void)
{
	VmemEngineHistory history = VMEM_ENGINE_HISTORY_INIT;
	VmemEngineDecision d = {0};

	history.last_grow = history.last_need = NOW - 5;
	history.need_level = 900 * MIB;
	history.excess_since = NOW - 20;
	history.surplus = 1024 * MIB;
	history.used = 900 * MIB;
	history.used_at = NOW - 1;
	decide_one(900, 0, FALSE, &history, &d);
	g_assert_cmpint(d.action, ==, VMEM_ENGINE_ACTION_SHRINK);
	g_assert_cmpuint(d.requested, ==, 900 * MIB);
	vmem_engine_decision_clear(&d);

	/* all of it was needed: the cooldown holds it */
	history.need_level = 1024 * MIB;
	decide_one(900, 0, FALSE, &history, &d);
	g_assert_cmpint(d.action, ==, VMEM_ENGINE_ACTION_HOLD);
	g_assert_cmpstr(d.reason, ==, "hold: shrink cooldown");
	vmem_engine_decision_clear(&d);
}

/* The same report seen again a tick later, its age measured a little
 * differently: not a new report, its rise is kept. */
static void
test_engine_same_report(void)
{
	VmemEngineHistory history = VMEM_ENGINE_HISTORY_INIT;
	VmemEngineDecision d = {0};

	history.used = 1600 * MIB;
	history.used_at = NOW - 0.5;
	history.rise = 100 * MIB;
	history.rise_over = 1;
	decide_one(1600, 0.51, FALSE, &history, &d);
	g_assert_cmpuint(d.rise, ==, 100 * MIB);
	g_assert_cmpfloat(d.rise_over, ==, 1);
	g_assert_cmpfloat(d.used_at, <=, NOW - 0.5);
	/* (1600 + 100 * 1.51) / 0.8 - 1024 = 1165 -> 1166 */
	g_assert_cmpuint(d.requested, ==, 1166 * MIB);
	vmem_engine_decision_clear(&d);
}

/* A shrink gives back only what the decision before saw in excess too:
 * one odd report never makes a large shrink. */
static void
test_engine_shrink_confirmed(void)
{
	VmemEngineHistory history = VMEM_ENGINE_HISTORY_INIT;
	VmemEngineDecision d = {0};

	history.excess_since = NOW - 31;
	history.surplus = 128 * MIB;
	decide_one(800, 0, FALSE, &history, &d);
	g_assert_cmpint(d.action, ==, VMEM_ENGINE_ACTION_SHRINK);
	g_assert_cmpuint(d.requested, ==, 896 * MIB);
	g_assert_cmpuint(d.surplus, ==, 968 * MIB);
	vmem_engine_history_update(&history, &d, NOW);
	g_assert_cmpuint(history.surplus, ==, 968 * MIB);
	g_assert_cmpfloat(history.last_shrink, ==, NOW);
	vmem_engine_decision_clear(&d);
}

/* A grow only ahead of a rise does not restart the shrink cooldown; one
 * the guest needed does. */
static void
test_engine_grow_ahead(void)
{
	VmemEngineHistory history = VMEM_ENGINE_HISTORY_INIT;
	VmemEngineDecision d = {0};

	/* available 20 %: only the headroom is missing */
	decide_one(1638, 0, FALSE, &history, &d);
	g_assert_cmpint(d.action, ==, VMEM_ENGINE_ACTION_GROW);
	g_assert_true(d.ahead);
	vmem_engine_history_update(&history, &d, NOW);
	g_assert_cmpfloat(history.last_grow, ==, NOW);
	g_assert_cmpfloat(history.last_need, ==, NEVER);
	vmem_engine_decision_clear(&d);

	history = (VmemEngineHistory)VMEM_ENGINE_HISTORY_INIT;
	decide_one(1900, 0, FALSE, &history, &d);
	g_assert_cmpint(d.action, ==, VMEM_ENGINE_ACTION_GROW);
	g_assert_false(d.ahead);
	vmem_engine_history_update(&history, &d, NOW);
	g_assert_cmpfloat(history.last_need, ==, NOW);
	vmem_engine_decision_clear(&d);
}

/* Host pressure: the domains of one table, each decided with the host */
typedef struct {
	const char *name;
	guint priority;
	guint64 requested, used; /* MiB */
} HostDomain;

static void
run_host_psi(const HostDomain *hd, guint n, const VmemEngineHost *host, VmemEngineDecision *ret,
	     VmemEngineHostDecision *ret_host)
{
	g_autoptr(GPtrArray) policies =
		g_ptr_array_new_with_free_func((GDestroyNotify)vmem_policy_def_free);
	g_autoptr(GPtrArray) device_sets =
		g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
	g_autofree VmemEngineDomain *domains = g_new0(VmemEngineDomain, n);

	for (guint i = 0; i < n; i++) {
		VmemPolicyDef *policy = make_policy(AUTO, 0, 0, hd[i].priority);
		GPtrArray *devices = make_devices(1, 8192 * MIB, 2 * MIB, hd[i].requested * MIB,
						  hd[i].requested * MIB);

		g_ptr_array_add(policies, policy);
		g_ptr_array_add(device_sets, devices);
		domains[i] = (VmemEngineDomain){
			hd[i].name,
			devices,
			NULL,
			R,
			policy,
			make_report(hd[i].requested * MIB, hd[i].used * MIB, 0, 0, TRUE, -1, FALSE),
			VMEM_ENGINE_HISTORY_INIT};
		domains[i].history.excess_since = NOW;
	}
	vmem_engine_decide(NULL, host, domains, n, NOW, ret, ret_host);
}

static void
run_host(const HostDomain *hd, guint n, guint64 host_avail_mib, guint64 reserve_mib,
	 VmemEngineDecision *ret, VmemEngineHostDecision *ret_host)
{
	VmemEngineHost host = {TRUE, host_avail_mib * MIB, reserve_mib * MIB};

	run_host_psi(hd, n, &host, ret, ret_host);
}

static void
test_engine_host_reclaim_lowest_priority(void)
{
	/* both have 2 GiB plugged and use 1 GiB: floors 128 MiB */
	const HostDomain hd[] = {{"important", 9, 2048, 1024}, {"batch", 2, 2048, 1024}};
	VmemEngineDecision d[2] = {0};
	VmemEngineHostDecision h = {0};

	run_host(hd, 2, 1024, 2048, d, &h);
	g_assert_true(h.below_reserve);
	g_assert_false(h.overcommitted);
	g_assert_cmpint(d[1].action, ==, VMEM_ENGINE_ACTION_RECLAIM);
	g_assert_cmpstr(d[1].reason, ==, "reclaim: host below reserve, priority 2");
	g_assert_cmpuint(d[1].requested, ==, 1024 * MIB);
	g_assert_cmpint(d[0].action, ==, VMEM_ENGINE_ACTION_HOLD);
	g_assert_cmpuint(d[0].requested, ==, 2048 * MIB);
	for (guint i = 0; i < 2; i++)
		vmem_engine_decision_clear(&d[i]);
	vmem_engine_host_decision_clear(&h);
}

static void
test_engine_host_grow_refused(void)
{
	/* the low-priority one wants to grow; the host has no room */
	const HostDomain hd[] = {{"important", 9, 1024, 2100}, {"batch", 2, 1024, 2100}};
	VmemEngineDecision d[2] = {0};
	VmemEngineHostDecision h = {0};

	run_host(hd, 2, 2048 + 100, 2048, d, &h);
	g_assert_true(h.below_reserve);
	/* both grow to their floors; the host stays short */
	g_assert_cmpint(d[0].action, ==, VMEM_ENGINE_ACTION_GROW);
	g_assert_cmpuint(d[0].requested, ==, d[0].floor);
	g_assert_true(h.overcommitted);
	g_assert_cmpint(d[1].action, ==, VMEM_ENGINE_ACTION_GROW);
	/* only to its floor: all 2 GiB used (MemAvailable 0) + 128 MiB - base */
	g_assert_cmpuint(d[1].requested, ==, d[1].floor);
	g_assert_cmpuint(d[1].floor, ==, 1152 * MIB);
	g_assert_true(g_str_has_prefix(d[1].reason, "grow: to the safety floor only"));
	for (guint i = 0; i < 2; i++)
		vmem_engine_decision_clear(&d[i]);
	vmem_engine_host_decision_clear(&h);
}

static void
test_engine_host_refuse_whole_grow(void)
{
	/* batch would grow above its floor only: refused entirely */
	const HostDomain hd[] = {{"important", 9, 2048, 1024}, {"batch", 2, 1024, 1700}};
	VmemEngineDecision d[2] = {0};
	VmemEngineHostDecision h = {0};

	run_host(hd, 2, 2048, 2048, d, &h);
	g_assert_cmpint(d[1].action, ==, VMEM_ENGINE_ACTION_HOLD);
	g_assert_cmpstr(d[1].reason, ==, "hold: host below reserve, grow refused for priority 2");
	g_assert_cmpuint(d[1].requested, ==, 1024 * MIB);
	for (guint i = 0; i < 2; i++)
		vmem_engine_decision_clear(&d[i]);
	vmem_engine_host_decision_clear(&h);
}

static void
test_engine_host_overcommitted(void)
{
	const HostDomain hd[] = {{"a", 5, 1024, 1900}, {"b", 5, 1024, 1900}};
	VmemEngineDecision d[2] = {0};
	VmemEngineHostDecision h = {0};

	run_host(hd, 2, 100, 4096, d, &h);
	g_assert_true(h.overcommitted);
	g_assert_true(g_str_has_prefix(h.reason, "host overcommitted:"));
	for (guint i = 0; i < 2; i++) {
		/* never below the safety floor */
		g_assert_cmpuint(d[i].requested, >=, d[i].floor);
		vmem_engine_decision_clear(&d[i]);
	}
	vmem_engine_host_decision_clear(&h);
}

static void
test_engine_host_equal_priority(void)
{
	/* equal priorities: the one with most above its floor gives first */
	const HostDomain hd[] = {{"a", 5, 1024, 1024}, {"b", 5, 3072, 1024}};
	VmemEngineDecision d[2] = {0};
	VmemEngineHostDecision h = {0};

	run_host(hd, 2, 2048, 2048 + 512, d, &h);
	g_assert_cmpint(d[1].action, ==, VMEM_ENGINE_ACTION_RECLAIM);
	g_assert_cmpuint(d[1].requested, ==, 2560 * MIB);
	g_assert_cmpuint(d[0].requested, ==, 1024 * MIB);
	for (guint i = 0; i < 2; i++)
		vmem_engine_decision_clear(&d[i]);
	vmem_engine_host_decision_clear(&h);
}

/* Host memory pressure by PSI, without a reserve */
typedef struct {
	const char *name;
	double some, full;
	HostDomain domains[2];
	/* expected for each domain */
	VmemEngineAction action[2];
	guint64 requested[2]; /* MiB */
	const char *reason[2];
	gboolean pressure, overcommitted;
} HostPsiCase;

static const HostPsiCase host_psi_cases[] = {
	/* batch wants to grow: refused, and it gives a step back */
	{"lower-grow-refused",
	 20,
	 0,
	 {{"important", 9, 2048, 1024}, {"batch", 2, 1024, 1700}},
	 {VMEM_ENGINE_ACTION_HOLD, VMEM_ENGINE_ACTION_RECLAIM},
	 {2048, 896},
	 {"hold: shrink cooldown", "reclaim: host memory pressure, priority 2"},
	 TRUE,
	 FALSE},
	/* "full" alone is enough */
	{"full",
	 0,
	 5,
	 {{"important", 9, 2048, 1024}, {"batch", 2, 1024, 1700}},
	 {VMEM_ENGINE_ACTION_HOLD, VMEM_ENGINE_ACTION_RECLAIM},
	 {2048, 896},
	 {"hold: shrink cooldown", "reclaim: host memory pressure, priority 2"},
	 TRUE,
	 FALSE},
	/* below both thresholds: nothing changes */
	{"below-thresholds",
	 9.9,
	 4.9,
	 {{"important", 9, 2048, 1024}, {"batch", 2, 1024, 1700}},
	 {VMEM_ENGINE_ACTION_HOLD, VMEM_ENGINE_ACTION_GROW},
	 {2048, 1182},
	 {"hold: shrink cooldown", "grow: guest available 16 % < buffer 20 %"},
	 FALSE,
	 FALSE},
	/* the higher priority grows on what the lower one gives */
	{"higher-grow-funded",
	 20,
	 0,
	 {{"important", 9, 1024, 1700}, {"batch", 2, 2048, 1024}},
	 {VMEM_ENGINE_ACTION_GROW, VMEM_ENGINE_ACTION_RECLAIM},
	 {1182, 1762},
	 {"grow: guest available 16 % < buffer 20 %", "reclaim: host memory pressure, priority 2"},
	 TRUE,
	 FALSE},
	/* both at their floors: they still grow to them, no further */
	{"never-below-floor",
	 50,
	 50,
	 {{"a", 5, 1024, 1950}, {"b", 5, 1024, 1950}},
	 {VMEM_ENGINE_ACTION_GROW, VMEM_ENGINE_ACTION_GROW},
	 {1054, 1054},
	 {"grow: to the safety floor only, host memory pressure",
	  "grow: to the safety floor only, host memory pressure"},
	 TRUE,
	 TRUE},
};

static void
test_engine_host_psi(gconstpointer data)
{
	const HostPsiCase *c = data;
	VmemEngineHost host = {FALSE, 0, 0, TRUE, c->some, c->full};
	VmemEngineDecision d[2] = {0};
	VmemEngineHostDecision h = {0};

	run_host_psi(c->domains, 2, &host, d, &h);
	for (guint i = 0; i < 2; i++) {
		g_test_message("%s: %s %s %" G_GUINT64_FORMAT " MiB: %s", c->name,
			       c->domains[i].name, vmem_engine_action_to_string(d[i].action),
			       d[i].requested / MIB, d[i].reason);
		g_assert_cmpstr(vmem_engine_action_to_string(d[i].action), ==,
				vmem_engine_action_to_string(c->action[i]));
		g_assert_cmpuint(d[i].requested, ==, c->requested[i] * MIB);
		g_assert_cmpstr(d[i].reason, ==, c->reason[i]);
		g_assert_cmpuint(d[i].requested, >=, d[i].floor);
	}
	g_assert_cmpint(h.psi_pressure, ==, c->pressure);
	g_assert_false(h.below_reserve);
	g_assert_cmpint(h.overcommitted, ==, c->overcommitted);
	g_assert_true((h.reason != NULL) == c->pressure);
	if (c->overcommitted)
		g_assert_true(
			g_str_has_prefix(h.reason, "host overcommitted: under memory pressure"));
	else if (c->pressure)
		g_assert_true(g_str_has_prefix(h.reason, "host under memory pressure (PSI"));
	for (guint i = 0; i < 2; i++)
		vmem_engine_decision_clear(&d[i]);
	vmem_engine_host_decision_clear(&h);
}

/* Properties on random inputs, seeded so that a failure repeats */
static void
test_engine_properties(void)
{
	GRand *rand = g_rand_new_with_seed(20250610);

	for (guint round = 0; round < 2000; round++) {
		guint n = (guint)g_rand_int_range(rand, 1, 5);
		g_autoptr(GPtrArray) policies =
			g_ptr_array_new_with_free_func((GDestroyNotify)vmem_policy_def_free);
		g_autoptr(GPtrArray) device_sets =
			g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
		g_autofree VmemEngineDomain *domains = g_new0(VmemEngineDomain, n);
		g_autofree VmemEngineDecision *d = g_new0(VmemEngineDecision, n);
		VmemEngineHostDecision h = {0};
		VmemEngineHost host = {TRUE, (guint64)g_rand_int_range(rand, 0, 8192) * MIB,
				       (guint64)g_rand_int_range(rand, 0, 4096) * MIB};
		gboolean any_reclaim = FALSE;
		gboolean host_psi = g_rand_int_range(rand, 0, 3) == 0;
		g_autofree guint64 *unplug_bound = g_new0(guint64, n);

		/* a third of the hosts under memory pressure, some without a
		 * reserve */
		if (host_psi) {
			host.has_psi = TRUE;
			host.psi_some_avg10 = g_rand_double_range(rand, 5, 60);
			host.psi_full_avg10 = g_rand_double_range(rand, 0, 10);
			if (g_rand_boolean(rand))
				host.valid = FALSE;
		}

		for (guint i = 0; i < n; i++) {
			guint n_dev = (guint)g_rand_int_range(rand, 1, 3);
			guint64 block = (guint64)2 << g_rand_int_range(rand, 0, 3); /* 2-8 MiB */
			guint64 size = (guint64)g_rand_int_range(rand, 1, 1024) * block * MIB;
			guint64 req = random_multiple(rand, size * n_dev, block * MIB * n_dev);
			guint64 plugged =
				g_rand_boolean(rand)
					? req
					: random_multiple(rand, size * n_dev, block * MIB * n_dev);
			guint64 max_mib = (guint64)g_rand_int_range(rand, 1, 16384);
			guint64 min_mib = (guint64)g_rand_int_range(rand, 0, (gint32)max_mib);
			VmemPolicyDef *policy = make_policy(AUTO, min_mib, max_mib,
							    (guint)g_rand_int_range(rand, 1, 11));
			GPtrArray *devices = make_devices(n_dev, size, block * MIB, req, plugged);
			guint64 used = (guint64)g_rand_int_range(rand, 64, 12000) * MIB;
			gint state = g_rand_int_range(rand, 0, 12);

			policy->buffer_percent = (guint)g_rand_int_range(rand, 0, 91);
			g_ptr_array_add(policies, policy);
			g_ptr_array_add(device_sets, devices);
			domains[i] =
				(VmemEngineDomain){g_strdup_printf("d%u", i), devices, NULL,
						   state < 6 ? (VmemEngineState)state : R, policy};
			domains[i].history = (VmemEngineHistory)VMEM_ENGINE_HISTORY_INIT;
			if (g_rand_boolean(rand))
				domains[i].history.excess_since =
					NOW - g_rand_double_range(rand, 0, 60);
			if (g_rand_int_range(rand, 0, 4) == 0) {
				domains[i].history.last_grow =
					NOW - g_rand_double_range(rand, 0, 60);
				if (g_rand_boolean(rand)) {
					domains[i].history.last_need = domains[i].history.last_grow;
					domains[i].history.need_level =
						random_multiple(rand, 4096 * MIB, MIB);
				}
			}
			if (g_rand_boolean(rand))
				domains[i].history.surplus = random_multiple(rand, 4096 * MIB, MIB);
			if (g_rand_int_range(rand, 0, 4) == 0)
				domains[i].history.last_shrink =
					NOW - g_rand_double_range(rand, 0, 60);
			if (g_rand_int_range(rand, 0, 5) != 0) {
				gboolean balloon = g_rand_int_range(rand, 0, 4) == 0;
				guint64 p = sum_devices(devices, TRUE);
				gint64 movable =
					g_rand_boolean(rand)
						? -1
						: (gint64)(random_multiple(rand, p, MIB) / MIB);
				double age = g_rand_double_range(rand, 0, 20);

				domains[i].report = make_report(
					p, used, age, g_rand_int_range(rand, 0, 3) == 0 ? 50 : 0,
					!balloon, movable, FALSE);
				domains[i].report.from_balloon = balloon;
				domains[i].report.has_psi = !balloon;
				if (!balloon)
					unplug_bound[i] = round_up(
						p - domains[i].report.movable_online, block * MIB);
				/* the report before: anything from a few ms to a
				 * minute earlier, rising or falling */
				if (g_rand_boolean(rand)) {
					domains[i].history.used =
						random_multiple(rand, 12000 * MIB, MIB);
					domains[i].history.used_at =
						NOW - age - g_rand_double_range(rand, 0.001, 60);
					domains[i].history.rise =
						random_multiple(rand, 2048 * MIB, MIB);
					domains[i].history.rise_over =
						g_rand_double_range(rand, 0.001, 10);
				}
			}
		}
		vmem_engine_decide(NULL, &host, domains, n, NOW, d, &h);
		for (guint i = 0; i < n; i++) {
			const VmemEngineDomain *dom = &domains[i];
			guint64 current = 0, capacity = 0, block = 0, sum = 0, lo, hi;

			for (guint j = 0; j < dom->devices->len; j++) {
				const VmemDevice *dev = dom->devices->pdata[j];

				current += dev->requested;
				capacity += dev->size;
				block = MAX(block, dev->block_size);
			}
			hi = MIN(dom->policy->max_kib * 1024, capacity);
			hi -= hi % block;
			lo = MIN(round_up(dom->policy->min_kib * 1024, block), hi);
			/* no decision while busy, paused or stopped */
			if (dom->state != R && dom->state != VMEM_ENGINE_STATE_REBOOTED) {
				g_assert_cmpuint(d[i].requested, ==, current);
				g_assert_null(d[i].split);
			}
			if (d[i].split != NULL) {
				for (guint j = 0; j < dom->devices->len; j++) {
					const VmemDevice *dev = dom->devices->pdata[j];

					/* block-aligned, within each device's size */
					g_assert_cmpuint(d[i].split[j] % dev->block_size, ==, 0);
					g_assert_cmpuint(d[i].split[j], <=, dev->size);
					sum += d[i].split[j];
				}
				g_assert_cmpuint(sum, ==, d[i].requested);
				/* within min and max, unless coming from outside them */
				if (d[i].action != VMEM_ENGINE_ACTION_BACK_OFF) {
					g_assert_cmpuint(d[i].requested, <=, MAX(hi, current));
					g_assert_cmpuint(d[i].requested, >=, MIN(lo, current));
				}
			}
			/* a shrink never leaves less than the buffer: never below
			 * the target; a reclaim never below the floor */
			if (d[i].action == VMEM_ENGINE_ACTION_SHRINK)
				g_assert_cmpuint(d[i].requested, >=, MIN(d[i].target, current));
			if (d[i].action == VMEM_ENGINE_ACTION_SHRINK ||
			    d[i].action == VMEM_ENGINE_ACTION_RECLAIM) {
				g_assert_cmpuint(d[i].requested, >=, d[i].floor);
				/* never without a fresh report, never more than the
				 * movable memory */
				g_assert_true(dom->report.valid && dom->report.age <= 10);
				g_assert_cmpuint(d[i].requested, >=, MIN(unplug_bound[i], current));
			}
			any_reclaim |= d[i].action == VMEM_ENGINE_ACTION_RECLAIM;
		}
		/* priority order: when a domain is reclaimed from, no domain of
		 * a lower priority that could give is above its floor */
		for (guint i = 0; any_reclaim && i < n; i++) {
			if (d[i].action != VMEM_ENGINE_ACTION_RECLAIM)
				continue;
			for (guint j = 0; j < n; j++) {
				const VmemEngineDomain *o = &domains[j];

				if (o->policy->priority >= domains[i].policy->priority ||
				    o->state != R || !o->report.valid || o->report.age > 10 ||
				    sum_devices(o->devices, TRUE) > sum_devices(o->devices, FALSE))
					continue;
				g_assert_cmpuint(
					d[j].requested, <=,
					MAX(MAX(d[j].floor, unplug_bound[j]),
					    MIN(sum_devices(o->devices, FALSE), d[j].requested)));
				if (d[j].requested > MAX(d[j].floor, unplug_bound[j]))
					g_assert_cmpuint(d[j].requested, <=,
							 sum_devices(o->devices, FALSE));
			}
		}
		/* host memory pressure: while a domain grows above its floor, no
		 * domain of a lower priority does */
		for (guint i = 0; h.psi_pressure && i < n; i++) {
			guint64 cur_i = sum_devices(domains[i].devices, FALSE);

			g_assert_true(host_psi);
			if (d[i].action != VMEM_ENGINE_ACTION_GROW ||
			    d[i].requested <= MAX(cur_i, d[i].floor))
				continue;
			for (guint j = 0; j < n; j++) {
				const VmemEngineDomain *o = &domains[j];
				guint64 cur_j = sum_devices(o->devices, FALSE);

				if (o->policy->priority >= domains[i].policy->priority ||
				    o->state != R || !o->report.valid)
					continue;
				g_assert_cmpuint(d[j].requested, <=, MAX(cur_j, d[j].floor));
			}
		}
		for (guint i = 0; i < n; i++) {
			g_free((char *)domains[i].name);
			vmem_engine_decision_clear(&d[i]);
		}
		vmem_engine_host_decision_clear(&h);
	}
	g_rand_free(rand);
}

/* 10,000 decisions timed: 100 domains, 100 ticks */
static void
test_engine_perf(void)
{
	g_autoptr(GPtrArray) policies =
		g_ptr_array_new_with_free_func((GDestroyNotify)vmem_policy_def_free);
	g_autoptr(GPtrArray) device_sets =
		g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
	VmemEngineDomain domains[100];
	VmemEngineDecision d[100];
	VmemEngineHost host = {TRUE, 4096 * MIB, 2048 * MIB};
	gint64 start;
	double ms;

	for (guint i = 0; i < 100; i++) {
		VmemPolicyDef *policy = make_policy(AUTO, 0, 0, 1 + i % 10);
		GPtrArray *devices = make_devices(2, 4096 * MIB, 2 * MIB, 1024 * MIB, 1024 * MIB);

		g_ptr_array_add(policies, policy);
		g_ptr_array_add(device_sets, devices);
		domains[i] = (VmemEngineDomain){
			"d",
			devices,
			NULL,
			R,
			policy,
			make_report(1024 * MIB, (600 + 13 * i) * MIB, 0, 0, TRUE, -1, FALSE),
			VMEM_ENGINE_HISTORY_INIT};
		domains[i].history.excess_since = NOW - 100;
		/* the decision before saw the excess too: most of them shrink */
		domains[i].history.surplus = 1024 * MIB;
	}
	start = g_get_monotonic_time();
	for (guint tick = 0; tick < 100; tick++) {
		vmem_engine_decide(NULL, &host, domains, 100, NOW + tick, d, NULL);
		for (guint i = 0; i < 100; i++)
			vmem_engine_decision_clear(&d[i]);
	}
	ms = (double)(g_get_monotonic_time() - start) / 1000.0;
	g_test_minimized_result(ms, "10000 engine decisions in %.2f ms", ms);
	g_printerr("engine-perf: 10000 decisions in %.2f ms\n", ms);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (guint i = 0; i < G_N_ELEMENTS(engine_cases); i++) {
		g_autofree char *path = g_strdup_printf("/engine/rule/%s", engine_cases[i].name);

		g_test_add_data_func(path, &engine_cases[i], test_engine_case);
	}
	g_test_add_func("/engine/split", test_engine_split);
	g_test_add_func("/engine/rise", test_engine_rise);
	g_test_add_func("/engine/rise-early", test_engine_rise_early);
	g_test_add_func("/engine/shrink-ahead-part", test_engine_shrink_ahead_part);
	g_test_add_func("/engine/rise-balloon", test_engine_rise_balloon);
	g_test_add_func("/engine/rise-stale", test_engine_rise_stale);
	g_test_add_func("/engine/same-report", test_engine_same_report);
	g_test_add_func("/engine/shrink-confirmed", test_engine_shrink_confirmed);
	g_test_add_func("/engine/grow-ahead", test_engine_grow_ahead);
	g_test_add_func("/engine/host/reclaim-lowest-priority",
			test_engine_host_reclaim_lowest_priority);
	g_test_add_func("/engine/host/grow-to-floor-only", test_engine_host_grow_refused);
	g_test_add_func("/engine/host/grow-refused", test_engine_host_refuse_whole_grow);
	g_test_add_func("/engine/host/overcommitted", test_engine_host_overcommitted);
	g_test_add_func("/engine/host/equal-priority", test_engine_host_equal_priority);
	for (guint i = 0; i < G_N_ELEMENTS(host_psi_cases); i++) {
		g_autofree char *path =
			g_strdup_printf("/engine/host/psi/%s", host_psi_cases[i].name);

		g_test_add_data_func(path, &host_psi_cases[i], test_engine_host_psi);
	}
	g_test_add_func("/engine/properties", test_engine_properties);
	if (g_test_perf())
		g_test_add_func("/engine/perf", test_engine_perf);
	return g_test_run();
}
