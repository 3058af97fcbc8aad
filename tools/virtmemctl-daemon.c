/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemctl as a client of virtmemd: plain GDBus calls on the system bus
 * (DBUS_SYSTEM_BUS_ADDRESS names another), never starting the daemon by
 * D-Bus activation: a command that finds no daemon works without it.
 */
#include "config.h"

#include "virtmemctl-daemon.h"

#include <glib/gi18n.h>
#include <libvirt/virterror.h>

#include "vmem-backend-libvirt.h"
#include "vmem-error.h"
#include "vmem-libvirt.h"
#include "vmem-squeeze.h"

#define VMEM_CTL_DAEMON_NAME "org.virtmem.Manager1"
#define VMEM_CTL_DAEMON_PATH "/org/virtmem/Manager1"
#define VMEM_CTL_DAEMON_DOMAIN_IFACE "org.virtmem.Domain1"
/* How long a call to virtmemd may take */
#define VMEM_CTL_DAEMON_TIMEOUT_MS 10000

/* Whether @error says that nobody owns virtmemd's name */
static gboolean
vmem_ctl_daemon_is_absent(const GError *error)
{
	return g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
	       g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER);
}

static GVariant *
vmem_ctl_daemon_call(GDBusConnection *bus, const char *path, const char *iface, const char *method,
		     GVariant *parameters, const GVariantType *reply_type, GError **error)
{
	g_autoptr(GError) local_error = NULL;
	GVariant *reply = g_dbus_connection_call_sync(
		bus, VMEM_CTL_DAEMON_NAME, path, iface, method, parameters, reply_type,
		G_DBUS_CALL_FLAGS_NO_AUTO_START, VMEM_CTL_DAEMON_TIMEOUT_MS, NULL, &local_error);

	if (reply != NULL)
		return reply;
	if (vmem_ctl_daemon_is_absent(local_error)) {
		g_set_error_literal(error, VMEM_ERROR, VMEM_ERROR_NOT_RUNNING,
				    /* TRANSLATORS: keep virtmemd */
				    _("virtmemd is not running: nobody owns org.virtmem.Manager1 "
				      "on the system bus."));
		return NULL;
	}
	g_dbus_error_strip_remote_error(local_error);
	g_set_error(error, VMEM_ERROR, VMEM_ERROR_FAILED,
		    /* TRANSLATORS: %s is D-Bus's or virtmemd's message */
		    _("virtmemd answered with an error: %s"), local_error->message);
	return NULL;
}

/**
 * vmem_ctl_daemon_read:
 * @ret_bus: (out): the system bus
 * @ret_manager: (out): org.virtmem.Manager1's properties, a{sv}
 * @ret_objects: (out): the managed objects, a{oa{sa{sv}}}
 *
 * Reads virtmemd's view.  When the daemon is not on the bus (or there is
 * no bus), fails with %VMEM_ERROR_NOT_RUNNING.
 */
gboolean
vmem_ctl_daemon_read(GDBusConnection **ret_bus, GVariant **ret_manager, GVariant **ret_objects,
		     GError **error)
{
	g_autoptr(GError) local_error = NULL;
	g_autoptr(GDBusConnection) bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &local_error);
	g_autoptr(GVariant) objects = NULL;
	g_autoptr(GVariant) manager = NULL;

	if (bus == NULL) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_NOT_RUNNING,
			    /* TRANSLATORS: %s says why the bus cannot be reached */
			    _("virtmemd is not running: the system bus cannot be reached (%s)."),
			    local_error->message);
		return FALSE;
	}
	objects = vmem_ctl_daemon_call(bus, VMEM_CTL_DAEMON_PATH,
				       "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
				       NULL, G_VARIANT_TYPE("(a{oa{sa{sv}}})"), error);
	if (objects == NULL)
		return FALSE;
	manager = vmem_ctl_daemon_call(bus, VMEM_CTL_DAEMON_PATH, "org.freedesktop.DBus.Properties",
				       "GetAll", g_variant_new("(s)", VMEM_CTL_DAEMON_NAME),
				       G_VARIANT_TYPE("(a{sv})"), error);
	if (manager == NULL)
		return FALSE;
	*ret_bus = g_steal_pointer(&bus);
	*ret_manager = g_variant_get_child_value(manager, 0);
	*ret_objects = g_variant_get_child_value(objects, 0);
	return TRUE;
}

static void
vmem_ctl_daemon_set_not_managed(GError **error, const char *domain)
{
	g_set_error(error, VMEM_ERROR, VMEM_ERROR_NOT_FOUND,
		    /* TRANSLATORS: %s is a domain name; keep virtmemd */
		    _("virtmemd does not manage domain %s on this connection."), domain);
}

