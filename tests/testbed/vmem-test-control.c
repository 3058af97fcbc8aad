/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-test-control.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>

#include "vmem-error.h"
#include "vmem-testbed-private.h"

#define VMEM_TEST_CONTROL_RC_MARK "@@virtmem-rc "
#define VMEM_TEST_CONTROL_SEQ_MARK "@@vmem-seq-"
#define VMEM_TEST_CONTROL_CONNECT_TIMEOUT_S 30
#define VMEM_TEST_CONTROL_PROBE_TIMEOUT_S 3

struct _VmemTestControl {
	char *name;
	char *socket_path;
	GSocketConnection *conn;
	GDataInputStream *in;
	guint seq;
};

/**
 * vmem_test_control_connect:
 * @name: the guest's name, for messages
 * @socket_path: the unix socket QEMU serves the port on
 * @qemu_pid: QEMU's PID: connecting gives up when it dies
 *
 * Connects to the control port, waiting for QEMU to create the socket.
 */
VmemTestControl *
vmem_test_control_connect(const char *name, const char *socket_path, GPid qemu_pid, GError **error)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(socket_path);
	gint64 end = g_get_monotonic_time() + VMEM_TEST_CONTROL_CONNECT_TIMEOUT_S * G_USEC_PER_SEC;
	g_autoptr(VmemTestControl) ctl = g_new0(VmemTestControl, 1);

	ctl->name = g_strdup(name);
	ctl->socket_path = g_strdup(socket_path);
	for (;;) {
		g_autoptr(GError) local_error = NULL;

		ctl->conn = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(addr), NULL,
						    &local_error);
		if (ctl->conn != NULL)
			break;
		if (!vmem_testbed_pid_alive(qemu_pid) || g_get_monotonic_time() > end) {
			g_propagate_prefixed_error(
				error, g_steal_pointer(&local_error),
				"cannot connect to the control port %s of %s: ", socket_path, name);
			return NULL;
		}
		g_usleep(50 * 1000);
	}
	ctl->in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(ctl->conn)));
	g_data_input_stream_set_newline_type(ctl->in, G_DATA_STREAM_NEWLINE_TYPE_LF);
	return g_steal_pointer(&ctl);
}

void
vmem_test_control_free(VmemTestControl *ctl)
{
	if (ctl == NULL)
		return;
	if (ctl->in != NULL)
		g_object_unref(ctl->in);
	if (ctl->conn != NULL) {
		g_io_stream_close(G_IO_STREAM(ctl->conn), NULL, NULL);
		g_object_unref(ctl->conn);
	}
	g_free(ctl->name);
	g_free(ctl->socket_path);
	g_free(ctl);
}

static void
vmem_test_control_on_line(GObject *source, GAsyncResult *result, gpointer user_data)
{
	*(GAsyncResult **)user_data = g_object_ref(result);
}

/**
 * vmem_test_control_run:
 * @command: one line of shell, run by the guest's sh
 * @timeout_s: how long to wait for its answer
 * @ret_output: (optional): what it printed (stdout and stderr)
 * @ret_status: (optional): its exit status
 *
 * Runs @command in the guest.  Its output is announced by a line with a
 * fresh sequence number, so that output of earlier commands (lost in a
 * reboot, or queued while the guest booted) is never taken for this one's.
 */
