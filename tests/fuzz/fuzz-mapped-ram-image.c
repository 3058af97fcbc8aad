/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target of the mapped-ram image reader (src/image): any bytes, read
 * as a file through the memory reader, go through vmem_image_parse() and,
 * for what it accepts, vmem_image_verify(), without crashing; every
 * refusal is a VMEM_ERROR_INVALID_DATA with a short, valid UTF-8 message
 * naming an offset, and every accepted model (RAMBlocks, virtio-mem
 * device states and their match) stays inside the input.
 *
 * Built as `fuzz-mapped-ram-image FILE|DIR...`, which replays files (every
 * file of a directory) and exits 0 when none crashed; with -Dfuzzing=true
 * also as a libFuzzer binary (main() is libFuzzer's; the plain build's is
 * fuzz-replay.c).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "vmem-error.h"
#include "vmem-image.h"

#define FUZZ_MESSAGE_MAX 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_refusal(GError *error)
{
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
	g_assert_true(g_utf8_validate(error->message, -1, NULL));
	g_assert_cmpuint(strlen(error->message), <=, FUZZ_MESSAGE_MAX);
	g_assert_nonnull(strstr(error->message, "offset"));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemImageReader) reader = vmem_image_reader_new_memory(data, size);
	g_autoptr(VmemImage) image = vmem_image_parse(reader, VMEM_IMAGE_PARSE_ALLOCATION, &error);

	if (image == NULL) {
		check_refusal(error);
		return 0;
	}
	g_assert_no_error(error);
	g_assert_cmpuint(image->stream_offset, <, size);
	for (guint i = 0; i < image->blocks->len; i++) {
		const VmemImageBlock *b = image->blocks->pdata[i];

		g_assert_true(g_utf8_validate(b->name, -1, NULL));
		if (b->skipped)
			continue;
		g_assert_cmpuint(b->bitmap_offset + b->bitmap_size, <=, size);
		g_assert_cmpuint(b->pages_offset + b->used_length, <=, size);
		g_assert_cmpuint(b->pages_written, <=, b->used_length / b->page_size);
	}
	for (guint i = 0; i < image->devices->len; i++) {
		const VmemImageVirtioMem *d = image->devices->pdata[i];

		g_assert_true(g_utf8_validate(d->idstr, -1, NULL));
		g_assert_cmpuint(d->section_end, <=, size);
		g_assert_cmpuint(d->bitmap_offset + (d->n_blocks + 63) / 64 * 8, <=, size);
		g_assert_cmpuint(d->plugged_blocks, <=, d->n_blocks);
		g_assert_cmpuint(d->n_blocks * d->block_size, ==, d->region_size);
		if (d->block_index != G_MAXUINT) {
			const VmemImageBlock *b = image->blocks->pdata[d->block_index];

			g_assert_cmpuint(d->block_index, <, image->blocks->len);
			g_assert_true(b->virtio_mem == d);
		}
	}
	g_assert_cmpuint(image->setup_end, <, size);
	if (!vmem_image_verify(reader, image, &error))
		check_refusal(error);
	return 0;
}
