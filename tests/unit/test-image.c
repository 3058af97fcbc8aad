/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The mapped-ram image reader (src/image) on synthetic images written
 * here: a well-formed stream with two RAMBlocks, with and without
 * libvirt's header, and damaged copies of it (truncated at many offsets,
 * bad magic, offsets outside the file, overlapping regions, bitmap size
 * mismatches, data without a bitmap bit): each gives INVALID_DATA naming
 * an offset, never a crash; the virtio-mem device state of the early
 * section, matched to its RAMBlock, and a page written in an unplugged
 * block refused.  A 1 TiB sparse device is read without reading a page.
 *
 * With VMEM_TEST_WRITE_CORPUS=DIR it also writes the fuzz seeds (compact
 * images, pages not 1 MiB aligned) to DIR.
 */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "vmem-error.h"
#include "vmem-image.h"

#define PAGE 4096u
#define MIB (1024u * 1024)

typedef struct {
	const char *name;
	guint64 pages;
	guint64 written[4]; /* page indexes with data, G_MAXUINT64 ends */
} TestBlock;

/* The virtio-mem device of blocks[1], as QEMU 10 writes its early
 * section (right after the ram section, or before it). */
typedef struct {
	gboolean present;
	gboolean before_ram;
	const char *idstr;   /* NULL: "0000:00:01.2:00.0/virtio-mem-device-early" */
	guint64 block_pages; /* its block size in pages */
	guint64 plugged;     /* bitmap word 0: bit i is block i */
} TestDevice;

typedef struct {
	gboolean libvirt;
	gboolean compact; /* pages right after the bitmap, not 1 MiB aligned */
	guint page_bits;  /* 0: 12, QEMU's default, without the subsection */
	guint n_blocks;
	TestBlock blocks[2];
	TestDevice device;
} TestSpec;

/* Where the builder put things, for damaging them. */
typedef struct {
	GByteArray *bytes;
	guint64 stream_offset;
	guint64 mrh_offset[2];
	guint64 bitmap_offset[2];
	guint64 pages_offset[2];
	guint64 ram_footer;   /* the ram section's footer */
	guint64 early_offset; /* the virtio-mem early section */
	guint64 early_fields; /* its addr field */
	guint64 early_bitmap; /* its plugged-block bitmap */
	guint64 early_footer;
	guint64 setup_end; /* the section after the setup phase */
} TestImage;

/* pc.ram, and a virtio-mem device of 4 blocks of 2 pages, block 0
 * plugged, page 1 written */
static const TestSpec good_spec = {
	.n_blocks = 2,
	.blocks = {{"pc.ram", 16, {0, 3, 15, G_MAXUINT64}},
		   {"0000:00:01.2:00.0/memua-vmem0", 8, {1, G_MAXUINT64}}},
	.device = {TRUE, FALSE, NULL, 2, 0x1},
};

static void
put(GByteArray *b, const void *data, gsize len)
{
	g_byte_array_append(b, data, (guint)len);
}

static void
put_u8(GByteArray *b, guint8 v)
{
	put(b, &v, 1);
}

static void
put_be32(GByteArray *b, guint32 v)
{
	v = GUINT32_TO_BE(v);
	put(b, &v, 4);
}

static void
put_be64(GByteArray *b, guint64 v)
{
	v = GUINT64_TO_BE(v);
	put(b, &v, 8);
}

static void
set_be64(GByteArray *b, guint64 at, guint64 v)
{
	v = GUINT64_TO_BE(v);
	memcpy(b->data + at, &v, 8);
}

static void
put_name(GByteArray *b, const char *s)
{
	put_u8(b, (guint8)strlen(s));
	put(b, s, strlen(s));
}

static void
pad_to(GByteArray *b, guint64 len)
{
	if (b->len < len) {
		guint old = b->len;

		g_byte_array_set_size(b, (guint)len);
		memset(b->data + old, 0, len - old);
	}
}

/* QEMU's JSON description of the stream, which ends it */
static const char test_vmdesc[] = "{\"page_size\": 4096, \"devices\": []}";

static void
put_early(GByteArray *b, const TestSpec *spec, TestImage *img, guint64 page)
{
	const TestDevice *d = &spec->device;
	guint64 block = d->block_pages * page;
	guint64 region = spec->blocks[1].pages * page;
	guint64 n = spec->blocks[1].pages / d->block_pages;

	img->early_offset = b->len;
	put_u8(b, 0x04);
	put_be32(b, 1);
	put_name(b, d->idstr ? d->idstr : "0000:00:01.2:00.0/virtio-mem-device-early");
	put_be32(b, 0);
	put_be32(b, 1);
	img->early_fields = b->len;
	put_be64(b, G_GUINT64_CONSTANT(1) << 32);
	put_be64(b, region);
	put_be64(b, block);
	put_be32(b, 0);
	put_be64(b, (guint64)__builtin_popcountll(d->plugged) * block);
	img->early_bitmap = b->len;
	for (guint64 w = 0; w < (n + 63) / 64; w++)
		put_be64(b, w == 0 ? d->plugged : 0);
	img->early_footer = b->len;
	put_u8(b, 0x7e);
	put_be32(b, 1);
}

