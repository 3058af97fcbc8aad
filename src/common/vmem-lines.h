/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Splits a byte stream from the agent into lines, with a cap: a line longer
 * than the cap is dropped whole (up to its newline) and counted, so a guest
 * that never sends a newline cannot make the host buffer grow.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _VmemLines VmemLines;

/**
 * VmemLineFunc:
 * @line: one line without its newline, not NUL-terminated
 * @len: its length, at most the cap
 * @user_data: what was passed to vmem_lines_feed()
 */
typedef void (*VmemLineFunc)(const char *line, gsize len, gpointer user_data);

VmemLines *vmem_lines_new(gsize max);
void vmem_lines_free(VmemLines *lines);
void vmem_lines_feed(VmemLines *lines, const char *data, gsize len, VmemLineFunc func,
		     gpointer user_data);
void vmem_lines_reset(VmemLines *lines);
guint64 vmem_lines_get_overlong(VmemLines *lines);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmemLines, vmem_lines_free)

G_END_DECLS
