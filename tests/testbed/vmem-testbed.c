/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-testbed-private.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/wait.h>

#include "vmem-backend-libvirt.h"
#include "vmem-error.h"
#include "vmem-libvirt.h"

/* Every process a test bed of this process started: ended if the process
 * aborts, and checked by vmem_testbed_all_processes_gone().  Written only
 * from the main thread; read by the signal handler. */
#define VMEM_TESTBED_MAX_PIDS 64
static volatile sig_atomic_t vmem_testbed_pids[VMEM_TESTBED_MAX_PIDS];

static void
vmem_testbed_emergency(int sig)
{
	for (guint i = 0; i < VMEM_TESTBED_MAX_PIDS; i++) {
		if (vmem_testbed_pids[i] > 0)
			kill(vmem_testbed_pids[i], SIGKILL);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
vmem_testbed_install_emergency(void)
{
	static gboolean installed = FALSE;
	int sigs[] = {SIGABRT, SIGSEGV, SIGBUS, SIGTERM, SIGINT, SIGHUP, SIGTRAP};

	if (installed)
		return;
	for (guint i = 0; i < G_N_ELEMENTS(sigs); i++)
		signal(sigs[i], vmem_testbed_emergency);
	installed = TRUE;
}

void
vmem_testbed_track_pid(GPid pid)
{
	/* a test that starts only a bus and virtmemd ends them on abort too */
	vmem_testbed_install_emergency();
	for (guint i = 0; i < VMEM_TESTBED_MAX_PIDS; i++) {
		if (vmem_testbed_pids[i] == pid)
			return;
	}
	for (guint i = 0; i < VMEM_TESTBED_MAX_PIDS; i++) {
		if (vmem_testbed_pids[i] == 0) {
			vmem_testbed_pids[i] = pid;
			return;
		}
	}
	g_warning("test bed: too many processes to track, %d is not protected", pid);
}

/* Forgets @pid, a process that ended */
void
vmem_testbed_untrack_pid(GPid pid)
{
	for (guint i = 0; i < VMEM_TESTBED_MAX_PIDS; i++) {
		if (vmem_testbed_pids[i] == pid)
			vmem_testbed_pids[i] = 0;
	}
}

gboolean
vmem_testbed_pid_alive(GPid pid)
{
	g_autofree char *stat_path = NULL;
	g_autofree char *stat = NULL;
	const char *state;

	if (pid <= 0)
		return FALSE;
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return FALSE;
	/* A zombie (our own child not reaped yet) is gone for our purposes. */
	stat_path = g_strdup_printf("/proc/%d/stat", pid);
	if (!g_file_get_contents(stat_path, &stat, NULL, NULL))
		return FALSE;
	state = strrchr(stat, ')');
	return state == NULL || state[1] == '\0' || state[2] != 'Z';
}

/**
 * vmem_testbed_kill_pid:
 * @pid: a process the test bed started, directly or through libvirt
 *
 * Ends @pid: SIGTERM, up to 5 s to go, then SIGKILL.
 */
void
vmem_testbed_kill_pid(GPid pid)
{
	if (pid <= 0)
		return;
	if (vmem_testbed_pid_alive(pid)) {
		kill(pid, SIGTERM);
		for (guint i = 0; i < 100 && vmem_testbed_pid_alive(pid); i++) {
			waitpid(pid, NULL, WNOHANG);
			g_usleep(50 * 1000);
		}
		if (vmem_testbed_pid_alive(pid)) {
			kill(pid, SIGKILL);
			for (guint i = 0; i < 100 && vmem_testbed_pid_alive(pid); i++) {
				waitpid(pid, NULL, WNOHANG);
				g_usleep(20 * 1000);
			}
		}
	}
	waitpid(pid, NULL, WNOHANG);
}

GPid
vmem_testbed_read_pid_file(const char *path)
{
	g_autofree char *contents = NULL;
	gint64 pid;

	if (!g_file_get_contents(path, &contents, NULL, NULL))
		return 0;
	pid = g_ascii_strtoll(g_strstrip(contents), NULL, 10);
	return pid > 0 && pid <= G_MAXINT ? (GPid)pid : 0;
}

/**
 * vmem_testbed_guest_files:
 *
 * The guest kernel and initramfs: in `$VIRTMEM_GUEST_DIR`, else in the
 * build tree's guest directory.
 */
gboolean
vmem_testbed_guest_files(char **ret_kernel, char **ret_initrd, GError **error)
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
 * vmem_testbed_kernel_cmdline:
 *
 * The guest kernel's command line for @config: serial console, reboot on
 * panic (which `on_reboot` or `-no-reboot` turn into a stop), and the
 * knobs of the config.
 */
char *
vmem_testbed_kernel_cmdline(const VmemTestGuestConfig *config)
{
	return g_strdup_printf("console=ttyS0 panic=-1 loglevel=4%s%s%s%s",
			       config->online_movable ? " memhp_default_state=online_movable" : "",
			       config->virtio_mem_driver ? "" : " module_blacklist=virtio_mem",
			       config->cmdline != NULL ? " " : "",
			       config->cmdline != NULL ? config->cmdline : "");
}

char *
vmem_testbed_qemu_pid_file(VmemTestbed *tb, const char *name)
{
	g_autofree char *file = g_strdup_printf("%s.pid", name);

	if (tb->mode == VMEM_TESTBED_EMBEDDED)
		return g_build_filename(tb->root, "run", "qemu", file, NULL);
	return g_build_filename(tb->root, "run", "libvirt", "qemu", file, NULL);
}

static gboolean
vmem_testbed_write(const char *dir, const char *name, const char *contents, GError **error)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);

	if (g_mkdir_with_parents(dir, 0755) < 0) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_IO, "cannot create %s: %s", dir,
			    g_strerror(errno));
		return FALSE;
	}
	return g_file_set_contents(path, contents, -1, error);
}

