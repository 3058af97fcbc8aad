/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The shared size parser and formatter, table-driven: libvirt's units and
 * limits in XML, command line arguments, and human output.
 */
#include "config.h"

#include "vmem-error.h"
#include "vmem-size.h"

#define OK TRUE
#define BAD FALSE

typedef struct {
	const char *value;
	const char *unit;
	gboolean ok;
	guint64 kib;
} XmlCase;

static const XmlCase xml_cases[] = {
	{"1024", NULL, OK, 1024},
	{"1024", "", OK, 1024},
	{"1024", "k", OK, 1024},
	{"1024", "KiB", OK, 1024},
	{"1024", "kib", OK, 1024},
	{"1000", "KB", OK, 977},
	{"2048", "b", OK, 2},
	{"2049", "bytes", OK, 3},
	{"1", "byte", OK, 1},
	{"0", "b", OK, 0},
	{"2", "M", OK, 2048},
	{"2", "MiB", OK, 2048},
	{"2", "mib", OK, 2048},
	{"2", "MB", OK, 1954},
	{"1", "G", OK, 1048576},
	{"1", "GiB", OK, 1048576},
	{"1", "GB", OK, 976563},
	{"1", "T", OK, G_GUINT64_CONSTANT(1073741824)},
	{"1", "TiB", OK, G_GUINT64_CONSTANT(1073741824)},
	{"1", "TB", OK, G_GUINT64_CONSTANT(976562500)},
	{"1", "P", OK, G_GUINT64_CONSTANT(1099511627776)},
	{"1", "PiB", OK, G_GUINT64_CONSTANT(1099511627776)},
	{"1", "PB", OK, G_GUINT64_CONSTANT(976562500000)},
	{"7", "E", OK, G_GUINT64_CONSTANT(7881299347898368)},
	{"7", "EiB", OK, G_GUINT64_CONSTANT(7881299347898368)},
	{"9", "EB", OK, G_GUINT64_CONSTANT(8789062500000000)},
	{"  512", "MiB", OK, 524288},
	{"8", "EiB", BAD, 0},
	{"16", "EiB", BAD, 0},
	{"10", "EB", BAD, 0},
	{"9223372036854775807", "b", BAD, 0},
	{"9223372036854774784", "b", OK, G_GUINT64_CONSTANT(9007199254740991)},
	{"99999999999999999999999", "b", BAD, 0},
	{"-1", "KiB", BAD, 0},
	{"+1", "KiB", BAD, 0},
	{"0x800", "KiB", BAD, 0},
	{"512 ", "KiB", BAD, 0},
	{"1.5", "GiB", BAD, 0},
	{"", "KiB", BAD, 0},
	{"1", "KIBI", BAD, 0},
	{"1", "Ki", BAD, 0},
	{"1", "x", BAD, 0},
	{"1", "bit", BAD, 0},
};

static void
test_xml(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(xml_cases); i++) {
		const XmlCase *c = &xml_cases[i];
		g_autoptr(GError) error = NULL;
		guint64 kib = 4242;
		gboolean ok = vmem_size_parse_xml_kib(c->value, c->unit, &kib, &error);

		g_test_message("xml case %u: '%s' '%s'", i, c->value, c->unit);
		g_assert_cmpint(ok, ==, c->ok);
		if (ok) {
			g_assert_no_error(error);
			g_assert_cmpuint(kib, ==, c->kib);
		} else {
			g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
			/* never written on failure */
			g_assert_cmpuint(kib, ==, 4242);
		}
	}
}

typedef struct {
	const char *arg;
	gboolean ok;
	guint64 bytes;
	const char *message; /* a part of the message when refused */
} ArgCase;

