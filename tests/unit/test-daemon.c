/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemd's inputs: virtmemd.conf, the host's meminfo and SetPolicy()'s
 * dictionary: what is accepted, and a clear error naming the key for
 * what is not; and who may change a domain, from the bus's credentials.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmem-daemon-access.h"
#include "vmem-daemon-config.h"
#include "vmem-daemon-policy.h"
#include "vmem-error.h"
#include "vmem-host.h"
#include "vmem-size.h"

static void
test_config_valid(void)
{
	g_autoptr(GError) error = NULL;
	VmemDaemonConfig config;

	vmem_daemon_config_init(&config);
	g_assert_cmpfloat(config.tick, ==, 1.0);
	g_assert_cmpuint(config.reserve, ==, 0);
	g_assert_true(vmem_daemon_config_load_data(&config,
						   "# comment\n[virtmemd]\nuri=qemu:///system\n"
						   "tick=0.5\nreserve=2GiB\nmeminfo=/tmp/m\n"
						   "admin-group=kvm\nresize-timeout=30\n"
						   "log-level=debug\n",
						   "test.conf", &error));
	g_assert_no_error(error);
	g_assert_cmpstr(config.uri, ==, "qemu:///system");
	g_assert_cmpfloat(config.tick, ==, 0.5);
	g_assert_cmpuint(config.reserve, ==, 2 * VMEM_SIZE_GIB);
	g_assert_cmpstr(config.meminfo, ==, "/tmp/m");
	g_assert_cmpstr(config.admin_group, ==, "kvm");
	g_assert_cmpuint(config.resize_timeout, ==, 30);
	g_assert_true(config.debug);
	/* An empty file keeps the defaults. */
	g_assert_true(vmem_daemon_config_load_data(&config, "", "empty.conf", &error));
	g_assert_no_error(error);
	vmem_daemon_config_clear(&config);
}

static void
test_config_invalid(void)
{
	/* Each is refused with an error that names this part of it. */
	const char *cases[][2] = {
		{"[virtmemd]\ntik=1\n", "tik"},
		{"[virtmem]\ntick=1\n", "[virtmem]"},
		{"[virtmemd]\ntick=0\n", "tick"},
		{"[virtmemd]\ntick=fast\n", "tick"},
		{"[virtmemd]\ntick=99999\n", "tick"},
		{"[virtmemd]\ntick=nan\n", "tick"},
		{"[virtmemd]\ntick=-nan\n", "tick"},
		{"[virtmemd]\ntick=inf\n", "tick"},
		{"[virtmemd]\nuri=qemu:///\xff\n", "uri"},
		{"[virtmemd]\nadmin-group=\xfe\n", "admin-group"},
		{"[virtmemd]\nuri=qemu:///system\\\n",
		 "uri”: The value ends with a lone backslash"},
		{"[virtmemd]\nreserve=1G\\\\\\\n",
		 "reserve”: The value ends with a lone backslash"},
		/* invalid UTF-8 is quoted as U+FFFD */
		{"[virtmemd]\n\xff=1\n", "key “\xef\xbf\xbd”"},
		{"[virt\xffmemd]\n", "[virt\xef\xbf\xbd"
				     "memd]"},
		{"[virtmemd]\nreserve=-1G\n", "reserve"},
		{"[virtmemd]\nreserve=lots\n", "reserve"},
		{"[virtmemd]\nmeminfo=proc/meminfo\n", "meminfo"},
		{"[virtmemd]\npressure=proc/pressure/memory\n", "pressure"},
		{"[virtmemd]\nresize-timeout=0\n", "resize-timeout"},
		{"[virtmemd]\nlog-level=loud\n", "log-level"},
		{"tick=1\n", "test.conf"},
		{"[virtmemd\n", "test.conf"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *input = NULL;
		VmemDaemonConfig config;

		vmem_daemon_config_init(&config);
		g_assert_false(
			vmem_daemon_config_load_data(&config, cases[i][0], "test.conf", &error));
		g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
		/* escaped: the test's output is UTF-8, the input need not be */
		input = g_strescape(cases[i][0], NULL);
		g_test_message("%s -> %s", input, error->message);
		g_assert_nonnull(strstr(error->message, cases[i][1]));
		g_assert_true(g_utf8_validate(error->message, -1, NULL));
		vmem_daemon_config_clear(&config);
	}
}

/* However long the faulty line, the error is one short line. */
static void
test_config_long_line(void)
{
	g_autofree char *line = g_strnfill(100000, 'x');
	g_autofree char *value = g_strnfill(100000, '7');
	g_autofree char *bad_line = g_strdup_printf("[virtmemd]\n%s\n", line);
	g_autofree char *bad_value = g_strdup_printf("[virtmemd]\nreserve=%s\tG\n", value);
	g_autofree char *bad_key = g_strdup_printf("[virtmemd]\n%s=1\n", line);
	const char *cases[] = {bad_line, bad_value, bad_key};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		VmemDaemonConfig config;

		vmem_daemon_config_init(&config);
		g_assert_false(
			vmem_daemon_config_load_data(&config, cases[i], "test.conf", &error));
		g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
		g_test_message("%s", error->message);
		g_assert_cmpuint(strlen(error->message), <, 512);
		g_assert_null(strchr(error->message, '\n'));
		vmem_daemon_config_clear(&config);
	}
}

