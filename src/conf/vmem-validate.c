/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The validation pass over the virtio-mem devices and the memory sizes of
 * a domain.  Every rule, its code and why it exists: docs/validation.md.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "vmem-domain-private.h"
#include "vmem-size.h"
#include "vmem-validate-private.h"

/* Above this block size, unplug gets coarse: one busy page pins a block. */
#define VMEM_BLOCK_LARGE_KIB (128 * 1024)
/* From this device size on, the hints for large devices apply. */
#define VMEM_DEVICE_LARGE_KIB (G_GUINT64_CONSTANT(32) * 1024 * 1024)

/*
 * What the rules look up, computed once per domain so that the pass stays
 * fast on hostile input with many devices and cells (no rule compares all
 * pairs of devices).
 */
typedef struct {
	GHashTable *cells;	   /* cell id -> VmemNumaCell */
	GHashTable *first_on_node; /* node -> the first VmemMemoryDef on it */
	/* by position: an earlier device whose address range overlaps, or NULL */
	const VmemMemoryDef **overlaps;
} VmemValidateContext;

static gboolean
vmem_validate_has_target_child(const VmemMemoryDef *dev, const char *name)
{
	return vmem_xml_child(vmem_xml_child(dev->element, "target", NULL), name, NULL) != NULL;
}

static char *
vmem_validate_where(const VmemMemoryDef *dev, const char *what)
{
	return g_strdup_printf("%s/%s", dev->location, what);
}

static void
vmem_validate_block(const VmemDomainDef *domain, const VmemMemoryDef *dev, GPtrArray *findings)
{
	g_autofree char *where = vmem_validate_where(dev, "target/block");
	g_autofree char *block = vmem_size_format_kib(dev->block_kib);
	guint64 page_kib = vmem_domain_def_get_backing_page_kib(domain, dev);
	g_autofree char *page = vmem_size_format_kib(page_kib);

	if (!dev->has_block) {
		if (!vmem_validate_has_target_child(dev, "block"))
			vmem_findings_add(
				findings, VMEM_SEVERITY_ERROR, "block-missing", where,
				/* TRANSLATORS: <block> is XML, keep it */
				_("The virtio-mem device has no <block>; libvirt requires "
				  "one. Use 2 MiB, the transparent huge page size."));
		return;
	}
	if (!vmem_size_is_power_of_two(dev->block_kib)) {
		vmem_findings_add(findings, VMEM_SEVERITY_ERROR, "block-not-power-of-two", where,
				  /* TRANSLATORS: %s is a size such as "3 MiB" */
				  _("The block size %s is not a power of two; use 2 MiB or another "
				    "power of two."),
				  block);
		return;
	}
	if (dev->block_kib < VMEM_THP_KIB) {
		vmem_findings_add(findings, VMEM_SEVERITY_ERROR, "block-too-small", where,
				  /* TRANSLATORS: %s is a size such as "1 MiB" */
				  _("The block size %s is below the transparent huge page size; "
				    "use at least 2 MiB."),
				  block);
		return;
	}
	if (dev->block_kib < page_kib)
		vmem_findings_add(findings, VMEM_SEVERITY_ERROR, "block-below-page-size", where,
				  /* TRANSLATORS: %1$s is the block size, %2$s the page size, both
				   * sizes such as "2 MiB" */
				  _("The block size %1$s is below the page size %2$s backing the "
				    "device; use a block of at least %2$s."),
				  block, page);
	/* a block as large as the huge pages backing it cannot be smaller */
	if (dev->block_kib > VMEM_BLOCK_LARGE_KIB && dev->block_kib > page_kib)
		vmem_findings_add(findings, VMEM_SEVERITY_WARNING, "block-large", where,
				  /* TRANSLATORS: %s is a size such as "256 MiB" */
				  _("The block size %s makes unplug coarse: a single page in use "
				    "keeps a whole block plugged. Use at most 128 MiB."),
				  block);
}

