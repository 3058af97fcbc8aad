/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The rules of the virtmem policy, which need the domain: its virtio-mem
 * devices, their block size and the agent channel.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "vmem-domain-private.h"
#include "vmem-excerpt.h"
#include "vmem-size.h"
#include "vmem-validate-private.h"

static void
vmem_validate_policy_aligned(const char *name, guint64 kib, guint64 block_kib, gboolean up,
			     GPtrArray *findings)
{
	g_autofree char *where = NULL;
	g_autofree char *value = NULL;
	g_autofree char *block = NULL;
	g_autofree char *rounded = NULL;
	g_autofree char *largest = NULL;
	guint64 up_kib = 0;

	if (block_kib == 0 || kib % block_kib == 0)
		return;
	where = g_strdup_printf(VMEM_POLICY_LOCATION "/virtmem:%s", name);
	value = vmem_size_format_kib(kib);
	block = vmem_size_format_kib(block_kib);
	if (!up || vmem_size_align_up(kib, block_kib, VMEM_SIZE_MAX_KIB, &up_kib)) {
		rounded = vmem_size_format_kib(up ? up_kib : kib - kib % block_kib);
		vmem_findings_add(findings, VMEM_SEVERITY_WARNING, "policy-unaligned", where,
				  /* TRANSLATORS: %1$s is the policy value, %2$s the block size,
				   * %3$s the value rounded to whole blocks; all are sizes such as
				   * "2 MiB" */
				  _("%1$s is not a multiple of the block size %2$s; virtmem uses "
				    "%3$s."),
				  value, block, rounded);
		return;
	}
	/* Near the largest size, the next whole block is past it (or past
	 * 2^64): the whole blocks below are what can be written. */
	rounded = vmem_size_format_kib(kib - kib % block_kib);
	largest = vmem_size_format_kib(VMEM_SIZE_MAX_KIB);
	vmem_findings_add(findings, VMEM_SEVERITY_WARNING, "policy-unaligned", where,
			  /* TRANSLATORS: %1$s is the policy value, %2$s the block size, %3$s
			   * the largest size allowed, %4$s the value rounded down to whole
			   * blocks; all are sizes such as "2 MiB" */
			  _("%1$s is not a multiple of the block size %2$s, and rounded up to "
			    "whole blocks it would be more than the largest size allowed (%3$s); "
			    "use %4$s."),
			  value, block, largest, rounded);
}

static void
vmem_validate_policy_sizes(const VmemDomainDef *domain, const VmemPolicyDef *policy,
			   GPtrArray *findings)
{
	guint64 total = vmem_domain_def_get_virtio_mem_kib(domain);
	guint64 block = vmem_domain_def_get_largest_block_kib(domain);
	g_autofree char *min = vmem_size_format_kib(policy->min_kib);
	g_autofree char *max = vmem_size_format_kib(policy->max_kib);
	g_autofree char *all = vmem_size_format_kib(total);
	g_autofree char *one_block = vmem_size_format_kib(block != 0 ? block : VMEM_THP_KIB);

	if (policy->min_kib > policy->max_kib)
		vmem_findings_add(
			findings, VMEM_SEVERITY_ERROR, "policy-min-above-max",
			VMEM_POLICY_LOCATION "/virtmem:min",
			/* TRANSLATORS: %1$s is the minimum, %2$s the maximum, both sizes */
			_("The policy minimum %1$s is above its maximum %2$s; use a "
			  "minimum of at most %2$s."),
			min, max);
	if (policy->max_kib > total)
		vmem_findings_add(
			findings, VMEM_SEVERITY_ERROR, "policy-max-above-total",
			VMEM_POLICY_LOCATION "/virtmem:max",
			/* TRANSLATORS: %1$s is the maximum, %2$s the size of all
			 * virtio-mem devices together, both sizes */
			_("The policy maximum %1$s is more than the virtio-mem devices can "
			  "hold (%2$s); use at most %2$s or grow the devices."),
			max, all);
	if (policy->step_kib == 0)
		vmem_findings_add(findings, VMEM_SEVERITY_ERROR, "policy-step-zero",
				  VMEM_POLICY_LOCATION "/virtmem:step",
				  /* TRANSLATORS: %s is a size */
				  _("The policy step is 0, so memory could never change; use at "
				    "least one block (%s)."),
				  one_block);
	vmem_validate_policy_aligned("min", policy->min_kib, block, TRUE, findings);
	vmem_validate_policy_aligned("max", policy->max_kib, block, FALSE, findings);
	vmem_validate_policy_aligned("step", policy->step_kib, block, TRUE, findings);
}

