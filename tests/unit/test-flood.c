/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Floods, measured the way a user meets them: `virtmemctl -c qmp+unix://...
 * show` against a peer that greets like QEMU and then sends events as fast
 * as it can, answering the commands amid the flood or never.  Before, the
 * event queue grew to 3.4 GB and the 10 s timeout did not hold while input
 * kept arriving, and under `ulimit -v 2000000` it crashed.  The child runs
 * under that limit; its peak RSS and wall time must stay bounded; the
 * figures are printed.
 */
#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* What the child may use at most, whatever the peer sends */
#define FLOOD_RSS_MAX_KIB (64 * 1024)
/* QMP's bound on a command, and what a deadline may overrun */
#define FLOOD_QMP_TIMEOUT_S 10
#define FLOOD_OVERRUN_S 1

#define GREETING                                                                                   \
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 0, \"major\": 10}}, "        \
	"\"capabilities\": []}}\r\n"
#define EVENT                                                                                      \
	"{\"event\": \"BALLOON_CHANGE\", \"data\": {\"actual\": 1073741824}, \"timestamp\": "      \
	"{\"seconds\": 1700000000, \"microseconds\": 1}}\r\n"

static const char *virtmemctl;

typedef struct {
	int listen_fd;
	gboolean answer; /* answer commands amid the flood */
	gint64 until_us; /* stop flooding then at the latest */
	guint64 events;	 /* sent */
} Peer;

static const char *
peer_reply_for(const char *command)
{
	if (g_str_equal(command, "query-name"))
		return "{\"name\": \"flood\"}";
	if (g_str_equal(command, "query-status"))
		return "{\"status\": \"running\", \"running\": true}";
	if (g_str_equal(command, "query-memory-devices"))
		return "[{\"type\": \"virtio-mem\", \"data\": {\"id\": \"vmem0\", \"memaddr\": "
		       "4294967296, \"requested-size\": 0, \"size\": 0, \"max-size\": 4294967296, "
		       "\"block-size\": 2097152, \"node\": 0, \"memdev\": \"/objects/mem0\"}}]";
	return "{}";
}

/* Events a peer floods before each answer: a command is answered only
 * after this many events came in front of it. */
#define FLOOD_EVENTS_PER_ANSWER 100000

/* Queues the answer to each complete command line in @in (the capabilities
 * negotiation always, the rest when @answer) on @answers. */
static void
peer_answer(GString *in, gboolean answer, GQueue *answers)
{
	char *nl;

	while ((nl = memchr(in->str, '\n', in->len)) != NULL) {
		g_autofree char *line = g_strndup(in->str, (gsize)(nl - in->str));
		g_autofree char *command = NULL;
		g_autofree char *id = NULL;
		g_autofree char *reply = NULL;
		char *p;

		g_string_erase(in, 0, (gssize)(nl - in->str) + 1);
		if ((p = strstr(line, "\"execute\":\"")) != NULL)
			command = g_strndup(p + 11, strcspn(p + 11, "\""));
		if ((p = strstr(line, "\"id\":\"")) != NULL)
			id = g_strndup(p + 6, strcspn(p + 6, "\""));
		if (command == NULL || (!answer && !g_str_equal(command, "qmp_capabilities")))
			continue;
		reply = g_strdup_printf("{\"return\": %s, \"id\": \"%s\"}\r\n",
					peer_reply_for(command), id ? id : "");
		g_queue_push_tail(answers, g_steal_pointer(&reply));
	}
}

static gpointer
peer_run(gpointer data)
{
	Peer *peer = data;
	g_autoptr(GString) in = g_string_new(NULL);
	g_autoptr(GString) flood = g_string_new(NULL);
	struct pollfd pfd = {.events = POLLIN};
	GQueue answers = G_QUEUE_INIT;
	gboolean greeted = FALSE;
	guint64 since_answer = 0;
	int fd;

	pfd.fd = peer->listen_fd;
	if (poll(&pfd, 1, 15000) != 1)
		return NULL;
	fd = accept(peer->listen_fd, NULL, NULL);
	if (fd < 0)
		return NULL;
	for (guint i = 0; i < 512; i++)
		g_string_append(flood, EVENT);
	send(fd, GREETING, strlen(GREETING), MSG_NOSIGNAL);
	pfd.fd = fd;
	while (g_get_monotonic_time() < peer->until_us) {
		char buf[4096];
		ssize_t n;

		/* the flood starts once the client negotiated */
		pfd.events = POLLIN | (greeted ? POLLOUT : 0);
		if (poll(&pfd, 1, 100) < 0 || (pfd.revents & (POLLERR | POLLHUP)))
			break;
		if (pfd.revents & POLLIN) {
			n = read(fd, buf, sizeof(buf));
			if (n <= 0)
				break;
			g_string_append_len(in, buf, n);
			peer_answer(in, peer->answer, &answers);
		}
		/* the capabilities at once, the rest behind a flood */
		if (!g_queue_is_empty(&answers) &&
		    (!greeted || since_answer >= FLOOD_EVENTS_PER_ANSWER)) {
			g_autofree char *reply = g_queue_pop_head(&answers);

			if (send(fd, reply, strlen(reply), MSG_NOSIGNAL) < 0)
				break;
			greeted = TRUE;
			since_answer = 0;
		}
		if (pfd.revents & POLLOUT) {
			n = send(fd, flood->str, flood->len, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0 && errno != EAGAIN)
				break;
			if (n > 0) {
				peer->events += (guint64)n / strlen(EVENT);
				since_answer += (guint64)n / strlen(EVENT);
			}
		}
	}
	g_queue_clear_full(&answers, g_free);
	close(fd);
	return NULL;
}

