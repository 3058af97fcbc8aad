/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guest's view of its virtio-mem devices: the `System RAM (virtio_mem)`
 * resources of /proc/iomem, grouped by their parent device resource, mapped
 * to the memory blocks of /sys/devices/system/memory/ and counted by state
 * and zone.  Only blocks online in ZONE_MOVABLE can reliably be unplugged.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "vma-system.h"

#define VMA_DEVICES_MAX 32

typedef struct {
	char name[VMA_NAME_MAX]; /* "virtio5"; "" if the parent is unknown */
	uint64_t start;		 /* device region, physical address */
	uint64_t size;		 /* device region size in bytes */
	uint64_t blocks;	 /* memory blocks added to Linux */
	uint64_t movable;	 /* ... online in ZONE_MOVABLE */
	uint64_t normal;	 /* ... online in a kernel zone (Normal, DMA32) */
	uint64_t offline;	 /* ... added but offline */
	uint64_t other;		 /* ... in a transient or unreadable state */
} VmaDevice;

typedef struct {
	uint64_t block_size; /* block_size_bytes, 0 if unknown */
	unsigned int n_devices;
	VmaDevice devices[VMA_DEVICES_MAX];
} VmaBlocks;

/**
 * vma_blocks_read:
 * @root: the root directory, "/" in a real guest
 * @system: facts from vma_system_read(): the devices bound to virtio_mem
 * @ret_blocks: the devices and their block counts.  Always written; no
 *   devices when /proc/iomem is unreadable or hides addresses (not root).
 *
 * Returns: false when /proc/iomem or block_size_bytes could not be read.
 */
bool vma_blocks_read(const char *root, const VmaSystem *system, VmaBlocks *ret_blocks);
