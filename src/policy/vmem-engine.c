/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The policy engine, one domain at a time, then the host's arbitration
 * (vmem-engine-host.c), then the split of each new total over the devices
 * (the resize plan).  Every rule is written once, where it is applied;
 * docs/policy.md lists them for people.
 *
 * The reasons formatted every tick for every domain take their arguments
 * in order, without positions ("%u", not "%1$u"): glibc formats positional
 * arguments several times slower, and a translation may still reorder
 * them.
 *
 * Sizes: the policy's are in KiB, everything else in bytes.  Every total
 * the engine asks for is a multiple of the domain's largest block size, so
 * that the resize plan can always split it (block sizes are powers of two).
 */
#include "config.h"

#include "vmem-engine.h"

#include <glib/gi18n.h>

#include "vmem-engine-private.h"
#include "vmem-resize-plan.h"
#include "vmem-size.h"

const char *
vmem_engine_state_to_string(VmemEngineState state)
{
	switch (state) {
	case VMEM_ENGINE_STATE_RUNNING:
		return "running";
	case VMEM_ENGINE_STATE_MIGRATING:
		return "migrating";
	case VMEM_ENGINE_STATE_SAVING:
		return "saving";
	case VMEM_ENGINE_STATE_PAUSED:
		return "paused";
	case VMEM_ENGINE_STATE_REBOOTED:
		return "rebooted";
	case VMEM_ENGINE_STATE_STOPPED:
		return "stopped";
	}
	g_return_val_if_reached("?");
}

gboolean
vmem_engine_state_from_string(const char *text, VmemEngineState *ret_state)
{
	for (VmemEngineState s = VMEM_ENGINE_STATE_RUNNING; s <= VMEM_ENGINE_STATE_STOPPED; s++) {
		if (g_strcmp0(text, vmem_engine_state_to_string(s)) == 0) {
			*ret_state = s;
			return TRUE;
		}
	}
	return FALSE;
}

const char *
vmem_engine_action_to_string(VmemEngineAction action)
{
	switch (action) {
	case VMEM_ENGINE_ACTION_NONE:
		return "none";
	case VMEM_ENGINE_ACTION_HOLD:
		return "hold";
	case VMEM_ENGINE_ACTION_GROW:
		return "grow";
	case VMEM_ENGINE_ACTION_SHRINK:
		return "shrink";
	case VMEM_ENGINE_ACTION_RECLAIM:
		return "reclaim";
	case VMEM_ENGINE_ACTION_BACK_OFF:
		return "back-off";
	case VMEM_ENGINE_ACTION_RESTORE:
		return "restore";
	}
	g_return_val_if_reached("?");
}

void
vmem_engine_decision_clear(VmemEngineDecision *decision)
{
	g_clear_pointer(&decision->split, g_free);
	g_clear_pointer(&decision->reason, g_free);
}

void
vmem_engine_host_decision_clear(VmemEngineHostDecision *decision)
{
	g_clear_pointer(&decision->reason, g_free);
}

static void
vmem_engine_set(VmemEngineDecision *d, VmemEngineAction action, guint64 requested, char *reason)
{
	d->action = action;
	d->requested = requested;
	g_free(d->reason);
	d->reason = reason;
}

static char *
vmem_engine_hold_state(VmemEngineState state)
{
	switch (state) {
	case VMEM_ENGINE_STATE_MIGRATING:
		/* TRANSLATORS: a policy decision: keep "hold:" */
		return g_strdup(_("hold: busy migrating"));
	case VMEM_ENGINE_STATE_SAVING:
		/* TRANSLATORS: a policy decision: keep "hold:" */
		return g_strdup(_("hold: busy saving"));
	case VMEM_ENGINE_STATE_PAUSED:
		/* TRANSLATORS: a policy decision: keep "hold:" */
		return g_strdup(_("hold: guest paused"));
	case VMEM_ENGINE_STATE_STOPPED:
		/* TRANSLATORS: a policy decision: keep "hold:" */
		return g_strdup(_("hold: domain stopped"));
	case VMEM_ENGINE_STATE_RUNNING:
	case VMEM_ENGINE_STATE_REBOOTED:
		break;
	}
	g_return_val_if_reached(NULL);
}

