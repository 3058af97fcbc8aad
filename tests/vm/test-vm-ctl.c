/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemctl list / show / resize against real guests on a private
 * libvirtd: every outcome of a resize job, as a user sees it (output and
 * exit status).
 */
#include "config.h"

#include <gio/gio.h>
#include <json-c/json.h>

#include "vmem-qmp.h"
#include "vmem-test-qemu.h"
#include "vmem-testbed.h"

#define MIB (G_GUINT64_CONSTANT(1024) * 1024)
#define KIB_PER_MIB G_GUINT64_CONSTANT(1024)

/* virtmemctl(1), EXIT STATUS */
#define EXIT_OK 0
#define EXIT_USAGE 2
#define EXIT_STUCK 4
#define EXIT_NO_DRIVER 5
#define EXIT_BUSY 6
#define EXIT_NOT_RUNNING 7
#define EXIT_UNSAFE 8
#define EXIT_ERROR 9 /* the VMM refused, no such domain or device */

static VmemTestbed *tb;

typedef struct {
	int status;
	char *out;
	char *err;
} CtlResult;

static void
ctl_result_clear(CtlResult *r)
{
	g_clear_pointer(&r->out, g_free);
	g_clear_pointer(&r->err, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CtlResult, ctl_result_clear)

static void
on_communicated(GObject *source, GAsyncResult *result, gpointer user_data)
{
	*(GAsyncResult **)user_data = g_object_ref(result);
}

/* Runs `virtmemctl -c URI ARGS...` and returns its exit status and output.
 * The main loop keeps running meanwhile: libvirtd drops a client whose
 * keepalives go unanswered. */
static void
run_ctl_uri(CtlResult *r, const char *uri, const char *const *args)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocess) proc = NULL;
	g_autoptr(GAsyncResult) result = NULL;

	g_ptr_array_add(argv, (gpointer)g_getenv("VIRTMEMCTL"));
	g_ptr_array_add(argv, (gpointer) "-c");
	g_ptr_array_add(argv, (gpointer)uri);
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	g_assert_nonnull(argv->pdata[0]);
	proc = g_subprocess_newv((const char *const *)argv->pdata,
				 G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
				 &error);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8_async(proc, NULL, NULL, on_communicated, &result);
	while (result == NULL)
		g_main_context_iteration(NULL, TRUE);
	g_subprocess_communicate_utf8_finish(proc, result, &r->out, &r->err, &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_get_if_exited(proc));
	r->status = g_subprocess_get_exit_status(proc);
	g_test_message("virtmemctl %s %s -> %d\n%s%s", args[0], args[1] ? args[1] : "", r->status,
		       r->out, r->err);
}

static void
run_ctl(CtlResult *r, const char *const *args)
{
	run_ctl_uri(r, vmem_testbed_get_uri(tb), args);
}

static VmemTestGuest *
boot(const char *name, const VmemTestGuestConfig *config)
{
	g_autoptr(GError) error = NULL;
	VmemTestGuest *guest = vmem_test_guest_new(tb, name, config, &error);

	g_assert_no_error(error);
	g_assert_true(vmem_test_guest_start(guest, &error));
	g_assert_no_error(error);
	return guest;
}

/* The devices of `show --json`, alias -> object */
static json_object *
show_json(const char *name)
{
	g_auto(CtlResult) r = {0};
	json_object *root;

	run_ctl(&r, (const char *const[]){"show", name, "--json", NULL});
	g_assert_cmpint(r.status, ==, EXIT_OK);
	root = json_tokener_parse(r.out);
	g_assert_nonnull(root);
	return root;
}

static json_object *
show_device(json_object *root, guint i)
{
	json_object *devices = NULL;

	g_assert_true(json_object_object_get_ex(root, "devices", &devices));
	g_assert_cmpuint(json_object_array_length(devices), >, i);
	return json_object_array_get_idx(devices, i);
}

