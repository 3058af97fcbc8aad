/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The agent channel against scripted peers on a socketpair (hello, reports,
 * hostile lines, floods, requests, hang-ups), against a unix socket that
 * goes away and comes back, and against the real virtmem-agent reading a
 * fixture tree (tests/agent/).
 */
#include "config.h"

#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmem-agent-channel.h"
#include "vmem-agent-protocol.h"
#include "vmem-error.h"
#include "vmem-test-dir.h"

#define HELLO                                                                                      \
	"{\"type\":\"hello\",\"protocol\":1,\"agent\":\"virtmem-agent\",\"version\":\"9.9\","      \
	"\"capabilities\":[\"report\",\"report-now\",\"set-interval\"]}\n"

typedef struct {
	guint connected;
	guint disconnected;
	guint hellos;
	guint reports;
} Events;

static void
on_event(VmemAgentChannel *channel, VmemAgentChannelEvent event, gpointer user_data)
{
	Events *ev = user_data;

	switch (event) {
	case VMEM_AGENT_CHANNEL_CONNECTED:
		ev->connected++;
		break;
	case VMEM_AGENT_CHANNEL_DISCONNECTED:
		ev->disconnected++;
		break;
	case VMEM_AGENT_CHANNEL_HELLO:
		ev->hellos++;
		break;
	case VMEM_AGENT_CHANNEL_REPORT:
		ev->reports++;
		break;
	}
}

static gboolean
on_timeout(gpointer user_data)
{
	*(gboolean *)user_data = TRUE;
	return G_SOURCE_REMOVE;
}

/* Runs the main loop until *counter reaches want, or fails after 10 s. */
static void
wait_for(guint *counter, guint want)
{
	gboolean timed_out = FALSE;
	guint id = g_timeout_add_seconds(10, on_timeout, &timed_out);

	while (*counter < want && !timed_out)
		g_main_context_iteration(NULL, TRUE);
	g_assert_false(timed_out);
	g_source_remove(id);
}

/* Runs the main loop until it is idle. */
static void
drain(void)
{
	for (guint i = 0; i < 1000 && g_main_context_iteration(NULL, FALSE); i++)
		;
}

static char *
report_line(guint64 seq, guint64 available_kib)
{
	return g_strdup_printf(
		"{\"type\":\"report\",\"seq\":%" G_GUINT64_FORMAT ",\"time_ms\":5,\"reason\":"
		"\"periodic\",\"interval_ms\":1000,\"system\":{\"kernel\":\"6.12\",\"driver_"
		"loaded\""
		":true,\"driver_devices\":1,\"auto_online_blocks\":\"online_movable\"},\"memory\":{"
		"\"total_kib\":1000000,\"available_kib\":%" G_GUINT64_FORMAT ",\"free_kib\":1,"
		"\"cached_kib\":1,\"swap_total_kib\":0,\"swap_free_kib\":0},\"psi\":null,"
		"\"block_size\":134217728,\"devices\":[{\"name\":\"virtio1\",\"start\":4294967296,"
		"\"size\":1073741824,\"blocks\":2,\"movable\":2,\"normal\":0,\"offline\":0,"
		"\"other\":0}]}\n",
		seq, available_kib);
}

static void
peer_write(int fd, const char *data, gsize len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		g_assert_cmpint(n, >, 0);
		data += n;
		len -= (gsize)n;
	}
}

static void
peer_write_str(int fd, const char *s)
{
	peer_write(fd, s, strlen(s));
}

/* Reads what the channel sent to the peer so far. */
static char *
peer_read(int fd)
{
	char buf[4096];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	return g_strndup(buf, n > 0 ? (gsize)n : 0);
}

static VmemAgentChannel *
channel_on_pair(int *ret_peer, Events *ev)
{
	g_autoptr(GError) error = NULL;
	VmemAgentChannel *ch;
	int sv[2];

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
	ch = vmem_agent_channel_new_fd(sv[0]);
	g_signal_connect(ch, "event", G_CALLBACK(on_event), ev);
	g_assert_true(vmem_agent_channel_start(ch, &error));
	g_assert_no_error(error);
	*ret_peer = sv[1];
	return ch;
}

