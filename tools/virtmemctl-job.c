/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What `save`, `restore` and `dump` share: progress on a terminal, Ctrl-C
 * aborting libvirt's job, and the report of a finished job for people and
 * for --json.
 */
#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <signal.h>
#include <unistd.h>

#include "virtmemctl-agent-view.h"
#include "virtmemctl-daemon.h"
#include "virtmemctl.h"
#include "vmem-error.h"
#include "vmem-save-meta.h"
#include "vmem-size.h"

/**
 * vmem_ctl_job_check_file:
 * @file: where a save or dump is to go
 *
 * A usage error before connecting: the file must not exist (the job
 * never replaces one; libvirt checks again).
 */
gboolean
vmem_ctl_job_check_file(const char *file, GError **error)
{
	if (!g_file_test(file, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK))
		return TRUE;
	g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
		    /* TRANSLATORS: %s is a file name */
		    _("%s already exists; remove it first or choose another name."), file);
	return FALSE;
}

static void
vmem_ctl_job_on_progress(VmemSave *save, const VmemSaveProgress *p, gpointer user_data)
{
	gboolean *printed = user_data;
	g_autofree char *processed = vmem_size_format_rounded(p->processed);
	g_autofree char *total = vmem_size_format_rounded(p->total);
	guint percent = p->total > 0 ? (guint)(MIN(p->processed, p->total) * 100 / p->total) : 0;
	char bar[21];
	guint filled = percent / 5;

	/* nothing moves yet (a migration starting its destination) */
	if (p->processed == 0 && p->total == 0)
		return;
	memset(bar, '#', filled);
	memset(bar + filled, '.', 20 - filled);
	bar[20] = '\0';
	g_print("\r[%s] %3u%%  ", bar, percent);
	/* TRANSLATORS: progress of a save, restore or dump on a terminal, after a
	   bar and a percentage: 1 bytes done, 2 bytes in all, 3 MiB per second,
	   4 seconds */
	g_print(_("%1$s of %2$s, %3$.0f MiB/s, %4$.0f s"), processed, total,
		p->bytes_per_s / (1024.0 * 1024.0), p->elapsed_us / (double)G_USEC_PER_SEC);
	g_print("\033[K");
	*printed = TRUE;
}

static gboolean
vmem_ctl_job_on_signal(gpointer user_data)
{
	g_cancellable_cancel(user_data);
	return G_SOURCE_CONTINUE;
}

/**
 * vmem_ctl_job_start:
 * @job: the save, restore or dump about to run
 * @cancellable: cancelled on Ctrl-C (SIGINT) and SIGTERM, which aborts
 *   libvirt's job: the temporary file is then removed
 * @json: no progress with --json
 *
 * Prints @job's progress while it runs, on a terminal only.
 */
void
vmem_ctl_job_start(VmemCtlJob *job, VmemSave *save, GCancellable *cancellable, gboolean json)
{
	memset(job, 0, sizeof(*job));
	if (!json && isatty(STDOUT_FILENO))
		job->progress_handler = g_signal_connect(
			save, "progress", G_CALLBACK(vmem_ctl_job_on_progress), &job->printed);
	job->save = save;
	job->sigint = g_unix_signal_add(SIGINT, vmem_ctl_job_on_signal, cancellable);
	job->sigterm = g_unix_signal_add(SIGTERM, vmem_ctl_job_on_signal, cancellable);
}

/**
 * vmem_ctl_job_stop:
 *
 * Ends the progress line, if any, and the signal handling.
 */
void
vmem_ctl_job_stop(VmemCtlJob *job)
{
	if (job->progress_handler != 0)
		g_signal_handler_disconnect(job->save, job->progress_handler);
	job->progress_handler = 0;
	if (job->printed)
		g_print("\r\033[K");
	job->printed = FALSE;
	if (job->sigint != 0)
		g_source_remove(job->sigint);
	if (job->sigterm != 0)
		g_source_remove(job->sigterm);
	job->sigint = job->sigterm = 0;
}