/* The measured minimum for QEMU as root without cgroups or namespaces. */
static const char vmem_testbed_qemu_conf[] = "user = \"root\"\n"
					     "group = \"root\"\n"
					     "security_driver = \"none\"\n"
					     "cgroup_controllers = [ ]\n"
					     "namespaces = [ ]\n"
					     "dynamic_ownership = 0\n"
					     "remember_owner = 0\n";

static gboolean
vmem_testbed_open(VmemTestbed *tb, GError **error)
{
	tb->conn = virConnectOpen(tb->uri);
	if (tb->conn == NULL) {
		vmem_libvirt_set_error(error);
		g_prefix_error(error, "cannot open %s: ", tb->uri);
		return FALSE;
	}
	return TRUE;
}

/* Starts libvirtd, and virtlogd unless it runs already (a restart). */
static gboolean
vmem_testbed_start_daemon(VmemTestbed *tb, GError **error)
{
	g_autofree char *etc = g_build_filename(tb->root, "etc", NULL);
	g_autofree char *run = g_build_filename(tb->root, "run", NULL);
	g_autofree char *lib = g_build_filename(tb->root, "lib", NULL);
	g_autofree char *log = g_build_filename(tb->root, "log", NULL);
	g_autofree char *cache = g_build_filename(tb->root, "cache", NULL);
	g_autofree char *sock = g_build_filename(run, "libvirt", "libvirt-sock", NULL);
	g_autofree char *virtlogd_pidfile = g_build_filename(tb->root, "virtlogd.pid", NULL);
	g_autofree char *daemon_log = g_build_filename(tb->root, "libvirtd.log", NULL);
	g_autofree char *script = NULL;
	g_autofree char *qemu_conf = NULL;
	g_autofree char *libvirtd_conf = NULL;
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	const char *dirs[] = {lib, log, cache, run};

	for (guint i = 0; i < G_N_ELEMENTS(dirs); i++) {
		if (g_mkdir_with_parents(dirs[i], 0755) < 0) {
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_IO, "cannot create %s: %s",
				    dirs[i], g_strerror(errno));
			return FALSE;
		}
	}
	qemu_conf = g_strconcat(vmem_testbed_qemu_conf, "stdio_handler = \"logd\"\n", NULL);
	if (!vmem_testbed_write(etc, "qemu.conf", qemu_conf, error))
		return FALSE;
	if (tb->host_uuid == NULL)
		tb->host_uuid = g_uuid_string_random();
	libvirtd_conf = g_strdup_printf("auth_unix_ro = \"none\"\n"
					"auth_unix_rw = \"none\"\n"
					"unix_sock_rw_perms = \"0700\"\n"
					"log_outputs = \"3:stderr\"\n"
					"host_uuid = \"%s\"\n",
					tb->host_uuid);
	if (!vmem_testbed_write(etc, "libvirtd.conf", libvirtd_conf, error))
		return FALSE;
	if (!vmem_testbed_write(etc, "virtlogd.conf", "log_outputs = \"3:stderr\"\n", error))
		return FALSE;

	/* A private mount namespace in which libvirt's own directories are
	 * the test bed's: the host's libvirt, if any, is untouched. */
	script = g_strdup_printf(
		"set -e\n"
		"mount --bind '%s' /etc/libvirt\n"
		"mount --bind '%s' /run\n"
		"mkdir -p /run/lock /var/lib/libvirt /var/log/libvirt /var/cache/libvirt\n"
		"mount --bind '%s' /var/lib/libvirt\n"
		"mount --bind '%s' /var/log/libvirt\n"
		"mount --bind '%s' /var/cache/libvirt\n"
		"%s%s%s"
		/* a libvirtd that crashes leaves its core in the test bed's
		 * root, which a failed test keeps */
		"cd '%s'\n"
		"ulimit -c unlimited 2>/dev/null || true\n"
		"exec libvirtd\n",
		etc, run, lib, log, cache, tb->virtlogd_pid ? "" : "virtlogd --pid-file '",
		tb->virtlogd_pid ? "" : virtlogd_pidfile, tb->virtlogd_pid ? "" : "' &\n",
		tb->root);
	launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDIN_INHERIT);
	g_subprocess_launcher_set_stdout_file_path(launcher, daemon_log);
	g_subprocess_launcher_set_stderr_file_path(launcher, daemon_log);
	g_subprocess_launcher_setenv(launcher, "LIBVIRT_LOG_OUTPUTS", "3:stderr", TRUE);
	tb->libvirtd =
		g_subprocess_launcher_spawn(launcher, error, "unshare", "--mount", "--propagation",
					    "private", "--", "sh", "-c", script, NULL);
	if (tb->libvirtd == NULL)
		return FALSE;
	vmem_testbed_track_pid(
		(GPid)g_ascii_strtoll(g_subprocess_get_identifier(tb->libvirtd), NULL, 10));

	g_free(tb->uri);
	tb->uri = g_strdup_printf("qemu+unix:///system?socket=%s", sock);
	for (guint i = 0; i < 600; i++) {
		if (tb->virtlogd_pid == 0) {
			tb->virtlogd_pid = vmem_testbed_read_pid_file(virtlogd_pidfile);
			if (tb->virtlogd_pid != 0)
				vmem_testbed_track_pid(tb->virtlogd_pid);
		}
		if (g_subprocess_get_identifier(tb->libvirtd) == NULL) {
			g_autofree char *out = NULL;
			g_file_get_contents(daemon_log, &out, NULL, NULL);
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_VMM,
				    "libvirtd exited during start-up: %s", out ? out : "");
			return FALSE;
		}
		if (tb->virtlogd_pid != 0 && g_file_test(sock, G_FILE_TEST_EXISTS)) {
			virConnectPtr conn = virConnectOpen(tb->uri);
			if (conn != NULL) {
				tb->conn = conn;
				return TRUE;
			}
		}
		g_usleep(50 * 1000);
	}
	g_set_error(error, VMEM_ERROR, VMEM_ERROR_TIMED_OUT,
		    "libvirtd did not answer on %s within 30 s (log: %s)", sock, daemon_log);
	return FALSE;
}