/**
 * vmem_validate_policy:
 * @domain: a domain with a policy, after vmem_domain_def_postparse()
 * @findings: where the findings are appended
 *
 * Checks the rules of the virtmem policy.
 */
void
vmem_validate_policy(const VmemDomainDef *domain, GPtrArray *findings)
{
	const VmemPolicyDef *policy = domain->policy;

	if (domain->devices->len == 0) {
		if (policy->mode != VMEM_POLICY_MODE_OFF)
			vmem_findings_add(findings, VMEM_SEVERITY_WARNING, "policy-without-devices",
					  VMEM_POLICY_LOCATION "/@mode",
					  /* TRANSLATORS: %s is a policy mode; mode='off' is XML */
					  _("The policy mode is %s but the domain has no "
					    "virtio-mem device to resize; add one or set "
					    "mode='off'."),
					  vmem_policy_mode_to_string(policy->mode));
		return;
	}
	vmem_validate_policy_sizes(domain, policy, findings);
	if (policy->buffer_percent > VMEM_POLICY_MAX_BUFFER)
		vmem_findings_add(
			findings, VMEM_SEVERITY_ERROR, "policy-buffer-range",
			VMEM_POLICY_LOCATION "/virtmem:buffer/@percent",
			/* TRANSLATORS: %u is a percentage, the % must stay as %% */
			_("A buffer of %u %% of guest memory is out of range; use 0 to 90 %%."),
			policy->buffer_percent);
	if (policy->cooldown_grow_s > VMEM_POLICY_MAX_COOLDOWN)
		vmem_findings_add(findings, VMEM_SEVERITY_ERROR, "policy-cooldown-range",
				  VMEM_POLICY_LOCATION "/virtmem:cooldown/@grow",
				  /* TRANSLATORS: %1$u and %2$u are numbers of seconds */
				  _("A grow cooldown of %1$u s is out of range; use 0 to %2$u s "
				    "(one day)."),
				  policy->cooldown_grow_s, VMEM_POLICY_MAX_COOLDOWN);
	if (policy->cooldown_shrink_s > VMEM_POLICY_MAX_COOLDOWN)
		vmem_findings_add(findings, VMEM_SEVERITY_ERROR, "policy-cooldown-range",
				  VMEM_POLICY_LOCATION "/virtmem:cooldown/@shrink",
				  /* TRANSLATORS: %1$u and %2$u are numbers of seconds */
				  _("A shrink cooldown of %1$u s is out of range; use 0 to %2$u s "
				    "(one day)."),
				  policy->cooldown_shrink_s, VMEM_POLICY_MAX_COOLDOWN);
	if (policy->priority < VMEM_POLICY_MIN_PRIORITY ||
	    policy->priority > VMEM_POLICY_MAX_PRIORITY)
		vmem_findings_add(findings, VMEM_SEVERITY_ERROR, "policy-priority-range",
				  VMEM_POLICY_LOCATION "/virtmem:priority",
				  /* TRANSLATORS: %u is a number */
				  _("The priority %u is out of range; use 1 (gives memory back "
				    "first) to 10 (keeps it longest)."),
				  policy->priority);
	if (policy->mode == VMEM_POLICY_MODE_AUTO && !domain->has_agent_channel)
		vmem_findings_add(
			findings, VMEM_SEVERITY_WARNING, "policy-no-agent",
			VMEM_POLICY_LOCATION "/@mode",
			/* TRANSLATORS: %s is a channel name such as org.virtmem.agent.0 */
			_("Mode auto without the agent channel %s falls back to balloon "
			  "statistics, which react later; add the channel."),
			VMEM_AGENT_PORT_NAME);
}

