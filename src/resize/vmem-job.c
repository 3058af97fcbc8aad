/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-job.h"

#include <glib/gi18n.h>

#include "vmem-error.h"
#include "vmem-size.h"

struct _VmemJob {
	VmemJobTuning tuning;
	GArray *devices; /* VmemDevice, the last observation (requested, plugged) */
	gboolean observed;
	VmemRunState run_state;
	gint64 last_progress_us;
	gint64 boot_us;
	gboolean plugged_since_boot;
	gboolean rebooted;
	guint n_kicks;
	gint64 last_kick_us;
	gint64 start_us;
	VmemJobAgentFacts agent;
	gint64 agent_received_us;
};

const char *
vmem_job_state_to_string(VmemJobState state)
{
	switch (state) {
	case VMEM_JOB_CONVERGED:
		return "converged";
	case VMEM_JOB_PLUGGING:
		return "plugging";
	case VMEM_JOB_UNPLUGGING:
		return "unplugging";
	case VMEM_JOB_STUCK_UNPLUG:
		return "stuck unplug";
	case VMEM_JOB_NO_DRIVER:
		return "guest driver absent";
	case VMEM_JOB_BUSY:
		return "busy";
	case VMEM_JOB_REPLUGGING:
		return "replugging after reboot";
	case VMEM_JOB_NOT_RUNNING:
		return "not running";
	case VMEM_JOB_NOT_ONLINE:
		return "plugged but not online";
	case VMEM_JOB_PLUG_STALLED:
		return "plug stalled";
	}
	return "unknown";
}

/**
 * vmem_job_tuning_init:
 *
 * The defaults, from measurements on real guests: Linux retries a failed
 * unplug only every 50 s (doubling up to 300 s), while re-setting the same
 * requested size makes it retry at once, so kick after 2 s without
 * progress — but only when a fresh guest report says the memory is free
 * and movable: a guest told again to give back memory it uses can run out
 * of memory and panic.  A TCG guest boots and loads virtio_mem in under
 * 10 s and plugs 1 GiB in well under a second.
 */
void
vmem_job_tuning_init(VmemJobTuning *tuning)
{
	tuning->stuck_after_us = 15 * G_USEC_PER_SEC;
	tuning->no_driver_after_us = 30 * G_USEC_PER_SEC;
	tuning->kick_after_us = 2 * G_USEC_PER_SEC;
	tuning->kick_max_us = 60 * G_USEC_PER_SEC;
	tuning->max_kicks = 3;
	tuning->plug_stall_after_us = 30 * G_USEC_PER_SEC;
	tuning->report_max_age_us = 5 * G_USEC_PER_SEC;
	tuning->shrink_margin_min = 256 * VMEM_SIZE_MIB;
	tuning->shrink_margin_percent = 10;
}

/**
 * vmem_job_classify:
 * @facts: what is known about the job now
 * @tuning: the time limits and margins
 *
 * Judges a resize job, first match wins: converged (plugged as requested;
 * or, growing, a guest report newer than the job shows the requested
 * memory online: plugged memory cannot be online unless plugged) unless
 * a report newer than the last progress shows some of it offline (not
 * online); busy (migrating or saving); not running; stuck unplug (a device
 * above its request, no progress for @tuning->stuck_after_us); guest
 * driver absent (asked to plug, and the agent says there is no driver, or
 * without an agent report nothing was plugged since boot for
 * @tuning->no_driver_after_us); plug stalled (a driver that works, no
 * progress for @tuning->plug_stall_after_us); replugging after a reboot;
 * plugging; unplugging.
 */
