/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The offline simulator: a scenario (docs/policy.md,
 * schemas/policy-scenario.schema.json) of a host and its domains, each a
 * modelled guest with a load over time, run tick by tick against the
 * policy engine (the same vmem_engine_decide() a daemon calls) or one of
 * the baselines.  Pure: the scenario's time, never the clock.
 */
#pragma once

#include <glib.h>

#include "vmem-engine.h"

G_BEGIN_DECLS

/**
 * VmemSimPoint:
 * @t: from when, seconds
 * @value: bytes (load, other use) or a run state (state timelines)
 * @ramp: seconds over which the value moves linearly from the previous
 *   one; 0 for a step
 */
typedef struct {
	double t;
	guint64 value;
	double ramp;
} VmemSimPoint;

/**
 * VmemSimDomainDef:
 * @name: the domain's name
 * @base: its boot memory, bytes
 * @devices: (element-type VmemDevice): its devices, @requested as at the
 *   start (plugged as requested)
 * @policy: its policy, defaults filled
 * @plug_rate: bytes per second the guest plugs
 * @unplug_rate: bytes per second it unplugs
 * @unmovable: its kernel's unmovable memory, bytes: in ZONE_NORMAL, its base
 *   first; it never unplugs below used + unmovable - base
 * @report_interval: seconds between two guest reports
 * @agent: whether virtmem-agent reports (zones, PSI) or only libvirt's
 *   balloon statistics do, a tick late (QEMU polls them)
 * @load: (element-type VmemSimPoint): used memory over time
 * @states: (element-type VmemSimPoint): run states over time
 *   (VmemEngineState), running when empty
 */
typedef struct {
	char *name;
	guint64 base;
	GPtrArray *devices;
	VmemPolicyDef *policy;
	guint64 plug_rate;
	guint64 unplug_rate;
	guint64 unmovable;
	double report_interval;
	gboolean agent;
	GArray *load;
	GArray *states;
} VmemSimDomainDef;

/**
 * VmemSimScenario:
 * @duration: seconds simulated
 * @tick: seconds between two decisions
 * @host_memory: the host's memory, bytes
 * @host_reserve: what it keeps for itself, bytes
 * @other_used: (element-type VmemSimPoint): what else uses host memory
 * @domains: (element-type VmemSimDomainDef): the domains
 */
typedef struct {
	double duration;
	double tick;
	guint64 host_memory;
	guint64 host_reserve;
	GArray *other_used;
	GPtrArray *domains;
} VmemSimScenario;

/* The longest scenario, bytes: parsed, its JSON takes some 60 times as
 * much memory. */
#define VMEM_SIM_TEXT_MAX (4 * 1024 * 1024)
/* The most domain-ticks (domains times ticks) of a scenario: a run costs
 * about 2 µs each, whatever its timelines. */
#define VMEM_SIM_STEPS_MAX G_GUINT64_CONSTANT(20000000)
/* The most domain-samples (a domain at each agent watch, one every
 * VMEM_AGENT_WATCH_MS): about 0.2 µs each. */
#define VMEM_SIM_SAMPLES_MAX G_GUINT64_CONSTANT(100000000)

VmemSimScenario *vmem_sim_scenario_parse(const char *text, gsize len, GError **error);
void vmem_sim_scenario_free(VmemSimScenario *scenario);
guint64 vmem_sim_scenario_ticks(const VmemSimScenario *scenario);
guint vmem_sim_samples(double dt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmemSimScenario, vmem_sim_scenario_free)

guint64 vmem_sim_timeline_at(GArray *points, double t);
guint64 vmem_sim_timeline_follow(GArray *points, double t, guint *cursor);

/**
 * VmemSimEngine:
 * @VMEM_SIM_ENGINE_VIRTMEM: the policy engine
 * @VMEM_SIM_ENGINE_BALANCER: virtio-mem-balancer's rule (vmem-baseline.c)
 * @VMEM_SIM_ENGINE_MOM: oVirt MOM's balloon rule (vmem-baseline.c)
 * @VMEM_SIM_ENGINE_STATIC: a static allocation at the peak need, known in
 *   advance (an oracle, for comparison)
 */
typedef enum {
	VMEM_SIM_ENGINE_VIRTMEM,
	VMEM_SIM_ENGINE_BALANCER,
	VMEM_SIM_ENGINE_MOM,
	VMEM_SIM_ENGINE_STATIC,
} VmemSimEngine;

const char *vmem_sim_engine_to_string(VmemSimEngine engine);
gboolean vmem_sim_engine_from_string(const char *text, VmemSimEngine *ret_engine);

typedef struct {
	double t;
	guint domain;
	char *alias;
	guint64 requested;
	char *reason;
} VmemSimDecision;

typedef struct {
	double t;
	guint domain;
	guint64 requested;
	guint64 plugged;
	guint64 used;
	guint64 available;
} VmemSimTracePoint;

typedef struct {
	guint64 oom_events;
	double pressure_seconds;
	double plugged_gib_seconds;
	guint64 max_plugged;
} VmemSimDomainResult;

/**
 * VmemSimResult:
 * @engine: which engine decided
 * @decisions: (element-type VmemSimDecision): each device's new request,
 *   and each new reason to hold, in time order
 * @trace: (element-type VmemSimTracePoint): each domain at each tick,
 *   with %VMEM_SIM_RUN_TRACE (empty without)
 * @domains: (element-type VmemSimDomainResult): parallel to the
 *   scenario's domains
 * @below_reserve_seconds: how long the host was below its reserve
 * @min_available: the host's least MemAvailable, bytes
 */
typedef struct {
	VmemSimEngine engine;
	GArray *decisions;
	GArray *trace;
	GArray *domains;
	double below_reserve_seconds;
	guint64 min_available;
} VmemSimResult;

/**
 * VmemSimRunFlags:
 * @VMEM_SIM_RUN_NONE: the decisions and the summaries
 * @VMEM_SIM_RUN_TRACE: also each domain at each tick, %VmemSimTracePoint
 *   bytes per domain-tick (up to %VMEM_SIM_STEPS_MAX of them)
 */
typedef enum {
	VMEM_SIM_RUN_NONE = 0,
	VMEM_SIM_RUN_TRACE = 1 << 0,
} VmemSimRunFlags;

VmemSimResult *vmem_sim_run(const VmemSimScenario *scenario, VmemSimEngine engine,
			    VmemSimRunFlags flags);
void vmem_sim_result_free(VmemSimResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmemSimResult, vmem_sim_result_free)

G_END_DECLS
