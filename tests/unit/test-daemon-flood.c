/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemd flooded on D-Bus, as built: the real daemon on a private
 * dbus-daemon, managing simulated domains of libvirt's test driver (no VM),
 * takes thousands of method calls from several connections at once:
 * Resize() with absurd and invalid sizes and options, SetPolicy() with junk
 * dictionaries (unknown keys, wrong types, long keys, out-of-range values)
 * and valid ones, Pause()/Resume() storms, Save()/Dump() with bad
 * arguments, property reads, unknown methods, properties and objects, and
 * unauthorized callers (anonymous connections: the bus has no user ID for
 * them, so no root tricks are needed).  Every call must get an answer, the
 * bad ones an error naming what is wrong; afterwards the daemon answers at
 * once, its RSS has stayed bounded, and it stops cleanly.  The figures are
 * printed.
 *
 * Two runs: on a bus with the shipped policy (what the bus lets through,
 * and its AccessDenied for the anonymous callers' changes), and on a bus
 * that lets everything through (the daemon's own check of every change).
 *
 *   test-daemon-flood [GTEST-OPTION...] PATH-TO-VIRTMEMD PATH-TO-BUS-POLICY
 */
#include "config.h"

#include <glib/gstdio.h>
#include <pwd.h>
#include <unistd.h>

#include "vmem-test-bus.h"
#include "vmem-testbed.h"
#include "vmem-test-dir.h"
#include "vmem-test-run.h"

#define MANAGER1 "org.virtmem.Manager1"
#define DOMAIN1 "org.virtmem.Domain1"
#define PROPERTIES "org.freedesktop.DBus.Properties"
#define MIB (G_GUINT64_CONSTANT(1024) * 1024)

/* The simulated domains, each tests/unit/backend-libvirt-numa.xml */
#define FLOOD_DOMAINS 4
/* Calls each connection sends, and how many it has in flight at most
 * (below dbus-daemon's limit of pending replies per connection) */
#define FLOOD_CALLS 1500
#define FLOOD_WINDOW 32
/* The most the whole flood may take, and a call after it */
#define FLOOD_WALL_MAX_S 60
#define FLOOD_ANSWER_MAX_MS 1000
/* virtmemd's RSS: at most this much above before the flood, and this
 * much in all.  The flood comes in thirds: the first reaches the
 * high-water mark of the calls in flight; a leak grows in both later ones,
 * while the allocator's noise (seen up to 3 MiB once) does not repeat, so
 * the lesser of their growths may be at most this much (measured here:
 * 21.5 MiB before, 27.9 MiB after 9,000 calls and 28.3 MiB after 36,000) */
#define FLOOD_RSS_GROWTH_MAX_KIB (16 * 1024)
#define FLOOD_RSS_MAX_KIB (64 * 1024)
#define FLOOD_RSS_THIRD_MAX_KIB (2 * 1024)
#define FLOOD_THIRDS 3
/* The longest error the daemon itself sends, however long the input */
#define FLOOD_ERROR_MAX 512

static const char *virtmemd_path;
static const char *bus_policy_path;
/* Calls per connection, and how many times FLOOD_WALL_MAX_S and
 * FLOOD_ANSWER_MAX_MS apply: under valgrind (this program, not virtmemd,
 * runs under it, at some 80 calls a second) a quarter of the calls and ten
 * times the time, as meson's valgrind setup gives ten times the timeout. */
static guint flood_calls = FLOOD_CALLS;
static guint time_scale = 1;

/* What a call does with the daemon's authorization */
typedef enum {
	CALL_READ,	/* anyone may: the bus policy lets it through */
	CALL_CHANGE,	/* root's and the admin group's: the daemon checks */
	CALL_REFUSED,	/* refused before the daemon looks at the caller */
	CALL_ROOT_ONLY, /* not a change, but not open to anyone by the policy */
} CallAccess;

/* What answers the caller who may */
typedef enum {
	ANSWER_OK,
	ANSWER_ERROR,
	ANSWER_ANY, /* the test driver may or may not do it */
} CallAnswer;

typedef struct {
	const char *name;
	const char *iface;
	const char *method;
	GVariant *(*args)(guint n);
	CallAccess access;
	CallAnswer answer;
	const char *error_name; /* ANSWER_ERROR: the D-Bus error name */
	const char *part;	/* ... and a part of its message */
} CallKind;

static GVariant *
args_none(guint n)
{
	return NULL;
}

static GVariant *
args_resize_huge(guint n)
{
	return g_variant_new("(t@a{sv})", G_MAXUINT64 - n, g_variant_new("a{sv}", NULL));
}

static GVariant *
args_resize_unaligned(guint n)
{
	return g_variant_new("(t@a{sv})", (guint64)(2 * n + 1), g_variant_new("a{sv}", NULL));
}

static GVariant *
args_resize_valid(guint n)
{
	return g_variant_new("(t@a{sv})", (n % 8) * 2 * MIB, g_variant_new("a{sv}", NULL));
}

static GVariant *
args_resize_options(guint n)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", "force", g_variant_new_boolean(TRUE));
	return g_variant_new("(ta{sv})", (guint64)0, &b);
}

static GVariant *
args_resize_wrong_type(guint n)
{
	return g_variant_new("(s)", "2GiB");
}

/* SetPolicy() with one entry */
static GVariant *
policy_of(const char *key, GVariant *value)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", key, value);
	return g_variant_new("(a{sv})", &b);
}

