/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Memory pressure stall information from the guest's /proc/pressure/memory. */
#pragma once

#include "vmem-psi.h"

/**
 * vma_psi_read:
 * @root: the root directory, "/" in a real guest
 * @ret_psi: the values, with present = false when the kernel has no PSI
 *
 * Reads /proc/pressure/memory.  A missing or unreadable file is not an
 * error: it is reported as absent.  Always writes @ret_psi.
 */
void vma_psi_read(const char *root, VmemPsi *ret_psi);
