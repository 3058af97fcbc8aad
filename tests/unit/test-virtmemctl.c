/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemctl list / show / resize / agent / policy as built, like virsh: sizes (a
 * bare number is KiB, nothing is rounded), domains by name, id or UUID and
 * after `--`, JSON that stays UTF-8 in any locale, tables aligned for wide
 * names, --help, and what `agent` says when it cannot ask.  On libvirt's
 * test driver with a node file: domains with two virtio-mem devices of
 * 2 MiB blocks, running, paused and shut off, one with a wide name and one
 * whose name begins with a dash (the only one with an agent channel).
 * The path of virtmemctl is the first argument after the GTest options.
 */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <json-c/json.h>
#include <sys/wait.h>

#include "vmem-test-node.h"
#include "vmem-test-run.h"

/* virtmemctl(1), EXIT STATUS */
#define EXIT_OK 0
#define EXIT_USAGE 2
#define EXIT_ERROR 9

#define WIDE_NAME "ünï€ødé漢字"
#define UUID_PAUSED "11111111-2222-3333-4444-555555555557"

static const char *virtmemctl;
static const char *test_uri;

/* Runs `virtmemctl -c TEST_URI ARGS...` with LC_ALL=@locale */
static void
run_in(VmemTestRun *r, const char *locale, const char *const *args)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();

	g_ptr_array_add(argv, (gpointer)virtmemctl);
	g_ptr_array_add(argv, (gpointer) "-c");
	g_ptr_array_add(argv, (gpointer)test_uri);
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	vmem_test_run(r, NULL, locale, (const char *const *)argv->pdata);
}

static void
run(VmemTestRun *r, const char *const *args)
{
	run_in(r, "C.UTF-8", args);
}

/* Runs and expects @status and, on stderr, @part */
static void
expect_error(const char *const *args, int status, const char *part)
{
	g_auto(VmemTestRun) r = {0};

	run(&r, args);
	g_assert_cmpint(r.status, ==, status);
	g_assert_cmpstr(r.out, ==, "");
	g_assert_nonnull(strstr(r.err, part));
}

/* A bare number is KiB, as in virsh update-memory-device; decimals, spaces
 * and signs are refused before connecting (usage, 2). */
static void
test_size_syntax(void)
{
	expect_error((const char *const[]){"resize", "numa", "1.5G", NULL}, EXIT_USAGE,
		     "virtmemctl: Decimals are not supported: write 1536M instead of “1.5G”.\n");
	expect_error((const char *const[]){"resize", "numa", "1 G", NULL}, EXIT_USAGE,
		     "Write the size “1 G” without spaces: 1G.");
	/* not "Unknown option -1" */
	expect_error((const char *const[]){"resize", "numa", "-1", NULL}, EXIT_USAGE,
		     "The size “-1” is negative");
	expect_error((const char *const[]){"resize", "numa", "-512M", "--live", NULL}, EXIT_USAGE,
		     "The size “-512M” is negative");
	expect_error((const char *const[]){"resize", "numa", "12parsecs", NULL}, EXIT_USAGE,
		     "unknown unit “parsecs”");
}

/* A size that is not a whole number of blocks is refused where the plan is
 * made, with the nearest sizes that are; never rounded down silently. */