static GVariant *
args_policy_mode(guint n)
{
	return policy_of("mode", g_variant_new_string("always"));
}

static GVariant *
args_policy_max_string(guint n)
{
	return policy_of("max", g_variant_new_string("4G"));
}

static GVariant *
args_policy_min_bytes(guint n)
{
	return policy_of("min", g_variant_new_uint64(1000 + n));
}

static GVariant *
args_policy_buffer(guint n)
{
	return policy_of("buffer", g_variant_new_uint32(G_MAXUINT32 - n));
}

static GVariant *
args_policy_min_huge(guint n)
{
	return policy_of("min", g_variant_new_uint64(G_MAXUINT64 - 1023));
}

static GVariant *
args_policy_nested(guint n)
{
	return policy_of("mode", g_variant_new_variant(g_variant_new_string("auto")));
}

static GVariant *
args_policy_long_key(guint n)
{
	g_autofree char *key = g_strnfill(64 * 1024, (char)('a' + n % 26));

	return policy_of(key, g_variant_new_uint32(1));
}

static GVariant *
args_policy_control_key(guint n)
{
	return policy_of("mode\n\x1b[2J", g_variant_new_string("auto"));
}

/* many unknown keys, the first one refused */
static GVariant *
args_policy_many_keys(guint n)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	for (guint i = 0; i < 1000; i++) {
		g_autofree char *key = g_strdup_printf("key%u", i);

		g_variant_builder_add(&b, "{sv}", key, g_variant_new_uint32(i));
	}
	return g_variant_new("(a{sv})", &b);
}

static GVariant *
args_policy_huge_value(guint n)
{
	g_autofree char *value = g_strnfill(256 * 1024, 'x');

	return policy_of("mode", g_variant_new_string(value));
}

static GVariant *
args_policy_priority(guint n)
{
	return policy_of("priority", g_variant_new_uint32(1 + n % 10));
}

static GVariant *
args_save_relative(guint n)
{
	return g_variant_new("(s@a{sv})", "relative/file", g_variant_new("a{sv}", NULL));
}

static GVariant *
args_save_bad_option(guint n)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", "parallel", g_variant_new_string("many"));
	return g_variant_new("(sa{sv})", "/nonexistent/virtmem-flood.img", &b);
}

static GVariant *
args_dump_bad_format(guint n)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", "format", g_variant_new_string("nope"));
	return g_variant_new("(sa{sv})", "/nonexistent/virtmem-flood.core", &b);
}

static GVariant *
args_get_name(guint n)
{
	return g_variant_new("(ss)", DOMAIN1, "Name");
}

