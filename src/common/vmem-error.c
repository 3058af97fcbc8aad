/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vmem-error.h"

#include <gio/gio.h>

static const GDBusErrorEntry vmem_error_entries[] = {
	{VMEM_ERROR_FAILED, "org.virtmem.Error.Failed"},
	{VMEM_ERROR_INVALID_ARGUMENT, "org.virtmem.Error.InvalidArgument"},
	{VMEM_ERROR_INVALID_DATA, "org.virtmem.Error.InvalidData"},
	{VMEM_ERROR_NOT_FOUND, "org.virtmem.Error.NotFound"},
	{VMEM_ERROR_NOT_RUNNING, "org.virtmem.Error.NotRunning"},
	{VMEM_ERROR_BUSY, "org.virtmem.Error.Busy"},
	{VMEM_ERROR_TIMED_OUT, "org.virtmem.Error.TimedOut"},
	{VMEM_ERROR_STUCK, "org.virtmem.Error.Stuck"},
	{VMEM_ERROR_NO_DRIVER, "org.virtmem.Error.NoDriver"},
	{VMEM_ERROR_VMM, "org.virtmem.Error.Vmm"},
	{VMEM_ERROR_IO, "org.virtmem.Error.IO"},
	{VMEM_ERROR_PERMISSION_DENIED, "org.virtmem.Error.PermissionDenied"},
};

G_STATIC_ASSERT(G_N_ELEMENTS(vmem_error_entries) == VMEM_ERROR_LAST);

GQuark
vmem_error_quark(void)
{
	static gsize quark = 0;

	g_dbus_error_register_error_domain("vmem-error-quark", &quark, vmem_error_entries,
					   G_N_ELEMENTS(vmem_error_entries));
	return (GQuark)quark;
}
