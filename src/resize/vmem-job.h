/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A resize as a tracked job: what state it is in, judged from a timeline of
 * observations; when to kick a stalled guest; whether a shrink is safe.
 * Pure: the caller observes the VMM and passes the time in.
 */
#pragma once

#include <glib.h>

#include "vmem-backend.h"

G_BEGIN_DECLS

/**
 * VmemJobState:
 * @VMEM_JOB_CONVERGED: every device has plugged what was requested
 * @VMEM_JOB_PLUGGING: the guest is plugging towards the requested size
 * @VMEM_JOB_UNPLUGGING: the guest is unplugging towards the requested size
 * @VMEM_JOB_STUCK_UNPLUG: plugged stays above requested while the guest runs
 *   and nothing moved for a while: the guest cannot offline the memory
 * @VMEM_JOB_NO_DRIVER: nothing was ever plugged since boot: the guest has no
 *   virtio-mem driver (or one too old)
 * @VMEM_JOB_BUSY: the domain is migrating or being saved: the device refuses
 *   to plug or unplug until that ends
 * @VMEM_JOB_REPLUGGING: the guest rebooted (which unplugs everything) and is
 *   plugging the requested size again
 * @VMEM_JOB_NOT_RUNNING: the guest is paused, shut off or crashed
 * @VMEM_JOB_NOT_ONLINE: the device plugged what was requested but the
 *   guest left some of it offline: it cannot use it
 * @VMEM_JOB_PLUG_STALLED: the guest has a driver but stopped plugging
 *   towards the request for a while
 */
typedef enum {
	VMEM_JOB_CONVERGED,
	VMEM_JOB_PLUGGING,
	VMEM_JOB_UNPLUGGING,
	VMEM_JOB_STUCK_UNPLUG,
	VMEM_JOB_NO_DRIVER,
	VMEM_JOB_BUSY,
	VMEM_JOB_REPLUGGING,
	VMEM_JOB_NOT_RUNNING,
	VMEM_JOB_NOT_ONLINE,
	VMEM_JOB_PLUG_STALLED,
} VmemJobState;

/**
 * VmemJobStuckReason:
 * @VMEM_JOB_STUCK_UNKNOWN: no fresh guest report: what the guest uses is
 *   unknown, so it is not told again (a kick could make it run out of
 *   memory)
 * @VMEM_JOB_STUCK_IN_USE: the guest's report says it uses the memory
 * @VMEM_JOB_STUCK_NOT_MOVABLE: the guest's report says the memory is not
 *   in ZONE_MOVABLE, so it cannot reliably be offlined
 * @VMEM_JOB_STUCK_KICKED: the report says the memory is free and movable;
 *   the guest was told again and still did not give it back
 *
 * Why an unplug is stuck, and whether telling the guest again is safe.
 */
typedef enum {
	VMEM_JOB_STUCK_UNKNOWN,
	VMEM_JOB_STUCK_IN_USE,
	VMEM_JOB_STUCK_NOT_MOVABLE,
	VMEM_JOB_STUCK_KICKED,
} VmemJobStuckReason;

const char *vmem_job_state_to_string(VmemJobState state);

/**
 * VmemJobTuning:
 * @stuck_after_us: an unplug without progress this long, guest running, is
 *   stuck
 * @no_driver_after_us: asked to plug, nothing plugged since boot for this
 *   long: no driver
 * @kick_after_us: the first kick after this long without progress; each
 *   further kick waits twice as long as the one before...
 * @kick_max_us: ...but never longer than this
 * @max_kicks: a stuck unplug is given up after this many kicks
 * @plug_stall_after_us: a plug without progress this long, with a driver
 *   that plugged before, stalled
 * @report_max_age_us: a guest report older than this is not fresh enough
 *   to kick an unplug by
 * @shrink_margin_min: the least memory a shrink leaves free beyond what the
 *   guest uses, bytes...
 * @shrink_margin_percent: ...or this percentage of what it uses, if more
 *
 * Initialise with vmem_job_tuning_init().
 */
