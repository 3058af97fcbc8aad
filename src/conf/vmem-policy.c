/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The virtmem policy in <metadata>: parse, defaults and format.  The rules
 * that need the domain are in vmem-validate-policy.c.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "vmem-domain-private.h"
#include "vmem-excerpt.h"
#include "vmem-policy.h"

static const char *const mode_names[] = {"off", "manual", "auto", NULL};

/**
 * vmem_policy_def_new:
 *
 * Returns: (transfer full): a policy with nothing set
 */
VmemPolicyDef *
vmem_policy_def_new(void)
{
	return g_new0(VmemPolicyDef, 1);
}

/**
 * vmem_policy_def_free:
 * @policy: (nullable): a policy
 *
 * Frees @policy.
 */
void
vmem_policy_def_free(VmemPolicyDef *policy)
{
	g_free(policy);
}

/**
 * vmem_policy_def_copy:
 * @policy: a policy
 *
 * Returns: (transfer full): a copy of @policy, with the same fields set
 */
VmemPolicyDef *
vmem_policy_def_copy(const VmemPolicyDef *policy)
{
	return g_memdup2(policy, sizeof(*policy));
}

/**
 * vmem_policy_def_merge:
 * @policy: a policy, parsed or new
 * @changes: the fields to change: those it has set
 *
 * Sets in @policy every field that @changes sets, to its value there; the
 * other fields of @policy stay as they are, set or not.  What `virtmemctl
 * policy set` and the daemon's SetPolicy() do to the policy of a domain.
 */
void
vmem_policy_def_merge(VmemPolicyDef *policy, const VmemPolicyDef *changes)
{
#define VMEM_POLICY_MERGE(has, field)                                                              \
	do {                                                                                       \
		if (changes->has) {                                                                \
			policy->field = changes->field;                                            \
			policy->has = TRUE;                                                        \
		}                                                                                  \
	} while (0)
	VMEM_POLICY_MERGE(has_mode, mode);
	VMEM_POLICY_MERGE(has_min, min_kib);
	VMEM_POLICY_MERGE(has_max, max_kib);
	VMEM_POLICY_MERGE(has_step, step_kib);
	VMEM_POLICY_MERGE(has_buffer, buffer_percent);
	VMEM_POLICY_MERGE(has_cooldown_grow, cooldown_grow_s);
	VMEM_POLICY_MERGE(has_cooldown_shrink, cooldown_shrink_s);
	VMEM_POLICY_MERGE(has_priority, priority);
	VMEM_POLICY_MERGE(has_squeeze, squeeze);
#undef VMEM_POLICY_MERGE
}

/**
 * vmem_policy_mode_from_string:
 * @name: a mode's name in XML
 * @ret_mode: (out): the mode
 *
 * Returns: whether @name is `off`, `manual` or `auto`
 */
gboolean
vmem_policy_mode_from_string(const char *name, VmemPolicyMode *ret_mode)
{
	for (guint i = 0; mode_names[i] != NULL; i++) {
		if (g_str_equal(name, mode_names[i])) {
			*ret_mode = (VmemPolicyMode)i;
			return TRUE;
		}
	}
	return FALSE;
}

/**
 * vmem_policy_mode_to_string:
 * @mode: a mode
 *
 * Returns: its name in XML: `off`, `manual` or `auto`
 */
const char *
vmem_policy_mode_to_string(VmemPolicyMode mode)
{
	return mode_names[mode];
}

/**
 * vmem_policy_xml_is_ours:
 * @node: (nullable): a node
 *
 * Returns: whether @node is an element in the virtmem namespace
 */
gboolean
vmem_policy_xml_is_ours(const xmlNode *node)
{
	return node != NULL && node->type == XML_ELEMENT_NODE && node->ns != NULL &&
	       g_strcmp0((const char *)node->ns->href, VMEM_POLICY_NS) == 0;
}

/**
 * vmem_policy_xml_find:
 * @domain: (nullable): the `<domain>` element
 *
 * Finds the policy as libvirt keeps it: libvirt keeps only the first
 * element of each namespace in `<metadata>` and drops the others when it
 * defines a domain (virXMLNodeSanitizeNamespaces()), so the policy is the
 * first element of the virtmem namespace there, when that is a
 * `<virtmem:policy>`.
 *
 * Returns: (nullable) (transfer none): its `<metadata><virtmem:policy>`
 *   element, or %NULL
 */
xmlNode *
vmem_policy_xml_find(xmlNode *domain)
{
	xmlNode *metadata = vmem_xml_child(domain, "metadata", NULL);

	for (xmlNode *n = metadata != NULL ? metadata->children : NULL; n != NULL; n = n->next) {
		if (vmem_policy_xml_is_ours(n))
			return g_str_equal((const char *)n->name, "policy") ? n : NULL;
	}
	return NULL;
}

