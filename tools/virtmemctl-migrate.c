/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemctl migrate: hold virtmemd's automation of the domain, squeeze the
 * guest if asked, migrate it through libvirt, check that its virtio-mem
 * devices and policy arrived as they left and grow it back there to the
 * target from before the squeeze.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "virtmemctl-daemon.h"
#include "virtmemctl.h"
#include "vmem-error.h"
#include "vmem-json.h"
#include "vmem-migrate.h"
#include "vmem-save-meta.h"
#include "vmem-size.h"
#include "vmem-squeeze.h"

static int
vmem_ctl_migrate_usage(VmemCtl *ctl, GError *error)
{
	vmem_ctl_print_error(ctl, error);
	g_error_free(error);
	return VMEM_CTL_EXIT_FAILURE;
}

/* The ratio of @part to @whole for --json, or null when @whole is 0 */
static json_object *
vmem_ctl_migrate_ratio(guint64 part, guint64 whole)
{
	char text[G_ASCII_DTOSTR_BUF_SIZE];

	if (whole == 0)
		return NULL;
	g_ascii_formatd(text, sizeof(text), "%.4f", (double)part / (double)whole);
	return json_object_new_double_s(g_ascii_strtod(text, NULL), text);
}

static json_object *
vmem_ctl_migrate_json(const VmemMigrateResult *r, const VmemSqueezeResult *squeeze,
		      gboolean daemon_paused)
{
	json_object *root = json_object_new_object();
	json_object *devices = json_object_new_array();
	guint64 limit = r->base + r->plugged;
	guint64 whole = r->base + r->device_size;

	for (guint i = 0; i < r->devices->len; i++) {
		const VmemMigrateDevice *d = g_ptr_array_index(r->devices, i);
		json_object *dev = json_object_new_object();

		json_object_object_add(dev, "alias", json_object_new_string(d->alias));
		json_object_object_add(dev, "size", json_object_new_uint64(d->size));
		json_object_object_add(dev, "requested_before",
				       json_object_new_uint64(d->requested_before));
		json_object_object_add(dev, "plugged_before",
				       json_object_new_uint64(d->plugged_before));
		json_object_object_add(dev, "found_after", json_object_new_boolean(d->found_after));
		json_object_object_add(dev, "requested_after",
				       json_object_new_uint64(d->requested_after));
		json_object_object_add(dev, "plugged_after",
				       json_object_new_uint64(d->plugged_after));
		json_object_array_add(devices, dev);
	}
	json_object_object_add(root, "command", json_object_new_string("migrate"));
	json_object_object_add(root, "domain", json_object_new_string(r->domain));
	json_object_object_add(root, "destination", json_object_new_string(r->dest_uri));
	json_object_object_add(root, "live", json_object_new_boolean(r->live));
	json_object_object_add(root, "daemon_paused", json_object_new_boolean(daemon_paused));
	json_object_object_add(root, "elapsed_ms", vmem_ctl_job_elapsed(r->elapsed_us));
	json_object_object_add(root, "base", json_object_new_uint64(r->base));
	json_object_object_add(root, "plugged", json_object_new_uint64(r->plugged));
	json_object_object_add(root, "device_size", json_object_new_uint64(r->device_size));
	json_object_object_add(root, "limit", json_object_new_uint64(limit));
	json_object_object_add(root, "whole", json_object_new_uint64(whole));
	json_object_object_add(root, "stats_known", json_object_new_boolean(r->stats.valid));
	json_object_object_add(root, "transferred",
			       json_object_new_uint64(r->stats.data_processed));
	json_object_object_add(root, "memory_transferred",
			       json_object_new_uint64(r->stats.memory_processed));
	json_object_object_add(root, "memory_total", json_object_new_uint64(r->stats.memory_total));
	json_object_object_add(root, "downtime_ms", json_object_new_uint64(r->stats.downtime_ms));
	json_object_object_add(
		root, "transferred_to_limit",
		r->stats.valid ? vmem_ctl_migrate_ratio(r->stats.data_processed, limit) : NULL);
	json_object_object_add(
		root, "transferred_to_whole",
		r->stats.valid ? vmem_ctl_migrate_ratio(r->stats.data_processed, whole) : NULL);
	json_object_object_add(root, "devices", devices);
	json_object_object_add(root, "devices_arrived",
			       json_object_new_boolean(r->devices_error == NULL));
	json_object_object_add(root, "devices_error",
			       r->devices_error ? json_object_new_string(r->devices_error) : NULL);
	json_object_object_add(root, "policy_arrived",
			       r->has_policy ? json_object_new_boolean(r->policy_error == NULL)
					     : NULL);
	json_object_object_add(root, "policy_error",
			       r->policy_error ? json_object_new_string(r->policy_error) : NULL);
	json_object_object_add(root, "squeeze", squeeze ? vmem_ctl_squeeze_json(squeeze) : NULL);
	json_object_object_add(
		root, "remembered",
		r->remembered ? json_object_new_uint64(vmem_saved_targets_total(r->remembered))
			      : NULL);
	json_object_object_add(
		root, "regrow_state",
		r->remembered && r->regrow_error == NULL
			? json_object_new_string(vmem_job_state_to_string(r->regrow_state))
			: NULL);
	json_object_object_add(root, "requested_after", json_object_new_uint64(r->requested_after));
	json_object_object_add(root, "plugged_after", json_object_new_uint64(r->plugged_after));
	json_object_object_add(root, "regrow_error",
			       r->regrow_error ? json_object_new_string(r->regrow_error) : NULL);
	return root;
}