/* Whether the guest changed enough since its unplug got stuck to try
 * again: it uses a step less, or has a step more movable memory. */
static gboolean
vmem_engine_report_changed(const VmemEngineStuck *stuck, guint64 used, guint64 movable,
			   guint64 step)
{
	return used + step <= stuck->used || movable >= stuck->movable_online + step;
}

/* Two reports less than this apart (seconds) are one report seen twice:
 * its age is measured at a slightly different moment each tick. */
#define VMEM_ENGINE_SAME_REPORT 0.05

/* The expected rise of the guest's used memory (rule 5), bytes: its last
 * rise per report (at most four steps: a single large allocation is not a
 * trend) as a rate, over the time until a grow decided now can be
 * corrected: until the next report (reports as far apart as the last two)
 * or, when longer, until the grow cooldown allows the next grow; plus the
 * report's age (the guest has gone on rising since; at most the time
 * between reports, so that a stale report is not extrapolated for ever)
 * and, for balloon statistics, the poll that delayed them.  At most twelve
 * steps: a rate seen over a quarter of a second is no promise. */
static guint64
vmem_engine_expected_rise(const VmemEngineTuning *tuning, const VmemEngineReport *report,
			  guint64 rise, double over, guint64 step, guint cooldown_grow)
{
	double horizon, expect;

	if (rise == 0 || over <= 0)
		return 0;
	horizon = MAX(over, (double)cooldown_grow) + CLAMP(report->age, 0, over) +
		  (report->from_balloon ? tuning->balloon_delay : 0);
	expect = (double)MIN(rise, 4 * step) * horizon / over;
	return (guint64)MIN(expect, (double)(12 * step));
}

/* The total, in requested terms, that leaves MemAvailable at @buffer
 * percent of MemTotal once the guest uses @extra more: (used + extra) /
 * (1 - buffer) - base, rounded up to whole blocks. */
static guint64
vmem_engine_level(guint64 used, guint64 extra, guint buffer, guint64 base, guint64 block)
{
	unsigned __int128 total = ((unsigned __int128)used + extra) * 100 + (100 - buffer) - 1;

	return vmem_engine_round_up(vmem_engine_sub((guint64)(total / (100 - buffer)), base),
				    block);
}

/* Why a domain grows, for people (rule 7) */
static char *
vmem_engine_grow_reason(const VmemEngineReport *report, const VmemEngineDecision *d, guint64 lo,
			guint64 current, guint64 target, guint64 target_raw, guint64 expect,
			guint avail_pct, guint buffer)
{
	if (current < lo && target_raw <= lo) {
		g_autofree char *lo_s = vmem_size_format(lo);

		/* TRANSLATORS: a policy decision: keep "grow:"; %s is a size such
		 * as "1 GiB" */
		return g_strdup_printf(_("grow: below the policy minimum %s"), lo_s);
	}
	if (target <= current)
		/* TRANSLATORS: a policy decision: keep "grow:"; %.0f is a
		 * percentage, keep "PSI some avg10" */
		return g_strdup_printf(_("grow: guest memory pressure %.0f %% (PSI some avg10)"),
				       report->psi_some_avg10);
	if (target_raw < d->floor)
		/* TRANSLATORS: a policy decision: keep "grow:"; %u is a percentage */
		return g_strdup_printf(_("grow: to the safety floor, guest available %u %%"),
				       avail_pct);
	if (avail_pct < buffer)
		/* TRANSLATORS: a policy decision: keep "grow:"; the guest's available
		 * memory and the buffer, both percentages */
		return g_strdup_printf(_("grow: guest available %u %% < buffer %u %%"), avail_pct,
				       buffer);
	if (expect > 0) {
		g_autofree char *rise_s = vmem_size_format_rounded(d->rise);

		/* TRANSLATORS: a policy decision: keep "grow:"; a size such as
		 * "128 MiB", then the buffer, a percentage */
		return g_strdup_printf(_("grow: guest use rising by %s, buffer %u %%"), rise_s,
				       buffer);
	}
	if (report->from_balloon)
		/* TRANSLATORS: a policy decision: keep "grow:"; the guest's available
		 * memory and the buffer, both percentages; balloon statistics are
		 * libvirt's figures of a guest without virtmem-agent */
		return g_strdup_printf(_("grow: guest available %u %% close to buffer %u %%, "
					 "balloon statistics lag"),
				       avail_pct, buffer);
	/* TRANSLATORS: a policy decision: keep "grow:"; the guest's available
	 * memory and the buffer, both percentages; the headroom is what the
	 * engine keeps above the buffer */
	return g_strdup_printf(_("grow: guest available %u %% close to buffer %u %%, "
				 "headroom"),
			       avail_pct, buffer);
}

