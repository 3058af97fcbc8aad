/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The baselines, as the simulator runs them:
 *
 * - balancer: virtio-mem-balancer, a small Python daemon over virsh, by
 *   its published rule (not its code): every 15 s,
 *   grow by 512 MiB when the guest has less than 15 % of its memory
 *   unused, shrink by 512 MiB when it has more than 40 %.
 * - mom: oVirt's Memory Overcommitment Manager, its balloon policy
 *   (mom-balloon.policy, oVirt site "develop/sla/mom-balloon.policy";
 *   MOM's default policy interval is 10 s): host free below 20 % of its
 *   memory is pressure, below 5 % critical; under pressure each guest
 *   shrinks by at most 5 % of its memory per step but keeps its used
 *   memory plus a free share (20 % scaled down by the host's pressure;
 *   negative when critical); without pressure each guest grows by 5 % per
 *   step, at least to used plus 20 % of its maximum, up to its maximum.
 *   Its balloon size is the guest's memory: here base + requested.
 * - static: the peak need known in advance (used at the peak / (1 -
 *   buffer) - base), plugged from the start and never changed: the
 *   footprint a static VM of the right size would have.
 *
 * The baselines know nothing of safety floors, movable memory or stuck
 * unplugs; they respect the policy's min and max and whole blocks, as
 * their configuration would.
 */
#include "config.h"

#include "vmem-baseline.h"

#include <glib/gi18n.h>
#include <math.h>

#include "vmem-engine-private.h"
#include "vmem-resize-plan.h"
#include "vmem-size.h"

#define VMEM_BASELINE_BALANCER_STEP (512 * VMEM_SIZE_MIB)
#define VMEM_BASELINE_BALANCER_GROW_BELOW 15
#define VMEM_BASELINE_BALANCER_SHRINK_ABOVE 40

#define VMEM_BASELINE_MOM_PRESSURE 0.20
#define VMEM_BASELINE_MOM_CRITICAL 0.05
#define VMEM_BASELINE_MOM_MIN_GUEST_FREE 0.20
#define VMEM_BASELINE_MOM_MAX_CHANGE 0.05
#define VMEM_BASELINE_MOM_MIN_CHANGE 0.0025

typedef struct {
	guint64 current;
	guint64 block;
	guint64 lo;
	guint64 hi;
} VmemBaselineBounds;

static gboolean
vmem_baseline_bounds(const VmemEngineDomain *domain, VmemBaselineBounds *ret)
{
	guint64 capacity = 0;

	memset(ret, 0, sizeof(*ret));
	for (guint i = 0; i < domain->devices->len; i++) {
		const VmemDevice *dev = domain->devices->pdata[i];

		capacity += dev->size;
		ret->current += dev->requested;
		ret->block = MAX(ret->block, dev->block_size);
	}
	if (ret->block == 0)
		return FALSE;
	ret->hi = vmem_engine_round_down(MIN(domain->policy->max_kib * VMEM_SIZE_KIB, capacity),
					 ret->block);
	ret->lo = MIN(vmem_engine_round_up(domain->policy->min_kib * VMEM_SIZE_KIB, ret->block),
		      ret->hi);
	return TRUE;
}

/* Sets @d to @requested with its split, or to hold when it is no change */
static void
vmem_baseline_set(const VmemEngineDomain *domain, const VmemBaselineBounds *b,
		  VmemEngineDecision *d, guint64 requested, char *reason)
{
	requested = CLAMP(requested, b->lo, b->hi);
	memset(d, 0, sizeof(*d));
	d->requested = b->current;
	if (requested == b->current ||
	    !vmem_resize_plan_split(domain->devices, domain->weights, requested, &d->split, NULL)) {
		g_free(reason);
		d->action = VMEM_ENGINE_ACTION_NONE;
		return;
	}
	d->action = requested > b->current ? VMEM_ENGINE_ACTION_GROW : VMEM_ENGINE_ACTION_SHRINK;
	d->requested = requested;
	d->reason = reason;
}

/**
 * vmem_baseline_balancer:
 * @domain: the domain, with its latest report
 * @ret_decision: (out caller-allocates): what virtio-mem-balancer would do
 *
 * Called every %VMEM_BASELINE_BALANCER_INTERVAL seconds.
 */
void
vmem_baseline_balancer(const VmemEngineDomain *domain, VmemEngineDecision *ret_decision)
{
	const VmemEngineReport *r = &domain->report;
	VmemBaselineBounds b;
	guint unused;

	memset(ret_decision, 0, sizeof(*ret_decision));
	if (!vmem_baseline_bounds(domain, &b) || domain->state != VMEM_ENGINE_STATE_RUNNING ||
	    !r->valid || r->mem_total == 0) {
		ret_decision->requested = b.current;
		return;
	}
	unused = (guint)(r->mem_available * 100 / r->mem_total);
	if (unused < VMEM_BASELINE_BALANCER_GROW_BELOW)
		vmem_baseline_set(
			domain, &b, ret_decision,
			vmem_engine_round_up(b.current + VMEM_BASELINE_BALANCER_STEP, b.block),
			/* TRANSLATORS: a baseline's decision; %u is a percentage */
			g_strdup_printf(_("balancer: guest unused %u %% < 15 %%, grow 512 MiB"),
					unused));
	else if (unused > VMEM_BASELINE_BALANCER_SHRINK_ABOVE)
		vmem_baseline_set(
			domain, &b, ret_decision,
			vmem_engine_round_down(
				vmem_engine_sub(b.current, VMEM_BASELINE_BALANCER_STEP), b.block),
			/* TRANSLATORS: a baseline's decision; %u is a percentage */
			g_strdup_printf(_("balancer: guest unused %u %% > 40 %%, shrink 512 MiB"),
					unused));
	else
		ret_decision->requested = b.current;
}

/**
 * vmem_baseline_mom:
 * @host: the host's figures
 * @host_memory: the host's memory, bytes (MOM's Host.mem_available)
 * @domain: the domain, with its latest report
 * @base: its boot memory, bytes
 * @ret_decision: (out caller-allocates): what MOM would do
 *
 * Called every %VMEM_BASELINE_MOM_INTERVAL seconds.
 */
void
vmem_baseline_mom(const VmemEngineHost *host, guint64 host_memory, const VmemEngineDomain *domain,
		  guint64 base, VmemEngineDecision *ret_decision)
{
	const VmemEngineReport *r = &domain->report;
	VmemBaselineBounds b;
	double host_free, cur, used, max, size, free_share;

	memset(ret_decision, 0, sizeof(*ret_decision));
	if (!vmem_baseline_bounds(domain, &b) || domain->state != VMEM_ENGINE_STATE_RUNNING ||
	    !r->valid || r->mem_total == 0 || host_memory == 0) {
		ret_decision->requested = b.current;
		return;
	}
	host_free = (double)host->mem_available / (double)host_memory;
	cur = (double)(base + b.current);
	used = (double)vmem_engine_sub(r->mem_total, r->mem_available);
	max = (double)(base + b.hi);
	if (host_free < VMEM_BASELINE_MOM_PRESSURE) {
		/* shrink_guest */
		if (host_free <= VMEM_BASELINE_MOM_CRITICAL)
			free_share = -0.05 + host_free;
		else
			free_share = VMEM_BASELINE_MOM_MIN_GUEST_FREE *
				     (host_free / VMEM_BASELINE_MOM_PRESSURE);
		size = cur * (1 - VMEM_BASELINE_MOM_MAX_CHANGE);
		size = MAX(size, used + free_share * cur);
		if (size > cur || fabs(size - cur) <= VMEM_BASELINE_MOM_MIN_CHANGE * cur) {
			ret_decision->requested = b.current;
			return;
		}
		vmem_baseline_set(
			domain, &b, ret_decision,
			vmem_engine_round_down(vmem_engine_sub((guint64)size, base), b.block),
			/* TRANSLATORS: a baseline's decision; %.0f is a percentage */
			g_strdup_printf(_("mom: host free %.0f %% < 20 %%, shrink"),
					host_free * 100));
		return;
	}
	/* grow_guest */
	if (cur >= max) {
		ret_decision->requested = b.current;
		return;
	}
	size = MIN(cur * (1 + VMEM_BASELINE_MOM_MAX_CHANGE), max);
	size = MAX(size, used + VMEM_BASELINE_MOM_MIN_GUEST_FREE * max);
	if (fabs(size - cur) <= VMEM_BASELINE_MOM_MIN_CHANGE * cur) {
		ret_decision->requested = b.current;
		return;
	}
	vmem_baseline_set(
		domain, &b, ret_decision,
		vmem_engine_round_up(vmem_engine_sub((guint64)size, base), b.block),
		/* TRANSLATORS: a baseline's decision; %.0f is a percentage */
		g_strdup_printf(_("mom: host free %.0f %% ≥ 20 %%, grow"), host_free * 100));
}

/**
 * vmem_baseline_static:
 * @domain: the domain
 * @base: its boot memory, bytes
 * @peak_used: the most its guest ever uses, bytes
 *
 * Returns: the static allocation at the peak: what keeps the buffer free
 *   at the peak, in whole blocks, within min and max
 */
guint64
vmem_baseline_static(const VmemEngineDomain *domain, guint64 base, guint64 peak_used)
{
	VmemBaselineBounds b;
	guint buffer = MIN(domain->policy->buffer_percent, 95);
	guint64 need;

	if (!vmem_baseline_bounds(domain, &b))
		return 0;
	need = (guint64)(((unsigned __int128)peak_used * 100 + (100 - buffer) - 1) /
			 (100 - buffer));
	return CLAMP(vmem_engine_round_up(vmem_engine_sub(need, base), b.block), b.lo, b.hi);
}
