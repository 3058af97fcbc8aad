/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The model of a libvirt domain as virtmem needs it: the virtio-mem
 * devices in full, the context their rules need (memory sizes, NUMA cells,
 * hugepages, the agent channel), and the virtmem policy.  Everything else
 * stays in the document untouched; other memory models are counted.
 *
 * The passes are separate, like libvirt's: vmem_domain_def_parse() (syntax,
 * values and units), vmem_domain_def_postparse(), vmem_domain_def_validate()
 * (vmem-validate.h) and vmem_domain_def_format().
 */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

#include "vmem-agent-protocol.h"
#include "vmem-policy.h"
#include "vmem-validate.h"

G_BEGIN_DECLS

/* Transparent huge page size on x86_64: the smallest virtio-mem block. */
#define VMEM_THP_KIB (2 * 1024)
/* Base page size of the host */
#define VMEM_SYSTEM_PAGE_KIB 4

typedef enum {
	VMEM_TRISTATE_ABSENT,
	VMEM_TRISTATE_YES,
	VMEM_TRISTATE_NO,
} VmemTristate;

/**
 * VmemMemoryDef:
 *
 * One `<memory model='virtio-mem'>`.  Sizes are in KiB like libvirt's;
 * `has_*` tells whether the element was given.
 */
typedef struct {
	guint index;	/* position among all <memory> devices, from 1 */
	char *location; /* /domain/devices/memory[index] */
	char *access;	/* shared | private */
	char *discard;	/* yes | no */
	gboolean has_pagesize;
	guint64 pagesize_kib;
	char *nodemask;
	VmemTristate dynamic_memslots;
	gboolean has_size, has_block, has_requested, has_current, has_address_base;
	guint64 size_kib, block_kib, requested_kib, current_kib;
	guint64 address_base; /* bytes */
	gint node;	      /* -1 when absent */
	char *alias;
	xmlNode *pci_address; /* owned copy of <address type='pci' .../> */
	xmlNode *element;     /* the element in the document */
} VmemMemoryDef;

typedef struct {
	guint id;
	guint64 memory_kib;
} VmemNumaCell;

/**
 * VmemHugepage:
 * @size_kib: the page size (0 = the default huge page size)
 * @nodeset: (nullable): the guest nodes it applies to, as written; %NULL = all
 * @nodes: (nullable) (element-type guint): @nodeset parsed (vmem-nodeset.h);
 *   %NULL without @nodeset or when it is malformed
 */
typedef struct {
	guint64 size_kib;
	char *nodeset;
	GArray *nodes;
} VmemHugepage;

struct _VmemDomainDef {
	xmlDoc *doc;
	char *name;
	char *arch;
	char *machine;
	gboolean has_memory, has_current_memory, has_max_memory, has_max_memory_slots;
	guint64 memory_kib, current_memory_kib, max_memory_kib;
	guint max_memory_slots;
	GArray *cells;		  /* VmemNumaCell */
	gboolean numa_auto;	  /* cells holds the one cell libvirt adds (postparse) */
	gboolean hugepages;	  /* <memoryBacking><hugepages> */
	GPtrArray *hugepage_list; /* VmemHugepage */
	gboolean prealloc;	  /* <memoryBacking><allocation mode='immediate'/> */
	gboolean has_agent_channel;
	GPtrArray *devices;   /* VmemMemoryDef, virtio-mem only */
	guint n_other_memory; /* dimm, nvdimm, virtio-pmem, ... */
	guint64 other_memory_kib;
	VmemPolicyDef *policy; /* NULL without a policy */
};

typedef enum {
	VMEM_DOMAIN_FORMAT_NONE = 0,
	VMEM_DOMAIN_FORMAT_LIVE = 1 << 0, /* also write live-only state (<current>) */
} VmemDomainFormatFlags;

VmemDomainDef *vmem_domain_def_parse(const char *xml, gsize len, GPtrArray *findings,
				     GError **error);
void vmem_domain_def_free(VmemDomainDef *domain);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmemDomainDef, vmem_domain_def_free)

void vmem_domain_def_postparse(VmemDomainDef *domain);
char *vmem_domain_def_format(const VmemDomainDef *domain, VmemDomainFormatFlags flags);

guint64 vmem_domain_def_get_initial_kib(const VmemDomainDef *domain);
guint64 vmem_domain_def_get_virtio_mem_kib(const VmemDomainDef *domain);
guint64 vmem_domain_def_get_largest_block_kib(const VmemDomainDef *domain);
guint64 vmem_domain_def_get_backing_page_kib(const VmemDomainDef *domain, const VmemMemoryDef *dev);
const VmemNumaCell *vmem_domain_def_find_cell(const VmemDomainDef *domain, guint id);

G_END_DECLS
