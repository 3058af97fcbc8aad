/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * src/save: the temporary file and its commit, the target an image
 * remembers (round trip and hostile input), the squeeze's target, the
 * progress from libvirt's job statistics, and saves and restores against
 * libvirt's in-process test driver (test:///default: raw only, as it has
 * no virDomainSaveParams, so a sparse save falls back or fails).
 */
#include "config.h"

#include <glib/gstdio.h>
#include <sys/stat.h>

#include "vmem-backend.h"
#include "vmem-error.h"
#include "vmem-libvirt.h"
#include "vmem-save-file.h"
#include "vmem-save-meta.h"
#include "vmem-save.h"
#include "vmem-squeeze.h"
#include "vmem-test-dir.h"

#define MIB (G_GUINT64_CONSTANT(1024) * 1024)
#define GIB (1024 * MIB)

static gint
compare_names(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

/* The names in @dir, sorted, space-separated */
static char *
list_dir(const char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *name;

	g_assert_nonnull(d);
	while ((name = g_dir_read_name(d)) != NULL)
		g_ptr_array_add(names, g_strdup(name));
	g_ptr_array_sort(names, compare_names);
	g_ptr_array_add(names, NULL);
	return g_strjoinv(" ", (char **)names->pdata);
}

static void
test_temp_name(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *t1 = vmem_save_file_temp_template("/srv/vm/one.img", &error);
	g_autofree char *t2 = vmem_save_file_temp_template("one.img", &error);

	g_assert_no_error(error);
	g_assert_cmpstr(t1, ==, "/srv/vm/.one.img.virtmem-XXXXXX");
	g_assert_cmpstr(t2, ==, "./.one.img.virtmem-XXXXXX");
	g_assert_true(
		vmem_save_file_is_temp_of("/srv/vm/one.img", "/srv/vm/.one.img.virtmem-a1B2c3"));
	g_assert_false(vmem_save_file_is_temp_of("/srv/vm/one.img", "/srv/vm/.one.img.virtmem-a1"));
	g_assert_false(
		vmem_save_file_is_temp_of("/srv/vm/one.img", "/srv/.one.img.virtmem-a1B2c3"));
	for (const char *const *bad = (const char *const[]){"", "/", "dir/", "/srv/..", ".", NULL};
	     *bad != NULL; bad++) {
		g_assert_null(vmem_save_file_temp_template(*bad, &error));
		g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT);
		g_clear_error(&error);
	}
}

