/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The QMP client against a scripted QEMU: a peer thread on a socketpair
 * that plays a script (expect a command, send lines, pause, hang up),
 * including malformed, truncated and oversized lines, error replies and
 * events out of order.  Also the pure parsers, as tables.
 */
#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmem-backend-qmp.h"
#include "vmem-error.h"
#include "vmem-qmp.h"
#include "vmem-resize.h"

#define GREETING                                                                                   \
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 0, \"major\": 10}}, "        \
	"\"capabilities\": [\"oob\"]}}\r\n"
#define OK "{\"return\": {}, \"id\": \"%ID%\"}\r\n"

typedef enum {
	PEER_END,
	PEER_SEND,   /* text, "%ID%" replaced by the id of the last command */
	PEER_EXPECT, /* read a command line, which must contain text */
	PEER_PAUSE,  /* ms */
	PEER_FLOOD,  /* ms bytes of 'x', no newline */
	PEER_HANGUP,
} PeerOp;

typedef struct {
	PeerOp op;
	const char *text;
	guint n;
} PeerStep;

typedef struct {
	int fd;
	int listen_fd; /* >= 0: accept the client on it first */
	const PeerStep *script;
	char *last_id;
	GString *failures;
	GThread *thread;
} Peer;

/* clang-format off */
#define HANDSHAKE                                                                          \
	{PEER_SEND, GREETING, 0},                                                          \
	{PEER_EXPECT, "\"qmp_capabilities\"", 0},                                          \
	{PEER_SEND, OK, 0}
/* clang-format on */

