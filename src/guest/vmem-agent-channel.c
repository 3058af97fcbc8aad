/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-agent-channel.h"

#include <errno.h>
#include <gio/gunixsocketaddress.h>
#include <libvirt/virterror.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmem-backend-libvirt.h"
#include "vmem-error.h"
#include "vmem-libvirt.h"
#include "vmem-lines.h"

/* Read at most this much per main loop dispatch: a flood cannot stall it. */
#define VMEM_AGENT_CHANNEL_READ_MAX 16384
#define VMEM_AGENT_CHANNEL_RATE_DEFAULT 20
#define VMEM_AGENT_CHANNEL_BURST_DEFAULT 50
#define VMEM_AGENT_CHANNEL_RECONNECT_MS_DEFAULT 1000

typedef enum {
	VMEM_AGENT_TRANSPORT_LIBVIRT,
	VMEM_AGENT_TRANSPORT_SOCKET,
	VMEM_AGENT_TRANSPORT_FD,
} VmemAgentTransport;

struct _VmemAgentChannel {
	GObject parent;
	GMainContext *context; /* where its sources run and its signal is emitted */
	VmemAgentTransport transport;
	virDomainPtr dom;     /* LIBVIRT */
	virConnectPtr conn;   /* LIBVIRT: the stream's own connection, see */
	virDomainPtr own_dom; /* vmem_agent_channel_open_connection() */
	char *path;	      /* SOCKET */
	GSocket *socket;      /* SOCKET: NULL while disconnected */
	int fd;		      /* SOCKET and FD: -1 while disconnected */
	GSource *fd_source;
	virStreamPtr stream; /* LIBVIRT: NULL while disconnected */
	gboolean connected;
	GSource *reconnect_source;
	guint reconnect_ms;

	VmemLines *lines;
	guint rate;
	guint burst;
	double tokens;
	gint64 tokens_us;
	gboolean over_limit;	/* a line was dropped in this read: pause reading */
	GSource *resume_source; /* reading paused until a token is due */

	VmemAgentHello *hello;
	gboolean hello_usable; /* its protocol is ours */
	VmemAgentReport *report;
	gint64 report_us;
	char *last_error;
	VmemAgentChannelStats stats;
};

enum {
	SIGNAL_EVENT,
	N_SIGNALS,
};

static guint vmem_agent_channel_signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE(VmemAgentChannel, vmem_agent_channel, G_TYPE_OBJECT)

static VmemAgentChannel *
vmem_agent_channel_new(VmemAgentTransport transport)
{
	VmemAgentChannel *ch = g_object_new(VMEM_TYPE_AGENT_CHANNEL, NULL);

	ch->transport = transport;
	return ch;
}

/* Sources of the channel run in the context it was created in. */
static GSource *
vmem_agent_channel_attach(VmemAgentChannel *ch, GSource *source, GSourceFunc func)
{
	g_source_set_callback(source, func, ch, NULL);
	g_source_attach(source, ch->context);
	return source;
}

static GSource *
vmem_agent_channel_add_timeout(VmemAgentChannel *ch, guint ms, GSourceFunc func)
{
	return vmem_agent_channel_attach(ch, g_timeout_source_new(ms), func);
}

static void
vmem_agent_channel_remove_source(GSource **source)
{
	if (*source == NULL)
		return;
	g_source_destroy(*source);
	g_clear_pointer(source, g_source_unref);
}

/**
 * vmem_agent_channel_open:
 * @backend: the VMM
 * @domain: a domain name
 *
 * Returns: (transfer full): a channel to @domain's guest agent
 *   (org.virtmem.agent.0), not started yet
 */
VmemAgentChannel *
vmem_agent_channel_open(VmemBackend *backend, const char *domain, GError **error)
{
	g_autoptr(virDomain) dom = NULL;

	if (g_strcmp0(vmem_backend_get_name(backend), "libvirt") != 0) {
		/* TRANSLATORS: %s is the backend's name, e.g. qmp */
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			    _("The %s backend cannot reach the guest agent's channel."),
			    vmem_backend_get_name(backend));
		return NULL;
	}
	dom = vmem_backend_libvirt_lookup(backend, domain, error);
	return dom != NULL ? vmem_agent_channel_new_libvirt(dom) : NULL;
}

/**
 * vmem_agent_channel_new_libvirt:
 * @dom: a domain with a virtio channel named org.virtmem.agent.0
 *
 * Returns: (transfer full): a channel that reads the agent through
 *   virDomainOpenChannel().  Needs vmem_libvirt_init().  Call
 *   vmem_agent_channel_start().
 */
