/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemctl dump: a memory-only dump of a domain, which holds its base
 * memory and what virtio-mem plugged, never the unplugged rest.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "virtmemctl-daemon.h"
#include "virtmemctl.h"
#include "vmem-error.h"
#include "vmem-json.h"

int
vmem_ctl_dump(VmemCtl *ctl, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GPtrArray) args = NULL;
	g_autoptr(VmemBackend) backend = NULL;
	g_autoptr(VmemSave) save = NULL;
	g_auto(VmemCtlHold) hold = {0};
	g_autoptr(VmemSaveResult) dumped = NULL;
	g_autoptr(GAsyncResult) result = NULL;
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autofree char *name = NULL;
	g_autofree char *format_arg = NULL;
	GAsyncResult *pending = NULL;
	VmemDumpFormat format = VMEM_DUMP_FORMAT_ELF;
	gboolean json = FALSE;
	VmemCtlJob job;
	const GOptionEntry entries[] = {
		{"format", 0, 0, G_OPTION_ARG_STRING, &format_arg,
		 /* TRANSLATORS: help of dump --format; keep the format names */
		 N_("The dump format: elf (the default), kdump-zlib, kdump-lzo, kdump-snappy or "
		    "win-dmp"),
		 N_("FORMAT")},
		{"json", 0, 0, G_OPTION_ARG_NONE, &json,
		 /* TRANSLATORS: help of --json */
		 N_("Print the report as JSON"), NULL},
		{NULL},
	};

	context = vmem_ctl_option_context_new(
		"dump",
		/* TRANSLATORS: the arguments of `virtmemctl dump` in its --help */
		_("DOMAIN FILE"),
		/* TRANSLATORS: summary of `virtmemctl dump --help` */
		_("Dump DOMAIN's memory to FILE, for a crash analysis; the domain keeps running. "
		  "Only its base memory and what its virtio-mem devices plugged is written. FILE "
		  "is written under a temporary name and renamed when the dump succeeded; it must "
		  "not exist."),
		entries);
	if (!vmem_ctl_parse_options(context, &argc, &argv, &args, &error)) {
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_FAILURE;
	}
	if (args->len != 2)
		g_set_error_literal(&error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
				    /* TRANSLATORS: usage error; keep “dump” */
				    _("dump takes a domain and a file."));
	else if (format_arg != NULL && !vmem_dump_format_from_string(format_arg, &format))
		g_set_error(&error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			    /* TRANSLATORS: %s is what was given; keep --format and the names */
			    _("--format takes elf, kdump-zlib, kdump-lzo, kdump-snappy or win-dmp, "
			      "not “%s”."),
			    format_arg);
	else
		vmem_ctl_job_check_file(args->pdata[1], &error);
	if (error != NULL) {
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_FAILURE;
	}

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
	vmem_ctl_job_start(&job, save, cancellable, json);
	vmem_save_dump_async(save, name, args->pdata[1], format, cancellable, vmem_ctl_on_done,
			     &pending);
	result = vmem_ctl_run_until_done(&pending);
	vmem_ctl_job_stop(&job);
	dumped = vmem_save_dump_finish(save, result, &error);
	if (dumped == NULL) {
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_ERROR;
	}
	if (json) {
		g_autoptr(json_object) root = vmem_ctl_job_json("dump", dumped);

		json_object_object_add(root, "format",
				       json_object_new_string(vmem_dump_format_to_string(format)));
		vmem_ctl_print_json(root);
	} else {
		vmem_ctl_job_print("dump", dumped);
	}
	return VMEM_CTL_EXIT_OK;
}
