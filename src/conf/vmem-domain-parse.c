/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The parse pass: domain XML into the model.  Only syntax and values are
 * checked here (units, numbers, enumerations); a document that is not
 * well-formed or not a domain is a GError, a malformed value a finding.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <libxml/parser.h>

#include "vmem-domain-private.h"
#include "vmem-error.h"
#include "vmem-excerpt.h"
#include "vmem-nodeset.h"
#include "vmem-size.h"

#define MEMORY_PATH "/domain/devices/memory[%u]"
/* The most bytes of libxml2's reason for a document that is not well-formed */
#define VMEM_DOMAIN_PARSE_REASON_MAX 256

static void
vmem_domain_parse_enum(xmlNode *node, const char *attr, const char *const *allowed,
		       const char *location, GPtrArray *findings, char **ret_value)
{
	g_autofree char *value = vmem_xml_prop(node, attr);
	g_autofree char *where = NULL;
	g_autofree char *choices = NULL;
	g_autofree char *quoted = NULL;

	if (value == NULL)
		return;
	if (g_strv_contains(allowed, value)) {
		*ret_value = g_steal_pointer(&value);
		return;
	}
	where = g_strdup_printf("%s/@%s", location, attr);
	choices = g_strjoinv(", ", (char **)allowed);
	quoted = vmem_excerpt(value);
	vmem_findings_add(findings, VMEM_SEVERITY_ERROR, "invalid-value", where,
			  /* TRANSLATORS: %1$s is what the user wrote (its start when long), %2$s
			   * the allowed values separated by commas, such as "yes, no" */
			  _("“%1$s” is not allowed here; use one of %2$s."), quoted, choices);
}

static gboolean
vmem_domain_parse_size_child(xmlNode *parent, const char *name, const char *location,
			     GPtrArray *findings, gboolean *ret_has, guint64 *ret_kib)
{
	xmlNode *node = vmem_xml_child(parent, name, NULL);
	g_autofree char *where = NULL;

	if (node == NULL)
		return FALSE;
	where = g_strdup_printf("%s/%s", location, name);
	if (!vmem_domain_xml_read_size(node, where, findings, ret_kib))
		return FALSE;
	*ret_has = TRUE;
	return TRUE;
}

/* Parses the node set @text, or reports it as a finding and returns %NULL */
static GArray *
vmem_domain_parse_nodeset(const char *text, const char *location, GPtrArray *findings)
{
	g_autoptr(GError) error = NULL;
	GArray *nodes = vmem_nodeset_parse(text, &error);

	if (nodes == NULL)
		vmem_findings_add(findings, VMEM_SEVERITY_ERROR, "invalid-nodeset", location, "%s",
				  error->message);
	return nodes;
}

static void
vmem_domain_parse_address_base(xmlNode *target, const char *location, GPtrArray *findings,
			       VmemMemoryDef *dev)
{
	xmlNode *address = vmem_xml_child(target, "address", NULL);
	g_autofree char *base = vmem_xml_prop(address, "base");
	g_autofree char *where = NULL;
	g_autofree char *quoted = NULL;
	const char *digits = base;
	guint64 value = 0;

	if (base == NULL)
		return;
	if (g_str_has_prefix(digits, "0x") || g_str_has_prefix(digits, "0X"))
		digits += 2;
	if (*digits != '\0' && g_ascii_isxdigit(*digits) &&
	    g_ascii_string_to_unsigned(digits, 16, 0, G_MAXUINT64, &value, NULL)) {
		dev->address_base = value;
		dev->has_address_base = TRUE;
		return;
	}
	where = g_strdup_printf("%s/address/@base", location);
	quoted = vmem_excerpt(base);
	vmem_findings_add(findings, VMEM_SEVERITY_ERROR, "invalid-number", where,
			  /* TRANSLATORS: %s is what the user wrote (its start when long) */
			  _("“%s” is not a guest physical address; write it in hexadecimal, such "
			    "as 0x140000000."),
			  quoted);
}

