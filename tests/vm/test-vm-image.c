/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The mapped-ram image reader on what QEMU itself writes: the test guest
 * (plain QEMU, no libvirt) with part of its virtio-mem device plugged is
 * migrated to a file with the mapped-ram capability, and the reader finds
 * every RAMBlock, the virtio-mem device's among them, and verifies the
 * image; a truncated copy is refused with the structure at fault.
 */
#include "config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "vmem-backend.h"
#include "vmem-error.h"
#include "vmem-image.h"
#include "vmem-qmp.h"
#include "vmem-test-qemu.h"
#include "vmem-testbed.h"

#define MIB (G_GUINT64_CONSTANT(1024) * 1024)

static void
qmp_ok(VmemQmp *qmp, const char *command, const char *arguments)
{
	g_autoptr(json_object) args = arguments ? json_tokener_parse(arguments) : NULL;
	g_autoptr(GError) error = NULL;

	g_assert_true(vmem_qmp_execute(qmp, command, args, NULL, &error));
	g_assert_no_error(error);
}

/* Migrates the stopped guest to @path with mapped-ram, to the end. */
static void
migrate_to_file(VmemQmp *qmp, const char *path)
{
	g_autofree char *uri = g_strdup_printf("{\"uri\": \"file:%s\"}", path);
	gint64 end = g_get_monotonic_time() + 120 * G_USEC_PER_SEC;

	qmp_ok(qmp, "stop", NULL);
	qmp_ok(qmp, "migrate-set-capabilities",
	       "{\"capabilities\": [{\"capability\": \"mapped-ram\", \"state\": true}]}");
	qmp_ok(qmp, "migrate", uri);
	for (;;) {
		g_autoptr(json_object) reply = NULL;
		g_autoptr(GError) error = NULL;
		json_object *status = NULL;

		g_assert_true(vmem_qmp_execute(qmp, "query-migrate", NULL, &reply, &error));
		g_assert_no_error(error);
		if (json_object_object_get_ex(reply, "status", &status) &&
		    g_str_equal(json_object_get_string(status), "completed"))
			return;
		g_assert_false(status != NULL &&
			       g_str_equal(json_object_get_string(status), "failed"));
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_usleep(100 * 1000);
	}
}

static VmemImage *
parse_file(const char *path, gboolean verify, GError **error)
{
	g_autoptr(VmemImageReader) reader = NULL;
	g_autoptr(VmemImage) image = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	g_assert_cmpint(fd, >=, 0);
	reader = vmem_image_reader_new_fd(fd, error);
	if (reader == NULL)
		return NULL;
	image = vmem_image_parse(reader, 0, error);
	if (image == NULL || (verify && !vmem_image_verify(reader, image, error)))
		return NULL;
	return g_steal_pointer(&image);
}

static void
test_mapped_ram(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemTestQemu) qemu = NULL;
	g_autoptr(VmemBackend) backend = NULL;
	g_autoptr(VmemQmp) qmp = NULL;
	g_autoptr(VmemImage) image = NULL;
	g_autoptr(VmemImage) truncated = NULL;
	g_autofree char *dir = g_dir_make_tmp("virtmem-image-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "guest.img", NULL);
	const VmemImageBlock *vmem = NULL;
	VmemTestGuestConfig config;
	GStatBuf st;

	vmem_test_guest_config_init(&config);
	config.requested_mib = 256;
	qemu = vmem_test_qemu_start("vmimage", &config, &error);
	g_assert_no_error(error);
	/* QEMU takes one QMP client: ours, once the guest plugged its memory */
	g_assert_true(vmem_test_qemu_wait_ready(qemu, &error));
	g_assert_no_error(error);
	qmp = vmem_qmp_connect(vmem_test_qemu_get_qmp_uri(qemu) + strlen("qmp+unix://"), 0, &error);
	g_assert_no_error(error);
	migrate_to_file(qmp, path);

	image = parse_file(path, TRUE, &error);
	g_assert_no_error(error);
	for (guint i = 0; i < image->blocks->len; i++) {
		const VmemImageBlock *block = g_ptr_array_index(image->blocks, i);

		g_test_message("%s: %" G_GUINT64_FORMAT " MiB, %" G_GUINT64_FORMAT " pages written",
			       block->name, block->used_length / MIB, block->pages_written);
		if (g_str_has_suffix(block->name, "mem0"))
			vmem = block;
	}
	/* the device's RAMBlock covers the whole device; only what the guest
	 * plugged and touched can have pages, never more than it plugged */
	g_assert_nonnull(vmem);
	g_assert_cmpuint(vmem->used_length, ==, (guint64)config.device_mib * MIB);
	g_assert_cmpuint(vmem->pages_written * vmem->page_size, <=, 256 * MIB);

	/* cut in the middle of the page area (the file is sparse: cut it in
	 * place rather than read it): refused, saying where */
	g_assert_cmpint(g_stat(path, &st), ==, 0);
	g_assert_cmpint(truncate(path, st.st_size / 2), ==, 0);
	truncated = parse_file(path, TRUE, &error);
	g_assert_null(truncated);
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
	g_test_message("truncated copy: %s", error->message);
	g_assert_nonnull(strstr(error->message, "offset"));

	g_unlink(path);
	g_rmdir(dir);
	g_clear_object(&qmp);
	g_clear_pointer(&qemu, vmem_test_qemu_free);
	g_assert_true(vmem_testbed_all_processes_gone());
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/vm/image/mapped-ram", test_mapped_ram);
	return g_test_run();
}
