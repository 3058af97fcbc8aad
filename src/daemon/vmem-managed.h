/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One domain virtmemd manages: what it knows of it (devices, policy, run
 * state, the guest's latest report, the engine's history), its resize in
 * flight (one at a time), its accounting, and its D-Bus object.
 */
#pragma once

#include "vmem-agent-channel.h"
#include "vmem-backend.h"
#include "vmem-dbus.h"
#include "vmem-engine.h"

G_BEGIN_DECLS

typedef struct _VmemManaged VmemManaged;

typedef void (*VmemManagedReportFunc)(VmemManaged *managed, gpointer user_data);

VmemManaged *vmem_managed_new(VmemBackend *backend, const char *name, guint report_interval_ms,
			      VmemManagedReportFunc report_func, gpointer report_data,
			      GError **error);
void vmem_managed_free(VmemManaged *managed);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmemManaged, vmem_managed_free)

const char *vmem_managed_get_name(VmemManaged *managed);
VmemDBusObjectSkeleton *vmem_managed_get_object(VmemManaged *managed);
VmemAgentChannel *vmem_managed_get_channel(VmemManaged *managed);
VmemPolicyMode vmem_managed_get_mode(VmemManaged *managed);

gboolean vmem_managed_refresh(VmemManaged *managed, GError **error);
void vmem_managed_on_event(VmemManaged *managed, VmemDomainEvent event);
void vmem_managed_on_size(VmemManaged *managed, const char *alias, guint64 plugged);

void vmem_managed_update(VmemManaged *managed);
void vmem_managed_engine_input(VmemManaged *managed, double now, VmemEngineDomain *ret_input);
void vmem_managed_decided(VmemManaged *managed, const VmemEngineDecision *decision, double now,
			  guint timeout_s);
gboolean vmem_managed_resize(VmemManaged *managed, guint64 total, double now, guint timeout_s,
			     GError **error);
void vmem_managed_set_paused(VmemManaged *managed, gboolean paused);
gboolean vmem_managed_get_job(VmemManaged *managed);
void vmem_managed_set_job(VmemManaged *managed, gboolean job);
gboolean vmem_managed_set_policy(VmemManaged *managed, GVariant *policy, GError **error);
void vmem_managed_publish(VmemManaged *managed, double now);

G_END_DECLS