gboolean
vmem_test_control_run(VmemTestControl *ctl, const char *command, guint timeout_s, char **ret_output,
		      int *ret_status, GError **error)
{
	GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(ctl->conn));
	g_autoptr(GString) output = g_string_new(NULL);
	g_autofree char *mark = g_strdup_printf(VMEM_TEST_CONTROL_SEQ_MARK "%u", ++ctl->seq);
	g_autofree char *line = g_strdup_printf("echo %s; %s\n", mark, command);
	gboolean started = FALSE;

	g_return_val_if_fail(strchr(command, '\n') == NULL, FALSE);
	g_socket_set_timeout(g_socket_connection_get_socket(ctl->conn), timeout_s);
	if (!g_output_stream_write_all(out, line, strlen(line), NULL, NULL, error)) {
		g_prefix_error(error, "control port of %s: ", ctl->name);
		return FALSE;
	}
	for (;;) {
		g_autoptr(GError) local_error = NULL;
		g_autoptr(GAsyncResult) result = NULL;
		g_autofree char *reply = NULL;

		/* The main loop runs meanwhile: a command may take long under
		 * TCG, and libvirtd drops a client whose keepalives go
		 * unanswered. */
		g_data_input_stream_read_line_async(ctl->in, G_PRIORITY_DEFAULT, NULL,
						    vmem_test_control_on_line, &result);
		while (result == NULL)
			g_main_context_iteration(NULL, TRUE);
		reply = g_data_input_stream_read_line_finish(ctl->in, result, NULL, &local_error);

		if (reply == NULL) {
			if (local_error == NULL)
				g_set_error(error, VMEM_ERROR, VMEM_ERROR_IO,
					    "control port of %s closed during `%s`", ctl->name,
					    command);
			else
				g_propagate_error(error, g_steal_pointer(&local_error));
			return FALSE;
		}
		if (!started) {
			started = g_str_equal(reply, mark);
			continue;
		}
		if (g_str_has_prefix(reply, VMEM_TEST_CONTROL_RC_MARK)) {
			if (ret_status != NULL)
				*ret_status = (int)g_ascii_strtoll(
					reply + strlen(VMEM_TEST_CONTROL_RC_MARK), NULL, 10);
			break;
		}
		g_string_append(output, reply);
		g_string_append_c(output, '\n');
	}
	if (ret_output != NULL)
		*ret_output = g_string_free(g_steal_pointer(&output), FALSE);
	return TRUE;
}

/**
 * vmem_test_control_wait_ready:
 * @timeout_s: how long the guest may take
 *
 * Waits until the guest's /init answers: after a start or a reboot.
 */
gboolean
vmem_test_control_wait_ready(VmemTestControl *ctl, guint timeout_s, GError **error)
{
	gint64 start = g_get_monotonic_time();
	gint64 end = start + (gint64)timeout_s * G_USEC_PER_SEC;

	for (;;) {
		g_autoptr(GError) local_error = NULL;

		if (vmem_test_control_run(ctl, "true", VMEM_TEST_CONTROL_PROBE_TIMEOUT_S, NULL,
					  NULL, &local_error))
			break;
		if (!g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
		    g_get_monotonic_time() > end) {
			g_propagate_prefixed_error(error, g_steal_pointer(&local_error),
						   "guest %s did not come up: ", ctl->name);
			return FALSE;
		}
	}
	g_debug("guest %s up in %.1f s", ctl->name,
		(g_get_monotonic_time() - start) / (double)G_USEC_PER_SEC);
	return TRUE;
}

/**
 * vmem_test_control_meminfo:
 * @field: a /proc/meminfo field such as "MemTotal"
 * @ret_kib: its value in KiB
 */
gboolean
vmem_test_control_meminfo(VmemTestControl *ctl, const char *field, guint64 *ret_kib, GError **error)
{
	g_autofree char *command = g_strdup_printf("grep '^%s:' /proc/meminfo", field);
	g_autofree char *output = NULL;
	int status = -1;
	const char *p;
	guint64 kib;
	char *end = NULL;

	if (!vmem_test_control_run(ctl, command, VMEM_TEST_CONTROL_PROBE_TIMEOUT_S * 10, &output,
				   &status, error))
		return FALSE;
	p = status == 0 ? strchr(output, ':') : NULL;
	kib = p != NULL ? g_ascii_strtoull(p + 1, &end, 10) : 0;
	if (p == NULL || end == p + 1) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    "no readable %s in the /proc/meminfo of %s: %s", field, ctl->name,
			    output);
		return FALSE;
	}
	*ret_kib = kib;
	return TRUE;
}
