/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The model of a QEMU mapped-ram migration stream, alone (a `file:`
 * migration) or after libvirt's save header (a "sparse" save image).
 *
 * Layout, from QEMU's migration/savevm.c, migration/ram.c and
 * docs/devel/migration/mapped-ram.rst, and libvirt's
 * src/qemu/qemu_saveimage.[ch]:
 *
 *   [libvirt: "LibvirtQemudSave", u32 version 2, data_len, was_running,
 *    format (6: sparse), cookieOffset, 14 unused (native endian, 92
 *    bytes); data_len bytes of XML (NUL-terminated) and cookie]
 *   be32 "QEVM", be32 3
 *   0x07 configuration: be32 len, machine type, subsections
 *        (0x05, u8 len, name, be32 version, fields): capabilities
 *        (be32 count, count x (u8 len, name)), target-page-bits (be32),
 *        uuid (16 bytes)
 *   0x01 be32 section_id, u8 3 "ram", be32 instance, be32 version 4
 *        be64 total | RAM_SAVE_FLAG_MEM_SIZE
 *        per RAMBlock: u8 len, idstr, be64 used_length,
 *          [be64 addr with x-ignore-shared], MappedRamHeader (packed,
 *          big-endian: u32 version 1, u64 page_size, bitmap_offset,
 *          pages_offset), the bitmap, padding to 1 MiB, the pages; the
 *          next record at pages_offset + used_length
 *        be64 RAM_SAVE_FLAG_EOS, 0x7e be32 section_id
 *   per virtio-mem device (vmstate_virtio_mem_device_early, version 1):
 *     0x04 be32 section_id, u8 len "DEVPATH/virtio-mem-device-early",
 *     be32 instance, be32 version 1, be64 addr, be64 region_size,
 *     be64 block_size, be32 node, be64 size, the plugged-block bitmap as
 *     ceil(region_size / block_size / 64) be64 words (bit i of word j is
 *     block 64 j + i: migration/vmstate-types.c, put_bitmap), 0x7e be32
 *     section_id
 *   the rest of the stream (0x02 ram part, ..., device state, 0x00 EOF,
 *     0x06 be32 length and the JSON description of the stream)
 *
 * The ram section and the early sections are the setup phase
 * (migration/savevm.c, qemu_savevm_state_setup): one section per handler
 * in the handlers' order, a SECTION_START for each save_setup() handler
 * and a SECTION_FULL for each vmstate marked early_setup.  "ram" is
 * registered at start-up, before any device, so it comes first; QEMU 10
 * writes the virtio-mem devices' early sections right after it.  The
 * reader walks the setup phase section by section and parses both kinds;
 * it stops at the first section it does not know (a save_setup() payload
 * has no length), and records where.
 *
 * Offsets in the MappedRamHeader are absolute file offsets.  The parser
 * reads headers and bitmaps only, never pages.
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "vmem-error.h"
#include "vmem-image.h"

#define QEMU_VM_FILE_MAGIC 0x5145564du
#define QEMU_VM_FILE_VERSION 3u
#define QEMU_VM_SECTION_START 0x01
#define QEMU_VM_SECTION_PART 0x02
#define QEMU_VM_SECTION_END 0x03
#define QEMU_VM_SECTION_FULL 0x04
#define QEMU_VM_SUBSECTION 0x05
#define QEMU_VM_CONFIGURATION 0x07
#define QEMU_VM_COMMAND 0x08
#define QEMU_VM_EOF 0x00
#define QEMU_VM_VMDESCRIPTION 0x06
#define QEMU_VM_SECTION_FOOTER 0x7e
#define RAM_SAVE_FLAG_MEM_SIZE 0x04
#define RAM_SAVE_FLAG_EOS 0x10
#define RAM_SAVE_FLAG_MULTIFD_FLUSH 0x200
#define MAPPED_RAM_HDR_VERSION 1u

/* Bounds on what a sane stream holds */
#define MAX_CAPABILITIES 64
#define MAX_BLOCKS 4096
#define MAX_DEVICES 1024
/* A virtio-mem bitmap of 16 MiB: 256 TiB in 2 MiB blocks */
#define MAX_DEVICE_BITMAP (16u * 1024 * 1024)
#define MAX_XML (16u * 1024 * 1024)
/* How far to look for the ram section past device sections */
#define MAX_SKIP (16u * 1024 * 1024)
#define BITMAP_CHUNK (1024u * 1024)
/* How far from the end to look for the stream's JSON description */
#define MAX_VMDESC (16u * 1024 * 1024)

typedef struct {
	VmemImageReader *reader;
	guint64 pos;
} Cursor;

static void
block_free(gpointer data)
{
	VmemImageBlock *block = data;

	g_free(block->name);
	g_free(block);
}

static void
virtio_mem_free(gpointer data)
{
	VmemImageVirtioMem *device = data;

	g_free(device->idstr);
	g_free(device->bitmap);
	g_free(device);
}

/**
 * vmem_image_virtio_mem_is_plugged:
 * @device: a virtio-mem device's state
 * @block: a block index, below @device's n_blocks
 *
 * Returns: whether the device state says @block is plugged
 */
gboolean
vmem_image_virtio_mem_is_plugged(const VmemImageVirtioMem *device, guint64 block)
{
	g_return_val_if_fail(block < device->n_blocks, FALSE);
	return (device->bitmap[block / 64] >> (block % 64)) & 1;
}

void
vmem_image_free(VmemImage *image)
{
	if (image == NULL)
		return;
	if (image->devices)
		g_ptr_array_unref(image->devices);
	g_free(image->setup_end_name);
	g_free(image->libvirt.name);
	g_free(image->libvirt.uuid);
	g_free(image->machine);
	g_strfreev(image->capabilities);
	g_strfreev(image->skipped_sections);
	if (image->blocks)
		g_ptr_array_unref(image->blocks);
	g_free(image);
}

static gboolean
read_bytes(Cursor *c, void *buf, gsize len, const char *what, GError **error)
{
	if (!vmem_image_reader_read(c->reader, c->pos, buf, len, what, error))
		return FALSE;
	c->pos += len;
	return TRUE;
}

