/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Save() and Dump() on D-Bus: the save library's jobs, run by virtmemd for
 * a domain it manages (a save squeezed first when asked, by the next
 * report on the agent's channel that virtmemd holds), its decisions for
 * the domain held meanwhile.
 */
#pragma once

#include <gio/gio.h>

#include "vmem-agent-channel.h"
#include "vmem-backend.h"

G_BEGIN_DECLS

typedef struct _VmemDaemonSaveJob VmemDaemonSaveJob;

VmemDaemonSaveJob *vmem_daemon_save_job_new(const char *path, gboolean dump, GVariant *options,
					    GError **error);
void vmem_daemon_save_job_free(VmemDaemonSaveJob *job);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmemDaemonSaveJob, vmem_daemon_save_job_free)

void vmem_daemon_save_async(VmemBackend *backend, const char *domain, VmemDaemonSaveJob *job,
			    VmemAgentChannel *channel, GAsyncReadyCallback callback,
			    gpointer user_data);
GVariant *vmem_daemon_save_finish(VmemBackend *backend, GAsyncResult *result, GError **error);

G_END_DECLS
