/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The connection of the subcommands that talk to a VMM.
 */
#include "config.h"

#include "virtmemctl.h"

/**
 * vmem_ctl_get_uri:
 *
 * The URI to connect to, like virsh: `-c URI`, else `VIRTMEM_DEFAULT_URI`,
 * else `LIBVIRT_DEFAULT_URI`, else `qemu:///system`.
 */
static const char *
vmem_ctl_get_uri(VmemCtl *ctl)
{
	const char *env;

	if (ctl->uri != NULL)
		return ctl->uri;
	env = g_getenv("VIRTMEM_DEFAULT_URI");
	if (env != NULL && *env != '\0')
		return env;
	env = g_getenv("LIBVIRT_DEFAULT_URI");
	if (env != NULL && *env != '\0')
		return env;
	return "qemu:///system";
}

/**
 * vmem_ctl_connect:
 *
 * Opens the backend that serves vmem_ctl_get_uri() (libvirt, or QMP for
 * `qmp+unix://` URIs).
 */
VmemBackend *
vmem_ctl_connect(VmemCtl *ctl, GError **error)
{
	return vmem_backend_open(vmem_ctl_get_uri(ctl), error);
}

/**
 * vmem_ctl_on_done:
 * @user_data: a `GAsyncResult *` to store the result in
 *
 * The callback of every asynchronous operation the CLI runs: keeps the
 * result for vmem_ctl_run_until_done().
 */
void
vmem_ctl_on_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	*(GAsyncResult **)user_data = g_object_ref(result);
}

/**
 * vmem_ctl_run_until_done:
 * @result: where vmem_ctl_on_done() stores the result
 *
 * The CLI's one synchronous wrapper around the library's asynchronous
 * operations: runs the default main context (where libvirt's events are
 * dispatched) until the operation finished.  Library code never does this.
 *
 * Returns: (transfer full): the result
 */
GAsyncResult *
vmem_ctl_run_until_done(GAsyncResult **result)
{
	while (*result == NULL)
		g_main_context_iteration(NULL, TRUE);
	return g_steal_pointer(result);
}

/**
 * vmem_ctl_ask_agent:
 * @timeout_ms: how long to wait for the agent's report
 *
 * Opens @domain's guest agent channel and waits for a fresh report.
 *
 * Returns: (transfer full): the channel, whose latest report is that fresh
 *   one, or %NULL with @error set
 */
VmemAgentChannel *
vmem_ctl_ask_agent(VmemBackend *backend, const char *domain, guint timeout_ms, GError **error)
{
	g_autoptr(VmemAgentChannel) channel = vmem_agent_channel_open(backend, domain, error);
	g_autoptr(GAsyncResult) result = NULL;
	GAsyncResult *pending = NULL;

	if (channel == NULL || !vmem_agent_channel_start(channel, error))
		return NULL;
	vmem_agent_channel_wait_report_async(channel, timeout_ms, NULL, vmem_ctl_on_done, &pending);
	result = vmem_ctl_run_until_done(&pending);
	if (vmem_agent_channel_wait_report_finish(channel, result, error) == NULL)
		return NULL;
	return g_steal_pointer(&channel);
}

/**
 * vmem_ctl_print_error:
 *
 * The one way subcommands report a failure: one line on stderr.
 */
void
vmem_ctl_print_error(VmemCtl *ctl, const GError *error)
{
	g_printerr("%s: %s\n", ctl->prgname, error->message);
}