static gboolean
read_u8(Cursor *c, guint8 *ret, const char *what, GError **error)
{
	return read_bytes(c, ret, 1, what, error);
}

static gboolean
read_be32(Cursor *c, guint32 *ret, const char *what, GError **error)
{
	guint8 b[4];

	if (!read_bytes(c, b, sizeof(b), what, error))
		return FALSE;
	*ret = (guint32)b[0] << 24 | (guint32)b[1] << 16 | (guint32)b[2] << 8 | b[3];
	return TRUE;
}

static guint64
get_be64(const guint8 *b)
{
	guint64 v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static gboolean
read_be64(Cursor *c, guint64 *ret, const char *what, GError **error)
{
	guint8 b[8];

	if (!read_bytes(c, b, sizeof(b), what, error))
		return FALSE;
	*ret = get_be64(b);
	return TRUE;
}

/* A u8 length and that many bytes, as a string without NULs. */
static char *
read_name(Cursor *c, const char *what, GError **error)
{
	guint64 at = c->pos;
	guint8 len;
	char buf[256];

	if (!read_u8(c, &len, what, error) || !read_bytes(c, buf, len, what, error))
		return NULL;
	buf[len] = '\0';
	if (len == 0 || strlen(buf) != len || !g_utf8_validate(buf, len, NULL)) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %s is a structure of the image ("RAMBlock
			     * name"), then its offset in the file */
			    _("The %s at offset %" G_GUINT64_FORMAT
			      " is empty or not a valid UTF-8 string."),
			    what, at);
		return NULL;
	}
	return g_strdup(buf);
}

static gboolean
invalid(GError **error, guint64 offset, const char *what, const char *problem)
{
	g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
		    /* TRANSLATORS: the first %s is a structure of the image
		     * ("MappedRamHeader"), then its offset, then a sentence
		     * saying what is wrong with it */
		    _("The %s at offset %" G_GUINT64_FORMAT " is invalid: %s"), what, offset,
		    problem);
	return FALSE;
}

static guint32
get_u32(const guint8 *b, gboolean swap)
{
	guint32 v;

	memcpy(&v, b, sizeof(v));
	v = GUINT32_FROM_LE(v);
	return swap ? GUINT32_SWAP_LE_BE(v) : v;
}

/* The text of <tag> in @xml (a flat search: names and UUIDs hold no
 * markup), or NULL. */
static char *
xml_element_text(const char *xml, const char *tag)
{
	g_autofree char *open = g_strdup_printf("<%s>", tag);
	g_autofree char *close = g_strdup_printf("</%s>", tag);
	const char *start = strstr(xml, open);
	const char *end;

	if (start == NULL)
		return NULL;
	start += strlen(open);
	end = strstr(start, close);
	if (end == NULL || end - start > 256)
		return NULL;
	return g_strndup(start, (gsize)(end - start));
}

static gboolean
parse_libvirt(Cursor *c, VmemImage *image, GError **error)
{
	VmemImageLibvirt *lv = &image->libvirt;
	guint8 h[VMEM_IMAGE_LIBVIRT_HEADER_SIZE];
	g_autofree char *xml = NULL;
	gboolean swap = FALSE;
	guint32 version;

	if (!read_bytes(c, h, sizeof(h), "libvirt save header", error))
		return FALSE;
	if (memcmp(h, "LibvirtQemudPart", 16) == 0)
		return invalid(error, 0, "libvirt save header",
			       /* TRANSLATORS: libvirt marks a save in progress with
				* this magic */
			       _("the magic is LibvirtQemudPart: the save did not finish."));
	version = get_u32(h + 16, FALSE);
	/* libvirt byte-swaps a header of the other endianness (qemu_saveimage.c) */
	if (version > 2 && GUINT32_SWAP_LE_BE(version) <= 2) {
		swap = TRUE;
		version = GUINT32_SWAP_LE_BE(version);
	}
	if (version != 2)
		return invalid(error, 16, "libvirt save header version",
			       _("only version 2 is known."));
	lv->present = TRUE;
	lv->version = version;
	lv->data_length = get_u32(h + 20, swap);
	lv->was_running = get_u32(h + 24, swap);
	lv->format = get_u32(h + 28, swap);
	lv->cookie_offset = get_u32(h + 32, swap);
	if (lv->was_running > 1)
		return invalid(error, 24, "libvirt save header was_running",
			       _("it is neither 0 nor 1."));
	if (lv->format != VMEM_IMAGE_LIBVIRT_FORMAT_SPARSE)
		return invalid(error, 28, "libvirt save header format",
			       /* TRANSLATORS: "sparse" is libvirt's name of the format */
			       _("only the sparse format (6) holds a mapped-ram stream."));
	if (lv->cookie_offset > lv->data_length)
		return invalid(error, 32, "libvirt save header cookieOffset",
			       _("it points beyond the XML and cookie data."));
	if (!vmem_image_reader_check_range(c->reader, c->pos, lv->data_length,
					   "libvirt save XML and cookie", error))
		return FALSE;
	lv->xml_length = lv->cookie_offset ? lv->cookie_offset : lv->data_length;
	if (lv->xml_length == 0 || lv->xml_length > MAX_XML)
		return invalid(error, c->pos, "libvirt save XML",
			       _("it is empty or longer than 16 MiB."));
	xml = g_malloc(lv->xml_length + 1);
	if (!vmem_image_reader_read(c->reader, c->pos, xml, lv->xml_length, "libvirt save XML",
				    error))
		return FALSE;
	xml[lv->xml_length] = '\0';
	lv->xml_length = (guint32)strlen(xml);
	if (!g_utf8_validate(xml, -1, NULL) || !g_str_has_prefix(xml, "<domain") ||
	    strstr(xml, "</domain>") == NULL)
		return invalid(error, c->pos, "libvirt save XML",
			       _("it is not a UTF-8 <domain> element."));
	lv->name = xml_element_text(xml, "name");
	lv->uuid = xml_element_text(xml, "uuid");
	c->pos += lv->data_length;
	return TRUE;
}