static const ArgCase arg_cases[] = {
	/* a bare number is KiB, as in virsh update-memory-device --requested-size */
	{"2048", OK, 2048 * VMEM_SIZE_KIB, NULL},
	{"1048576", OK, VMEM_SIZE_GIB, NULL},
	{"0", OK, 0, NULL},
	{"1GiB", OK, VMEM_SIZE_GIB, NULL},
	{"1G", OK, VMEM_SIZE_GIB, NULL},
	{"1g", OK, VMEM_SIZE_GIB, NULL},
	{"512M", OK, 512 * VMEM_SIZE_MIB, NULL},
	{"512MiB", OK, 512 * VMEM_SIZE_MIB, NULL},
	{"4096KiB", OK, 4096 * VMEM_SIZE_KIB, NULL},
	{"1000KB", OK, 1000000, NULL},
	{"1GB", OK, 1000000000, NULL},
	{"3b", OK, 3, NULL},
	{"2TiB", OK, 2 * 1024 * VMEM_SIZE_GIB, NULL},
	{"", BAD, 0, "is not a size"},
	{"GiB", BAD, 0, "is not a size"},
	{"+1G", BAD, 0, "is not a size"},
	{"0x800", BAD, 0, "is not a size"},
	{"1 GiB", BAD, 0, "Write the size “1 GiB” without spaces: 1GiB."},
	{"1 G", BAD, 0, "without spaces: 1G."},
	{" 512", BAD, 0, "without spaces: 512."},
	{"12 parsecs", BAD, 0, "“12 parsecs” is not a size"},
	{"-1", BAD, 0, "The size “-1” is negative"},
	{"-1G", BAD, 0, "The size “-1G” is negative"},
	{"1.5G", BAD, 0, "Decimals are not supported: write 1536M instead of “1.5G”."},
	{"1,5G", BAD, 0, "write 1536M instead of"},
	{"0.5GiB", BAD, 0, "write 512M instead of"},
	{"1.5GB", BAD, 0, "write 1500MB instead of"},
	{"1.5", BAD, 0, "write 1536b instead of"},
	{".25T", BAD, 0, "write 256G instead of"},
	{"1.3G", BAD, 0, "write “1.3G” as a whole number of a smaller unit"},
	{"1.G", BAD, 0, "is not a size"},
	{"1.5.3G", BAD, 0, "is not a size"},
	{"8EiB", BAD, 0, "too large"},
	{"99999999999999999999", BAD, 0, "too large"},
	{"1Q", BAD, 0, "unknown unit “Q”"},
	{"12parsecs", BAD, 0, "unknown unit “parsecs”"},
};

static void
test_arg(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(arg_cases); i++) {
		const ArgCase *c = &arg_cases[i];
		g_autoptr(GError) error = NULL;
		guint64 bytes = 4242;
		gboolean ok = vmem_size_parse_arg(c->arg, &bytes, &error);

		g_test_message("arg case %u: '%s' -> %s", i, c->arg, error ? error->message : "ok");
		g_assert_cmpint(ok, ==, c->ok);
		if (ok) {
			g_assert_no_error(error);
			g_assert_cmpuint(bytes, ==, c->bytes);
		} else {
			g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT);
			g_assert_nonnull(strstr(error->message, c->arg));
			g_assert_nonnull(strstr(error->message, c->message));
			g_assert_cmpuint(bytes, ==, 4242);
		}
	}
}

/* A size from a file (virtmemd.conf, a scenario) may be long and hold line
 * breaks: the message quotes it short, on one line.  (A vertical tab made
 * the parser call itself until the stack overflowed.) */
static void
test_arg_quoted(void)
{
	g_autofree char *long_arg = g_strnfill(100000, '7');
	const char *const args[] = {"1, 2, 3]\n8GiB", "-1\n2G", "1\x1b[2JG", "1.5\tG",
				    long_arg,	      "1 G\n",	"\v128MiB",  "1\v\f\r\t G"};

	for (guint i = 0; i < G_N_ELEMENTS(args); i++) {
		g_autoptr(GError) error = NULL;
		guint64 bytes = 0;

		g_assert_false(vmem_size_parse_arg(args[i], &bytes, &error));
		g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT);
		g_test_message("%s", error->message);
		g_assert_null(strchr(error->message, '\n'));
		g_assert_null(strchr(error->message, '\x1b'));
		g_assert_cmpuint(strlen(error->message), <, 512);
	}
}