void
vmem_ctl_managed_free(VmemCtlManaged *managed)
{
	if (managed == NULL)
		return;
	g_clear_object(&managed->bus);
	g_free(managed->path);
	g_clear_pointer(&managed->props, g_variant_unref);
	g_free(managed);
}

/**
 * vmem_ctl_daemon_manages:
 * @domain: a domain's name, as vmem_ctl_lookup_domain() found it
 *
 * Whether virtmemd manages @domain for the same libvirt as @backend: its
 * Uri is the URI virtmemctl connected with, it has an object with the
 * domain's UUID, and the domain's policy is not off (virtmemd then leaves
 * the domain, and its agent's channel, alone).  Without a daemon,
 * virtmemctl works directly: callers that do so ignore @error.
 *
 * Returns: (transfer full) (nullable): the domain on the bus, or %NULL with
 *   @error saying why not: %VMEM_ERROR_NOT_RUNNING when virtmemd does not
 *   run, %VMEM_ERROR_NOT_FOUND when it does not manage @domain
 */
VmemCtlManaged *
vmem_ctl_daemon_manages(VmemCtl *ctl, VmemBackend *backend, const char *domain, GError **error)
{
	g_autoptr(virDomain) dom = NULL;
	g_autoptr(GDBusConnection) bus = NULL;
	g_autoptr(GVariant) manager = NULL;
	g_autoptr(GVariant) objects = NULL;
	g_autoptr(GVariant) props = NULL;
	g_autofree char *conn_uri = NULL;
	g_autofree char *path = NULL;
	const char *daemon_uri = "";
	const char *automation = "";
	char uuid[VIR_UUID_STRING_BUFLEN];
	VmemCtlManaged *managed;

	if (!VMEM_IS_BACKEND_LIBVIRT(backend)) {
		vmem_ctl_daemon_set_not_managed(error, domain);
		return NULL;
	}
	dom = vmem_backend_libvirt_lookup(backend, domain, error);
	if (dom == NULL)
		return NULL;
	if (virDomainGetUUIDString(dom, uuid) < 0) {
		vmem_libvirt_set_error(error);
		return NULL;
	}
	if (!vmem_ctl_daemon_read(&bus, &manager, &objects, error))
		return NULL;
	conn_uri = virConnectGetURI(virDomainGetConnect(dom));
	g_variant_lookup(manager, "Uri", "&s", &daemon_uri);
	if (!vmem_ctl_daemon_uri_matches(daemon_uri, ctl->uri) &&
	    !vmem_ctl_daemon_uri_matches(daemon_uri, conn_uri)) {
		g_debug("virtmemd manages %s, not %s", daemon_uri, conn_uri);
		vmem_ctl_daemon_set_not_managed(error, domain);
		return NULL;
	}
	props = vmem_ctl_daemon_find_domain(objects, uuid, &path);
	if (props != NULL)
		g_variant_lookup(props, "Automation", "&s", &automation);
	if (props == NULL || g_str_equal(automation, "off")) {
		vmem_ctl_daemon_set_not_managed(error, domain);
		return NULL;
	}
	managed = g_new0(VmemCtlManaged, 1);
	managed->bus = g_steal_pointer(&bus);
	managed->path = g_steal_pointer(&path);
	managed->props = g_steal_pointer(&props);
	return managed;
}

/**
 * vmem_ctl_managed_refresh:
 *
 * Reads the domain's properties again.
 */
gboolean
vmem_ctl_managed_refresh(VmemCtlManaged *managed, GError **error)
{
	g_autoptr(GVariant) reply =
		vmem_ctl_daemon_call(managed->bus, managed->path, "org.freedesktop.DBus.Properties",
				     "GetAll", g_variant_new("(s)", VMEM_CTL_DAEMON_DOMAIN_IFACE),
				     G_VARIANT_TYPE("(a{sv})"), error);

	if (reply == NULL)
		return FALSE;
	g_clear_pointer(&managed->props, g_variant_unref);
	managed->props = g_variant_get_child_value(reply, 0);
	return TRUE;
}

/**
 * vmem_ctl_managed_call:
 * @method: a method of org.virtmem.Domain1
 * @parameters: (nullable): its arguments
 *
 * Calls @method and reads the properties again.
 */
gboolean
vmem_ctl_managed_call(VmemCtlManaged *managed, const char *method, GVariant *parameters,
		      GError **error)
{
	g_autoptr(GVariant) reply =
		vmem_ctl_daemon_call(managed->bus, managed->path, VMEM_CTL_DAEMON_DOMAIN_IFACE,
				     method, parameters, G_VARIANT_TYPE_UNIT, error);

	return reply != NULL && vmem_ctl_managed_refresh(managed, error);
}