static gboolean
vmem_validate_block_ok(const VmemMemoryDef *dev)
{
	return dev->has_block && vmem_size_is_power_of_two(dev->block_kib);
}

static void
vmem_validate_sizes(const VmemMemoryDef *dev, GPtrArray *findings)
{
	g_autofree char *block = vmem_size_format_kib(dev->block_kib);
	g_autofree char *size = vmem_size_format_kib(dev->size_kib);

	if (!dev->has_size) {
		g_autofree char *where = vmem_validate_where(dev, "target/size");

		if (!vmem_validate_has_target_child(dev, "size"))
			vmem_findings_add(findings, VMEM_SEVERITY_ERROR, "size-missing", where,
					  /* TRANSLATORS: <size> is XML, keep it */
					  _("The virtio-mem device has no <size>; give the largest "
					    "size the device may grow to."));
		return;
	}
	if (vmem_validate_block_ok(dev) && dev->size_kib % dev->block_kib != 0) {
		g_autofree char *where = vmem_validate_where(dev, "target/size");
		guint64 up_kib = 0;

		if (vmem_size_align_up(dev->size_kib, dev->block_kib, VMEM_SIZE_MAX_KIB, &up_kib)) {
			g_autofree char *up = vmem_size_format_kib(up_kib);

			vmem_findings_add(
				findings, VMEM_SEVERITY_WARNING, "size-unaligned", where,
				/* TRANSLATORS: %1$s is the size, %2$s the block size, %3$s the
				 * size rounded up; all are sizes such as "1 GiB" */
				_("The size %1$s is not a multiple of the block size %2$s; it "
				  "will be rounded up to %3$s."),
				size, block, up);
		} else {
			/* the next whole block is past the largest size (or 2^64) */
			g_autofree char *largest = vmem_size_format_kib(VMEM_SIZE_MAX_KIB);
			g_autofree char *down = vmem_size_format_kib(
				dev->size_kib - dev->size_kib % dev->block_kib);

			vmem_findings_add(
				findings, VMEM_SEVERITY_WARNING, "size-unaligned", where,
				/* TRANSLATORS: %1$s is the size, %2$s the block size, %3$s the
				 * largest size allowed, %4$s the size rounded down; all are
				 * sizes such as "1 GiB" */
				_("The size %1$s is not a multiple of the block size %2$s, and "
				  "rounded up it would be more than the largest size allowed "
				  "(%3$s); use %4$s."),
				size, block, largest, down);
		}
	}
	if (dev->has_requested) {
		g_autofree char *where = vmem_validate_where(dev, "target/requested");
		g_autofree char *requested = vmem_size_format_kib(dev->requested_kib);

		if (dev->requested_kib > dev->size_kib)
			vmem_findings_add(
				findings, VMEM_SEVERITY_ERROR, "requested-too-large", where,
				/* TRANSLATORS: %1$s is the requested size, %2$s the
				 * device size, both sizes such as "2 GiB" */
				_("The requested size %1$s is larger than the device size "
				  "%2$s; request at most %2$s."),
				requested, size);
		if (vmem_validate_block_ok(dev) && dev->requested_kib % dev->block_kib != 0)
			vmem_findings_add(
				findings, VMEM_SEVERITY_ERROR, "requested-unaligned", where,
				/* TRANSLATORS: %1$s is the requested size, %2$s the block size,
				 * both sizes such as "2 MiB" */
				_("The requested size %1$s is not a multiple of the block size %2$s."),
				requested, block);
	}
	if (dev->has_current && dev->current_kib > dev->size_kib) {
		g_autofree char *where = vmem_validate_where(dev, "target/current");
		g_autofree char *current = vmem_size_format_kib(dev->current_kib);

		vmem_findings_add(
			findings, VMEM_SEVERITY_ERROR, "current-too-large", where,
			/* TRANSLATORS: %1$s is the plugged size, %2$s the device size,
			 * both sizes such as "2 GiB" */
			_("The current (plugged) size %1$s is larger than the device size "
			  "%2$s, which no device can report."),
			current, size);
	}
}

