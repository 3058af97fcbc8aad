/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A managed domain.  What the daemon knows is refreshed from libvirt when
 * an event says it changed (and every few ticks in case one was missed);
 * plugged sizes come with libvirt's size events; the guest's figures come
 * from its agent, which the daemon holds for as long as it manages the
 * domain (one reader at a time: virtmemctl asks the daemon instead).
 */
#include "config.h"

#include "vmem-managed.h"

#include <glib/gi18n.h>
#include <libvirt/virterror.h>

#include "vmem-agent-channel.h"
#include "vmem-backend-libvirt.h"
#include "vmem-daemon-policy.h"
#include "vmem-error.h"
#include "vmem-libvirt.h"
#include "vmem-resize.h"
#include "vmem-size.h"

/* Seconds between two refreshes when no event asked for one: events say
 * what changes (size, lifecycle, metadata, devices); this is the net
 * under a missed one.  Accounting alone is published as often. */
#define VMEM_MANAGED_REFRESH_S 60.0
#define VMEM_MANAGED_PUBLISH_S 10.0

struct _VmemManaged {
	VmemBackend *backend;
	virDomain *dom; /* looked up again at each refresh */
	char *name;
	char *uuid;
	GPtrArray *devices;    /* of VmemDevice, requested as last asked */
	VmemPolicyDef *policy; /* NULL: none in the metadata, the defaults apply */
	VmemPolicyDef defaults;
	VmemRunState run_state;
	gboolean agent_port; /* it has virtmem-agent's port */
	gboolean rebooted;
	gboolean dirty;
	double refreshed_at;

	VmemAgentChannel *channel;
	gulong channel_handler;
	gboolean channel_stopped; /* lost while the domain migrated */
	guint report_interval_ms;
	VmemManagedReportFunc report_func;
	gpointer report_data;

	VmemEngineReport balloon; /* the fallback without an agent report */
	gint64 balloon_us;	  /* when it last changed */
	gint64 balloon_updated;	  /* the guest's last-update stamp then */
	gint64 balloon_retry_us;  /* no statistics: not asked before then */

	VmemEngineHistory history;
	VmemEngineStuck stuck;
	char *stuck_reason;

	VmemResize *resize; /* in flight, or NULL */
	GCancellable *cancellable;
	const char *job_state;

	gboolean paused;
	gboolean override;
	gboolean job; /* a Save() or Dump() runs */

	double accounted_at;
	double gib_hours;
	gint64 decided_at_us;
	guint64 decided_from, decided_to;
	char *decided_action, *decided_reason;

	VmemDBusObjectSkeleton *object;
	VmemDBusDomain1 *iface;
	gboolean changed;	    /* since the last publish */
	gint64 published_report_us; /* the report then */
	double published_at;
};

const char *
vmem_managed_get_name(VmemManaged *managed)
{
	return managed->name;
}

VmemDBusObjectSkeleton *
vmem_managed_get_object(VmemManaged *managed)
{
	return managed->object;
}

/* Its channel to the guest's agent, started, or %NULL without one */
VmemAgentChannel *
vmem_managed_get_channel(VmemManaged *managed)
{
	return managed->channel;
}

VmemPolicyMode
vmem_managed_get_mode(VmemManaged *managed)
{
	return managed->policy != NULL ? managed->policy->mode : VMEM_POLICY_DEFAULT_MODE;
}

static const VmemPolicyDef *
vmem_managed_policy(VmemManaged *managed)
{
	return managed->policy != NULL ? managed->policy : &managed->defaults;
}

/* /org/virtmem/Manager1/domain/ and the UUID with “_” for “-” */
static char *
vmem_managed_object_path(const char *uuid)
{
	g_autofree char *id = g_strdelimit(g_strdup(uuid), "-", '_');

	return g_strconcat("/org/virtmem/Manager1/domain/", id, NULL);
}

