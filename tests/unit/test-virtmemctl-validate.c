/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `virtmemctl validate` as built: the verdict (exit status) on every
 * fixture of tests/xml, the human and JSON output, --help and --version.
 * Then what every command shares (virtmemctl(1), JSON OUTPUT and EXIT
 * STATUS): snake_case keys in `list` and `show --json`, and the status of
 * errors, on libvirt's test driver (a domain with two virtio-mem devices
 * and no guest agent) and on a QMP socket that is not there.
 * The path of virtmemctl is the first argument after the GTest options.
 */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmem-test-node.h"
#include "vmem-test-run.h"

/* virtmemctl(1), EXIT STATUS */
#define EXIT_OK 0
#define EXIT_FINDINGS 1
#define EXIT_FAILURE_ 2
#define EXIT_ERROR 9

#define MIB (G_GUINT64_CONSTANT(1024) * 1024)

static const char *virtmemctl;
/* test:///PATH: libvirt's test driver with the domain "numa" running */
static const char *test_uri;

static int
run(const char *const *args, char **ret_out, char **ret_err)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_auto(VmemTestRun) r = {0};

	g_ptr_array_add(argv, (gpointer)virtmemctl);
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	/* Output not asked for is still captured: it must not mix with TAP. */
	vmem_test_run(&r, NULL, NULL, (const char *const *)argv->pdata);
	if (ret_out != NULL)
		*ret_out = g_steal_pointer(&r.out);
	if (ret_err != NULL)
		*ret_err = g_steal_pointer(&r.err);
	return r.status;
}

/* The verdict the fixture's expected files call for */
static int
expected_status(const char *base, const char *err_text)
{
	g_autofree char *out_path = g_strconcat(base, ".out.xml", NULL);

	if (err_text != NULL && strstr(err_text, "error[unparseable]") != NULL)
		return EXIT_FAILURE_;
	return g_file_test(out_path, G_FILE_TEST_EXISTS) ? EXIT_OK : EXIT_FINDINGS;
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

			g_assert_true(g_str_has_prefix(status == EXIT_FAILURE_ ? err : out, first));
		} else {
			g_assert_cmpstr(out, ==, "");
		}
	}
	g_assert_cmpuint(counts[0], >=, 30);
	g_assert_cmpuint(counts[1], >=, 30);
	g_assert_cmpuint(counts[2], >=, 4);
}

/* virtmemctl(1), JSON OUTPUT: every key is snake_case, at every depth. */
static void
assert_keys_snake_case(json_object *value)
{
	if (json_object_is_type(value, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(value); i++)
			assert_keys_snake_case(json_object_array_get_idx(value, i));
	} else if (json_object_is_type(value, json_type_object)) {
		json_object_object_foreach(value, key, child)
		{
			if (!g_regex_match_simple("^[a-z][a-z0-9]*(_[a-z0-9]+)*$", key, 0, 0))
				g_error("JSON key “%s” is not snake_case", key);
			assert_keys_snake_case(child);
		}
	}
}

/* The member @key of @obj, which must be there (maybe null) */
static json_object *
member(json_object *obj, const char *key)
{
	json_object *value = NULL;

	if (!json_object_object_get_ex(obj, key, &value))
		g_error("no member “%s” in %s", key, json_object_to_json_string(obj));
	return value;
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
			==, EXIT_FINDINGS);
	array = json_tokener_parse(out);
	g_assert_nonnull(array);
	g_assert_true(json_object_is_type(array, json_type_array));
	assert_keys_snake_case(array);
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

	g_assert_cmpint(run((const char *const[]){"validate", ok, NULL}, NULL, NULL), ==, EXIT_OK);
	g_assert_cmpint(run((const char *const[]){"validate", ok, bad, NULL}, NULL, NULL), ==,
			EXIT_FINDINGS);
	g_assert_cmpint(
		run((const char *const[]){"validate", bad, "/nonexistent/file.xml", ok, NULL}, NULL,
		    NULL),
		==, EXIT_FAILURE_);
	g_assert_cmpint(run((const char *const[]){"validate", NULL}, NULL, NULL), ==,
			EXIT_FAILURE_);
	g_assert_cmpint(
		run((const char *const[]){"validate", "--no-such-option", ok, NULL}, NULL, NULL),
		==, EXIT_FAILURE_);
}

