/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The node set parser.  It accepts what libvirt's virBitmapParse() accepts:
 * white space around numbers and commas, a trailing comma; it refuses an
 * empty set, a range that runs backwards or is excluded (^1-2), numbers
 * above the largest node, and anything else.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "vmem-error.h"
#include "vmem-excerpt.h"
#include "vmem-nodeset.h"

static const char *
vmem_nodeset_skip_spaces(const char *p)
{
	while (g_ascii_isspace(*p))
		p++;
	return p;
}

/* Reads a decimal number at *@p, saturated at %G_MAXUINT64 */
static gboolean
vmem_nodeset_read_number(const char **p, guint64 *ret_value)
{
	guint64 value = 0;

	if (!g_ascii_isdigit(**p))
		return FALSE;
	for (; g_ascii_isdigit(**p); (*p)++) {
		guint digit = (guint)(**p - '0');

		value = value > (G_MAXUINT64 - digit) / 10 ? G_MAXUINT64 : value * 10 + digit;
	}
	*ret_value = value;
	return TRUE;
}

static void
vmem_nodeset_set_syntax_error(const char *text, GError **error)
{
	g_autofree char *quoted = vmem_excerpt(text);

	g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
		    /* TRANSLATORS: %s is what the user wrote (its start when long);
		     * "0-2,^1,4" is an example of the syntax and must stay as it is */
		    _("“%s” is not a node set; write node numbers, ranges and ^exclusions "
		      "separated by commas, such as 0-2,^1,4."),
		    quoted);
}

/**
 * vmem_nodeset_parse:
 * @text: a node set such as `0-2,^1,4`
 * @error: return location for a %VMEM_ERROR_INVALID_DATA error
 *
 * Parses @text.  A node set that leaves no node (`0,^0`) is an error, as
 * it is for libvirt.
 *
 * Returns: (transfer full) (element-type guint): the node numbers in the
 *   set, ascending and never empty, or %NULL when @text is malformed
 */
GArray *
vmem_nodeset_parse(const char *text, GError **error)
{
	g_autofree gboolean *in_set = g_new0(gboolean, VMEM_NODESET_LEN);
	g_autoptr(GArray) nodes = g_array_new(FALSE, FALSE, sizeof(guint));
	const char *p = vmem_nodeset_skip_spaces(text);

	if (*p == '\0') {
		vmem_nodeset_set_syntax_error(text, error);
		return NULL;
	}
	while (*p != '\0') {
		gboolean exclude = *p == '^';
		guint64 first, last;

		if (exclude)
			p++;
		if (!vmem_nodeset_read_number(&p, &first)) {
			vmem_nodeset_set_syntax_error(text, error);
			return NULL;
		}
		last = first;
		p = vmem_nodeset_skip_spaces(p);
		if (*p == '-') {
			p = vmem_nodeset_skip_spaces(p + 1);
			if (exclude || !vmem_nodeset_read_number(&p, &last) || last < first) {
				vmem_nodeset_set_syntax_error(text, error);
				return NULL;
			}
			p = vmem_nodeset_skip_spaces(p);
		}
		if (*p == ',') {
			p = vmem_nodeset_skip_spaces(p + 1);
		} else if (*p != '\0') {
			vmem_nodeset_set_syntax_error(text, error);
			return NULL;
		}
		if (last >= VMEM_NODESET_LEN) {
			g_autofree char *quoted = vmem_excerpt(text);

			g_set_error(
				error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				/* TRANSLATORS: %1$s is what the user wrote (its start when long),
				 * %2$u a node number */
				_("The node set “%1$s” names a node above %2$u, the largest node "
				  "number libvirt accepts."),
				quoted, (guint)VMEM_NODESET_LEN - 1);
			return NULL;
		}
		for (guint64 node = first; node <= last; node++)
			in_set[node] = !exclude;
	}
	for (guint node = 0; node < VMEM_NODESET_LEN; node++) {
		if (in_set[node])
			g_array_append_val(nodes, node);
	}
	if (nodes->len == 0) {
		g_autofree char *quoted = vmem_excerpt(text);

		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %s is what the user wrote (its start when long) */
			    _("The node set “%s” excludes every node it names; name at least one "
			      "node."),
			    quoted);
		return NULL;
	}
	return g_steal_pointer(&nodes);
}

static gint
vmem_nodeset_compare(gconstpointer a, gconstpointer b)
{
	guint x = *(const guint *)a, y = *(const guint *)b;

	return x < y ? -1 : x > y;
}

/**
 * vmem_nodeset_contains:
 * @nodes: (element-type guint): a node set from vmem_nodeset_parse()
 * @node: a node number
 *
 * Returns: whether @node is in @nodes
 */
gboolean
vmem_nodeset_contains(GArray *nodes, guint node)
{
	return g_array_binary_search(nodes, &node, vmem_nodeset_compare, NULL);
}
