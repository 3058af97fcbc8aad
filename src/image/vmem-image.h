/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "vmem-image-reader.h"

G_BEGIN_DECLS

/* libvirt's src/qemu/qemu_saveimage.h: virQEMUSaveHeader */
#define VMEM_IMAGE_LIBVIRT_HEADER_SIZE 92
/* libvirt's src/qemu/qemu_saveimage_format.h: QEMU_SAVE_FORMAT_SPARSE */
#define VMEM_IMAGE_LIBVIRT_FORMAT_SPARSE 6
/* QEMU's migration/ram.c: MAPPED_RAM_FILE_OFFSET_ALIGNMENT */
#define VMEM_IMAGE_PAGES_ALIGNMENT 0x100000
/* QEMU's migration/ram.c: sizeof(MappedRamHeader), packed */
#define VMEM_IMAGE_MAPPED_RAM_HEADER_SIZE 28

typedef struct _VmemImageVirtioMem VmemImageVirtioMem;

/**
 * VmemImageBlock:
 * @name: the RAMBlock's idstr ("pc.ram", "0000:00:01.2:00.0/memua-vmem0")
 * @record_offset: where its record in the ram section starts
 * @record_end: where its record (with the MappedRamHeader) ends
 * @used_length: bytes of guest memory
 * @page_size: the target page size from its MappedRamHeader
 * @skipped: QEMU left the block out (x-ignore-shared: both offsets 0)
 * @bitmap_offset: where its bitmap of written pages is (absolute)
 * @bitmap_size: its size in bytes (host longs, one bit a page)
 * @pages_offset: where page 0 is (absolute)
 * @pages_written: bits set in the bitmap
 * @padding_bits: bits set in the bitmap beyond the last page
 * @allocated: bytes allocated on disk in the page area, or G_MAXUINT64 when
 *   not asked or unknown
 * @virtio_mem: (nullable) (transfer none): the state of the virtio-mem
 *   device whose memory this block is, when the stream has it
 */
typedef struct {
	char *name;
	guint64 record_offset;
	guint64 record_end;
	guint64 used_length;
	guint64 page_size;
	gboolean skipped;
	guint64 bitmap_offset;
	guint64 bitmap_size;
	guint64 pages_offset;
	guint64 pages_written;
	guint64 padding_bits;
	guint64 allocated;
	const VmemImageVirtioMem *virtio_mem;
} VmemImageBlock;

/* QEMU's hw/virtio/virtio-mem.c: vmstate_virtio_mem_device_early */
#define VMEM_IMAGE_VIRTIO_MEM_EARLY "virtio-mem-device-early"

/**
 * VmemImageVirtioMem:
 * @idstr: the section's name, "DEVPATH/virtio-mem-device-early"
 * @instance: the section's instance id
 * @section_offset: where the section starts
 * @section_end: where it ends (after its footer)
 * @addr: the device's guest-physical address
 * @region_size: the size of its memory backend (its RAMBlock)
 * @block_size: its block size
 * @node: its NUMA node
 * @size: its plugged size as the device recorded it
 * @bitmap_offset: where its plugged-block bitmap starts in the file
 * @n_blocks: blocks in the region (bits in the bitmap)
 * @bitmap: (array): the bitmap, one bit per block (bit i of word j is
 *   block 64 j + i), host order
 * @plugged_blocks: bits set in the bitmap
 * @padding_bits: bits set beyond the last block
 * @block_index: the index of its RAMBlock in #VmemImage.blocks, or
 *   G_MAXUINT when none matches
 *
 * The state of one virtio-mem device from the stream's early section:
 * which blocks of its memory the guest has plugged.
 */
struct _VmemImageVirtioMem {
	char *idstr;
	guint32 instance;
	guint64 section_offset;
	guint64 section_end;
	guint64 addr;
	guint64 region_size;
	guint64 block_size;
	guint32 node;
	guint64 size;
	guint64 bitmap_offset;
	guint64 n_blocks;
	guint64 *bitmap;
	guint64 plugged_blocks;
	guint64 padding_bits;
	guint block_index;
};

gboolean vmem_image_virtio_mem_is_plugged(const VmemImageVirtioMem *device, guint64 block);

/**
 * VmemImageLibvirt:
 * @present: the file starts with libvirt's header
 * @version: its version (2)
 * @data_length: bytes of XML and cookie after the header
 * @xml_length: bytes of the domain XML (without its NUL)
 * @was_running: the domain ran when it was saved
 * @format: the image format (6: sparse)
 * @cookie_offset: where the cookie starts in the data, 0 for none
 * @name: the domain's name from the XML, if found
 * @uuid: the domain's UUID from the XML, if found
 */
typedef struct {
	gboolean present;
	guint32 version;
	guint32 data_length;
	guint32 xml_length;
	guint32 was_running;
	guint32 format;
	guint32 cookie_offset;
	char *name;
	char *uuid;
} VmemImageLibvirt;

/**
 * VmemImage:
 * @file_size: the file's size in bytes
 * @libvirt: libvirt's header, if any
 * @stream_offset: where QEMU's stream ("QEVM") starts
 * @machine: the machine type of the configuration section
 * @capabilities: (array zero-terminated=1): the migration capabilities
 *   the configuration lists
 * @skipped_sections: (array zero-terminated=1): device sections before the
 *   ram section that were skipped, not parsed
 * @ram_section_offset: where the ram section starts
 * @ram_total: the ram section's total of used lengths
 * @blocks: (element-type VmemImageBlock): the RAMBlocks in stream order
 * @devices: (element-type VmemImageVirtioMem): the virtio-mem devices'
 *   early states, in stream order
 * @setup_end: where the reader stopped reading the setup phase's sections
 * @setup_end_name: (nullable): the name of the section there when it is
 *   one the reader does not know (then device states after it, if any,
 *   were not read), %NULL when the setup phase was read to its end
 */
typedef struct {
	guint64 file_size;
	VmemImageLibvirt libvirt;
	guint64 stream_offset;
	char *machine;
	GStrv capabilities;
	GStrv skipped_sections;
	guint64 ram_section_offset;
	guint64 ram_total;
	GPtrArray *blocks;
	GPtrArray *devices;
	guint64 setup_end;
	char *setup_end_name;
} VmemImage;

/**
 * VmemImageParseFlags:
 * @VMEM_IMAGE_PARSE_DEFAULT: headers and bitmaps only
 * @VMEM_IMAGE_PARSE_ALLOCATION: also count the bytes allocated on disk per
 *   block (SEEK_DATA / SEEK_HOLE)
 */
typedef enum {
	VMEM_IMAGE_PARSE_DEFAULT = 0,
	VMEM_IMAGE_PARSE_ALLOCATION = 1 << 0,
} VmemImageParseFlags;

void vmem_image_free(VmemImage *image);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmemImage, vmem_image_free)

VmemImage *vmem_image_parse(VmemImageReader *reader, VmemImageParseFlags flags, GError **error);
gboolean vmem_image_verify(VmemImageReader *reader, const VmemImage *image, GError **error);

G_END_DECLS