static void
test_hello_and_reports(void)
{
	Events ev = {0};
	int peer = -1;
	g_autoptr(VmemAgentChannel) ch = channel_on_pair(&peer, &ev);
	g_autofree char *sent = NULL;
	g_autofree char *r1 = report_line(1, 500);
	g_autofree char *r2 = report_line(2, 600);
	const VmemAgentReport *report;
	VmemAgentChannelStats stats;
	gint64 received = 0;

	g_assert_cmpuint(ev.connected, ==, 1);
	sent = peer_read(peer);
	g_assert_cmpstr(sent, ==, "{\"type\":\"hello\"}\n");

	/* Before a hello, reports are not trusted to follow our protocol. */
	peer_write_str(peer, r1);
	peer_write_str(peer, "{\"type\":\"something-new\",\"x\":1}\n");
	peer_write_str(peer, HELLO);
	wait_for(&ev.hellos, 1);
	g_assert_cmpuint(ev.reports, ==, 0);
	g_assert_cmpstr(vmem_agent_channel_get_hello(ch)->version, ==, "9.9");

	/* A report in two pieces, then another. */
	peer_write(peer, r1, 10);
	drain();
	peer_write_str(peer, r1 + 10);
	peer_write_str(peer, r2);
	wait_for(&ev.reports, 2);
	report = vmem_agent_channel_get_report(ch, &received);
	g_assert_cmpuint(report->seq, ==, 2);
	g_assert_cmpuint(report->mem_available_kib, ==, 600);
	g_assert_cmpint(received, >, 0);

	vmem_agent_channel_get_stats(ch, &stats);
	g_assert_cmpuint(stats.connects, ==, 1);
	g_assert_cmpuint(stats.lines, ==, 5);
	g_assert_cmpuint(stats.hellos, ==, 1);
	g_assert_cmpuint(stats.reports, ==, 2);
	g_assert_cmpuint(stats.ignored, ==, 2);
	g_assert_cmpuint(stats.invalid, ==, 0);

	/* The peer hangs up: the last report stays. */
	close(peer);
	wait_for(&ev.disconnected, 1);
	g_assert_false(vmem_agent_channel_is_connected(ch));
	g_assert_nonnull(vmem_agent_channel_get_report(ch, NULL));
}

static void
test_hostile_lines(void)
{
	Events ev = {0};
	int peer = -1;
	g_autoptr(VmemAgentChannel) ch = channel_on_pair(&peer, &ev);
	g_autofree char *good = report_line(7, 700);
	g_autofree char *bad = report_line(8, 2000000); /* MemAvailable > MemTotal */
	g_autofree char *huge = g_malloc(200 * 1024);
	VmemAgentChannelStats stats;

	memset(huge, '{', 200 * 1024);
	peer_write_str(peer, HELLO);
	peer_write_str(peer, bad);
	peer_write(peer, "\xff\xfe\x00garbage\n", 11);
	/* 200 KiB without a newline, read while it is written */
	for (guint i = 0; i < 200; i++) {
		peer_write(peer, huge, 1024);
		drain();
	}
	peer_write_str(peer, "\n");
	peer_write_str(peer, good);
	wait_for(&ev.reports, 1);

	vmem_agent_channel_get_stats(ch, &stats);
	g_assert_cmpuint(stats.invalid, ==, 2);
	g_assert_cmpuint(stats.overlong, ==, 1);
	g_assert_cmpuint(stats.reports, ==, 1);
	g_assert_cmpuint(vmem_agent_channel_get_report(ch, NULL)->seq, ==, 7);
	g_assert_true(vmem_agent_channel_is_connected(ch));
	close(peer);
}