static void
vmem_domain_parse_target(xmlNode *target, const char *location, GPtrArray *findings,
			 VmemMemoryDef *dev)
{
	static const char *const yes_no[] = {"yes", "no", NULL};
	g_autofree char *dynamic = NULL;
	g_autofree char *node_text = NULL;
	xmlNode *node;

	vmem_domain_parse_enum(target, "dynamicMemslots", yes_no, location, findings, &dynamic);
	if (dynamic != NULL)
		dev->dynamic_memslots =
			g_str_equal(dynamic, "yes") ? VMEM_TRISTATE_YES : VMEM_TRISTATE_NO;
	vmem_domain_parse_size_child(target, "size", location, findings, &dev->has_size,
				     &dev->size_kib);
	vmem_domain_parse_size_child(target, "block", location, findings, &dev->has_block,
				     &dev->block_kib);
	vmem_domain_parse_size_child(target, "requested", location, findings, &dev->has_requested,
				     &dev->requested_kib);
	vmem_domain_parse_size_child(target, "current", location, findings, &dev->has_current,
				     &dev->current_kib);
	node = vmem_xml_child(target, "node", NULL);
	if (node != NULL) {
		g_autofree char *where = g_strdup_printf("%s/node", location);
		guint value;

		node_text = vmem_xml_text(node);
		if (vmem_domain_xml_read_uint(node_text, G_MAXINT, where, findings, &value))
			dev->node = (gint)value;
	}
	vmem_domain_parse_address_base(target, location, findings, dev);
}

static VmemMemoryDef *
vmem_domain_parse_virtio_mem(xmlNode *element, guint index, GPtrArray *findings)
{
	static const char *const access_values[] = {"shared", "private", NULL};
	static const char *const yes_no[] = {"yes", "no", NULL};
	VmemMemoryDef *dev = g_new0(VmemMemoryDef, 1);
	xmlNode *source = vmem_xml_child(element, "source", NULL);
	xmlNode *target = vmem_xml_child(element, "target", NULL);
	g_autofree char *target_location = NULL;

	dev->index = index;
	dev->element = element;
	dev->node = -1;
	dev->location = g_strdup_printf(MEMORY_PATH, index);
	vmem_domain_parse_enum(element, "access", access_values, dev->location, findings,
			       &dev->access);
	vmem_domain_parse_enum(element, "discard", yes_no, dev->location, findings, &dev->discard);
	if (source != NULL) {
		g_autofree char *source_location = g_strdup_printf("%s/source", dev->location);

		vmem_domain_parse_size_child(source, "pagesize", source_location, findings,
					     &dev->has_pagesize, &dev->pagesize_kib);
		dev->nodemask = vmem_xml_text(vmem_xml_child(source, "nodemask", NULL));
		if (dev->nodemask != NULL) {
			g_autofree char *where = g_strdup_printf("%s/nodemask", source_location);
			/* only checked: which host nodes to use is libvirt's business */
			g_autoptr(GArray) nodes =
				vmem_domain_parse_nodeset(dev->nodemask, where, findings);
		}
	}
	target_location = g_strdup_printf("%s/target", dev->location);
	if (target != NULL)
		vmem_domain_parse_target(target, target_location, findings, dev);
	dev->alias = vmem_xml_prop(vmem_xml_child(element, "alias", NULL), "name");
	for (xmlNode *n = element->children; n != NULL; n = n->next) {
		g_autofree char *type = NULL;

		if (n->type != XML_ELEMENT_NODE || !g_str_equal((const char *)n->name, "address"))
			continue;
		type = vmem_xml_prop(n, "type");
		if (g_strcmp0(type, "pci") == 0 && dev->pci_address == NULL)
			dev->pci_address = xmlCopyNode(n, 1);
	}
	return dev;
}

static void
vmem_domain_parse_other_memory(VmemDomainDef *domain, xmlNode *element, guint index,
			       GPtrArray *findings)
{
	xmlNode *size = vmem_xml_child(vmem_xml_child(element, "target", NULL), "size", NULL);
	g_autofree char *where = g_strdup_printf(MEMORY_PATH "/target/size", index);
	guint64 kib = 0;

	domain->n_other_memory++;
	if (size != NULL && vmem_domain_xml_read_size(size, where, findings, &kib))
		domain->other_memory_kib = vmem_size_add(domain->other_memory_kib, kib);
}

