/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemctl save / restore / dump on a real guest and a private libvirtd:
 * a sparse save and restore keeps the data the guest wrote (same checksum,
 * same boot), and the image passes the project's own reader; a squeezed
 * save unplugs first and the restore grows back to the remembered target;
 * a save interrupted by the domain's destruction leaves no file; a
 * memory-only dump is about base memory plus plugged, not plus the
 * device's size.  Every phase that shrinks checks that the guest did not
 * reboot (boot id and the boots on its console).
 */
#include "config.h"

#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-c/json.h>

#include "vmem-image.h"
#include "vmem-json.h"
#include "vmem-save-meta.h"
#include "vmem-testbed.h"

#define MIB (G_GUINT64_CONSTANT(1024) * 1024)
#define NAME "save"
#define ALIAS "ua-vmem0"
/* What the guest writes and checks: random, so that no page is zero */
#define DATA_MIB 256

/* virtmemctl(1), EXIT STATUS */
#define EXIT_OK 0
#define EXIT_ERROR 9

typedef struct {
	VmemTestbed *tb;
	VmemTestGuest *guest;
	char *dir;
	char *boot_id;
	guint boots;
	char *checksum;
} Fixture;

static Fixture f;

static void
on_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	*(GAsyncResult **)user_data = g_object_ref(result);
}

static GSubprocess *
spawn_ctl(const char *const *args)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	GSubprocess *proc;

	g_ptr_array_add(argv, (gpointer)g_getenv("VIRTMEMCTL"));
	g_ptr_array_add(argv, (gpointer) "-c");
	g_ptr_array_add(argv, (gpointer)vmem_testbed_get_uri(f.tb));
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	g_assert_nonnull(argv->pdata[0]);
	proc = g_subprocess_newv((const char *const *)argv->pdata,
				 G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
				 &error);
	g_assert_no_error(error);
	return proc;
}

/* Waits for @proc, the main loop running meanwhile (libvirtd drops a
 * client whose keepalives go unanswered); returns its exit status. */
static int
wait_ctl(GSubprocess *proc, const char *what, char **ret_out)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GAsyncResult) result = NULL;
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;

	g_subprocess_communicate_utf8_async(proc, NULL, NULL, on_done, &result);
	while (result == NULL)
		g_main_context_iteration(NULL, TRUE);
	g_subprocess_communicate_utf8_finish(proc, result, &out, &err, &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_get_if_exited(proc));
	g_test_message("virtmemctl %s -> %d\n%s%s", what, g_subprocess_get_exit_status(proc), out,
		       err);
	if (ret_out != NULL)
		*ret_out = g_steal_pointer(&out);
	return g_subprocess_get_exit_status(proc);
}

/* Runs virtmemctl with --json; returns its report */
static json_object *
run_json(const char *const *args)
{
	g_autoptr(GSubprocess) proc = spawn_ctl(args);
	g_autofree char *out = NULL;
	json_object *root;

	g_assert_cmpint(wait_ctl(proc, args[0], &out), ==, EXIT_OK);
	root = json_tokener_parse(out);
	g_assert_nonnull(root);
	return root;
}

static json_object *
field(json_object *obj, const char *key)
{
	json_object *value = NULL;

	if (!json_object_object_get_ex(obj, key, &value))
		g_error("no member “%s” in %s", key, json_object_to_json_string(obj));
	return value;
}

static guint64
field_u64(json_object *obj, const char *key)
{
	return json_object_get_uint64(field(obj, key));
}

/* The guest is the one that booted last, and kept its data */
static void
assert_same_guest(void)
{
	g_autofree char *boot_id =
		vmem_test_guest_output(f.guest, "cat /proc/sys/kernel/random/boot_id");
	g_autofree char *checksum = vmem_test_guest_output(f.guest, "md5sum < /hold/data");

	g_assert_true(vmem_test_guest_is_running(f.guest));
	g_assert_cmpstr(boot_id, ==, f.boot_id);
	g_assert_cmpuint(vmem_test_guest_console_boots(f.guest), ==, f.boots);
	g_assert_cmpstr(checksum, ==, f.checksum);
}

static void
boot(void)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(vmem_test_guest_start(f.guest, &error));
	g_assert_no_error(error);
	f.boots++;
	g_free(f.boot_id);
	f.boot_id = vmem_test_guest_output(f.guest, "cat /proc/sys/kernel/random/boot_id");
	g_assert_cmpuint(vmem_test_guest_console_boots(f.guest), ==, f.boots);
}

