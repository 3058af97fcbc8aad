/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vma-blocks.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "vma-util.h"

#define VMA_IOMEM_DEPTH_MAX 8
#define VMA_VIRTIO_MEM_RAM "System RAM (virtio_mem)"
/* More blocks than any range can have (128 TiB of 128 MiB blocks): a bound
 * on the work per range, whatever /proc/iomem says. */
#define VMA_RANGE_BLOCKS_MAX (1u << 20)

typedef struct {
	uint64_t start;
	uint64_t end;
	char name[VMA_NAME_MAX];
} VmaResource;

/* "  140000000-147ffffff : System RAM (virtio_mem)": two spaces a level. */
static bool
vma_blocks_parse_iomem_line(const char *line, unsigned int *ret_depth, VmaResource *ret_res)
{
	VmaResource res = {0};
	unsigned long long start, end;
	unsigned int spaces = 0;
	const char *name;
	size_t len;
	int consumed = 0;

	while (line[spaces] == ' ')
		spaces++;
	if (sscanf(line + spaces, "%llx-%llx :%n", &start, &end, &consumed) != 2 || consumed == 0)
		return false;
	name = line + spaces + consumed;
	while (*name == ' ')
		name++;
	len = strcspn(name, "\n");
	if (len >= sizeof(res.name))
		len = sizeof(res.name) - 1;
	memcpy(res.name, name, len);
	res.start = start;
	res.end = end;
	*ret_depth = spaces / 2;
	*ret_res = res;
	return true;
}

static VmaDevice *
vma_blocks_device_for(VmaBlocks *blocks, const VmaResource *parent)
{
	VmaDevice *dev;

	for (unsigned int i = 0; i < blocks->n_devices; i++)
		if (blocks->devices[i].start == parent->start)
			return &blocks->devices[i];
	if (blocks->n_devices == VMA_DEVICES_MAX)
		return NULL;
	dev = &blocks->devices[blocks->n_devices++];
	memset(dev, 0, sizeof(*dev));
	memcpy(dev->name, parent->name, sizeof(dev->name));
	dev->start = parent->start;
	dev->size = parent->end - parent->start + 1;
	return dev;
}

static void
vma_blocks_count(const char *root, uint64_t block_size, const VmaResource *range, VmaDevice *dev)
{
	uint64_t first = range->start - range->start % block_size;
	uint64_t n = 0;

	for (uint64_t addr = first; addr <= range->end && addr >= first && n < VMA_RANGE_BLOCKS_MAX;
	     addr += block_size, n++) {
		unsigned long long id = addr / block_size;
		char path[96], state[32], zone[32];

		dev->blocks++;
		snprintf(path, sizeof(path), "/sys/devices/system/memory/memory%llu/state", id);
		if (!vma_read_word(root, path, state, sizeof(state))) {
			dev->other++;
			continue;
		}
		if (strcmp(state, "offline") == 0) {
			dev->offline++;
			continue;
		}
		snprintf(path, sizeof(path), "/sys/devices/system/memory/memory%llu/valid_zones",
			 id);
		if (strcmp(state, "online") != 0 || !vma_read_word(root, path, zone, sizeof(zone)))
			dev->other++;
		else if (strcmp(zone, "Movable") == 0)
			dev->movable++;
		else
			dev->normal++;
	}
}

bool
vma_blocks_read(const char *root, const VmaSystem *system, VmaBlocks *ret_blocks)
{
	VmaBlocks blocks;
	VmaResource stack[VMA_IOMEM_DEPTH_MAX];
	char path[PATH_MAX];
	char line[256];
	FILE *f;

	memset(&blocks, 0, sizeof(blocks));
	*ret_blocks = blocks;
	if (!vma_read_u64(root, "/sys/devices/system/memory/block_size_bytes", 16,
			  &blocks.block_size) ||
	    blocks.block_size == 0)
		return false;
	snprintf(path, sizeof(path), "%s/proc/iomem", strcmp(root, "/") == 0 ? "" : root);
	f = fopen(path, "re");
	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned int depth;
		VmaResource res;
		VmaDevice *dev;

		if (strchr(line, '\n') == NULL) {
			int c;

			/* Not ours (our names are short): skip the rest. */
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
		}
		if (!vma_blocks_parse_iomem_line(line, &depth, &res) ||
		    depth >= VMA_IOMEM_DEPTH_MAX)
			continue;
		stack[depth] = res;
		/* Addresses read as 0 without CAP_SYS_ADMIN: nothing to map. */
		if (res.end == 0)
			continue;
		if (depth == 0 && vma_system_has_device(system, res.name)) {
			vma_blocks_device_for(&blocks, &res);
			continue;
		}
		if (strcmp(res.name, VMA_VIRTIO_MEM_RAM) != 0)
			continue;
		dev = vma_blocks_device_for(&blocks, depth > 0 ? &stack[depth - 1] : &res);
		if (dev != NULL)
			vma_blocks_count(root, blocks.block_size, &res, dev);
	}
	fclose(f);
	*ret_blocks = blocks;
	return true;
}
