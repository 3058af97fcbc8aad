/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The mapped-ram image reader on what QEMU itself writes: the test guest
 * (plain QEMU, no libvirt) with part of its virtio-mem device plugged is
 * migrated to a file with the mapped-ram capability.  The reader finds
 * every RAMBlock, the virtio-mem devices' among them (two, of one size),
 * and each device's early state, whose plugged blocks are exactly what
 * QEMU reports for the device (query-memory-devices) and which is matched
 * to the RAMBlock of the device's own backend; the image verifies, with
 * the library and with virtmem-image (exit 0).  Damaged in place and repaired after each
 * case (the file is sparse and large: no copies), it is refused, with the
 * structure at fault, by both (exit 1): offsets moved, a page bit set in
 * an unplugged block, a broken stream header, a broken device state, and
 * truncated at its end, in the device state and in the page area.
 */
#include "config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <unistd.h>

#include "vmem-backend.h"
#include "vmem-error.h"
#include "vmem-image.h"
#include "vmem-qmp.h"
#include "vmem-test-qemu.h"
#include "vmem-testbed.h"

#define MIB (G_GUINT64_CONSTANT(1024) * 1024)

/* The running QEMU, ended if an assertion aborts the test: the test bed
 * protects the processes of a libvirt test bed only. */
static VmemTestQemu *running_qemu;

static void
kill_running_qemu(int sig)
{
	if (running_qemu != NULL)
		vmem_test_qemu_kill(running_qemu);
	signal(sig, SIG_DFL);
	raise(sig);
}

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

/* QEMU's own view of its virtio-mem devices (query-memory-devices),
 * waiting until the guest has plugged what was requested of each. */