/* What vmem_size_format_arg() writes, vmem_size_parse_arg() reads back. */
static void
test_format_arg(void)
{
	static const struct {
		guint64 bytes;
		const char *text;
	} cases[] = {
		{0, "0"},
		{512, "512b"},
		{2 * VMEM_SIZE_KIB, "2K"},
		{2 * VMEM_SIZE_MIB, "2M"},
		{1536 * VMEM_SIZE_MIB, "1536M"},
		{4 * VMEM_SIZE_GIB, "4G"},
		{VMEM_SIZE_GIB + 1, "1073741825b"},
		{G_GUINT64_CONSTANT(7) << 60, "7E"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = vmem_size_format_arg(cases[i].bytes);
		g_autoptr(GError) error = NULL;
		guint64 bytes = 0;

		g_assert_cmpstr(text, ==, cases[i].text);
		g_assert_true(vmem_size_parse_arg(text, &bytes, &error));
		g_assert_no_error(error);
		g_assert_cmpuint(bytes, ==, cases[i].bytes);
	}
}

typedef struct {
	guint64 bytes;
	const char *text;
} FormatCase;

static const FormatCase format_cases[] = {
	{0, "0 B"},
	{1, "1 B"},
	{1023, "1023 B"},
	{1024, "1 KiB"},
	{1536, "1.5 KiB"},
	{512 * VMEM_SIZE_MIB, "512 MiB"},
	{VMEM_SIZE_GIB, "1 GiB"},
	{VMEM_SIZE_GIB + VMEM_SIZE_GIB / 2, "1.5 GiB"},
	{VMEM_SIZE_GIB + VMEM_SIZE_GIB / 4, "1.25 GiB"},
	{3 * VMEM_SIZE_GIB + 100 * VMEM_SIZE_MIB, "3172 MiB"},
	{1025 * VMEM_SIZE_MIB, "1025 MiB"},
	{VMEM_SIZE_GIB + 1, "1073741825 B"},
	{1024 * VMEM_SIZE_GIB, "1 TiB"},
	{G_MAXUINT64, "18446744073709551615 B"},
	{G_GUINT64_CONSTANT(15) << 60, "15 EiB"},
};

static void
test_format(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(format_cases); i++) {
		g_autofree char *text = vmem_size_format(format_cases[i].bytes);

		g_assert_cmpstr(text, ==, format_cases[i].text);
	}
	for (guint i = 0; i < G_N_ELEMENTS(format_cases); i++) {
		g_autofree char *text = NULL;

		if (format_cases[i].bytes % 1024 != 0)
			continue;
		text = vmem_size_format_kib(format_cases[i].bytes / 1024);
		g_assert_cmpstr(text, ==, format_cases[i].text);
	}
}

