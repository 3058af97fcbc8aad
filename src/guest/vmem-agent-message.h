/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One line from virtmem-agent, parsed into typed values
 * (schemas/agent-protocol.md).  The guest is untrusted: the parser caps the
 * line length and JSON depth, checks every type and bound, and rejects
 * values that cannot be true (MemAvailable > MemTotal, plugged blocks larger
 * than the device, ...).  A rejected line is lost; nothing else happens.
 */
#pragma once

#include <glib.h>

#include "vmem-agent-protocol.h"

G_BEGIN_DECLS

/* Longest accepted line, without its newline. */
#define VMEM_AGENT_LINE_MAX (64 * 1024)
/* Deepest accepted JSON nesting (a report needs 4). */
#define VMEM_AGENT_DEPTH_MAX 8
/* Most virtio-mem devices and capabilities a message may list. */
#define VMEM_AGENT_DEVICES_MAX 64
#define VMEM_AGENT_CAPABILITIES_MAX 32
/* Longest accepted string value, in bytes. */
#define VMEM_AGENT_STRING_MAX 128
/* Largest accepted byte count or address: 2^52, the x86-64 physical limit. */
#define VMEM_AGENT_BYTES_MAX (G_GUINT64_CONSTANT(1) << 52)

typedef enum {
	VMEM_AGENT_MESSAGE_HELLO,
	VMEM_AGENT_MESSAGE_REPORT,
	VMEM_AGENT_MESSAGE_ERROR,
	VMEM_AGENT_MESSAGE_UNKNOWN, /* a type from a newer agent: ignored */
} VmemAgentMessageType;

typedef struct {
	guint protocol;
	char *agent;
	char *version;
	GStrv capabilities;
} VmemAgentHello;

typedef struct {
	char *name;
	guint64 start;
	guint64 size;
	guint64 blocks;
	guint64 movable;
	guint64 normal;
	guint64 offline;
	guint64 other;
} VmemAgentDevice;

typedef struct {
	double avg10;
	double avg60;
	guint64 total_us;
} VmemAgentPsiLine;

typedef struct {
	guint64 seq;
	guint64 time_ms;
	char *reason;
	guint64 interval_ms;

	char *kernel; /* NULL when the agent does not know */
	gboolean driver_loaded;
	guint64 driver_devices;
	char *auto_online_blocks;  /* NULL when absent */
	char *memmap_on_memory;	   /* NULL when absent */
	char *online_policy;	   /* NULL when absent (kernels before 5.16, older agents) */
	gint64 auto_movable_ratio; /* %, -1 when absent */

	gboolean has_memory;
	guint64 mem_total_kib;
	guint64 mem_available_kib;
	guint64 mem_free_kib;
	guint64 mem_cached_kib;
	guint64 swap_total_kib;
	guint64 swap_free_kib;

	gboolean has_psi; /* FALSE on guest kernels without PSI */
	VmemAgentPsiLine psi_some;
	VmemAgentPsiLine psi_full;

	guint64 block_size;
	GPtrArray *devices; /* of VmemAgentDevice */
} VmemAgentReport;

typedef struct {
	VmemAgentMessageType type;
	VmemAgentHello *hello;	 /* for VMEM_AGENT_MESSAGE_HELLO */
	VmemAgentReport *report; /* for VMEM_AGENT_MESSAGE_REPORT */
	char *error_request;	 /* for VMEM_AGENT_MESSAGE_ERROR, may be NULL */
	char *error_message;	 /* for VMEM_AGENT_MESSAGE_ERROR */
} VmemAgentMessage;

VmemAgentMessage *vmem_agent_message_parse(const char *line, gsize len, GError **error);
void vmem_agent_message_free(VmemAgentMessage *msg);

void vmem_agent_hello_free(VmemAgentHello *hello);
gboolean vmem_agent_hello_has_capability(const VmemAgentHello *hello, const char *capability);

void vmem_agent_report_free(VmemAgentReport *report);
guint64 vmem_agent_report_get_online_bytes(const VmemAgentReport *report);
guint64 vmem_agent_report_get_movable_bytes(const VmemAgentReport *report);
gboolean vmem_agent_report_unplug_may_stick(const VmemAgentReport *report);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmemAgentMessage, vmem_agent_message_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmemAgentHello, vmem_agent_hello_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmemAgentReport, vmem_agent_report_free)

G_END_DECLS
