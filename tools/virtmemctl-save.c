/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemctl save: squeeze the guest if asked (or its policy says so), then
 * save it, sparse by default for virtio-mem.  virtmemctl restore: restore,
 * then re-grow to the target the image remembers.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "virtmemctl-daemon.h"
#include "virtmemctl.h"
#include "vmem-error.h"
#include "vmem-json.h"
#include "vmem-save-meta.h"
#include "vmem-size.h"
#include "vmem-squeeze.h"

static int
vmem_ctl_save_usage(VmemCtl *ctl, GError *error)
{
	vmem_ctl_print_error(ctl, error);
	return VMEM_CTL_EXIT_FAILURE;
}

int
vmem_ctl_save(VmemCtl *ctl, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GPtrArray) args = NULL;
	g_autoptr(VmemBackend) backend = NULL;
	g_autoptr(VmemSave) save = NULL;
	g_auto(VmemCtlHold) hold = {0};
	g_autoptr(VmemSqueezeResult) squeeze = NULL;
	g_autoptr(VmemSaveResult) saved = NULL;
	g_autoptr(GAsyncResult) result = NULL;
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autofree char *name = NULL;
	g_autofree char *format = NULL;
	g_autofree char *squeeze_size = NULL;
	GAsyncResult *pending = NULL;
	gboolean squeeze_asked = FALSE, no_squeeze = FALSE, bypass_cache = FALSE;
	gboolean running = FALSE, paused = FALSE, json = FALSE;
	gint parallel = 0, squeeze_timeout = VMEM_SQUEEZE_TIMEOUT_S;
	VmemSqueezeOptions squeeze_options;
	VmemSaveOptions options;
	VmemCtlJob job;
	int exit_status = VMEM_CTL_EXIT_OK;
	const GOptionEntry entries[] = {
		{"format", 0, 0, G_OPTION_ARG_STRING, &format,
		 /* TRANSLATORS: help of save --format; keep sparse and raw */
		 N_("The image format: sparse (only what the guest plugged and wrote) or raw; "
		    "sparse by default for a domain with virtio-mem"),
		 N_("FORMAT")},
		{"parallel", 0, 0, G_OPTION_ARG_INT, &parallel,
		 /* TRANSLATORS: help of save --parallel */
		 N_("Write a sparse image through this many channels at once"), N_("N")},
		{"bypass-cache", 0, 0, G_OPTION_ARG_NONE, &bypass_cache,
		 /* TRANSLATORS: help of save --bypass-cache */
		 N_("Write around the host's page cache"), NULL},
		{"running", 0, 0, G_OPTION_ARG_NONE, &running,
		 /* TRANSLATORS: help of save --running */
		 N_("Have the domain running when it is restored"), NULL},
		{"paused", 0, 0, G_OPTION_ARG_NONE, &paused,
		 /* TRANSLATORS: help of save --paused */
		 N_("Have the domain paused when it is restored"), NULL},
		{"squeeze", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK,
		 vmem_ctl_squeeze_help,
		 /* TRANSLATORS: help of save --squeeze[=SIZE] */
		 N_("First unplug the memory the guest does not need by its agent's report (or "
		    "down to SIZE); the restore grows it back"),
		 N_("SIZE")},
		{"no-squeeze", 0, 0, G_OPTION_ARG_NONE, &no_squeeze,
		 /* TRANSLATORS: help of save --no-squeeze */
		 N_("Do not squeeze, even when the domain's policy says so"), NULL},
		{"squeeze-timeout", 0, 0, G_OPTION_ARG_INT, &squeeze_timeout,
		 /* TRANSLATORS: help of save --squeeze-timeout */
		 N_("Follow the squeeze's unplug for at most this many seconds (60)"),
		 N_("SECONDS")},
		{"json", 0, 0, G_OPTION_ARG_NONE, &json,
		 /* TRANSLATORS: help of --json */
		 N_("Print the report as JSON"), NULL},
		{NULL},
	};

	vmem_ctl_take_squeeze(&argc, argv, &squeeze_asked, &squeeze_size);
	context = vmem_ctl_option_context_new(
		"save",
		/* TRANSLATORS: the arguments of `virtmemctl save` in its --help */
		_("DOMAIN FILE"),
		/* TRANSLATORS: summary of `virtmemctl save --help`; keep --squeeze[=SIZE] */
		_("Save DOMAIN's state to FILE and stop it. With --squeeze[=SIZE] (or when "
		  "the domain's policy says so) the guest first gives back the memory it does "
		  "not need, by its agent's report or down to SIZE, and the restore grows it "
		  "again. FILE is written under a temporary name and renamed when the save "
		  "succeeded; it must not exist."),
		entries);
	if (!vmem_ctl_parse_options(context, &argc, &argv, &args, &error))
		return vmem_ctl_save_usage(ctl, error);
	vmem_save_options_init(&options);
	vmem_squeeze_options_init(&squeeze_options);
	if (args->len != 2)
		g_set_error_literal(&error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
				    /* TRANSLATORS: usage error; keep “save” */
				    _("save takes a domain and a file."));
	else if (format != NULL && (!vmem_save_format_from_string(format, &options.format) ||
				    options.format == VMEM_SAVE_FORMAT_AUTO))
		g_set_error(&error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			    /* TRANSLATORS: %s is what was given; keep --format, sparse, raw */
			    _("--format takes sparse or raw, not “%s”."), format);
	else if (parallel < 0 || parallel > 64)
		g_set_error(&error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			    /* TRANSLATORS: %d is what was given; keep --parallel */
			    _("--parallel takes a number of channels from 1 to 64, not %d."),
			    parallel);
	else if (running && paused)
		g_set_error_literal(&error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
				    /* TRANSLATORS: usage error; keep --running and --paused */
				    _("--running and --paused contradict each other."));
	else if (squeeze_asked && no_squeeze)
		g_set_error_literal(&error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
				    /* TRANSLATORS: usage error; keep --squeeze and --no-squeeze */
				    _("--squeeze and --no-squeeze contradict each other."));
	else if (squeeze_timeout <= 0)
		g_set_error(&error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			    /* TRANSLATORS: %d is what was given; keep --squeeze-timeout */
			    _("--squeeze-timeout takes a number of seconds, 1 or more, not %d."),
			    squeeze_timeout);
	else if (!vmem_ctl_job_check_file(args->pdata[1], &error))
		; /* error set */
	else if (squeeze_size != NULL &&
		 !vmem_size_parse_arg(squeeze_size, &squeeze_options.size, &error))
		g_prefix_error(&error, "--squeeze: ");
	if (error != NULL)
		return vmem_ctl_save_usage(ctl, error);
	if (parallel > 0 && options.format == VMEM_SAVE_FORMAT_RAW)
		return vmem_ctl_save_usage(
			ctl, g_error_new_literal(VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
						 /* TRANSLATORS: keep --parallel and sparse */
						 _("Parallel channels (--parallel) need the sparse "
						   "image format.")));
	squeeze_options.has_size = squeeze_size != NULL;
	squeeze_options.timeout_s = (guint)squeeze_timeout;
	options.parallel = (guint)parallel;
	options.bypass_cache = bypass_cache;
	options.start = running	 ? VMEM_SAVE_START_RUNNING
			: paused ? VMEM_SAVE_START_PAUSED
				 : VMEM_SAVE_START_DEFAULT;

	backend = vmem_ctl_connect(ctl, &error);
	if (backend != NULL)
		name = vmem_ctl_lookup_domain(backend, args->pdata[0], &error);
	if (name != NULL)
		save = vmem_save_new(backend, &error);
	if (save == NULL) {
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_ERROR;
	}
	vmem_ctl_job_hold_daemon(&hold, ctl, backend, name, json);
	/* Ctrl-C from here on: a squeeze puts the request back, a save is
	 * aborted */
	vmem_ctl_job_start(&job, save, cancellable, json);
	if (squeeze_asked || (!no_squeeze && vmem_squeeze_policy_asks(backend, name))) {
		squeeze = vmem_ctl_squeeze(ctl, backend, name, &squeeze_options, cancellable, FALSE,
					   json, &exit_status);
		if (squeeze == NULL) {
			vmem_ctl_job_stop(&job);
			return exit_status;
		}
		if (squeeze->outcome == VMEM_SQUEEZE_CONVERGED ||
		    squeeze->outcome == VMEM_SQUEEZE_PARTIAL)
			options.remembered = squeeze->before;
	}
	if (g_cancellable_set_error_if_cancelled(cancellable, &error)) {
		vmem_ctl_job_stop(&job);
		vmem_ctl_print_error(ctl, error);
		if (squeeze != NULL)
			vmem_squeeze_undo(backend, name, squeeze, NULL);
		return VMEM_CTL_EXIT_ERROR;
	}
	vmem_save_domain_async(save, name, args->pdata[1], &options, cancellable, vmem_ctl_on_done,
			       &pending);
	result = vmem_ctl_run_until_done(&pending);
	vmem_ctl_job_stop(&job);
	saved = vmem_save_domain_finish(save, result, &error);
	if (saved == NULL) {
		g_autoptr(GError) undo_error = NULL;

		vmem_ctl_print_error(ctl, error);
		/* the domain still runs: give it its memory back */
		if (squeeze != NULL && !vmem_squeeze_undo(backend, name, squeeze, &undo_error))
			/* TRANSLATORS: 1 the program, 2 why (a sentence) */
			g_printerr(_("%1$s: The squeezed memory could not be given back: %2$s\n"),
				   ctl->prgname, undo_error->message);
		return VMEM_CTL_EXIT_ERROR;
	}
	if (saved->fallback_reason != NULL)
		/* TRANSLATORS: 1 the program, 2 libvirt's reason */
		g_printerr(_("%1$s: Saved in the raw format: this connection cannot write sparse "
			     "images (%2$s).\n"),
			   ctl->prgname, saved->fallback_reason);
	if (json) {
		g_autoptr(json_object) root = vmem_ctl_job_json("save", saved);

		json_object_object_add(root, "squeeze",
				       squeeze ? vmem_ctl_squeeze_json(squeeze) : NULL);
		vmem_ctl_print_json(root);
	} else {
		vmem_ctl_job_print("save", saved);
	}
	return VMEM_CTL_EXIT_OK;
}

