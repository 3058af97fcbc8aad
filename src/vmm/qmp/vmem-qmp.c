/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-qmp.h"

#include <gio/gunixsocketaddress.h>
#include <glib/gi18n.h>

#include "vmem-error.h"

#define VMEM_QMP_READ_CHUNK 65536

/* Events not yet dispatched, at most: a QEMU (or anything pretending to be
 * one) that floods events loses the oldest, counted, instead of growing
 * the host's memory. */
#define VMEM_QMP_MAX_QUEUED_EVENTS 1024

struct _VmemQmp {
	GObject parent;
	char *peer;
	GSocket *socket;
	GMainContext *context;
	GSource *watch;
	GSource *dispatch;
	GString *inbuf;
	guint timeout_ms;
	guint64 next_id;
	GQueue events; /* VmemQmpMessage, owned, not yet dispatched */
	guint64 dropped_events;
	GError *closed; /* why the connection is gone, once it is */
	gboolean closed_reported;
};

enum {
	SIGNAL_EVENT,
	SIGNAL_CLOSED,
	N_SIGNALS,
};

static guint vmem_qmp_signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE(VmemQmp, vmem_qmp, G_TYPE_OBJECT)

static void vmem_qmp_schedule_dispatch(VmemQmp *qmp);

/**
 * vmem_qmp_get_peer:
 *
 * Returns: what the client is connected to, for messages (the socket path)
 */
const char *
vmem_qmp_get_peer(VmemQmp *qmp)
{
	return qmp->peer;
}

/**
 * vmem_qmp_is_closed:
 *
 * Returns: whether the connection is gone; every command fails then
 */
gboolean
vmem_qmp_is_closed(VmemQmp *qmp)
{
	return qmp->closed != NULL;
}

static void
vmem_qmp_stop_watch(VmemQmp *qmp)
{
	if (qmp->watch != NULL) {
		g_source_destroy(qmp->watch);
		g_clear_pointer(&qmp->watch, g_source_unref);
	}
}

/* The connection is unusable: remember why (@reason is taken), close the
 * socket and let the subscriber know, after the events that came before. */
static void
vmem_qmp_close_with(VmemQmp *qmp, GError *reason)
{
	if (qmp->closed != NULL) {
		g_error_free(reason);
		return;
	}
	g_debug("QMP %s: closed: %s", qmp->peer, reason->message);
	qmp->closed = reason;
	vmem_qmp_stop_watch(qmp);
	g_socket_close(qmp->socket, NULL);
	vmem_qmp_schedule_dispatch(qmp);
}

static gboolean
vmem_qmp_dispatch_cb(gpointer user_data)
{
	g_autoptr(VmemQmp) qmp = g_object_ref(user_data);
	VmemQmpMessage *msg;

	g_clear_pointer(&qmp->dispatch, g_source_unref);
	while ((msg = g_queue_pop_head(&qmp->events)) != NULL) {
		g_signal_emit(qmp, vmem_qmp_signals[SIGNAL_EVENT], 0, msg);
		vmem_qmp_message_free(msg);
	}
	if (qmp->closed != NULL && !qmp->closed_reported) {
		qmp->closed_reported = TRUE;
		g_signal_emit(qmp, vmem_qmp_signals[SIGNAL_CLOSED], 0, qmp->closed);
	}
	return G_SOURCE_REMOVE;
}

static void
vmem_qmp_schedule_dispatch(VmemQmp *qmp)
{
	if (qmp->dispatch != NULL)
		return;
	qmp->dispatch = g_idle_source_new();
	g_source_set_priority(qmp->dispatch, G_PRIORITY_DEFAULT);
	g_source_set_callback(qmp->dispatch, vmem_qmp_dispatch_cb, qmp, NULL);
	g_source_attach(qmp->dispatch, qmp->context);
}

/* Reads what the socket has.  With @deadline_us >= 0, waits until then for
 * data first.  Returns FALSE on error, including end of file. */