/**
 * vmem_engine_domain_decide:
 *
 * The rules for one domain, in order; the first that applies decides:
 *
 * 1. Mode `off`: the engine leaves the domain alone; mode `manual`: only
 *    explicit resizes change it.  Neither is a decision to apply.
 * 2. Busy (migrating, saving), paused or stopped: hold.  QEMU refuses
 *    changes during a migration or save, and a paused guest cannot act.
 * 3. Rebooted: every block is unplugged; request the current total again
 *    (within min and max) so that the guest plugs it back.
 * 4. No guest report: grow to the policy minimum if below it, else hold;
 *    nothing is ever shrunk without a report.
 * 5. From the report: used = MemTotal - MemAvailable; base = MemTotal -
 *    plugged at the report; the safety floor = used + max(128 MiB, 5 % of
 *    MemTotal) - base.  The expected rise is what the used memory will
 *    have risen by when a grow decided now can next be corrected: its
 *    rise between the last two reports (at most four steps; 0 when it
 *    fell), scaled from the time between them to that time or the grow
 *    cooldown, whichever is longer, plus the report's age (at most one
 *    such time) plus, for balloon statistics, QEMU's poll period; at most
 *    twelve steps.  The target = (used + max(expected rise, half a
 *    step)) / (1 - buffer) - base keeps MemAvailable at the buffer's share
 *    of MemTotal once the guest uses that much more: the half step is the
 *    headroom a rise that starts right after a report finds.  With
 *    balloon statistics (no PSI, later figures) it is half a step of use
 *    higher still.  Both are rounded up to whole blocks and kept within
 *    min and max (the floor never above max, the target never below the
 *    floor).
 * 6. A stuck unplug, with no change in the guest since (a step less used
 *    or a step more movable memory): back off: request what is plugged,
 *    never kick, and shrink no more until the report changes.  Growing
 *    is still allowed: it ends the unplug anyway.
 * 7. Grow when the target is above the current total: to it in one
 *    decision, not by a fixed step (never above max); or by one step when
 *    the guest's PSI "some" avg10 reaches 10 % while its available memory
 *    looks fine.  Only after the grow cooldown, except that a domain with
 *    less than its buffer available (below its level for its present use)
 *    grows at once.  A grow only ahead of a rise (the
 *    guest had its buffer for its present use) is marked as such.
 * 8. Shrink when the target is below the current total: only with a fresh
 *    report (at most 10 s old); within the shrink cooldown of the last
 *    grow the guest needed (not one only ahead of a rise), never below
 *    what that grow gave the guest's present use; only by
 *    what the decision before saw in excess too; only once the excess has
 *    lasted the cooldown, or sooner when it is larger than a step (the
 *    excess times how long it has lasted reaches a step times the
 *    cooldown: a large drop is not worth holding), unless a shrink of this
 *    excess has begun already; only when the previous unplug has
 *    completed; by a step or, far above, by half the excess in whole steps
 *    per decision, never below the target (so MemAvailable stays at least
 *    the buffer), the floor or min, and never by more than the guest's
 *    movable online memory (nothing at all when the guest says an unplug
 *    may stick and does not say what is movable).  Above the policy
 *    maximum, shrink to it at once, but not below the floor.
 * 9. Otherwise: steady.
 */
