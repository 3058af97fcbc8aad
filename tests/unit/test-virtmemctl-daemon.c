/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemctl as virtmemd's client, the pure part: which daemon serves
 * which URI, finding a domain among the managed objects, the figures taken
 * from a domain's properties, and `status` for people and as JSON.  And
 * the built virtmemctl where no daemon runs (argv[1]).
 */
#include "config.h"

#include "virtmemctl-daemon-view.h"
#include "vmem-json.h"
#include "vmem-test-run.h"

#define MIB (G_GUINT64_CONSTANT(1024) * 1024)
#define UUID "5e72a3bc-9dbe-425b-bd38-62387a146656"
#define UUID_PATH "5e72a3bc_9dbe_425b_bd38_62387a146656"

static const char *virtmemctl;

/* A domain's org.virtmem.Domain1 properties as virtmemd publishes them */
static const char domain_props[] =
	"{'Name': <'vm1'>, 'UUID': <'" UUID "'>, 'State': <'running'>, "
	"'Devices': <[('ua-vmem0', uint32 0, uint64 2097152, uint64 4294967296, "
	"uint64 536870912, uint64 268435456), ('ua-vmem1', uint32 1, uint64 2097152, "
	"uint64 4294967296, uint64 536870912, uint64 536870912)]>, "
	"'Policy': <{'mode': <'auto'>, 'cooldown-grow': <uint32 1>, 'max': <uint64 "
	"8589934592>, 'squeeze': <true>}>, 'Automation': <'override'>, "
	"'GuestSource': <'agent'>, 'GuestTotal': <uint64 2147483648>, "
	"'GuestAvailable': <uint64 1073741824>, 'GuestPsi': <(0.5, 0.25)>, "
	"'GuestReportAge': <1.25>, 'JobState': <'plugging'>, "
	"'LastDecision': <(1790000000.0, uint64 0, uint64 1073741824, 'resize', "
	"'requested by an administrator')>, 'PluggedGiBHours': <0.125>}";

static GVariant *
parse(const char *text)
{
	g_autoptr(GError) error = NULL;
	GVariant *v = g_variant_parse(NULL, text, NULL, NULL, &error);

	g_assert_no_error(error);
	return v;
}

static void
test_uri(void)
{
	/* an empty Uri is libvirt's default, which virtmemd connects to */
	g_assert_true(vmem_ctl_daemon_uri_matches("", "qemu:///system"));
	g_assert_false(vmem_ctl_daemon_uri_matches("", "qemu:///session"));
	g_assert_true(vmem_ctl_daemon_uri_matches("qemu+unix:///system?socket=/s",
						  "qemu+unix:///system?socket=/s"));
	g_assert_false(vmem_ctl_daemon_uri_matches("qemu:///system", "test:///default"));
	g_assert_false(vmem_ctl_daemon_uri_matches("qemu:///system", NULL));
}

static void
test_find(void)
{
	g_autofree char *text = g_strdup_printf(
		"{objectpath '/org/virtmem/Manager1/domain/other': {'org.freedesktop.DBus.Peer': "
		"@a{sv} {}}, '/org/virtmem/Manager1/domain/" UUID_PATH "': {'org.virtmem.Domain1': "
		"%s}}",
		domain_props);
	g_autoptr(GVariant) objects = parse(text);
	g_autoptr(GVariant) by_name = NULL;
	g_autoptr(GVariant) by_uuid = NULL;
	g_autoptr(GVariant) none = NULL;
	g_autofree char *path = NULL;
	const char *name = NULL;

	by_name = vmem_ctl_daemon_find_domain(objects, "vm1", &path);
	g_assert_nonnull(by_name);
	g_assert_cmpstr(path, ==, "/org/virtmem/Manager1/domain/" UUID_PATH);
	/* a UUID in any case, as virsh takes it */
	by_uuid =
		vmem_ctl_daemon_find_domain(objects, "5E72A3BC-9DBE-425B-BD38-62387A146656", NULL);
	g_assert_nonnull(by_uuid);
	g_assert_true(g_variant_lookup(by_uuid, "Name", "&s", &name));
	g_assert_cmpstr(name, ==, "vm1");
	none = vmem_ctl_daemon_find_domain(objects, "VM1", NULL);
	g_assert_null(none);
}

static void
test_figures(void)
{
	g_autoptr(GVariant) props = parse(domain_props);
	g_autoptr(GVariant) empty = parse("@a{sv} {'GuestReportAge': <-1.0>}");
	guint64 requested, plugged;
	VmemJobAgentFacts facts;
	VmemJobState state;

	vmem_ctl_daemon_get_sizes(props, &requested, &plugged);
	g_assert_cmpuint(requested, ==, 1024 * MIB);
	g_assert_cmpuint(plugged, ==, 768 * MIB);

	vmem_ctl_daemon_guest_facts(props, &facts);
	g_assert_true(facts.valid);
	g_assert_cmpint(facts.age_us, ==, 1250000);
	g_assert_cmpuint(facts.mem_total, ==, 2048 * MIB);
	g_assert_cmpuint(facts.mem_available, ==, 1024 * MIB);
	g_assert_cmpuint(facts.mem_used, ==, 1024 * MIB);
	/* MemTotal without what QEMU says is plugged */
	g_assert_cmpuint(facts.base, ==, 1280 * MIB);
	/* no report: nothing to check a shrink by */
	vmem_ctl_daemon_guest_facts(empty, &facts);
	g_assert_false(facts.valid);

	g_assert_true(vmem_ctl_daemon_job_state_from_string("stuck unplug", &state));
	g_assert_cmpint(state, ==, VMEM_JOB_STUCK_UNPLUG);
	g_assert_true(vmem_ctl_daemon_job_state_from_string("converged", &state));
	g_assert_cmpint(state, ==, VMEM_JOB_CONVERGED);
	g_assert_false(vmem_ctl_daemon_job_state_from_string("idle", &state));
}

