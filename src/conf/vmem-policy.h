/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The virtmem policy of a domain, kept in its <metadata> so that it travels
 * with the domain (schemas/virtmem-policy.rng):
 *
 *   <virtmem:policy xmlns:virtmem="http://virtmem.org/xmlns/policy/1" mode="auto">
 *     <virtmem:min unit="MiB">512</virtmem:min>
 *     ...
 *   </virtmem:policy>
 *
 * min, max and step count virtio-mem memory plugged on top of the base
 * memory, summed over all virtio-mem devices of the domain.
 */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

G_BEGIN_DECLS

#define VMEM_POLICY_NS "http://virtmem.org/xmlns/policy/1"
#define VMEM_POLICY_PREFIX "virtmem"
/* Where the policy is in domain XML, as findings name it */
#define VMEM_POLICY_LOCATION "/domain/metadata/" VMEM_POLICY_PREFIX ":policy"

typedef enum {
	VMEM_POLICY_MODE_OFF,
	VMEM_POLICY_MODE_MANUAL,
	VMEM_POLICY_MODE_AUTO,
} VmemPolicyMode;

/* Defaults filled in by vmem_policy_def_postparse() */
#define VMEM_POLICY_DEFAULT_MODE VMEM_POLICY_MODE_MANUAL
#define VMEM_POLICY_DEFAULT_BUFFER_PERCENT 20
#define VMEM_POLICY_DEFAULT_STEP_KIB (128 * 1024)
#define VMEM_POLICY_DEFAULT_COOLDOWN_GROW 1
#define VMEM_POLICY_DEFAULT_COOLDOWN_SHRINK 30
#define VMEM_POLICY_DEFAULT_PRIORITY 5

/* The ranges the policy's rules allow (vmem-validate-policy.c), shared with
 * the offline scenarios and the schemas: a buffer above 90 % keeps a guest
 * at its maximum; a cooldown longer than a day is no longer a cooldown
 * (and sums of times stay far from any overflow). */
#define VMEM_POLICY_MAX_BUFFER 90
#define VMEM_POLICY_MIN_PRIORITY 1
#define VMEM_POLICY_MAX_PRIORITY 10
#define VMEM_POLICY_MAX_COOLDOWN 86400

typedef struct {
	gboolean has_mode;
	VmemPolicyMode mode;
	gboolean has_min, has_max, has_step;
	guint64 min_kib, max_kib, step_kib;
	gboolean has_buffer;
	guint buffer_percent;
	gboolean has_cooldown_grow, has_cooldown_shrink;
	guint cooldown_grow_s, cooldown_shrink_s;
	gboolean has_priority;
	guint priority;
	gboolean has_squeeze;
	gboolean squeeze;
} VmemPolicyDef;

VmemPolicyDef *vmem_policy_def_new(void);
void vmem_policy_def_free(VmemPolicyDef *policy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmemPolicyDef, vmem_policy_def_free)
VmemPolicyDef *vmem_policy_def_copy(const VmemPolicyDef *policy);
void vmem_policy_def_merge(VmemPolicyDef *policy, const VmemPolicyDef *changes);

const char *vmem_policy_mode_to_string(VmemPolicyMode mode);
gboolean vmem_policy_mode_from_string(const char *name, VmemPolicyMode *ret_mode);
gboolean vmem_policy_xml_is_ours(const xmlNode *node);
xmlNode *vmem_policy_xml_find(xmlNode *domain);
VmemPolicyDef *vmem_policy_def_parse(xmlNode *node, GPtrArray *findings);
void vmem_policy_def_postparse(VmemPolicyDef *policy, guint64 virtio_mem_kib, guint64 block_kib);
xmlNode *vmem_policy_def_format(const VmemPolicyDef *policy);

G_END_DECLS