void
vmem_engine_domain_decide(const VmemEngineTuning *tuning, const VmemEngineDomain *domain,
			  double now, VmemEngineDecision *ret_decision, VmemEngineWish *ret_wish)
{
	const VmemPolicyDef *policy = domain->policy;
	const VmemEngineReport *report = &domain->report;
	VmemEngineDecision *d = ret_decision;
	VmemEngineWish *w = ret_wish;
	guint64 capacity = 0, current = 0, plugged = 0, block = 0;
	guint64 lo, hi, step, base, used, margin, floor_raw, floor_eff, target_raw, target, want;
	guint64 expect, extra, unplug_floor = 0;
	guint buffer, avail_pct;
	gboolean fresh, stuck, psi;

	memset(d, 0, sizeof(*d));
	memset(w, 0, sizeof(*w));
	d->used_at = VMEM_ENGINE_NEVER;
	for (guint i = 0; i < domain->devices->len; i++) {
		const VmemDevice *dev = domain->devices->pdata[i];

		capacity += dev->size;
		current += dev->requested;
		plugged += dev->plugged;
		block = MAX(block, dev->block_size);
	}
	d->requested = w->current = current;
	w->plugged = plugged;
	w->priority = policy->priority;
	if (block == 0 || !vmem_size_is_power_of_two(block)) {
		vmem_engine_set(d, VMEM_ENGINE_ACTION_HOLD, current,
				/* TRANSLATORS: a policy decision: keep "hold:" */
				g_strdup(_("hold: no virtio-mem device to resize")));
		return;
	}
	w->block = block;
	/* The policy's bounds, rounded to whole blocks inwards (the policy's
	 * rounding): min up, max down and never above the devices' size. */
	lo = vmem_engine_round_up(policy->min_kib * VMEM_SIZE_KIB, block);
	hi = vmem_engine_round_down(MIN(policy->max_kib * VMEM_SIZE_KIB, capacity), block);
	lo = MIN(lo, hi);
	step = MAX(vmem_engine_round_up(policy->step_kib * VMEM_SIZE_KIB, block), block);
	w->step = step;
	w->floor = lo;
	w->unplug_floor = current;

	/* 1. modes */
	if (policy->mode == VMEM_POLICY_MODE_OFF) {
		vmem_engine_set(d, VMEM_ENGINE_ACTION_NONE, current,
				/* TRANSLATORS: a policy decision: keep "off:" */
				g_strdup(_("off: the policy leaves this domain alone")));
		return;
	}
	if (policy->mode == VMEM_POLICY_MODE_MANUAL) {
		vmem_engine_set(d, VMEM_ENGINE_ACTION_NONE, current,
				/* TRANSLATORS: a policy decision: keep "manual:" */
				g_strdup(_("manual: only explicit resizes")));
		return;
	}
	/* 2. busy, paused, stopped */
	if (domain->state != VMEM_ENGINE_STATE_RUNNING &&
	    domain->state != VMEM_ENGINE_STATE_REBOOTED) {
		vmem_engine_set(d, VMEM_ENGINE_ACTION_HOLD, current,
				vmem_engine_hold_state(domain->state));
		return;
	}
	/* 3. rebooted */
	if (domain->state == VMEM_ENGINE_STATE_REBOOTED) {
		guint64 again = CLAMP(vmem_engine_round_up(current, block), lo, hi);
		g_autofree char *again_s = vmem_size_format(again);

		vmem_engine_set(
			d, VMEM_ENGINE_ACTION_RESTORE, again,
			/* TRANSLATORS: a policy decision: keep "restore:"; %s is a
			 * size such as "2 GiB" */
			g_strdup_printf(_("restore: guest rebooted, request %s again"), again_s));
		return;
	}
	/* 4. no report */
	if (!report->valid || report->mem_total == 0) {
		if (current < lo) {
			g_autofree char *lo_s = vmem_size_format(lo);

			vmem_engine_set(
				d, VMEM_ENGINE_ACTION_GROW, lo,
				/* TRANSLATORS: a policy decision: keep "grow:"; %s is a
				 * size such as "1 GiB" */
				g_strdup_printf(_("grow: below the policy minimum %s"), lo_s));
			return;
		}
		vmem_engine_set(d, VMEM_ENGINE_ACTION_HOLD, current,
				/* TRANSLATORS: a policy decision: keep "hold:" */
				g_strdup(_("hold: no guest report")));
		return;
	}

	/* 5. floor and target */
	buffer = MIN(policy->buffer_percent, 95);
	base = vmem_engine_sub(report->mem_total, report->plugged);
	used = vmem_engine_sub(report->mem_total, report->mem_available);
	margin = MAX(tuning->margin_min, report->mem_total / 100 * tuning->margin_percent);
	d->used = used;
	d->used_at = now - report->age;
	if (domain->history.used_at == VMEM_ENGINE_NEVER) {
		/* the first report: no rise known yet */
	} else if (d->used_at > domain->history.used_at + VMEM_ENGINE_SAME_REPORT) {
		d->rise = vmem_engine_sub(used, domain->history.used);
		d->rise_over = d->used_at - domain->history.used_at;
	} else {
		/* The report of the last tick again: its age was measured at a
		 * slightly different moment; keep its time so it never drifts. */
		d->used_at = MIN(d->used_at, domain->history.used_at);
		d->rise = domain->history.rise;
		d->rise_over = domain->history.rise_over;
	}
	expect = vmem_engine_expected_rise(tuning, report, d->rise, d->rise_over, step,
					   policy->cooldown_grow_s);
	/* Balloon statistics show no pressure and come late: grow half a step
	 * of use earlier than with the agent. */
	extra = report->from_balloon ? step / 2 : 0;
	floor_raw = vmem_engine_round_up(vmem_engine_sub(used + margin, base), block);
	floor_eff = MAX(MIN(floor_raw, hi), lo);
	/* The headroom: at least half a step of use above the buffer, so that
	 * a rise that starts right after a report finds the buffer whole. */
	target_raw = vmem_engine_level(used, MAX(expect, step / 2) + extra, buffer, base, block);
	target = CLAMP(target_raw, floor_eff, hi);
	d->floor = floor_eff;
	d->target = target;
	avail_pct = (guint)(report->mem_available * 100 / report->mem_total);
	fresh = report->age <= tuning->fresh;
	psi = report->has_psi && report->psi_some_avg10 >= tuning->psi_grow;
	stuck = domain->stuck.stuck &&
		!vmem_engine_report_changed(&domain->stuck, used,
					    report->has_zones ? report->movable_online : 0, step);
	if (report->has_zones)
		unplug_floor = vmem_engine_round_up(
			vmem_engine_sub(plugged, report->movable_online), block);
	else if (report->unplug_may_stick)
		unplug_floor = vmem_engine_round_up(plugged, block);

	want = target;
	if (psi && want <= current)
		want = MIN(hi, vmem_engine_round_up(current, block) + step);
	d->excess = want < current;
	d->surplus = vmem_engine_sub(current, want);

	w->arbitrated = !stuck;
	w->may_unplug = fresh && !stuck;
	w->floor = floor_eff;
	w->unplug_floor = MAX(unplug_floor, floor_eff);

	/* 7. grow */
	if (want > current) {
		/* the guest has its buffer for its present use */
		gboolean buffered = vmem_engine_level(used, 0, buffer, base, block) <= current;

		if (buffered && now - domain->history.last_grow < policy->cooldown_grow_s) {
			vmem_engine_set(d, VMEM_ENGINE_ACTION_HOLD, current,
					/* TRANSLATORS: a policy decision: keep "hold:" */
					g_strdup(_("hold: grow cooldown")));
			return;
		}
		/* Memory granted only ahead of a rise is held by the excess rule
		 * (rule 8), not by the shrink cooldown: if the rise does not come
		 * it is an excess like any other. */
		d->ahead = target > current && current >= floor_eff && current >= lo && buffered;
		/* the present use with the buffer and the headroom, no rise */
		d->need_level =
			CLAMP(vmem_engine_level(used, step / 2 + extra, buffer, base, block),
			      floor_eff, hi);
		vmem_engine_set(d, VMEM_ENGINE_ACTION_GROW, want,
				vmem_engine_grow_reason(report, d, lo, current, target, target_raw,
							expect, avail_pct, buffer));
		return;
	}

	/* 6. a stuck unplug */
	if (stuck && want <= current) {
		guint64 back = MAX(current, MIN(vmem_engine_round_up(plugged, block),
						vmem_engine_round_down(capacity, block)));

		vmem_engine_set(d, VMEM_ENGINE_ACTION_BACK_OFF, back,
				/* TRANSLATORS: a policy decision: keep "back off:"; %s says
				 * why, such as "700 MiB in ZONE_NORMAL" */
				g_strdup_printf(_("back off: unplug stuck, %s"),
						domain->stuck.reason ? domain->stuck.reason : "?"));
		return;
	}

	if (want == current) {
		if (target_raw > hi && current >= hi) {
			g_autofree char *hi_s = vmem_size_format(hi);

			vmem_engine_set(d, VMEM_ENGINE_ACTION_HOLD, current,
					/* TRANSLATORS: a policy decision: keep "hold:"; %s is a
					 * size such as "8 GiB" */
					g_strdup_printf(_("hold: at the policy maximum %s"), hi_s));
			return;
		}
		vmem_engine_set(d, VMEM_ENGINE_ACTION_NONE, current,
				/* TRANSLATORS: a policy decision: keep "steady:"; the guest's
				 * available memory and the buffer, both percentages */
				g_strdup_printf(_("steady: guest available %u %%, buffer %u %%"),
						avail_pct, buffer));
		return;
	}

	/* 8. shrink */
	{
		gboolean above_max = current > hi;
		/* only what the report before saw as well: one odd report never
		 * makes a shrink */
		guint64 confirmed = MIN(current - want, domain->history.surplus), next;
		/* within the shrink cooldown of a grow the guest needed, what it
		 * needed stays; what that grow added ahead of a rise may go */
		guint64 keep = now - domain->history.last_need < policy->cooldown_shrink_s
				       ? domain->history.need_level
				       : 0;
		double since, lasted;

		if (!fresh) {
			vmem_engine_set(d, VMEM_ENGINE_ACTION_HOLD, current,
					/* TRANSLATORS: a policy decision: keep "hold:" */
					g_strdup(_("hold: no fresh guest report to shrink")));
			return;
		}
		since = domain->history.excess_since == VMEM_ENGINE_NEVER
				? now
				: domain->history.excess_since;
		/* The excess appeared between the report before the one that
		 * first showed it and that one: count from halfway. */
		lasted = now - since + (since < now ? d->rise_over / 2 : 0);
		/* A small excess must last the whole cooldown; a large one sooner,
		 * once the memory it holds for nothing (excess times how long)
		 * matches a step held for the cooldown: after a load has dropped by
		 * many steps, waiting the whole cooldown costs more than a grow
		 * should the load come back.  Never below what a grow the guest
		 * needed gave its present use, within the cooldown of that grow.
		 * Once a shrink has begun to give an excess back, the next steps
		 * wait only for the unplug. */
		if (!above_max &&
		    (confirmed == 0 || current <= keep ||
		     (domain->history.last_shrink < since && lasted < policy->cooldown_shrink_s &&
		      (double)confirmed * lasted < (double)step * policy->cooldown_shrink_s))) {
			vmem_engine_set(d, VMEM_ENGINE_ACTION_HOLD, current,
					/* TRANSLATORS: a policy decision: keep "hold:" */
					g_strdup(_("hold: shrink cooldown")));
			return;
		}
		if (plugged > current) {
			vmem_engine_set(d, VMEM_ENGINE_ACTION_HOLD, current,
					/* TRANSLATORS: a policy decision: keep "hold:" */
					g_strdup(_("hold: unplug in progress")));
			return;
		}
		if (above_max) {
			next = MAX(hi, MIN(floor_raw, current));
		} else {
			/* One step, or far above the target half the excess in whole
			 * steps: the guest gives back a large excess within a few
			 * decisions, a small one a step at a time. */
			guint64 by = MIN(confirmed,
					 MAX(step, vmem_engine_round_down(confirmed / 2, step)));

			next = MAX(want, vmem_engine_round_up(current - by, block));
		}
		next = MAX(next, unplug_floor);
		if (!above_max)
			next = MAX(next, vmem_engine_round_up(keep, block));
		if (next >= current) {
			vmem_engine_set(
				d, VMEM_ENGINE_ACTION_HOLD, current,
				report->has_zones
					/* TRANSLATORS: a policy decision: keep "hold:" */
					? g_strdup(_("hold: no movable memory to unplug"))
					/* TRANSLATORS: a policy decision: keep "hold:" */
					: g_strdup(_("hold: the guest says an unplug may stick")));
			return;
		}
		if (above_max) {
			g_autofree char *hi_s = vmem_size_format(hi);

			vmem_engine_set(
				d, VMEM_ENGINE_ACTION_SHRINK, next,
				/* TRANSLATORS: a policy decision: keep "shrink:"; %s is
				 * a size such as "8 GiB" */
				g_strdup_printf(_("shrink: above the policy maximum %s"), hi_s));
			return;
		}
		vmem_engine_set(d, VMEM_ENGINE_ACTION_SHRINK, next,
				/* TRANSLATORS: a policy decision: keep "shrink:"; the guest's
				 * available memory and the buffer, both percentages */
				g_strdup_printf(_("shrink: guest available %u %% > buffer %u %%"),
						avail_pct, buffer));
	}
}

