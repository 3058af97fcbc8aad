/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-squeeze.h"

#include <glib/gi18n.h>

#include "vmem-agent-channel.h"
#include "vmem-error.h"
#include "vmem-resize.h"
#include "vmem-save-meta.h"
#include "vmem-size.h"

const char *
vmem_squeeze_outcome_to_string(VmemSqueezeOutcome outcome)
{
	switch (outcome) {
	case VMEM_SQUEEZE_CONVERGED:
		return "converged";
	case VMEM_SQUEEZE_PARTIAL:
		return "partial";
	case VMEM_SQUEEZE_NOTHING:
		return "nothing";
	case VMEM_SQUEEZE_SKIPPED:
		return "skipped";
	}
	return "?";
}

void
vmem_squeeze_options_init(VmemSqueezeOptions *options)
{
	memset(options, 0, sizeof(*options));
	options->timeout_s = VMEM_SQUEEZE_TIMEOUT_S;
	options->agent_timeout_ms = VMEM_SQUEEZE_AGENT_TIMEOUT_MS;
}

void
vmem_squeeze_result_free(VmemSqueezeResult *result)
{
	if (result == NULL)
		return;
	g_free(result->reason);
	g_clear_pointer(&result->before, g_ptr_array_unref);
	g_free(result);
}

/**
 * vmem_squeeze_target:
 * @agent: the facts of the guest agent's fresh report
 * @requested: what the devices request now, added up, bytes
 * @block_size: the devices' largest block size, bytes
 * @policy_min: the policy's min (virtio-mem memory), bytes; 0 for none
 * @has_size: the user gave the total to squeeze to...
 * @size: ...this one, bytes
 * @ret_target: (out): the total to request, bytes; @requested when there
 *   is nothing to squeeze
 *
 * What the guest needs of its virtio-mem memory: what it uses plus a
 * margin (the larger of %VMEM_SQUEEZE_MARGIN_MIN and
 * %VMEM_SQUEEZE_MARGIN_PERCENT of the use), less its base memory, never
 * below the policy's min, rounded up to whole blocks, and never more than
 * it requests now (a squeeze never grows).  A @size given is taken as it
 * is, but refused below that need: it would take memory the guest uses.
 */
gboolean
vmem_squeeze_target(const VmemJobAgentFacts *agent, guint64 requested, guint64 block_size,
		    guint64 policy_min, gboolean has_size, guint64 size, guint64 *ret_target,
		    GError **error)
{
	guint64 margin, need_total, need;

	g_return_val_if_fail(block_size > 0, FALSE);
	if (!agent->valid) {
		g_set_error_literal(
			error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			_("The guest agent's report says nothing of the guest's memory, "
			  "so the guest is not squeezed."));
		return FALSE;
	}
	margin = MAX(VMEM_SQUEEZE_MARGIN_MIN, agent->mem_used / 100 * VMEM_SQUEEZE_MARGIN_PERCENT);
	need_total = agent->mem_used + margin;
	need = need_total > agent->base ? need_total - agent->base : 0;
	need = MAX(need, policy_min);
	if (need % block_size != 0)
		need += block_size - need % block_size;
	if (has_size) {
		if (size < need) {
			g_autofree char *size_s = vmem_size_format(size);
			g_autofree char *need_s = vmem_size_format(need);

			g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
				    /* TRANSLATORS: 1 and 2 are sizes such as “1.5 GiB” */
				    _("Squeezing to %1$s would take memory the guest uses or the "
				      "policy keeps: it needs at least %2$s of virtio-mem memory."),
				    size_s, need_s);
			return FALSE;
		}
		need = size;
	}
	*ret_target = MIN(need, requested);
	return TRUE;
}

/**
 * vmem_squeeze_policy_asks:
 * @domain: a domain of @backend
 *
 * Returns: whether @domain's policy asks for a squeeze before each save
 *   (`<virtmem:save squeeze='yes'/>`); not without a policy
 */
gboolean
vmem_squeeze_policy_asks(VmemBackend *backend, const char *domain)
{
	g_autoptr(VmemPolicyDef) policy = NULL;
	g_autoptr(GError) error = NULL;

	if (!vmem_backend_get_policy(backend, domain, &policy, &error)) {
		g_debug("%s: no policy: %s", domain, error->message);
		return FALSE;
	}
	return policy != NULL && policy->squeeze;
}

typedef struct {
	VmemBackend *backend;
	char *domain;
	VmemSqueezeOptions options;
	VmemAgentChannel *channel;
	VmemResize *resize;
	GPtrArray *devices;
	guint64 policy_min;
	VmemSqueezeResult *result;
} VmemSqueezeOp;

static void
vmem_squeeze_op_free(gpointer data)
{
	VmemSqueezeOp *op = data;

	g_clear_object(&op->channel);
	g_clear_object(&op->resize);
	g_clear_pointer(&op->devices, g_ptr_array_unref);
	g_free(op->domain);
	vmem_squeeze_result_free(op->result);
	g_free(op);
}