static void
test_size_blocks(void)
{
	g_auto(VmemTestRun) valid = {0};

	/* 1024 KiB is half a block */
	expect_error((const char *const[]){"resize", "numa", "1024", NULL}, EXIT_ERROR,
		     "virtmemctl: Cannot resize to 1 MiB: the virtio-mem devices plug and unplug "
		     "whole blocks of 2 MiB. Resize to 0 or 2M instead.\n");
	expect_error((const char *const[]){"resize", "numa", "3M", NULL}, EXIT_ERROR,
		     "Resize to 2M or 4M instead.");
	expect_error((const char *const[]){"resize", "numa", "1GB", NULL}, EXIT_ERROR,
		     "Resize to 952M or 954M instead.");
	expect_error((const char *const[]){"resize", "numa", "1000MB", NULL}, EXIT_ERROR,
		     "Resize to 952M or 954M instead.");
	expect_error((const char *const[]){"resize", "numa", "3M", "--node", "1", NULL}, EXIT_ERROR,
		     "Cannot resize the virtio-mem device ua-vmem1 to 3 MiB: it plugs and unplugs "
		     "whole blocks of 2 MiB. Resize it to 2M or 4M instead.");
	expect_error((const char *const[]){"resize", "numa", "5G", NULL}, EXIT_ERROR,
		     "between 0 B and 4 GiB");
	/* 1048576 KiB is 1 GiB: planned, then the test driver refuses the
	 * update itself */
	run(&valid, (const char *const[]){"resize", "numa", "1048576", NULL});
	g_assert_cmpint(valid.status, ==, EXIT_ERROR);
	g_assert_null(strstr(valid.err, "Cannot resize"));
}

static void
test_node_negative(void)
{
	/* -1 was "no --node": it resized every device */
	expect_error((const char *const[]){"resize", "numa", "2M", "--node", "-1", NULL},
		     EXIT_USAGE, "--node takes a NUMA node number, 0 or more, not -1.");
	expect_error((const char *const[]){"resize", "numa", "2M", "--node=-3", NULL}, EXIT_USAGE,
		     "not -3");
	expect_error((const char *const[]){"resize", "numa", "2M", "--timeout", "5", NULL},
		     EXIT_USAGE, "needs --wait");
	expect_error((const char *const[]){"list", "--bogus", NULL}, EXIT_USAGE,
		     "Unknown option --bogus: see “virtmemctl list --help”.");
}

/* The "name" member of `show DOMAIN --json` */
static char *
show_name(const char *domain)
{
	g_auto(VmemTestRun) r = {0};
	json_object *root, *name;
	char *ret;

	run(&r, (const char *const[]){"show", "--json", "--", domain, NULL});
	g_assert_cmpint(r.status, ==, EXIT_OK);
	root = json_tokener_parse(r.out);
	g_assert_nonnull(root);
	g_assert_true(json_object_object_get_ex(root, "name", &name));
	ret = g_strdup(json_object_get_string(name));
	json_object_put(root);
	return ret;
}

/* Like virsh: by id, UUID or name; the output names the domain. */
static void
test_domain_lookup(void)
{
	g_autofree char *by_id = show_name("1");
	g_autofree char *by_id2 = show_name("2");
	g_autofree char *by_uuid = show_name(UUID_PAUSED);
	g_autofree char *by_name = show_name("paused");
	g_autofree char *dash = show_name("-dash");
	g_auto(VmemTestRun) table = {0};

	g_assert_cmpstr(by_id, ==, "numa");
	g_assert_cmpstr(by_id2, ==, WIDE_NAME);
	g_assert_cmpstr(by_uuid, ==, "paused");
	g_assert_cmpstr(by_name, ==, "paused");
	g_assert_cmpstr(dash, ==, "-dash");
	run(&table, (const char *const[]){"show", UUID_PAUSED, NULL});
	g_assert_cmpint(table.status, ==, EXIT_OK);
	g_assert_true(g_str_has_prefix(table.out, "Domain paused (paused)\n"));
	/* without `--` it is an option, which none is (not -d -a -s -h, the help) */
	expect_error((const char *const[]){"show", "-dash", NULL}, EXIT_USAGE,
		     "Unknown option -dash: see “virtmemctl show --help”. Put “--” before an "
		     "argument that begins with a dash.");
	/* `--` ends the options: the rest are arguments */
	expect_error((const char *const[]){"resize", "--", "-dash", "3M", NULL}, EXIT_ERROR,
		     "Cannot resize to 3 MiB");
	expect_error((const char *const[]){"show", "no-such-domain", NULL}, EXIT_ERROR,
		     "There is no domain with the name, id or UUID no-such-domain.");
	expect_error((const char *const[]){"show", "--", "-nope", NULL}, EXIT_ERROR,
		     "There is no domain with the name, id or UUID -nope.");
}