VmemAgentChannel *
vmem_agent_channel_new_libvirt(virDomainPtr dom)
{
	VmemAgentChannel *ch = vmem_agent_channel_new(VMEM_AGENT_TRANSPORT_LIBVIRT);

	virDomainRef(dom);
	ch->dom = dom;
	return ch;
}

/**
 * vmem_agent_channel_new_socket:
 * @path: the unix socket of QEMU's chardev for org.virtmem.agent.0
 *
 * Returns: (transfer full): a channel that connects to @path.  Call
 *   vmem_agent_channel_start().
 */
VmemAgentChannel *
vmem_agent_channel_new_socket(const char *path)
{
	VmemAgentChannel *ch = vmem_agent_channel_new(VMEM_AGENT_TRANSPORT_SOCKET);

	ch->path = g_strdup(path);
	return ch;
}

/**
 * vmem_agent_channel_new_fd:
 * @fd: (transfer full): a connected stream socket
 *
 * Returns: (transfer full): a channel on @fd, without reconnection (for
 *   tests and for callers that connect themselves).  Call
 *   vmem_agent_channel_start().
 */
VmemAgentChannel *
vmem_agent_channel_new_fd(int fd)
{
	VmemAgentChannel *ch = vmem_agent_channel_new(VMEM_AGENT_TRANSPORT_FD);

	ch->fd = fd;
	return ch;
}

typedef struct {
	VmemAgentChannel *channel;
	VmemAgentChannelEvent event;
} VmemAgentChannelEmission;

static void
vmem_agent_channel_emission_free(gpointer data)
{
	VmemAgentChannelEmission *e = data;

	g_object_unref(e->channel);
	g_free(e);
}

static gboolean
vmem_agent_channel_emit_cb(gpointer data)
{
	VmemAgentChannelEmission *e = data;

	g_signal_emit(e->channel, vmem_agent_channel_signals[SIGNAL_EVENT], 0, (guint)e->event);
	return G_SOURCE_REMOVE;
}

/* libvirt dispatches stream events from the global default context: the
 * signal goes out from the channel's own context (at once when that is
 * where we are). */
static void
vmem_agent_channel_emit(VmemAgentChannel *ch, VmemAgentChannelEvent event)
{
	VmemAgentChannelEmission *e = g_new0(VmemAgentChannelEmission, 1);

	e->channel = g_object_ref(ch);
	e->event = event;
	g_main_context_invoke_full(ch->context, G_PRIORITY_DEFAULT, vmem_agent_channel_emit_cb, e,
				   vmem_agent_channel_emission_free);
}

static void
vmem_agent_channel_set_last_error(VmemAgentChannel *ch, const char *message)
{
	g_free(ch->last_error);
	ch->last_error = g_strdup(message);
	g_debug("agent channel: %s", message);
}

static gboolean
vmem_agent_channel_take_token(VmemAgentChannel *ch)
{
	gint64 now = g_get_monotonic_time();

	ch->tokens += (now - ch->tokens_us) * (double)ch->rate / G_USEC_PER_SEC;
	ch->tokens = MIN(ch->tokens, (double)ch->burst);
	ch->tokens_us = now;
	if (ch->tokens < 1)
		return FALSE;
	ch->tokens -= 1;
	return TRUE;
}

static void
vmem_agent_channel_take_hello(VmemAgentChannel *ch, VmemAgentHello *hello)
{
	ch->stats.hellos++;
	vmem_agent_hello_free(ch->hello);
	ch->hello = hello;
	ch->hello_usable = hello->protocol == VMEM_AGENT_PROTOCOL_VERSION;
	if (!ch->hello_usable) {
		g_autofree char *msg = g_strdup_printf(
			/* TRANSLATORS: version skew between guest agent and host: %1$u is
			 * the agent's protocol version, %2$d this host's */
			_("The agent speaks protocol %1$u; this host understands protocol %2$d."),
			hello->protocol, VMEM_AGENT_PROTOCOL_VERSION);

		vmem_agent_channel_set_last_error(ch, msg);
	}
	vmem_agent_channel_emit(ch, VMEM_AGENT_CHANNEL_HELLO);
}

