/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmem-agent: reports the guest's view of its virtio-mem memory to the
 * host over the virtio-serial port org.virtmem.agent.0, one JSON object a
 * line (schemas/agent-protocol.md).  One poll() loop: the port, the uevent
 * socket, the report timer and the watch on the memory in use.  Never
 * blocks on the host: a message the port cannot take now is dropped, and
 * the next report replaces it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vma-report.h"
#include "vma-uevent.h"

#define VMA_DEFAULT_PORT "/dev/virtio-ports/" VMEM_AGENT_PORT_NAME
#define VMA_INTERVAL_DEFAULT_MS 1000
#define VMA_REQUEST_MAX 4096
#define VMA_REQUEST_DEPTH_MAX 4
#define VMA_UEVENT_DEBOUNCE_MS 100
/* While the host side of the port is closed, the port cannot be polled (it
 * reports POLLHUP all the time): look this often whether the host came, so
 * that a host that connects gets the hello and a report at once instead of
 * at the next tick. */
#define VMA_CONNECT_CHECK_MS 100
#define VMA_RESCAN_MS 30000

typedef struct {
	const char *root;
	uint64_t interval_ms;
	int in_fd;	/* requests: the port, or stdin with --stdout */
	int out_fd;	/* messages: the port, or stdout */
	bool is_port;	/* in_fd/out_fd is a virtio-serial port */
	bool connected; /* the host side of the port is open */
	int uevent_fd;
	char in[VMA_REQUEST_MAX];
	size_t in_len;
	bool in_discarding;
	char *out_pending; /* the unwritten tail of a partly written line */
	size_t out_pending_len;
	uint64_t seq;
	uint64_t dropped;
	bool reader_gone; /* --stdout: nobody reads our output any more */
	VmaSnapshot snapshot;
	uint64_t next_tick_ms;
	uint64_t next_watch_ms;
	uint64_t next_scan_ms;
	uint64_t report_at_ms; /* 0: none due */
	const char *report_reason;
} VmaAgent;

static uint64_t
vma_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
vma_agent_flush(VmaAgent *a)
{
	ssize_t n;

	if (a->out_pending == NULL)
		return;
	n = write(a->out_fd, a->out_pending, a->out_pending_len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0 || (size_t)n == a->out_pending_len) {
		free(a->out_pending);
		a->out_pending = NULL;
		a->out_pending_len = 0;
		return;
	}
	memmove(a->out_pending, a->out_pending + n, a->out_pending_len - (size_t)n);
	a->out_pending_len -= (size_t)n;
}

/* Sends one message and frees it.  Never blocks on the port. */
static void
vma_agent_send(VmaAgent *a, json_object *msg)
{
	const char *text = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN);
	size_t len = strlen(text);
	char *line = malloc(len + 1);
	size_t done = 0;

	if (line == NULL || !a->connected || a->out_pending != NULL) {
		a->dropped++;
		free(line);
		json_object_put(msg);
		return;
	}
	memcpy(line, text, len);
	line[len++] = '\n';
	json_object_put(msg);
	while (done < len) {
		ssize_t n = write(a->out_fd, line + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && done == 0) {
			a->dropped++;
			break;
		}
		if (n < 0 && errno == EAGAIN) {
			/* Keep the line whole: the rest goes out on POLLOUT. */
			a->out_pending = line;
			a->out_pending_len = len - done;
			memmove(line, line + done, a->out_pending_len);
			return;
		}
		if (n < 0) {
			/* A port's host side comes back; a closed stdout
			 * does not. */
			a->reader_gone = errno == EPIPE && !a->is_port;
			a->dropped++;
			break;
		}
		done += (size_t)n;
	}
	free(line);
}

static void
vma_agent_report(VmaAgent *a, const char *reason, bool rescan)
{
	uint64_t now = vma_now_ms();

	if (rescan)
		a->next_scan_ms = now + VMA_RESCAN_MS;
	vma_snapshot_read(a->root, rescan, &a->snapshot);
	vma_agent_send(a, vma_report_new(&a->snapshot, ++a->seq, now, reason, a->interval_ms));
}

