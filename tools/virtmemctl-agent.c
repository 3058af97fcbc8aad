/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemctl agent: what the guest agent says about the guest's memory.
 */
#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>

#include "vmem-error.h"
#include "vmem-json.h"

#include "virtmemctl.h"
#include "virtmemctl-agent-view.h"
#include "virtmemctl-daemon.h"

/* How long a one-shot reader waits for the agent's next report */
#define VMEM_CTL_AGENT_TIMEOUT_MS 10000

typedef struct {
	gboolean json;
	GMainLoop *loop;
	VmemCtlManaged *managed; /* (nullable): the figures come from virtmemd */
	const char *name;
	int status;
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

/* The guest's figures as virtmemd has them: it holds the agent's channel
 * (one reader at a time). */
static void
vmem_ctl_agent_print_daemon(const char *name, GVariant *props, gboolean json)
{
	if (json) {
		g_autoptr(json_object) root = json_object_new_object();

		json_object_object_add(root, "name", json_object_new_string(name));
		json_object_object_add(root, "source", json_object_new_string("virtmemd"));
		json_object_object_add(root, "virtmemd", vmem_ctl_daemon_guest_to_json(props));
		vmem_ctl_print_json(root);
	} else {
		g_autofree char *guest = vmem_ctl_daemon_format_guest(props);

		/* TRANSLATORS: `virtmemctl agent` while virtmemd holds the agent's
		   channel: 1 a domain, 2 the guest's figures in one line; keep virtmemd */
		g_print(_("Guest of %1$s, from virtmemd (it reads the guest agent): %2$s\n"), name,
			guest);
	}
}

static gboolean
vmem_ctl_agent_changed_guest(GVariant *changed)
{
	const char *keys[] = {"GuestTotal", "GuestAvailable", "GuestPsi", "GuestSource"};

	for (guint i = 0; i < G_N_ELEMENTS(keys); i++) {
		g_autoptr(GVariant) v = g_variant_lookup_value(changed, keys[i], NULL);

		if (v != NULL)
			return TRUE;
	}
	return FALSE;
}

/* PropertiesChanged of the domain's object: prints when the guest's
 * figures changed. */
static void
vmem_ctl_agent_on_properties(GDBusConnection *bus, const char *sender, const char *path,
			     const char *iface, const char *signal, GVariant *parameters,
			     gpointer user_data)
{
	VmemCtlAgentWatch *watch = user_data;
	g_autoptr(GVariant) changed = NULL;
	g_autoptr(GError) error = NULL;

	g_variant_get(parameters, "(&s@a{sv}@as)", NULL, &changed, NULL);
	if (!vmem_ctl_agent_changed_guest(changed))
		return;
	if (!vmem_ctl_managed_refresh(watch->managed, &error)) {
		g_printerr("virtmemctl: %s\n", error->message);
		watch->status = VMEM_CTL_EXIT_ERROR;
		g_main_loop_quit(watch->loop);
		return;
	}
	vmem_ctl_agent_print_daemon(watch->name, watch->managed->props, watch->json);
}

static void
vmem_ctl_agent_on_daemon_vanished(GDBusConnection *bus, const char *name, gpointer user_data)
{
	VmemCtlAgentWatch *watch = user_data;

	/* TRANSLATORS: --watch lost virtmemd; keep virtmemd */
	g_printerr(_("virtmemd went away; run virtmemctl agent again.\n"));
	watch->status = VMEM_CTL_EXIT_ERROR;
	g_main_loop_quit(watch->loop);
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
	g_autoptr(VmemCtlManaged) managed = NULL;
	VmemCtlAgentWatch watch = {FALSE, NULL, NULL, NULL, VMEM_CTL_EXIT_OK};
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
		managed = vmem_ctl_daemon_manages(ctl, backend, name, NULL);
	if (managed != NULL) {
		guint subscription, watcher;

		g_autoptr(GVariant) total =
			g_variant_lookup_value(managed->props, "GuestTotal", G_VARIANT_TYPE_UINT64);

		vmem_ctl_agent_print_daemon(name, managed->props, watch.json);
		/* no figures yet: as when the agent does not answer */
		if (!follow && (total == NULL || g_variant_get_uint64(total) == 0)) {
			g_set_error(&error, VMEM_ERROR, VMEM_ERROR_TIMED_OUT,
				    /* TRANSLATORS: %s is a domain; keep virtmemd */
				    _("virtmemd has no figures of the guest of %s yet: its agent "
				      "has not reported."),
				    name);
			vmem_ctl_print_error(ctl, error);
			return VMEM_CTL_EXIT_ERROR;
		}
		if (!follow)
			return VMEM_CTL_EXIT_OK;
		watch.loop = g_main_loop_new(NULL, FALSE);
		watch.managed = managed;
		watch.name = name;
		subscription = g_dbus_connection_signal_subscribe(
			managed->bus, "org.virtmem.Manager1", "org.freedesktop.DBus.Properties",
			"PropertiesChanged", managed->path, "org.virtmem.Domain1",
			G_DBUS_SIGNAL_FLAGS_NONE, vmem_ctl_agent_on_properties, &watch, NULL);
		watcher = g_bus_watch_name_on_connection(
			managed->bus, "org.virtmem.Manager1", G_BUS_NAME_WATCHER_FLAGS_NONE, NULL,
			vmem_ctl_agent_on_daemon_vanished, &watch, NULL);
		g_unix_signal_add(SIGINT, vmem_ctl_agent_on_signal, watch.loop);
		g_unix_signal_add(SIGTERM, vmem_ctl_agent_on_signal, watch.loop);
		g_main_loop_run(watch.loop);
		g_bus_unwatch_name(watcher);
		g_dbus_connection_signal_unsubscribe(managed->bus, subscription);
		g_main_loop_unref(watch.loop);
		return watch.status;
	}
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