static void
vmem_managed_on_agent(VmemAgentChannel *channel, guint event, gpointer user_data)
{
	VmemManaged *managed = user_data;

	if (event == VMEM_AGENT_CHANNEL_DISCONNECTED &&
	    managed->run_state == VMEM_RUN_STATE_MIGRATING) {
		/* The domain is leaving: reopening the channel while its QEMU
		 * stops and writing the hello can crash libvirtd (11.3).
		 * Opened again if the domain runs here once more. */
		vmem_agent_channel_stop(channel);
		managed->channel_stopped = TRUE;
	} else if (event == VMEM_AGENT_CHANNEL_HELLO)
		/* a (re)started agent reports at the daemon's pace */
		vmem_agent_channel_set_interval(channel, managed->report_interval_ms, NULL);
	else if (event == VMEM_AGENT_CHANNEL_REPORT && managed->report_func != NULL)
		managed->report_func(managed, managed->report_data);
}

/**
 * vmem_managed_new:
 * @name: a domain with at least one virtio-mem device
 * @report_interval_ms: how often its agent should report
 * @report_func: (nullable): called on each new report of its agent
 */
VmemManaged *
vmem_managed_new(VmemBackend *backend, const char *name, guint report_interval_ms,
		 VmemManagedReportFunc report_func, gpointer report_data, GError **error)
{
	g_autoptr(VmemManaged) managed = g_new0(VmemManaged, 1);
	g_autoptr(virDomain) dom = vmem_backend_libvirt_lookup(backend, name, error);
	char uuid[VIR_UUID_STRING_BUFLEN];
	g_autofree char *path = NULL;

	if (dom == NULL)
		return NULL;
	if (virDomainGetUUIDString(dom, uuid) < 0) {
		vmem_libvirt_set_error(error);
		return NULL;
	}
	managed->backend = g_object_ref(backend);
	managed->name = g_strdup(name);
	managed->uuid = g_strdup(uuid);
	managed->report_interval_ms = report_interval_ms;
	managed->report_func = report_func;
	managed->report_data = report_data;
	managed->history = (VmemEngineHistory)VMEM_ENGINE_HISTORY_INIT;
	managed->accounted_at = VMEM_ENGINE_NEVER;
	managed->job_state = "idle";
	if (!vmem_managed_refresh(managed, error))
		return NULL;
	if (managed->devices->len == 0) {
		/* TRANSLATORS: %s is a domain name */
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_NOT_FOUND,
			    _("Domain %s has no virtio-mem device."), name);
		return NULL;
	}
	path = vmem_managed_object_path(uuid);
	managed->object = vmem_dbus_object_skeleton_new(path);
	managed->iface = vmem_dbus_domain1_skeleton_new();
	vmem_dbus_object_skeleton_set_domain1(managed->object, managed->iface);
	vmem_dbus_domain1_set_name(managed->iface, name);
	vmem_dbus_domain1_set_uuid(managed->iface, uuid);
	/* Without the port there is no agent to wait for (and a channel that
	 * keeps trying would cost a timer per domain). */
	if (managed->agent_port && vmem_managed_get_mode(managed) != VMEM_POLICY_MODE_OFF) {
		managed->channel = vmem_agent_channel_open(backend, name, error);
		if (managed->channel == NULL)
			return NULL;
		managed->channel_handler = g_signal_connect(
			managed->channel, "event", G_CALLBACK(vmem_managed_on_agent), managed);
		/* Not connected yet is fine: it keeps trying by itself. */
		vmem_agent_channel_start(managed->channel, NULL);
	}
	return g_steal_pointer(&managed);
}

static void
vmem_managed_stop_resize(VmemManaged *managed)
{
	if (managed->cancellable != NULL)
		g_cancellable_cancel(managed->cancellable);
	g_clear_object(&managed->cancellable);
	g_clear_object(&managed->resize);
}

void
vmem_managed_free(VmemManaged *managed)
{
	if (managed == NULL)
		return;
	vmem_managed_stop_resize(managed);
	if (managed->channel != NULL)
		g_clear_signal_handler(&managed->channel_handler, managed->channel);
	g_clear_object(&managed->channel);
	g_clear_object(&managed->iface);
	g_clear_object(&managed->object);
	g_clear_pointer(&managed->dom, virDomainFree);
	g_clear_object(&managed->backend);
	g_clear_pointer(&managed->devices, g_ptr_array_unref);
	g_clear_pointer(&managed->policy, vmem_policy_def_free);
	g_free(managed->name);
	g_free(managed->uuid);
	g_free(managed->stuck_reason);
	g_free(managed->decided_action);
	g_free(managed->decided_reason);
	g_free(managed);
}

/**
 * vmem_managed_refresh:
 *
 * Reads the domain's devices, policy and run state again.  Fails when the
 * domain is gone.
 */