static GVariant *
args_get_all(guint n)
{
	return g_variant_new("(s)", DOMAIN1);
}

static GVariant *
args_get_unknown(guint n)
{
	return g_variant_new("(ss)", DOMAIN1, "NoSuchProperty");
}

static GVariant *
args_get_unknown_iface(guint n)
{
	return g_variant_new("(ss)", "org.virtmem.NoSuchInterface", "Name");
}

static GVariant *
args_set_name(guint n)
{
	return g_variant_new("(ssv)", DOMAIN1, "Name", g_variant_new_string("renamed"));
}

static const CallKind call_kinds[] = {
	{"Resize(huge)", DOMAIN1, "Resize", args_resize_huge, CALL_CHANGE, ANSWER_ERROR,
	 "org.virtmem.Error.Failed", "Cannot resize to"},
	{"Resize(unaligned)", DOMAIN1, "Resize", args_resize_unaligned, CALL_CHANGE, ANSWER_ERROR,
	 "org.virtmem.Error.Failed", "whole blocks of 2 MiB"},
	{"Resize(valid)", DOMAIN1, "Resize", args_resize_valid, CALL_CHANGE, ANSWER_ANY, NULL,
	 NULL},
	{"Resize(options)", DOMAIN1, "Resize", args_resize_options, CALL_REFUSED, ANSWER_ERROR,
	 "org.freedesktop.DBus.Error.InvalidArgs", "takes no options"},
	{"Resize(s)", DOMAIN1, "Resize", args_resize_wrong_type, CALL_REFUSED, ANSWER_ERROR,
	 "org.freedesktop.DBus.Error.InvalidArgs", "Type of message"},
	{"SetPolicy(mode always)", DOMAIN1, "SetPolicy", args_policy_mode, CALL_CHANGE,
	 ANSWER_ERROR, "org.virtmem.Error.Failed", "“mode”: The mode is auto, manual or off."},
	{"SetPolicy(max string)", DOMAIN1, "SetPolicy", args_policy_max_string, CALL_CHANGE,
	 ANSWER_ERROR, "org.virtmem.Error.Failed", "“max”: There is no such key of that type"},
	{"SetPolicy(min bytes)", DOMAIN1, "SetPolicy", args_policy_min_bytes, CALL_CHANGE,
	 ANSWER_ERROR, "org.virtmem.Error.Failed", "“min”: The size must be a whole number"},
	{"SetPolicy(buffer)", DOMAIN1, "SetPolicy", args_policy_buffer, CALL_CHANGE, ANSWER_ERROR,
	 "org.virtmem.Error.Failed", "buffer"},
	{"SetPolicy(min huge)", DOMAIN1, "SetPolicy", args_policy_min_huge, CALL_CHANGE,
	 ANSWER_ERROR, "org.virtmem.Error.Failed",
	 "“min”: The size is too large: at most 9223372036854774784 bytes."},
	{"SetPolicy(variant in variant)", DOMAIN1, "SetPolicy", args_policy_nested, CALL_CHANGE,
	 ANSWER_ERROR, "org.virtmem.Error.Failed", "“mode”: There is no such key of that type"},
	{"SetPolicy(64 KiB key)", DOMAIN1, "SetPolicy", args_policy_long_key, CALL_CHANGE,
	 ANSWER_ERROR, "org.virtmem.Error.Failed", "…”: There is no such key"},
	{"SetPolicy(control key)", DOMAIN1, "SetPolicy", args_policy_control_key, CALL_CHANGE,
	 ANSWER_ERROR, "org.virtmem.Error.Failed", "“mode??[2J”: There is no such key"},
	{"SetPolicy(1000 keys)", DOMAIN1, "SetPolicy", args_policy_many_keys, CALL_CHANGE,
	 ANSWER_ERROR, "org.virtmem.Error.Failed", "“key0”: There is no such key"},
	{"SetPolicy(256 KiB value)", DOMAIN1, "SetPolicy", args_policy_huge_value, CALL_CHANGE,
	 ANSWER_ERROR, "org.virtmem.Error.Failed", "“mode”: The mode is auto, manual or off."},
	{"SetPolicy(priority)", DOMAIN1, "SetPolicy", args_policy_priority, CALL_CHANGE, ANSWER_OK,
	 NULL, NULL},
	{"Pause", DOMAIN1, "Pause", args_none, CALL_CHANGE, ANSWER_OK, NULL, NULL},
	{"Resume", DOMAIN1, "Resume", args_none, CALL_CHANGE, ANSWER_OK, NULL, NULL},
	{"Save(relative)", DOMAIN1, "Save", args_save_relative, CALL_CHANGE, ANSWER_ERROR,
	 "org.virtmem.Error.Failed", "absolute path"},
	{"Save(bad option)", DOMAIN1, "Save", args_save_bad_option, CALL_CHANGE, ANSWER_ERROR,
	 "org.virtmem.Error.Failed", "Option “parallel”"},
	{"Dump(bad format)", DOMAIN1, "Dump", args_dump_bad_format, CALL_CHANGE, ANSWER_ERROR,
	 "org.virtmem.Error.Failed", "Option “format”: There is no such format."},
	{"Get(Name)", PROPERTIES, "Get", args_get_name, CALL_READ, ANSWER_OK, NULL, NULL},
	{"GetAll", PROPERTIES, "GetAll", args_get_all, CALL_READ, ANSWER_OK, NULL, NULL},
	{"Get(unknown)", PROPERTIES, "Get", args_get_unknown, CALL_READ, ANSWER_ERROR,
	 "org.freedesktop.DBus.Error.InvalidArgs", "NoSuchProperty"},
	{"Get(unknown interface)", PROPERTIES, "Get", args_get_unknown_iface, CALL_READ,
	 ANSWER_ERROR, "org.freedesktop.DBus.Error.InvalidArgs", "org.virtmem.NoSuchInterface"},
	{"Set(Name)", PROPERTIES, "Set", args_set_name, CALL_ROOT_ONLY, ANSWER_ERROR,
	 "org.freedesktop.DBus.Error.InvalidArgs", "not writable"},
	{"Explode", DOMAIN1, "Explode", args_none, CALL_ROOT_ONLY, ANSWER_ERROR,
	 "org.freedesktop.DBus.Error.UnknownMethod", "Explode"},
};

