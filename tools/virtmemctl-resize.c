/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemctl resize: set how much virtio-mem memory a domain has plugged,
 * and with --wait follow the guest until it has, or say why not.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <unistd.h>

#include "virtmemctl.h"
#include "virtmemctl-daemon.h"
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
		/* The line is redrawn in place: back to its start, and the rest of
		 * the old line cleared after it. */
		g_print("\r[%s] %3u%%  ", bar, percent);
		/* TRANSLATORS: progress on a terminal, after a bar and a percentage:
		   1 the size plugged, 2 the size requested, 3 the job's state */
		g_print(_("plugged %1$s of %2$s (%3$s)"), plugged, requested,
			vmem_job_state_to_string(p->state));
		g_print("\033[K");
	} else {
		/* TRANSLATORS: progress line: 1 seconds, 2 plugged, 3 requested, 4 percent,
		   5 the job's state */
		g_print(_("%1$.1f s: plugged %2$s of %3$s requested (%4$u%%, %5$s)\n"),
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
		/* TRANSLATORS: success of resize --wait: 1 domain, 2 size, 3 seconds */
		g_print(_("%1$s: %2$s plugged in %3$.1f s\n"), domain, plugged,
			p->elapsed_us / (double)G_USEC_PER_SEC);
		return VMEM_CTL_EXIT_OK;
	case VMEM_JOB_STUCK_UNPLUG:
		switch (p->stuck_reason) {
		case VMEM_JOB_STUCK_UNKNOWN:
			g_printerr(
				/* TRANSLATORS: 1 the program, 2 a domain, 3 and 4 sizes */
				_("%1$s: Unplug of %2$s is stuck at %3$s of the %4$s requested, "
				  "and what the guest uses is unknown (no virtmem agent answered), "
				  "so it was not told again: that could make it run out of memory. "
				  "Free memory in the guest and resize again, or install "
				  "virtmem-agent in the guest.\n"),
				ctl->prgname, domain, plugged, requested);
			break;
		case VMEM_JOB_STUCK_IN_USE:
			g_printerr(
				/* TRANSLATORS: 1 the program, 2 a domain, 3 and 4 sizes */
				_("%1$s: Unplug of %2$s is stuck at %3$s of the %4$s requested: "
				  "the guest agent says the guest uses that memory, so it was not "
				  "told again. Free memory in the guest and resize again.\n"),
				ctl->prgname, domain, plugged, requested);
			break;
		case VMEM_JOB_STUCK_NOT_MOVABLE:
			g_printerr(
				/* TRANSLATORS: 1 the program, 2 a domain, 3 and 4 sizes */
				_("%1$s: Unplug of %2$s is stuck at %3$s of the %4$s requested: "
				  "the guest agent says that memory is not in ZONE_MOVABLE, so the "
				  "guest cannot reliably give it back (online new memory as "
				  "online_movable in the guest).\n"),
				ctl->prgname, domain, plugged, requested);
			break;
		case VMEM_JOB_STUCK_KICKED:
			g_printerr(
				/* TRANSLATORS: 1 the program, 2 a domain, 3, 4 and 5 sizes,
				 * 6 how often the guest was told again */
				g_dngettext(
					GETTEXT_PACKAGE,
					"%1$s: Unplug of %2$s is stuck: the guest went from %3$s to "
					"%4$s of the %5$s requested and makes no progress although "
					"its agent says the memory is free and movable and it was "
					"told again %6$u time. Pages in it may be pinned.\n",
					"%1$s: Unplug of %2$s is stuck: the guest went from %3$s to "
					"%4$s of the %5$s requested and makes no progress although "
					"its agent says the memory is free and movable and it was "
					"told again %6$u times. Pages in it may be pinned.\n",
					p->n_kicks),
				ctl->prgname, domain, start, plugged, requested, p->n_kicks);
			break;
		}
		return VMEM_CTL_EXIT_STUCK;
	case VMEM_JOB_NOT_ONLINE:
		/* TRANSLATORS: 1 the program, 2 a domain, 3 a size */
		g_printerr(
			_("%1$s: %2$s plugged %3$s, but the guest left some of it offline and "
			  "cannot use it: its kernel does not online new memory by itself. "
			  "Install virtmem-agent's 40-virtmem-memory.rules in the guest, or boot it with "
			  "memhp_default_state=online_movable.\n"),
			ctl->prgname, domain, plugged);
		return VMEM_CTL_EXIT_NOT_ONLINE;
	case VMEM_JOB_PLUG_STALLED:
		/* TRANSLATORS: 1 the program, 2 a domain, 3 and 4 sizes */
		g_printerr(_("%1$s: The guest of %2$s stopped plugging at %3$s of the %4$s "
			     "requested. It may lack memory for the new blocks' metadata, or "
			     "refuse them; see its kernel log.\n"),
			   ctl->prgname, domain, plugged, requested);
		return VMEM_CTL_EXIT_PLUG_STALLED;
	case VMEM_JOB_NO_DRIVER:
		g_printerr(
			/* TRANSLATORS: 1 the program, 2 a domain, 3 and 4 sizes */
			_("%1$s: The guest of %2$s plugs nothing: it has no virtio_mem driver "
			  "loaded (or a kernel too old for virtio-mem). %3$s of %4$s requested is "
			  "plugged.\n"),
			ctl->prgname, domain, plugged, requested);
		return VMEM_CTL_EXIT_NO_DRIVER;
	case VMEM_JOB_BUSY:
		g_printerr(
			/* TRANSLATORS: 1 the program, 2 a domain, 3 and 4 sizes */
			_("%1$s: %2$s is migrating or being saved, and QEMU refuses to plug or "
			  "unplug until that ends; %3$s of %4$s requested is plugged. Resize again "
			  "afterwards.\n"),
			ctl->prgname, domain, plugged, requested);
		return VMEM_CTL_EXIT_BUSY;
	case VMEM_JOB_NOT_RUNNING:
		/* TRANSLATORS: 1 the program, 2 a domain, 3 and 4 sizes */
		g_printerr(_("%1$s: %2$s is not running (paused, shut off or crashed), so its "
			     "guest cannot plug or unplug: %3$s of %4$s requested is plugged.\n"),
			   ctl->prgname, domain, plugged, requested);
		return VMEM_CTL_EXIT_NOT_RUNNING;
	case VMEM_JOB_PLUGGING:
	case VMEM_JOB_UNPLUGGING:
	case VMEM_JOB_REPLUGGING:
		g_printerr(
			/* TRANSLATORS: 1 the program, 2 a domain, 3 the job's state
			   (plugging, unplugging…), 4 and 5 sizes */
			_("%1$s: Timed out while %2$s was still %3$s: %4$s of %5$s requested is "
			  "plugged.\n"),
			ctl->prgname, domain, vmem_job_state_to_string(state), plugged, requested);
		return VMEM_CTL_EXIT_TIMEOUT;
	}
	return VMEM_CTL_EXIT_ERROR;
}