/* `show --json` once QEMU's figures caught up: `resize --wait` ends as soon
 * as the guest agent reports the memory online, while QEMU tells the
 * plugged size at most once a second. */
static json_object *
show_json_settled(const char *name)
{
	for (guint attempt = 0;; attempt++) {
		json_object *root = show_json(name);
		json_object *devices = NULL;
		gboolean settled = TRUE;

		g_assert_true(json_object_object_get_ex(root, "devices", &devices));
		for (gsize i = 0; i < json_object_array_length(devices); i++) {
			json_object *dev = json_object_array_get_idx(devices, i);
			json_object *requested = NULL, *plugged = NULL;

			g_assert_true(json_object_object_get_ex(dev, "requested", &requested));
			g_assert_true(json_object_object_get_ex(dev, "plugged", &plugged));
			settled &= json_object_get_uint64(requested) ==
				   json_object_get_uint64(plugged);
		}
		if (settled || attempt == 25)
			return root;
		json_object_put(root);
		g_usleep(200 * 1000);
	}
}

/* The member @key of @obj, which must be there (maybe null) */
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

static const char *
field_str(json_object *obj, const char *key)
{
	return json_object_get_string(field(obj, key));
}

static void
test_resize_wait(void)
{
	g_auto(CtlResult) list = {0};
	g_auto(CtlResult) grow = {0};
	g_auto(CtlResult) shrink = {0};
	g_autoptr(GError) error = NULL;
	VmemTestGuestConfig config;
	VmemTestGuest *guest;
	json_object *root, *dev;
	guint64 base = 0, total = 0;

	vmem_test_guest_config_init(&config);
	guest = boot("ctl-resize", &config);
	g_assert_true(vmem_test_guest_meminfo(guest, "MemTotal", &base, &error));

	run_ctl(&list, (const char *const[]){"list", NULL});
	g_assert_cmpint(list.status, ==, EXIT_OK);
	g_assert_nonnull(strstr(list.out, "ctl-resize"));

	run_ctl(&grow, (const char *const[]){"resize", "ctl-resize", "1GiB", "--wait", NULL});
	g_assert_cmpint(grow.status, ==, EXIT_OK);
	root = show_json_settled("ctl-resize");
	dev = show_device(root, 0);
	g_assert_cmpstr(field_str(dev, "alias"), ==, "ua-vmem0");
	g_assert_cmpuint(field_u64(dev, "requested"), ==, 1024 * MIB);
	g_assert_cmpuint(field_u64(dev, "plugged"), ==, 1024 * MIB);
	g_assert_cmpuint(field_u64(dev, "block_size"), ==, 2 * MIB);
	g_assert_cmpstr(field_str(dev, "job"), ==, "converged");
	json_object_put(root);
	g_assert_true(vmem_test_guest_meminfo(guest, "MemTotal", &total, &error));
	g_assert_cmpuint(total, ==, base + 1024 * KIB_PER_MIB);

	/* A bare number is KiB, like virsh update-memory-device
	 * --requested-size: 262144 is 256 MiB. */
	run_ctl(&shrink, (const char *const[]){"resize", "ctl-resize", "262144", "--wait", NULL});
	g_assert_cmpint(shrink.status, ==, EXIT_OK);
	g_assert_true(vmem_test_guest_meminfo(guest, "MemTotal", &total, &error));
	g_assert_cmpuint(total, ==, base + 256 * KIB_PER_MIB);

	vmem_test_guest_destroy(guest);
}

