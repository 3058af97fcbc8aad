/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A plain QEMU started by a test, without libvirt: the test bed's guest
 * kernel and initramfs under TCG, one virtio-mem device (`vmemN`) per NUMA
 * node, QMP on a unix socket and the guest's control port.  Ended by PID
 * when freed, and when the test process aborts.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _VmemTestQemu VmemTestQemu;

/* What vmem_test_qemu_start() runs.  Initialise with
 * vmem_test_qemu_config_init() and change what the test needs. */
typedef struct {
	guint n_nodes;		 /* NUMA nodes, each with one virtio-mem device */
	guint64 node_base_mib;	 /* boot memory per node */
	guint64 device_mib;	 /* size of each virtio-mem device */
	guint64 block_mib;	 /* block size of each device */
	guint64 requested_mib;	 /* requested size of each device at start */
	gboolean online_movable; /* boot with memhp_default_state=online_movable */
	gboolean allow_reboot;	 /* without -no-reboot: a guest reboot resets */
} VmemTestQemuConfig;

void
vmem_test_qemu_config_init(VmemTestQemuConfig *config);

VmemTestQemu *
vmem_test_qemu_start(const char *name, const VmemTestQemuConfig *config, GError **error);
void
vmem_test_qemu_free(VmemTestQemu *qemu);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmemTestQemu, vmem_test_qemu_free)

const char *
vmem_test_qemu_get_qmp_uri(VmemTestQemu *qemu);
const char *
vmem_test_qemu_get_console_log(VmemTestQemu *qemu);
GPid
vmem_test_qemu_get_pid(VmemTestQemu *qemu);
void
vmem_test_qemu_kill(VmemTestQemu *qemu);

gboolean
vmem_test_qemu_run(VmemTestQemu *qemu, const char *command, char **ret_output, int *ret_status,
		   GError **error);
gboolean
vmem_test_qemu_wait_ready(VmemTestQemu *qemu, GError **error);
gboolean
vmem_test_qemu_meminfo(VmemTestQemu *qemu, const char *field, guint64 *ret_kib, GError **error);

G_END_DECLS