static void
vmem_squeeze_return(GTask *task)
{
	VmemSqueezeOp *op = g_task_get_task_data(task);

	g_task_return_pointer(task, g_steal_pointer(&op->result),
			      (GDestroyNotify)vmem_squeeze_result_free);
	g_object_unref(task);
}

static void
vmem_squeeze_skip(GTask *task, char *reason)
{
	VmemSqueezeOp *op = g_task_get_task_data(task);

	op->result->outcome = VMEM_SQUEEZE_SKIPPED;
	op->result->reason = reason;
	op->result->target = op->result->requested_before;
	op->result->plugged_after = op->result->plugged_before;
	vmem_squeeze_return(task);
}

static void
vmem_squeeze_on_unplugged(GObject *source, GAsyncResult *result, gpointer user_data)
{
	GTask *task = user_data;
	VmemSqueezeOp *op = g_task_get_task_data(task);
	VmemResizeProgress progress;
	GError *error = NULL;

	if (!vmem_resize_wait_finish(op->resize, result, &op->result->state, &error)) {
		g_autoptr(GError) undo_error = NULL;

		/* cancelled: the guest gets its request back */
		op->result->outcome = VMEM_SQUEEZE_PARTIAL;
		if (!vmem_squeeze_undo(op->backend, op->domain, op->result, &undo_error))
			g_warning("%s", undo_error->message);
		g_task_return_error(task, error);
		g_object_unref(task);
		return;
	}
	vmem_resize_get_progress(op->resize, &progress);
	op->result->plugged_after = progress.plugged;
	op->result->elapsed_us = progress.elapsed_us;
	op->result->outcome = op->result->state == VMEM_JOB_CONVERGED ? VMEM_SQUEEZE_CONVERGED
								      : VMEM_SQUEEZE_PARTIAL;
	vmem_squeeze_return(task);
}

/* Lowers the request to what @facts say the guest needs, then follows
 * the unplug. */
static void
vmem_squeeze_by_facts(GTask *task, const VmemJobAgentFacts *facts)
{
	VmemSqueezeOp *op = g_task_get_task_data(task);
	guint64 block = 0, target = 0;
	GError *error = NULL;

	for (guint i = 0; i < op->devices->len; i++)
		block = MAX(block, ((VmemDevice *)g_ptr_array_index(op->devices, i))->block_size);
	if (!vmem_squeeze_target(facts, op->result->requested_before, MAX(block, 1), op->policy_min,
				 op->options.has_size, op->options.size, &target, &error)) {
		g_task_return_error(task, error);
		g_object_unref(task);
		return;
	}
	op->result->target = target;
	if (target >= op->result->requested_before) {
		op->result->outcome = VMEM_SQUEEZE_NOTHING;
		op->result->plugged_after = op->result->plugged_before;
		vmem_squeeze_return(task);
		return;
	}
	/* The live domain only: the configuration keeps its size.  Followed
	 * without the agent: a stalled unplug is then never told again. */
	if (!vmem_resize_plan_total(op->resize, target, &error) ||
	    !vmem_resize_apply(op->resize, VMEM_RESIZE_LIVE, &error)) {
		g_task_return_error(task, error);
		g_object_unref(task);
		return;
	}
	/* (a channel stays until the operation ends: this may run in its
	 * callback) */
	vmem_resize_wait_async(op->resize, op->options.timeout_s, g_task_get_cancellable(task),
			       vmem_squeeze_on_unplugged, task);
}

static void
vmem_squeeze_on_report(GObject *source, GAsyncResult *result, gpointer user_data)
{
	GTask *task = user_data;
	VmemSqueezeOp *op = g_task_get_task_data(task);
	g_autoptr(GError) local_error = NULL;
	const VmemAgentReport *report;
	VmemJobAgentFacts facts;

	report = vmem_agent_channel_wait_report_finish(op->channel, result, &local_error);
	if (report == NULL && g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_task_return_error(task, g_steal_pointer(&local_error));
		g_object_unref(task);
		return;
	}
	if (report == NULL) {
		vmem_squeeze_skip(task, g_strdup_printf(
						/* TRANSLATORS: %s says why (a sentence) */
						_("No fresh report from the guest agent: %s"),
						local_error->message));
		return;
	}
	vmem_resize_agent_facts(report, op->devices, &facts);
	vmem_squeeze_by_facts(task, &facts);
}

/**
 * vmem_squeeze_async:
 * @domain: a running domain with virtio-mem devices
 * @options: the size, if given, and the time limits
 *
 * Asks the guest agent for a fresh report, lowers the live domain's
 * requested size to vmem_squeeze_target() and follows the unplug for at
 * most @options->timeout_s, never telling a stalled guest again.  Without
 * a fresh report (or a running guest) nothing is changed: the result says
 * it was skipped and why.  With @options->channel, the report comes on
 * that one; with @options->facts, those are the report.  The result keeps
 * each device's request from before, for the save to remember and
 * vmem_squeeze_undo() to put back.
 * Cancelled while the guest unplugs, the request from before is put back.
 */