static gboolean
peer_write(Peer *peer, const char *data, gsize len)
{
	while (len > 0) {
		ssize_t n = send(peer->fd, data, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		data += n;
		len -= (gsize)n;
	}
	return TRUE;
}

static char *
peer_read_line(Peer *peer)
{
	g_autoptr(GString) line = g_string_new(NULL);
	char c;

	for (;;) {
		ssize_t n = read(peer->fd, &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
		if (c == '\n')
			return g_string_free(g_steal_pointer(&line), FALSE);
		g_string_append_c(line, c);
	}
}

static void
peer_expect(Peer *peer, const char *what)
{
	g_autofree char *line = peer_read_line(peer);
	g_autoptr(json_object) cmd = NULL;
	json_object *id = NULL;

	if (line == NULL) {
		g_string_append_printf(peer->failures, "expected %s, got end of file; ", what);
		return;
	}
	if (strstr(line, what) == NULL)
		g_string_append_printf(peer->failures, "expected %s, got %s; ", what, line);
	cmd = json_tokener_parse(line);
	if (cmd == NULL || !json_object_object_get_ex(cmd, "id", &id)) {
		g_string_append_printf(peer->failures, "command without id: %s; ", line);
		return;
	}
	g_free(peer->last_id);
	peer->last_id = g_strdup(json_object_get_string(id));
}

static gpointer
peer_run(gpointer data)
{
	Peer *peer = data;

	if (peer->listen_fd >= 0)
		peer->fd = accept(peer->listen_fd, NULL, NULL);
	if (peer->fd < 0) {
		g_string_append(peer->failures, "accept failed; ");
		return NULL;
	}
	for (const PeerStep *step = peer->script; step->op != PEER_END; step++) {
		switch (step->op) {
		case PEER_SEND: {
			g_autoptr(GString) text = g_string_new(step->text);

			g_string_replace(text, "%ID%", peer->last_id ? peer->last_id : "", 0);
			peer_write(peer, text->str, text->len);
			break;
		}
		case PEER_EXPECT:
			peer_expect(peer, step->text);
			break;
		case PEER_PAUSE:
			g_usleep(step->n * 1000);
			break;
		case PEER_FLOOD: {
			g_autofree char *flood = g_malloc(step->n);

			memset(flood, 'x', step->n);
			peer_write(peer, flood, step->n);
			break;
		}
		case PEER_HANGUP:
			shutdown(peer->fd, SHUT_RDWR);
			break;
		case PEER_END:
			break;
		}
	}
	return NULL;
}

/* Starts a peer playing @script; returns the client's end of the pair. */
static GSocket *
peer_start(Peer *peer, const PeerStep *script)
{
	int fds[2];
	g_autoptr(GError) error = NULL;
	GSocket *socket;

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
	peer->fd = fds[1];
	peer->listen_fd = -1;
	peer->script = script;
	peer->last_id = NULL;
	peer->failures = g_string_new(NULL);
	peer->thread = g_thread_new("qmp-peer", peer_run, peer);
	socket = g_socket_new_from_fd(fds[0], &error);
	g_assert_no_error(error);
	return socket;
}

/* Starts a peer that accepts one client on the unix socket @path first,
 * as QEMU's -qmp unix:PATH,server=on does. */
static void
peer_listen(Peer *peer, const PeerStep *script, const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};

	g_assert_cmpuint(strlen(path), <, sizeof(addr.sun_path));
	strcpy(addr.sun_path, path);
	peer->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	g_assert_cmpint(peer->listen_fd, >=, 0);
	g_assert_cmpint(bind(peer->listen_fd, (struct sockaddr *)&addr, sizeof(addr)), ==, 0);
	g_assert_cmpint(listen(peer->listen_fd, 4), ==, 0);
	peer->fd = -1;
	peer->script = script;
	peer->last_id = NULL;
	peer->failures = g_string_new(NULL);
	peer->thread = g_thread_new("qmp-peer", peer_run, peer);
}

static void
peer_stop_listening(Peer *peer)
{
	if (peer->listen_fd >= 0)
		close(peer->listen_fd);
	peer->listen_fd = -1;
}

static void
peer_finish(Peer *peer)
{
	g_thread_join(peer->thread);
	peer_stop_listening(peer);
	if (peer->fd >= 0)
		close(peer->fd);
	g_assert_cmpstr(peer->failures->str, ==, "");
	g_string_free(peer->failures, TRUE);
	g_free(peer->last_id);
}

typedef struct {
	GPtrArray *events; /* "NAME data" */
	GError *closed;
	guint n_closed;
} Recorder;

static void
recorder_event(VmemQmp *qmp, const VmemQmpMessage *msg, gpointer user_data)
{
	Recorder *rec = user_data;

	g_ptr_array_add(
		rec->events,
		g_strdup_printf("%s %s", msg->event,
				json_object_to_json_string_ext(
					msg->value,
					JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)));
}

static void
recorder_closed(VmemQmp *qmp, GError *error, gpointer user_data)
{
	Recorder *rec = user_data;

	rec->n_closed++;
	g_clear_error(&rec->closed);
	rec->closed = g_error_copy(error);
}

static void
recorder_init(Recorder *rec)
{
	rec->events = g_ptr_array_new_with_free_func(g_free);
	rec->closed = NULL;
	rec->n_closed = 0;
}

static void
recorder_clear(Recorder *rec)
{
	g_ptr_array_unref(rec->events);
	g_clear_error(&rec->closed);
}

static void
spin_until(gboolean (*done)(Recorder *rec, guint n), Recorder *rec, guint n)
{
	gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

	while (!done(rec, n) && g_get_monotonic_time() < end) {
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(1000);
	}
	g_assert_true(done(rec, n));
}

static gboolean
has_events(Recorder *rec, guint n)
{
	return rec->events->len >= n;
}

static gboolean
has_closed(Recorder *rec, guint n)
{
	return rec->n_closed >= n;
}

static VmemQmp *
connect_to(Peer *peer, const PeerStep *script, guint timeout_ms, GError **error)
{
	g_autoptr(GSocket) socket = peer_start(peer, script);

	return vmem_qmp_new_for_socket(socket, "test-peer", timeout_ms, error);
}

static void
test_handshake_and_command(void)
{
	static const PeerStep script[] = {
		HANDSHAKE,
		{PEER_EXPECT, "\"execute\":\"query-status\"", 0},
		{PEER_SEND,
		 "{\"return\": {\"status\": \"running\", \"running\": true}, "
		 "\"id\": \"%ID%\"}\r\n",
		 0},
		{PEER_EXPECT, "\"arguments\":{\"path\":\"/machine/peripheral/vmem0\"", 0},
		{PEER_SEND, OK, 0},
		{PEER_END, NULL, 0},
	};
	Peer peer;
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemQmp) qmp = connect_to(&peer, script, 0, &error);
	g_autoptr(json_object) reply = NULL;
	g_autoptr(json_object) args = json_object_new_object();

	g_assert_no_error(error);
	g_assert_nonnull(qmp);
	g_assert_true(vmem_qmp_execute(qmp, "query-status", NULL, &reply, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(vmem_qmp_json_get_string(reply, "status", NULL), ==, "running");
	json_object_object_add(args, "path", json_object_new_string("/machine/peripheral/vmem0"));
	g_assert_true(vmem_qmp_execute(qmp, "qom-set", args, NULL, &error));
	g_assert_no_error(error);
	g_assert_false(vmem_qmp_is_closed(qmp));
	g_clear_object(&qmp);
	peer_finish(&peer);
}

/* Events before the reply are not delivered inside execute, but later from
 * the main loop, in order; so are events between commands. */
static void
test_events_out_of_order(void)
{
	static const PeerStep script[] = {
		HANDSHAKE,
		{PEER_EXPECT, "query-memory-devices", 0},
		{PEER_SEND,
		 "{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 5}, "
		 "\"event\": \"STOP\"}\r\n",
		 0},
		{PEER_SEND,
		 "{\"event\": \"MEMORY_DEVICE_SIZE_CHANGE\", \"data\": {\"id\": "
		 "\"vmem0\", \"size\": 2097152, \"qom-path\": "
		 "\"/machine/peripheral/vmem0\"}}\n",
		 0},
		{PEER_SEND, "{\"return\": [], \"id\": \"%ID%\"}\r\n", 0},
		{PEER_PAUSE, NULL, 50},
		{PEER_SEND, "{\"event\": \"RESUME\"}\r\n", 0},
		{PEER_END, NULL, 0},
	};
	Peer peer;
	Recorder rec;
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemQmp) qmp = connect_to(&peer, script, 0, &error);
	g_autoptr(json_object) reply = NULL;

	g_assert_no_error(error);
	recorder_init(&rec);
	g_signal_connect(qmp, "event", G_CALLBACK(recorder_event), &rec);
	g_signal_connect(qmp, "closed", G_CALLBACK(recorder_closed), &rec);
	g_assert_true(vmem_qmp_execute(qmp, "query-memory-devices", NULL, &reply, &error));
	g_assert_no_error(error);
	g_assert_true(json_object_is_type(reply, json_type_array));
	g_assert_cmpuint(rec.events->len, ==, 0);
	spin_until(has_events, &rec, 3);
	g_assert_cmpstr(rec.events->pdata[0], ==, "STOP {}");
	g_assert_cmpstr(rec.events->pdata[1], ==,
			"MEMORY_DEVICE_SIZE_CHANGE {\"id\":\"vmem0\",\"size\":2097152,"
			"\"qom-path\":\"/machine/peripheral/vmem0\"}");
	g_assert_cmpstr(rec.events->pdata[2], ==, "RESUME {}");
	g_clear_object(&qmp);
	peer_finish(&peer);
	recorder_clear(&rec);
}

/* A reply to a command that timed out arrives late: it is recognised by
 * its id and dropped, and the connection stays usable. */
static void
test_timeout_and_stale_reply(void)
{
	static const PeerStep script[] = {
		HANDSHAKE,
		{PEER_EXPECT, "query-status", 0},
		{PEER_PAUSE, NULL, 400},
		{PEER_SEND, "{\"return\": {\"status\": \"stale\"}, \"id\": \"%ID%\"}\r\n", 0},
		{PEER_EXPECT, "query-status", 0},
		{PEER_SEND, "{\"return\": {\"status\": \"running\"}, \"id\": \"%ID%\"}\r\n", 0},
		{PEER_END, NULL, 0},
	};
	Peer peer;
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemQmp) qmp = connect_to(&peer, script, 200, &error);
	g_autoptr(json_object) reply = NULL;
	gint64 start = g_get_monotonic_time();

	g_assert_no_error(error);
	g_assert_false(vmem_qmp_execute(qmp, "query-status", NULL, &reply, &error));
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_TIMED_OUT);
	g_assert_nonnull(strstr(error->message, "did not answer query-status within 200 ms"));
	g_assert_cmpint(g_get_monotonic_time() - start, <, 2 * G_USEC_PER_SEC);
	g_assert_null(reply);
	g_clear_error(&error);
	g_assert_false(vmem_qmp_is_closed(qmp));
	g_usleep(300 * 1000);
	g_assert_true(vmem_qmp_execute(qmp, "query-status", NULL, &reply, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(vmem_qmp_json_get_string(reply, "status", NULL), ==, "running");
	g_clear_object(&qmp);
	peer_finish(&peer);
}

typedef struct {
	const char *name;
	const char *reply; /* what the peer answers the command with */
	VmemError expect_code;
	const char *expect_message_part;
	gboolean expect_closed;
} FailCase;

static const FailCase fail_cases[] = {
	{"error-reply",
	 "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Property 'virtio-mem-pci."
	 "requested-size' not found\"}, \"id\": \"%ID%\"}\r\n",
	 VMEM_ERROR_VMM,
	 "QEMU refused qom-set: Property 'virtio-mem-pci.requested-size' not found "
	 "(GenericError)",
	 FALSE},
	{"device-not-found",
	 "{\"error\": {\"class\": \"DeviceNotFound\", \"desc\": \"Device 'nope' not found\"}, "
	 "\"id\": \"%ID%\"}\r\n",
	 VMEM_ERROR_NOT_FOUND, "Device 'nope' not found", FALSE},
	/* QEMU answers what it cannot parse without an id */
	{"error-without-id",
	 "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error\"}}\r\n",
	 VMEM_ERROR_VMM, "JSON parse error", FALSE},
	{"malformed", "{\"return\": {]}\r\n", VMEM_ERROR_INVALID_DATA, "invalid QMP message", TRUE},
	{"truncated-line", "{\"return\": {\"status\": \r\n", VMEM_ERROR_INVALID_DATA,
	 "it is truncated", TRUE},
	{"not-an-object", "[1, 2]\r\n", VMEM_ERROR_INVALID_DATA, "not a JSON object", TRUE},
	{"neither", "{\"id\": \"%ID%\"}\r\n", VMEM_ERROR_INVALID_DATA,
	 "neither a reply nor an event", TRUE},
	{"error-without-desc", "{\"error\": {\"class\": \"GenericError\"}, \"id\": \"%ID%\"}\r\n",
	 VMEM_ERROR_INVALID_DATA, "\"desc\"", TRUE},
	{"bad-utf8", "{\"return\": {\"x\": \"\xff\xfe\"}, \"id\": \"%ID%\"}\r\n",
	 VMEM_ERROR_INVALID_DATA, "invalid QMP message", TRUE},
	{"trailing-garbage", "{\"return\": {}, \"id\": \"%ID%\"} x\r\n", VMEM_ERROR_INVALID_DATA,
	 "invalid QMP message", TRUE},
	/* half a line, then QEMU dies */
	{"truncated-then-gone", "{\"return\": {\"sta", VMEM_ERROR_IO, "closed the QMP connection",
	 TRUE},
	{"gone", "", VMEM_ERROR_IO, "closed the QMP connection", TRUE},
};

static void
test_failure(gconstpointer data)
{
	const FailCase *c = data;
	const PeerStep script[] = {
		HANDSHAKE,
		{PEER_EXPECT, "qom-set", 0},
		{PEER_SEND, c->reply, 0},
		{PEER_HANGUP, NULL, 0},
		{PEER_END, NULL, 0},
	};
	Peer peer;
	Recorder rec;
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemQmp) qmp = connect_to(&peer, script, 2000, &error);

	g_assert_no_error(error);
	recorder_init(&rec);
	g_signal_connect(qmp, "event", G_CALLBACK(recorder_event), &rec);
	g_signal_connect(qmp, "closed", G_CALLBACK(recorder_closed), &rec);
	g_assert_false(vmem_qmp_execute(qmp, "qom-set", NULL, NULL, &error));
	g_test_message("%s", error->message);
	g_assert_error(error, VMEM_ERROR, (gint)c->expect_code);
	g_assert_nonnull(strstr(error->message, c->expect_message_part));
	g_clear_error(&error);
	if (c->expect_closed) {
		g_assert_true(vmem_qmp_is_closed(qmp));
		spin_until(has_closed, &rec, 1);
		g_assert_cmpuint(rec.n_closed, ==, 1);
		/* and it stays closed, with a clear error */
		g_assert_false(vmem_qmp_execute(qmp, "query-status", NULL, NULL, &error));
		g_assert_error(error, VMEM_ERROR, VMEM_ERROR_IO);
		g_assert_nonnull(strstr(error->message, "Cannot run query-status"));
	}
	g_clear_object(&qmp);
	peer_finish(&peer);
	recorder_clear(&rec);
}

