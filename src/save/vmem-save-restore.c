/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Restoring a saved domain, then re-growing it to the target its image
 * remembers (libvirt refuses a restore XML that changes <requested>, so
 * the target is set after the restore, on the running domain).
 */
#include "config.h"

#include <glib/gi18n.h>
#include <libvirt/virterror.h>

#include "vmem-backend-libvirt.h"
#include "vmem-domain.h"
#include "vmem-error.h"
#include "vmem-resize.h"
#include "vmem-save-meta.h"
#include "vmem-save-private.h"

/*
 * The parallel channels a sparse image is restored through.  libvirt 11.3
 * loads a sparse image with QEMU's multifd, through one channel unless told
 * otherwise (qemuMigrationParamsForSave(); its debug log shows
 * "multifd-channels": 1), and QEMU 10's loader hands each run of pages (up
 * to 1 MiB, migration/ram.c read_ramblock_mapped_ram()) to a channel thread,
 * then spins until a channel is free (migration/multifd.c multifd_recv():
 * no semaphore, unlike multifd_send()).  With one channel the spinning
 * thread takes a CPU from the one thread that reads: perf put 42 % of a
 * restore's samples in multifd_recv().  More channels shrink its share.
 * Restore seconds measured side by side (bench/save's guest, 2 GiB
 * plugged, 1.6 GiB of data, 2 cores, TCG, other tests running), median
 * (range): 1 channel 3.7 (1.9-10.6, 10 runs), 2: 3.2 (1.4-10.1, 9),
 * 4: 2.3 (1.1-3.9, 11), 8: 2.4 (2.0-3.1, 3); raw 2.3 (1.7-4.0, 5).
 * A save gains nothing from more channels here (1: 5.3 s, 4: 5.0 s).
 */
#define VMEM_SAVE_RESTORE_CHANNELS 4

typedef struct {
	virConnectPtr conn;
	char *file;
	unsigned int flags;
	guint regrow_timeout_s;
	VmemResize *resize;
	VmemSaveResult *result;
} VmemSaveRestoreOp;

static void
vmem_save_restore_op_free(gpointer data)
{
	VmemSaveRestoreOp *op = data;

	g_clear_object(&op->resize);
	if (op->conn != NULL)
		virConnectClose(op->conn);
	g_free(op->file);
	vmem_save_result_free(op->result);
	g_free(op);
}

/* One attempt, through @channels parallel channels (0: libvirt's
 * default); libvirt's error stays set for the caller */
static int
vmem_save_restore_try(VmemSaveRestoreOp *op, guint channels)
{
	virTypedParameterPtr params = NULL;
	int n_params = 0, max_params = 0;
	int rc;

	virTypedParamsAddString(&params, &n_params, &max_params, VIR_DOMAIN_SAVE_PARAM_FILE,
				op->file);
	if (channels > 0)
		virTypedParamsAddInt(&params, &n_params, &max_params,
				     VIR_DOMAIN_SAVE_PARAM_PARALLEL_CHANNELS, (int)channels);
	rc = virDomainRestoreParams(op->conn, params, n_params, op->flags);
	virTypedParamsFree(params, n_params);
	return rc;
}

static gboolean
vmem_save_restore_thread(gpointer data, GError **error)
{
	VmemSaveRestoreOp *op = data;
	int rc = vmem_save_restore_try(op, VMEM_SAVE_RESTORE_CHANNELS);

	/* libvirt takes channels for a sparse image only, and a server before
	 * 11.2 not at all: it refuses before it starts anything */
	if (rc < 0 && vmem_save_error_is_unsupported(virGetLastErrorCode())) {
		virResetLastError();
		rc = vmem_save_restore_try(op, 0);
	}
	/* a server before virDomainRestoreParams (8.4) */
	if (rc < 0 && virGetLastErrorCode() == VIR_ERR_NO_SUPPORT)
		rc = virDomainRestoreFlags(op->conn, op->file, NULL, op->flags);
	if (rc < 0) {
		vmem_libvirt_set_error(error);
		return FALSE;
	}
	return TRUE;
}