/* Random data in tmpfs, which a save must carry: 8 MiB from urandom (slow
 * under TCG) repeated */
static void
write_data(void)
{
	g_autofree char *cmd = g_strdup_printf(
		"dd if=/dev/urandom of=/hold/seed bs=1M count=8 2>/dev/null && rm -f /hold/data "
		"&& for i in $(seq %d); do cat /hold/seed >> /hold/data; done && rm /hold/seed",
		DATA_MIB / 8);

	g_free(vmem_test_guest_output(f.guest, cmd));
	g_free(f.checksum);
	f.checksum = vmem_test_guest_output(f.guest, "md5sum < /hold/data");
}

static guint64
settled_plugged(void)
{
	g_autoptr(GError) error = NULL;
	guint64 kib = 0;

	g_assert_true(vmem_test_guest_wait_settled(f.guest, ALIAS, 2, 60, &kib, &error));
	g_assert_no_error(error);
	return kib * 1024;
}

static void
resize(const char *size)
{
	g_autoptr(GSubprocess) proc =
		spawn_ctl((const char *const[]){"resize", NAME, size, "--wait", NULL});

	g_assert_cmpint(wait_ctl(proc, "resize", NULL), ==, EXIT_OK);
}

static void
assert_only(const char *name)
{
	g_autoptr(GDir) dir = g_dir_open(f.dir, 0, NULL);
	const char *entry;

	while ((entry = g_dir_read_name(dir)) != NULL)
		if (g_strcmp0(entry, name) != 0)
			g_error("%s left in %s", entry, f.dir);
}

static void
reattach(void)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(vmem_test_guest_reattach(f.guest, &error));
	g_assert_no_error(error);
}

/* The project's reader on the image: it verifies, and the device's RAMBlock
 * holds no more pages than were plugged */
static void
verify_image(const char *path, guint64 plugged)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemImageReader) reader = NULL;
	g_autoptr(VmemImage) image = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	gboolean found = FALSE;

	g_assert_cmpint(fd, >=, 0);
	reader = vmem_image_reader_new_fd(fd, &error);
	g_assert_no_error(error);
	image = vmem_image_parse(reader, VMEM_IMAGE_PARSE_ALLOCATION, &error);
	g_assert_no_error(error);
	g_assert_true(vmem_image_verify(reader, image, &error));
	g_assert_no_error(error);
	g_assert_true(image->libvirt.present);
	g_assert_cmpuint(image->libvirt.format, ==, VMEM_IMAGE_LIBVIRT_FORMAT_SPARSE);
	for (guint i = 0; i < image->blocks->len; i++) {
		const VmemImageBlock *block = g_ptr_array_index(image->blocks, i);

		g_test_message("%s: %" G_GUINT64_FORMAT " pages written", block->name,
			       block->pages_written);
		if (g_str_has_suffix(block->name, "mem" ALIAS)) {
			found = TRUE;
			g_assert_cmpuint(block->pages_written * block->page_size, <=, plugged);
		}
	}
	g_assert_true(found);
}

static void
test_sparse(void)
{
	g_autofree char *file = g_build_filename(f.dir, "sparse.img", NULL);
	g_autoptr(json_object) saved = NULL;
	g_autoptr(json_object) restored = NULL;
	guint64 plugged, limit;

	resize("1GiB");
	write_data();
	plugged = settled_plugged();
	g_assert_cmpuint(plugged, ==, 1024 * MIB);
	saved = run_json((const char *const[]){"save", NAME, file, "--json", NULL});
	g_assert_cmpstr(json_object_get_string(field(saved, "format")), ==, "sparse");
	g_assert_true(json_object_is_type(field(saved, "fallback_reason"), json_type_null));
	g_assert_false(vmem_test_guest_is_running(f.guest));
	assert_only("sparse.img");
	/* apparent: base + the whole device; allocated: at most base + plugged
	 * (plus headers) */
	limit = field_u64(saved, "limit");
	g_assert_cmpuint(limit, ==, 512 * MIB + plugged);
	g_assert_cmpuint(field_u64(saved, "apparent"), >, 4096 * MIB);
	g_assert_cmpuint(field_u64(saved, "allocated"), >=, DATA_MIB * MIB);
	g_assert_cmpuint(field_u64(saved, "allocated"), <=, limit + limit / 20);
	verify_image(file, plugged);

	restored = run_json((const char *const[]){"restore", file, "--json", NULL});
	g_assert_cmpstr(json_object_get_string(field(restored, "domain")), ==, NAME);
	g_assert_true(json_object_get_boolean(field(restored, "running")));
	g_assert_true(json_object_is_type(field(restored, "remembered"), json_type_null));
	reattach();
	assert_same_guest();
	g_assert_cmpuint(settled_plugged(), ==, plugged);
	g_unlink(file);
}