int
vmem_ctl_restore(VmemCtl *ctl, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GPtrArray) args = NULL;
	g_autoptr(VmemBackend) backend = NULL;
	g_autoptr(VmemSave) save = NULL;
	g_autoptr(VmemSaveResult) restored = NULL;
	g_autoptr(GAsyncResult) result = NULL;
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	GAsyncResult *pending = NULL;
	gboolean running = FALSE, paused = FALSE, json = FALSE, bypass_cache = FALSE;
	gint timeout = 120;
	VmemCtlJob job;
	const GOptionEntry entries[] = {
		{"paused", 0, 0, G_OPTION_ARG_NONE, &paused,
		 /* TRANSLATORS: help of restore --paused */
		 N_("Leave the restored domain paused; it plugs its memory when resumed"), NULL},
		{"running", 0, 0, G_OPTION_ARG_NONE, &running,
		 /* TRANSLATORS: help of restore --running */
		 N_("Run the restored domain, even if it was saved paused"), NULL},
		{"bypass-cache", 0, 0, G_OPTION_ARG_NONE, &bypass_cache,
		 /* TRANSLATORS: help of restore --bypass-cache */
		 N_("Read around the host's page cache"), NULL},
		{"timeout", 0, 0, G_OPTION_ARG_INT, &timeout,
		 /* TRANSLATORS: help of restore --timeout */
		 N_("Follow the guest growing back for at most this many seconds (120)"),
		 N_("SECONDS")},
		{"json", 0, 0, G_OPTION_ARG_NONE, &json,
		 /* TRANSLATORS: help of --json */
		 N_("Print the report as JSON"), NULL},
		{NULL},
	};

	context = vmem_ctl_option_context_new(
		"restore",
		/* TRANSLATORS: the arguments of `virtmemctl restore` in its --help */
		_("FILE"),
		/* TRANSLATORS: summary of `virtmemctl restore --help` */
		_("Restore the domain saved in FILE. When it was squeezed before the save, "
		  "its memory is grown back to what it had requested."),
		entries);
	if (!vmem_ctl_parse_options(context, &argc, &argv, &args, &error))
		return vmem_ctl_save_usage(ctl, error);
	if (args->len != 1)
		g_set_error_literal(&error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
				    /* TRANSLATORS: usage error; keep “restore” */
				    _("restore takes a file."));
	else if (running && paused)
		g_set_error_literal(&error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
				    /* TRANSLATORS: usage error; keep --running and --paused */
				    _("--running and --paused contradict each other."));
	else if (timeout < 0)
		g_set_error(&error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			    /* TRANSLATORS: %d is what was given; keep --timeout */
			    _("--timeout takes a number of seconds, 0 or more, not %d."), timeout);
	if (error != NULL)
		return vmem_ctl_save_usage(ctl, error);

	backend = vmem_ctl_connect(ctl, &error);
	if (backend != NULL)
		save = vmem_save_new(backend, &error);
	if (save == NULL) {
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_ERROR;
	}
	vmem_ctl_job_start(&job, save, cancellable, json);
	vmem_save_restore_async(save, args->pdata[0],
				running	 ? VMEM_SAVE_START_RUNNING
				: paused ? VMEM_SAVE_START_PAUSED
					 : VMEM_SAVE_START_DEFAULT,
				bypass_cache, (guint)timeout, cancellable, vmem_ctl_on_done,
				&pending);
	result = vmem_ctl_run_until_done(&pending);
	vmem_ctl_job_stop(&job);
	restored = vmem_save_restore_finish(save, result, &error);
	if (restored == NULL) {
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_ERROR;
	}
	if (json) {
		g_autoptr(json_object) root = vmem_ctl_job_json("restore", restored);

		vmem_ctl_print_json(root);
	} else {
		/* TRANSLATORS: 1 a domain, 2 a file, 3 seconds */
		g_print(_("%1$s restored from %2$s in %3$.1f s.\n"), restored->domain,
			restored->file, restored->elapsed_us / (double)G_USEC_PER_SEC);
		if (restored->remembered != NULL && restored->remembered_error == NULL) {
			g_autofree char *requested = vmem_size_format(restored->requested_after);
			g_autofree char *plugged = vmem_size_format(restored->plugged_after);

			if (restored->running)
				/* TRANSLATORS: 1 a domain, 2 and 3 sizes, 4 the job's state */
				g_print(_("%1$s grown back to %2$s requested: %3$s plugged "
					  "(%4$s).\n"),
					restored->domain, requested, plugged,
					vmem_job_state_to_string(restored->regrow_state));
			else
				/* TRANSLATORS: 1 a domain, 2 a size */
				g_print(_("%1$s requests %2$s again; its guest plugs it when it "
					  "runs.\n"),
					restored->domain, requested);
		}
	}
	if (restored->remembered_error != NULL) {
		/* TRANSLATORS: 1 the program, 2 a domain, 3 why (a sentence) */
		g_printerr(_("%1$s: %2$s was restored but not grown back to its target: %3$s\n"),
			   ctl->prgname, restored->domain, restored->remembered_error);
		return VMEM_CTL_EXIT_ERROR;
	}
	return VMEM_CTL_EXIT_OK;
}
