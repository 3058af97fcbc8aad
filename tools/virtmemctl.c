/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemctl: global options and the table of subcommands.
 */
#include "config.h"

#include <gio/gunixinputstream.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <unistd.h>

#include "virtmemctl.h"
#include "virtmemctl-agent-view.h"
#include "virtmemctl-daemon.h"
#include "vmem-error.h"
#include "vmem-i18n.h"
#include "vmem-size.h"

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
	 N_("DOMAIN SIZE [--alias ALIAS | --node NODE] [--live] [--config] [--wait [--timeout "
	    "SECONDS]] [--force] | DOMAIN --resume"),
	 /* TRANSLATORS: what `virtmemctl resize` does, in --help */
	 N_("Set how much virtio-mem memory a domain has plugged"), vmem_ctl_resize},
	{"agent",
	 /* TRANSLATORS: arguments of `virtmemctl agent`; keep the --options */
	 N_("DOMAIN [--json] [--watch]"),
	 /* TRANSLATORS: what `virtmemctl agent` does, in --help */
	 N_("Show the guest's view of its memory, from virtmem-agent"), vmem_ctl_agent},
	{"policy",
	 /* TRANSLATORS: arguments of `virtmemctl policy`; keep get, set, simulate and the
	    --options */
	 N_("get DOMAIN [--json] [--live|--config] | set DOMAIN [--mode MODE] [--min SIZE] "
	    "[--max SIZE] [--buffer PERCENT] [--step SIZE] [--cooldown-grow SECONDS] "
	    "[--cooldown-shrink SECONDS] [--priority N] [--squeeze yes|no] [--live] [--config] | "
	    "simulate SCENARIO.json [--json] [--engine virtmem|balancer|mom|static]"),
	 /* TRANSLATORS: what `virtmemctl policy` does, in --help */
	 N_("Show or change a domain's virtmem policy, or run the policy engine on a "
	    "scenario of modelled guests, offline"),
	 vmem_ctl_policy},
	{"save",
	 /* TRANSLATORS: arguments of `virtmemctl save`; keep the --options */
	 N_("DOMAIN FILE [--squeeze[=SIZE]] [--format sparse|raw] [--parallel N] "
	    "[--bypass-cache] [--running|--paused] [--json]"),
	 /* TRANSLATORS: what `virtmemctl save` does, in --help */
	 N_("Save a domain to a file, only the memory it plugged"), vmem_ctl_save},
	{"restore",
	 /* TRANSLATORS: arguments of `virtmemctl restore`; keep the --options */
	 N_("FILE [--paused|--running] [--bypass-cache] [--json]"),
	 /* TRANSLATORS: what `virtmemctl restore` does, in --help */
	 N_("Restore a saved domain and grow it back to its target"), vmem_ctl_restore},
	{"dump",
	 /* TRANSLATORS: arguments of `virtmemctl dump`; keep the --options and formats */
	 N_("DOMAIN FILE [--format elf|kdump-zlib|kdump-lzo|kdump-snappy|win-dmp] [--json]"),
	 /* TRANSLATORS: what `virtmemctl dump` does, in --help */
	 N_("Dump a domain's memory to a file, only the memory it plugged"), vmem_ctl_dump},
	{"migrate",
	 /* TRANSLATORS: arguments of `virtmemctl migrate`; keep the --options */
	 N_("DOMAIN DEST-URI [--squeeze[=SIZE]] [--live] [--persistent] [--undefine-source] "
	    "[--xml FILE] [--migrate-uri URI] [--timeout SECONDS] [--json]"),
	 /* TRANSLATORS: what `virtmemctl migrate` does, in --help */
	 N_("Migrate a domain to another libvirt, only the memory it plugged, and check "
	    "that its devices and policy arrived"),
	 vmem_ctl_migrate},
	{"status",
	 /* TRANSLATORS: arguments of `virtmemctl status`; keep --json */
	 N_("[DOMAIN] [--json]"),
	 /* TRANSLATORS: what `virtmemctl status` does, in --help; keep virtmemd */
	 N_("Show what virtmemd manages and decides, over D-Bus"), vmem_ctl_status},
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
	g_string_append_c(text, '\n');
	g_string_append(text,
			/* TRANSLATORS: in `virtmemctl --help`; keep DOMAIN, SIZE, the
			   units and “--” */
			_("DOMAIN is a domain's name, id or UUID, as in virsh. SIZE is a whole "
			  "number with an optional unit, such as 512M or 2G; a number without unit "
			  "is in KiB, as in virsh. Put “--” before an argument that begins with a "
			  "dash."));
	g_string_append_c(text, '\n');
	/* TRANSLATORS: COMMAND is a placeholder, keep --help */
	g_string_append(text, _("Run “virtmemctl COMMAND --help” for the options of a command."));
	return g_string_free(g_steal_pointer(&text), FALSE);
}

