/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Memory pressure stall information from /proc/pressure/memory. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct {
	double avg10;
	double avg60;
	uint64_t total_us;
} VmaPsiLine;

typedef struct {
	bool present; /* false on kernels without PSI, or with psi=0 */
	VmaPsiLine some;
	VmaPsiLine full;
} VmaPsi;

/**
 * vma_psi_read:
 * @root: the root directory, "/" in a real guest
 * @ret_psi: the values, with present = false when the kernel has no PSI
 *
 * Reads /proc/pressure/memory.  A missing or unreadable file is not an
 * error: it is reported as absent.  Always writes @ret_psi.
 */
void vma_psi_read(const char *root, VmaPsi *ret_psi);

/**
 * vma_psi_parse:
 * @text: the contents of /proc/pressure/memory
 * @ret_psi: the values; present = false when @text holds no valid lines
 */
void vma_psi_parse(const char *text, VmaPsi *ret_psi);
