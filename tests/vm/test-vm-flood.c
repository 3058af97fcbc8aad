/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A guest that floods its agent port, measured the way a user meets it:
 * `virtmemctl agent DOM --watch` on a private libvirtd while the guest
 * writes valid report lines (or empty lines) as fast as it can.  Before,
 * libvirt's client library queued the stream in our process while the rate
 * limiter stopped reading: 4 GB RSS and 95 % CPU in 15 s.  Now the stream
 * is drained and what is over the rate limit dropped, so the reader's peak
 * RSS stays bounded; the figures are printed.
 */
#include "config.h"

#include <gio/gio.h>
#include <signal.h>
#include <unistd.h>

#include "vmem-testbed.h"

#define AGENT_PORT "/dev/virtio-ports/org.virtmem.agent.0"
#define FLOOD_S 15
#define FLOOD_RSS_MAX_KIB (64 * 1024)

/* A field of /proc/PID/status, in KiB; 0 once the process is gone. */
static guint64
proc_status_kib(GPid pid, const char *field)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/status", pid);
	g_autofree char *text = NULL;
	const char *p;

	if (!g_file_get_contents(path, &text, NULL, NULL) || (p = strstr(text, field)) == NULL)
		return 0;
	return g_ascii_strtoull(p + strlen(field) + 1, NULL, 10);
}

/* CPU time of @pid so far, in clock ticks */
static guint64
proc_cpu_ticks(GPid pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/stat", pid);
	g_autofree char *text = NULL;
	g_auto(GStrv) fields = NULL;
	const char *p;

	if (!g_file_get_contents(path, &text, NULL, NULL) || (p = strrchr(text, ')')) == NULL)
		return 0;
	fields = g_strsplit(p + 2, " ", -1);
	/* utime and stime are fields 14 and 15, the 12th and 13th after ")" */
	if (g_strv_length(fields) < 13)
		return 0;
	return g_ascii_strtoull(fields[11], NULL, 10) + g_ascii_strtoull(fields[12], NULL, 10);
}

/* Runs `virtmemctl agent DOM --watch` (once it has the agent's first
 * report) for FLOOD_S while the guest writes @flood to the agent's port in
 * place of the agent, and checks the reader's peak RSS. */
static void
flood_agent(VmemTestbed *tb, VmemTestGuest *guest, const char *what, const char *flood)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocess) proc = NULL;
	g_autofree char *command = g_strdup_printf(
		"killall virtmem-agent; sleep 0.2; (%s) > " AGENT_PORT " 2>/dev/null & echo $!",
		flood);
	g_autofree char *writer = NULL;
	g_autofree char *kill_writer = NULL;
	guint64 hwm = 0, cpu = 0;
	GPid pid;

	proc = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
					G_SUBPROCESS_FLAGS_STDERR_SILENCE,
				&error, g_getenv("VIRTMEMCTL"), "-c", vmem_testbed_get_uri(tb),
				"agent", vmem_test_guest_get_name(guest), "--watch", NULL);
	g_assert_no_error(error);
	pid = (GPid)g_ascii_strtoll(g_subprocess_get_identifier(proc), NULL, 10);
	vmem_test_spin(5000);
	g_assert_cmpuint(proc_status_kib(pid, "VmRSS:"), >, 0);
	writer = vmem_test_guest_output(guest, command);
	g_strstrip(writer);
	for (guint i = 0; i < FLOOD_S * 10; i++) {
		vmem_test_spin(100);
		hwm = MAX(hwm, proc_status_kib(pid, "VmHWM:"));
		cpu = MAX(cpu, proc_cpu_ticks(pid));
	}
	/* still reading: a zombie has no VmRSS */
	g_assert_cmpuint(proc_status_kib(pid, "VmRSS:"), >, 0);
	g_subprocess_send_signal(proc, SIGTERM);
	g_assert_true(g_subprocess_wait(proc, NULL, &error));
	/* the agent takes its port back for the next round */
	kill_writer = g_strdup_printf("kill %s; /bin/virtmem-agent --port " AGENT_PORT
				      " </dev/null >/dev/null 2>&1 3>&- & echo",
				      writer);
	g_free(vmem_test_guest_output(guest, kill_writer));
	g_test_message(
		"agent flood (%s) for %d s: virtmemctl agent --watch peak RSS %" G_GUINT64_FORMAT
		" KiB (bound %d KiB), CPU %.0f %% of one core",
		what, FLOOD_S, hwm, FLOOD_RSS_MAX_KIB,
		100.0 * (double)cpu / (double)sysconf(_SC_CLK_TCK) / FLOOD_S);
	g_assert_cmpuint(hwm, >, 0);
	g_assert_cmpuint(hwm, <, FLOOD_RSS_MAX_KIB);
}

static void
test_agent_flood(void)
{
	g_autoptr(GError) error = NULL;
	VmemTestGuestConfig config;
	VmemTestbed *tb;
	VmemTestGuest *guest;

	tb = vmem_testbed_new(VMEM_TESTBED_DAEMON, &error);
	g_assert_no_error(error);
	vmem_test_guest_config_init(&config);
	guest = vmem_test_guest_new(tb, "flood", &config, &error);
	g_assert_no_error(error);
	g_assert_true(vmem_test_guest_start(guest, &error));
	g_assert_no_error(error);
	/* The flood: the agent's own hello and report, again and again. */
	g_free(vmem_test_guest_output(
		guest, "virtmem-agent --once --stdout </dev/null > /hold/lines; echo"));

	flood_agent(tb, guest, "report lines", "yes \"$(cat /hold/lines)\"");
	flood_agent(tb, guest, "empty lines", "yes ''");

	g_assert_true(vmem_test_guest_is_running(guest));
	vmem_testbed_free(tb);
	g_assert_true(vmem_testbed_all_processes_gone());
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/vm/agent/flood", test_agent_flood);
	return g_test_run();
}
