/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemctl resize: set how much virtio-mem memory a domain has plugged,
 * and with --wait follow the guest until it has, or say why not.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <unistd.h>

#include "virtmemctl.h"
#include "vmem-error.h"
#include "vmem-resize.h"
#include "vmem-size.h"

typedef struct {
	gboolean tty;
	gboolean printed;
	VmemResizeProgress last; /* what was printed last */
} VmemCtlResizeOutput;

static void
vmem_ctl_resize_on_progress(VmemResize *resize, const VmemResizeProgress *p, gpointer user_data)
{
	VmemCtlResizeOutput *out = user_data;
	g_autofree char *requested = vmem_size_format(p->requested);
	g_autofree char *plugged = vmem_size_format(p->plugged);
	guint64 distance_start = p->start_plugged > p->requested ? p->start_plugged - p->requested
								 : p->requested - p->start_plugged;
	guint64 distance_now =
		p->plugged > p->requested ? p->plugged - p->requested : p->requested - p->plugged;
	guint percent =
		distance_start == 0
			? 100
			: (guint)(100 - MIN(distance_now, distance_start) * 100 / distance_start);

	/* A log gets a line per change, not per look. */
	if (!out->tty && out->printed && p->state == out->last.state &&
	    p->plugged == out->last.plugged && p->requested == out->last.requested)
		return;
	out->last = *p;
	if (out->tty) {
		char bar[21];
		guint filled = percent / 5;

		memset(bar, '#', filled);
		memset(bar + filled, '.', 20 - filled);
		bar[20] = '\0';
		/* TRANSLATORS: progress line: bar, percent, plugged, requested, job state */
		g_print(_("\r[%s] %3u%%  plugged %s of %s  (%s)\033[K"), bar, percent, plugged,
			requested, vmem_job_state_to_string(p->state));
	} else {
		/* TRANSLATORS: progress line: seconds, plugged, requested, percent, job state */
		g_print(_("%.1f s: plugged %s of %s requested (%u%%, %s)\n"),
			p->elapsed_us / (double)G_USEC_PER_SEC, plugged, requested, percent,
			vmem_job_state_to_string(p->state));
	}
	out->printed = TRUE;
}

/* The outcome of a --wait, in one sentence and an exit status. */
static int
vmem_ctl_resize_report(VmemCtl *ctl, const char *domain, VmemJobState state,
		       const VmemResizeProgress *p)
{
	g_autofree char *requested = vmem_size_format(p->requested);
	g_autofree char *plugged = vmem_size_format(p->plugged);
	g_autofree char *start = vmem_size_format(p->start_plugged);

	switch (state) {
	case VMEM_JOB_CONVERGED:
		/* TRANSLATORS: success of resize --wait: domain, size, seconds */
		g_print(_("%s: %s plugged in %.1f s\n"), domain, plugged,
			p->elapsed_us / (double)G_USEC_PER_SEC);
		return VMEM_CTL_EXIT_OK;
	case VMEM_JOB_STUCK_UNPLUG:
		g_printerr(_("%s: Unplug of %s is stuck: the guest went from %s to %s of the %s "
			     "requested and makes no progress although it was told again %u times. "
			     "It cannot offline that memory: typically it is not in ZONE_MOVABLE "
			     "(boot the guest with memhp_default_state=online_movable) or pages "
			     "in it are in use or pinned.\n"),
			   ctl->prgname, domain, start, plugged, requested, p->n_kicks);
		return VMEM_CTL_EXIT_STUCK;
	case VMEM_JOB_NO_DRIVER:
		g_printerr(
			_("%s: The guest of %s plugs nothing: it has no virtio_mem driver loaded "
			  "(or a kernel too old for virtio-mem). %s of %s requested is plugged.\n"),
			ctl->prgname, domain, plugged, requested);
		return VMEM_CTL_EXIT_NO_DRIVER;
	case VMEM_JOB_BUSY:
		g_printerr(
			_("%s: %s is migrating or being saved, and QEMU refuses to plug or unplug "
			  "until that ends; %s of %s requested is plugged. Resize again "
			  "afterwards.\n"),
			ctl->prgname, domain, plugged, requested);
		return VMEM_CTL_EXIT_BUSY;
	case VMEM_JOB_NOT_RUNNING:
		g_printerr(_("%s: %s is not running (paused, shut off or crashed), so its guest "
			     "cannot plug or unplug: %s of %s requested is plugged.\n"),
			   ctl->prgname, domain, plugged, requested);
		return VMEM_CTL_EXIT_NOT_RUNNING;
	case VMEM_JOB_PLUGGING:
	case VMEM_JOB_UNPLUGGING:
	case VMEM_JOB_REPLUGGING:
		g_printerr(
			_("%s: Timed out while %s was still %s: %s of %s requested is plugged.\n"),
			ctl->prgname, domain, vmem_job_state_to_string(state), plugged, requested);
		return VMEM_CTL_EXIT_TIMEOUT;
	}
	return VMEM_CTL_EXIT_ERROR;
}

