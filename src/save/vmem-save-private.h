/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the operations of #VmemSave share (vmem-save.c): the object, and
 * running one blocking libvirt job in a thread while its statistics are
 * polled.
 */
#pragma once

#include "vmem-libvirt.h"
#include "vmem-save.h"

G_BEGIN_DECLS

struct _VmemSave {
	GObject parent;
	VmemBackend *backend;
};

/* Runs in a GTask thread: the blocking libvirt call(s) of one operation.
 * @data is the operation's task data. */
typedef gboolean (*VmemSaveThreadFunc)(gpointer data, GError **error);

void vmem_save_run_job(VmemSave *save, GTask *task, virDomainPtr dom, const char *domain,
		       VmemSaveThreadFunc func, GAsyncReadyCallback done);
gboolean vmem_save_run_job_finish(VmemSave *save, GAsyncResult *result, gint64 *ret_elapsed_us,
				  GError **error);
gboolean vmem_save_error_is_unsupported(int code);
gboolean vmem_save_domain_facts(VmemSave *save, const char *xml, const char *domain,
				guint64 *ret_base, guint64 *ret_plugged, GError **error);

G_END_DECLS
