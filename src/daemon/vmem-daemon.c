/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon's core.  Every tick: read the host's MemAvailable (when a
 * reserve is configured), give every managed domain to the engine at once
 * (host arbitration needs them all), apply the decisions that change
 * something as resizes, publish the new state on D-Bus.  libvirt's events
 * only mark what must be read again.  An agent's report that asks for more
 * memory brings the next round forward: a guest running short should not
 * wait for the tick.
 */
#include "config.h"

#include "vmem-daemon-private.h"

#include <glib/gi18n.h>
#include <math.h>

#include "vmem-backend-libvirt.h"
#include "vmem-error.h"
#include "vmem-host.h"
#include "vmem-libvirt.h"

/* Seconds between two looks for new domains when no event said so. */
#define VMEM_DAEMON_DISCOVER_S 10.0
/* The longest wait between two attempts to reconnect to libvirt, and
 * for one attempt. */
#define VMEM_DAEMON_RECONNECT_MAX_S 30
#define VMEM_DAEMON_OPEN_TIMEOUT_S 15
/* The shortest time between two rounds brought forward by reports, so
 * that many guests reporting at once cost a few rounds, not one each. */
#define VMEM_DAEMON_EARLY_MIN_MS 100

static void vmem_daemon_reconnect(VmemDaemon *daemon);
static void vmem_daemon_on_report(VmemManaged *managed, gpointer user_data);

double
vmem_daemon_now(VmemDaemon *daemon)
{
	return (double)(g_get_monotonic_time() - daemon->start_us) / G_USEC_PER_SEC;
}

static void
vmem_daemon_remove(VmemDaemon *daemon, const char *name)
{
	VmemManaged *managed = g_hash_table_lookup(daemon->domains, name);

	if (managed == NULL)
		return;
	g_message(_("Domain %s is no longer managed."), name);
	vmem_daemon_bus_unexport(daemon, managed);
	g_hash_table_remove(daemon->domains, name);
}

/* Starts managing @name if it has virtio-mem devices. */
static void
vmem_daemon_add(VmemDaemon *daemon, const char *name)
{
	g_autoptr(GError) error = NULL;
	VmemManaged *managed;
	guint interval_ms = (guint)(daemon->config.tick * 1000);

	if (g_hash_table_contains(daemon->domains, name))
		return;
	managed = vmem_managed_new(daemon->backend, name, interval_ms, vmem_daemon_on_report,
				   daemon, &error);
	if (managed == NULL) {
		if (!g_error_matches(error, VMEM_ERROR, VMEM_ERROR_NOT_FOUND))
			g_warning("%s: %s", name, error->message);
		return;
	}
	g_hash_table_insert(daemon->domains, g_strdup(name), managed);
	/* TRANSLATORS: %1$s is a domain name, %2$s its policy mode */
	g_message(_("Domain %1$s is managed, policy mode %2$s."), name,
		  vmem_policy_mode_to_string(vmem_managed_get_mode(managed)));
	vmem_managed_publish(managed, vmem_daemon_now(daemon));
	vmem_daemon_bus_export(daemon, managed);
}

/* Finds the domains with virtio-mem devices, forgets those gone. */
static void
vmem_daemon_discover(VmemDaemon *daemon)
{
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func(g_free);
	GHashTableIter iter;
	gpointer key;

	daemon->discovered_at = vmem_daemon_now(daemon);
	if (!vmem_backend_list_domains(daemon->backend, &names, &error)) {
		g_warning("%s", error->message);
		return;
	}
	for (guint i = 0; i < names->len; i++)
		vmem_daemon_add(daemon, names->pdata[i]);
	g_hash_table_iter_init(&iter, daemon->domains);
	while (g_hash_table_iter_next(&iter, &key, NULL)) {
		if (!g_ptr_array_find_with_equal_func(names, key, g_str_equal, NULL))
			g_ptr_array_add(gone, g_strdup(key));
	}
	for (guint i = 0; i < gone->len; i++)
		vmem_daemon_remove(daemon, gone->pdata[i]);
}

