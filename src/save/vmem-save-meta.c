/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-save-meta.h"

#include <glib/gi18n.h>

#include "vmem-error.h"
#include "vmem-excerpt.h"
#include "vmem-xml.h"

/* Longest alias accepted, bytes (libvirt's user aliases are short) */
#define VMEM_SAVED_ALIAS_MAX 128
/* Largest size accepted: 2^52 bytes, the x86-64 physical limit */
#define VMEM_SAVED_BYTES_MAX (G_GUINT64_CONSTANT(1) << 52)

void
vmem_saved_target_free(VmemSavedTarget *target)
{
	if (target == NULL)
		return;
	g_free(target->alias);
	g_free(target);
}

/**
 * vmem_saved_targets_new:
 *
 * Returns: (transfer full) (element-type VmemSavedTarget): an empty list
 */
GPtrArray *
vmem_saved_targets_new(void)
{
	return g_ptr_array_new_with_free_func((GDestroyNotify)vmem_saved_target_free);
}

void
vmem_saved_targets_add(GPtrArray *targets, const char *alias, guint64 requested)
{
	VmemSavedTarget *target = g_new0(VmemSavedTarget, 1);

	target->alias = g_strdup(alias);
	target->requested = requested;
	g_ptr_array_add(targets, target);
}

/**
 * vmem_saved_targets_total:
 *
 * Returns: the requested sizes added up, bytes
 */
guint64
vmem_saved_targets_total(GPtrArray *targets)
{
	guint64 total = 0;

	for (guint i = 0; targets != NULL && i < targets->len; i++)
		total += ((VmemSavedTarget *)g_ptr_array_index(targets, i))->requested;
	return total;
}

static xmlDoc *
vmem_save_meta_read(const char *xml, GError **error)
{
	g_autoptr(xmlParserCtxt) ctxt = NULL;
	g_autoptr(xmlDoc) doc = NULL;
	gsize len = strlen(xml);

	if (len > VMEM_SAVED_XML_MAX) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %zu is a number of bytes */
			    _("The domain XML of %zu bytes is too large."), (size_t)len);
		return NULL;
	}
	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL)
		g_error("out of memory");
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL || !ctxt->wellFormed || xmlDocGetRootElement(doc) == NULL ||
	    !g_str_equal((const char *)xmlDocGetRootElement(doc)->name, "domain")) {
		g_set_error_literal(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    _("The domain XML is not well-formed or not a <domain>."));
		return NULL;
	}
	return g_steal_pointer(&doc);
}

/* The <metadata> element of @root, created when @create */
static xmlNode *
vmem_save_meta_metadata(xmlNode *root, gboolean create)
{
	xmlNode *metadata = vmem_xml_child(root, "metadata", NULL);

	if (metadata == NULL && create)
		metadata = xmlNewChild(root, NULL, BAD_CAST "metadata", NULL);
	return metadata;
}

static xmlNode *
vmem_save_meta_find(xmlNode *metadata)
{
	for (xmlNode *n = metadata != NULL ? metadata->children : NULL; n != NULL; n = n->next) {
		if (n->type == XML_ELEMENT_NODE && n->ns != NULL &&
		    g_strcmp0((const char *)n->ns->href, VMEM_SAVED_NS) == 0)
			return n;
	}
	return NULL;
}

/**
 * vmem_save_meta_set:
 * @xml: a domain XML
 * @targets: (element-type VmemSavedTarget) (nullable): what to remember;
 *   %NULL or empty to remember nothing
 *
 * Returns: (transfer full): @xml with @targets as its remembered target
 *   (any earlier one replaced, or removed)
 */
