/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vma-psi.h"

#include "vma-util.h"

void
vma_psi_read(const char *root, VmemPsi *ret_psi)
{
	char buf[512];

	if (vma_read_file_kept(root, "/proc/pressure/memory", buf, sizeof(buf)) <= 0) {
		*ret_psi = (VmemPsi){0};
		return;
	}
	vmem_psi_parse(buf, ret_psi);
}
