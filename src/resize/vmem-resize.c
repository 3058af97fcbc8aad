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

/* A stuck unplug is reported once the guest was told again this often. */
#define VMEM_RESIZE_MAX_KICKS 3

struct _VmemResize {
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
};

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
	g_autoptr(VmemResize) resize = g_new0(VmemResize, 1);

	resize->backend = backend;
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

void
vmem_resize_free(VmemResize *resize)
{
	if (resize == NULL)
		return;
	if (resize->devices != NULL)
		g_ptr_array_unref(resize->devices);
	vmem_job_free(resize->job);
	g_free(resize->targets);
	g_free(resize->touched);
	g_free(resize->domain);
	g_free(resize);
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

/**
 * vmem_resize_agent_facts:
 * @report: (nullable): the guest agent's latest report
 *
 * What a resize job needs of the agent's report.
 */
void
vmem_resize_agent_facts(const VmemAgentReport *report, VmemJobAgentFacts *ret_facts)
{
	memset(ret_facts, 0, sizeof(*ret_facts));
	if (report == NULL || !report->has_memory)
		return;
	ret_facts->valid = TRUE;
	ret_facts->driver_loaded = report->driver_loaded;
	ret_facts->mem_total = report->mem_total_kib * 1024;
	ret_facts->mem_used = (report->mem_total_kib - report->mem_available_kib) * 1024;
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
	guint64 requested, plugged;

	vmem_resize_sum(resize, &requested, &plugged);
	return vmem_job_check_shrink(&resize->tuning, plugged, requested, agent, force, error);
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
	g_autoptr(GArray) observed = g_array_new(FALSE, FALSE, sizeof(VmemJobDevice));

	for (guint i = 0; i < resize->devices->len; i++) {
		const VmemDevice *dev = g_ptr_array_index(resize->devices, i);
		VmemJobDevice jd = {dev->requested, dev->plugged};

		if (resize->touched[i])
			g_array_append_val(observed, jd);
	}
	vmem_job_observe(resize->job, now, resize->run_state, (VmemJobDevice *)observed->data,
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
}

typedef struct {
	VmemResize *resize;
	gboolean wake;
} VmemResizeWaiter;

static void
vmem_resize_on_size(VmemBackend *backend, const char *domain, const char *alias, guint64 plugged,
		    gpointer user_data)
{
	VmemResizeWaiter *waiter = user_data;

	if (g_strcmp0(domain, waiter->resize->domain) == 0)
		waiter->wake = TRUE;
}

static void
vmem_resize_on_event(VmemBackend *backend, const char *domain, VmemDomainEvent event,
		     gpointer user_data)
{
	VmemResizeWaiter *waiter = user_data;

	if (g_strcmp0(domain, waiter->resize->domain) != 0)
		return;
	if (event == VMEM_DOMAIN_EVENT_RESET && waiter->resize->job != NULL)
		vmem_job_note_reset(waiter->resize->job, g_get_monotonic_time());
	waiter->wake = TRUE;
}

static gboolean
vmem_resize_on_tick(gpointer user_data)
{
	((VmemResizeWaiter *)user_data)->wake = TRUE;
	return G_SOURCE_CONTINUE;
}

static gboolean
vmem_resize_finished(VmemJobState state)
{
	switch (state) {
	case VMEM_JOB_CONVERGED:
	case VMEM_JOB_BUSY:
	case VMEM_JOB_NOT_RUNNING:
	case VMEM_JOB_NO_DRIVER:
		return TRUE;
	case VMEM_JOB_STUCK_UNPLUG:
	case VMEM_JOB_PLUGGING:
	case VMEM_JOB_UNPLUGGING:
	case VMEM_JOB_REPLUGGING:
		return FALSE;
	}
	return TRUE;
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

/**
 * vmem_resize_wait:
 * @timeout_s: give up after this long (0: wait as long as the guest moves)
 * @progress: (nullable): called at every observation
 *
 * Follows the job in the default main context until every touched device
 * converged, the domain is busy (migrating, saving) or not running, the
 * guest has no driver, the unplug is stuck (after the kicks the tuning
 * allows), or @timeout_s passed.
 *
 * Returns: the final state
 */
VmemJobState
vmem_resize_wait(VmemResize *resize, guint timeout_s, VmemResizeProgressFunc progress,
		 gpointer user_data)
{
	VmemResizeWaiter waiter = {resize, TRUE};
	VmemBackendCallbacks callbacks = {vmem_resize_on_size, vmem_resize_on_event};
	gint64 deadline = timeout_s ? resize->start_us + (gint64)timeout_s * G_USEC_PER_SEC : 0;
	guint tick = g_timeout_add(VMEM_RESIZE_POLL_MS, vmem_resize_on_tick, &waiter);
	VmemResizeProgress now_progress = {0};
	VmemJobState state = VMEM_JOB_PLUGGING;

	if (resize->job == NULL)
		resize->job = vmem_job_new(&resize->tuning, resize->start_us, -1);
	vmem_backend_set_callbacks(resize->backend, &callbacks, &waiter);
	for (;;) {
		g_autoptr(GError) error = NULL;
		gint64 now;

		while (!waiter.wake)
			g_main_context_iteration(NULL, TRUE);
		waiter.wake = FALSE;
		now = g_get_monotonic_time();
		if (!vmem_resize_refresh(resize, &error)) {
			/* The domain went away under us. */
			g_debug("resize: %s", error->message);
			resize->run_state = VMEM_RUN_STATE_SHUT_OFF;
		}
		vmem_resize_observe(resize, now);
		state = vmem_job_get_state(resize->job, now);
		vmem_resize_get_progress(resize, &now_progress);
		if (progress != NULL)
			progress(&now_progress, user_data);
		if (vmem_resize_finished(state))
			break;
		/* Stuck for good: kicked as often as the tuning allows. */
		if (state == VMEM_JOB_STUCK_UNPLUG && resize->n_kicks >= VMEM_RESIZE_MAX_KICKS)
			break;
		if (vmem_job_kick_due(resize->job, now))
			vmem_resize_kick(resize, now);
		if (deadline != 0 && now >= deadline)
			break;
	}
	vmem_backend_set_callbacks(resize->backend, NULL, NULL);
	g_source_remove(tick);
	return state;
}