static gboolean
parse_configuration(Cursor *c, VmemImage *image, guint *ret_page_bits, GError **error)
{
	g_autoptr(GPtrArray) caps = g_ptr_array_new_with_free_func(g_free);
	guint64 at = c->pos;
	guint32 len;
	guint8 type;
	char machine[257];

	if (!read_u8(c, &type, "configuration section", error))
		return FALSE;
	if (type != QEMU_VM_CONFIGURATION)
		return invalid(error, at, "configuration section",
			       _("the stream has none, so it is not a mapped-ram stream."));
	if (!read_be32(c, &len, "configuration machine type length", error))
		return FALSE;
	if (len == 0 || len > 256)
		return invalid(error, at + 1, "configuration machine type length",
			       _("it is not between 1 and 256."));
	if (!read_bytes(c, machine, len, "configuration machine type", error))
		return FALSE;
	machine[len] = '\0';
	if (strlen(machine) != len || !g_utf8_validate(machine, len, NULL))
		return invalid(error, at + 5, "configuration machine type",
			       _("it is not a UTF-8 string."));
	image->machine = g_strdup(machine);
	*ret_page_bits = 12;

	for (;;) {
		g_autofree char *name = NULL;
		guint64 sub_at = c->pos;
		guint32 version;

		if (!vmem_image_reader_read(c->reader, c->pos, &type, 1, "section type", error))
			return FALSE;
		if (type != QEMU_VM_SUBSECTION)
			break;
		c->pos++;
		name = read_name(c, "configuration subsection name", error);
		if (name == NULL ||
		    !read_be32(c, &version, "configuration subsection version", error))
			return FALSE;
		if (g_str_equal(name, "configuration/capabilities")) {
			guint32 count;

			if (!read_be32(c, &count, "capability count", error))
				return FALSE;
			if (count > MAX_CAPABILITIES)
				return invalid(error, c->pos - 4, "capability count",
					       _("there are more than 64."));
			for (guint32 i = 0; i < count; i++) {
				char *cap = read_name(c, "capability name", error);

				if (cap == NULL)
					return FALSE;
				g_ptr_array_add(caps, cap);
			}
		} else if (g_str_equal(name, "configuration/target-page-bits")) {
			guint32 bits;

			if (!read_be32(c, &bits, "target page bits", error))
				return FALSE;
			if (bits < 9 || bits > 30)
				return invalid(error, c->pos - 4, "target page bits",
					       _("they are not between 9 and 30."));
			*ret_page_bits = bits;
		} else if (g_str_equal(name, "configuration/uuid")) {
			guint8 uuid[16];

			if (!read_bytes(c, uuid, sizeof(uuid), "configuration UUID", error))
				return FALSE;
		} else {
			return invalid(error, sub_at, "configuration subsection",
				       _("its name is not one QEMU 10 writes."));
		}
	}
	g_ptr_array_add(caps, NULL);
	image->capabilities = (GStrv)g_ptr_array_free(g_steal_pointer(&caps), FALSE);
	if (!g_strv_contains((const char *const *)image->capabilities, "mapped-ram"))
		return invalid(error, at, "configuration section",
			       _("it does not list the mapped-ram capability."));
	return TRUE;
}

static gboolean parse_ram(Cursor *c, VmemImage *image, guint page_bits, VmemImageParseFlags flags,
			  GError **error);

/* The bytes of a ram SECTION_START header after its section id. */
static const guint8 ram_section_tail[] = {3, 'r', 'a', 'm', 0, 0, 0, 0, 0, 0, 0, 4};

/* Past a section before "ram" that the reader does not know (a newer QEMU
 * could register a setup handler first): its layout depends on its
 * handler, so look, a bounded distance, for the ram section's header. */
static gboolean
skip_to_ram(Cursor *c, GError **error)
{
	guint64 start = c->pos;
	guint64 size = vmem_image_reader_get_size(c->reader);
	guint64 end = MIN(size, start + MAX_SKIP);
	gsize len = (gsize)(end - start);
	g_autofree guint8 *buf = g_malloc(len);

	if (!vmem_image_reader_read(c->reader, start, buf, len, "device sections", error))
		return FALSE;
	for (gsize i = 1; i + 5 + sizeof(ram_section_tail) <= len; i++) {
		if (buf[i] == QEMU_VM_SECTION_START &&
		    memcmp(buf + i + 5, ram_section_tail, sizeof(ram_section_tail)) == 0) {
			c->pos = start + i;
			return TRUE;
		}
	}
	return invalid(error, start, "device sections",
		       _("no ram section follows them within 16 MiB."));
}

/* A section's header: its type and, for a START or FULL section, its id
 * and name (without moving @c). */
typedef struct {
	guint64 offset;
	guint8 type;
	guint32 id;
	char *name;
} SectionHeader;

static gboolean
peek_section(const Cursor *c, SectionHeader *ret, GError **error)
{
	Cursor peek = *c;

	ret->offset = c->pos;
	ret->name = NULL;
	if (!read_u8(&peek, &ret->type, "section type", error))
		return FALSE;
	switch (ret->type) {
	case QEMU_VM_SECTION_START:
	case QEMU_VM_SECTION_FULL:
		if (!read_be32(&peek, &ret->id, "section id", error))
			return FALSE;
		ret->name = read_name(&peek, "section name", error);
		return ret->name != NULL;
	case QEMU_VM_SECTION_PART:
	case QEMU_VM_SECTION_END:
	case QEMU_VM_COMMAND:
	case QEMU_VM_EOF:
		return TRUE;
	default:
		return invalid(error, c->pos, "section type",
			       _("it is not a section type QEMU writes."));
	}
}

/* "DEVPATH/virtio-mem-device-early" or "virtio-mem-device-early" */
static gboolean
is_virtio_mem_early(const char *name)
{
	gsize len = strlen(name);
	gsize suffix = strlen(VMEM_IMAGE_VIRTIO_MEM_EARLY);

	return g_str_has_suffix(name, VMEM_IMAGE_VIRTIO_MEM_EARLY) &&
	       (len == suffix || name[len - suffix - 1] == '/');
}

