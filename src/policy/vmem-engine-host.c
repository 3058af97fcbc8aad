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

/* Whether the host's memory pressure (PSI) counts as a host short of
 * memory: "some" avg10 at or above its threshold (tasks stall on memory a
 * tenth of the time), or "full" at or above its own (all of them do). */
static gboolean
vmem_engine_host_psi(const VmemEngineTuning *tuning, const VmemEngineHost *host)
{
	return host != NULL && host->has_psi &&
	       (host->psi_some_avg10 >= tuning->host_psi_some ||
		host->psi_full_avg10 >= tuning->host_psi_full);
}

/**
 * vmem_engine_host_arbitrate:
 *
 * The host's rules, after each domain's own decision:
 *
 * 1. The host's MemAvailable after the decisions is projected: each
 *    domain's new total minus what it has plugged is taken from (or,
 *    for a shrink, given back to) what the host has available now.  What
 *    it misses of its reserve is what the domains must give.
 * 2. A host under memory pressure by PSI ("some" avg10 at least 10 % or
 *    "full" avg10 at least 5 %) is short as well, of an amount PSI does
 *    not tell: the domains must give every grow above their safety floor
 *    and one step more each decision while the pressure lasts (PSI avg10
 *    follows slowly: a step at a time does not take back more than the
 *    host needs).  The larger of the two is what they give.
 * 3. When nothing is short, nothing changes.
 * 4. Otherwise the domains the engine may change (mode auto, running,
 *    with a report, no stuck unplug) give, in order: lowest priority
 *    first, among equal priorities the one with the most memory above its
 *    floor first, then by name.  Each gives first the part of its grow
 *    above its safety floor ("grow refused": a lower priority does not
 *    grow while a higher one is short), then, when its report is fresh,
 *    its buffer down to its safety floor, never more than its movable
 *    memory, without waiting for the shrink cooldown or going by steps
 *    ("reclaim").  Nobody ever gives below the safety floor: a guest
 *    below it still grows to it.
 * 5. When every domain is at its floor and the host is still short, the
 *    host is overcommitted: the decision says so for the log.
 */
void
vmem_engine_host_arbitrate(const VmemEngineTuning *tuning, const VmemEngineHost *host,
			   const VmemEngineDomain *domains, guint n_domains,
			   const VmemEngineWish *wishes, VmemEngineDecision *decisions,
			   VmemEngineHostDecision *ret_host)
{
	g_autoptr(GArray) order = NULL;
	guint64 need = 0;
	gboolean psi = vmem_engine_host_psi(tuning, host), giver = FALSE;

	memset(ret_host, 0, sizeof(*ret_host));
	/* 1. */
	if (host != NULL && host->valid && host->reserve > 0) {
		gint64 projected = (gint64)MIN(host->mem_available, (guint64)G_MAXINT64);

		for (guint i = 0; i < n_domains; i++) {
			if (domains[i].state == VMEM_ENGINE_STATE_STOPPED)
				continue;
			projected -= (gint64)decisions[i].requested - (gint64)wishes[i].plugged;
		}
		if (projected < (gint64)host->reserve) {
			need = (guint64)((gint64)host->reserve - projected);
			ret_host->below_reserve = TRUE;
		}
	}
	/* 3. */
	if (need == 0 && !psi)
		return;

	/* 4. */
	order = g_array_new(FALSE, FALSE, sizeof(VmemEngineCandidate));
	for (guint i = 0; i < n_domains; i++) {
		VmemEngineCandidate c = {i, &domains[i], &wishes[i]};

		if (wishes[i].arbitrated)
			g_array_append_val(order, c);
	}
	g_array_sort(order, vmem_engine_candidate_compare);
	/* 2. */
	if (psi) {
		guint64 need_psi = 0;

		ret_host->psi_pressure = TRUE;
		for (guint k = 0; k < order->len; k++) {
			const VmemEngineCandidate *c =
				&g_array_index(order, VmemEngineCandidate, k);
			const VmemEngineWish *w = c->wish;
			guint64 requested = decisions[c->index].requested;

			need_psi += vmem_engine_sub(requested, MAX(w->current, w->floor));
			if (!giver && w->may_unplug &&
			    MIN(requested, w->current) > w->unplug_floor) {
				need_psi += w->step;
				giver = TRUE;
			}
		}
		need = MAX(need, need_psi);
	}
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
				d->reason = ret_host->below_reserve
						    /* TRANSLATORS: a policy decision: keep "hold:";
						     * %u is a priority, 1 to 10 */
						    ? g_strdup_printf(
							      _("hold: host below reserve, grow "
								"refused for priority %u"),
							      w->priority)
						    /* TRANSLATORS: a policy decision: keep "hold:";
						     * %u is a priority, 1 to 10 */
						    : g_strdup_printf(
							      _("hold: host memory pressure, grow "
								"refused for priority %u"),
							      w->priority);
			} else if (freed > 0) {
				g_free(d->reason);
				d->reason =
					ret_host->below_reserve
						/* TRANSLATORS: a policy decision: keep "grow:" */
						? g_strdup(_("grow: to the safety floor only, host "
							     "below reserve"))
						/* TRANSLATORS: a policy decision: keep "grow:" */
						: g_strdup(_("grow: to the safety floor only, host "
							     "memory pressure"));
			}
		}
		if (need > 0 && w->may_unplug && d->requested <= w->current) {
			freed = vmem_engine_lower(d, w, w->unplug_floor, need);
			need = vmem_engine_sub(need, freed);
			if (freed > 0) {
				g_free(d->reason);
				d->action = VMEM_ENGINE_ACTION_RECLAIM;
				d->reason =
					ret_host->below_reserve
						/* TRANSLATORS: a policy decision: keep "reclaim:";
						 * %u is a priority, 1 to 10 */
						? g_strdup_printf(_("reclaim: host below reserve, "
								    "priority %u"),
								  w->priority)
						/* TRANSLATORS: a policy decision: keep "reclaim:";
						 * %u is a priority, 1 to 10 */
						: g_strdup_printf(
							  _("reclaim: host memory pressure, "
							    "priority %u"),
							  w->priority);
			}
		}
	}

	/* 5. (under memory pressure, also when nobody had a step to give) */
	ret_host->shortfall = need;
	ret_host->overcommitted = need > 0 || (psi && !giver);
	if (ret_host->overcommitted && need > 0 && ret_host->below_reserve) {
		g_autofree char *need_s = vmem_size_format(need);

		/* TRANSLATORS: for the log; %s is a size such as "1.5 GiB" */
		ret_host->reason = g_strdup_printf(_("host overcommitted: %s short of the reserve "
						     "with every domain at its safety floor"),
						   need_s);
	} else if (ret_host->overcommitted) {
		/* TRANSLATORS: for the log; 1 and 2 are percentages, keep "PSI" */
		ret_host->reason = g_strdup_printf(
			_("host overcommitted: under memory pressure (PSI some %1$.0f %%, full "
			  "%2$.0f %%) with every domain at its safety floor"),
			host->psi_some_avg10, host->psi_full_avg10);
	} else if (ret_host->below_reserve) {
		/* TRANSLATORS: for the log */
		ret_host->reason =
			g_strdup(_("host below reserve: memory taken back from buffers"));
	} else {
		/* TRANSLATORS: for the log; 1 and 2 are percentages, keep "PSI" */
		ret_host->reason = g_strdup_printf(
			_("host under memory pressure (PSI some %1$.0f %%, full %2$.0f %%): memory "
			  "taken back from buffers"),
			host->psi_some_avg10, host->psi_full_avg10);
	}
}
