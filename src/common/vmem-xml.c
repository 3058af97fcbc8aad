/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The libxml2 helpers every XML reader of virtmem shares.
 */
#include "config.h"

#include "vmem-xml.h"

/**
 * vmem_xml_child:
 * @parent: (nullable): an element
 * @name: a local name
 * @ns_href: (nullable): the namespace, %NULL for none
 *
 * Returns: (nullable): the first child element called @name in @ns_href
 */
xmlNode *
vmem_xml_child(xmlNode *parent, const char *name, const char *ns_href)
{
	if (parent == NULL)
		return NULL;
	for (xmlNode *n = parent->children; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || g_strcmp0((const char *)n->name, name) != 0)
			continue;
		if (ns_href == NULL && n->ns == NULL)
			return n;
		if (ns_href != NULL && n->ns != NULL &&
		    g_strcmp0((const char *)n->ns->href, ns_href) == 0)
			return n;
	}
	return NULL;
}

/**
 * vmem_xml_text:
 * @node: (nullable): an element
 *
 * Returns: (transfer full) (nullable): its text content, %NULL without @node
 */
char *
vmem_xml_text(xmlNode *node)
{
	xmlChar *content;
	char *text;

	if (node == NULL)
		return NULL;
	content = xmlNodeGetContent(node);
	text = g_strdup(content != NULL ? (const char *)content : "");
	xmlFree(content);
	return text;
}

/**
 * vmem_xml_prop:
 * @node: (nullable): an element
 * @name: an attribute without namespace
 *
 * Returns: (transfer full) (nullable): the attribute's value, or %NULL
 */
char *
vmem_xml_prop(xmlNode *node, const char *name)
{
	xmlChar *value;
	char *text;

	if (node == NULL)
		return NULL;
	value = xmlGetNoNsProp(node, (const xmlChar *)name);
	if (value == NULL)
		return NULL;
	text = g_strdup((const char *)value);
	xmlFree(value);
	return text;
}