/* A line that never ends is cut off at the cap, not buffered forever. */
static void
test_oversized(void)
{
	static const PeerStep script[] = {
		HANDSHAKE,
		{PEER_EXPECT, "query-status", 0},
		{PEER_SEND, "{\"return\": \"", 0},
		{PEER_FLOOD, NULL, VMEM_QMP_MAX_LINE + 4096},
		{PEER_END, NULL, 0},
	};
	Peer peer;
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemQmp) qmp = connect_to(&peer, script, 5000, &error);

	g_assert_no_error(error);
	g_assert_false(vmem_qmp_execute(qmp, "query-status", NULL, NULL, &error));
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
	g_assert_nonnull(strstr(error->message, "line longer than 1048576 bytes"));
	g_assert_true(vmem_qmp_is_closed(qmp));
	g_clear_object(&qmp);
	peer_finish(&peer);
}

/* QEMU goes away between commands: the main loop notices. */
static void
test_gone_while_idle(void)
{
	static const PeerStep script[] = {
		HANDSHAKE,
		{PEER_SEND,
		 "{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true, \"reason\": "
		 "\"guest-shutdown\"}}\r\n",
		 0},
		{PEER_HANGUP, NULL, 0},
		{PEER_END, NULL, 0},
	};
	Peer peer;
	Recorder rec;
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemQmp) qmp = connect_to(&peer, script, 0, &error);

	g_assert_no_error(error);
	recorder_init(&rec);
	g_signal_connect(qmp, "event", G_CALLBACK(recorder_event), &rec);
	g_signal_connect(qmp, "closed", G_CALLBACK(recorder_closed), &rec);
	spin_until(has_closed, &rec, 1);
	g_assert_cmpuint(rec.events->len, ==, 1);
	g_assert_cmpstr(rec.events->pdata[0], ==,
			"SHUTDOWN {\"guest\":true,\"reason\":\"guest-shutdown\"}");
	g_assert_error(rec.closed, VMEM_ERROR, VMEM_ERROR_IO);
	g_assert_false(vmem_qmp_execute(qmp, "query-status", NULL, NULL, &error));
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_IO);
	g_clear_object(&qmp);
	peer_finish(&peer);
	recorder_clear(&rec);
}