static void
test_two_nodes(void)
{
	g_auto(CtlResult) one = {0};
	g_auto(CtlResult) all = {0};
	g_auto(CtlResult) bad = {0};
	g_auto(CtlResult) unaligned = {0};
	g_auto(CtlResult) unaligned_one = {0};
	g_auto(CtlResult) negative_node = {0};
	VmemTestGuestConfig config;
	VmemTestGuest *guest;
	json_object *root;

	vmem_test_guest_config_init(&config);
	config.n_nodes = 2;
	config.device_mib = 1024;
	guest = boot("ctl-numa", &config);

	run_ctl(&one, (const char *const[]){"resize", "ctl-numa", "512M", "--alias", "ua-vmem1",
					    "--wait", NULL});
	g_assert_cmpint(one.status, ==, EXIT_OK);
	root = show_json_settled("ctl-numa");
	g_assert_cmpuint(field_u64(show_device(root, 0), "requested"), ==, 0);
	g_assert_cmpuint(field_u64(show_device(root, 1), "requested"), ==, 512 * MIB);
	g_assert_cmpuint(field_u64(show_device(root, 1), "plugged"), ==, 512 * MIB);
	json_object_put(root);

	/* The total is split across both nodes. */
	run_ctl(&all, (const char *const[]){"resize", "ctl-numa", "1GiB", "--wait", NULL});
	g_assert_cmpint(all.status, ==, EXIT_OK);
	root = show_json_settled("ctl-numa");
	g_assert_cmpuint(field_u64(show_device(root, 0), "plugged"), ==, 512 * MIB);
	g_assert_cmpuint(field_u64(show_device(root, 1), "plugged"), ==, 512 * MIB);
	json_object_put(root);

	/* Above what the devices can give: refused with the reachable range. */
	run_ctl(&bad, (const char *const[]){"resize", "ctl-numa", "3GiB", NULL});
	g_assert_cmpint(bad.status, ==, EXIT_ERROR);
	g_assert_nonnull(strstr(bad.err, "2 GiB"));

	/* Not a whole number of blocks: refused with the nearest sizes that
	 * are, not rounded down behind the user's back (1GB was 952 MiB). */
	run_ctl(&unaligned, (const char *const[]){"resize", "ctl-numa", "1GB", NULL});
	g_assert_cmpint(unaligned.status, ==, EXIT_ERROR);
	g_assert_nonnull(strstr(unaligned.err, "Resize to 952M or 954M instead."));
	run_ctl(&unaligned_one,
		(const char *const[]){"resize", "ctl-numa", "3M", "--node", "1", NULL});
	g_assert_cmpint(unaligned_one.status, ==, EXIT_ERROR);
	g_assert_nonnull(strstr(unaligned_one.err, "Resize it to 2M or 4M instead."));
	/* --node -1 selected no node: every device was resized */
	run_ctl(&negative_node,
		(const char *const[]){"resize", "ctl-numa", "0", "--node", "-1", NULL});
	g_assert_cmpint(negative_node.status, ==, EXIT_USAGE);
	root = show_json("ctl-numa");
	g_assert_cmpuint(field_u64(show_device(root, 0), "requested"), ==, 512 * MIB);
	g_assert_cmpuint(field_u64(show_device(root, 1), "requested"), ==, 512 * MIB);
	json_object_put(root);

	vmem_test_guest_destroy(guest);
}

