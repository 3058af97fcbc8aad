/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The defaults pass: what libvirt fills in after parsing (a missing
 * <requested> is 0, <memory> is recomputed from the NUMA cells), and the
 * defaults of the virtmem policy.
 */
#include "config.h"

#include "vmem-domain-private.h"

/**
 * vmem_domain_def_postparse:
 * @domain: a parsed domain
 *
 * Fills in defaults the way libvirt's post-parse does, so that the rules
 * and the formatted output see what libvirt would.
 */
void
vmem_domain_def_postparse(VmemDomainDef *domain)
{
	for (guint i = 0; i < domain->devices->len; i++) {
		VmemMemoryDef *dev = g_ptr_array_index(domain->devices, i);

		if (!dev->has_requested) {
			dev->requested_kib = 0;
			dev->has_requested = TRUE;
		}
	}
	if (domain->cells->len > 0) {
		domain->memory_kib = vmem_domain_def_get_initial_kib(domain) +
				     vmem_domain_def_get_virtio_mem_kib(domain) +
				     domain->other_memory_kib;
		domain->has_memory = TRUE;
	}
	if (domain->policy != NULL)
		vmem_policy_def_postparse(domain->policy,
					  vmem_domain_def_get_virtio_mem_kib(domain),
					  vmem_domain_def_get_largest_block_kib(domain));
}
