/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemctl, the one command line tool of virtmem.  Each subcommand is one
 * file `virtmemctl-NAME.c` with one entry point declared here and one line
 * in the table of virtmemctl.c.
 */
#pragma once

#include <glib.h>
#include <json-c/json.h>

#include "vmem-agent-channel.h"
#include "vmem-backend.h"
#include "vmem-save.h"
#include "vmem-squeeze.h"

G_BEGIN_DECLS

/*
 * Exit statuses shared by all subcommands, documented in virtmemctl(1),
 * section EXIT STATUS.  Each value means one thing for every command.
 *
 * FINDINGS and ERROR differ: `validate` never connects to a VMM, so it
 * never returns ERROR, and its documented statuses (0 no error finding,
 * 1 an error finding, 2 a file unreadable or not a domain) stay as they
 * are; the commands that talk to a VMM never return FINDINGS.  A script
 * can thus tell "the configuration is wrong" from "the VMM said no" by
 * the status alone.  ERROR comes after the outcomes of `resize --wait`
 * (3 to 8), whose numbers are documented and kept.
 */
typedef enum {
	VMEM_CTL_EXIT_OK = 0,	    /* done; warnings allowed */
	VMEM_CTL_EXIT_FINDINGS = 1, /* validate: a file has an error finding */
	VMEM_CTL_EXIT_FAILURE = 2,  /* could not do it: bad usage, unreadable input */
	/* The outcomes of `resize --wait` that are not success: */
	VMEM_CTL_EXIT_TIMEOUT = 3,     /* still moving when --timeout ran out */
	VMEM_CTL_EXIT_STUCK = 4,       /* the guest cannot unplug more */
	VMEM_CTL_EXIT_NO_DRIVER = 5,   /* the guest plugs nothing: no virtio_mem driver */
	VMEM_CTL_EXIT_BUSY = 6,	       /* migrating or saving: QEMU refuses changes */
	VMEM_CTL_EXIT_NOT_RUNNING = 7, /* the domain stopped */
	VMEM_CTL_EXIT_UNSAFE = 8,      /* shrink refused: the guest uses that memory */
	/* The VMM refused or failed; no such domain or device; a size the
	 * devices cannot reach; no answer from the guest agent */
	VMEM_CTL_EXIT_ERROR = 9,
	VMEM_CTL_EXIT_NOT_ONLINE = 10,	 /* plugged, but the guest left it offline */
	VMEM_CTL_EXIT_PLUG_STALLED = 11, /* the guest stopped plugging */
	VMEM_CTL_EXIT_NO_DAEMON = 12,	 /* status, resize --resume: virtmemd is not running */
} VmemCtlExit;

/**
 * VmemCtl:
 * @uri: (nullable): the libvirt URI given with `-c`, %NULL for the default
 * @prgname: the program name for messages
 *
 * What the global options set, handed to every subcommand.
 */
typedef struct {
	const char *uri;
	const char *prgname;
} VmemCtl;

/**
 * VmemCtlCommandFunc:
 * @ctl: the global options
 * @argc: number of arguments, the subcommand name first
 * @argv: the arguments
 *
 * Returns: a #VmemCtlExit
 */
typedef int (*VmemCtlCommandFunc)(VmemCtl *ctl, int argc, char **argv);

typedef struct {
	const char *name;
	const char *synopsis; /* N_(): the arguments */
	const char *summary;  /* N_(): one line */
	VmemCtlCommandFunc run;
} VmemCtlCommand;

int vmem_ctl_validate(VmemCtl *ctl, int argc, char **argv);
int vmem_ctl_list(VmemCtl *ctl, int argc, char **argv);
int vmem_ctl_show(VmemCtl *ctl, int argc, char **argv);
int vmem_ctl_resize(VmemCtl *ctl, int argc, char **argv);
int vmem_ctl_agent(VmemCtl *ctl, int argc, char **argv);
int vmem_ctl_policy(VmemCtl *ctl, int argc, char **argv);
int vmem_ctl_save(VmemCtl *ctl, int argc, char **argv);
int vmem_ctl_restore(VmemCtl *ctl, int argc, char **argv);
int vmem_ctl_dump(VmemCtl *ctl, int argc, char **argv);
int vmem_ctl_migrate(VmemCtl *ctl, int argc, char **argv);
int vmem_ctl_status(VmemCtl *ctl, int argc, char **argv);

/* For every subcommand (virtmemctl.c) */
GOptionContext *vmem_ctl_option_context_new(const char *command, const char *parameters,
					    const char *summary, const GOptionEntry *entries);
gboolean vmem_ctl_parse_options(GOptionContext *context, int *argc, char ***argv,
				GPtrArray **ret_args, GError **error);
void vmem_ctl_print_json(json_object *value);
void vmem_ctl_print_json_text(const char *text);
gboolean vmem_ctl_read_input(const char *file, gsize max, const char *command, char **ret_data,
			     gsize *ret_len, GError **error);

/* Human output: columns aligned by what a terminal shows, not by bytes */
typedef struct _VmemCtlTable VmemCtlTable;
VmemCtlTable *vmem_ctl_table_new(guint n_columns, const char *const *headings,
				 const gboolean *right_aligned);
void vmem_ctl_table_add_row(VmemCtlTable *table, const char *const *cells);
char *vmem_ctl_table_format(VmemCtlTable *table);
void vmem_ctl_table_free(VmemCtlTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmemCtlTable, vmem_ctl_table_free)

/* For the subcommands that talk to a VMM (virtmemctl-connect.c) */
VmemBackend *vmem_ctl_connect(VmemCtl *ctl, GError **error);
char *vmem_ctl_lookup_domain(VmemBackend *backend, const char *domain, GError **error);
GAsyncResult *vmem_ctl_run_until_done(GAsyncResult **result);
void vmem_ctl_on_done(GObject *source, GAsyncResult *result, gpointer user_data);
VmemAgentChannel *vmem_ctl_ask_agent(VmemBackend *backend, const char *domain, guint timeout_ms,
				     GError **error);
void vmem_ctl_print_error(VmemCtl *ctl, const GError *error);

/* For save, restore and dump (virtmemctl-job.c) */
typedef struct {
	VmemSave *save;
	gulong progress_handler;
	gboolean printed;
	guint sigint;
	guint sigterm;
} VmemCtlJob;

void vmem_ctl_job_start(VmemCtlJob *job, VmemSave *save, GCancellable *cancellable, gboolean json);
void vmem_ctl_job_stop(VmemCtlJob *job);
json_object *vmem_ctl_job_elapsed(gint64 us);
gboolean vmem_ctl_job_check_file(const char *file, GError **error);
json_object *vmem_ctl_job_json(const char *command, const VmemSaveResult *result);
void vmem_ctl_job_print(const char *command, const VmemSaveResult *result);

/* The squeeze before a save or a migration (virtmemctl-squeeze.c) */
void vmem_ctl_take_squeeze(int *argc, char **argv, gboolean *ret_squeeze, char **ret_size);
gboolean vmem_ctl_squeeze_help(const char *name, const char *value, gpointer data, GError **error);
VmemSqueezeResult *vmem_ctl_squeeze(VmemCtl *ctl, VmemBackend *backend, const char *domain,
				    const VmemSqueezeOptions *options, GCancellable *cancellable,
				    gboolean migrate, gboolean json, int *ret_exit);
json_object *vmem_ctl_squeeze_json(const VmemSqueezeResult *squeeze);

G_END_DECLS
