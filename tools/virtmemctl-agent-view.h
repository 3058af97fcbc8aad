/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guest's view as the agent reported it, formatted for people and as
 * JSON: what `virtmemctl agent` prints, and `show`'s one-line summary.
 */
#pragma once

#include <glib.h>

#include "vmem-agent-channel.h"
#include "vmem-agent-message.h"

G_BEGIN_DECLS

char *vmem_agent_view_format_text(const VmemAgentHello *hello, const VmemAgentReport *report);
char *vmem_agent_view_format_json(const VmemAgentHello *hello, const VmemAgentReport *report,
				  const VmemAgentChannelStats *stats);
char *vmem_agent_view_format_summary(const VmemAgentReport *report);

G_END_DECLS