static void
test_config_file(void)
{
	g_autoptr(GError) error = NULL;
	VmemDaemonConfig config;

	vmem_daemon_config_init(&config);
	/* The default file may be missing, a file named on the command line not. */
	g_assert_true(
		vmem_daemon_config_load(&config, "/nonexistent/virtmemd.conf", FALSE, &error));
	g_assert_no_error(error);
	g_assert_false(
		vmem_daemon_config_load(&config, "/nonexistent/virtmemd.conf", TRUE, &error));
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_IO);
	g_clear_error(&error);
	/* A file that never ends is refused after its first 64 KiB. */
	g_assert_false(vmem_daemon_config_load(&config, "/dev/zero", TRUE, &error));
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
	g_assert_nonnull(strstr(error->message, "/dev/zero is larger than 64 KiB"));
	vmem_daemon_config_clear(&config);
}

/* A file of comments up to the limit is read; one byte more is refused. */
static void
test_config_file_size(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *path = NULL;
	g_autoptr(GString) text = g_string_new("[virtmemd]\ntick=2\n");
	VmemDaemonConfig config;
	int fd = g_file_open_tmp("virtmemd-XXXXXX.conf", &path, &error);

	g_assert_no_error(error);
	close(fd);
	while (text->len < 64 * 1024)
		g_string_append_c(text, text->len % 64 == 63 ? '\n' : '#');
	g_string_truncate(text, 64 * 1024 - 1);
	g_string_append_c(text, '\n');
	g_assert_true(g_file_set_contents(path, text->str, (gssize)text->len, &error));
	vmem_daemon_config_init(&config);
	g_assert_true(vmem_daemon_config_load(&config, path, TRUE, &error));
	g_assert_no_error(error);
	g_assert_cmpfloat(config.tick, ==, 2.0);
	g_string_append_c(text, '#');
	g_assert_true(g_file_set_contents(path, text->str, (gssize)text->len, &error));
	g_assert_false(vmem_daemon_config_load(&config, path, TRUE, &error));
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
	g_unlink(path);
	vmem_daemon_config_clear(&config);
}

static void
test_meminfo(void)
{
	const struct {
		const char *text;
		gboolean ok;
		guint64 available;
	} cases[] = {
		{"MemTotal:       16384 kB\nMemFree:  1 kB\nMemAvailable:    8192 kB\n", TRUE,
		 8192 * VMEM_SIZE_KIB},
		{"MemAvailable: 0 kB\n", TRUE, 0},
		{"MemTotal: 1 kB\n", FALSE, 0},
		{"MemAvailable: lots kB\n", FALSE, 0},
		{"MemAvailable: 12 MB\n", FALSE, 0},
		{"MemAvailable: 99999999999999999999999 kB\n", FALSE, 0},
		{"MemAvailable: -5 kB\n", FALSE, 0},
		{"", FALSE, 0},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		guint64 available = 0;

		g_assert_cmpint(vmem_host_parse_meminfo(cases[i].text, &available, &error), ==,
				cases[i].ok);
		if (cases[i].ok)
			g_assert_cmpuint(available, ==, cases[i].available);
		else
			g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
	}
}

