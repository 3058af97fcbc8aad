/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Host pressure: when the domains' wishes would leave the host below its
 * reserve, take memory back from buffers, lowest priority first.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "vmem-engine-private.h"
#include "vmem-size.h"

typedef struct {
	guint index;
	const VmemEngineDomain *domain;
	const VmemEngineWish *wish;
} VmemEngineCandidate;

/* Lowest priority first; among equals the most memory above its floor
 * first; then by name, so that the order never depends on the input's. */
static gint
vmem_engine_candidate_compare(gconstpointer a, gconstpointer b)
{
	const VmemEngineCandidate *ca = a, *cb = b;
	guint64 above_a = vmem_engine_sub(ca->wish->current, ca->wish->floor);
	guint64 above_b = vmem_engine_sub(cb->wish->current, cb->wish->floor);

	if (ca->wish->priority != cb->wish->priority)
		return ca->wish->priority < cb->wish->priority ? -1 : 1;
	if (above_a != above_b)
		return above_a > above_b ? -1 : 1;
	return g_strcmp0(ca->domain->name, cb->domain->name);
}

/* Lowers @d's total to no less than @bound by what the host still needs
 * (in whole blocks); returns what it freed. */
static guint64
vmem_engine_lower(VmemEngineDecision *d, const VmemEngineWish *w, guint64 bound, guint64 need)
{
	guint64 next;

	if (d->requested <= bound)
		return 0;
	next = MAX(bound, vmem_engine_sub(d->requested, vmem_engine_round_up(need, w->block)));
	next = MIN(vmem_engine_round_up(next, w->block), d->requested);
	if (next >= d->requested)
		return 0;
	next = MAX(next, bound);
	{
		guint64 freed = d->requested - next;

		d->requested = next;
		return freed;
	}
}

/**
 * vmem_engine_host_arbitrate:
 *
 * The host's rules, after each domain's own decision:
 *
 * 1. The host's MemAvailable after the decisions is projected: each
 *    domain's new total minus what it has plugged is taken from (or,
 *    for a shrink, given back to) what the host has available now.
 * 2. When that stays at or above the reserve, nothing changes.
 * 3. Otherwise the domains the engine may change (mode auto, running,
 *    with a report, no stuck unplug) give, in order: lowest priority
 *    first, among equal priorities the one with the most memory above its
 *    floor first, then by name.  Each gives first the part of its grow
 *    above its safety floor ("grow refused": a lower priority does not
 *    grow while a higher one is short), then, when its report is fresh,
 *    its buffer down to its safety floor, never more than its movable
 *    memory, without waiting for the shrink cooldown or going by steps
 *    ("reclaim").  Nobody ever gives below the safety floor: a guest
 *    below it still grows to it.
 * 4. When every domain is at its floor and the host is still short, the
 *    host is overcommitted: the decision says so for the log.
 */
void
vmem_engine_host_arbitrate(const VmemEngineHost *host, const VmemEngineDomain *domains,
			   guint n_domains, const VmemEngineWish *wishes,
			   VmemEngineDecision *decisions, VmemEngineHostDecision *ret_host)
{
	g_autoptr(GArray) order = NULL;
	gint64 projected;
	guint64 need;

	memset(ret_host, 0, sizeof(*ret_host));
	if (host == NULL || !host->valid || host->reserve == 0)
		return;
	/* 1. */
	projected = (gint64)MIN(host->mem_available, (guint64)G_MAXINT64);
	for (guint i = 0; i < n_domains; i++) {
		if (domains[i].state == VMEM_ENGINE_STATE_STOPPED)
			continue;
		projected -= (gint64)decisions[i].requested - (gint64)wishes[i].plugged;
	}
	/* 2. */
	if (projected >= (gint64)host->reserve)
		return;
	need = (guint64)((gint64)host->reserve - projected);
	ret_host->below_reserve = TRUE;

	/* 3. */
	order = g_array_new(FALSE, FALSE, sizeof(VmemEngineCandidate));
	for (guint i = 0; i < n_domains; i++) {
		VmemEngineCandidate c = {i, &domains[i], &wishes[i]};

		if (wishes[i].arbitrated)
			g_array_append_val(order, c);
	}
	g_array_sort(order, vmem_engine_candidate_compare);
	for (guint k = 0; k < order->len && need > 0; k++) {
		const VmemEngineCandidate *c = &g_array_index(order, VmemEngineCandidate, k);
		VmemEngineDecision *d = &decisions[c->index];
		const VmemEngineWish *w = c->wish;
		guint64 freed;

		if (d->requested > w->current) {
			freed = vmem_engine_lower(d, w, MAX(w->current, w->floor), need);
			need = vmem_engine_sub(need, freed);
			if (freed > 0 && d->requested == w->current) {
				g_free(d->reason);
				d->action = VMEM_ENGINE_ACTION_HOLD;
				/* TRANSLATORS: a policy decision: keep "hold:"; %u is a priority,
				 * 1 to 10 */
				d->reason = g_strdup_printf(
					_("hold: host below reserve, grow refused for priority %u"),
					w->priority);
			} else if (freed > 0) {
				g_free(d->reason);
				/* TRANSLATORS: a policy decision: keep "grow:" */
				d->reason = g_strdup(
					_("grow: to the safety floor only, host below reserve"));
			}
		}
		if (need > 0 && w->may_unplug && d->requested <= w->current) {
			freed = vmem_engine_lower(d, w, w->unplug_floor, need);
			need = vmem_engine_sub(need, freed);
			if (freed > 0) {
				g_free(d->reason);
				d->action = VMEM_ENGINE_ACTION_RECLAIM;
				/* TRANSLATORS: a policy decision: keep "reclaim:"; %u is a
				 * priority, 1 to 10 */
				d->reason = g_strdup_printf(
					_("reclaim: host below reserve, priority %u"), w->priority);
			}
		}
	}

	/* 4. */
	ret_host->shortfall = need;
	if (need > 0) {
		g_autofree char *need_s = vmem_size_format(need);

		ret_host->overcommitted = TRUE;
		/* TRANSLATORS: for the log; %s is a size such as "1.5 GiB" */
		ret_host->reason = g_strdup_printf(_("host overcommitted: %s short of the reserve "
						     "with every domain at its safety floor"),
						   need_s);
	} else {
		/* TRANSLATORS: for the log */
		ret_host->reason =
			g_strdup(_("host below reserve: memory taken back from buffers"));
	}
}
