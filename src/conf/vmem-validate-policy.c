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
	where = g_strdup_printf(VMEM_POLICY_LOCATION "/virtmem:%s", name);
	value = vmem_size_format_kib(kib);
	block = vmem_size_format_kib(block_kib);
	rounded = vmem_size_format_kib(up ? kib + block_kib - kib % block_kib
					  : kib - kib % block_kib);
	vmem_findings_add(findings, VMEM_SEVERITY_WARNING, "policy-unaligned", where,
			  /* TRANSLATORS: %1$s is the policy value, %2$s the block size, %3$s
			   * the value rounded to whole blocks; all are sizes such as "2 MiB" */
			  _("%1$s is not a multiple of the block size %2$s; virtmem uses %3$s."),
			  value, block, rounded);
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
