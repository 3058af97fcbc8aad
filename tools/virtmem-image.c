/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmem-image: reads QEMU mapped-ram migration streams and libvirt
 * sparse save images (see docs/virtmem-image.rst).
 *
 *   virtmem-image info FILE [--json]
 *   virtmem-image verify FILE [--json]
 *
 * Exit codes: 0 ok, 1 the image is corrupt, 2 usage or unreadable file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "vmem-error.h"
#include "vmem-i18n.h"
#include "vmem-image.h"
#include "vmem-json.h"
#include "vmem-size.h"

#define EXIT_OK 0
#define EXIT_CORRUPT 1
#define EXIT_USAGE 2

#define JSON_FLAGS                                                                                 \
	(JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)

/* JSON is UTF-8 whatever the locale: write its bytes. */
static void
print_json(json_object *value)
{
	const char *text = json_object_to_json_string_ext(value, JSON_FLAGS);
	g_autofree char *valid = NULL;

	if (!g_utf8_validate(text, -1, NULL))
		text = valid = g_utf8_make_valid(text, -1);
	fwrite(text, 1, strlen(text), stdout);
	fputc('\n', stdout);
	fflush(stdout);
}

static json_object *
json_u64(guint64 value)
{
	return json_object_new_uint64(value);
}

static json_object *
json_string_or_null(const char *value)
{
	return value ? json_object_new_string(value) : NULL;
}

static json_object *
device_to_json(const VmemImage *image, const VmemImageVirtioMem *d)
{
	json_object *obj = json_object_new_object();
	const VmemImageBlock *b =
		d->block_index == G_MAXUINT ? NULL : image->blocks->pdata[d->block_index];

	json_object_object_add(obj, "device_state", json_object_new_string(d->idstr));
	json_object_object_add(obj, "instance", json_u64(d->instance));
	json_object_object_add(obj, "section_offset", json_u64(d->section_offset));
	json_object_object_add(obj, "ram_block", json_string_or_null(b ? b->name : NULL));
	json_object_object_add(obj, "addr", json_u64(d->addr));
	json_object_object_add(obj, "region_size", json_u64(d->region_size));
	json_object_object_add(obj, "block_size", json_u64(d->block_size));
	json_object_object_add(obj, "node", json_u64(d->node));
	json_object_object_add(obj, "size", json_u64(d->size));
	json_object_object_add(obj, "blocks", json_u64(d->n_blocks));
	json_object_object_add(obj, "plugged_blocks", json_u64(d->plugged_blocks));
	json_object_object_add(obj, "plugged_bytes", json_u64(d->plugged_blocks * d->block_size));
	return obj;
}

