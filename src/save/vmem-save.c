/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-save.h"

#include <glib/gi18n.h>
#include <libvirt/virterror.h>

#include "vmem-backend-libvirt.h"
#include "vmem-domain.h"
#include "vmem-error.h"
#include "vmem-save-meta.h"
#include "vmem-save-private.h"

/* How often libvirt's job statistics are polled during a job */
#define VMEM_SAVE_POLL_MS 500

enum {
	SIGNAL_PROGRESS,
	N_SIGNALS,
};

static guint vmem_save_signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE(VmemSave, vmem_save, G_TYPE_OBJECT)

static const char *const vmem_save_format_names[] = {"auto", "raw", "sparse"};
static const char *const vmem_dump_format_names[] = {"elf", "kdump-zlib", "kdump-lzo",
						     "kdump-snappy", "win-dmp"};

const char *
vmem_save_format_to_string(VmemSaveFormat format)
{
	g_return_val_if_fail(format < G_N_ELEMENTS(vmem_save_format_names), "?");
	return vmem_save_format_names[format];
}

gboolean
vmem_save_format_from_string(const char *text, VmemSaveFormat *ret_format)
{
	for (guint i = 0; i < G_N_ELEMENTS(vmem_save_format_names); i++) {
		if (g_strcmp0(text, vmem_save_format_names[i]) == 0) {
			*ret_format = (VmemSaveFormat)i;
			return TRUE;
		}
	}
	return FALSE;
}

const char *
vmem_dump_format_to_string(VmemDumpFormat format)
{
	g_return_val_if_fail(format < G_N_ELEMENTS(vmem_dump_format_names), "?");
	return vmem_dump_format_names[format];
}

gboolean
vmem_dump_format_from_string(const char *text, VmemDumpFormat *ret_format)
{
	for (guint i = 0; i < G_N_ELEMENTS(vmem_dump_format_names); i++) {
		if (g_strcmp0(text, vmem_dump_format_names[i]) == 0) {
			*ret_format = (VmemDumpFormat)i;
			return TRUE;
		}
	}
	return FALSE;
}

void
vmem_save_options_init(VmemSaveOptions *options)
{
	memset(options, 0, sizeof(*options));
	options->format = VMEM_SAVE_FORMAT_AUTO;
	options->start = VMEM_SAVE_START_DEFAULT;
}

void
vmem_save_result_free(VmemSaveResult *result)
{
	if (result == NULL)
		return;
	g_free(result->domain);
	g_free(result->file);
	g_free(result->fallback_reason);
	g_clear_pointer(&result->remembered, g_ptr_array_unref);
	g_free(result->remembered_error);
	g_free(result);
}

/* A typed parameter's value as a count of bytes, if it is one */
static gboolean
vmem_save_param_bytes(virTypedParameterPtr params, int n_params, const char *name,
		      guint64 *ret_value)
{
	unsigned long long value = 0;

	if (virTypedParamsGetULLong(params, n_params, name, &value) != 1)
		return FALSE;
	*ret_value = value;
	return TRUE;
}

/**
 * vmem_save_progress_update:
 * @progress: the last progress, updated in place
 * @params: (array length=n_params): what virDomainGetJobStats() returned
 * @elapsed_us: time since the job started, now
 *
 * Takes the bytes processed and expected from libvirt's job statistics
 * (a save's or restore's data figures, else its memory figures; expected
 * is processed plus remaining when libvirt says what remains, else its
 * total) and the rate since the last update.  Values that go backwards are
 * ignored: the figures come from another process.
 */
void
vmem_save_progress_update(VmemSaveProgress *progress, virTypedParameterPtr params, int n_params,
			  gint64 elapsed_us)
{
	guint64 processed = 0, total = 0, remaining = 0;
	gboolean data =
		vmem_save_param_bytes(params, n_params, VIR_DOMAIN_JOB_DATA_PROCESSED, &processed);
	gboolean has_processed =
		data || vmem_save_param_bytes(params, n_params, VIR_DOMAIN_JOB_MEMORY_PROCESSED,
					      &processed);

	/* What is still to go, when said, rather than all of guest memory:
	 * QEMU never sends what virtio-mem has not plugged */
	if (has_processed && vmem_save_param_bytes(params, n_params,
						   data ? VIR_DOMAIN_JOB_DATA_REMAINING
							: VIR_DOMAIN_JOB_MEMORY_REMAINING,
						   &remaining))
		total = processed + remaining;
	else if (!vmem_save_param_bytes(params, n_params, VIR_DOMAIN_JOB_DATA_TOTAL, &total))
		vmem_save_param_bytes(params, n_params, VIR_DOMAIN_JOB_MEMORY_TOTAL, &total);
	if (has_processed && processed >= progress->processed &&
	    elapsed_us > progress->elapsed_us) {
		gint64 dt = elapsed_us - progress->elapsed_us;

		progress->bytes_per_s = (guint64)((double)(processed - progress->processed) *
						  G_USEC_PER_SEC / (double)dt);
		progress->processed = processed;
	}
	if (total > 0)
		progress->total = total;
	if (elapsed_us > progress->elapsed_us)
		progress->elapsed_us = elapsed_us;
}

