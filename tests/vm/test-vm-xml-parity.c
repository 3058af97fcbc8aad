/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parity of `virtmemctl validate` with the real libvirt: every fixture of
 * tests/xml is defined with libvirt's embedded QEMU driver (no guest is
 * booted).  What virtmem accepts, libvirt must accept; what libvirt
 * rejects, virtmem must reject; what virtmem rejects but libvirt accepts
 * must say in its .err ("# why:") why QEMU, the guest or virtmemd would
 * fail.  The normalized outputs (NAME.out.xml) must be accepted too.
 *
 * The defaults pass must agree with libvirt's post-parse: for every fixture
 * both accept, the model of the fixture and the model of the XML libvirt
 * defined from it have the same NUMA cells (libvirt adds cell 0 for memory
 * hotplug without NUMA), device nodes, <memory> and policy.
 *
 * The live XML of a running guest (with <current>, the plugged size the
 * guest reached) is read and written back by the model as well.
 */
#include "config.h"

#include "vmem-domain.h"
#include "vmem-libvirt.h"
#include "vmem-testbed.h"

typedef struct {
	guint both_accept;
	guint both_reject;
	guint only_virtmem_rejects;
} Counts;

/* Defines @xml and undefines it again; the libvirt error on failure, else
 * (when @ret_defined is given) the inactive XML libvirt defined. */
static gboolean
libvirt_define(virConnectPtr conn, const char *xml, char **ret_defined, char **ret_reason)
{
	g_autoptr(virDomain) dom = virDomainDefineXML(conn, xml);
	g_autoptr(GError) error = NULL;

	if (dom == NULL) {
		vmem_libvirt_set_error(&error);
		*ret_reason = g_strdup(error->message);
		return FALSE;
	}
	if (ret_defined != NULL) {
		*ret_defined = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
		g_assert_nonnull(*ret_defined);
	}
	g_assert_cmpint(virDomainUndefine(dom), ==, 0);
	return TRUE;
}

static gboolean
libvirt_accepts(virConnectPtr conn, const char *xml, char **ret_reason)
{
	return libvirt_define(conn, xml, NULL, ret_reason);
}

/* The model after all passes, or %NULL with an error finding */
static VmemDomainDef *
virtmem_model(const char *xml, gsize len)
{
	g_autoptr(GPtrArray) findings = vmem_findings_new();
	g_autoptr(VmemDomainDef) domain = vmem_validate_xml(xml, len, findings, NULL);

	if (domain == NULL || vmem_findings_has_error(findings))
		return NULL;
	return g_steal_pointer(&domain);
}

/* What the defaults pass derives agrees with what libvirt defined. */
static void
check_defaults(const char *path, const VmemDomainDef *ours, const char *defined)
{
	g_autoptr(GPtrArray) findings = vmem_findings_new();
	g_autoptr(VmemDomainDef) theirs = NULL;

	theirs = vmem_validate_xml(defined, strlen(defined), findings, NULL);
	g_assert_nonnull(theirs);
	g_test_message("%s: %u NUMA cells (libvirt %u), <memory> %" G_GUINT64_FORMAT
		       " KiB (libvirt %" G_GUINT64_FORMAT " KiB)",
		       path, ours->cells->len, theirs->cells->len, ours->memory_kib,
		       theirs->memory_kib);
	g_assert_cmpuint(ours->cells->len, ==, theirs->cells->len);
	for (guint i = 0; i < ours->cells->len; i++) {
		const VmemNumaCell *a = &g_array_index(ours->cells, VmemNumaCell, i);
		const VmemNumaCell *b = &g_array_index(theirs->cells, VmemNumaCell, i);

		g_assert_cmpuint(a->id, ==, b->id);
		g_assert_cmpuint(a->memory_kib, ==, b->memory_kib);
	}
	g_assert_cmpuint(ours->memory_kib, ==, theirs->memory_kib);
	g_assert_cmpuint(ours->devices->len, ==, theirs->devices->len);
	for (guint i = 0; i < ours->devices->len; i++) {
		const VmemMemoryDef *a = g_ptr_array_index(ours->devices, i);
		const VmemMemoryDef *b = g_ptr_array_index(theirs->devices, i);

		g_assert_cmpint(a->node, ==, b->node);
	}
	/* libvirt keeps only the first element of our namespace in <metadata> */
	g_assert_cmpint(ours->policy != NULL, ==, theirs->policy != NULL);
}