static void
test_text(void)
{
	g_autoptr(GVariant) props = parse(domain_props);
	g_autoptr(GVariant) manager =
		parse("{'Version': <'0.1.0'>, 'Uri': <''>, 'Connected': <true>, 'Tick': <1.0>, "
		      "'HostAvailable': <uint64 17179869184>, 'HostReserve': <uint64 "
		      "2147483648>, 'HostPressure': <''>}");
	g_autoptr(GVariant) silent = parse("@a{sv} {'GuestTotal': <uint64 0>}");
	g_autofree char *domain = vmem_ctl_daemon_format_domain(props);
	g_autofree char *head = vmem_ctl_daemon_format_manager(manager);
	g_autofree char *guest = vmem_ctl_daemon_format_guest(silent);

	g_assert_cmpstr(head, ==,
			"virtmemd 0.1.0 on qemu:///system: connected, a decision every 1 s\n"
			"Host: 16 GiB available, 2 GiB reserve, no pressure\n");
	g_assert_cmpstr(
		domain, ==,
		"Domain vm1 (running), UUID " UUID "\n"
		"  Automation: override (a resize holds until “virtmemctl resize vm1 --resume”)\n"
		"  Device ua-vmem0 (node 0, 4 GiB, block 2 MiB): requested 512 MiB, plugged 256 "
		"MiB\n"
		"  Device ua-vmem1 (node 1, 4 GiB, block 2 MiB): requested 512 MiB, plugged 512 "
		"MiB\n"
		"  Guest: 2 GiB total, 1 GiB available, pressure some 0.50%, full 0.25% (from the "
		"agent, 1.2 s old)\n"
		"  Job: plugging\n"
		"  Last decision: 2026-09-21 14:13:20, resize 0 B → 1 GiB: requested by an "
		"administrator\n"
		"  Plugged: 0.1250 GiB-hours\n");
	g_assert_cmpstr(guest, ==, "no report yet");
}

static void
test_json(void)
{
	g_autoptr(GVariant) props = parse(domain_props);
	g_autoptr(json_object) obj = vmem_ctl_daemon_domain_to_json(props);
	json_object *policy = json_object_object_get(obj, "policy");
	json_object *guest = json_object_object_get(obj, "guest");
	json_object *last = json_object_object_get(obj, "last_decision");
	json_object *dev = json_object_array_get_idx(json_object_object_get(obj, "devices"), 0);

	g_assert_cmpstr(json_object_get_string(json_object_object_get(obj, "automation")), ==,
			"override");
	/* snake_case keys, sizes in bytes */
	g_assert_cmpint(json_object_get_int(json_object_object_get(policy, "cooldown_grow")), ==,
			1);
	g_assert_cmpuint(json_object_get_uint64(json_object_object_get(policy, "max")), ==,
			 8192 * MIB);
	g_assert_true(json_object_get_boolean(json_object_object_get(policy, "squeeze")));
	g_assert_cmpuint(json_object_get_uint64(json_object_object_get(dev, "requested")), ==,
			 512 * MIB);
	g_assert_cmpuint(json_object_get_uint64(json_object_object_get(dev, "plugged")), ==,
			 256 * MIB);
	g_assert_cmpuint(json_object_get_uint64(json_object_object_get(guest, "available")), ==,
			 1024 * MIB);
	g_assert_cmpfloat(json_object_get_double(json_object_object_get(guest, "psi_some_avg10")),
			  ==, 0.5);
	g_assert_cmpuint(json_object_get_uint64(json_object_object_get(last, "to")), ==,
			 1024 * MIB);
	g_assert_cmpstr(json_object_get_string(json_object_object_get(last, "action")), ==,
			"resize");
	g_assert_cmpfloat(json_object_get_double(json_object_object_get(obj, "plugged_gib_hours")),
			  ==, 0.125);
}

/* No bus to reach: status says virtmemd does not run, with its status. */
static void
test_no_daemon(void)
{
	g_auto(VmemTestRun) r = {0};
	const char *argv[] = {"env", "DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/bus",
			      virtmemctl, "status", NULL};

	vmem_test_run(&r, NULL, "C.UTF-8", argv);
	g_assert_cmpint(r.status, ==, 12);
	g_assert_nonnull(strstr(r.err, "virtmemd is not running"));
}

/* resize --resume takes a domain and nothing else */
static void
test_resume_usage(void)
{
	g_auto(VmemTestRun) r = {0};
	const char *argv[] = {virtmemctl, "-c", "test:///default", "resize",
			      "test",	  "1G", "--resume",	   NULL};

	vmem_test_run(&r, NULL, "C.UTF-8", argv);
	g_assert_cmpint(r.status, ==, 2);
	g_assert_nonnull(strstr(r.err, "--resume"));
}

int
main(int argc, char **argv)
{
	g_setenv("TZ", "UTC", TRUE);
	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(argc, ==, 2);
	virtmemctl = argv[1];
	g_test_add_func("/virtmemctl-daemon/uri", test_uri);
	g_test_add_func("/virtmemctl-daemon/find", test_find);
	g_test_add_func("/virtmemctl-daemon/figures", test_figures);
	g_test_add_func("/virtmemctl-daemon/text", test_text);
	g_test_add_func("/virtmemctl-daemon/json", test_json);
	g_test_add_func("/virtmemctl-daemon/no-daemon", test_no_daemon);
	g_test_add_func("/virtmemctl-daemon/resume-usage", test_resume_usage);
	return g_test_run();
}