void
vmem_squeeze_async(VmemBackend *backend, const char *domain, const VmemSqueezeOptions *options,
		   GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task = g_task_new(backend, cancellable, callback, user_data);
	VmemSqueezeOp *op = g_new0(VmemSqueezeOp, 1);
	g_autoptr(VmemPolicyDef) policy = NULL;
	GError *error = NULL;

	g_task_set_source_tag(task, vmem_squeeze_async);
	g_task_set_task_data(task, op, vmem_squeeze_op_free);
	op->backend = backend;
	op->domain = g_strdup(domain);
	op->options = *options;
	op->result = g_new0(VmemSqueezeResult, 1);
	op->result->before = vmem_saved_targets_new();
	op->resize = vmem_resize_new(backend, domain, &error);
	if (op->resize == NULL ||
	    !vmem_backend_get_devices(backend, domain, &op->devices, &error) ||
	    (vmem_backend_has_config(backend) &&
	     !vmem_backend_get_policy(backend, domain, &policy, &error))) {
		g_task_return_error(task, error);
		g_object_unref(task);
		return;
	}
	for (guint i = 0; i < op->devices->len; i++) {
		const VmemDevice *dev = g_ptr_array_index(op->devices, i);

		vmem_saved_targets_add(op->result->before, dev->alias, dev->requested);
		op->result->requested_before += dev->requested;
		op->result->plugged_before += dev->plugged;
	}
	if (policy != NULL && policy->has_min)
		op->policy_min = policy->min_kib * 1024;
	if (vmem_resize_get_run_state(op->resize) != VMEM_RUN_STATE_RUNNING) {
		vmem_squeeze_skip(task, g_strdup_printf(
						/* TRANSLATORS: %s is a domain name */
						_("Domain %s is not running, so its guest cannot "
						  "give memory back."),
						domain));
		return;
	}
	/* Neither is kept: the caller's may be gone by the time the squeeze
	 * ends; the facts are used at once, the channel is referenced. */
	op->options.facts = NULL;
	op->options.channel = NULL;
	if (options->facts != NULL) {
		const VmemJobAgentFacts *facts = options->facts;

		if (!facts->valid) {
			vmem_squeeze_skip(task,
					  g_strdup(_("There is no fresh report of the guest's "
						     "memory from its agent.")));
			return;
		}
		if (facts->age_us > VMEM_SQUEEZE_FACTS_MAX_AGE_US) {
			vmem_squeeze_skip(
				task, g_strdup_printf(
					      /* TRANSLATORS: %.1f is seconds */
					      _("The guest agent's latest report is %.1f s old, "
						"too old to squeeze the guest by."),
					      facts->age_us / (double)G_USEC_PER_SEC));
			return;
		}
		vmem_squeeze_by_facts(task, facts);
		return;
	}
	if (options->channel != NULL) {
		op->channel = g_object_ref(options->channel);
		vmem_agent_channel_wait_report_async(op->channel, options->agent_timeout_ms,
						     cancellable, vmem_squeeze_on_report, task);
		return;
	}
	op->channel = vmem_agent_channel_open(backend, domain, &error);
	if (op->channel == NULL || !vmem_agent_channel_start(op->channel, &error)) {
		vmem_squeeze_skip(
			task, g_strdup_printf(
				      /* TRANSLATORS: %s says why (a sentence) */
				      _("The guest agent cannot be asked: %s"), error->message));
		g_error_free(error);
		return;
	}
	vmem_agent_channel_wait_report_async(op->channel, options->agent_timeout_ms, cancellable,
					     vmem_squeeze_on_report, task);
}

/**
 * vmem_squeeze_finish:
 *
 * Returns: (transfer full): what the squeeze did, or %NULL with @error set
 *   (the domain or its devices are gone, the VMM refused the new size, or
 *   the size given is below what the guest needs)
 */
VmemSqueezeResult *
vmem_squeeze_finish(VmemBackend *backend, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, backend), NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}

/**
 * vmem_squeeze_undo:
 * @result: a squeeze of @domain
 *
 * Puts back each device's request from before the squeeze, for a save
 * that failed after it (the domain still runs).  Growing needs no check.
 */
gboolean
vmem_squeeze_undo(VmemBackend *backend, const char *domain, const VmemSqueezeResult *result,
		  GError **error)
{
	g_autoptr(VmemResize) resize = NULL;

	if (result->outcome == VMEM_SQUEEZE_NOTHING || result->outcome == VMEM_SQUEEZE_SKIPPED)
		return TRUE;
	resize = vmem_resize_new(backend, domain, error);
	if (resize == NULL)
		return FALSE;
	for (guint i = 0; i < result->before->len; i++) {
		const VmemSavedTarget *t = g_ptr_array_index(result->before, i);

		if (!vmem_resize_plan_device(resize, t->alias, -1, t->requested, error))
			return FALSE;
	}
	return vmem_resize_apply(resize, VMEM_RESIZE_LIVE, error);
}
