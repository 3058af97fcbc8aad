/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The domain model: ownership and the sums the rules are built on.
 */
#include "config.h"

#include "vmem-domain-private.h"
#include "vmem-nodeset.h"
#include "vmem-size.h"

/**
 * vmem_memory_def_free:
 * @dev: a device
 *
 * Frees @dev.
 */
void
vmem_memory_def_free(VmemMemoryDef *dev)
{
	g_free(dev->location);
	g_free(dev->access);
	g_free(dev->discard);
	g_free(dev->nodemask);
	g_free(dev->alias);
	g_clear_pointer(&dev->pci_address, xmlFreeNode);
	g_free(dev);
}

static void
vmem_hugepage_free(VmemHugepage *page)
{
	g_free(page->nodeset);
	g_clear_pointer(&page->nodes, g_array_unref);
	g_free(page);
}

/**
 * vmem_domain_def_new:
 * @doc: (transfer full): the parsed document
 *
 * Returns: (transfer full): an empty domain owning @doc
 */
VmemDomainDef *
vmem_domain_def_new(xmlDoc *doc)
{
	VmemDomainDef *domain = g_new0(VmemDomainDef, 1);

	domain->doc = doc;
	domain->cells = g_array_new(FALSE, TRUE, sizeof(VmemNumaCell));
	domain->hugepage_list = g_ptr_array_new_with_free_func((GDestroyNotify)vmem_hugepage_free);
	domain->devices = g_ptr_array_new_with_free_func((GDestroyNotify)vmem_memory_def_free);
	return domain;
}

/**
 * vmem_domain_def_free:
 * @domain: (nullable): a domain
 *
 * Frees @domain and its document.
 */
void
vmem_domain_def_free(VmemDomainDef *domain)
{
	if (domain == NULL)
		return;
	g_free(domain->name);
	g_free(domain->arch);
	g_free(domain->machine);
	g_array_unref(domain->cells);
	g_ptr_array_unref(domain->hugepage_list);
	g_ptr_array_unref(domain->devices);
	vmem_policy_def_free(domain->policy);
	g_clear_pointer(&domain->doc, xmlFreeDoc);
	g_free(domain);
}

/**
 * vmem_domain_def_get_virtio_mem_kib:
 * @domain: a domain
 *
 * Returns: the summed size of all virtio-mem devices, in KiB
 */
guint64
vmem_domain_def_get_virtio_mem_kib(const VmemDomainDef *domain)
{
	guint64 sum = 0;

	for (guint i = 0; i < domain->devices->len; i++) {
		const VmemMemoryDef *dev = g_ptr_array_index(domain->devices, i);

		sum = vmem_size_add(sum, dev->size_kib);
	}
	return sum;
}

/**
 * vmem_domain_def_get_initial_kib:
 * @domain: a domain
 *
 * The boot memory without memory devices, computed as libvirt does: the
 * sum of the NUMA cells, or else `<memory>` minus all memory devices
 * (0 when the devices do not fit).
 *
 * Returns: the size in KiB
 */
guint64
vmem_domain_def_get_initial_kib(const VmemDomainDef *domain)
{
	guint64 devices =
		vmem_size_add(vmem_domain_def_get_virtio_mem_kib(domain), domain->other_memory_kib);
	guint64 sum = 0;

	if (domain->cells->len > 0) {
		for (guint i = 0; i < domain->cells->len; i++)
			sum = vmem_size_add(
				sum, g_array_index(domain->cells, VmemNumaCell, i).memory_kib);
		return sum;
	}
	if (domain->memory_kib <= devices)
		return 0;
	return domain->memory_kib - devices;
}

/**
 * vmem_domain_def_get_largest_block_kib:
 * @domain: a domain
 *
 * Returns: the largest block size among the virtio-mem devices, or 0
 */
guint64
vmem_domain_def_get_largest_block_kib(const VmemDomainDef *domain)
{
	guint64 block = 0;

	for (guint i = 0; i < domain->devices->len; i++) {
		const VmemMemoryDef *dev = g_ptr_array_index(domain->devices, i);

		block = MAX(block, dev->block_kib);
	}
	return block;
}

/**
 * vmem_domain_def_get_backing_page_kib:
 * @domain: a domain
 * @dev: one of its virtio-mem devices
 *
 * The page size backing @dev: `<source><pagesize>`, else the huge page of
 * `<memoryBacking>` that covers its node (2 MiB when no size is given),
 * else the 4 KiB system page.  A page whose node set is malformed covers
 * no node (the parse pass reported it).
 *
 * Returns: the page size in KiB
 */
guint64
vmem_domain_def_get_backing_page_kib(const VmemDomainDef *domain, const VmemMemoryDef *dev)
{
	if (dev->has_pagesize && dev->pagesize_kib != 0)
		return dev->pagesize_kib;
	if (!domain->hugepages)
		return VMEM_SYSTEM_PAGE_KIB;
	for (guint i = 0; i < domain->hugepage_list->len; i++) {
		const VmemHugepage *page = g_ptr_array_index(domain->hugepage_list, i);

		if (page->nodeset == NULL || (dev->node >= 0 && page->nodes != NULL &&
					      vmem_nodeset_contains(page->nodes, (guint)dev->node)))
			return page->size_kib != 0 ? page->size_kib : VMEM_THP_KIB;
	}
	return VMEM_THP_KIB;
}

/**
 * vmem_domain_def_find_cell:
 * @domain: a domain
 * @id: a NUMA cell id
 *
 * Returns: (nullable): the cell, or %NULL
 */
const VmemNumaCell *
vmem_domain_def_find_cell(const VmemDomainDef *domain, guint id)
{
	for (guint i = 0; i < domain->cells->len; i++) {
		const VmemNumaCell *cell = &g_array_index(domain->cells, VmemNumaCell, i);

		if (cell->id == id)
			return cell;
	}
	return NULL;
}