/* Whether the memory in use (MemTotal - MemAvailable) rose by a watch's
 * share of MemTotal since the last report (VMEM_AGENT_WATCH_MS): then the
 * host hears of it now.  Use, not MemAvailable: a plug or an unplug moves
 * MemAvailable with MemTotal and is no news. */
static bool
vma_agent_rising(VmaAgent *a)
{
	const VmaMeminfo *last = &a->snapshot.meminfo;
	VmaMeminfo now;

	if (!a->connected || !a->snapshot.have_meminfo || !vma_meminfo_read(a->root, &now) ||
	    now.available_kib > now.total_kib || last->available_kib > last->total_kib)
		return false;
	return vmem_agent_watch_rose(last->total_kib - last->available_kib,
				     now.total_kib - now.available_kib, now.total_kib);
}

static void
vma_agent_schedule(VmaAgent *a, const char *reason, uint64_t delay_ms)
{
	uint64_t at = vma_now_ms() + delay_ms;

	if (a->report_at_ms == 0 || at < a->report_at_ms)
		a->report_at_ms = at;
	/* A block change outranks a request: it makes the host rescan. */
	if (a->report_reason == NULL || strcmp(reason, "blocks-changed") == 0)
		a->report_reason = reason;
}

static void
vma_agent_handle_request(VmaAgent *a, const char *line, size_t len)
{
	json_tokener *tok = json_tokener_new_ex(VMA_REQUEST_DEPTH_MAX);
	json_object *req = tok != NULL ? json_tokener_parse_ex(tok, line, (int)len) : NULL;
	json_object *type_obj = NULL, *interval_obj = NULL;
	const char *type;

	if (tok != NULL)
		json_tokener_free(tok);
	if (req == NULL || !json_object_is_type(req, json_type_object) ||
	    !json_object_object_get_ex(req, "type", &type_obj) ||
	    !json_object_is_type(type_obj, json_type_string)) {
		vma_agent_send(a,
			       vma_report_error(NULL, "request is not a JSON object with a type"));
		json_object_put(req);
		return;
	}
	type = json_object_get_string(type_obj);
	if (strcmp(type, "hello") == 0) {
		vma_agent_send(a, vma_report_hello());
	} else if (strcmp(type, "report-now") == 0) {
		vma_agent_schedule(a, "request", 0);
	} else if (strcmp(type, "set-interval") == 0) {
		int64_t ms = -1;

		if (json_object_object_get_ex(req, "interval_ms", &interval_obj) &&
		    json_object_is_type(interval_obj, json_type_int))
			ms = json_object_get_int64(interval_obj);
		if (ms < VMEM_AGENT_INTERVAL_MIN_MS || ms > VMEM_AGENT_INTERVAL_MAX_MS) {
			vma_agent_send(a, vma_report_error(type, "interval_ms must be an integer "
								 "from 100 to 3600000"));
		} else {
			a->interval_ms = (uint64_t)ms;
			a->next_tick_ms = vma_now_ms() + a->interval_ms;
			vma_agent_schedule(a, "request", 0);
		}
	} else {
		vma_agent_send(a, vma_report_error(type, "unknown request"));
	}
	json_object_put(req);
}

static void
vma_agent_disconnected(VmaAgent *a)
{
	a->connected = false;
	a->in_len = 0;
	a->in_discarding = false;
	free(a->out_pending);
	a->out_pending = NULL;
	a->out_pending_len = 0;
}

/* Reads what the host wrote; lines longer than VMA_REQUEST_MAX are dropped. */
static void
vma_agent_read(VmaAgent *a)
{
	char buf[1024];
	ssize_t n = read(a->in_fd, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (a->is_port)
			vma_agent_disconnected(a);
		else
			a->in_fd = -1; /* stdin closed: keep reporting */
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			if (!a->in_discarding)
				vma_agent_handle_request(a, a->in, a->in_len);
			a->in_len = 0;
			a->in_discarding = false;
		} else if (a->in_len == sizeof(a->in)) {
			a->in_discarding = true;
		} else if (!a->in_discarding) {
			a->in[a->in_len++] = buf[i];
		}
	}
}

