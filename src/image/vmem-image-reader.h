/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _VmemImageReader VmemImageReader;

VmemImageReader *vmem_image_reader_new_fd(int fd, GError **error);
VmemImageReader *vmem_image_reader_new_memory(const guint8 *data, gsize size);
void vmem_image_reader_free(VmemImageReader *reader);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmemImageReader, vmem_image_reader_free)

guint64 vmem_image_reader_get_size(const VmemImageReader *reader);
guint64 vmem_image_reader_get_bytes_read(const VmemImageReader *reader);
void vmem_image_reader_watch(VmemImageReader *reader, guint64 offset, guint64 length);
guint64 vmem_image_reader_get_watched_bytes(const VmemImageReader *reader);
gboolean vmem_image_reader_check_range(const VmemImageReader *reader, guint64 offset,
				       guint64 length, const char *what, GError **error);
gboolean vmem_image_reader_read(VmemImageReader *reader, guint64 offset, void *buf, gsize length,
				const char *what, GError **error);
gboolean vmem_image_reader_next_data(VmemImageReader *reader, guint64 from, guint64 end,
				     guint64 *ret_start, guint64 *ret_end, gboolean *ret_known);

G_END_DECLS
