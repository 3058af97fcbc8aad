/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guest's view as the agent reported it, formatted for people and as
 * JSON: what `virtmemctl agent` prints, and `show`'s one-line summary and
 * `agent` member.
 */
#pragma once

#include <glib.h>
#include <json-c/json.h>

#include "vmem-agent-channel.h"
#include "vmem-agent-message.h"

G_BEGIN_DECLS

/* How every `--json` of virtmemctl is printed: indented, a space after
 * each colon, '/' not escaped.  The keys follow virtmemctl(1), section
 * JSON OUTPUT: snake_case, sizes in bytes unless the key ends in a unit. */
#define VMEM_CTL_JSON_FLAGS                                                                        \
	(JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)

char *vmem_agent_view_format_text(const VmemAgentHello *hello, const VmemAgentReport *report);
char *vmem_agent_view_format_json(const VmemAgentHello *hello, const VmemAgentReport *report,
				  const VmemAgentChannelStats *stats);
char *vmem_agent_view_format_summary(const VmemAgentReport *report);
json_object *vmem_agent_view_report_to_json(const VmemAgentReport *report);

G_END_DECLS