static void
test_temp_commit(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("virtmem-save-XXXXXX", NULL);
	g_autofree char *file = g_build_filename(dir, "vm.img", NULL);
	g_autofree char *temp = NULL;
	g_autofree char *other = NULL;
	g_autofree char *names = NULL;
	guint64 apparent = 0, allocated = 0;
	GStatBuf st;

	/* created next to the file, private, and renamed on commit */
	temp = vmem_save_file_create_temp(file, &error);
	g_assert_no_error(error);
	g_assert_true(vmem_save_file_is_temp_of(file, temp));
	g_assert_cmpint(g_stat(temp, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
	g_assert_true(g_file_set_contents(temp, "state", -1, &error));
	g_assert_true(vmem_save_file_commit(temp, file, &error));
	g_assert_no_error(error);
	names = list_dir(dir);
	g_assert_cmpstr(names, ==, "vm.img");
	g_assert_true(vmem_save_file_sizes(file, &apparent, &allocated, &error));
	g_assert_cmpuint(apparent, ==, 5);

	/* an existing file is never replaced: not when starting, not when a
	 * file appeared under the name meanwhile (the image is kept) */
	g_assert_null(vmem_save_file_create_temp(file, &error));
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	other = g_build_filename(dir, "other.img", NULL);
	g_clear_pointer(&temp, g_free);
	temp = vmem_save_file_create_temp(other, &error);
	g_assert_no_error(error);
	g_assert_true(g_file_set_contents(other, "someone else's", -1, &error));
	g_assert_false(vmem_save_file_commit(temp, other, &error));
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_IO);
	g_clear_error(&error);
	g_assert_true(g_file_test(temp, G_FILE_TEST_EXISTS));

	/* a failed job's file goes */
	vmem_save_file_discard(temp);
	vmem_save_file_discard(temp);
	vmem_save_file_discard(NULL);
	g_clear_pointer(&names, g_free);
	names = list_dir(dir);
	g_assert_cmpstr(names, ==, "other.img vm.img");
	vmem_test_remove_dir(dir);
}

static const char domain_xml[] =
	"<domain type='qemu'>\n"
	"  <name>vm</name>\n"
	"  <metadata>\n"
	"    <virtmem:policy xmlns:virtmem='http://virtmem.org/xmlns/policy/1' mode='auto'/>\n"
	"  </metadata>\n"
	"  <memory unit='MiB'>4608</memory>\n"
	"</domain>\n";

static void
test_meta_round_trip(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) targets = vmem_saved_targets_new();
	g_autoptr(GPtrArray) read = NULL;
	g_autoptr(GPtrArray) none = NULL;
	g_autofree char *xml = NULL;
	g_autofree char *again = NULL;
	g_autofree char *cleared = NULL;
	g_autofree char *bare = NULL;

	vmem_saved_targets_add(targets, "ua-vmem0", 2 * GIB);
	vmem_saved_targets_add(targets, "ua-vmem1", 512 * MIB);
	xml = vmem_save_meta_set(domain_xml, targets, &error);
	g_assert_no_error(error);
	/* beside the policy, in a namespace of its own */
	g_assert_nonnull(strstr(xml, "virtmem:policy"));
	g_assert_nonnull(strstr(xml, VMEM_SAVED_NS));
	g_assert_true(vmem_save_meta_get(xml, &read, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(read->len, ==, 2);
	g_assert_cmpstr(((VmemSavedTarget *)read->pdata[0])->alias, ==, "ua-vmem0");
	g_assert_cmpuint(((VmemSavedTarget *)read->pdata[0])->requested, ==, 2 * GIB);
	g_assert_cmpuint(vmem_saved_targets_total(read), ==, 2 * GIB + 512 * MIB);

	/* set again: replaced, not added */
	g_ptr_array_remove_index(targets, 1);
	again = vmem_save_meta_set(xml, targets, &error);
	g_clear_pointer(&read, g_ptr_array_unref);
	g_assert_true(vmem_save_meta_get(again, &read, &error));
	g_assert_cmpuint(read->len, ==, 1);

	/* cleared, and none in a domain without metadata */
	cleared = vmem_save_meta_set(again, NULL, &error);
	g_assert_no_error(error);
	g_assert_null(strstr(cleared, VMEM_SAVED_NS));
	g_assert_nonnull(strstr(cleared, "virtmem:policy"));
	g_assert_true(vmem_save_meta_get(cleared, &none, &error));
	g_assert_null(none);
	bare = vmem_save_meta_set("<domain><name>x</name></domain>", targets, &error);
	g_assert_no_error(error);
	g_assert_nonnull(strstr(bare, "<metadata>"));
}

static void
test_meta_hostile(void)
{
	static const char *const bad[] = {
		"<domain><metadata><s:saved xmlns:s='" VMEM_SAVED_NS
		"'><s:device alias='a' requested='lots'/></s:saved></metadata></domain>",
		"<domain><metadata><s:saved xmlns:s='" VMEM_SAVED_NS
		"'><s:device alias='a' requested='-1'/></s:saved></metadata></domain>",
		"<domain><metadata><s:saved xmlns:s='" VMEM_SAVED_NS
		"'><s:device alias='a' requested='99999999999999999999'/></s:saved></metadata>"
		"</domain>",
		"<domain><metadata><s:saved xmlns:s='" VMEM_SAVED_NS
		"'><s:device requested='1'/></s:saved></metadata></domain>",
		"<domain><metadata><s:saved xmlns:s='" VMEM_SAVED_NS
		"'><s:device alias='a' requested='1'/><s:device alias='a' requested='2'/>"
		"</s:saved></metadata></domain>",
		"<domain><metadata>",
		"<notadomain/>",
	};
	g_autoptr(GString) many =
		g_string_new("<domain><metadata><s:saved xmlns:s='" VMEM_SAVED_NS "'>");

	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		GPtrArray *targets = NULL;

		g_assert_false(vmem_save_meta_get(bad[i], &targets, &error));
		g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
		g_assert_null(targets);
		g_test_message("%s", error->message);
	}
	for (guint i = 0; i <= VMEM_SAVED_DEVICES_MAX; i++)
		g_string_append_printf(many, "<s:device alias='d%u' requested='0'/>", i);
	g_string_append(many, "</s:saved></metadata></domain>");
	{
		g_autoptr(GError) error = NULL;
		GPtrArray *targets = NULL;

		g_assert_false(vmem_save_meta_get(many->str, &targets, &error));
		g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
	}
}

static void
facts(VmemJobAgentFacts *f, guint64 used, guint64 base)
{
	memset(f, 0, sizeof(*f));
	f->valid = TRUE;
	f->mem_used = used;
	f->base = base;
}

static void
test_squeeze_target(void)
{
	g_autoptr(GError) error = NULL;
	VmemJobAgentFacts f;
	guint64 target = 0;

	/* uses 600 MiB with 400 MiB base: needs 200 MiB + 128 MiB margin */
	facts(&f, 600 * MIB, 400 * MIB);
	g_assert_true(vmem_squeeze_target(&f, 2 * GIB, 2 * MIB, 0, FALSE, 0, &target, &error));
	g_assert_cmpuint(target, ==, 328 * MIB);
	/* 5 % of a large use is more than 128 MiB; rounded up to a block */
	facts(&f, 10 * GIB, 1 * GIB);
	g_assert_true(vmem_squeeze_target(&f, 16 * GIB, 2 * MIB, 0, FALSE, 0, &target, &error));
	g_assert_cmpuint(target, ==, 9 * GIB + 512 * MIB);
	/* the policy's min wins; never above what is requested now */
	facts(&f, 300 * MIB, 400 * MIB);
	g_assert_true(vmem_squeeze_target(&f, 2 * GIB, 2 * MIB, 0, FALSE, 0, &target, &error));
	g_assert_cmpuint(target, ==, 28 * MIB);
	g_assert_true(
		vmem_squeeze_target(&f, 2 * GIB, 2 * MIB, 1 * GIB, FALSE, 0, &target, &error));
	g_assert_cmpuint(target, ==, 1 * GIB);
	g_assert_true(
		vmem_squeeze_target(&f, 512 * MIB, 2 * MIB, 1 * GIB, FALSE, 0, &target, &error));
	g_assert_cmpuint(target, ==, 512 * MIB);
	/* a size given: taken, unless below the need */
	g_assert_true(
		vmem_squeeze_target(&f, 2 * GIB, 2 * MIB, 0, TRUE, 256 * MIB, &target, &error));
	g_assert_cmpuint(target, ==, 256 * MIB);
	g_assert_false(vmem_squeeze_target(&f, 2 * GIB, 2 * MIB, 0, TRUE, 0, &target, &error));
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	/* no report on memory: no target */
	f.valid = FALSE;
	g_assert_false(vmem_squeeze_target(&f, 2 * GIB, 2 * MIB, 0, FALSE, 0, &target, &error));
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT);
}