static void
build(const TestSpec *spec, TestImage *img)
{
	GByteArray *b = g_byte_array_new();
	guint64 total = 0;
	guint64 page = 1u << (spec->page_bits ? spec->page_bits : 12);

	memset(img, 0, sizeof(*img));
	if (spec->libvirt) {
		const char *xml = "<domain type='kvm'>\n  <name>vm1</name>\n  "
				  "<uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>\n</domain>\n";
		guint32 h[19] = {0};
		guint32 data_len = (guint32)strlen(xml) + 1 + 7;

		put(b, "LibvirtQemudSave", 16);
		h[0] = GUINT32_TO_LE(2);
		h[1] = GUINT32_TO_LE(data_len);
		h[2] = GUINT32_TO_LE(1);
		h[3] = GUINT32_TO_LE(6);
		put(b, h, sizeof(h));
		put(b, xml, strlen(xml) + 1);
		pad_to(b, b->len + 7);
	}
	img->stream_offset = b->len;
	put_be32(b, 0x5145564d);
	put_be32(b, 3);
	put_u8(b, 0x07);
	put_be32(b, 11);
	put(b, "pc-q35-10.0", 11);
	put_u8(b, 0x05);
	put_name(b, "configuration/capabilities");
	put_be32(b, 1);
	put_be32(b, 1);
	put_name(b, "mapped-ram");
	if (spec->page_bits) {
		put_u8(b, 0x05);
		put_name(b, "configuration/target-page-bits");
		put_be32(b, 1);
		put_be32(b, spec->page_bits);
	}
	if (spec->device.present && spec->device.before_ram)
		put_early(b, spec, img, page);
	put_u8(b, 0x01);
	put_be32(b, 0);
	put_name(b, "ram");
	put_be32(b, 0);
	put_be32(b, 4);
	for (guint i = 0; i < spec->n_blocks; i++)
		total += spec->blocks[i].pages * page;
	put_be64(b, total | 0x04);
	for (guint i = 0; i < spec->n_blocks; i++) {
		const TestBlock *blk = &spec->blocks[i];
		guint64 bitmap_size = (blk->pages + 63) / 64 * 8;
		guint64 bitmap_offset, pages_offset;

		put_name(b, blk->name);
		put_be64(b, blk->pages * page);
		img->mrh_offset[i] = b->len;
		bitmap_offset = b->len + 28;
		pages_offset = bitmap_offset + bitmap_size;
		if (!spec->compact)
			pages_offset = (pages_offset + MIB - 1) / MIB * MIB;
		put_be32(b, 1);
		put_be64(b, page);
		put_be64(b, bitmap_offset);
		put_be64(b, pages_offset);
		img->bitmap_offset[i] = bitmap_offset;
		img->pages_offset[i] = pages_offset;
		pad_to(b, pages_offset + blk->pages * page);
		for (guint w = 0; blk->written[w] != G_MAXUINT64; w++) {
			guint64 p = blk->written[w];

			b->data[bitmap_offset + p / 8] |= (guint8)(1u << (p % 8));
			memset(b->data + pages_offset + p * page, 0x5a, page);
		}
	}
	put_be64(b, 0x10);
	img->ram_footer = b->len;
	put_u8(b, 0x7e);
	put_be32(b, 0);
	if (spec->device.present && !spec->device.before_ram)
		put_early(b, spec, img, page);
	/* what follows the setup phase: a ram part, the end of the stream */
	img->setup_end = b->len;
	put_u8(b, 0x02);
	put_be32(b, 0);
	put_be64(b, 0x10);
	put_u8(b, 0x7e);
	put_be32(b, 0);
	put_u8(b, 0x00);
	put_u8(b, 0x06);
	put_be32(b, (guint32)strlen(test_vmdesc));
	put(b, test_vmdesc, strlen(test_vmdesc));
	img->bytes = b;
}

static VmemImage *
parse_bytes(const GByteArray *b, gsize len, GError **error)
{
	g_autoptr(VmemImageReader) reader = vmem_image_reader_new_memory(b->data, len);
	g_autoptr(VmemImage) image = vmem_image_parse(reader, VMEM_IMAGE_PARSE_DEFAULT, error);

	if (image != NULL && !vmem_image_verify(reader, image, error))
		return NULL;
	return g_steal_pointer(&image);
}

/* @b must be refused with INVALID_DATA whose message names an offset and
 * contains @needle. */
static void
assert_refused(const GByteArray *b, gsize len, const char *needle)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemImage) image = parse_bytes(b, len, &error);

	g_assert_null(image);
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
	if (strstr(error->message, "offset") == NULL ||
	    (needle && strstr(error->message, needle) == NULL))
		g_error("unexpected message for %s: %s", needle ? needle : "(any)", error->message);
}

