/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one size parser and formatter of virtmem: libvirt's units in domain
 * XML, virsh-like command line arguments, and sizes for humans.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The largest size libvirt accepts in domain XML, in bytes (off_t). */
#define VMEM_SIZE_MAX_BYTES ((guint64)G_MAXINT64)

#define VMEM_SIZE_KIB G_GUINT64_CONSTANT(1024)
#define VMEM_SIZE_MIB (VMEM_SIZE_KIB * 1024)
#define VMEM_SIZE_GIB (VMEM_SIZE_MIB * 1024)
/* ... in KiB, as the model keeps sizes: 9223372036854774784 bytes */
#define VMEM_SIZE_MAX_KIB (VMEM_SIZE_MAX_BYTES / VMEM_SIZE_KIB)

/* Whether @n is a power of two (block sizes must be). */
static inline gboolean
vmem_size_is_power_of_two(guint64 n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

/* @a + @b, or G_MAXUINT64 when that does not fit: a sum of sizes never
 * wraps around to a small one. */
static inline guint64
vmem_size_add(guint64 a, guint64 b)
{
	return a > G_MAXUINT64 - b ? G_MAXUINT64 : a + b;
}

gboolean vmem_size_align_up(guint64 value, guint64 align, guint64 max, guint64 *ret_value);
gboolean vmem_size_unit_scale(const char *unit, guint64 default_scale, guint64 *ret_scale,
			      GError **error);
gboolean vmem_size_parse_scaled(const char *value, const char *unit, guint64 default_scale,
				guint64 max_bytes, guint64 *ret_bytes, GError **error);
gboolean vmem_size_parse_xml_kib(const char *value, const char *unit, guint64 *ret_kib,
				 GError **error);
gboolean vmem_size_parse_arg(const char *arg, guint64 *ret_bytes, GError **error);
char *vmem_size_format_arg(guint64 bytes);
char *vmem_size_format(guint64 bytes);
char *vmem_size_format_rounded(guint64 bytes);
char *vmem_size_format_kib(guint64 kib);

G_END_DECLS