static void
vmem_save_restore_return(GTask *task)
{
	VmemSaveRestoreOp *op = g_task_get_task_data(task);

	g_task_return_pointer(task, g_steal_pointer(&op->result),
			      (GDestroyNotify)vmem_save_result_free);
	g_object_unref(task);
}

static void
vmem_save_restore_totals(VmemSaveRestoreOp *op)
{
	VmemResizeProgress progress;

	vmem_resize_get_progress(op->resize, &progress);
	op->result->requested_after = progress.requested;
	op->result->plugged_after = progress.plugged;
}

static void
vmem_save_restore_on_regrown(GObject *source, GAsyncResult *result, gpointer user_data)
{
	GTask *task = user_data;
	VmemSaveRestoreOp *op = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;

	if (!vmem_resize_wait_finish(op->resize, result, &op->result->regrow_state, &error))
		op->result->remembered_error = g_strdup(error->message);
	vmem_save_restore_totals(op);
	vmem_save_restore_return(task);
}

/* Sets the remembered target on the restored domain and forgets it */
static gboolean
vmem_save_restore_regrow(VmemSave *save, VmemSaveRestoreOp *op, GError **error)
{
	g_autoptr(virDomain) dom = NULL;

	op->resize = vmem_resize_new(save->backend, op->result->domain, error);
	if (op->resize == NULL)
		return FALSE;
	for (guint i = 0; i < op->result->remembered->len; i++) {
		const VmemSavedTarget *t = g_ptr_array_index(op->result->remembered, i);

		if (!vmem_resize_plan_device(op->resize, t->alias, -1, t->requested, error))
			return FALSE;
	}
	if (!vmem_resize_apply(op->resize, VMEM_RESIZE_LIVE, error))
		return FALSE;
	/* the target is the domain's own now: the image's copy is done with */
	dom = vmem_backend_libvirt_lookup(save->backend, op->result->domain, error);
	if (dom == NULL)
		return FALSE;
	if (virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, NULL, NULL, VMEM_SAVED_NS,
				 VIR_DOMAIN_AFFECT_LIVE) < 0) {
		vmem_libvirt_set_error(error);
		return FALSE;
	}
	return TRUE;
}

static void
vmem_save_restore_on_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	GTask *task = user_data;
	VmemSave *save = VMEM_SAVE(source);
	VmemSaveRestoreOp *op = g_task_get_task_data(task);
	GError *error = NULL;
	g_autoptr(GError) regrow_error = NULL;
	g_autoptr(GPtrArray) devices = NULL;
	VmemRunState state = VMEM_RUN_STATE_SHUT_OFF;

	if (!vmem_save_run_job_finish(save, result, &op->result->elapsed_us, &error)) {
		g_task_return_error(task, error);
		g_object_unref(task);
		return;
	}
	if (vmem_backend_get_run_state(save->backend, op->result->domain, &state, NULL))
		op->result->running = state == VMEM_RUN_STATE_RUNNING;
	/* the image's XML has no live sizes: what the restored domain plugs */
	if (vmem_backend_get_devices(save->backend, op->result->domain, &devices, NULL)) {
		op->result->plugged = 0;
		for (guint i = 0; i < devices->len; i++)
			op->result->plugged +=
				((VmemDevice *)g_ptr_array_index(devices, i))->plugged;
	}
	if (op->result->remembered == NULL) {
		vmem_save_restore_return(task);
		return;
	}
	/* Restored whatever happens next: a failed re-grow is reported, and
	 * the target stays in the domain's metadata for another try. */
	if (!vmem_save_restore_regrow(save, op, &regrow_error)) {
		op->result->remembered_error = g_strdup(regrow_error->message);
		if (op->resize != NULL)
			vmem_save_restore_totals(op);
		vmem_save_restore_return(task);
		return;
	}
	if (!op->result->running) {
		/* a paused guest plugs when it runs again */
		vmem_save_restore_totals(op);
		vmem_save_restore_return(task);
		return;
	}
	vmem_resize_wait_async(op->resize, op->regrow_timeout_s, g_task_get_cancellable(task),
			       vmem_save_restore_on_regrown, task);
}