static void
test_progress(void)
{
	virTypedParameterPtr params = NULL;
	int n = 0, max = 0;
	VmemSaveProgress p = {0};

	virTypedParamsAddULLong(&params, &n, &max, VIR_DOMAIN_JOB_DATA_PROCESSED, 100 * MIB);
	virTypedParamsAddULLong(&params, &n, &max, VIR_DOMAIN_JOB_DATA_TOTAL, 1 * GIB);
	vmem_save_progress_update(&p, params, n, G_USEC_PER_SEC);
	g_assert_cmpuint(p.processed, ==, 100 * MIB);
	g_assert_cmpuint(p.total, ==, 1 * GIB);
	g_assert_cmpuint(p.bytes_per_s, ==, 100 * MIB);
	virTypedParamsFree(params, n);
	params = NULL;
	n = max = 0;
	/* from the memory figures when there are no data figures; a value
	 * going backwards is ignored */
	virTypedParamsAddULLong(&params, &n, &max, VIR_DOMAIN_JOB_MEMORY_PROCESSED, 300 * MIB);
	vmem_save_progress_update(&p, params, n, 3 * G_USEC_PER_SEC);
	g_assert_cmpuint(p.processed, ==, 300 * MIB);
	g_assert_cmpuint(p.bytes_per_s, ==, 100 * MIB);
	g_assert_cmpuint(p.total, ==, 1 * GIB);
	virTypedParamsFree(params, n);
	params = NULL;
	n = max = 0;
	virTypedParamsAddULLong(&params, &n, &max, VIR_DOMAIN_JOB_DATA_PROCESSED, 1 * MIB);
	vmem_save_progress_update(&p, params, n, 4 * G_USEC_PER_SEC);
	g_assert_cmpuint(p.processed, ==, 300 * MIB);
	virTypedParamsFree(params, n);
}