static void
vmem_agent_channel_on_line(const char *line, gsize len, gpointer user_data)
{
	VmemAgentChannel *ch = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemAgentMessage) msg = NULL;

	ch->stats.lines++;
	if (!vmem_agent_channel_take_token(ch)) {
		ch->stats.rate_limited++;
		ch->over_limit = TRUE;
		return;
	}
	msg = vmem_agent_message_parse(line, len, &error);
	if (msg == NULL) {
		ch->stats.invalid++;
		vmem_agent_channel_set_last_error(ch, error->message);
		return;
	}
	switch (msg->type) {
	case VMEM_AGENT_MESSAGE_HELLO:
		vmem_agent_channel_take_hello(ch, g_steal_pointer(&msg->hello));
		break;
	case VMEM_AGENT_MESSAGE_REPORT:
		if (!ch->hello_usable) {
			ch->stats.ignored++;
			break;
		}
		ch->stats.reports++;
		vmem_agent_report_free(ch->report);
		ch->report = g_steal_pointer(&msg->report);
		ch->report_us = g_get_monotonic_time();
		vmem_agent_channel_emit(ch, VMEM_AGENT_CHANNEL_REPORT);
		break;
	case VMEM_AGENT_MESSAGE_ERROR:
		ch->stats.agent_errors++;
		vmem_agent_channel_set_last_error(ch, msg->error_message);
		break;
	case VMEM_AGENT_MESSAGE_UNKNOWN:
		ch->stats.ignored++;
		break;
	}
}

static void
vmem_agent_channel_feed(VmemAgentChannel *ch, const char *data, gsize len)
{
	guint64 before = vmem_lines_get_overlong(ch->lines);

	vmem_lines_feed(ch->lines, data, len, vmem_agent_channel_on_line, ch);
	ch->stats.overlong += vmem_lines_get_overlong(ch->lines) - before;
}

static gboolean vmem_agent_channel_on_reconnect(gpointer user_data);

static gboolean
vmem_agent_channel_stream_free_idle(gpointer user_data)
{
	virStreamFree(user_data);
	return G_SOURCE_REMOVE;
}

/* Stops reading.  Safe from within the transport's own callbacks. */
static void
vmem_agent_channel_close(VmemAgentChannel *ch)
{
	vmem_agent_channel_remove_source(&ch->resume_source);
	ch->over_limit = FALSE;
	vmem_agent_channel_remove_source(&ch->fd_source);
	if (ch->socket != NULL) {
		g_socket_close(ch->socket, NULL);
		g_clear_object(&ch->socket);
	} else if (ch->fd >= 0) {
		close(ch->fd);
	}
	ch->fd = -1;
	if (ch->stream != NULL) {
		virStreamEventRemoveCallback(ch->stream);
		virStreamAbort(ch->stream);
		/* Not inside its own callback: libvirt still holds it there. */
		g_idle_add(vmem_agent_channel_stream_free_idle, ch->stream);
		ch->stream = NULL;
	}
	vmem_lines_reset(ch->lines);
}

static void
vmem_agent_channel_disconnected(VmemAgentChannel *ch)
{
	gboolean was_connected = ch->connected;

	vmem_agent_channel_close(ch);
	ch->connected = FALSE;
	if (ch->transport != VMEM_AGENT_TRANSPORT_FD && ch->reconnect_source == NULL)
		ch->reconnect_source = vmem_agent_channel_add_timeout(
			ch, ch->reconnect_ms, vmem_agent_channel_on_reconnect);
	if (was_connected)
		vmem_agent_channel_emit(ch, VMEM_AGENT_CHANNEL_DISCONNECTED);
}

static gboolean vmem_agent_channel_on_fd(int fd, GIOCondition condition, gpointer user_data);

static void
vmem_agent_channel_watch_fd(VmemAgentChannel *ch)
{
	ch->fd_source = vmem_agent_channel_attach(
		ch, g_unix_fd_source_new(ch->fd, G_IO_IN | G_IO_HUP | G_IO_ERR),
		G_SOURCE_FUNC(vmem_agent_channel_on_fd));
}

#define VMEM_AGENT_CHANNEL_STREAM_EVENTS                                                           \
	(VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP)

static gboolean
vmem_agent_channel_on_resume(gpointer user_data)
{
	VmemAgentChannel *ch = user_data;

	g_clear_pointer(&ch->resume_source, g_source_unref);
	ch->over_limit = FALSE;
	if (ch->fd >= 0)
		vmem_agent_channel_watch_fd(ch);
	return G_SOURCE_REMOVE;
}

/* Over the rate limit: stop reading until the next line would be accepted,
 * so that a flooding guest fills its own port (and loses its own messages)
 * instead of costing the host CPU.  The caller has stopped the watch. */
static void
vmem_agent_channel_pause(VmemAgentChannel *ch)
{
	guint ms = ch->rate > 0 ? MAX(1000 / ch->rate, 1) : 1000;

	ch->stats.pauses++;
	ch->resume_source = vmem_agent_channel_add_timeout(ch, ms, vmem_agent_channel_on_resume);
}

