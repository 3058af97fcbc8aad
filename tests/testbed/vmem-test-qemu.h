/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A plain QEMU started by a test, without libvirt: the test bed's guest
 * kernel and initramfs under TCG, shaped by a #VmemTestGuestConfig, one
 * virtio-mem device (`vmemN`) per NUMA node, QMP on a unix socket and the guest's control port.
 * Ended by PID when freed, and when the test process aborts.
 */
#pragma once

#include <glib.h>

#include "vmem-testbed.h"

G_BEGIN_DECLS

typedef struct _VmemTestQemu VmemTestQemu;

/* @config: the same as for a libvirt guest; reboot_restarts drops
 * -no-reboot. */
VmemTestQemu *vmem_test_qemu_start(const char *name, const VmemTestGuestConfig *config,
				   GError **error);
void vmem_test_qemu_free(VmemTestQemu *qemu);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmemTestQemu, vmem_test_qemu_free)

const char *vmem_test_qemu_get_qmp_uri(VmemTestQemu *qemu);
void vmem_test_qemu_kill(VmemTestQemu *qemu);

gboolean vmem_test_qemu_run(VmemTestQemu *qemu, const char *command, char **ret_output,
			    int *ret_status, GError **error);
gboolean vmem_test_qemu_wait_ready(VmemTestQemu *qemu, GError **error);
gboolean vmem_test_qemu_meminfo(VmemTestQemu *qemu, const char *field, guint64 *ret_kib,
				GError **error);

G_END_DECLS
