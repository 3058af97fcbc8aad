/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon's own check of who may change a domain (the bus policy file
 * says the same; checking again means a loose bus configuration does not
 * open virtmemd up).
 *
 * The caller's groups are the UnixGroupIDs the bus gives, which
 * dbus-daemon 1.12 and later (on Linux) and dbus-broker take from the
 * caller's socket.  A bus that gives none gets no lookup of the caller's
 * groups in the group database instead: that lookup may block on LDAP or
 * SSSD, once per call, and answers for the account rather than the
 * process (one that dropped its groups, such as under `setpriv
 * --clear-groups` or a unit's SupplementaryGroups=, would still pass).
 * Only root and virtmemd's user may then change domains, and the error
 * says why.
 */
#include "config.h"

#include "vmem-daemon-access.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <grp.h>
#include <string.h>
#include <unistd.h>

#include "vmem-error.h"
#include "vmem-excerpt.h"

/* The largest buffer getgrnam_r() is given: a group with thousands of
 * members needs more than sysconf()'s hint. */
#define VMEM_DAEMON_ACCESS_BUFFER_MAX (1024 * 1024)

/* Looks @name up in the group database.  Returns 0 and *ret_gid when
 * found, ENOENT when there is no such group, else the error. */
static int
vmem_daemon_access_lookup(const char *name, gid_t *ret_gid)
{
	long hint = sysconf(_SC_GETGR_R_SIZE_MAX);
	gsize size = hint > 0 ? (gsize)hint : 4096;

	for (;;) {
		g_autofree char *buffer = g_malloc(size);
		struct group group, *found = NULL;
		int err = getgrnam_r(name, &group, buffer, size, &found);

		if (err == ERANGE && size < VMEM_DAEMON_ACCESS_BUFFER_MAX) {
			size *= 2;
			continue;
		}
		if (err != 0)
			return err;
		if (found == NULL)
			return ENOENT;
		*ret_gid = found->gr_gid;
		return 0;
	}
}

/**
 * vmem_daemon_access_init:
 * @admin_group: (nullable): the administrators' group, %NULL for none
 *
 * Looks @admin_group up, once; a group that does not exist, or that the
 * name service cannot find now, is logged: only root and virtmemd's user
 * may then change domains until virtmemd starts again.
 */
void
vmem_daemon_access_init(VmemDaemonAccess *access, const char *admin_group)
{
	gid_t gid = 0;
	int err = admin_group != NULL ? vmem_daemon_access_lookup(admin_group, &gid) : ENOENT;

	vmem_daemon_access_init_resolved(access, getuid(), admin_group, err == 0, gid);
	if (admin_group == NULL) {
		g_message(_("No administrators' group is set: only root may change domains."));
		return;
	}
	if (err == 0) {
		g_debug("The administrators' group %s is gid %u.", admin_group, (guint)gid);
	} else {
		g_autofree char *name = vmem_excerpt(admin_group);

		if (err == ENOENT)
			g_warning(_("The administrators' group “%s” does not exist, so only root "
				    "may change domains; create it, or set admin-group in "
				    "virtmemd.conf, and restart virtmemd."),
				  name);
		else
			/* TRANSLATORS: %1$s is a group name, %2$s the system's reason */
			g_warning(_("Cannot look up the administrators' group “%1$s”: %2$s. "
				    "Only root may change domains until virtmemd restarts."),
				  name, g_strerror(err));
	}
}

/**
 * vmem_daemon_access_init_resolved:
 * @self: the user the daemon runs as
 * @admin_group: (nullable): the administrators' group's name
 * @has_admin_gid: whether it exists
 * @admin_gid: its id
 *
 * Sets @access up from a lookup made already (and the tests' own).
 */
void
vmem_daemon_access_init_resolved(VmemDaemonAccess *access, uid_t self, const char *admin_group,
				 gboolean has_admin_gid, gid_t admin_gid)
{
	*access = (VmemDaemonAccess){
		.self = self,
		.admin_group = g_strdup(admin_group),
		.has_admin_gid = has_admin_gid,
		.admin_gid = admin_gid,
	};
}

void
vmem_daemon_access_clear(VmemDaemonAccess *access)
{
	g_clear_pointer(&access->admin_group, g_free);
}

static gboolean
vmem_daemon_access_denied(GError **error)
{
	g_set_error_literal(error, VMEM_ERROR, VMEM_ERROR_PERMISSION_DENIED,
			    _("Only root and members of the administrators' group may change a "
			      "domain."));
	return FALSE;
}

/**
 * vmem_daemon_access_check:
 * @credentials: (nullable): the caller's, as the bus's
 *   GetConnectionCredentials() gives them (a{sv})
 * @error: a %VMEM_ERROR_PERMISSION_DENIED error saying why not
 *
 * Returns: whether the caller may change a domain
 */
gboolean
vmem_daemon_access_check(const VmemDaemonAccess *access, GVariant *credentials, GError **error)
{
	g_autoptr(GVariant) gids = NULL;
	const guint32 *list;
	gsize len = 0;
	guint32 uid;

	if (credentials == NULL || !g_variant_lookup(credentials, "UnixUserID", "u", &uid))
		return vmem_daemon_access_denied(error);
	if (uid == 0 || uid == access->self)
		return TRUE;
	if (access->admin_group == NULL) {
		g_set_error_literal(error, VMEM_ERROR, VMEM_ERROR_PERMISSION_DENIED,
				    _("Only root may change a domain: virtmemd has no "
				      "administrators' group."));
		return FALSE;
	}
	if (!access->has_admin_gid) {
		g_autofree char *name = vmem_excerpt(access->admin_group);

		g_set_error(error, VMEM_ERROR, VMEM_ERROR_PERMISSION_DENIED,
			    /* TRANSLATORS: %s is a group name */
			    _("Only root may change a domain: the administrators' group “%s” "
			      "was not found when virtmemd started."),
			    name);
		return FALSE;
	}
	gids = g_variant_lookup_value(credentials, "UnixGroupIDs", G_VARIANT_TYPE("au"));
	if (gids == NULL) {
		g_autofree char *name = vmem_excerpt(access->admin_group);

		g_set_error(error, VMEM_ERROR, VMEM_ERROR_PERMISSION_DENIED,
			    /* TRANSLATORS: %s is a group name; keep UnixGroupIDs */
			    _("The bus does not give the caller's groups (UnixGroupIDs; "
			      "dbus-daemon 1.12 or later and dbus-broker do), so membership of "
			      "“%s” cannot be checked and only root may change a domain."),
			    name);
		return FALSE;
	}
	list = g_variant_get_fixed_array(gids, &len, sizeof(guint32));
	for (gsize i = 0; i < len; i++) {
		if (list[i] == (guint32)access->admin_gid)
			return TRUE;
	}
	return vmem_daemon_access_denied(error);
}