static void
vmem_daemon_on_size(VmemBackend *backend, const char *domain, const char *alias, guint64 plugged,
		    gpointer user_data)
{
	VmemDaemon *daemon = user_data;
	VmemManaged *managed = g_hash_table_lookup(daemon->domains, domain);

	if (managed != NULL)
		vmem_managed_on_size(managed, alias, plugged);
}

static void
vmem_daemon_disconnect(VmemDaemon *daemon)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, daemon->domains);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		vmem_daemon_bus_unexport(daemon, value);
	g_hash_table_remove_all(daemon->domains);
	if (daemon->backend != NULL) {
		g_clear_signal_handler(&daemon->size_handler, daemon->backend);
		g_clear_signal_handler(&daemon->event_handler, daemon->backend);
	}
	g_clear_object(&daemon->backend);
	if (daemon->manager_iface != NULL)
		vmem_dbus_manager1_set_connected(daemon->manager_iface, FALSE);
}

static gboolean
vmem_daemon_on_reconnect(gpointer user_data)
{
	VmemDaemon *daemon = user_data;

	daemon->reconnect_source = 0;
	vmem_daemon_reconnect(daemon);
	return G_SOURCE_REMOVE;
}

static void
vmem_daemon_schedule_reconnect(VmemDaemon *daemon)
{
	daemon->reconnect_delay_s =
		MIN(MAX(daemon->reconnect_delay_s * 2, 1), VMEM_DAEMON_RECONNECT_MAX_S);
	/* TRANSLATORS: %u is a number of seconds */
	g_message(_("Connecting to libvirt again in %u s."), daemon->reconnect_delay_s);
	daemon->reconnect_source =
		g_timeout_add_seconds(daemon->reconnect_delay_s, vmem_daemon_on_reconnect, daemon);
}

static void
vmem_daemon_on_event(VmemBackend *backend, const char *domain, guint event, gpointer user_data)
{
	VmemDaemon *daemon = user_data;
	VmemManaged *managed;

	if (domain == NULL && event == VMEM_DOMAIN_EVENT_GONE) {
		g_warning(_("The connection to libvirt was lost."));
		vmem_daemon_disconnect(daemon);
		vmem_daemon_schedule_reconnect(daemon);
		return;
	}
	managed = domain ? g_hash_table_lookup(daemon->domains, domain) : NULL;
	if (managed != NULL)
		vmem_managed_on_event(managed, event);
	else if (event == VMEM_DOMAIN_EVENT_STARTED || event == VMEM_DOMAIN_EVENT_CHANGED)
		daemon->discovered_at = VMEM_ENGINE_NEVER; /* look at the next tick */
}

/* Follows a new backend: its events, its domains, the Connected and Uri
 * properties. */
static void
vmem_daemon_connected(VmemDaemon *daemon, VmemBackend *backend)
{
	const char *uri = daemon->config.uri;

	daemon->backend = backend;
	/* TRANSLATORS: %s is a libvirt URI */
	g_message(_("Connected to %s."), uri ? uri : "libvirt");
	daemon->reconnect_delay_s = 0;
	daemon->size_handler = g_signal_connect(daemon->backend, "size-changed",
						G_CALLBACK(vmem_daemon_on_size), daemon);
	daemon->event_handler = g_signal_connect(daemon->backend, "domain-event",
						 G_CALLBACK(vmem_daemon_on_event), daemon);
	if (daemon->manager_iface != NULL) {
		g_autofree char *real_uri =
			virConnectGetURI(vmem_backend_libvirt_get_connection(daemon->backend));

		/* The URI libvirt resolved (its default, when none was given):
		 * what virtmemctl compares its own with. */
		if (real_uri != NULL)
			vmem_dbus_manager1_set_uri(daemon->manager_iface, real_uri);
		vmem_dbus_manager1_set_connected(daemon->manager_iface, TRUE);
	}
	vmem_daemon_discover(daemon);
}