static void
vmem_domain_parse_devices(VmemDomainDef *domain, xmlNode *devices, GPtrArray *findings)
{
	guint index = 0;

	for (xmlNode *n = devices != NULL ? devices->children : NULL; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || n->ns != NULL)
			continue;
		if (g_str_equal((const char *)n->name, "memory")) {
			g_autofree char *model = vmem_xml_prop(n, "model");

			index++;
			if (g_strcmp0(model, "virtio-mem") == 0)
				g_ptr_array_add(domain->devices,
						vmem_domain_parse_virtio_mem(n, index, findings));
			else
				vmem_domain_parse_other_memory(domain, n, index, findings);
		} else if (g_str_equal((const char *)n->name, "channel")) {
			xmlNode *target = vmem_xml_child(n, "target", NULL);
			g_autofree char *name = vmem_xml_prop(target, "name");

			if (g_strcmp0(name, VMEM_AGENT_PORT_NAME) == 0)
				domain->has_agent_channel = TRUE;
		}
	}
}

static void
vmem_domain_parse_numa(VmemDomainDef *domain, xmlNode *numa, GPtrArray *findings)
{
	guint index = 0;

	for (xmlNode *n = numa != NULL ? numa->children : NULL; n != NULL; n = n->next) {
		g_autofree char *id = NULL;
		g_autofree char *memory = NULL;
		g_autofree char *unit = NULL;
		g_autofree char *where = NULL;
		VmemNumaCell cell = {index, 0};

		if (n->type != XML_ELEMENT_NODE || !g_str_equal((const char *)n->name, "cell"))
			continue;
		index++;
		id = vmem_xml_prop(n, "id");
		if (id != NULL) {
			where = g_strdup_printf("/domain/cpu/numa/cell[%u]/@id", index);
			vmem_domain_xml_read_uint(id, G_MAXINT, where, findings, &cell.id);
			g_clear_pointer(&where, g_free);
		}
		memory = vmem_xml_prop(n, "memory");
		unit = vmem_xml_prop(n, "unit");
		where = g_strdup_printf("/domain/cpu/numa/cell[%u]/@memory", index);
		vmem_domain_xml_parse_size(memory != NULL ? memory : "", unit, where, findings,
					   &cell.memory_kib);
		g_array_append_val(domain->cells, cell);
	}
}

static void
vmem_domain_parse_memory_backing(VmemDomainDef *domain, xmlNode *backing, GPtrArray *findings)
{
	xmlNode *hugepages = vmem_xml_child(backing, "hugepages", NULL);
	g_autofree char *mode = NULL;
	guint index = 0;

	mode = vmem_xml_prop(vmem_xml_child(backing, "allocation", NULL), "mode");
	domain->prealloc = g_strcmp0(mode, "immediate") == 0;
	if (hugepages == NULL)
		return;
	domain->hugepages = TRUE;
	for (xmlNode *n = hugepages->children; n != NULL; n = n->next) {
		g_autofree char *size = NULL;
		g_autofree char *unit = NULL;
		VmemHugepage *page;

		if (n->type != XML_ELEMENT_NODE || !g_str_equal((const char *)n->name, "page"))
			continue;
		index++;
		page = g_new0(VmemHugepage, 1);
		page->nodeset = vmem_xml_prop(n, "nodeset");
		if (page->nodeset != NULL) {
			g_autofree char *where = g_strdup_printf(
				"/domain/memoryBacking/hugepages/page[%u]/@nodeset", index);

			page->nodes = vmem_domain_parse_nodeset(page->nodeset, where, findings);
		}
		size = vmem_xml_prop(n, "size");
		unit = vmem_xml_prop(n, "unit");
		if (size != NULL) {
			g_autofree char *where = g_strdup_printf(
				"/domain/memoryBacking/hugepages/page[%u]/@size", index);

			vmem_domain_xml_parse_size(size, unit, where, findings, &page->size_kib);
		}
		g_ptr_array_add(domain->hugepage_list, page);
	}
}

