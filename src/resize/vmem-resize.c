/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-resize.h"

#include <glib/gi18n.h>

#include "vmem-error.h"
#include "vmem-resize-plan.h"

/* How often the job looks at the VMM besides reacting to its events: the
 * size-change event is throttled by QEMU to one a second per device, and
 * a stalled guest sends none at all. */
#define VMEM_RESIZE_POLL_MS 250

struct _VmemResize {
	GObject parent;
	VmemBackend *backend;
	char *domain;
	GPtrArray *devices; /* VmemDevice: all of the domain's, as last seen */
	VmemRunState run_state;
	guint64 *targets;  /* requested per device, parallel to devices */
	gboolean *touched; /* whether the plan changes the device */
	VmemJobTuning tuning;
	VmemJob *job;
	gint64 start_us;
	guint64 start_plugged;
	guint n_kicks;
	gboolean waiting;	 /* one vmem_resize_wait_async() at a time */
	VmemAgentChannel *agent; /* the guest's own view, if any */
	gulong agent_handler;
};

enum {
	SIGNAL_PROGRESS,
	N_SIGNALS,
};

static guint vmem_resize_signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE(VmemResize, vmem_resize, G_TYPE_OBJECT)

/**
 * vmem_resize_new:
 * @backend: the VMM
 * @domain: the domain to resize
 *
 * Reads the domain's virtio-mem devices and run state.  Fails when the
 * domain has no virtio-mem device.
 */
VmemResize *
vmem_resize_new(VmemBackend *backend, const char *domain, GError **error)
{
	g_autoptr(VmemResize) resize = g_object_new(VMEM_TYPE_RESIZE, NULL);

	resize->backend = g_object_ref(backend);
	resize->domain = g_strdup(domain);
	vmem_job_tuning_init(&resize->tuning);
	if (!vmem_backend_get_devices(backend, domain, &resize->devices, error) ||
	    !vmem_backend_get_run_state(backend, domain, &resize->run_state, error))
		return NULL;
	if (resize->devices->len == 0) {
		/* TRANSLATORS: %s is a domain name */
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_NOT_FOUND,
			    _("Domain %s has no virtio-mem device."), domain);
		return NULL;
	}
	resize->targets = g_new0(guint64, resize->devices->len);
	resize->touched = g_new0(gboolean, resize->devices->len);
	return g_steal_pointer(&resize);
}

static void
vmem_resize_finalize(GObject *object)
{
	VmemResize *resize = VMEM_RESIZE(object);

	if (resize->agent != NULL)
		g_signal_handler_disconnect(resize->agent, resize->agent_handler);
	g_clear_object(&resize->agent);
	g_clear_object(&resize->backend);
	g_clear_pointer(&resize->devices, g_ptr_array_unref);
	vmem_job_free(resize->job);
	g_free(resize->targets);
	g_free(resize->touched);
	g_free(resize->domain);
	G_OBJECT_CLASS(vmem_resize_parent_class)->finalize(object);
}