static gboolean
is_power_of_2(guint64 v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

/* One vmstate_virtio_mem_device_early section, header to footer. */
static VmemImageVirtioMem *
parse_virtio_mem(Cursor *c, guint page_bits, GError **error)
{
	g_autoptr(GError) local = NULL;
	VmemImageVirtioMem *d = g_new0(VmemImageVirtioMem, 1);
	guint64 at = c->pos, fields_at;
	guint64 words, bitmap_bytes;
	guint32 section_id, version, footer_id;
	guint8 type;
	g_autofree guint8 *raw = NULL;

	d->section_offset = at;
	d->block_index = G_MAXUINT;
	if (!read_u8(c, &type, "virtio-mem device state", &local) ||
	    !read_be32(c, &section_id, "virtio-mem device state section id", &local))
		goto fail;
	d->idstr = read_name(c, "virtio-mem device state name", &local);
	if (d->idstr == NULL ||
	    !read_be32(c, &d->instance, "virtio-mem device state instance", &local) ||
	    !read_be32(c, &version, "virtio-mem device state version", &local))
		goto fail;
	if (version != 1) {
		invalid(&local, c->pos - 4, "virtio-mem device state version",
			_("only version 1 is known."));
		goto fail;
	}
	fields_at = c->pos;
	if (!read_be64(c, &d->addr, "virtio-mem device address", &local) ||
	    !read_be64(c, &d->region_size, "virtio-mem region size", &local) ||
	    !read_be64(c, &d->block_size, "virtio-mem block size", &local) ||
	    !read_be32(c, &d->node, "virtio-mem node", &local) ||
	    !read_be64(c, &d->size, "virtio-mem plugged size", &local))
		goto fail;
	if (!is_power_of_2(d->block_size) || d->block_size < (1ull << page_bits)) {
		invalid(&local, fields_at + 16, "virtio-mem block size",
			_("it is not a power of two of at least the target page size."));
		goto fail;
	}
	if (d->region_size == 0 || d->region_size % d->block_size != 0) {
		invalid(&local, fields_at + 8, "virtio-mem region size",
			_("it is not a non-zero multiple of the block size."));
		goto fail;
	}
	if (d->addr % d->block_size != 0) {
		invalid(&local, fields_at, "virtio-mem device address",
			_("it is not a multiple of the block size."));
		goto fail;
	}
	if (d->size > d->region_size || d->size % d->block_size != 0) {
		invalid(&local, fields_at + 28, "virtio-mem plugged size",
			_("it is not a multiple of the block size within the region."));
		goto fail;
	}
	d->n_blocks = d->region_size / d->block_size;
	words = (d->n_blocks + 63) / 64;
	bitmap_bytes = words * 8;
	d->bitmap_offset = c->pos;
	if (bitmap_bytes > MAX_DEVICE_BITMAP) {
		invalid(&local, fields_at + 8, "virtio-mem region size",
			_("its plugged-block bitmap would be larger than 16 MiB."));
		goto fail;
	}
	if (!vmem_image_reader_check_range(c->reader, c->pos, bitmap_bytes,
					   "virtio-mem plugged-block bitmap", &local))
		goto fail;
	raw = g_malloc(bitmap_bytes);
	d->bitmap = g_new(guint64, words);
	if (!read_bytes(c, raw, bitmap_bytes, "virtio-mem plugged-block bitmap", &local))
		goto fail;
	for (guint64 w = 0; w < words; w++) {
		guint64 word = get_be64(raw + w * 8);
		guint64 valid = MIN(64, d->n_blocks - w * 64);
		guint64 mask = G_MAXUINT64 >> (64 - valid);

		d->bitmap[w] = word;
		d->plugged_blocks += (guint64)__builtin_popcountll(word & mask);
		d->padding_bits += (guint64)__builtin_popcountll(word & ~mask);
	}
	if (!read_u8(c, &type, "virtio-mem device state footer", &local) ||
	    !read_be32(c, &footer_id, "virtio-mem device state footer", &local))
		goto fail;
	if (type != QEMU_VM_SECTION_FOOTER || footer_id != section_id) {
		invalid(&local, c->pos - 5, "virtio-mem device state footer",
			_("it does not close the device's section."));
		goto fail;
	}
	d->section_end = c->pos;
	return d;

fail:
	g_propagate_error(error, g_steal_pointer(&local));
	virtio_mem_free(d);
	return NULL;
}

/* The RAMBlock of @d: QEMU names both after the same device
 * (qdev_get_dev_path()): the section "DEVPATH/virtio-mem-device-early"
 * (vmstate_register() of the device) and the block "DEVPATH/MEMDEV"
 * (vmstate_register_ram() of its memory backend for the device).  A
 * device path is unique and stable where sizes and order are not; among
 * several blocks of one device path, the one as large as the region. */
static void
match_virtio_mem(VmemImage *image, VmemImageVirtioMem *d, guint index)
{
	gsize prefix_len = strlen(d->idstr) - strlen(VMEM_IMAGE_VIRTIO_MEM_EARLY);
	guint found = G_MAXUINT, n_found = 0, sized = G_MAXUINT, n_sized = 0;

	/* no device path: nothing ties it to a block */
	if (prefix_len == 0)
		return;
	for (guint i = 0; i < image->blocks->len; i++) {
		VmemImageBlock *b = image->blocks->pdata[i];

		if (b->virtio_mem != NULL || strncmp(b->name, d->idstr, prefix_len) != 0 ||
		    b->name[prefix_len] == '\0' || strchr(b->name + prefix_len, '/') != NULL)
			continue;
		found = i;
		n_found++;
		if (b->used_length == d->region_size) {
			sized = i;
			n_sized++;
		}
	}
	if (n_found > 1)
		found = n_sized == 1 ? sized : G_MAXUINT;
	if (found == G_MAXUINT)
		return;
	d->block_index = found;
	((VmemImageBlock *)image->blocks->pdata[found])->virtio_mem = image->devices->pdata[index];
}

/* The setup phase: the ram section and the virtio-mem devices' early
 * sections, in whichever order; stops at the first other section. */
static gboolean
parse_setup(Cursor *c, VmemImage *image, GPtrArray *skipped, guint page_bits,
	    VmemImageParseFlags flags, GError **error)
{
	gboolean have_ram = FALSE;

	for (;;) {
		SectionHeader h;
		g_autofree char *name = NULL;

		if (!peek_section(c, &h, error))
			return FALSE;
		name = h.name;
		if (h.type == QEMU_VM_SECTION_START && g_str_equal(name, "ram")) {
			if (have_ram)
				return invalid(error, h.offset, "ram section",
					       _("the stream has a second one."));
			if (!parse_ram(c, image, page_bits, flags, error))
				return FALSE;
			have_ram = TRUE;
		} else if (h.type == QEMU_VM_SECTION_FULL && is_virtio_mem_early(name)) {
			VmemImageVirtioMem *d;

			if (image->devices->len >= MAX_DEVICES)
				return invalid(error, h.offset, "virtio-mem device state",
					       _("there are more than 1024 virtio-mem devices."));
			d = parse_virtio_mem(c, page_bits, error);
			if (d == NULL)
				return FALSE;
			g_ptr_array_add(image->devices, d);
		} else if (!have_ram) {
			if (name == NULL)
				return invalid(error, h.offset, "section type",
					       _("the stream has no ram section."));
			g_ptr_array_add(skipped, g_steal_pointer(&name));
			if (!skip_to_ram(c, error))
				return FALSE;
		} else {
			image->setup_end = h.offset;
			image->setup_end_name = g_steal_pointer(&name);
			break;
		}
	}
	for (guint i = 0; i < image->devices->len; i++)
		match_virtio_mem(image, image->devices->pdata[i], i);
	return TRUE;
}

/* Bits set in the block's bitmap, and those beyond its last page. */
static gboolean
count_bitmap(VmemImageReader *reader, VmemImageBlock *block, GError **error)
{
	guint64 pages = block->used_length / block->page_size;
	g_autofree guint8 *buf = g_malloc(BITMAP_CHUNK);

	for (guint64 done = 0; done < block->bitmap_size;) {
		guint64 data_start, data_end;
		gboolean known;
		gsize len = (gsize)MIN(BITMAP_CHUNK, block->bitmap_size - done);

		/* a hole in the bitmap is zeros: skip it */
		if (!vmem_image_reader_next_data(reader, block->bitmap_offset + done,
						 block->bitmap_offset + done + len, &data_start,
						 &data_end, &known)) {
			done += len;
			continue;
		}
		if (!vmem_image_reader_read(reader, block->bitmap_offset + done, buf, len,
					    "mapped-ram bitmap", error))
			return FALSE;
		for (gsize i = 0; i + 8 <= len; i += 8) {
			guint64 word;
			guint64 first = (done + i) * 8;

			memcpy(&word, buf + i, sizeof(word));
			word = GUINT64_FROM_LE(word);
			if (word == 0)
				continue;
			if (first + 64 <= pages) {
				block->pages_written += (guint64)__builtin_popcountll(word);
			} else {
				guint64 valid = first >= pages ? 0 : pages - first;
				guint64 mask = valid == 0 ? 0 : (G_MAXUINT64 >> (64 - valid));

				block->pages_written += (guint64)__builtin_popcountll(word & mask);
				block->padding_bits += (guint64)__builtin_popcountll(word & ~mask);
			}
		}
		done += len;
	}
	return TRUE;
}

static void
count_allocated(VmemImageReader *reader, VmemImageBlock *block)
{
	guint64 from = block->pages_offset;
	guint64 end = block->pages_offset + block->used_length;
	guint64 start, stop;
	gboolean known = TRUE;

	block->allocated = 0;
	while (vmem_image_reader_next_data(reader, from, end, &start, &stop, &known) && known) {
		block->allocated += stop - start;
		from = stop;
	}
	if (!known)
		block->allocated = G_MAXUINT64;
}

static VmemImageBlock *
parse_block(Cursor *c, guint page_bits, gboolean ignore_shared, GError **error)
{
	g_autoptr(GError) local = NULL;
	VmemImageBlock *block = g_new0(VmemImageBlock, 1);
	guint64 addr;
	guint64 hdr_at;
	guint8 h[VMEM_IMAGE_MAPPED_RAM_HEADER_SIZE];
	guint32 version;
	guint64 pages, bitmap_end, pages_end;

	block->record_offset = c->pos;
	block->allocated = G_MAXUINT64;
	block->name = read_name(c, "RAMBlock name", &local);
	if (block->name == NULL ||
	    !read_be64(c, &block->used_length, "RAMBlock used length", &local) ||
	    (ignore_shared && !read_be64(c, &addr, "RAMBlock address", &local)))
		goto fail;
	hdr_at = c->pos;
	if (!read_bytes(c, h, sizeof(h), "MappedRamHeader", &local))
		goto fail;
	version = (guint32)h[0] << 24 | (guint32)h[1] << 16 | (guint32)h[2] << 8 | h[3];
	block->record_end = c->pos;
	block->page_size = get_be64(h + 4);
	block->bitmap_offset = get_be64(h + 12);
	block->pages_offset = get_be64(h + 20);
	if (version == 0 || version > MAPPED_RAM_HDR_VERSION) {
		invalid(&local, hdr_at, "MappedRamHeader version", _("only version 1 is known."));
		goto fail;
	}
	if (block->page_size != (1ull << page_bits)) {
		invalid(&local, hdr_at + 4, "MappedRamHeader page size",
			_("it is not the target page size of the configuration."));
		goto fail;
	}
	if (block->used_length == 0 || block->used_length % block->page_size != 0) {
		invalid(&local, block->record_offset, "RAMBlock used length",
			_("it is not a non-zero multiple of the page size."));
		goto fail;
	}
	if (block->bitmap_offset == 0 && block->pages_offset == 0) {
		block->skipped = TRUE;
		return block;
	}
	pages = block->used_length / block->page_size;
	block->bitmap_size = (pages + 63) / 64 * 8;
	if (block->bitmap_offset < c->pos) {
		invalid(&local, hdr_at + 12, "MappedRamHeader bitmap offset",
			_("the bitmap starts before the end of the header."));
		goto fail;
	}
	if (!vmem_image_reader_check_range(c->reader, block->bitmap_offset, block->bitmap_size,
					   "mapped-ram bitmap", &local))
		goto fail;
	bitmap_end = block->bitmap_offset + block->bitmap_size;
	if (block->pages_offset < bitmap_end) {
		invalid(&local, hdr_at + 20, "MappedRamHeader pages offset",
			_("the pages start inside the bitmap or before it."));
		goto fail;
	}
	if (!vmem_image_reader_check_range(c->reader, block->pages_offset, block->used_length,
					   "mapped-ram page area", &local))
		goto fail;
	pages_end = block->pages_offset + block->used_length;
	c->pos = pages_end;
	return block;

fail:
	g_propagate_error(error, g_steal_pointer(&local));
	block_free(block);
	return NULL;
}

static gboolean
parse_ram(Cursor *c, VmemImage *image, guint page_bits, VmemImageParseFlags flags, GError **error)
{
	gboolean ignore_shared =
		g_strv_contains((const char *const *)image->capabilities, "x-ignore-shared");
	guint64 at = c->pos;
	guint64 sum = 0, total, value;
	guint32 section_id, instance, version, footer_id;
	guint8 type;
	g_autofree char *name = NULL;

	if (!read_u8(c, &type, "ram section", error) ||
	    !read_be32(c, &section_id, "ram section id", error))
		return FALSE;
	if (type != QEMU_VM_SECTION_START)
		return invalid(error, at, "ram section", _("it is not a section start."));
	name = read_name(c, "ram section name", error);
	if (name == NULL || !read_be32(c, &instance, "ram section instance", error) ||
	    !read_be32(c, &version, "ram section version", error))
		return FALSE;
	if (!g_str_equal(name, "ram") || instance != 0 || version != 4)
		return invalid(error, at, "ram section",
			       _("it is not QEMU's ram section, version 4."));
	image->ram_section_offset = at;
	if (!read_be64(c, &value, "ram section total size", error))
		return FALSE;
	if ((value & ((1ull << page_bits) - 1)) != RAM_SAVE_FLAG_MEM_SIZE)
		return invalid(error, c->pos - 8, "ram section total size",
			       _("it lacks the memory size flag."));
	total = value & ~((1ull << page_bits) - 1);
	image->ram_total = total;
	while (sum < total) {
		VmemImageBlock *block;

		if (image->blocks->len >= MAX_BLOCKS)
			return invalid(error, c->pos, "RAMBlock list",
				       _("there are more than 4096 RAMBlocks."));
		block = parse_block(c, page_bits, ignore_shared, error);
		if (block == NULL)
			return FALSE;
		g_ptr_array_add(image->blocks, block);
		if (block->used_length > total - sum)
			return invalid(error, block->record_offset, "RAMBlock used length",
				       _("the RAMBlocks add up to more than the section's total."));
		sum += block->used_length;
		if (!block->skipped && !count_bitmap(c->reader, block, error))
			return FALSE;
		if (!block->skipped && (flags & VMEM_IMAGE_PARSE_ALLOCATION))
			count_allocated(c->reader, block);
	}
	for (;;) {
		if (!read_be64(c, &value, "ram section end flag", error))
			return FALSE;
		if (value == RAM_SAVE_FLAG_EOS)
			break;
		if (value != RAM_SAVE_FLAG_MULTIFD_FLUSH)
			return invalid(error, c->pos - 8, "ram section end flag",
				       _("it is not RAM_SAVE_FLAG_EOS."));
	}
	if (!read_u8(c, &type, "ram section footer", error) ||
	    !read_be32(c, &footer_id, "ram section footer", error))
		return FALSE;
	if (type != QEMU_VM_SECTION_FOOTER || footer_id != section_id)
		return invalid(error, c->pos - 5, "ram section footer",
			       _("it does not close the ram section."));
	return TRUE;
}

/**
 * vmem_image_parse:
 * @reader: the file
 * @flags: what to read besides headers and bitmaps
 * @error: return location for a #GError
 *
 * Reads the libvirt header if there is one, the stream's header and
 * configuration, and the setup phase: the ram section (each RAMBlock's
 * record, MappedRamHeader and bitmap) and the virtio-mem devices' early
 * state (each matched to its RAMBlock).  Never reads pages.
 *
 * Returns: (transfer full): the model, or %NULL with INVALID_DATA naming
 *   the structure and its offset (IO when reading failed)
 */
VmemImage *
vmem_image_parse(VmemImageReader *reader, VmemImageParseFlags flags, GError **error)
{
	g_autoptr(VmemImage) image = g_new0(VmemImage, 1);
	g_autoptr(GPtrArray) skipped = g_ptr_array_new_with_free_func(g_free);
	Cursor c = {reader, 0};
	guint8 magic[16];
	guint32 qevm, version;
	guint page_bits;

	image->file_size = vmem_image_reader_get_size(reader);
	image->blocks = g_ptr_array_new_with_free_func(block_free);
	image->devices = g_ptr_array_new_with_free_func(virtio_mem_free);
	if (image->file_size >= sizeof(magic)) {
		if (!vmem_image_reader_read(reader, 0, magic, sizeof(magic), "file header", error))
			return NULL;
		if (memcmp(magic, "LibvirtQemud", 12) == 0 && !parse_libvirt(&c, image, error))
			return NULL;
	}
	image->stream_offset = c.pos;
	if (!read_be32(&c, &qevm, "QEVM stream header", error) ||
	    !read_be32(&c, &version, "QEVM stream header", error))
		return NULL;
	if (qevm != QEMU_VM_FILE_MAGIC) {
		invalid(error, image->stream_offset, "QEVM stream header",
			_("the magic is not QEVM."));
		return NULL;
	}
	if (version != QEMU_VM_FILE_VERSION) {
		invalid(error, image->stream_offset + 4, "QEVM stream version",
			_("only version 3 is known."));
		return NULL;
	}
	if (!parse_configuration(&c, image, &page_bits, error) ||
	    !parse_setup(&c, image, skipped, page_bits, flags, error))
		return NULL;
	g_ptr_array_add(skipped, NULL);
	image->skipped_sections = (GStrv)g_ptr_array_free(g_steal_pointer(&skipped), FALSE);
	return g_steal_pointer(&image);
}

typedef struct {
	guint64 start;
	guint64 end;
	const char *what;
	const char *block;
} Region;

static gint
region_compare(gconstpointer a, gconstpointer b)
{
	const Region *ra = a;
	const Region *rb = b;

	if (ra->start != rb->start)
		return ra->start < rb->start ? -1 : 1;
	return ra->end < rb->end ? -1 : ra->end > rb->end;
}

static gboolean
check_overlaps(const VmemImage *image, GError **error)
{
	g_autoptr(GArray) regions = g_array_new(FALSE, FALSE, sizeof(Region));

	if (image->libvirt.present) {
		Region r = {0, image->stream_offset, "libvirt save header and XML", ""};

		g_array_append_val(regions, r);
	}
	for (guint i = 0; i < image->blocks->len; i++) {
		const VmemImageBlock *b = image->blocks->pdata[i];
		Region rec = {b->record_offset, b->record_end, "RAMBlock record", b->name};
		Region bitmap = {b->bitmap_offset, b->bitmap_offset + b->bitmap_size,
				 "mapped-ram bitmap", b->name};
		Region pages = {b->pages_offset, b->pages_offset + b->used_length,
				"mapped-ram page area", b->name};

		g_array_append_val(regions, rec);
		if (b->skipped)
			continue;
		g_array_append_val(regions, bitmap);
		g_array_append_val(regions, pages);
	}
	for (guint i = 0; i < image->devices->len; i++) {
		const VmemImageVirtioMem *d = image->devices->pdata[i];
		const VmemImageBlock *b =
			d->block_index == G_MAXUINT ? NULL : image->blocks->pdata[d->block_index];
		Region r = {d->section_offset, d->section_end, "virtio-mem device state",
			    b ? b->name : d->idstr};

		g_array_append_val(regions, r);
	}
	g_array_sort(regions, region_compare);
	for (guint i = 1; i < regions->len; i++) {
		const Region *prev = &g_array_index(regions, Region, i - 1);
		const Region *cur = &g_array_index(regions, Region, i);

		if (cur->start < prev->end) {
			g_set_error(
				error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				/* TRANSLATORS: two structures of the image, each
				 * with its RAMBlock's name and its offset */
				_("The %s of RAMBlock '%s' at offset %" G_GUINT64_FORMAT
				  " overlaps the %s of RAMBlock '%s' at offset %" G_GUINT64_FORMAT
				  "."),
				cur->what, cur->block, cur->start, prev->what, prev->block,
				prev->start);
			return FALSE;
		}
	}
	return TRUE;
}

/* Every allocated page of @block has its bit set in the bitmap. */
static gboolean
check_data_has_bits(VmemImageReader *reader, const VmemImageBlock *block, GError **error)
{
	guint64 end = block->pages_offset + block->used_length;
	guint64 from = block->pages_offset;
	guint64 start, stop;
	guint64 word = 0, word_at = G_MAXUINT64;
	gboolean known;

	while (vmem_image_reader_next_data(reader, from, end, &start, &stop, &known)) {
		if (!known)
			return TRUE;
		for (guint64 page = (start - block->pages_offset) / block->page_size;
		     page * block->page_size < stop - block->pages_offset;) {
			/* one read per word of 64 pages */
			if (word_at != block->bitmap_offset + page / 64 * 8) {
				word_at = block->bitmap_offset + page / 64 * 8;
				if (!vmem_image_reader_read(reader, word_at, &word, sizeof(word),
							    "mapped-ram bitmap", error))
					return FALSE;
				word = GUINT64_FROM_LE(word);
			}
			if ((word & (1ull << (page % 64))) == 0) {
				g_set_error(
					error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
					/* TRANSLATORS: a page number, a RAMBlock's name,
					 * the page's offset in the file, the bitmap's */
					_("Page %" G_GUINT64_FORMAT
					  " of RAMBlock '%s' at offset %" G_GUINT64_FORMAT
					  " holds data, but its bit in the bitmap at offset %" G_GUINT64_FORMAT
					  " is clear."),
					page, block->name,
					block->pages_offset + page * block->page_size, word_at);
				return FALSE;
			}
			page++;
		}
		from = stop;
	}
	return TRUE;
}

/* The device state of @b's virtio-mem device against @b: sizes, and no
 * page written in a block the device says is unplugged. */
static gboolean
check_virtio_mem(VmemImageReader *reader, const VmemImageBlock *b, const VmemImageVirtioMem *d,
		 GError **error)
{
	guint64 pages = b->used_length / b->page_size;
	guint64 pages_per_block = d->block_size / b->page_size;
	g_autofree guint8 *buf = NULL;

	if (d->region_size != b->used_length) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: a section name, its offset, a size in
			     * bytes, a RAMBlock's name, its size in bytes */
			    _("The virtio-mem device state '%s' at offset %" G_GUINT64_FORMAT
			      " gives a region of %" G_GUINT64_FORMAT
			      " bytes, but its RAMBlock '%s' has %" G_GUINT64_FORMAT " bytes."),
			    d->idstr, d->section_offset, d->region_size, b->name, b->used_length);
		return FALSE;
	}
	if (d->padding_bits != 0)
		return invalid(error, d->bitmap_offset, "virtio-mem plugged-block bitmap",
			       _("it has bits set beyond the device's last block."));
	if (d->plugged_blocks * d->block_size != d->size) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: a section name, its offset, a size in
			     * bytes, a number of blocks, a block size in bytes */
			    _("The virtio-mem device state '%s' at offset %" G_GUINT64_FORMAT
			      " says %" G_GUINT64_FORMAT
			      " bytes are plugged, but its bitmap has %" G_GUINT64_FORMAT
			      " blocks of %" G_GUINT64_FORMAT " bytes plugged."),
			    d->idstr, d->section_offset, d->size, d->plugged_blocks, d->block_size);
		return FALSE;
	}
	if (b->skipped)
		return TRUE;
	buf = g_malloc(BITMAP_CHUNK);
	for (guint64 done = 0; done < b->bitmap_size;) {
		guint64 data_start, data_end;
		gboolean known;
		gsize len = (gsize)MIN(BITMAP_CHUNK, b->bitmap_size - done);

		if (!vmem_image_reader_next_data(reader, b->bitmap_offset + done,
						 b->bitmap_offset + done + len, &data_start,
						 &data_end, &known)) {
			done += len;
			continue;
		}
		if (!vmem_image_reader_read(reader, b->bitmap_offset + done, buf, len,
					    "mapped-ram bitmap", error))
			return FALSE;
		for (gsize i = 0; i + 8 <= len; i += 8) {
			guint64 word;

			memcpy(&word, buf + i, sizeof(word));
			word = GUINT64_FROM_LE(word);
			while (word != 0) {
				guint64 page = (done + i) * 8 + (guint64)__builtin_ctzll(word);
				guint64 block = page / pages_per_block;

				word &= word - 1;
				if (page >= pages || vmem_image_virtio_mem_is_plugged(d, block))
					continue;
				g_set_error(
					error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
					/* TRANSLATORS: a page number, a RAMBlock's name,
					 * the page's offset in the file, a block
					 * number, the device state's name and offset */
					_("Page %" G_GUINT64_FORMAT
					  " of RAMBlock '%s' at offset %" G_GUINT64_FORMAT
					  " is written, but it lies in block %" G_GUINT64_FORMAT
					  ", which the virtio-mem device state '%s' at offset %" G_GUINT64_FORMAT
					  " says is unplugged."),
					page, b->name, b->pages_offset + page * b->page_size, block,
					d->idstr, d->section_offset);
				return FALSE;
			}
		}
		done += len;
	}
	return TRUE;
}

