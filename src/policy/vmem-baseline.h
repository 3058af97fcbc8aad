/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The baselines the simulator compares the engine with, modelled on the
 * systems people use today (sources in vmem-baseline.c and
 * docs/policy.md).  Pure, like the engine: the same inputs, one domain at
 * a time, and a decision in the engine's form.
 */
#pragma once

#include <glib.h>

#include "vmem-engine.h"

G_BEGIN_DECLS

/* How often each baseline decides, seconds */
#define VMEM_BASELINE_BALANCER_INTERVAL 15.0
#define VMEM_BASELINE_MOM_INTERVAL 10.0

void vmem_baseline_balancer(const VmemEngineDomain *domain, VmemEngineDecision *ret_decision);
void vmem_baseline_mom(const VmemEngineHost *host, guint64 host_memory,
		       const VmemEngineDomain *domain, guint64 base,
		       VmemEngineDecision *ret_decision);
guint64 vmem_baseline_static(const VmemEngineDomain *domain, guint64 base, guint64 peak_used);

G_END_DECLS