static void
vmem_resize_class_init(VmemResizeClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = vmem_resize_finalize;

	/**
	 * VmemResize::progress:
	 * @progress: (type gpointer): a #VmemResizeProgress, valid during the
	 *   emission
	 *
	 * Emitted at every observation while vmem_resize_wait_async() runs.
	 */
	vmem_resize_signals[SIGNAL_PROGRESS] =
		g_signal_new("progress", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
			     NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
vmem_resize_init(VmemResize *resize)
{
}

VmemRunState
vmem_resize_get_run_state(VmemResize *resize)
{
	return resize->run_state;
}

/**
 * vmem_resize_get_targets:
 *
 * Returns: (array): the planned requested size of each device, parallel
 *   to the domain's devices as the backend lists them; 0 for devices the
 *   plan leaves alone
 */
const guint64 *
vmem_resize_get_targets(VmemResize *resize)
{
	return resize->targets;
}

/**
 * vmem_resize_plan_total:
 * @total: what all the domain's virtio-mem devices together should plug
 *
 * Splits @total across the devices, NUMA-balanced (see
 * vmem_resize_plan_split()).
 */
gboolean
vmem_resize_plan_total(VmemResize *resize, guint64 total, GError **error)
{
	g_autofree guint64 *requested = NULL;
	g_autofree guint64 *weights = g_new0(guint64, resize->devices->len);

	/* NUMA-balanced: in proportion to the nodes' memory when the VMM tells
	 * it for every device, else to the devices' sizes. */
	for (guint i = 0; i < resize->devices->len && weights != NULL; i++) {
		const VmemDevice *dev = g_ptr_array_index(resize->devices, i);

		if (dev->node_memory == 0)
			g_clear_pointer(&weights, g_free);
		else
			weights[i] = dev->node_memory;
	}
	if (!vmem_resize_plan_split(resize->devices, weights, total, &requested, error))
		return FALSE;
	for (guint i = 0; i < resize->devices->len; i++) {
		resize->targets[i] = requested[i];
		resize->touched[i] = TRUE;
	}
	return TRUE;
}

/**
 * vmem_resize_plan_device:
 * @alias: (nullable): the device, by alias...
 * @node: ...or by NUMA node (-1 when @alias is given)
 * @size: what that device should plug
 */
gboolean
vmem_resize_plan_device(VmemResize *resize, const char *alias, gint node, guint64 size,
			GError **error)
{
	guint index;

	if (!vmem_resize_plan_select(resize->devices, alias, node, &index, error) ||
	    !vmem_resize_plan_one(g_ptr_array_index(resize->devices, index), size,
				  &resize->targets[index], error))
		return FALSE;
	resize->touched[index] = TRUE;
	return TRUE;
}

static void
vmem_resize_sum(VmemResize *resize, guint64 *ret_requested, guint64 *ret_plugged)
{
	guint64 requested = 0, plugged = 0;

	for (guint i = 0; i < resize->devices->len; i++) {
		const VmemDevice *dev = g_ptr_array_index(resize->devices, i);

		if (!resize->touched[i])
			continue;
		requested += resize->targets[i];
		plugged += dev->plugged;
	}
	*ret_requested = requested;
	*ret_plugged = plugged;
}

/* The report's device for @dev: the guest names it by its address. */
static const VmemAgentDevice *
vmem_resize_agent_device(const VmemAgentReport *report, const VmemDevice *dev)
{
	for (guint i = 0; dev->address != 0 && i < report->devices->len; i++) {
		const VmemAgentDevice *ad = g_ptr_array_index(report->devices, i);

		if (ad->start == dev->address)
			return ad;
	}
	return NULL;
}

/* What a job needs of @report, about @devices (all, or those @touched). */
static void
vmem_resize_report_facts(const VmemAgentReport *report, GPtrArray *devices, const gboolean *touched,
			 VmemJobAgentFacts *ret_facts)
{
	guint64 online_all = 0;

	memset(ret_facts, 0, sizeof(*ret_facts));
	if (report == NULL || !report->has_memory)
		return;
	ret_facts->valid = TRUE;
	ret_facts->driver_loaded = report->driver_loaded;
	ret_facts->mem_total = report->mem_total_kib * 1024;
	ret_facts->mem_available = report->mem_available_kib * 1024;
	ret_facts->mem_used = ret_facts->mem_total - ret_facts->mem_available;
	for (guint i = 0; i < report->devices->len; i++) {
		const VmemAgentDevice *ad = g_ptr_array_index(report->devices, i);

		online_all += (ad->movable + ad->normal) * report->block_size;
	}
	ret_facts->base = ret_facts->mem_total > online_all ? ret_facts->mem_total - online_all : 0;
	for (guint i = 0; devices != NULL && i < devices->len; i++) {
		const VmemAgentDevice *ad;

		if (touched != NULL && !touched[i])
			continue;
		ad = vmem_resize_agent_device(report, g_ptr_array_index(devices, i));
		if (ad == NULL) {
			/* Unknown to the guest: claim nothing for it. */
			ret_facts->online = ret_facts->movable = ret_facts->offline = 0;
			return;
		}
		ret_facts->online += (ad->movable + ad->normal) * report->block_size;
		ret_facts->movable += ad->movable * report->block_size;
		ret_facts->offline += ad->offline * report->block_size;
	}
}

/**
 * vmem_resize_agent_facts:
 * @report: (nullable): the guest agent's latest report
 * @devices: (element-type VmemDevice) (nullable): the domain's devices, to
 *   match with the report's by address; %NULL for none
 *
 * What a resize job needs of the agent's report, about all @devices.
 */
void
vmem_resize_agent_facts(const VmemAgentReport *report, GPtrArray *devices,
			VmemJobAgentFacts *ret_facts)
{
	vmem_resize_report_facts(report, devices, NULL, ret_facts);
}

static void
vmem_resize_take_report(VmemResize *resize)
{
	gint64 received_us = 0;
	const VmemAgentReport *report = vmem_agent_channel_get_report(resize->agent, &received_us);
	VmemJobAgentFacts facts;

	if (resize->job == NULL || report == NULL)
		return;
	vmem_resize_report_facts(report, resize->devices, resize->touched, &facts);
	vmem_job_set_agent(resize->job, received_us, &facts);
}

static void
vmem_resize_on_agent(VmemAgentChannel *channel, guint event, gpointer user_data)
{
	if (event == VMEM_AGENT_CHANNEL_REPORT)
		vmem_resize_take_report(user_data);
}

/**
 * vmem_resize_set_agent:
 * @channel: (nullable): a started channel to the guest's agent
 *
 * Lets the job judge by the guest's own reports: an unplug is told again
 * only when a fresh report says the memory is free and movable, a plug
 * ends as soon as the guest has the memory online, and memory left
 * offline is an outcome of its own.  Without an agent, a stalled unplug is
 * never told again.
 */
void
vmem_resize_set_agent(VmemResize *resize, VmemAgentChannel *channel)
{
	if (resize->agent != NULL)
		g_signal_handler_disconnect(resize->agent, resize->agent_handler);
	g_clear_object(&resize->agent);
	if (channel == NULL)
		return;
	resize->agent = g_object_ref(channel);
	resize->agent_handler =
		g_signal_connect(channel, "event", G_CALLBACK(vmem_resize_on_agent), resize);
}

/**
 * vmem_resize_check_shrink:
 * @agent: (nullable): what the guest agent reports
 * @force: skip the check
 *
 * Refuses a shrink that would leave the guest less than it uses plus a
 * margin: a guest asked to give back memory it is using can run into the
 * OOM killer.
 */
gboolean
vmem_resize_check_shrink(VmemResize *resize, const VmemJobAgentFacts *agent, gboolean force,
			 GError **error)
{
	guint64 requested, plugged, other = 0;

	vmem_resize_sum(resize, &requested, &plugged);
	for (guint i = 0; i < resize->devices->len; i++) {
		const VmemDevice *dev = g_ptr_array_index(resize->devices, i);

		if (!resize->touched[i])
			other += dev->plugged;
	}
	return vmem_job_check_shrink(&resize->tuning, plugged, requested, other, agent, force,
				     error);
}

/**
 * vmem_resize_apply:
 * @affect: the live domain, its persistent configuration, or both
 *
 * Sets the planned requested size of every touched device.
 */
gboolean
vmem_resize_apply(VmemResize *resize, VmemResizeAffect affect, GError **error)
{
	guint64 requested;

	for (guint i = 0; i < resize->devices->len; i++) {
		const VmemDevice *dev = g_ptr_array_index(resize->devices, i);

		if (!resize->touched[i])
			continue;
		/* The configuration first: a device that exists only in the
		 * live domain (hot-plugged) fails here before anything
		 * changed. */
		if ((affect & VMEM_RESIZE_CONFIG) &&
		    !vmem_backend_set_requested_config(resize->backend, resize->domain, dev->alias,
						       resize->targets[i], error))
			return FALSE;
		if ((affect & VMEM_RESIZE_LIVE) &&
		    !vmem_backend_set_requested(resize->backend, resize->domain, dev->alias,
						resize->targets[i], error))
			return FALSE;
	}
	resize->start_us = g_get_monotonic_time();
	vmem_resize_sum(resize, &requested, &resize->start_plugged);
	return TRUE;
}

static gboolean
vmem_resize_refresh(VmemResize *resize, GError **error)
{
	g_autoptr(GPtrArray) devices = NULL;
	VmemRunState run_state;

	if (!vmem_backend_get_devices(resize->backend, resize->domain, &devices, error) ||
	    !vmem_backend_get_run_state(resize->backend, resize->domain, &run_state, error))
		return FALSE;
	if (devices->len != resize->devices->len) {
		/* TRANSLATORS: %s is a domain name */
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_FAILED,
			    _("The virtio-mem devices of %s changed during the resize."),
			    resize->domain);
		return FALSE;
	}
	g_ptr_array_unref(resize->devices);
	resize->devices = g_steal_pointer(&devices);
	resize->run_state = run_state;
	return TRUE;
}

static void
vmem_resize_observe(VmemResize *resize, gint64 now)
{
	g_autoptr(GArray) observed = g_array_new(FALSE, FALSE, sizeof(VmemDevice));

	for (guint i = 0; i < resize->devices->len; i++) {
		const VmemDevice *dev = g_ptr_array_index(resize->devices, i);
		if (resize->touched[i])
			g_array_append_val(observed, *dev);
	}
	vmem_job_observe(resize->job, now, resize->run_state, (VmemDevice *)observed->data,
			 observed->len);
}

/**
 * vmem_resize_get_progress:
 *
 * Where the job stands now.
 */
void
vmem_resize_get_progress(VmemResize *resize, VmemResizeProgress *ret_progress)
{
	gint64 now = g_get_monotonic_time();

	vmem_resize_sum(resize, &ret_progress->requested, &ret_progress->plugged);
	ret_progress->start_plugged = resize->start_plugged;
	ret_progress->elapsed_us = now - resize->start_us;
	ret_progress->n_kicks = resize->n_kicks;
	ret_progress->state =
		resize->job ? vmem_job_get_state(resize->job, now) : VMEM_JOB_PLUGGING;
	ret_progress->stuck_reason =
		resize->job ? vmem_job_get_stuck_reason(resize->job, now) : VMEM_JOB_STUCK_UNKNOWN;
	ret_progress->plugged_by_guest = FALSE;
	if (resize->job != NULL) {
		VmemJobFacts facts;

		/* Growing, memory cannot be online unless plugged, and the
		 * guest says so at once while QEMU tells at most once a second.
		 * (Shrinking, a report a moment old may show more than is
		 * plugged now.) */
		vmem_job_get_facts(resize->job, now, &facts);
		if (facts.agent.valid && facts.agent.age_us <= facts.since_start_us &&
		    ret_progress->plugged < ret_progress->requested &&
		    facts.agent.online > ret_progress->plugged) {
			ret_progress->plugged = MIN(facts.agent.online, ret_progress->requested);
			ret_progress->plugged_by_guest = TRUE;
		}
	}
}

/* Tells a stalled guest again: setting the same requested size makes QEMU
 * notify the guest, which retries at once instead of on its own timer
 * (50 s, doubling up to 300 s). */
static void
vmem_resize_kick(VmemResize *resize, gint64 now)
{
	for (guint i = 0; i < resize->devices->len; i++) {
		const VmemDevice *dev = g_ptr_array_index(resize->devices, i);
		g_autoptr(GError) error = NULL;

		if (!resize->touched[i] || dev->plugged == resize->targets[i])
			continue;
		if (!vmem_backend_set_requested(resize->backend, resize->domain, dev->alias,
						resize->targets[i], &error))
			g_debug("kick of %s failed: %s", dev->alias, error->message);
	}
	vmem_job_kicked(resize->job, now);
	resize->n_kicks++;
}

typedef struct {
	VmemResize *resize;
	gint64 deadline_us; /* 0: none */
	GSource *tick;
	GSource *cancelled;
	gulong size_handler;
	gulong event_handler;
	gulong agent_handler;
} VmemResizeWait;

static void
vmem_resize_wait_stop(VmemResizeWait *wait)
{
	if (wait->size_handler != 0)
		g_signal_handler_disconnect(wait->resize->backend, wait->size_handler);
	if (wait->event_handler != 0)
		g_signal_handler_disconnect(wait->resize->backend, wait->event_handler);
	if (wait->agent_handler != 0)
		g_signal_handler_disconnect(wait->resize->agent, wait->agent_handler);
	wait->size_handler = wait->event_handler = wait->agent_handler = 0;
	if (wait->tick != NULL) {
		g_source_destroy(wait->tick);
		g_clear_pointer(&wait->tick, g_source_unref);
	}
	if (wait->cancelled != NULL) {
		g_source_destroy(wait->cancelled);
		g_clear_pointer(&wait->cancelled, g_source_unref);
	}
	wait->resize->waiting = FALSE;
}

static void
vmem_resize_wait_free(gpointer data)
{
	vmem_resize_wait_stop(data);
	g_free(data);
}

static void
vmem_resize_wait_done(GTask *task, VmemJobState state, GError *error)
{
	vmem_resize_wait_stop(g_task_get_task_data(task));
	if (error != NULL)
		g_task_return_error(task, error);
	else
		g_task_return_int(task, state);
	g_object_unref(task);
}

/* One observation: look at the VMM, judge, tell the listeners, kick a
 * stalled guest when due, end the wait when the job is over. */
static void
vmem_resize_wait_step(GTask *task)
{
	VmemResizeWait *wait = g_task_get_task_data(task);
	VmemResize *resize = wait->resize;
	g_autoptr(GError) error = NULL;
	VmemResizeProgress progress = {0};
	VmemJobState state;
	gint64 now = g_get_monotonic_time();

	if (!vmem_resize_refresh(resize, &error)) {
		/* The domain went away under us. */
		g_debug("resize: %s", error->message);
		resize->run_state = VMEM_RUN_STATE_SHUT_OFF;
	}
	vmem_resize_observe(resize, now);
	if (resize->agent != NULL)
		vmem_resize_take_report(resize);
	state = vmem_job_get_state(resize->job, now);
	vmem_resize_get_progress(resize, &progress);
	g_signal_emit(resize, vmem_resize_signals[SIGNAL_PROGRESS], 0, &progress);
	if (vmem_job_is_over(resize->job, now) ||
	    (wait->deadline_us != 0 && now >= wait->deadline_us)) {
		vmem_resize_wait_done(task, state, NULL);
		return;
	}
	if (vmem_job_kick_due(resize->job, now))
		vmem_resize_kick(resize, now);
}

static void
vmem_resize_wait_on_size(VmemBackend *backend, const char *domain, const char *alias,
			 guint64 plugged, gpointer user_data)
{
	VmemResizeWait *wait = g_task_get_task_data(user_data);

	if (g_strcmp0(domain, wait->resize->domain) == 0)
		vmem_resize_wait_step(user_data);
}

static void
vmem_resize_wait_on_event(VmemBackend *backend, const char *domain, guint event, gpointer user_data)
{
	VmemResizeWait *wait = g_task_get_task_data(user_data);

	if (g_strcmp0(domain, wait->resize->domain) != 0)
		return;
	if (event == VMEM_DOMAIN_EVENT_RESET)
		vmem_job_note_reset(wait->resize->job, g_get_monotonic_time());
	vmem_resize_wait_step(user_data);
}

static void
vmem_resize_wait_on_agent(VmemAgentChannel *channel, guint event, gpointer user_data)
{
	/* vmem_resize_on_agent() has taken the report in already */
	if (event == VMEM_AGENT_CHANNEL_REPORT)
		vmem_resize_wait_step(user_data);
}

static gboolean
vmem_resize_wait_on_tick(gpointer user_data)
{
	GTask *task = user_data;

	/* Ending the wait destroys this source; GLib holds it until we return. */
	vmem_resize_wait_step(task);
	return G_SOURCE_CONTINUE;
}

static gboolean
vmem_resize_wait_on_cancelled(GCancellable *cancellable, gpointer user_data)
{
	GError *error = NULL;

	g_cancellable_set_error_if_cancelled(cancellable, &error);
	vmem_resize_wait_done(user_data, VMEM_JOB_PLUGGING, error);
	return G_SOURCE_REMOVE;
}

/**
 * vmem_resize_wait_async:
 * @timeout_s: give up after this long (0: wait as long as the guest moves)
 * @cancellable: (nullable): to stop following early
 * @callback: called with the outcome
 * @user_data: for @callback
 *
 * Follows the applied resize in the thread-default main context until
 * every touched device converged, the domain is busy (migrating, saving)
 * or not running, the guest has no driver, the unplug is stuck (after the
 * kicks the tuning allows), or @timeout_s passed; ::progress is emitted at
 * every observation.  Listens to the backend's signals beside any other
 * listener, and never runs a main loop of its own.
 */
void
vmem_resize_wait_async(VmemResize *resize, guint timeout_s, GCancellable *cancellable,
		       GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task = g_task_new(resize, cancellable, callback, user_data);
	VmemResizeWait *wait = g_new0(VmemResizeWait, 1);
	GMainContext *context = g_main_context_get_thread_default();

	g_task_set_source_tag(task, vmem_resize_wait_async);
	if (resize->waiting) {
		g_task_return_new_error(task, VMEM_ERROR, VMEM_ERROR_BUSY, "%s",
					/* TRANSLATORS: a programming error, seen by developers */
					_("This resize is already being followed."));
		g_free(wait);
		g_object_unref(task);
		return;
	}
	resize->waiting = TRUE;
	wait->resize = resize;
	wait->deadline_us = timeout_s ? resize->start_us + (gint64)timeout_s * G_USEC_PER_SEC : 0;
	g_task_set_task_data(task, wait, vmem_resize_wait_free);
	if (resize->job == NULL)
		resize->job = vmem_job_new(&resize->tuning, resize->start_us, -1);
	if (resize->agent != NULL)
		vmem_resize_take_report(resize);
	wait->size_handler = g_signal_connect(resize->backend, "size-changed",
					      G_CALLBACK(vmem_resize_wait_on_size), task);
	wait->event_handler = g_signal_connect(resize->backend, "domain-event",
					       G_CALLBACK(vmem_resize_wait_on_event), task);
	if (resize->agent != NULL)
		wait->agent_handler = g_signal_connect_after(
			resize->agent, "event", G_CALLBACK(vmem_resize_wait_on_agent), task);
	wait->tick = g_timeout_source_new(VMEM_RESIZE_POLL_MS);
	g_source_set_callback(wait->tick, vmem_resize_wait_on_tick, task, NULL);
	g_source_attach(wait->tick, context);
	if (cancellable != NULL) {
		wait->cancelled = g_cancellable_source_new(cancellable);
		g_source_set_callback(wait->cancelled, G_SOURCE_FUNC(vmem_resize_wait_on_cancelled),
				      task, NULL);
		g_source_attach(wait->cancelled, context);
	}
	vmem_resize_wait_step(task);
}

/**
 * vmem_resize_wait_finish:
 * @ret_state: (out): the job's final state
 *
 * Returns: %FALSE if the wait was cancelled
 */
gboolean
vmem_resize_wait_finish(VmemResize *resize, GAsyncResult *result, VmemJobState *ret_state,
			GError **error)
{
	gssize state;

	g_return_val_if_fail(g_task_is_valid(result, resize), FALSE);
	state = g_task_propagate_int(G_TASK(result), error);
	if (state < 0)
		return FALSE;
	*ret_state = (VmemJobState)state;
	return TRUE;
}
