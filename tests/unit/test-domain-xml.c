/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Data-driven tests of the domain XML model: tests/xml/NAME.xml is parsed,
 * defaulted and validated; NAME.out.xml holds the normalized round trip
 * (when there is no error), NAME.err the findings, one per line (when there
 * are any; lines starting with # are comments, "# why:" explains a
 * rejection libvirt would accept).  The fixtures are the NAME.xml files of
 * the folder.  VIRTMEM_TEST_REGENERATE=1 rewrites the expected files,
 * keeping the comments.
 */
#include "config.h"

#include "vmem-domain.h"
#include "vmem-error.h"
#include "vmem-nodeset.h"
#include "vmem-test-compare.h"

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
	vmem_test_compare_file(out_path, out, VMEM_TEST_COMPARE_NONE);
	vmem_test_compare_file(err_path, err, VMEM_TEST_COMPARE_COMMENTS);
	if (out != NULL && !vmem_test_regenerate())
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

/* libvirt's node set syntax, and what each set contains */
static void
test_nodeset(void)
{
	static const struct {
		const char *text;
		const char *nodes; /* the nodes in the set, NULL when malformed */
	} cases[] = {
		{"0", "0"},
		{"0-2,^1,4", "0,2,4"},
		{"^1,0-2", "0,1,2"}, /* left to right: nothing to exclude yet */
		{" 1 - 3 , 5 ,", "1,2,3,5"},
		{"1023", "1023"},
		{"3,3,3", "3"},
		{"", NULL},
		{" ", NULL},
		{"abc", NULL},
		{"1-", NULL},
		{"-1", NULL},
		{"3-1", NULL},
		{"^1-2", NULL},
		{"0,,1", NULL},
		{",0", NULL},
		{"0x1", NULL},
		{"+1", NULL},
		{"^ 1", NULL},
		{"1024", NULL},
		{"0-99999999999999999999999", NULL},
		{"0,^0", NULL},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GArray) nodes = vmem_nodeset_parse(cases[i].text, &error);
		g_autoptr(GString) text = g_string_new(NULL);
		g_auto(GStrv) members = NULL;

		g_test_message("node set '%s'", cases[i].text);
		if (cases[i].nodes == NULL) {
			g_assert_null(nodes);
			g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
			continue;
		}
		g_assert_no_error(error);
		for (guint j = 0; j < nodes->len; j++)
			g_string_append_printf(text, "%s%u", j > 0 ? "," : "",
					       g_array_index(nodes, guint, j));
		g_assert_cmpstr(text->str, ==, cases[i].nodes);
		members = g_strsplit(cases[i].nodes, ",", -1);
		for (guint node = 0; node <= VMEM_NODESET_LEN; node++) {
			g_autofree char *name = g_strdup_printf("%u", node);

			g_assert_cmpint(vmem_nodeset_contains(nodes, node), ==,
					g_strv_contains((const char *const *)members, name));
		}
	}
}

int
main(int argc, char **argv)
{
	g_autofree char *dir = NULL;
	g_auto(GStrv) names = NULL;

	g_test_init(&argc, &argv, NULL);
	dir = g_test_build_filename(G_TEST_DIST, "xml", NULL);
	names = vmem_test_list_fixtures(dir, ".xml");
	for (guint i = 0; names[i] != NULL; i++) {
		g_autofree char *path = NULL;

		if (g_str_has_suffix(names[i], ".out"))
			continue;
		path = g_strdup_printf("/domain-xml/fixture/%s", names[i]);
		g_test_add_data_func_full(path, g_strdup(names[i]), test_case, g_free);
	}
	g_test_add_func("/domain-xml/nodeset", test_nodeset);
	g_test_add_func("/domain-xml/live-current", test_live_current);
	g_test_add_func("/domain-xml/garbage", test_garbage);
	g_test_add_func("/domain-xml/other-models", test_other_models);
	return g_test_run();
}