/* How long a shrink waits for the guest agent's report on what the guest
 * uses; without one, the shrink goes ahead unchecked. */
#define VMEM_CTL_RESIZE_AGENT_TIMEOUT_MS 3000

/* The guest's agent, to check a shrink and to follow the job by the
 * guest's own reports; %NULL without one.  With @wait_report, only once it
 * sent a fresh report. */
static VmemAgentChannel *
vmem_ctl_resize_open_agent(VmemBackend *backend, const char *domain, gboolean wait_report)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemAgentChannel) channel = NULL;

	if (wait_report)
		channel = vmem_ctl_ask_agent(backend, domain, VMEM_CTL_RESIZE_AGENT_TIMEOUT_MS,
					     &error);
	else if ((channel = vmem_agent_channel_open(backend, domain, &error)) != NULL &&
		 !vmem_agent_channel_start(channel, &error))
		g_clear_object(&channel);
	if (channel == NULL)
		g_debug("no guest agent: %s", error->message);
	return g_steal_pointer(&channel);
}

/* A shrink without the guest's figures: said, and done anyway. */
static void
vmem_ctl_resize_warn_unknown_use(VmemCtl *ctl, const char *domain)
{
	g_printerr(
		/* TRANSLATORS: 1 the program, 2 a domain */
		_("%1$s: What the guest of %2$s uses is unknown (no virtmem agent "
		  "answered): the shrink may stall or hurt the guest. Free memory in "
		  "the guest first; --force shrinks without this warning.\n"),
		ctl->prgname, domain);
}

/* With --wait and no --timeout through virtmemd: give up when the guest
 * plugs or unplugs nothing for this long (virtmemd's job judges stalls
 * itself, long before). */