/* Approximate sizes (a guest's meminfo) in the same spelling as exact ones */
static void
test_format_rounded(void)
{
	static const FormatCase cases[] = {
		{0, "0 B"},
		{1023, "1023 B"},
		{1024, "1 KiB"},
		{1536, "1.5 KiB"},
		{512 * VMEM_SIZE_MIB, "512 MiB"},
		{VMEM_SIZE_GIB + VMEM_SIZE_GIB / 4, "1.25 GiB"},
		{4 * VMEM_SIZE_GIB, "4 GiB"},
		{1531904 * VMEM_SIZE_KIB, "1.46 GiB"},
		{61532 * VMEM_SIZE_KIB, "60.09 MiB"},
		{524284 * VMEM_SIZE_KIB, "512 MiB"},
		{1025 * VMEM_SIZE_MIB, "1 GiB"},
		{VMEM_SIZE_GIB - 1, "1 GiB"},
		{G_MAXUINT64, "16 EiB"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = vmem_size_format_rounded(cases[i].bytes);

		g_assert_cmpstr(text, ==, cases[i].text);
	}
	/* what the exact formatter writes with two decimals at most, unchanged */
	for (guint i = 0; i < G_N_ELEMENTS(format_cases); i++) {
		g_autofree char *exact = vmem_size_format(format_cases[i].bytes);
		g_autofree char *rounded = vmem_size_format_rounded(format_cases[i].bytes);

		/* "3172 MiB" and "1073741825 B" are exact in a smaller unit */
		if (g_ascii_strtoull(exact, NULL, 10) < 1024)
			g_assert_cmpstr(rounded, ==, exact);
	}
}

/* Rounding up to whole blocks never wraps around near 2^64, and never
 * passes the bound; sums saturate. */
static void
test_align_up(void)
{
	static const struct {
		guint64 value, align, max;
		gboolean fits;
		guint64 up;
	} cases[] = {
		{0, 2048, G_MAXUINT64, TRUE, 0},
		{1, 2048, G_MAXUINT64, TRUE, 2048},
		{2048, 2048, G_MAXUINT64, TRUE, 2048},
		{2049, 2048, 4096, TRUE, 4096},
		{2049, 2048, 4095, FALSE, 0},
		{4096, 2048, 4095, FALSE, 0},
		/* the largest size of domain XML, in KiB, and one block below it */
		{VMEM_SIZE_MAX_KIB, 2048, VMEM_SIZE_MAX_KIB, FALSE, 0},
		{VMEM_SIZE_MAX_KIB - 2047, 2048, VMEM_SIZE_MAX_KIB, TRUE,
		 VMEM_SIZE_MAX_KIB + 1 - 2048},
		/* near 2^64: the next multiple would wrap around to 0 */
		{G_MAXUINT64, 2048, G_MAXUINT64, FALSE, 0},
		{G_MAXUINT64 - 1, 2048, G_MAXUINT64, FALSE, 0},
		{G_MAXUINT64 - 2046, 2048, G_MAXUINT64, FALSE, 0},
		{G_MAXUINT64 - 2047, 2048, G_MAXUINT64, TRUE, G_MAXUINT64 - 2047},
		{G_MAXUINT64 - 2048, 2048, G_MAXUINT64, TRUE, G_MAXUINT64 - 2047},
		{G_MAXUINT64 - 2048, 2048, G_MAXUINT64 - 2048, FALSE, 0},
		{G_MAXUINT64, G_MAXUINT64, G_MAXUINT64, TRUE, G_MAXUINT64},
		{1, G_MAXUINT64, G_MAXUINT64, TRUE, G_MAXUINT64},
		{G_MAXUINT64, 1, G_MAXUINT64, TRUE, G_MAXUINT64},
		{G_MAXUINT64 - 1, G_MAXUINT64 / 2 + 1, G_MAXUINT64, FALSE, 0},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		guint64 up = 7;

		g_assert_cmpint(
			vmem_size_align_up(cases[i].value, cases[i].align, cases[i].max, &up), ==,
			cases[i].fits);
		/* not written when it does not fit */
		g_assert_cmpuint(up, ==, cases[i].fits ? cases[i].up : 7);
	}
	g_assert_cmpuint(vmem_size_add(1, 2), ==, 3);
	g_assert_cmpuint(vmem_size_add(G_MAXUINT64 - 1, 1), ==, G_MAXUINT64);
	g_assert_cmpuint(vmem_size_add(G_MAXUINT64 - 1, 2), ==, G_MAXUINT64);
	g_assert_cmpuint(vmem_size_add(G_MAXUINT64, G_MAXUINT64), ==, G_MAXUINT64);
	g_assert_cmpuint(VMEM_SIZE_MAX_KIB * VMEM_SIZE_KIB, ==,
			 G_GUINT64_CONSTANT(9223372036854774784));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/size/xml", test_xml);
	g_test_add_func("/size/arg", test_arg);
	g_test_add_func("/size/arg-quoted", test_arg_quoted);
	g_test_add_func("/size/format", test_format);
	g_test_add_func("/size/format-arg", test_format_arg);
	g_test_add_func("/size/format-rounded", test_format_rounded);
	g_test_add_func("/size/align-up", test_align_up);
	return g_test_run();
}