VmemJobState
vmem_job_classify(const VmemJobFacts *facts, const VmemJobTuning *tuning)
{
	const VmemJobAgentFacts *agent = &facts->agent;
	gboolean growing = FALSE;
	gboolean shrinking = FALSE;
	guint64 requested = 0;

	for (guint i = 0; i < facts->n_devices; i++) {
		growing |= facts->devices[i].plugged < facts->devices[i].requested;
		shrinking |= facts->devices[i].plugged > facts->devices[i].requested;
		requested += facts->devices[i].requested;
	}
	if (!growing && !shrinking) {
		if (agent->valid && agent->age_us <= facts->since_progress_us && agent->offline > 0)
			return VMEM_JOB_NOT_ONLINE;
		return VMEM_JOB_CONVERGED;
	}
	/* QEMU tells the plugged size at most once a second; the guest says
	 * at once what it has online. */
	if (growing && !shrinking && agent->valid && agent->age_us <= facts->since_start_us &&
	    agent->offline == 0 && agent->online >= requested)
		return VMEM_JOB_CONVERGED;
	switch (facts->run_state) {
	case VMEM_RUN_STATE_MIGRATING:
	case VMEM_RUN_STATE_SAVING:
		return VMEM_JOB_BUSY;
	case VMEM_RUN_STATE_PAUSED:
	case VMEM_RUN_STATE_SHUT_OFF:
	case VMEM_RUN_STATE_CRASHED:
		return VMEM_JOB_NOT_RUNNING;
	case VMEM_RUN_STATE_RUNNING:
		break;
	}
	if (shrinking && facts->since_progress_us >= tuning->stuck_after_us)
		return VMEM_JOB_STUCK_UNPLUG;
	if (growing) {
		if (facts->agent.valid && !facts->agent.driver_loaded)
			return VMEM_JOB_NO_DRIVER;
		/* a driver the agent saw loaded is not absent, only slow */
		if (!facts->plugged_since_boot && !facts->agent.valid &&
		    facts->since_progress_us >= tuning->no_driver_after_us &&
		    (facts->since_boot_us < 0 ||
		     facts->since_boot_us >= tuning->no_driver_after_us))
			return VMEM_JOB_NO_DRIVER;
		if ((facts->plugged_since_boot || facts->agent.valid) &&
		    facts->since_progress_us >= tuning->plug_stall_after_us)
			return VMEM_JOB_PLUG_STALLED;
		return facts->rebooted ? VMEM_JOB_REPLUGGING : VMEM_JOB_PLUGGING;
	}
	return VMEM_JOB_UNPLUGGING;
}

/**
 * vmem_job_kick_delay:
 * @n_kicks: kicks so far since the last progress
 *
 * Returns: how long to wait without progress before the next kick: the
 *   tuning's first delay, doubled per kick, at most its maximum
 */
gint64
vmem_job_kick_delay(const VmemJobTuning *tuning, guint n_kicks)
{
	gint64 delay = tuning->kick_after_us;

	for (guint i = 0; i < n_kicks && delay < tuning->kick_max_us; i++)
		delay *= 2;
	return MIN(delay, tuning->kick_max_us);
}

static guint64
vmem_job_shrink_margin(const VmemJobTuning *tuning, const VmemJobAgentFacts *agent)
{
	return MAX(tuning->shrink_margin_min,
		   agent->mem_used / 100 * tuning->shrink_margin_percent);
}

/**
 * vmem_job_check_shrink:
 * @plugged: what the devices to resize have plugged now, bytes
 * @requested: what they are to be asked for, bytes
 * @keep_other: what the domain's other devices have plugged, bytes
 * @agent: (nullable): what the guest agent says
 * @force: shrink even if it looks unsafe
 *
 * A guest asked to give back memory it is using may hit the OOM killer and
 * die.  When the agent reports what the guest uses, refuses a shrink that
 * would leave less than that plus a margin (the larger of
 * @tuning->shrink_margin_min and @tuning->shrink_margin_percent of the
 * use), unless @force.  What the guest keeps is computed from facts that
 * agree with each other whatever moves meanwhile: its memory without any
 * virtio-mem memory (from one report) plus @requested and @keep_other.
 * Without an agent report, the shrink is allowed (the caller warns).
 */