/**
 * vmem_domain_def_edit_policy:
 * @domain: a domain as parsed, before vmem_domain_def_postparse()
 * @changes: the fields of the policy to change: those it sets
 * @findings: where the findings of the policy's rules are appended
 *
 * Merges @changes into the domain's policy (into a new one when it has
 * none) and checks the result by the rules of the policy, the ones
 * `virtmemctl validate` applies (vmem_validate_policy()).  @domain is then
 * post-parsed, its policy the result with the defaults filled in.
 *
 * Returns: (transfer full): the result as it is to be written: the fields
 *   that the domain's policy or @changes set, the others left to their
 *   defaults (vmem_policy_def_format() writes only these)
 */
VmemPolicyDef *
vmem_domain_def_edit_policy(VmemDomainDef *domain, const VmemPolicyDef *changes,
			    GPtrArray *findings)
{
	g_autoptr(VmemPolicyDef) policy = domain->policy != NULL
						  ? vmem_policy_def_copy(domain->policy)
						  : vmem_policy_def_new();

	vmem_policy_def_merge(policy, changes);
	vmem_policy_def_free(domain->policy);
	domain->policy = vmem_policy_def_copy(policy);
	vmem_domain_def_postparse(domain);
	vmem_validate_policy(domain, findings);
	return g_steal_pointer(&policy);
}

/* The children of <virtmem:policy> (schemas/virtmem-policy.rng) */
static const char *const policy_children[] = {
	"min", "max", "buffer", "step", "cooldown", "priority", "save", NULL,
};

/* An element's name as findings write it: virtmem:NAME in our namespace,
 * else as in the document; a long name is cut. */
static char *
vmem_validate_element_name(const xmlNode *node)
{
	g_autofree char *name = vmem_excerpt((const char *)node->name);
	const char *prefix = NULL;

	if (vmem_policy_xml_is_ours(node))
		prefix = VMEM_POLICY_PREFIX;
	else if (node->ns != NULL && node->ns->prefix != NULL)
		prefix = (const char *)node->ns->prefix;
	if (prefix == NULL)
		return g_steal_pointer(&name);
	return g_strdup_printf("%s:%s", prefix, name);
}

static char *
vmem_validate_element_key(const xmlNode *node)
{
	return g_strconcat((const char *)node->name, "\n",
			   node->ns != NULL ? (const char *)node->ns->href : "", NULL);
}

/*
 * The locations of the child elements of an element: LOCATION/NAME, with
 * the position [N] when siblings have the same name.  Each child is passed
 * to vmem_validate_siblings_next() in document order; only the locations
 * needed are written, so that a huge document costs little.
 */
typedef struct {
	const char *location; /* of the parent */
	GHashTable *counts;   /* name and namespace -> how many children have them */
	GHashTable *seen;     /* ... -> how many of them came so far */
} VmemValidateSiblings;

static void
vmem_validate_siblings_init(VmemValidateSiblings *siblings, const xmlNode *parent,
			    const char *location)
{
	siblings->location = location;
	siblings->counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	siblings->seen = g_hash_table_new(g_str_hash, g_str_equal);
	for (const xmlNode *n = parent->children; n != NULL; n = n->next) {
		g_autofree char *key = NULL;
		gpointer old_key = NULL, count = NULL;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		key = vmem_validate_element_key(n);
		if (g_hash_table_lookup_extended(siblings->counts, key, &old_key, &count))
			g_hash_table_insert(siblings->counts, g_strdup(key),
					    GUINT_TO_POINTER(GPOINTER_TO_UINT(count) + 1));
		else
			g_hash_table_insert(siblings->counts, g_steal_pointer(&key),
					    GUINT_TO_POINTER(1));
	}
}

