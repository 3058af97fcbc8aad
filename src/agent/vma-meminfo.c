/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vma-meminfo.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "vma-util.h"

#define VMA_MEMINFO_REQUIRED 3

typedef struct {
	const char *name;
	size_t offset;
} VmaMeminfoField;

static const VmaMeminfoField vma_meminfo_fields[] = {
	/* The required ones first: see VMA_MEMINFO_REQUIRED. */
	{"MemTotal", offsetof(VmaMeminfo, total_kib)},
	{"MemFree", offsetof(VmaMeminfo, free_kib)},
	{"MemAvailable", offsetof(VmaMeminfo, available_kib)},
	{"Cached", offsetof(VmaMeminfo, cached_kib)},
	{"SwapTotal", offsetof(VmaMeminfo, swap_total_kib)},
	{"SwapFree", offsetof(VmaMeminfo, swap_free_kib)},
};

bool
vma_meminfo_parse(const char *text, VmaMeminfo *ret_info)
{
	VmaMeminfo info = {0};
	unsigned int found = 0;
	const char *line = text;

	while (line != NULL && *line != '\0') {
		const char *colon = strchr(line, ':');
		const char *eol = strchr(line, '\n');

		if (colon != NULL && (eol == NULL || colon < eol)) {
			size_t len = (size_t)(colon - line);

			for (size_t i = 0;
			     i < sizeof(vma_meminfo_fields) / sizeof(vma_meminfo_fields[0]); i++) {
				const VmaMeminfoField *f = &vma_meminfo_fields[i];
				char *end = NULL;
				unsigned long long v;

				if (strlen(f->name) != len || strncmp(line, f->name, len) != 0)
					continue;
				v = strtoull(colon + 1, &end, 10);
				if (end == colon + 1)
					break;
				*(uint64_t *)((char *)&info + f->offset) = v;
				if (i < VMA_MEMINFO_REQUIRED)
					found |= 1u << i;
				break;
			}
		}
		line = eol != NULL ? eol + 1 : NULL;
	}
	if (found != (1u << VMA_MEMINFO_REQUIRED) - 1)
		return false;
	*ret_info = info;
	return true;
}

bool
vma_meminfo_read(const char *root, VmaMeminfo *ret_info)
{
	char buf[8192];

	if (vma_read_file_kept(root, "/proc/meminfo", buf, sizeof(buf)) <= 0)
		return false;
	return vma_meminfo_parse(buf, ret_info);
}
