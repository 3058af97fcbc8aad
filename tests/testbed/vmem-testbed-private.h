/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "vmem-backend.h"
#include "vmem-testbed.h"

struct _VmemTestbed {
	VmemTestbedMode mode;
	char *root;
	char *uri;
	virConnectPtr conn;
	VmemBackend *backend; /* on conn, shared by the guests: libvirt takes
			       * one registration of each callback per connection */
	GSubprocess *libvirtd;
	GPid virtlogd_pid;
	char *host_uuid;   /* the private libvirtd's own, so that two test beds can
			    * migrate to each other (libvirt refuses the same host) */
	GPtrArray *guests; /* VmemTestGuest, owned */
};

void vmem_testbed_track_pid(GPid pid);
void vmem_testbed_untrack_pid(GPid pid);
void vmem_testbed_kill_pid(GPid pid);
gboolean vmem_testbed_pid_alive(GPid pid);
GPid vmem_testbed_read_pid_file(const char *path);
gboolean vmem_testbed_guest_files(char **ret_kernel, char **ret_initrd, GError **error);
char *vmem_testbed_kernel_cmdline(const VmemTestGuestConfig *config);
char *vmem_testbed_qemu_pid_file(VmemTestbed *tb, const char *name);
void vmem_testbed_remove_tree(const char *path);

void vmem_test_guest_free(VmemTestGuest *guest);