gboolean
vmem_job_check_shrink(const VmemJobTuning *tuning, guint64 plugged, guint64 requested,
		      guint64 keep_other, const VmemJobAgentFacts *agent, gboolean force,
		      GError **error)
{
	g_autofree char *left_s = NULL;
	g_autofree char *used_s = NULL;
	g_autofree char *margin_s = NULL;
	guint64 margin;
	guint64 left;

	if (force || requested >= plugged || agent == NULL || !agent->valid)
		return TRUE;
	margin = vmem_job_shrink_margin(tuning, agent);
	left = agent->base + requested + keep_other;
	if (left >= agent->mem_used && left - agent->mem_used >= margin)
		return TRUE;
	left_s = vmem_size_format(left);
	used_s = vmem_size_format(agent->mem_used);
	margin_s = vmem_size_format(margin);
	g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
		    /* TRANSLATORS: %1$s, %2$s and %3$s are sizes such as "1.5 GiB" */
		    _("This shrink would leave the guest %1$s of memory while it uses %2$s and "
		      "needs a margin of %3$s above that. Free memory in the guest first, or force "
		      "the shrink."),
		    left_s, used_s, margin_s);
	return FALSE;
}

/**
 * vmem_job_stuck_reason:
 *
 * Why the devices above their request do not give memory back, judged by
 * the guest's report: whether it is fresh (at most
 * @tuning->report_max_age_us old), says enough memory is available beyond
 * the shrink margin, and enough of it is in ZONE_MOVABLE.  Only
 * %VMEM_JOB_STUCK_KICKED allows telling the guest again.
 */
VmemJobStuckReason
vmem_job_stuck_reason(const VmemJobFacts *facts, const VmemJobTuning *tuning)
{
	const VmemJobAgentFacts *agent = &facts->agent;
	guint64 to_unplug = 0;

	for (guint i = 0; i < facts->n_devices; i++) {
		if (facts->devices[i].plugged > facts->devices[i].requested)
			to_unplug += facts->devices[i].plugged - facts->devices[i].requested;
	}
	if (!agent->valid || agent->age_us > tuning->report_max_age_us)
		return VMEM_JOB_STUCK_UNKNOWN;
	if (agent->mem_available < to_unplug + vmem_job_shrink_margin(tuning, agent))
		return VMEM_JOB_STUCK_IN_USE;
	if (agent->movable < to_unplug)
		return VMEM_JOB_STUCK_NOT_MOVABLE;
	return VMEM_JOB_STUCK_KICKED;
}

/**
 * vmem_job_new:
 * @tuning: the time limits and margins, copied
 * @now_us: the monotonic time the job starts
 * @boot_us: when the guest booted (same clock), or -1 if unknown
 *
 * Starts the timeline of one resize job.
 */
VmemJob *
vmem_job_new(const VmemJobTuning *tuning, gint64 now_us, gint64 boot_us)
{
	VmemJob *job = g_new0(VmemJob, 1);

	job->tuning = *tuning;
	job->devices = g_array_new(FALSE, TRUE, sizeof(VmemDevice));
	job->start_us = now_us;
	job->last_progress_us = now_us;
	job->boot_us = boot_us;
	return job;
}

void
vmem_job_free(VmemJob *job)
{
	if (job == NULL)
		return;
	g_array_unref(job->devices);
	g_free(job);
}

static guint64
vmem_job_distance(const VmemDevice *devices, guint n_devices)
{
	guint64 distance = 0;

	for (guint i = 0; i < n_devices; i++) {
		const VmemDevice *d = &devices[i];

		distance += d->plugged > d->requested ? d->plugged - d->requested
						      : d->requested - d->plugged;
	}
	return distance;
}

/**
 * vmem_job_note_reset:
 *
 * The guest rebooted at @now_us: it unplugged everything and plugs again.
 */
void
vmem_job_note_reset(VmemJob *job, gint64 now_us)
{
	job->boot_us = now_us;
	job->plugged_since_boot = FALSE;
	job->rebooted = TRUE;
	job->last_progress_us = now_us;
	job->n_kicks = 0;
}

