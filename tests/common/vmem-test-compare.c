/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "vmem-test-compare.h"

/**
 * vmem_test_regenerate:
 *
 * Returns: whether VIRTMEM_TEST_REGENERATE=1 asks to rewrite the expected
 *   files instead of comparing with them
 */
gboolean
vmem_test_regenerate(void)
{
	return g_strcmp0(g_getenv(VMEM_TEST_REGENERATE_ENV), "1") == 0;
}

/* The lines of @text that are comments (@comments) or not, each with its
 * newline */
static char *
vmem_test_filter_lines(const char *text, gboolean comments)
{
	g_autoptr(GString) out = g_string_new(NULL);

	for (const char *line = text; *line != '\0';) {
		const char *newline = strchr(line, '\n');
		const char *next = newline != NULL ? newline + 1 : line + strlen(line);

		if ((line[0] == '#') == comments)
			g_string_append_len(out, line, next - line);
		line = next;
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static void
vmem_test_rewrite(const char *path, const char *actual, gboolean exists, VmemTestCompareFlags flags)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_path_get_dirname(path);
	g_autofree char *comments = NULL;
	g_autofree char *text = NULL;

	if (actual == NULL) {
		if (exists)
			g_assert_cmpint(g_unlink(path), ==, 0);
		return;
	}
	if (exists && (flags & VMEM_TEST_COMPARE_COMMENTS)) {
		g_autofree char *old = NULL;

		g_assert_true(g_file_get_contents(path, &old, NULL, &error));
		g_assert_no_error(error);
		comments = vmem_test_filter_lines(old, TRUE);
	}
	text = g_strconcat(comments != NULL ? comments : "", actual, NULL);
	g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
	g_assert_true(g_file_set_contents(path, text, -1, &error));
	g_assert_no_error(error);
}

/**
 * vmem_test_compare_file:
 * @path: the expected file
 * @actual: (nullable): what the test produced; %NULL when @path must not
 *   exist
 * @flags: #VmemTestCompareFlags
 *
 * Asserts that @path holds @actual, or with VIRTMEM_TEST_REGENERATE=1
 * writes @actual to @path (and removes @path when @actual is %NULL).
 */
void
vmem_test_compare_file(const char *path, const char *actual, VmemTestCompareFlags flags)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *expected = NULL;
	gboolean exists = g_file_test(path, G_FILE_TEST_EXISTS);

	if (vmem_test_regenerate()) {
		vmem_test_rewrite(path, actual, exists, flags);
		return;
	}
	if (actual == NULL) {
		if (exists)
			g_error("%s exists, but nothing is expected there; set %s=1 to remove it",
				path, VMEM_TEST_REGENERATE_ENV);
		return;
	}
	if (!g_file_get_contents(path, &expected, NULL, &error))
		g_error("%s: %s; set %s=1 to create it", path, error->message,
			VMEM_TEST_REGENERATE_ENV);
	if (flags & VMEM_TEST_COMPARE_COMMENTS) {
		char *body = vmem_test_filter_lines(expected, FALSE);

		g_free(expected);
		expected = body;
	}
	if (g_strcmp0(actual, expected) != 0)
		g_test_message("%s differs; set %s=1 to rewrite it", path,
			       VMEM_TEST_REGENERATE_ENV);
	g_assert_cmpstr(actual, ==, expected);
}

static gint
vmem_test_compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/**
 * vmem_test_list_fixtures:
 * @dir: a fixture folder
 * @suffix: the ending of the files to list, such as `.xml`
 *
 * Returns: (transfer full): the names in @dir that end in @suffix, without
 *   it, sorted; the test fails when @dir cannot be read
 */
GStrv
vmem_test_list_fixtures(const char *dir, const char *suffix)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GDir) handle = g_dir_open(dir, 0, &error);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *name;

	g_assert_no_error(error);
	while ((name = g_dir_read_name(handle)) != NULL) {
		if (g_str_has_suffix(name, suffix) && strlen(name) > strlen(suffix))
			g_ptr_array_add(names, g_strndup(name, strlen(name) - strlen(suffix)));
	}
	g_ptr_array_sort(names, vmem_test_compare_names);
	g_ptr_array_add(names, NULL);
	return (GStrv)g_ptr_array_free(g_steal_pointer(&names), FALSE);
}