typedef enum {
	BUS_POLICY, /* the shipped bus policy */
	BUS_OPEN,   /* a bus that lets everything through */
} BusKind;

typedef struct {
	GDBusConnection *conn;
	gboolean anonymous;
	BusKind bus;
	char **paths; /* the domains' objects */
	guint sent;
	guint round_end; /* send up to this many */
	guint answered;
	guint in_flight;
	guint errors;
	GString *failures;
} Flooder;

typedef struct {
	Flooder *flooder;
	const CallKind *kind;
	gint64 sent_us;
} Call;

/* What @kind answers a caller of @flooder: an error name and part of its
 * message, NULL for a success; *ret_any when either will do. */
static void
expected(const Flooder *flooder, const CallKind *kind, const char **ret_name, const char **ret_part,
	 gboolean *ret_any)
{
	*ret_any = FALSE;
	if (flooder->anonymous && flooder->bus == BUS_POLICY &&
	    (kind->access == CALL_CHANGE || kind->access == CALL_ROOT_ONLY ||
	     kind->access == CALL_REFUSED)) {
		*ret_name = "org.freedesktop.DBus.Error.AccessDenied";
		*ret_part = "Rejected send message";
		return;
	}
	if (flooder->anonymous && kind->access == CALL_CHANGE) {
		*ret_name = "org.virtmem.Error.AccessDenied";
		*ret_part = "Only root and members of the administrators' group";
		return;
	}
	*ret_any = kind->answer == ANSWER_ANY;
	*ret_name = kind->answer == ANSWER_ERROR ? kind->error_name : NULL;
	*ret_part = kind->answer == ANSWER_ERROR ? kind->part : NULL;
}