typedef struct {
	const char *name;
	const PeerStep *script;
	VmemError expect_code;
	const char *expect_message_part;
} GreetCase;

static const PeerStep greet_not_qmp[] = {{PEER_SEND, "{\"return\": {}}\r\n", 0}, {PEER_END}};
static const PeerStep greet_garbage[] = {{PEER_SEND, "SSH-2.0-OpenSSH_9.2\r\n", 0}, {PEER_END}};
static const PeerStep greet_silent[] = {{PEER_PAUSE, NULL, 500}, {PEER_END}};
static const PeerStep greet_refused[] = {
	{PEER_SEND, GREETING, 0},
	{PEER_EXPECT, "qmp_capabilities", 0},
	{PEER_SEND,
	 "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"nope\"}, \"id\": "
	 "\"%ID%\"}\r\n",
	 0},
	{PEER_END},
};

static const GreetCase greet_cases[] = {
	{"not-qmp", greet_not_qmp, VMEM_ERROR_INVALID_DATA, "does not greet like a QMP monitor"},
	{"garbage", greet_garbage, VMEM_ERROR_INVALID_DATA, "SSH-2.0"},
	{"silent", greet_silent, VMEM_ERROR_TIMED_OUT, "did not answer within 100 ms"},
	{"capabilities-refused", greet_refused, VMEM_ERROR_VMM, "refused qmp_capabilities"},
};

static void
test_greeting(gconstpointer data)
{
	const GreetCase *c = data;
	Peer peer;
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemQmp) qmp = connect_to(&peer, c->script, 100, &error);

	g_assert_null(qmp);
	g_assert_error(error, VMEM_ERROR, (gint)c->expect_code);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, c->expect_message_part));
	peer_finish(&peer);
}

/* QEMU talks to one QMP client per socket: a second client (libvirt holds
 * the first) is accepted by the kernel and never greeted.  The timeout
 * says where to look. */
static void
test_greeting_socket_taken(void)
{
	static const PeerStep script[] = {
		{PEER_PAUSE, NULL, 600},
		{PEER_END, NULL, 0},
	};
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("virtmem-qmp-XXXXXX", &error);
	g_autofree char *path = NULL;
	g_autoptr(VmemQmp) qmp = NULL;
	Peer peer;

	g_assert_no_error(error);
	path = g_build_filename(dir, "qmp.sock", NULL);
	peer_listen(&peer, script, path);
	qmp = vmem_qmp_connect(path, 200, &error);
	g_assert_null(qmp);
	g_test_message("%s", error->message);
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_TIMED_OUT);
	g_assert_nonnull(strstr(error->message, path));
	g_assert_nonnull(
		strstr(error->message, "did not answer within 200 ms with its QMP greeting"));
	g_assert_nonnull(
		strstr(error->message, "Is libvirt managing this QEMU? Use its libvirt URI."));
	peer_finish(&peer);
	g_unlink(path);
	g_rmdir(dir);
}

typedef struct {
	const char *name;
	const char *line;
	int expect_kind; /* a VmemQmpMessageKind, or -1 for an error */
	const char *expect_id;
	const char *expect_value;
} ParseCase;

static const ParseCase parse_cases[] = {
	{"greeting", "{\"QMP\": {\"version\": {}, \"capabilities\": []}}",
	 VMEM_QMP_MESSAGE_GREETING, NULL, "{\"version\":{},\"capabilities\":[]}"},
	{"return", "{\"return\": {\"a\": 1}, \"id\": \"x\"}", VMEM_QMP_MESSAGE_RETURN, "x",
	 "{\"a\":1}"},
	{"return-list", "{\"return\": [], \"id\": \"x\"}", VMEM_QMP_MESSAGE_RETURN, "x", "[]"},
	{"return-null", "{\"return\": null}", VMEM_QMP_MESSAGE_RETURN, NULL, "{}"},
	{"return-number-id", "{\"return\": {}, \"id\": 7}", VMEM_QMP_MESSAGE_RETURN, NULL, "{}"},
	{"error", "{\"error\": {\"class\": \"C\", \"desc\": \"D\"}, \"id\": \"y\"}",
	 VMEM_QMP_MESSAGE_ERROR, "y", "{\"class\":\"C\",\"desc\":\"D\"}"},
	{"event", "{\"event\": \"RESET\", \"data\": {\"guest\": true}}", VMEM_QMP_MESSAGE_EVENT,
	 NULL, "{\"guest\":true}"},
	{"event-no-data", "{\"event\": \"STOP\"}", VMEM_QMP_MESSAGE_EVENT, NULL, "{}"},
	{"trailing-space", "{\"return\": {}} \t", VMEM_QMP_MESSAGE_RETURN, NULL, "{}"},
	{"empty", "", -1, NULL, NULL},
	{"truncated", "{\"return\": {}", -1, NULL, NULL},
	{"two-values", "{}{}", -1, NULL, NULL},
	{"two-kinds", "{\"return\": {}, \"event\": \"STOP\"}", -1, NULL, NULL},
	{"event-not-string", "{\"event\": 1}", -1, NULL, NULL},
	{"event-data-not-object", "{\"event\": \"STOP\", \"data\": 1}", -1, NULL, NULL},
	{"error-not-object", "{\"error\": \"bad\"}", -1, NULL, NULL},
	{"greeting-not-object", "{\"QMP\": 1}", -1, NULL, NULL},
	/* json-c lets an overlong UTF-8 form through */
	{"event-overlong-utf8", "{\"event\": \"\xc0\xb8\"}", -1, NULL, NULL},
	{"deep",
	 "{\"return\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
	 "]]]]]]]]]]]]}",
	 -1, NULL, NULL},
};

