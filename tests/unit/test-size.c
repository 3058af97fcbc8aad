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
} ArgCase;

static const ArgCase arg_cases[] = {
	{"2048", OK, G_GUINT64_CONSTANT(2048) * VMEM_SIZE_MIB},
	{"0", OK, 0},
	{"1GiB", OK, VMEM_SIZE_GIB},
	{"1G", OK, VMEM_SIZE_GIB},
	{"1g", OK, VMEM_SIZE_GIB},
	{"512M", OK, 512 * VMEM_SIZE_MIB},
	{"512MiB", OK, 512 * VMEM_SIZE_MIB},
	{"4096KiB", OK, 4096 * VMEM_SIZE_KIB},
	{"1000KB", OK, 1000000},
	{"3b", OK, 3},
	{"2TiB", OK, 2 * 1024 * VMEM_SIZE_GIB},
	{"", BAD, 0},
	{"GiB", BAD, 0},
	{"1 GiB", BAD, 0},
	{"-1G", BAD, 0},
	{"1.5G", BAD, 0},
	{"8EiB", BAD, 0},
	{"99999999999999999999", BAD, 0},
	{"1Q", BAD, 0},
};

static void
test_arg(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(arg_cases); i++) {
		const ArgCase *c = &arg_cases[i];
		g_autoptr(GError) error = NULL;
		guint64 bytes = 4242;
		gboolean ok = vmem_size_parse_arg(c->arg, &bytes, &error);

		g_test_message("arg case %u: '%s'", i, c->arg);
		g_assert_cmpint(ok, ==, c->ok);
		if (ok) {
			g_assert_no_error(error);
			g_assert_cmpuint(bytes, ==, c->bytes);
		} else {
			g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT);
			g_assert_nonnull(strstr(error->message, c->arg));
			g_assert_cmpuint(bytes, ==, 4242);
		}
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

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/size/xml", test_xml);
	g_test_add_func("/size/arg", test_arg);
	g_test_add_func("/size/format", test_format);
	return g_test_run();
}