/**
 * vmem_ctl_option_context_new:
 * @command: the subcommand, such as "resize"
 * @parameters: (nullable): its arguments for the usage line, translated
 * @summary: what it does, translated
 * @entries: its options
 *
 * The option parser of a subcommand: its `--help` says
 * `virtmemctl COMMAND [OPTION…] PARAMETERS`.  Parse with
 * vmem_ctl_parse_options().
 *
 * Returns: (transfer full): the parser
 */
/* The options of the subcommand this process runs, for
 * vmem_ctl_parse_options() */
static const GOptionEntry *vmem_ctl_command_entries;

GOptionContext *
vmem_ctl_option_context_new(const char *command, const char *parameters, const char *summary,
			    const GOptionEntry *entries)
{
	g_autofree char *prgname = g_strconcat("virtmemctl ", command, NULL);
	GOptionContext *context = g_option_context_new(parameters);

	vmem_ctl_command_entries = entries;

	/* the usage line of --help and GOption's messages name the command */
	g_set_prgname(prgname);
	g_option_context_set_summary(context, summary);
	g_option_context_add_main_entries(context, entries, GETTEXT_PACKAGE);
	g_option_context_set_translation_domain(context, GETTEXT_PACKAGE);
	/* "-1" is a negative size, not an option: the arguments are sorted
	 * out by vmem_ctl_parse_options() */
	g_option_context_set_ignore_unknown_options(context, TRUE);
	return context;
}

/* "-1", "-1G", "-.5G": a negative number, which the caller refuses as such */
static gboolean
vmem_ctl_is_negative_number(const char *arg)
{
	return arg[0] == '-' && (g_ascii_isdigit(arg[1]) || arg[1] == '.');
}

/* Whether the long option @arg ("--name", without "=VALUE") takes the next
 * argument as its value */
static gboolean
vmem_ctl_takes_value(const char *arg)
{
	for (const GOptionEntry *e = vmem_ctl_command_entries; e != NULL && e->long_name != NULL;
	     e++) {
		if (g_str_equal(arg + 2, e->long_name))
			return e->arg != G_OPTION_ARG_NONE;
	}
	return FALSE;
}

static void
vmem_ctl_set_unknown_option(GError **error, const char *arg)
{
	g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION,
		    /* TRANSLATORS: 1 what the user gave, 2 the command, such as
		       “virtmemctl resize”; keep --help and “--” */
		    _("Unknown option %1$s: see “%2$s --help”. Put “--” before an argument "
		      "that begins with a dash."),
		    arg, g_get_prgname());
}

/**
 * vmem_ctl_parse_options:
 * @context: from vmem_ctl_option_context_new()
 * @argc: (inout): the subcommand's argument count
 * @argv: (inout): its arguments, the subcommand's name first
 * @ret_args: (out) (element-type utf8): the arguments that are not options,
 *   pointing into @argv
 * @error: return location for a #G_OPTION_ERROR
 *
 * Parses the options like virsh: anywhere among the arguments, until
 * `--`, after which everything is an argument (a domain named `-dash`).
 * An unknown option is an error; a negative number is an argument, so
 * that the size parser can say it is negative.
 */