/* virtio-serial reports POLLHUP while the host side is closed. */
static void
vma_agent_check_port(VmaAgent *a)
{
	struct pollfd pfd = {.fd = a->in_fd, .events = POLLOUT};
	bool connected;

	if (!a->is_port)
		return;
	connected = poll(&pfd, 1, 0) >= 0 && !(pfd.revents & (POLLHUP | POLLERR));
	if (connected && !a->connected) {
		a->connected = true;
		vma_agent_send(a, vma_report_hello());
		vma_agent_schedule(a, "connect", 0);
	} else if (!connected && a->connected) {
		vma_agent_disconnected(a);
	}
}

static int
vma_agent_run(VmaAgent *a)
{
	while (!a->reader_gone) {
		struct pollfd pfds[2];
		nfds_t n = 0;
		int port_idx = -1, uevent_idx = -1;
		uint64_t now = vma_now_ms();
		uint64_t wake;

		if (a->is_port && !a->connected && now < a->next_tick_ms)
			vma_agent_check_port(a);
		if (now >= a->next_tick_ms) {
			vma_agent_check_port(a);
			vma_agent_report(a, "periodic", a->uevent_fd < 0 || now >= a->next_scan_ms);
			a->next_tick_ms = now + a->interval_ms;
		}
		if (a->report_at_ms != 0 && now >= a->report_at_ms) {
			const char *reason = a->report_reason;

			a->report_at_ms = 0;
			a->report_reason = NULL;
			vma_agent_report(a, reason,
					 strcmp(reason, "blocks-changed") == 0 ||
						 strcmp(reason, "connect") == 0);
			a->next_tick_ms = vma_now_ms() + a->interval_ms;
		}
		if (now >= a->next_watch_ms) {
			a->next_watch_ms = now + VMEM_AGENT_WATCH_MS;
			if (vma_agent_rising(a)) {
				vma_agent_report(a, "rising", false);
				a->next_tick_ms = vma_now_ms() + a->interval_ms;
			}
		}
		wake = a->next_tick_ms < a->next_watch_ms ? a->next_tick_ms : a->next_watch_ms;
		if (a->report_at_ms != 0 && a->report_at_ms < wake)
			wake = a->report_at_ms;
		if (a->is_port && !a->connected && now + VMA_CONNECT_CHECK_MS < wake)
			wake = now + VMA_CONNECT_CHECK_MS;
		now = vma_now_ms();

		if (a->in_fd >= 0 && (a->connected || !a->is_port)) {
			port_idx = (int)n;
			pfds[n++] = (struct pollfd){
				.fd = a->in_fd,
				.events = POLLIN | (a->out_pending != NULL ? POLLOUT : 0),
			};
		}
		if (a->uevent_fd >= 0) {
			uevent_idx = (int)n;
			pfds[n++] = (struct pollfd){.fd = a->uevent_fd, .events = POLLIN};
		}
		if (poll(pfds, n, wake > now ? (int)(wake - now) : 0) < 0) {
			if (errno == EINTR)
				continue;
			perror("virtmem-agent: poll");
			return EXIT_FAILURE;
		}
		if (port_idx >= 0 && (pfds[port_idx].revents & POLLOUT))
			vma_agent_flush(a);
		if (port_idx >= 0 && (pfds[port_idx].revents & (POLLIN | POLLHUP | POLLERR))) {
			if (a->is_port && !(pfds[port_idx].revents & POLLIN))
				vma_agent_disconnected(a);
			else
				vma_agent_read(a);
		}
		if (uevent_idx >= 0 && (pfds[uevent_idx].revents & POLLIN) &&
		    vma_uevent_drain(a->uevent_fd))
			vma_agent_schedule(a, "blocks-changed", VMA_UEVENT_DEBOUNCE_MS);
	}
	return EXIT_SUCCESS;
}