/* The first connection, in the main thread: an embedded driver opens
 * in-process and must know at once whether it can. */
static gboolean
vmem_daemon_connect(VmemDaemon *daemon)
{
	g_autoptr(GError) error = NULL;
	VmemBackend *backend = vmem_backend_libvirt_open(daemon->config.uri, &error);

	if (backend == NULL) {
		g_warning("%s", error->message);
		vmem_daemon_schedule_reconnect(daemon);
		return FALSE;
	}
	vmem_daemon_connected(daemon, backend);
	return TRUE;
}

static void
vmem_daemon_close_connection(gpointer conn)
{
	virConnectClose(conn);
}

static void
vmem_daemon_open_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	virConnectPtr conn = virConnectOpen(task_data);
	GError *error = NULL;

	if (conn == NULL) {
		vmem_libvirt_set_error(&error);
		g_task_return_error(task, error);
		return;
	}
	g_task_return_pointer(task, conn, vmem_daemon_close_connection);
}

static void
vmem_daemon_on_opened(GObject *source, GAsyncResult *result, gpointer user_data)
{
	VmemDaemon *daemon = user_data;
	g_autoptr(GError) error = NULL;
	virConnectPtr conn = g_task_propagate_pointer(G_TASK(result), &error);
	VmemBackend *backend = NULL;

	g_clear_handle_id(&daemon->open_timeout, g_source_remove);
	g_clear_object(&daemon->opening);
	if (conn != NULL) {
		backend = vmem_backend_libvirt_new(conn, &error);
		virConnectClose(conn);
	}
	if (backend == NULL) {
		if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			/* TRANSLATORS: %u is a number of seconds */
			g_warning(_("libvirt did not answer within %u s."),
				  VMEM_DAEMON_OPEN_TIMEOUT_S);
		else
			g_warning("%s", error->message);
		vmem_daemon_schedule_reconnect(daemon);
		return;
	}
	vmem_daemon_connected(daemon, backend);
}

static gboolean
vmem_daemon_on_open_timeout(gpointer user_data)
{
	VmemDaemon *daemon = user_data;

	daemon->open_timeout = 0;
	g_cancellable_cancel(daemon->opening);
	return G_SOURCE_REMOVE;
}

/* Opens libvirt again in a thread: a libvirtd that accepts but never
 * answers (one that is stopping) must not stop the daemon's main loop,
 * and an open that hangs is given up after a while (its thread may stay
 * blocked; the next attempt is a new connection). */
static void
vmem_daemon_reconnect(VmemDaemon *daemon)
{
	g_autoptr(GTask) task = NULL;

	daemon->opening = g_cancellable_new();
	task = g_task_new(NULL, daemon->opening, vmem_daemon_on_opened, daemon);
	g_task_set_task_data(task, g_strdup(daemon->config.uri), g_free);
	g_task_set_return_on_cancel(task, TRUE);
	g_task_run_in_thread(task, vmem_daemon_open_thread);
	daemon->open_timeout = g_timeout_add_seconds(VMEM_DAEMON_OPEN_TIMEOUT_S,
						     vmem_daemon_on_open_timeout, daemon);
}

/* The host's figures: MemAvailable when a reserve is set, and its memory
 * pressure, which counts with or without one. */
static void
vmem_daemon_read_host(VmemDaemon *daemon, VmemEngineHost *ret_host)
{
	g_autoptr(GError) error = NULL;
	VmemPsi psi = {0};

	memset(ret_host, 0, sizeof(*ret_host));
	if (daemon->config.pressure != NULL)
		vmem_host_read_psi(daemon->config.pressure, &psi);
	ret_host->has_psi = psi.present;
	ret_host->psi_some_avg10 = psi.some.avg10;
	ret_host->psi_full_avg10 = psi.full.avg10;
	if (daemon->config.reserve == 0)
		return;
	if (!vmem_host_read_meminfo(daemon->config.meminfo, &ret_host->mem_available, &error)) {
		g_warning("%s", error->message);
		return;
	}
	ret_host->valid = TRUE;
	ret_host->reserve = daemon->config.reserve;
}