static void flood_send(Flooder *flooder);

static void
flood_on_reply(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autofree Call *call = user_data;
	Flooder *flooder = call->flooder;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
		g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
	g_autofree char *name = NULL;
	const char *want_name, *want_part;
	gboolean any;

	flooder->in_flight--;
	flooder->answered++;
	expected(flooder, call->kind, &want_name, &want_part, &any);
	if (error != NULL) {
		flooder->errors++;
		name = g_dbus_error_get_remote_error(error);
		g_dbus_error_strip_remote_error(error);
	}
	if (error != NULL && name == NULL) {
		/* no answer at all: a timeout, a closed connection */
		g_string_append_printf(flooder->failures, "%s%s: no answer: %s\n",
				       flooder->anonymous ? "anonymous " : "", call->kind->name,
				       error->message);
	} else if (any) {
		if (error != NULL && !g_str_has_prefix(name, "org.virtmem.Error."))
			g_string_append_printf(flooder->failures, "%s: %s: %s\n", call->kind->name,
					       name, error->message);
	} else if (want_name == NULL && error != NULL) {
		g_string_append_printf(flooder->failures, "%s%s: %s: %s, expected success\n",
				       flooder->anonymous ? "anonymous " : "", call->kind->name,
				       name, error->message);
	} else if (want_name != NULL && error == NULL) {
		g_string_append_printf(flooder->failures, "%s%s: success, expected %s\n",
				       flooder->anonymous ? "anonymous " : "", call->kind->name,
				       want_name);
	} else if (want_name != NULL &&
		   (!g_str_equal(name, want_name) || strstr(error->message, want_part) == NULL)) {
		g_string_append_printf(flooder->failures, "%s%s: %s: %s, expected %s: …%s…\n",
				       flooder->anonymous ? "anonymous " : "", call->kind->name,
				       name, error->message, want_name, want_part);
	}
	/* The daemon's own errors: one short line, however long the input. */
	if (name != NULL && g_str_has_prefix(name, "org.virtmem.Error.") &&
	    (strlen(error->message) > FLOOD_ERROR_MAX || strchr(error->message, '\n') != NULL))
		g_string_append_printf(flooder->failures, "%s: an error of %zu bytes: %.200s\n",
				       call->kind->name, strlen(error->message), error->message);
	flood_send(flooder);
}

/* Sends calls until FLOOD_WINDOW are in flight or the round's are sent:
 * the kinds in turn, each to the domains in turn. */
static void
flood_send(Flooder *flooder)
{
	while (flooder->in_flight < FLOOD_WINDOW && flooder->sent < flooder->round_end) {
		guint n = flooder->sent++;
		Call *call = g_new0(Call, 1);
		const CallKind *kind = &call_kinds[n % G_N_ELEMENTS(call_kinds)];
		const char *path = flooder->paths[(n / G_N_ELEMENTS(call_kinds)) % FLOOD_DOMAINS];

		call->flooder = flooder;
		call->kind = kind;
		flooder->in_flight++;
		g_dbus_connection_call(flooder->conn, MANAGER1, path, kind->iface, kind->method,
				       kind->args(n), NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START,
				       FLOOD_WALL_MAX_S * 1000 * time_scale, NULL, flood_on_reply,
				       call);
	}
}

/* VmRSS of @pid, KiB */
static guint64
rss_kib(GPid pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/status", pid);
	g_autofree char *text = NULL;
	const char *p;

	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	p = strstr(text, "VmRSS:");
	g_assert_nonnull(p);
	return g_ascii_strtoull(p + strlen("VmRSS:"), NULL, 10);
}

/* Spins the default main context for @ms */
static void
spin(guint ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	while (g_get_monotonic_time() < end) {
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(1000);
	}
}