static void
test_rate_limit(void)
{
	Events ev = {0};
	int peer = -1;
	g_autoptr(VmemAgentChannel) ch = NULL;
	g_autoptr(GString) flood = g_string_new(HELLO);
	VmemAgentChannelStats stats;
	gint64 start;
	double seconds;

	ch = channel_on_pair(&peer, &ev);
	vmem_agent_channel_set_rate_limit(ch, 50, 10);
	for (guint i = 1; i <= 400; i++) {
		g_autofree char *line = report_line(i, i);

		g_string_append(flood, line);
	}
	/* 260 KiB at once: more than the socket holds, so the writer waits
	 * while the channel pauses. */
	start = g_get_monotonic_time();
	for (gsize off = 0; off < flood->len;) {
		ssize_t n = send(peer, flood->str + off, flood->len - off, MSG_DONTWAIT);

		if (n > 0)
			off += (gsize)n;
		g_main_context_iteration(NULL, n <= 0);
	}
	close(peer);
	wait_for(&ev.disconnected, 1);
	seconds = (g_get_monotonic_time() - start) / (double)G_USEC_PER_SEC;

	/* Every line was read; those over 50 a second were dropped, and reading
	 * paused instead of spinning. */
	vmem_agent_channel_get_stats(ch, &stats);
	g_test_message("%" G_GUINT64_FORMAT " reports, %" G_GUINT64_FORMAT
		       " dropped, %" G_GUINT64_FORMAT " pauses in %.2f s",
		       stats.reports, stats.rate_limited, stats.pauses, seconds);
	g_assert_cmpuint(stats.lines, ==, 401);
	g_assert_cmpuint(stats.reports + stats.rate_limited, ==, 400);
	g_assert_cmpuint(stats.rate_limited, >, 0);
	g_assert_cmpuint(stats.pauses, >, 0);
	g_assert_cmpuint(stats.reports, >=, 9);
	g_assert_cmpfloat(stats.reports, <=, 10 + 50 * seconds + 1);
}

static void
test_requests(void)
{
	Events ev = {0};
	int peer = -1;
	g_autoptr(VmemAgentChannel) ch = channel_on_pair(&peer, &ev);
	g_autoptr(GError) error = NULL;
	g_autofree char *hello_request = peer_read(peer);
	g_autofree char *sent = NULL;

	/* No hello yet: no requests. */
	g_assert_false(vmem_agent_channel_request_report(ch, &error));
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_NOT_FOUND);
	g_clear_error(&error);

	peer_write_str(peer, HELLO);
	wait_for(&ev.hellos, 1);
	g_assert_true(vmem_agent_channel_request_report(ch, &error));
	g_assert_no_error(error);
	g_assert_true(vmem_agent_channel_set_interval(ch, 5000, &error));
	g_assert_no_error(error);
	g_assert_false(vmem_agent_channel_set_interval(ch, 5, &error));
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	sent = peer_read(peer);
	g_assert_cmpstr(
		sent, ==,
		"{\"type\":\"report-now\"}\n{\"type\":\"set-interval\",\"interval_ms\":5000}\n");

	/* An agent error is recorded, not fatal. */
	peer_write_str(peer,
		       "{\"type\":\"error\",\"request\":\"x\",\"message\":\"no such request\"}\n");
	peer_write_str(peer, "{\"type\":\"hello\",\"protocol\":2,\"agent\":\"virtmem-agent\","
			     "\"version\":\"99\",\"capabilities\":[]}\n");
	wait_for(&ev.hellos, 2);
	/* Protocol 2 is not ours: its reports and our requests stop. */
	g_assert_nonnull(strstr(vmem_agent_channel_get_last_error(ch), "protocol 2"));
	g_assert_false(vmem_agent_channel_request_report(ch, &error));
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_NOT_FOUND);
	close(peer);
}

static int
listen_unix(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpuint(strlen(path), <, sizeof(addr.sun_path));
	strcpy(addr.sun_path, path);
	g_assert_cmpint(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), ==, 0);
	g_assert_cmpint(listen(fd, 1), ==, 0);
	return fd;
}

static gboolean
on_accept(int fd, GIOCondition condition, gpointer user_data)
{
	*(int *)user_data = accept(fd, NULL, NULL);
	return G_SOURCE_REMOVE;
}

static int
wait_accept(int listener)
{
	int conn = -1;
	guint id = g_unix_fd_add(listener, G_IO_IN, on_accept, &conn);
	gboolean timed_out = FALSE;
	guint timeout = g_timeout_add_seconds(10, on_timeout, &timed_out);

	while (conn < 0 && !timed_out)
		g_main_context_iteration(NULL, TRUE);
	g_assert_false(timed_out);
	g_source_remove(timeout);
	if (conn < 0)
		g_source_remove(id);
	return conn;
}

