/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemctl as a client of virtmemd on D-Bus: finding the daemon on the
 * system bus, reading a domain's object, calling its methods.  `status`
 * shows the daemon's view; `resize`, `agent` and `show` go through the
 * daemon when it manages the domain (virtmemctl(1), VIRTMEMD).
 */
#pragma once

#include <gio/gio.h>

#include "virtmemctl.h"
#include "virtmemctl-daemon-view.h"
#include "vmem-job.h"

G_BEGIN_DECLS

/* An exit status beside those of VmemCtlExit (virtmemctl(1), EXIT
 * STATUS): virtmemd does not run (or is not on the bus). */

gboolean vmem_ctl_daemon_read(GDBusConnection **ret_bus, GVariant **ret_manager,
			      GVariant **ret_objects, GError **error);

/**
 * VmemCtlManaged:
 * @bus: the system bus
 * @path: the domain's object
 * @props: (nullable): its org.virtmem.Domain1 properties, a{sv}, as last read
 *
 * A domain virtmemd manages for virtmemctl's connection.
 */
typedef struct {
	GDBusConnection *bus;
	char *path;
	GVariant *props;
} VmemCtlManaged;

void vmem_ctl_managed_free(VmemCtlManaged *managed);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmemCtlManaged, vmem_ctl_managed_free)

VmemCtlManaged *vmem_ctl_daemon_manages(VmemCtl *ctl, VmemBackend *backend, const char *domain,
					GError **error);
gboolean vmem_ctl_managed_refresh(VmemCtlManaged *managed, GError **error);
gboolean vmem_ctl_managed_call(VmemCtlManaged *managed, const char *method, GVariant *parameters,
			       GError **error);
void vmem_ctl_managed_wait_facts(VmemCtlManaged *managed, guint timeout_ms,
				 VmemJobAgentFacts *ret_facts);

/* A save, dump or migration holds virtmemd's decisions (virtmemctl-job.c) */
typedef struct {
	VmemCtl *ctl;
	VmemCtlManaged *managed; /* paused by the job, or NULL */
	gboolean gone;		 /* the domain migrated away: Resume() may fail */
} VmemCtlHold;

void vmem_ctl_job_hold_daemon(VmemCtlHold *hold, VmemCtl *ctl, VmemBackend *backend,
			      const char *domain, gboolean json);
void vmem_ctl_hold_clear(VmemCtlHold *hold);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VmemCtlHold, vmem_ctl_hold_clear)

G_END_DECLS