/* JSON is UTF-8 whatever the locale; g_print() would write "?n???d?". */
static void
test_json_utf8(void)
{
	g_auto(VmemTestRun) list = {0};
	g_auto(VmemTestRun) show = {0};

	run_in(&list, "C", (const char *const[]){"list", "--json", NULL});
	g_assert_cmpint(list.status, ==, EXIT_OK);
	g_assert_nonnull(strstr(list.out, "\"name\": \"" WIDE_NAME "\""));
	g_assert_true(g_utf8_validate(list.out, -1, NULL));
	run_in(&show, "C", (const char *const[]){"show", "2", "--json", NULL});
	g_assert_cmpint(show.status, ==, EXIT_OK);
	g_assert_true(g_str_has_prefix(show.out, "{\n  \"name\": \"" WIDE_NAME "\",\n"));
}

/* Columns aligned by what a terminal shows: 漢 and 字 take two columns
 * each; sizes right-aligned, one spelling of units. */
static void
test_list_table(void)
{
	g_auto(VmemTestRun) r = {0};

	run(&r, (const char *const[]){"list", NULL});
	g_assert_cmpint(r.status, ==, EXIT_OK);
	g_assert_cmpstr(
		r.out, ==,
		"NAME         STATE     DEVICES   SIZE  REQUESTED  PLUGGED  POLICY\n"
		"-dash        running         2  4 GiB        0 B      0 B  auto\n"
		"numa         running         2  4 GiB        0 B      0 B  auto\n"
		"off          shut off        2  4 GiB        0 B      0 B  auto\n"
		"paused       paused          2  4 GiB        0 B      0 B  auto\n" WIDE_NAME
		"  running         2  4 GiB        0 B      0 B  auto\n");
}

/* A domain that is not running has no address yet: "-" and null, not 0x0. */
static void
test_show_no_address(void)
{
	g_auto(VmemTestRun) table = {0};
	g_auto(VmemTestRun) json = {0};
	json_object *root, *devices, *address;

	run(&table, (const char *const[]){"show", "off", NULL});
	g_assert_cmpint(table.status, ==, EXIT_OK);
	g_assert_cmpstr(
		table.out, ==,
		"Domain off (shut off)\n"
		"ALIAS     NODE  BLOCK   SIZE  REQUESTED  PLUGGED (QEMU)  ADDRESS  JOB\n"
		"ua-vmem0     0  2 MiB  2 GiB        0 B             0 B        -  converged\n"
		"ua-vmem1     1  2 MiB  2 GiB        0 B             0 B        -  converged\n");
	g_assert_null(strstr(table.out, "0x0"));
	run(&json, (const char *const[]){"show", "off", "--json", NULL});
	root = json_tokener_parse(json.out);
	g_assert_nonnull(root);
	g_assert_true(json_object_object_get_ex(root, "devices", &devices));
	g_assert_true(json_object_object_get_ex(json_object_array_get_idx(devices, 0), "address",
						&address));
	g_assert_null(address);
	json_object_put(root);
}