static void
test_squeeze(void)
{
	g_autofree char *file = g_build_filename(f.dir, "squeezed.img", NULL);
	g_autoptr(json_object) saved = NULL;
	g_autoptr(json_object) restored = NULL;
	g_autofree char *xml = NULL;
	json_object *squeeze;
	guint64 before, after;

	/* 2 GiB plugged, of which the guest used and freed most */
	resize("2GiB");
	g_free(vmem_test_guest_output(
		f.guest,
		"dd if=/dev/zero of=/hold/junk bs=1M count=1024 2>/dev/null; rm /hold/junk"));
	before = settled_plugged();
	g_assert_cmpuint(before, ==, 2048 * MIB);
	saved = run_json((const char *const[]){"save", NAME, file, "--squeeze", "--parallel", "2",
					       "--json", NULL});
	squeeze = field(saved, "squeeze");
	g_assert_cmpuint(field_u64(squeeze, "requested_before"), ==, 2048 * MIB);
	g_assert_cmpuint(field_u64(squeeze, "target"), <, 2048 * MIB);
	/* what the guest holds stays: the target covers the data */
	g_assert_cmpuint(512 * MIB + field_u64(squeeze, "target"), >, DATA_MIB * MIB);
	after = field_u64(squeeze, "plugged_after");
	g_assert_cmpuint(after, <, before);
	g_test_message("squeezed %s from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT " MiB",
		       json_object_get_string(field(squeeze, "outcome")), before / MIB,
		       after / MIB);
	g_assert_cmpuint(field_u64(saved, "allocated"), <=, 512 * MIB + after + 64 * MIB);
	assert_only("squeezed.img");
	verify_image(file, after);

	/* the restore grows back to what was requested before the squeeze, and
	 * forgets the target */
	restored = run_json((const char *const[]){"restore", file, "--json", NULL});
	g_assert_cmpuint(field_u64(restored, "remembered"), ==, 2048 * MIB);
	g_assert_cmpuint(field_u64(restored, "requested_after"), ==, 2048 * MIB);
	g_assert_cmpstr(json_object_get_string(field(restored, "regrow_state")), ==, "converged");
	reattach();
	assert_same_guest();
	g_assert_cmpuint(settled_plugged(), ==, 2048 * MIB);
	xml = virDomainGetXMLDesc(vmem_test_guest_get_domain(f.guest), 0);
	g_assert_null(strstr(xml, VMEM_SAVED_NS));
	g_unlink(file);
}

/* Restored paused, the guest is asked for its target again and plugs it
 * once resumed */
static void
test_squeeze_paused(void)
{
	g_autofree char *file = g_build_filename(f.dir, "paused.img", NULL);
	g_autoptr(json_object) saved = NULL;
	g_autoptr(json_object) restored = NULL;
	json_object *squeeze;

	g_assert_cmpuint(settled_plugged(), ==, 2048 * MIB);
	saved = run_json(
		(const char *const[]){"save", NAME, file, "--squeeze=512M", "--json", NULL});
	squeeze = field(saved, "squeeze");
	g_assert_cmpuint(field_u64(squeeze, "target"), ==, 512 * MIB);
	g_assert_cmpuint(field_u64(squeeze, "plugged_after"), <, 2048 * MIB);
	restored = run_json((const char *const[]){"restore", file, "--paused", "--json", NULL});
	g_assert_false(json_object_get_boolean(field(restored, "running")));
	g_assert_cmpuint(field_u64(restored, "requested_after"), ==, 2048 * MIB);
	g_assert_true(json_object_is_type(field(restored, "regrow_state"), json_type_null));
	g_assert_cmpint(virDomainResume(vmem_test_guest_get_domain(f.guest)), ==, 0);
	reattach();
	assert_same_guest();
	g_assert_cmpuint(settled_plugged(), ==, 2048 * MIB);
	g_unlink(file);
}