static void
test_stuck_unplug(void)
{
	g_auto(CtlResult) grow = {0};
	g_auto(CtlResult) unsafe = {0};
	g_auto(CtlResult) stuck = {0};
	g_auto(CtlResult) done = {0};
	g_autoptr(GError) error = NULL;
	VmemTestGuestConfig config;
	VmemTestGuest *guest;
	guint64 requested = 0;

	vmem_test_guest_config_init(&config);
	guest = boot("ctl-stuck", &config);
	run_ctl(&grow, (const char *const[]){"resize", "ctl-stuck", "1GiB", "--wait", NULL});
	g_assert_cmpint(grow.status, ==, EXIT_OK);
	g_assert_true(vmem_test_guest_hold(guest, 700, &error));
	g_assert_no_error(error);

	/* The agent reports the guest uses that memory: refused... */
	run_ctl(&unsafe, (const char *const[]){"resize", "ctl-stuck", "256M", "--wait", NULL});
	g_assert_cmpint(unsafe.status, ==, EXIT_UNSAFE);
	g_assert_nonnull(strstr(unsafe.err, "force the shrink"));
	g_assert_true(vmem_test_guest_get_sizes(guest, "ua-vmem0", &requested, NULL, &error));
	g_assert_cmpuint(requested, ==, 1024 * KIB_PER_MIB);

	/* ... unless forced, and then the unplug gets stuck. */
	run_ctl(&stuck,
		(const char *const[]){"resize", "ctl-stuck", "256M", "--wait", "--force", NULL});
	g_assert_cmpint(stuck.status, ==, EXIT_STUCK);
	g_assert_nonnull(strstr(stuck.err, "is stuck"));
	g_assert_true(vmem_test_guest_is_running(guest));

	g_assert_true(vmem_test_guest_release(guest, &error));
	run_ctl(&done, (const char *const[]){"resize", "ctl-stuck", "256M", "--wait", NULL});
	g_assert_cmpint(done.status, ==, EXIT_OK);

	vmem_test_guest_destroy(guest);
}

/* Without online_movable, plugged memory is ZONE_NORMAL, and with the
 * boot memory all in DMA32 the kernel's own allocations land in it: an
 * unplug to 0 gets stuck, and the agent predicted it. */
static void
test_stuck_zone_normal(void)
{
	g_auto(CtlResult) grow = {0};
	g_auto(CtlResult) show = {0};
	g_auto(CtlResult) stuck = {0};
	VmemTestGuestConfig config;
	VmemTestGuest *guest;

	vmem_test_guest_config_init(&config);
	config.online_movable = FALSE;
	guest = boot("ctl-normal", &config);
	run_ctl(&grow, (const char *const[]){"resize", "ctl-normal", "2G", "--wait", NULL});
	g_assert_cmpint(grow.status, ==, EXIT_OK);
	run_ctl(&show, (const char *const[]){"show", "ctl-normal", NULL});
	g_assert_nonnull(strstr(show.out, "unplug may get stuck"));

	run_ctl(&stuck,
		(const char *const[]){"resize", "ctl-normal", "0", "--wait", "--force", NULL});
	g_assert_cmpint(stuck.status, ==, EXIT_STUCK);
	g_assert_nonnull(strstr(stuck.err, "is stuck"));
	g_assert_true(vmem_test_guest_is_running(guest));
	vmem_test_guest_destroy(guest);
}

static void
test_no_driver(void)
{
	g_auto(CtlResult) r = {0};
	VmemTestGuestConfig config;
	VmemTestGuest *guest;

	vmem_test_guest_config_init(&config);
	config.virtio_mem_driver = FALSE;
	guest = boot("ctl-nodriver", &config);
	run_ctl(&r, (const char *const[]){"resize", "ctl-nodriver", "256M", "--wait", NULL});
	g_assert_cmpint(r.status, ==, EXIT_NO_DRIVER);
	g_assert_nonnull(strstr(r.err, "virtio_mem driver"));
	vmem_test_guest_destroy(guest);
}