/**
 * vmem_testbed_new:
 * @mode: embedded driver or private daemon
 * @error: return location for a #GError
 *
 * Creates a private libvirt root in a new temporary directory and connects
 * to it.  The guest kernel and initramfs are taken from the directory named
 * by `VIRTMEM_GUEST_DIR` (set by the test suite).
 */
VmemTestbed *
vmem_testbed_new(VmemTestbedMode mode, GError **error)
{
	g_autoptr(GError) local_error = NULL;
	VmemTestbed *tb = g_new0(VmemTestbed, 1);
	g_autofree char *log_outputs = NULL;

	tb->mode = mode;
	tb->guests = g_ptr_array_new_with_free_func((GDestroyNotify)vmem_test_guest_free);
	/* Short: channel sockets live below it and unix paths are limited. */
	tb->root = g_dir_make_tmp("virtmem-XXXXXX", error);
	if (tb->root == NULL) {
		vmem_testbed_free(tb);
		return NULL;
	}
	/* The embedded driver logs its probing to stderr: into the root
	 * instead, where a post-mortem (VIRTMEM_TESTBED_KEEP) finds it. */
	log_outputs = g_strdup_printf("3:file:%s/libvirt.log", tb->root);
	g_setenv("LIBVIRT_LOG_OUTPUTS", log_outputs, FALSE);
	if (!vmem_libvirt_init(error)) {
		vmem_testbed_free(tb);
		return NULL;
	}
	vmem_testbed_install_emergency();

	if (mode == VMEM_TESTBED_EMBEDDED) {
		g_autofree char *etc = g_build_filename(tb->root, "etc", NULL);
		g_autofree char *conf =
			g_strconcat(vmem_testbed_qemu_conf, "stdio_handler = \"file\"\n", NULL);

		tb->uri = g_strdup_printf("qemu:///embed?root=%s", tb->root);
		if (!vmem_testbed_write(etc, "qemu.conf", conf, &local_error) ||
		    !vmem_testbed_open(tb, &local_error)) {
			g_propagate_error(error, g_steal_pointer(&local_error));
			vmem_testbed_free(tb);
			return NULL;
		}
	} else if (!vmem_testbed_start_daemon(tb, &local_error)) {
		g_propagate_error(error, g_steal_pointer(&local_error));
		vmem_testbed_free(tb);
		return NULL;
	}
	return tb;
}

