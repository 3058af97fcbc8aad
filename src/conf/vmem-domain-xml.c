/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxml2 helpers of the domain model: element lookup, text, sizes with
 * units and numbers, each malformed value reported as a finding.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "vmem-domain-private.h"
#include "vmem-excerpt.h"
#include "vmem-size.h"

/* Replaces each long @quoted in @message by its excerpt. */
static void
vmem_domain_xml_shorten(GString *message, const char *quoted)
{
	g_autofree char *excerpt = NULL;

	if (quoted == NULL || strlen(quoted) <= VMEM_EXCERPT_MAX_BYTES)
		return;
	excerpt = vmem_excerpt(quoted);
	g_string_replace(message, quoted, excerpt, 0);
}

/**
 * vmem_domain_xml_parse_size:
 * @value: a size as written, such as `512`
 * @unit: (nullable): its unit, such as `MiB`; %NULL for KiB
 * @location: where @value is, for the finding
 * @findings: where a malformed size is reported
 * @ret_kib: (out): the size in KiB, not written on failure
 *
 * Returns: %TRUE when the size was valid
 */
gboolean
vmem_domain_xml_parse_size(const char *value, const char *unit, const char *location,
			   GPtrArray *findings, guint64 *ret_kib)
{
	g_autoptr(GError) error = NULL;

	if (!vmem_size_parse_xml_kib(value, unit, ret_kib, &error)) {
		/* The reason is a whole sentence quoting the value and the unit as
		 * written: quote only the start of a long one. */
		g_autoptr(GString) message = g_string_new(error->message);

		vmem_domain_xml_shorten(message, value);
		vmem_domain_xml_shorten(message, unit);
		vmem_findings_add(findings, VMEM_SEVERITY_ERROR, "invalid-size", location, "%s",
				  message->str);
		return FALSE;
	}
	return TRUE;
}

/**
 * vmem_domain_xml_read_size:
 * @element: an element whose text is a size and `unit` attribute its unit
 * @location: where @element is, for the finding
 * @findings: where a malformed size is reported
 * @ret_kib: (out): the size in KiB, not written on failure
 *
 * Returns: %TRUE when the size was valid
 */
gboolean
vmem_domain_xml_read_size(xmlNode *element, const char *location, GPtrArray *findings,
			  guint64 *ret_kib)
{
	g_autofree char *text = vmem_xml_text(element);
	g_autofree char *unit = vmem_xml_prop(element, "unit");

	return vmem_domain_xml_parse_size(text, unit, location, findings, ret_kib);
}

/**
 * vmem_domain_xml_read_uint:
 * @text: a decimal number
 * @max: the largest allowed value
 * @location: where @text is, for the finding
 * @findings: where a malformed number is reported
 * @ret_value: (out): the number
 *
 * Returns: %TRUE when @text was a number from 0 to @max
 */
gboolean
vmem_domain_xml_read_uint(const char *text, guint max, const char *location, GPtrArray *findings,
			  guint *ret_value)
{
	guint64 value = 0;

	if (text == NULL || !g_ascii_string_to_unsigned(text, 10, 0, max, &value, NULL)) {
		g_autofree char *quoted = vmem_excerpt(text);

		vmem_findings_add(findings, VMEM_SEVERITY_ERROR, "invalid-number", location,
				  /* TRANSLATORS: %1$s is what the user wrote (its start when long),
				   * %2$u the largest value */
				  _("“%1$s” is not a whole number from 0 to %2$u."), quoted, max);
		return FALSE;
	}
	*ret_value = (guint)value;
	return TRUE;
}

/**
 * vmem_domain_xml_new_size:
 * @parent: the element to append to
 * @ns: (nullable): the namespace of the new element
 * @name: its name
 * @kib: the size
 *
 * Appends `<NAME unit='KiB'>KIB</NAME>` to @parent.
 *
 * Returns: (transfer none): the new element
 */
xmlNode *
vmem_domain_xml_new_size(xmlNode *parent, xmlNs *ns, const char *name, guint64 kib)
{
	g_autofree char *text = g_strdup_printf("%" G_GUINT64_FORMAT, kib);
	xmlNode *node = xmlNewChild(parent, ns, (const xmlChar *)name, (const xmlChar *)text);

	xmlNewProp(node, (const xmlChar *)"unit", (const xmlChar *)"KiB");
	return node;
}