static void
test_errors(void)
{
	g_auto(CtlResult) unknown = {0};
	g_auto(CtlResult) usage = {0};
	g_auto(CtlResult) alias = {0};
	g_auto(CtlResult) paused = {0};
	g_auto(CtlResult) paused_agent = {0};
	g_auto(CtlResult) negative = {0};
	g_autofree char *id = NULL;
	char uuid[VIR_UUID_STRING_BUFLEN];
	VmemTestGuestConfig config;
	VmemTestGuest *guest;
	json_object *root;

	run_ctl(&unknown, (const char *const[]){"show", "no-such-domain", NULL});
	g_assert_cmpint(unknown.status, ==, EXIT_ERROR);
	g_assert_nonnull(strstr(unknown.err, "no-such-domain"));
	run_ctl(&usage, (const char *const[]){"resize", "x", "12 parsecs", NULL});
	g_assert_cmpint(usage.status, ==, EXIT_USAGE);
	/* a negative size, not an unknown option "-1" */
	run_ctl(&negative, (const char *const[]){"resize", "x", "-1", NULL});
	g_assert_cmpint(negative.status, ==, EXIT_USAGE);
	g_assert_nonnull(strstr(negative.err, "The size “-1” is negative"));

	vmem_test_guest_config_init(&config);
	guest = boot("ctl-errors", &config);
	run_ctl(&alias,
		(const char *const[]){"resize", "ctl-errors", "1G", "--alias", "nope", NULL});
	g_assert_cmpint(alias.status, ==, EXIT_ERROR);
	g_assert_nonnull(strstr(alias.err, "nope"));

	/* By id and by UUID, like virsh; the output names the domain. */
	id = g_strdup_printf("%u", virDomainGetID(vmem_test_guest_get_domain(guest)));
	g_assert_cmpint(virDomainGetUUIDString(vmem_test_guest_get_domain(guest), uuid), ==, 0);
	root = show_json(id);
	g_assert_cmpstr(field_str(root, "name"), ==, "ctl-errors");
	json_object_put(root);
	root = show_json(uuid);
	g_assert_cmpstr(field_str(root, "name"), ==, "ctl-errors");
	json_object_put(root);

	/* A paused guest cannot plug: said at once, not waited for. */
	g_assert_cmpint(virDomainSuspend(vmem_test_guest_get_domain(guest)), ==, 0);
	run_ctl(&paused, (const char *const[]){"resize", "ctl-errors", "256M", "--wait", NULL});
	g_assert_cmpint(paused.status, ==, EXIT_NOT_RUNNING);
	g_assert_nonnull(strstr(paused.err, "not running"));
	/* The agent of a paused guest cannot answer: said so, not a timeout. */
	run_ctl(&paused_agent, (const char *const[]){"agent", "ctl-errors", NULL});
	g_assert_cmpint(paused_agent.status, ==, EXIT_ERROR);
	g_assert_nonnull(strstr(paused_agent.err, "Domain ctl-errors is paused"));

	/* Its agent is not asked: no report, and no error either. */
	root = show_json("ctl-errors");
	g_assert_cmpstr(field_str(root, "state"), ==, "paused");
	g_assert_null(field(root, "agent"));
	g_assert_null(field(root, "agent_error"));
	json_object_put(root);
	vmem_test_guest_destroy(guest);
}

/* virsh changes the device; our show sees it. */
static void
test_virsh_interop(void)
{
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;
	g_autoptr(GError) error = NULL;
	VmemTestGuestConfig config;
	VmemTestGuest *guest;
	json_object *root;
	int status = -1;
	const char *argv[] = {"virsh",
			      "-c",
			      vmem_testbed_get_uri(tb),
			      "update-memory-device",
			      "ctl-virsh",
			      "--alias",
			      "ua-vmem0",
			      "--requested-size",
			      "768MiB",
			      "--live",
			      NULL};

	vmem_test_guest_config_init(&config);
	guest = boot("ctl-virsh", &config);
	g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
		     &status, &error);
	g_assert_no_error(error);
	g_assert_true(g_spawn_check_wait_status(status, NULL));
	g_assert_true(
		vmem_test_guest_wait_current(guest, "ua-vmem0", 768 * KIB_PER_MIB, 120, &error));
	g_assert_no_error(error);
	root = show_json("ctl-virsh");
	g_assert_cmpuint(field_u64(show_device(root, 0), "requested"), ==, 768 * MIB);
	g_assert_cmpuint(field_u64(show_device(root, 0), "plugged"), ==, 768 * MIB);
	json_object_put(root);
	vmem_test_guest_destroy(guest);
}

