/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxml2 for GLib code: the autoptr cleanups (defined here once) and the
 * element lookups every XML reader of virtmem shares.
 */
#pragma once

#include <glib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlNode, xmlFreeNode)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlParserCtxt, xmlFreeParserCtxt)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlBuffer, xmlBufferFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathContext, xmlXPathFreeContext)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathObject, xmlXPathFreeObject)

xmlNode *vmem_xml_child(xmlNode *parent, const char *name, const char *ns_href);
char *vmem_xml_text(xmlNode *node);
char *vmem_xml_prop(xmlNode *node, const char *name);

G_END_DECLS
