/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target of the domain XML model: any input goes through parse,
 * defaults, validate and format without crashing; a document that is
 * accepted formats to XML that parses again without error.
 *
 * Built as `fuzz-domain-xml FILE|DIR...`, which replays files (every file
 * of a directory) and exits 0 when none crashed; with -Dfuzzing=true also
 * as a libFuzzer binary (VMEM_FUZZING_LIBFUZZER, no main()).
 */
#include "config.h"

#include <stdint.h>

#include "vmem-domain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GPtrArray) findings = vmem_findings_new();
	g_autoptr(GPtrArray) again_findings = vmem_findings_new();
	g_autoptr(VmemDomain) domain = NULL;
	g_autoptr(VmemDomain) again = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *live = NULL;
	g_autofree char *out = NULL;

	domain = vmem_validate_xml((const char *)data, size, findings, &error);
	if (domain == NULL) {
		g_assert_nonnull(error);
		return 0;
	}
	for (guint i = 0; i < findings->len; i++)
		g_free(vmem_finding_to_string(g_ptr_array_index(findings, i)));
	live = vmem_domain_format(domain, VMEM_DOMAIN_FORMAT_LIVE);
	out = vmem_domain_format(domain, VMEM_DOMAIN_FORMAT_NONE);
	if (vmem_findings_has_error(findings))
		return 0;
	again = vmem_validate_xml(out, strlen(out), again_findings, &error);
	g_assert_no_error(error);
	g_assert_nonnull(again);
	return 0;
}

#ifndef VMEM_FUZZING_LIBFUZZER
static void
replay_file(const char *path, guint *n_files)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *data = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &data, &len, &error))
		g_error("%s", error->message);
	LLVMFuzzerTestOneInput((const uint8_t *)data, len);
	(*n_files)++;
}

int
main(int argc, char **argv)
{
	guint n_files = 0;

	for (int i = 1; i < argc; i++) {
		g_autoptr(GDir) dir = NULL;
		const char *name;

		if (!g_file_test(argv[i], G_FILE_TEST_IS_DIR)) {
			replay_file(argv[i], &n_files);
			continue;
		}
		dir = g_dir_open(argv[i], 0, NULL);
		g_assert_nonnull(dir);
		while ((name = g_dir_read_name(dir)) != NULL) {
			g_autofree char *path = g_build_filename(argv[i], name, NULL);

			replay_file(path, &n_files);
		}
	}
	if (n_files == 0)
		g_error("no input replayed: give files or directories");
	g_print("%s: %u inputs replayed, none crashed\n", argv[0], n_files);
	return 0;
}
#endif