static void
vma_usage(FILE *f)
{
	fprintf(f, "Usage: virtmem-agent [--port PATH] [--interval MS] [--once] [--stdout]\n"
		   "                     [--root DIR]\n"
		   "Report the guest's virtio-mem memory state to the host.\n\n"
		   "  -p, --port PATH     virtio-serial port (default " VMA_DEFAULT_PORT ")\n"
		   "  -i, --interval MS   report interval in ms, 100..3600000 (default 1000)\n"
		   "  -1, --once          send a hello and one report, then exit\n"
		   "  -s, --stdout        write to stdout and read requests from stdin\n"
		   "  -r, --root DIR      read /proc and /sys below DIR (for tests)\n"
		   "  -V, --version       print the version\n"
		   "  -h, --help          print this help\n");
}

int
main(int argc, char **argv)
{
	static const struct option options[] = {
		{"port", required_argument, NULL, 'p'}, {"interval", required_argument, NULL, 'i'},
		{"once", no_argument, NULL, '1'},	{"stdout", no_argument, NULL, 's'},
		{"root", required_argument, NULL, 'r'}, {"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},	{NULL, 0, NULL, 0},
	};
	static VmaAgent agent;
	VmaAgent *a = &agent;
	const char *port = VMA_DEFAULT_PORT;
	bool once = false, to_stdout = false;
	int c;

	a->root = "/";
	a->interval_ms = VMA_INTERVAL_DEFAULT_MS;
	while ((c = getopt_long(argc, argv, "p:i:1sr:Vh", options, NULL)) != -1) {
		char *end = NULL;
		long long ms;

		switch (c) {
		case 'p':
			port = optarg;
			break;
		case 'i':
			errno = 0;
			ms = strtoll(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || ms < VMEM_AGENT_INTERVAL_MIN_MS ||
			    ms > VMEM_AGENT_INTERVAL_MAX_MS) {
				fprintf(stderr,
					"virtmem-agent: interval %s is not a number of "
					"milliseconds from 100 to 3600000\n",
					optarg);
				return EXIT_FAILURE;
			}
			a->interval_ms = (uint64_t)ms;
			break;
		case '1':
			once = true;
			break;
		case 's':
			to_stdout = true;
			break;
		case 'r':
			a->root = optarg;
			break;
		case 'V':
			printf("virtmem-agent %s\n", PACKAGE_VERSION);
			return EXIT_SUCCESS;
		case 'h':
			vma_usage(stdout);
			return EXIT_SUCCESS;
		default:
			vma_usage(stderr);
			return EXIT_FAILURE;
		}
	}
	if (optind != argc) {
		vma_usage(stderr);
		return EXIT_FAILURE;
	}
	signal(SIGPIPE, SIG_IGN);

	if (to_stdout) {
		a->in_fd = once ? -1 : STDIN_FILENO;
		a->out_fd = STDOUT_FILENO;
		a->connected = true;
	} else {
		a->in_fd = open(port, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		if (a->in_fd < 0) {
			fprintf(stderr, "virtmem-agent: cannot open %s: %s\n", port,
				strerror(errno));
			return EXIT_FAILURE;
		}
		a->out_fd = a->in_fd;
		a->is_port = true;
	}

	if (once) {
		vma_agent_check_port(a);
		if (!a->is_port)
			vma_agent_send(a, vma_report_hello());
		vma_agent_report(a, "start", true);
		return a->dropped == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
	}

	/* Block changes come as uevents; fixture trees have none. */
	a->uevent_fd = strcmp(a->root, "/") == 0 ? vma_uevent_open() : -1;
	if (!a->is_port)
		vma_agent_send(a, vma_report_hello());
	else
		vma_agent_check_port(a);
	a->report_reason = NULL;
	a->report_at_ms = 0;
	vma_agent_report(a, "start", true);
	a->next_tick_ms = vma_now_ms() + a->interval_ms;
	return vma_agent_run(a);
}
