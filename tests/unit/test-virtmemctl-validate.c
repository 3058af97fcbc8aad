/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `virtmemctl validate` as built: the verdict (exit status) on every
 * fixture of tests/xml, the human and JSON output, --help and --version.
 * The path of virtmemctl is the first argument after the GTest options.
 */
#include "config.h"

#include <glib.h>
#include <json-c/json.h>
#include <sys/wait.h>

static const char *virtmemctl;

static int
run(const char *const *args, char **ret_out, char **ret_err)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;
	int status = -1;

	g_ptr_array_add(argv, (gpointer)virtmemctl);
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	/* Output not asked for is still captured: it must not mix with TAP. */
	g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
		     &status, &error);
	if (ret_out != NULL)
		*ret_out = g_steal_pointer(&out);
	if (ret_err != NULL)
		*ret_err = g_steal_pointer(&err);
	g_assert_no_error(error);
	g_assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* The verdict the fixture's expected files call for */
static int
expected_status(const char *base, const char *err_text)
{
	g_autofree char *out_path = g_strconcat(base, ".out.xml", NULL);

	if (err_text != NULL && strstr(err_text, "error[unparseable]") != NULL)
		return 2;
	return g_file_test(out_path, G_FILE_TEST_EXISTS) ? 0 : 1;
}

static void
test_fixtures(void)
{
	g_autofree char *dir_path = g_test_build_filename(G_TEST_DIST, "xml", NULL);
	g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
	guint counts[3] = {0, 0, 0};
	const char *name;

	g_assert_nonnull(dir);
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *path = g_build_filename(dir_path, name, NULL);
		g_autofree char *base = NULL;
		g_autofree char *err_path = NULL;
		g_autofree char *err_text = NULL;
		g_autofree char *out = NULL;
		g_autofree char *err = NULL;
		int expected, status;

		if (!g_str_has_suffix(name, ".xml") || g_str_has_suffix(name, ".out.xml"))
			continue;
		base = g_strndup(path, strlen(path) - strlen(".xml"));
		err_path = g_strconcat(base, ".err", NULL);
		g_file_get_contents(err_path, &err_text, NULL, NULL);
		expected = expected_status(base, err_text);
		status = run((const char *const[]){"validate", path, NULL}, &out, &err);
		g_test_message("%s: exit %d, expected %d", name, status, expected);
		g_assert_cmpint(status, ==, expected);
		counts[status]++;
		/* every finding is one line "FILE: severity[code] location: message" */
		if (err_text != NULL) {
			g_autofree char *first = g_strdup_printf(
				"%s: %s", path,
				strstr(err_text, "error[") != NULL ? "error[" : "warning[");

			g_assert_true(g_str_has_prefix(status == 2 ? err : out, first));
		} else {
			g_assert_cmpstr(out, ==, "");
		}
	}
	g_assert_cmpuint(counts[0], >=, 30);
	g_assert_cmpuint(counts[1], >=, 30);
	g_assert_cmpuint(counts[2], >=, 4);
}

static void
test_json(void)
{
	g_autofree char *ok =
		g_test_build_filename(G_TEST_DIST, "xml", "warn-node-shared.xml", NULL);
	g_autofree char *bad =
		g_test_build_filename(G_TEST_DIST, "xml", "err-requested-unaligned.xml", NULL);
	g_autofree char *out = NULL;
	json_object *array, *finding, *value;

	g_assert_cmpint(run((const char *const[]){"validate", "--json", ok, bad, NULL}, &out, NULL),
			==, 1);
	array = json_tokener_parse(out);
	g_assert_nonnull(array);
	g_assert_true(json_object_is_type(array, json_type_array));
	g_assert_cmpuint(json_object_array_length(array), ==, 2);
	finding = json_object_array_get_idx(array, 1);
	g_assert_true(json_object_object_get_ex(finding, "file", &value));
	g_assert_cmpstr(json_object_get_string(value), ==, bad);
	g_assert_true(json_object_object_get_ex(finding, "severity", &value));
	g_assert_cmpstr(json_object_get_string(value), ==, "error");
	g_assert_true(json_object_object_get_ex(finding, "code", &value));
	g_assert_cmpstr(json_object_get_string(value), ==, "requested-unaligned");
	g_assert_true(json_object_object_get_ex(finding, "location", &value));
	g_assert_cmpstr(json_object_get_string(value), ==,
			"/domain/devices/memory[1]/target/requested");
	g_assert_true(json_object_object_get_ex(finding, "message", &value));
	g_assert_nonnull(strstr(json_object_get_string(value), "513 MiB"));
	json_object_put(array);
}

static void
test_worst_status_wins(void)
{
	g_autofree char *ok = g_test_build_filename(G_TEST_DIST, "xml", "numa-kib.xml", NULL);
	g_autofree char *bad =
		g_test_build_filename(G_TEST_DIST, "xml", "err-block-missing.xml", NULL);

	g_assert_cmpint(run((const char *const[]){"validate", ok, NULL}, NULL, NULL), ==, 0);
	g_assert_cmpint(run((const char *const[]){"validate", ok, bad, NULL}, NULL, NULL), ==, 1);
	g_assert_cmpint(
		run((const char *const[]){"validate", bad, "/nonexistent/file.xml", ok, NULL}, NULL,
		    NULL),
		==, 2);
	g_assert_cmpint(run((const char *const[]){"validate", NULL}, NULL, NULL), ==, 2);
	g_assert_cmpint(
		run((const char *const[]){"validate", "--no-such-option", ok, NULL}, NULL, NULL),
		==, 2);
}

static void
test_global_options(void)
{
	g_autofree char *version = NULL;
	g_autofree char *help = NULL;
	g_autofree char *err = NULL;

	g_assert_cmpint(run((const char *const[]){"--version", NULL}, &version, NULL), ==, 0);
	g_assert_cmpstr(version, ==, "virtmemctl " PACKAGE_VERSION "\n");
	g_assert_cmpint(run((const char *const[]){"--help", NULL}, &help, NULL), ==, 0);
	g_assert_nonnull(strstr(help, "validate"));
	g_assert_nonnull(strstr(help, "--connect"));
	g_assert_cmpint(run((const char *const[]){"no-such-command", NULL}, NULL, &err), ==, 2);
	g_assert_nonnull(strstr(err, "no-such-command"));
	g_assert_cmpint(run((const char *const[]){NULL}, NULL, NULL), ==, 2);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	if (argc < 2)
		g_error("usage: %s [GTEST-OPTION...] PATH-TO-VIRTMEMCTL", argv[0]);
	virtmemctl = argv[1];
	g_setenv("LC_ALL", "C.UTF-8", TRUE);
	g_test_add_func("/virtmemctl-validate/fixtures", test_fixtures);
	g_test_add_func("/virtmemctl-validate/json", test_json);
	g_test_add_func("/virtmemctl-validate/worst-status-wins", test_worst_status_wins);
	g_test_add_func("/virtmemctl-validate/global-options", test_global_options);
	return g_test_run();
}