static void
vmem_validate_node(const VmemDomainDef *domain, const VmemValidateContext *ctx,
		   const VmemMemoryDef *dev, GPtrArray *findings)
{
	g_autofree char *where = vmem_validate_where(dev, "target/node");
	const VmemMemoryDef *first = NULL;
	gboolean has_cell;

	if (dev->node < 0) {
		if (domain->cells->len > 0 && !vmem_validate_has_target_child(dev, "node"))
			vmem_findings_add(
				findings, VMEM_SEVERITY_ERROR, "node-missing", where,
				/* TRANSLATORS: <node> is XML, %u the number of cells */
				ngettext("The guest has %u NUMA cell, so the virtio-mem "
					 "device needs a <node>; use the cell's id.",
					 "The guest has %u NUMA cells, so the virtio-mem "
					 "device needs a <node>; use one of the cell ids.",
					 domain->cells->len),
				domain->cells->len);
		return;
	}
	has_cell = g_hash_table_contains(ctx->cells, GINT_TO_POINTER(dev->node));
	if (!has_cell && domain->numa_auto) {
		vmem_findings_add(
			findings, VMEM_SEVERITY_ERROR, "node-unknown", where,
			/* TRANSLATORS: %d is a node id; <numa>, <cell> and <node>0</node>
			 * are XML */
			_("The guest has no NUMA cell %d: without <numa> cells libvirt gives "
			  "it one cell, 0, holding all boot memory. Use <node>0</node> or "
			  "define the cells."),
			dev->node);
		return;
	}
	if (!has_cell) {
		vmem_findings_add(
			findings, VMEM_SEVERITY_ERROR, "node-unknown", where,
			/* TRANSLATORS: %1$d is a node id, %2$u the number of NUMA cells;
			 * <cell> is XML */
			ngettext("The guest has no NUMA cell %1$d (it has %2$u cell); use "
				 "the id of an existing <cell>.",
				 "The guest has no NUMA cell %1$d (it has %2$u cells); use "
				 "the id of an existing <cell>.",
				 domain->cells->len),
			dev->node, domain->cells->len);
		return;
	}
	first = g_hash_table_lookup(ctx->first_on_node, GINT_TO_POINTER(dev->node));
	if (first != NULL && first != dev)
		vmem_findings_add(findings, VMEM_SEVERITY_WARNING, "node-shared", where,
				  /* TRANSLATORS: %1$d is a node id, %2$s the location of
				   * a device, such as /domain/devices/memory[1] */
				  _("Node %1$d already has the virtio-mem device %2$s; use "
				    "one device per node and resize it instead of adding "
				    "another."),
				  dev->node, first->location);
}

/* A guest physical address as domain XML writes it */
static char *
vmem_validate_format_address(guint64 address)
{
	return g_strdup_printf("0x%" G_GINT64_MODIFIER "x", address);
}

/* The end of a device's range, saturated instead of wrapping around */
static guint64
vmem_validate_range_end(const VmemMemoryDef *dev)
{
	guint64 bytes = dev->size_kib > G_MAXUINT64 / VMEM_SIZE_KIB ? G_MAXUINT64
								    : dev->size_kib * VMEM_SIZE_KIB;

	return vmem_size_add(dev->address_base, bytes);
}

static gint
vmem_validate_compare_base(gconstpointer a, gconstpointer b, gpointer user_data)
{
	GPtrArray *devices = user_data;
	guint i = *(const guint *)a, j = *(const guint *)b;
	const VmemMemoryDef *x = g_ptr_array_index(devices, i);
	const VmemMemoryDef *y = g_ptr_array_index(devices, j);

	if (x->address_base != y->address_base)
		return x->address_base < y->address_base ? -1 : 1;
	return i < j ? -1 : i > j;
}

