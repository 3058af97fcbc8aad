/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-daemon-save.h"

#include <glib/gi18n.h>

#include "vmem-error.h"
#include "vmem-excerpt.h"
#include "vmem-save.h"
#include "vmem-squeeze.h"

/* Save()'s and Dump()'s options, parsed */
typedef struct {
	VmemSaveOptions save;
	VmemDumpFormat format;
	gboolean has_squeeze; /* given: else the policy says */
	VmemSqueezeOptions squeeze;
	gboolean squeeze_asked;
	gboolean squeeze_refused; /* squeeze set to false */
} VmemDaemonSaveOptions;

/* @key is the caller's, any length and any characters: quoted short */
static gboolean
vmem_daemon_save_bad(GError **error, const char *key, const char *why)
{
	g_autofree char *shown = vmem_excerpt(key);

	/* TRANSLATORS: %1$s is a key of Save()'s or Dump()'s options, %2$s what is wrong */
	g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT, _("Option “%1$s”: %2$s"), shown,
		    why);
	return FALSE;
}

static gboolean
vmem_daemon_save_options(GVariant *dict, gboolean dump, VmemDaemonSaveOptions *ret, GError **error)
{
	GVariantIter iter;
	const char *key;
	GVariant *v;

	memset(ret, 0, sizeof(*ret));
	vmem_save_options_init(&ret->save);
	vmem_squeeze_options_init(&ret->squeeze);
	ret->format = VMEM_DUMP_FORMAT_ELF;
	g_variant_iter_init(&iter, dict);
	while (g_variant_iter_next(&iter, "{&sv}", &key, &v)) {
		g_autoptr(GVariant) value = v;
		const GVariantType *type = g_variant_get_type(value);

		if (g_str_equal(key, "format") &&
		    g_variant_type_equal(type, G_VARIANT_TYPE_STRING)) {
			const char *format = g_variant_get_string(value, NULL);

			if (dump ? !vmem_dump_format_from_string(format, &ret->format)
				 : !vmem_save_format_from_string(format, &ret->save.format))
				return vmem_daemon_save_bad(error, key,
							    _("There is no such format."));
		} else if (!dump && g_str_equal(key, "parallel") &&
			   g_variant_type_equal(type, G_VARIANT_TYPE_UINT32)) {
			ret->save.parallel = g_variant_get_uint32(value);
		} else if (!dump && g_str_equal(key, "bypass-cache") &&
			   g_variant_type_equal(type, G_VARIANT_TYPE_BOOLEAN)) {
			ret->save.bypass_cache = g_variant_get_boolean(value);
		} else if (!dump && g_str_equal(key, "squeeze") &&
			   g_variant_type_equal(type, G_VARIANT_TYPE_BOOLEAN)) {
			ret->has_squeeze = TRUE;
			ret->squeeze_refused = !g_variant_get_boolean(value);
			ret->squeeze_asked = !ret->squeeze_refused;
		} else if (!dump && g_str_equal(key, "squeeze-size") &&
			   g_variant_type_equal(type, G_VARIANT_TYPE_UINT64)) {
			ret->has_squeeze = TRUE;
			ret->squeeze_asked = !ret->squeeze_refused;
			ret->squeeze.has_size = TRUE;
			ret->squeeze.size = g_variant_get_uint64(value);
		} else {
			return vmem_daemon_save_bad(error, key,
						    _("There is no such option of that type."));
		}
	}
	if (ret->squeeze_refused && ret->squeeze.has_size)
		return vmem_daemon_save_bad(error, "squeeze-size",
					    _("It contradicts “squeeze” set to false."));
	return TRUE;
}

/* One Save() or Dump() */
struct _VmemDaemonSaveJob {
	char *domain;
	char *path;
	gboolean dump;
	VmemDaemonSaveOptions options;
	VmemAgentChannel *channel;
	VmemSave *save;
	VmemSqueezeResult *squeezed;
};

/**
 * vmem_daemon_save_job_new:
 * @path: Save()'s or Dump()'s file, an absolute path on the daemon's host
 * @dump: Dump() (else Save())
 * @options: the call's options, a{sv} (see org.virtmem.Manager1.xml)
 *
 * Takes a call's arguments, or refuses them: a call that cannot start is
 * refused before anything else is looked at.
 *
 * Returns: (transfer full): the job, for vmem_daemon_save_async()
 */
VmemDaemonSaveJob *
vmem_daemon_save_job_new(const char *path, gboolean dump, GVariant *options, GError **error)
{
	g_autoptr(VmemDaemonSaveJob) job = g_new0(VmemDaemonSaveJob, 1);

	if (!g_path_is_absolute(path)) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT, "%s",
			    _("The file must be an absolute path on virtmemd's host."));
		return NULL;
	}
	if (!vmem_daemon_save_options(options, dump, &job->options, error))
		return NULL;
	job->path = g_strdup(path);
	job->dump = dump;
	return g_steal_pointer(&job);
}

void
vmem_daemon_save_job_free(VmemDaemonSaveJob *job)
{
	if (job == NULL)
		return;
	g_free(job->domain);
	g_free(job->path);
	g_clear_object(&job->save);
	g_clear_object(&job->channel);
	vmem_squeeze_result_free(job->squeezed);
	g_free(job);
}

