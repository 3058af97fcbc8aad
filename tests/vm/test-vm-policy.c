/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemctl policy get / set as built, against a real guest on a private
 * libvirtd: a set with --live --config round-trips through `get --json`,
 * both the live and the persistent XML carry the <virtmem:policy> that
 * libvirt keeps, settings not given keep their values (in each definition
 * when they differ), a refused set changes nothing, and every set makes libvirt emit the
 * metadata-change event that a daemon follows.
 */
#include "config.h"

#include <gio/gio.h>
#include <json-c/json.h>

#include "vmem-testbed.h"

#define NS "http://virtmem.org/xmlns/policy/1"
#define GIB (G_GUINT64_CONSTANT(1024) * 1024 * 1024)
#define MIB (G_GUINT64_CONSTANT(1024) * 1024)

/* virtmemctl(1), EXIT STATUS */
#define EXIT_OK 0
#define EXIT_USAGE 2
#define EXIT_ERROR 9

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

/* Runs `virtmemctl -c URI ARGS...`; the main loop runs meanwhile, so that
 * libvirt's events arrive and libvirtd keeps the test's connection. */
static void
run_ctl(CtlResult *r, const char *const *args)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocess) proc = NULL;
	g_autoptr(GAsyncResult) result = NULL;
	g_autofree char *line = NULL;

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
	g_subprocess_communicate_utf8_async(proc, NULL, NULL, on_communicated, &result);
	while (result == NULL)
		g_main_context_iteration(NULL, TRUE);
	g_subprocess_communicate_utf8_finish(proc, result, &r->out, &r->err, &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_get_if_exited(proc));
	r->status = g_subprocess_get_exit_status(proc);
	line = g_strjoinv(" ", (char **)args);
	g_test_message("virtmemctl %s -> %d\n%s%s", line, r->status, r->out, r->err);
}

/* What the metadata-change events said */
typedef struct {
	guint count;
	int type;
	char *nsuri;
} MetadataEvents;

static void
on_metadata_change(virConnectPtr conn, virDomainPtr dom, int type, const char *nsuri, void *opaque)
{
	MetadataEvents *events = opaque;

	events->count++;
	events->type = type;
	g_free(events->nsuri);
	events->nsuri = g_strdup(nsuri);
}

/* `policy get NAME --json` with @flag (--live, --config or NULL) */
static json_object *
get_json(const char *name, const char *flag)
{
	g_auto(CtlResult) r = {0};
	json_object *root;

	run_ctl(&r, (const char *const[]){"policy", "get", name, "--json", flag, NULL});
	g_assert_cmpint(r.status, ==, EXIT_OK);
	g_assert_cmpstr(r.err, ==, "");
	root = json_tokener_parse(r.out);
	g_assert_nonnull(root);
	return root;
}

/* policy.KEY of `get --json`: its value, and whether it is the default */
static json_object *
setting(json_object *root, const char *key, gboolean *ret_default)
{
	json_object *policy = NULL, *obj = NULL, *value = NULL, *is_default = NULL;

	g_assert_true(json_object_object_get_ex(root, "policy", &policy));
	g_assert_true(json_object_object_get_ex(policy, key, &obj));
	g_assert_true(json_object_object_get_ex(obj, "value", &value));
	g_assert_true(json_object_object_get_ex(obj, "default", &is_default));
	*ret_default = json_object_get_boolean(is_default);
	return value;
}

static void
assert_size(json_object *root, const char *key, guint64 bytes)
{
	gboolean is_default;

	g_assert_cmpuint(json_object_get_uint64(setting(root, key, &is_default)), ==, bytes);
	g_assert_false(is_default);
}

static void
assert_uint(json_object *root, const char *key, guint64 value)
{
	assert_size(root, key, value);
}

/* The policy as libvirt keeps it, from virDomainGetMetadata(): without its
 * namespace, as libvirt gives it */
static char *
libvirt_metadata(virDomainPtr dom, unsigned int flags)
{
	char *xml = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, NS, flags);

	g_assert_nonnull(xml);
	return xml;
}

static void
assert_xml_has_policy(virDomainPtr dom, unsigned int flags, const char *const *parts)
{
	g_autofree char *xml = virDomainGetXMLDesc(dom, flags);

	g_assert_nonnull(xml);
	for (guint i = 0; parts[i] != NULL; i++) {
		g_test_message("%s XML has %s", flags != 0 ? "persistent" : "live", parts[i]);
		g_assert_nonnull(strstr(xml, parts[i]));
	}
}

