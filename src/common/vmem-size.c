/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-size.h"

#include <glib/gi18n.h>

#include "vmem-error.h"

/* Power of the unit letter: k = 1, m = 2, ... e = 6; 0 when not a unit. */
static guint
vmem_size_unit_power(char letter)
{
	const char *letters = "kmgtpe";
	const char *p = strchr(letters, g_ascii_tolower(letter));

	if (letter == '\0' || p == NULL)
		return 0;
	return (guint)(p - letters) + 1;
}

/**
 * vmem_size_unit_scale:
 * @unit: (nullable): a unit as libvirt spells it (`b`, `bytes`, `KiB`, `k`,
 *   `KB`, `MiB`, ... `EB`), case-insensitive; %NULL or "" for the default
 * @default_scale: the scale of a missing unit
 * @ret_scale: (out): bytes per unit
 * @error: return location for a %VMEM_ERROR_INVALID_DATA error
 *
 * Turns a unit into its scale exactly as libvirt does: a bare letter or a
 * letter with `iB` is a power of 1024, a letter with `B` a power of 1000.
 *
 * Returns: %TRUE on success
 */
gboolean
vmem_size_unit_scale(const char *unit, guint64 default_scale, guint64 *ret_scale, GError **error)
{
	guint64 base = 0, scale = 1;
	guint power;

	if (unit == NULL || *unit == '\0') {
		*ret_scale = default_scale;
		return TRUE;
	}
	if (g_ascii_strcasecmp(unit, "b") == 0 || g_ascii_strcasecmp(unit, "byte") == 0 ||
	    g_ascii_strcasecmp(unit, "bytes") == 0) {
		*ret_scale = 1;
		return TRUE;
	}
	power = vmem_size_unit_power(unit[0]);
	if (power != 0) {
		if (unit[1] == '\0' || g_ascii_strcasecmp(unit + 1, "iB") == 0)
			base = 1024;
		else if (g_ascii_tolower(unit[1]) == 'b' && unit[2] == '\0')
			base = 1000;
	}
	if (base == 0) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %s is a unit such as "KiB" as written by the user */
			    _("Unknown size unit “%s”; use b, KiB, MiB, GiB, TiB, PiB, EiB or KB, "
			      "MB, GB, TB, PB, EB."),
			    unit);
		return FALSE;
	}
	for (guint i = 0; i < power; i++)
		scale *= base;
	*ret_scale = scale;
	return TRUE;
}

/* A decimal number without sign, with optional leading white space, like
 * libvirt's virStrToLong_ullp() */
static gboolean
vmem_size_parse_number(const char *value, guint64 *ret_number, GError **error)
{
	const char *p = value;
	guint64 number = 0;

	while (g_ascii_isspace(*p))
		p++;
	if (!g_ascii_isdigit(*p)) {
		g_set_error(
			error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			/* TRANSLATORS: %s is the text the user wrote where a size belongs */
			_("“%s” is not a size: write a whole number without sign, such as 1024."),
			value);
		return FALSE;
	}
	for (; g_ascii_isdigit(*p); p++) {
		guint digit = (guint)(*p - '0');

		if (number > (G_MAXUINT64 - digit) / 10) {
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: %s is a number that is too large */
				    _("The size %s is too large."), value);
			return FALSE;
		}
		number = number * 10 + digit;
	}
	if (*p != '\0') {
		g_set_error(
			error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			_("“%s” is not a size: write a whole number without sign, such as 1024."),
			value);
		return FALSE;
	}
	*ret_number = number;
	return TRUE;
}

/**
 * vmem_size_parse_scaled:
 * @value: the number, decimal, no sign
 * @unit: (nullable): its unit, see vmem_size_unit_scale()
 * @default_scale: the scale when @unit is missing
 * @max_bytes: the largest allowed result
 * @ret_bytes: (out): the size in bytes
 * @error: return location for a %VMEM_ERROR_INVALID_DATA error
 *
 * Parses a scaled size like libvirt's virParseScaledValue(), detecting
 * overflow of the multiplication and results above @max_bytes.
 *
 * Returns: %TRUE on success
 */
gboolean
vmem_size_parse_scaled(const char *value, const char *unit, guint64 default_scale,
		       guint64 max_bytes, guint64 *ret_bytes, GError **error)
{
	guint64 number, scale;

	if (!vmem_size_parse_number(value, &number, error))
		return FALSE;
	if (!vmem_size_unit_scale(unit, default_scale, &scale, error))
		return FALSE;
	if (number != 0 && number > max_bytes / scale) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %s %s are a number and its unit, e.g. "16 EiB" */
			    _("The size %s %s is too large: at most %s bytes are allowed."), value,
			    unit != NULL ? unit : "", "9223372036854775807");
		return FALSE;
	}
	*ret_bytes = number * scale;
	return TRUE;
}

