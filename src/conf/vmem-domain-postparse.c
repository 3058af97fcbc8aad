/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The defaults pass: what libvirt fills in after parsing (a missing
 * <requested> is 0, <memory> is recomputed from the NUMA cells, the NUMA
 * cell it adds for memory hotplug), and the defaults of the virtmem policy.
 */
#include "config.h"

#include "vmem-domain-private.h"
#include "vmem-size.h"

/* Whether the domain can have memory devices: libvirt's
 * virDomainDefHasMemoryHotplug(), a <maxMemory> with a size or slots. */
static gboolean
vmem_domain_postparse_has_memory_hotplug(const VmemDomainDef *domain)
{
	return (domain->has_max_memory && domain->max_memory_kib > 0) ||
	       (domain->has_max_memory_slots && domain->max_memory_slots > 0);
}

/*
 * libvirt's qemuDomainDefNumaAutoAdd() (src/qemu/qemu_domain.c), run when a
 * domain is defined: memory hotplug without NUMA cells gets one cell 0
 * holding the boot memory (<memory> minus all memory devices), and every
 * memory device without <node> is put on it.  Memory devices need a NUMA
 * node in QEMU.  libvirt leaves s390-ccw machines alone.  When the devices
 * leave no boot memory the cell is empty: libvirt refuses such a domain,
 * and so does the memory-too-small rule.
 */
static void
vmem_domain_postparse_numa_auto(VmemDomainDef *domain)
{
	guint64 devices =
		vmem_size_add(vmem_domain_def_get_virtio_mem_kib(domain), domain->other_memory_kib);
	VmemNumaCell cell = {0, 0};

	if (domain->cells->len > 0 || !vmem_domain_postparse_has_memory_hotplug(domain) ||
	    g_str_has_prefix(domain->machine != NULL ? domain->machine : "", "s390-ccw"))
		return;
	if (domain->has_memory && domain->memory_kib > devices)
		cell.memory_kib = domain->memory_kib - devices;
	g_array_append_val(domain->cells, cell);
	domain->numa_auto = TRUE;
	for (guint i = 0; i < domain->devices->len; i++) {
		VmemMemoryDef *dev = g_ptr_array_index(domain->devices, i);

		if (dev->node < 0)
			dev->node = 0;
	}
}

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
		domain->memory_kib =
			vmem_size_add(vmem_size_add(vmem_domain_def_get_initial_kib(domain),
						    vmem_domain_def_get_virtio_mem_kib(domain)),
				      domain->other_memory_kib);
		domain->has_memory = TRUE;
	} else {
		vmem_domain_postparse_numa_auto(domain);
	}
	if (domain->policy != NULL)
		vmem_policy_def_postparse(domain->policy,
					  vmem_domain_def_get_virtio_mem_kib(domain),
					  vmem_domain_def_get_largest_block_kib(domain));
}
