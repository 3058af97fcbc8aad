/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemctl: global options and the table of subcommands.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "virtmemctl.h"
#include "vmem-i18n.h"

/* In `virtmemctl --help`: per command, its arguments and one line on what
 * it does. */
static const VmemCtlCommand vmem_ctl_commands[] = {
	{"validate",
	 /* TRANSLATORS: arguments of `virtmemctl validate`; keep --json */
	 N_("FILE… [--json]"),
	 /* TRANSLATORS: what `virtmemctl validate` does, in --help */
	 N_("Check domain XML files: virtio-mem devices and the virtmem policy"),
	 vmem_ctl_validate},
	{"list",
	 /* TRANSLATORS: arguments of `virtmemctl list`; keep --json */
	 N_("[--json]"),
	 /* TRANSLATORS: what `virtmemctl list` does, in --help */
	 N_("List the domains that have virtio-mem devices"), vmem_ctl_list},
	{"show",
	 /* TRANSLATORS: arguments of `virtmemctl show`; keep --json */
	 N_("DOMAIN [--json]"),
	 /* TRANSLATORS: what `virtmemctl show` does, in --help */
	 N_("Show a domain's virtio-mem devices and where each resize stands"), vmem_ctl_show},
	{"resize",
	 /* TRANSLATORS: arguments of `virtmemctl resize`; keep the --options */
	 N_("DOMAIN SIZE [--alias A | --node N] [--live] [--config] [--wait]"),
	 /* TRANSLATORS: what `virtmemctl resize` does, in --help */
	 N_("Set how much virtio-mem memory a domain has plugged"), vmem_ctl_resize},
	{"agent",
	 /* TRANSLATORS: arguments of `virtmemctl agent`; keep the --options */
	 N_("DOMAIN [--json] [--watch]"),
	 /* TRANSLATORS: what `virtmemctl agent` does, in --help */
	 N_("Show the guest's view of its memory, from virtmem-agent"), vmem_ctl_agent},
};

static char *
vmem_ctl_commands_help(void)
{
	/* TRANSLATORS: heading of the list of commands in `virtmemctl --help` */
	g_autoptr(GString) text = g_string_new(_("Commands:"));

	g_string_append_c(text, '\n');
	for (guint i = 0; i < G_N_ELEMENTS(vmem_ctl_commands); i++) {
		const VmemCtlCommand *cmd = &vmem_ctl_commands[i];

		g_string_append_printf(text, "  %-10s %s\n  %-10s   %s\n", cmd->name,
				       _(cmd->synopsis), "", _(cmd->summary));
	}
	/* TRANSLATORS: COMMAND is a placeholder, keep --help */
	g_string_append(text, _("Run “virtmemctl COMMAND --help” for the options of a command."));
	return g_string_free(g_steal_pointer(&text), FALSE);
}

static const VmemCtlCommand *
vmem_ctl_find_command(const char *name)
{
	for (guint i = 0; i < G_N_ELEMENTS(vmem_ctl_commands); i++) {
		if (g_str_equal(vmem_ctl_commands[i].name, name))
			return &vmem_ctl_commands[i];
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *commands_help = NULL;
	g_autofree char *uri = NULL;
	gboolean version = FALSE;
	const VmemCtlCommand *cmd;
	VmemCtl ctl = {0};
	const GOptionEntry entries[] = {
		{"connect", 'c', 0, G_OPTION_ARG_STRING, &uri,
		 /* TRANSLATORS: help of -c */
		 N_("Connect to URI: a libvirt URI, or qmp+unix:///PATH for a plain QEMU "
		    "(see virtmemctl(1))"),
		 /* TRANSLATORS: the argument of -c in --help */
		 N_("URI")},
		{"version", 0, 0, G_OPTION_ARG_NONE, &version,
		 /* TRANSLATORS: help of --version */
		 N_("Show the version and exit"), NULL},
		{NULL},
	};

	vmem_i18n_init();
	g_set_prgname("virtmemctl");
	/* TRANSLATORS: the arguments in `virtmemctl --help` */
	context = g_option_context_new(_("COMMAND [ARGUMENT…] — manage dynamic VM memory"));
	g_option_context_add_main_entries(context, entries, GETTEXT_PACKAGE);
	g_option_context_set_translation_domain(context, GETTEXT_PACKAGE);
	g_option_context_set_strict_posix(context, TRUE);
	commands_help = vmem_ctl_commands_help();
	g_option_context_set_description(context, commands_help);
	if (!g_option_context_parse(context, &argc, &argv, &error)) {
		g_printerr("virtmemctl: %s\n", error->message);
		return VMEM_CTL_EXIT_FAILURE;
	}
	if (version) {
		g_print("virtmemctl %s\n", PACKAGE_VERSION);
		return VMEM_CTL_EXIT_OK;
	}
	if (argc < 2) {
		g_autofree char *help = g_option_context_get_help(context, TRUE, NULL);

		g_printerr("%s", help);
		return VMEM_CTL_EXIT_FAILURE;
	}
	cmd = vmem_ctl_find_command(argv[1]);
	if (cmd == NULL) {
		/* TRANSLATORS: %s is what the user typed as a command */
		g_printerr(_("virtmemctl: unknown command “%s”; see virtmemctl --help.\n"),
			   argv[1]);
		return VMEM_CTL_EXIT_FAILURE;
	}
	ctl.uri = uri;
	ctl.prgname = "virtmemctl";
	return cmd->run(&ctl, argc - 1, argv + 1);
}