static gboolean
vmem_qmp_receive(VmemQmp *qmp, gint64 deadline_us, GError **error)
{
	char buf[VMEM_QMP_READ_CHUNK];
	g_autoptr(GError) local_error = NULL;
	gssize n;

	if (deadline_us >= 0) {
		gint64 left = MAX(deadline_us - g_get_monotonic_time(), 0);

		if (!g_socket_condition_timed_wait(qmp->socket, G_IO_IN, left, NULL,
						   &local_error)) {
			if (g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
				g_set_error(error, VMEM_ERROR, VMEM_ERROR_TIMED_OUT,
					    /* TRANSLATORS: %s is a socket path, %u milliseconds */
					    _("QEMU at %s did not answer within %u ms."), qmp->peer,
					    qmp->timeout_ms);
				return FALSE;
			}
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_IO,
				    /* TRANSLATORS: %s is a socket path, then an OS error */
				    _("Cannot read from QEMU at %s: %s"), qmp->peer,
				    local_error->message);
			return FALSE;
		}
	}
	n = g_socket_receive(qmp->socket, buf, sizeof(buf), NULL, &local_error);
	if (n < 0) {
		if (g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
			return TRUE;
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_IO, _("Cannot read from QEMU at %s: %s"),
			    qmp->peer, local_error->message);
		return FALSE;
	}
	if (n == 0) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_IO,
			    /* TRANSLATORS: %s is a socket path */
			    _("QEMU at %s closed the QMP connection."), qmp->peer);
		return FALSE;
	}
	g_string_append_len(qmp->inbuf, buf, n);
	return TRUE;
}

/* Takes the next complete line from the input buffer, if any. */
static gboolean
vmem_qmp_take_message(VmemQmp *qmp, VmemQmpMessage **ret_msg, GError **error)
{
	const char *nl = memchr(qmp->inbuf->str, '\n', qmp->inbuf->len);
	g_autoptr(VmemQmpMessage) msg = NULL;
	gsize len;

	if (nl == NULL) {
		if (qmp->inbuf->len > VMEM_QMP_MAX_LINE) {
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: %s is a socket path, %zu a byte count */
				    _("QEMU at %s sent a line longer than %zu bytes."), qmp->peer,
				    (size_t)VMEM_QMP_MAX_LINE);
			return FALSE;
		}
		*ret_msg = NULL;
		return TRUE;
	}
	len = (gsize)(nl - qmp->inbuf->str);
	if (len > 0 && qmp->inbuf->str[len - 1] == '\r')
		len--;
	msg = vmem_qmp_message_parse(qmp->inbuf->str, len, error);
	g_string_erase(qmp->inbuf, 0, (gssize)(nl - qmp->inbuf->str) + 1);
	if (msg == NULL)
		return FALSE;
	*ret_msg = g_steal_pointer(&msg);
	return TRUE;
}

/* Takes every complete message out of the input buffer: events are queued,
 * replies are handed to @want_id's waiter through @ret_reply (or dropped
 * when nobody waits for them). */
static gboolean
vmem_qmp_process_input(VmemQmp *qmp, const char *want_id, VmemQmpMessage **ret_reply,
		       GError **error)
{
	for (;;) {
		g_autoptr(VmemQmpMessage) msg = NULL;

		if (!vmem_qmp_take_message(qmp, &msg, error))
			return FALSE;
		if (msg == NULL)
			return TRUE;
		switch (msg->kind) {
		case VMEM_QMP_MESSAGE_EVENT:
			if (qmp->events.length >= VMEM_QMP_MAX_QUEUED_EVENTS) {
				vmem_qmp_message_free(g_queue_pop_head(&qmp->events));
				qmp->dropped_events++;
			}
			g_queue_push_tail(&qmp->events, g_steal_pointer(&msg));
			vmem_qmp_schedule_dispatch(qmp);
			break;
		case VMEM_QMP_MESSAGE_RETURN:
		case VMEM_QMP_MESSAGE_ERROR:
			/* QEMU answers a command it cannot parse without an id. */
			if (want_id != NULL &&
			    (msg->id == NULL || g_strcmp0(msg->id, want_id) == 0)) {
				*ret_reply = g_steal_pointer(&msg);
				return TRUE;
			}
			g_debug("QMP %s: dropping a reply nobody waits for (id %s)", qmp->peer,
				msg->id ? msg->id : "none");
			break;
		case VMEM_QMP_MESSAGE_GREETING:
			if (want_id != NULL && g_str_equal(want_id, "")) {
				*ret_reply = g_steal_pointer(&msg);
				return TRUE;
			}
			g_debug("QMP %s: dropping a second greeting", qmp->peer);
			break;
		}
	}
}