static void
test_good(gconstpointer data)
{
	TestSpec spec = good_spec;
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemImage) image = NULL;
	TestImage img;
	const VmemImageBlock *b0, *b1;

	spec.libvirt = GPOINTER_TO_INT(data);
	build(&spec, &img);
	image = parse_bytes(img.bytes, img.bytes->len, &error);
	g_assert_no_error(error);
	g_assert_nonnull(image);
	g_assert_cmpuint(image->blocks->len, ==, 2);
	b0 = image->blocks->pdata[0];
	b1 = image->blocks->pdata[1];
	g_assert_cmpstr(b0->name, ==, "pc.ram");
	g_assert_cmpuint(b0->used_length, ==, 16 * PAGE);
	g_assert_cmpuint(b0->pages_written, ==, 3);
	g_assert_cmpuint(b0->bitmap_size, ==, 8);
	g_assert_cmpuint(b0->pages_offset % MIB, ==, 0);
	g_assert_cmpstr(b1->name, ==, "0000:00:01.2:00.0/memua-vmem0");
	g_assert_cmpuint(b1->pages_written, ==, 1);
	g_assert_null(b0->virtio_mem);
	g_assert_nonnull(b1->virtio_mem);
	g_assert_cmpuint(image->devices->len, ==, 1);
	g_assert_true(b1->virtio_mem == image->devices->pdata[0]);
	g_assert_cmpuint(b1->virtio_mem->block_index, ==, 1);
	g_assert_cmpuint(b1->virtio_mem->plugged_blocks, ==, 1);
	g_assert_cmpuint(image->setup_end, ==, img.setup_end);
	g_assert_null(image->setup_end_name);
	g_assert_cmpstr(image->machine, ==, "pc-q35-10.0");
	g_assert_cmpuint(image->stream_offset, ==, img.stream_offset);
	g_assert_true(image->libvirt.present == spec.libvirt);
	if (spec.libvirt) {
		g_assert_cmpstr(image->libvirt.name, ==, "vm1");
		g_assert_cmpstr(image->libvirt.uuid, ==, "c7a5fdbd-edaf-9455-926a-d65c16db1809");
		g_assert_cmpuint(image->libvirt.format, ==, 6);
		g_assert_cmpuint(image->libvirt.was_running, ==, 1);
	}
	g_byte_array_unref(img.bytes);
}

static void
test_truncated(gconstpointer data)
{
	TestSpec spec = good_spec;
	TestImage img;
	guint n = 0;

	spec.libvirt = GPOINTER_TO_INT(data);
	build(&spec, &img);
	/* the reader reads the stream to the end of its setup phase: the ram
	 * section and the early device states, up to the next section's type */
	for (gsize len = 0; len <= img.setup_end; len++) {
		/* every byte of the headers, then a sample of the page areas */
		if (len > img.bitmap_offset[0] + 64 && len + 64 < img.pages_offset[1] + 8 * PAGE &&
		    !(len > img.mrh_offset[1] - 64 && len < img.bitmap_offset[1] + 64) &&
		    len % 4093 != 0)
			continue;
		assert_refused(img.bytes, len, NULL);
		n++;
	}
	g_test_message("%u truncated copies refused", n);
	g_byte_array_unref(img.bytes);
}

