/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemctl validate FILE... [--json]: the configuration doctor.
 * Exit 0 without errors (warnings allowed), 1 with an error finding, 2
 * when a file cannot be read or is not a well-formed domain.  It never
 * connects to a VMM, so it never exits with VMEM_CTL_EXIT_ERROR.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <json-c/json.h>
#include <libxml/xmlerror.h>

#include "virtmemctl.h"
#include "vmem-domain.h"
#include "vmem-json.h"

/* The code of a file that could not be read or parsed */
#define CODE_UNREADABLE "unreadable"
#define CODE_UNPARSEABLE "unparseable"

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

	if (!g_file_get_contents(file, &xml, &len, &error)) {
		vmem_findings_add(findings, VMEM_SEVERITY_ERROR, CODE_UNREADABLE, "/", "%s",
				  error->message);
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
	if (json)
		g_print("%s\n",
			json_object_to_json_string_ext(
				array, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	return status;
}