static void
vmem_validate_siblings_clear(VmemValidateSiblings *siblings)
{
	g_hash_table_unref(siblings->seen);
	g_hash_table_unref(siblings->counts);
}

/* Counts @node, the next child element; returns its location only when
 * @want_location */
static char *
vmem_validate_siblings_next(VmemValidateSiblings *siblings, const xmlNode *node,
			    gboolean want_location)
{
	g_autofree char *key = vmem_validate_element_key(node);
	g_autofree char *name = NULL;
	gpointer stored_key = NULL, count = NULL;
	guint position;

	/* the counts own the keys, the positions borrow them */
	g_hash_table_lookup_extended(siblings->counts, key, &stored_key, &count);
	position = GPOINTER_TO_UINT(g_hash_table_lookup(siblings->seen, stored_key)) + 1;
	g_hash_table_insert(siblings->seen, stored_key, GUINT_TO_POINTER(position));
	if (!want_location)
		return NULL;
	name = vmem_validate_element_name(node);
	if (GPOINTER_TO_UINT(count) > 1)
		return g_strdup_printf("%s/%s[%u]", siblings->location, name, position);
	return g_strdup_printf("%s/%s", siblings->location, name);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VmemValidateSiblings, vmem_validate_siblings_clear)

/* The children of the policy: each known element once, nothing else */
static void
vmem_validate_policy_children(xmlNode *policy, GPtrArray *findings)
{
	g_auto(VmemValidateSiblings) siblings = {0};
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

	vmem_validate_siblings_init(&siblings, policy, VMEM_POLICY_LOCATION);
	for (xmlNode *n = policy->children; n != NULL && !vmem_findings_is_full(findings);
	     n = n->next) {
		g_autofree char *where = NULL;
		g_autofree char *name = NULL;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		where = vmem_validate_siblings_next(&siblings, n, TRUE);
		name = vmem_validate_element_name(n);
		if (!vmem_policy_xml_is_ours(n)) {
			g_autofree char *local = vmem_excerpt((const char *)n->name);

			vmem_findings_add(
				findings, VMEM_SEVERITY_WARNING, "policy-unknown-element", where,
				/* TRANSLATORS: %1$s is an element name as written, %2$s its
				 * local name; virtmem: is the namespace prefix, keep it */
				_("<%1$s> in the policy is not in the virtmem namespace, so "
				  "virtmem ignores it; write <virtmem:%2$s>."),
				name, local);
		} else if (!g_strv_contains(policy_children, (const char *)n->name)) {
			vmem_findings_add(findings, VMEM_SEVERITY_WARNING, "policy-unknown-element",
					  where,
					  /* TRANSLATORS: %s is an element name such as
					   * virtmem:minimum; the names at the end are XML */
					  _("<%s> is not an element of the virtmem policy, so "
					    "virtmem ignores it; use min, max, buffer, step, "
					    "cooldown, priority or save."),
					  name);
		} else if (!g_hash_table_add(seen, (gpointer)n->name)) {
			vmem_findings_add(findings, VMEM_SEVERITY_WARNING, "policy-duplicate",
					  where,
					  /* TRANSLATORS: %s is an element name such as
					   * virtmem:min */
					  _("The policy has more than one <%s>; virtmem reads only "
					    "the first, so remove the others."),
					  name);
		}
	}
}

