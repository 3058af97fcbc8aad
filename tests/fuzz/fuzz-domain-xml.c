/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target of the domain XML model: any input goes through parse,
 * defaults, validate and format without crashing; every finding is one
 * short line of valid UTF-8, however long the values; a document that is
 * accepted formats to XML that parses again without error.
 *
 * Built as `fuzz-domain-xml FILE|DIR...`, which replays files (every file
 * of a directory) and exits 0 when none crashed; with -Dfuzzing=true also
 * as a libFuzzer binary (main() is libFuzzer's; the plain build's is fuzz-replay.c).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "vmem-domain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GPtrArray) findings = vmem_findings_new();
	g_autoptr(GPtrArray) again_findings = vmem_findings_new();
	g_autoptr(VmemDomainDef) domain = NULL;
	g_autoptr(VmemDomainDef) again = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *live = NULL;
	g_autofree char *out = NULL;

	domain = vmem_validate_xml((const char *)data, size, findings, &error);
	if (domain == NULL) {
		g_assert_nonnull(error);
		return 0;
	}
	for (guint i = 0; i < findings->len; i++) {
		const VmemFinding *finding = g_ptr_array_index(findings, i);
		g_autofree char *line = vmem_finding_to_string(finding);

		g_assert_cmpuint(strlen(finding->message), <=, VMEM_FINDING_MESSAGE_MAX + 3);
		g_assert_cmpuint(strlen(finding->location), <=, VMEM_FINDING_MESSAGE_MAX + 3);
		g_assert_true(g_utf8_validate(line, -1, NULL));
		g_assert_null(strchr(line, '\n'));
	}
	live = vmem_domain_def_format(domain, VMEM_DOMAIN_FORMAT_LIVE);
	out = vmem_domain_def_format(domain, VMEM_DOMAIN_FORMAT_NONE);
	if (vmem_findings_has_error(findings))
		return 0;
	again = vmem_validate_xml(out, strlen(out), again_findings, &error);
	g_assert_no_error(error);
	g_assert_nonnull(again);
	return 0;
}