/* The child runs with at most this much address space, as measured with
 * `ulimit -v 2000000` (it crashed with SIGSEGV there before). */
#define FLOOD_ADDRESS_SPACE_MAX (G_GUINT64_CONSTANT(2000000) * 1024)

static void
limit_address_space(gpointer user_data)
{
	struct rlimit limit = {FLOOD_ADDRESS_SPACE_MAX, FLOOD_ADDRESS_SPACE_MAX};

	setrlimit(RLIMIT_AS, &limit);
}

typedef struct {
	int status;
	gint64 wall_us;
	glong maxrss_kib;
	char *err;
} Child;

/* Runs virtmemctl with @args and measures it. */
static void
run_child(const char *const *args, Child *ret_child)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	struct rusage usage = {0};
	GPid pid;
	int err_fd = -1;
	gint64 start = g_get_monotonic_time();
	GString *err = g_string_new(NULL);
	char buf[4096];
	ssize_t n;

	g_ptr_array_add(argv, (gpointer)virtmemctl);
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	g_assert_true(g_spawn_async_with_pipes(
		NULL, (char **)argv->pdata, NULL,
		G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, limit_address_space, NULL,
		&pid, NULL, NULL, &err_fd, &error));
	g_assert_no_error(error);
	while ((n = read(err_fd, buf, sizeof(buf))) > 0)
		g_string_append_len(err, buf, n);
	close(err_fd);
	g_assert_cmpint(wait4(pid, &ret_child->status, 0, &usage), ==, pid);
	ret_child->wall_us = g_get_monotonic_time() - start;
	ret_child->maxrss_kib = usage.ru_maxrss;
	ret_child->err = g_string_free(err, FALSE);
}

static void
flood_qmp(gboolean answer)
{
	g_autofree char *dir = g_dir_make_tmp("virtmem-flood-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "qmp.sock", NULL);
	g_autofree char *uri = g_strconcat("qmp+unix://", path, NULL);
	const char *const args[] = {"-c", uri, "show", "flood", NULL};
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	Peer peer = {.answer = answer};
	Child child = {0};
	GThread *thread;

	g_assert_cmpuint(strlen(path), <, sizeof(addr.sun_path));
	strncpy(addr.sun_path, path, sizeof(addr.sun_path) - 1);
	peer.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	g_assert_cmpint(bind(peer.listen_fd, (struct sockaddr *)&addr, sizeof(addr)), ==, 0);
	g_assert_cmpint(listen(peer.listen_fd, 1), ==, 0);
	peer.until_us = g_get_monotonic_time() + (FLOOD_QMP_TIMEOUT_S + 5) * G_USEC_PER_SEC;
	thread = g_thread_new("qmp-flood", peer_run, &peer);

	run_child(args, &child);
	peer.until_us = 0;
	g_thread_join(thread);
	close(peer.listen_fd);
	g_unlink(path);
	g_rmdir(dir);

	g_test_message("QMP event flood (%s): %" G_GUINT64_FORMAT " events sent, virtmemctl "
		       "show exited %d after %.2f s, peak RSS %ld KiB (bound %d KiB)",
		       answer ? "answering" : "silent", peer.events,
		       WIFEXITED(child.status) ? WEXITSTATUS(child.status) : -1,
		       child.wall_us / (double)G_USEC_PER_SEC, child.maxrss_kib, FLOOD_RSS_MAX_KIB);
	g_test_message("stderr: %s", child.err);
	g_assert_true(WIFEXITED(child.status));
	g_assert_cmpint(child.maxrss_kib, <, FLOOD_RSS_MAX_KIB);
	g_assert_cmpint(child.wall_us, <,
			(gint64)(FLOOD_QMP_TIMEOUT_S + FLOOD_OVERRUN_S) * G_USEC_PER_SEC);
	if (answer) {
		g_assert_cmpint(WEXITSTATUS(child.status), ==, 0);
	} else {
		/* the real cause, not "an invalid QMP message" */
		g_assert_cmpint(WEXITSTATUS(child.status), !=, 0);
		g_assert_nonnull(strstr(child.err, "did not answer"));
	}
	g_assert_cmpuint(peer.events, >, 0);
	g_free(child.err);
}

static void
test_qmp_answering(void)
{
	flood_qmp(TRUE);
}

static void
test_qmp_silent(void)
{
	flood_qmp(FALSE);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(argc, ==, 2);
	virtmemctl = argv[1];
	g_test_add_func("/flood/qmp/answering", test_qmp_answering);
	g_test_add_func("/flood/qmp/silent", test_qmp_silent);
	return g_test_run();
}