static void
test_meminfo_real(void)
{
	g_autoptr(GError) error = NULL;
	guint64 available = 0;

	g_assert_true(vmem_host_read_meminfo("/proc/meminfo", &available, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(available, >, 0);
	g_assert_false(vmem_host_read_meminfo("/nonexistent", &available, &error));
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_IO);
}

/* The host's pressure file: the real one when the kernel has PSI, none
 * when it is missing, a fake one as written. */
static void
test_psi(void)
{
	g_autofree char *path = NULL;
	VmemPsi psi;
	int fd = g_file_open_tmp("virtmem-psi-XXXXXX", &path, NULL);

	g_assert_cmpint(fd, >=, 0);
	close(fd);
	vmem_host_read_psi("/nonexistent", &psi);
	g_assert_false(psi.present);
	g_assert_true(g_file_set_contents(path,
					  "some avg10=12.50 avg60=1.00 avg300=0.00 total=7\n"
					  "full avg10=3.25 avg60=0.00 avg300=0.00 total=1\n",
					  -1, NULL));
	vmem_host_read_psi(path, &psi);
	g_assert_true(psi.present);
	g_assert_cmpfloat(psi.some.avg10, ==, 12.5);
	g_assert_cmpfloat(psi.full.avg10, ==, 3.25);
	g_assert_true(g_file_set_contents(path, "some avg10=oops\n", -1, NULL));
	vmem_host_read_psi(path, &psi);
	g_assert_false(psi.present);
	g_unlink(path);
	if (g_file_test("/proc/pressure/memory", G_FILE_TEST_EXISTS)) {
		vmem_host_read_psi("/proc/pressure/memory", &psi);
		g_assert_true(psi.present);
	}
}

/* A meminfo that never comes (a FIFO nobody writes) or never ends
 * (/dev/zero) is refused at once: the daemon reads it in its main loop. */
static void
test_meminfo_stuck(void)
{
	g_autofree char *dir = g_dir_make_tmp("virtmem-meminfo-XXXXXX", NULL);
	g_autofree char *fifo = g_build_filename(dir, "meminfo", NULL);
	const char *paths[] = {fifo, "/dev/zero"};

	g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
	for (guint i = 0; i < G_N_ELEMENTS(paths); i++) {
		g_autoptr(GError) error = NULL;
		guint64 available = 0;
		gint64 start = g_get_monotonic_time();

		g_assert_false(vmem_host_read_meminfo(paths[i], &available, &error));
		g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
		g_assert_cmpint(g_get_monotonic_time() - start, <, G_USEC_PER_SEC);
	}
	g_unlink(fifo);
	g_rmdir(dir);
}

static void
test_policy_variant(void)
{
	const struct {
		const char *text;
		const char *bad_key; /* NULL: accepted */
	} cases[] = {
		{"@a{sv} {}", NULL},
		{"{'mode': <'auto'>, 'min': <uint64 0>, 'max': <uint64 4294967296>, "
		 "'buffer': <uint32 20>, 'step': <uint64 134217728>, 'cooldown-grow': <uint32 1>, "
		 "'cooldown-shrink': <uint32 30>, 'priority': <uint32 5>, 'squeeze': <true>}",
		 NULL},
		{"{'mode': <'always'>}", "mode"},
		{"{'mode': <5>}", "mode"},
		{"{'min': <uint64 1000>}", "min"},
		/* the largest size of domain XML, and one KiB above it */
		{"{'step': <uint64 9223372036854774784>}", NULL},
		{"{'step': <uint64 9223372036854775808>}", "step"},
		{"{'max': <uint64 18446744073709550592>}", "max"},
		{"{'max': <'4G'>}", "max"},
		{"{'buffer': <20>}", "buffer"},
		{"{'bufer': <uint32 20>}", "bufer"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GVariant) dict =
			g_variant_parse(G_VARIANT_TYPE_VARDICT, cases[i].text, NULL, NULL, &error);
		VmemPolicyDef changes;

		g_assert_no_error(error);
		if (cases[i].bad_key == NULL) {
			g_assert_true(vmem_daemon_policy_from_variant(dict, &changes, &error));
			g_assert_no_error(error);
			continue;
		}
		g_assert_false(vmem_daemon_policy_from_variant(dict, &changes, &error));
		g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT);
		g_test_message("%s -> %s", cases[i].text, error->message);
		g_assert_nonnull(strstr(error->message, cases[i].bad_key));
	}
}

