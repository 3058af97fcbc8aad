/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target of virtmemd's reader of the host's meminfo (/proc/meminfo,
 * or the file virtmemd.conf names): any bytes, as vmem_host_read_meminfo()
 * hands them over (at most VMEM_HOST_MEMINFO_MAX, up to a NUL), go through
 * vmem_host_parse_meminfo() without crashing; MemAvailable is read in
 * whole KiB, and a refusal is a VMEM_ERROR_INVALID_DATA with one short line
 * of valid UTF-8 that leaves the output as it was.
 *
 * Built as `fuzz-host-meminfo FILE|DIR...`, which replays files (every file
 * of a directory) and exits 0 when none crashed; with -Dfuzzing=true also
 * as a libFuzzer binary (main() is libFuzzer's; the plain build's is
 * fuzz-replay.c).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "vmem-error.h"
#include "vmem-host.h"

#define FUZZ_MESSAGE_MAX 256
#define FUZZ_UNSET G_GUINT64_CONSTANT(0xdeadbeef)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *text = g_strndup((const char *)data, MIN(size, VMEM_HOST_MEMINFO_MAX));
	guint64 available = FUZZ_UNSET;

	if (!vmem_host_parse_meminfo(text, &available, &error)) {
		g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
		g_assert_true(g_utf8_validate(error->message, -1, NULL));
		g_assert_cmpuint(strlen(error->message), <=, FUZZ_MESSAGE_MAX);
		g_assert_null(strchr(error->message, '\n'));
		g_assert_cmpuint(available, ==, FUZZ_UNSET);
		return 0;
	}
	g_assert_no_error(error);
	g_assert_nonnull(strstr(text, "MemAvailable:"));
	g_assert_cmpuint(available % 1024, ==, 0);
	return 0;
}
