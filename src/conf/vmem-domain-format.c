/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The format pass: the document as parsed, with the virtio-mem devices, the
 * memory sizes and the policy written in normalized form (every size in
 * KiB, defaults filled in).  Everything else is kept as it was.
 */
#include "config.h"

#include "vmem-domain-private.h"

static void
vmem_domain_format_source(xmlNode *parent, const VmemMemoryDef *dev)
{
	xmlNode *source;

	if (!dev->has_pagesize && dev->nodemask == NULL)
		return;
	source = xmlNewChild(parent, NULL, (const xmlChar *)"source", NULL);
	if (dev->has_pagesize)
		vmem_domain_xml_new_size(source, NULL, "pagesize", dev->pagesize_kib);
	if (dev->nodemask != NULL)
		xmlNewTextChild(source, NULL, (const xmlChar *)"nodemask",
				(const xmlChar *)dev->nodemask);
}

static void
vmem_domain_format_target(xmlNode *parent, const VmemMemoryDef *dev, VmemDomainFormatFlags flags)
{
	xmlNode *target = xmlNewChild(parent, NULL, (const xmlChar *)"target", NULL);

	if (dev->dynamic_memslots != VMEM_TRISTATE_ABSENT)
		xmlNewProp(target, (const xmlChar *)"dynamicMemslots",
			   (const xmlChar *)(dev->dynamic_memslots == VMEM_TRISTATE_YES ? "yes"
											: "no"));
	if (dev->has_size)
		vmem_domain_xml_new_size(target, NULL, "size", dev->size_kib);
	if (dev->node >= 0) {
		g_autofree char *node = g_strdup_printf("%d", dev->node);

		xmlNewChild(target, NULL, (const xmlChar *)"node", (const xmlChar *)node);
	}
	if (dev->has_block)
		vmem_domain_xml_new_size(target, NULL, "block", dev->block_kib);
	if (dev->has_requested)
		vmem_domain_xml_new_size(target, NULL, "requested", dev->requested_kib);
	if (dev->has_current && (flags & VMEM_DOMAIN_FORMAT_LIVE))
		vmem_domain_xml_new_size(target, NULL, "current", dev->current_kib);
	if (dev->has_address_base) {
		g_autofree char *base =
			g_strdup_printf("0x%" G_GINT64_MODIFIER "x", dev->address_base);
		xmlNode *address = xmlNewChild(target, NULL, (const xmlChar *)"address", NULL);

		xmlNewProp(address, (const xmlChar *)"base", (const xmlChar *)base);
	}
}

static xmlNode *
vmem_domain_format_device(const VmemMemoryDef *dev, VmemDomainFormatFlags flags)
{
	xmlNode *node = xmlNewNode(NULL, (const xmlChar *)"memory");

	xmlNewProp(node, (const xmlChar *)"model", (const xmlChar *)"virtio-mem");
	if (dev->access != NULL)
		xmlNewProp(node, (const xmlChar *)"access", (const xmlChar *)dev->access);
	if (dev->discard != NULL)
		xmlNewProp(node, (const xmlChar *)"discard", (const xmlChar *)dev->discard);
	vmem_domain_format_source(node, dev);
	vmem_domain_format_target(node, dev, flags);
	if (dev->alias != NULL) {
		xmlNode *alias = xmlNewChild(node, NULL, (const xmlChar *)"alias", NULL);

		xmlNewProp(alias, (const xmlChar *)"name", (const xmlChar *)dev->alias);
	}
	if (dev->pci_address != NULL)
		xmlAddChild(node, xmlCopyNode(dev->pci_address, 1));
	return node;
}

static void
vmem_domain_format_replace(xmlNode *old, xmlNode *replacement)
{
	g_autoptr(xmlNode) unlinked = xmlReplaceNode(old, replacement);
}

static void
vmem_domain_format_size(xmlNode *root, const char *name, gboolean has, guint64 kib)
{
	xmlNode *node = vmem_xml_child(root, name, NULL);
	g_autofree char *text = g_strdup_printf("%" G_GUINT64_FORMAT, kib);

	if (node == NULL || !has)
		return;
	xmlNodeSetContent(node, (const xmlChar *)text);
	xmlSetProp(node, (const xmlChar *)"unit", (const xmlChar *)"KiB");
}

static void
vmem_domain_format_devices(const VmemDomainDef *domain, xmlNode *root, VmemDomainFormatFlags flags)
{
	xmlNode *devices = vmem_xml_child(root, "devices", NULL);
	xmlNode *next;
	guint index = 0, done = 0;

	for (xmlNode *n = devices != NULL ? devices->children : NULL; n != NULL; n = next) {
		const VmemMemoryDef *dev;

		next = n->next;
		if (n->type != XML_ELEMENT_NODE || n->ns != NULL ||
		    !g_str_equal((const char *)n->name, "memory"))
			continue;
		index++;
		if (done >= domain->devices->len)
			break;
		dev = g_ptr_array_index(domain->devices, done);
		if (dev->index != index)
			continue;
		vmem_domain_format_replace(n, vmem_domain_format_device(dev, flags));
		done++;
	}
}

/**
 * vmem_domain_def_format:
 * @domain: a domain after vmem_domain_def_postparse()
 * @flags: #VmemDomainFormatFlags; live-only state needs %VMEM_DOMAIN_FORMAT_LIVE
 *
 * Formats the domain as normalized XML, indented by two spaces.
 *
 * Returns: (transfer full): the XML text, ending in a newline
 */
char *
vmem_domain_def_format(const VmemDomainDef *domain, VmemDomainFormatFlags flags)
{
	g_autoptr(xmlDoc) copy = xmlCopyDoc(domain->doc, 1);
	g_autoptr(xmlBuffer) buffer = xmlBufferCreate();
	xmlNode *root = xmlDocGetRootElement(copy);
	xmlNode *policy = vmem_policy_xml_find(root);

	vmem_domain_format_size(root, "maxMemory", domain->has_max_memory, domain->max_memory_kib);
	vmem_domain_format_size(root, "memory", domain->has_memory, domain->memory_kib);
	vmem_domain_format_size(root, "currentMemory", domain->has_current_memory,
				domain->current_memory_kib);
	vmem_domain_format_devices(domain, root, flags);
	if (policy != NULL && domain->policy != NULL)
		vmem_domain_format_replace(policy, vmem_policy_def_format(domain->policy));
	xmlNodeDump(buffer, copy, root, 0, 1);
	return g_strdup_printf("%s\n", (const char *)xmlBufferContent(buffer));
}