gboolean
vmem_managed_refresh(VmemManaged *managed, GError **error)
{
	g_autoptr(GPtrArray) devices = NULL;
	g_autoptr(VmemPolicyDef) policy = NULL;
	g_autoptr(virDomain) dom = NULL;
	VmemRunState state;
	guint64 size = 0, block = 0;

	/* One domain XML for all three (the daemon's backend is libvirt's).
	 * The domain is kept for the run state and statistics of every tick:
	 * by name a lookup each time (a domain defined anew under the same
	 * name fails on the old one, which makes a refresh). */
	dom = vmem_backend_libvirt_lookup(managed->backend, managed->name, error);
	if (dom == NULL ||
	    !vmem_backend_libvirt_read(managed->backend, managed->name, &devices, &policy,
				       &managed->agent_port, error) ||
	    !vmem_backend_libvirt_domain_run_state(dom, &state, error))
		return FALSE;
	g_clear_pointer(&managed->dom, virDomainFree);
	managed->dom = g_steal_pointer(&dom);
	for (guint i = 0; i < devices->len; i++) {
		const VmemDevice *dev = devices->pdata[i];

		size += dev->size;
		block = MAX(block, dev->block_size);
	}
	memset(&managed->defaults, 0, sizeof(managed->defaults));
	vmem_policy_def_postparse(&managed->defaults, size / VMEM_SIZE_KIB, block / VMEM_SIZE_KIB);
	g_clear_pointer(&managed->devices, g_ptr_array_unref);
	managed->devices = g_steal_pointer(&devices);
	g_clear_pointer(&managed->policy, vmem_policy_def_free);
	managed->policy = g_steal_pointer(&policy);
	managed->run_state = state;
	managed->dirty = FALSE;
	managed->changed = TRUE;
	managed->refreshed_at = (double)g_get_monotonic_time() / G_USEC_PER_SEC;
	return TRUE;
}

/**
 * vmem_managed_on_event:
 *
 * Follows a lifecycle event of the domain: what changed is read again at
 * the next tick.
 */
void
vmem_managed_on_event(VmemManaged *managed, VmemDomainEvent event)
{
	switch (event) {
	case VMEM_DOMAIN_EVENT_RESET:
		/* Everything is unplugged: the engine requests the target again. */
		managed->rebooted = TRUE;
		break;
	case VMEM_DOMAIN_EVENT_STARTED:
		managed->history = (VmemEngineHistory)VMEM_ENGINE_HISTORY_INIT;
		managed->stuck.stuck = FALSE;
		break;
	case VMEM_DOMAIN_EVENT_MIGRATION_STARTED:
		/* Held at once: QEMU refuses a resize until the job ends. */
		managed->run_state = VMEM_RUN_STATE_MIGRATING;
		break;
	default:
		break;
	}
	managed->dirty = TRUE;
}

void
vmem_managed_on_size(VmemManaged *managed, const char *alias, guint64 plugged)
{
	for (guint i = 0; i < managed->devices->len; i++) {
		VmemDevice *dev = managed->devices->pdata[i];

		if (g_strcmp0(dev->alias, alias) == 0)
			dev->plugged = plugged;
	}
	managed->changed = TRUE;
}

static gboolean
vmem_managed_poll_run_state(VmemManaged *managed, GError **error)
{
	VmemRunState state;

	if (!vmem_backend_libvirt_domain_run_state(managed->dom, &state, error)) {
		managed->dirty = TRUE;
		return FALSE;
	}
	if (state != managed->run_state)
		managed->changed = TRUE;
	managed->run_state = state;
	return TRUE;
}

static VmemEngineState
vmem_managed_engine_state(VmemManaged *managed)
{
	switch (managed->run_state) {
	case VMEM_RUN_STATE_RUNNING:
		return managed->rebooted ? VMEM_ENGINE_STATE_REBOOTED : VMEM_ENGINE_STATE_RUNNING;
	case VMEM_RUN_STATE_PAUSED:
		return VMEM_ENGINE_STATE_PAUSED;
	case VMEM_RUN_STATE_MIGRATING:
		return VMEM_ENGINE_STATE_MIGRATING;
	case VMEM_RUN_STATE_SAVING:
		return VMEM_ENGINE_STATE_SAVING;
	case VMEM_RUN_STATE_SHUT_OFF:
	case VMEM_RUN_STATE_CRASHED:
		break;
	}
	return VMEM_ENGINE_STATE_STOPPED;
}