static void
vmem_daemon_publish_host(VmemDaemon *daemon, const VmemEngineHost *host,
			 const VmemEngineHostDecision *decision)
{
	if (decision->overcommitted && !daemon->host_overcommitted)
		g_warning(_("The host is overcommitted: every domain that could give memory is at "
			    "its safety floor. %s"),
			  decision->reason ? decision->reason : "");
	daemon->host_overcommitted = decision->overcommitted;
	vmem_dbus_manager1_set_host_available(daemon->manager_iface, host->mem_available);
	vmem_dbus_manager1_set_host_reserve(daemon->manager_iface, host->reserve);
	vmem_dbus_manager1_set_host_pressure(daemon->manager_iface,
					     (decision->below_reserve || decision->psi_pressure) &&
							     decision->reason
						     ? decision->reason
						     : "");
}

/* One decision round over every managed domain. */
static void
vmem_daemon_decide(VmemDaemon *daemon)
{
	double now = vmem_daemon_now(daemon);
	g_autoptr(GPtrArray) managed = NULL;
	g_autofree VmemEngineDomain *inputs = NULL;
	g_autofree VmemEngineDecision *decisions = NULL;
	VmemEngineTuning tuning = VMEM_ENGINE_TUNING_DEFAULT;
	VmemEngineHostDecision host_decision = {0};
	VmemEngineHost host;
	GHashTableIter iter;
	gpointer value;

	daemon->decided_us = g_get_monotonic_time();
	if (now - daemon->discovered_at >= VMEM_DAEMON_DISCOVER_S)
		vmem_daemon_discover(daemon);
	managed = g_ptr_array_sized_new(g_hash_table_size(daemon->domains));
	g_hash_table_iter_init(&iter, daemon->domains);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		g_ptr_array_add(managed, value);
	inputs = g_new0(VmemEngineDomain, MAX(managed->len, 1));
	decisions = g_new0(VmemEngineDecision, MAX(managed->len, 1));
	for (guint i = 0; i < managed->len; i++) {
		vmem_managed_update(managed->pdata[i]);
		vmem_managed_engine_input(managed->pdata[i], now, &inputs[i]);
	}
	vmem_daemon_read_host(daemon, &host);
	vmem_engine_decide(&tuning, &host, inputs, managed->len, now, decisions, &host_decision);
	for (guint i = 0; i < managed->len; i++) {
		vmem_managed_decided(managed->pdata[i], &decisions[i], now,
				     daemon->config.resize_timeout);
		vmem_managed_publish(managed->pdata[i], now);
		vmem_engine_decision_clear(&decisions[i]);
	}
	vmem_daemon_publish_host(daemon, &host, &host_decision);
	vmem_engine_host_decision_clear(&host_decision);
}

static gboolean
vmem_daemon_on_tick(gpointer user_data)
{
	VmemDaemon *daemon = user_data;

	if (daemon->backend != NULL)
		vmem_daemon_decide(daemon);
	return G_SOURCE_CONTINUE;
}

static gboolean
vmem_daemon_on_early(gpointer user_data)
{
	VmemDaemon *daemon = user_data;

	daemon->early_source = 0;
	if (daemon->backend != NULL)
		vmem_daemon_decide(daemon);
	return G_SOURCE_REMOVE;
}

/* A new report from a guest's agent: when the engine, looking at that
 * domain alone, would grow it, the round over all domains (which also
 * weighs the host) runs now instead of at the next tick; when it would
 * grow it once its grow cooldown is over, then.  Deciding alone asks
 * libvirt nothing, so a report that needs nothing costs little. */