/**
 * vmem_size_parse_xml_kib:
 * @value: the text of the element or attribute
 * @unit: (nullable): the `unit` attribute; KiB when missing
 * @ret_kib: (out): the size in KiB, rounded up like libvirt does
 * @error: return location for a %VMEM_ERROR_INVALID_DATA error
 *
 * Parses a memory size of domain XML exactly as libvirt's
 * virDomainParseMemory() on 64-bit hosts.
 *
 * Returns: %TRUE on success
 */
gboolean
vmem_size_parse_xml_kib(const char *value, const char *unit, guint64 *ret_kib, GError **error)
{
	guint64 bytes, kib;

	if (!vmem_size_parse_scaled(value, unit, VMEM_SIZE_KIB, VMEM_SIZE_MAX_BYTES, &bytes, error))
		return FALSE;
	kib = bytes / VMEM_SIZE_KIB + (bytes % VMEM_SIZE_KIB != 0);
	/* libvirt keeps KiB below the limit rounded up, too */
	if (kib >= VMEM_SIZE_MAX_BYTES / VMEM_SIZE_KIB + 1) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    _("The size %s %s is too large: at most %s bytes are allowed."), value,
			    unit != NULL ? unit : "", "9223372036854774784");
		return FALSE;
	}
	*ret_kib = kib;
	return TRUE;
}

/**
 * vmem_size_parse_arg:
 * @arg: a command line size such as `1GiB`, `512M`, `4096KiB` or `2048`
 * @ret_bytes: (out): the size in bytes
 * @error: return location for a %VMEM_ERROR_INVALID_ARGUMENT error
 *
 * Parses a size given on the command line: a number directly followed by
 * an optional unit.  A bare number is in MiB.
 *
 * Returns: %TRUE on success
 */
gboolean
vmem_size_parse_arg(const char *arg, guint64 *ret_bytes, GError **error)
{
	g_autoptr(GError) local_error = NULL;
	g_autofree char *number = NULL;
	const char *unit = arg;
	guint64 bytes;

	while (g_ascii_isdigit(*unit))
		unit++;
	number = g_strndup(arg, (gsize)(unit - arg));
	if (!vmem_size_parse_scaled(number, unit, VMEM_SIZE_MIB, VMEM_SIZE_MAX_BYTES, &bytes,
				    &local_error)) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			    /* TRANSLATORS: %s is the argument, the second %s the reason */
			    _("Invalid size “%s”: %s"), arg, local_error->message);
		return FALSE;
	}
	*ret_bytes = bytes;
	return TRUE;
}

/**
 * vmem_size_format:
 * @bytes: a size
 *
 * Formats a size for humans, exactly: in the largest binary unit where it
 * needs at most two decimals (`0 B`, `512 MiB`, `1.5 GiB`, `1.25 GiB`),
 * else in a smaller unit (`1025 MiB`).
 *
 * Returns: (transfer full): the text
 */
char *
vmem_size_format(guint64 bytes)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	guint i = G_N_ELEMENTS(units) - 1;

	for (; i > 0; i--) {
		guint64 scale = G_GUINT64_CONSTANT(1) << (10 * i);
		guint64 whole = bytes / scale, rest = bytes % scale;

		if (whole == 0)
			continue;
		if (rest == 0)
			return g_strdup_printf("%" G_GUINT64_FORMAT " %s", whole, units[i]);
		/* rest < 2^60, so rest * 100 fits */
		if (rest * 10 % scale == 0)
			return g_strdup_printf("%" G_GUINT64_FORMAT ".%" G_GUINT64_FORMAT " %s",
					       whole, rest * 10 / scale, units[i]);
		if (rest * 100 % scale == 0)
			return g_strdup_printf("%" G_GUINT64_FORMAT ".%02" G_GUINT64_FORMAT " %s",
					       whole, rest * 100 / scale, units[i]);
	}
	return g_strdup_printf("%" G_GUINT64_FORMAT " B", bytes);
}

/**
 * vmem_size_format_kib:
 * @kib: a size in KiB, as domain XML counts
 *
 * Like vmem_size_format() for a size in KiB.
 *
 * Returns: (transfer full): the text
 */
char *
vmem_size_format_kib(guint64 kib)
{
	if (kib > G_MAXUINT64 / VMEM_SIZE_KIB)
		return g_strdup_printf("%" G_GUINT64_FORMAT " KiB", kib);
	return vmem_size_format(kib * VMEM_SIZE_KIB);
}