static gboolean
vmem_qmp_watch_cb(GSocket *socket, GIOCondition condition, gpointer user_data)
{
	VmemQmp *qmp = user_data;
	GError *error = NULL;
	gboolean received = vmem_qmp_receive(qmp, -1, &error);

	/* what came before the end still counts */
	if (!vmem_qmp_process_input(qmp, NULL, NULL, error ? NULL : &error) || !received) {
		/* the watch is destroyed here */
		vmem_qmp_close_with(qmp, error);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static gboolean
vmem_qmp_send_all(VmemQmp *qmp, const char *data, gsize len, gint64 deadline_us, GError **error)
{
	while (len > 0) {
		g_autoptr(GError) local_error = NULL;
		gint64 left = MAX(deadline_us - g_get_monotonic_time(), 0);
		gssize n;

		if (!g_socket_condition_timed_wait(qmp->socket, G_IO_OUT, left, NULL,
						   &local_error)) {
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_IO,
				    /* TRANSLATORS: %s is a socket path, then an OS error */
				    _("Cannot write to QEMU at %s: %s"), qmp->peer,
				    local_error->message);
			return FALSE;
		}
		n = g_socket_send(qmp->socket, data, len, NULL, &local_error);
		if (n < 0) {
			if (g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
				continue;
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_IO,
				    _("Cannot write to QEMU at %s: %s"), qmp->peer,
				    local_error->message);
			return FALSE;
		}
		data += n;
		len -= (gsize)n;
	}
	return TRUE;
}

/* Waits for the reply to @id ("" for the greeting). */
static VmemQmpMessage *
vmem_qmp_wait_reply(VmemQmp *qmp, const char *id, gint64 deadline_us, GError **error)
{
	for (;;) {
		g_autoptr(VmemQmpMessage) reply = NULL;
		GError *local_error = NULL;

		if (!vmem_qmp_process_input(qmp, id, &reply, &local_error)) {
			g_propagate_error(error, g_error_copy(local_error));
			vmem_qmp_close_with(qmp, local_error);
			return NULL;
		}
		if (reply != NULL) {
			/* events that came with the reply are queued now */
			if (!vmem_qmp_process_input(qmp, NULL, NULL, &local_error))
				vmem_qmp_close_with(qmp, local_error);
			return g_steal_pointer(&reply);
		}
		/* A QEMU that keeps sending events never lets the socket wait
		 * time out: the deadline holds all the same. */
		if (g_get_monotonic_time() >= deadline_us) {
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_TIMED_OUT,
				    /* TRANSLATORS: %s is a socket path, %u milliseconds */
				    _("QEMU at %s did not answer within %u ms."), qmp->peer,
				    qmp->timeout_ms);
			return NULL;
		}
		if (!vmem_qmp_receive(qmp, deadline_us, &local_error)) {
			/* A slow QEMU may still answer: keep the connection. */
			if (g_error_matches(local_error, VMEM_ERROR, VMEM_ERROR_TIMED_OUT)) {
				g_propagate_error(error, local_error);
				return NULL;
			}
			g_propagate_error(error, g_error_copy(local_error));
			vmem_qmp_close_with(qmp, local_error);
			return NULL;
		}
	}
}

static VmemError
vmem_qmp_error_code(const char *error_class)
{
	if (g_str_equal(error_class, "DeviceNotFound"))
		return VMEM_ERROR_NOT_FOUND;
	if (g_str_equal(error_class, "DeviceNotActive"))
		return VMEM_ERROR_NOT_RUNNING;
	return VMEM_ERROR_VMM;
}

/**
 * vmem_qmp_execute:
 * @qmp: a connected client
 * @command: a QMP command name, such as "query-status"
 * @arguments: (nullable) (transfer none): its arguments, a JSON object
 * @ret_return: (out) (optional) (transfer full): what it returned
 * @error: return location for a #GError
 *
 * Runs @command and waits, at most the client's timeout, for its reply.
 * An error reply gives %VMEM_ERROR_VMM (or %VMEM_ERROR_NOT_FOUND for
 * `DeviceNotFound`) with QEMU's description; a silent QEMU gives
 * %VMEM_ERROR_TIMED_OUT and keeps the connection; a closed or garbled
 * connection gives %VMEM_ERROR_IO or %VMEM_ERROR_INVALID_DATA and stays
 * closed.
 */
