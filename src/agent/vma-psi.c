/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vma-psi.h"

#include <stdio.h>
#include <string.h>

#include "vma-util.h"

/* "some avg10=0.00 avg60=0.00 avg300=0.00 total=0", after the kind word. */
static bool
vma_psi_parse_line(const char *line, VmaPsiLine *ret_line)
{
	VmaPsiLine l = {0};
	unsigned long long total = 0;
	double avg300 = 0;

	if (sscanf(line, " avg10=%lf avg60=%lf avg300=%lf total=%llu", &l.avg10, &l.avg60, &avg300,
		   &total) != 4)
		return false;
	l.total_us = total;
	*ret_line = l;
	return true;
}

void
vma_psi_parse(const char *text, VmaPsi *ret_psi)
{
	VmaPsi psi = {0};
	bool some = false, full = false;
	const char *line = text;

	while (line != NULL && *line != '\0') {
		if (strncmp(line, "some ", 5) == 0)
			some = vma_psi_parse_line(line + 4, &psi.some);
		else if (strncmp(line, "full ", 5) == 0)
			full = vma_psi_parse_line(line + 4, &psi.full);
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
	psi.present = some && full;
	if (!psi.present)
		psi = (VmaPsi){0};
	*ret_psi = psi;
}

void
vma_psi_read(const char *root, VmaPsi *ret_psi)
{
	char buf[512];

	if (vma_read_file_kept(root, "/proc/pressure/memory", buf, sizeof(buf)) <= 0) {
		*ret_psi = (VmaPsi){0};
		return;
	}
	vma_psi_parse(buf, ret_psi);
}