static void
vmem_ctl_migrate_print(const VmemMigrateResult *r)
{
	g_autofree char *limit = vmem_size_format_rounded(r->base + r->plugged);
	g_autofree char *whole = vmem_size_format_rounded(r->base + r->device_size);
	double seconds = r->elapsed_us / (double)G_USEC_PER_SEC;

	if (r->stats.valid) {
		g_autofree char *sent = vmem_size_format_rounded(r->stats.data_processed);

		/* TRANSLATORS: 1 a domain, 2 a libvirt URI, 3 seconds, 4, 5 and 6
		   sizes */
		g_print(_("%1$s migrated to %2$s in %3$.1f s: %4$s transferred; base memory and "
			  "plugged: %5$s, base memory and the devices' sizes: %6$s.\n"),
			r->domain, r->dest_uri, seconds, sent, limit, whole);
	} else {
		/* TRANSLATORS: 1 a domain, 2 a libvirt URI, 3 seconds */
		g_print(_("%1$s migrated to %2$s in %3$.1f s; libvirt did not say how much it "
			  "transferred.\n"),
			r->domain, r->dest_uri, seconds);
	}
	if (r->devices_error == NULL && r->policy_error == NULL)
		g_print("%s\n", r->has_policy
					? _("Its virtio-mem devices and its policy arrived as they "
					    "left.")
					: _("Its virtio-mem devices arrived as they left."));
	if (r->remembered != NULL && r->regrow_error == NULL) {
		g_autofree char *requested = vmem_size_format(r->requested_after);
		g_autofree char *plugged = vmem_size_format(r->plugged_after);

		/* TRANSLATORS: 1 a domain, 2 and 3 sizes, 4 the job's state */
		g_print(_("%1$s grown back to %2$s requested on the destination: %3$s plugged "
			  "(%4$s).\n"),
			r->domain, requested, plugged, vmem_job_state_to_string(r->regrow_state));
	}
}

static gboolean
vmem_ctl_migrate_on_timeout(gpointer user_data)
{
	GCancellable *cancellable = user_data;

	g_object_set_data(G_OBJECT(cancellable), "timed-out", GINT_TO_POINTER(TRUE));
	g_cancellable_cancel(cancellable);
	return G_SOURCE_REMOVE;
}

