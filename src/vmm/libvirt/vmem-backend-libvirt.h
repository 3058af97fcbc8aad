/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libvirt/libvirt.h>

#include "vmem-backend.h"

G_BEGIN_DECLS

#define VMEM_TYPE_BACKEND_LIBVIRT (vmem_backend_libvirt_get_type())
G_DECLARE_FINAL_TYPE(VmemBackendLibvirt, vmem_backend_libvirt, VMEM, BACKEND_LIBVIRT, VmemBackend)

VmemBackend *vmem_backend_libvirt_open(const char *uri, GError **error);
VmemBackend *vmem_backend_libvirt_new(virConnectPtr conn, GError **error);
virDomainPtr vmem_backend_libvirt_lookup(VmemBackend *backend, const char *domain, GError **error);
gboolean vmem_backend_libvirt_domain_run_state(virDomainPtr dom, VmemRunState *ret_state,
					       GError **error);
gboolean vmem_backend_libvirt_read(VmemBackend *backend, const char *domain,
				   GPtrArray **ret_devices, VmemPolicyDef **ret_policy,
				   gboolean *ret_agent_port, GError **error);
gboolean vmem_backend_libvirt_set_policy(virDomainPtr dom, const VmemPolicyDef *policy,
					 unsigned int affect, GError **error);
virConnectPtr vmem_backend_libvirt_get_connection(VmemBackend *backend);

G_END_DECLS
