/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The connection of the subcommands that talk to a VMM.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <libvirt/virterror.h>

#include "virtmemctl.h"
#include "vmem-agent-protocol.h"
#include "vmem-backend-libvirt.h"
#include "vmem-domain.h"
#include "vmem-error.h"
#include "vmem-libvirt.h"

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
 * vmem_ctl_lookup_domain:
 * @domain: a domain as the user gave it: with libvirt its name, id or
 *   UUID, like virsh takes it
 *
 * Finds @domain, so that everything after (and what it prints) uses the
 * domain's name, and events, which name the domain, match it.
 *
 * Returns: (transfer full): the domain's name, or %NULL with @error set
 */
char *
vmem_ctl_lookup_domain(VmemBackend *backend, const char *domain, GError **error)
{
	g_autoptr(virDomain) dom = NULL;

	/* the qmp backend has one domain, by its name */
	if (!VMEM_IS_BACKEND_LIBVIRT(backend))
		return g_strdup(domain);
	dom = vmem_backend_libvirt_lookup(backend, domain, error);
	return dom != NULL ? g_strdup(virDomainGetName(dom)) : NULL;
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

/* Whether @domain's definition has the channel of the guest agent: %TRUE
 * when that cannot be told (the qmp backend has no definition to look
 * at). */
static gboolean
vmem_ctl_has_agent_channel(VmemBackend *backend, const char *domain)
{
	g_autoptr(virDomain) dom = NULL;
	g_autoptr(VmemDomainDef) def = NULL;
	g_autoptr(GPtrArray) findings = vmem_findings_new();
	g_autofree char *xml = NULL;

	if (!VMEM_IS_BACKEND_LIBVIRT(backend))
		return TRUE;
	dom = vmem_backend_libvirt_lookup(backend, domain, NULL);
	xml = dom != NULL ? virDomainGetXMLDesc(dom, 0) : NULL;
	if (xml == NULL) {
		virResetLastError();
		return TRUE;
	}
	def = vmem_domain_def_parse(xml, strlen(xml), findings, NULL);
	return def == NULL || def->has_agent_channel;
}

/**
 * vmem_ctl_ask_agent:
 * @timeout_ms: how long to wait for the agent's report
 *
 * Opens @domain's guest agent channel and waits for a fresh report.  When
 * there is none, @error says why in terms a user can act on: the domain
 * is not running, or has no channel for the agent.
 *
 * Returns: (transfer full): the channel, whose latest report is that fresh
 *   one, or %NULL with @error set
 */
VmemAgentChannel *
vmem_ctl_ask_agent(VmemBackend *backend, const char *domain, guint timeout_ms, GError **error)
{
	g_autoptr(VmemAgentChannel) channel = NULL;
	g_autoptr(GAsyncResult) result = NULL;
	g_autoptr(GError) local_error = NULL;
	GAsyncResult *pending = NULL;
	VmemRunState state;

	/* A guest that does not run cannot answer: said at once, not after
	 * the timeout. */
	if (!vmem_backend_get_run_state(backend, domain, &state, error))
		return NULL;
	if (state == VMEM_RUN_STATE_PAUSED) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_NOT_RUNNING,
			    /* TRANSLATORS: %s is a domain name; keep “virsh resume” */
			    _("Domain %1$s is paused, so its guest agent cannot answer. Resume "
			      "it first (virsh resume %1$s)."),
			    domain);
		return NULL;
	}
	if (state == VMEM_RUN_STATE_SHUT_OFF || state == VMEM_RUN_STATE_CRASHED) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_NOT_RUNNING,
			    /* TRANSLATORS: %s is a domain name */
			    _("Domain %s is not running, so there is no guest agent to ask."),
			    domain);
		return NULL;
	}
	channel = vmem_agent_channel_open(backend, domain, &local_error);
	if (channel != NULL && vmem_agent_channel_start(channel, &local_error)) {
		vmem_agent_channel_wait_report_async(channel, timeout_ms, NULL, vmem_ctl_on_done,
						     &pending);
		result = vmem_ctl_run_until_done(&pending);
		if (vmem_agent_channel_wait_report_finish(channel, result, &local_error) != NULL)
			return g_steal_pointer(&channel);
	}
	if (!vmem_ctl_has_agent_channel(backend, domain)) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_NOT_FOUND,
			    /* TRANSLATORS: 1 a domain name, 2 the name of the channel; keep
			       virtmem-agent, “virsh edit” and the XML as they are */
			    _("Domain %1$s has no channel for virtmem-agent, so its guest agent "
			      "cannot be asked. Add <channel type='unix'><target type='virtio' "
			      "name='%2$s'/></channel> to its <devices> with “virsh edit %1$s” "
			      "and restart it (see virtmemctl(1), THE AGENT CHANNEL)."),
			    domain, VMEM_AGENT_PORT_NAME);
		return NULL;
	}
	g_propagate_error(error, g_steal_pointer(&local_error));
	return NULL;
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