/* The agent's latest report in the engine's terms, or libvirt's balloon
 * statistics when there is none.  Returns where it came from: "agent",
 * "balloon" or "none". */
static const char *
vmem_managed_report(VmemManaged *managed, VmemEngineReport *ret_report)
{
	const VmemAgentReport *report = NULL;
	gint64 received_us = 0;

	memset(ret_report, 0, sizeof(*ret_report));
	if (managed->channel != NULL)
		report = vmem_agent_channel_get_report(managed->channel, &received_us);
	if (report == NULL || !report->has_memory) {
		if (!managed->balloon.valid)
			return "none";
		*ret_report = managed->balloon;
		ret_report->from_balloon = TRUE;
		ret_report->age +=
			(double)(g_get_monotonic_time() - managed->balloon_us) / G_USEC_PER_SEC;
		return "balloon";
	}
	ret_report->valid = TRUE;
	ret_report->age = (double)(g_get_monotonic_time() - received_us) / G_USEC_PER_SEC;
	ret_report->mem_total = report->mem_total_kib * VMEM_SIZE_KIB;
	ret_report->mem_available = report->mem_available_kib * VMEM_SIZE_KIB;
	ret_report->plugged = vmem_agent_report_get_online_bytes(report);
	ret_report->has_psi = report->has_psi;
	ret_report->psi_some_avg10 = report->psi_some.avg10;
	ret_report->psi_full_avg10 = report->psi_full.avg10;
	ret_report->has_zones = TRUE;
	ret_report->movable_online = vmem_agent_report_get_movable_bytes(report);
	ret_report->normal_online =
		ret_report->plugged - MIN(ret_report->plugged, ret_report->movable_online);
	ret_report->unplug_may_stick = vmem_agent_report_unplug_may_stick(report);
	return "agent";
}

/* The fallback without an agent: libvirt's balloon statistics (the guest's
 * MemTotal as "available", MemAvailable as "usable"), which need a
 * <memballoon> with a statistics period.  They say nothing of zones or
 * pressure, so the engine shrinks such a guest more carefully. */
static void
vmem_managed_read_balloon(VmemManaged *managed)
{
	virDomainMemoryStatStruct stats[VIR_DOMAIN_MEMORY_STAT_NR];
	guint64 available = 0, usable = 0, plugged = 0;
	gint64 updated = 0;
	int n;

	if (g_get_monotonic_time() < managed->balloon_retry_us)
		return;
	managed->balloon.valid = FALSE;
	/* A domain without statistics (no <memballoon>, no period) is asked
	 * again only now and then. */
	managed->balloon_retry_us =
		g_get_monotonic_time() + VMEM_MANAGED_PUBLISH_S * G_USEC_PER_SEC;
	if ((n = virDomainMemoryStats(managed->dom, stats, G_N_ELEMENTS(stats), 0)) < 0) {
		virResetLastError();
		return;
	}
	for (int i = 0; i < n; i++) {
		if (stats[i].tag == VIR_DOMAIN_MEMORY_STAT_AVAILABLE)
			available = stats[i].val;
		else if (stats[i].tag == VIR_DOMAIN_MEMORY_STAT_USABLE)
			usable = stats[i].val;
		else if (stats[i].tag == VIR_DOMAIN_MEMORY_STAT_LAST_UPDATE)
			updated = (gint64)stats[i].val;
	}
	/* Sizes in KiB; absurd ones are not believed. */
	if (available == 0 || usable > available || available > G_MAXUINT64 / VMEM_SIZE_KIB)
		return;
	managed->balloon_retry_us = 0;
	for (guint i = 0; i < managed->devices->len; i++)
		plugged += ((const VmemDevice *)managed->devices->pdata[i])->plugged;
	managed->balloon = (VmemEngineReport){
		.valid = TRUE,
		.mem_total = available * VMEM_SIZE_KIB,
		.mem_available = usable * VMEM_SIZE_KIB,
		.plugged = MIN(plugged, available * VMEM_SIZE_KIB),
	};
	/* Their age counts from when they last changed, by the host's clock:
	 * the guest's (last-update) may be anything. */
	if (updated != managed->balloon_updated || managed->balloon_us == 0) {
		managed->balloon_updated = updated;
		managed->balloon_us = g_get_monotonic_time();
		managed->changed = TRUE;
	}
}

