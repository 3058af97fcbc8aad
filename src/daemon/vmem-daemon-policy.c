/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-daemon-policy.h"

#include <glib/gi18n.h>

#include "vmem-backend-libvirt.h"
#include "vmem-domain.h"
#include "vmem-error.h"
#include "vmem-excerpt.h"
#include "vmem-libvirt.h"
#include "vmem-size.h"
#include "vmem-validate.h"

/**
 * vmem_daemon_policy_to_variant:
 * @policy: a policy with its defaults filled in
 *
 * Returns: (transfer floating): the Policy property: sizes in bytes, times
 *   in seconds
 */
GVariant *
vmem_daemon_policy_to_variant(const VmemPolicyDef *policy)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", "mode",
			      g_variant_new_string(vmem_policy_mode_to_string(policy->mode)));
	g_variant_builder_add(&b, "{sv}", "min",
			      g_variant_new_uint64(policy->min_kib * VMEM_SIZE_KIB));
	g_variant_builder_add(&b, "{sv}", "max",
			      g_variant_new_uint64(policy->max_kib * VMEM_SIZE_KIB));
	g_variant_builder_add(&b, "{sv}", "buffer", g_variant_new_uint32(policy->buffer_percent));
	g_variant_builder_add(&b, "{sv}", "step",
			      g_variant_new_uint64(policy->step_kib * VMEM_SIZE_KIB));
	g_variant_builder_add(&b, "{sv}", "cooldown-grow",
			      g_variant_new_uint32(policy->cooldown_grow_s));
	g_variant_builder_add(&b, "{sv}", "cooldown-shrink",
			      g_variant_new_uint32(policy->cooldown_shrink_s));
	g_variant_builder_add(&b, "{sv}", "priority", g_variant_new_uint32(policy->priority));
	g_variant_builder_add(&b, "{sv}", "squeeze", g_variant_new_boolean(policy->squeeze));
	return g_variant_builder_end(&b);
}

/* @key is the caller's, any length and any characters: quoted short */
static gboolean
vmem_daemon_policy_bad(GError **error, const char *key, const char *why)
{
	g_autofree char *shown = vmem_excerpt(key);

	/* TRANSLATORS: %1$s is a key of SetPolicy()'s dictionary, %2$s what is wrong */
	g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT, _("SetPolicy(): “%1$s”: %2$s"),
		    shown, why);
	return FALSE;
}

static gboolean
vmem_daemon_policy_size(GVariant *value, const char *key, gboolean *ret_has, guint64 *ret_kib,
			GError **error)
{
	guint64 bytes = g_variant_get_uint64(value);

	if (bytes % VMEM_SIZE_KIB != 0)
		return vmem_daemon_policy_bad(error, key,
					      _("The size must be a whole number of KiB."));
	/* As domain XML: larger is no size libvirt or the policy's rules take,
	 * and below it no rounding to whole blocks can wrap around. */
	if (bytes / VMEM_SIZE_KIB > VMEM_SIZE_MAX_KIB)
		return vmem_daemon_policy_bad(
			error, key, _("The size is too large: at most 9223372036854774784 bytes."));
	*ret_has = TRUE;
	*ret_kib = bytes / VMEM_SIZE_KIB;
	return TRUE;
}

/**
 * vmem_daemon_policy_from_variant:
 * @dict: a{sv} with the keys of the Policy property, each optional
 * @ret_changes: (out caller-allocates): the fields @dict sets
 */
