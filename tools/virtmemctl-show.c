/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemctl show: a domain's virtio-mem devices and where each stands.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <json-c/json.h>

#include "virtmemctl.h"
#include "virtmemctl-agent-view.h"
#include "virtmemctl-daemon.h"
#include "vmem-error.h"
#include "vmem-job.h"
#include "vmem-json.h"
#include "vmem-resize.h"
#include "vmem-size.h"

/* A guest up for less than this that plugs towards its request is
 * plugging what it lost at (re)boot: every block is unplugged then, and
 * QEMU keeps the requested size. */
#define VMEM_CTL_SHOW_RECENT_BOOT_MS 120000

/* What the guest agent adds to one look at the devices.  The report
 * itself lives only until the main loop runs again: what show prints of it
 * is taken at once. */
typedef struct {
	VmemJobAgentFacts facts;
	gboolean recent_boot;
	json_object *report; /* (nullable): the report, vmem_agent_view_report_to_json() */
	char *summary;	     /* (nullable): the report in one line, for people */
	GError *error;	     /* (nullable): why a running guest's agent gave no report */
	json_object *daemon; /* (nullable): the guest's figures from virtmemd */
} VmemCtlShowAgent;

static void
vmem_ctl_show_agent_clear(VmemCtlShowAgent *agent)
{
	g_clear_pointer(&agent->report, json_object_put);
	g_clear_pointer(&agent->summary, g_free);
	g_clear_error(&agent->error);
	g_clear_pointer(&agent->daemon, json_object_put);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VmemCtlShowAgent, vmem_ctl_show_agent_clear)

/* Where a device stands, from one look: a snapshot of the job. */
static VmemJobState
vmem_ctl_show_device_state(const VmemDevice *dev, VmemRunState run_state,
			   const VmemCtlShowAgent *agent)
{
	VmemJobTuning policy;
	VmemJobFacts facts = {
		.devices = dev,
		.n_devices = 1,
		.run_state = run_state,
		.since_progress_us = 0,
		.since_boot_us = -1,
		.plugged_since_boot = TRUE,
		.rebooted = agent->recent_boot,
		.agent = agent->facts,
	};

	vmem_job_tuning_init(&policy);
	return vmem_job_classify(&facts, &policy);
}

/* How long show waits for the guest agent's report */
#define VMEM_CTL_SHOW_AGENT_TIMEOUT_MS 2500

/* Asks the guest agent, briefly. */
static void
vmem_ctl_show_ask_agent(VmemBackend *backend, const char *domain, VmemCtlShowAgent *ret_agent)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemAgentChannel) channel =
		vmem_ctl_ask_agent(backend, domain, VMEM_CTL_SHOW_AGENT_TIMEOUT_MS, &error);
	const VmemAgentReport *report =
		channel != NULL ? vmem_agent_channel_get_report(channel, NULL) : NULL;

	vmem_resize_agent_facts(report, NULL, &ret_agent->facts);
	ret_agent->recent_boot = report != NULL && report->time_ms < VMEM_CTL_SHOW_RECENT_BOOT_MS;
	if (report != NULL) {
		ret_agent->report = vmem_agent_view_report_to_json(report);
		ret_agent->summary = vmem_agent_view_format_summary(report);
	} else {
		ret_agent->error = g_steal_pointer(&error);
	}
}

/* While virtmemd manages the domain, it holds the agent's channel: the
 * guest's figures come from it. */
static void
vmem_ctl_show_ask_daemon(VmemCtlManaged *managed, VmemCtlShowAgent *ret_agent)
{
	g_autofree char *guest = vmem_ctl_daemon_format_guest(managed->props);
	const char *automation = "";
	const char *job = "";

	vmem_ctl_daemon_guest_facts(managed->props, &ret_agent->facts);
	g_variant_lookup(managed->props, "Automation", "&s", &automation);
	g_variant_lookup(managed->props, "JobState", "&s", &job);
	/* TRANSLATORS: the guest in `virtmemctl show` while virtmemd manages the
	   domain: 1 its figures in one line, 2 who decides (auto, manual, override…),
	   3 where virtmemd's last resize stands; keep virtmemd */
	ret_agent->summary = g_strdup_printf(_("from virtmemd: %1$s; automation %2$s, job %3$s"),
					     guest, automation, job);
	ret_agent->daemon = vmem_ctl_daemon_guest_to_json(managed->props);
	json_object_object_add(ret_agent->daemon, "automation", json_object_new_string(automation));
	json_object_object_add(ret_agent->daemon, "job_state", json_object_new_string(job));
}

