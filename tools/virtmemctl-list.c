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
	vmem_ctl_print_json(array);
}

static void
vmem_ctl_list_print_table(GPtrArray *rows)
{
	const char *headings[] = {
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
		_("POLICY"),
	};
	const gboolean right[] = {FALSE, FALSE, TRUE, TRUE, TRUE, TRUE, FALSE};
	g_autoptr(VmemCtlTable) table = vmem_ctl_table_new(G_N_ELEMENTS(headings), headings, right);
	g_autofree char *text = NULL;

	for (guint i = 0; i < rows->len; i++) {
		const VmemCtlListRow *row = g_ptr_array_index(rows, i);
		g_autofree char *n_devices = g_strdup_printf("%u", row->n_devices);
		g_autofree char *size = vmem_size_format(row->size);
		g_autofree char *requested = vmem_size_format(row->requested);
		g_autofree char *plugged = vmem_size_format(row->plugged);
		const char *cells[] = {
			row->name,	  vmem_run_state_to_string(row->state),
			n_devices,	  size,
			requested,	  plugged,
			row->policy_mode,
		};

		vmem_ctl_table_add_row(table, cells);
	}
	text = vmem_ctl_table_format(table);
	g_print("%s", text);
}

int
vmem_ctl_list(VmemCtl *ctl, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(VmemBackend) backend = NULL;
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GPtrArray) args = NULL;
	g_autoptr(GPtrArray) rows =
		g_ptr_array_new_with_free_func((GDestroyNotify)vmem_ctl_list_row_free);
	gboolean json = FALSE;
	const GOptionEntry entries[] = {
		/* TRANSLATORS: help of --json */
		{"json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL},
		{NULL},
	};

	context = vmem_ctl_option_context_new("list", NULL,
					      /* TRANSLATORS: summary of `virtmemctl list --help` */
					      _("List the domains that have virtio-mem devices."),
					      entries);
	if (!vmem_ctl_parse_options(context, &argc, &argv, &args, &error) || args->len != 0) {
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