/* A plain read: answered, and how fast */
static gint64
timed_read(GDBusConnection *conn, const char *path)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	gint64 start = g_get_monotonic_time();

	reply = g_dbus_connection_call_sync(conn, MANAGER1, path, PROPERTIES, "Get",
					    g_variant_new("(ss)", DOMAIN1, "Automation"),
					    G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NONE,
					    FLOOD_ANSWER_MAX_MS * 10 * time_scale, NULL, &error);
	g_assert_no_error(error);
	return (g_get_monotonic_time() - start) / 1000;
}

/* The simulated domains: libvirt's test driver reads them from one file. */
static char *
write_node(const char *dir)
{
	g_autofree char *template_path =
		g_test_build_filename(G_TEST_DIST, "unit", "backend-libvirt-numa.xml", NULL);
	g_autofree char *template = NULL;
	g_autoptr(GString) node = g_string_new("<node>\n");
	g_autofree char *path = g_build_filename(dir, "node.xml", NULL);

	g_assert_true(g_file_get_contents(template_path, &template, NULL, NULL));
	for (guint i = 0; i < FLOOD_DOMAINS; i++) {
		g_autofree char *head = g_strdup_printf(
			"<name>d%u</name><uuid>00000000-0000-4000-8000-%012u</uuid>", i, i);
		g_auto(GStrv) parts = g_strsplit(template, "<name>numa</name>", 2);

		g_assert_cmpuint(g_strv_length(parts), ==, 2);
		g_string_append_printf(node, "%s%s%s", parts[0], head, parts[1]);
	}
	g_string_append(node, "</node>\n");
	g_assert_true(g_file_set_contents(path, node->str, -1, NULL));
	return g_steal_pointer(&path);
}

/* The shipped policy lets root own the name and change domains.  As
 * another user, the same policy with that user for root. */
static char *
write_policy(const char *dir)
{
	g_autofree char *text = NULL;
	g_autofree char *path = g_build_filename(dir, "policy.conf", NULL);
	g_auto(GStrv) parts = NULL;
	g_autofree char *user = NULL;
	g_autofree char *joined = NULL;
	struct passwd *pw;

	if (getuid() == 0)
		return g_strdup(bus_policy_path);
	pw = getpwuid(getuid());
	g_assert_nonnull(pw);
	g_assert_true(g_file_get_contents(bus_policy_path, &text, NULL, NULL));
	parts = g_strsplit(text, "user=\"root\"", -1);
	g_assert_cmpuint(g_strv_length(parts), ==, 2);
	user = g_strdup_printf("user=\"%s\"", pw->pw_name);
	joined = g_strjoinv(user, parts);
	g_assert_true(g_file_set_contents(path, joined, -1, NULL));
	return g_steal_pointer(&path);
}

/* Sends each connection's calls up to @calls in all, and waits for their
 * answers (FLOOD_WALL_MAX_S at most in all from @start). */
static void
flood_round(GPtrArray *flooders, guint calls, gint64 start)
{
	gboolean done = FALSE;

	for (guint i = 0; i < flooders->len; i++) {
		Flooder *f = flooders->pdata[i];

		f->round_end = calls;
		flood_send(f);
	}
	while (!done &&
	       g_get_monotonic_time() - start < FLOOD_WALL_MAX_S * G_USEC_PER_SEC * time_scale) {
		g_main_context_iteration(NULL, TRUE);
		done = TRUE;
		for (guint i = 0; i < flooders->len; i++) {
			const Flooder *f = flooders->pdata[i];

			done &= f->answered == calls;
		}
	}
}

