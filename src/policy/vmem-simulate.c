/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The simulator's run: the guest and host models, tick by tick, and the
 * engine (vmem_engine_decide(), the daemon's very function) or a baseline
 * deciding at each tick.
 *
 * At each tick t, for every domain, in this order:
 *   1. its run state and used memory at t (a "rebooted" point unplugs
 *      everything once);
 *   2. a guest report when one is due (every report_interval seconds):
 *      MemTotal = base + plugged, MemAvailable = MemTotal - used, PSI
 *      "some" rising from 0 when less than 10 % is available to 100 at
 *      none, and the zones of the plugged memory (see "Zones" below);
 *      without the agent, only MemTotal and MemAvailable, as libvirt's
 *      balloon statistics give, and those of the tick before (QEMU polls
 *      them: they reach the daemon a poll later, which their age does not
 *      show);
 *   3. the decisions, applied at once to the requested sizes.
 * Then the tick runs in samples VMEM_AGENT_WATCH_MS apart, as the agent
 * watches its guest; at each sample (but the first, which is t):
 *   1. the used memory moves on; 2. with the virtmem engine, the agent
 *   reports when its period has come or its guest's use rose by MemTotal /
 *   VMEM_AGENT_WATCH_RISE_DIVISOR since its last report (the baselines
 *   poll their guests at their ticks); 3. when the engine looking at such
 *   a domain alone would grow it, every domain is decided at once
 *   (vmem_daemon_on_report());
 * and at every sample:
 *   4. the accounting of the sample: an OOM event for each tick in which
 *      used exceeds base + plugged at any sample, pressure while
 *      MemAvailable is below the buffer's share of MemTotal, plugged
 *      GiB-seconds, and the host's MemAvailable (memory - other use - each
 *      running domain's base + plugged) against its reserve;
 *   5. the guest moves towards its requested sizes at its plug and unplug
 *      rates, in whole blocks (what a sample's rate leaves short of a
 *      block carries over), never unplugging below used + unmovable - base
 *      (see "Zones" below); an unplug that cannot go on is stuck until one
 *      completes.
 *
 * Zones.  The guest is a Linux guest whose plugged memory is onlined as
 * our udev rule (src/agent/40-virtmem-memory.rules) or the kernel's
 * auto-movable policy does: in ZONE_MOVABLE.  Its unmovable memory (the
 * kernel's own allocations) can sit only in ZONE_NORMAL, which is first
 * of all its boot memory: only the part the base cannot hold needs
 * plugged memory onlined to ZONE_NORMAL, and that part is what the report
 * says is in ZONE_NORMAL (in whole blocks), the rest of the plugged
 * memory being movable.  The guest unplugs movable memory as long as
 * what it holds fits in what remains: the used memory and the unmovable
 * memory within base + plugged, so never below used + unmovable - base,
 * which is never below its ZONE_NORMAL memory.  An unplug beyond that
 * sticks on used, movable memory that has nowhere to go; the report's
 * zones cannot tell it (the engine's safety floor is what keeps a request
 * above the used memory).  The model leaves out the auto-movable ratio
 * (movable memory within 301 % of the kernel zones by default; beyond
 * it, further blocks are onlined to ZONE_NORMAL and stay there), and
 * MemAvailable and the OOM count leave the unmovable memory out.
 */
#include "config.h"

#include "vmem-simulate.h"

#include <glib/gi18n.h>
#include <math.h>

#include "vmem-agent-protocol.h"
#include "vmem-baseline.h"
#include "vmem-engine-private.h"
#include "vmem-resize-plan.h"
#include "vmem-size.h"

/* Below this share of MemTotal available, the modelled PSI rises. */
#define VMEM_SIM_PSI_BELOW_PERCENT 10

typedef struct {
	const VmemSimDomainDef *def;
	GPtrArray *devices;
	VmemEngineState state;
	gint state_index;
	guint load_cursor;
	guint64 used;
	guint64 polled_used;
	guint64 polled_plugged;
	gboolean polled;
	VmemEngineReport report;
	double report_time;
	double next_report;
	double plug_credit;
	double unplug_credit;
	VmemEngineHistory history;
	gboolean stuck;
	gboolean progressed_since_stuck;
	char *stuck_reason;
	guint64 stuck_used;
	guint64 stuck_movable;
	char *last_reason;
	guint64 block;
} VmemSimDomain;

const char *
vmem_sim_engine_to_string(VmemSimEngine engine)
{
	switch (engine) {
	case VMEM_SIM_ENGINE_VIRTMEM:
		return "virtmem";
	case VMEM_SIM_ENGINE_BALANCER:
		return "balancer";
	case VMEM_SIM_ENGINE_MOM:
		return "mom";
	case VMEM_SIM_ENGINE_STATIC:
		return "static";
	}
	g_return_val_if_reached("?");
}

gboolean
vmem_sim_engine_from_string(const char *text, VmemSimEngine *ret_engine)
{
	for (VmemSimEngine e = VMEM_SIM_ENGINE_VIRTMEM; e <= VMEM_SIM_ENGINE_STATIC; e++) {
		if (g_strcmp0(text, vmem_sim_engine_to_string(e)) == 0) {
			*ret_engine = e;
			return TRUE;
		}
	}
	return FALSE;
}

static void
vmem_sim_decision_clear(gpointer data)
{
	VmemSimDecision *d = data;

	g_free(d->alias);
	g_free(d->reason);
}

void
vmem_sim_result_free(VmemSimResult *result)
{
	if (result == NULL)
		return;
	g_array_unref(result->decisions);
	g_array_unref(result->trace);
	g_array_unref(result->domains);
	g_free(result);
}

static GPtrArray *
vmem_sim_copy_devices(GPtrArray *devices)
{
	GPtrArray *copy = g_ptr_array_new_with_free_func((GDestroyNotify)vmem_device_free);

	for (guint i = 0; i < devices->len; i++) {
		const VmemDevice *dev = devices->pdata[i];
		VmemDevice *c = g_new0(VmemDevice, 1);

		*c = *dev;
		c->alias = g_strdup(dev->alias);
		c->memdev = g_strdup(dev->memdev);
		g_ptr_array_add(copy, c);
	}
	return copy;
}

static guint64
vmem_sim_sum(GPtrArray *devices, gboolean plugged)
{
	guint64 sum = 0;

	for (guint i = 0; i < devices->len; i++) {
		const VmemDevice *dev = devices->pdata[i];

		sum += plugged ? dev->plugged : dev->requested;
	}
	return sum;
}

/* The plugged memory onlined to ZONE_NORMAL: the unmovable memory that the
 * base cannot hold, in whole blocks (at most what is plugged) */
static guint64
vmem_sim_normal(const VmemSimDomain *dom, guint64 plugged)
{
	return MIN(plugged,
		   vmem_engine_round_up(vmem_engine_sub(dom->def->unmovable, dom->def->base),
					dom->block));
}

/* What the guest cannot unplug now: what it holds beyond its base, used +
 * unmovable - base, in whole blocks; never less than its ZONE_NORMAL memory,
 * which it never unplugs (see "Zones" at the top) */
static guint64
vmem_sim_pinned(const VmemSimDomain *dom)
{
	guint64 held = vmem_engine_round_up(
		vmem_engine_sub(dom->used + dom->def->unmovable, dom->def->base), dom->block);

	return MAX(held, vmem_sim_normal(dom, vmem_sim_sum(dom->devices, TRUE)));
}

static void
vmem_sim_update_state(VmemSimDomain *dom, double t)
{
	GArray *states = dom->def->states;
	gint index = dom->state_index;

	/* states come in time order and t only grows: on from the last one */
	while (states != NULL && index + 1 < (gint)states->len &&
	       g_array_index(states, VmemSimPoint, index + 1).t <= t)
		index++;
	if (index < 0) {
		dom->state = VMEM_ENGINE_STATE_RUNNING;
		return;
	}
	dom->state = (VmemEngineState)g_array_index(states, VmemSimPoint, index).value;
	if (dom->state == VMEM_ENGINE_STATE_REBOOTED) {
		if (index == dom->state_index) {
			dom->state = VMEM_ENGINE_STATE_RUNNING;
		} else {
			/* a reboot unplugs everything; the guest plugs it back */
			for (guint i = 0; i < dom->devices->len; i++)
				((VmemDevice *)dom->devices->pdata[i])->plugged = 0;
			dom->stuck = FALSE;
			dom->report.valid = FALSE;
		}
	}
	dom->state_index = index;
}

/* 2. the guest's report at @t; the next periodic one is a report interval
 * later */
static void
vmem_sim_report(VmemSimDomain *dom, double t)
{
	VmemEngineReport *r = &dom->report;
	guint64 plugged = vmem_sim_sum(dom->devices, TRUE);
	guint64 used = dom->used;
	guint64 total;

	/* balloon statistics: what QEMU polled a tick ago */
	if (!dom->def->agent && dom->polled) {
		plugged = dom->polled_plugged;
		used = dom->polled_used;
	}
	total = dom->def->base + plugged;
	memset(r, 0, sizeof(*r));
	r->valid = TRUE;
	r->mem_total = total;
	r->mem_available = vmem_engine_sub(total, used);
	r->plugged = plugged;
	r->from_balloon = !dom->def->agent;
	if (dom->def->agent) {
		guint64 low = total / 100 * VMEM_SIM_PSI_BELOW_PERCENT;

		r->has_psi = TRUE;
		if (low > 0 && r->mem_available < low)
			r->psi_some_avg10 = 100.0 * (double)(low - r->mem_available) / (double)low;
		r->psi_full_avg10 = r->psi_some_avg10 / 2;
		r->has_zones = TRUE;
		r->normal_online = vmem_sim_normal(dom, plugged);
		r->movable_online = plugged - r->normal_online;
		r->unplug_may_stick = r->normal_online > 0;
	}
	dom->report_time = t;
	dom->next_report = t + dom->def->report_interval;
}

static void
vmem_sim_record(VmemSimResult *result, guint index, VmemSimDomain *dom, double t,
		const VmemEngineDecision *d, const guint64 *old)
{
	gboolean any = FALSE;

	if (d->reason == NULL)
		return;
	if (d->split != NULL) {
		for (guint i = 0; i < dom->devices->len; i++) {
			const VmemDevice *dev = dom->devices->pdata[i];
			VmemSimDecision entry = {t, index, g_strdup(dev->alias), dev->requested,
						 g_strdup(d->reason)};

			if (old[i] == dev->requested && d->action != VMEM_ENGINE_ACTION_RESTORE) {
				vmem_sim_decision_clear(&entry);
				continue;
			}
			g_array_append_val(result->decisions, entry);
			any = TRUE;
		}
	}
	if (!any) {
		if (d->action == VMEM_ENGINE_ACTION_NONE ||
		    g_strcmp0(d->reason, dom->last_reason) == 0)
			return;
		for (guint i = 0; i < dom->devices->len; i++) {
			const VmemDevice *dev = dom->devices->pdata[i];
			VmemSimDecision entry = {t, index, g_strdup(dev->alias), dev->requested,
						 g_strdup(d->reason)};

			g_array_append_val(result->decisions, entry);
		}
	}
	g_free(dom->last_reason);
	dom->last_reason = g_strdup(d->reason);
}

/* 5. the guest plugs and unplugs over @dt.  What a sample's rate allows
 * short of a whole block is kept for the next sample while work remains, so
 * that large blocks move at the guest's rates too. */
static void
vmem_sim_advance(VmemSimDomain *dom, double dt)
{
	guint64 plug_budget = (guint64)(dom->plug_credit + (double)dom->def->plug_rate * dt);
	guint64 unplug_budget = (guint64)(dom->unplug_credit + (double)dom->def->unplug_rate * dt);
	guint64 pinned = vmem_sim_pinned(dom);
	guint64 plugged = vmem_sim_sum(dom->devices, TRUE);
	gboolean plugging = FALSE, unplugging = FALSE, progressed = FALSE, held = FALSE;

	dom->plug_credit = dom->unplug_credit = 0;
	if (dom->state != VMEM_ENGINE_STATE_RUNNING && dom->state != VMEM_ENGINE_STATE_REBOOTED)
		return;
	for (guint i = 0; i < dom->devices->len; i++) {
		VmemDevice *dev = dom->devices->pdata[i];

		if (dev->requested > dev->plugged) {
			guint64 add = MIN(dev->requested - dev->plugged,
					  vmem_engine_round_down(plug_budget, dev->block_size));

			dev->plugged += add;
			plug_budget -= add;
			plugged += add;
			plugging |= dev->requested > dev->plugged;
		} else if (dev->requested < dev->plugged) {
			guint64 allowed = vmem_engine_sub(plugged, pinned);
			guint64 rm = MIN(dev->plugged - dev->requested,
					 vmem_engine_round_down(MIN(unplug_budget, allowed),
								dev->block_size));

			unplugging = TRUE;
			dev->plugged -= rm;
			unplug_budget -= rm;
			plugged -= rm;
			progressed |= rm > 0;
			held |= rm == 0 && allowed < dev->block_size;
		}
	}
	if (plugging)
		dom->plug_credit = (double)MIN(plug_budget, dom->block);
	if (unplugging && !held)
		dom->unplug_credit = (double)MIN(unplug_budget, dom->block);
	if (progressed) {
		dom->progressed_since_stuck = TRUE;
		if (plugged <= vmem_sim_sum(dom->devices, FALSE))
			dom->stuck = FALSE;
	} else if (held && (!dom->stuck || dom->progressed_since_stuck)) {
		g_autofree char *pinned_s = vmem_size_format(pinned);

		dom->stuck = TRUE;
		dom->progressed_since_stuck = FALSE;
		g_free(dom->stuck_reason);
		/* TRANSLATORS: why an unplug is stuck, after "unplug stuck, "; %s is a
		 * size such as "1.5 GiB" */
		dom->stuck_reason =
			g_strdup_printf(_("%s of plugged memory in use or unmovable"), pinned_s);
		dom->stuck_used = vmem_engine_sub(dom->report.mem_total, dom->report.mem_available);
		dom->stuck_movable = dom->report.movable_online;
	}
}

/* Whether @t is a multiple of @interval (to a millisecond) */
static gboolean
vmem_sim_every(double t, double interval)
{
	gint64 ms = (gint64)llround(t * 1000), every = (gint64)llround(interval * 1000);

	return every > 0 && ms % every == 0;
}

static void
vmem_sim_decide(const VmemSimScenario *scenario, VmemSimEngine engine, VmemSimDomain *doms,
		VmemEngineDomain *inputs, const VmemEngineHost *host, double t,
		VmemEngineDecision *decisions)
{
	guint n = scenario->domains->len;

	switch (engine) {
	case VMEM_SIM_ENGINE_VIRTMEM:
		vmem_engine_decide(NULL, host, inputs, n, t, decisions, NULL);
		return;
	case VMEM_SIM_ENGINE_BALANCER:
		for (guint i = 0; i < n; i++) {
			if (vmem_sim_every(t, VMEM_BASELINE_BALANCER_INTERVAL))
				vmem_baseline_balancer(&inputs[i], &decisions[i]);
			else
				decisions[i] = (VmemEngineDecision){0};
		}
		return;
	case VMEM_SIM_ENGINE_MOM:
		for (guint i = 0; i < n; i++) {
			if (vmem_sim_every(t, VMEM_BASELINE_MOM_INTERVAL))
				vmem_baseline_mom(host, scenario->host_memory, &inputs[i],
						  doms[i].def->base, &decisions[i]);
			else
				decisions[i] = (VmemEngineDecision){0};
		}
		return;
	case VMEM_SIM_ENGINE_STATIC:
		for (guint i = 0; i < n; i++)
			decisions[i] = (VmemEngineDecision){0};
		return;
	}
}

/* The static allocation: plugged from the start, never changed */
static void
vmem_sim_static_start(VmemSimResult *result, guint index, VmemSimDomain *dom)
{
	const VmemSimDomainDef *def = dom->def;
	VmemEngineDomain input = {def->name, dom->devices, NULL, VMEM_ENGINE_STATE_RUNNING,
				  def->policy};
	VmemEngineDecision d = {0};
	g_autofree guint64 *old = g_new0(guint64, dom->devices->len);
	guint64 peak = 0;

	for (guint i = 0; i < def->load->len; i++)
		peak = MAX(peak, g_array_index(def->load, VmemSimPoint, i).value);
	d.requested = vmem_baseline_static(&input, def->base, peak);
	d.action = VMEM_ENGINE_ACTION_GROW;
	/* TRANSLATORS: the static baseline's one decision */
	d.reason = g_strdup(_("static: the peak need, plugged from the start"));
	for (guint i = 0; i < dom->devices->len; i++)
		old[i] = ((VmemDevice *)dom->devices->pdata[i])->requested;
	if (vmem_resize_plan_split(dom->devices, NULL, d.requested, &d.split, NULL)) {
		for (guint i = 0; i < dom->devices->len; i++) {
			VmemDevice *dev = dom->devices->pdata[i];

			dev->requested = dev->plugged = d.split[i];
		}
		vmem_sim_record(result, index, dom, 0, &d, old);
	}
	vmem_engine_decision_clear(&d);
}

/**
 * vmem_sim_samples:
 * @dt: a tick's length, seconds
 *
 * Returns: how many samples the tick has: one per agent watch
 *   (%VMEM_AGENT_WATCH_MS), at least one
 */
guint
vmem_sim_samples(double dt)
{
	return (guint)MAX(1.0, ceil(dt * 1000 / VMEM_AGENT_WATCH_MS - 1e-9));
}

/* The engine's input for @dom at @t */
static void
vmem_sim_input(VmemSimDomain *dom, double t, VmemEngineDomain *ret_input)
{
	*ret_input = (VmemEngineDomain){
		.name = dom->def->name,
		.devices = dom->devices,
		.state = dom->state,
		.policy = dom->def->policy,
		.report = dom->report,
		.history = dom->history,
		.stuck = {dom->stuck, dom->stuck_reason, dom->stuck_used, dom->stuck_movable},
	};
	ret_input->report.age = t - dom->report_time;
}

/* The host's MemAvailable: its memory less the other use and each running
 * domain's base + plugged (negative when overcommitted) */
static gint64
vmem_sim_host_available(const VmemSimScenario *scenario, const VmemSimDomain *doms, guint64 other)
{
	gint64 avail = (gint64)scenario->host_memory - (gint64)other;

	for (guint i = 0; i < scenario->domains->len; i++)
		if (doms[i].state != VMEM_ENGINE_STATE_STOPPED)
			avail -= (gint64)(doms[i].def->base + vmem_sim_sum(doms[i].devices, TRUE));
	return avail;
}

/* 3. every domain's decision at @t, applied at once; @inputs and
 * @decisions: room for one per domain */
static void
vmem_sim_apply(VmemSimResult *result, const VmemSimScenario *scenario, VmemSimEngine engine,
	       VmemSimDomain *doms, guint64 other, double t, VmemEngineDomain *inputs,
	       VmemEngineDecision *decisions)
{
	guint n = scenario->domains->len;
	VmemEngineHost host = {TRUE, 0, scenario->host_reserve};

	host.mem_available = (guint64)MAX(vmem_sim_host_available(scenario, doms, other), 0);
	for (guint i = 0; i < n; i++)
		vmem_sim_input(&doms[i], t, &inputs[i]);
	vmem_sim_decide(scenario, engine, doms, inputs, &host, t, decisions);
	for (guint i = 0; i < n; i++) {
		VmemSimDomain *dom = &doms[i];
		g_autofree guint64 *old = g_new0(guint64, dom->devices->len);

		for (guint j = 0; j < dom->devices->len; j++) {
			VmemDevice *dev = dom->devices->pdata[j];

			old[j] = dev->requested;
			if (decisions[i].split != NULL)
				dev->requested = decisions[i].split[j];
		}
		vmem_engine_history_update(&dom->history, &decisions[i], t);
		vmem_sim_record(result, i, dom, t, &decisions[i], old);
		vmem_engine_decision_clear(&decisions[i]);
	}
}

/* 2. between ticks, the agent's reports: periodic, or at once when the
 * memory in use rose by a watch's share of MemTotal since the last one */
static gboolean
vmem_sim_agent_reports(VmemSimDomain *dom, double t)
{
	guint64 total = dom->def->base + vmem_sim_sum(dom->devices, TRUE);
	gboolean rising = dom->report.valid &&
			  vmem_agent_watch_rose(
				  vmem_engine_sub(dom->report.mem_total, dom->report.mem_available),
				  dom->used, total);

	if (!dom->def->agent || dom->state != VMEM_ENGINE_STATE_RUNNING ||
	    (t < dom->next_report - 1e-9 && !rising))
		return FALSE;
	vmem_sim_report(dom, t);
	return TRUE;
}

/* 1. and 2. at the tick @t */
static void
vmem_sim_tick_start(VmemSimDomain *dom, double t)
{
	vmem_sim_update_state(dom, t);
	dom->used = dom->state == VMEM_ENGINE_STATE_STOPPED
			    ? 0
			    : vmem_sim_timeline_follow(dom->def->load, t, &dom->load_cursor);
	if (dom->state == VMEM_ENGINE_STATE_STOPPED) {
		for (guint j = 0; j < dom->devices->len; j++)
			((VmemDevice *)dom->devices->pdata[j])->plugged = 0;
		dom->report.valid = FALSE;
		dom->polled = FALSE;
		return;
	}
	if (dom->state != VMEM_ENGINE_STATE_REBOOTED && t >= dom->next_report - 1e-9)
		vmem_sim_report(dom, t);
	dom->polled_used = dom->used;
	dom->polled_plugged = vmem_sim_sum(dom->devices, TRUE);
	dom->polled = dom->state != VMEM_ENGINE_STATE_REBOOTED;
}

/* 4. the accounting of [t, t + dt) for @dom; @oom: whether the tick has
 * had its OOM event */
static void
vmem_sim_account(VmemSimDomain *dom, VmemSimDomainResult *r, double dt, gboolean *oom)
{
	guint64 plugged = vmem_sim_sum(dom->devices, TRUE);
	guint64 total = dom->def->base + plugged;
	guint64 available = vmem_engine_sub(total, dom->used);

	if (dom->state == VMEM_ENGINE_STATE_STOPPED)
		return;
	if (dom->used > total && !*oom) {
		r->oom_events++;
		*oom = TRUE;
	}
	if ((unsigned __int128)available * 100 <
	    (unsigned __int128)total * dom->def->policy->buffer_percent)
		r->pressure_seconds += dt;
	r->plugged_gib_seconds += (double)plugged * dt / (double)VMEM_SIZE_GIB;
	r->max_plugged = MAX(r->max_plugged, plugged);
}

/**
 * vmem_sim_run:
 * @scenario: a parsed scenario
 * @engine: who decides
 * @flags: what to keep besides the decisions and the summaries
 *
 * Runs @scenario from 0 to its duration, one tick at a time, each tick in
 * samples (see the top of this file).  Deterministic.  A tick costs the
 * same however many points the timelines have: each is followed from
 * where the previous tick left it.
 *
 * Returns: (transfer full): the decisions, the trace and the summaries
 */
VmemSimResult *
vmem_sim_run(const VmemSimScenario *scenario, VmemSimEngine engine, VmemSimRunFlags flags)
{
	guint n = scenario->domains->len;
	g_autofree VmemSimDomain *doms = g_new0(VmemSimDomain, n);
	g_autofree VmemEngineDomain *inputs = g_new0(VmemEngineDomain, n);
	g_autofree VmemEngineDecision *decisions = g_new0(VmemEngineDecision, n);
	g_autofree gboolean *oom = g_new0(gboolean, n);
	VmemSimResult *result = g_new0(VmemSimResult, 1);
	guint64 n_ticks = vmem_sim_scenario_ticks(scenario);
	guint other_cursor = 0;

	result->engine = engine;
	result->decisions = g_array_new(FALSE, FALSE, sizeof(VmemSimDecision));
	g_array_set_clear_func(result->decisions, vmem_sim_decision_clear);
	result->trace = g_array_new(FALSE, FALSE, sizeof(VmemSimTracePoint));
	result->domains = g_array_sized_new(FALSE, TRUE, sizeof(VmemSimDomainResult), n);
	g_array_set_size(result->domains, n);
	result->min_available = G_MAXUINT64;

	for (guint i = 0; i < n; i++) {
		VmemSimDomain *dom = &doms[i];

		dom->def = scenario->domains->pdata[i];
		dom->devices = vmem_sim_copy_devices(dom->def->devices);
		dom->state_index = -1;
		dom->history = (VmemEngineHistory)VMEM_ENGINE_HISTORY_INIT;
		for (guint j = 0; j < dom->devices->len; j++)
			dom->block =
				MAX(dom->block, ((VmemDevice *)dom->devices->pdata[j])->block_size);
		if (engine == VMEM_SIM_ENGINE_STATIC)
			vmem_sim_static_start(result, i, dom);
	}

	for (guint64 k = 0; k < n_ticks; k++) {
		double t = (double)k * scenario->tick;
		double dt = MIN(scenario->tick, scenario->duration - t);
		guint samples = vmem_sim_samples(dt);
		guint64 other = vmem_sim_timeline_follow(scenario->other_used, t, &other_cursor);

		/* 1. and 2. */
		for (guint i = 0; i < n; i++)
			vmem_sim_tick_start(&doms[i], t);
		/* 3. */
		vmem_sim_apply(result, scenario, engine, doms, other, t, inputs, decisions);
		if (flags & VMEM_SIM_RUN_TRACE) {
			for (guint i = 0; i < n; i++) {
				guint64 plugged = vmem_sim_sum(doms[i].devices, TRUE);
				VmemSimTracePoint point = {
					t,
					i,
					vmem_sim_sum(doms[i].devices, FALSE),
					plugged,
					doms[i].used,
					vmem_engine_sub(doms[i].def->base + plugged, doms[i].used)};

				g_array_append_val(result->trace, point);
			}
		}

		memset(oom, 0, n * sizeof(*oom));
		for (guint s = 0; s < samples; s++) {
			double ts = t + dt * s / samples, ds = dt / samples;
			gint64 host_avail;

			if (s > 0) {
				gboolean early = FALSE;

				for (guint i = 0; i < n; i++) {
					VmemSimDomain *dom = &doms[i];

					if (dom->state == VMEM_ENGINE_STATE_STOPPED)
						continue;
					dom->used = vmem_sim_timeline_follow(dom->def->load, ts,
									     &dom->load_cursor);
					/* virtmem-agent's reports between ticks, and
					 * virtmemd deciding on them at once
					 * (vmem_daemon_on_report()); the baselines poll
					 * at their ticks */
					if (engine == VMEM_SIM_ENGINE_VIRTMEM &&
					    vmem_sim_agent_reports(dom, ts)) {
						VmemEngineDomain input;

						vmem_sim_input(dom, ts, &input);
						early |= vmem_engine_would_grow(&input, ts);
					}
				}
				if (early)
					vmem_sim_apply(result, scenario, engine, doms, other, ts,
						       inputs, decisions);
			}
			/* 4. */
			for (guint i = 0; i < n; i++)
				vmem_sim_account(
					&doms[i],
					&g_array_index(result->domains, VmemSimDomainResult, i), ds,
					&oom[i]);
			host_avail = vmem_sim_host_available(scenario, doms, other);
			if (host_avail < (gint64)scenario->host_reserve)
				result->below_reserve_seconds += ds;
			result->min_available =
				MIN(result->min_available, (guint64)MAX(host_avail, 0));
			/* 5. */
			for (guint i = 0; i < n; i++)
				vmem_sim_advance(&doms[i], ds);
		}
	}

	for (guint i = 0; i < n; i++) {
		g_ptr_array_unref(doms[i].devices);
		g_free(doms[i].stuck_reason);
		g_free(doms[i].last_reason);
	}
	if (result->min_available == G_MAXUINT64)
		result->min_available = 0;
	return result;
}
