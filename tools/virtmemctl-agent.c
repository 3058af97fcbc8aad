/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemctl agent: what the guest agent says about the guest's memory.
 */
#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>

#include "virtmemctl.h"
#include "virtmemctl-agent-view.h"

/* How long a one-shot reader waits for the agent's next report */
#define VMEM_CTL_AGENT_TIMEOUT_MS 10000

typedef struct {
	gboolean json;
	GMainLoop *loop;
} VmemCtlAgentWatch;

static void
vmem_ctl_agent_print(VmemAgentChannel *channel, gboolean json)
{
	const VmemAgentReport *report = vmem_agent_channel_get_report(channel, NULL);
	g_autofree char *text = NULL;

	if (json) {
		VmemAgentChannelStats stats;

		vmem_agent_channel_get_stats(channel, &stats);
		text = vmem_agent_view_format_json(vmem_agent_channel_get_hello(channel), report,
						   &stats);
	} else {
		text = vmem_agent_view_format_text(vmem_agent_channel_get_hello(channel), report);
	}
	if (json) {
		vmem_ctl_print_json_text(text);
	} else {
		/* the text ends with a newline */
		g_print("%s", text);
	}
}

static void
vmem_ctl_agent_on_event(VmemAgentChannel *channel, VmemAgentChannelEvent event, gpointer user_data)
{
	VmemCtlAgentWatch *watch = user_data;

	if (event == VMEM_AGENT_CHANNEL_REPORT)
		vmem_ctl_agent_print(channel, watch->json);
	else if (event == VMEM_AGENT_CHANNEL_DISCONNECTED)
		/* TRANSLATORS: --watch lost the agent; it reconnects by itself */
		g_printerr(_("The guest agent went away; waiting for it to come back.\n"));
}

static gboolean
vmem_ctl_agent_on_signal(gpointer user_data)
{
	g_main_loop_quit(user_data);
	return G_SOURCE_REMOVE;
}

int
vmem_ctl_agent(VmemCtl *ctl, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(VmemBackend) backend = NULL;
	g_autoptr(VmemAgentChannel) channel = NULL;
	g_autoptr(GPtrArray) args = NULL;
	g_autofree char *name = NULL;
	VmemCtlAgentWatch watch = {FALSE, NULL};
	gboolean follow = FALSE;
	const GOptionEntry entries[] = {
		/* TRANSLATORS: help of --json */
		{"json", 0, 0, G_OPTION_ARG_NONE, &watch.json, N_("Print JSON"), NULL},
		{"watch", 0, 0, G_OPTION_ARG_NONE, &follow,
		 /* TRANSLATORS: help of --watch */
		 N_("Print every new report until interrupted"), NULL},
		{NULL},
	};

	context = vmem_ctl_option_context_new(
		"agent",
		/* TRANSLATORS: the argument of `virtmemctl agent` in its --help */
		_("DOMAIN"),
		/* TRANSLATORS: summary of `virtmemctl agent --help`; keep DOMAIN and the
		   channel's name */
		_("Show the guest's own view of its memory, as virtmem-agent reports it: "
		  "virtio-mem blocks by zone, available memory, pressure. DOMAIN is the "
		  "domain's name, id or UUID; it needs a virtio channel named "
		  "org.virtmem.agent.0 (see virtmemctl(1))."),
		entries);
	if (!vmem_ctl_parse_options(context, &argc, &argv, &args, &error) || args->len != 1) {
		if (error == NULL)
			g_set_error_literal(&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
					    /* TRANSLATORS: usage error; keep “agent” */
					    _("agent takes exactly one domain."));
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_FAILURE;
	}
	backend = vmem_ctl_connect(ctl, &error);
	if (backend != NULL)
		name = vmem_ctl_lookup_domain(backend, args->pdata[0], &error);
	if (name != NULL)
		channel = vmem_ctl_ask_agent(backend, name, VMEM_CTL_AGENT_TIMEOUT_MS, &error);
	if (channel == NULL) {
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_ERROR;
	}
	vmem_ctl_agent_print(channel, watch.json);
	if (!follow)
		return VMEM_CTL_EXIT_OK;

	watch.loop = g_main_loop_new(NULL, FALSE);
	g_signal_connect(channel, "event", G_CALLBACK(vmem_ctl_agent_on_event), &watch);
	g_unix_signal_add(SIGINT, vmem_ctl_agent_on_signal, watch.loop);
	g_unix_signal_add(SIGTERM, vmem_ctl_agent_on_signal, watch.loop);
	g_main_loop_run(watch.loop);
	g_main_loop_unref(watch.loop);
	return VMEM_CTL_EXIT_OK;
}
