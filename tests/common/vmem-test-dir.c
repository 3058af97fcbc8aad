/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-test-dir.h"

#include <glib/gstdio.h>

/**
 * vmem_test_remove_dir:
 * @dir: (nullable): a directory of plain files, one level deep
 *
 * Removes the files in @dir, then @dir.
 */
void
vmem_test_remove_dir(const char *dir)
{
	g_autoptr(GDir) handle = NULL;
	const char *name;

	if (dir == NULL)
		return;
	handle = g_dir_open(dir, 0, NULL);
	while (handle != NULL && (name = g_dir_read_name(handle)) != NULL) {
		g_autofree char *path = g_build_filename(dir, name, NULL);

		g_unlink(path);
	}
	g_rmdir(dir);
}
