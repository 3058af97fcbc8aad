/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Who may call virtmemd's methods that change a domain: root, virtmemd's
 * own user and the members of the administrators' group.  The group is
 * looked up once, when virtmemd starts; a call is judged from the
 * credentials the bus gives (GetConnectionCredentials), without asking
 * the name service: with LDAP or SSSD behind it, a lookup per call would
 * let a flood of calls stall the main loop.
 */
#pragma once

#include <gio/gio.h>
#include <sys/types.h>

G_BEGIN_DECLS

/**
 * VmemDaemonAccess:
 * @self: virtmemd's own user
 * @admin_group: (nullable): the administrators' group's name, %NULL for none
 * @has_admin_gid: whether @admin_group was found
 * @admin_gid: its id
 */
typedef struct {
	uid_t self;
	char *admin_group;
	gboolean has_admin_gid;
	gid_t admin_gid;
} VmemDaemonAccess;

void vmem_daemon_access_init(VmemDaemonAccess *access, const char *admin_group);
void vmem_daemon_access_init_resolved(VmemDaemonAccess *access, uid_t self, const char *admin_group,
				      gboolean has_admin_gid, gid_t admin_gid);
void vmem_daemon_access_clear(VmemDaemonAccess *access);
gboolean vmem_daemon_access_check(const VmemDaemonAccess *access, GVariant *credentials,
				  GError **error);

G_END_DECLS