static void
vmem_policy_parse_size(xmlNode *policy, const char *name, GPtrArray *findings, gboolean *ret_has,
		       guint64 *ret_kib)
{
	xmlNode *node = vmem_xml_child(policy, name, VMEM_POLICY_NS);
	g_autofree char *where = g_strdup_printf(VMEM_POLICY_LOCATION "/virtmem:%s", name);

	if (node != NULL && vmem_domain_xml_read_size(node, where, findings, ret_kib))
		*ret_has = TRUE;
}

static void
vmem_policy_parse_uint(const char *text, const char *where, GPtrArray *findings, gboolean *ret_has,
		       guint *ret_value)
{
	if (text != NULL && vmem_domain_xml_read_uint(text, G_MAXINT, where, findings, ret_value))
		*ret_has = TRUE;
}

static void
vmem_policy_parse_mode(VmemPolicyDef *policy, xmlNode *node, GPtrArray *findings)
{
	g_autofree char *mode = vmem_xml_prop(node, "mode");
	g_autofree char *quoted = NULL;

	if (mode == NULL)
		return;
	if (vmem_policy_mode_from_string(mode, &policy->mode)) {
		policy->has_mode = TRUE;
		return;
	}
	quoted = vmem_excerpt(mode);
	vmem_findings_add(findings, VMEM_SEVERITY_ERROR, "invalid-value",
			  VMEM_POLICY_LOCATION "/@mode",
			  /* TRANSLATORS: %s is what the user wrote (its start when long); off,
			   * manual, auto are XML values */
			  _("“%s” is not a policy mode; use off, manual or auto."), quoted);
}

/**
 * vmem_policy_def_parse:
 * @node: the `<virtmem:policy>` element
 * @findings: where malformed values are reported
 *
 * Parses the policy; malformed values are findings and stay unset.
 *
 * Returns: (transfer full): the policy
 */
VmemPolicyDef *
vmem_policy_def_parse(xmlNode *node, GPtrArray *findings)
{
	g_autoptr(VmemPolicyDef) policy = vmem_policy_def_new();
	xmlNode *buffer = vmem_xml_child(node, "buffer", VMEM_POLICY_NS);
	xmlNode *cooldown = vmem_xml_child(node, "cooldown", VMEM_POLICY_NS);
	xmlNode *priority = vmem_xml_child(node, "priority", VMEM_POLICY_NS);
	xmlNode *save = vmem_xml_child(node, "save", VMEM_POLICY_NS);
	g_autofree char *percent = vmem_xml_prop(buffer, "percent");
	g_autofree char *grow = vmem_xml_prop(cooldown, "grow");
	g_autofree char *shrink = vmem_xml_prop(cooldown, "shrink");
	g_autofree char *priority_text = vmem_xml_text(priority);
	g_autofree char *squeeze = vmem_xml_prop(save, "squeeze");

	vmem_policy_parse_mode(policy, node, findings);
	vmem_policy_parse_size(node, "min", findings, &policy->has_min, &policy->min_kib);
	vmem_policy_parse_size(node, "max", findings, &policy->has_max, &policy->max_kib);
	vmem_policy_parse_size(node, "step", findings, &policy->has_step, &policy->step_kib);
	vmem_policy_parse_uint(percent, VMEM_POLICY_LOCATION "/virtmem:buffer/@percent", findings,
			       &policy->has_buffer, &policy->buffer_percent);
	vmem_policy_parse_uint(grow, VMEM_POLICY_LOCATION "/virtmem:cooldown/@grow", findings,
			       &policy->has_cooldown_grow, &policy->cooldown_grow_s);
	vmem_policy_parse_uint(shrink, VMEM_POLICY_LOCATION "/virtmem:cooldown/@shrink", findings,
			       &policy->has_cooldown_shrink, &policy->cooldown_shrink_s);
	vmem_policy_parse_uint(priority_text, VMEM_POLICY_LOCATION "/virtmem:priority", findings,
			       &policy->has_priority, &policy->priority);
	if (squeeze != NULL) {
		if (g_str_equal(squeeze, "yes") || g_str_equal(squeeze, "no")) {
			policy->squeeze = g_str_equal(squeeze, "yes");
			policy->has_squeeze = TRUE;
		} else {
			g_autofree char *quoted = vmem_excerpt(squeeze);

			vmem_findings_add(findings, VMEM_SEVERITY_ERROR, "invalid-value",
					  VMEM_POLICY_LOCATION "/virtmem:save/@squeeze",
					  /* TRANSLATORS: %1$s is what the user wrote (its start
					   * when long), %2$s the allowed values separated by
					   * commas, such as "yes, no" */
					  _("“%1$s” is not allowed here; use one of %2$s."), quoted,
					  "yes, no");
		}
	}
	return g_steal_pointer(&policy);
}