/*
 * Finds overlapping address ranges in one sweep over the devices sorted by
 * base: a range overlaps a range before it in that order exactly when it
 * starts below the largest end so far.  Of each overlapping pair found, the
 * device later in the document names the earlier one, once.
 */
static const VmemMemoryDef **
vmem_validate_find_overlaps(const VmemDomainDef *domain)
{
	GPtrArray *devices = domain->devices;
	const VmemMemoryDef **overlaps = g_new0(const VmemMemoryDef *, devices->len + 1);
	g_autofree guint *order = g_new(guint, devices->len + 1);
	guint n = 0, widest = G_MAXUINT;

	for (guint i = 0; i < devices->len; i++) {
		const VmemMemoryDef *dev = g_ptr_array_index(devices, i);

		if (dev->has_address_base)
			order[n++] = i;
	}
	g_qsort_with_data(order, (gint)n, sizeof(guint), vmem_validate_compare_base, devices);
	for (guint k = 0; k < n; k++) {
		const VmemMemoryDef *dev = g_ptr_array_index(devices, order[k]);

		if (widest != G_MAXUINT) {
			const VmemMemoryDef *wide = g_ptr_array_index(devices, widest);
			guint later = MAX(order[k], widest), earlier = MIN(order[k], widest);

			if (dev->address_base < vmem_validate_range_end(wide) &&
			    overlaps[later] == NULL)
				overlaps[later] = g_ptr_array_index(devices, earlier);
			if (vmem_validate_range_end(dev) <= vmem_validate_range_end(wide))
				continue;
		}
		widest = order[k];
	}
	return overlaps;
}

static void
vmem_validate_address(const VmemValidateContext *ctx, const VmemMemoryDef *dev, guint position,
		      GPtrArray *findings)
{
	g_autofree char *where = vmem_validate_where(dev, "target/address/@base");
	guint64 block_bytes = dev->block_kib * VMEM_SIZE_KIB;
	guint64 end = vmem_validate_range_end(dev);
	const VmemMemoryDef *other = ctx->overlaps[position];

	if (!dev->has_address_base)
		return;
	if (vmem_validate_block_ok(dev) && dev->address_base % block_bytes != 0) {
		g_autofree char *address = vmem_validate_format_address(dev->address_base);
		g_autofree char *block = vmem_size_format_kib(dev->block_kib);

		vmem_findings_add(findings, VMEM_SEVERITY_ERROR, "address-unaligned", where,
				  /* TRANSLATORS: %1$s is an address such as 0x140000000, %2$s a
				   * size such as "2 MiB" */
				  _("The address %1$s is not aligned to the block size %2$s; use a "
				    "multiple of it."),
				  address, block);
	}
	if (other != NULL) {
		guint64 other_end = vmem_validate_range_end(other);
		g_autofree char *start_text = vmem_validate_format_address(dev->address_base);
		g_autofree char *end_text = vmem_validate_format_address(end);
		g_autofree char *other_start_text =
			vmem_validate_format_address(other->address_base);
		g_autofree char *other_end_text = vmem_validate_format_address(other_end);

		vmem_findings_add(
			findings, VMEM_SEVERITY_ERROR, "address-overlap", where,
			/* TRANSLATORS: %1$s-%2$s is the range of this device, %3$s the
			 * location of the other device, such as
			 * /domain/devices/memory[1], %4$s-%5$s its range; addresses
			 * are written like 0x140000000 */
			_("The range %1$s-%2$s overlaps the device %3$s at %4$s-%5$s; move "
			  "it past %5$s."),
			start_text, end_text, other->location, other_start_text, other_end_text);
	}
}