static gboolean
check_virtio_mem_devices(VmemImageReader *reader, const VmemImage *image, GError **error)
{
	for (guint i = 0; i < image->devices->len; i++) {
		const VmemImageVirtioMem *d = image->devices->pdata[i];

		if (d->block_index == G_MAXUINT) {
			g_set_error(
				error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				/* TRANSLATORS: a section name and its offset */
				_("The virtio-mem device state '%s' at offset %" G_GUINT64_FORMAT
				  " matches no RAMBlock of the ram section."),
				d->idstr, d->section_offset);
			return FALSE;
		}
		if (!check_virtio_mem(reader, image->blocks->pdata[d->block_index], d, error))
			return FALSE;
	}
	return TRUE;
}

/* The stream ends as QEMU ends it: QEMU_VM_EOF, QEMU_VM_VMDESCRIPTION,
 * be32 length and that much JSON, to the end of the file
 * (migration/savevm.c, qemu_savevm_state_complete_precopy_non_iterable).
 * QEMU leaves the description out only for machine types of QEMU 2.2 and
 * older, which QEMU 10 no longer has; a bare QEMU_VM_EOF (a zero byte) at
 * the end would say nothing.  Zeros after the description are allowed.  JSON text holds no byte
 * 0x06, so the last one is the description's marker.  A file cut anywhere after the setup phase
 * fails this. */
