/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A QMP client over a unix socket.
 *
 * Commands are synchronous with a bounded wait (the timeout given at
 * connect): every command virtmem sends is answered by QEMU at once, and a
 * caller that needs an answer cannot do anything useful meanwhile, while a
 * hung QEMU must not hang virtmem.  A reply that arrives after its command
 * timed out is recognised by its id and dropped.
 *
 * Events are never delivered from inside vmem_qmp_execute(): events read
 * while waiting for a reply are queued (at most a bounded number: the
 * oldest are dropped and counted), and all are emitted as the ::event
 * signal, in arrival order, from the thread-default main context the
 * client was created in, which also watches the socket between commands.
 */
#pragma once

#include <gio/gio.h>
#include <json-c/json.h>

#include "vmem-qmp-message.h"

G_BEGIN_DECLS

/* The bound on a command when the caller does not choose one. */
#define VMEM_QMP_DEFAULT_TIMEOUT_MS 10000

#define VMEM_TYPE_QMP (vmem_qmp_get_type())
G_DECLARE_FINAL_TYPE(VmemQmp, vmem_qmp, VMEM, QMP, GObject)

VmemQmp *vmem_qmp_connect(const char *path, guint timeout_ms, GError **error);
VmemQmp *vmem_qmp_new_for_socket(GSocket *socket, const char *peer, guint timeout_ms,
				 GError **error);
gboolean vmem_qmp_execute(VmemQmp *qmp, const char *command, json_object *arguments,
			  json_object **ret_return, GError **error);
gboolean vmem_qmp_is_closed(VmemQmp *qmp);
const char *vmem_qmp_get_peer(VmemQmp *qmp);
guint64 vmem_qmp_get_dropped_events(VmemQmp *qmp);

G_END_DECLS