/**
 * vmem_managed_update:
 *
 * Reads from libvirt what a decision needs and may have changed: the
 * domain again when an event said so (or now and then), else its run
 * state, and libvirt's balloon statistics when the agent has no report.
 */
void
vmem_managed_update(VmemManaged *managed)
{
	g_autoptr(GError) error = NULL;
	double mono = (double)g_get_monotonic_time() / G_USEC_PER_SEC;
	VmemEngineReport report;

	if (managed->dirty || mono - managed->refreshed_at >= VMEM_MANAGED_REFRESH_S) {
		if (!vmem_managed_refresh(managed, &error))
			g_debug("%s: %s", managed->name, error->message);
	} else if (!vmem_managed_poll_run_state(managed, &error)) {
		/* A save or dump starts without an event: its job is looked for
		 * every tick, so that no decision is made while it runs. */
		g_debug("%s: %s", managed->name, error->message);
	}
	if (managed->channel_stopped && managed->run_state == VMEM_RUN_STATE_RUNNING) {
		/* Not connected yet is fine: it keeps trying by itself. */
		vmem_agent_channel_start(managed->channel, NULL);
		managed->channel_stopped = FALSE;
	}
	if (managed->run_state != VMEM_RUN_STATE_RUNNING)
		managed->balloon.valid = FALSE;
	else if (!g_str_equal(vmem_managed_report(managed, &report), "agent"))
		vmem_managed_read_balloon(managed);
}

/**
 * vmem_managed_engine_input:
 * @now: the engine's clock, seconds
 * @ret_input: (out caller-allocates): the domain as the engine sees it;
 *   valid until the next call on @managed
 *
 * What is known of the domain, without asking libvirt (see
 * vmem_managed_update()).  A domain whose automation is paused or held by
 * an override is given to the engine as manual: it decides nothing for it.
 */
void
vmem_managed_engine_input(VmemManaged *managed, double now, VmemEngineDomain *ret_input)
{
	memset(ret_input, 0, sizeof(*ret_input));
	ret_input->name = managed->name;
	ret_input->devices = managed->devices;
	ret_input->state = vmem_managed_engine_state(managed);
	ret_input->policy = vmem_managed_policy(managed);
	if (managed->paused || managed->override || managed->job) {
		managed->defaults.mode = VMEM_POLICY_MODE_MANUAL;
		ret_input->policy = &managed->defaults;
	}
	vmem_managed_report(managed, &ret_input->report);
	ret_input->history = managed->history;
	ret_input->stuck = managed->stuck;
	ret_input->stuck.reason = managed->stuck_reason;
}

static void
vmem_managed_on_resize_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	VmemResize *resize = VMEM_RESIZE(source);
	VmemManaged *managed;
	g_autoptr(GError) error = NULL;
	VmemResizeProgress progress;
	VmemJobState state;

	if (!vmem_resize_wait_finish(resize, result, &state, &error))
		return; /* cancelled: @user_data may be gone, a newer resize replaced it */
	managed = user_data;
	vmem_resize_get_progress(resize, &progress);
	/* Still moving when the wait ended: followed no longer, say so. */
	if (state == VMEM_JOB_PLUGGING || state == VMEM_JOB_UNPLUGGING ||
	    state == VMEM_JOB_REPLUGGING)
		managed->job_state = "timed-out";
	else
		managed->job_state = vmem_job_state_to_string(state);
	if (state == VMEM_JOB_STUCK_UNPLUG) {
		VmemEngineReport report;
		g_autofree char *pinned = vmem_size_format(
			progress.plugged - MIN(progress.plugged, progress.requested));

		vmem_managed_report(managed, &report);
		managed->stuck.stuck = TRUE;
		managed->stuck.used =
			report.mem_total - MIN(report.mem_total, report.mem_available);
		managed->stuck.movable_online = report.movable_online;
		g_free(managed->stuck_reason);
		/* TRANSLATORS: why an unplug is stuck; %s is a size such as "1.5 GiB" */
		managed->stuck_reason =
			g_strdup_printf(_("%s of plugged memory in use or unmovable"), pinned);
		g_message("%s: %s", managed->name, managed->stuck_reason);
	} else if (state == VMEM_JOB_CONVERGED) {
		managed->stuck.stuck = FALSE;
	}
	managed->dirty = TRUE;
	managed->changed = TRUE;
	g_clear_object(&managed->cancellable);
	g_clear_object(&managed->resize);
}

