/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The mapped-ram image reader on what QEMU itself writes: the test guest
 * (plain QEMU, no libvirt) with part of its virtio-mem device plugged is
 * migrated to a file with the mapped-ram capability.  The reader finds
 * every RAMBlock, the virtio-mem device's among them, and the device's
 * early state, whose plugged blocks are exactly what QEMU reports for the
 * device (query-memory-devices); the image verifies, with the library and
 * with virtmem-image (exit 0).  Damaged in place and repaired after each
 * case (the file is sparse and large: no copies), it is refused, with the
 * structure at fault, by both (exit 1): offsets moved, a page bit set in
 * an unplugged block, a broken stream header, a broken device state, and
 * truncated at its end, in the device state and in the page area.
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

/* QEMU's own view of vmem0 (query-memory-devices), waiting until the
 * guest has plugged what was requested. */
static json_object *
query_vmem0(VmemQmp *qmp, guint64 requested)
{
	gint64 end = g_get_monotonic_time() + 120 * G_USEC_PER_SEC;

	for (;;) {
		g_autoptr(json_object) reply = NULL;
		g_autoptr(GError) error = NULL;

		g_assert_true(vmem_qmp_execute(qmp, "query-memory-devices", NULL, &reply, &error));
		g_assert_no_error(error);
		for (gsize i = 0; i < json_object_array_length(reply); i++) {
			json_object *dev = json_object_array_get_idx(reply, i);
			json_object *data = NULL, *id = NULL, *size = NULL;

			if (!json_object_object_get_ex(dev, "data", &data) ||
			    !json_object_object_get_ex(data, "id", &id) ||
			    !g_str_equal(json_object_get_string(id), "vmem0"))
				continue;
			g_assert_true(json_object_object_get_ex(data, "size", &size));
			if ((guint64)json_object_get_uint64(size) == requested)
				return json_object_get(data);
		}
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_usleep(200 * 1000);
	}
}

static guint64
member_u64(json_object *obj, const char *key)
{
	json_object *value = NULL;

	g_assert_true(json_object_object_get_ex(obj, key, &value));
	return (guint64)json_object_get_uint64(value);
}

/* virtmem-image COMMAND PATH --json: its exit status and its JSON. */
static int
run_tool(const char *command, const char *path, json_object **ret_json)
{
	const char *tool = g_getenv("VIRTMEM_IMAGE");
	const char *argv[] = {tool, command, path, "--json", NULL};
	g_autoptr(GError) error = NULL;
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;
	int status = 0;

	/* a loud failure: the test needs the tool as built */
	g_assert_nonnull(tool);
	g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
				   &err, &status, &error));
	g_assert_no_error(error);
	g_test_message("virtmem-image %s: %s", command, err);
	*ret_json = json_tokener_parse(out);
	g_assert_nonnull(*ret_json);
	g_assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static VmemImage *
parse_file(const char *path, gboolean verify, GError **error)
{
	g_autoptr(VmemImageReader) reader = NULL;
	g_autoptr(VmemImage) image = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	g_assert_cmpint(fd, >=, 0);
	reader = vmem_image_reader_new_fd(fd, error);
	if (reader != NULL)
		image = vmem_image_parse(reader, 0, error);
	if (image != NULL && verify && !vmem_image_verify(reader, image, error))
		g_clear_pointer(&image, vmem_image_free);
	close(fd);
	return g_steal_pointer(&image);
}

/* Writes @len bytes at @at, expects the library and the tool to refuse
 * the image (verify: exit 1) with an error containing @needle, restores
 * the bytes.  @at_verify: the damage is seen by verify, not by parsing. */