/* virtmemctl agent and show's summary: the guest's own view. */
static void
test_agent(void)
{
	g_auto(CtlResult) grow = {0};
	g_auto(CtlResult) text = {0};
	g_auto(CtlResult) json = {0};
	g_auto(CtlResult) show = {0};
	VmemTestGuestConfig config;
	VmemTestGuest *guest;
	json_object *root, *report, *value;

	vmem_test_guest_config_init(&config);
	guest = boot("ctl-agent", &config);
	run_ctl(&grow, (const char *const[]){"resize", "ctl-agent", "512M", "--wait", NULL});
	g_assert_cmpint(grow.status, ==, EXIT_OK);

	run_ctl(&text, (const char *const[]){"agent", "ctl-agent", NULL});
	g_assert_cmpint(text.status, ==, EXIT_OK);
	g_assert_nonnull(strstr(text.out, "6.12"));
	/* one spelling of sizes, and plural forms: not "1 devices", "128.0 MiB" */
	g_assert_nonnull(strstr(text.out, "virtio_mem driver: loaded, 1 device;"));
	g_assert_nonnull(strstr(text.out, "Memory block size: 128 MiB\n"));
	g_assert_null(strstr(text.out, ".0 MiB"));
	g_assert_null(strstr(text.out, ".0 GiB"));
	g_assert_null(strstr(text.out, "bytes"));

	run_ctl(&json, (const char *const[]){"agent", "ctl-agent", "--json", NULL});
	g_assert_cmpint(json.status, ==, EXIT_OK);
	root = json_tokener_parse(json.out);
	g_assert_nonnull(root);
	g_assert_true(json_object_object_get_ex(root, "report", &report));
	g_assert_true(json_object_object_get_ex(report, "driver_loaded", &value));
	g_assert_true(json_object_get_boolean(value));
	json_object_put(root);

	run_ctl(&show, (const char *const[]){"show", "ctl-agent", NULL});
	g_assert_cmpint(show.status, ==, EXIT_OK);
	g_assert_nonnull(strstr(show.out, "Guest agent: "));

	/* show --json has the same report as agent --json, as data. */
	root = show_json("ctl-agent");
	report = field(root, "agent");
	g_assert_true(json_object_is_type(report, json_type_object));
	g_assert_null(field(root, "agent_error"));
	g_assert_true(json_object_get_boolean(field(report, "driver_loaded")));
	g_assert_cmpuint(field_u64(report, "block_size"), >, 0);
	g_assert_cmpuint(field_u64(field(report, "memory"), "total_kib"), >, 0);
	g_assert_true(json_object_is_type(field(report, "online_bytes"), json_type_int));
	json_object_put(root);
	vmem_test_guest_destroy(guest);
}

/* A domain without the agent's channel: said in a sentence, with the
 * channel to add, instead of libvirt's "cannot find channel". */
static void
test_agent_no_channel(void)
{
	g_auto(CtlResult) agent = {0};
	g_auto(CtlResult) show = {0};
	VmemTestGuestConfig config;
	VmemTestGuest *guest;

	vmem_test_guest_config_init(&config);
	config.agent_port = FALSE;
	guest = boot("ctl-noagent", &config);
	run_ctl(&agent, (const char *const[]){"agent", "ctl-noagent", NULL});
	g_assert_cmpint(agent.status, ==, EXIT_ERROR);
	g_assert_nonnull(strstr(agent.err, "Domain ctl-noagent has no channel for virtmem-agent"));
	g_assert_nonnull(strstr(agent.err, "name='org.virtmem.agent.0'"));
	g_assert_null(strstr(agent.err, "internal error"));
	run_ctl(&show, (const char *const[]){"show", "ctl-noagent", NULL});
	g_assert_cmpint(show.status, ==, EXIT_OK);
	g_assert_nonnull(strstr(show.out, "Guest agent: Domain ctl-noagent has no channel"));
	vmem_test_guest_destroy(guest);
}

/* A reboot unplugs everything; QEMU keeps the request and the guest
 * plugs it again. */