static void
test_parse(gconstpointer data)
{
	const ParseCase *c = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemQmpMessage) msg = vmem_qmp_message_parse(c->line, strlen(c->line), &error);

	if (c->expect_kind < 0) {
		g_assert_null(msg);
		g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
		g_assert_true(g_utf8_validate(error->message, -1, NULL));
		return;
	}
	g_assert_no_error(error);
	g_assert_cmpint(msg->kind, ==, c->expect_kind);
	g_assert_cmpstr(msg->id, ==, c->expect_id);
	g_assert_cmpstr(json_object_to_json_string_ext(msg->value, JSON_C_TO_STRING_PLAIN), ==,
			c->expect_value);
}

static void
test_parse_embedded_nul(void)
{
	static const char line[] = "{\"return\": {}}\0garbage";
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemQmpMessage) msg = vmem_qmp_message_parse(line, sizeof(line) - 1, &error);

	g_assert_null(msg);
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
}

static void
test_parse_event_timestamp(void)
{
	static const char line[] =
		"{\"event\": \"STOP\", \"timestamp\": {\"seconds\": 12, \"microseconds\": 34}}";
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemQmpMessage) msg = vmem_qmp_message_parse(line, strlen(line), &error);

	g_assert_no_error(error);
	g_assert_cmpstr(msg->event, ==, "STOP");
	g_assert_cmpint(msg->timestamp_us, ==, 12 * G_USEC_PER_SEC + 34);
}

#define VMEM_ENTRY(id, node, req, size, max)                                                       \
	"{\"type\": \"virtio-mem\", \"data\": {\"id\": \"" id "\", \"memaddr\": 4294967296, "      \
	"\"requested-size\": " req ", \"size\": " size ", \"max-size\": " max ", "                 \
	"\"block-size\": 2097152, \"node\": " node ", \"memdev\": \"/objects/mem0\"}}"