static void
on_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	*(GAsyncResult **)user_data = g_object_ref(result);
}

static GAsyncResult *
run_until(GAsyncResult **pending)
{
	while (*pending == NULL)
		g_main_context_iteration(NULL, TRUE);
	return g_steal_pointer(pending);
}

static VmemSaveResult *
save_domain(VmemSave *save, const char *domain, const char *file, VmemSaveFormat format,
	    GError **error)
{
	g_autoptr(GAsyncResult) result = NULL;
	GAsyncResult *pending = NULL;
	VmemSaveOptions options;

	vmem_save_options_init(&options);
	options.format = format;
	vmem_save_domain_async(save, domain, file, &options, NULL, on_done, &pending);
	result = run_until(&pending);
	return vmem_save_domain_finish(save, result, error);
}

static VmemSaveResult *
restore(VmemSave *save, const char *file, GError **error)
{
	g_autoptr(GAsyncResult) result = NULL;
	GAsyncResult *pending = NULL;

	vmem_save_restore_async(save, file, VMEM_SAVE_START_DEFAULT, FALSE, 10, NULL, on_done,
				&pending);
	result = run_until(&pending);
	return vmem_save_restore_finish(save, result, error);
}

/* test:///default has no virDomainSaveParams: a domain with virtio-mem is
 * saved raw with the reason, sparse asked for fails and leaves no file */