static void
test_reboot_replug(void)
{
	g_auto(CtlResult) grow = {0};
	g_auto(CtlResult) again = {0};
	g_autoptr(GError) error = NULL;
	VmemTestGuestConfig config;
	VmemTestGuest *guest;
	json_object *root;

	vmem_test_guest_config_init(&config);
	config.reboot_restarts = TRUE;
	guest = boot("ctl-reboot", &config);
	run_ctl(&grow, (const char *const[]){"resize", "ctl-reboot", "512M", "--wait", NULL});
	g_assert_cmpint(grow.status, ==, EXIT_OK);

	/* In the background: the answer must leave before the guest goes. */
	g_assert_true(vmem_test_guest_run(guest, "(sleep 1; reboot -f) >/dev/null 2>&1 &", NULL,
					  NULL, &error));
	g_assert_no_error(error);
	g_assert_true(vmem_test_guest_wait_current(guest, "ua-vmem0", 0, 60, &error));
	g_assert_no_error(error);
	root = show_json("ctl-reboot");
	g_assert_cmpuint(field_u64(show_device(root, 0), "requested"), ==, 512 * MIB);
	json_object_put(root);

	run_ctl(&again, (const char *const[]){"resize", "ctl-reboot", "512M", "--wait", NULL});
	g_assert_cmpint(again.status, ==, EXIT_OK);
	g_assert_true(
		vmem_test_guest_wait_current(guest, "ua-vmem0", 512 * KIB_PER_MIB, 60, &error));
	g_assert_no_error(error);
	vmem_test_guest_destroy(guest);
}

