/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Between the engine's two passes: what the per-domain rules found out
 * about a domain, for the host-pressure arbitration.
 */
#pragma once

#include "vmem-engine.h"

G_BEGIN_DECLS

/**
 * VmemEngineWish:
 * @arbitrated: the host may change this domain's decision (mode auto,
 *   running, with a report, not backing off)
 * @may_unplug: the domain may go below its current request (fresh report,
 *   no stuck unplug)
 * @current: the domain's current requested total
 * @plugged: what it has plugged
 * @block: its largest block size: every total is a multiple of it
 * @step: its policy's step, in whole blocks
 * @floor: the lowest total the rules allow: the safety floor and the
 *   policy minimum (never above the maximum)
 * @unplug_floor: the lowest total an unplug may reach: the guest's movable
 *   online memory bounds it
 * @priority: the policy's priority (1 gives memory first)
 */
typedef struct {
	gboolean arbitrated;
	gboolean may_unplug;
	guint64 current;
	guint64 plugged;
	guint64 block;
	guint64 step;
	guint64 floor;
	guint64 unplug_floor;
	guint priority;
} VmemEngineWish;

void vmem_engine_domain_decide(const VmemEngineTuning *tuning, const VmemEngineDomain *domain,
			       double now, VmemEngineDecision *ret_decision,
			       VmemEngineWish *ret_wish);
void vmem_engine_host_arbitrate(const VmemEngineTuning *tuning, const VmemEngineHost *host,
				const VmemEngineDomain *domains, guint n_domains,
				const VmemEngineWish *wishes, VmemEngineDecision *decisions,
				VmemEngineHostDecision *ret_host);

static inline guint64
vmem_engine_round_up(guint64 value, guint64 block)
{
	return value % block == 0 ? value : value - value % block + block;
}

static inline guint64
vmem_engine_round_down(guint64 value, guint64 block)
{
	return value - value % block;
}

static inline guint64
vmem_engine_sub(guint64 a, guint64 b)
{
	return a > b ? a - b : 0;
}

G_END_DECLS
