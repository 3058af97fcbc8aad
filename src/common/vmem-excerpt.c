/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Excerpts of untrusted text for messages.
 */
#include "config.h"

#include <string.h>

#include "vmem-excerpt.h"

/**
 * vmem_text_excerpt:
 * @text: (array length=len) (nullable): any bytes; %NULL is the empty string
 * @len: the length of @text, or -1 when it is NUL-terminated
 * @max_bytes: the most bytes of @text to quote
 *
 * Quotes the start of @text for a message: at most @max_bytes bytes, cut
 * between two characters and followed by "…" when cut, with invalid UTF-8
 * replaced and anything unprintable (line breaks, tabs, other control,
 * format and unassigned characters) shown as "?", so that the quote never
 * breaks a line.  Text that is short and printable is returned unchanged.
 *
 * Returns: (transfer full): a valid, printable UTF-8 string
 */
char *
vmem_text_excerpt(const char *text, gssize len, gsize max_bytes)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autofree char *valid = NULL;
	gsize length, cut;

	if (text == NULL)
		return g_strdup("");
	length = len < 0 ? strlen(text) : (gsize)len;
	cut = MIN(length, max_bytes);
	/* Back up over at most three continuation bytes of a split character. */
	for (guint i = 0; i < 3 && cut > 0 && cut < length && ((guchar)text[cut] & 0xc0) == 0x80;
	     i++)
		cut--;
	valid = g_utf8_make_valid(text, (gssize)cut);
	for (const char *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (g_unichar_isprint(c))
			g_string_append_unichar(out, c);
		else
			g_string_append_c(out, '?');
	}
	if (cut < length)
		g_string_append(out, "…");
	return g_string_free(g_steal_pointer(&out), FALSE);
}

/**
 * vmem_excerpt:
 * @text: (nullable): a NUL-terminated string, such as a value from domain XML
 *
 * vmem_text_excerpt() of @text with %VMEM_EXCERPT_MAX_BYTES: what every
 * finding and error message quotes of a value.
 *
 * Returns: (transfer full): a valid, printable UTF-8 string
 */
char *
vmem_excerpt(const char *text)
{
	return vmem_text_excerpt(text, -1, VMEM_EXCERPT_MAX_BYTES);
}