#define VMEM_CTL_RESIZE_DAEMON_NO_PROGRESS_US (300 * G_USEC_PER_SEC)
/* How often --wait reads virtmemd's figures */
#define VMEM_CTL_RESIZE_DAEMON_POLL_US (250 * 1000)

/* `resize DOMAIN --resume`: virtmemd's policy decides again. */
static int
vmem_ctl_resize_resume(VmemCtl *ctl, const char *domain)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemBackend) backend = vmem_ctl_connect(ctl, &error);
	g_autoptr(VmemCtlManaged) managed = NULL;
	g_autofree char *name = NULL;
	const char *automation = "";

	if (backend != NULL)
		name = vmem_ctl_lookup_domain(backend, domain, &error);
	if (name != NULL)
		managed = vmem_ctl_daemon_manages(ctl, backend, name, &error);
	if (managed == NULL || !vmem_ctl_managed_call(managed, "Resume", NULL, &error)) {
		vmem_ctl_print_error(ctl, error);
		return g_error_matches(error, VMEM_ERROR, VMEM_ERROR_NOT_RUNNING)
			       ? VMEM_CTL_EXIT_NO_DAEMON
			       : VMEM_CTL_EXIT_ERROR;
	}
	g_variant_lookup(managed->props, "Automation", "&s", &automation);
	/* TRANSLATORS: 1 a domain, 2 who decides now: auto or manual; keep virtmemd */
	g_print(_("virtmemd decides for %1$s again (automation: %2$s).\n"), name, automation);
	return VMEM_CTL_EXIT_OK;
}

/* --wait through virtmemd: follows the domain's object (Devices, JobState)
 * until the devices have plugged @total, or virtmemd's job ends otherwise. */
static int
vmem_ctl_resize_wait_daemon(VmemCtl *ctl, const char *domain, VmemCtlManaged *managed,
			    guint64 total, guint timeout_s, VmemCtlResizeOutput *out)
{
	gint64 start = g_get_monotonic_time();
	gint64 last_move = start;
	VmemResizeProgress p = {0};
	guint64 requested, plugged;

	vmem_ctl_daemon_get_sizes(managed->props, &requested, &plugged);
	p.start_plugged = plugged;
	p.plugged = plugged;
	for (;;) {
		g_autoptr(GError) error = NULL;
		const char *job = "";
		gint64 now;
		VmemJobState state;
		gboolean known;

		if (!vmem_ctl_managed_refresh(managed, &error)) {
			if (out->tty && out->printed)
				g_print("\n");
			vmem_ctl_print_error(ctl, error);
			return VMEM_CTL_EXIT_ERROR;
		}
		now = g_get_monotonic_time();
		vmem_ctl_daemon_get_sizes(managed->props, &requested, &plugged);
		g_variant_lookup(managed->props, "JobState", "&s", &job);
		if (plugged != p.plugged)
			last_move = now;
		p.requested = requested;
		p.plugged = plugged;
		p.elapsed_us = now - start;
		known = vmem_ctl_daemon_job_state_from_string(job, &state);
		if (!known || state == VMEM_JOB_PLUGGING || state == VMEM_JOB_UNPLUGGING ||
		    state == VMEM_JOB_CONVERGED)
			p.state = plugged == requested	? VMEM_JOB_CONVERGED
				  : plugged < requested ? VMEM_JOB_PLUGGING
							: VMEM_JOB_UNPLUGGING;
		else
			p.state = state;
		if (requested != total) {
			g_autofree char *requested_s = vmem_size_format(requested);

			if (out->tty && out->printed)
				g_print("\n");
			g_printerr(
				/* TRANSLATORS: 1 the program, 2 a domain, 3 a size; keep virtmemd
				 */
				_("%1$s: virtmemd now requests %3$s for %2$s: another resize "
				  "replaced this one.\n"),
				ctl->prgname, domain, requested_s);
			return VMEM_CTL_EXIT_ERROR;
		}
		/* converged once virtmemd's job says so and its figures agree (a
		 * state it does not name counts by the figures alone) */
		if (plugged == requested && (!known || state == VMEM_JOB_CONVERGED)) {
			p.state = VMEM_JOB_CONVERGED;
			vmem_ctl_resize_on_progress(NULL, &p, out);
			if (out->tty)
				g_print("\n");
			return vmem_ctl_resize_report(ctl, domain, VMEM_JOB_CONVERGED, &p);
		}
		vmem_ctl_resize_on_progress(NULL, &p, out);
		if (p.state == VMEM_JOB_STUCK_UNPLUG) {
			g_autofree char *requested_s = vmem_size_format(requested);
			g_autofree char *plugged_s = vmem_size_format(plugged);

			if (out->tty)
				g_print("\n");
			g_printerr(
				/* TRANSLATORS: 1 the program, 2 a domain, 3 and 4 sizes; keep
				   virtmemd and “virtmemctl status” */
				_("%1$s: Unplug of %2$s is stuck at %3$s of the %4$s requested; "
				  "virtmemd keeps following it and tells the guest again only when "
				  "its agent says the memory is free. See “virtmemctl status %2$s”.\n"),
				ctl->prgname, domain, plugged_s, requested_s);
			return VMEM_CTL_EXIT_STUCK;
		}
		if (p.state != VMEM_JOB_PLUGGING && p.state != VMEM_JOB_UNPLUGGING &&
		    p.state != VMEM_JOB_REPLUGGING) {
			if (out->tty)
				g_print("\n");
			return vmem_ctl_resize_report(ctl, domain, p.state, &p);
		}
		if ((timeout_s > 0 && p.elapsed_us >= (gint64)timeout_s * G_USEC_PER_SEC) ||
		    (timeout_s == 0 && now - last_move >= VMEM_CTL_RESIZE_DAEMON_NO_PROGRESS_US)) {
			if (out->tty)
				g_print("\n");
			return vmem_ctl_resize_report(ctl, domain, p.state, &p);
		}
		g_usleep(VMEM_CTL_RESIZE_DAEMON_POLL_US);
	}
}