static void
test_damaged(void)
{
	TestImage img;
	TestSpec spec = good_spec;
	g_autoptr(GByteArray) b = NULL;

	build(&good_spec, &img);
	b = img.bytes;

	b->data[0] = 'X';
	assert_refused(b, b->len, "QEVM");
	b->data[0] = 'Q';
	b->data[7] = 2;
	assert_refused(b, b->len, "version");
	b->data[7] = 3;

	/* MappedRamHeader version, page size */
	b->data[img.mrh_offset[0] + 3] = 2;
	assert_refused(b, b->len, "MappedRamHeader version");
	b->data[img.mrh_offset[0] + 3] = 1;
	set_be64(b, img.mrh_offset[0] + 4, 65536);
	assert_refused(b, b->len, "page size");
	set_be64(b, img.mrh_offset[0] + 4, PAGE);

	/* offsets outside the file, and ones that overflow */
	set_be64(b, img.mrh_offset[1] + 12, b->len + 1);
	assert_refused(b, b->len, "bitmap");
	set_be64(b, img.mrh_offset[1] + 12, G_MAXUINT64 - 3);
	assert_refused(b, b->len, "bitmap");
	set_be64(b, img.mrh_offset[1] + 12, img.bitmap_offset[1]);
	set_be64(b, img.mrh_offset[1] + 20, G_MAXUINT64 - PAGE);
	assert_refused(b, b->len, "page area");
	/* pages inside the bitmap; bitmap before the header's end */
	set_be64(b, img.mrh_offset[1] + 20, img.bitmap_offset[1] + 4);
	assert_refused(b, b->len, "pages offset");
	set_be64(b, img.mrh_offset[1] + 20, img.pages_offset[1]);
	set_be64(b, img.mrh_offset[1] + 12, img.mrh_offset[1]);
	assert_refused(b, b->len, "bitmap offset");
	set_be64(b, img.mrh_offset[1] + 12, img.bitmap_offset[1]);
	/* the page area moved off 1 MiB: the next record is elsewhere */
	set_be64(b, img.mrh_offset[1] + 20, img.pages_offset[1] + PAGE);
	assert_refused(b, b->len, NULL);
	set_be64(b, img.mrh_offset[1] + 20, img.pages_offset[1]);

	/* bitmap size mismatch: a bit past the block's 8 pages; a used length
	 * that is no multiple of the page size */
	b->data[img.bitmap_offset[1] + 2] = 0x10;
	assert_refused(b, b->len, "beyond the block's last page");
	b->data[img.bitmap_offset[1] + 2] = 0;
	set_be64(b, img.mrh_offset[1] - 8, 8 * PAGE + 1);
	assert_refused(b, b->len, "used length");
	set_be64(b, img.mrh_offset[1] - 8, 9 * PAGE);
	assert_refused(b, b->len, NULL);
	set_be64(b, img.mrh_offset[1] - 8, 8 * PAGE);

	/* the footer */
	b->data[img.ram_footer] = 0x7f;
	assert_refused(b, b->len, "footer");
	b->data[img.ram_footer] = 0x7e;

	/* no mapped-ram capability */
	memcpy(b->data + img.stream_offset + 0x3d, "mapped-rom", 10);
	assert_refused(b, b->len, "mapped-ram");
	memcpy(b->data + img.stream_offset + 0x3d, "mapped-ram", 10);

	/* still good after all the repairs */
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(VmemImage) image = parse_bytes(b, b->len, &error);

		g_assert_no_error(error);
		g_assert_nonnull(image);
	}

	/* libvirt's header: partial save, unknown format, XML */
	spec.libvirt = TRUE;
	build(&spec, &img);
	memcpy(img.bytes->data + 12, "Part", 4);
	assert_refused(img.bytes, img.bytes->len, "LibvirtQemudPart");
	memcpy(img.bytes->data + 12, "Save", 4);
	img.bytes->data[28] = 0;
	assert_refused(img.bytes, img.bytes->len, "sparse");
	img.bytes->data[28] = 6;
	img.bytes->data[20] = 0xff;
	img.bytes->data[21] = 0xff;
	assert_refused(img.bytes, img.bytes->len, NULL);
	img.bytes->data[21] = 0;
	img.bytes->data[20] = 0;
	assert_refused(img.bytes, img.bytes->len, "XML");
	g_byte_array_unref(img.bytes);
}

/* Overlapping regions: the verify pass on a model whose bitmap was moved
 * into another block's page area. */
static void
test_overlap(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemImageReader) reader = NULL;
	g_autoptr(VmemImage) image = NULL;
	VmemImageBlock *b1;
	TestImage img;

	build(&good_spec, &img);
	reader = vmem_image_reader_new_memory(img.bytes->data, img.bytes->len);
	image = vmem_image_parse(reader, VMEM_IMAGE_PARSE_DEFAULT, &error);
	g_assert_no_error(error);
	b1 = image->blocks->pdata[1];
	b1->bitmap_offset = img.pages_offset[0] + PAGE;
	g_assert_false(vmem_image_verify(reader, image, &error));
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
	g_assert_nonnull(strstr(error->message, "overlaps"));
	g_byte_array_unref(img.bytes);
}

/* The virtio-mem device state: found before or after the ram section,
 * matched to its RAMBlock by device path, and every inconsistency with
 * the pages refused. */
