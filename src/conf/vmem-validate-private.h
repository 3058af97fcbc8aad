/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "vmem-domain.h"

G_BEGIN_DECLS

void vmem_validate_policy(const VmemDomainDef *domain, GPtrArray *findings);
void vmem_validate_policy_namespace(const VmemDomainDef *domain, GPtrArray *findings);

G_END_DECLS
