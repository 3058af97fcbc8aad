/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VMEM_ERROR (vmem_error_quark())

/**
 * VmemError:
 * @VMEM_ERROR_FAILED: a failure that fits no other code
 * @VMEM_ERROR_INVALID_ARGUMENT: the caller asked for something malformed
 * @VMEM_ERROR_INVALID_DATA: input (XML, QMP, agent message, image) is malformed
 * @VMEM_ERROR_NOT_FOUND: no such domain, device or file
 * @VMEM_ERROR_NOT_RUNNING: the domain is not running
 * @VMEM_ERROR_BUSY: the VMM refuses now (migration or save in progress)
 * @VMEM_ERROR_TIMED_OUT: an operation did not finish in time
 * @VMEM_ERROR_STUCK: the guest stopped making progress on an unplug
 * @VMEM_ERROR_NO_DRIVER: the guest has no virtio-mem driver
 * @VMEM_ERROR_VMM: the VMM (libvirt or QEMU) reported an error
 * @VMEM_ERROR_IO: reading or writing a file or socket failed
 * @VMEM_ERROR_PERMISSION_DENIED: the caller may not do this
 *
 * The one error domain of virtmem.  Each code maps to a D-Bus error name
 * `org.virtmem.Error.*`, so errors cross the bus unchanged.
 */
typedef enum {
	VMEM_ERROR_FAILED,
	VMEM_ERROR_INVALID_ARGUMENT,
	VMEM_ERROR_INVALID_DATA,
	VMEM_ERROR_NOT_FOUND,
	VMEM_ERROR_NOT_RUNNING,
	VMEM_ERROR_BUSY,
	VMEM_ERROR_TIMED_OUT,
	VMEM_ERROR_STUCK,
	VMEM_ERROR_NO_DRIVER,
	VMEM_ERROR_VMM,
	VMEM_ERROR_IO,
	VMEM_ERROR_PERMISSION_DENIED,
	VMEM_ERROR_LAST /*< skip >*/
} VmemError;

GQuark vmem_error_quark(void);

G_END_DECLS
