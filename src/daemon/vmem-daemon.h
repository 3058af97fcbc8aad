/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemd's core: the connection to libvirt (kept, reconnected with
 * backoff), the managed domains (found and followed through libvirt's
 * events), and the tick that runs the policy engine over all of them and
 * applies its decisions.  vmem-daemon-bus.c puts it on D-Bus.
 */
#pragma once

#include <gio/gio.h>

#include "vmem-daemon-config.h"

G_BEGIN_DECLS

typedef struct _VmemDaemon VmemDaemon;

VmemDaemon *vmem_daemon_new(const VmemDaemonConfig *config);
void vmem_daemon_free(VmemDaemon *daemon);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmemDaemon, vmem_daemon_free)

gboolean vmem_daemon_start(VmemDaemon *daemon, GDBusConnection *bus, GError **error);

G_END_DECLS
