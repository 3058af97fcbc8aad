/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The host end of one guest's agent channel: reads org.virtmem.agent.0
 * through libvirt (virDomainOpenChannel, stream events on the GLib main
 * loop) or a plain unix socket (QEMU without libvirt), splits lines with a
 * cap, rate-limits them, parses them with vmem_agent_message_parse() and
 * keeps the agent's hello and its latest report; the ::event signal tells
 * any number of listeners about each change.  Reconnects after the
 * channel closes.  A misbehaving guest loses its own reports; the host's
 * memory per channel stays bounded and no call blocks.
 */
#pragma once

#include <gio/gio.h>
#include <libvirt/libvirt.h>

#include "vmem-agent-message.h"
#include "vmem-backend.h"

G_BEGIN_DECLS

#define VMEM_TYPE_AGENT_CHANNEL (vmem_agent_channel_get_type())
G_DECLARE_FINAL_TYPE(VmemAgentChannel, vmem_agent_channel, VMEM, AGENT_CHANNEL, GObject)

typedef enum {
	VMEM_AGENT_CHANNEL_CONNECTED,
	VMEM_AGENT_CHANNEL_DISCONNECTED,
	VMEM_AGENT_CHANNEL_HELLO,  /* a new hello: the agent (re)started */
	VMEM_AGENT_CHANNEL_REPORT, /* a new latest report */
} VmemAgentChannelEvent;

typedef struct {
	guint64 connects; /* successful (re)connections */
	guint64 lines;	  /* complete lines received */
	guint64 hellos;
	guint64 reports;      /* reports accepted */
	guint64 agent_errors; /* error messages from the agent */
	guint64 ignored;      /* unknown types, reports before a usable hello */
	guint64 invalid;      /* lines the parser rejected */
	guint64 overlong;     /* lines dropped for exceeding VMEM_AGENT_LINE_MAX */
	guint64 rate_limited; /* lines dropped by the rate limit */
	guint64 pauses;	      /* times reading paused for the rate limit */
} VmemAgentChannelStats;

VmemAgentChannel *vmem_agent_channel_open(VmemBackend *backend, const char *domain, GError **error);
VmemAgentChannel *vmem_agent_channel_new_libvirt(virDomainPtr dom);
VmemAgentChannel *vmem_agent_channel_new_socket(const char *path);
VmemAgentChannel *vmem_agent_channel_new_fd(int fd);

void vmem_agent_channel_set_rate_limit(VmemAgentChannel *channel, guint per_second, guint burst);
void vmem_agent_channel_set_reconnect_interval(VmemAgentChannel *channel, guint ms);
gboolean vmem_agent_channel_start(VmemAgentChannel *channel, GError **error);
void vmem_agent_channel_stop(VmemAgentChannel *channel);

gboolean vmem_agent_channel_is_connected(VmemAgentChannel *channel);
const VmemAgentHello *vmem_agent_channel_get_hello(VmemAgentChannel *channel);
const VmemAgentReport *vmem_agent_channel_get_report(VmemAgentChannel *channel,
						     gint64 *ret_received_us);
const char *vmem_agent_channel_get_last_error(VmemAgentChannel *channel);
void vmem_agent_channel_get_stats(VmemAgentChannel *channel, VmemAgentChannelStats *ret_stats);

gboolean vmem_agent_channel_request_report(VmemAgentChannel *channel, GError **error);
gboolean vmem_agent_channel_set_interval(VmemAgentChannel *channel, guint interval_ms,
					 GError **error);

void vmem_agent_channel_wait_report_async(VmemAgentChannel *channel, guint timeout_ms,
					  GCancellable *cancellable, GAsyncReadyCallback callback,
					  gpointer user_data);
const VmemAgentReport *vmem_agent_channel_wait_report_finish(VmemAgentChannel *channel,
							     GAsyncResult *result, GError **error);

G_END_DECLS