static void
test_help(void)
{
	g_auto(VmemTestRun) top = {0};
	g_auto(VmemTestRun) resize = {0};
	g_auto(VmemTestRun) show = {0};
	const char *options[] = {"--connect",  "--version", "--json",	       "--alias",
				 "--node",     "--live",    "--config",	       "--wait",
				 "--timeout",  "--force",   "--watch",	       "--mode",
				 "--min",      "--max",	    "--buffer",	       "--step",
				 "--priority", "--squeeze", "--cooldown-grow", "--cooldown-shrink",
				 "--resume"};

	run(&top, (const char *const[]){"--help", NULL});
	g_assert_cmpint(top.status, ==, EXIT_OK);
	for (guint i = 0; i < G_N_ELEMENTS(options); i++) {
		g_test_message("%s", options[i]);
		g_assert_nonnull(strstr(top.out, options[i]));
	}
	g_assert_nonnull(strstr(top.out, "name, id or UUID"));
	g_assert_nonnull(strstr(top.out, "a number without unit is in KiB"));
	run(&resize, (const char *const[]){"resize", "--help", NULL});
	g_assert_cmpint(resize.status, ==, EXIT_OK);
	g_assert_nonnull(strstr(resize.out,
				"\n  virtmemctl resize [OPTION…] DOMAIN SIZE | DOMAIN --resume\n"));
	g_assert_nonnull(strstr(resize.out, "0, the default, waits as long as the guest makes "
					    "progress"));
	g_assert_nonnull(strstr(resize.out, "a number without unit is in KiB"));
	run(&show, (const char *const[]){"show", "--help", NULL});
	g_assert_nonnull(strstr(show.out, "\n  virtmemctl show [OPTION…] DOMAIN\n"));
}

/* save, restore and dump: usage errors before connecting (2), a file that
 * exists is never replaced, and on the test driver (no sparse images, no
 * memory-only dumps) a save falls back to raw with a note, and a failed
 * dump leaves no file. */
static void
test_save_usage(void)
{
	g_autofree char *dir = g_dir_make_tmp("virtmemctl-save-XXXXXX", NULL);
	g_autofree char *taken = g_build_filename(dir, "taken.img", NULL);
	g_autofree char *file = g_build_filename(dir, "vm.img", NULL);
	g_autofree char *dump = g_build_filename(dir, "vm.core", NULL);
	g_auto(VmemTestRun) saved = {0};
	g_autoptr(GDir) d = NULL;
	const char *name;
	guint n = 0;

	g_assert_true(g_file_set_contents(taken, "mine", -1, NULL));
	expect_error((const char *const[]){"save", "numa", NULL}, EXIT_USAGE,
		     "save takes a domain and a file");
	expect_error((const char *const[]){"save", "numa", taken, NULL}, EXIT_USAGE,
		     "already exists");
	expect_error((const char *const[]){"dump", "numa", taken, NULL}, EXIT_USAGE,
		     "already exists");
	expect_error((const char *const[]){"save", "numa", file, "--format", "zstd", NULL},
		     EXIT_USAGE, "--format takes sparse or raw");
	expect_error((const char *const[]){"save", "numa", file, "--format", "raw", "--parallel",
					   "2", NULL},
		     EXIT_USAGE, "need the sparse image format");
	expect_error((const char *const[]){"save", "numa", file, "--squeeze=1.5G", NULL},
		     EXIT_USAGE, "--squeeze");
	expect_error((const char *const[]){"save", "numa", file, "--squeeze", "--no-squeeze", NULL},
		     EXIT_USAGE, "contradict");
	expect_error((const char *const[]){"save", "numa", file, "--running", "--paused", NULL},
		     EXIT_USAGE, "contradict");
	expect_error((const char *const[]){"restore", NULL}, EXIT_USAGE, "restore takes a file");
	expect_error((const char *const[]){"dump", "numa", dump, "--format", "core", NULL},
		     EXIT_USAGE, "--format takes elf");
	expect_error((const char *const[]){"dump", "numa", dump, NULL}, EXIT_ERROR,
		     "unsupported flags");
	expect_error((const char *const[]){"save", "numa", file, "--format", "sparse", NULL},
		     EXIT_ERROR, "virDomainSaveParams");

	/* --squeeze before the arguments is no option with a value */
	run(&saved, (const char *const[]){"save", "--squeeze", "numa", file, NULL});
	g_assert_cmpint(saved.status, ==, EXIT_OK);
	g_assert_nonnull(strstr(saved.err, "Not squeezed"));
	g_assert_nonnull(strstr(saved.err, "Saved in the raw format"));
	g_assert_nonnull(strstr(saved.out, "(raw)"));

	/* what is left: the file saved and the one that was there */
	d = g_dir_open(dir, 0, NULL);
	while ((name = g_dir_read_name(d)) != NULL) {
		g_autofree char *path = g_build_filename(dir, name, NULL);

		g_assert_true(g_str_equal(name, "vm.img") || g_str_equal(name, "taken.img"));
		g_unlink(path);
		n++;
	}
	g_assert_cmpuint(n, ==, 2);
	g_rmdir(dir);
}