/* The resize through virtmemd, which holds @size as an override until
 * `resize --resume`; the persistent configuration, if asked for, is
 * changed directly (virtmemd manages the running domain only). */
static int
vmem_ctl_resize_via_daemon(VmemCtl *ctl, const char *domain, VmemCtlManaged *managed,
			   VmemResize *resize, const VmemResizeProgress *progress, guint64 size,
			   VmemResizeAffect affect, gboolean wait, guint timeout_s, gboolean force,
			   gboolean no_agent, VmemCtlResizeOutput *out)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *size_s = vmem_size_format(size);
	VmemJobAgentFacts agent = {0};

	/* virtmemd's figures of the guest stand for the agent it holds */
	if (!no_agent)
		vmem_ctl_daemon_guest_facts(managed->props, &agent);
	if (progress->requested < progress->plugged && !agent.valid && !force)
		vmem_ctl_resize_warn_unknown_use(ctl, domain);
	if (!vmem_resize_check_shrink(resize, &agent, force, &error)) {
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_UNSAFE;
	}
	if ((affect & VMEM_RESIZE_CONFIG) &&
	    !vmem_resize_apply(resize, VMEM_RESIZE_CONFIG, &error)) {
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_ERROR;
	}
	if (!vmem_ctl_managed_call(
		    managed, "Resize",
		    g_variant_new("(t@a{sv})", size,
				  g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0)),
		    &error)) {
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_ERROR;
	}
	/* TRANSLATORS: 1 a domain, 2 a size; keep virtmemd and the command */
	g_print(_("virtmemd holds %1$s at %2$s until “virtmemctl resize %1$s --resume” hands it "
		  "back to its policy.\n"),
		domain, size_s);
	if (!wait)
		return VMEM_CTL_EXIT_OK;
	return vmem_ctl_resize_wait_daemon(ctl, domain, managed, size, timeout_s, out);
}

static int
vmem_ctl_resize_usage(VmemCtl *ctl, GError *error)
{
	vmem_ctl_print_error(ctl, error);
	return VMEM_CTL_EXIT_FAILURE;
}

/* An option's value when it was not given */
#define VMEM_CTL_RESIZE_UNSET G_MININT