static void
test_list_json(void)
{
	g_autofree char *out = NULL;
	json_object *array, *domain;

	g_assert_cmpint(
		run((const char *const[]){"-c", test_uri, "list", "--json", NULL}, &out, NULL), ==,
		EXIT_OK);
	array = json_tokener_parse(out);
	g_assert_nonnull(array);
	assert_keys_snake_case(array);
	g_assert_true(json_object_is_type(array, json_type_array));
	g_assert_cmpuint(json_object_array_length(array), ==, 1);
	domain = json_object_array_get_idx(array, 0);
	g_assert_cmpstr(json_object_get_string(member(domain, "name")), ==, "numa");
	g_assert_cmpstr(json_object_get_string(member(domain, "state")), ==, "running");
	g_assert_cmpint(json_object_get_int(member(domain, "devices")), ==, 2);
	g_assert_cmpuint(json_object_get_uint64(member(domain, "size")), ==, 4096 * MIB);
	g_assert_cmpuint(json_object_get_uint64(member(domain, "requested")), ==, 0);
	g_assert_cmpuint(json_object_get_uint64(member(domain, "plugged")), ==, 0);
	g_assert_cmpstr(json_object_get_string(member(domain, "policy")), ==, "auto");
	json_object_put(array);
}

static void
test_show_json(void)
{
	g_autofree char *out = NULL;
	json_object *root, *devices, *dev;

	g_assert_cmpint(run((const char *const[]){"-c", test_uri, "show", "numa", "--json", NULL},
			    &out, NULL),
			==, EXIT_OK);
	root = json_tokener_parse(out);
	g_assert_nonnull(root);
	assert_keys_snake_case(root);
	g_assert_cmpstr(json_object_get_string(member(root, "name")), ==, "numa");
	g_assert_cmpstr(json_object_get_string(member(root, "state")), ==, "running");
	devices = member(root, "devices");
	g_assert_cmpuint(json_object_array_length(devices), ==, 2);
	dev = json_object_array_get_idx(devices, 1);
	g_assert_cmpstr(json_object_get_string(member(dev, "alias")), ==, "ua-vmem1");
	g_assert_cmpint(json_object_get_int(member(dev, "node")), ==, 1);
	g_assert_cmpuint(json_object_get_uint64(member(dev, "block_size")), ==, 2 * MIB);
	g_assert_cmpuint(json_object_get_uint64(member(dev, "size")), ==, 2048 * MIB);
	g_assert_cmpuint(json_object_get_uint64(member(dev, "requested")), ==, 0);
	g_assert_cmpuint(json_object_get_uint64(member(dev, "plugged")), ==, 0);
	member(dev, "address");
	g_assert_cmpstr(json_object_get_string(member(dev, "job")), ==, "converged");
	/* The test driver has no guest agent channel: null, and why. */
	g_assert_null(member(root, "agent"));
	g_assert_true(json_object_is_type(member(root, "agent_error"), json_type_string));
	g_assert_cmpstr(json_object_get_string(member(root, "agent_error")), !=, "");
	json_object_put(root);
}

