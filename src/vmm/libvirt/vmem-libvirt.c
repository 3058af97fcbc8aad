/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-libvirt.h"

#include <glib/gi18n.h>
#include <libvirt-glib/libvirt-glib.h>
#include <libvirt/virterror.h>

#include "vmem-error.h"

static void
vmem_libvirt_error_sink(void *opaque, virErrorPtr err)
{
	/* libvirt would print every error to stderr; ours are reported
	 * through GError by vmem_libvirt_set_error(). */
}

/**
 * vmem_libvirt_init:
 * @error: return location for a #GError
 *
 * Prepares libvirt for a GLib program: libvirt-glib makes the default
 * #GMainContext libvirt's event loop and its errors are not printed behind our back.
 * Call once, before the first connection is opened.
 */
gboolean
vmem_libvirt_init(GError **error)
{
	if (virInitialize() < 0) {
		vmem_libvirt_set_error(error);
		return FALSE;
	}
	virSetErrorFunc(NULL, vmem_libvirt_error_sink);
	gvir_event_register();
	return TRUE;
}

static VmemError
vmem_libvirt_error_code(int code)
{
	switch (code) {
	case VIR_ERR_NO_DOMAIN:
		return VMEM_ERROR_NOT_FOUND;
	case VIR_ERR_OPERATION_INVALID:
		return VMEM_ERROR_NOT_RUNNING;
	case VIR_ERR_OPERATION_TIMEOUT:
	case VIR_ERR_AGENT_UNRESPONSIVE:
		return VMEM_ERROR_TIMED_OUT;
	case VIR_ERR_AUTH_FAILED:
	case VIR_ERR_AUTH_CANCELLED:
	case VIR_ERR_ACCESS_DENIED:
		return VMEM_ERROR_PERMISSION_DENIED;
	case VIR_ERR_XML_ERROR:
	case VIR_ERR_XML_DETAIL:
	case VIR_ERR_INVALID_ARG:
	case VIR_ERR_CONFIG_UNSUPPORTED:
		return VMEM_ERROR_INVALID_ARGUMENT;
	default:
		return VMEM_ERROR_VMM;
	}
}

/**
 * vmem_libvirt_set_error:
 * @error: return location for a #GError
 *
 * Turns libvirt's last error of this thread into a #GError.  The one place
 * where libvirt errors cross into virtmem.
 */
void
vmem_libvirt_set_error(GError **error)
{
	virErrorPtr err = virGetLastError();

	if (err == NULL || err->message == NULL) {
		/* TRANSLATORS: libvirt failed without saying why */
		g_set_error_literal(error, VMEM_ERROR, VMEM_ERROR_VMM,
				    _("libvirt reported an unknown error"));
		return;
	}
	g_set_error_literal(error, VMEM_ERROR, vmem_libvirt_error_code(err->code), err->message);
}