int
vmem_ctl_resize(VmemCtl *ctl, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(VmemBackend) backend = NULL;
	g_autoptr(VmemResize) resize = NULL;
	g_autoptr(GAsyncResult) result = NULL;
	g_autoptr(GPtrArray) args = NULL;
	g_autofree char *name = NULL;
	GAsyncResult *pending = NULL;
	g_autofree char *alias = NULL;
	gint node = VMEM_CTL_RESIZE_UNSET;
	gboolean live = FALSE, config = FALSE, wait = FALSE, force = FALSE, no_agent = FALSE;
	gboolean resume = FALSE;
	g_autoptr(VmemCtlManaged) managed = NULL;
	gint timeout = VMEM_CTL_RESIZE_UNSET;
	guint64 size = 0;
	VmemResizeAffect affect = 0;
	VmemResizeProgress progress;
	VmemJobAgentFacts agent = {0};
	g_autoptr(VmemAgentChannel) channel = NULL;
	gboolean shrinking;
	VmemCtlResizeOutput out = {.tty = isatty(STDOUT_FILENO)};
	VmemJobState state;
	VmemRunState run_state;
	const GOptionEntry entries[] = {
		{"alias", 0, 0, G_OPTION_ARG_STRING, &alias,
		 /* TRANSLATORS: help of resize --alias */
		 N_("Resize only the device with this alias"), N_("ALIAS")},
		{"node", 0, 0, G_OPTION_ARG_INT, &node,
		 /* TRANSLATORS: help of resize --node */
		 N_("Resize only the device on this NUMA node (0 or more)"), N_("NODE")},
		{"live", 0, 0, G_OPTION_ARG_NONE, &live,
		 /* TRANSLATORS: help of resize --live */
		 N_("Change the running domain"), NULL},
		{"config", 0, 0, G_OPTION_ARG_NONE, &config,
		 /* TRANSLATORS: help of resize --config */
		 N_("Change the persistent configuration"), NULL},
		{"wait", 0, 0, G_OPTION_ARG_NONE, &wait,
		 /* TRANSLATORS: help of resize --wait */
		 N_("Follow the guest until it has plugged the new size"), NULL},
		{"timeout", 0, 0, G_OPTION_ARG_INT, &timeout,
		 /* TRANSLATORS: help of resize --timeout; keep --wait */
		 N_("With --wait, give up after this many seconds; 0, the default, waits as "
		    "long as the guest makes progress"),
		 /* TRANSLATORS: the argument of resize --timeout in --help */
		 N_("SECONDS")},
		{"no-agent", 0, 0, G_OPTION_ARG_NONE, &no_agent,
		 /* TRANSLATORS: help of resize --no-agent */
		 N_("Do not ask the guest agent: judge by QEMU's figures alone (a shrink is then "
		    "unchecked and never told again)"),
		 NULL},
		{"force", 0, 0, G_OPTION_ARG_NONE, &force,
		 /* TRANSLATORS: help of resize --force */
		 N_("Shrink even below what the guest reports it uses"), NULL},
		{"resume", 0, 0, G_OPTION_ARG_NONE, &resume,
		 /* TRANSLATORS: help of resize --resume; keep virtmemd and SIZE */
		 N_("Without SIZE: end the override of an earlier resize, so that virtmemd's "
		    "policy decides for the domain again"),
		 NULL},
		{NULL},
	};

	context = vmem_ctl_option_context_new(
		"resize",
		/* TRANSLATORS: the arguments of `virtmemctl resize` in its --help; keep
		   --resume */
		_("DOMAIN SIZE | DOMAIN --resume"),
		/* TRANSLATORS: summary of `virtmemctl resize --help`; keep DOMAIN, SIZE,
		   --alias, --node and the sizes */
		_("Set the total virtio-mem memory DOMAIN should have plugged (or one "
		  "device's, with --alias or --node). DOMAIN is the domain's name, id or UUID. "
		  "SIZE is a whole number of the devices' blocks with an optional unit, such "
		  "as 512M or 2G; a number without unit is in KiB, as in virsh."),
		entries);
	if (!vmem_ctl_parse_options(context, &argc, &argv, &args, &error))
		return vmem_ctl_resize_usage(ctl, error);
	if (resume) {
		if (args->len != 1 || alias != NULL || node != VMEM_CTL_RESIZE_UNSET || live ||
		    config || wait || force || no_agent || timeout != VMEM_CTL_RESIZE_UNSET) {
			g_set_error_literal(
				&error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
				/* TRANSLATORS: usage error; keep --resume */
				_("--resume takes a domain and no size or other option."));
			return vmem_ctl_resize_usage(ctl, error);
		}
		return vmem_ctl_resize_resume(ctl, args->pdata[0]);
	}
	if (args->len != 2) {
		g_set_error_literal(&error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
				    /* TRANSLATORS: usage error; keep “resize” */
				    _("resize takes a domain and a size."));
		return vmem_ctl_resize_usage(ctl, error);
	}
	if (node != VMEM_CTL_RESIZE_UNSET && node < 0) {
		g_set_error(&error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			    /* TRANSLATORS: %d is what was given; keep --node */
			    _("--node takes a NUMA node number, 0 or more, not %d."), node);
		return vmem_ctl_resize_usage(ctl, error);
	}
	if (alias != NULL && node != VMEM_CTL_RESIZE_UNSET) {
		g_set_error_literal(
			&error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			/* TRANSLATORS: usage error; keep --alias and --node */
			_("--alias and --node both select a device: give one of them."));
		return vmem_ctl_resize_usage(ctl, error);
	}
	if (timeout != VMEM_CTL_RESIZE_UNSET && (timeout < 0 || !wait)) {
		g_set_error_literal(
			&error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			/* TRANSLATORS: usage error; keep --timeout and --wait */
			_("--timeout takes a number of seconds, 0 or more, and needs --wait."));
		return vmem_ctl_resize_usage(ctl, error);
	}
	if (timeout == VMEM_CTL_RESIZE_UNSET)
		timeout = 0;
	if (!vmem_size_parse_arg(args->pdata[1], &size, &error))
		return vmem_ctl_resize_usage(ctl, error);

	backend = vmem_ctl_connect(ctl, &error);
	if (backend != NULL)
		name = vmem_ctl_lookup_domain(backend, args->pdata[0], &error);
	if (name != NULL)
		resize = vmem_resize_new(backend, name, &error);
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
				    /* TRANSLATORS: usage error; keep --wait and --live */
				    _("--wait follows the running guest and needs --live."));
		return vmem_ctl_resize_usage(ctl, error);
	}

	/* virtmemd manages the running domain: a change of it goes through the
	 * daemon, so that the two never fight over the devices. */
	if (affect & VMEM_RESIZE_LIVE)
		managed = vmem_ctl_daemon_manages(ctl, backend, name, NULL);
	if (managed != NULL && (alias != NULL || node != VMEM_CTL_RESIZE_UNSET)) {
		g_set_error(&error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			    /* TRANSLATORS: %s is a domain; keep virtmemd, --alias, --node,
			       --config and the command */
			    _("virtmemd manages %1$s and splits its total over the devices "
			      "itself: give the total without --alias or --node, change only the "
			      "configuration with --config, or set the policy to off first "
			      "(virtmemctl policy set %1$s --mode off)."),
			    name);
		return vmem_ctl_resize_usage(ctl, error);
	}
	if ((alias != NULL || node != VMEM_CTL_RESIZE_UNSET)
		    ? !vmem_resize_plan_device(resize, alias, alias != NULL ? -1 : node, size,
					       &error)
		    : !vmem_resize_plan_total(resize, size, &error)) {
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_ERROR;
	}
	vmem_resize_get_progress(resize, &progress);
	/* QEMU refuses while migrating or saving: say so, do not retry. */
	if (run_state == VMEM_RUN_STATE_MIGRATING || run_state == VMEM_RUN_STATE_SAVING)
		return vmem_ctl_resize_report(ctl, name, VMEM_JOB_BUSY, &progress);
	if (managed != NULL)
		return vmem_ctl_resize_via_daemon(ctl, name, managed, resize, &progress, size,
						  affect, wait, (guint)timeout, force, no_agent,
						  &out);
	shrinking = progress.requested < progress.plugged && run_state == VMEM_RUN_STATE_RUNNING;
	if (run_state == VMEM_RUN_STATE_RUNNING && (shrinking || wait) && !no_agent)
		channel = vmem_ctl_resize_open_agent(backend, name, shrinking);
	if (shrinking) {
		vmem_resize_agent_facts(channel ? vmem_agent_channel_get_report(channel, NULL)
						: NULL,
					NULL, &agent);
		if (!agent.valid && !force)
			vmem_ctl_resize_warn_unknown_use(ctl, name);
	}
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

	/* An unplug is told again only when the guest's report says it is
	 * safe; a plug ends as soon as the guest has the memory online. */
	vmem_resize_set_agent(resize, channel);
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
	return vmem_ctl_resize_report(ctl, name, state, &progress);
}