/* @value rounded for people reading the JSON: 0.0001 of a ratio */
static json_object *
vmem_ctl_job_double(double value, const char *format)
{
	char text[G_ASCII_DTOSTR_BUF_SIZE];

	g_ascii_formatd(text, sizeof(text), format, value);
	return json_object_new_double_s(g_ascii_strtod(text, NULL), text);
}

/**
 * vmem_ctl_job_elapsed:
 *
 * Returns: (transfer full): @us as whole milliseconds for --json (keys
 *   ending in _ms)
 */
json_object *
vmem_ctl_job_elapsed(gint64 us)
{
	return json_object_new_int64(us / 1000);
}

/* The ratio of @part to @whole, or null when @whole is 0 */
static json_object *
vmem_ctl_job_ratio(guint64 part, guint64 whole)
{
	return whole > 0 ? vmem_ctl_job_double((double)part / (double)whole, "%.4f") : NULL;
}

/**
 * vmem_ctl_job_json:
 * @command: "save", "restore" or "dump"
 * @result: what the job did
 *
 * Returns: (transfer full): the report of --json: sizes in bytes, times
 *   in milliseconds
 */
json_object *
vmem_ctl_job_json(const char *command, const VmemSaveResult *result)
{
	json_object *root = json_object_new_object();
	guint64 limit = result->base + result->plugged;

	json_object_object_add(root, "command", json_object_new_string(command));
	json_object_object_add(root, "domain", json_object_new_string(result->domain));
	json_object_object_add(root, "file", json_object_new_string(result->file));
	json_object_object_add(root, "elapsed_ms", vmem_ctl_job_elapsed(result->elapsed_us));
	json_object_object_add(root, "base", json_object_new_uint64(result->base));
	json_object_object_add(root, "plugged", json_object_new_uint64(result->plugged));
	json_object_object_add(root, "limit", json_object_new_uint64(limit));
	if (!g_str_equal(command, "restore")) {
		json_object_object_add(root, "apparent", json_object_new_uint64(result->apparent));
		json_object_object_add(root, "allocated",
				       json_object_new_uint64(result->allocated));
		json_object_object_add(root, "allocated_to_limit",
				       vmem_ctl_job_ratio(result->allocated, limit));
	}
	if (g_str_equal(command, "save")) {
		json_object_object_add(
			root, "format",
			json_object_new_string(vmem_save_format_to_string(result->format)));
		json_object_object_add(root, "fallback_reason",
				       result->fallback_reason != NULL
					       ? json_object_new_string(result->fallback_reason)
					       : NULL);
	}
	if (g_str_equal(command, "restore")) {
		json_object_object_add(root, "running", json_object_new_boolean(result->running));
		json_object_object_add(root, "remembered",
				       result->remembered != NULL
					       ? json_object_new_uint64(vmem_saved_targets_total(
							 result->remembered))
					       : NULL);
		json_object_object_add(root, "regrow_state",
				       result->remembered != NULL && result->running &&
						       result->remembered_error == NULL
					       ? json_object_new_string(vmem_job_state_to_string(
							 result->regrow_state))
					       : NULL);
		json_object_object_add(root, "requested_after",
				       json_object_new_uint64(result->requested_after));
		json_object_object_add(root, "plugged_after",
				       json_object_new_uint64(result->plugged_after));
		json_object_object_add(root, "remembered_error",
				       result->remembered_error != NULL
					       ? json_object_new_string(result->remembered_error)
					       : NULL);
	}
	return root;
}

/**
 * vmem_ctl_job_print:
 *
 * The report of a finished save or dump for people.
 */
