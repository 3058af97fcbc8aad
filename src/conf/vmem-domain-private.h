/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared by the parse, defaults and format passes of the domain model and
 * the policy: construction and small libxml2 helpers.
 */
#pragma once

#include "vmem-domain.h"
#include "vmem-xml.h"

G_BEGIN_DECLS

VmemDomainDef *vmem_domain_def_new(xmlDoc *doc);

void vmem_memory_def_free(VmemMemoryDef *dev);

gboolean vmem_domain_xml_parse_size(const char *value, const char *unit, const char *location,
				    GPtrArray *findings, guint64 *ret_kib);
gboolean vmem_domain_xml_read_size(xmlNode *element, const char *location, GPtrArray *findings,
				   guint64 *ret_kib);
gboolean vmem_domain_xml_read_uint(const char *text, guint max, const char *location,
				   GPtrArray *findings, guint *ret_value);
xmlNode *vmem_domain_xml_new_size(xmlNode *parent, xmlNs *ns, const char *name, guint64 kib);

G_END_DECLS