static void
test_virtio_mem_good(void)
{
	TestSpec spec = good_spec;
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemImage) image = NULL;
	const VmemImageVirtioMem *d;
	TestImage img;

	spec.device.before_ram = TRUE;
	build(&spec, &img);
	image = parse_bytes(img.bytes, img.bytes->len, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(image->devices->len, ==, 1);
	d = image->devices->pdata[0];
	g_assert_cmpstr(d->idstr, ==, "0000:00:01.2:00.0/virtio-mem-device-early");
	g_assert_cmpuint(d->section_offset, ==, img.early_offset);
	g_assert_cmpuint(d->addr, ==, G_GUINT64_CONSTANT(1) << 32);
	g_assert_cmpuint(d->region_size, ==, 8 * PAGE);
	g_assert_cmpuint(d->block_size, ==, 2 * PAGE);
	g_assert_cmpuint(d->n_blocks, ==, 4);
	g_assert_cmpuint(d->size, ==, 2 * PAGE);
	g_assert_cmpuint(d->plugged_blocks, ==, 1);
	g_assert_true(vmem_image_virtio_mem_is_plugged(d, 0));
	g_assert_false(vmem_image_virtio_mem_is_plugged(d, 1));
	g_assert_cmpuint(d->block_index, ==, 1);
	g_assert_cmpuint(image->setup_end, ==, img.setup_end);
	g_byte_array_unref(img.bytes);

	/* all plugged, pages in the last block */
	spec = good_spec;
	spec.device.plugged = 0xf;
	spec.blocks[1].written[0] = 7;
	build(&spec, &img);
	g_clear_pointer(&image, vmem_image_free);
	image = parse_bytes(img.bytes, img.bytes->len, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(((VmemImageVirtioMem *)image->devices->pdata[0])->plugged_blocks, ==, 4);
	g_byte_array_unref(img.bytes);

	/* none: no early section, no device state, nothing to check */
	spec = good_spec;
	spec.device.present = FALSE;
	build(&spec, &img);
	g_clear_pointer(&image, vmem_image_free);
	image = parse_bytes(img.bytes, img.bytes->len, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(image->devices->len, ==, 0);
	g_assert_null(((VmemImageBlock *)image->blocks->pdata[1])->virtio_mem);
	g_byte_array_unref(img.bytes);
}

static void
test_virtio_mem_damaged(void)
{
	TestSpec spec = good_spec;
	g_autoptr(GByteArray) b = NULL;
	TestImage img;
	guint64 f;

	build(&spec, &img);
	b = img.bytes;
	f = img.early_fields;

	/* a page written in an unplugged block: the page bitmap says page 5
	 * (block 2) holds data */
	b->data[img.bitmap_offset[1]] |= 0x20;
	assert_refused(b, b->len, "block 2, which the virtio-mem device state");
	b->data[img.bitmap_offset[1]] &= (guint8)~0x20;
	/* the device unplugged block 0 where page 1 is written (size too) */
	set_be64(b, img.early_bitmap, 0x2);
	assert_refused(b, b->len, "block 0, which the virtio-mem device state");
	/* the size disagrees with the bitmap */
	set_be64(b, img.early_bitmap, 0x3);
	assert_refused(b, b->len, "plugged");
	set_be64(b, img.early_bitmap, 0x1);
	set_be64(b, f + 28, 4 * PAGE);
	assert_refused(b, b->len, "plugged");
	set_be64(b, f + 28, 3 * PAGE);
	assert_refused(b, b->len, "plugged size");
	set_be64(b, f + 28, 10 * PAGE);
	assert_refused(b, b->len, "plugged size");
	set_be64(b, f + 28, 2 * PAGE);
	/* a bit beyond the last block */
	set_be64(b, img.early_bitmap, 0x11);
	assert_refused(b, b->len, "beyond the device's last block");
	set_be64(b, img.early_bitmap, 0x1);

	/* the region: not its RAMBlock's size, not whole blocks, a bitmap
	 * past the end of the file or beyond any sane size */
	set_be64(b, f + 8, 16 * PAGE);
	assert_refused(b, b->len, NULL);
	set_be64(b, f + 8, 7 * PAGE);
	assert_refused(b, b->len, "region size");
	set_be64(b, f + 8, 0);
	assert_refused(b, b->len, "region size");
	set_be64(b, f + 8, G_GUINT64_CONSTANT(1) << 40);
	assert_refused(b, b->len, "end of the file");
	set_be64(b, f + 8, G_GUINT64_CONSTANT(1) << 62);
	assert_refused(b, b->len, "16 MiB");
	set_be64(b, f + 8, 8 * PAGE);
	/* the block size, the address */
	set_be64(b, f + 16, 3 * PAGE);
	assert_refused(b, b->len, "block size");
	set_be64(b, f + 16, PAGE / 2);
	assert_refused(b, b->len, "block size");
	set_be64(b, f + 16, 0);
	assert_refused(b, b->len, "block size");
	set_be64(b, f + 16, 2 * PAGE);
	set_be64(b, f, PAGE);
	assert_refused(b, b->len, "address");
	set_be64(b, f, G_GUINT64_CONSTANT(1) << 32);
	/* version, footer, what follows */
	b->data[f - 1] = 2;
	assert_refused(b, b->len, "version");
	b->data[f - 1] = 1;
	b->data[img.early_footer] = 0x7f;
	assert_refused(b, b->len, "footer");
	b->data[img.early_footer] = 0x7e;
	b->data[img.early_footer + 4] = 2;
	assert_refused(b, b->len, "footer");
	b->data[img.early_footer + 4] = 1;
	b->data[img.setup_end] = 0x42;
	assert_refused(b, b->len, "section type");
	b->data[img.setup_end] = 0x02;

	/* a device path of no RAMBlock */
	b->data[img.early_offset + 6] = '1';
	assert_refused(b, b->len, "matches no RAMBlock");
	b->data[img.early_offset + 6] = '0';
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(VmemImage) image = parse_bytes(b, b->len, &error);

		g_assert_no_error(error);
		g_assert_nonnull(image);
	}
	g_clear_pointer(&b, g_byte_array_unref);

	/* no device path at all: nothing ties it to a RAMBlock */
	spec.device.idstr = "virtio-mem-device-early";
	build(&spec, &img);
	assert_refused(img.bytes, img.bytes->len, "matches no RAMBlock");
	g_byte_array_unref(img.bytes);
	/* a name that only ends like it is some other section: the setup
	 * phase ends there */
	spec.device.idstr = "0000:00:01.2:00.0/xvirtio-mem-device-early";
	build(&spec, &img);
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(VmemImage) image = parse_bytes(img.bytes, img.bytes->len, &error);

		g_assert_no_error(error);
		g_assert_cmpuint(image->devices->len, ==, 0);
		g_assert_cmpstr(image->setup_end_name, ==, spec.device.idstr);
		g_assert_cmpuint(image->setup_end, ==, img.early_offset);
	}
	g_byte_array_unref(img.bytes);
}