gboolean
vmem_ctl_parse_options(GOptionContext *context, int *argc, char ***argv, GPtrArray **ret_args,
		       GError **error)
{
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	gboolean only_args = FALSE;

	/* The subcommands have long options only (and -h): GOption would read
	 * "-dash" as -d -a -s -h, and show the help. */
	for (int i = 1; i < *argc; i++) {
		const char *arg = (*argv)[i];

		if (g_str_equal(arg, "--"))
			break;
		if (g_str_has_prefix(arg, "--")) {
			if (strchr(arg, '=') == NULL && vmem_ctl_takes_value(arg))
				i++;
		} else if (arg[0] == '-' && strlen(arg) > 2 && !vmem_ctl_is_negative_number(arg)) {
			vmem_ctl_set_unknown_option(error, arg);
			return FALSE;
		}
	}
	if (!g_option_context_parse(context, argc, argv, error))
		return FALSE;
	for (int i = 1; i < *argc; i++) {
		const char *arg = (*argv)[i];

		if (!only_args && g_str_equal(arg, "--")) {
			only_args = TRUE;
			continue;
		}
		if (!only_args && arg[0] == '-' && arg[1] != '\0' &&
		    !vmem_ctl_is_negative_number(arg)) {
			vmem_ctl_set_unknown_option(error, arg);
			return FALSE;
		}
		g_ptr_array_add(args, (gpointer)arg);
	}
	*ret_args = g_steal_pointer(&args);
	return TRUE;
}

/**
 * vmem_ctl_print_json_text:
 * @text: a JSON document
 *
 * Prints @text and a newline as bytes: JSON is UTF-8 whatever the locale,
 * where g_print() would convert it to the locale's character set (and
 * write "?" for what that lacks).
 */
void
vmem_ctl_print_json_text(const char *text)
{
	g_autofree char *valid = NULL;

	if (!g_utf8_validate(text, -1, NULL))
		text = valid = g_utf8_make_valid(text, -1);
	fwrite(text, 1, strlen(text), stdout);
	if (!g_str_has_suffix(text, "\n"))
		fputc('\n', stdout);
	fflush(stdout);
}

/**
 * vmem_ctl_print_json:
 * @value: what a `--json` prints
 *
 * Prints @value as every `--json` of virtmemctl does (VMEM_CTL_JSON_FLAGS),
 * see vmem_ctl_print_json_text().
 */
void
vmem_ctl_print_json(json_object *value)
{
	vmem_ctl_print_json_text(json_object_to_json_string_ext(value, VMEM_CTL_JSON_FLAGS));
}

/* Input is read in pieces of this size */
#define VMEM_CTL_READ_CHUNK (64 * 1024)

static GInputStream *
vmem_ctl_open_input(const char *file, GError **error)
{
	g_autoptr(GFile) path = NULL;

	if (g_str_equal(file, "-"))
		return g_unix_input_stream_new(STDIN_FILENO, FALSE);
	path = g_file_new_for_path(file);
	return G_INPUT_STREAM(g_file_read(path, NULL, error));
}

static void
vmem_ctl_set_too_large(const char *file, gsize max, const char *command, GError **error)
{
	g_autofree char *size = vmem_size_format(max);
	g_autofree char *name = NULL;

	if (g_str_equal(file, "-")) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %1$s is a size such as "16 MiB", %2$s a command
			     * such as "virtmemctl validate" */
			    _("The standard input is larger than %1$s, the most %2$s reads."), size,
			    command);
		return;
	}
	name = g_filename_display_name(file);
	g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
		    /* TRANSLATORS: %1$s is a file name, %2$s a size such as "16 MiB", %3$s
		     * a command such as "virtmemctl validate" */
		    _("The file %1$s is larger than %2$s, the most %3$s reads."), name, size,
		    command);
}

/**
 * vmem_ctl_read_input:
 * @file: a file name, or "-" for the standard input
 * @max: the most bytes it may have
 * @command: who reads, such as "virtmemctl validate", for the error
 * @ret_data: (out): its bytes, NUL-terminated
 * @ret_len: (out): how many
 *
 * Reads all of @file in pieces, but never more than @max + 1 bytes: a
 * file larger than @max is a %VMEM_ERROR_INVALID_DATA error, whatever it
 * is (/dev/zero and a FIFO have no size to look at).  Other failures are
 * GIO errors.
 */