/* Errors have their own status, which validate never uses. */
static void
test_error_status(void)
{
	g_autofree char *no_domain = NULL;
	g_autofree char *no_device = NULL;
	g_autofree char *no_agent = NULL;
	g_autofree char *no_vmm = NULL;
	g_autofree char *usage = NULL;
	g_autofree char *out = NULL;

	g_assert_cmpint(
		run((const char *const[]){"-c", test_uri, "show", "no-such-domain", "--json", NULL},
		    &out, &no_domain),
		==, EXIT_ERROR);
	g_assert_cmpstr(out, ==, "");
	g_assert_nonnull(strstr(no_domain, "no-such-domain"));
	g_assert_cmpint(run((const char *const[]){"-c", "test:///default", "show", "test", NULL},
			    NULL, &no_device),
			==, EXIT_ERROR);
	g_assert_nonnull(strstr(no_device, "Domain test has no virtio-mem device."));
	g_assert_cmpint(
		run((const char *const[]){"-c", test_uri, "agent", "numa", NULL}, NULL, &no_agent),
		==, EXIT_ERROR);
	g_assert_cmpint(
		run((const char *const[]){"-c", "qmp+unix:///nonexistent/qmp.sock", "list", NULL},
		    NULL, &no_vmm),
		==, EXIT_ERROR);
	g_assert_nonnull(strstr(no_vmm, "/nonexistent/qmp.sock"));
	g_assert_cmpint(run((const char *const[]){"-c", test_uri, "show", NULL}, NULL, &usage), ==,
			EXIT_FAILURE_);
}

static void
test_global_options(void)
{
	g_autofree char *version = NULL;
	g_autofree char *help = NULL;
	g_autofree char *err = NULL;

	g_assert_cmpint(run((const char *const[]){"--version", NULL}, &version, NULL), ==, EXIT_OK);
	g_assert_cmpstr(version, ==, "virtmemctl " PACKAGE_VERSION "\n");
	g_assert_cmpint(run((const char *const[]){"--help", NULL}, &help, NULL), ==, EXIT_OK);
	g_assert_nonnull(strstr(help, "validate"));
	g_assert_nonnull(strstr(help, "--connect"));
	g_assert_cmpint(run((const char *const[]){"no-such-command", NULL}, NULL, &err), ==,
			EXIT_FAILURE_);
	g_assert_nonnull(strstr(err, "no-such-command"));
	g_assert_cmpint(run((const char *const[]){NULL}, NULL, NULL), ==, EXIT_FAILURE_);
}

/* Runs `sh -c SCRIPT` with virtmemctl as $0 and @arg as $1 */
static int
run_shell(const char *script, const char *arg, char **ret_out, char **ret_err)
{
	const char *const argv[] = {"/bin/sh", "-c", script, virtmemctl, arg, NULL};
	g_autoptr(GError) error = NULL;
	int status = -1;

	g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, ret_out, ret_err,
		     &status, &error);
	g_assert_no_error(error);
	g_assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* validate's cap on its input, in virtmemctl(1) */
#define VALIDATE_MAX_INPUT (16 * MIB)

static void
assert_too_large(const char *err, const char *file)
{
	g_autofree char *prefix = g_strdup_printf("%s: error[too-large] /: ", file);

	g_test_message("%s", err);
	g_assert_true(g_str_has_prefix(err, prefix));
	g_assert_nonnull(strstr(err, "16 MiB"));
	if (!g_str_equal(file, "-"))
		g_assert_nonnull(strstr(err + strlen(prefix), file));
	/* one line */
	g_assert_true(strchr(err, '\n') == err + strlen(err) - 1);
}

/* A file of @size bytes: a domain padded with comments (libxml2 refuses
 * some runs of 10 MB, so not one long run) */
static void
write_padded_domain(const char *path, gsize size)
{
	static const char head[] = "<domain type='qemu'><name>big</name>";
	static const char tail[] = "</domain>\n";
	g_autoptr(GString) text = g_string_new(head);
	g_autoptr(GError) error = NULL;

	while (text->len + 1024 + strlen(tail) <= size) {
		g_string_append(text, "<!--");
		for (guint i = 0; i < 1024 - strlen("<!---->\n"); i++)
			g_string_append_c(text, 'x');
		g_string_append(text, "-->\n");
	}
	while (text->len + strlen(tail) < size)
		g_string_append_c(text, ' ');
	g_string_append(text, tail);
	g_assert_cmpuint(text->len, ==, size);
	g_assert_true(g_file_set_contents(path, text->str, (gssize)text->len, &error));
	g_assert_no_error(error);
}