static gboolean
check_stream_end(VmemImageReader *reader, const VmemImage *image, GError **error)
{
	guint64 size = vmem_image_reader_get_size(reader);
	guint64 start = MAX(image->setup_end, size > MAX_VMDESC ? size - MAX_VMDESC : 0);
	gsize len = (gsize)(size - start);
	g_autofree guint8 *buf = NULL;

	if (len < 1)
		return invalid(error, size, "end of the stream",
			       _("the file ends before it: it is truncated."));
	buf = g_malloc(len);
	if (!vmem_image_reader_read(reader, start, buf, len, "end of the stream", error))
		return FALSE;
	/* zeros after it: padding to a block, as a writer may leave */
	while (len > 0 && buf[len - 1] == 0)
		len--;
	for (gsize i = len; i-- > 1;) {
		guint32 json_len;

		if (buf[i] != QEMU_VM_VMDESCRIPTION)
			continue;
		if (buf[i - 1] != QEMU_VM_EOF || len - i < 5)
			break;
		json_len = (guint32)buf[i + 1] << 24 | (guint32)buf[i + 2] << 16 |
			   (guint32)buf[i + 3] << 8 | buf[i + 4];
		if (json_len == len - i - 5 && json_len > 0 && buf[i + 5] == '{' &&
		    buf[len - 1] == '}')
			return TRUE;
		break;
	}
	return invalid(error, size, "end of the stream",
		       _("the file does not end with QEMU's end of stream and its JSON "
			 "description: it is truncated."));
}

