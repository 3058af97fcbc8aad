/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vmem-psi.h"

#include <stdio.h>
#include <string.h>

/* "some avg10=0.00 avg60=0.00 avg300=0.00 total=0", after the kind word. */
static bool
vmem_psi_parse_line(const char *line, VmemPsiLine *ret_line)
{
	VmemPsiLine l = {0};
	unsigned long long total = 0;
	double avg300 = 0;

	if (sscanf(line, " avg10=%lf avg60=%lf avg300=%lf total=%llu", &l.avg10, &l.avg60, &avg300,
		   &total) != 4)
		return false;
	l.total_us = total;
	*ret_line = l;
	return true;
}

/**
 * vmem_psi_parse:
 * @text: the contents of /proc/pressure/memory
 * @ret_psi: the values; present = false when @text holds no valid lines
 */
void
vmem_psi_parse(const char *text, VmemPsi *ret_psi)
{
	VmemPsi psi = {0};
	bool some = false, full = false;
	const char *line = text;

	while (line != NULL && *line != '\0') {
		if (strncmp(line, "some ", 5) == 0)
			some = vmem_psi_parse_line(line + 4, &psi.some);
		else if (strncmp(line, "full ", 5) == 0)
			full = vmem_psi_parse_line(line + 4, &psi.full);
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
	psi.present = some && full;
	if (!psi.present)
		psi = (VmemPsi){0};
	*ret_psi = psi;
}
