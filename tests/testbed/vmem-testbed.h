/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The real test bed: a private libvirt root (embedded QEMU driver, or a
 * private libvirtd + virtlogd) with TCG guests that boot the Debian kernel
 * and a busybox initramfs built by tests/guest/build-guest, or a root disk
 * image with its own kernel (tests/guest/build-debian-guest).
 *
 * Everything a test bed starts is ended by PID when it is freed, and also
 * when the process aborts (a failed g_assert), so no QEMU or libvirtd is
 * left behind.
 *
 * libvirt allows one embedded root per process: a test program makes one
 * test bed and defines as many guests on it as its cases need.
 */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>

#include "vmem-backend.h"

G_BEGIN_DECLS

typedef enum {
	VMEM_TESTBED_EMBEDDED, /* qemu:///embed?root=DIR, no daemon */
	VMEM_TESTBED_DAEMON,   /* libvirtd + virtlogd in a private mount namespace */
} VmemTestbedMode;

typedef struct _VmemTestbed VmemTestbed;
typedef struct _VmemTestGuest VmemTestGuest;

/* What vmem_test_guest_new() defines.  Initialise with
 * vmem_test_guest_config_init() and change what the test needs. */
typedef struct {
	guint n_nodes;		    /* NUMA cells, each with one virtio-mem device */
	guint64 node_base_mib;	    /* boot memory per cell */
	guint64 device_mib;	    /* size of each virtio-mem device */
	guint64 block_mib;	    /* block size of each device */
	guint64 requested_mib;	    /* requested size of each device at start */
	gboolean online_movable;    /* boot with memhp_default_state=online_movable */
	gboolean virtio_mem_driver; /* FALSE: the guest kernel refuses to load virtio_mem */
	gboolean reboot_restarts;   /* a guest reboot restarts instead of stopping (a crash
				       then reboots too: only for reboot tests) */
	gboolean agent_port;	    /* FALSE: no org.virtmem.agent.0 channel */
	/* A guest with a root disk (tests/guest/build-debian-guest) instead of
	 * the busybox initramfs; the libvirt test bed only. */
	const char *kernel; /* its kernel and initramfs; NULL: the busybox guest's */
	const char *initrd;
	const char *disk;    /* a raw image as vda (virtio-blk), never written: the guest
				writes to a qcow2 overlay in the test bed's root */
	const char *cmdline; /* appended to the kernel command line, or NULL */
} VmemTestGuestConfig;

void vmem_test_guest_config_init(VmemTestGuestConfig *config);

VmemTestbed *vmem_testbed_new(VmemTestbedMode mode, GError **error);
void vmem_testbed_free(VmemTestbed *tb);
const char *vmem_testbed_get_uri(VmemTestbed *tb);
virConnectPtr vmem_testbed_get_connection(VmemTestbed *tb);
VmemBackend *vmem_testbed_get_backend(VmemTestbed *tb, GError **error);
gboolean vmem_testbed_all_processes_gone(void);
gboolean vmem_testbed_restart_libvirtd(VmemTestbed *tb, GError **error);

VmemTestGuest *vmem_test_guest_new(VmemTestbed *tb, const char *name,
				   const VmemTestGuestConfig *config, GError **error);
gboolean vmem_test_guest_start(VmemTestGuest *guest, GError **error);
gboolean vmem_test_guest_reattach(VmemTestGuest *guest, GError **error);
void vmem_test_guest_destroy(VmemTestGuest *guest);
const char *vmem_test_guest_get_name(VmemTestGuest *guest);
virDomainPtr vmem_test_guest_get_domain(VmemTestGuest *guest);
const char *vmem_test_guest_get_agent_socket(VmemTestGuest *guest);
const char *vmem_test_guest_get_console_log(VmemTestGuest *guest);
guint vmem_test_guest_console_boots(VmemTestGuest *guest);
const char *vmem_test_guest_get_control_socket(VmemTestGuest *guest);
void vmem_test_guest_detach_control(VmemTestGuest *guest);
gboolean vmem_test_guest_is_running(VmemTestGuest *guest);

/* Migration between two test beds with private libvirtds */
char *vmem_test_guest_dest_xml(VmemTestGuest *guest, VmemTestbed *dest, GError **error);
VmemTestGuest *vmem_test_guest_follow(VmemTestGuest *guest, VmemTestbed *dest, GError **error);

/* The control port: run a shell command in the guest. */
char *vmem_test_guest_output(VmemTestGuest *guest, const char *command);
gboolean vmem_test_guest_run(VmemTestGuest *guest, const char *command, char **ret_output,
			     int *ret_status, GError **error);
gboolean vmem_test_guest_meminfo(VmemTestGuest *guest, const char *field, guint64 *ret_kib,
				 GError **error);
gboolean vmem_test_guest_hold(VmemTestGuest *guest, guint64 mib, GError **error);
gboolean vmem_test_guest_release(VmemTestGuest *guest, GError **error);

/* The virtio-mem device, through libvirt's public API. */
gboolean vmem_test_guest_get_sizes(VmemTestGuest *guest, const char *alias,
				   guint64 *ret_requested_kib, guint64 *ret_current_kib,
				   GError **error);
gboolean vmem_test_guest_set_requested(VmemTestGuest *guest, const char *alias,
				       guint64 requested_kib, GError **error);
gboolean vmem_test_guest_wait_current(VmemTestGuest *guest, const char *alias, guint64 current_kib,
				      guint timeout_s, GError **error);
gboolean vmem_test_guest_wait_settled(VmemTestGuest *guest, const char *alias, guint quiet_s,
				      guint timeout_s, guint64 *ret_current_kib, GError **error);
guint vmem_test_guest_get_size_events(VmemTestGuest *guest, const char *alias,
				      guint64 *ret_last_size_kib);

void vmem_test_spin(guint ms);
void vmem_test_wait_for(const guint *counter, guint want, guint timeout_s);

G_END_DECLS
