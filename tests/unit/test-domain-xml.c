/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Data-driven tests of the domain XML model: tests/xml/NAME.xml is parsed,
 * defaulted and validated; NAME.out.xml holds the normalized round trip
 * (when there is no error), NAME.err the findings, one per line (when there
 * are any; lines starting with # are comments, "# why:" explains a
 * rejection libvirt would accept).  VIRTMEM_TEST_REGENERATE_OUTPUT=1
 * rewrites the expected files, keeping the comments.
 */
#include "config.h"

#include <glib/gstdio.h>

#include "vmem-domain.h"
#include "vmem-error.h"

static const char *const cases[] = {
	"access-discard",
	"address-base-two",
	"address-base",
	"alias-pci",
	"dimm-preserved",
	"dynamic-memslots-no",
	"dynamic-memslots",
	"err-address-not-number",
	"err-address-overlap",
	"err-address-unaligned",
	"err-block-below-page-size",
	"err-block-missing",
	"err-block-not-power-of-two",
	"err-block-too-small",
	"err-current-too-large",
	"err-doctype",
	"err-dynamic-memslots-value",
	"err-empty",
	"err-max-memory-missing",
	"err-max-memory-too-small",
	"err-memory-missing",
	"err-memory-too-small",
	"err-node-missing",
	"err-node-not-number",
	"err-node-unknown",
	"err-not-a-domain",
	"err-not-well-formed",
	"err-overflow-bytes",
	"err-overflow",
	"err-policy-buffer-range",
	"err-policy-invalid-mode",
	"err-policy-invalid-size",
	"err-policy-invalid-squeeze",
	"err-policy-max-above-total",
	"err-policy-min-above-max",
	"err-policy-priority-range",
	"err-policy-priority-zero",
	"err-policy-step-zero",
	"err-requested-too-large",
	"err-requested-unaligned",
	"err-size-missing",
	"err-unit-unknown",
	"err-value-hex",
	"err-value-negative",
	"err-value-trailing-space",
	"hugepages-1g",
	"hugepages-source",
	"hugepages",
	"live-current",
	"nonuma-dimm",
	"nonuma",
	"numa-kib",
	"other-models",
	"policy-defaults",
	"policy-full",
	"policy-manual-units",
	"policy-off",
	"policy-other-metadata",
	"requested-absent",
	"two-nodes",
	"units-bytes",
	"units-case",
	"units-decimal",
	"units-default-kib",
	"units-huge-max",
	"units-long",
	"units-short",
	"value-leading-space",
	"warn-block-large",
	"warn-large-device",
	"warn-node-shared",
	"warn-policy-no-agent",
	"warn-policy-unaligned",
	"warn-policy-without-devices",
	"warn-prealloc",
	"warn-size-unaligned",
	"slots-zero",
};

static gboolean
regenerate(void)
{
	return g_strcmp0(g_getenv("VIRTMEM_TEST_REGENERATE_OUTPUT"), "1") == 0;
}

/* The comment lines of @text, each with its newline */
static char *
comment_lines(const char *text, gboolean comments)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	g_autoptr(GString) out = g_string_new(NULL);

	for (guint i = 0; lines[i] != NULL; i++) {
		if (lines[i][0] == '\0' || (lines[i][0] == '#') != comments)
			continue;
		g_string_append_printf(out, "%s\n", lines[i]);
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static void
check_expected(const char *path, const char *actual, gboolean with_comments)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *expected = NULL;
	gboolean exists = g_file_test(path, G_FILE_TEST_EXISTS);

	if (regenerate()) {
		g_autofree char *comments = NULL;
		g_autofree char *text = NULL;

		if (actual == NULL) {
			if (exists)
				g_assert_cmpint(g_unlink(path), ==, 0);
			return;
		}
		if (exists && with_comments) {
			g_assert_true(g_file_get_contents(path, &expected, NULL, &error));
			comments = comment_lines(expected, TRUE);
		}
		text = g_strconcat(comments != NULL ? comments : "", actual, NULL);
		g_assert_true(g_file_set_contents(path, text, -1, &error));
		g_assert_no_error(error);
		return;
	}
	if (actual == NULL) {
		if (exists)
			g_error("%s exists but nothing is expected there", path);
		return;
	}
	if (!g_file_get_contents(path, &expected, NULL, &error))
		g_error("%s: %s (set VIRTMEM_TEST_REGENERATE_OUTPUT=1 to create it)", path,
			error->message);
	if (with_comments) {
		g_autofree char *body = comment_lines(expected, FALSE);

		g_assert_cmpstr(actual, ==, body);
	} else {
		g_assert_cmpstr(actual, ==, expected);
	}
}

static char *
findings_text(GPtrArray *findings)
{
	g_autoptr(GString) text = g_string_new(NULL);

	if (findings->len == 0)
		return NULL;
	for (guint i = 0; i < findings->len; i++) {
		g_autofree char *line = vmem_finding_to_string(g_ptr_array_index(findings, i));

		g_string_append_printf(text, "%s\n", line);
	}
	return g_string_free(g_steal_pointer(&text), FALSE);
}