static void
vmem_domain_parse_context(VmemDomainDef *domain, xmlNode *root, GPtrArray *findings)
{
	xmlNode *os_type = vmem_xml_child(vmem_xml_child(root, "os", NULL), "type", NULL);
	xmlNode *max_memory = vmem_xml_child(root, "maxMemory", NULL);
	xmlNode *cpu = vmem_xml_child(root, "cpu", NULL);
	g_autofree char *slots = NULL;

	domain->name = vmem_xml_text(vmem_xml_child(root, "name", NULL));
	domain->arch = vmem_xml_prop(os_type, "arch");
	domain->machine = vmem_xml_prop(os_type, "machine");
	vmem_domain_parse_size_child(root, "memory", "/domain", findings, &domain->has_memory,
				     &domain->memory_kib);
	vmem_domain_parse_size_child(root, "currentMemory", "/domain", findings,
				     &domain->has_current_memory, &domain->current_memory_kib);
	vmem_domain_parse_size_child(root, "maxMemory", "/domain", findings,
				     &domain->has_max_memory, &domain->max_memory_kib);
	slots = vmem_xml_prop(max_memory, "slots");
	if (slots != NULL && vmem_domain_xml_read_uint(slots, G_MAXUINT, "/domain/maxMemory/@slots",
						       findings, &domain->max_memory_slots))
		domain->has_max_memory_slots = TRUE;
	vmem_domain_parse_numa(domain, vmem_xml_child(cpu, "numa", NULL), findings);
	vmem_domain_parse_memory_backing(domain, vmem_xml_child(root, "memoryBacking", NULL),
					 findings);
}

static xmlDoc *
vmem_domain_read_xml(const char *xml, gsize len, GError **error)
{
	g_autoptr(xmlParserCtxt) ctxt = NULL;
	g_autoptr(xmlDoc) doc = NULL;

	if (len > G_MAXINT) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %zu is a number of bytes */
			    _("The document of %zu bytes is too large."), (size_t)len);
		return NULL;
	}
	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL)
		g_error("out of memory");
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, NULL,
				XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
					XML_PARSE_NOWARNING);
	if (doc == NULL || !ctxt->wellFormed) {
		const xmlError *xerr = xmlCtxtGetLastError(ctxt);
		g_autofree char *message = g_strstrip(g_strdup(
			xerr != NULL && xerr->message != NULL ? xerr->message : "unknown error"));
		/* libxml2's reason may quote a name from the document */
		g_autofree char *reason =
			vmem_text_excerpt(message, -1, VMEM_DOMAIN_PARSE_REASON_MAX);

		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %1$d is a line number, %2$s libxml2's reason (in
			     * English) */
			    _("The XML is not well-formed (line %1$d): %2$s"),
			    xerr != NULL ? xerr->line : 0, reason);
		return NULL;
	}
	return g_steal_pointer(&doc);
}

/**
 * vmem_domain_def_parse:
 * @xml: domain XML (not necessarily NUL-terminated)
 * @len: its length in bytes
 * @findings: where malformed values are reported, see #VmemFinding
 * @error: return location for a %VMEM_ERROR_INVALID_DATA error
 *
 * Parses libvirt domain XML into the model.  Values that cannot be read
 * (bad units, overflow, not a number) are findings, not errors: the model
 * is still returned so that all other rules can be checked.
 *
 * Returns: (transfer full): the domain, or %NULL when @xml is not
 *   well-formed or not a domain
 */
VmemDomainDef *
vmem_domain_def_parse(const char *xml, gsize len, GPtrArray *findings, GError **error)
{
	g_autoptr(VmemDomainDef) domain = NULL;
	g_autoptr(xmlDoc) doc = vmem_domain_read_xml(xml, len, error);
	xmlNode *root, *policy;

	if (doc == NULL)
		return NULL;
	root = xmlDocGetRootElement(doc);
	if (root == NULL || root->ns != NULL || !g_str_equal((const char *)root->name, "domain")) {
		g_autofree char *name = vmem_excerpt(root != NULL ? (const char *)root->name : "");

		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %s is the name of the root element (its start when
			     * long) */
			    _("The document is not a libvirt domain: its root element is <%s>, not "
			      "<domain>."),
			    name);
		return NULL;
	}
	if (doc->intSubset != NULL) {
		g_set_error_literal(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: a DTD is a <!DOCTYPE ...> declaration */
				    _("The document has a <!DOCTYPE> declaration, which domain XML "
				      "never has."));
		return NULL;
	}
	domain = vmem_domain_def_new(g_steal_pointer(&doc));
	vmem_domain_parse_context(domain, root, findings);
	vmem_domain_parse_devices(domain, vmem_xml_child(root, "devices", NULL), findings);
	policy = vmem_policy_xml_find(root);
	if (policy != NULL)
		domain->policy = vmem_policy_def_parse(policy, findings);
	return g_steal_pointer(&domain);
}