static gboolean
vmem_agent_channel_on_fd(int fd, GIOCondition condition, gpointer user_data)
{
	VmemAgentChannel *ch = user_data;
	char buf[VMEM_AGENT_CHANNEL_READ_MAX];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n > 0) {
		vmem_agent_channel_feed(ch, buf, (gsize)n);
		if (!ch->over_limit)
			return G_SOURCE_CONTINUE;
		/* removed by returning G_SOURCE_REMOVE */
		g_clear_pointer(&ch->fd_source, g_source_unref);
		vmem_agent_channel_pause(ch);
		return G_SOURCE_REMOVE;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return G_SOURCE_CONTINUE;
	g_clear_pointer(&ch->fd_source, g_source_unref);
	vmem_agent_channel_disconnected(ch);
	return G_SOURCE_REMOVE;
}

static void
vmem_agent_channel_on_stream(virStreamPtr st, int events, void *opaque)
{
	VmemAgentChannel *ch = opaque;
	char buf[VMEM_AGENT_CHANNEL_READ_MAX];
	int n;

	if (st != ch->stream)
		return;
	if (!(events & VIR_STREAM_EVENT_READABLE)) {
		vmem_agent_channel_disconnected(ch);
		return;
	}
	/* Never pause a libvirt stream: libvirt's client library keeps
	 * receiving and would queue what we do not read in our process.
	 * Draining it and dropping what is over the rate limit (counted, and
	 * never parsed) keeps memory bounded whatever the guest sends. */
	n = virStreamRecv(st, buf, sizeof(buf));
	if (n > 0) {
		vmem_agent_channel_feed(ch, buf, (gsize)n);
		ch->over_limit = FALSE;
	} else if (n != -2) {
		vmem_agent_channel_disconnected(ch);
	}
}

static gboolean vmem_agent_channel_send(VmemAgentChannel *ch, const char *line, GError **error);

static void
vmem_agent_channel_close_connection(VmemAgentChannel *ch)
{
	g_clear_pointer(&ch->own_dom, virDomainFree);
	/* a stream still to be freed keeps its own reference */
	g_clear_pointer(&ch->conn, virConnectClose);
}

/* The stream goes on a connection of its own that makes no other call
 * while the stream is open.  When a client dies with a call in flight,
 * libvirtd (11.3) runs the client's close hook twice at once, in the
 * worker that cannot send the reply and in its event loop, and both free
 * the client's streams: a virtmemd killed with a channel open on the
 * connection of its other calls crashes libvirtd.  Kept while it is alive,
 * across reconnections. */
static gboolean
vmem_agent_channel_open_connection(VmemAgentChannel *ch, GError **error)
{
	virConnectPtr shared = virDomainGetConnect(ch->dom);
	unsigned char uuid[VIR_UUID_BUFLEN];
	g_autofree char *uri = NULL;

	if (ch->conn != NULL && virConnectIsAlive(ch->conn) == 1)
		return TRUE;
	vmem_agent_channel_close_connection(ch);
	/* Only next to a live connection of the caller's: a libvirtd that is
	 * stopping may accept a new one and never answer. */
	if (virConnectIsAlive(shared) != 1) {
		g_set_error_literal(error, VMEM_ERROR, VMEM_ERROR_NOT_RUNNING,
				    /* TRANSLATORS: the agent channel waits for libvirt */
				    _("The connection to libvirt is closed."));
		return FALSE;
	}
	uri = virConnectGetURI(shared);
	if (uri == NULL || virDomainGetUUID(ch->dom, uuid) < 0 ||
	    (ch->conn = virConnectOpen(uri)) == NULL ||
	    (ch->own_dom = virDomainLookupByUUID(ch->conn, uuid)) == NULL) {
		vmem_libvirt_set_error(error);
		vmem_agent_channel_close_connection(ch);
		return FALSE;
	}
	return TRUE;
}

static gboolean
vmem_agent_channel_connect_libvirt(VmemAgentChannel *ch, GError **error)
{
	g_autoptr(virStream) st = NULL;
	virErrorPtr err;

	if (!vmem_agent_channel_open_connection(ch, error))
		return FALSE;
	st = virStreamNew(ch->conn, VIR_STREAM_NONBLOCK);
	if (st == NULL) {
		vmem_libvirt_set_error(error);
		return FALSE;
	}
	/* One reader at a time, and never taken from another one silently
	 * (no VIR_DOMAIN_CHANNEL_FORCE): libvirt refuses while someone else
	 * has the channel open. */
	if (virDomainOpenChannel(ch->own_dom, VMEM_AGENT_PORT_NAME, st, 0) < 0) {
		err = virGetLastError();
		if (err != NULL && err->code == VIR_ERR_OPERATION_FAILED)
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_BUSY,
				    /* TRANSLATORS: %s is a domain name */
				    _("Another program reads the virtmem agent channel of %s (a "
				      "virtmemctl agent --watch, or virtmemd): the channel has one "
				      "reader at a time."),
				    virDomainGetName(ch->dom));
		else
			vmem_libvirt_set_error(error);
		virStreamAbort(st);
		return FALSE;
	}
	if (virStreamEventAddCallback(st, VMEM_AGENT_CHANNEL_STREAM_EVENTS,
				      vmem_agent_channel_on_stream, ch, NULL) < 0) {
		vmem_libvirt_set_error(error);
		virStreamAbort(st);
		return FALSE;
	}
	ch->stream = g_steal_pointer(&st);
	return TRUE;
}