gboolean
vmem_daemon_policy_from_variant(GVariant *dict, VmemPolicyDef *ret_changes, GError **error)
{
	GVariantIter iter;
	const char *key;
	GVariant *v;

	memset(ret_changes, 0, sizeof(*ret_changes));
	g_variant_iter_init(&iter, dict);
	while (g_variant_iter_next(&iter, "{&sv}", &key, &v)) {
		g_autoptr(GVariant) value = v;
		const GVariantType *type = g_variant_get_type(value);
		VmemPolicyDef *c = ret_changes;
		gboolean ok = TRUE;

		if (g_str_equal(key, "mode") && g_variant_type_equal(type, G_VARIANT_TYPE_STRING)) {
			c->has_mode = TRUE;
			if (!vmem_policy_mode_from_string(g_variant_get_string(value, NULL),
							  &c->mode))
				return vmem_daemon_policy_bad(
					error, key, _("The mode is auto, manual or off."));
		} else if (g_str_equal(key, "min") &&
			   g_variant_type_equal(type, G_VARIANT_TYPE_UINT64)) {
			ok = vmem_daemon_policy_size(value, key, &c->has_min, &c->min_kib, error);
		} else if (g_str_equal(key, "max") &&
			   g_variant_type_equal(type, G_VARIANT_TYPE_UINT64)) {
			ok = vmem_daemon_policy_size(value, key, &c->has_max, &c->max_kib, error);
		} else if (g_str_equal(key, "step") &&
			   g_variant_type_equal(type, G_VARIANT_TYPE_UINT64)) {
			ok = vmem_daemon_policy_size(value, key, &c->has_step, &c->step_kib, error);
		} else if (g_str_equal(key, "buffer") &&
			   g_variant_type_equal(type, G_VARIANT_TYPE_UINT32)) {
			c->has_buffer = TRUE;
			c->buffer_percent = g_variant_get_uint32(value);
		} else if (g_str_equal(key, "cooldown-grow") &&
			   g_variant_type_equal(type, G_VARIANT_TYPE_UINT32)) {
			c->has_cooldown_grow = TRUE;
			c->cooldown_grow_s = g_variant_get_uint32(value);
		} else if (g_str_equal(key, "cooldown-shrink") &&
			   g_variant_type_equal(type, G_VARIANT_TYPE_UINT32)) {
			c->has_cooldown_shrink = TRUE;
			c->cooldown_shrink_s = g_variant_get_uint32(value);
		} else if (g_str_equal(key, "priority") &&
			   g_variant_type_equal(type, G_VARIANT_TYPE_UINT32)) {
			c->has_priority = TRUE;
			c->priority = g_variant_get_uint32(value);
		} else if (g_str_equal(key, "squeeze") &&
			   g_variant_type_equal(type, G_VARIANT_TYPE_BOOLEAN)) {
			c->has_squeeze = TRUE;
			c->squeeze = g_variant_get_boolean(value);
		} else {
			return vmem_daemon_policy_bad(
				error, key,
				_("There is no such key of that type; see the Policy property."));
		}
		if (!ok)
			return FALSE;
	}
	return TRUE;
}

/* Merges @changes into the policy of one definition and checks it. */
static VmemPolicyDef *
vmem_daemon_policy_edit(virDomainPtr dom, unsigned int xml_flags, const VmemPolicyDef *changes,
			GError **error)
{
	g_autofree char *xml = virDomainGetXMLDesc(dom, xml_flags);
	g_autoptr(GPtrArray) findings = vmem_findings_new();
	g_autoptr(VmemDomainDef) def = NULL;
	g_autoptr(VmemPolicyDef) policy = NULL;

	if (xml == NULL) {
		vmem_libvirt_set_error(error);
		return NULL;
	}
	def = vmem_domain_def_parse(xml, strlen(xml), findings, error);
	if (def == NULL)
		return NULL;
	g_ptr_array_set_size(findings, 0);
	policy = vmem_domain_def_edit_policy(def, changes, findings);
	for (guint i = 0; i < findings->len; i++) {
		const VmemFinding *finding = findings->pdata[i];

		/* As `virtmemctl policy set`: nothing is rounded behind the caller's back. */
		if (finding->severity == VMEM_SEVERITY_ERROR ||
		    g_str_equal(finding->code, "policy-unaligned")) {
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT, "%s",
				    finding->message);
			return NULL;
		}
	}
	return g_steal_pointer(&policy);
}

/**
 * vmem_daemon_policy_write:
 * @changes: the fields to change
 *
 * Merges @changes into the running domain's policy and, when the domain is
 * persistent, into its configuration's; writes both only when both pass
 * the policy's rules.
 */
gboolean
vmem_daemon_policy_write(virDomainPtr dom, const VmemPolicyDef *changes, GError **error)
{
	g_autoptr(VmemPolicyDef) live = vmem_daemon_policy_edit(dom, 0, changes, error);
	g_autoptr(VmemPolicyDef) config = NULL;
	int persistent = virDomainIsPersistent(dom);

	if (live == NULL)
		return FALSE;
	if (persistent == 1) {
		config = vmem_daemon_policy_edit(dom, VIR_DOMAIN_XML_INACTIVE, changes, error);
		if (config == NULL)
			return FALSE;
	}
	if (!vmem_backend_libvirt_set_policy(dom, live, VIR_DOMAIN_AFFECT_LIVE, error))
		return FALSE;
	return config == NULL ||
	       vmem_backend_libvirt_set_policy(dom, config, VIR_DOMAIN_AFFECT_CONFIG, error);
}
