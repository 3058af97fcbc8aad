/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The policy on D-Bus: the Policy property (a{sv}) and SetPolicy(), which
 * writes the domain's metadata by the rules `virtmemctl policy set` uses.
 */
#pragma once

#include <libvirt/libvirt.h>

#include "vmem-policy.h"

G_BEGIN_DECLS

GVariant *vmem_daemon_policy_to_variant(const VmemPolicyDef *policy);
gboolean vmem_daemon_policy_from_variant(GVariant *dict, VmemPolicyDef *ret_changes,
					 GError **error);
gboolean vmem_daemon_policy_write(virDomainPtr dom, const VmemPolicyDef *changes, GError **error);

G_END_DECLS
