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
#include "vmem-excerpt.h"
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

/* The findings the normalized output still has: all but the elements in the
 * policy that virtmem ignores, which the normalized policy leaves out. */
static guint
count_kept_findings(GPtrArray *findings)
{
	guint n = 0;

	for (guint i = 0; i < findings->len; i++) {
		const VmemFinding *finding = g_ptr_array_index(findings, i);

		if ((g_str_equal(finding->code, "policy-unknown-element") ||
		     g_str_equal(finding->code, "policy-duplicate")) &&
		    g_str_has_prefix(finding->location, VMEM_POLICY_LOCATION "/"))
			continue;
		n++;
	}
	return n;
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
		check_idempotent(out, count_kept_findings(findings));
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

/* Quotes of values: short and printable, cut between characters */
static void
test_excerpt(void)
{
	static const struct {
		const char *text;
		gsize max;
		const char *quoted;
	} cases[] = {
		{"512", 64, "512"},
		{"", 64, ""},
		{"abcdef", 4, "abcd…"},
		{"abcd", 4, "abcd"},
		/* é is two bytes: never cut in half */
		{"abcé", 4, "abc…"},
		{"abcéf", 5, "abcé…"},
		/* € is three bytes */
		{"a€€", 3, "a…"},
		{"a€€", 4, "a€…"},
		{"1\n2\t3", 64, "1?2?3"},
		{"a\xff b", 64, "a\xef\xbf\xbd b"},
	};
	g_autofree char *long_text = g_strnfill(1024 * 1024, '9');
	g_autofree char *quoted = vmem_excerpt(long_text);
	g_autofree char *none = vmem_excerpt(NULL);

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *out = vmem_text_excerpt(cases[i].text, -1, cases[i].max);

		g_assert_cmpstr(out, ==, cases[i].quoted);
	}
	g_assert_cmpuint(strlen(quoted), ==, VMEM_EXCERPT_MAX_BYTES + strlen("…"));
	g_assert_true(g_str_has_suffix(quoted, "9…"));
	g_assert_cmpstr(none, ==, "");
}

/* A domain with @value in every place whose value a finding quotes, and
 * @name (libxml2 reads names up to 50000 bytes) in element names */
static char *
domain_with_values(const char *value, const char *name)
{
	return g_strdup_printf(
		"<domain type='qemu'><name>long</name>"
		"<metadata><virtmem:policy xmlns:virtmem='" VMEM_POLICY_NS "' mode='%1$s'>"
		"<virtmem:min unit='%1$s'>1</virtmem:min><virtmem:max>%1$s</virtmem:max>"
		"<virtmem:buffer percent='%1$s'/><virtmem:cooldown grow='%1$s' shrink='%1$s'/>"
		"<virtmem:priority>%1$s</virtmem:priority><virtmem:save squeeze='%1$s'/>"
		"<virtmem:x%2$s/></virtmem:policy>"
		"<virtmem:y%2$s xmlns:virtmem='" VMEM_POLICY_NS "'/></metadata>"
		"<maxMemory slots='%1$s' unit='GiB'>%1$s</maxMemory>"
		"<memory unit='%1$s'>3</memory><currentMemory>%1$s</currentMemory>"
		"<memoryBacking><hugepages><page size='%1$s' nodeset='%1$s'/></hugepages>"
		"</memoryBacking>"
		"<cpu><numa><cell id='%1$s' memory='%1$s'/></numa></cpu>"
		"<devices><memory model='virtio-mem' access='%1$s' discard='%1$s'>"
		"<source><pagesize>%1$s</pagesize><nodemask>%1$s</nodemask></source>"
		"<target dynamicMemslots='%1$s'><size>%1$s</size><node>%1$s</node>"
		"<block>%1$s</block><requested>%1$s</requested><current>%1$s</current>"
		"<address base='%1$s'/></target></memory>"
		"<memory model='dimm'><target><size>%1$s</size></target></memory>"
		"<virtmem:z%2$s xmlns:virtmem='" VMEM_POLICY_NS "'/></devices></domain>",
		value, name);
}