/* A caller's key, however long and whatever it holds, is named short and
 * on one line. */
static void
test_policy_variant_key(void)
{
	g_autofree char *long_key = g_strnfill(100000, 'k');
	const char *const keys[] = {long_key, "a\nb\x1b[2J"};

	for (guint i = 0; i < G_N_ELEMENTS(keys); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GVariant) dict = NULL;
		GVariantBuilder b;
		VmemPolicyDef changes;

		g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
		g_variant_builder_add(&b, "{sv}", keys[i], g_variant_new_uint32(1));
		dict = g_variant_ref_sink(g_variant_builder_end(&b));
		g_assert_false(vmem_daemon_policy_from_variant(dict, &changes, &error));
		g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT);
		g_test_message("%s", error->message);
		g_assert_cmpuint(strlen(error->message), <, 256);
		g_assert_null(strchr(error->message, '\n'));
		g_assert_null(strchr(error->message, '\x1b'));
	}
}

/* The Policy property reads back as SetPolicy() takes it. */
static void
test_policy_round_trip(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) dict = NULL;
	VmemPolicyDef policy = {0}, changes;

	vmem_policy_def_postparse(&policy, 4 * 1024 * 1024, 2048);
	policy.priority = 7;
	dict = g_variant_ref_sink(vmem_daemon_policy_to_variant(&policy));
	g_assert_true(vmem_daemon_policy_from_variant(dict, &changes, &error));
	g_assert_no_error(error);
	g_assert_true(changes.has_priority && changes.priority == 7);
	g_assert_true(changes.has_max && changes.max_kib == 4 * 1024 * 1024);
	g_assert_true(changes.has_mode && changes.mode == policy.mode);
}

/* Who may change a domain, judged from the bus's credentials alone; the
 * administrators' group is gid 106, virtmemd runs as uid 4242. */
