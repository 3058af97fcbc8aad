/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The test guest's control port (org.virtmem.test.0): each line written is
 * run by the guest's sh, its output follows, then `@@virtmem-rc N` (see
 * tests/guest/init).  Used for guests started through libvirt and for
 * plain QEMU alike.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _VmemTestControl VmemTestControl;

VmemTestControl *vmem_test_control_connect(const char *name, const char *socket_path, GPid qemu_pid,
					   GError **error);
void vmem_test_control_free(VmemTestControl *ctl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmemTestControl, vmem_test_control_free)

gboolean vmem_test_control_wait_ready(VmemTestControl *ctl, guint timeout_s, GError **error);
gboolean vmem_test_control_run(VmemTestControl *ctl, const char *command, guint timeout_s,
			       char **ret_output, int *ret_status, GError **error);
gboolean vmem_test_control_meminfo(VmemTestControl *ctl, const char *field, guint64 *ret_kib,
				   GError **error);

G_END_DECLS