/* Save()'s or Dump()'s answer */
static GVariant *
vmem_daemon_save_report(const VmemSaveResult *result, const VmemSqueezeResult *squeezed)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", "file", g_variant_new_string(result->file));
	g_variant_builder_add(&b, "{sv}", "apparent", g_variant_new_uint64(result->apparent));
	g_variant_builder_add(&b, "{sv}", "allocated", g_variant_new_uint64(result->allocated));
	g_variant_builder_add(&b, "{sv}", "base", g_variant_new_uint64(result->base));
	g_variant_builder_add(&b, "{sv}", "plugged", g_variant_new_uint64(result->plugged));
	g_variant_builder_add(&b, "{sv}", "elapsed-ms",
			      g_variant_new_uint64((guint64)(result->elapsed_us / 1000)));
	if (result->fallback_reason != NULL)
		g_variant_builder_add(&b, "{sv}", "fallback-reason",
				      g_variant_new_string(result->fallback_reason));
	if (squeezed != NULL) {
		GVariantBuilder s;

		g_variant_builder_init(&s, G_VARIANT_TYPE_VARDICT);
		g_variant_builder_add(
			&s, "{sv}", "outcome",
			g_variant_new_string(vmem_squeeze_outcome_to_string(squeezed->outcome)));
		if (squeezed->reason != NULL)
			g_variant_builder_add(&s, "{sv}", "reason",
					      g_variant_new_string(squeezed->reason));
		g_variant_builder_add(&s, "{sv}", "plugged-before",
				      g_variant_new_uint64(squeezed->plugged_before));
		g_variant_builder_add(&s, "{sv}", "target", g_variant_new_uint64(squeezed->target));
		g_variant_builder_add(&s, "{sv}", "plugged-after",
				      g_variant_new_uint64(squeezed->plugged_after));
		g_variant_builder_add(&b, "{sv}", "squeeze", g_variant_builder_end(&s));
	}
	return g_variant_ref_sink(g_variant_builder_end(&b));
}

static void
vmem_daemon_on_saved(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	VmemDaemonSaveJob *job = g_task_get_task_data(task);
	g_autoptr(VmemSaveResult) saved = NULL;
	GError *error = NULL;

	saved = job->dump ? vmem_save_dump_finish(job->save, result, &error)
			  : vmem_save_domain_finish(job->save, result, &error);
	if (saved == NULL) {
		g_autoptr(GError) undo_error = NULL;

		/* The domain still runs: it gets its memory back. */
		if (job->squeezed != NULL &&
		    !vmem_squeeze_undo(g_task_get_source_object(task), job->domain, job->squeezed,
				       &undo_error))
			g_warning("%s: %s", job->domain, undo_error->message);
		g_task_return_error(task, error);
		return;
	}
	g_task_return_pointer(task, vmem_daemon_save_report(saved, job->squeezed),
			      (GDestroyNotify)g_variant_unref);
}

static void
vmem_daemon_save_start(GTask *task)
{
	VmemDaemonSaveJob *job = g_task_get_task_data(task);

	if (job->dump)
		vmem_save_dump_async(job->save, job->domain, job->path, job->options.format, NULL,
				     vmem_daemon_on_saved, task);
	else
		vmem_save_domain_async(job->save, job->domain, job->path, &job->options.save, NULL,
				       vmem_daemon_on_saved, task);
}

static void
vmem_daemon_on_squeezed(GObject *source, GAsyncResult *result, gpointer user_data)
{
	GTask *task = user_data;
	VmemDaemonSaveJob *job = g_task_get_task_data(task);
	GError *error = NULL;

	job->squeezed = vmem_squeeze_finish(VMEM_BACKEND(source), result, &error);
	if (job->squeezed == NULL) {
		g_task_return_error(task, error);
		g_object_unref(task);
		return;
	}
	if (job->squeezed->outcome == VMEM_SQUEEZE_SKIPPED)
		/* TRANSLATORS: %1$s is a domain name, %2$s why (a sentence) */
		g_message(_("%1$s: Not squeezed, saving as it is. %2$s"), job->domain,
			  job->squeezed->reason);
	if (job->squeezed->outcome == VMEM_SQUEEZE_CONVERGED ||
	    job->squeezed->outcome == VMEM_SQUEEZE_PARTIAL)
		job->options.save.remembered = job->squeezed->before;
	vmem_daemon_save_start(task);
}

/**
 * vmem_daemon_save_async:
 * @domain: the domain to save or dump
 * @job: (transfer full): from vmem_daemon_save_job_new()
 * @channel: (nullable): virtmemd's channel to the guest's agent, for a
 *   squeeze to wait for its next report on
 *
 * Runs Save() or Dump(): for a save, first a squeeze when its options or
 * the domain's policy ask for one, and the squeeze given back if the save
 * fails.
 */
void
vmem_daemon_save_async(VmemBackend *backend, const char *domain, VmemDaemonSaveJob *job,
		       VmemAgentChannel *channel, GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task = g_task_new(backend, NULL, callback, user_data);
	GError *error = NULL;

	g_task_set_source_tag(task, vmem_daemon_save_async);
	g_task_set_task_data(task, job, (GDestroyNotify)vmem_daemon_save_job_free);
	job->domain = g_strdup(domain);
	job->channel = channel ? g_object_ref(channel) : NULL;
	job->save = vmem_save_new(backend, &error);
	if (job->save == NULL) {
		g_task_return_error(task, error);
		g_object_unref(task);
		return;
	}
	if (!job->dump && (job->options.has_squeeze ? job->options.squeeze_asked
						    : vmem_squeeze_policy_asks(backend, domain))) {
		job->options.squeeze.channel = job->channel;
		vmem_squeeze_async(backend, domain, &job->options.squeeze, NULL,
				   vmem_daemon_on_squeezed, task);
		return;
	}
	vmem_daemon_save_start(task);
}

/**
 * vmem_daemon_save_finish:
 *
 * Returns: (transfer full): Save()'s or Dump()'s report, a{sv}
 */
GVariant *
vmem_daemon_save_finish(VmemBackend *backend, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, backend), NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}
