/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The agent's messages (schemas/agent-protocol.md): a snapshot of what the
 * readers found, turned into one line of JSON.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "vma-blocks.h"
#include "vmem-agent-protocol.h"
#include "vma-meminfo.h"
#include "vma-psi.h"
#include "vma-system.h"

typedef struct {
	VmaSystem system;
	bool have_meminfo;
	VmaMeminfo meminfo;
	VmemPsi psi;
	VmaBlocks blocks;
} VmaSnapshot;

/**
 * vma_snapshot_read:
 * @root: the root directory, "/" in a real guest
 * @with_blocks: also (re)read the device blocks; otherwise @snapshot's
 *   system facts and blocks are kept as they are
 * @snapshot: updated in place
 */
void vma_snapshot_read(const char *root, bool with_blocks, VmaSnapshot *snapshot);

/**
 * vma_report_hello:
 *
 * Returns: (transfer full): the hello message.
 */
json_object *vma_report_hello(void);

/**
 * vma_report_new:
 * @snapshot: what to report
 * @seq: the sequence number, counting from 1 per agent start
 * @time_ms: CLOCK_MONOTONIC in milliseconds
 * @reason: "start", "connect", "periodic", "rising", "blocks-changed" or
 *   "request"
 * @interval_ms: the current report interval
 *
 * Returns: (transfer full): the report message.
 */
json_object *vma_report_new(const VmaSnapshot *snapshot, uint64_t seq, uint64_t time_ms,
			    const char *reason, uint64_t interval_ms);

/**
 * vma_report_error:
 * @request: the request type that failed, or NULL
 * @message: why
 *
 * Returns: (transfer full): an error message for the host.
 */
json_object *vma_report_error(const char *request, const char *message);
