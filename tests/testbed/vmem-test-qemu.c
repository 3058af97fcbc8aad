/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-test-qemu.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>

#include "vmem-error.h"
#include "vmem-testbed-private.h"

#define VMEM_TEST_QEMU_RC_MARK "@@virtmem-rc "
#define VMEM_TEST_QEMU_SEQ_MARK "@@vmem-seq-"
#define VMEM_TEST_QEMU_BOOT_TIMEOUT_S 180
#define VMEM_TEST_QEMU_COMMAND_TIMEOUT_S 120
#define VMEM_TEST_QEMU_PROBE_TIMEOUT_S 3

struct _VmemTestQemu {
	char *name;
	char *dir;
	char *qmp_socket;
	char *qmp_uri;
	char *ctl_socket;
	char *console_log;
	char *stderr_log;
	GSubprocess *process;
	GPid pid;
	GSocketConnection *ctl;
	GDataInputStream *ctl_in;
	guint seq;
};

void
vmem_test_qemu_config_init(VmemTestQemuConfig *config)
{
	config->n_nodes = 1;
	config->node_base_mib = 512;
	config->device_mib = 4096;
	config->block_mib = 2;
	config->requested_mib = 0;
	config->online_movable = TRUE;
	config->allow_reboot = FALSE;
}

static GPtrArray *
vmem_test_qemu_argv(VmemTestQemu *qemu, const VmemTestQemuConfig *c, const char *kernel,
		    const char *initrd)
{
	GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
	guint64 base = c->node_base_mib * c->n_nodes;
	guint64 devices = c->device_mib * c->n_nodes;

#define ARG(...) g_ptr_array_add(argv, g_strdup_printf(__VA_ARGS__))
	ARG("qemu-system-x86_64");
	ARG("-name");
	ARG("%s", qemu->name);
	ARG("-nodefaults");
	ARG("-machine");
	ARG("q35");
	ARG("-cpu");
	ARG("qemu64");
	ARG("-accel");
	ARG("tcg");
	ARG("-smp");
	ARG("%u", c->n_nodes);
	ARG("-m");
	ARG("%" G_GUINT64_FORMAT "M,slots=2,maxmem=%" G_GUINT64_FORMAT "M", base,
	    base + devices + 1024);
	for (guint i = 0; i < c->n_nodes; i++) {
		ARG("-object");
		ARG("memory-backend-ram,id=ram%u,size=%" G_GUINT64_FORMAT "M", i, c->node_base_mib);
		ARG("-numa");
		ARG("node,nodeid=%u,cpus=%u,memdev=ram%u", i, i, i);
	}
	for (guint i = 0; i < c->n_nodes; i++) {
		ARG("-object");
		ARG("memory-backend-ram,id=mem%u,size=%" G_GUINT64_FORMAT "M", i, c->device_mib);
		ARG("-device");
		ARG("virtio-mem-pci,id=vmem%u,memdev=mem%u,node=%u,requested-size="
		    "%" G_GUINT64_FORMAT "M,block-size=%" G_GUINT64_FORMAT "M",
		    i, i, i, c->requested_mib, c->block_mib);
	}
	ARG("-display");
	ARG("none");
	ARG("-serial");
	ARG("file:%s", qemu->console_log);
	ARG("-qmp");
	ARG("unix:%s,server=on,wait=off", qemu->qmp_socket);
	ARG("-device");
	ARG("virtio-serial-pci,id=vser0");
	ARG("-chardev");
	ARG("socket,id=ctl,path=%s,server=on,wait=off", qemu->ctl_socket);
	ARG("-device");
	ARG("virtserialport,bus=vser0.0,chardev=ctl,name=org.virtmem.test.0");
	ARG("-kernel");
	ARG("%s", kernel);
	ARG("-initrd");
	ARG("%s", initrd);
	ARG("-append");
	ARG("console=ttyS0 panic=-1 loglevel=4%s",
	    c->online_movable ? " memhp_default_state=online_movable" : "");
	if (!c->allow_reboot)
		ARG("-no-reboot");
#undef ARG
	g_ptr_array_add(argv, NULL);
	return argv;
}