static void
test_save_restore_test_driver(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemBackend) backend = vmem_backend_open("test:///default", &error);
	g_autoptr(VmemSave) save = vmem_save_new(backend, &error);
	g_autoptr(VmemSaveResult) saved = NULL;
	g_autoptr(VmemSaveResult) failed = NULL;
	g_autoptr(VmemSaveResult) restored = NULL;
	g_autofree char *dir = g_dir_make_tmp("virtmem-save-XXXXXX", NULL);
	g_autofree char *file = g_build_filename(dir, "numa.img", NULL);
	g_autofree char *sparse = g_build_filename(dir, "sparse.img", NULL);
	g_autofree char *names = NULL;
	VmemRunState state;

	g_assert_no_error(error);
	failed = save_domain(save, "numa", sparse, VMEM_SAVE_FORMAT_SPARSE, &error);
	g_assert_null(failed);
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_VMM);
	g_clear_error(&error);
	names = list_dir(dir);
	g_assert_cmpstr(names, ==, "");
	g_assert_true(vmem_backend_get_run_state(backend, "numa", &state, &error));
	g_assert_cmpint(state, ==, VMEM_RUN_STATE_RUNNING);

	saved = save_domain(save, "numa", file, VMEM_SAVE_FORMAT_AUTO, &error);
	g_assert_no_error(error);
	g_assert_cmpint(saved->format, ==, VMEM_SAVE_FORMAT_RAW);
	g_assert_nonnull(saved->fallback_reason);
	g_assert_cmpuint(saved->apparent, >, 0);
	g_assert_cmpuint(saved->base, ==, 2048 * MIB);
	g_clear_pointer(&names, g_free);
	names = list_dir(dir);
	g_assert_cmpstr(names, ==, "numa.img");
	g_assert_true(vmem_backend_get_run_state(backend, "numa", &state, &error));
	g_assert_cmpint(state, ==, VMEM_RUN_STATE_SHUT_OFF);

	/* nothing remembered: restored as it was */
	restored = restore(save, file, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(restored->domain, ==, "numa");
	g_assert_null(restored->remembered);
	g_assert_null(restored->remembered_error);
	g_assert_true(restored->running);
	vmem_test_remove_dir(dir);
}

/* The test driver has no guest agent: the squeeze changes nothing */
static void
test_squeeze_without_agent(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemBackend) backend = vmem_backend_open("test:///default", &error);
	g_autoptr(VmemSqueezeResult) squeeze = NULL;
	g_autoptr(GAsyncResult) result = NULL;
	GAsyncResult *pending = NULL;
	VmemSqueezeOptions options;

	vmem_squeeze_options_init(&options);
	options.agent_timeout_ms = 200;
	vmem_squeeze_async(backend, "numa", &options, NULL, on_done, &pending);
	result = run_until(&pending);
	squeeze = vmem_squeeze_finish(backend, result, &error);
	g_assert_no_error(error);
	g_assert_cmpint(squeeze->outcome, ==, VMEM_SQUEEZE_SKIPPED);
	g_assert_nonnull(squeeze->reason);
	g_test_message("%s", squeeze->reason);
	g_assert_cmpuint(squeeze->before->len, ==, 2);
	g_assert_true(vmem_squeeze_undo(backend, "numa", squeeze, &error));
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *xml = NULL;
	g_autofree char *path = NULL;
	virConnectPtr conn;
	virDomainPtr dom;
	int rc;

	g_test_init(&argc, &argv, NULL);
	g_assert_true(vmem_libvirt_init(&error));
	/* test:///default is one state per process: the backend's connection
	 * sees the domain defined here */
	conn = virConnectOpen("test:///default");
	g_assert_nonnull(conn);
	path = g_test_build_filename(G_TEST_DIST, "unit", "backend-libvirt-numa.xml", NULL);
	g_assert_true(g_file_get_contents(path, &xml, NULL, &error));
	dom = virDomainDefineXML(conn, xml);
	g_assert_nonnull(dom);
	g_assert_cmpint(virDomainCreate(dom), ==, 0);
	virDomainFree(dom);

	g_test_add_func("/save/temp-name", test_temp_name);
	g_test_add_func("/save/temp-commit", test_temp_commit);
	g_test_add_func("/save/meta-round-trip", test_meta_round_trip);
	g_test_add_func("/save/meta-hostile", test_meta_hostile);
	g_test_add_func("/save/squeeze-target", test_squeeze_target);
	g_test_add_func("/save/progress", test_progress);
	g_test_add_func("/save/test-driver", test_save_restore_test_driver);
	g_test_add_func("/save/squeeze-without-agent", test_squeeze_without_agent);
	rc = g_test_run();
	virConnectClose(conn);
	return rc;
}