typedef struct {
	gint64 stuck_after_us;
	gint64 no_driver_after_us;
	gint64 kick_after_us;
	gint64 kick_max_us;
	guint max_kicks;
	gint64 plug_stall_after_us;
	gint64 report_max_age_us;
	guint64 shrink_margin_min;
	guint shrink_margin_percent;
} VmemJobTuning;

void vmem_job_tuning_init(VmemJobTuning *tuning);

/**
 * VmemJobAgentFacts:
 * @valid: whether the guest agent reported at all; the rest is unset if not
 * @age_us: how old the report is
 * @driver_loaded: whether the guest's virtio_mem driver is loaded
 * @mem_total: the guest's MemTotal, bytes
 * @mem_used: what the guest uses (MemTotal - MemAvailable), bytes
 * @mem_available: the guest's MemAvailable, bytes
 * @base: what MemTotal is without any virtio-mem memory, bytes
 * @online: virtio-mem memory of the job's devices online, bytes
 * @movable: of @online, what is in ZONE_MOVABLE, bytes
 * @offline: virtio-mem memory of the job's devices the guest added but left
 *   offline, bytes
 *
 * What a job needs of a guest agent's report, all from the same report.
 */
typedef struct {
	gboolean valid;
	gint64 age_us;
	gboolean driver_loaded;
	guint64 mem_total;
	guint64 mem_used;
	guint64 mem_available;
	guint64 base;
	guint64 online;
	guint64 movable;
	guint64 offline;
} VmemJobAgentFacts;

/**
 * VmemJobFacts:
 * @devices: (array length=n_devices): the touched devices, now
 * @run_state: the domain's run state, now
 * @since_progress_us: time since the plugged sizes last moved towards the
 *   requested ones (or since the job or the last boot began)
 * @since_start_us: time since the job started
 * @since_boot_us: time since the guest last booted, or -1 if unknown
 * @plugged_since_boot: whether anything was plugged since the last boot
 * @rebooted: whether the guest rebooted while the job ran
 * @n_kicks: how often the guest was told again since the last progress
 * @agent: what the guest agent says, if anything
 *
 * Everything vmem_job_classify() judges by.
 */
typedef struct {
	const VmemDevice *devices;
	guint n_devices;
	VmemRunState run_state;
	gint64 since_progress_us;
	gint64 since_start_us;
	gint64 since_boot_us;
	gboolean plugged_since_boot;
	gboolean rebooted;
	guint n_kicks;
	VmemJobAgentFacts agent;
} VmemJobFacts;

VmemJobState vmem_job_classify(const VmemJobFacts *facts, const VmemJobTuning *tuning);
gint64 vmem_job_kick_delay(const VmemJobTuning *tuning, guint n_kicks);
gboolean vmem_job_check_shrink(const VmemJobTuning *tuning, guint64 plugged, guint64 requested,
			       guint64 keep_other, const VmemJobAgentFacts *agent, gboolean force,
			       GError **error);
VmemJobStuckReason vmem_job_stuck_reason(const VmemJobFacts *facts, const VmemJobTuning *tuning);

/* The timeline: feed observations, read the state. */
typedef struct _VmemJob VmemJob;

VmemJob *vmem_job_new(const VmemJobTuning *tuning, gint64 now_us, gint64 boot_us);
void vmem_job_free(VmemJob *job);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmemJob, vmem_job_free)

void vmem_job_observe(VmemJob *job, gint64 now_us, VmemRunState run_state,
		      const VmemDevice *devices, guint n_devices);
void vmem_job_note_reset(VmemJob *job, gint64 now_us);
void vmem_job_set_agent(VmemJob *job, gint64 received_us, const VmemJobAgentFacts *agent);
void vmem_job_get_facts(VmemJob *job, gint64 now_us, VmemJobFacts *ret_facts);
VmemJobState vmem_job_get_state(VmemJob *job, gint64 now_us);
gboolean vmem_job_kick_due(VmemJob *job, gint64 now_us);
gboolean vmem_job_is_over(VmemJob *job, gint64 now_us);
VmemJobStuckReason vmem_job_get_stuck_reason(VmemJob *job, gint64 now_us);
void vmem_job_kicked(VmemJob *job, gint64 now_us);

G_END_DECLS