/* The end of QEMU's stderr, for error messages. */
static char *
vmem_test_qemu_stderr_tail(VmemTestQemu *qemu)
{
	g_autofree char *log = NULL;
	gsize len = 0;

	if (!g_file_get_contents(qemu->stderr_log, &log, &len, NULL))
		return g_strdup("");
	return g_strdup(len > 2000 ? log + len - 2000 : log);
}

static gboolean
vmem_test_qemu_connect_ctl(VmemTestQemu *qemu, GError **error)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(qemu->ctl_socket);
	gint64 end = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;

	/* QEMU creates the socket early; wait for it, or for QEMU to die */
	for (;;) {
		g_autoptr(GError) local_error = NULL;

		qemu->ctl =
		    g_socket_client_connect(client, G_SOCKET_CONNECTABLE(addr), NULL, &local_error);
		if (qemu->ctl != NULL)
			break;
		if (!vmem_testbed_pid_alive(qemu->pid) || g_get_monotonic_time() > end) {
			g_autofree char *tail = vmem_test_qemu_stderr_tail(qemu);

			g_set_error(error, VMEM_ERROR, VMEM_ERROR_VMM,
				    "QEMU %s did not open its control port %s (%s): %s", qemu->name,
				    qemu->ctl_socket, local_error->message, tail);
			return FALSE;
		}
		g_usleep(50 * 1000);
	}
	qemu->ctl_in =
	    g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(qemu->ctl)));
	g_data_input_stream_set_newline_type(qemu->ctl_in, G_DATA_STREAM_NEWLINE_TYPE_LF);
	return TRUE;
}

/* Runs @command, its output announced by a line with a fresh sequence
 * number, so that output of earlier commands (lost in a reboot, or sent
 * again while the guest booted) is never taken for this one's. */
