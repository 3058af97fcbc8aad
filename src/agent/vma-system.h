/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Facts about the guest kernel that decide what memory hotplug can do. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define VMA_DRIVER_DEVICES_MAX 32
#define VMA_NAME_MAX 32

typedef struct {
	char kernel[128];	       /* /proc/sys/kernel/osrelease, "" if unknown */
	bool driver_loaded;	       /* /sys/bus/virtio/drivers/virtio_mem exists */
	unsigned int n_driver_devices; /* devices bound to it */
	char driver_devices[VMA_DRIVER_DEVICES_MAX][VMA_NAME_MAX]; /* "virtio5", ... */
	char auto_online_blocks[32]; /* "online_movable", "offline", ...; "" if absent */
	char memmap_on_memory[16];   /* "Y", "N", ...; "" if absent */
	char online_policy[32];	     /* "contig-zones", "auto-movable"; "" if absent (< 5.16) */
	bool have_auto_movable_ratio;
	uint64_t auto_movable_ratio; /* the auto-movable policy's MOVABLE:KERNEL limit, % */
} VmaSystem;

/**
 * vma_system_read:
 * @root: the root directory, "/" in a real guest
 * @ret_system: the facts; missing files leave empty fields.  Always written.
 */
void vma_system_read(const char *root, VmaSystem *ret_system);

/**
 * vma_system_has_device:
 * @system: facts read by vma_system_read()
 * @name: a device name such as "virtio5"
 *
 * Returns: true when @name is bound to the virtio_mem driver.
 */
bool vma_system_has_device(const VmaSystem *system, const char *name);