static void
test_parse_devices(void)
{
	static const char reply[] =
		"[{\"type\": \"dimm\", \"data\": {\"id\": \"d0\"}}, " VMEM_ENTRY(
			"vmem0", "0", "1073741824", "536870912",
			"4294967296") ", " VMEM_ENTRY("vmem1", "1", "0", "0", "4294967296") "]";
	g_autoptr(json_object) json = json_tokener_parse(reply);
	g_autoptr(GPtrArray) devices = NULL;
	g_autoptr(GError) error = NULL;
	const VmemDevice *dev;

	g_assert_nonnull(json);
	g_assert_true(vmem_backend_qmp_parse_devices(json, &devices, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(devices->len, ==, 2);
	dev = devices->pdata[0];
	g_assert_cmpstr(dev->alias, ==, "vmem0");
	g_assert_cmpuint(dev->node, ==, 0);
	g_assert_cmpuint(dev->address, ==, G_GUINT64_CONSTANT(4294967296));
	g_assert_cmpuint(dev->requested, ==, G_GUINT64_CONSTANT(1073741824));
	g_assert_cmpuint(dev->plugged, ==, G_GUINT64_CONSTANT(536870912));
	g_assert_cmpuint(dev->size, ==, G_GUINT64_CONSTANT(4294967296));
	g_assert_cmpuint(dev->block_size, ==, 2097152);
	g_assert_cmpstr(dev->memdev, ==, "/objects/mem0");
	g_assert_cmpstr(((VmemDevice *)devices->pdata[1])->alias, ==, "vmem1");
	g_assert_cmpuint(((VmemDevice *)devices->pdata[1])->node, ==, 1);
}

static void
test_parse_devices_invalid(void)
{
	static const char *const replies[] = {
		"{}",
		"[1]",
		"[{\"type\": \"virtio-mem\"}]",
		"[{\"type\": \"virtio-mem\", \"data\": {\"id\": \"v\"}}]",
		"[" VMEM_ENTRY("v", "0", "-1", "0", "4294967296") "]",
		"[" VMEM_ENTRY("v", "0", "1.5", "0", "4294967296") "]",
		"[" VMEM_ENTRY("v", "0", "8589934592", "0", "4294967296") "]",
		"[" VMEM_ENTRY("v", "99999", "0", "0", "4294967296") "]",
	};

	for (guint i = 0; i < G_N_ELEMENTS(replies); i++) {
		g_autoptr(json_object) json = json_tokener_parse(replies[i]);
		g_autoptr(GPtrArray) devices = NULL;
		g_autoptr(GError) error = NULL;

		g_assert_nonnull(json);
		g_assert_false(vmem_backend_qmp_parse_devices(json, &devices, &error));
		g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
		g_assert_null(devices);
	}
}

static void
test_parse_status(void)
{
	static const struct {
		const char *status;
		const char *migrate;
		int expect; /* VmemRunState after query-migrate, -1 for an error */
	} cases[] = {
		{"{\"status\": \"running\", \"running\": true}", "{}", VMEM_RUN_STATE_RUNNING},
		{"{\"status\": \"running\"}", "{\"status\": \"active\"}", VMEM_RUN_STATE_MIGRATING},
		{"{\"status\": \"running\"}", "{\"status\": \"completed\"}",
		 VMEM_RUN_STATE_RUNNING},
		{"{\"status\": \"paused\"}", "{\"status\": \"postcopy-active\"}",
		 VMEM_RUN_STATE_MIGRATING},
		{"{\"status\": \"paused\"}", "{}", VMEM_RUN_STATE_PAUSED},
		{"{\"status\": \"inmigrate\"}", "{}", VMEM_RUN_STATE_MIGRATING},
		{"{\"status\": \"save-vm\"}", "{}", VMEM_RUN_STATE_SAVING},
		{"{\"status\": \"shutdown\"}", "{}", VMEM_RUN_STATE_SHUT_OFF},
		{"{\"status\": \"guest-panicked\"}", "{}", VMEM_RUN_STATE_CRASHED},
		{"{\"status\": \"martian\"}", "{}", -1},
		{"{\"running\": true}", "{}", -1},
		{"{\"status\": \"running\"}", "{\"status\": 3}", -1},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(json_object) status = json_tokener_parse(cases[i].status);
		g_autoptr(json_object) migrate = json_tokener_parse(cases[i].migrate);
		g_autoptr(GError) error = NULL;
		VmemRunState state = VMEM_RUN_STATE_CRASHED;
		gboolean migrating = FALSE;
		gboolean ok;

		ok = vmem_backend_qmp_parse_status(status, &state, &error) &&
		     vmem_backend_qmp_parse_migrating(migrate, &migrating, &error);
		if (cases[i].expect < 0) {
			g_assert_false(ok);
			g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
			continue;
		}
		g_assert_no_error(error);
		if (migrating)
			state = VMEM_RUN_STATE_MIGRATING;
		g_assert_cmpstr(vmem_run_state_to_string(state), ==,
				vmem_run_state_to_string((VmemRunState)cases[i].expect));
	}
}

static void
test_parse_uri(void)
{
	static const struct {
		const char *uri;
		const char *expect_path;
	} cases[] = {
		{"qmp+unix:///run/vm1/qmp.sock", "/run/vm1/qmp.sock"},
		{"QMP+UNIX:///tmp/a%20b.sock", "/tmp/a b.sock"},
		{"qmp+unix://host/tmp/qmp.sock", NULL},
		{"qmp+unix:///tmp/qmp.sock?x=1", NULL},
		{"qmp+unix:relative.sock", NULL},
		{"qmp+unix:///", NULL},
		{"qmp+tcp:///tmp/qmp.sock", NULL},
		{"qemu:///system", NULL},
		{"", NULL},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *path = NULL;
		gboolean ok = vmem_backend_qmp_parse_uri(cases[i].uri, &path, &error);

		g_test_message("%s", cases[i].uri);
		if (cases[i].expect_path == NULL) {
			g_assert_false(ok);
			g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT);
			g_assert_null(path);
			continue;
		}
		g_assert_no_error(error);
		g_assert_cmpstr(path, ==, cases[i].expect_path);
	}
}

/* clang-format off */
#define BACKEND_OPEN                                                                       \
	HANDSHAKE,                                                                         \
	{PEER_EXPECT, "migrate-set-capabilities", 0},                                      \
	{PEER_SEND, OK, 0},                                                                \
	{PEER_EXPECT, "query-name", 0},                                                    \
	{PEER_SEND, "{\"return\": {\"name\": \"fake\"}, \"id\": \"%ID%\"}\r\n", 0}
/* clang-format on */

typedef struct {
	GPtrArray *seen; /* "domain event" and "domain alias=size" */
} BackendRecorder;

static void
backend_size_changed(VmemBackend *backend, const char *domain, const char *alias, guint64 plugged,
		     gpointer user_data)
{
	GPtrArray *seen = user_data;

	g_ptr_array_add(seen, g_strdup_printf("%s %s=%" G_GUINT64_FORMAT, domain, alias, plugged));
}

static void
backend_domain_event(VmemBackend *backend, const char *domain, VmemDomainEvent event,
		     gpointer user_data)
{
	GPtrArray *seen = user_data;

	g_ptr_array_add(seen, g_strdup_printf("%s %s", domain, vmem_domain_event_to_string(event)));
}

static char *
socket_uri(const char *dir)
{
	return g_strconcat("qmp+unix://", dir, "/qmp.sock", NULL);
}

/* QMP events become backend callbacks; the end of QEMU is "gone", and
 * calls afterwards fail clearly. */
static void
test_backend_events(void)
{
	static const PeerStep script[] = {
		BACKEND_OPEN,
		{PEER_SEND, "{\"event\": \"STOP\"}\r\n", 0},
		{PEER_SEND, "{\"event\": \"RESUME\"}\r\n", 0},
		{PEER_SEND, "{\"event\": \"MIGRATION\", \"data\": {\"status\": \"setup\"}}\r\n", 0},
		{PEER_SEND, "{\"event\": \"MIGRATION\", \"data\": {\"status\": \"active\"}}\r\n",
		 0},
		{PEER_SEND, "{\"event\": \"MIGRATION\", \"data\": {\"status\": \"failed\"}}\r\n",
		 0},
		{PEER_SEND, "{\"event\": \"RESET\", \"data\": {\"guest\": true}}\r\n", 0},
		{PEER_SEND,
		 "{\"event\": \"MEMORY_DEVICE_SIZE_CHANGE\", \"data\": {\"id\": \"vmem0\", "
		 "\"size\": 4194304, \"qom-path\": \"/machine/peripheral/vmem0\"}}\r\n",
		 0},
		/* without an id: the name from the QOM path */
		{PEER_SEND,
		 "{\"event\": \"MEMORY_DEVICE_SIZE_CHANGE\", \"data\": {\"size\": 0, "
		 "\"qom-path\": \"/machine/peripheral/vmem3/virtio-backend\"}}\r\n",
		 0},
		{PEER_SEND,
		 "{\"event\": \"MEMORY_DEVICE_SIZE_CHANGE\", \"data\": {\"size\": -1}}\r\n", 0},
		{PEER_SEND,
		 "{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": false, \"reason\": "
		 "\"host-signal\"}}\r\n",
		 0},
		{PEER_HANGUP, NULL, 0},
		{PEER_END, NULL, 0},
	};
	static const char *const expect[] = {
		"fake paused",
		"fake resumed",
		"fake migration-started",
		"fake migration-finished",
		"fake reset",
		"fake vmem0=4194304",
		"fake vmem3=0",
		"fake shutdown",
		"fake gone",
	};
	g_autofree char *dir = g_dir_make_tmp("virtmem-test-qmp-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "qmp.sock", NULL);
	g_autofree char *uri = socket_uri(dir);
	g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) also_seen = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(VmemBackend) backend = NULL;
	g_autoptr(GPtrArray) devices = NULL;
	g_autoptr(GError) error = NULL;
	gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	Peer peer;

	peer_listen(&peer, script, path);
	backend = vmem_backend_open(uri, &error);
	g_assert_no_error(error);
	/* Two listeners (a daemon, an engine, a resize...): each sees all. */
	g_signal_connect(backend, "size-changed", G_CALLBACK(backend_size_changed), seen);
	g_signal_connect(backend, "domain-event", G_CALLBACK(backend_domain_event), seen);
	g_signal_connect(backend, "size-changed", G_CALLBACK(backend_size_changed), also_seen);
	g_signal_connect(backend, "domain-event", G_CALLBACK(backend_domain_event), also_seen);
	while (also_seen->len < G_N_ELEMENTS(expect) && g_get_monotonic_time() < end) {
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(1000);
	}
	g_assert_cmpuint(seen->len, ==, G_N_ELEMENTS(expect));
	g_assert_cmpuint(also_seen->len, ==, G_N_ELEMENTS(expect));
	for (guint i = 0; i < G_N_ELEMENTS(expect); i++) {
		g_assert_cmpstr(seen->pdata[i], ==, expect[i]);
		g_assert_cmpstr(also_seen->pdata[i], ==, expect[i]);
	}
	/* nobody listens any more: the reconnect fails clearly */
	peer_stop_listening(&peer);
	g_assert_false(vmem_backend_get_devices(backend, "fake", &devices, &error));
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(error->message, path));
	g_clear_object(&backend);
	peer_finish(&peer);
	g_unlink(path);
	g_rmdir(dir);
}