static void
test_access_check(void)
{
	const struct {
		const char *admin_group;
		gboolean has_admin_gid;
		const char *credentials; /* NULL for none */
		const char *denied;	 /* part of the error, NULL when allowed */
	} cases[] = {
		{"libvirt", TRUE, NULL, "Only root and members of the administrators' group"},
		{"libvirt", TRUE, "{}", "Only root and members of the administrators' group"},
		{"libvirt", TRUE, "{'ProcessID': <uint32 7>}", "Only root and members"},
		{"libvirt", TRUE, "{'UnixUserID': <'0'>}", "Only root and members"},
		{"libvirt", TRUE, "{'UnixUserID': <uint32 0>}", NULL},
		{"libvirt", TRUE, "{'UnixUserID': <uint32 4242>}", NULL},
		{"libvirt", TRUE,
		 "{'UnixUserID': <uint32 1000>, 'UnixGroupIDs': <[uint32 5, 106]>}", NULL},
		{"libvirt", TRUE,
		 "{'UnixUserID': <uint32 1000>, 'UnixGroupIDs': <[uint32 5, 107]>}",
		 "Only root and members of the administrators' group"},
		{"libvirt", TRUE, "{'UnixUserID': <uint32 1000>, 'UnixGroupIDs': <@au []>}",
		 "Only root and members of the administrators' group"},
		/* groups of the wrong type are no groups */
		{"libvirt", TRUE, "{'UnixUserID': <uint32 1000>, 'UnixGroupIDs': <[106]>}",
		 "UnixGroupIDs"},
		/* a bus that gives no groups: no lookup, a denial saying why */
		{"libvirt", TRUE, "{'UnixUserID': <uint32 1000>}", "membership of “libvirt”"},
		{"libvirt", TRUE, "{'UnixUserID': <uint32 0>}", NULL},
		/* a group not found when virtmemd started */
		{"libvirt", FALSE, "{'UnixUserID': <uint32 1000>, 'UnixGroupIDs': <[uint32 106]>}",
		 "“libvirt” was not found"},
		{"libvirt", FALSE, "{'UnixUserID': <uint32 0>}", NULL},
		/* admin-group= empty: root only */
		{NULL, FALSE, "{'UnixUserID': <uint32 1000>, 'UnixGroupIDs': <[uint32 106]>}",
		 "no administrators' group"},
		{NULL, FALSE, "{'UnixUserID': <uint32 4242>}", NULL},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GVariant) credentials = NULL;
		VmemDaemonAccess access;

		if (cases[i].credentials != NULL) {
			credentials = g_variant_parse(G_VARIANT_TYPE_VARDICT, cases[i].credentials,
						      NULL, NULL, &error);
			g_assert_no_error(error);
		}
		vmem_daemon_access_init_resolved(&access, 4242, cases[i].admin_group,
						 cases[i].has_admin_gid, 106);
		if (cases[i].denied == NULL) {
			g_assert_true(vmem_daemon_access_check(&access, credentials, &error));
			g_assert_no_error(error);
		} else {
			g_assert_false(vmem_daemon_access_check(&access, credentials, &error));
			g_assert_error(error, VMEM_ERROR, VMEM_ERROR_PERMISSION_DENIED);
			g_test_message("%s -> %s", cases[i].credentials, error->message);
			g_assert_nonnull(strstr(error->message, cases[i].denied));
		}
		vmem_daemon_access_clear(&access);
	}
}

/* The group is looked up once, at the start; one that does not exist is
 * logged. */
static void
test_access_lookup(void)
{
	VmemDaemonAccess access;

	vmem_daemon_access_init(&access, "root");
	g_assert_true(access.has_admin_gid);
	g_assert_cmpuint(access.admin_gid, ==, 0);
	g_assert_cmpuint(access.self, ==, getuid());
	vmem_daemon_access_clear(&access);

	g_test_expect_message(G_LOG_DOMAIN, G_LOG_LEVEL_WARNING,
			      "*group “virtmem-no-such-group” does not exist*restart virtmemd*");
	vmem_daemon_access_init(&access, "virtmem-no-such-group");
	g_test_assert_expected_messages();
	g_assert_false(access.has_admin_gid);
	g_assert_cmpstr(access.admin_group, ==, "virtmem-no-such-group");
	vmem_daemon_access_clear(&access);

	vmem_daemon_access_init(&access, NULL);
	g_assert_false(access.has_admin_gid);
	g_assert_null(access.admin_group);
	vmem_daemon_access_clear(&access);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/daemon/config/valid", test_config_valid);
	g_test_add_func("/daemon/config/invalid", test_config_invalid);
	g_test_add_func("/daemon/config/long-line", test_config_long_line);
	g_test_add_func("/daemon/config/file", test_config_file);
	g_test_add_func("/daemon/config/file-size", test_config_file_size);
	g_test_add_func("/daemon/meminfo/parse", test_meminfo);
	g_test_add_func("/daemon/meminfo/real", test_meminfo_real);
	g_test_add_func("/daemon/psi", test_psi);
	g_test_add_func("/daemon/meminfo/stuck", test_meminfo_stuck);
	g_test_add_func("/daemon/policy/variant", test_policy_variant);
	g_test_add_func("/daemon/policy/variant-key", test_policy_variant_key);
	g_test_add_func("/daemon/policy/round-trip", test_policy_round_trip);
	g_test_add_func("/daemon/access/check", test_access_check);
	g_test_add_func("/daemon/access/lookup", test_access_lookup);
	return g_test_run();
}