/**
 * vmem_testbed_get_backend:
 *
 * Returns: (transfer none): virtmem's libvirt backend on the test bed's
 *   connection, made on first use
 */
VmemBackend *
vmem_testbed_get_backend(VmemTestbed *tb, GError **error)
{
	if (tb->backend == NULL)
		tb->backend = vmem_backend_libvirt_new(tb->conn, error);
	return tb->backend;
}

const char *
vmem_testbed_get_uri(VmemTestbed *tb)
{
	return tb->uri;
}

virConnectPtr
vmem_testbed_get_connection(VmemTestbed *tb)
{
	return tb->conn;
}

/**
 * vmem_testbed_all_processes_gone:
 *
 * After vmem_testbed_free() has ended them: are the QEMU, libvirtd and
 * virtlogd processes that test beds of this process started really gone?
 * For tests that prove the test bed leaves nothing behind.
 */
gboolean
vmem_testbed_all_processes_gone(void)
{
	for (guint i = 0; i < VMEM_TESTBED_MAX_PIDS; i++) {
		if (vmem_testbed_pids[i] > 0 && vmem_testbed_pid_alive(vmem_testbed_pids[i]))
			return FALSE;
	}
	return TRUE;
}

void
vmem_testbed_remove_tree(const char *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	const char *name;

	if (dir != NULL && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
		while ((name = g_dir_read_name(dir)) != NULL) {
			g_autofree char *child = g_build_filename(path, name, NULL);
			vmem_testbed_remove_tree(child);
		}
	}
	g_remove(path);
}

/**
 * vmem_testbed_restart_libvirtd:
 *
 * Stops the private libvirtd (the guests keep running) and starts it
 * again, as an administrator's restart would.  The test bed's connection
 * is a new one; the guests' libvirt handles are stale afterwards: only
 * their control and agent ports still work.
 */
gboolean
vmem_testbed_restart_libvirtd(VmemTestbed *tb, GError **error)
{
	g_assert(tb->mode == VMEM_TESTBED_DAEMON);
	g_clear_object(&tb->backend);
	if (tb->conn != NULL)
		virConnectClose(g_steal_pointer(&tb->conn));
	kill((GPid)g_ascii_strtoll(g_subprocess_get_identifier(tb->libvirtd) ?: "0", NULL, 10),
	     SIGTERM);
	if (!g_subprocess_wait(tb->libvirtd, NULL, error))
		return FALSE;
	g_clear_object(&tb->libvirtd);
	return vmem_testbed_start_daemon(tb, error);
}

/**
 * vmem_testbed_free:
 *
 * Destroys every guest, ends libvirtd and virtlogd, ends by PID whatever
 * survived, and removes the root (kept when `VIRTMEM_TESTBED_KEEP` is set,
 * for post-mortems).
 */
void
vmem_testbed_free(VmemTestbed *tb)
{
	if (tb == NULL)
		return;
	if (tb->guests != NULL)
		g_ptr_array_free(tb->guests, TRUE);
	g_clear_object(&tb->backend);
	if (tb->conn != NULL)
		virConnectClose(tb->conn);
	if (tb->libvirtd != NULL) {
		GPid pid = (GPid)g_ascii_strtoll(g_subprocess_get_identifier(tb->libvirtd) ?: "0",
						 NULL, 10);
		vmem_testbed_kill_pid(pid);
		g_subprocess_wait(tb->libvirtd, NULL, NULL);
		g_object_unref(tb->libvirtd);
	}
	vmem_testbed_kill_pid(tb->virtlogd_pid);
	if (tb->root != NULL && g_getenv("VIRTMEM_TESTBED_KEEP") == NULL)
		vmem_testbed_remove_tree(tb->root);
	g_free(tb->root);
	g_free(tb->uri);
	g_free(tb->host_uuid);
	g_free(tb);
}
