/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Saving a running domain to a file: sparse by default for virtio-mem,
 * written under a temporary name, renamed on success.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <libvirt/virterror.h>

#include "vmem-backend-libvirt.h"
#include "vmem-error.h"
#include "vmem-save-file.h"
#include "vmem-save-meta.h"
#include "vmem-save-private.h"

typedef struct {
	virDomainPtr dom;
	char *temp;
	char *xml; /* DXML: the domain XML with the remembered target, or NULL */
	VmemSaveFormat format;
	gboolean may_fall_back; /* sparse was chosen, not asked for */
	gboolean server_sparse; /* the server knows the image_format parameter */
	guint parallel;
	unsigned int flags;
	VmemSaveResult *result;
} VmemSaveDomainOp;

static void
vmem_save_domain_op_free(gpointer data)
{
	VmemSaveDomainOp *op = data;

	/* a temporary file still here belongs to a save that failed */
	vmem_save_file_discard(op->temp);
	if (op->dom != NULL)
		virDomainFree(op->dom);
	g_free(op->temp);
	g_free(op->xml);
	vmem_save_result_free(op->result);
	g_free(op);
}

/* One attempt in @format; libvirt's error stays set for the caller */
static int
vmem_save_domain_try(VmemSaveDomainOp *op, VmemSaveFormat format)
{
	virTypedParameterPtr params = NULL;
	int n_params = 0, max_params = 0;
	int rc;

	virTypedParamsAddString(&params, &n_params, &max_params, VIR_DOMAIN_SAVE_PARAM_FILE,
				op->temp);
	if (op->xml != NULL)
		virTypedParamsAddString(&params, &n_params, &max_params, VIR_DOMAIN_SAVE_PARAM_DXML,
					op->xml);
	/* a server without image formats writes raw (or what its qemu.conf
	 * says) and rejects the parameter */
	if (format == VMEM_SAVE_FORMAT_SPARSE || op->server_sparse)
		virTypedParamsAddString(&params, &n_params, &max_params,
					VIR_DOMAIN_SAVE_PARAM_IMAGE_FORMAT,
					vmem_save_format_to_string(format));
	if (format == VMEM_SAVE_FORMAT_SPARSE && op->parallel > 0)
		virTypedParamsAddInt(&params, &n_params, &max_params,
				     VIR_DOMAIN_SAVE_PARAM_PARALLEL_CHANNELS, (int)op->parallel);
	rc = virDomainSaveParams(op->dom, params, n_params, op->flags);
	virTypedParamsFree(params, n_params);
	/* a server before virDomainSaveParams (8.4) */
	if (rc < 0 && virGetLastErrorCode() == VIR_ERR_NO_SUPPORT && format == VMEM_SAVE_FORMAT_RAW)
		rc = virDomainSaveFlags(op->dom, op->temp, op->xml, op->flags);
	return rc;
}

static gboolean
vmem_save_domain_thread(gpointer data, GError **error)
{
	VmemSaveDomainOp *op = data;

	if (vmem_save_domain_try(op, op->format) < 0) {
		int code = virGetLastErrorCode();
		g_autofree char *reason = g_strdup(virGetLastErrorMessage());

		/* Not written at all, and the domain still runs: raw, with a
		 * note.  A save that failed on its way is not retried. */
		if (!op->may_fall_back || !vmem_save_error_is_unsupported(code) ||
		    virDomainIsActive(op->dom) != 1) {
			vmem_libvirt_set_error(error);
			return FALSE;
		}
		virResetLastError();
		op->format = VMEM_SAVE_FORMAT_RAW;
		op->result->fallback_reason = g_steal_pointer(&reason);
		if (vmem_save_domain_try(op, op->format) < 0) {
			vmem_libvirt_set_error(error);
			return FALSE;
		}
	}
	if (!vmem_save_file_commit(op->temp, op->result->file, error)) {
		/* kept: it may hold the only copy of the stopped domain */
		g_clear_pointer(&op->temp, g_free);
		return FALSE;
	}
	g_clear_pointer(&op->temp, g_free);
	return vmem_save_file_sizes(op->result->file, &op->result->apparent, &op->result->allocated,
				    error);
}

static void
vmem_save_domain_on_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	GTask *task = user_data;
	VmemSaveDomainOp *op = g_task_get_task_data(task);
	GError *error = NULL;

	if (!vmem_save_run_job_finish(VMEM_SAVE(source), result, &op->result->elapsed_us, &error)) {
		g_task_return_error(task, error);
	} else {
		op->result->format = op->format;
		g_task_return_pointer(task, g_steal_pointer(&op->result),
				      (GDestroyNotify)vmem_save_result_free);
	}
	g_object_unref(task);
}

