/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemctl migrate between two private libvirtds on this machine (each
 * with its own host UUID; the memory over TCP on 127.0.0.1; a destination
 * XML whose sockets and console are in the destination's root): a guest
 * with part of its device plugged and data written arrives with the same
 * requested and plugged sizes, its policy, its data and its boot, and the
 * migration transfers about base memory plus plugged, not plus the
 * device's size; migrated back with --squeeze, it leaves squeezed and is
 * grown back on the destination to the target from before.  virtmemd
 * manages it on A: its automation is paused during a migration and
 * resumed after one that fails; a squeeze before a migration that fails
 * is given back.
 *
 * The guest is paused while its memory is sent (no --live): under TCG,
 * QEMU 10.0 aborts the source of a live migration once the guest dirties a
 * page of a virtio-mem device that was already sent
 * (tlb_reset_dirty_range_all: Assertion `block == qemu_get_ram_block(end -
 * 1)' failed), docs/testing.md.
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-c/json.h>
#include <libvirt/virterror.h>
#include <signal.h>

#include "vmem-json.h"
#include "vmem-policy.h"
#include "vmem-test-bus.h"
#include "vmem-testbed.h"

#define MIB (G_GUINT64_CONSTANT(1024) * 1024)
#define NAME "mig"
#define ALIAS "ua-vmem0"
#define BASE_MIB 512
#define DEVICE_MIB 4096
#define PLUGGED_MIB 1024
/* What the guest writes and checks: random, so that no page is zero */
#define DATA_MIB 256
#define MIGRATE_URI "tcp://127.0.0.1"

#define DOMAIN1 "org.virtmem.Domain1"

/* virtmemctl(1), EXIT STATUS */
#define EXIT_OK 0
#define EXIT_ERROR 9

typedef struct {
	VmemTestbed *a;
	VmemTestbed *b;
	VmemTestGuest *guest; /* where the guest is now */
	char *dir;
	char *boot_id;
	char *checksum;
	char *policy;
	/* virtmemd on a private system bus, managing A's domains */
	VmemTestBus *bus;
	VmemTestDaemon *daemon;
	char *daemon_path; /* the domain's object */
} Fixture;

static Fixture f;

static void
on_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	*(GAsyncResult **)user_data = g_object_ref(result);
}

/* Runs virtmemctl on @tb's libvirtd, the main loop running meanwhile
 * (libvirtd drops a client whose keepalives go unanswered) */
static int
run_ctl_err(VmemTestbed *tb, const char *const *args, char **ret_out, char **ret_err)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocess) proc = NULL;
	g_autoptr(GAsyncResult) result = NULL;
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;

	g_ptr_array_add(argv, (gpointer)g_getenv("VIRTMEMCTL"));
	g_ptr_array_add(argv, (gpointer) "-c");
	g_ptr_array_add(argv, (gpointer)vmem_testbed_get_uri(tb));
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	g_assert_nonnull(argv->pdata[0]);
	proc = g_subprocess_newv((const char *const *)argv->pdata,
				 G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
				 &error);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8_async(proc, NULL, NULL, on_done, &result);
	while (result == NULL)
		g_main_context_iteration(NULL, TRUE);
	g_subprocess_communicate_utf8_finish(proc, result, &out, &err, &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_get_if_exited(proc));
	/* on stderr, which the test's log keeps when the test fails */
	g_printerr("virtmemctl %s -> %d\n%s%s", args[0], g_subprocess_get_exit_status(proc), out,
		   err);
	if (ret_out != NULL)
		*ret_out = g_steal_pointer(&out);
	if (ret_err != NULL)
		*ret_err = g_steal_pointer(&err);
	return g_subprocess_get_exit_status(proc);
}

static int
run_ctl(VmemTestbed *tb, const char *const *args, char **ret_out)
{
	return run_ctl_err(tb, args, ret_out, NULL);
}

static char *
get_automation(void)
{
	g_autoptr(GVariant) value = vmem_test_bus_get_property(
		vmem_test_bus_get_connection(f.bus), f.daemon_path, DOMAIN1, "Automation");

	g_assert_nonnull(value);
	return g_variant_dup_string(value, NULL);
}

static json_object *
field(json_object *obj, const char *key)
{
	json_object *value = NULL;

	if (!json_object_object_get_ex(obj, key, &value))
		g_error("no member “%s” in %s", key, json_object_to_json_string(obj));
	return value;
}

static guint64
field_u64(json_object *obj, const char *key)
{
	return json_object_get_uint64(field(obj, key));
}

/* The guest is the one that booted on A, and kept its data */
static void
assert_same_guest(void)
{
	g_autofree char *boot_id =
		vmem_test_guest_output(f.guest, "cat /proc/sys/kernel/random/boot_id");
	g_autofree char *checksum = vmem_test_guest_output(f.guest, "md5sum < /hold/data");

	g_assert_true(vmem_test_guest_is_running(f.guest));
	g_assert_cmpstr(boot_id, ==, f.boot_id);
	g_assert_cmpstr(checksum, ==, f.checksum);
}

static void
get_sizes(guint64 *ret_requested, guint64 *ret_current)
{
	g_autoptr(GError) error = NULL;
	guint64 requested_kib = 0, current_kib = 0;

	g_assert_true(
		vmem_test_guest_get_sizes(f.guest, ALIAS, &requested_kib, &current_kib, &error));
	g_assert_no_error(error);
	*ret_requested = requested_kib * 1024;
	*ret_current = current_kib * 1024;
}

/* The policy element of the guest's live metadata where it is now */
static char *
get_policy(void)
{
	char *xml = virDomainGetMetadata(vmem_test_guest_get_domain(f.guest),
					 VIR_DOMAIN_METADATA_ELEMENT, VMEM_POLICY_NS,
					 VIR_DOMAIN_AFFECT_LIVE);

	g_assert_nonnull(xml);
	return xml;
}

/* Migrates the guest from @from to @to with virtmemctl and @extra
 * options; returns its --json report and follows the guest there */
static json_object *
migrate(VmemTestbed *from, VmemTestbed *to, const char *extra, char **ret_err)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *xml = vmem_test_guest_dest_xml(f.guest, to, &error);
	g_autofree char *file = g_build_filename(f.dir, "dest.xml", NULL);
	g_autofree char *out = NULL;
	json_object *root;

	g_assert_no_error(error);
	g_assert_true(g_file_set_contents(file, xml, -1, &error));
	g_assert_no_error(error);
	g_assert_cmpint(
		run_ctl_err(from,
			    (const char *const[]){"migrate", NAME, vmem_testbed_get_uri(to),
						  "--xml", file, "--migrate-uri", MIGRATE_URI,
						  "--persistent", "--json", extra, NULL},
			    &out, ret_err),
		==, EXIT_OK);
	g_unlink(file);
	root = json_tokener_parse(out);
	g_assert_nonnull(root);
	f.guest = vmem_test_guest_follow(f.guest, to, &error);
	g_assert_no_error(error);
	return root;
}

/* A migration that fails (the memory is to go to an address of no host here)
 * leaves the guest running on A as it was, and virtmemd's automation of
 * it resumed; asked to squeeze, the guest is squeezed by the agent's report
 * that virtmemd (which holds the agent's channel) publishes, and gets its
 * request back after the failure */
static void
test_refused(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *xml = vmem_test_guest_dest_xml(f.guest, f.b, &error);
	g_autofree char *file = g_build_filename(f.dir, "dest.xml", NULL);
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;
	g_autofree char *automation = NULL;
	guint64 requested, current, kib = 0;

	g_assert_no_error(error);
	automation = get_automation();
	g_assert_cmpstr(automation, ==, "manual");
	g_assert_true(g_file_set_contents(file, xml, -1, &error));
	g_assert_cmpint(
		run_ctl_err(f.a,
			    (const char *const[]){"migrate", NAME, vmem_testbed_get_uri(f.b),
						  "--xml", file, "--migrate-uri", "tcp://192.0.2.1",
						  "--squeeze", NULL},
			    &out, &err),
		==, EXIT_ERROR);
	g_unlink(file);
	g_assert_nonnull(strstr(out, "virtmemd holds its decisions for " NAME));
	g_assert_nonnull(strstr(out, "squeezed from 1 GiB to"));
	g_assert_true(vmem_test_guest_is_running(f.guest));
	g_assert_true(vmem_test_guest_wait_current(f.guest, ALIAS, PLUGGED_MIB * 1024, 60, &error));
	g_assert_no_error(error);
	g_assert_true(vmem_test_guest_wait_settled(f.guest, ALIAS, 2, 60, &kib, &error));
	g_assert_cmpuint(kib, ==, PLUGGED_MIB * 1024);
	g_clear_pointer(&automation, g_free);
	automation = get_automation();
	g_assert_cmpstr(automation, ==, "manual");
	get_sizes(&requested, &current);
	g_assert_cmpuint(requested, ==, PLUGGED_MIB * MIB);
	g_assert_cmpuint(current, ==, PLUGGED_MIB * MIB);
	assert_same_guest();
}

/* A guest with 1 GiB of its 4 GiB device plugged and 256 MiB of data
 * written migrates from A to B: same sizes, policy, data and boot; about
 * base + plugged transferred */
static void
test_plain(void)
{
	g_autoptr(json_object) report = NULL;
	g_autofree char *policy = NULL;
	g_autofree char *err = NULL;
	guint64 requested, current, sent, limit, whole;
	json_object *dev;

	get_sizes(&requested, &current);
	g_assert_cmpuint(requested, ==, PLUGGED_MIB * MIB);
	g_assert_cmpuint(current, ==, PLUGGED_MIB * MIB);
	report = migrate(f.a, f.b, "--undefine-source", &err);

	/* virtmemd on A held its automation of the domain meanwhile */
	g_assert_true(json_object_get_boolean(field(report, "daemon_paused")));
	g_assert_false(json_object_get_boolean(field(report, "live")));
	g_assert_true(json_object_get_boolean(field(report, "devices_arrived")));
	g_assert_true(json_object_get_boolean(field(report, "policy_arrived")));
	dev = json_object_array_get_idx(field(report, "devices"), 0);
	g_assert_cmpuint(field_u64(dev, "requested_after"), ==, PLUGGED_MIB * MIB);
	g_assert_cmpuint(field_u64(dev, "plugged_after"), ==, PLUGGED_MIB * MIB);
	/* about base + plugged, clearly below base + the device's size */
	g_assert_true(json_object_get_boolean(field(report, "stats_known")));
	sent = field_u64(report, "transferred");
	limit = field_u64(report, "limit");
	whole = field_u64(report, "whole");
	g_test_message("transferred %" G_GUINT64_FORMAT " MiB; base + plugged %" G_GUINT64_FORMAT
		       " MiB; base + device %" G_GUINT64_FORMAT " MiB",
		       sent / MIB, limit / MIB, whole / MIB);
	g_assert_cmpuint(limit, ==, (BASE_MIB + PLUGGED_MIB) * MIB);
	g_assert_cmpuint(whole, ==, (BASE_MIB + DEVICE_MIB) * MIB);
	/* libvirt's total adds the ROMs and video memory */
	g_assert_cmpuint(field_u64(report, "memory_total"), >=, whole);
	g_assert_cmpuint(field_u64(report, "memory_total"), <=, whole + 64 * MIB);
	g_assert_cmpuint(sent, >=, DATA_MIB * MIB);
	g_assert_cmpuint(sent, <=, limit + limit / 20);
	g_assert_cmpuint(sent, <, whole / 2);

	/* on B, by libvirt's own account */
	get_sizes(&requested, &current);
	g_assert_cmpuint(requested, ==, PLUGGED_MIB * MIB);
	g_assert_cmpuint(current, ==, PLUGGED_MIB * MIB);
	policy = get_policy();
	g_assert_cmpstr(policy, ==, f.policy);
	assert_same_guest();
	/* a new console on B: the guest did not boot there (nor panic) */
	g_assert_cmpuint(vmem_test_guest_console_boots(f.guest), ==, 0);
}

/* On B (no virtmemd), a squeeze before a migration that fails: the guest
 * gets its request back and plugs it again */
static void
test_refused_squeezed(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *xml = vmem_test_guest_dest_xml(f.guest, f.a, &error);
	g_autofree char *file = g_build_filename(f.dir, "dest.xml", NULL);
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;
	guint64 requested, current, kib = 0;

	g_assert_no_error(error);
	g_assert_true(g_file_set_contents(file, xml, -1, &error));
	g_assert_cmpint(
		run_ctl_err(f.b,
			    (const char *const[]){"migrate", NAME, vmem_testbed_get_uri(f.a),
						  "--xml", file, "--migrate-uri", "tcp://192.0.2.1",
						  "--squeeze", NULL},
			    &out, &err),
		==, EXIT_ERROR);
	g_unlink(file);
	g_assert_nonnull(strstr(out, "squeezed from 1 GiB to"));
	g_assert_true(vmem_test_guest_is_running(f.guest));
	g_assert_true(vmem_test_guest_wait_current(f.guest, ALIAS, PLUGGED_MIB * 1024, 60, &error));
	g_assert_no_error(error);
	g_assert_true(vmem_test_guest_wait_settled(f.guest, ALIAS, 2, 60, &kib, &error));
	g_assert_cmpuint(kib, ==, PLUGGED_MIB * 1024);
	get_sizes(&requested, &current);
	g_assert_cmpuint(requested, ==, PLUGGED_MIB * MIB);
	assert_same_guest();
}

/* Back from B to A with --squeeze: the guest leaves squeezed, and A grows
 * it back to the 1 GiB it requested before */
static void
test_squeeze(void)
{
	g_autoptr(json_object) report = NULL;
	g_autofree char *policy = NULL;
	guint64 requested, current, sent, squeezed;
	json_object *squeeze;

	report = migrate(f.b, f.a, "--squeeze", NULL);
	/* B has no virtmemd */
	g_assert_false(json_object_get_boolean(field(report, "daemon_paused")));
	squeeze = field(report, "squeeze");
	g_test_message("squeezed %s from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT " MiB",
		       json_object_get_string(field(squeeze, "outcome")),
		       field_u64(squeeze, "plugged_before") / MIB,
		       field_u64(squeeze, "plugged_after") / MIB);
	g_assert_cmpuint(field_u64(squeeze, "requested_before"), ==, PLUGGED_MIB * MIB);
	squeezed = field_u64(squeeze, "plugged_after");
	g_assert_cmpuint(squeezed, <, PLUGGED_MIB * MIB);
	g_assert_cmpuint(field_u64(report, "plugged"), ==, squeezed);
	g_assert_true(json_object_get_boolean(field(report, "devices_arrived")));
	g_assert_true(json_object_get_boolean(field(report, "policy_arrived")));
	sent = field_u64(report, "transferred");
	g_test_message("transferred %" G_GUINT64_FORMAT " MiB; base + squeezed %" G_GUINT64_FORMAT
		       " MiB",
		       sent / MIB, field_u64(report, "limit") / MIB);
	g_assert_cmpuint(sent, >=, DATA_MIB * MIB);
	g_assert_cmpuint(sent, <=, BASE_MIB * MIB + squeezed + 64 * MIB);
	/* grown back on A */
	g_assert_cmpuint(field_u64(report, "remembered"), ==, PLUGGED_MIB * MIB);
	g_assert_cmpstr(json_object_get_string(field(report, "regrow_state")), ==, "converged");
	g_assert_cmpuint(field_u64(report, "requested_after"), ==, PLUGGED_MIB * MIB);
	g_assert_cmpuint(field_u64(report, "plugged_after"), ==, PLUGGED_MIB * MIB);
	get_sizes(&requested, &current);
	g_assert_cmpuint(requested, ==, PLUGGED_MIB * MIB);
	g_assert_cmpuint(current, ==, PLUGGED_MIB * MIB);
	policy = get_policy();
	g_assert_cmpstr(policy, ==, f.policy);
	assert_same_guest();
}

/* Random data in tmpfs, which the migration must carry: 8 MiB from urandom
 * (slow under TCG) repeated */
static void
write_data(void)
{
	g_autofree char *cmd = g_strdup_printf(
		"dd if=/dev/urandom of=/hold/seed bs=1M count=8 2>/dev/null && rm -f /hold/data "
		"&& for i in $(seq %d); do cat /hold/seed >> /hold/data; done && rm /hold/seed",
		DATA_MIB / 8);

	g_free(vmem_test_guest_output(f.guest, cmd));
	f.checksum = vmem_test_guest_output(f.guest, "md5sum < /hold/data");
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	VmemTestGuestConfig config;
	guint64 kib = 0;
	int rc;

	g_test_init(&argc, &argv, NULL);
	f.a = vmem_testbed_new(VMEM_TESTBED_DAEMON, &error);
	g_assert_no_error(error);
	f.b = vmem_testbed_new(VMEM_TESTBED_DAEMON, &error);
	g_assert_no_error(error);
	vmem_test_guest_config_init(&config);
	config.node_base_mib = BASE_MIB;
	config.device_mib = DEVICE_MIB;
	config.requested_mib = PLUGGED_MIB;
	f.guest = vmem_test_guest_new(f.a, NAME, &config, &error);
	g_assert_no_error(error);
	f.dir = g_dir_make_tmp("virtmem-migrate-XXXXXX", NULL);
	g_assert_true(vmem_test_guest_start(f.guest, &error));
	g_assert_no_error(error);
	g_assert_true(vmem_test_guest_wait_current(f.guest, ALIAS, PLUGGED_MIB * 1024, 60, &error));
	g_assert_no_error(error);
	g_assert_true(vmem_test_guest_wait_settled(f.guest, ALIAS, 2, 60, &kib, &error));
	g_assert_cmpuint(kib, ==, PLUGGED_MIB * 1024);
	f.boot_id = vmem_test_guest_output(f.guest, "cat /proc/sys/kernel/random/boot_id");
	write_data();
	g_assert_cmpint(run_ctl(f.a,
				(const char *const[]){"policy", "set", NAME, "--buffer", "30",
						      "--min", "256M", "--live", NULL},
				NULL),
			==, EXIT_OK);
	f.policy = get_policy();
	g_test_message("policy: %s", f.policy);

	/* virtmemd manages the domain on A, in manual mode */
	f.bus = vmem_test_bus_new(g_getenv("VIRTMEM_BUS_POLICY"), &error);
	g_assert_no_error(error);
	g_setenv("DBUS_SYSTEM_BUS_ADDRESS", vmem_test_bus_get_address(f.bus), TRUE);
	f.daemon = vmem_test_daemon_new("tick=1\n", &error);
	g_assert_no_error(error);
	g_assert_true(vmem_test_daemon_start(f.daemon, f.bus, vmem_testbed_get_uri(f.a), &error));
	g_assert_no_error(error);
	g_assert_true(vmem_test_virtmemd_wait_domain(vmem_test_bus_get_connection(f.bus), NAME, 60,
						     &f.daemon_path, &error));
	g_assert_no_error(error);

	/* in this order: one guest goes from A to B and back */
	g_test_add_func("/vm/migrate/refused", test_refused);
	g_test_add_func("/vm/migrate/plain", test_plain);
	g_test_add_func("/vm/migrate/refused-squeezed", test_refused_squeezed);
	g_test_add_func("/vm/migrate/squeeze", test_squeeze);
	rc = g_test_run();

	g_clear_pointer(&f.daemon, vmem_test_daemon_free);
	vmem_test_bus_free(f.bus);
	g_rmdir(f.dir);
	g_free(f.dir);
	g_free(f.boot_id);
	g_free(f.checksum);
	g_free(f.policy);
	g_free(f.daemon_path);
	vmem_testbed_free(f.b);
	vmem_testbed_free(f.a);
	g_assert_true(vmem_testbed_all_processes_gone());
	return rc;
}