static gboolean
vmem_test_qemu_run_timeout(VmemTestQemu *qemu, const char *command, guint timeout_s,
			   char **ret_output, int *ret_status, GError **error)
{
	GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(qemu->ctl));
	g_autoptr(GString) output = g_string_new(NULL);
	g_autofree char *mark = g_strdup_printf(VMEM_TEST_QEMU_SEQ_MARK "%u", ++qemu->seq);
	g_autofree char *line = g_strdup_printf("echo %s; %s\n", mark, command);
	gboolean started = FALSE;

	g_return_val_if_fail(strchr(command, '\n') == NULL, FALSE);
	g_socket_set_timeout(g_socket_connection_get_socket(qemu->ctl), timeout_s);
	if (!g_output_stream_write_all(out, line, strlen(line), NULL, NULL, error)) {
		g_prefix_error(error, "control port of %s: ", qemu->name);
		return FALSE;
	}
	for (;;) {
		g_autoptr(GError) local_error = NULL;
		g_autofree char *reply =
		    g_data_input_stream_read_line(qemu->ctl_in, NULL, NULL, &local_error);

		if (reply == NULL) {
			if (local_error == NULL)
				g_set_error(error, VMEM_ERROR, VMEM_ERROR_IO,
					    "control port of %s closed during `%s`", qemu->name,
					    command);
			else
				g_propagate_error(error, g_steal_pointer(&local_error));
			return FALSE;
		}
		if (!started) {
			started = g_str_equal(reply, mark);
			continue;
		}
		if (g_str_has_prefix(reply, VMEM_TEST_QEMU_RC_MARK)) {
			if (ret_status != NULL)
				*ret_status = (int)g_ascii_strtoll(
				    reply + strlen(VMEM_TEST_QEMU_RC_MARK), NULL, 10);
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
 * vmem_test_qemu_run:
 * @command: one line of shell, run by the guest's sh
 * @ret_output: (optional): what it printed (stdout and stderr)
 * @ret_status: (optional): its exit status
 *
 * Runs @command in the guest over the control port.
 */
gboolean
vmem_test_qemu_run(VmemTestQemu *qemu, const char *command, char **ret_output, int *ret_status,
		   GError **error)
{
	return vmem_test_qemu_run_timeout(qemu, command, VMEM_TEST_QEMU_COMMAND_TIMEOUT_S,
					  ret_output, ret_status, error);
}

/**
 * vmem_test_qemu_wait_ready:
 *
 * Waits until the guest's /init answers on the control port: after the
 * start, or after a reboot.
 */
gboolean
vmem_test_qemu_wait_ready(VmemTestQemu *qemu, GError **error)
{
	gint64 start = g_get_monotonic_time();
	gint64 end = start + VMEM_TEST_QEMU_BOOT_TIMEOUT_S * G_USEC_PER_SEC;

	for (;;) {
		g_autoptr(GError) local_error = NULL;

		if (vmem_test_qemu_run_timeout(qemu, "true", VMEM_TEST_QEMU_PROBE_TIMEOUT_S, NULL,
					       NULL, &local_error))
			break;
		if (!g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
		    g_get_monotonic_time() > end) {
			g_propagate_prefixed_error(error, g_steal_pointer(&local_error),
						   "guest %s did not come up (console: %s): ",
						   qemu->name, qemu->console_log);
			return FALSE;
		}
	}
	g_debug("guest %s answers after %.1f s", qemu->name,
		(g_get_monotonic_time() - start) / (double)G_USEC_PER_SEC);
	return TRUE;
}

static gboolean
vmem_test_qemu_guest_files(char **ret_kernel, char **ret_initrd, GError **error)
{
	const char *dir = g_getenv("VIRTMEM_GUEST_DIR") ?: VMEM_TESTBED_GUEST_DIR;
	g_autofree char *kernel = g_build_filename(dir, "vmlinuz", NULL);
	g_autofree char *initrd = g_build_filename(dir, "initramfs.img", NULL);

	if (!g_file_test(kernel, G_FILE_TEST_IS_REGULAR) ||
	    !g_file_test(initrd, G_FILE_TEST_IS_REGULAR)) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_NOT_FOUND,
			    "no guest kernel and initramfs in %s: build the `guest` target "
			    "(ninja -C BUILDDIR) or set VIRTMEM_GUEST_DIR",
			    dir);
		return FALSE;
	}
	*ret_kernel = g_steal_pointer(&kernel);
	*ret_initrd = g_steal_pointer(&initrd);
	return TRUE;
}

/**
 * vmem_test_qemu_start:
 * @name: the QEMU's -name, which QMP's query-name reports
 * @config: what to run
 *
 * Starts QEMU in a private temporary directory and waits until the guest
 * answers on the control port.
 */
VmemTestQemu *
vmem_test_qemu_start(const char *name, const VmemTestQemuConfig *config, GError **error)
{
	g_autoptr(VmemTestQemu) qemu = g_new0(VmemTestQemu, 1);
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GPtrArray) argv = NULL;
	g_autofree char *kernel = NULL;
	g_autofree char *initrd = NULL;
	g_autofree char *escaped = NULL;

	if (!vmem_test_qemu_guest_files(&kernel, &initrd, error))
		return NULL;
	qemu->name = g_strdup(name);
	qemu->dir = g_dir_make_tmp("virtmem-qemu-XXXXXX", error);
	if (qemu->dir == NULL)
		return NULL;
	qemu->qmp_socket = g_build_filename(qemu->dir, "qmp.sock", NULL);
	escaped = g_uri_escape_string(qemu->qmp_socket, "/", FALSE);
	qemu->qmp_uri = g_strconcat("qmp+unix://", escaped, NULL);
	qemu->ctl_socket = g_build_filename(qemu->dir, "ctl.sock", NULL);
	qemu->console_log = g_build_filename(qemu->dir, "console.log", NULL);
	qemu->stderr_log = g_build_filename(qemu->dir, "qemu.log", NULL);

	argv = vmem_test_qemu_argv(qemu, config, kernel, initrd);
	launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_NONE);
	g_subprocess_launcher_set_stdout_file_path(launcher, qemu->stderr_log);
	g_subprocess_launcher_set_stderr_file_path(launcher, qemu->stderr_log);
	qemu->process =
	    g_subprocess_launcher_spawnv(launcher, (const char *const *)argv->pdata, error);
	if (qemu->process == NULL)
		return NULL;
	qemu->pid = (GPid)g_ascii_strtoll(g_subprocess_get_identifier(qemu->process), NULL, 10);
	vmem_testbed_track_pid(qemu->pid);
	if (!vmem_test_qemu_connect_ctl(qemu, error) || !vmem_test_qemu_wait_ready(qemu, error))
		return NULL;
	return g_steal_pointer(&qemu);
}