static void
damage(int fd, const char *path, guint64 at, const guint8 *bytes, gsize len, gboolean at_verify,
       const char *needle)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemImage) image = NULL;
	g_autoptr(json_object) json = NULL;
	guint8 saved[16];

	g_assert_cmpuint(len, <=, sizeof(saved));
	g_assert_cmpint(pread(fd, saved, len, (off_t)at), ==, (gssize)len);
	g_assert_cmpint(pwrite(fd, bytes, len, (off_t)at), ==, (gssize)len);
	image = parse_file(path, FALSE, &error);
	g_assert_true(at_verify == (image != NULL));
	g_clear_pointer(&image, vmem_image_free);
	g_clear_error(&error);
	image = parse_file(path, TRUE, &error);
	g_assert_null(image);
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
	g_test_message("damaged at %" G_GUINT64_FORMAT ": %s", at, error->message);
	if (strstr(error->message, needle) == NULL || strstr(error->message, "offset") == NULL)
		g_error("expected \"%s\" and an offset in: %s", needle, error->message);
	g_assert_cmpint(run_tool("verify", path, &json), ==, 1);
	g_assert_cmpint(pwrite(fd, saved, len, (off_t)at), ==, (gssize)len);
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
	g_autoptr(json_object) qdev = NULL;
	g_autoptr(json_object) json = NULL;
	const VmemImageBlock *vmem = NULL;
	const VmemImageVirtioMem *device;
	json_object *devices = NULL;
	VmemTestGuestConfig config;
	guint64 unplugged;
	GStatBuf st;
	int fd;

	vmem_test_guest_config_init(&config);
	config.requested_mib = 256;
	qemu = vmem_test_qemu_start("vmimage", &config, &error);
	g_assert_no_error(error);
	/* QEMU takes one QMP client: ours, once the guest plugged its memory */
	g_assert_true(vmem_test_qemu_wait_ready(qemu, &error));
	g_assert_no_error(error);
	qmp = vmem_qmp_connect(vmem_test_qemu_get_qmp_uri(qemu) + strlen("qmp+unix://"), 0, &error);
	g_assert_no_error(error);
	qdev = query_vmem0(qmp, 256 * MIB);
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
	g_assert_cmpuint(vmem->pages_written, >, 0);

	/* its device state: exactly QEMU's view of the device */
	g_assert_cmpuint(image->devices->len, ==, 1);
	g_assert_null(image->setup_end_name);
	device = vmem->virtio_mem;
	g_assert_nonnull(device);
	g_test_message("%s at offset %" G_GUINT64_FORMAT ": %" G_GUINT64_FORMAT
		       " of %" G_GUINT64_FORMAT " blocks plugged",
		       device->idstr, device->section_offset, device->plugged_blocks,
		       device->n_blocks);
	g_assert_true(g_str_has_suffix(device->idstr, "/virtio-mem-device-early"));
	g_assert_cmpuint(device->plugged_blocks * device->block_size, ==, member_u64(qdev, "size"));
	g_assert_cmpuint(device->size, ==, member_u64(qdev, "size"));
	g_assert_cmpuint(device->block_size, ==, member_u64(qdev, "block-size"));
	g_assert_cmpuint(device->region_size, ==, member_u64(qdev, "max-size"));
	g_assert_cmpuint(device->addr, ==, member_u64(qdev, "memaddr"));
	g_assert_cmpuint(device->node, ==, member_u64(qdev, "node"));
	g_assert_cmpuint(device->plugged_blocks, <, device->n_blocks);

	/* the tool agrees, in JSON */
	g_assert_cmpint(run_tool("verify", path, &json), ==, 0);
	g_assert_true(json_object_object_get_ex(json, "virtio_mem_devices", &devices));
	g_assert_cmpuint(json_object_array_length(devices), ==, 1);
	g_assert_cmpuint(member_u64(json_object_array_get_idx(devices, 0), "plugged_bytes"), ==,
			 member_u64(qdev, "size"));
	g_clear_pointer(&json, json_object_put);

	/* damaged in place, repaired after each case */
	fd = open(path, O_RDWR | O_CLOEXEC);
	g_assert_cmpint(fd, >=, 0);
	for (unplugged = 0; vmem_image_virtio_mem_is_plugged(device, unplugged); unplugged++)
		;
	{
		guint64 page = unplugged * device->block_size / vmem->page_size;
		guint8 bit = (guint8)(1u << (page % 8));
		guint64 at = vmem->bitmap_offset + page / 8;
		g_autofree char *needle =
			g_strdup_printf("block %" G_GUINT64_FORMAT ",", unplugged);

		damage(fd, path, at, &bit, 1, TRUE, vmem->name);
		damage(fd, path, at, &bit, 1, TRUE, needle);
	}
	{
		/* the page area moved by one page */
		guint8 moved[8];
		guint64 at = vmem->record_end - 8;

		g_assert_cmpint(pread(fd, moved, 8, (off_t)at), ==, 8);
		moved[6] ^= 0x10;
		damage(fd, path, at, moved, 8, FALSE, "offset");
		/* and the bitmap into the header */
		guint64 into = GUINT64_TO_BE(vmem->bitmap_offset - 1);

		damage(fd, path, at - 8, (const guint8 *)&into, 8, FALSE, "bitmap");
	}
	damage(fd, path, 0, (const guint8 *)"QEVX", 4, FALSE, "QEVM");
	{
		/* the device state: its version, its footer */
		guint8 bad = 0x7f;
		guint64 footer = device->section_end - 5;

		damage(fd, path, device->bitmap_offset - 37, &bad, 1, FALSE, "version");
		damage(fd, path, footer, &bad, 1, FALSE, "footer");
	}
	{
		/* the last byte of QEMU's JSON description cut off */
		g_autoptr(VmemImage) parsed = NULL;
		guint8 last;

		g_assert_cmpint(g_stat(path, &st), ==, 0);
		g_assert_cmpint(pread(fd, &last, 1, st.st_size - 1), ==, 1);
		g_assert_cmpint(ftruncate(fd, st.st_size - 1), ==, 0);
		parsed = parse_file(path, FALSE, &error);
		g_assert_no_error(error);
		g_clear_pointer(&parsed, vmem_image_free);
		parsed = parse_file(path, TRUE, &error);
		g_assert_null(parsed);
		g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
		g_test_message("last byte cut: %s", error->message);
		g_assert_nonnull(strstr(error->message, "end of the stream"));
		g_clear_error(&error);
		g_assert_cmpint(run_tool("verify", path, &json), ==, 1);
		g_clear_pointer(&json, json_object_put);
		g_assert_cmpint(pwrite(fd, &last, 1, st.st_size - 1), ==, 1);
	}
	/* repaired: consistent again */
	g_clear_pointer(&image, vmem_image_free);
	image = parse_file(path, TRUE, &error);
	g_assert_no_error(error);
	device = image->devices->pdata[0];

	/* cut in the device state, then in the middle of the page area (the
	 * file is sparse: cut it in place rather than read it): refused,
	 * saying where */
	g_assert_cmpint(ftruncate(fd, (off_t)device->bitmap_offset + 3), ==, 0);
	truncated = parse_file(path, TRUE, &error);
	g_assert_null(truncated);
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
	g_test_message("cut in the device state: %s", error->message);
	g_assert_nonnull(strstr(error->message, "virtio-mem plugged-block bitmap"));
	g_clear_error(&error);
	g_assert_cmpint(run_tool("info", path, &json), ==, 1);
	g_clear_pointer(&json, json_object_put);
	g_assert_cmpint(g_stat(path, &st), ==, 0);
	g_assert_cmpint(ftruncate(fd, st.st_size / 2), ==, 0);
	truncated = parse_file(path, TRUE, &error);
	g_assert_null(truncated);
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
	g_test_message("truncated copy: %s", error->message);
	g_assert_nonnull(strstr(error->message, "offset"));
	close(fd);

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