int
vmem_ctl_migrate(VmemCtl *ctl, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GPtrArray) args = NULL;
	g_autoptr(VmemBackend) backend = NULL;
	g_autoptr(VmemSave) save = NULL;
	g_autoptr(VmemSqueezeResult) squeeze = NULL;
	g_autoptr(VmemMigrateResult) migrated = NULL;
	g_auto(VmemCtlHold) hold = {0};
	g_autoptr(GAsyncResult) result = NULL;
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autofree char *name = NULL;
	g_autofree char *squeeze_size = NULL;
	g_autofree char *xml_file = NULL;
	g_autofree char *dest_xml = NULL;
	g_autofree char *migrate_uri = NULL;
	GAsyncResult *pending = NULL;
	gboolean squeeze_asked = FALSE, live = FALSE, persistent = FALSE, undefine = FALSE;
	gboolean json = FALSE;
	gint timeout = 0, squeeze_timeout = VMEM_SQUEEZE_TIMEOUT_S;
	guint timeout_source = 0;
	VmemSqueezeOptions squeeze_options;
	VmemMigrateOptions options;
	VmemCtlJob job;
	int exit_status = VMEM_CTL_EXIT_OK;
	const GOptionEntry entries[] = {
		{"live", 0, 0, G_OPTION_ARG_NONE, &live,
		 /* TRANSLATORS: help of migrate --live */
		 N_("Keep the guest running while its memory is sent"), NULL},
		{"persistent", 0, 0, G_OPTION_ARG_NONE, &persistent,
		 /* TRANSLATORS: help of migrate --persistent */
		 N_("Define the domain on the destination"), NULL},
		{"undefine-source", 0, 0, G_OPTION_ARG_NONE, &undefine,
		 /* TRANSLATORS: help of migrate --undefine-source */
		 N_("Undefine the domain on the source"), NULL},
		{"xml", 0, 0, G_OPTION_ARG_FILENAME, &xml_file,
		 /* TRANSLATORS: help of migrate --xml */
		 N_("The domain XML for the destination, such as with other file or socket "
		    "paths"),
		 N_("FILE")},
		{"migrate-uri", 0, 0, G_OPTION_ARG_STRING, &migrate_uri,
		 /* TRANSLATORS: help of migrate --migrate-uri */
		 N_("Where the memory goes, such as tcp://HOST, when the destination's host "
		    "name is not the way"),
		 N_("URI")},
		{"squeeze", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK,
		 vmem_ctl_squeeze_help,
		 /* TRANSLATORS: help of migrate --squeeze[=SIZE] */
		 N_("First unplug the memory the guest does not need by its agent's report (or "
		    "down to SIZE); the destination grows it back"),
		 N_("SIZE")},
		{"squeeze-timeout", 0, 0, G_OPTION_ARG_INT, &squeeze_timeout,
		 /* TRANSLATORS: help of migrate --squeeze-timeout */
		 N_("Follow the squeeze's unplug for at most this many seconds (60)"),
		 N_("SECONDS")},
		{"timeout", 0, 0, G_OPTION_ARG_INT, &timeout,
		 /* TRANSLATORS: help of migrate --timeout */
		 N_("Abort the migration if it has not ended after this many seconds; the "
		    "domain keeps running on the source"),
		 N_("SECONDS")},
		{"json", 0, 0, G_OPTION_ARG_NONE, &json,
		 /* TRANSLATORS: help of --json */
		 N_("Print the report as JSON"), NULL},
		{NULL},
	};

	vmem_ctl_take_squeeze(&argc, argv, &squeeze_asked, &squeeze_size);
	context = vmem_ctl_option_context_new(
		"migrate",
		/* TRANSLATORS: the arguments of `virtmemctl migrate` in its --help */
		_("DOMAIN DEST-URI"),
		/* TRANSLATORS: summary of `virtmemctl migrate --help`; keep --squeeze[=SIZE] */
		_("Migrate DOMAIN to the libvirt at DEST-URI. virtmemd's automation of the "
		  "domain is paused meanwhile. With --squeeze[=SIZE] the guest first gives back "
		  "the memory it does not need, and is grown back on the destination. Then "
		  "checks that each virtio-mem device and the policy arrived as they left, and "
		  "reports the bytes transferred."),
		entries);
	if (!vmem_ctl_parse_options(context, &argc, &argv, &args, &error))
		return vmem_ctl_migrate_usage(ctl, g_steal_pointer(&error));
	vmem_migrate_options_init(&options);
	vmem_squeeze_options_init(&squeeze_options);
	if (args->len != 2)
		g_set_error_literal(&error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
				    /* TRANSLATORS: usage error; keep “migrate” */
				    _("migrate takes a domain and a destination URI."));
	else if (timeout < 0)
		g_set_error(&error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			    /* TRANSLATORS: %d is what was given; keep --timeout */
			    _("--timeout takes a number of seconds, 0 for none, not %d."), timeout);
	else if (squeeze_timeout <= 0)
		g_set_error(&error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			    /* TRANSLATORS: %d is what was given; keep --squeeze-timeout */
			    _("--squeeze-timeout takes a number of seconds, 1 or more, not %d."),
			    squeeze_timeout);
	else if (xml_file != NULL && !g_file_get_contents(xml_file, &dest_xml, NULL, &error))
		; /* error set */
	else if (squeeze_size != NULL &&
		 !vmem_size_parse_arg(squeeze_size, &squeeze_options.size, &error))
		g_prefix_error(&error, "--squeeze: ");
	if (error != NULL)
		return vmem_ctl_migrate_usage(ctl, g_steal_pointer(&error));
	squeeze_options.has_size = squeeze_size != NULL;
	squeeze_options.timeout_s = (guint)squeeze_timeout;
	options.live = live;
	options.persistent = persistent;
	options.undefine_source = undefine;
	options.dest_xml = dest_xml;
	options.migrate_uri = migrate_uri;

	backend = vmem_ctl_connect(ctl, &error);
	if (backend != NULL)
		name = vmem_ctl_lookup_domain(backend, args->pdata[0], &error);
	if (name != NULL)
		save = vmem_save_new(backend, &error);
	if (save == NULL) {
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_ERROR;
	}
	/* QEMU answers busy to plug and unplug while migrating: virtmemd holds
	 * its decisions meanwhile */
	vmem_ctl_job_hold_daemon(&hold, ctl, backend, name, json);
	/* Ctrl-C from here on: a squeeze puts the request back, a migration is
	 * aborted */
	vmem_ctl_job_start(&job, save, cancellable, json);
	if (squeeze_asked) {
		squeeze = vmem_ctl_squeeze(ctl, backend, name, &squeeze_options, cancellable, TRUE,
					   json, &exit_status);
		if (squeeze == NULL) {
			vmem_ctl_job_stop(&job);
			return exit_status;
		}
		if (squeeze->outcome == VMEM_SQUEEZE_CONVERGED ||
		    squeeze->outcome == VMEM_SQUEEZE_PARTIAL)
			options.remembered = squeeze->before;
	}
	if (!g_cancellable_is_cancelled(cancellable)) {
		if (timeout > 0)
			timeout_source = g_timeout_add_seconds(
				(guint)timeout, vmem_ctl_migrate_on_timeout, cancellable);
		vmem_save_migrate_async(save, name, args->pdata[1], &options, cancellable,
					vmem_ctl_on_done, &pending);
		result = vmem_ctl_run_until_done(&pending);
		migrated = vmem_save_migrate_finish(save, result, &error);
		if (timeout_source != 0 && !g_object_get_data(G_OBJECT(cancellable), "timed-out"))
			g_source_remove(timeout_source);
	} else {
		g_cancellable_set_error_if_cancelled(cancellable, &error);
	}
	vmem_ctl_job_stop(&job);
	if (migrated == NULL) {
		g_autoptr(GError) undo_error = NULL;
		gboolean timed_out = g_object_get_data(G_OBJECT(cancellable), "timed-out") != NULL;

		if (timed_out)
			/* TRANSLATORS: 1 the program, 2 seconds, 3 libvirt's message */
			g_printerr(_("%1$s: The migration did not end within %2$d s and was "
				     "aborted: %3$s\n"),
				   ctl->prgname, timeout, error->message);
		else
			vmem_ctl_print_error(ctl, error);
		/* the domain still runs on the source: give it its memory back */
		if (squeeze != NULL && !vmem_squeeze_undo(backend, name, squeeze, &undo_error))
			/* TRANSLATORS: 1 the program, 2 why (a sentence) */
			g_printerr(_("%1$s: The squeezed memory could not be given back: %2$s\n"),
				   ctl->prgname, undo_error->message);
		return timed_out ? VMEM_CTL_EXIT_TIMEOUT : VMEM_CTL_EXIT_ERROR;
	}
	/* The domain left: virtmemd may have forgotten it already. */
	hold.gone = TRUE;
	if (json) {
		g_autoptr(json_object) root =
			vmem_ctl_migrate_json(migrated, squeeze, hold.managed != NULL);

		vmem_ctl_print_json(root);
	} else {
		vmem_ctl_migrate_print(migrated);
	}
	if (migrated->devices_error != NULL)
		/* TRANSLATORS: 1 the program, 2 a domain, 3 why (a sentence) */
		g_printerr(_("%1$s: %2$s was migrated but its devices did not arrive as they "
			     "left: %3$s\n"),
			   ctl->prgname, migrated->domain, migrated->devices_error);
	if (migrated->policy_error != NULL)
		/* TRANSLATORS: 1 the program, 2 a domain, 3 why (a sentence) */
		g_printerr(_("%1$s: %2$s was migrated but its policy did not arrive as it left: "
			     "%3$s\n"),
			   ctl->prgname, migrated->domain, migrated->policy_error);
	if (migrated->regrow_error != NULL)
		/* TRANSLATORS: 1 the program, 2 a domain, 3 why (a sentence) */
		g_printerr(_("%1$s: %2$s was migrated but not grown back to its target: %3$s\n"),
			   ctl->prgname, migrated->domain, migrated->regrow_error);
	if (migrated->devices_error != NULL || migrated->policy_error != NULL ||
	    migrated->regrow_error != NULL)
		return VMEM_CTL_EXIT_ERROR;
	return VMEM_CTL_EXIT_OK;
}