/* The same commands on a QEMU run without libvirt, over QMP. */
static void
test_qmp_backend(void)
{
	g_auto(CtlResult) list = {0};
	g_auto(CtlResult) held = {0};
	g_auto(CtlResult) grow = {0};
	g_auto(CtlResult) show = {0};
	g_auto(CtlResult) shrink = {0};
	g_auto(CtlResult) config = {0};
	g_auto(CtlResult) busy = {0};
	g_auto(CtlResult) busy_show = {0};
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemTestQemu) qemu = NULL;
	VmemTestGuestConfig qconfig;
	const char *uri;
	guint64 base = 0, total = 0;

	vmem_test_guest_config_init(&qconfig);
	qemu = vmem_test_qemu_start("ctl-qmp", &qconfig, &error);
	g_assert_no_error(error);
	g_assert_true(vmem_test_qemu_wait_ready(qemu, &error));
	g_assert_no_error(error);
	g_assert_true(vmem_test_qemu_meminfo(qemu, "MemTotal", &base, &error));
	uri = vmem_test_qemu_get_qmp_uri(qemu);

	run_ctl_uri(&list, uri, (const char *const[]){"list", NULL});
	g_assert_cmpint(list.status, ==, EXIT_OK);
	g_assert_nonnull(strstr(list.out, "ctl-qmp"));

	/* QEMU talks to one QMP client per socket: while another one holds it,
	 * as libvirt does with the QEMUs it runs, the connection is accepted
	 * and never greeted, and virtmemctl says where to look. */
	{
		g_autoptr(VmemQmp) holder =
			vmem_qmp_connect(uri + strlen("qmp+unix://"), 5000, &error);

		g_assert_no_error(error);
		run_ctl_uri(&held, uri, (const char *const[]){"list", NULL});
		g_assert_cmpint(held.status, ==, EXIT_ERROR);
		g_assert_nonnull(strstr(held.err, "with its QMP greeting"));
		g_assert_nonnull(
			strstr(held.err, "Is libvirt managing this QEMU? Use its libvirt URI."));
	}
	run_ctl_uri(&grow, uri, (const char *const[]){"resize", "ctl-qmp", "1GiB", "--wait", NULL});
	g_assert_cmpint(grow.status, ==, EXIT_OK);
	g_assert_true(vmem_test_qemu_meminfo(qemu, "MemTotal", &total, &error));
	g_assert_cmpuint(total, ==, base + 1024 * KIB_PER_MIB);
	run_ctl_uri(&show, uri, (const char *const[]){"show", "ctl-qmp", NULL});
	g_assert_cmpint(show.status, ==, EXIT_OK);
	g_assert_nonnull(strstr(show.out, "converged"));
	run_ctl_uri(&shrink, uri,
		    (const char *const[]){"resize", "ctl-qmp", "256M", "--wait", "--live", NULL});
	g_assert_cmpint(shrink.status, ==, EXIT_OK);
	g_assert_true(vmem_test_qemu_meminfo(qemu, "MemTotal", &total, &error));
	g_assert_cmpuint(total, ==, base + 256 * KIB_PER_MIB);

	/* A plain QEMU has no persistent configuration. */
	run_ctl_uri(&config, uri,
		    (const char *const[]){"resize", "ctl-qmp", "0", "--config", NULL});
	g_assert_cmpint(config.status, ==, EXIT_ERROR);
	g_assert_nonnull(strstr(config.err, "--live"));

	/* Migrating: QEMU refuses to plug or unplug, and virtmemctl says so
	 * (a migration throttled to 1 MiB/s into a pipe stays in progress). */
	{
		g_autoptr(VmemQmp) qmp =
			vmem_qmp_connect(uri + strlen("qmp+unix://"), 5000, &error);
		json_object *params = json_object_new_object();
		json_object *migrate = json_object_new_object();

		g_assert_no_error(error);
		json_object_object_add(params, "max-bandwidth", json_object_new_int64(1048576));
		json_object_object_add(migrate, "uri",
				       json_object_new_string("exec:cat >/dev/null"));
		g_assert_true(
			vmem_qmp_execute(qmp, "migrate-set-parameters", params, NULL, &error));
		g_assert_no_error(error);
		g_assert_true(vmem_qmp_execute(qmp, "migrate", migrate, NULL, &error));
		g_assert_no_error(error);
		json_object_put(params);
		json_object_put(migrate);
	}
	run_ctl_uri(&busy, uri, (const char *const[]){"resize", "ctl-qmp", "512M", "--wait", NULL});
	g_assert_cmpint(busy.status, ==, EXIT_BUSY);
	g_assert_nonnull(strstr(busy.err, "migrating"));
	g_assert_nonnull(strstr(busy.err, "of 512 MiB requested"));
	run_ctl_uri(&busy_show, uri, (const char *const[]){"show", "ctl-qmp", NULL});
	g_assert_cmpint(busy_show.status, ==, EXIT_OK);
	g_assert_nonnull(strstr(busy_show.out, "(migrating)"));
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	int rc;

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/vm/ctl/resize-wait", test_resize_wait);
	g_test_add_func("/vm/ctl/two-nodes", test_two_nodes);
	g_test_add_func("/vm/ctl/stuck-unplug", test_stuck_unplug);
	g_test_add_func("/vm/ctl/stuck-zone-normal", test_stuck_zone_normal);
	g_test_add_func("/vm/ctl/no-driver", test_no_driver);
	g_test_add_func("/vm/ctl/errors", test_errors);
	g_test_add_func("/vm/ctl/virsh-interop", test_virsh_interop);
	g_test_add_func("/vm/ctl/agent", test_agent);
	g_test_add_func("/vm/ctl/agent-no-channel", test_agent_no_channel);
	g_test_add_func("/vm/ctl/reboot-replug", test_reboot_replug);
	g_test_add_func("/vm/ctl/qmp-backend", test_qmp_backend);

	tb = vmem_testbed_new(VMEM_TESTBED_DAEMON, &error);
	g_assert_no_error(error);
	rc = g_test_run();
	vmem_testbed_free(tb);
	g_assert_true(vmem_testbed_all_processes_gone());
	return rc;
}