#define DEVICES_REPLY                                                                              \
	"{\"return\": [{\"type\": \"virtio-mem\", \"data\": {\"id\": \"vmem0\", \"memaddr\": "     \
	"4294967296, \"requested-size\": 0, \"size\": 0, \"max-size\": 4294967296, "               \
	"\"block-size\": 2097152, \"node\": 0, \"memdev\": \"/objects/mem0\"}}], \"id\": "         \
	"\"%ID%\"}\r\n"

/* set_requested checks the state and the device, then sets the QOM
 * property; a migration makes it refuse with "busy" before asking QEMU. */
static void
test_backend_set_requested(void)
{
	static const PeerStep script[] = {
		BACKEND_OPEN,
		{PEER_EXPECT, "query-status", 0},
		{PEER_SEND, "{\"return\": {\"status\": \"running\"}, \"id\": \"%ID%\"}\r\n", 0},
		{PEER_EXPECT, "query-migrate", 0},
		{PEER_SEND, "{\"return\": {}, \"id\": \"%ID%\"}\r\n", 0},
		{PEER_EXPECT, "query-memory-devices", 0},
		{PEER_SEND, DEVICES_REPLY, 0},
		{PEER_EXPECT,
		 "{\"execute\":\"qom-set\",\"arguments\":{\"path\":\"/machine/peripheral/"
		 "vmem0\",\"property\":\"requested-size\",\"value\":536870912}",
		 0},
		{PEER_SEND, OK, 0},
		{PEER_EXPECT, "query-status", 0},
		{PEER_SEND, "{\"return\": {\"status\": \"running\"}, \"id\": \"%ID%\"}\r\n", 0},
		{PEER_EXPECT, "query-migrate", 0},
		{PEER_SEND, "{\"return\": {\"status\": \"active\"}, \"id\": \"%ID%\"}\r\n", 0},
		{PEER_END, NULL, 0},
	};
	g_autofree char *dir = g_dir_make_tmp("virtmem-test-qmp-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "qmp.sock", NULL);
	g_autofree char *uri = socket_uri(dir);
	g_autoptr(VmemBackend) backend = NULL;
	g_autoptr(GError) error = NULL;
	Peer peer;

	peer_listen(&peer, script, path);
	backend = vmem_backend_open(uri, &error);
	g_assert_no_error(error);
	g_assert_true(vmem_backend_set_requested(backend, "fake", "vmem0", 512 * 1048576, &error));
	g_assert_no_error(error);
	g_assert_false(vmem_backend_set_requested(backend, "fake", "vmem0", 0, &error));
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_BUSY);
	g_clear_object(&backend);
	peer_finish(&peer);
	g_unlink(path);
	g_rmdir(dir);
}

#define DEVICE_REPLY(requested, size)                                                              \
	"{\"return\": [{\"type\": \"virtio-mem\", \"data\": {\"id\": \"vmem0\", \"memaddr\": "     \
	"4294967296, \"requested-size\": " requested ", \"size\": " size                           \
	", \"max-size\": 4294967296, \"block-size\": 2097152, \"node\": 0, \"memdev\": "           \
	"\"/objects/mem0\"}}], \"id\": \"%ID%\"}\r\n"
/* clang-format off */
#define RUNNING                                                                            \
	{PEER_EXPECT, "query-status", 0},                                                  \
	{PEER_SEND, "{\"return\": {\"status\": \"running\"}, \"id\": \"%ID%\"}\r\n", 0},         \
	{PEER_EXPECT, "query-migrate", 0},                                                 \
	{PEER_SEND, "{\"return\": {}, \"id\": \"%ID%\"}\r\n", 0}
/* clang-format on */

typedef struct {
	guint other_ticks; /* the test's own source, firing throughout */
	guint progress;
	gboolean nested; /* a signal came from inside a nested main loop */
	GAsyncResult *result;
} ResizeRun;

static gboolean
resize_other_tick(gpointer user_data)
{
	((ResizeRun *)user_data)->other_ticks++;
	return G_SOURCE_CONTINUE;
}

static void
resize_on_progress(VmemResize *resize, const VmemResizeProgress *progress, gpointer user_data)
{
	ResizeRun *run = user_data;

	run->progress++;
	run->nested |= g_main_depth() > 1;
}

static void
resize_on_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	ResizeRun *run = user_data;

	run->nested |= g_main_depth() > 1;
	run->result = g_object_ref(result);
}

/* A resize is an asynchronous operation: it returns at once, the caller's
 * main loop runs it (another source keeps firing meanwhile), and it never
 * spins a main loop of its own. */
