/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The policy engine: a pure, deterministic function from what is known of
 * the host and of each managed domain (devices, run state, the latest guest
 * report, the policy, the time of the last decisions) to one decision per
 * domain: a new requested total split over the devices, or hold, each with
 * a reason.  No I/O, no clock, no main loop: time is an input, so a daemon
 * calls it every tick and the simulator calls the very same function.
 *
 * The rules are documented once, in vmem-engine.c (one domain) and
 * vmem-engine-host.c (host pressure), and in docs/policy.md.
 */
#pragma once

#include <glib.h>

#include "vmem-backend.h"
#include "vmem-policy.h"

G_BEGIN_DECLS

/* A time that never was: the last grow or shrink of a new domain. */
#define VMEM_ENGINE_NEVER (-G_MAXDOUBLE)

/**
 * VmemEngineState:
 * @VMEM_ENGINE_STATE_RUNNING: the guest runs
 * @VMEM_ENGINE_STATE_MIGRATING: a migration runs: QEMU refuses changes
 * @VMEM_ENGINE_STATE_SAVING: a save or dump runs: QEMU refuses changes
 * @VMEM_ENGINE_STATE_PAUSED: the guest is paused: it cannot plug or unplug
 * @VMEM_ENGINE_STATE_REBOOTED: the guest rebooted since the last tick:
 *   everything is unplugged, the target must be requested again
 * @VMEM_ENGINE_STATE_STOPPED: the domain does not run
 */
typedef enum {
	VMEM_ENGINE_STATE_RUNNING,
	VMEM_ENGINE_STATE_MIGRATING,
	VMEM_ENGINE_STATE_SAVING,
	VMEM_ENGINE_STATE_PAUSED,
	VMEM_ENGINE_STATE_REBOOTED,
	VMEM_ENGINE_STATE_STOPPED,
} VmemEngineState;

const char *vmem_engine_state_to_string(VmemEngineState state);
gboolean vmem_engine_state_from_string(const char *text, VmemEngineState *ret_state);

/**
 * VmemEngineReport:
 * @valid: whether there is a report at all
 * @age: seconds since the guest made it
 * @mem_total: the guest's MemTotal, bytes
 * @mem_available: the guest's MemAvailable, bytes
 * @plugged: the virtio-mem memory the guest had plugged when it reported
 *   (MemTotal minus this is the guest's boot memory)
 * @has_psi: whether @psi_some_avg10 and @psi_full_avg10 are known
 * @psi_some_avg10: /proc/pressure/memory "some" avg10, percent
 * @psi_full_avg10: "full" avg10, percent
 * @has_zones: whether @movable_online and @normal_online are known (the
 *   agent knows them; libvirt's balloon statistics do not)
 * @movable_online: virtio-mem memory online in ZONE_MOVABLE, bytes
 * @normal_online: virtio-mem memory online in ZONE_NORMAL, bytes
 * @unplug_may_stick: the guest says an unplug may not complete
 * @from_balloon: the figures are libvirt's balloon statistics, not the
 *   agent's: QEMU polls them (every second), so they are up to a poll
 *   older than @age says, and they carry no PSI and no zones.  The engine
 *   then keeps a larger margin (see vmem_engine_domain_decide())
 *
 * The latest facts from the guest, by virtmem-agent or from libvirt's
 * balloon statistics (`usable`/`available`) as the fallback.  A report
 * left zeroed but for its figures is an agent's: @from_balloon %FALSE.
 */
typedef struct {
	gboolean valid;
	double age;
	guint64 mem_total;
	guint64 mem_available;
	guint64 plugged;
	gboolean has_psi;
	double psi_some_avg10;
	double psi_full_avg10;
	gboolean has_zones;
	guint64 movable_online;
	guint64 normal_online;
	gboolean unplug_may_stick;
	gboolean from_balloon;
} VmemEngineReport;

/**
 * VmemEngineStuck:
 * @stuck: the domain's last unplug stalled and has not completed since
 * @reason: (nullable): why, for people ("700 MiB in ZONE_NORMAL")
 * @used: the guest's used memory in the report the unplug stalled with
 * @movable_online: its movable online memory then
 *
 * Kept by the caller from the moment an unplug stalls until an unplug
 * completes: the engine compares the newest report with these to decide
 * whether the guest changed enough to try again.
 */
typedef struct {
	gboolean stuck;
	const char *reason;
	guint64 used;
	guint64 movable_online;
} VmemEngineStuck;

