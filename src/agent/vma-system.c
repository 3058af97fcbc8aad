/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vma-system.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vma-util.h"

#define VMA_DRIVER_DIR "/sys/bus/virtio/drivers/virtio_mem"
#define VMA_HOTPLUG_PARAMETERS "/sys/module/memory_hotplug/parameters"

static int
vma_system_compare_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
vma_system_read_driver(const char *root, VmaSystem *system)
{
	char path[PATH_MAX];
	struct dirent *ent;
	DIR *dir;

	snprintf(path, sizeof(path), "%s%s", strcmp(root, "/") == 0 ? "" : root, VMA_DRIVER_DIR);
	dir = opendir(path);
	if (dir == NULL)
		return;
	system->driver_loaded = true;
	while ((ent = readdir(dir)) != NULL && system->n_driver_devices < VMA_DRIVER_DEVICES_MAX) {
		if (strncmp(ent->d_name, "virtio", 6) != 0 || strlen(ent->d_name) >= VMA_NAME_MAX)
			continue;
		strcpy(system->driver_devices[system->n_driver_devices++], ent->d_name);
	}
	closedir(dir);
	qsort(system->driver_devices, system->n_driver_devices, VMA_NAME_MAX,
	      vma_system_compare_names);
}

void
vma_system_read(const char *root, VmaSystem *ret_system)
{
	VmaSystem system = {0};

	if (!vma_read_word(root, "/proc/sys/kernel/osrelease", system.kernel,
			   sizeof(system.kernel)))
		system.kernel[0] = '\0';
	vma_system_read_driver(root, &system);
	if (!vma_read_word(root, "/sys/devices/system/memory/auto_online_blocks",
			   system.auto_online_blocks, sizeof(system.auto_online_blocks)))
		system.auto_online_blocks[0] = '\0';
	if (!vma_read_word(root, VMA_HOTPLUG_PARAMETERS "/memmap_on_memory",
			   system.memmap_on_memory, sizeof(system.memmap_on_memory)))
		system.memmap_on_memory[0] = '\0';
	if (!vma_read_word(root, VMA_HOTPLUG_PARAMETERS "/online_policy", system.online_policy,
			   sizeof(system.online_policy)))
		system.online_policy[0] = '\0';
	system.have_auto_movable_ratio = vma_read_u64(
		root, VMA_HOTPLUG_PARAMETERS "/auto_movable_ratio", 10, &system.auto_movable_ratio);
	*ret_system = system;
}

bool
vma_system_has_device(const VmaSystem *system, const char *name)
{
	for (unsigned int i = 0; i < system->n_driver_devices; i++)
		if (strcmp(system->driver_devices[i], name) == 0)
			return true;
	return false;
}
