/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A resize of one domain, from the request to its outcome: plan the
 * requested size of each device, apply it through the backend, and follow
 * the guest until it converges or the job's state explains why not.
 */
#pragma once

#include <gio/gio.h>

#include "vmem-agent-channel.h"
#include "vmem-backend.h"
#include "vmem-job.h"

G_BEGIN_DECLS

#define VMEM_TYPE_RESIZE (vmem_resize_get_type())
G_DECLARE_FINAL_TYPE(VmemResize, vmem_resize, VMEM, RESIZE, GObject)

/**
 * VmemResizeAffect:
 * @VMEM_RESIZE_LIVE: change the running domain
 * @VMEM_RESIZE_CONFIG: change its persistent configuration
 */
typedef enum {
	VMEM_RESIZE_LIVE = 1 << 0,
	VMEM_RESIZE_CONFIG = 1 << 1,
} VmemResizeAffect;

/**
 * VmemResizeProgress:
 * @state: where the job stands
 * @requested: the touched devices' requested sizes added up, bytes
 * @plugged: what the guest has plugged of them, bytes
 * @start_plugged: @plugged when the job started
 * @elapsed_us: time since the job started
 * @n_kicks: how often the guest was told again after it stopped moving
 * @stuck_reason: why an unplug does not move, and whether the guest may be
 *   told again (meaningful while unplugging)
 * @plugged_by_guest: @plugged comes from the guest's own report (what it
 *   has online), fresher than QEMU's figure
 */
typedef struct {
	VmemJobState state;
	guint64 requested;
	guint64 plugged;
	guint64 start_plugged;
	gint64 elapsed_us;
	guint n_kicks;
	VmemJobStuckReason stuck_reason;
	gboolean plugged_by_guest;
} VmemResizeProgress;

VmemResize *vmem_resize_new(VmemBackend *backend, const char *domain, GError **error);

VmemRunState vmem_resize_get_run_state(VmemResize *resize);
const guint64 *vmem_resize_get_targets(VmemResize *resize);

gboolean vmem_resize_plan_total(VmemResize *resize, guint64 total, GError **error);
gboolean vmem_resize_plan_device(VmemResize *resize, const char *alias, gint node, guint64 size,
				 GError **error);
void vmem_resize_agent_facts(const VmemAgentReport *report, GPtrArray *devices,
			     VmemJobAgentFacts *ret_facts);
void vmem_resize_set_agent(VmemResize *resize, VmemAgentChannel *channel);
gboolean vmem_resize_check_shrink(VmemResize *resize, const VmemJobAgentFacts *agent,
				  gboolean force, GError **error);
gboolean vmem_resize_apply(VmemResize *resize, VmemResizeAffect affect, GError **error);
void vmem_resize_wait_async(VmemResize *resize, guint timeout_s, GCancellable *cancellable,
			    GAsyncReadyCallback callback, gpointer user_data);
gboolean vmem_resize_wait_finish(VmemResize *resize, GAsyncResult *result, VmemJobState *ret_state,
				 GError **error);
void vmem_resize_get_progress(VmemResize *resize, VmemResizeProgress *ret_progress);

G_END_DECLS