/**
 * vmem_policy_def_postparse:
 * @policy: a parsed policy
 * @virtio_mem_kib: the summed size of the domain's virtio-mem devices
 * @block_kib: their largest block size (0 without devices)
 *
 * Fills what the policy leaves out: mode manual, min 0, max all virtio-mem
 * memory, step 128 MiB (at least one block), buffer 20 %, cooldowns 1 s
 * to grow and 30 s to shrink, priority 5, squeeze before save.
 */
void
vmem_policy_def_postparse(VmemPolicyDef *policy, guint64 virtio_mem_kib, guint64 block_kib)
{
	if (!policy->has_mode)
		policy->mode = VMEM_POLICY_DEFAULT_MODE;
	if (!policy->has_min)
		policy->min_kib = 0;
	if (!policy->has_max)
		policy->max_kib = virtio_mem_kib;
	if (!policy->has_step)
		policy->step_kib = MAX(VMEM_POLICY_DEFAULT_STEP_KIB, block_kib);
	if (!policy->has_buffer)
		policy->buffer_percent = VMEM_POLICY_DEFAULT_BUFFER_PERCENT;
	if (!policy->has_cooldown_grow)
		policy->cooldown_grow_s = VMEM_POLICY_DEFAULT_COOLDOWN_GROW;
	if (!policy->has_cooldown_shrink)
		policy->cooldown_shrink_s = VMEM_POLICY_DEFAULT_COOLDOWN_SHRINK;
	if (!policy->has_priority)
		policy->priority = VMEM_POLICY_DEFAULT_PRIORITY;
	if (!policy->has_squeeze)
		policy->squeeze = TRUE;
	policy->has_mode = policy->has_min = policy->has_max = policy->has_step = TRUE;
	policy->has_buffer = policy->has_cooldown_grow = policy->has_cooldown_shrink = TRUE;
	policy->has_priority = policy->has_squeeze = TRUE;
}

static void
vmem_policy_set_uint(xmlNode *node, const char *attr, guint value)
{
	g_autofree char *text = g_strdup_printf("%u", value);

	xmlNewProp(node, (const xmlChar *)attr, (const xmlChar *)text);
}

/**
 * vmem_policy_def_format:
 * @policy: a policy; after vmem_policy_def_postparse() every field is set
 *
 * Formats the fields that @policy sets, in normalized form (sizes in KiB):
 * after vmem_policy_def_postparse() the whole policy; before, what the
 * policy says itself, so that the fields left out keep their defaults (what
 * `virtmemctl policy set` writes).
 *
 * Returns: (transfer full): a new `<virtmem:policy>` element declaring its
 *   namespace, not yet in any document
 */
xmlNode *
vmem_policy_def_format(const VmemPolicyDef *policy)
{
	xmlNode *node = xmlNewNode(NULL, (const xmlChar *)"policy");
	xmlNs *ns = xmlNewNs(node, (const xmlChar *)VMEM_POLICY_NS,
			     (const xmlChar *)VMEM_POLICY_PREFIX);
	xmlNode *child;

	xmlSetNs(node, ns);
	if (policy->has_mode)
		xmlNewProp(node, (const xmlChar *)"mode",
			   (const xmlChar *)vmem_policy_mode_to_string(policy->mode));
	if (policy->has_min)
		vmem_domain_xml_new_size(node, ns, "min", policy->min_kib);
	if (policy->has_max)
		vmem_domain_xml_new_size(node, ns, "max", policy->max_kib);
	if (policy->has_buffer) {
		child = xmlNewChild(node, ns, (const xmlChar *)"buffer", NULL);
		vmem_policy_set_uint(child, "percent", policy->buffer_percent);
	}
	if (policy->has_step)
		vmem_domain_xml_new_size(node, ns, "step", policy->step_kib);
	if (policy->has_cooldown_grow || policy->has_cooldown_shrink) {
		child = xmlNewChild(node, ns, (const xmlChar *)"cooldown", NULL);
		if (policy->has_cooldown_grow)
			vmem_policy_set_uint(child, "grow", policy->cooldown_grow_s);
		if (policy->has_cooldown_shrink)
			vmem_policy_set_uint(child, "shrink", policy->cooldown_shrink_s);
	}
	if (policy->has_priority) {
		g_autofree char *priority = g_strdup_printf("%u", policy->priority);

		xmlNewChild(node, ns, (const xmlChar *)"priority", (const xmlChar *)priority);
	}
	if (policy->has_squeeze) {
		child = xmlNewChild(node, ns, (const xmlChar *)"save", NULL);
		xmlNewProp(child, (const xmlChar *)"squeeze",
			   (const xmlChar *)(policy->squeeze ? "yes" : "no"));
	}
	return node;
}
