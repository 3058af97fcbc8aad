/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemctl policy get and set (virtmemctl-policy-edit.c), dispatched by
 * `virtmemctl policy` (virtmemctl-policy.c).
 */
#pragma once

#include "virtmemctl.h"

G_BEGIN_DECLS

int vmem_ctl_policy_get(VmemCtl *ctl, int argc, char **argv);
int vmem_ctl_policy_set(VmemCtl *ctl, int argc, char **argv);

G_END_DECLS