gboolean
vmem_qmp_execute(VmemQmp *qmp, const char *command, json_object *arguments,
		 json_object **ret_return, GError **error)
{
	g_autoptr(json_object) request = json_object_new_object();
	g_autoptr(VmemQmpMessage) reply = NULL;
	g_autofree char *id = NULL;
	g_autofree char *line = NULL;
	gint64 deadline_us = g_get_monotonic_time() + (gint64)qmp->timeout_ms * 1000;
	GError *local_error = NULL;

	g_return_val_if_fail(command != NULL, FALSE);

	if (qmp->closed != NULL) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_IO,
			    /* TRANSLATORS: the first %s is a QMP command, the second a socket
			     * path, the third why the connection was lost */
			    _("Cannot run %s: the connection to QEMU at %s is closed: %s"), command,
			    qmp->peer, qmp->closed->message);
		return FALSE;
	}
	id = g_strdup_printf("vmem-%" G_GUINT64_FORMAT, ++qmp->next_id);
	json_object_object_add(request, "execute", json_object_new_string(command));
	if (arguments != NULL)
		json_object_object_add(request, "arguments", json_object_get(arguments));
	json_object_object_add(request, "id", json_object_new_string(id));
	line = g_strconcat(
		json_object_to_json_string_ext(request, JSON_C_TO_STRING_PLAIN |
								JSON_C_TO_STRING_NOSLASHESCAPE),
		"\n", NULL);
	if (!vmem_qmp_send_all(qmp, line, strlen(line), deadline_us, &local_error)) {
		g_propagate_error(error, g_error_copy(local_error));
		vmem_qmp_close_with(qmp, local_error);
		return FALSE;
	}
	reply = vmem_qmp_wait_reply(qmp, id, deadline_us, &local_error);
	if (reply == NULL) {
		if (g_error_matches(local_error, VMEM_ERROR, VMEM_ERROR_TIMED_OUT)) {
			g_clear_error(&local_error);
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_TIMED_OUT,
				    /* TRANSLATORS: the first %s is a socket path, the second a
				     * QMP command, %u milliseconds */
				    _("QEMU at %s did not answer %s within %u ms."), qmp->peer,
				    command, qmp->timeout_ms);
			return FALSE;
		}
		g_propagate_error(error, local_error);
		return FALSE;
	}
	if (reply->kind == VMEM_QMP_MESSAGE_ERROR) {
		g_set_error(error, VMEM_ERROR, vmem_qmp_error_code(reply->error_class),
			    /* TRANSLATORS: the first %s is a QMP command, the second QEMU's
			     * error message, the third its error class */
			    _("QEMU refused %s: %s (%s)"), command, reply->error_desc,
			    reply->error_class);
		return FALSE;
	}
	if (ret_return != NULL)
		*ret_return = json_object_get(reply->value);
	return TRUE;
}

/**
 * vmem_qmp_new_for_socket:
 * @socket: a connected stream socket to QEMU's QMP monitor; the client
 *   takes a reference and owns it from now on
 * @peer: what @socket is connected to, for messages
 * @timeout_ms: the bound on each command; 0 for %VMEM_QMP_DEFAULT_TIMEOUT_MS
 * @error: return location for a #GError
 *
 * Reads QEMU's greeting, leaves capabilities negotiation with
 * `qmp_capabilities` and starts watching for events in the thread-default
 * main context.
 *
 * Returns: (transfer full): the client, or %NULL on error
 */
VmemQmp *
vmem_qmp_new_for_socket(GSocket *socket, const char *peer, guint timeout_ms, GError **error)
{
	g_autoptr(VmemQmp) qmp = g_object_new(VMEM_TYPE_QMP, NULL);
	g_autoptr(VmemQmpMessage) greeting = NULL;
	g_autoptr(GError) local_error = NULL;

	qmp->peer = g_strdup(peer);
	qmp->socket = g_object_ref(socket);
	qmp->context = g_main_context_ref_thread_default();
	qmp->inbuf = g_string_new(NULL);
	qmp->timeout_ms = timeout_ms ? timeout_ms : VMEM_QMP_DEFAULT_TIMEOUT_MS;
	g_queue_init(&qmp->events);
	g_socket_set_blocking(socket, FALSE);

	greeting = vmem_qmp_wait_reply(
		qmp, "", g_get_monotonic_time() + (gint64)qmp->timeout_ms * 1000, &local_error);
	if (greeting == NULL) {
		/* QEMU serves one client per QMP socket: a second one is accepted
		 * by the kernel, but never greeted while the first is connected. */
		if (g_error_matches(local_error, VMEM_ERROR, VMEM_ERROR_TIMED_OUT))
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_TIMED_OUT,
				    /* TRANSLATORS: 1 a socket path, 2 milliseconds; keep QMP */
				    _("QEMU at %1$s accepted the connection but did not answer "
				      "within %2$u ms with its QMP greeting. QEMU talks to one QMP "
				      "client per socket, so another program may hold this one. Is "
				      "libvirt managing this QEMU? Use its libvirt URI."),
				    peer, qmp->timeout_ms);
		else
			g_propagate_error(error, g_steal_pointer(&local_error));
		return NULL;
	}
	if (greeting->kind != VMEM_QMP_MESSAGE_GREETING) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %s is a socket path */
			    _("%s does not greet like a QMP monitor."), peer);
		return NULL;
	}
	if (!vmem_qmp_execute(qmp, "qmp_capabilities", NULL, NULL, error))
		return NULL;
	qmp->watch = g_socket_create_source(socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
	g_source_set_callback(qmp->watch, G_SOURCE_FUNC(vmem_qmp_watch_cb), qmp, NULL);
	g_source_attach(qmp->watch, qmp->context);
	return g_steal_pointer(&qmp);
}

