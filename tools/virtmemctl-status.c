/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemctl status: virtmemd's view over D-Bus, the manager and each
 * managed domain (or one).
 */
#include "config.h"

#include <glib/gi18n.h>

#include "virtmemctl-daemon.h"
#include "vmem-error.h"
#include "vmem-json.h"

int
vmem_ctl_status(VmemCtl *ctl, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GPtrArray) args = NULL;
	g_autoptr(GDBusConnection) bus = NULL;
	g_autoptr(GVariant) manager = NULL;
	g_autoptr(GVariant) objects = NULL;
	g_autoptr(GPtrArray) domains =
		g_ptr_array_new_with_free_func((GDestroyNotify)g_variant_unref);
	gboolean json = FALSE;
	const GOptionEntry entries[] = {
		/* TRANSLATORS: help of --json */
		{"json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL},
		{NULL},
	};

	context = vmem_ctl_option_context_new(
		"status",
		/* TRANSLATORS: the argument of `virtmemctl status` in its --help */
		_("[DOMAIN]"),
		/* TRANSLATORS: summary of `virtmemctl status --help`; keep DOMAIN and
		   virtmemd */
		_("Show what virtmemd, the policy daemon, manages and decides: the host, and "
		  "each managed domain or only DOMAIN, given by name or UUID. Exits with 12 "
		  "when virtmemd does not run."),
		entries);
	if (!vmem_ctl_parse_options(context, &argc, &argv, &args, &error) || args->len > 1) {
		if (error == NULL)
			g_set_error_literal(&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
					    /* TRANSLATORS: usage error; keep “status” */
					    _("status takes at most one domain."));
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_FAILURE;
	}
	if (!vmem_ctl_daemon_read(&bus, &manager, &objects, &error)) {
		vmem_ctl_print_error(ctl, error);
		return g_error_matches(error, VMEM_ERROR, VMEM_ERROR_NOT_RUNNING)
			       ? VMEM_CTL_EXIT_NO_DAEMON
			       : VMEM_CTL_EXIT_ERROR;
	}
	if (args->len == 1) {
		GVariant *props = vmem_ctl_daemon_find_domain(objects, args->pdata[0], NULL);

		if (props == NULL) {
			g_set_error(&error, VMEM_ERROR, VMEM_ERROR_NOT_FOUND,
				    /* TRANSLATORS: %s is what the user gave */
				    _("virtmemd manages no domain with the name or UUID “%s”."),
				    (const char *)args->pdata[0]);
			vmem_ctl_print_error(ctl, error);
			return VMEM_CTL_EXIT_ERROR;
		}
		g_ptr_array_add(domains, props);
	} else {
		GVariantIter iter;
		GVariant *ifaces;

		g_variant_iter_init(&iter, objects);
		while (g_variant_iter_next(&iter, "{&o@a{sa{sv}}}", NULL, &ifaces)) {
			GVariant *props = g_variant_lookup_value(ifaces, "org.virtmem.Domain1",
								 G_VARIANT_TYPE_VARDICT);

			if (props != NULL)
				g_ptr_array_add(domains, props);
			g_variant_unref(ifaces);
		}
	}

	if (json) {
		g_autoptr(json_object) root = json_object_new_object();
		json_object *array = json_object_new_array();

		json_object_object_add(root, "manager", vmem_ctl_daemon_manager_to_json(manager));
		for (guint i = 0; i < domains->len; i++)
			json_object_array_add(array,
					      vmem_ctl_daemon_domain_to_json(domains->pdata[i]));
		json_object_object_add(root, "domains", array);
		vmem_ctl_print_json(root);
	} else {
		g_autofree char *text = vmem_ctl_daemon_format_manager(manager);

		g_print("%s", text);
		if (domains->len == 0)
			/* TRANSLATORS: in `virtmemctl status` */
			g_print("%s\n", _("No managed domain."));
		for (guint i = 0; i < domains->len; i++) {
			g_autofree char *domain = vmem_ctl_daemon_format_domain(domains->pdata[i]);

			g_print("\n%s", domain);
		}
	}
	return VMEM_CTL_EXIT_OK;
}