/* The file ends where the stream ends, with QEMU_VM_EOF and the JSON
 * description: cut anywhere after the setup phase, refused. */
static void
test_stream_end(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemImage) image = NULL;
	TestImage img;

	build(&good_spec, &img);
	image = parse_bytes(img.bytes, img.bytes->len, &error);
	g_assert_no_error(error);
	for (gsize len = img.setup_end + 1; len < img.bytes->len; len++)
		assert_refused(img.bytes, len, "end of the stream");
	/* a length that is not the rest of the file; no QEMU_VM_EOF */
	img.bytes->data[img.bytes->len - strlen(test_vmdesc) - 1]++;
	assert_refused(img.bytes, img.bytes->len, "end of the stream");
	img.bytes->data[img.bytes->len - strlen(test_vmdesc) - 1]--;
	img.bytes->data[img.bytes->len - strlen(test_vmdesc) - 6] = 0x1f;
	assert_refused(img.bytes, img.bytes->len, "end of the stream");
	img.bytes->data[img.bytes->len - strlen(test_vmdesc) - 6] = 0x00;
	/* padded with zeros after the description: still the end */
	pad_to(img.bytes, img.bytes->len + 4096);
	g_clear_pointer(&image, vmem_image_free);
	image = parse_bytes(img.bytes, img.bytes->len, &error);
	g_assert_no_error(error);
	g_byte_array_unref(img.bytes);
}

static char *
write_temp(const GByteArray *b, int *ret_fd)
{
	g_autoptr(GError) error = NULL;
	char *path = NULL;
	int fd = g_file_open_tmp("test-image-XXXXXX", &path, &error);

	g_assert_no_error(error);
	/* sparse, as QEMU writes it: only the pages that hold something */
	g_assert_cmpint(ftruncate(fd, b->len), ==, 0);
	for (guint at = 0; at < b->len; at += PAGE) {
		guint len = MIN(PAGE, b->len - at);
		gboolean zero = TRUE;

		for (guint i = 0; i < len && zero; i++)
			zero = b->data[at + i] == 0;
		if (!zero)
			g_assert_cmpint(pwrite(fd, b->data + at, len, at), ==, (gssize)len);
	}
	*ret_fd = fd;
	return path;
}

/* In a file: allocation per block, and data where the bitmap has no page. */
static void
test_file(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemImageReader) reader = NULL;
	g_autoptr(VmemImage) image = NULL;
	g_autofree char *path = NULL;
	const VmemImageBlock *b0;
	TestImage img;
	guint8 bits = 0x01; /* page 0 only: page 3 loses its bit */
	int fd;

	build(&good_spec, &img);
	path = write_temp(img.bytes, &fd);
	reader = vmem_image_reader_new_fd(fd, &error);
	g_assert_no_error(error);
	image = vmem_image_parse(reader, VMEM_IMAGE_PARSE_ALLOCATION, &error);
	g_assert_no_error(error);
	b0 = image->blocks->pdata[0];
	if (b0->allocated != G_MAXUINT64)
		g_assert_cmpuint(b0->allocated, ==, 3 * PAGE);
	g_assert_true(vmem_image_verify(reader, image, &error));
	g_assert_no_error(error);

	g_assert_cmpint(pwrite(fd, &bits, 1, (off_t)img.bitmap_offset[0]), ==, 1);
	g_clear_pointer(&image, vmem_image_free);
	image = vmem_image_parse(reader, VMEM_IMAGE_PARSE_DEFAULT, &error);
	g_assert_no_error(error);
	/* only when the file system reports holes */
	if (!vmem_image_verify(reader, image, &error)) {
		g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
		g_assert_nonnull(strstr(error->message, "holds data"));
	} else {
		g_test_message("the file system does not report holes");
	}
	close(fd);
	g_unlink(path);
	g_byte_array_unref(img.bytes);
}

/* A 1 TiB virtio-mem device in a sparse file, 2 MiB blocks, the first
 * and the last plugged: info and verify read headers and bitmaps (the
 * page bitmap's holes skipped), never a byte of the 1 TiB page area.
 * bench/image times the same on virtmem-image. */