/**
 * vmem_qmp_connect:
 * @path: QEMU's QMP unix socket (`-qmp unix:PATH,server=on,wait=off`)
 * @timeout_ms: the bound on each command; 0 for %VMEM_QMP_DEFAULT_TIMEOUT_MS
 * @error: return location for a #GError
 *
 * Connects to QEMU and negotiates QMP, see vmem_qmp_new_for_socket().
 *
 * Returns: (transfer full): the client, or %NULL on error
 */
VmemQmp *
vmem_qmp_connect(const char *path, guint timeout_ms, GError **error)
{
	g_autoptr(GSocket) socket = NULL;
	g_autoptr(GSocketAddress) address = NULL;
	g_autoptr(GError) local_error = NULL;

	socket = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT,
			      &local_error);
	address = g_unix_socket_address_new(path);
	if (socket == NULL || !g_socket_connect(socket, address, NULL, &local_error)) {
		g_set_error(error, VMEM_ERROR,
			    g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) ||
					    g_error_matches(local_error, G_IO_ERROR,
							    G_IO_ERROR_CONNECTION_REFUSED)
				    ? VMEM_ERROR_NOT_FOUND
				    : VMEM_ERROR_IO,
			    /* TRANSLATORS: %s is a socket path, then an OS error */
			    _("Cannot connect to QEMU's QMP socket %s: %s"), path,
			    local_error->message);
		return NULL;
	}
	return vmem_qmp_new_for_socket(socket, path, timeout_ms, error);
}

/**
 * vmem_qmp_get_dropped_events:
 *
 * Returns: how many events were dropped, oldest first, because more than
 *   %VMEM_QMP_MAX_QUEUED_EVENTS waited to be dispatched
 */
guint64
vmem_qmp_get_dropped_events(VmemQmp *qmp)
{
	return qmp->dropped_events;
}

/* No signal is emitted once the last reference is gone. */
static void
vmem_qmp_finalize(GObject *object)
{
	VmemQmp *qmp = VMEM_QMP(object);

	vmem_qmp_stop_watch(qmp);
	if (qmp->dispatch != NULL) {
		g_source_destroy(qmp->dispatch);
		g_source_unref(qmp->dispatch);
	}
	g_queue_clear_full(&qmp->events, (GDestroyNotify)vmem_qmp_message_free);
	if (qmp->socket != NULL) {
		g_socket_close(qmp->socket, NULL);
		g_object_unref(qmp->socket);
	}
	g_clear_pointer(&qmp->context, g_main_context_unref);
	if (qmp->inbuf != NULL)
		g_string_free(qmp->inbuf, TRUE);
	g_clear_error(&qmp->closed);
	g_free(qmp->peer);
	G_OBJECT_CLASS(vmem_qmp_parent_class)->finalize(object);
}

static void
vmem_qmp_class_init(VmemQmpClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = vmem_qmp_finalize;

	/**
	 * VmemQmp::event:
	 * @msg: (type gpointer): the event, a #VmemQmpMessage of kind
	 *   %VMEM_QMP_MESSAGE_EVENT, valid during the emission
	 *
	 * QEMU sent an event.  Emitted in arrival order from the main context
	 * the client was created in, never from inside vmem_qmp_execute().
	 */
	vmem_qmp_signals[SIGNAL_EVENT] =
		g_signal_new("event", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
			     NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
	/**
	 * VmemQmp::closed:
	 * @error: (type GError): why the connection is gone
	 *
	 * The connection is gone (QEMU quit, or sent garbage); emitted once,
	 * after the events that came before.
	 */
	vmem_qmp_signals[SIGNAL_CLOSED] =
		g_signal_new("closed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
			     NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
vmem_qmp_init(VmemQmp *qmp)
{
}
