/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Splits a byte stream from the agent into lines, with a cap: a line longer
 * than the cap is dropped whole (up to its newline) and counted, so a guest
 * that never sends a newline cannot make the host buffer grow.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _VmemAgentLines VmemAgentLines;

/**
 * VmemAgentLineFunc:
 * @line: one line without its newline, not NUL-terminated
 * @len: its length, at most the cap
 * @user_data: what was passed to vmem_agent_lines_feed()
 */
typedef void (*VmemAgentLineFunc)(const char *line, gsize len, gpointer user_data);

VmemAgentLines *vmem_agent_lines_new(gsize max);
void vmem_agent_lines_free(VmemAgentLines *lines);
void vmem_agent_lines_feed(VmemAgentLines *lines, const char *data, gsize len,
			   VmemAgentLineFunc func, gpointer user_data);
void vmem_agent_lines_reset(VmemAgentLines *lines);
guint64 vmem_agent_lines_get_overlong(VmemAgentLines *lines);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmemAgentLines, vmem_agent_lines_free)

G_END_DECLS
