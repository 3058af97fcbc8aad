/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemctl validate FILE... [--json]: the configuration doctor.
 * Exit 0 without errors (warnings allowed), 1 with an error finding, 2
 * when a file cannot be read, is too large or is not a well-formed domain.
 * FILE - is the standard input.  It never connects to a VMM, so it never
 * exits with VMEM_CTL_EXIT_ERROR.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <json-c/json.h>
#include <libxml/xmlerror.h>

#include "virtmemctl.h"
#include "vmem-domain.h"
#include "vmem-error.h"
#include "vmem-json.h"
#include "vmem-size.h"

/* The code of a file that could not be read, is too large, or is not a
 * well-formed domain */
#define CODE_UNREADABLE "unreadable"
#define CODE_TOO_LARGE "too-large"
#define CODE_UNPARSEABLE "unparseable"

/* The largest input validate reads (virtmemctl(1)): domain XML is a few
 * KiB, so anything near this is not domain XML, and reading on would only
 * fill memory (/dev/zero, a FIFO that never ends). */
#define VMEM_CTL_VALIDATE_MAX_BYTES (16 * 1024 * 1024)

/* One finding of `validate --json`; its keys are in virtmemctl(1). */
static void
vmem_ctl_validate_add_json(json_object *array, const char *file, const VmemFinding *finding)
{
	json_object *obj = json_object_new_object();

	json_object_object_add(obj, "file", json_object_new_string(file));
	json_object_object_add(obj, "severity",
			       json_object_new_string(vmem_severity_to_string(finding->severity)));
	json_object_object_add(obj, "code", json_object_new_string(finding->code));
	json_object_object_add(obj, "location", json_object_new_string(finding->location));
	json_object_object_add(obj, "message", json_object_new_string(finding->message));
	json_object_array_add(array, obj);
}

/* libxml2 prints some errors (bad encodings) itself; the GError says it all. */
static void G_GNUC_PRINTF(2, 3) vmem_ctl_validate_quiet(void *ctx, const char *msg, ...)
{
}

/* Checks one file; appends its findings and returns its exit status. */
static int
vmem_ctl_validate_file(const char *file, GPtrArray *findings)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemDomainDef) domain = NULL;
	g_autofree char *xml = NULL;
	gsize len = 0;

	if (!vmem_ctl_read_input(file, VMEM_CTL_VALIDATE_MAX_BYTES, "virtmemctl validate", &xml,
				 &len, &error)) {
		vmem_findings_add(findings, VMEM_SEVERITY_ERROR,
				  g_error_matches(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA)
					  ? CODE_TOO_LARGE
					  : CODE_UNREADABLE,
				  "/", "%s", error->message);
		return VMEM_CTL_EXIT_FAILURE;
	}
	domain = vmem_validate_xml(xml, len, findings, &error);
	if (domain == NULL) {
		vmem_findings_add(findings, VMEM_SEVERITY_ERROR, CODE_UNPARSEABLE, "/", "%s",
				  error->message);
		return VMEM_CTL_EXIT_FAILURE;
	}
	return vmem_findings_has_error(findings) ? VMEM_CTL_EXIT_FINDINGS : VMEM_CTL_EXIT_OK;
}

/**
 * vmem_ctl_validate:
 * @ctl: the global options
 * @argc: number of arguments
 * @argv: `validate` and its arguments
 *
 * Runs `virtmemctl validate`.
 *
 * Returns: a #VmemCtlExit
 */
int
vmem_ctl_validate(VmemCtl *ctl, int argc, char **argv)
{
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) files = NULL;
	g_autofree char *max = NULL;
	g_autofree char *description = NULL;
	gboolean json = FALSE;
	g_autoptr(json_object) array = json_object_new_array();
	int status = VMEM_CTL_EXIT_OK;
	const GOptionEntry entries[] = {
		{"json", 0, 0, G_OPTION_ARG_NONE, &json,
		 /* TRANSLATORS: help of validate --json */
		 N_("Print the findings as a JSON array"), NULL},
		{G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL,
		 /* TRANSLATORS: the arguments of validate in its --help */
		 N_("FILE…")},
		{NULL},
	};

	g_set_prgname("virtmemctl validate");
	xmlSetGenericErrorFunc(NULL, vmem_ctl_validate_quiet);
	/* TRANSLATORS: after the arguments in `virtmemctl validate --help` */
	context = g_option_context_new(_("— check domain XML for virtio-mem and policy mistakes"));
	max = vmem_size_format(VMEM_CTL_VALIDATE_MAX_BYTES);
	description = g_strdup_printf(
		/* TRANSLATORS: the end of `virtmemctl validate --help`; %s is a size such
		   as "16 MiB"; keep “-” */
		_("A FILE of “-” is the standard input. A file larger than %s is refused."), max);
	g_option_context_set_description(context, description);
	g_option_context_add_main_entries(context, entries, GETTEXT_PACKAGE);
	g_option_context_set_translation_domain(context, GETTEXT_PACKAGE);
	if (!g_option_context_parse(context, &argc, &argv, &error) || files == NULL) {
		if (error == NULL)
			g_set_error_literal(&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
					    /* TRANSLATORS: usage error when no FILE is given;
					       keep “validate” */
					    _("validate needs at least one FILE."));
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_FAILURE;
	}
	for (guint i = 0; files[i] != NULL; i++) {
		g_autoptr(GPtrArray) findings = vmem_findings_new();
		int file_status = vmem_ctl_validate_file(files[i], findings);

		status = MAX(status, file_status);
		for (guint j = 0; j < findings->len; j++) {
			const VmemFinding *finding = g_ptr_array_index(findings, j);
			g_autofree char *line = vmem_finding_to_string(finding);

			if (json)
				vmem_ctl_validate_add_json(array, files[i], finding);
			else if (file_status == VMEM_CTL_EXIT_FAILURE)
				g_printerr("%s: %s\n", files[i], line);
			else
				g_print("%s: %s\n", files[i], line);
		}
	}
	/* UTF-8 whatever the locale, like every --json */
	if (json)
		vmem_ctl_print_json(array);
	return status;
}
