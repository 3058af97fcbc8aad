/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A memory-only dump of a domain: QEMU's dump-guest-memory skips what
 * virtio-mem has not plugged, so the file is about base memory plus
 * plugged, not base plus the devices' sizes.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <libvirt/virterror.h>

#include "vmem-backend-libvirt.h"
#include "vmem-error.h"
#include "vmem-save-file.h"
#include "vmem-save-private.h"

typedef struct {
	virDomainPtr dom;
	char *temp;
	VmemDumpFormat format;
	VmemSaveResult *result;
} VmemSaveDumpOp;

static void
vmem_save_dump_op_free(gpointer data)
{
	VmemSaveDumpOp *op = data;

	vmem_save_file_discard(op->temp);
	if (op->dom != NULL)
		virDomainFree(op->dom);
	g_free(op->temp);
	vmem_save_result_free(op->result);
	g_free(op);
}

static unsigned int
vmem_save_dump_libvirt_format(VmemDumpFormat format)
{
	switch (format) {
	case VMEM_DUMP_FORMAT_ELF:
		return VIR_DOMAIN_CORE_DUMP_FORMAT_RAW;
	case VMEM_DUMP_FORMAT_KDUMP_ZLIB:
		return VIR_DOMAIN_CORE_DUMP_FORMAT_KDUMP_ZLIB;
	case VMEM_DUMP_FORMAT_KDUMP_LZO:
		return VIR_DOMAIN_CORE_DUMP_FORMAT_KDUMP_LZO;
	case VMEM_DUMP_FORMAT_KDUMP_SNAPPY:
		return VIR_DOMAIN_CORE_DUMP_FORMAT_KDUMP_SNAPPY;
	case VMEM_DUMP_FORMAT_WIN_DMP:
		return VIR_DOMAIN_CORE_DUMP_FORMAT_WIN_DMP;
	}
	g_return_val_if_reached(VIR_DOMAIN_CORE_DUMP_FORMAT_RAW);
}

static gboolean
vmem_save_dump_thread(gpointer data, GError **error)
{
	VmemSaveDumpOp *op = data;

	if (virDomainCoreDumpWithFormat(op->dom, op->temp,
					vmem_save_dump_libvirt_format(op->format),
					VIR_DUMP_MEMORY_ONLY) < 0) {
		vmem_libvirt_set_error(error);
		return FALSE;
	}
	if (!vmem_save_file_commit(op->temp, op->result->file, error)) {
		g_clear_pointer(&op->temp, g_free);
		return FALSE;
	}
	g_clear_pointer(&op->temp, g_free);
	return vmem_save_file_sizes(op->result->file, &op->result->apparent, &op->result->allocated,
				    error);
}

static void
vmem_save_dump_on_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	GTask *task = user_data;
	VmemSaveDumpOp *op = g_task_get_task_data(task);
	GError *error = NULL;

	if (!vmem_save_run_job_finish(VMEM_SAVE(source), result, &op->result->elapsed_us, &error))
		g_task_return_error(task, error);
	else
		g_task_return_pointer(task, g_steal_pointer(&op->result),
				      (GDestroyNotify)vmem_save_result_free);
	g_object_unref(task);
}

/**
 * vmem_save_dump_async:
 * @domain: a running or paused domain
 * @file: where the dump goes; must not exist
 * @format: ELF, a kdump-compressed format, or a Windows crash dump
 *
 * Dumps @domain's memory (memory only: no device state) with
 * virDomainCoreDumpWithFormat() to a temporary file next to @file,
 * renamed on success.  The domain keeps running.  The result compares
 * the file's size with base memory plus plugged.
 */
void
vmem_save_dump_async(VmemSave *save, const char *domain, const char *file, VmemDumpFormat format,
		     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task = g_task_new(save, cancellable, callback, user_data);
	VmemSaveDumpOp *op = g_new0(VmemSaveDumpOp, 1);
	g_autofree char *xml = NULL;
	GError *error = NULL;

	g_task_set_source_tag(task, vmem_save_dump_async);
	g_task_set_task_data(task, op, vmem_save_dump_op_free);
	op->format = format;
	op->result = g_new0(VmemSaveResult, 1);
	op->result->file = g_strdup(file);
	op->dom = vmem_backend_libvirt_lookup(save->backend, domain, &error);
	if (op->dom != NULL) {
		op->result->domain = g_strdup(virDomainGetName(op->dom));
		xml = virDomainGetXMLDesc(op->dom, 0);
		if (xml == NULL)
			vmem_libvirt_set_error(&error);
	}
	if (error == NULL)
		vmem_save_domain_facts(save, xml, op->result->domain, &op->result->base,
				       &op->result->plugged, &error);
	if (error == NULL)
		op->temp = vmem_save_file_create_temp(file, &error);
	if (error != NULL) {
		g_task_return_error(task, error);
		g_object_unref(task);
		return;
	}
	vmem_save_run_job(save, task, op->dom, NULL, vmem_save_dump_thread, vmem_save_dump_on_done);
}

/**
 * vmem_save_dump_finish:
 *
 * Returns: (transfer full): what was dumped, or %NULL with @error set
 */
VmemSaveResult *
vmem_save_dump_finish(VmemSave *save, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, save), NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}
