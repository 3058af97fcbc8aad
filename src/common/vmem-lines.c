/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-lines.h"

#include <string.h>

struct _VmemLines {
	gsize max;
	GByteArray *buf;     /* the incomplete line so far, at most max bytes */
	gboolean discarding; /* inside an overlong line: drop up to its newline */
	guint64 n_overlong;
};

/**
 * vmem_lines_new:
 * @max: the longest line passed on, without its newline
 *
 * Returns: (transfer full): a line splitter.
 */
VmemLines *
vmem_lines_new(gsize max)
{
	VmemLines *lines = g_new0(VmemLines, 1);

	lines->max = max;
	lines->buf = g_byte_array_new();
	return lines;
}

/**
 * vmem_lines_free:
 * @lines: (nullable): a line splitter
 */
void
vmem_lines_free(VmemLines *lines)
{
	if (lines == NULL)
		return;
	g_byte_array_unref(lines->buf);
	g_free(lines);
}

/**
 * vmem_lines_reset:
 * @lines: a line splitter
 *
 * Forgets the incomplete line, e.g. after a reconnect.
 */
void
vmem_lines_reset(VmemLines *lines)
{
	g_byte_array_set_size(lines->buf, 0);
	lines->discarding = FALSE;
}

/**
 * vmem_lines_get_overlong:
 * @lines: a line splitter
 *
 * Returns: how many lines were dropped for being longer than the cap.
 */
guint64
vmem_lines_get_overlong(VmemLines *lines)
{
	return lines->n_overlong;
}

/**
 * vmem_lines_feed:
 * @lines: a line splitter
 * @data: bytes as read, any content
 * @len: their number
 * @func: called for each complete line within the cap
 * @user_data: for @func
 */
void
vmem_lines_feed(VmemLines *lines, const char *data, gsize len, VmemLineFunc func,
		gpointer user_data)
{
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		gsize chunk = nl != NULL ? (gsize)(nl - data) : len;

		if (!lines->discarding && lines->buf->len + chunk > lines->max) {
			lines->discarding = TRUE;
			lines->n_overlong++;
			g_byte_array_set_size(lines->buf, 0);
		}
		if (!lines->discarding && nl != NULL && lines->buf->len == 0) {
			func(data, chunk, user_data); /* the common case: no copy */
		} else if (!lines->discarding) {
			g_byte_array_append(lines->buf, (const guint8 *)data, (guint)chunk);
			if (nl != NULL) {
				func((const char *)lines->buf->data, lines->buf->len, user_data);
				g_byte_array_set_size(lines->buf, 0);
			}
		}
		if (nl == NULL)
			break;
		lines->discarding = FALSE;
		data = nl + 1;
		len -= chunk + 1;
	}
}