static void
test_socket_reconnect(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("vmem-agent-XXXXXX", &error);
	g_autofree char *path = g_build_filename(dir, "agent.sock", NULL);
	g_autoptr(VmemAgentChannel) ch = vmem_agent_channel_new_socket(path);
	g_autofree char *r1 = report_line(1, 100);
	g_autofree char *r2 = report_line(1, 200);
	Events ev = {0};
	VmemAgentChannelStats stats;
	int listener, conn;

	g_assert_no_error(error);
	g_signal_connect(ch, "event", G_CALLBACK(on_event), &ev);
	vmem_agent_channel_set_reconnect_interval(ch, 50);

	/* Nobody listens yet: the channel keeps trying. */
	g_assert_false(vmem_agent_channel_start(ch, &error));
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_IO);
	listener = listen_unix(path);
	conn = wait_accept(listener);
	wait_for(&ev.connected, 1);
	peer_write_str(conn, HELLO);
	peer_write_str(conn, r1);
	wait_for(&ev.reports, 1);

	/* The other end restarts (QEMU's chardev after a guest reboot). */
	close(conn);
	wait_for(&ev.disconnected, 1);
	conn = wait_accept(listener);
	wait_for(&ev.connected, 2);
	peer_write_str(conn, HELLO);
	peer_write_str(conn, r2);
	wait_for(&ev.reports, 2);
	g_assert_cmpuint(vmem_agent_channel_get_report(ch, NULL)->mem_available_kib, ==, 200);
	vmem_agent_channel_get_stats(ch, &stats);
	g_assert_cmpuint(stats.connects, ==, 2);
	g_assert_cmpuint(stats.hellos, ==, 2);

	close(conn);
	close(listener);
	g_unlink(path);
	g_rmdir(dir);
}

static void
on_agent_exited(GObject *source, GAsyncResult *result, gpointer user_data)
{
	*(gboolean *)user_data = TRUE;
}

static gboolean
on_agent_timeout(gpointer user_data)
{
	*(gboolean *)user_data = TRUE;
	return G_SOURCE_REMOVE;
}

/* Starts the real agent on @root with the socketpair as its stdio. */
static VmemAgentChannel *
start_agent(const char *root, const char *interval_ms, Events *ev, GSubprocess **ret_agent)
{
	const char *argv[] = {VMEM_TEST_AGENT, "--stdout",  "--root", root,
			      "--interval",    interval_ms, NULL};
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	VmemAgentChannel *ch;
	int sv[2];

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
	launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_NONE);
	g_subprocess_launcher_take_stdin_fd(launcher, dup(sv[1]));
	g_subprocess_launcher_take_stdout_fd(launcher, sv[1]);
	*ret_agent = g_subprocess_launcher_spawnv(launcher, argv, &error);
	g_assert_no_error(error);
	g_clear_object(&launcher); /* closes our copies of the agent's ends */

	ch = vmem_agent_channel_new_fd(sv[0]);
	g_signal_connect(ch, "event", G_CALLBACK(on_event), ev);
	g_assert_true(vmem_agent_channel_start(ch, &error));
	g_assert_no_error(error);
	return ch;
}

/* Hangs up on @agent: an agent on stdio has nobody to report to and exits
 * by itself, so no agent outlives its reader. */
static void
stop_agent(VmemAgentChannel *ch, GSubprocess *agent)
{
	gboolean exited = FALSE, timed_out = FALSE;

	g_object_unref(ch);
	g_subprocess_wait_async(agent, NULL, on_agent_exited, &exited);
	g_timeout_add_seconds(10, on_agent_timeout, &timed_out);
	while (!exited && !timed_out)
		g_main_context_iteration(NULL, TRUE);
	g_assert_true(exited);
	g_assert_true(g_subprocess_get_successful(agent));
}

/* The real agent, on a fixture tree, with the socketpair as its stdio. */
static void
test_real_agent(void)
{
	g_autofree char *root = g_test_build_filename(G_TEST_DIST, "agent", "mixed", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocess) agent = NULL;
	Events ev = {0};
	VmemAgentChannel *ch = start_agent(root, "200", &ev, &agent);
	const VmemAgentReport *report;

	wait_for(&ev.reports, 2);
	g_assert_cmpuint(ev.hellos, >=, 1);
	g_assert_true(
		vmem_agent_hello_has_capability(vmem_agent_channel_get_hello(ch), "set-interval"));
	g_assert_true(vmem_agent_hello_has_capability(vmem_agent_channel_get_hello(ch), "watch"));
	report = vmem_agent_channel_get_report(ch, NULL);
	g_assert_cmpuint(report->interval_ms, ==, 200);
	g_assert_true(vmem_agent_report_unplug_may_stick(report));
	g_assert_cmpuint(vmem_agent_report_get_movable_bytes(report), ==, 256 << 20);

	/* Requests reach it: it reports at once with the new interval. */
	g_assert_true(vmem_agent_channel_set_interval(ch, 100, &error));
	g_assert_no_error(error);
	for (guint want = ev.reports + 1;; want++) {
		wait_for(&ev.reports, want);
		report = vmem_agent_channel_get_report(ch, NULL);
		if (report->interval_ms == 100)
			break;
	}
	g_assert_cmpstr(report->reason, ==, "request");
	stop_agent(ch, agent);
}