/* However long a value, its finding stays one short line. */
static void
test_long_values(void)
{
	/* values that break every rule: not a number, not a unit, not a name */
	static const char *const patterns[] = {"9", "x", "é", "-"};

	for (guint i = 0; i < G_N_ELEMENTS(patterns); i++) {
		g_autoptr(GString) value = g_string_new(NULL);
		g_autoptr(GPtrArray) findings = vmem_findings_new();
		g_autoptr(GError) error = NULL;
		g_autoptr(VmemDomainDef) domain = NULL;
		g_autofree char *xml = NULL;
		g_autofree char *name = NULL;
		guint n_cut = 0;

		while (value->len < 256 * 1024)
			g_string_append(value, patterns[i]);
		name = g_strndup(value->str, 1000);
		xml = domain_with_values(value->str, name);
		domain = vmem_validate_xml(xml, strlen(xml), findings, &error);
		g_assert_no_error(error);
		g_assert_nonnull(domain);
		g_test_message("'%s': %u findings", patterns[i], findings->len);
		g_assert_cmpuint(findings->len, >=, 10);
		for (guint j = 0; j < findings->len; j++) {
			g_autofree char *line =
				vmem_finding_to_string(g_ptr_array_index(findings, j));

			g_test_message("%s", line);
			g_assert_cmpuint(strlen(line), <, 512);
			g_assert_true(g_utf8_validate(line, -1, NULL));
			if (strstr(line, "…") != NULL)
				n_cut++;
		}
		g_assert_cmpuint(n_cut, >=, 5);
	}
}

/* A root element or a libxml2 reason quotes a long name briefly, too. */
static void
test_long_names(void)
{
	g_autofree char *name = g_strnfill(40000, 'n');
	g_autofree char *root = g_strdup_printf("<%s/>", name);
	g_autofree char *mismatch = g_strdup_printf("<domain><%s></x></domain>", name);
	const char *const inputs[] = {root, mismatch};

	for (guint i = 0; i < G_N_ELEMENTS(inputs); i++) {
		g_autoptr(GPtrArray) findings = vmem_findings_new();
		g_autoptr(GError) error = NULL;
		g_autoptr(VmemDomainDef) domain =
			vmem_domain_def_parse(inputs[i], strlen(inputs[i]), findings, &error);

		g_assert_null(domain);
		g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
		g_test_message("%s", error->message);
		g_assert_cmpuint(strlen(error->message), <, 512);
	}
}

/* Memory hotplug without NUMA cells: libvirt adds cell 0 with the boot
 * memory and puts the devices on it. */
static void
test_numa_auto(void)
{
	g_autofree char *path = g_test_build_filename(G_TEST_DIST, "xml", "nonuma.xml", NULL);
	g_autoptr(GPtrArray) findings = vmem_findings_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemDomainDef) domain = NULL;
	g_autofree char *xml = NULL;
	const VmemNumaCell *cell;
	const VmemMemoryDef *dev;
	gsize len = 0;

	g_assert_true(g_file_get_contents(path, &xml, &len, &error));
	domain = vmem_validate_xml(xml, len, findings, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(findings->len, ==, 0);
	g_assert_true(domain->numa_auto);
	g_assert_cmpuint(domain->cells->len, ==, 1);
	cell = &g_array_index(domain->cells, VmemNumaCell, 0);
	g_assert_cmpuint(cell->id, ==, 0);
	/* <memory> 3 GiB minus the 1 GiB device */
	g_assert_cmpuint(cell->memory_kib, ==, 2 * 1024 * 1024);
	g_assert_cmpuint(domain->memory_kib, ==, 3 * 1024 * 1024);
	dev = g_ptr_array_index(domain->devices, 0);
	g_assert_cmpint(dev->node, ==, 0);
}

/* After VMEM_FINDINGS_MAX findings one more stands for the rest, with the
 * worst of their severities. */