static void
vmem_validate_hints(const VmemDomainDef *domain, const VmemMemoryDef *dev, GPtrArray *findings)
{
	guint64 page_kib = vmem_domain_def_get_backing_page_kib(domain, dev);
	g_autofree char *size = vmem_size_format_kib(dev->size_kib);

	if (dev->size_kib < VMEM_DEVICE_LARGE_KIB)
		return;
	if (dev->dynamic_memslots != VMEM_TRISTATE_YES) {
		g_autofree char *where = vmem_validate_where(dev, "target/@dynamicMemslots");

		vmem_findings_add(findings, VMEM_SEVERITY_WARNING, "dynamic-memslots-hint", where,
				  /* TRANSLATORS: %s is a size; dynamicMemslots='yes' is XML */
				  _("The device of %s maps all of it into one memory slot even "
				    "when little is plugged; set dynamicMemslots='yes'."),
				  size);
	}
	if (page_kib <= VMEM_SYSTEM_PAGE_KIB) {
		vmem_findings_add(
			findings, VMEM_SEVERITY_WARNING, "hugepages-hint", dev->location,
			/* TRANSLATORS: %s is a size; <hugepages/> is XML */
			_("The device of %s is backed by 4 KiB pages; back it with huge pages "
			  "(<memoryBacking><hugepages/>) to cut page table overhead."),
			size);
	} else if (!domain->prealloc) {
		vmem_findings_add(
			findings, VMEM_SEVERITY_WARNING, "prealloc-hint", dev->location,
			/* TRANSLATORS: %s is a size; <allocation mode='immediate'/> is XML */
			_("The device of %s is backed by huge pages without preallocation: a plug "
			  "can crash the guest when the host runs out of huge pages. Use "
			  "<memoryBacking><allocation mode='immediate'/>."),
			size);
	}
}

static void
vmem_validate_memory(const VmemDomainDef *domain, GPtrArray *findings)
{
	guint64 devices =
		vmem_size_add(vmem_domain_def_get_virtio_mem_kib(domain), domain->other_memory_kib);
	guint64 total = vmem_size_add(vmem_domain_def_get_initial_kib(domain), devices);
	gboolean any_device = domain->devices->len + domain->n_other_memory > 0;
	/* the cell libvirt adds is sized from <memory>, which these rules check */
	gboolean no_cells = domain->cells->len == 0 || domain->numa_auto;

	if (no_cells && !domain->has_memory) {
		vmem_findings_add(findings, VMEM_SEVERITY_ERROR, "memory-missing", "/domain/memory",
				  /* TRANSLATORS: <memory> and <cell> are XML */
				  _("The domain has neither <memory> nor NUMA cells with memory; "
				    "give its memory size."));
	} else if (no_cells && domain->memory_kib <= devices) {
		g_autofree char *memory = vmem_size_format_kib(domain->memory_kib);
		g_autofree char *sum = vmem_size_format_kib(devices);

		vmem_findings_add(findings, VMEM_SEVERITY_ERROR, "memory-too-small",
				  "/domain/memory",
				  /* TRANSLATORS: %1$s is the size in <memory>, %2$s the size of
				   * all memory devices together; <memory> is XML */
				  _("Without NUMA cells <memory> counts boot memory plus memory "
				    "devices, but %1$s leaves nothing to boot after the devices' "
				    "%2$s; set it to the boot memory plus %2$s."),
				  memory, sum);
	}
	if (!any_device)
		return;
	if (total > VMEM_SIZE_MAX_KIB) {
		g_autofree char *need = vmem_size_format_kib(total);
		g_autofree char *largest = vmem_size_format_kib(VMEM_SIZE_MAX_KIB);

		vmem_findings_add(
			findings, VMEM_SEVERITY_ERROR,
			domain->has_max_memory ? "max-memory-too-small" : "max-memory-missing",
			"/domain/maxMemory",
			/* TRANSLATORS: %1$s is the size of the boot memory and all memory
			 * devices together, %2$s the largest size allowed; <maxMemory> is XML */
			_("The boot memory plus all memory devices come to %1$s, more than any "
			  "<maxMemory> can hold (at most %2$s); make the devices smaller."),
			need, largest);
		return;
	}
	if (!domain->has_max_memory) {
		g_autofree char *need = vmem_size_format_kib(total);

		vmem_findings_add(
			findings, VMEM_SEVERITY_ERROR, "max-memory-missing", "/domain/maxMemory",
			/* TRANSLATORS: <maxMemory> is XML, %s a size */
			_("Memory devices need <maxMemory>; set it to at least %s."), need);
		return;
	}
	if (domain->max_memory_kib < total) {
		g_autofree char *max = vmem_size_format_kib(domain->max_memory_kib);
		g_autofree char *need = vmem_size_format_kib(total);

		vmem_findings_add(findings, VMEM_SEVERITY_ERROR, "max-memory-too-small",
				  "/domain/maxMemory",
				  /* TRANSLATORS: %1$s is the size in <maxMemory>, %2$s the size
				   * needed; <maxMemory> is XML */
				  _("<maxMemory> of %1$s is below the boot memory plus all memory "
				    "devices; set it to at least %2$s."),
				  max, need);
	}
}

