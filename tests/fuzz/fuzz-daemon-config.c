/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target of virtmemd's configuration (virtmemd.conf, a GKeyFile): any
 * text goes through vmem_daemon_config_load_data() on the defaults without
 * crashing; a refusal is a VMEM_ERROR_INVALID_DATA with one short line of
 * valid UTF-8; what is accepted is within the documented bounds (a finite
 * tick of 0.1 to 3600 s, a resize timeout of 1 to 3600 s, an absolute
 * meminfo path), and a refusal leaves every setting valid too.  GLib's
 * warnings and criticals are fatal.
 *
 * Built as `fuzz-daemon-config FILE|DIR...`, which replays files (every
 * file of a directory) and exits 0 when none crashed; with -Dfuzzing=true
 * also as a libFuzzer binary (main() is libFuzzer's; the plain build's is
 * fuzz-replay.c).
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "vmem-daemon-config.h"
#include "vmem-error.h"

/* Longest refusal: the origin, a key and a sentence, or GLib's reason with
 * a quoted line. */
#define FUZZ_MESSAGE_MAX 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_config(const VmemDaemonConfig *config)
{
	g_assert_true(isfinite(config->tick));
	g_assert_cmpfloat(config->tick, >=, 0.1);
	g_assert_cmpfloat(config->tick, <=, 3600);
	g_assert_cmpuint(config->resize_timeout, >=, 1);
	g_assert_cmpuint(config->resize_timeout, <=, 3600);
	g_assert_nonnull(config->meminfo);
	g_assert_true(g_path_is_absolute(config->meminfo));
	g_assert_true(config->uri == NULL || g_utf8_validate(config->uri, -1, NULL));
	g_assert_true(config->admin_group == NULL ||
		      g_utf8_validate(config->admin_group, -1, NULL));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GError) error = NULL;
	/* as vmem_daemon_config_load() hands the file over: up to a NUL */
	g_autofree char *text = g_strndup((const char *)data, size);
	VmemDaemonConfig config;

	/* GLib's warnings are bugs too ("GError set over the top of a
	 * previous GError") */
	g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL);
	vmem_daemon_config_init(&config);
	if (!vmem_daemon_config_load_data(&config, text, "fuzz.conf", &error)) {
		g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
		g_assert_true(g_utf8_validate(error->message, -1, NULL));
		g_assert_cmpuint(strlen(error->message), <=, FUZZ_MESSAGE_MAX);
		g_assert_null(strchr(error->message, '\n'));
	} else {
		g_assert_no_error(error);
	}
	check_config(&config);
	vmem_daemon_config_clear(&config);
	return 0;
}