static void
test_findings_cap(void)
{
	for (guint errors = 0; errors < 2; errors++) {
		g_autoptr(GPtrArray) findings = vmem_findings_new();
		const VmemFinding *note;

		for (guint i = 0; i < VMEM_FINDINGS_MAX + 500; i++)
			vmem_findings_add(findings,
					  errors && i == VMEM_FINDINGS_MAX + 200
						  ? VMEM_SEVERITY_ERROR
						  : VMEM_SEVERITY_WARNING,
					  "node-shared", "/domain", "finding %u", i);
		g_assert_cmpuint(findings->len, ==, VMEM_FINDINGS_MAX + 1);
		g_assert_true(vmem_findings_is_full(findings));
		note = g_ptr_array_index(findings, VMEM_FINDINGS_MAX);
		g_assert_cmpstr(note->code, ==, "too-many-findings");
		g_assert_cmpint(vmem_findings_has_error(findings), ==, errors);
	}
}

/* A domain with one virtio-mem device of 1 GiB per address in @bases */
static char *
domain_with_addresses(const guint64 *bases, guint n)
{
	g_autoptr(GString) xml = g_string_new(
		"<domain><maxMemory unit='GiB'>64</maxMemory><memory unit='GiB'>9</memory>"
		"<cpu><numa><cell id='0' memory='1' unit='GiB'/></numa></cpu><devices>");

	for (guint i = 0; i < n; i++)
		g_string_append_printf(
			xml,
			"<memory model='virtio-mem'><target><size unit='GiB'>1</size>"
			"<node>0</node><block unit='MiB'>2</block>"
			"<address base='0x%" G_GINT64_MODIFIER "x'/></target></memory>",
			bases[i]);
	g_string_append(xml, "</devices></domain>");
	return g_string_free(g_steal_pointer(&xml), FALSE);
}

/* Each device whose range overlaps one before it in the document says so,
 * once, naming an earlier one. */
static void
test_address_overlap(void)
{
	static const struct {
		guint64 bases[4];
		const char *overlapping; /* positions with an address-overlap finding */
	} cases[] = {
		{{0x100000000, 0x140000000, 0x180000000, 0x1c0000000}, ""},
		{{0x100000000, 0x120000000, 0x200000000, 0x300000000}, "2"},
		{{0x120000000, 0x100000000, 0x200000000, 0x300000000}, "2"},
		/* one wide range and three inside: every later one */
		{{0x100000000, 0x100000000, 0x110000000, 0x130000000}, "234"},
		{{0x300000000, 0x130000000, 0x110000000, 0x100000000}, "34"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *xml = domain_with_addresses(cases[i].bases, 4);
		g_autoptr(GPtrArray) findings = vmem_findings_new();
		g_autoptr(GError) error = NULL;
		g_autoptr(VmemDomainDef) domain =
			vmem_validate_xml(xml, strlen(xml), findings, &error);
		g_autoptr(GString) positions = g_string_new(NULL);

		g_assert_no_error(error);
		for (guint j = 0; j < findings->len; j++) {
			const VmemFinding *finding = g_ptr_array_index(findings, j);
			guint position = 0;

			if (!g_str_equal(finding->code, "address-overlap"))
				continue;
			g_assert_cmpint(
				sscanf(finding->location, "/domain/devices/memory[%u]", &position),
				==, 1);
			g_string_append_printf(positions, "%u", position);
		}
		g_test_message("case %u: %s", i, positions->str);
		g_assert_cmpstr(positions->str, ==, cases[i].overlapping);
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
	g_test_add_func("/domain-xml/excerpt", test_excerpt);
	g_test_add_func("/domain-xml/long-values", test_long_values);
	g_test_add_func("/domain-xml/long-names", test_long_names);
	g_test_add_func("/domain-xml/numa-auto", test_numa_auto);
	g_test_add_func("/domain-xml/findings-cap", test_findings_cap);
	g_test_add_func("/domain-xml/address-overlap", test_address_overlap);
	return g_test_run();
}
