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
	/* The JSON ends without a newline, the text with one. */
	g_print("%s", text);
	if (!g_str_has_suffix(text, "\n"))
		g_print("\n");
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
	/* TRANSLATORS: the argument of `virtmemctl agent` in its --help */
	g_autoptr(GOptionContext) context = g_option_context_new(_("DOMAIN"));
	g_autoptr(VmemBackend) backend = NULL;
	g_autoptr(VmemAgentChannel) channel = NULL;
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

	g_option_context_set_summary(context,
				     /* TRANSLATORS: summary of `virtmemctl agent --help` */
				     _("Show the guest's own view of its memory, as virtmem-agent "
				       "reports it: virtio-mem blocks by zone, available memory, "
				       "pressure."));
	g_option_context_add_main_entries(context, entries, GETTEXT_PACKAGE);
	if (!g_option_context_parse(context, &argc, &argv, &error) || argc != 2) {
		if (error == NULL)
			g_set_error_literal(&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
					    /* TRANSLATORS: usage error; keep “agent” */
					    _("agent takes exactly one domain name."));
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_FAILURE;
	}
	backend = vmem_ctl_connect(ctl, &error);
	if (backend != NULL)
		channel = vmem_ctl_ask_agent(backend, argv[1], VMEM_CTL_AGENT_TIMEOUT_MS, &error);
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