/**
 * vmem_save_restore_async:
 * @file: a save image
 * @start: run or pause the restored domain, or as it was saved
 * @bypass_cache: read around the host's page cache
 * @regrow_timeout_s: how long to follow the re-grow (0: as long as the
 *   guest plugs)
 *
 * Restores the domain saved in @file, a sparse image through
 * %VMEM_SAVE_RESTORE_CHANNELS parallel channels (a raw one, or a server
 * without them, through libvirt's default).  When the image remembers a target
 * (a squeezed save), sets it on the restored domain, follows the guest
 * plugging it when the domain runs, and removes it from the domain's
 * metadata.  Fails only when the restore fails; a re-grow that fails is
 * in the result's @remembered_error.
 */
void
vmem_save_restore_async(VmemSave *save, const char *file, VmemSaveStart start,
			gboolean bypass_cache, guint regrow_timeout_s, GCancellable *cancellable,
			GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task = g_task_new(save, cancellable, callback, user_data);
	VmemSaveRestoreOp *op = g_new0(VmemSaveRestoreOp, 1);
	virConnectPtr conn = vmem_backend_libvirt_get_connection(save->backend);
	g_autoptr(GPtrArray) findings = vmem_findings_new();
	g_autoptr(VmemDomainDef) def = NULL;
	g_autoptr(GError) meta_error = NULL;
	g_autofree char *xml = NULL;
	GError *error = NULL;

	g_task_set_source_tag(task, vmem_save_restore_async);
	g_task_set_task_data(task, op, vmem_save_restore_op_free);
	op->file = g_strdup(file);
	op->regrow_timeout_s = regrow_timeout_s;
	op->flags = (bypass_cache ? VIR_DOMAIN_SAVE_BYPASS_CACHE : 0) |
		    (start == VMEM_SAVE_START_RUNNING ? VIR_DOMAIN_SAVE_RUNNING : 0) |
		    (start == VMEM_SAVE_START_PAUSED ? VIR_DOMAIN_SAVE_PAUSED : 0);
	op->result = g_new0(VmemSaveResult, 1);
	op->result->file = g_strdup(file);
	/* the image's XML names the domain (to follow its job) and may
	 * remember a target */
	xml = virDomainSaveImageGetXMLDesc(conn, file, 0);
	if (xml == NULL) {
		vmem_libvirt_set_error(&error);
		g_task_return_error(task, error);
		g_object_unref(task);
		return;
	}
	def = vmem_domain_def_parse(xml, strlen(xml), findings, &error);
	if (def == NULL || def->name == NULL) {
		if (error == NULL)
			g_set_error_literal(&error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
					    _("The domain XML in the image has no name."));
		g_task_return_error(task, error);
		g_object_unref(task);
		return;
	}
	op->result->domain = g_strdup(def->name);
	vmem_domain_def_postparse(def);
	op->result->base = vmem_domain_def_get_initial_kib(def) * 1024;
	if (!vmem_save_meta_get(xml, &op->result->remembered, &meta_error))
		op->result->remembered_error = g_strdup(meta_error->message);
	virConnectRef(conn);
	op->conn = conn;
	vmem_save_run_job(save, task, NULL, op->result->domain, vmem_save_restore_thread,
			  vmem_save_restore_on_done);
}

/**
 * vmem_save_restore_finish:
 *
 * Returns: (transfer full): what was restored, or %NULL with @error set
 */
VmemSaveResult *
vmem_save_restore_finish(VmemSave *save, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, save), NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}
