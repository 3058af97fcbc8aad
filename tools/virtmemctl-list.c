/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemctl list: the domains that have virtio-mem devices.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <json-c/json.h>

#include "virtmemctl.h"
#include "virtmemctl-agent-view.h"
#include "vmem-error.h"
#include "vmem-json.h"
#include "vmem-size.h"

typedef struct {
	char *name;
	VmemRunState state;
	guint n_devices;
	guint64 size, requested, plugged;
	char *policy_mode;
} VmemCtlListRow;

static void
vmem_ctl_list_row_free(VmemCtlListRow *row)
{
	g_free(row->name);
	g_free(row->policy_mode);
	g_free(row);
}

static VmemCtlListRow *
vmem_ctl_list_row(VmemBackend *backend, const char *name, GError **error)
{
	g_autoptr(GPtrArray) devices = NULL;
	VmemCtlListRow *row;
	VmemRunState state;
	g_autoptr(VmemPolicyDef) policy = NULL;

	if (!vmem_backend_get_devices(backend, name, &devices, error) ||
	    !vmem_backend_get_run_state(backend, name, &state, error) ||
	    !vmem_backend_get_policy(backend, name, &policy, error))
		return NULL;
	row = g_new0(VmemCtlListRow, 1);
	row->name = g_strdup(name);
	row->state = state;
	row->n_devices = devices->len;
	row->policy_mode = g_strdup(policy ? vmem_policy_mode_to_string(policy->mode) : "none");
	for (guint i = 0; i < devices->len; i++) {
		const VmemDevice *dev = g_ptr_array_index(devices, i);
		row->size += dev->size;
		row->requested += dev->requested;
		row->plugged += dev->plugged;
	}
	return row;
}

static void
vmem_ctl_list_print_json(GPtrArray *rows)
{
	g_autoptr(json_object) array = json_object_new_array();

	for (guint i = 0; i < rows->len; i++) {
		const VmemCtlListRow *row = g_ptr_array_index(rows, i);
		json_object *obj = json_object_new_object();

		json_object_object_add(obj, "name", json_object_new_string(row->name));
		json_object_object_add(
			obj, "state", json_object_new_string(vmem_run_state_to_string(row->state)));
		json_object_object_add(obj, "devices", json_object_new_int(row->n_devices));
		json_object_object_add(obj, "size", json_object_new_uint64(row->size));
		json_object_object_add(obj, "requested", json_object_new_uint64(row->requested));
		json_object_object_add(obj, "plugged", json_object_new_uint64(row->plugged));
		json_object_object_add(obj, "policy", json_object_new_string(row->policy_mode));
		json_object_array_add(array, obj);
	}
	g_print("%s\n", json_object_to_json_string_ext(array, VMEM_CTL_JSON_FLAGS));
}

static void
vmem_ctl_list_print_table(GPtrArray *rows)
{
	g_print("%-20s %-10s %8s %10s %10s %10s  %s\n",
		/* TRANSLATORS: column heading of `virtmemctl list`: the domain's name */
		_("NAME"),
		/* TRANSLATORS: column heading of `virtmemctl list`: running, paused… */
		_("STATE"),
		/* TRANSLATORS: column heading of `virtmemctl list`: how many devices */
		_("DEVICES"),
		/* TRANSLATORS: column heading of `virtmemctl list`: their total size */
		_("SIZE"),
		/* TRANSLATORS: column heading of `virtmemctl list`: the size asked for */
		_("REQUESTED"),
		/* TRANSLATORS: column heading of `virtmemctl list`: the size plugged */
		_("PLUGGED"),
		/* TRANSLATORS: column heading of `virtmemctl list`: the policy mode */
		_("POLICY"));
	for (guint i = 0; i < rows->len; i++) {
		const VmemCtlListRow *row = g_ptr_array_index(rows, i);
		g_autofree char *size = vmem_size_format(row->size);
		g_autofree char *requested = vmem_size_format(row->requested);
		g_autofree char *plugged = vmem_size_format(row->plugged);

		g_print("%-20s %-10s %8u %10s %10s %10s  %s\n", row->name,
			vmem_run_state_to_string(row->state), row->n_devices, size, requested,
			plugged, row->policy_mode);
	}
}

int
vmem_ctl_list(VmemCtl *ctl, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) context = g_option_context_new(NULL);
	g_autoptr(VmemBackend) backend = NULL;
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GPtrArray) rows =
		g_ptr_array_new_with_free_func((GDestroyNotify)vmem_ctl_list_row_free);
	gboolean json = FALSE;
	const GOptionEntry entries[] = {
		/* TRANSLATORS: help of --json */
		{"json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL},
		{NULL},
	};

	/* TRANSLATORS: summary of `virtmemctl list --help` */
	g_option_context_set_summary(context, _("List the domains that have virtio-mem devices."));
	g_option_context_add_main_entries(context, entries, GETTEXT_PACKAGE);
	if (!g_option_context_parse(context, &argc, &argv, &error) || argc != 1) {
		if (error == NULL)
			g_set_error_literal(&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
					    /* TRANSLATORS: usage error; keep “list” */
					    _("list takes no arguments."));
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_FAILURE;
	}
	backend = vmem_ctl_connect(ctl, &error);
	if (backend == NULL || !vmem_backend_list_domains(backend, &names, &error)) {
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_ERROR;
	}
	for (guint i = 0; i < names->len; i++) {
		g_autoptr(GError) row_error = NULL;
		VmemCtlListRow *row =
			vmem_ctl_list_row(backend, g_ptr_array_index(names, i), &row_error);

		if (row == NULL) {
			/* A domain may vanish between the listing and the query. */
			if (!g_error_matches(row_error, VMEM_ERROR, VMEM_ERROR_NOT_FOUND)) {
				vmem_ctl_print_error(ctl, row_error);
				return VMEM_CTL_EXIT_ERROR;
			}
			continue;
		}
		if (row->n_devices == 0) {
			vmem_ctl_list_row_free(row);
			continue;
		}
		g_ptr_array_add(rows, row);
	}
	if (json)
		vmem_ctl_list_print_json(rows);
	else
		vmem_ctl_list_print_table(rows);
	return VMEM_CTL_EXIT_OK;
}
