/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-size.h"

#include <glib/gi18n.h>

#include "vmem-error.h"
#include "vmem-excerpt.h"

/* Sizes times scales overflow 64 bits: they are computed in 128. */
#ifndef __SIZEOF_INT128__
#error "virtmem needs a compiler with 128-bit integers"
#endif
typedef unsigned __int128 VmemSizeU128;

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
			    /* TRANSLATORS: 1 and 2 are a number and its unit, e.g. "16 EiB";
			       3 the largest number of bytes */
			    _("The size %1$s %2$s is too large: at most %3$s bytes are allowed."),
			    value, unit != NULL ? unit : "", "9223372036854775807");
		return FALSE;
	}
	*ret_bytes = number * scale;
	return TRUE;
}

/**
 * vmem_size_align_up:
 * @value: a size
 * @align: what the result is a multiple of, above 0
 * @max: the largest result allowed
 * @ret_value: (out): @value rounded up to a multiple of @align; not
 *   written when it does not fit
 *
 * Rounds up without wrapping around: near G_MAXUINT64 the next multiple
 * may not exist, and a suggestion of a size is no use above what can be
 * written.
 *
 * Returns: whether the rounded value is at most @max
 */
gboolean
vmem_size_align_up(guint64 value, guint64 align, guint64 max, guint64 *ret_value)
{
	guint64 rem, up;

	g_return_val_if_fail(align > 0, FALSE);
	rem = value % align;
	if (rem == 0) {
		up = value;
	} else {
		if (value - rem > G_MAXUINT64 - align)
			return FALSE;
		up = value - rem + align;
	}
	if (up > max)
		return FALSE;
	*ret_value = up;
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
	if (kib > VMEM_SIZE_MAX_KIB) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    _("The size %1$s %2$s is too large: at most %3$s bytes are allowed."),
			    value, unit != NULL ? unit : "", "9223372036854774784");
		return FALSE;
	}
	*ret_kib = kib;
	return TRUE;
}

/* The units a command line size may be written in, from the largest: the
 * letters as suffixes (`M`), as libvirt and virsh read them. */
static const char vmem_size_arg_letters[] = "EPTGMK";

/* Text the user can type for @bytes: a whole number in the largest binary
 * unit that holds it exactly ("1536M", "2G", "512b"). */
static char *
vmem_size_to_arg(guint64 bytes, gboolean decimal)
{
	guint64 base = decimal ? 1000 : 1024;

	if (bytes == 0)
		return g_strdup("0");
	for (guint i = 0; i < strlen(vmem_size_arg_letters); i++) {
		guint power = (guint)strlen(vmem_size_arg_letters) - i;
		guint64 scale = 1;

		for (guint j = 0; j < power; j++)
			scale *= base;
		if (bytes % scale == 0)
			return g_strdup_printf("%" G_GUINT64_FORMAT "%c%s", bytes / scale,
					       vmem_size_arg_letters[i], decimal ? "B" : "");
	}
	return g_strdup_printf("%" G_GUINT64_FORMAT "b", bytes);
}

/**
 * vmem_size_format_arg:
 * @bytes: a size
 *
 * Formats a size as a command line argument that vmem_size_parse_arg()
 * reads back exactly: a whole number in the largest binary unit that holds
 * it (`0`, `512b`, `1536M`, `4G`).  For messages that tell the user what
 * to type.
 *
 * Returns: (transfer full): the text
 */
char *
vmem_size_format_arg(guint64 bytes)
{
	return vmem_size_to_arg(bytes, FALSE);
}

/* What vmem_size_parse_arg() takes for spaces */
#define VMEM_SIZE_SPACES " \t\n\r\v\f"

/* The message of a size argument that is no size at all */
static void
vmem_size_set_arg_error(GError **error, const char *arg)
{
	g_autofree char *shown = vmem_excerpt(arg);

	g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
		    /* TRANSLATORS: %s is what the user wrote where a size belongs; keep the
		       examples as they are */
		    _("“%s” is not a size: write a whole number with an optional unit, such as "
		      "512M or 2G; a number without unit is in KiB."),
		    shown);
}