/* Requests @split (one size per device) and follows the guest, replacing
 * the resize in flight: one resize per domain at a time. */
static gboolean
vmem_managed_start_resize(VmemManaged *managed, const guint64 *split, guint timeout_s,
			  GError **error)
{
	g_autoptr(VmemResize) resize = vmem_resize_new(managed->backend, managed->name, error);
	guint64 requested = 0, plugged = 0;

	if (resize == NULL)
		return FALSE;
	for (guint i = 0; i < managed->devices->len; i++) {
		const VmemDevice *dev = managed->devices->pdata[i];

		if (!vmem_resize_plan_device(resize, dev->alias, -1, split[i], error))
			return FALSE;
	}
	if (managed->channel != NULL)
		vmem_resize_set_agent(resize, managed->channel);
	vmem_managed_stop_resize(managed);
	if (!vmem_resize_apply(resize, VMEM_RESIZE_LIVE, error))
		return FALSE;
	for (guint i = 0; i < managed->devices->len; i++) {
		VmemDevice *dev = managed->devices->pdata[i];

		requested += split[i];
		plugged += dev->plugged;
		dev->requested = split[i];
	}
	managed->rebooted = FALSE;
	managed->resize = g_steal_pointer(&resize);
	managed->cancellable = g_cancellable_new();
	managed->job_state = vmem_job_state_to_string(requested < plugged ? VMEM_JOB_UNPLUGGING
									  : VMEM_JOB_PLUGGING);
	vmem_resize_wait_async(managed->resize, timeout_s, managed->cancellable,
			       vmem_managed_on_resize_done, managed);
	return TRUE;
}

static guint64
vmem_managed_requested(VmemManaged *managed)
{
	guint64 total = 0;

	for (guint i = 0; i < managed->devices->len; i++)
		total += ((const VmemDevice *)managed->devices->pdata[i])->requested;
	return total;
}

/* One structured log line per decision applied, and LastDecision. */
static void
vmem_managed_note(VmemManaged *managed, guint64 from, guint64 to, const char *action,
		  const char *reason)
{
	g_autofree char *from_s = vmem_size_format(from);
	g_autofree char *to_s = vmem_size_format(to);
	g_autofree char *from_n = g_strdup_printf("%" G_GUINT64_FORMAT, from);
	g_autofree char *to_n = g_strdup_printf("%" G_GUINT64_FORMAT, to);

	g_autofree char *age = NULL;
	VmemEngineReport report;

	/* How old the guest's figures were when the resize was asked: the
	 * daemon's reaction time (bench: the demo's summary). */
	if (!g_str_equal(vmem_managed_report(managed, &report), "none"))
		age = g_strdup_printf("%.3f", report.age);
	g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "VIRTMEM_DOMAIN", managed->name,
			 "VIRTMEM_FROM", from_n, "VIRTMEM_TO", to_n, "VIRTMEM_ACTION", action,
			 "VIRTMEM_REPORT_AGE", age ? age : "", "MESSAGE",
			 "%s: %s %s → %s: %s (guest report %s s old)", managed->name, action,
			 from_s, to_s, reason, age ? age : "-");
	managed->decided_at_us = g_get_real_time();
	managed->decided_from = from;
	managed->decided_to = to;
	g_free(managed->decided_action);
	managed->decided_action = g_strdup(action);
	g_free(managed->decided_reason);
	managed->decided_reason = g_strdup(reason);
	managed->changed = TRUE;
}

/**
 * vmem_managed_decided:
 * @decision: the engine's decision of this tick for this domain
 * @now: the engine's clock
 *
 * Applies @decision when it asks the VMM for something, and keeps the
 * history the engine needs next time.
 */