/**
 * vmem_image_verify:
 * @reader: the file @image was parsed from
 * @image: its model
 * @error: return location for a #GError
 *
 * The structural checks beyond parsing: no two regions overlap, page
 * areas are 1 MiB aligned, no bitmap bit beyond a block's last page, no
 * allocated data in a page area where the bitmap has no page, and each
 * virtio-mem device state matches a RAMBlock of its size, agrees with
 * itself (plugged size and bitmap) and has no page written in a block it
 * says is unplugged; and the file ends where QEMU's stream ends.
 *
 * Returns: %TRUE when all hold
 */
gboolean
vmem_image_verify(VmemImageReader *reader, const VmemImage *image, GError **error)
{
	if (!check_overlaps(image, error))
		return FALSE;
	for (guint i = 0; i < image->blocks->len; i++) {
		const VmemImageBlock *b = image->blocks->pdata[i];

		if (b->skipped)
			continue;
		if (b->padding_bits != 0)
			return invalid(error, b->bitmap_offset, "mapped-ram bitmap",
				       _("it has bits set beyond the block's last page."));
		if (!check_data_has_bits(reader, b, error))
			return FALSE;
	}
	if (!check_virtio_mem_devices(reader, image, error) ||
	    !check_stream_end(reader, image, error))
		return FALSE;
	/* last, so that compact images (the fuzz seeds) reach every check */
	for (guint i = 0; i < image->blocks->len; i++) {
		const VmemImageBlock *b = image->blocks->pdata[i];

		if (!b->skipped && b->pages_offset % VMEM_IMAGE_PAGES_ALIGNMENT != 0)
			return invalid(error, b->record_end - 8, "MappedRamHeader pages offset",
				       _("it is not a multiple of 1 MiB."));
	}
	return TRUE;
}