static gboolean
vmem_agent_channel_connect_socket(VmemAgentChannel *ch, GError **error)
{
	g_autoptr(GSocket) socket = NULL;
	g_autoptr(GSocketAddress) address = g_unix_socket_address_new(ch->path);
	g_autoptr(GError) local_error = NULL;

	socket = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT,
			      &local_error);
	if (socket == NULL || !g_socket_connect(socket, address, NULL, &local_error)) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_IO,
			    /* TRANSLATORS: %1$s is a file name, %2$s the system's error */
			    _("Cannot connect to the agent socket %1$s: %2$s"), ch->path,
			    local_error->message);
		return FALSE;
	}
	g_socket_set_blocking(socket, FALSE);
	ch->fd = g_socket_get_fd(socket);
	ch->socket = g_steal_pointer(&socket);
	return TRUE;
}

static gboolean
vmem_agent_channel_connect(VmemAgentChannel *ch, GError **error)
{
	switch (ch->transport) {
	case VMEM_AGENT_TRANSPORT_LIBVIRT:
		if (!vmem_agent_channel_connect_libvirt(ch, error))
			return FALSE;
		break;
	case VMEM_AGENT_TRANSPORT_SOCKET:
		if (!vmem_agent_channel_connect_socket(ch, error))
			return FALSE;
		break;
	case VMEM_AGENT_TRANSPORT_FD:
		if (ch->fd < 0) {
			g_set_error_literal(error, VMEM_ERROR, VMEM_ERROR_IO,
					    /* TRANSLATORS: the channel's socket was closed */
					    _("The agent channel is closed."));
			return FALSE;
		}
		g_unix_set_fd_nonblocking(ch->fd, TRUE, NULL);
		break;
	}
	if (ch->fd >= 0)
		vmem_agent_channel_watch_fd(ch);
	ch->connected = TRUE;
	ch->stats.connects++;
	vmem_lines_reset(ch->lines);
	vmem_agent_channel_emit(ch, VMEM_AGENT_CHANNEL_CONNECTED);
	/* The agent may have said hello before we listened: ask again.  If
	 * that fails, the agent still says hello when it sees us connect. */
	vmem_agent_channel_send(ch, "{\"type\":\"hello\"}\n", NULL);
	return TRUE;
}

static gboolean
vmem_agent_channel_on_reconnect(gpointer user_data)
{
	VmemAgentChannel *ch = user_data;
	g_autoptr(GError) error = NULL;

	g_clear_pointer(&ch->reconnect_source, g_source_unref);
	if (!vmem_agent_channel_connect(ch, &error)) {
		g_debug("agent channel: reconnect failed: %s", error->message);
		ch->reconnect_source = vmem_agent_channel_add_timeout(
			ch, ch->reconnect_ms, vmem_agent_channel_on_reconnect);
	}
	return G_SOURCE_REMOVE;
}

/**
 * vmem_agent_channel_start:
 * @channel: a new channel
 * @error: return location for a #GError
 *
 * Connects.  When that fails, the channel keeps trying in the background
 * (except for vmem_agent_channel_new_fd() channels), as it does after every
 * disconnection.
 *
 * Returns: %TRUE when connected now.
 */
gboolean
vmem_agent_channel_start(VmemAgentChannel *channel, GError **error)
{
	g_return_val_if_fail(!channel->connected && channel->reconnect_source == NULL, FALSE);

	if (vmem_agent_channel_connect(channel, error))
		return TRUE;
	if (channel->transport != VMEM_AGENT_TRANSPORT_FD)
		channel->reconnect_source = vmem_agent_channel_add_timeout(
			channel, channel->reconnect_ms, vmem_agent_channel_on_reconnect);
	return FALSE;
}

/**
 * vmem_agent_channel_stop:
 * @channel: a started channel
 *
 * Closes the channel and stops reconnecting until vmem_agent_channel_start()
 * is called again.  Its last hello and report stay.
 */