static void
vmem_daemon_on_report(VmemManaged *managed, gpointer user_data)
{
	VmemDaemon *daemon = user_data;
	double now = vmem_daemon_now(daemon);
	VmemEngineDomain input;
	double cooldown_end, wait_s;
	gint64 wait_ms;

	if (daemon->backend == NULL || daemon->early_source != 0)
		return;
	vmem_managed_engine_input(managed, now, &input);
	cooldown_end = input.history.last_grow + input.policy->cooldown_grow_s;
	if (vmem_engine_would_grow(&input, now)) {
		wait_s = 0;
	} else if (cooldown_end > now && cooldown_end < now + daemon->config.tick) {
		/* as the report will be by then */
		input.report.age += cooldown_end - now;
		if (!vmem_engine_would_grow(&input, cooldown_end))
			return;
		wait_s = cooldown_end - now;
	} else {
		return;
	}
	wait_ms = MAX((gint64)ceil(wait_s * 1000),
		      VMEM_DAEMON_EARLY_MIN_MS -
			      (g_get_monotonic_time() - daemon->decided_us) / 1000);
	daemon->early_source = g_timeout_add((guint)MAX(wait_ms, 0), vmem_daemon_on_early, daemon);
}

/**
 * vmem_daemon_new:
 * @config: the settings, copied
 */
VmemDaemon *
vmem_daemon_new(const VmemDaemonConfig *config)
{
	VmemDaemon *daemon = g_new0(VmemDaemon, 1);

	vmem_daemon_config_copy(config, &daemon->config);
	vmem_daemon_access_init(&daemon->access, config->admin_group);
	daemon->start_us = g_get_monotonic_time();
	daemon->domains = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						(GDestroyNotify)vmem_managed_free);
	return daemon;
}

void
vmem_daemon_free(VmemDaemon *daemon)
{
	if (daemon == NULL)
		return;
	g_clear_handle_id(&daemon->tick_source, g_source_remove);
	g_clear_handle_id(&daemon->early_source, g_source_remove);
	g_clear_handle_id(&daemon->reconnect_source, g_source_remove);
	g_clear_handle_id(&daemon->open_timeout, g_source_remove);
	if (daemon->opening != NULL)
		g_cancellable_cancel(daemon->opening);
	g_clear_object(&daemon->opening);
	vmem_daemon_disconnect(daemon);
	g_hash_table_unref(daemon->domains);
	g_clear_object(&daemon->manager);
	g_clear_object(&daemon->manager_iface);
	g_clear_object(&daemon->bus);
	vmem_daemon_config_clear(&daemon->config);
	vmem_daemon_access_clear(&daemon->access);
	g_free(daemon);
}

/**
 * vmem_daemon_start:
 * @bus: where to export the objects (the caller owns the name)
 *
 * Connects to libvirt, exports the manager and one object per managed
 * domain, and starts ticking.  A daemon's libvirt that is not there yet
 * is waited for; an embedded driver (qemu:///embed) that cannot be opened
 * never opens in this process, so that fails.
 */
gboolean
vmem_daemon_start(VmemDaemon *daemon, GDBusConnection *bus, GError **error)
{
	const char *uri = daemon->config.uri;

	daemon->bus = g_object_ref(bus);
	vmem_daemon_bus_export_manager(daemon);
	if (!vmem_daemon_connect(daemon) && uri != NULL && strstr(uri, ":///embed") != NULL) {
		g_clear_handle_id(&daemon->reconnect_source, g_source_remove);
		/* TRANSLATORS: %s is a libvirt URI */
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_VMM,
			    _("Cannot open the embedded driver %s; is another process using its "
			      "root?"),
			    uri);
		return FALSE;
	}
	daemon->tick_source =
		g_timeout_add((guint)(daemon->config.tick * 1000), vmem_daemon_on_tick, daemon);
	return TRUE;
}
