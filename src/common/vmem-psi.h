/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Memory pressure stall information, the text of /proc/pressure/memory:
 * the guest agent reads the guest's, virtmemd the host's.  Plain C (the
 * agent links no GLib).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct {
	double avg10;
	double avg60;
	uint64_t total_us;
} VmemPsiLine;

typedef struct {
	bool present; /* false on kernels without PSI, or with psi=0 */
	VmemPsiLine some;
	VmemPsiLine full;
} VmemPsi;

void vmem_psi_parse(const char *text, VmemPsi *ret_psi);