/* "1.5G": refused, with the same size in a smaller unit when there is one.
 * @digits is the number without the point, @n_decimals how many of its
 * digits follow the point. */
static void
vmem_size_set_decimal_error(GError **error, const char *arg, const char *digits, guint n_decimals,
			    const char *unit)
{
	g_autofree char *suggestion = NULL;
	g_autofree char *shown = vmem_excerpt(arg);
	guint64 scale;

	if (!vmem_size_unit_scale(unit, VMEM_SIZE_KIB, &scale, NULL)) {
		vmem_size_set_arg_error(error, arg);
		return;
	}
	/* below 10^19 times a scale below 2^63: fits 128 bits */
	if (strlen(digits) <= 19 && n_decimals <= 19) {
		VmemSizeU128 number = 0, divisor = 1;

		for (const char *p = digits; *p != '\0'; p++)
			number = number * 10 + (guint)(*p - '0');
		for (guint i = 0; i < n_decimals; i++)
			divisor *= 10;
		number *= scale;
		if (number % divisor == 0 && number / divisor <= VMEM_SIZE_MAX_BYTES) {
			/* decimal units stay decimal: 1.5GB is 1500MB */
			gboolean decimal =
				scale != 1 && strlen(unit) == 2 && g_ascii_tolower(unit[1]) == 'b';

			suggestion = vmem_size_to_arg((guint64)(number / divisor), decimal);
		}
	}
	if (suggestion != NULL)
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			    /* TRANSLATORS: 1 what the user wrote, e.g. "1.5G"; 2 the same size
			       as a whole number, e.g. "1536M" */
			    _("Decimals are not supported: write %2$s instead of “%1$s”."), shown,
			    suggestion);
	else
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			    /* TRANSLATORS: %s is what the user wrote, e.g. "1.3G" */
			    _("Decimals are not supported: write “%s” as a whole number of a "
			      "smaller unit."),
			    shown);
}

/* Whether @unit is letters only (maybe none) */
static gboolean
vmem_size_is_word(const char *unit)
{
	for (const char *p = unit; *p != '\0'; p++) {
		if (!g_ascii_isalpha(*p))
			return FALSE;
	}
	return TRUE;
}

/**
 * vmem_size_parse_arg:
 * @arg: a command line size such as `1GiB`, `512M`, `4096KiB` or `2048`
 * @ret_bytes: (out): the size in bytes
 * @error: return location for a %VMEM_ERROR_INVALID_ARGUMENT error
 *
 * Parses a size given on the command line as `virsh update-memory-device
 * --requested-size` does: a whole number directly followed by an optional
 * unit (see vmem_size_unit_scale()).  A bare number is in KiB.  Decimals,
 * signs and spaces are refused, each with a message that says what to
 * write instead.
 *
 * Returns: %TRUE on success
 */
