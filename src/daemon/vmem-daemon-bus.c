/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemd on D-Bus: the manager object and its ObjectManager at
 * /org/virtmem/Manager1, one object per managed domain below it, and the
 * methods.  Reading is for anyone; a method that changes a domain is for
 * root and the admin group (libvirt by default).  The bus policy file
 * says so too; the daemon checks again itself, so a loose bus
 * configuration does not open it up.
 */
#include "config.h"

#include "vmem-daemon-private.h"

#include <glib/gi18n.h>

#include "vmem-daemon-save.h"
#include "vmem-error.h"

#define VMEM_DBUS_PATH "/org/virtmem/Manager1"
#define VMEM_DBUS_ERROR_ACCESS_DENIED "org.virtmem.Error.AccessDenied"
#define VMEM_DBUS_ERROR_FAILED "org.virtmem.Error.Failed"

typedef enum {
	VMEM_DBUS_CALL_RESIZE,
	VMEM_DBUS_CALL_SET_POLICY,
	VMEM_DBUS_CALL_PAUSE,
	VMEM_DBUS_CALL_RESUME,
	VMEM_DBUS_CALL_SAVE,
	VMEM_DBUS_CALL_DUMP,
} VmemDBusCall;

/* A method call waiting for the bus to say who the caller is. */
typedef struct {
	VmemDaemon *daemon;
	char *domain;
	VmemDBusCall call;
	GDBusMethodInvocation *invocation;
	guint64 total;
	GVariant *policy; /* SetPolicy()'s, or Save()'s and Dump()'s options */
	char *path;	  /* Save()'s and Dump()'s file */
} VmemDBusPending;

static void
vmem_dbus_pending_free(VmemDBusPending *pending)
{
	g_free(pending->domain);
	g_object_unref(pending->invocation);
	g_clear_pointer(&pending->policy, g_variant_unref);
	g_free(pending->path);
	g_free(pending);
}

static void
vmem_dbus_return_error(GDBusMethodInvocation *invocation, const GError *error)
{
	g_dbus_method_invocation_return_dbus_error(invocation, VMEM_DBUS_ERROR_FAILED,
						   error->message);
}

static void
vmem_dbus_on_saved(GObject *source, GAsyncResult *result, gpointer user_data)
{
	VmemDBusPending *pending = user_data;
	VmemManaged *managed = g_hash_table_lookup(pending->daemon->domains, pending->domain);
	g_autoptr(GVariant) report = NULL;
	g_autoptr(GError) error = NULL;

	report = vmem_daemon_save_finish(VMEM_BACKEND(source), result, &error);
	if (managed != NULL)
		vmem_managed_set_job(managed, FALSE);
	if (report == NULL)
		vmem_dbus_return_error(pending->invocation, error);
	else
		g_dbus_method_invocation_return_value(pending->invocation,
						      g_variant_new_tuple(&report, 1));
	vmem_dbus_pending_free(pending);
}

/* Runs an authorized call.  Returns whether @pending was taken (a job
 * that answers later). */