/* Formatting the normalized output again changes nothing. */
static void
check_idempotent(const char *out, gsize n_findings)
{
	g_autoptr(GPtrArray) findings = vmem_findings_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemDomainDef) domain = vmem_validate_xml(out, strlen(out), findings, &error);
	g_autofree char *again = NULL;

	g_assert_no_error(error);
	g_assert_false(vmem_findings_has_error(findings));
	g_assert_cmpuint(findings->len, ==, n_findings);
	again = vmem_domain_def_format(domain, VMEM_DOMAIN_FORMAT_NONE);
	g_assert_cmpstr(again, ==, out);
}

static void
test_case(gconstpointer data)
{
	const char *name = data;
	g_autofree char *base = g_test_build_filename(G_TEST_DIST, "xml", name, NULL);
	g_autofree char *in = g_strconcat(base, ".xml", NULL);
	g_autofree char *out_path = g_strconcat(base, ".out.xml", NULL);
	g_autofree char *err_path = g_strconcat(base, ".err", NULL);
	g_autoptr(GPtrArray) findings = vmem_findings_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemDomainDef) domain = NULL;
	g_autofree char *xml = NULL;
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;
	gsize len = 0;

	g_assert_true(g_file_get_contents(in, &xml, &len, &error));
	domain = vmem_validate_xml(xml, len, findings, &error);
	if (domain == NULL) {
		g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
		vmem_findings_add(findings, VMEM_SEVERITY_ERROR, "unparseable", "/", "%s",
				  error->message);
	} else {
		g_assert_no_error(error);
		if (!vmem_findings_has_error(findings))
			out = vmem_domain_def_format(domain, VMEM_DOMAIN_FORMAT_NONE);
	}
	err = findings_text(findings);
	check_expected(out_path, out, FALSE);
	check_expected(err_path, err, TRUE);
	if (out != NULL && !regenerate())
		check_idempotent(out, findings->len);
}

/* <current> is live state: written only in live output. */
static void
test_live_current(void)
{
	g_autofree char *path = g_test_build_filename(G_TEST_DIST, "xml", "live-current.xml", NULL);
	g_autoptr(GPtrArray) findings = vmem_findings_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemDomainDef) domain = NULL;
	g_autofree char *xml = NULL;
	g_autofree char *live = NULL;
	g_autofree char *inactive = NULL;
	gsize len = 0;

	g_assert_true(g_file_get_contents(path, &xml, &len, &error));
	domain = vmem_validate_xml(xml, len, findings, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(findings->len, ==, 0);
	live = vmem_domain_def_format(domain, VMEM_DOMAIN_FORMAT_LIVE);
	inactive = vmem_domain_def_format(domain, VMEM_DOMAIN_FORMAT_NONE);
	g_assert_nonnull(strstr(live, "<current unit=\"KiB\">524288</current>"));
	g_assert_null(strstr(inactive, "<current unit"));
}

/* Other memory models are kept as they are, and counted. */
static void
test_other_models(void)
{
	g_autofree char *path = g_test_build_filename(G_TEST_DIST, "xml", "other-models.xml", NULL);
	g_autoptr(GPtrArray) findings = vmem_findings_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemDomainDef) domain = NULL;
	g_autofree char *xml = NULL;
	g_autofree char *out = NULL;
	gsize len = 0;

	g_assert_true(g_file_get_contents(path, &xml, &len, &error));
	domain = vmem_validate_xml(xml, len, findings, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(findings->len, ==, 0);
	g_assert_cmpuint(domain->devices->len, ==, 1);
	g_assert_cmpuint(domain->n_other_memory, ==, 3);
	g_assert_cmpuint(domain->other_memory_kib, ==, (256 + 128 + 128) * 1024);
	/* the cell plus every memory device */
	g_assert_cmpuint(domain->memory_kib, ==, (2048 + 1024 + 512) * 1024);
	out = vmem_domain_def_format(domain, VMEM_DOMAIN_FORMAT_NONE);
	g_assert_nonnull(strstr(out, "<size unit=\"MiB\">256</size>"));
	g_assert_nonnull(strstr(out, "<path>/tmp/virtmem-test-pmem</path>"));
}

/* Fatal input is a GError, and ret values are not written. */
static void
test_garbage(void)
{
	static const char *const inputs[] = {
		"",
		"<",
		"not xml",
		"<domain",
		"<domain/><domain/>",
		"<x:domain xmlns:x='urn:x'/>",
		"\xff\xfe<\x00d\x00",
		"<domain>&undefined;</domain>",
	};

	for (guint i = 0; i < G_N_ELEMENTS(inputs); i++) {
		g_autoptr(GPtrArray) findings = vmem_findings_new();
		g_autoptr(GError) error = NULL;
		g_autoptr(VmemDomainDef) domain =
			vmem_domain_def_parse(inputs[i], strlen(inputs[i]), findings, &error);

		g_assert_null(domain);
		g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *path = g_strdup_printf("/domain-xml/fixture/%s", cases[i]);

		g_test_add_data_func(path, cases[i], test_case);
	}
	g_test_add_func("/domain-xml/live-current", test_live_current);
	g_test_add_func("/domain-xml/garbage", test_garbage);
	g_test_add_func("/domain-xml/other-models", test_other_models);
	return g_test_run();
}