static void
test_tib(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemImageReader) reader = NULL;
	g_autoptr(VmemImage) image = NULL;
	g_autoptr(GByteArray) head = g_byte_array_new();
	g_autoptr(GByteArray) tail = g_byte_array_new();
	g_autofree char *path = NULL;
	const guint64 tib = G_GUINT64_CONSTANT(1) << 40;
	const guint64 block = 2 * MIB;
	guint64 bitmap_offset, pages_offset, bitmap_size = tib / PAGE / 8;
	guint64 n_blocks = tib / block;
	const VmemImageBlock *b;
	const VmemImageVirtioMem *d;
	guint8 bits = 0x81;
	guint8 page[PAGE];
	gint64 start;
	int fd;

	put(head, "QEVM\0\0\0\3", 8);
	put_u8(head, 0x07);
	put_be32(head, 11);
	put(head, "pc-q35-10.0", 11);
	put_u8(head, 0x05);
	put_name(head, "configuration/capabilities");
	put_be32(head, 1);
	put_be32(head, 1);
	put_name(head, "mapped-ram");
	put_u8(head, 0x01);
	put_be32(head, 0);
	put_name(head, "ram");
	put_be32(head, 0);
	put_be32(head, 4);
	put_be64(head, tib | 0x04);
	put_name(head, "0000:00:01.2:00.0/memua-vmem0");
	put_be64(head, tib);
	bitmap_offset = head->len + 28;
	pages_offset = (bitmap_offset + bitmap_size + MIB - 1) / MIB * MIB;
	put_be32(head, 1);
	put_be64(head, PAGE);
	put_be64(head, bitmap_offset);
	put_be64(head, pages_offset);

	put_be64(tail, 0x10);
	put_u8(tail, 0x7e);
	put_be32(tail, 0);
	put_u8(tail, 0x04);
	put_be32(tail, 1);
	put_name(tail, "0000:00:01.2:00.0/virtio-mem-device-early");
	put_be32(tail, 0);
	put_be32(tail, 1);
	put_be64(tail, G_GUINT64_CONSTANT(1) << 32);
	put_be64(tail, tib);
	put_be64(tail, block);
	put_be32(tail, 0);
	put_be64(tail, 2 * block);
	for (guint64 w = 0; w < n_blocks / 64; w++)
		put_be64(tail, w == 0			? 1
			       : w == n_blocks / 64 - 1 ? G_GUINT64_CONSTANT(1) << 63
							: 0);
	put_u8(tail, 0x7e);
	put_be32(tail, 1);
	put_u8(tail, 0x00);
	put_u8(tail, 0x06);
	put_be32(tail, (guint32)strlen(test_vmdesc));
	put(tail, test_vmdesc, strlen(test_vmdesc));

	path = write_temp(head, &fd);
	memset(page, 0x5a, sizeof(page));
	/* pages 0 and 7 (block 0), the last page (the last block) */
	g_assert_cmpint(pwrite(fd, &bits, 1, (off_t)bitmap_offset), ==, 1);
	bits = 0x80;
	g_assert_cmpint(pwrite(fd, &bits, 1, (off_t)(bitmap_offset + bitmap_size - 1)), ==, 1);
	g_assert_cmpint(pwrite(fd, page, PAGE, (off_t)pages_offset), ==, PAGE);
	g_assert_cmpint(pwrite(fd, page, PAGE, (off_t)(pages_offset + 7 * PAGE)), ==, PAGE);
	g_assert_cmpint(pwrite(fd, page, PAGE, (off_t)(pages_offset + tib - PAGE)), ==, PAGE);
	/* a loud failure, not a skip: the test needs a file system with
	 * sparse files of 1 TiB (ext4, xfs, btrfs, tmpfs all have them) */
	g_assert_cmpint(pwrite(fd, tail->data, tail->len, (off_t)(pages_offset + tib)), ==,
			(gssize)tail->len);

	start = g_get_monotonic_time();
	reader = vmem_image_reader_new_fd(fd, &error);
	g_assert_no_error(error);
	vmem_image_reader_watch(reader, pages_offset, tib);
	image = vmem_image_parse(reader, VMEM_IMAGE_PARSE_ALLOCATION, &error);
	g_assert_no_error(error);
	g_assert_true(vmem_image_verify(reader, image, &error));
	g_assert_no_error(error);
	g_test_message("info + verify of a 1 TiB device: %.1f ms, %" G_GUINT64_FORMAT " bytes read",
		       (double)(g_get_monotonic_time() - start) / 1000.0,
		       vmem_image_reader_get_bytes_read(reader));
	b = image->blocks->pdata[0];
	d = b->virtio_mem;
	g_assert_cmpuint(b->pages_written, ==, 3);
	g_assert_nonnull(d);
	g_assert_cmpuint(d->n_blocks, ==, n_blocks);
	g_assert_cmpuint(d->plugged_blocks, ==, 2);
	g_assert_true(vmem_image_virtio_mem_is_plugged(d, n_blocks - 1));
	/* no page read; of the 32 MiB page bitmap only its two chunks with
	 * data (1 MiB each, twice: counting and the unplugged check) */
	g_assert_cmpuint(vmem_image_reader_get_watched_bytes(reader), ==, 0);
	g_assert_cmpuint(vmem_image_reader_get_bytes_read(reader), <,
			 4 * MIB + n_blocks / 8 + 64 * 1024);

	/* a page bit in block 1, unplugged: found, still without reading pages */
	bits = 0x01;
	g_assert_cmpint(pwrite(fd, &bits, 1, (off_t)(bitmap_offset + block / PAGE / 8)), ==, 1);
	g_clear_pointer(&image, vmem_image_free);
	image = vmem_image_parse(reader, VMEM_IMAGE_PARSE_DEFAULT, &error);
	g_assert_no_error(error);
	g_assert_false(vmem_image_verify(reader, image, &error));
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
	g_assert_nonnull(strstr(error->message, "block 1,"));
	g_assert_cmpuint(vmem_image_reader_get_watched_bytes(reader), ==, 0);
	close(fd);
	g_unlink(path);
}

