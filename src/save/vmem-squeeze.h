/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Squeezing a guest before a save: lowering its virtio-mem request to what
 * the guest needs by its agent's fresh report, so that memory it used and
 * freed (not zero, so written by a sparse save) is unplugged and never
 * saved.  The unplug is followed for a bounded time and never told again:
 * a guest asked twice for memory it is using can run out of memory.
 */
#pragma once

#include <gio/gio.h>

#include "vmem-agent-channel.h"
#include "vmem-backend.h"
#include "vmem-job.h"

G_BEGIN_DECLS

/* The margin left above what the guest uses: the larger of these */
#define VMEM_SQUEEZE_MARGIN_MIN (G_GUINT64_CONSTANT(128) * 1024 * 1024)
#define VMEM_SQUEEZE_MARGIN_PERCENT 5
/* Defaults: how long to wait for the agent's report, and for the unplug */
#define VMEM_SQUEEZE_AGENT_TIMEOUT_MS 5000
#define VMEM_SQUEEZE_TIMEOUT_S 60
/* The oldest report given as facts that a squeeze still goes by */
#define VMEM_SQUEEZE_FACTS_MAX_AGE_US (5 * G_USEC_PER_SEC)

typedef enum {
	VMEM_SQUEEZE_CONVERGED, /* the guest unplugged down to the target */
	VMEM_SQUEEZE_PARTIAL,	/* it unplugged part of it in the time given */
	VMEM_SQUEEZE_NOTHING,	/* it already plugs no more than it needs */
	VMEM_SQUEEZE_SKIPPED,	/* not tried: no fresh report, or not running */
} VmemSqueezeOutcome;

const char *vmem_squeeze_outcome_to_string(VmemSqueezeOutcome outcome);

gboolean vmem_squeeze_target(const VmemJobAgentFacts *agent, guint64 requested, guint64 block_size,
			     guint64 policy_min, gboolean has_size, guint64 size,
			     guint64 *ret_target, GError **error);

/**
 * VmemSqueezeOptions:
 * @has_size: squeeze to @size rather than to what the guest needs
 * @size: the total to squeeze to, bytes
 * @timeout_s: how long to follow the unplug
 * @agent_timeout_ms: how long to wait for the agent's fresh report
 * @channel: (nullable): a started channel to the agent that the caller
 *   holds (virtmemd's): the squeeze waits for its next report instead of
 *   opening one (the agent has one reader at a time)
 * @facts: (nullable): the agent's latest report as someone else holding
 *   its channel has it (virtmemctl asking virtmemd); the squeeze then goes
 *   by these, and only if they are at most %VMEM_SQUEEZE_FACTS_MAX_AGE_US
 *   old
 */
typedef struct {
	gboolean has_size;
	guint64 size;
	guint timeout_s;
	guint agent_timeout_ms;
	VmemAgentChannel *channel;
	const VmemJobAgentFacts *facts;
} VmemSqueezeOptions;

void vmem_squeeze_options_init(VmemSqueezeOptions *options);
gboolean vmem_squeeze_policy_asks(VmemBackend *backend, const char *domain);

/**
 * VmemSqueezeResult:
 * @outcome: what happened
 * @reason: (nullable): why it was skipped, a sentence
 * @before: (element-type VmemSavedTarget): each device's request before
 * @requested_before: their total, bytes
 * @plugged_before: what was plugged before, bytes
 * @target: the total asked for, bytes
 * @plugged_after: what is plugged after, bytes
 * @state: how the unplug ended, when tried
 * @elapsed_us: how long the unplug took
 */
typedef struct {
	VmemSqueezeOutcome outcome;
	char *reason;
	GPtrArray *before;
	guint64 requested_before;
	guint64 plugged_before;
	guint64 target;
	guint64 plugged_after;
	VmemJobState state;
	gint64 elapsed_us;
} VmemSqueezeResult;

void vmem_squeeze_result_free(VmemSqueezeResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmemSqueezeResult, vmem_squeeze_result_free)

void vmem_squeeze_async(VmemBackend *backend, const char *domain, const VmemSqueezeOptions *options,
			GCancellable *cancellable, GAsyncReadyCallback callback,
			gpointer user_data);
VmemSqueezeResult *vmem_squeeze_finish(VmemBackend *backend, GAsyncResult *result, GError **error);
gboolean vmem_squeeze_undo(VmemBackend *backend, const char *domain,
			   const VmemSqueezeResult *result, GError **error);

G_END_DECLS