/* A reboot seen in the sizes alone: every device dropped to nothing at
 * once, though something is requested (a guest never unplugs below the
 * request). */
static gboolean
vmem_job_looks_rebooted(VmemJob *job, const VmemDevice *devices, guint n_devices)
{
	const VmemDevice *before = (const VmemDevice *)job->devices->data;
	gboolean had = FALSE;
	gboolean wanted = FALSE;

	for (guint i = 0; i < n_devices; i++) {
		if (devices[i].plugged != 0)
			return FALSE;
		had |= before[i].plugged > 0;
		wanted |= devices[i].requested > 0;
	}
	return had && wanted;
}

/**
 * vmem_job_observe:
 * @now_us: the monotonic time of the observation
 * @run_state: the domain's run state
 * @devices: (array length=n_devices): the touched devices' sizes, always in
 *   the same order
 *
 * Adds an observation to the timeline.  The sizes moving towards the
 * request is progress; a new request, a guest that runs again and a reboot
 * restart the clock.
 */
void
vmem_job_observe(VmemJob *job, gint64 now_us, VmemRunState run_state, const VmemDevice *devices,
		 guint n_devices)
{
	gboolean restart = !job->observed || n_devices != job->devices->len;

	if (!restart) {
		const VmemDevice *before = (const VmemDevice *)job->devices->data;

		for (guint i = 0; i < n_devices; i++)
			restart |= devices[i].requested != before[i].requested;
		restart |= job->run_state != VMEM_RUN_STATE_RUNNING &&
			   run_state == VMEM_RUN_STATE_RUNNING;
	}
	if (!restart && vmem_job_looks_rebooted(job, devices, n_devices)) {
		vmem_job_note_reset(job, now_us);
	} else if (restart || vmem_job_distance(devices, n_devices) <
				      vmem_job_distance((const VmemDevice *)job->devices->data,
							job->devices->len)) {
		job->last_progress_us = now_us;
		job->n_kicks = 0;
	}
	for (guint i = 0; i < n_devices; i++)
		job->plugged_since_boot |= devices[i].plugged > 0;
	g_array_set_size(job->devices, 0);
	g_array_append_vals(job->devices, devices, n_devices);
	/* The job judges sizes only: keep no pointer into the caller's data. */
	for (guint i = 0; i < n_devices; i++) {
		VmemDevice *copy = &g_array_index(job->devices, VmemDevice, i);

		copy->alias = copy->memdev = NULL;
	}
	job->run_state = run_state;
	job->observed = TRUE;
}

/**
 * vmem_job_set_agent:
 * @received_us: when the report arrived (monotonic clock)
 * @agent: (nullable): the guest agent's latest report, copied; %NULL when
 *   there is none
 */
void
vmem_job_set_agent(VmemJob *job, gint64 received_us, const VmemJobAgentFacts *agent)
{
	memset(&job->agent, 0, sizeof(job->agent));
	if (agent != NULL && agent->valid) {
		job->agent = *agent;
		job->agent_received_us = received_us;
	}
}

/**
 * vmem_job_get_facts:
 * @ret_facts: (out): the facts at @now_us; its devices point into @job and
 *   stay valid until the next observation
 */
void
vmem_job_get_facts(VmemJob *job, gint64 now_us, VmemJobFacts *ret_facts)
{
	ret_facts->devices = (const VmemDevice *)job->devices->data;
	ret_facts->n_devices = job->devices->len;
	ret_facts->run_state = job->run_state;
	ret_facts->since_progress_us = now_us - job->last_progress_us;
	ret_facts->since_start_us = now_us - job->start_us;
	ret_facts->since_boot_us = job->boot_us >= 0 ? now_us - job->boot_us : -1;
	ret_facts->plugged_since_boot = job->plugged_since_boot;
	ret_facts->rebooted = job->rebooted;
	ret_facts->n_kicks = job->n_kicks;
	ret_facts->agent = job->agent;
	if (job->agent.valid)
		ret_facts->agent.age_us = now_us - job->agent_received_us;
}