/**
 * vmem_engine_decision_applies:
 * @decision: a decision
 *
 * Returns: whether the caller must ask the VMM for @decision's split (a
 *   grow, shrink, reclaim, restore, or a back off that cancels an unplug)
 */
gboolean
vmem_engine_decision_applies(const VmemEngineDecision *decision)
{
	return decision->split != NULL;
}

/**
 * vmem_engine_would_grow:
 * @domain: one domain
 * @now: when
 *
 * Decides @domain alone, without the host: what virtmemd asks of each
 * new report to know whether the round over all domains should run now
 * rather than at the next tick.
 *
 * Returns: whether the engine would grow @domain (or restore it)
 */
gboolean
vmem_engine_would_grow(const VmemEngineDomain *domain, double now)
{
	VmemEngineTuning tuning = VMEM_ENGINE_TUNING_DEFAULT;
	VmemEngineHost host = {0};
	VmemEngineHostDecision host_decision = {0};
	VmemEngineDecision decision = {0};
	gboolean grow;

	vmem_engine_decide(&tuning, &host, domain, 1, now, &decision, &host_decision);
	grow = vmem_engine_decision_applies(&decision) &&
	       (decision.action == VMEM_ENGINE_ACTION_GROW ||
		decision.action == VMEM_ENGINE_ACTION_RESTORE);
	vmem_engine_decision_clear(&decision);
	vmem_engine_host_decision_clear(&host_decision);
	return grow;
}