const char *
vmem_test_qemu_get_qmp_uri(VmemTestQemu *qemu)
{
	return qemu->qmp_uri;
}

const char *
vmem_test_qemu_get_console_log(VmemTestQemu *qemu)
{
	return qemu->console_log;
}

GPid
vmem_test_qemu_get_pid(VmemTestQemu *qemu)
{
	return qemu->pid;
}

/**
 * vmem_test_qemu_kill:
 *
 * Ends QEMU now (SIGTERM, then SIGKILL), as an administrator or a crash
 * would, while the test keeps its connections.
 */
void
vmem_test_qemu_kill(VmemTestQemu *qemu)
{
	vmem_testbed_kill_pid(qemu->pid);
}

/**
 * vmem_test_qemu_meminfo:
 * @field: a /proc/meminfo field such as "MemTotal"
 * @ret_kib: its value in KiB
 */
gboolean
vmem_test_qemu_meminfo(VmemTestQemu *qemu, const char *field, guint64 *ret_kib, GError **error)
{
	g_autofree char *command = g_strdup_printf("grep '^%s:' /proc/meminfo", field);
	g_autofree char *output = NULL;
	int status = -1;
	const char *p;

	if (!vmem_test_qemu_run(qemu, command, &output, &status, error))
		return FALSE;
	p = strchr(output, ':');
	if (status != 0 || p == NULL) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    "no %s in the guest's /proc/meminfo: %s", field, output);
		return FALSE;
	}
	*ret_kib = g_ascii_strtoull(p + 1, NULL, 10);
	return TRUE;
}

/**
 * vmem_test_qemu_free:
 *
 * Ends QEMU by PID and removes its directory (kept when
 * `VIRTMEM_TESTBED_KEEP` is set).
 */
void
vmem_test_qemu_free(VmemTestQemu *qemu)
{
	if (qemu == NULL)
		return;
	if (qemu->ctl_in != NULL)
		g_object_unref(qemu->ctl_in);
	if (qemu->ctl != NULL) {
		g_io_stream_close(G_IO_STREAM(qemu->ctl), NULL, NULL);
		g_object_unref(qemu->ctl);
	}
	vmem_testbed_kill_pid(qemu->pid);
	if (qemu->process != NULL) {
		g_subprocess_wait(qemu->process, NULL, NULL);
		g_object_unref(qemu->process);
	}
	if (qemu->dir != NULL && g_getenv("VIRTMEM_TESTBED_KEEP") == NULL) {
		const char *files[] = {qemu->qmp_socket, qemu->ctl_socket, qemu->console_log,
				       qemu->stderr_log};

		for (guint i = 0; i < G_N_ELEMENTS(files); i++)
			g_remove(files[i]);
		g_rmdir(qemu->dir);
	}
	g_free(qemu->name);
	g_free(qemu->dir);
	g_free(qemu->qmp_socket);
	g_free(qemu->qmp_uri);
	g_free(qemu->ctl_socket);
	g_free(qemu->console_log);
	g_free(qemu->stderr_log);
	g_free(qemu);
}