typedef struct {
	GMainLoop *loop;
	gboolean reported;
} VmemCtlReportWait;

static void
vmem_ctl_on_domain_changed(GDBusConnection *bus, const char *sender, const char *path,
			   const char *iface, const char *signal, GVariant *parameters,
			   gpointer user_data)
{
	VmemCtlReportWait *wait = user_data;
	g_autoptr(GVariant) changed = g_variant_get_child_value(parameters, 1);
	g_autoptr(GVariant) age =
		g_variant_lookup_value(changed, "GuestReportAge", G_VARIANT_TYPE_DOUBLE);

	/* (virtmemd also republishes the age of an old report now and then) */
	if (age != NULL && g_variant_get_double(age) >= 0 &&
	    g_variant_get_double(age) * G_USEC_PER_SEC <= VMEM_SQUEEZE_FACTS_MAX_AGE_US) {
		wait->reported = TRUE;
		g_main_loop_quit(wait->loop);
	}
}

static gboolean
vmem_ctl_on_report_timeout(gpointer user_data)
{
	g_main_loop_quit(((VmemCtlReportWait *)user_data)->loop);
	return G_SOURCE_REMOVE;
}

/**
 * vmem_ctl_managed_wait_facts:
 * @timeout_ms: how long to wait for the guest agent's next report
 * @ret_facts: (out caller-allocates): what virtmemd has of the guest, as a
 *   squeeze judges by it; not valid when no new report from the agent came
 *   in time
 *
 * Waits for virtmemd to publish the guest agent's next report, then reads
 * it: virtmemd holds the agent's channel, so a squeeze of a domain it
 * manages goes by its figures.  Only a fresh report counts: the age in
 * the properties is that at their last change, which may be long ago.
 */
void
vmem_ctl_managed_wait_facts(VmemCtlManaged *managed, guint timeout_ms, VmemJobAgentFacts *ret_facts)
{
	VmemCtlReportWait wait = {g_main_loop_new(NULL, FALSE), FALSE};
	g_autoptr(GVariant) devices = NULL;
	g_autoptr(GError) error = NULL;
	const char *source = "";
	guint64 total = 0, available = 0, plugged = 0, dev_plugged;
	double age = -1;
	guint subscription, timeout;
	GVariantIter iter;

	memset(ret_facts, 0, sizeof(*ret_facts));
	subscription = g_dbus_connection_signal_subscribe(
		managed->bus, VMEM_CTL_DAEMON_NAME, "org.freedesktop.DBus.Properties",
		"PropertiesChanged", managed->path, VMEM_CTL_DAEMON_DOMAIN_IFACE,
		G_DBUS_SIGNAL_FLAGS_NONE, vmem_ctl_on_domain_changed, &wait, NULL);
	timeout = g_timeout_add(timeout_ms, vmem_ctl_on_report_timeout, &wait);
	g_main_loop_run(wait.loop);
	if (wait.reported)
		g_source_remove(timeout);
	g_dbus_connection_signal_unsubscribe(managed->bus, subscription);
	g_main_loop_unref(wait.loop);
	if (!wait.reported || !vmem_ctl_managed_refresh(managed, &error)) {
		g_debug("no fresh report through virtmemd: %s", error ? error->message : "timeout");
		return;
	}
	g_variant_lookup(managed->props, "GuestSource", "&s", &source);
	g_variant_lookup(managed->props, "GuestTotal", "t", &total);
	g_variant_lookup(managed->props, "GuestAvailable", "t", &available);
	g_variant_lookup(managed->props, "GuestReportAge", "d", &age);
	devices = g_variant_lookup_value(managed->props, "Devices", G_VARIANT_TYPE("a(sutttt)"));
	/* The balloon's statistics are no agent's report: no squeeze by them. */
	if (!g_str_equal(source, "agent") || devices == NULL || age < 0 || total == 0 ||
	    available > total)
		return;
	g_variant_iter_init(&iter, devices);
	while (g_variant_iter_next(&iter, "(&sutttt)", NULL, NULL, NULL, NULL, NULL, &dev_plugged))
		plugged += dev_plugged;
	ret_facts->valid = TRUE;
	ret_facts->age_us = (gint64)(age * G_USEC_PER_SEC);
	ret_facts->driver_loaded = TRUE;
	ret_facts->mem_total = total;
	ret_facts->mem_available = available;
	ret_facts->mem_used = total - available;
	ret_facts->online = MIN(plugged, total);
	ret_facts->base = total - ret_facts->online;
}
