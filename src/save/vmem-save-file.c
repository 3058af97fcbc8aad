/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-save-file.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmem-error.h"

/**
 * vmem_save_file_temp_template:
 * @file: the name the user gave
 *
 * The template of the temporary name of @file: in the same directory (a
 * rename within one file system is atomic), hidden, and saying whose it
 * is: `DIR/.NAME.virtmem-XXXXXX`.
 *
 * Returns: (transfer full): the template for g_mkstemp(), or %NULL with
 *   @error set when @file names no file (empty, a directory)
 */
char *
vmem_save_file_temp_template(const char *file, GError **error)
{
	g_autofree char *dir = NULL;
	g_autofree char *base = NULL;
	g_autofree char *name = NULL;

	if (file == NULL || *file == '\0' || g_str_has_suffix(file, "/")) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			    /* TRANSLATORS: %s is what the user gave as a file name */
			    _("“%s” does not name a file."), file != NULL ? file : "");
		return NULL;
	}
	dir = g_path_get_dirname(file);
	base = g_path_get_basename(file);
	if (g_str_equal(base, ".") || g_str_equal(base, "..")) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			    /* TRANSLATORS: %s is what the user gave as a file name */
			    _("“%s” does not name a file."), file);
		return NULL;
	}
	name = g_strconcat(".", base, VMEM_SAVE_FILE_TEMP_INFIX "XXXXXX", NULL);
	return g_build_filename(dir, name, NULL);
}

/**
 * vmem_save_file_is_temp_of:
 *
 * Returns: whether @candidate (a path) is a temporary name of @file, as
 *   vmem_save_file_create_temp() makes them
 */
gboolean
vmem_save_file_is_temp_of(const char *file, const char *candidate)
{
	g_autofree char *template = vmem_save_file_temp_template(file, NULL);
	gsize prefix;

	if (template == NULL || strlen(candidate) != strlen(template))
		return FALSE;
	prefix = strlen(template) - strlen("XXXXXX");
	return strncmp(template, candidate, prefix) == 0;
}

/**
 * vmem_save_file_create_temp:
 * @file: the name the file will have
 *
 * Creates an empty file under a fresh temporary name next to @file,
 * readable and writable by its owner only (saved memory is secret), for
 * libvirt to write to.  Refuses when @file exists: a save never replaces
 * a file.
 *
 * Returns: (transfer full): the temporary name
 */
char *
vmem_save_file_create_temp(const char *file, GError **error)
{
	g_autofree char *temp = vmem_save_file_temp_template(file, error);
	int fd;

	if (temp == NULL)
		return NULL;
	if (g_file_test(file, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK)) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			    /* TRANSLATORS: %s is a file name */
			    _("%s already exists; remove it first or choose another name."), file);
		return NULL;
	}
	fd = g_mkstemp_full(temp, O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		int saved = errno;
		g_autofree char *dir = g_path_get_dirname(file);

		g_set_error(error, VMEM_ERROR, VMEM_ERROR_IO,
			    /* TRANSLATORS: 1 a directory, 2 why (from the system) */
			    _("Cannot create a file in %1$s: %2$s."), dir, g_strerror(saved));
		return NULL;
	}
	close(fd);
	return g_steal_pointer(&temp);
}

static gboolean
vmem_save_file_sync(const char *path, int flags, GError **error)
{
	int fd = open(path, flags | O_CLOEXEC);
	int saved;

	if (fd >= 0 && fsync(fd) == 0) {
		close(fd);
		return TRUE;
	}
	saved = errno;
	if (fd >= 0)
		close(fd);
	g_set_error(error, VMEM_ERROR, VMEM_ERROR_IO,
		    /* TRANSLATORS: 1 a file name, 2 why (from the system) */
		    _("Cannot write %1$s to disk: %2$s."), path, g_strerror(saved));
	return FALSE;
}

/**
 * vmem_save_file_commit:
 * @temp: the temporary name libvirt wrote
 * @file: the final name
 *
 * Makes the written file durable and gives it its name: fsync, rename
 * (without replacing a file that appeared meanwhile), fsync of the
 * directory.  On failure @temp is left as it is: it may hold the only
 * copy of a stopped domain's memory.
 */
gboolean
vmem_save_file_commit(const char *temp, const char *file, GError **error)
{
	g_autofree char *dir = g_path_get_dirname(file);

	if (!vmem_save_file_sync(temp, O_RDONLY, error))
		return FALSE;
	/* link + unlink: unlike rename(), link() never replaces @file; a file
	 * system without hard links gets a rename after a last look */
	if (link(temp, file) != 0) {
		int saved = errno;

		if ((saved == EPERM || saved == EOPNOTSUPP || saved == ENOSYS) &&
		    !g_file_test(file, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK) &&
		    g_rename(temp, file) == 0)
			return vmem_save_file_sync(dir, O_RDONLY | O_DIRECTORY, error);

		g_set_error(error, VMEM_ERROR, VMEM_ERROR_IO,
			    /* TRANSLATORS: 1 and 2 file names, 3 why (from the system) */
			    _("Cannot rename %1$s to %2$s: %3$s. The image is complete under "
			      "its temporary name."),
			    temp, file, g_strerror(saved));
		return FALSE;
	}
	g_unlink(temp);
	return vmem_save_file_sync(dir, O_RDONLY | O_DIRECTORY, error);
}

/**
 * vmem_save_file_discard:
 * @temp: (nullable): a temporary name
 *
 * Removes what a failed job left under @temp, if anything.
 */
void
vmem_save_file_discard(const char *temp)
{
	if (temp != NULL && g_unlink(temp) != 0 && errno != ENOENT)
		g_debug("cannot remove %s: %s", temp, g_strerror(errno));
}

/**
 * vmem_save_file_sizes:
 * @ret_apparent: (out): the file's size
 * @ret_allocated: (out): what it takes on disk (a sparse image has holes)
 */
gboolean
vmem_save_file_sizes(const char *file, guint64 *ret_apparent, guint64 *ret_allocated,
		     GError **error)
{
	GStatBuf st;

	if (g_stat(file, &st) != 0) {
		int saved = errno;

		g_set_error(error, VMEM_ERROR, VMEM_ERROR_IO,
			    /* TRANSLATORS: 1 a file name, 2 why (from the system) */
			    _("Cannot read the size of %1$s: %2$s."), file, g_strerror(saved));
		return FALSE;
	}
	*ret_apparent = (guint64)st.st_size;
	*ret_allocated = (guint64)st.st_blocks * 512;
	return TRUE;
}