/* Why the guest agent cannot be asked, in words a user can act on. */
static void
test_agent_errors(void)
{
	expect_error((const char *const[]){"agent", "numa", NULL}, EXIT_ERROR,
		     "Domain numa has no channel for virtmem-agent");
	expect_error((const char *const[]){"agent", "numa", NULL}, EXIT_ERROR,
		     "<channel type='unix'><target type='virtio' "
		     "name='org.virtmem.agent.0'/></channel>");
	expect_error((const char *const[]){"agent", "paused", NULL}, EXIT_ERROR,
		     "Domain paused is paused, so its guest agent cannot answer.");
	expect_error((const char *const[]){"agent", "off", NULL}, EXIT_ERROR,
		     "Domain off is not running");
}

/* policy get: every setting, its value and whether it is the default;
 * the live definition of a running domain, else the persistent one. */
static void
test_policy_get(void)
{
	g_auto(VmemTestRun) text = {0};
	g_auto(VmemTestRun) json = {0};
	json_object *root, *policy, *max, *mode;

	run(&text, (const char *const[]){"policy", "get", "numa", NULL});
	g_assert_cmpint(text.status, ==, EXIT_OK);
	g_assert_cmpstr(text.out, ==,
			"The virtmem policy of numa as it runs:\n"
			"SETTING          VALUE    FROM\n"
			"mode             auto     policy\n"
			"min              0 B      default\n"
			"max              4 GiB    default\n"
			"buffer           20 %     default\n"
			"step             128 MiB  default\n"
			"cooldown-grow    1 s      default\n"
			"cooldown-shrink  30 s     default\n"
			"priority         5        default\n"
			"squeeze          yes      default\n");
	run(&json, (const char *const[]){"policy", "get", "off", "--json", NULL});
	g_assert_cmpint(json.status, ==, EXIT_OK);
	root = json_tokener_parse(json.out);
	g_assert_nonnull(root);
	g_assert_true(json_object_object_get_ex(root, "policy", &policy));
	g_assert_true(json_object_object_get_ex(policy, "max", &max));
	g_assert_cmpstr(json_object_to_json_string(max), ==,
			"{ \"value\": 4294967296, \"default\": true }");
	g_assert_true(json_object_object_get_ex(policy, "mode", &mode));
	g_assert_cmpstr(json_object_to_json_string(mode), ==,
			"{ \"value\": \"auto\", \"default\": false }");
	g_assert_nonnull(strstr(json.out, "\"definition\": \"config\""));
	g_assert_nonnull(strstr(json.out, "\"has_policy\": true"));
	json_object_put(root);
	expect_error((const char *const[]){"policy", "get", "off", "--live", NULL}, EXIT_ERROR,
		     "Domain off is not running, so it has no live definition for --live");
	expect_error((const char *const[]){"policy", "get", "numa", "--live", "--inactive", NULL},
		     EXIT_USAGE, "give one of them");
	expect_error((const char *const[]){"policy", "get", NULL}, EXIT_USAGE,
		     "policy get takes a domain.");
	expect_error((const char *const[]){"policy", "get", "nope", NULL}, EXIT_ERROR,
		     "There is no domain with the name, id or UUID nope.");
	expect_error((const char *const[]){"policy", "bogus", NULL}, EXIT_USAGE,
		     "unknown subcommand “bogus”; use get, set or simulate");
}

/* policy set: malformed values are usage errors naming the option, and a
 * policy that breaks a rule of validate is refused (exit 2) before
 * anything is written. */