/**
 * vmem_job_get_state:
 *
 * Returns: the job's state at @now_us, see vmem_job_classify()
 */
VmemJobState
vmem_job_get_state(VmemJob *job, gint64 now_us)
{
	VmemJobFacts facts;

	vmem_job_get_facts(job, now_us, &facts);
	return vmem_job_classify(&facts, &job->tuning);
}

/**
 * vmem_job_kick_due:
 *
 * When to kick: a running guest that stopped making progress towards the
 * request is told again (the same requested size set once more), first
 * after the tuning's delay and then with exponential backoff.  Never while
 * converged, busy, not running or without a driver, and an unplug only
 * when a fresh report says the memory is free and movable (see
 * vmem_job_stuck_reason()).
 *
 * Returns: whether to kick now; call vmem_job_kicked() after kicking
 */
gboolean
vmem_job_kick_due(VmemJob *job, gint64 now_us)
{
	switch (vmem_job_get_state(job, now_us)) {
	case VMEM_JOB_PLUGGING:
	case VMEM_JOB_REPLUGGING:
		break;
	case VMEM_JOB_UNPLUGGING:
	case VMEM_JOB_STUCK_UNPLUG:
		/* Never make a guest retry giving back memory it may use. */
		if (vmem_job_get_stuck_reason(job, now_us) != VMEM_JOB_STUCK_KICKED)
			return FALSE;
		break;
	case VMEM_JOB_CONVERGED:
	case VMEM_JOB_NO_DRIVER:
	case VMEM_JOB_BUSY:
	case VMEM_JOB_NOT_RUNNING:
	case VMEM_JOB_NOT_ONLINE:
	case VMEM_JOB_PLUG_STALLED:
		return FALSE;
	}
	if (now_us - job->last_progress_us < job->tuning.kick_after_us)
		return FALSE;
	return job->n_kicks == 0 ||
	       now_us - job->last_kick_us >= vmem_job_kick_delay(&job->tuning, job->n_kicks);
}

/**
 * vmem_job_kicked:
 *
 * Records a kick at @now_us, for the backoff.
 */
void
vmem_job_kicked(VmemJob *job, gint64 now_us)
{
	job->n_kicks++;
	job->last_kick_us = now_us;
}

/**
 * vmem_job_get_stuck_reason:
 *
 * Returns: see vmem_job_stuck_reason()
 */
VmemJobStuckReason
vmem_job_get_stuck_reason(VmemJob *job, gint64 now_us)
{
	VmemJobFacts facts;

	vmem_job_get_facts(job, now_us, &facts);
	return vmem_job_stuck_reason(&facts, &job->tuning);
}

/**
 * vmem_job_is_over:
 *
 * Returns: whether following the job any longer can change its outcome:
 *   it converged, or ended in a state only the user can change, or its
 *   unplug is stuck and may not (or no longer) be kicked
 */
gboolean
vmem_job_is_over(VmemJob *job, gint64 now_us)
{
	switch (vmem_job_get_state(job, now_us)) {
	case VMEM_JOB_CONVERGED:
	case VMEM_JOB_BUSY:
	case VMEM_JOB_NOT_RUNNING:
	case VMEM_JOB_NO_DRIVER:
	case VMEM_JOB_NOT_ONLINE:
	case VMEM_JOB_PLUG_STALLED:
		return TRUE;
	case VMEM_JOB_STUCK_UNPLUG:
		return vmem_job_get_stuck_reason(job, now_us) != VMEM_JOB_STUCK_KICKED ||
		       job->n_kicks >= job->tuning.max_kicks;
	case VMEM_JOB_PLUGGING:
	case VMEM_JOB_UNPLUGGING:
	case VMEM_JOB_REPLUGGING:
		return FALSE;
	}
	return TRUE;
}