void
vmem_agent_channel_stop(VmemAgentChannel *channel)
{
	gboolean was_connected = channel->connected;

	vmem_agent_channel_remove_source(&channel->reconnect_source);
	vmem_agent_channel_close(channel);
	channel->connected = FALSE;
	if (was_connected)
		vmem_agent_channel_emit(channel, VMEM_AGENT_CHANNEL_DISCONNECTED);
}

static void
vmem_agent_channel_finalize(GObject *object)
{
	VmemAgentChannel *channel = VMEM_AGENT_CHANNEL(object);

	vmem_agent_channel_remove_source(&channel->reconnect_source);
	vmem_agent_channel_close(channel);
	vmem_agent_channel_close_connection(channel);
	if (channel->dom != NULL)
		virDomainFree(channel->dom);
	g_free(channel->path);
	vmem_lines_free(channel->lines);
	vmem_agent_hello_free(channel->hello);
	vmem_agent_report_free(channel->report);
	g_free(channel->last_error);
	g_main_context_unref(channel->context);
	G_OBJECT_CLASS(vmem_agent_channel_parent_class)->finalize(object);
}

static void
vmem_agent_channel_class_init(VmemAgentChannelClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = vmem_agent_channel_finalize;

	/**
	 * VmemAgentChannel::event:
	 * @event: a #VmemAgentChannelEvent
	 *
	 * The channel connected or disconnected, or the agent said hello or
	 * sent a new latest report.  Emitted from the thread-default main
	 * context the channel was created in.
	 */
	vmem_agent_channel_signals[SIGNAL_EVENT] =
		g_signal_new("event", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
			     NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void
vmem_agent_channel_init(VmemAgentChannel *ch)
{
	ch->context = g_main_context_ref_thread_default();
	ch->fd = -1;
	ch->reconnect_ms = VMEM_AGENT_CHANNEL_RECONNECT_MS_DEFAULT;
	ch->lines = vmem_lines_new(VMEM_AGENT_LINE_MAX);
	ch->rate = VMEM_AGENT_CHANNEL_RATE_DEFAULT;
	ch->burst = VMEM_AGENT_CHANNEL_BURST_DEFAULT;
	ch->tokens = ch->burst;
	ch->tokens_us = g_get_monotonic_time();
}

/**
 * vmem_agent_channel_set_rate_limit:
 * @channel: a channel
 * @per_second: lines accepted per second on average (default 20)
 * @burst: lines accepted at once after a quiet time (default 50)
 *
 * Lines beyond the limit are dropped and counted in the stats, and reading
 * pauses until the next line would be accepted: a flooding guest then only
 * fills its own port.
 */
void
vmem_agent_channel_set_rate_limit(VmemAgentChannel *channel, guint per_second, guint burst)
{
	channel->rate = per_second;
	channel->burst = MAX(burst, 1);
	channel->tokens = channel->burst;
	channel->tokens_us = g_get_monotonic_time();
}

/**
 * vmem_agent_channel_set_reconnect_interval:
 * @channel: a channel
 * @ms: the wait before each reconnection attempt (default 1000)
 */
void
vmem_agent_channel_set_reconnect_interval(VmemAgentChannel *channel, guint ms)
{
	channel->reconnect_ms = MAX(ms, 1);
}

/**
 * vmem_agent_channel_is_connected:
 * @channel: a channel
 *
 * Returns: whether the host end is open (the agent may still be silent).
 */
gboolean
vmem_agent_channel_is_connected(VmemAgentChannel *channel)
{
	return channel->connected;
}

/**
 * vmem_agent_channel_get_hello:
 * @channel: a channel
 *
 * Returns: (nullable) (transfer none): the agent's last hello, valid until
 *   the next main loop iteration.
 */
const VmemAgentHello *
vmem_agent_channel_get_hello(VmemAgentChannel *channel)
{
	return channel->hello;
}

/**
 * vmem_agent_channel_get_report:
 * @channel: a channel
 * @ret_received_us: (optional): g_get_monotonic_time() when it arrived
 *
 * Returns: (nullable) (transfer none): the latest accepted report, valid
 *   until the next main loop iteration.  It stays after a disconnection:
 *   compare @ret_received_us with the time to judge its age.
 */
const VmemAgentReport *
vmem_agent_channel_get_report(VmemAgentChannel *channel, gint64 *ret_received_us)
{
	if (channel->report != NULL && ret_received_us != NULL)
		*ret_received_us = channel->report_us;
	return channel->report;
}

/**
 * vmem_agent_channel_get_last_error:
 * @channel: a channel
 *
 * Returns: (nullable): why the last line was rejected, or the agent's last
 *   error message.
 */
const char *
vmem_agent_channel_get_last_error(VmemAgentChannel *channel)
{
	return channel->last_error;
}

/**
 * vmem_agent_channel_get_stats:
 * @channel: a channel
 * @ret_stats: the counters
 */
void
vmem_agent_channel_get_stats(VmemAgentChannel *channel, VmemAgentChannelStats *ret_stats)
{
	*ret_stats = channel->stats;
}

static gboolean
vmem_agent_channel_send(VmemAgentChannel *ch, const char *line, GError **error)
{
	gsize len = strlen(line);
	gssize n = -1;

	if (!ch->connected) {
		g_set_error_literal(error, VMEM_ERROR, VMEM_ERROR_NOT_RUNNING,
				    /* TRANSLATORS: a request could not be sent to the guest */
				    _("The agent channel is not connected."));
		return FALSE;
	}
	if (ch->stream != NULL)
		n = virStreamSend(ch->stream, line, len);
	else
		n = send(ch->fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n != (gssize)len) {
		g_set_error_literal(error, VMEM_ERROR, VMEM_ERROR_BUSY,
				    /* TRANSLATORS: the guest does not read its channel */
				    _("The agent channel does not accept the request now."));
		return FALSE;
	}
	return TRUE;
}

static gboolean
vmem_agent_channel_check_capability(VmemAgentChannel *ch, const char *capability, GError **error)
{
	if (ch->hello != NULL && ch->hello_usable &&
	    vmem_agent_hello_has_capability(ch->hello, capability))
		return TRUE;
	g_set_error(error, VMEM_ERROR, VMEM_ERROR_NOT_FOUND,
		    /* TRANSLATORS: %s is a request name such as set-interval */
		    _("The agent does not announce the request %s."), capability);
	return FALSE;
}

/**
 * vmem_agent_channel_request_report:
 * @channel: a connected channel with a hello
 * @error: return location for a #GError
 *
 * Asks the agent for a report now.  Does not wait for it.
 */
gboolean
vmem_agent_channel_request_report(VmemAgentChannel *channel, GError **error)
{
	return vmem_agent_channel_check_capability(channel, "report-now", error) &&
	       vmem_agent_channel_send(channel, "{\"type\":\"report-now\"}\n", error);
}

/**
 * vmem_agent_channel_set_interval:
 * @channel: a connected channel with a hello
 * @interval_ms: the report interval, %VMEM_AGENT_INTERVAL_MIN_MS to
 *   %VMEM_AGENT_INTERVAL_MAX_MS
 * @error: return location for a #GError
 *
 * Asks the agent to report every @interval_ms.
 */
gboolean
vmem_agent_channel_set_interval(VmemAgentChannel *channel, guint interval_ms, GError **error)
{
	g_autofree char *line = NULL;

	if (interval_ms < VMEM_AGENT_INTERVAL_MIN_MS || interval_ms > VMEM_AGENT_INTERVAL_MAX_MS) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			    /* TRANSLATORS: %1$u is a number of milliseconds, %2$u and %3$u
			     * the bounds */
			    _("The report interval %1$u ms is outside %2$u to %3$u ms."),
			    interval_ms, (guint)VMEM_AGENT_INTERVAL_MIN_MS,
			    (guint)VMEM_AGENT_INTERVAL_MAX_MS);
		return FALSE;
	}
	if (!vmem_agent_channel_check_capability(channel, "set-interval", error))
		return FALSE;
	line = g_strdup_printf("{\"type\":\"set-interval\",\"interval_ms\":%u}\n", interval_ms);
	return vmem_agent_channel_send(channel, line, error);
}