static void
test_policy_set_refused(void)
{
	static const struct {
		const char *args[6];
		const char *message;
	} cases[] = {
		{{"--min", "1.5G"}, "--min: Decimals are not supported: write 1536M"},
		{{"--max", "-1G"}, "--max: The size “-1G” is negative"},
		{{"--min", "1000b"}, "--min: 1000b is not a whole number of KiB"},
		{{"--buffer", "20%"},
		 "--buffer takes a whole number of percent, such as 20, not “20%”."},
		{{"--cooldown-grow", "soon"}, "--cooldown-grow takes a whole number of seconds"},
		{{"--priority", "-1"}, "--priority takes a whole number, not “-1”."},
		{{"--mode", "fast"}, "--mode takes off, manual or auto, not “fast”."},
		{{"--squeeze", "maybe"}, "--squeeze takes yes or no, not “maybe”."},
		{{"--live"}, "policy set needs a setting to change: --mode, --min"},
		/* the rules, with the domain's devices: 4 GiB in 2 MiB blocks */
		{{"--min", "3G", "--max", "2G"},
		 "virtmemctl: --min 3G: The policy minimum 3 GiB is above its maximum 2 GiB; use a "
		 "minimum of at most 2 GiB.\nvirtmemctl: The policy of numa was not changed.\n"},
		{{"--max", "5G", "--live", "--config"},
		 "virtmemctl: --max 5G: The policy maximum 5 GiB is more than the virtio-mem devices "
		 "can hold (4 GiB); use at most 4 GiB or grow the devices.\n"
		 "virtmemctl: The policy of numa was not changed.\n"},
		{{"--min", "5G"}, "--min 5G: The policy minimum 5 GiB is above its maximum 4 GiB"},
		{{"--step", "3M"},
		 "--step 3M: 3 MiB is not a multiple of the block size 2 MiB; virtmem uses 4 MiB. "
		 "Give a whole number of blocks"},
		{{"--step", "0"}, "--step 0: The policy step is 0"},
		{{"--buffer", "91"},
		 "--buffer 91: A buffer of 91 % of guest memory is out of range"},
		{{"--priority", "11"}, "--priority 11: The priority 11 is out of range"},
		{{"--cooldown-grow", "86401"},
		 "--cooldown-grow 86401: A grow cooldown of 86401 s is out of range; use 0 to 86400 s "
		 "(one day)."},
		{{"--cooldown-shrink", "4294967295"},
		 "--cooldown-shrink takes a whole number of seconds, not “4294967295”."},
		{{"--cooldown-shrink", "2147483647"},
		 "--cooldown-shrink 2147483647: A shrink cooldown of 2147483647 s is out of range"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GPtrArray) args = g_ptr_array_new();

		g_ptr_array_add(args, (gpointer) "policy");
		g_ptr_array_add(args, (gpointer) "set");
		g_ptr_array_add(args, (gpointer) "numa");
		for (guint j = 0; cases[i].args[j] != NULL; j++)
			g_ptr_array_add(args, (gpointer)cases[i].args[j]);
		g_ptr_array_add(args, NULL);
		g_test_message("case %u: %s", i, cases[i].message);
		expect_error((const char *const *)args->pdata, EXIT_USAGE, cases[i].message);
	}
	expect_error(
		(const char *const[]){"policy", "set", "off", "--priority", "3", "--live", NULL},
		EXIT_ERROR, "Domain off is not running, so --live has nothing to change");
}

/* A valid set is written (the test driver keeps it only for the run: the
 * round trip is in vm-policy); a warning of the rules is told. */
static void
test_policy_set(void)
{
	g_auto(VmemTestRun) r = {0};
	g_auto(VmemTestRun) agent = {0};

	run(&r, (const char *const[]){"policy", "set", "numa", "--min", "512M", "--max", "2G",
				      "--priority=7", "--live", "--config", NULL});
	g_assert_cmpint(r.status, ==, EXIT_OK);
	g_assert_cmpstr(r.out, ==, "");
	g_assert_nonnull(strstr(r.err, "warning: Mode auto without the agent channel"));
	run(&agent, (const char *const[]){"policy", "set", "--squeeze", "no", "--", "-dash", NULL});
	g_assert_cmpint(agent.status, ==, EXIT_OK);
	g_assert_cmpstr(agent.err, ==, "");
}