static void
vmem_ctl_show_print_json(const char *name, VmemRunState run_state, GPtrArray *devices,
			 const VmemCtlShowAgent *agent)
{
	g_autoptr(json_object) root = json_object_new_object();
	json_object *array = json_object_new_array();

	json_object_object_add(root, "name", json_object_new_string(name));
	json_object_object_add(root, "state",
			       json_object_new_string(vmem_run_state_to_string(run_state)));
	for (guint i = 0; i < devices->len; i++) {
		const VmemDevice *dev = g_ptr_array_index(devices, i);
		json_object *obj = json_object_new_object();

		json_object_object_add(obj, "alias",
				       dev->alias != NULL ? json_object_new_string(dev->alias)
							  : NULL);
		json_object_object_add(obj, "node", json_object_new_int(dev->node));
		json_object_object_add(obj, "block_size", json_object_new_uint64(dev->block_size));
		json_object_object_add(obj, "size", json_object_new_uint64(dev->size));
		json_object_object_add(obj, "requested", json_object_new_uint64(dev->requested));
		json_object_object_add(obj, "plugged", json_object_new_uint64(dev->plugged));
		/* where the figure comes from; the guest's own is in "agent" */
		json_object_object_add(obj, "plugged_source", json_object_new_string("qemu"));
		/* 0 when the VMM does not say: a domain that is not running has
		 * no address yet */
		json_object_object_add(obj, "address",
				       dev->address != 0 ? json_object_new_uint64(dev->address)
							 : NULL);
		json_object_object_add(obj, "job",
				       json_object_new_string(vmem_job_state_to_string(
					       vmem_ctl_show_device_state(dev, run_state, agent))));
		json_object_array_add(array, obj);
	}
	json_object_object_add(root, "devices", array);
	/* Both members are always there: the report, or null and why not. */
	json_object_object_add(root, "agent",
			       agent->report != NULL ? json_object_get(agent->report) : NULL);
	json_object_object_add(root, "agent_error",
			       agent->error != NULL ? json_object_new_string(agent->error->message)
						    : NULL);
	/* the guest's figures from virtmemd while it holds the agent's channel */
	json_object_object_add(root, "virtmemd",
			       agent->daemon != NULL ? json_object_get(agent->daemon) : NULL);
	vmem_ctl_print_json(root);
}