/* The elements of <metadata>: libvirt keeps the first of our namespace */
static void
vmem_validate_policy_metadata(xmlNode *metadata, xmlNode *policy, GPtrArray *findings)
{
	g_auto(VmemValidateSiblings) siblings = {0};
	g_autofree char *first_where = NULL;

	vmem_validate_siblings_init(&siblings, metadata, "/domain/metadata");
	for (xmlNode *n = metadata->children; n != NULL && !vmem_findings_is_full(findings);
	     n = n->next) {
		g_autofree char *where = NULL;
		g_autofree char *name = NULL;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		where = vmem_validate_siblings_next(&siblings, n, vmem_policy_xml_is_ours(n));
		if (!vmem_policy_xml_is_ours(n))
			continue;
		if (n == policy) {
			g_free(where);
			where = g_strdup(VMEM_POLICY_LOCATION);
		}
		name = vmem_validate_element_name(n);
		if (!g_str_equal((const char *)n->name, "policy")) {
			vmem_findings_add(findings, VMEM_SEVERITY_WARNING, "policy-unknown-element",
					  where,
					  /* TRANSLATORS: %s is an element name such as
					   * virtmem:polcy; <virtmem:policy> is XML */
					  _("<%s> is not an element virtmem knows, so it is "
					    "ignored; the policy is <virtmem:policy>."),
					  name);
		} else if (first_where != NULL) {
			vmem_findings_add(
				findings, VMEM_SEVERITY_WARNING, "policy-duplicate", where,
				/* TRANSLATORS: %s is the location of the element libvirt
				 * keeps, such as /domain/metadata/virtmem:policy[1];
				 * <metadata> and <virtmem:policy> are XML */
				_("libvirt keeps only the first element of the virtmem "
				  "namespace in <metadata> (%s) and drops this policy when it "
				  "defines the domain; keep a single <virtmem:policy>."),
				first_where);
		}
		if (first_where == NULL)
			first_where = g_steal_pointer(&where);
	}
	if (policy != NULL)
		vmem_validate_policy_children(policy, findings);
}

static gboolean
vmem_validate_has_element_child(const xmlNode *node)
{
	for (const xmlNode *n = node->children; n != NULL; n = n->next) {
		if (n->type == XML_ELEMENT_NODE)
			return TRUE;
	}
	return FALSE;
}

/* Elements of our namespace anywhere but in <metadata>, below @parent at
 * @location */
static void
vmem_validate_policy_elsewhere(xmlNode *parent, const char *location, xmlNode *metadata,
			       GPtrArray *findings)
{
	g_auto(VmemValidateSiblings) siblings = {0};

	vmem_validate_siblings_init(&siblings, parent, location);
	for (xmlNode *n = parent->children; n != NULL && !vmem_findings_is_full(findings);
	     n = n->next) {
		gboolean ours = vmem_policy_xml_is_ours(n);
		gboolean descend;
		g_autofree char *where = NULL;
		g_autofree char *name = NULL;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		descend = !ours && n != metadata && vmem_validate_has_element_child(n);
		where = vmem_validate_siblings_next(&siblings, n, ours || descend);
		if (descend)
			vmem_validate_policy_elsewhere(n, where, metadata, findings);
		if (!ours)
			continue;
		name = vmem_validate_element_name(n);
		vmem_findings_add(findings, VMEM_SEVERITY_WARNING, "policy-unknown-element", where,
				  /* TRANSLATORS: %s is an element name such as
				   * virtmem:policy; <metadata> is XML */
				  _("<%s> is outside <metadata>, where virtmem reads nothing and "
				    "libvirt keeps nothing; the policy belongs in <metadata>."),
				  name);
	}
}

/**
 * vmem_validate_policy_namespace:
 * @domain: a domain
 * @findings: where the findings are appended
 *
 * Checks the elements of the virtmem namespace: a single
 * `<virtmem:policy>` in `<metadata>`, holding only the elements of
 * schemas/virtmem-policy.rng, each once.  Anything else is ignored by
 * virtmem (and a second element of the namespace in `<metadata>` dropped by
 * libvirt), which is worth a warning: it is usually a typo.
 */
void
vmem_validate_policy_namespace(const VmemDomainDef *domain, GPtrArray *findings)
{
	xmlNode *root = xmlDocGetRootElement(domain->doc);
	xmlNode *metadata = vmem_xml_child(root, "metadata", NULL);

	if (metadata != NULL)
		vmem_validate_policy_metadata(metadata, vmem_policy_xml_find(root), findings);
	vmem_validate_policy_elsewhere(root, "/domain", metadata, findings);
}