static void
test_policy(void)
{
	g_autoptr(GError) error = NULL;
	g_auto(CtlResult) set = {0};
	g_auto(CtlResult) merge = {0};
	g_auto(CtlResult) config_only = {0};
	g_auto(CtlResult) both = {0};
	MetadataEvents events = {0};
	VmemTestGuestConfig config;
	VmemTestGuest *guest;
	virDomainPtr dom;
	virConnectPtr conn = vmem_testbed_get_connection(tb);
	json_object *root, *live, *persistent;
	gboolean is_default;
	int callback;
	g_autofree char *live_json = NULL;
	g_autofree char *config_json = NULL;
	g_autofree char *live_metadata = NULL;
	g_autofree char *config_metadata = NULL;
	const char *const policy_xml[] = {
		"<virtmem:policy xmlns:virtmem=\"" NS "\" mode=\"auto\">",
		"<virtmem:min unit=\"KiB\">524288</virtmem:min>",
		"<virtmem:max unit=\"KiB\">2097152</virtmem:max>",
		"<virtmem:buffer percent=\"25\"/>",
		"<virtmem:step unit=\"KiB\">262144</virtmem:step>",
		"<virtmem:cooldown grow=\"2\" shrink=\"60\"/>",
		"<virtmem:save squeeze=\"no\"/>",
		NULL,
	};

	vmem_test_guest_config_init(&config);
	config.n_nodes = 1; /* one 4 GiB device in 2 MiB blocks */
	guest = vmem_test_guest_new(tb, "pol", &config, &error);
	g_assert_no_error(error);
	g_assert_true(vmem_test_guest_start(guest, &error));
	g_assert_no_error(error);
	dom = vmem_test_guest_get_domain(guest);
	callback = virConnectDomainEventRegisterAny(conn, dom, VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
						    VIR_DOMAIN_EVENT_CALLBACK(on_metadata_change),
						    &events, NULL);
	g_assert_cmpint(callback, >=, 0);

	/* No policy yet: the defaults, said to be defaults */
	root = get_json("pol", NULL);
	g_assert_nonnull(strstr(json_object_to_json_string(root), "\"has_policy\": false"));
	g_assert_cmpuint(json_object_get_uint64(setting(root, "max", &is_default)), ==, 4 * GIB);
	g_assert_true(is_default);
	g_assert_cmpstr(json_object_get_string(setting(root, "mode", &is_default)), ==, "manual");
	g_assert_true(is_default);
	json_object_put(root);

	/* live and persistent at once: one policy, one event */
	run_ctl(&set, (const char *const[]){"policy",	"set",
					    "pol",	"--mode",
					    "auto",	"--min",
					    "512M",	"--max",
					    "2G",	"--buffer",
					    "25",	"--step",
					    "256M",	"--cooldown-grow",
					    "2",	"--cooldown-shrink",
					    "60",	"--priority",
					    "7",	"--squeeze",
					    "no",	"--live",
					    "--config", NULL});
	g_assert_cmpint(set.status, ==, EXIT_OK);
	g_assert_cmpstr(set.err, ==, "");
	vmem_test_wait_for(&events.count, 1, 10);
	g_assert_cmpint(events.type, ==, VIR_DOMAIN_METADATA_ELEMENT);
	g_assert_cmpstr(events.nsuri, ==, NS);

	live = get_json("pol", "--live");
	persistent = get_json("pol", "--config");
	g_assert_nonnull(strstr(json_object_to_json_string(live), "\"definition\": \"live\""));
	g_assert_nonnull(
		strstr(json_object_to_json_string(persistent), "\"definition\": \"config\""));
	for (guint i = 0; i < 2; i++) {
		root = i == 0 ? live : persistent;
		g_assert_cmpstr(json_object_get_string(setting(root, "mode", &is_default)), ==,
				"auto");
		g_assert_false(is_default);
		assert_size(root, "min", 512 * MIB);
		assert_size(root, "max", 2 * GIB);
		assert_uint(root, "buffer_percent", 25);
		assert_size(root, "step", 256 * MIB);
		assert_uint(root, "cooldown_grow_seconds", 2);
		assert_uint(root, "cooldown_shrink_seconds", 60);
		assert_uint(root, "priority", 7);
		g_assert_false(json_object_get_boolean(setting(root, "squeeze", &is_default)));
		g_assert_false(is_default);
	}
	json_object_put(live);
	json_object_put(persistent);

	/* What libvirt keeps, in both definitions */
	assert_xml_has_policy(dom, 0, policy_xml);
	assert_xml_has_policy(dom, VIR_DOMAIN_XML_INACTIVE, policy_xml);
	live_metadata = libvirt_metadata(dom, VIR_DOMAIN_AFFECT_LIVE);
	config_metadata = libvirt_metadata(dom, VIR_DOMAIN_AFFECT_CONFIG);
	g_assert_cmpstr(live_metadata, ==, config_metadata);
	g_assert_nonnull(strstr(live_metadata, "<priority>7</priority>"));

	/* Neither flag: the running domain's live definition; what is not given
	 * keeps its value */
	run_ctl(&merge, (const char *const[]){"policy", "set", "pol", "--priority", "3", NULL});
	g_assert_cmpint(merge.status, ==, EXIT_OK);
	vmem_test_wait_for(&events.count, 2, 10);
	live = get_json("pol", NULL);
	assert_uint(live, "priority", 3);
	assert_size(live, "min", 512 * MIB);
	assert_uint(live, "buffer_percent", 25);
	persistent = get_json("pol", "--inactive");
	assert_uint(persistent, "priority", 7);
	json_object_put(live);
	json_object_put(persistent);

	/* --config alone leaves the running domain alone */
	run_ctl(&config_only,
		(const char *const[]){"policy", "set", "pol", "--config", "--buffer", "30", NULL});
	g_assert_cmpint(config_only.status, ==, EXIT_OK);
	vmem_test_wait_for(&events.count, 3, 10);
	live = get_json("pol", "--live");
	persistent = get_json("pol", "--config");
	assert_uint(live, "buffer_percent", 25);
	assert_uint(persistent, "buffer_percent", 30);
	assert_uint(persistent, "priority", 7);
	json_object_put(live);
	json_object_put(persistent);

	/* Both, now that they differ: each keeps its own other settings (two
	 * writes, two events) */
	run_ctl(&both, (const char *const[]){"policy", "set", "pol", "--squeeze", "yes", "--live",
					     "--config", NULL});
	g_assert_cmpint(both.status, ==, EXIT_OK);
	vmem_test_wait_for(&events.count, 5, 10);
	live = get_json("pol", "--live");
	persistent = get_json("pol", "--config");
	for (guint i = 0; i < 2; i++) {
		root = i == 0 ? live : persistent;
		g_assert_true(json_object_get_boolean(setting(root, "squeeze", &is_default)));
		g_assert_false(is_default);
		assert_size(root, "max", 2 * GIB);
	}
	assert_uint(live, "priority", 3);
	assert_uint(live, "buffer_percent", 25);
	assert_uint(persistent, "priority", 7);
	assert_uint(persistent, "buffer_percent", 30);
	live_json = g_strdup(json_object_to_json_string(live));
	config_json = g_strdup(json_object_to_json_string(persistent));
	json_object_put(live);
	json_object_put(persistent);

	/* Refused by the rules: nothing written, no event */
	{
		static const struct {
			const char *args[8];
			const char *message;
		} refused[] = {
			{{"--min", "3G", "--live", "--config"},
			 "virtmemctl: --min 3G: The policy minimum 3 GiB is above its maximum 2 GiB"},
			{{"--max", "256M"}, /* below the min of 512 MiB set before */
			 "virtmemctl: min, as the policy already sets it (--min changes it): The "
			 "policy minimum 512 MiB is above its maximum 256 MiB"},
			{{"--max", "8G", "--config"},
			 "virtmemctl: --max 8G: The policy maximum 8 GiB is more than the virtio-mem "
			 "devices can hold (4 GiB)"},
			{{"--step", "3M", "--live"},
			 "--step 3M: 3 MiB is not a multiple of the block"},
			{{"--priority", "0", "--config"},
			 "--priority 0: The priority 0 is out of range"},
		};

		for (guint i = 0; i < G_N_ELEMENTS(refused); i++) {
			g_autoptr(GPtrArray) args = g_ptr_array_new();
			g_auto(CtlResult) r = {0};

			g_ptr_array_add(args, (gpointer) "policy");
			g_ptr_array_add(args, (gpointer) "set");
			g_ptr_array_add(args, (gpointer) "pol");
			for (guint j = 0; refused[i].args[j] != NULL; j++)
				g_ptr_array_add(args, (gpointer)refused[i].args[j]);
			g_ptr_array_add(args, NULL);
			run_ctl(&r, (const char *const *)args->pdata);
			g_assert_cmpint(r.status, ==, EXIT_USAGE);
			g_assert_cmpstr(r.out, ==, "");
			g_assert_nonnull(strstr(r.err, refused[i].message));
			g_assert_nonnull(strstr(r.err, "The policy of pol was not changed."));
		}
	}
	vmem_test_spin(500);
	g_assert_cmpuint(events.count, ==, 5);
	live = get_json("pol", "--live");
	persistent = get_json("pol", "--config");
	g_assert_cmpstr(json_object_to_json_string(live), ==, live_json);
	g_assert_cmpstr(json_object_to_json_string(persistent), ==, config_json);
	json_object_put(live);
	json_object_put(persistent);

	g_assert_cmpint(virConnectDomainEventDeregisterAny(conn, callback), ==, 0);
	g_free(events.nsuri);
	vmem_test_guest_destroy(guest);
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	int rc;

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/vm/policy/get-set", test_policy);

	tb = vmem_testbed_new(VMEM_TESTBED_DAEMON, &error);
	g_assert_no_error(error);
	rc = g_test_run();
	vmem_testbed_free(tb);
	g_assert_true(vmem_testbed_all_processes_gone());
	return rc;
}
