/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The connection of the subcommands that talk to a VMM.
 */
#include "config.h"

#include "virtmemctl.h"

/**
 * vmem_ctl_get_uri:
 *
 * The URI to connect to, like virsh: `-c URI`, else `VIRTMEM_DEFAULT_URI`,
 * else `LIBVIRT_DEFAULT_URI`, else `qemu:///system`.
 */
const char *
vmem_ctl_get_uri(VmemCtl *ctl)
{
	const char *env;

	if (ctl->uri != NULL)
		return ctl->uri;
	env = g_getenv("VIRTMEM_DEFAULT_URI");
	if (env != NULL && *env != '\0')
		return env;
	env = g_getenv("LIBVIRT_DEFAULT_URI");
	if (env != NULL && *env != '\0')
		return env;
	return "qemu:///system";
}

/**
 * vmem_ctl_connect:
 *
 * Opens the backend that serves vmem_ctl_get_uri() (libvirt, or QMP for
 * `qmp+unix://` URIs).
 */
VmemBackend *
vmem_ctl_connect(VmemCtl *ctl, GError **error)
{
	return vmem_backend_open(vmem_ctl_get_uri(ctl), error);
}

/**
 * vmem_ctl_print_error:
 *
 * The one way subcommands report a failure: one line on stderr.
 */
void
vmem_ctl_print_error(VmemCtl *ctl, const GError *error)
{
	g_printerr("%s: %s\n", ctl->prgname, error->message);
}