static gboolean
vmem_dbus_run(VmemDBusPending *pending)
{
	VmemDaemon *daemon = pending->daemon;
	VmemManaged *managed = g_hash_table_lookup(daemon->domains, pending->domain);
	GDBusMethodInvocation *invocation = pending->invocation;
	g_autoptr(VmemDaemonSaveJob) job = NULL;
	g_autoptr(GError) error = NULL;

	if (managed == NULL) {
		/* TRANSLATORS: %s is a domain name */
		g_dbus_method_invocation_return_dbus_error(
			invocation, VMEM_DBUS_ERROR_FAILED,
			_("The domain is no longer managed; it stopped or libvirt went away."));
		return FALSE;
	}
	switch (pending->call) {
	case VMEM_DBUS_CALL_RESIZE:
		if (!vmem_managed_resize(managed, pending->total, vmem_daemon_now(daemon),
					 daemon->config.resize_timeout, &error)) {
			vmem_dbus_return_error(invocation, error);
			return FALSE;
		}
		break;
	case VMEM_DBUS_CALL_SET_POLICY:
		if (!vmem_managed_set_policy(managed, pending->policy, &error)) {
			vmem_dbus_return_error(invocation, error);
			return FALSE;
		}
		break;
	case VMEM_DBUS_CALL_SAVE:
	case VMEM_DBUS_CALL_DUMP:
		job = vmem_daemon_save_job_new(pending->path, pending->call == VMEM_DBUS_CALL_DUMP,
					       pending->policy, &error);
		if (job == NULL) {
			vmem_dbus_return_error(invocation, error);
			return FALSE;
		}
		/* One at a time: the first to end would let the engine decide
		 * again while the other still runs. */
		if (vmem_managed_get_job(managed)) {
			g_dbus_method_invocation_return_dbus_error(
				invocation, VMEM_DBUS_ERROR_FAILED,
				_("A save or dump of this domain runs already; wait for it to "
				  "end."));
			return FALSE;
		}
		/* The job runs in the background, automatic decisions held; the
		 * call is answered when it ends. */
		vmem_managed_set_job(managed, TRUE);
		vmem_daemon_save_async(daemon->backend, pending->domain, g_steal_pointer(&job),
				       vmem_managed_get_channel(managed), vmem_dbus_on_saved,
				       pending);
		vmem_managed_publish(managed, vmem_daemon_now(daemon));
		return TRUE;
	case VMEM_DBUS_CALL_PAUSE:
	case VMEM_DBUS_CALL_RESUME:
		vmem_managed_set_paused(managed, pending->call == VMEM_DBUS_CALL_PAUSE);
		break;
	}
	vmem_managed_publish(managed, vmem_daemon_now(daemon));
	g_dbus_method_invocation_return_value(invocation, NULL);
	return FALSE;
}

static void
vmem_dbus_on_credentials(GObject *source, GAsyncResult *result, gpointer user_data)
{
	VmemDBusPending *pending = user_data;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) creds = NULL;
	g_autoptr(GError) error = NULL;

	reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
	if (reply != NULL)
		creds = g_variant_get_child_value(reply, 0);
	g_clear_error(&error);
	if (!vmem_daemon_access_check(&pending->daemon->access, creds, &error)) {
		g_dbus_method_invocation_return_dbus_error(
			pending->invocation, VMEM_DBUS_ERROR_ACCESS_DENIED, error->message);
	} else if (vmem_dbus_run(pending)) {
		return; /* answered when the job ends */
	}
	vmem_dbus_pending_free(pending);
}