static json_object *
query_devices(VmemQmp *qmp, guint n_devices, guint64 requested)
{
	gint64 end = g_get_monotonic_time() + 120 * G_USEC_PER_SEC;

	for (;;) {
		g_autoptr(json_object) reply = NULL;
		g_autoptr(GError) error = NULL;
		json_object *devices = json_object_new_array();
		guint ready = 0;

		g_assert_true(vmem_qmp_execute(qmp, "query-memory-devices", NULL, &reply, &error));
		g_assert_no_error(error);
		for (gsize i = 0; i < json_object_array_length(reply); i++) {
			json_object *dev = json_object_array_get_idx(reply, i);
			json_object *type = NULL, *data = NULL, *size = NULL;

			if (!json_object_object_get_ex(dev, "type", &type) ||
			    !g_str_equal(json_object_get_string(type), "virtio-mem"))
				continue;
			g_assert_true(json_object_object_get_ex(dev, "data", &data));
			g_assert_true(json_object_object_get_ex(data, "size", &size));
			json_object_array_add(devices, json_object_get(data));
			if ((guint64)json_object_get_uint64(size) == requested)
				ready++;
		}
		g_assert_cmpuint(json_object_array_length(devices), ==, n_devices);
		if (ready == n_devices)
			return devices;
		json_object_put(devices);
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
	g_autoptr(json_object) qdevs = NULL;
	g_autoptr(json_object) json = NULL;
	const VmemImageBlock *vmem = NULL;
	const VmemImageVirtioMem *device = NULL;
	json_object *devices = NULL;
	VmemTestGuestConfig config;
	guint64 unplugged;
	guint block_index;
	GStatBuf st;
	int fd;

	vmem_test_guest_config_init(&config);
	/* two nodes: two devices of one size, told apart by device path */
	config.n_nodes = 2;
	config.requested_mib = 256;
	qemu = vmem_test_qemu_start("vmimage", &config, &error);
	g_assert_no_error(error);
	running_qemu = qemu;
	signal(SIGABRT, kill_running_qemu);
	signal(SIGSEGV, kill_running_qemu);
	/* QEMU takes one QMP client: ours, once the guest plugged its memory */
	g_assert_true(vmem_test_qemu_wait_ready(qemu, &error));
	g_assert_no_error(error);
	qmp = vmem_qmp_connect(vmem_test_qemu_get_qmp_uri(qemu) + strlen("qmp+unix://"), 0, &error);
	g_assert_no_error(error);
	qdevs = query_devices(qmp, config.n_nodes, 256 * MIB);
	migrate_to_file(qmp, path);

	image = parse_file(path, TRUE, &error);
	g_assert_no_error(error);
	for (guint i = 0; i < image->blocks->len; i++) {
		const VmemImageBlock *block = g_ptr_array_index(image->blocks, i);

		g_test_message("%s: %" G_GUINT64_FORMAT " MiB, %" G_GUINT64_FORMAT " pages written",
			       block->name, block->used_length / MIB, block->pages_written);
	}

	/* each device's state: exactly QEMU's view of the device (found by
	 * its address), matched to the RAMBlock of its own memory backend,
	 * although both devices have the same size */
	g_assert_cmpuint(image->devices->len, ==, config.n_nodes);
	g_assert_null(image->setup_end_name);
	for (gsize i = 0; i < json_object_array_length(qdevs); i++) {
		json_object *qdev = json_object_array_get_idx(qdevs, i);
		json_object *memdev = NULL;
		g_autofree char *suffix = NULL;
		const VmemImageBlock *block;

		device = NULL;
		for (guint j = 0; j < image->devices->len; j++) {
			const VmemImageVirtioMem *d = image->devices->pdata[j];

			if (d->addr == member_u64(qdev, "memaddr"))
				device = d;
		}
		g_assert_nonnull(device);
		g_test_message("%s at offset %" G_GUINT64_FORMAT ": %" G_GUINT64_FORMAT
			       " of %" G_GUINT64_FORMAT " blocks plugged",
			       device->idstr, device->section_offset, device->plugged_blocks,
			       device->n_blocks);
		g_assert_true(g_str_has_suffix(device->idstr, "/virtio-mem-device-early"));
		g_assert_cmpuint(device->plugged_blocks * device->block_size, ==,
				 member_u64(qdev, "size"));
		g_assert_cmpuint(device->size, ==, member_u64(qdev, "size"));
		g_assert_cmpuint(device->block_size, ==, member_u64(qdev, "block-size"));
		g_assert_cmpuint(device->region_size, ==, member_u64(qdev, "max-size"));
		g_assert_cmpuint(device->node, ==, member_u64(qdev, "node"));
		g_assert_cmpuint(device->plugged_blocks, >, 0);
		g_assert_cmpuint(device->plugged_blocks, <, device->n_blocks);

		/* "/objects/mem1" is the backend of RAMBlock "DEVPATH/mem1" */
		g_assert_true(json_object_object_get_ex(qdev, "memdev", &memdev));
		suffix = g_strconcat("/", strrchr(json_object_get_string(memdev), '/') + 1, NULL);
		g_assert_cmpuint(device->block_index, <, image->blocks->len);
		block = image->blocks->pdata[device->block_index];
		g_assert_true(block->virtio_mem == device);
		g_assert_true(g_str_has_suffix(block->name, suffix));
		/* only what the guest plugged and touched can have pages */
		g_assert_cmpuint(block->used_length, ==, (guint64)config.device_mib * MIB);
		g_assert_cmpuint(block->pages_written * block->page_size, <=,
				 member_u64(qdev, "size"));
		g_assert_cmpuint(block->pages_written, >, 0);
		/* the damage below goes to the last one */
		vmem = block;
	}

	/* the tool agrees, in JSON */
	g_assert_cmpint(run_tool("verify", path, &json), ==, 0);
	g_assert_true(json_object_object_get_ex(json, "virtio_mem_devices", &devices));
	g_assert_cmpuint(json_object_array_length(devices), ==, config.n_nodes);
	for (gsize i = 0; i < json_object_array_length(devices); i++) {
		json_object *d = json_object_array_get_idx(devices, i);

		for (gsize j = 0; j < json_object_array_length(qdevs); j++) {
			json_object *qdev = json_object_array_get_idx(qdevs, j);

			if (member_u64(d, "addr") == member_u64(qdev, "memaddr"))
				g_assert_cmpuint(member_u64(d, "plugged_bytes"), ==,
						 member_u64(qdev, "size"));
		}
	}
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
	block_index = device->block_index;
	g_clear_pointer(&image, vmem_image_free);
	image = parse_file(path, TRUE, &error);
	g_assert_no_error(error);
	vmem = image->blocks->pdata[block_index];
	device = vmem->virtio_mem;

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
	running_qemu = NULL;
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