static void
write_meminfo(const char *path, guint64 total_kib, guint64 available_kib)
{
	g_autofree char *text = g_strdup_printf("MemTotal:        %7" G_GUINT64_FORMAT " kB\n"
						"MemFree:          100000 kB\n"
						"MemAvailable:    %7" G_GUINT64_FORMAT " kB\n",
						total_kib, available_kib);
	FILE *f = fopen(path, "w");

	/* in place: the agent keeps /proc files open and reads them again */
	g_assert_nonnull(f);
	g_assert_cmpint(fputs(text, f), >=, 0);
	g_assert_cmpint(fclose(f), ==, 0);
}

/* Lets @n watches of the agent go by */
static void
let_watches_pass(guint n)
{
	gboolean waited = FALSE;

	g_timeout_add(n * VMEM_AGENT_WATCH_MS, on_agent_timeout, &waited);
	while (!waited)
		g_main_context_iteration(NULL, TRUE);
}

/* Between periodic reports, the agent reports at once when the memory in
 * use rises by a sixteenth of MemTotal (93,750 KiB at 1,500,000 KiB), and
 * not for less, nor when MemTotal moves with MemAvailable (an unplug). */
static void
test_real_agent_watch(void)
{
	g_autofree char *root = g_dir_make_tmp("vmem-agent-watch-XXXXXX", NULL);
	g_autofree char *proc = g_build_filename(root, "proc", NULL);
	g_autofree char *meminfo = g_build_filename(proc, "meminfo", NULL);
	g_autoptr(GSubprocess) agent = NULL;
	g_autoptr(GError) error = NULL;
	VmemAgentChannel *ch;
	const VmemAgentReport *report;
	Events ev = {0};

	g_assert_cmpint(g_mkdir(proc, 0700), ==, 0);
	write_meminfo(meminfo, 1600000, 1000000);
	/* an hour between periodic reports: every report below is the watch's */
	ch = start_agent(root, "3600000", &ev, &agent);
	wait_for(&ev.reports, 1);
	g_assert_cmpstr(vmem_agent_channel_get_report(ch, NULL)->reason, ==, "start");

	/* less than a sixteenth more in use: five watches go by quietly */
	write_meminfo(meminfo, 1600000, 910000);
	let_watches_pass(5);
	g_assert_cmpuint(ev.reports, ==, 1);
	/* an unplug of 100,000 KiB: less available, but no more in use */
	write_meminfo(meminfo, 1500000, 810000);
	let_watches_pass(5);
	g_assert_cmpuint(ev.reports, ==, 1);

	/* more than a sixteenth more in use than at the last report: at once */
	write_meminfo(meminfo, 1500000, 799000);
	wait_for(&ev.reports, 2);
	report = vmem_agent_channel_get_report(ch, NULL);
	g_assert_cmpstr(report->reason, ==, "rising");
	g_assert_cmpuint(report->mem_available_kib, ==, 799000);

	/* the next rise counts from that report */
	write_meminfo(meminfo, 1500000, 700000);
	wait_for(&ev.reports, 3);
	g_assert_cmpuint(vmem_agent_channel_get_report(ch, NULL)->mem_available_kib, ==, 700000);
	/* reporting again soon, it finds that nobody reads it any more */
	g_assert_true(vmem_agent_channel_set_interval(ch, 100, &error));
	g_assert_no_error(error);
	stop_agent(ch, agent);
	vmem_test_remove_dir(root);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/agent/channel/hello-and-reports", test_hello_and_reports);
	g_test_add_func("/agent/channel/hostile-lines", test_hostile_lines);
	g_test_add_func("/agent/channel/rate-limit", test_rate_limit);
	g_test_add_func("/agent/channel/requests", test_requests);
	g_test_add_func("/agent/channel/socket-reconnect", test_socket_reconnect);
	g_test_add_func("/agent/channel/real-agent", test_real_agent);
	g_test_add_func("/agent/channel/real-agent-watch", test_real_agent_watch);
	return g_test_run();
}