static void
flood(BusKind bus_kind, guint n_authorized, guint n_anonymous)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("virtmem-daemon-flood-XXXXXX", &error);
	g_autofree char *node = NULL;
	g_autofree char *uri = NULL;
	g_autofree char *policy = NULL;
	g_autofree char *config = NULL;
	g_autofree char *meminfo = NULL;
	g_autofree char *log = NULL;
	g_autofree char *log_text = NULL;
	char *paths[FLOOD_DOMAINS] = {NULL};
	g_autoptr(GPtrArray) flooders = g_ptr_array_new();
	VmemTestBus *bus;
	GDBusConnection *conn;
	GSubprocess *virtmemd;
	GPid pid;
	guint64 rss_before, rss[FLOOD_THIRDS], rss_after, calls = 0, errors = 0;
	gint64 start, wall_us, paused_us = 0, answer_ms;

	g_assert_no_error(error);
	node = write_node(dir);
	uri = g_strconcat("test://", node, NULL);
	config = g_build_filename(dir, "virtmemd.conf", NULL);
	meminfo = g_build_filename(dir, "meminfo", NULL);
	log = g_build_filename(dir, "virtmemd.log", NULL);
	/* A fast tick and a host reserve: the engine and the host's meminfo
	 * run all through the flood. */
	g_assert_true(g_file_set_contents(
		meminfo, "MemTotal: 33554432 kB\nMemAvailable: 16777216 kB\n", -1, NULL));
	{
		g_autofree char *text = g_strdup_printf(
			"[virtmemd]\ntick=0.2\nreserve=1GiB\nmeminfo=%s\n", meminfo);

		g_assert_true(g_file_set_contents(config, text, -1, NULL));
	}
	if (bus_kind == BUS_POLICY)
		policy = write_policy(dir);
	bus = vmem_test_bus_new_full(policy, VMEM_TEST_BUS_ANONYMOUS | VMEM_TEST_BUS_QUIET, &error);
	g_assert_no_error(error);
	conn = vmem_test_bus_get_connection(bus);
	virtmemd = vmem_test_virtmemd_start(bus, uri, config, log, &error);
	g_assert_no_error(error);
	pid = (GPid)g_ascii_strtoll(g_subprocess_get_identifier(virtmemd), NULL, 10);
	for (guint i = 0; i < FLOOD_DOMAINS; i++) {
		g_autofree char *name = g_strdup_printf("d%u", i);

		g_assert_true(vmem_test_virtmemd_wait_domain(conn, name, 30, &paths[i], &error));
		g_assert_no_error(error);
	}

	for (guint i = 0; i < n_authorized + n_anonymous; i++) {
		Flooder *f = g_new0(Flooder, 1);

		f->anonymous = i >= n_authorized;
		f->conn = vmem_test_bus_connect(bus, f->anonymous, &error);
		g_assert_no_error(error);
		f->bus = bus_kind;
		f->paths = paths;
		f->failures = g_string_new(NULL);
		g_ptr_array_add(flooders, f);
	}
	/* RSS once every kind of call went through once, and a few ticks */
	timed_read(conn, paths[0]);
	spin(1000);
	rss_before = rss_kib(pid);

	start = g_get_monotonic_time();
	for (guint third = 0; third < FLOOD_THIRDS; third++) {
		gint64 paused;

		flood_round(flooders, flood_calls * (third + 1) / FLOOD_THIRDS, start + paused_us);
		/* each measured as after the flood: a read and a second of
		 * ticks first, so that all are judged on like terms */
		paused = g_get_monotonic_time();
		timed_read(conn, paths[0]);
		spin(1000);
		rss[third] = rss_kib(pid);
		paused_us += g_get_monotonic_time() - paused;
	}
	wall_us = g_get_monotonic_time() - start - paused_us;

	/* Still there (GSubprocess forgets the identifier of a process that
	 * ended), and answering at once. */
	g_assert_nonnull(g_subprocess_get_identifier(virtmemd));
	answer_ms = timed_read(conn, paths[0]);
	rss_after = rss[FLOOD_THIRDS - 1];

	for (guint i = 0; i < flooders->len; i++) {
		Flooder *f = flooders->pdata[i];

		calls += f->answered;
		errors += f->errors;
		if (f->failures->len > 0)
			g_test_message("connection %u (%s):\n%.4000s", i,
				       f->anonymous ? "anonymous" : "authorized", f->failures->str);
	}
	g_test_message(
		"virtmemd flooded on a bus %s: %u connections (%u anonymous), "
		"%" G_GUINT64_FORMAT " calls answered (%" G_GUINT64_FORMAT
		" errors) in %.2f s (%.0f calls/s); then a read answered in %" G_GINT64_FORMAT
		" ms; RSS %" G_GUINT64_FORMAT " KiB before, %" G_GUINT64_FORMAT
		" KiB, %" G_GUINT64_FORMAT " KiB and %" G_GUINT64_FORMAT
		" KiB after each third (bounds +%d KiB, %d KiB, +%d KiB in the lesser "
		"of the last two thirds)",
		bus_kind == BUS_POLICY ? "with the shipped policy" : "open to all", flooders->len,
		n_anonymous, calls, errors, (double)wall_us / G_USEC_PER_SEC,
		(double)calls / ((double)wall_us / G_USEC_PER_SEC), answer_ms, rss_before, rss[0],
		rss[1], rss[2], FLOOD_RSS_GROWTH_MAX_KIB, FLOOD_RSS_MAX_KIB,
		FLOOD_RSS_THIRD_MAX_KIB);

	for (guint i = 0; i < flooders->len; i++) {
		Flooder *f = flooders->pdata[i];

		g_assert_cmpuint(f->answered, ==, flood_calls);
		g_assert_cmpstr(f->failures->str, ==, "");
	}
	g_assert_cmpint(answer_ms, <, FLOOD_ANSWER_MAX_MS * time_scale);
	g_assert_cmpuint(rss_after, <, rss_before + FLOOD_RSS_GROWTH_MAX_KIB);
	g_assert_cmpuint(rss_after, <, FLOOD_RSS_MAX_KIB);
	g_assert_cmpuint(MIN(rss[1] - MIN(rss[1], rss[0]), rss[2] - MIN(rss[2], rss[1])), <,
			 FLOOD_RSS_THIRD_MAX_KIB);

	/* A clean stop: no crash, no critical (G_DEBUG=fatal-criticals). */
	vmem_test_virtmemd_stop(virtmemd, SIGTERM);
	g_assert_true(g_file_get_contents(log, &log_text, NULL, NULL));
	if (!g_subprocess_get_if_exited(virtmemd) || g_subprocess_get_exit_status(virtmemd) != 0)
		g_error("virtmemd did not stop cleanly: %s", log_text);
	g_assert_null(strstr(log_text, "CRITICAL"));

	for (guint i = 0; i < flooders->len; i++) {
		Flooder *f = flooders->pdata[i];

		g_dbus_connection_close_sync(f->conn, NULL, NULL);
		g_object_unref(f->conn);
		g_string_free(f->failures, TRUE);
		g_free(f);
	}
	for (guint i = 0; i < FLOOD_DOMAINS; i++)
		g_free(paths[i]);
	g_object_unref(virtmemd);
	vmem_test_bus_free(bus);
	vmem_test_remove_dir(dir);
	g_assert_true(vmem_testbed_all_processes_gone());
}

/* The shipped policy: the bus refuses the anonymous callers' changes and
 * lets their reads through; the authorized callers' calls all reach the
 * daemon. */
static void
test_policy_bus(void)
{
	flood(BUS_POLICY, 4, 2);
}

/* A bus that lets everything through: the daemon itself refuses every
 * change of the anonymous callers, whose credentials it asks the bus for,
 * while an authorized caller floods too. */
static void
test_open_bus(void)
{
	flood(BUS_OPEN, 1, 3);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	if (argc != 3)
		g_error("usage: %s [GTEST-OPTION...] PATH-TO-VIRTMEMD PATH-TO-BUS-POLICY", argv[0]);
	virtmemd_path = argv[1];
	bus_policy_path = argv[2];
	g_setenv("VIRTMEMD", virtmemd_path, TRUE);
	if (vmem_test_under_valgrind()) {
		flood_calls = FLOOD_CALLS / 4;
		time_scale = 10;
	}
	g_test_add_func("/daemon-flood/policy-bus", test_policy_bus);
	g_test_add_func("/daemon-flood/open-bus", test_open_bus);
	return g_test_run();
}