static json_object *
image_to_json(const VmemImage *image)
{
	json_object *root = json_object_new_object();
	json_object *blocks = json_object_new_array();
	json_object *devices = json_object_new_array();
	json_object *caps = json_object_new_array();
	json_object *skipped = json_object_new_array();
	json_object *libvirt = NULL;

	json_object_object_add(root, "file_size", json_u64(image->file_size));
	if (image->libvirt.present) {
		const VmemImageLibvirt *lv = &image->libvirt;

		libvirt = json_object_new_object();
		json_object_object_add(libvirt, "version", json_u64(lv->version));
		json_object_object_add(libvirt, "format", json_u64(lv->format));
		json_object_object_add(libvirt, "was_running",
				       json_object_new_boolean(lv->was_running));
		json_object_object_add(libvirt, "xml_length", json_u64(lv->xml_length));
		json_object_object_add(libvirt, "data_length", json_u64(lv->data_length));
		json_object_object_add(libvirt, "cookie_offset", json_u64(lv->cookie_offset));
		json_object_object_add(libvirt, "name", json_string_or_null(lv->name));
		json_object_object_add(libvirt, "uuid", json_string_or_null(lv->uuid));
	}
	json_object_object_add(root, "libvirt", libvirt);
	json_object_object_add(root, "stream_offset", json_u64(image->stream_offset));
	json_object_object_add(root, "machine", json_object_new_string(image->machine));
	for (guint i = 0; image->capabilities[i]; i++)
		json_object_array_add(caps, json_object_new_string(image->capabilities[i]));
	json_object_object_add(root, "capabilities", caps);
	for (guint i = 0; image->skipped_sections[i]; i++)
		json_object_array_add(skipped, json_object_new_string(image->skipped_sections[i]));
	json_object_object_add(root, "skipped_sections", skipped);
	json_object_object_add(root, "ram_total", json_u64(image->ram_total));
	for (guint i = 0; i < image->blocks->len; i++) {
		const VmemImageBlock *b = image->blocks->pdata[i];
		json_object *obj = json_object_new_object();

		json_object_object_add(obj, "name", json_object_new_string(b->name));
		json_object_object_add(obj, "used_length", json_u64(b->used_length));
		json_object_object_add(obj, "page_size", json_u64(b->page_size));
		json_object_object_add(obj, "skipped", json_object_new_boolean(b->skipped));
		json_object_object_add(obj, "bitmap_offset", json_u64(b->bitmap_offset));
		json_object_object_add(obj, "bitmap_size", json_u64(b->bitmap_size));
		json_object_object_add(obj, "pages_offset", json_u64(b->pages_offset));
		json_object_object_add(obj, "pages_written", json_u64(b->pages_written));
		json_object_object_add(obj, "allocated",
				       b->allocated == G_MAXUINT64 ? NULL : json_u64(b->allocated));
		json_object_object_add(obj, "virtio_mem",
				       b->virtio_mem ? device_to_json(image, b->virtio_mem) : NULL);
		json_object_array_add(blocks, obj);
	}
	json_object_object_add(root, "blocks", blocks);
	for (guint i = 0; i < image->devices->len; i++)
		json_object_array_add(devices, device_to_json(image, image->devices->pdata[i]));
	json_object_object_add(root, "virtio_mem_devices", devices);
	json_object_object_add(root, "setup_end", json_u64(image->setup_end));
	json_object_object_add(root, "setup_end_section",
			       json_string_or_null(image->setup_end_name));
	return root;
}

static void
print_device(const VmemImageVirtioMem *d)
{
	g_autofree char *block = vmem_size_format(d->block_size);
	g_autofree char *plugged = vmem_size_format(d->plugged_blocks * d->block_size);

	/* TRANSLATORS: a virtio-mem device's plugged blocks: how many of how
	 * many, the block size, their total size, its NUMA node and the name
	 * of its device state in the stream */
	g_print(_("  virtio-mem: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
		  " blocks of %s plugged (%s), node %u, device state %s\n"),
		d->plugged_blocks, d->n_blocks, block, plugged, d->node, d->idstr);
}

static void
print_info(const VmemImage *image)
{
	if (image->libvirt.present) {
		const VmemImageLibvirt *lv = &image->libvirt;

		/* TRANSLATORS: libvirt's save header: version, format number,
		 * whether the domain was running (yes/no) */
		g_print(_("libvirt save image: version %u, format %u, was running: %s\n"),
			lv->version, lv->format, lv->was_running ? _("yes") : _("no"));
		/* TRANSLATORS: the domain's name and UUID from the saved XML */
		g_print(_("domain: %s (%s)\n"), lv->name ? lv->name : "-",
			lv->uuid ? lv->uuid : "-");
	}
	/* TRANSLATORS: the QEMU machine type, then the file offset of the stream */
	g_print(_("QEMU stream: machine %s at offset %" G_GUINT64_FORMAT "\n"), image->machine,
		image->stream_offset);
	for (guint i = 0; image->skipped_sections[i]; i++)
		/* TRANSLATORS: a device section the reader does not parse */
		g_print(_("device section skipped: %s\n"), image->skipped_sections[i]);
	for (guint i = 0; i < image->blocks->len; i++) {
		const VmemImageBlock *b = image->blocks->pdata[i];
		g_autofree char *used = vmem_size_format(b->used_length);
		g_autofree char *written = vmem_size_format(b->pages_written * b->page_size);
		g_autofree char *alloc = b->allocated == G_MAXUINT64
						 ? g_strdup("-")
						 : vmem_size_format(b->allocated);

		if (b->skipped) {
			/* TRANSLATORS: a RAMBlock QEMU left out (shared memory) */
			g_print(_("RAMBlock %s: %s, not in the image\n"), b->name, used);
		} else {
			/* TRANSLATORS: a RAMBlock: name, size, page size, pages
			 * written (count and size), bytes allocated on disk */
			g_print(_("RAMBlock %s: %s, page size %" G_GUINT64_FORMAT
				  ", %" G_GUINT64_FORMAT " pages written (%s), %s allocated\n"),
				b->name, used, b->page_size, b->pages_written, written, alloc);
		}
		if (b->virtio_mem)
			print_device(b->virtio_mem);
	}
	for (guint i = 0; i < image->devices->len; i++) {
		const VmemImageVirtioMem *d = image->devices->pdata[i];

		if (d->block_index != G_MAXUINT)
			continue;
		/* TRANSLATORS: a virtio-mem device state whose RAMBlock is
		 * not in the image */
		g_print(_("virtio-mem device state %s: no RAMBlock matches it\n"), d->idstr);
		print_device(d);
	}
	if (image->setup_end_name)
		/* TRANSLATORS: the reader stopped at a section it does not
		 * know: its name and offset */
		g_print(_("setup section %s at offset %" G_GUINT64_FORMAT
			  " not read: virtio-mem device states after it are not shown\n"),
			image->setup_end_name, image->setup_end);
}