/**
 * vmem_domain_def_validate:
 * @domain: a domain after vmem_domain_def_postparse()
 * @findings: where the findings are appended
 *
 * Checks every rule of docs/validation.md on @domain.
 */
void
vmem_domain_def_validate(const VmemDomainDef *domain, GPtrArray *findings)
{
	g_autoptr(GHashTable) cells = g_hash_table_new(NULL, NULL);
	g_autoptr(GHashTable) first_on_node = g_hash_table_new(NULL, NULL);
	g_autofree const VmemMemoryDef **overlaps = vmem_validate_find_overlaps(domain);
	VmemValidateContext ctx = {cells, first_on_node, overlaps};

	for (guint i = 0; i < domain->cells->len; i++) {
		VmemNumaCell *cell = &g_array_index(domain->cells, VmemNumaCell, i);

		if (!g_hash_table_contains(cells, GUINT_TO_POINTER(cell->id)))
			g_hash_table_insert(cells, GUINT_TO_POINTER(cell->id), cell);
	}
	for (guint i = 0; i < domain->devices->len; i++) {
		VmemMemoryDef *dev = g_ptr_array_index(domain->devices, i);

		if (dev->node >= 0 &&
		    !g_hash_table_contains(first_on_node, GINT_TO_POINTER(dev->node)))
			g_hash_table_insert(first_on_node, GINT_TO_POINTER(dev->node), dev);
	}
	vmem_validate_memory(domain, findings);
	for (guint i = 0; i < domain->devices->len; i++) {
		const VmemMemoryDef *dev = g_ptr_array_index(domain->devices, i);

		vmem_validate_block(domain, dev, findings);
		vmem_validate_sizes(dev, findings);
		vmem_validate_node(domain, &ctx, dev, findings);
		vmem_validate_address(&ctx, dev, i, findings);
		vmem_validate_hints(domain, dev, findings);
	}
	vmem_validate_policy_namespace(domain, findings);
	if (domain->policy != NULL)
		vmem_validate_policy(domain, findings);
}

/**
 * vmem_validate_xml:
 * @xml: domain XML
 * @len: its length in bytes
 * @findings: where malformed values and broken rules are appended
 * @error: return location for a %VMEM_ERROR_INVALID_DATA error
 *
 * Runs all passes: parse, defaults, validate.
 *
 * Returns: (transfer full): the domain with defaults filled in, or %NULL
 *   when @xml is not well-formed or not a domain
 */
VmemDomainDef *
vmem_validate_xml(const char *xml, gsize len, GPtrArray *findings, GError **error)
{
	VmemDomainDef *domain = vmem_domain_def_parse(xml, len, findings, error);

	if (domain == NULL)
		return NULL;
	vmem_domain_def_postparse(domain);
	vmem_domain_def_validate(domain, findings);
	return domain;
}