void
vmem_managed_decided(VmemManaged *managed, const VmemEngineDecision *decision, double now,
		     guint timeout_s)
{
	g_autoptr(GError) error = NULL;
	guint64 from = vmem_managed_requested(managed);
	VmemEngineDecision unapplied;

	if (!vmem_engine_decision_applies(decision)) {
		vmem_engine_history_update(&managed->history, decision, now);
		return;
	}
	if (!vmem_managed_start_resize(managed, decision->split, timeout_s, &error)) {
		g_warning("%s: %s", managed->name, error->message);
		managed->dirty = TRUE;
		unapplied = *decision;
		unapplied.split = NULL;
		vmem_engine_history_update(&managed->history, &unapplied, now);
		return;
	}
	vmem_engine_history_update(&managed->history, decision, now);
	vmem_managed_note(managed, from, decision->requested,
			  vmem_engine_action_to_string(decision->action), decision->reason);
}

/* The agent's latest report as a resize judges by it; not valid without
 * one. */
static void
vmem_managed_agent_facts(VmemManaged *managed, VmemJobAgentFacts *ret_facts)
{
	const VmemAgentReport *report = NULL;
	gint64 received_us = 0;

	if (managed->channel != NULL)
		report = vmem_agent_channel_get_report(managed->channel, &received_us);
	vmem_resize_agent_facts(report, managed->devices, ret_facts);
	if (ret_facts->valid)
		ret_facts->age_us = g_get_monotonic_time() - received_us;
}

/**
 * vmem_managed_resize:
 * @total: what the devices together should plug, bytes
 *
 * An explicit resize (D-Bus Resize()): the engine leaves the domain at
 * @total until vmem_managed_set_paused(FALSE) resumes it.
 */
gboolean
vmem_managed_resize(VmemManaged *managed, guint64 total, double now, guint timeout_s,
		    GError **error)
{
	g_autoptr(VmemResize) plan = NULL;
	guint64 from = vmem_managed_requested(managed);
	g_autofree char *reason = NULL;
	VmemJobAgentFacts facts;

	if (vmem_managed_get_mode(managed) == VMEM_POLICY_MODE_OFF) {
		/* TRANSLATORS: %s is a domain name */
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			    _("The policy of domain %s is off: virtmemd does not touch it."),
			    managed->name);
		return FALSE;
	}
	plan = vmem_resize_new(managed->backend, managed->name, error);
	if (plan == NULL || !vmem_resize_plan_total(plan, total, error))
		return FALSE;
	/* The job's shrink check, as for virtmemctl resize: never less than
	 * the guest uses, by a fresh report. */
	vmem_managed_agent_facts(managed, &facts);
	if (!vmem_resize_check_shrink(plan, &facts, FALSE, error) ||
	    !vmem_managed_start_resize(managed, vmem_resize_get_targets(plan), timeout_s, error))
		return FALSE;
	managed->override = TRUE;
	/* TRANSLATORS: the reason of a resize asked on D-Bus (virtmemctl resize) */
	reason = g_strdup(_("requested by an administrator"));
	vmem_managed_note(managed, from, total, "resize", reason);
	return TRUE;
}

/**
 * vmem_managed_set_paused:
 *
 * Pauses the engine's decisions for the domain, or resumes them (which
 * also ends a Resize() override).
 */
void
vmem_managed_set_paused(VmemManaged *managed, gboolean paused)
{
	managed->paused = paused;
	if (!paused)
		managed->override = FALSE;
	managed->changed = TRUE;
}

/* Whether a Save() or Dump() that virtmemd runs goes on */
gboolean
vmem_managed_get_job(VmemManaged *managed)
{
	return managed->job;
}

/**
 * vmem_managed_set_job:
 *
 * Holds the engine's decisions for the domain while a save or dump that
 * virtmemd runs goes on.
 */
void
vmem_managed_set_job(VmemManaged *managed, gboolean job)
{
	managed->job = job;
	managed->changed = TRUE;
	if (job)
		vmem_managed_stop_resize(managed);
}

static const char *
vmem_managed_automation(VmemManaged *managed)
{
	if (vmem_managed_get_mode(managed) != VMEM_POLICY_MODE_AUTO &&
	    vmem_managed_get_mode(managed) != VMEM_POLICY_MODE_MANUAL)
		return "off";
	if (managed->paused || managed->job)
		return "paused";
	if (managed->override)
		return "override";
	return vmem_policy_mode_to_string(vmem_managed_get_mode(managed));
}