typedef struct {
	VmemAgentChannel *channel;
	gint64 start_us;
	guint timeout_ms;
	gboolean requested;
	gulong handler;
	GSource *timeout;
	GSource *cancelled;
} VmemAgentChannelWait;

static void
vmem_agent_channel_wait_free(gpointer data)
{
	VmemAgentChannelWait *wait = data;

	if (wait->handler != 0)
		g_signal_handler_disconnect(wait->channel, wait->handler);
	vmem_agent_channel_remove_source(&wait->timeout);
	vmem_agent_channel_remove_source(&wait->cancelled);
	g_free(wait);
}

/* Ends the wait: with success when @error is %NULL. */
static void
vmem_agent_channel_wait_done(GTask *task, GError *error)
{
	VmemAgentChannelWait *wait = g_task_get_task_data(task);

	g_signal_handler_disconnect(wait->channel, wait->handler);
	wait->handler = 0;
	vmem_agent_channel_remove_source(&wait->timeout);
	vmem_agent_channel_remove_source(&wait->cancelled);
	if (error != NULL)
		g_task_return_error(task, error);
	else
		g_task_return_boolean(task, TRUE);
	g_object_unref(task);
}

/* Finishes @task when a report newer than the wait arrived; asks for one as
 * soon as the agent said hello. */
