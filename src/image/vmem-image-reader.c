/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Where the image parser reads: a file descriptor read with pread() at
 * checked offsets, or bytes in memory (the fuzz target).  Every read is
 * bounds-checked against the size with overflow-safe arithmetic and every
 * refusal names the structure and the file offset.
 */
/* SEEK_DATA, SEEK_HOLE */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "vmem-error.h"
#include "vmem-image-reader.h"

struct _VmemImageReader {
	int fd; /* -1 for memory */
	const guint8 *data;
	guint64 size;
	guint64 bytes_read;
	guint64 watch_start;
	guint64 watch_end;
	guint64 watched_bytes;
};

/**
 * vmem_image_reader_new_fd:
 * @fd: a regular file open for reading, still owned by the caller
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a reader of @fd, or %NULL when it is not a
 *   regular file
 */
VmemImageReader *
vmem_image_reader_new_fd(int fd, GError **error)
{
	VmemImageReader *reader;
	struct stat st;

	if (fstat(fd, &st) < 0) {
		int saved = errno;

		g_set_error(error, VMEM_ERROR, VMEM_ERROR_IO,
			    /* TRANSLATORS: %s is the system's error message */
			    _("Could not read the image's size: %s."), g_strerror(saved));
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_IO,
			    /* TRANSLATORS: an image must be a regular file */
			    _("The image is not a regular file."));
		return NULL;
	}
	reader = g_new0(VmemImageReader, 1);
	reader->fd = fd;
	reader->size = (guint64)st.st_size;
	return reader;
}

/**
 * vmem_image_reader_new_memory:
 * @data: (array length=size): the image's bytes, kept alive by the caller
 * @size: how many
 *
 * Returns: (transfer full): a reader of @data
 */
VmemImageReader *
vmem_image_reader_new_memory(const guint8 *data, gsize size)
{
	VmemImageReader *reader = g_new0(VmemImageReader, 1);

	reader->fd = -1;
	reader->data = data;
	reader->size = size;
	return reader;
}

void
vmem_image_reader_free(VmemImageReader *reader)
{
	g_free(reader);
}

guint64
vmem_image_reader_get_size(const VmemImageReader *reader)
{
	return reader->size;
}

/**
 * vmem_image_reader_get_bytes_read:
 * @reader: a reader
 *
 * Returns: how many bytes @reader read so far (what a parse costs: headers
 *   and bitmaps, never pages)
 */
guint64
vmem_image_reader_get_bytes_read(const VmemImageReader *reader)
{
	return reader->bytes_read;
}

/**
 * vmem_image_reader_watch:
 * @reader: a reader
 * @offset: where the watched range starts
 * @length: how long it is
 *
 * Counts from now on the bytes read inside [@offset, @offset + @length),
 * e.g. a page area that a parse must never read.
 */
void
vmem_image_reader_watch(VmemImageReader *reader, guint64 offset, guint64 length)
{
	reader->watch_start = offset;
	reader->watch_end = length > G_MAXUINT64 - offset ? G_MAXUINT64 : offset + length;
	reader->watched_bytes = 0;
}

/**
 * vmem_image_reader_get_watched_bytes:
 * @reader: a reader
 *
 * Returns: the bytes read inside the range given to
 *   vmem_image_reader_watch() since that call
 */
guint64
vmem_image_reader_get_watched_bytes(const VmemImageReader *reader)
{
	return reader->watched_bytes;
}

/**
 * vmem_image_reader_check_range:
 * @reader: a reader
 * @offset: where @what starts in the file
 * @length: how long it is
 * @what: the structure, for the error message
 * @error: return location for a #GError
 *
 * Returns: %TRUE when [@offset, @offset + @length) lies inside the file
 */
gboolean
vmem_image_reader_check_range(const VmemImageReader *reader, guint64 offset, guint64 length,
			      const char *what, GError **error)
{
	if (offset > reader->size || length > reader->size - offset) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: the first %s is a structure of the image
			     * ("MappedRamHeader"), then its offset, its length and
			     * the file's size in bytes */
			    _("The %s at offset %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT
			      " bytes) ends beyond the end of the file (%" G_GUINT64_FORMAT
			      " bytes)."),
			    what, offset, length, reader->size);
		return FALSE;
	}
	return TRUE;
}

/**
 * vmem_image_reader_read:
 * @reader: a reader
 * @offset: where to read
 * @buf: (out caller-allocates) (array length=length): where the bytes go
 * @length: how many
 * @what: the structure read, for the error message
 * @error: return location for a #GError
 *
 * Reads exactly @length bytes at @offset: a short file is INVALID_DATA,
 * a failing read IO.
 */
gboolean
vmem_image_reader_read(VmemImageReader *reader, guint64 offset, void *buf, gsize length,
		       const char *what, GError **error)
{
	gsize done = 0;

	if (!vmem_image_reader_check_range(reader, offset, length, what, error))
		return FALSE;
	reader->bytes_read += length;
	if (offset < reader->watch_end && offset + length > reader->watch_start)
		reader->watched_bytes +=
			MIN(offset + length, reader->watch_end) - MAX(offset, reader->watch_start);
	if (reader->fd < 0) {
		memcpy(buf, reader->data + offset, length);
		return TRUE;
	}
	while (done < length) {
		ssize_t n = pread(reader->fd, (guint8 *)buf + done, length - done,
				  (off_t)(offset + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int saved = errno;

			g_set_error(
				error, VMEM_ERROR, n < 0 ? VMEM_ERROR_IO : VMEM_ERROR_INVALID_DATA,
				/* TRANSLATORS: the first %s is a structure of the
				 * image, then its offset, then the system's error */
				_("Could not read the %s at offset %" G_GUINT64_FORMAT ": %s."),
				what, offset + done, n < 0 ? g_strerror(saved) : _("end of file"));
			return FALSE;
		}
		done += (gsize)n;
	}
	return TRUE;
}

/**
 * vmem_image_reader_next_data:
 * @reader: a reader
 * @from: where to look from
 * @end: where to stop looking
 * @ret_start: (out): where the next allocated range starts
 * @ret_end: (out): where it ends (at most @end)
 * @ret_known: (out): %FALSE when the file system cannot tell (then
 *   everything counts as data)
 *
 * The next range of allocated bytes in [@from, @end) (SEEK_DATA and
 * SEEK_HOLE); memory is all data.
 *
 * Returns: %FALSE when there is none
 */
gboolean
vmem_image_reader_next_data(VmemImageReader *reader, guint64 from, guint64 end, guint64 *ret_start,
			    guint64 *ret_end, gboolean *ret_known)
{
	off_t data, hole;

	*ret_known = TRUE;
	if (from >= end)
		return FALSE;
	if (reader->fd < 0) {
		*ret_known = FALSE;
		*ret_start = from;
		*ret_end = end;
		return TRUE;
	}
	data = lseek(reader->fd, (off_t)from, SEEK_DATA);
	if (data < 0) {
		if (errno == ENXIO)
			return FALSE;
		*ret_known = FALSE;
		*ret_start = from;
		*ret_end = end;
		return TRUE;
	}
	if ((guint64)data >= end)
		return FALSE;
	hole = lseek(reader->fd, data, SEEK_HOLE);
	if (hole < 0 || (guint64)hole > end)
		hole = (off_t)end;
	*ret_start = (guint64)data;
	*ret_end = (guint64)hole;
	return TRUE;
}