gboolean
vmem_size_parse_arg(const char *arg, guint64 *ret_bytes, GError **error)
{
	g_autofree char *digits = NULL;
	g_autofree char *shown = NULL;
	const char *unit = arg;
	guint64 number = 0, scale;

	/* What the messages quote of it: it may come from a file (a scenario,
	 * virtmemd.conf), of any length and with control characters. */
	shown = vmem_excerpt(arg);
	if (*arg == '-' && (g_ascii_isdigit(arg[1]) || arg[1] == '.')) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			    /* TRANSLATORS: %s is what the user wrote, e.g. "-1G" */
			    _("The size “%s” is negative: a size is 0 or more."), shown);
		return FALSE;
	}
	if (strpbrk(arg, VMEM_SIZE_SPACES) != NULL) {
		g_autoptr(GString) joined = g_string_new(NULL);
		guint64 ignored;

		/* the same spaces as above: the joined text has none, so the
		 * call below does not come back here (g_ascii_isspace() leaves
		 * out \v, which made it recurse until the stack overflowed) */
		for (const char *p = arg; *p != '\0'; p++) {
			if (strchr(VMEM_SIZE_SPACES, *p) == NULL)
				g_string_append_c(joined, *p);
		}
		if (joined->len > 0 && vmem_size_parse_arg(joined->str, &ignored, NULL)) {
			g_autofree char *joined_shown = vmem_excerpt(joined->str);

			g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
				    /* TRANSLATORS: 1 what the user wrote, e.g. "1 G"; 2 the
				       same without spaces */
				    _("Write the size “%1$s” without spaces: %2$s."), shown,
				    joined_shown);
			return FALSE;
		}
		vmem_size_set_arg_error(error, arg);
		return FALSE;
	}
	while (g_ascii_isdigit(*unit))
		unit++;
	if (unit == arg && *unit != '.') {
		vmem_size_set_arg_error(error, arg);
		return FALSE;
	}
	digits = g_strndup(arg, (gsize)(unit - arg));
	if (*unit == '.' || *unit == ',') {
		const char *decimals = ++unit;
		g_autofree char *all = NULL;

		while (g_ascii_isdigit(*unit))
			unit++;
		if (unit == decimals || !vmem_size_is_word(unit)) {
			vmem_size_set_arg_error(error, arg);
			return FALSE;
		}
		all = g_strdup_printf("%s%.*s", digits, (int)(unit - decimals), decimals);
		vmem_size_set_decimal_error(error, arg, all, (guint)(unit - decimals), unit);
		return FALSE;
	}
	if (!vmem_size_unit_scale(unit, VMEM_SIZE_KIB, &scale, NULL)) {
		g_autofree char *unit_shown = vmem_excerpt(unit);

		if (!vmem_size_is_word(unit)) {
			vmem_size_set_arg_error(error, arg);
			return FALSE;
		}
		g_set_error(
			error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			/* TRANSLATORS: 1 what the user wrote, e.g. "1Q"; 2 its unit; keep
			   the list of units as it is */
			_("The size “%1$s” has an unknown unit “%2$s”: use b, K or KiB, M or "
			  "MiB, G or GiB, T or TiB, P or PiB, E or EiB for powers of 1024, KB, "
			  "MB, GB, TB, PB or EB for powers of 1000; a number without unit is in "
			  "KiB."),
			shown, unit_shown);
		return FALSE;
	}
	if (!vmem_size_parse_scaled(digits, unit, VMEM_SIZE_KIB, VMEM_SIZE_MAX_BYTES, &number,
				    NULL)) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			    /* TRANSLATORS: %s is what the user wrote; the rest is 8 EiB - 1 */
			    _("The size “%s” is too large: at most 9223372036854775807 bytes "
			      "are allowed."),
			    shown);
		return FALSE;
	}
	*ret_bytes = number;
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
 * vmem_size_format_rounded:
 * @bytes: a size that need not be exact, such as a guest's MemAvailable
 *
 * Formats a size for humans like vmem_size_format(), in the same spelling,
 * but rounded to at most two decimals in the largest binary unit it
 * reaches (`1.46 GiB`, `60.09 MiB`); sizes that vmem_size_format() writes
 * with at most two decimals come out the same.
 *
 * Returns: (transfer full): the text
 */
char *
vmem_size_format_rounded(guint64 bytes)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	guint i = 0;
	VmemSizeU128 hundredths = (VmemSizeU128)bytes * 100;

	/* the unit in which the rounded value is below 1024 */
	while (i + 1 < G_N_ELEMENTS(units)) {
		VmemSizeU128 scale = (VmemSizeU128)1 << (10 * i);

		if ((hundredths + scale / 2) / scale < 1024 * 100)
			break;
		i++;
	}
	if (i > 0) {
		VmemSizeU128 scale = (VmemSizeU128)1 << (10 * i);

		hundredths = (hundredths + scale / 2) / scale;
	}
	if (hundredths % 100 == 0)
		return g_strdup_printf("%" G_GUINT64_FORMAT " %s", (guint64)(hundredths / 100),
				       units[i]);
	if (hundredths % 10 == 0)
		return g_strdup_printf("%" G_GUINT64_FORMAT ".%" G_GUINT64_FORMAT " %s",
				       (guint64)(hundredths / 100),
				       (guint64)(hundredths % 100 / 10), units[i]);
	return g_strdup_printf("%" G_GUINT64_FORMAT ".%02" G_GUINT64_FORMAT " %s",
			       (guint64)(hundredths / 100), (guint64)(hundredths % 100), units[i]);
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