/**
 * vmem_save_new:
 * @backend: a libvirt backend: saving, restoring and dumping are libvirt's
 */
VmemSave *
vmem_save_new(VmemBackend *backend, GError **error)
{
	VmemSave *save;

	if (!VMEM_IS_BACKEND_LIBVIRT(backend)) {
		g_set_error_literal(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
				    _("Saving, restoring and dumping a domain needs a libvirt "
				      "connection, not a plain QEMU."));
		return NULL;
	}
	save = g_object_new(VMEM_TYPE_SAVE, NULL);
	save->backend = g_object_ref(backend);
	return save;
}

static void
vmem_save_finalize(GObject *object)
{
	VmemSave *save = VMEM_SAVE(object);

	g_clear_object(&save->backend);
	G_OBJECT_CLASS(vmem_save_parent_class)->finalize(object);
}

static void
vmem_save_class_init(VmemSaveClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = vmem_save_finalize;

	/**
	 * VmemSave::progress:
	 * @progress: (type gpointer): a #VmemSaveProgress, valid during the
	 *   emission
	 *
	 * Emitted while libvirt's job runs, at every poll of its statistics.
	 */
	vmem_save_signals[SIGNAL_PROGRESS] =
		g_signal_new("progress", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
			     NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
vmem_save_init(VmemSave *save)
{
}

/* One libvirt job run in a thread, and its poll */
typedef struct {
	VmemSave *save;
	VmemSaveThreadFunc func;
	gpointer data; /* the operation's task data */
	virDomainPtr dom;
	char *domain;
	gint64 start_us;
	gint64 end_us;
	GSource *poll;
	GCancellable *cancellable;
	gulong cancelled_handler;
	VmemSaveProgress progress;
} VmemSaveJob;

static void
vmem_save_job_stop(VmemSaveJob *job)
{
	if (job->poll != NULL) {
		g_source_destroy(job->poll);
		g_clear_pointer(&job->poll, g_source_unref);
	}
	if (job->cancelled_handler != 0)
		g_cancellable_disconnect(job->cancellable, job->cancelled_handler);
	job->cancelled_handler = 0;
}

static void
vmem_save_job_free(gpointer data)
{
	VmemSaveJob *job = data;

	vmem_save_job_stop(job);
	if (job->dom != NULL)
		virDomainFree(job->dom);
	g_clear_object(&job->cancellable);
	g_free(job->domain);
	g_free(job);
}

/* The domain the job runs on: a restore has none until libvirt defined it */
static virDomainPtr
vmem_save_job_domain(VmemSaveJob *job)
{
	if (job->dom == NULL && job->domain != NULL) {
		job->dom = virDomainLookupByName(
			vmem_backend_libvirt_get_connection(job->save->backend), job->domain);
		if (job->dom == NULL)
			virResetLastError();
	}
	return job->dom;
}

static gboolean
vmem_save_job_on_poll(gpointer user_data)
{
	VmemSaveJob *job = user_data;
	virDomainPtr dom = vmem_save_job_domain(job);
	virTypedParameterPtr params = NULL;
	int n_params = 0;
	int type = VIR_DOMAIN_JOB_NONE;

	if (dom == NULL)
		return G_SOURCE_CONTINUE;
	if (virDomainGetJobStats(dom, &type, &params, &n_params, 0) < 0) {
		virResetLastError();
		return G_SOURCE_CONTINUE;
	}
	if (type != VIR_DOMAIN_JOB_NONE) {
		vmem_save_progress_update(&job->progress, params, n_params,
					  g_get_monotonic_time() - job->start_us);
		g_signal_emit(job->save, vmem_save_signals[SIGNAL_PROGRESS], 0, &job->progress);
	}
	virTypedParamsFree(params, n_params);
	return G_SOURCE_CONTINUE;
}

static void
vmem_save_job_on_cancelled(GCancellable *cancellable, gpointer user_data)
{
	VmemSaveJob *job = user_data;
	virDomainPtr dom = vmem_save_job_domain(job);

	/* The thread's libvirt call then fails and the operation cleans up. */
	if (dom != NULL && virDomainAbortJob(dom) < 0)
		virResetLastError();
}

static void
vmem_save_job_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	VmemSaveJob *job = task_data;
	GError *error = NULL;
	gboolean ok = job->func(job->data, &error);

	job->end_us = g_get_monotonic_time();
	if (ok)
		g_task_return_boolean(task, TRUE);
	else
		g_task_return_error(task, error);
}

/**
 * vmem_save_run_job:
 * @task: the operation's task: its task data is handed to @func, its
 *   cancellable aborts libvirt's job
 * @dom: (nullable): the domain the job runs on...
 * @domain: (nullable): ...or its name, to find it once libvirt defined it
 * @func: the blocking calls, run in a thread
 * @done: called in the thread-default main context when @func returned,
 *   with @task as user data; call vmem_save_run_job_finish() there
 *
 * Runs @func in a thread while libvirt's job statistics are polled and
 * told through ::progress.  No main loop runs here.
 */
void
vmem_save_run_job(VmemSave *save, GTask *task, virDomainPtr dom, const char *domain,
		  VmemSaveThreadFunc func, GAsyncReadyCallback done)
{
	GCancellable *cancellable = g_task_get_cancellable(task);
	g_autoptr(GTask) job_task = g_task_new(save, cancellable, done, task);
	VmemSaveJob *job = g_new0(VmemSaveJob, 1);

	job->save = save;
	job->func = func;
	job->data = g_task_get_task_data(task);
	if (dom != NULL) {
		virDomainRef(dom);
		job->dom = dom;
	}
	job->domain = g_strdup(domain);
	job->start_us = g_get_monotonic_time();
	g_task_set_task_data(job_task, job, vmem_save_job_free);
	/* the thread runs to its end whatever happens: libvirt's call is not
	 * interruptible, only its job can be aborted */
	g_task_set_return_on_cancel(job_task, FALSE);
	job->poll = g_timeout_source_new(VMEM_SAVE_POLL_MS);
	g_source_set_callback(job->poll, vmem_save_job_on_poll, job, NULL);
	g_source_attach(job->poll, g_main_context_get_thread_default());
	if (cancellable != NULL) {
		job->cancellable = g_object_ref(cancellable);
		job->cancelled_handler = g_cancellable_connect(
			cancellable, G_CALLBACK(vmem_save_job_on_cancelled), job, NULL);
	}
	g_task_run_in_thread(job_task, vmem_save_job_thread);
}

/**
 * vmem_save_run_job_finish:
 * @ret_elapsed_us: (out): how long the thread's calls took
 */
gboolean
vmem_save_run_job_finish(VmemSave *save, GAsyncResult *result, gint64 *ret_elapsed_us,
			 GError **error)
{
	VmemSaveJob *job = g_task_get_task_data(G_TASK(result));

	vmem_save_job_stop(job);
	*ret_elapsed_us = job->end_us - job->start_us;
	return g_task_propagate_boolean(G_TASK(result), error);
}

/**
 * vmem_save_error_is_unsupported:
 * @code: libvirt's error code of a failed save or restore
 *
 * Returns: whether @code says the server refused the call's parameters
 *   (an image format, parallel channels) before it started anything, so
 *   that the same call without them may work
 */
gboolean
vmem_save_error_is_unsupported(int code)
{
	return code == VIR_ERR_NO_SUPPORT || code == VIR_ERR_ARGUMENT_UNSUPPORTED ||
	       code == VIR_ERR_OPERATION_UNSUPPORTED || code == VIR_ERR_CONFIG_UNSUPPORTED ||
	       code == VIR_ERR_INVALID_ARG;
}

/**
 * vmem_save_domain_facts:
 * @xml: the domain's XML
 * @domain: its name
 * @ret_base: (out): its memory without virtio-mem, bytes
 * @ret_plugged: (out): what its virtio-mem devices plugged, bytes
 *
 * The limit of what a save or dump of @domain needs to write: its base
 * memory and what is plugged.
 */
gboolean
vmem_save_domain_facts(VmemSave *save, const char *xml, const char *domain, guint64 *ret_base,
		       guint64 *ret_plugged, GError **error)
{
	g_autoptr(GPtrArray) findings = vmem_findings_new();
	g_autoptr(VmemDomainDef) def = vmem_domain_def_parse(xml, strlen(xml), findings, error);
	g_autoptr(GPtrArray) devices = NULL;
	guint64 plugged = 0;

	if (def == NULL || !vmem_backend_get_devices(save->backend, domain, &devices, error))
		return FALSE;
	vmem_domain_def_postparse(def);
	for (guint i = 0; i < devices->len; i++)
		plugged += ((VmemDevice *)g_ptr_array_index(devices, i))->plugged;
	*ret_base = vmem_domain_def_get_initial_kib(def) * 1024;
	*ret_plugged = plugged;
	return TRUE;
}
