/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The rules of the virtmem policy, which need the domain: its virtio-mem
 * devices, their block size and the agent channel.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "vmem-domain-private.h"
#include "vmem-size.h"
#include "vmem-validate-private.h"

#define POLICY_PATH "/domain/metadata/virtmem:policy"
#define VMEM_POLICY_MAX_BUFFER 90
#define VMEM_POLICY_MIN_PRIORITY 1
#define VMEM_POLICY_MAX_PRIORITY 10

static void
vmem_validate_policy_aligned(const char *name, guint64 kib, guint64 block_kib, gboolean up,
			     GPtrArray *findings)
{
	g_autofree char *where = NULL;
	g_autofree char *value = NULL;
	g_autofree char *block = NULL;
	g_autofree char *rounded = NULL;

	if (block_kib == 0 || kib % block_kib == 0)
		return;
	where = g_strdup_printf(POLICY_PATH "/virtmem:%s", name);
	value = vmem_size_format_kib(kib);
	block = vmem_size_format_kib(block_kib);
	rounded = vmem_size_format_kib(up ? kib + block_kib - kib % block_kib
					  : kib - kib % block_kib);
	vmem_findings_add(findings, VMEM_SEVERITY_WARNING, "policy-unaligned", where,
			  /* TRANSLATORS: %s sizes: the value, the block, the rounded value */
			  _("%s is not a multiple of the block size %s; virtmem uses %s."), value,
			  block, rounded);
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
		vmem_findings_add(findings, VMEM_SEVERITY_ERROR, "policy-min-above-max",
				  POLICY_PATH "/virtmem:min",
				  /* TRANSLATORS: both %s are sizes */
				  _("The policy minimum %s is above its maximum %s; use a minimum "
				    "of at most %s."),
				  min, max, max);
	if (policy->max_kib > total)
		vmem_findings_add(findings, VMEM_SEVERITY_ERROR, "policy-max-above-total",
				  POLICY_PATH "/virtmem:max",
				  /* TRANSLATORS: both %s are sizes */
				  _("The policy maximum %s is more than the virtio-mem devices can "
				    "hold (%s); use at most %s or grow the devices."),
				  max, all, all);
	if (policy->step_kib == 0)
		vmem_findings_add(findings, VMEM_SEVERITY_ERROR, "policy-step-zero",
				  POLICY_PATH "/virtmem:step",
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
					  POLICY_PATH "/@mode",
					  /* TRANSLATORS: %s is a policy mode; mode='off' is XML */
					  _("The policy mode is %s but the domain has no "
					    "virtio-mem device to "
					    "resize; add one or set mode='off'."),
					  vmem_policy_mode_to_string(policy->mode));
		return;
	}
	vmem_validate_policy_sizes(domain, policy, findings);
	if (policy->buffer_percent > VMEM_POLICY_MAX_BUFFER)
		vmem_findings_add(
			findings, VMEM_SEVERITY_ERROR, "policy-buffer-range",
			POLICY_PATH "/virtmem:buffer/@percent",
			/* TRANSLATORS: %u is a percentage, the % must stay as %% */
			_("A buffer of %u %% of guest memory is out of range; use 0 to 90 %%."),
			policy->buffer_percent);
	if (policy->priority < VMEM_POLICY_MIN_PRIORITY ||
	    policy->priority > VMEM_POLICY_MAX_PRIORITY)
		vmem_findings_add(findings, VMEM_SEVERITY_ERROR, "policy-priority-range",
				  POLICY_PATH "/virtmem:priority",
				  /* TRANSLATORS: %u is a number */
				  _("The priority %u is out of range; use 1 (gives memory back "
				    "first) to 10 (keeps it longest)."),
				  policy->priority);
	if (policy->mode == VMEM_POLICY_MODE_AUTO && !domain->has_agent_channel)
		vmem_findings_add(
			findings, VMEM_SEVERITY_WARNING, "policy-no-agent", POLICY_PATH "/@mode",
			/* TRANSLATORS: %s is a channel name such as org.virtmem.agent.0 */
			_("Mode auto without the agent channel %s falls back to balloon "
			  "statistics, "
			  "which react later; add the channel."),
			VMEM_AGENT_CHANNEL);
}
