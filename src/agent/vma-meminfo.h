/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guest's /proc/meminfo: the fields the host needs to size a guest. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct {
	uint64_t total_kib;
	uint64_t available_kib;
	uint64_t free_kib;
	uint64_t cached_kib;
	uint64_t swap_total_kib;
	uint64_t swap_free_kib;
} VmaMeminfo;

/**
 * vma_meminfo_read:
 * @root: the root directory, "/" in a real guest
 * @ret_info: the values; not written on failure
 *
 * Reads /proc/meminfo.  MemTotal, MemFree and MemAvailable are required;
 * the other fields count as 0 when absent.
 *
 * Returns: true on success.
 */
bool vma_meminfo_read(const char *root, VmaMeminfo *ret_info);

/**
 * vma_meminfo_parse:
 * @text: the contents of /proc/meminfo
 * @ret_info: the values; not written on failure
 *
 * The parsing half of vma_meminfo_read().
 *
 * Returns: true when the required fields are present.
 */
bool vma_meminfo_parse(const char *text, VmaMeminfo *ret_info);