void
vmem_ctl_job_print(const char *command, const VmemSaveResult *result)
{
	g_autofree char *apparent = vmem_size_format_rounded(result->apparent);
	g_autofree char *allocated = vmem_size_format_rounded(result->allocated);
	g_autofree char *limit = vmem_size_format_rounded(result->base + result->plugged);
	double seconds = result->elapsed_us / (double)G_USEC_PER_SEC;

	if (g_str_equal(command, "save"))
		/* TRANSLATORS: 1 a domain, 2 a file, 3 the image format (sparse, raw),
		   4 seconds, 5, 6 and 7 sizes */
		g_print(_("%1$s saved to %2$s (%3$s) in %4$.1f s: %5$s on disk, %6$s apparent; "
			  "base memory and plugged: %7$s.\n"),
			result->domain, result->file, vmem_save_format_to_string(result->format),
			seconds, allocated, apparent, limit);
	else
		/* TRANSLATORS: 1 a domain, 2 a file, 3 seconds, 4, 5 and 6 sizes */
		g_print(_("%1$s dumped to %2$s in %3$.1f s: %4$s written, %5$s on disk; base "
			  "memory and plugged: %6$s.\n"),
			result->domain, result->file, seconds, apparent, allocated, limit);
}

/**
 * vmem_ctl_job_hold_daemon:
 * @hold: (out caller-allocates): cleared with vmem_ctl_hold_clear(), which
 *   lets virtmemd decide again (g_auto(VmemCtlHold) does it at the end of
 *   the scope)
 * @domain: the domain of the job
 *
 * When virtmemd manages @domain and decides for it, asks it to hold its
 * decisions (Pause()) for the time of the job, and says so: QEMU refuses
 * changes while a save or migration runs, and a squeeze must not be
 * undone by the engine.  A Pause() refused is no reason to give up: when
 * the job starts, virtmemd sees it in libvirt and holds its decisions
 * anyway.
 */
void
vmem_ctl_job_hold_daemon(VmemCtlHold *hold, VmemCtl *ctl, VmemBackend *backend, const char *domain,
			 gboolean json)
{
	g_autoptr(VmemCtlManaged) managed = vmem_ctl_daemon_manages(ctl, backend, domain, NULL);
	g_autoptr(GError) error = NULL;
	const char *automation = "";

	hold->ctl = ctl;
	if (managed == NULL)
		return;
	g_variant_lookup(managed->props, "Automation", "&s", &automation);
	/* Paused already, or held by an override: nothing to decide. */
	if (!g_str_equal(automation, "auto") && !g_str_equal(automation, "manual"))
		return;
	if (!vmem_ctl_managed_call(managed, "Pause", NULL, &error)) {
		/* TRANSLATORS: 1 the program, 2 virtmemd's answer (a sentence) */
		g_printerr(_("%1$s: virtmemd did not pause its decisions: %2$s\n"), ctl->prgname,
			   error->message);
		return;
	}
	if (!json)
		/* TRANSLATORS: %s is a domain name; keep virtmemd */
		g_print(_("virtmemd holds its decisions for %s until this ends.\n"), domain);
	hold->managed = g_steal_pointer(&managed);
}

/**
 * vmem_ctl_hold_clear:
 *
 * Lets virtmemd decide again (Resume()) if vmem_ctl_job_hold_daemon()
 * paused it; after a migration (@hold->gone) the domain may be gone from
 * virtmemd, and a failure is no news.
 */
void
vmem_ctl_hold_clear(VmemCtlHold *hold)
{
	g_autoptr(VmemCtlManaged) managed = g_steal_pointer(&hold->managed);
	g_autoptr(GError) error = NULL;

	if (managed == NULL || vmem_ctl_managed_call(managed, "Resume", NULL, &error))
		return;
	if (hold->gone)
		g_debug("Resume() after the domain left: %s", error->message);
	else
		/* TRANSLATORS: 1 the program, 2 virtmemd's answer (a sentence) */
		g_printerr(_("%1$s: virtmemd did not resume its decisions: %2$s\n"),
			   hold->ctl->prgname, error->message);
}
