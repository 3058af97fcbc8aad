/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-test-qemu.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>

#include "vmem-error.h"
#include "vmem-test-control.h"
#include "vmem-testbed-private.h"

#define VMEM_TEST_QEMU_BOOT_TIMEOUT_S 180
#define VMEM_TEST_QEMU_COMMAND_TIMEOUT_S 120

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
	VmemTestControl *ctl;
};

static GPtrArray *
vmem_test_qemu_argv(VmemTestQemu *qemu, const VmemTestGuestConfig *c, const char *kernel,
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
	g_ptr_array_add(argv, vmem_testbed_kernel_cmdline(c));
	if (!c->reboot_restarts)
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
	return vmem_test_control_run(qemu->ctl, command, VMEM_TEST_QEMU_COMMAND_TIMEOUT_S,
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
	if (vmem_test_control_wait_ready(qemu->ctl, VMEM_TEST_QEMU_BOOT_TIMEOUT_S, error))
		return TRUE;
	g_prefix_error(error, "console %s: ", qemu->console_log);
	return FALSE;
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
vmem_test_qemu_start(const char *name, const VmemTestGuestConfig *config, GError **error)
{
	g_autoptr(VmemTestQemu) qemu = g_new0(VmemTestQemu, 1);
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GPtrArray) argv = NULL;
	g_autofree char *kernel = NULL;
	g_autofree char *initrd = NULL;
	g_autofree char *escaped = NULL;

	if (!vmem_testbed_guest_files(&kernel, &initrd, error))
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
	qemu->ctl = vmem_test_control_connect(qemu->name, qemu->ctl_socket, qemu->pid, error);
	if (qemu->ctl == NULL) {
		g_autofree char *tail = vmem_test_qemu_stderr_tail(qemu);

		g_prefix_error(error, "QEMU said: %s; ", tail);
		return NULL;
	}
	if (!vmem_test_qemu_wait_ready(qemu, error))
		return NULL;
	return g_steal_pointer(&qemu);
}

const char *
vmem_test_qemu_get_qmp_uri(VmemTestQemu *qemu)
{
	return qemu->qmp_uri;
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
	return vmem_test_control_meminfo(qemu->ctl, field, ret_kib, error);
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
	vmem_test_control_free(qemu->ctl);
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