static void
test_resize_async(void)
{
	static const PeerStep script[] = {
		BACKEND_OPEN,
		/* vmem_resize_new() */
		{PEER_EXPECT, "query-memory-devices", 0},
		{PEER_SEND, DEVICE_REPLY("0", "0"), 0},
		RUNNING,
		/* vmem_resize_apply() */
		RUNNING,
		{PEER_EXPECT, "query-memory-devices", 0},
		{PEER_SEND, DEVICE_REPLY("0", "0"), 0},
		{PEER_EXPECT, "\"value\":536870912", 0},
		{PEER_SEND, OK, 0},
		/* the first look: still plugging */
		{PEER_EXPECT, "query-memory-devices", 0},
		{PEER_SEND, DEVICE_REPLY("536870912", "0"), 0},
		RUNNING,
		/* the guest plugs it; the event (or the poll) makes the job look */
		{PEER_PAUSE, NULL, 100},
		{PEER_SEND,
		 "{\"event\": \"MEMORY_DEVICE_SIZE_CHANGE\", \"data\": {\"id\": \"vmem0\", "
		 "\"size\": 536870912, \"qom-path\": \"/machine/peripheral/vmem0\"}}\r\n",
		 0},
		{PEER_EXPECT, "query-memory-devices", 0},
		{PEER_SEND, DEVICE_REPLY("536870912", "536870912"), 0},
		RUNNING,
		{PEER_END, NULL, 0},
	};
	g_autofree char *dir = g_dir_make_tmp("virtmem-test-qmp-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "qmp.sock", NULL);
	g_autofree char *uri = socket_uri(dir);
	g_autoptr(VmemBackend) backend = NULL;
	g_autoptr(VmemResize) resize = NULL;
	g_autoptr(GError) error = NULL;
	ResizeRun run = {0};
	VmemJobState state = VMEM_JOB_NOT_RUNNING;
	guint other;
	Peer peer;

	peer_listen(&peer, script, path);
	backend = vmem_backend_open(uri, &error);
	g_assert_no_error(error);
	resize = vmem_resize_new(backend, "fake", &error);
	g_assert_no_error(error);
	g_assert_true(vmem_resize_plan_total(resize, 512 * 1048576, &error));
	g_assert_true(vmem_resize_apply(resize, VMEM_RESIZE_LIVE, &error));
	g_assert_no_error(error);

	other = g_timeout_add(1, resize_other_tick, &run);
	g_signal_connect(resize, "progress", G_CALLBACK(resize_on_progress), &run);
	vmem_resize_wait_async(resize, 10, NULL, resize_on_done, &run);
	g_assert_null(run.result);
	while (run.result == NULL)
		g_main_context_iteration(NULL, TRUE);
	g_source_remove(other);

	g_assert_true(vmem_resize_wait_finish(resize, run.result, &state, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(vmem_job_state_to_string(state), ==,
			vmem_job_state_to_string(VMEM_JOB_CONVERGED));
	g_assert_cmpuint(run.progress, ==, 2);
	g_assert_cmpuint(run.other_ticks, >, 0);
	g_assert_false(run.nested);
	g_clear_object(&run.result);
	g_clear_object(&resize);
	g_clear_object(&backend);
	peer_finish(&peer);
	g_unlink(path);
	g_rmdir(dir);
}

static void
test_open_unknown_uri(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemBackend) backend = vmem_backend_open("nosuch:///x", &error);

	/* Not QMP: libvirt's to judge, and it knows no such driver. */
	g_assert_null(backend);
	g_assert_nonnull(error);
	g_assert_true(g_str_has_prefix(error->message, "Cannot connect to nosuch:///x: "));
}

static void
test_open_no_socket(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemBackend) backend =
		vmem_backend_open("qmp+unix:///nonexistent/virtmem-test/qmp.sock", &error);

	g_assert_null(backend);
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(error->message, "/nonexistent/virtmem-test/qmp.sock"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/qmp/client/handshake-and-command", test_handshake_and_command);
	g_test_add_func("/qmp/client/events-out-of-order", test_events_out_of_order);
	g_test_add_func("/qmp/client/timeout-and-stale-reply", test_timeout_and_stale_reply);
	for (guint i = 0; i < G_N_ELEMENTS(fail_cases); i++) {
		g_autofree char *path = g_strdup_printf("/qmp/client/fail/%s", fail_cases[i].name);
		g_test_add_data_func(path, &fail_cases[i], test_failure);
	}
	g_test_add_func("/qmp/client/oversized", test_oversized);
	g_test_add_func("/qmp/client/greeting-socket-taken", test_greeting_socket_taken);
	g_test_add_func("/qmp/client/gone-while-idle", test_gone_while_idle);
	for (guint i = 0; i < G_N_ELEMENTS(greet_cases); i++) {
		g_autofree char *path =
			g_strdup_printf("/qmp/client/greeting/%s", greet_cases[i].name);
		g_test_add_data_func(path, &greet_cases[i], test_greeting);
	}
	for (guint i = 0; i < G_N_ELEMENTS(parse_cases); i++) {
		g_autofree char *path = g_strdup_printf("/qmp/parse/%s", parse_cases[i].name);
		g_test_add_data_func(path, &parse_cases[i], test_parse);
	}
	g_test_add_func("/qmp/parse/embedded-nul", test_parse_embedded_nul);
	g_test_add_func("/qmp/parse/event-timestamp", test_parse_event_timestamp);
	g_test_add_func("/qmp/backend/parse-devices", test_parse_devices);
	g_test_add_func("/qmp/backend/parse-devices-invalid", test_parse_devices_invalid);
	g_test_add_func("/qmp/backend/parse-status", test_parse_status);
	g_test_add_func("/qmp/backend/parse-uri", test_parse_uri);
	g_test_add_func("/qmp/backend/open-unknown-uri", test_open_unknown_uri);
	g_test_add_func("/qmp/backend/events", test_backend_events);
	g_test_add_func("/qmp/backend/set-requested", test_backend_set_requested);
	g_test_add_func("/qmp/backend/resize-async", test_resize_async);
	g_test_add_func("/qmp/backend/open-no-socket", test_open_no_socket);
	return g_test_run();
}