static void
vmem_ctl_show_print_table(const char *name, VmemRunState run_state, GPtrArray *devices,
			  const VmemCtlShowAgent *agent)
{
	const char *headings[] = {
		/* TRANSLATORS: column heading of `virtmemctl show`: the device's alias */
		_("ALIAS"),
		/* TRANSLATORS: column heading of `virtmemctl show`: its NUMA node */
		_("NODE"),
		/* TRANSLATORS: column heading of `virtmemctl show`: its block size */
		_("BLOCK"),
		/* TRANSLATORS: column heading of `virtmemctl show`: its size */
		_("SIZE"),
		/* TRANSLATORS: column heading of `virtmemctl show`: the size asked for */
		_("REQUESTED"),
		/* TRANSLATORS: column heading of `virtmemctl show`: the size plugged,
		   as QEMU tells it (the guest agent's own figures follow the table) */
		_("PLUGGED (QEMU)"),
		/* TRANSLATORS: column heading of `virtmemctl show`: its address */
		_("ADDRESS"),
		/* TRANSLATORS: column heading of `virtmemctl show`: where a resize stands */
		_("JOB"),
	};
	const gboolean right[] = {FALSE, TRUE, TRUE, TRUE, TRUE, TRUE, TRUE, FALSE};
	g_autoptr(VmemCtlTable) table = vmem_ctl_table_new(G_N_ELEMENTS(headings), headings, right);
	g_autofree char *text = NULL;

	/* TRANSLATORS: first line of `virtmemctl show`: 1 the domain's name,
	   2 its state (running, paused, shut off…) */
	g_print(_("Domain %1$s (%2$s)\n"), name, vmem_run_state_to_string(run_state));
	for (guint i = 0; i < devices->len; i++) {
		const VmemDevice *dev = g_ptr_array_index(devices, i);
		g_autofree char *node = g_strdup_printf("%u", dev->node);
		g_autofree char *block = vmem_size_format(dev->block_size);
		g_autofree char *size = vmem_size_format(dev->size);
		g_autofree char *requested = vmem_size_format(dev->requested);
		g_autofree char *plugged = vmem_size_format(dev->plugged);
		/* none before the domain runs */
		g_autofree char *address =
			dev->address != 0
				? g_strdup_printf("0x%" G_GINT64_MODIFIER "x", dev->address)
				: g_strdup("-");
		const char *cells[] = {
			dev->alias ? dev->alias : "-",
			node,
			block,
			size,
			requested,
			plugged,
			address,
			vmem_job_state_to_string(vmem_ctl_show_device_state(dev, run_state, agent)),
		};

		vmem_ctl_table_add_row(table, cells);
	}
	text = vmem_ctl_table_format(table);
	g_print("%s", text);
	if (agent->summary != NULL || agent->error != NULL)
		/* TRANSLATORS: last line of `virtmemctl show`: the guest agent's
		   one-line summary of the guest as the guest sees it, or a sentence on
		   why it gave none */
		g_print(_("Guest agent: %s\n"),
			agent->summary != NULL ? agent->summary : agent->error->message);
}

int
vmem_ctl_show(VmemCtl *ctl, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(VmemBackend) backend = NULL;
	g_autoptr(GPtrArray) devices = NULL;
	g_autoptr(GPtrArray) args = NULL;
	g_autofree char *name = NULL;
	VmemRunState run_state;
	g_auto(VmemCtlShowAgent) agent = {0};
	g_autoptr(VmemCtlManaged) managed = NULL;
	gboolean json = FALSE;
	const GOptionEntry entries[] = {
		/* TRANSLATORS: help of --json */
		{"json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL},
		{NULL},
	};

	context = vmem_ctl_option_context_new(
		"show",
		/* TRANSLATORS: the argument of `virtmemctl show` in its --help */
		_("DOMAIN"),
		/* TRANSLATORS: summary of `virtmemctl show --help`; keep DOMAIN */
		_("Show a domain's virtio-mem devices and their resize state. DOMAIN is the "
		  "domain's name, id or UUID."),
		entries);
	if (!vmem_ctl_parse_options(context, &argc, &argv, &args, &error) || args->len != 1) {
		if (error == NULL)
			g_set_error_literal(&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
					    /* TRANSLATORS: usage error; keep “show” */
					    _("show takes exactly one domain."));
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_FAILURE;
	}
	backend = vmem_ctl_connect(ctl, &error);
	if (backend != NULL)
		name = vmem_ctl_lookup_domain(backend, args->pdata[0], &error);
	if (name == NULL || !vmem_backend_get_devices(backend, name, &devices, &error) ||
	    !vmem_backend_get_run_state(backend, name, &run_state, &error)) {
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_ERROR;
	}
	if (devices->len == 0) {
		g_set_error(&error, VMEM_ERROR, VMEM_ERROR_NOT_FOUND,
			    /* TRANSLATORS: %s is a domain name */
			    _("Domain %s has no virtio-mem device."), name);
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_ERROR;
	}
	if (run_state == VMEM_RUN_STATE_RUNNING)
		managed = vmem_ctl_daemon_manages(ctl, backend, name, NULL);
	if (managed != NULL)
		vmem_ctl_show_ask_daemon(managed, &agent);
	else if (run_state == VMEM_RUN_STATE_RUNNING)
		vmem_ctl_show_ask_agent(backend, name, &agent);
	if (json)
		vmem_ctl_show_print_json(name, run_state, devices, &agent);
	else
		vmem_ctl_show_print_table(name, run_state, devices, &agent);
	return VMEM_CTL_EXIT_OK;
}