static void
check_fixture(virConnectPtr conn, const char *path, Counts *counts)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *xml = NULL;
	g_autofree char *reason = NULL;
	g_autofree char *base = g_strndup(path, strlen(path) - strlen(".xml"));
	g_autofree char *err_path = g_strconcat(base, ".err", NULL);
	g_autofree char *out_path = g_strconcat(base, ".out.xml", NULL);
	g_autofree char *err_text = NULL;
	g_autofree char *defined = NULL;
	g_autoptr(VmemDomainDef) model = NULL;
	gsize len = 0;
	gboolean ours, theirs;

	g_assert_true(g_file_get_contents(path, &xml, &len, &error));
	model = virtmem_model(xml, len);
	ours = model != NULL;
	theirs = libvirt_define(conn, xml, &defined, &reason);
	g_test_message("%s: virtmem %s, libvirt %s%s%s", path, ours ? "accepts" : "rejects",
		       theirs ? "accepts" : "rejects", theirs ? "" : ": ", theirs ? "" : reason);
	if (ours && !theirs)
		g_error("%s: virtmem accepts what libvirt rejects: %s", path, reason);
	if (ours) {
		g_autofree char *out = NULL;

		counts->both_accept++;
		check_defaults(path, model, defined);
		g_assert_true(g_file_get_contents(out_path, &out, NULL, &error));
		if (!libvirt_accepts(conn, out, &reason))
			g_error("%s: libvirt rejects the normalized output: %s", out_path, reason);
	} else if (theirs) {
		counts->only_virtmem_rejects++;
		g_assert_true(g_file_get_contents(err_path, &err_text, NULL, &error));
		if (strstr(err_text, "# why: ") == NULL)
			g_error("%s: virtmem rejects what libvirt accepts, but %s says no \"# "
				"why:\"",
				path, err_path);
	} else {
		counts->both_reject++;
	}
}

static int
compare_paths(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

static void
test_parity(gconstpointer data)
{
	VmemTestbed *tb = (VmemTestbed *)data;
	g_autofree char *dir_path = g_test_build_filename(G_TEST_DIST, "xml", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GDir) dir = NULL;
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	Counts counts = {0};
	const char *name;

	dir = g_dir_open(dir_path, 0, &error);
	g_assert_no_error(error);
	while ((name = g_dir_read_name(dir)) != NULL) {
		if (g_str_has_suffix(name, ".xml") && !g_str_has_suffix(name, ".out.xml"))
			g_ptr_array_add(names, g_build_filename(dir_path, name, NULL));
	}
	g_ptr_array_sort(names, compare_paths);
	for (guint i = 0; i < names->len; i++)
		check_fixture(vmem_testbed_get_connection(tb), g_ptr_array_index(names, i),
			      &counts);
	g_test_message("both accept %u, both reject %u, only virtmem rejects %u",
		       counts.both_accept, counts.both_reject, counts.only_virtmem_rejects);
	g_assert_cmpuint(counts.both_accept, >=, 30);
	g_assert_cmpuint(counts.both_reject, >=, 25);
}

static void
test_live_xml(gconstpointer data)
{
	VmemTestbed *tb = (VmemTestbed *)data;
	g_autoptr(GPtrArray) findings = vmem_findings_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemDomainDef) domain = NULL;
	g_autofree char *xml = NULL;
	g_autofree char *live = NULL;
	g_autofree char *inactive = NULL;
	g_autofree char *expected = NULL;
	VmemTestGuestConfig config;
	const VmemMemoryDef *dev;
	VmemTestGuest *guest;

	vmem_test_guest_config_init(&config);
	config.requested_mib = 256;
	guest = vmem_test_guest_new(tb, "live-xml", &config, &error);
	g_assert_no_error(error);
	g_assert_true(vmem_test_guest_start(guest, &error));
	g_assert_no_error(error);
	/* the guest driver plugs what is requested */
	g_assert_true(vmem_test_guest_wait_current(guest, "ua-vmem0", 256 * 1024, 120, &error));
	g_assert_no_error(error);

	xml = virDomainGetXMLDesc(vmem_test_guest_get_domain(guest), 0);
	g_assert_nonnull(xml);
	domain = vmem_validate_xml(xml, strlen(xml), findings, &error);
	g_assert_no_error(error);
	g_assert_false(vmem_findings_has_error(findings));
	g_assert_cmpuint(domain->devices->len, ==, 1);
	dev = g_ptr_array_index(domain->devices, 0);
	g_assert_cmpstr(dev->alias, ==, "ua-vmem0");
	g_assert_nonnull(dev->pci_address);
	g_assert_true(dev->has_current);
	g_assert_cmpuint(dev->current_kib, ==, 256 * 1024);
	g_assert_cmpuint(dev->requested_kib, ==, 256 * 1024);
	g_assert_cmpuint(dev->size_kib, ==, 4096 * 1024);
	g_assert_true(domain->has_agent_channel);

	live = vmem_domain_def_format(domain, VMEM_DOMAIN_FORMAT_LIVE);
	inactive = vmem_domain_def_format(domain, VMEM_DOMAIN_FORMAT_NONE);
	expected = g_strdup_printf("<current unit=\"KiB\">%u</current>", 256 * 1024);
	g_assert_nonnull(strstr(live, expected));
	g_assert_null(strstr(inactive, "<current unit"));
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	VmemTestbed *tb;
	int ret;

	g_test_init(&argc, &argv, NULL);
	/* one embedded driver per process: the tests share it */
	tb = vmem_testbed_new(VMEM_TESTBED_EMBEDDED, &error);
	g_assert_no_error(error);
	g_test_add_data_func("/vm/xml-parity", tb, test_parity);
	g_test_add_data_func("/vm/xml-live", tb, test_live_xml);
	ret = g_test_run();
	vmem_testbed_free(tb);
	g_assert_true(vmem_testbed_all_processes_gone());
	return ret;
}
