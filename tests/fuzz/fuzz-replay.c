/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The main() of every fuzz target's plain build: replays the files (and
 * every file of the directories) given as arguments through the target's
 * LLVMFuzzerTestOneInput(), and exits 0 if none crashed.  A libFuzzer
 * build links libFuzzer's main instead.
 */
#include "config.h"

#include <glib.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_replay_file(const char *path, guint *n_files)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *data = NULL;
	g_autofree uint8_t *copy = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &data, &len, &error))
		g_error("%s", error->message);
	/* Exactly the file's bytes, without GLib's NUL after them, so that
	 * AddressSanitizer sees a read past the end. */
	copy = g_malloc(MAX(len, 1));
	memcpy(copy, data, len);
	LLVMFuzzerTestOneInput(copy, len);
	(*n_files)++;
}

int
main(int argc, char **argv)
{
	guint n_files = 0;

	for (int i = 1; i < argc; i++) {
		g_autoptr(GDir) dir = NULL;
		const char *name;

		if (!g_file_test(argv[i], G_FILE_TEST_IS_DIR)) {
			fuzz_replay_file(argv[i], &n_files);
			continue;
		}
		dir = g_dir_open(argv[i], 0, NULL);
		g_assert_nonnull(dir);
		while ((name = g_dir_read_name(dir)) != NULL) {
			g_autofree char *path = g_build_filename(argv[i], name, NULL);

			fuzz_replay_file(path, &n_files);
		}
	}
	/* A replay of nothing proves nothing. */
	if (n_files == 0)
		g_error("no input replayed: give files or directories");
	g_print("%s: %u inputs replayed, none crashed\n", argv[0], n_files);
	return 0;
}