/* The node file: tests/unit/backend-libvirt-numa.xml five times over. */
static VmemTestNode *
write_test_node(void)
{
	static const struct {
		const char *name;
		const char *uuid;
		int runstate; /* virDomainState, 0: running */
		gboolean channel;
	} domains[] = {
		{"numa", "11111111-2222-3333-4444-555555555555", 0, FALSE},
		{WIDE_NAME, "11111111-2222-3333-4444-555555555556", 0, FALSE},
		{"paused", UUID_PAUSED, 3, FALSE},
		{"off", "11111111-2222-3333-4444-555555555558", 5, FALSE},
		{"-dash", "11111111-2222-3333-4444-555555555559", 0, TRUE},
	};
	g_autofree char *domain_path =
		g_test_build_filename(G_TEST_DIST, "unit", "backend-libvirt-numa.xml", NULL);
	g_autofree char *domain = NULL;
	g_autoptr(GString) node = g_string_new(NULL);
	g_autoptr(GError) error = NULL;

	g_assert_true(g_file_get_contents(domain_path, &domain, NULL, &error));
	g_assert_no_error(error);
	for (guint i = 0; i < G_N_ELEMENTS(domains); i++) {
		g_autoptr(GString) d = g_string_new(domain);
		g_autofree char *name = g_markup_printf_escaped("<name>%s</name><uuid>%s</uuid>",
								domains[i].name, domains[i].uuid);
		g_autoptr(GString) tail = g_string_new(NULL);

		g_assert_cmpuint(g_string_replace(d, "<name>numa</name>", name, 1), ==, 1);
		if (domains[i].channel)
			g_string_append(tail, "<channel type='unix'><target type='virtio' "
					      "name='org.virtmem.agent.0'/></channel>");
		g_string_append(tail, "</devices>");
		if (domains[i].runstate != 0) {
			g_string_replace(d, "<domain type='test'>",
					 "<domain type='test' "
					 "xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>",
					 1);
			g_string_append_printf(tail, "<test:runstate>%d</test:runstate>",
					       domains[i].runstate);
		}
		g_assert_cmpuint(g_string_replace(d, "</devices>", tail->str, 1), ==, 1);
		g_string_append(node, d->str);
	}
	return vmem_test_node_new(node->str);
}

int
main(int argc, char **argv)
{
	g_autoptr(VmemTestNode) node = NULL;

	g_test_init(&argc, &argv, NULL);
	if (argc < 2)
		g_error("usage: %s [GTEST-OPTION...] PATH-TO-VIRTMEMCTL", argv[0]);
	virtmemctl = argv[1];
	node = write_test_node();
	test_uri = node->uri;
	g_test_add_func("/virtmemctl/size/syntax", test_size_syntax);
	g_test_add_func("/virtmemctl/size/blocks", test_size_blocks);
	g_test_add_func("/virtmemctl/options/node-negative", test_node_negative);
	g_test_add_func("/virtmemctl/domain/lookup", test_domain_lookup);
	g_test_add_func("/virtmemctl/output/json-utf8", test_json_utf8);
	g_test_add_func("/virtmemctl/output/list-table", test_list_table);
	g_test_add_func("/virtmemctl/output/show-no-address", test_show_no_address);
	g_test_add_func("/virtmemctl/help", test_help);
	g_test_add_func("/virtmemctl/agent/errors", test_agent_errors);
	g_test_add_func("/virtmemctl/policy/get", test_policy_get);
	g_test_add_func("/virtmemctl/policy/set-refused", test_policy_set_refused);
	g_test_add_func("/virtmemctl/policy/set", test_policy_set);
	g_test_add_func("/virtmemctl/save/usage", test_save_usage);
	return g_test_run();
}