char *
vmem_save_meta_set(const char *xml, GPtrArray *targets, GError **error)
{
	g_autoptr(xmlDoc) doc = vmem_save_meta_read(xml, error);
	xmlNode *root, *metadata, *old, *saved;
	xmlNs *ns;
	xmlChar *out = NULL;
	int out_len = 0;
	char *result;

	if (doc == NULL)
		return NULL;
	if (targets != NULL && targets->len > VMEM_SAVED_DEVICES_MAX) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			    /* TRANSLATORS: %u is a number of devices */
			    _("A domain with more than %u virtio-mem devices is not supported."),
			    VMEM_SAVED_DEVICES_MAX);
		return NULL;
	}
	root = xmlDocGetRootElement(doc);
	metadata = vmem_save_meta_metadata(root, targets != NULL && targets->len > 0);
	while ((old = vmem_save_meta_find(metadata)) != NULL) {
		xmlUnlinkNode(old);
		xmlFreeNode(old);
	}
	if (targets != NULL && targets->len > 0) {
		saved = xmlNewChild(metadata, NULL, BAD_CAST "saved", NULL);
		ns = xmlNewNs(saved, BAD_CAST VMEM_SAVED_NS, BAD_CAST VMEM_SAVED_PREFIX);
		xmlSetNs(saved, ns);
		for (guint i = 0; i < targets->len; i++) {
			const VmemSavedTarget *t = g_ptr_array_index(targets, i);
			xmlNode *dev = xmlNewChild(saved, ns, BAD_CAST "device", NULL);
			g_autofree char *bytes =
				g_strdup_printf("%" G_GUINT64_FORMAT, t->requested);

			xmlNewProp(dev, BAD_CAST "alias", BAD_CAST t->alias);
			xmlNewProp(dev, BAD_CAST "requested", BAD_CAST bytes);
		}
	}
	xmlDocDumpMemoryEnc(doc, &out, &out_len, "UTF-8");
	if (out == NULL)
		g_error("out of memory");
	result = g_strndup((const char *)out, (gsize)out_len);
	xmlFree(out);
	return result;
}

static gboolean
vmem_save_meta_bad(GError **error, const char *what, const char *value)
{
	g_autofree char *quoted = vmem_excerpt(value != NULL ? value : "");

	g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
		    /* TRANSLATORS: 1 an XML attribute, 2 its value (quoted) */
		    _("The remembered target in the image has an invalid %1$s: “%2$s”."), what,
		    quoted);
	return FALSE;
}

/**
 * vmem_save_meta_get:
 * @xml: a domain XML, such as the one in a save image
 * @ret_targets: (out) (element-type VmemSavedTarget) (transfer full): the
 *   remembered target, or %NULL when @xml remembers none
 *
 * Reads what vmem_save_meta_set() wrote, every value checked: the XML
 * comes from a file.
 */
gboolean
vmem_save_meta_get(const char *xml, GPtrArray **ret_targets, GError **error)
{
	g_autoptr(xmlDoc) doc = vmem_save_meta_read(xml, error);
	g_autoptr(GPtrArray) targets = NULL;
	xmlNode *saved;

	if (doc == NULL)
		return FALSE;
	saved = vmem_save_meta_find(vmem_save_meta_metadata(xmlDocGetRootElement(doc), FALSE));
	if (saved == NULL) {
		*ret_targets = NULL;
		return TRUE;
	}
	targets = vmem_saved_targets_new();
	for (xmlNode *n = saved->children; n != NULL; n = n->next) {
		g_autofree char *alias = NULL;
		g_autofree char *requested = NULL;
		guint64 bytes = 0;

		if (n->type != XML_ELEMENT_NODE || n->ns == NULL ||
		    g_strcmp0((const char *)n->ns->href, VMEM_SAVED_NS) != 0 ||
		    !g_str_equal((const char *)n->name, "device"))
			continue;
		if (targets->len == VMEM_SAVED_DEVICES_MAX) {
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: %u is a number of devices */
				    _("The remembered target in the image lists more than %u "
				      "devices."),
				    VMEM_SAVED_DEVICES_MAX);
			return FALSE;
		}
		alias = vmem_xml_prop(n, "alias");
		requested = vmem_xml_prop(n, "requested");
		if (alias == NULL || *alias == '\0' || strlen(alias) > VMEM_SAVED_ALIAS_MAX ||
		    !g_utf8_validate(alias, -1, NULL))
			return vmem_save_meta_bad(error, "alias", alias);
		if (requested == NULL ||
		    !g_ascii_string_to_unsigned(requested, 10, 0, VMEM_SAVED_BYTES_MAX, &bytes,
						NULL))
			return vmem_save_meta_bad(error, "requested", requested);
		for (guint i = 0; i < targets->len; i++) {
			if (g_str_equal(((VmemSavedTarget *)targets->pdata[i])->alias, alias))
				return vmem_save_meta_bad(error, "alias", alias);
		}
		vmem_saved_targets_add(targets, alias, bytes);
	}
	*ret_targets = g_steal_pointer(&targets);
	return TRUE;
}