static GVariant *
vmem_managed_devices_variant(GPtrArray *devices)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a(sutttt)"));
	for (guint i = 0; i < devices->len; i++) {
		const VmemDevice *dev = devices->pdata[i];

		g_variant_builder_add(&b, "(sutttt)", dev->alias ? dev->alias : "", dev->node,
				      dev->block_size, dev->size, dev->requested, dev->plugged);
	}
	return g_variant_builder_end(&b);
}

/**
 * vmem_managed_publish:
 * @now: the engine's clock
 *
 * Adds the time since the last call to the accounting and, when something
 * changed (or every few seconds, for the accounting), sets the D-Bus
 * properties: PropertiesChanged goes out for those that changed.
 */
void
vmem_managed_publish(VmemManaged *managed, double now)
{
	VmemDBusDomain1 *iface = managed->iface;
	VmemEngineReport report;
	gint64 report_us = 0;
	guint64 plugged = 0;
	const char *source;

	for (guint i = 0; i < managed->devices->len; i++)
		plugged += ((const VmemDevice *)managed->devices->pdata[i])->plugged;
	if (managed->accounted_at != VMEM_ENGINE_NEVER)
		managed->gib_hours +=
			(double)plugged / VMEM_SIZE_GIB * (now - managed->accounted_at) / 3600.0;
	managed->accounted_at = now;

	if (managed->channel != NULL)
		vmem_agent_channel_get_report(managed->channel, &report_us);
	/* Unchanged: only the accounting and the report's age move, published
	 * every few seconds (and alone: setting every property costs, even
	 * unchanged, with hundreds of domains). */
	if (!managed->changed && report_us == managed->published_report_us) {
		if (now - managed->published_at >= VMEM_MANAGED_PUBLISH_S) {
			managed->published_at = now;
			vmem_managed_report(managed, &report);
			vmem_dbus_domain1_set_guest_report_age(iface,
							       report.valid ? report.age : -1.0);
			vmem_dbus_domain1_set_plugged_gib_hours(iface, managed->gib_hours);
		}
		return;
	}
	managed->changed = FALSE;
	managed->published_report_us = report_us;
	managed->published_at = now;
	source = vmem_managed_report(managed, &report);
	vmem_dbus_domain1_set_state(iface, vmem_run_state_to_string(managed->run_state));
	vmem_dbus_domain1_set_devices(iface, vmem_managed_devices_variant(managed->devices));
	vmem_dbus_domain1_set_policy(iface,
				     vmem_daemon_policy_to_variant(vmem_managed_policy(managed)));
	vmem_dbus_domain1_set_automation(iface, vmem_managed_automation(managed));
	vmem_dbus_domain1_set_guest_source(iface, source);
	vmem_dbus_domain1_set_guest_total(iface, report.mem_total);
	vmem_dbus_domain1_set_guest_available(iface, report.mem_available);
	vmem_dbus_domain1_set_guest_psi(
		iface, g_variant_new("(dd)", report.has_psi ? report.psi_some_avg10 : -1.0,
				     report.has_psi ? report.psi_full_avg10 : -1.0));
	vmem_dbus_domain1_set_guest_report_age(iface, report.valid ? report.age : -1.0);
	vmem_dbus_domain1_set_job_state(iface, managed->job_state);
	vmem_dbus_domain1_set_last_decision(
		iface, g_variant_new("(dttss)", (double)managed->decided_at_us / G_USEC_PER_SEC,
				     managed->decided_from, managed->decided_to,
				     managed->decided_action ? managed->decided_action : "",
				     managed->decided_reason ? managed->decided_reason : ""));
	vmem_dbus_domain1_set_plugged_gib_hours(iface, managed->gib_hours);
}

/**
 * vmem_managed_set_policy:
 * @policy: a{sv}, keys as in the Policy property
 *
 * Changes the policy in the domain's metadata, live and in its
 * configuration; libvirt's event brings the change back to the daemon.
 */
gboolean
vmem_managed_set_policy(VmemManaged *managed, GVariant *policy, GError **error)
{
	g_autoptr(virDomain) dom = NULL;
	VmemPolicyDef changes;

	managed->changed = TRUE;
	if (!vmem_daemon_policy_from_variant(policy, &changes, error))
		return FALSE;
	dom = vmem_backend_libvirt_lookup(managed->backend, managed->name, error);
	if (dom == NULL || !vmem_daemon_policy_write(dom, &changes, error))
		return FALSE;
	managed->dirty = TRUE;
	return TRUE;
}