static void
vmem_agent_channel_wait_check(GTask *task)
{
	VmemAgentChannelWait *wait = g_task_get_task_data(task);
	gint64 received = 0;

	if (vmem_agent_channel_get_report(wait->channel, &received) != NULL &&
	    received >= wait->start_us) {
		vmem_agent_channel_wait_done(task, NULL);
		return;
	}
	if (!wait->requested && vmem_agent_channel_get_hello(wait->channel) != NULL)
		wait->requested = vmem_agent_channel_request_report(wait->channel, NULL);
}

static void
vmem_agent_channel_wait_on_event(VmemAgentChannel *channel, guint event, gpointer user_data)
{
	vmem_agent_channel_wait_check(user_data);
}

static gboolean
vmem_agent_channel_wait_on_timeout(gpointer user_data)
{
	GTask *task = user_data;
	VmemAgentChannelWait *wait = g_task_get_task_data(task);
	const char *reason = vmem_agent_channel_get_last_error(wait->channel);
	guint timeout_s = (wait->timeout_ms + 999) / 1000;
	GError *error;

	if (reason != NULL)
		error = g_error_new(
			VMEM_ERROR, VMEM_ERROR_TIMED_OUT,
			/* TRANSLATORS: %1$u is a number of seconds, %2$s why the agent's
			 * last message was rejected or the agent's own error */
			_("The guest agent sent no report within %1$u s; the last problem was: %2$s"),
			timeout_s, reason);
	else
		error = g_error_new(VMEM_ERROR, VMEM_ERROR_TIMED_OUT,
				    /* TRANSLATORS: %u is a number of seconds */
				    _("The guest agent sent no report within %u s."), timeout_s);
	vmem_agent_channel_wait_done(task, error);
	return G_SOURCE_REMOVE;
}

static gboolean
vmem_agent_channel_wait_on_cancelled(GCancellable *cancellable, gpointer user_data)
{
	GError *error = NULL;

	g_cancellable_set_error_if_cancelled(cancellable, &error);
	vmem_agent_channel_wait_done(user_data, error);
	return G_SOURCE_REMOVE;
}

/**
 * vmem_agent_channel_wait_report_async:
 * @channel: a started channel
 * @timeout_ms: how long to wait at most
 * @cancellable: (nullable): to give up early
 * @callback: called when a report newer than this call arrived, or not
 * @user_data: for @callback
 *
 * Waits for a fresh report: the agent is asked for one as soon as it said
 * hello.
 */
void
vmem_agent_channel_wait_report_async(VmemAgentChannel *channel, guint timeout_ms,
				     GCancellable *cancellable, GAsyncReadyCallback callback,
				     gpointer user_data)
{
	GTask *task = g_task_new(channel, cancellable, callback, user_data);
	VmemAgentChannelWait *wait = g_new0(VmemAgentChannelWait, 1);

	g_task_set_source_tag(task, vmem_agent_channel_wait_report_async);
	wait->channel = channel;
	wait->start_us = g_get_monotonic_time();
	wait->timeout_ms = timeout_ms;
	g_task_set_task_data(task, wait, vmem_agent_channel_wait_free);
	wait->handler = g_signal_connect(channel, "event",
					 G_CALLBACK(vmem_agent_channel_wait_on_event), task);
	wait->timeout = g_timeout_source_new(timeout_ms);
	g_source_set_callback(wait->timeout, vmem_agent_channel_wait_on_timeout, task, NULL);
	g_source_attach(wait->timeout, channel->context);
	if (cancellable != NULL) {
		wait->cancelled = g_cancellable_source_new(cancellable);
		g_source_set_callback(wait->cancelled,
				      G_SOURCE_FUNC(vmem_agent_channel_wait_on_cancelled), task,
				      NULL);
		g_source_attach(wait->cancelled, channel->context);
	}
	vmem_agent_channel_wait_check(task);
}

/**
 * vmem_agent_channel_wait_report_finish:
 *
 * Returns: (transfer none): the fresh report, or %NULL with @error set
 */
const VmemAgentReport *
vmem_agent_channel_wait_report_finish(VmemAgentChannel *channel, GAsyncResult *result,
				      GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, channel), NULL);
	if (!g_task_propagate_boolean(G_TASK(result), error))
		return NULL;
	return channel->report;
}