static int
usage(void)
{
	/* TRANSLATORS: the usage line; info and verify are commands, do not
	 * translate them or --json */
	g_printerr(_("Usage: virtmem-image info|verify FILE [--json]\n"));
	return EXIT_USAGE;
}

static int
report_error(const char *file, const GError *error, gboolean json)
{
	gboolean corrupt = g_error_matches(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);

	if (json) {
		g_autoptr(json_object) root = json_object_new_object();

		json_object_object_add(root, "file", json_object_new_string(file));
		json_object_object_add(root, "ok", json_object_new_boolean(FALSE));
		json_object_object_add(root, "error", json_object_new_string(error->message));
		print_json(root);
	}
	/* TRANSLATORS: the file name, then the error sentence */
	g_printerr(_("virtmem-image: %s: %s\n"), file, error->message);
	return corrupt ? EXIT_CORRUPT : EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemImageReader) reader = NULL;
	g_autoptr(VmemImage) image = NULL;
	const char *command = NULL;
	const char *file = NULL;
	gboolean json = FALSE;
	gboolean verify;
	int fd;
	int ret;

	vmem_i18n_init();
	g_set_prgname("virtmem-image");
	for (int i = 1; i < argc; i++) {
		if (g_str_equal(argv[i], "--json"))
			json = TRUE;
		else if (g_str_equal(argv[i], "--help") || g_str_equal(argv[i], "-h"))
			return usage() == EXIT_USAGE ? EXIT_OK : EXIT_USAGE;
		else if (command == NULL)
			command = argv[i];
		else if (file == NULL)
			file = argv[i];
		else
			return usage();
	}
	if (command == NULL || file == NULL ||
	    (!g_str_equal(command, "info") && !g_str_equal(command, "verify")))
		return usage();
	verify = g_str_equal(command, "verify");

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int saved = errno;

		/* TRANSLATORS: the file name, then the system's error message */
		g_printerr(_("virtmem-image: cannot open %s: %s\n"), file, g_strerror(saved));
		return EXIT_USAGE;
	}
	reader = vmem_image_reader_new_fd(fd, &error);
	if (reader != NULL)
		image = vmem_image_parse(reader, VMEM_IMAGE_PARSE_ALLOCATION, &error);
	if (image != NULL && verify)
		vmem_image_verify(reader, image, &error);
	if (error != NULL) {
		ret = report_error(file, error, json);
		close(fd);
		return ret;
	}
	close(fd);
	if (json) {
		g_autoptr(json_object) root = image_to_json(image);

		if (verify) {
			json_object_object_add(root, "file", json_object_new_string(file));
			json_object_object_add(root, "ok", json_object_new_boolean(TRUE));
		}
		print_json(root);
	} else if (verify) {
		/* TRANSLATORS: the file name */
		g_print(_("%s: the image is consistent.\n"), file);
	} else {
		print_info(image);
	}
	return EXIT_OK;
}