/**
 * VmemEngineHistory:
 * @last_grow: when a grow (or restore) was last applied, or
 *   %VMEM_ENGINE_NEVER: the grow cooldown counts from it
 * @last_need: when a grow the guest needed for its present use (not only
 *   ahead of a rise) was last applied: the shrink cooldown counts from it
 * @need_level: what that grow's guest needed for its present use, in
 *   requested terms: the shrink cooldown keeps that much, and what the grow
 *   added ahead of a rise above it is an excess like any other
 * @last_shrink: when a shrink (not a reclaim for the host) was last
 *   applied: the next steps giving back the same excess follow it
 * @excess_since: since when the domain has had more than its target
 *   without a break, or %VMEM_ENGINE_NEVER
 * @surplus: by how much, at the latest decision (0: no excess)
 * @used: the guest's used memory in the latest report seen
 * @used_at: when that report was made, or %VMEM_ENGINE_NEVER
 * @rise: how much the used memory rose from the report before to it
 * @rise_over: the seconds between those two reports (0: unknown)
 *
 * The little the engine needs to remember between two ticks; the caller
 * keeps it (the engine keeps nothing), starting from
 * VMEM_ENGINE_HISTORY_INIT.
 */
typedef struct {
	double last_grow;
	double last_need;
	guint64 need_level;
	double last_shrink;
	double excess_since;
	guint64 surplus;
	guint64 used;
	double used_at;
	guint64 rise;
	double rise_over;
} VmemEngineHistory;

/* clang-format off */
#define VMEM_ENGINE_HISTORY_INIT \
	{VMEM_ENGINE_NEVER, VMEM_ENGINE_NEVER, 0, VMEM_ENGINE_NEVER, VMEM_ENGINE_NEVER, 0, 0, \
	 VMEM_ENGINE_NEVER, 0, 0}
/* clang-format on */

/**
 * VmemEngineDomain:
 * @name: the domain's name, for the order of ties and for people
 * @devices: (element-type VmemDevice): its virtio-mem devices
 * @weights: (nullable) (array): how to split between them, see
 *   vmem_resize_plan_split()
 * @state: its run state
 * @policy: its policy after vmem_policy_def_postparse() (sizes in KiB)
 * @report: the latest guest report
 * @history: what the engine decided before, kept by the caller with
 *   vmem_engine_history_update()
 * @stuck: its last unplug, when that stalled
 */
typedef struct {
	const char *name;
	GPtrArray *devices;
	const guint64 *weights;
	VmemEngineState state;
	const VmemPolicyDef *policy;
	VmemEngineReport report;
	VmemEngineHistory history;
	VmemEngineStuck stuck;
} VmemEngineDomain;

/**
 * VmemEngineHost:
 * @valid: whether the host's figures are known (else no arbitration)
 * @mem_available: the host's MemAvailable, bytes
 * @reserve: what the host keeps for itself, bytes; 0 for no reserve
 * @has_psi: whether @psi_some_avg10 and @psi_full_avg10 are known
 *   (independent of @valid: the host's pressure counts without a reserve)
 * @psi_some_avg10: the host's /proc/pressure/memory "some" avg10, percent
 * @psi_full_avg10: its "full" avg10, percent
 *
 * The host's side.  A host under memory pressure by PSI (see
 * #VmemEngineTuning) is treated as a host below its reserve: see
 * vmem_engine_host_arbitrate().
 */
typedef struct {
	gboolean valid;
	guint64 mem_available;
	guint64 reserve;
	gboolean has_psi;
	double psi_some_avg10;
	double psi_full_avg10;
} VmemEngineHost;

/**
 * VmemEngineTuning:
 * @fresh: how old, in seconds, a report may be for a shrink
 * @margin_min: the least margin of the safety floor, bytes
 * @margin_percent: the margin as a share of the guest's MemTotal
 * @psi_grow: guest "some" memory pressure (avg10, percent) that grows a
 *   domain by a step even when its available memory is at its buffer
 * @balloon_delay: how much older than their age, in seconds, balloon
 *   statistics may be (QEMU's statistics poll period)
 * @host_psi_some: host "some" memory pressure (avg10, percent) from which
 *   the host counts as short of memory
 * @host_psi_full: host "full" memory pressure (avg10, percent) from which
 *   the host counts as short of memory
 *
 * The engine's constants; VMEM_ENGINE_TUNING_DEFAULT are the documented
 * ones (docs/policy.md).
 */
typedef struct {
	double fresh;
	guint64 margin_min;
	guint margin_percent;
	double psi_grow;
	double balloon_delay;
	double host_psi_some;
	double host_psi_full;
} VmemEngineTuning;