/* Asks the bus who called, then runs the call if the caller may. */
static gboolean
vmem_dbus_authorize(VmemManaged *managed, GDBusMethodInvocation *invocation, VmemDBusCall call,
		    guint64 total, GVariant *policy, const char *path)
{
	VmemDBusPending *pending = g_new0(VmemDBusPending, 1);
	VmemDaemon *daemon =
		g_object_get_data(G_OBJECT(vmem_managed_get_object(managed)), "vmem-daemon");

	pending->daemon = daemon;
	pending->domain = g_strdup(vmem_managed_get_name(managed));
	pending->call = call;
	pending->invocation = g_object_ref(invocation);
	pending->total = total;
	pending->policy = policy ? g_variant_ref(policy) : NULL;
	pending->path = g_strdup(path);
	g_dbus_connection_call(
		g_dbus_method_invocation_get_connection(invocation), "org.freedesktop.DBus",
		"/org/freedesktop/DBus", "org.freedesktop.DBus", "GetConnectionCredentials",
		g_variant_new("(s)", g_dbus_method_invocation_get_sender(invocation)),
		G_VARIANT_TYPE("(a{sv})"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
		vmem_dbus_on_credentials, pending);
	return TRUE;
}

static gboolean
vmem_dbus_on_resize(VmemDBusDomain1 *iface, GDBusMethodInvocation *invocation, guint64 total,
		    GVariant *options, gpointer user_data)
{
	if (g_variant_n_children(options) > 0) {
		g_dbus_method_invocation_return_dbus_error(
			invocation, "org.freedesktop.DBus.Error.InvalidArgs",
			_("Resize() takes no options yet; pass an empty dictionary."));
		return TRUE;
	}
	return vmem_dbus_authorize(user_data, invocation, VMEM_DBUS_CALL_RESIZE, total, NULL, NULL);
}

static gboolean
vmem_dbus_on_set_policy(VmemDBusDomain1 *iface, GDBusMethodInvocation *invocation, GVariant *policy,
			gpointer user_data)
{
	return vmem_dbus_authorize(user_data, invocation, VMEM_DBUS_CALL_SET_POLICY, 0, policy,
				   NULL);
}

static gboolean
vmem_dbus_on_pause(VmemDBusDomain1 *iface, GDBusMethodInvocation *invocation, gpointer user_data)
{
	return vmem_dbus_authorize(user_data, invocation, VMEM_DBUS_CALL_PAUSE, 0, NULL, NULL);
}

static gboolean
vmem_dbus_on_resume(VmemDBusDomain1 *iface, GDBusMethodInvocation *invocation, gpointer user_data)
{
	return vmem_dbus_authorize(user_data, invocation, VMEM_DBUS_CALL_RESUME, 0, NULL, NULL);
}

static gboolean
vmem_dbus_on_save(VmemDBusDomain1 *iface, GDBusMethodInvocation *invocation, const char *path,
		  GVariant *options, gpointer user_data)
{
	return vmem_dbus_authorize(user_data, invocation, VMEM_DBUS_CALL_SAVE, 0, options, path);
}

static gboolean
vmem_dbus_on_dump(VmemDBusDomain1 *iface, GDBusMethodInvocation *invocation, const char *path,
		  GVariant *options, gpointer user_data)
{
	return vmem_dbus_authorize(user_data, invocation, VMEM_DBUS_CALL_DUMP, 0, options, path);
}

/**
 * vmem_daemon_bus_export_manager:
 *
 * Exports org.virtmem.Manager1 and the ObjectManager on the daemon's bus.
 */
void
vmem_daemon_bus_export_manager(VmemDaemon *daemon)
{
	g_autoptr(GError) error = NULL;

	daemon->manager_iface = vmem_dbus_manager1_skeleton_new();
	vmem_dbus_manager1_set_version(daemon->manager_iface, PACKAGE_VERSION);
	vmem_dbus_manager1_set_uri(daemon->manager_iface,
				   daemon->config.uri ? daemon->config.uri : "");
	vmem_dbus_manager1_set_tick(daemon->manager_iface, daemon->config.tick);
	vmem_dbus_manager1_set_host_reserve(daemon->manager_iface, daemon->config.reserve);
	vmem_dbus_manager1_set_host_pressure(daemon->manager_iface, "");
	if (!g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(daemon->manager_iface),
					      daemon->bus, VMEM_DBUS_PATH, &error))
		g_warning("%s", error->message);
	daemon->manager = g_dbus_object_manager_server_new(VMEM_DBUS_PATH);
	g_dbus_object_manager_server_set_connection(daemon->manager, daemon->bus);
}

/**
 * vmem_daemon_bus_export:
 *
 * Puts @managed's object on the bus and answers its methods.
 */
void
vmem_daemon_bus_export(VmemDaemon *daemon, VmemManaged *managed)
{
	VmemDBusObjectSkeleton *object = vmem_managed_get_object(managed);
	g_autoptr(VmemDBusDomain1) iface = vmem_dbus_object_get_domain1(VMEM_DBUS_OBJECT(object));

	g_object_set_data(G_OBJECT(object), "vmem-daemon", daemon);
	g_signal_connect(iface, "handle-resize", G_CALLBACK(vmem_dbus_on_resize), managed);
	g_signal_connect(iface, "handle-set-policy", G_CALLBACK(vmem_dbus_on_set_policy), managed);
	g_signal_connect(iface, "handle-pause", G_CALLBACK(vmem_dbus_on_pause), managed);
	g_signal_connect(iface, "handle-resume", G_CALLBACK(vmem_dbus_on_resume), managed);
	g_signal_connect(iface, "handle-save", G_CALLBACK(vmem_dbus_on_save), managed);
	g_signal_connect(iface, "handle-dump", G_CALLBACK(vmem_dbus_on_dump), managed);
	g_dbus_object_manager_server_export(daemon->manager, G_DBUS_OBJECT_SKELETON(object));
}

void
vmem_daemon_bus_unexport(VmemDaemon *daemon, VmemManaged *managed)
{
	VmemDBusObjectSkeleton *object = vmem_managed_get_object(managed);
	g_autoptr(VmemDBusDomain1) iface = vmem_dbus_object_get_domain1(VMEM_DBUS_OBJECT(object));

	g_signal_handlers_disconnect_by_data(iface, managed);
	g_dbus_object_manager_server_unexport(daemon->manager,
					      g_dbus_object_get_object_path(G_DBUS_OBJECT(object)));
}