/**
 * vmem_engine_history_update:
 * @history: (inout): the domain's history
 * @decision: the decision of this tick, applied when it applies
 * @now: when
 *
 * Keeps what the cooldowns count from: an applied grow or restore is a
 * grow, an applied shrink or reclaim a shrink; and since when the domain
 * has had more than its target.  Call it after every decision.
 */
void
vmem_engine_history_update(VmemEngineHistory *history, const VmemEngineDecision *decision,
			   double now)
{
	if (decision->used_at != VMEM_ENGINE_NEVER) {
		history->used = decision->used;
		history->used_at = decision->used_at;
		history->rise = decision->rise;
		history->rise_over = decision->rise_over;
	}
	history->surplus = decision->excess ? decision->surplus : 0;
	if (!decision->excess)
		history->excess_since = VMEM_ENGINE_NEVER;
	else if (history->excess_since == VMEM_ENGINE_NEVER)
		history->excess_since = now;
	if (decision->split == NULL)
		return;
	switch (decision->action) {
	case VMEM_ENGINE_ACTION_GROW:
	case VMEM_ENGINE_ACTION_RESTORE:
		history->last_grow = now;
		if (!decision->ahead) {
			history->last_need = now;
			history->need_level = decision->need_level;
		}
		history->excess_since = VMEM_ENGINE_NEVER;
		break;
	case VMEM_ENGINE_ACTION_SHRINK:
		history->last_shrink = now;
		break;
	case VMEM_ENGINE_ACTION_RECLAIM:
		/* Taken for the host, not given by the guest's policy: the
		 * shrink cooldown still holds for the rest of the excess. */
	case VMEM_ENGINE_ACTION_NONE:
	case VMEM_ENGINE_ACTION_HOLD:
	case VMEM_ENGINE_ACTION_BACK_OFF:
		break;
	}
}