/* Chooses the format: @asked, or for AUTO sparse when the domain has
 * virtio-mem and the server is new enough (else it fails at once and the
 * thread falls back) */
static gboolean
vmem_save_domain_choose(VmemSave *save, VmemSaveDomainOp *op, const VmemSaveOptions *options,
			guint n_devices, GError **error)
{
	unsigned long version = 0;
	virConnectPtr conn = vmem_backend_libvirt_get_connection(save->backend);

	if (virConnectGetLibVersion(conn, &version) < 0)
		virResetLastError();
	op->server_sparse = version >= VMEM_SAVE_SPARSE_LIBVIRT_VERSION;
	op->format = options->format;
	if (op->format == VMEM_SAVE_FORMAT_AUTO) {
		op->format = n_devices > 0 ? VMEM_SAVE_FORMAT_SPARSE : VMEM_SAVE_FORMAT_RAW;
		op->may_fall_back = TRUE;
	}
	if (options->parallel > 0 && op->format != VMEM_SAVE_FORMAT_SPARSE) {
		g_set_error_literal(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
				    /* TRANSLATORS: keep “--parallel” and “sparse” */
				    _("Parallel channels (--parallel) need the sparse image "
				      "format."));
		return FALSE;
	}
	op->parallel = options->parallel;
	return TRUE;
}

/**
 * vmem_save_domain_async:
 * @domain: a running (or paused) domain
 * @file: where the image goes; must not exist
 * @options: the format and flags, and the target to remember
 *
 * Saves @domain with virDomainSaveParams() (libvirt stops it) to a
 * temporary file next to @file, renamed to @file when libvirt reports
 * success; on failure nothing is left under @file and the temporary file
 * is removed.  Cancelling aborts libvirt's job.  The result says the
 * format written (and why not sparse, if it fell back), the file's sizes,
 * and the limit it compares with: base memory plus plugged.
 */
void
vmem_save_domain_async(VmemSave *save, const char *domain, const char *file,
		       const VmemSaveOptions *options, GCancellable *cancellable,
		       GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task = g_task_new(save, cancellable, callback, user_data);
	VmemSaveDomainOp *op = g_new0(VmemSaveDomainOp, 1);
	g_autoptr(GPtrArray) devices = NULL;
	g_autofree char *live_xml = NULL;
	GError *error = NULL;

	g_task_set_source_tag(task, vmem_save_domain_async);
	g_task_set_task_data(task, op, vmem_save_domain_op_free);
	op->result = g_new0(VmemSaveResult, 1);
	op->result->file = g_strdup(file);
	op->flags = (options->bypass_cache ? VIR_DOMAIN_SAVE_BYPASS_CACHE : 0) |
		    (options->start == VMEM_SAVE_START_RUNNING ? VIR_DOMAIN_SAVE_RUNNING : 0) |
		    (options->start == VMEM_SAVE_START_PAUSED ? VIR_DOMAIN_SAVE_PAUSED : 0);
	op->dom = vmem_backend_libvirt_lookup(save->backend, domain, &error);
	if (op->dom != NULL) {
		op->result->domain = g_strdup(virDomainGetName(op->dom));
		live_xml = virDomainGetXMLDesc(op->dom,
					       VIR_DOMAIN_XML_SECURE | VIR_DOMAIN_XML_MIGRATABLE);
		if (live_xml == NULL)
			vmem_libvirt_set_error(&error);
	}
	if (error == NULL &&
	    (!vmem_backend_get_devices(save->backend, op->result->domain, &devices, &error) ||
	     !vmem_save_domain_choose(save, op, options, devices->len, &error) ||
	     !vmem_save_domain_facts(save, live_xml, op->result->domain, &op->result->base,
				     &op->result->plugged, &error))) {
		/* error set */
	}
	if (error == NULL && options->remembered != NULL && options->remembered->len > 0)
		op->xml = vmem_save_meta_set(live_xml, options->remembered, &error);
	if (error == NULL)
		op->temp = vmem_save_file_create_temp(file, &error);
	if (error != NULL) {
		g_task_return_error(task, error);
		g_object_unref(task);
		return;
	}
	vmem_save_run_job(save, task, op->dom, NULL, vmem_save_domain_thread,
			  vmem_save_domain_on_done);
}

/**
 * vmem_save_domain_finish:
 *
 * Returns: (transfer full): what was saved, or %NULL with @error set
 */
VmemSaveResult *
vmem_save_domain_finish(VmemSave *save, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, save), NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}