gboolean
vmem_ctl_read_input(const char *file, gsize max, const char *command, char **ret_data,
		    gsize *ret_len, GError **error)
{
	g_autoptr(GInputStream) stream = vmem_ctl_open_input(file, error);
	g_autofree char *data = NULL;
	gsize len = 0, allocated = 0;

	if (stream == NULL)
		return FALSE;
	for (;;) {
		gsize want, got = 0;

		if (len == allocated) {
			/* grow to at most max + 1 bytes, one more than a valid file has */
			allocated = MIN(MAX(2 * allocated, VMEM_CTL_READ_CHUNK), max + 1);
			data = g_realloc(data, allocated + 1);
		}
		want = MIN(allocated - len, VMEM_CTL_READ_CHUNK);
		if (!g_input_stream_read_all(stream, data + len, want, &got, NULL, error))
			return FALSE;
		len += got;
		if (len > max) {
			vmem_ctl_set_too_large(file, max, command, error);
			return FALSE;
		}
		if (got < want)
			break;
	}
	data[len] = '\0';
	*ret_data = g_steal_pointer(&data);
	*ret_len = len;
	return TRUE;
}

struct _VmemCtlTable {
	guint n_columns;
	GPtrArray *rows; /* (element-type GStrv): the headings first */
	gboolean *right_aligned;
};

/**
 * vmem_ctl_table_new:
 * @n_columns: how many columns
 * @headings: (array length=n_columns): the column headings
 * @right_aligned: (array length=n_columns) (nullable): which columns are
 *   right-aligned (numbers and sizes); %NULL for none
 *
 * A table for people, like virsh's: each column as wide as its widest
 * cell as a terminal shows it (a wide character takes two columns, a
 * combining one none).
 */
VmemCtlTable *
vmem_ctl_table_new(guint n_columns, const char *const *headings, const gboolean *right_aligned)
{
	VmemCtlTable *table = g_new0(VmemCtlTable, 1);

	table->n_columns = n_columns;
	table->rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	table->right_aligned = g_new0(gboolean, n_columns);
	if (right_aligned != NULL)
		memcpy(table->right_aligned, right_aligned, n_columns * sizeof(gboolean));
	vmem_ctl_table_add_row(table, headings);
	return table;
}

/**
 * vmem_ctl_table_add_row:
 * @cells: (array length=n_columns): the row; %NULL cells are empty
 */
void
vmem_ctl_table_add_row(VmemCtlTable *table, const char *const *cells)
{
	char **row = g_new0(char *, table->n_columns + 1);

	for (guint i = 0; i < table->n_columns; i++)
		row[i] = g_strdup(cells[i] != NULL ? cells[i] : "");
	g_ptr_array_add(table->rows, row);
}

void
vmem_ctl_table_free(VmemCtlTable *table)
{
	g_ptr_array_unref(table->rows);
	g_free(table->right_aligned);
	g_free(table);
}

/* How many terminal columns @text takes when printed */
static gsize
vmem_ctl_text_width(const char *text)
{
	gsize width = 0;

	if (!g_utf8_validate(text, -1, NULL))
		return strlen(text);
	/* Outside a UTF-8 locale g_print() writes a character, or "?", per
	 * character. */
	if (!g_get_charset(NULL))
		return (gsize)g_utf8_strlen(text, -1);
	for (const char *p = text; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (g_unichar_iszerowidth(c))
			continue;
		width += g_unichar_iswide(c) ? 2 : 1;
	}
	return width;
}

/**
 * vmem_ctl_table_format:
 *
 * Returns: (transfer full): the table, a line per row, the columns two
 *   spaces apart, for g_print()
 */
char *
vmem_ctl_table_format(VmemCtlTable *table)
{
	g_autofree gsize *widths = g_new0(gsize, table->n_columns);
	g_autoptr(GString) out = g_string_new(NULL);

	for (guint r = 0; r < table->rows->len; r++) {
		char **row = table->rows->pdata[r];

		for (guint c = 0; c < table->n_columns; c++)
			widths[c] = MAX(widths[c], vmem_ctl_text_width(row[c]));
	}
	for (guint r = 0; r < table->rows->len; r++) {
		char **row = table->rows->pdata[r];
		gsize line_start = out->len;

		for (guint c = 0; c < table->n_columns; c++) {
			gsize pad = widths[c] - vmem_ctl_text_width(row[c]);

			if (c > 0)
				g_string_append(out, "  ");
			if (table->right_aligned[c])
				g_string_append_printf(out, "%*s", (int)pad, "");
			g_string_append(out, row[c]);
			if (!table->right_aligned[c])
				g_string_append_printf(out, "%*s", (int)pad, "");
		}
		/* no spaces at the end of a line */
		while (out->len > line_start && out->str[out->len - 1] == ' ')
			g_string_truncate(out, out->len - 1);
		g_string_append_c(out, '\n');
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
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