/* The domain destroyed while libvirt writes: no file under the name, and
 * the temporary file removed */
static void
test_interrupted(void)
{
	g_autofree char *file = g_build_filename(f.dir, "interrupted.img", NULL);
	g_autoptr(GSubprocess) proc = NULL;
	gint64 end = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
	g_autoptr(GAsyncResult) result = NULL;
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;
	g_autoptr(GError) error = NULL;
	gboolean destroyed = FALSE;

	/* raw: slower than sparse, so there is time to interrupt it */
	proc = spawn_ctl((const char *const[]){"save", NAME, file, "--format", "raw", NULL});
	g_subprocess_communicate_utf8_async(proc, NULL, NULL, on_done, &result);
	while (result == NULL) {
		g_autoptr(GDir) dir = g_dir_open(f.dir, 0, NULL);
		const char *entry;

		while (!destroyed && (entry = g_dir_read_name(dir)) != NULL) {
			g_autofree char *path = g_build_filename(f.dir, entry, NULL);
			GStatBuf st;

			/* libvirt started writing */
			if (g_str_has_prefix(entry, ".interrupted.img.virtmem-") &&
			    g_stat(path, &st) == 0 && (guint64)st.st_size > 16 * MIB) {
				g_test_message("destroying with %" G_GUINT64_FORMAT " MiB written",
					       (guint64)st.st_size / MIB);
				g_assert_cmpint(
					virDomainDestroy(vmem_test_guest_get_domain(f.guest)), ==,
					0);
				destroyed = TRUE;
			}
		}
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_main_context_iteration(NULL, FALSE);
		g_usleep(5000);
	}
	g_assert_true(destroyed);
	g_subprocess_communicate_utf8_finish(proc, result, &out, &err, &error);
	g_assert_no_error(error);
	g_test_message("interrupted save: %d: %s", g_subprocess_get_exit_status(proc), err);
	g_assert_cmpint(g_subprocess_get_exit_status(proc), ==, EXIT_ERROR);
	g_assert_false(g_file_test(file, G_FILE_TEST_EXISTS));
	assert_only(NULL);
}

/* A dump holds base memory and what is plugged, not the whole device */
static void
test_dump(void)
{
	g_autofree char *file = g_build_filename(f.dir, "dump.elf", NULL);
	g_autoptr(json_object) dumped = NULL;
	guint64 plugged, apparent, limit;

	boot();
	resize("512MiB");
	plugged = settled_plugged();
	g_assert_cmpuint(plugged, ==, 512 * MIB);
	dumped = run_json((const char *const[]){"dump", NAME, file, "--json", NULL});
	apparent = field_u64(dumped, "apparent");
	limit = field_u64(dumped, "limit");
	g_assert_cmpuint(limit, ==, 1024 * MIB);
	g_assert_cmpuint(apparent, >=, limit);
	g_assert_cmpuint(apparent, <=, limit + 16 * MIB);
	g_assert_true(vmem_test_guest_is_running(f.guest));
	assert_only("dump.elf");
	g_unlink(file);
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	VmemTestGuestConfig config;
	int rc;

	g_test_init(&argc, &argv, NULL);
	f.tb = vmem_testbed_new(VMEM_TESTBED_DAEMON, &error);
	g_assert_no_error(error);
	vmem_test_guest_config_init(&config);
	config.requested_mib = 0;
	f.guest = vmem_test_guest_new(f.tb, NAME, &config, &error);
	g_assert_no_error(error);
	f.dir = g_dir_make_tmp("virtmem-save-XXXXXX", NULL);
	boot();

	/* in this order: one guest goes through all */
	g_test_add_func("/vm/save/sparse", test_sparse);
	g_test_add_func("/vm/save/squeeze", test_squeeze);
	g_test_add_func("/vm/save/squeeze-paused", test_squeeze_paused);
	g_test_add_func("/vm/save/interrupted", test_interrupted);
	g_test_add_func("/vm/save/dump", test_dump);
	rc = g_test_run();

	g_rmdir(f.dir);
	g_free(f.dir);
	g_free(f.boot_id);
	g_free(f.checksum);
	vmem_testbed_free(f.tb);
	g_assert_true(vmem_testbed_all_processes_gone());
	return rc;
}
