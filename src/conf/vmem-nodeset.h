/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt's node set syntax, as in <hugepages><page nodeset='0-2,^1,4'/>
 * and <source><nodemask> of a memory device: node numbers and ranges that
 * add to the set and ^exclusions that remove from it, separated by commas
 * and applied from left to right.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* libvirt parses node sets into bitmaps of this many nodes
 * (VIR_DOMAIN_CPUMASK_LEN), so the largest node number is one less. */
#define VMEM_NODESET_LEN 1024

GArray *vmem_nodeset_parse(const char *text, GError **error);
gboolean vmem_nodeset_contains(GArray *nodes, guint node);

G_END_DECLS