/* Input that never ends, or is larger than the cap, is refused after
 * reading the cap and one byte more: memory stays small. */
static void
test_too_large(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("virtmemctl-validate-XXXXXX", &error);
	g_autofree char *fifo = g_build_filename(dir, "fifo", NULL);
	g_autofree char *sparse = g_build_filename(dir, "sparse.xml", NULL);
	g_autofree char *at_cap = g_build_filename(dir, "at-cap.xml", NULL);
	g_autofree char *err = NULL;
	struct rusage usage;
	int fd;

	g_assert_no_error(error);
	g_assert_cmpint(run((const char *const[]){"validate", "/dev/zero", NULL}, NULL, &err), ==,
			EXIT_FAILURE_);
	assert_too_large(err, "/dev/zero");
	g_clear_pointer(&err, g_free);

	/* a FIFO whose writer never stops */
	g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
	g_assert_cmpint(run_shell("cat /dev/zero > \"$1\" 2>/dev/null & exec \"$0\" validate "
				  "\"$1\"",
				  fifo, NULL, &err),
			==, EXIT_FAILURE_);
	assert_too_large(err, fifo);
	g_clear_pointer(&err, g_free);

	/* standard input: a pipe that never ends */
	g_assert_cmpint(run_shell("cat /dev/zero | \"$0\" validate -", "", NULL, &err), ==,
			EXIT_FAILURE_);
	assert_too_large(err, "-");
	g_assert_nonnull(strstr(err, "standard input"));
	g_clear_pointer(&err, g_free);

	/* a file of 300 MB (sparse: quick to make) */
	fd = g_open(sparse, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(ftruncate(fd, 300 * 1000 * 1000), ==, 0);
	g_assert_true(g_close(fd, NULL));
	g_assert_cmpint(run((const char *const[]){"validate", sparse, NULL}, NULL, &err), ==,
			EXIT_FAILURE_);
	assert_too_large(err, sparse);
	g_clear_pointer(&err, g_free);

	/* the cap itself is allowed, one byte more is not */
	write_padded_domain(at_cap, VALIDATE_MAX_INPUT);
	g_assert_cmpint(run((const char *const[]){"validate", at_cap, NULL}, NULL, &err), ==,
			EXIT_FINDINGS);
	g_assert_null(strstr(err, "too-large"));
	g_clear_pointer(&err, g_free);
	write_padded_domain(at_cap, VALIDATE_MAX_INPUT + 1);
	g_assert_cmpint(run((const char *const[]){"validate", at_cap, NULL}, NULL, &err), ==,
			EXIT_FAILURE_);
	assert_too_large(err, at_cap);

	/* every virtmemctl so far stayed far below what it was fed */
	g_assert_cmpint(getrusage(RUSAGE_CHILDREN, &usage), ==, 0);
	g_test_message("largest resident set: %ld KiB", usage.ru_maxrss);
	g_assert_cmpint(usage.ru_maxrss, <, 128 * 1024);

	g_unlink(fifo);
	g_unlink(sparse);
	g_unlink(at_cap);
	g_rmdir(dir);
}

/* FILE - is the standard input. */
static void
test_stdin(void)
{
	g_autofree char *ok = g_test_build_filename(G_TEST_DIST, "xml", "nonuma.xml", NULL);
	g_autofree char *bad =
		g_test_build_filename(G_TEST_DIST, "xml", "err-node-unknown.xml", NULL);
	g_autofree char *out = NULL;
	g_autofree char *json = NULL;
	json_object *array;

	g_assert_cmpint(run_shell("exec \"$0\" validate - < \"$1\"", ok, &out, NULL), ==, EXIT_OK);
	g_assert_cmpstr(out, ==, "");
	g_clear_pointer(&out, g_free);
	g_assert_cmpint(run_shell("exec \"$0\" validate - < \"$1\"", bad, &out, NULL), ==,
			EXIT_FINDINGS);
	g_assert_true(g_str_has_prefix(out, "-: error[node-unknown] "));
	g_assert_cmpint(run_shell("exec \"$0\" validate --json - < \"$1\"", bad, &json, NULL), ==,
			EXIT_FINDINGS);
	array = json_tokener_parse(json);
	g_assert_nonnull(array);
	g_assert_cmpstr(json_object_get_string(member(json_object_array_get_idx(array, 0), "file")),
			==, "-");
	json_object_put(array);
}

/* A huge value is quoted briefly: the finding stays one short line. */
static void
test_long_value(void)
{
	g_autofree char *path = g_test_build_filename(G_TEST_DIST, "xml", "nonuma.xml", NULL);
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("virtmemctl-validate-XXXXXX", &error);
	g_autofree char *long_path = g_build_filename(dir, "long.xml", NULL);
	g_autofree char *xml = NULL;
	g_autofree char *number = g_strnfill(9 * 1000 * 1000, '9');
	g_autofree char *size = g_strdup_printf("<size unit='GiB'>%s</size>", number);
	g_autofree char *out = NULL;
	g_autoptr(GString) text = NULL;

	g_assert_no_error(error);
	g_assert_true(g_file_get_contents(path, &xml, NULL, &error));
	text = g_string_new(xml);
	g_assert_cmpuint(g_string_replace(text, "<size unit='GiB'>1</size>", size, 1), ==, 1);
	g_assert_true(g_file_set_contents(long_path, text->str, (gssize)text->len, &error));
	g_assert_no_error(error);
	g_assert_cmpint(run((const char *const[]){"validate", long_path, NULL}, &out, NULL), ==,
			EXIT_FINDINGS);
	g_test_message("%s", out);
	g_assert_nonnull(strstr(out, "error[invalid-size]"));
	g_assert_nonnull(strstr(out, "…"));
	g_assert_cmpuint(strlen(out), <, 512);
	g_unlink(long_path);
	g_rmdir(dir);
}

/* A node file for libvirt's test driver: tests/unit/backend-libvirt-numa.xml,
 * running. */
static VmemTestNode *
write_test_node(void)
{
	g_autofree char *domain_path =
		g_test_build_filename(G_TEST_DIST, "unit", "backend-libvirt-numa.xml", NULL);
	g_autofree char *domain = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_true(g_file_get_contents(domain_path, &domain, NULL, &error));
	g_assert_no_error(error);
	return vmem_test_node_new(domain);
}

int
main(int argc, char **argv)
{
	g_autoptr(VmemTestNode) node = NULL;

	g_test_init(&argc, &argv, NULL);
	if (argc < 2)
		g_error("usage: %s [GTEST-OPTION...] PATH-TO-VIRTMEMCTL", argv[0]);
	virtmemctl = argv[1];
	g_setenv("LC_ALL", "C.UTF-8", TRUE);
	node = write_test_node();
	test_uri = node->uri;
	g_test_add_func("/virtmemctl-validate/fixtures", test_fixtures);
	g_test_add_func("/virtmemctl-validate/json", test_json);
	g_test_add_func("/virtmemctl-validate/worst-status-wins", test_worst_status_wins);
	g_test_add_func("/virtmemctl-validate/global-options", test_global_options);
	g_test_add_func("/virtmemctl-validate/too-large", test_too_large);
	g_test_add_func("/virtmemctl-validate/stdin", test_stdin);
	g_test_add_func("/virtmemctl-validate/long-value", test_long_value);
	g_test_add_func("/virtmemctl/list-json", test_list_json);
	g_test_add_func("/virtmemctl/show-json", test_show_json);
	g_test_add_func("/virtmemctl/error-status", test_error_status);
	return g_test_run();
}