#define VMEM_ENGINE_TUNING_DEFAULT                                                                 \
	{                                                                                          \
		10.0, 128 * G_GUINT64_CONSTANT(1048576), 5, 10.0, 1.0, 10.0, 5.0                   \
	}

/**
 * VmemEngineAction:
 * @VMEM_ENGINE_ACTION_NONE: nothing to do: steady, or not the engine's to
 *   decide (mode manual or off)
 * @VMEM_ENGINE_ACTION_HOLD: something to do, but not now (busy, cooldown,
 *   no fresh report, host reserve...)
 * @VMEM_ENGINE_ACTION_GROW: request more
 * @VMEM_ENGINE_ACTION_SHRINK: request less, one step
 * @VMEM_ENGINE_ACTION_RECLAIM: request less for the host's reserve
 * @VMEM_ENGINE_ACTION_BACK_OFF: the last unplug is stuck: stop asking
 *   (request what is plugged) until the guest's report changes
 * @VMEM_ENGINE_ACTION_RESTORE: the guest rebooted: request the target again
 */
typedef enum {
	VMEM_ENGINE_ACTION_NONE,
	VMEM_ENGINE_ACTION_HOLD,
	VMEM_ENGINE_ACTION_GROW,
	VMEM_ENGINE_ACTION_SHRINK,
	VMEM_ENGINE_ACTION_RECLAIM,
	VMEM_ENGINE_ACTION_BACK_OFF,
	VMEM_ENGINE_ACTION_RESTORE,
} VmemEngineAction;

const char *vmem_engine_action_to_string(VmemEngineAction action);

/**
 * VmemEngineDecision:
 * @action: what to do
 * @requested: the total to request, bytes (the current total when nothing
 *   changes)
 * @split: (nullable) (array): the requested size of each device, parallel
 *   to the domain's devices, when @action asks the VMM for something
 *   (grow, shrink, reclaim, back off, restore); %NULL otherwise
 * @reason: why, a short phrase for logs and people
 * @floor: the safety floor in requested terms (0 without a report)
 * @target: what the buffer asks for, in requested terms
 * @excess: the domain has more than its target (it would shrink)
 * @surplus: by how much, bytes (0 without an excess)
 * @ahead: a grow only ahead of a rise (for the expected rise or the
 *   headroom), not for the guest's present use: it does not restart the
 *   shrink cooldown
 * @need_level: for a grow the guest needed, what its present use needs
 *   (see #VmemEngineHistory)
 * @used: the used memory of the report decided on (0 without one)
 * @used_at: when that report was made, or %VMEM_ENGINE_NEVER
 * @rise: the used memory's rise between the last two reports
 * @rise_over: the seconds between those two reports (0: unknown)
 */
typedef struct {
	VmemEngineAction action;
	guint64 requested;
	guint64 *split;
	char *reason;
	guint64 floor;
	guint64 target;
	gboolean excess;
	guint64 surplus;
	gboolean ahead;
	guint64 need_level;
	guint64 used;
	double used_at;
	guint64 rise;
	double rise_over;
} VmemEngineDecision;

void vmem_engine_decision_clear(VmemEngineDecision *decision);

/**
 * VmemEngineHostDecision:
 * @below_reserve: the host is (or would be, after the domains' wishes)
 *   below its reserve
 * @psi_pressure: the host's memory pressure (PSI) is at or above the
 *   tuning's thresholds: it is treated as short of memory
 * @overcommitted: every domain that can give is at its floor and the host
 *   is still short
 * @shortfall: how much the host still misses of its reserve (or, under
 *   memory pressure, of what it asked back), bytes
 * @reason: (nullable): for the log, when @below_reserve or @psi_pressure
 */
typedef struct {
	gboolean below_reserve;
	gboolean psi_pressure;
	gboolean overcommitted;
	guint64 shortfall;
	char *reason;
} VmemEngineHostDecision;

void vmem_engine_host_decision_clear(VmemEngineHostDecision *decision);

void vmem_engine_decide(const VmemEngineTuning *tuning, const VmemEngineHost *host,
			const VmemEngineDomain *domains, guint n_domains, double now,
			VmemEngineDecision *ret_decisions, VmemEngineHostDecision *ret_host);

gboolean vmem_engine_decision_applies(const VmemEngineDecision *decision);
gboolean vmem_engine_would_grow(const VmemEngineDomain *domain, double now);
void vmem_engine_history_update(VmemEngineHistory *history, const VmemEngineDecision *decision,
				double now);

G_END_DECLS