/* How long a shrink waits for the guest agent's report on what the guest
 * uses; without one, the shrink goes ahead unchecked. */
#define VMEM_CTL_RESIZE_AGENT_TIMEOUT_MS 3000

static void
vmem_ctl_resize_agent_facts(VmemBackend *backend, const char *domain, VmemJobAgentFacts *ret_facts)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemAgentChannel) channel =
		vmem_ctl_ask_agent(backend, domain, VMEM_CTL_RESIZE_AGENT_TIMEOUT_MS, &error);

	if (channel == NULL)
		g_debug("no guest agent report, the shrink is not checked: %s", error->message);
	vmem_resize_agent_facts(channel ? vmem_agent_channel_get_report(channel, NULL) : NULL,
				ret_facts);
}

static int
vmem_ctl_resize_usage(VmemCtl *ctl, GError *error)
{
	vmem_ctl_print_error(ctl, error);
	return VMEM_CTL_EXIT_FAILURE;
}

int
vmem_ctl_resize(VmemCtl *ctl, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) context = g_option_context_new(_("DOMAIN SIZE"));
	g_autoptr(VmemBackend) backend = NULL;
	g_autoptr(VmemResize) resize = NULL;
	g_autoptr(GAsyncResult) result = NULL;
	GAsyncResult *pending = NULL;
	g_autofree char *alias = NULL;
	gint node = -1;
	gboolean live = FALSE, config = FALSE, wait = FALSE, force = FALSE;
	gint timeout = 0;
	guint64 size = 0;
	VmemResizeAffect affect = 0;
	VmemResizeProgress progress;
	VmemJobAgentFacts agent = {0};
	VmemCtlResizeOutput out = {.tty = isatty(STDOUT_FILENO)};
	VmemJobState state;
	VmemRunState run_state;
	const GOptionEntry entries[] = {
		{"alias", 0, 0, G_OPTION_ARG_STRING, &alias,
		 N_("Resize only the device with this alias"), N_("ALIAS")},
		{"node", 0, 0, G_OPTION_ARG_INT, &node,
		 N_("Resize only the device on this NUMA node"), N_("NODE")},
		{"live", 0, 0, G_OPTION_ARG_NONE, &live, N_("Change the running domain"), NULL},
		{"config", 0, 0, G_OPTION_ARG_NONE, &config,
		 N_("Change the persistent configuration"), NULL},
		{"wait", 0, 0, G_OPTION_ARG_NONE, &wait,
		 N_("Follow the guest until it has plugged the new size"), NULL},
		{"timeout", 0, 0, G_OPTION_ARG_INT, &timeout,
		 N_("With --wait, give up after this many seconds"), N_("SECONDS")},
		{"force", 0, 0, G_OPTION_ARG_NONE, &force,
		 N_("Shrink even below what the guest reports it uses"), NULL},
		{NULL},
	};

	g_option_context_set_summary(
		context, _("Set the total virtio-mem memory DOMAIN should have plugged (or one "
			   "device's, with --alias or --node). SIZE takes units like virsh "
			   "(512M, 2GiB); a bare number is MiB."));
	g_option_context_add_main_entries(context, entries, GETTEXT_PACKAGE);
	if (!g_option_context_parse(context, &argc, &argv, &error))
		return vmem_ctl_resize_usage(ctl, error);
	if (argc != 3) {
		g_set_error_literal(&error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
				    _("resize takes a domain and a size."));
		return vmem_ctl_resize_usage(ctl, error);
	}
	if (alias != NULL && node >= 0) {
		g_set_error_literal(
			&error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			_("--alias and --node both select a device: give one of them."));
		return vmem_ctl_resize_usage(ctl, error);
	}
	if (timeout < 0 || (timeout > 0 && !wait)) {
		g_set_error_literal(
			&error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			_("--timeout takes a positive number of seconds and needs --wait."));
		return vmem_ctl_resize_usage(ctl, error);
	}
	if (!vmem_size_parse_arg(argv[2], &size, &error))
		return vmem_ctl_resize_usage(ctl, error);

	backend = vmem_ctl_connect(ctl, &error);
	if (backend != NULL)
		resize = vmem_resize_new(backend, argv[1], &error);
	if (resize == NULL) {
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_ERROR;
	}
	run_state = vmem_resize_get_run_state(resize);
	if (live)
		affect |= VMEM_RESIZE_LIVE;
	if (config)
		affect |= VMEM_RESIZE_CONFIG;
	/* Like virsh: the running domain and, where the VMM keeps one, its
	 * configuration, so that a restart keeps the size. */
	if (affect == 0 && run_state == VMEM_RUN_STATE_SHUT_OFF)
		affect = VMEM_RESIZE_CONFIG;
	else if (affect == 0)
		affect = VMEM_RESIZE_LIVE |
			 (vmem_backend_has_config(backend) ? VMEM_RESIZE_CONFIG : 0);
	if (wait && !(affect & VMEM_RESIZE_LIVE)) {
		g_set_error_literal(&error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
				    _("--wait follows the running guest and needs --live."));
		return vmem_ctl_resize_usage(ctl, error);
	}

	if ((alias != NULL || node >= 0)
		    ? !vmem_resize_plan_device(resize, alias, node, size, &error)
		    : !vmem_resize_plan_total(resize, size, &error)) {
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_ERROR;
	}
	vmem_resize_get_progress(resize, &progress);
	/* QEMU refuses while migrating or saving: say so, do not retry. */
	if (run_state == VMEM_RUN_STATE_MIGRATING || run_state == VMEM_RUN_STATE_SAVING)
		return vmem_ctl_resize_report(ctl, argv[1], VMEM_JOB_BUSY, &progress);
	if (!force && progress.requested < progress.plugged && run_state == VMEM_RUN_STATE_RUNNING)
		vmem_ctl_resize_agent_facts(backend, argv[1], &agent);
	if (!vmem_resize_check_shrink(resize, &agent, force, &error)) {
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_UNSAFE;
	}
	if (!vmem_resize_apply(resize, affect, &error)) {
		vmem_ctl_print_error(ctl, error);
		return g_error_matches(error, VMEM_ERROR, VMEM_ERROR_BUSY) ? VMEM_CTL_EXIT_BUSY
									   : VMEM_CTL_EXIT_ERROR;
	}
	if (!wait)
		return VMEM_CTL_EXIT_OK;

	g_signal_connect(resize, "progress", G_CALLBACK(vmem_ctl_resize_on_progress), &out);
	vmem_resize_wait_async(resize, (guint)timeout, NULL, vmem_ctl_on_done, &pending);
	result = vmem_ctl_run_until_done(&pending);
	if (!vmem_resize_wait_finish(resize, result, &state, &error)) {
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_ERROR;
	}
	if (out.tty && out.printed)
		g_print("\n");
	vmem_resize_get_progress(resize, &progress);
	return vmem_ctl_resize_report(ctl, argv[1], state, &progress);
}