/* The split of a new total over the devices, by the resize plan; a total
 * the plan refuses turns the decision into a hold that says why. */
static void
vmem_engine_split(const VmemEngineDomain *domain, const VmemEngineWish *wish, VmemEngineDecision *d)
{
	g_autoptr(GError) error = NULL;
	gboolean wanted =
		d->action == VMEM_ENGINE_ACTION_RESTORE ||
		((d->action == VMEM_ENGINE_ACTION_GROW || d->action == VMEM_ENGINE_ACTION_SHRINK ||
		  d->action == VMEM_ENGINE_ACTION_RECLAIM ||
		  d->action == VMEM_ENGINE_ACTION_BACK_OFF) &&
		 d->requested != wish->current);

	if (!wanted)
		return;
	if (!vmem_resize_plan_split(domain->devices, domain->weights, d->requested, &d->split,
				    &error)) {
		vmem_engine_set(d, VMEM_ENGINE_ACTION_HOLD, wish->current,
				/* TRANSLATORS: a policy decision: keep "hold:"; %s is an error
				 * message */
				g_strdup_printf(_("hold: %s"), error->message));
	}
}

/**
 * vmem_engine_decide:
 * @tuning: (nullable): the engine's constants; %NULL for the defaults
 * @host: (nullable): the host's figures; %NULL for no arbitration
 * @domains: (array length=n_domains): the managed domains
 * @n_domains: how many
 * @now: the time, seconds, on any clock that does not go back
 * @ret_decisions: (out caller-allocates) (array length=n_domains): one
 *   decision per domain, to clear with vmem_engine_decision_clear()
 * @ret_host: (out caller-allocates) (nullable): the host's side, to clear
 *   with vmem_engine_host_decision_clear()
 *
 * Decides what each domain should have now.  Pure and deterministic: the
 * same inputs give the same decisions, in any order of the domains but
 * for the order of exact ties, which the names break.
 */
void
vmem_engine_decide(const VmemEngineTuning *tuning, const VmemEngineHost *host,
		   const VmemEngineDomain *domains, guint n_domains, double now,
		   VmemEngineDecision *ret_decisions, VmemEngineHostDecision *ret_host)
{
	static const VmemEngineTuning defaults = VMEM_ENGINE_TUNING_DEFAULT;
	g_autofree VmemEngineWish *wishes = g_new0(VmemEngineWish, MAX(n_domains, 1));
	VmemEngineHostDecision host_decision = {0};

	if (tuning == NULL)
		tuning = &defaults;
	for (guint i = 0; i < n_domains; i++)
		vmem_engine_domain_decide(tuning, &domains[i], now, &ret_decisions[i], &wishes[i]);
	vmem_engine_host_arbitrate(tuning, host, domains, n_domains, wishes, ret_decisions,
				   &host_decision);
	for (guint i = 0; i < n_domains; i++)
		vmem_engine_split(&domains[i], &wishes[i], &ret_decisions[i]);
	if (ret_host != NULL)
		*ret_host = host_decision;
	else
		vmem_engine_host_decision_clear(&host_decision);
}