static void
write_seed(const char *dir, const char *name, const GByteArray *b, gsize len)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);

	g_assert_true(g_file_set_contents(path, (const char *)b->data, (gssize)len, NULL));
}

static void
write_corpus(const char *dir)
{
	/* small: 512-byte pages, a few of them; a virtio-mem device of 2
	 * blocks of 2 pages, block 0 plugged, page 0 written */
	TestSpec spec = {
		.compact = TRUE,
		.page_bits = 9,
		.n_blocks = 2,
		.blocks = {{"pc.ram", 2, {1, G_MAXUINT64}},
			   {"0000:00:01.2:00.0/memua-vmem0", 4, {0, G_MAXUINT64}}},
		.device = {TRUE, FALSE, NULL, 2, 0x1},
	};
	TestImage img;

	build(&spec, &img);
	write_seed(dir, "plain", img.bytes, img.bytes->len);
	write_seed(dir, "truncated", img.bytes, img.bytes->len / 2);
	write_seed(dir, "truncated-early", img.bytes, img.early_bitmap + 3);
	img.bytes->data[img.bitmap_offset[1]] = 0x10;
	write_seed(dir, "padding-bit", img.bytes, img.bytes->len);
	/* a page written in unplugged block 1 */
	img.bytes->data[img.bitmap_offset[1]] = 0x05;
	write_seed(dir, "unplugged-page", img.bytes, img.bytes->len);
	img.bytes->data[img.bitmap_offset[1]] = 0x01;
	set_be64(img.bytes, img.early_bitmap, 0x5);
	write_seed(dir, "early-padding-bit", img.bytes, img.bytes->len);
	set_be64(img.bytes, img.early_bitmap, 0x1);
	set_be64(img.bytes, img.early_fields + 8, G_GUINT64_CONSTANT(1) << 40);
	write_seed(dir, "early-bitmap-overflow", img.bytes, img.bytes->len);
	g_byte_array_unref(img.bytes);

	spec.device.before_ram = TRUE;
	build(&spec, &img);
	write_seed(dir, "early-before-ram", img.bytes, img.bytes->len);
	g_byte_array_unref(img.bytes);
	spec.device.before_ram = FALSE;
	spec.device.idstr = "virtio-mem-device-early";
	build(&spec, &img);
	write_seed(dir, "early-no-device-path", img.bytes, img.bytes->len);
	g_byte_array_unref(img.bytes);
	spec.device.idstr = NULL;

	spec.libvirt = TRUE;
	build(&spec, &img);
	write_seed(dir, "libvirt", img.bytes, img.bytes->len);
	set_be64(img.bytes, img.mrh_offset[1] + 12, G_MAXUINT64 - 3);
	write_seed(dir, "bitmap-overflow", img.bytes, img.bytes->len);
	g_byte_array_unref(img.bytes);
}

int
main(int argc, char **argv)
{
	const char *corpus = g_getenv("VMEM_TEST_WRITE_CORPUS");

	g_test_init(&argc, &argv, NULL);
	if (corpus)
		write_corpus(corpus);
	g_test_add_data_func("/image/good/plain", GINT_TO_POINTER(FALSE), test_good);
	g_test_add_data_func("/image/good/libvirt", GINT_TO_POINTER(TRUE), test_good);
	g_test_add_data_func("/image/truncated/plain", GINT_TO_POINTER(FALSE), test_truncated);
	g_test_add_data_func("/image/truncated/libvirt", GINT_TO_POINTER(TRUE), test_truncated);
	g_test_add_func("/image/damaged", test_damaged);
	g_test_add_func("/image/overlap", test_overlap);
	g_test_add_func("/image/virtio-mem/good", test_virtio_mem_good);
	g_test_add_func("/image/virtio-mem/damaged", test_virtio_mem_damaged);
	g_test_add_func("/image/stream-end", test_stream_end);
	g_test_add_func("/image/file", test_file);
	g_test_add_func("/image/tib", test_tib);
	return g_test_run();
}
