/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-backend.h"

#include <glib/gi18n.h>

#include "vmem-backend-libvirt.h"
#include "vmem-backend-qmp.h"
#include "vmem-error.h"

typedef struct {
	const char *scheme_prefix;
	VmemBackend *(*open)(const char *uri, GError **error);
} VmemBackendKind;

typedef struct {
	GMainContext *context; /* where the signals are emitted */
} VmemBackendPrivate;

enum {
	SIGNAL_SIZE_CHANGED,
	SIGNAL_DOMAIN_EVENT,
	N_SIGNALS,
};

static guint vmem_backend_signals[N_SIGNALS];

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE(VmemBackend, vmem_backend, G_TYPE_OBJECT)

/* First match wins; the libvirt backend takes every other URI. */
static const VmemBackendKind vmem_backend_kinds[] = {
	{"qmp+unix:", vmem_backend_qmp_open},
};

const char *
vmem_run_state_to_string(VmemRunState state)
{
	switch (state) {
	case VMEM_RUN_STATE_RUNNING:
		return "running";
	case VMEM_RUN_STATE_PAUSED:
		return "paused";
	case VMEM_RUN_STATE_MIGRATING:
		return "migrating";
	case VMEM_RUN_STATE_SAVING:
		return "saving";
	case VMEM_RUN_STATE_SHUT_OFF:
		return "shut off";
	case VMEM_RUN_STATE_CRASHED:
		return "crashed";
	}
	return "unknown";
}

const char *
vmem_domain_event_to_string(VmemDomainEvent event)
{
	switch (event) {
	case VMEM_DOMAIN_EVENT_STARTED:
		return "started";
	case VMEM_DOMAIN_EVENT_PAUSED:
		return "paused";
	case VMEM_DOMAIN_EVENT_RESUMED:
		return "resumed";
	case VMEM_DOMAIN_EVENT_RESET:
		return "reset";
	case VMEM_DOMAIN_EVENT_SHUTDOWN:
		return "shutdown";
	case VMEM_DOMAIN_EVENT_MIGRATION_STARTED:
		return "migration-started";
	case VMEM_DOMAIN_EVENT_MIGRATION_FINISHED:
		return "migration-finished";
	case VMEM_DOMAIN_EVENT_GONE:
		return "gone";
	case VMEM_DOMAIN_EVENT_CHANGED:
		return "changed";
	}
	return "unknown";
}

/**
 * vmem_device_free:
 * @device: (nullable): a device
 *
 * Frees @device and its strings.
 */
void
vmem_device_free(VmemDevice *device)
{
	if (device == NULL)
		return;
	g_free(device->alias);
	g_free(device->memdev);
	g_free(device);
}

/**
 * vmem_backend_open:
 * @uri: the connection URI, e.g. `qmp+unix:///run/vm1/qmp.sock`
 * @error: return location for a #GError
 *
 * Connects to the VMM @uri names: plain QEMU over QMP for `qmp+unix://`
 * URIs, libvirt for every other URI.
 *
 * Returns: (transfer full): the backend, or %NULL on error
 */
VmemBackend *
vmem_backend_open(const char *uri, GError **error)
{
	g_return_val_if_fail(uri != NULL, NULL);

	for (guint i = 0; i < G_N_ELEMENTS(vmem_backend_kinds); i++) {
		const VmemBackendKind *kind = &vmem_backend_kinds[i];

		if (g_ascii_strncasecmp(uri, kind->scheme_prefix, strlen(kind->scheme_prefix)) == 0)
			return kind->open(uri, error);
	}
	return vmem_backend_libvirt_open(uri, error);
}

/**
 * vmem_backend_get_name:
 *
 * Returns: the implementation's short name, "qmp" or "libvirt"
 */
const char *
vmem_backend_get_name(VmemBackend *backend)
{
	return VMEM_BACKEND_GET_CLASS(backend)->name;
}

/**
 * vmem_backend_list_domains:
 * @ret_names: (out) (element-type utf8): names of the running domains
 *
 * Lists the domains @backend can reach.
 */
gboolean
vmem_backend_list_domains(VmemBackend *backend, GPtrArray **ret_names, GError **error)
{
	g_return_val_if_fail(ret_names != NULL, FALSE);
	return VMEM_BACKEND_GET_CLASS(backend)->list_domains(backend, ret_names, error);
}

/**
 * vmem_backend_get_devices:
 * @domain: a domain name
 * @ret_devices: (out) (element-type VmemDevice): its virtio-mem devices
 *
 * Reads the virtio-mem devices of @domain, in the VMM's order.  A domain
 * without any gives an empty array.
 */
gboolean
vmem_backend_get_devices(VmemBackend *backend, const char *domain, GPtrArray **ret_devices,
			 GError **error)
{
	g_return_val_if_fail(domain != NULL, FALSE);
	g_return_val_if_fail(ret_devices != NULL, FALSE);
	return VMEM_BACKEND_GET_CLASS(backend)->get_devices(backend, domain, ret_devices, error);
}

/**
 * vmem_backend_set_requested:
 * @alias: the device
 * @requested: the new requested size in bytes, a multiple of the block size
 *
 * Sets the requested size of one device of the running @domain.  Returns
 * when the VMM accepted it; the guest plugs or unplugs afterwards.
 */
gboolean
vmem_backend_set_requested(VmemBackend *backend, const char *domain, const char *alias,
			   guint64 requested, GError **error)
{
	g_return_val_if_fail(domain != NULL, FALSE);
	g_return_val_if_fail(alias != NULL, FALSE);
	return VMEM_BACKEND_GET_CLASS(backend)->set_requested(backend, domain, alias, requested,
							      error);
}

/**
 * vmem_backend_get_run_state:
 * @ret_state: (out): the run state of @domain
 */
gboolean
vmem_backend_get_run_state(VmemBackend *backend, const char *domain, VmemRunState *ret_state,
			   GError **error)
{
	g_return_val_if_fail(domain != NULL, FALSE);
	g_return_val_if_fail(ret_state != NULL, FALSE);
	return VMEM_BACKEND_GET_CLASS(backend)->get_run_state(backend, domain, ret_state, error);
}

/**
 * vmem_backend_set_requested_config:
 *
 * Sets the requested size of one device in @domain's persistent
 * configuration, so that the next start keeps it.
 */
gboolean
vmem_backend_set_requested_config(VmemBackend *backend, const char *domain, const char *alias,
				  guint64 requested, GError **error)
{
	g_return_val_if_fail(domain != NULL, FALSE);
	g_return_val_if_fail(alias != NULL, FALSE);
	if (VMEM_BACKEND_GET_CLASS(backend)->set_requested_config == NULL) {
		/* TRANSLATORS: %s is the backend's name, e.g. qmp */
		g_set_error(
			error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			_("The %s backend has no persistent configuration: resize with --live."),
			VMEM_BACKEND_GET_CLASS(backend)->name);
		return FALSE;
	}
	return VMEM_BACKEND_GET_CLASS(backend)->set_requested_config(backend, domain, alias,
								     requested, error);
}

/**
 * vmem_backend_has_config:
 *
 * Returns: whether the VMM keeps a persistent configuration that
 *   vmem_backend_set_requested_config() can change
 */
gboolean
vmem_backend_has_config(VmemBackend *backend)
{
	return VMEM_BACKEND_GET_CLASS(backend)->set_requested_config != NULL;
}

/**
 * vmem_backend_get_policy:
 * @ret_policy: (out) (nullable): @domain's `<virtmem:policy>` with its
 *   defaults filled in, or %NULL when it has none
 */
gboolean
vmem_backend_get_policy(VmemBackend *backend, const char *domain, VmemPolicyDef **ret_policy,
			GError **error)
{
	g_return_val_if_fail(domain != NULL, FALSE);
	g_return_val_if_fail(ret_policy != NULL, FALSE);
	if (VMEM_BACKEND_GET_CLASS(backend)->get_policy == NULL) {
		*ret_policy = NULL;
		return TRUE;
	}
	return VMEM_BACKEND_GET_CLASS(backend)->get_policy(backend, domain, ret_policy, error);
}

typedef struct {
	VmemBackend *backend;
	char *domain;
	char *alias; /* NULL for a domain event */
	guint64 plugged;
	VmemDomainEvent event;
} VmemBackendEmission;

static void
vmem_backend_emission_free(gpointer data)
{
	VmemBackendEmission *e = data;

	g_object_unref(e->backend);
	g_free(e->domain);
	g_free(e->alias);
	g_free(e);
}

static gboolean
vmem_backend_emit_cb(gpointer data)
{
	VmemBackendEmission *e = data;

	if (e->alias != NULL)
		g_signal_emit(e->backend, vmem_backend_signals[SIGNAL_SIZE_CHANGED], 0, e->domain,
			      e->alias, e->plugged);
	else
		g_signal_emit(e->backend, vmem_backend_signals[SIGNAL_DOMAIN_EVENT], 0, e->domain,
			      (guint)e->event);
	return G_SOURCE_REMOVE;
}

/* libvirt dispatches its events from the global default context: hand
 * them to the context the backend was opened in, always from a source of
 * their own.  Never at once: a listener that drops the backend (the
 * connection closed) would then finalize it inside libvirt's callback,
 * and unregistering the callback from within itself deadlocks libvirt. */
static void
vmem_backend_emit(VmemBackendEmission *e)
{
	VmemBackendPrivate *priv = vmem_backend_get_instance_private(e->backend);
	g_autoptr(GSource) source = g_idle_source_new();

	g_source_set_priority(source, G_PRIORITY_DEFAULT);
	g_source_set_callback(source, vmem_backend_emit_cb, e, vmem_backend_emission_free);
	g_source_attach(source, priv->context);
}

/**
 * vmem_backend_emit_size_changed:
 *
 * For implementations: emits ::size-changed.
 */
void
vmem_backend_emit_size_changed(VmemBackend *backend, const char *domain, const char *alias,
			       guint64 plugged)
{
	VmemBackendEmission *e = g_new0(VmemBackendEmission, 1);

	e->backend = g_object_ref(backend);
	e->domain = g_strdup(domain);
	e->alias = g_strdup(alias != NULL ? alias : "");
	e->plugged = plugged;
	vmem_backend_emit(e);
}

/**
 * vmem_backend_emit_domain_event:
 *
 * For implementations: emits ::domain-event.
 */
void
vmem_backend_emit_domain_event(VmemBackend *backend, const char *domain, VmemDomainEvent event)
{
	VmemBackendEmission *e = g_new0(VmemBackendEmission, 1);

	e->backend = g_object_ref(backend);
	e->domain = g_strdup(domain);
	e->event = event;
	vmem_backend_emit(e);
}

static void
vmem_backend_finalize(GObject *object)
{
	VmemBackendPrivate *priv = vmem_backend_get_instance_private(VMEM_BACKEND(object));

	g_main_context_unref(priv->context);
	G_OBJECT_CLASS(vmem_backend_parent_class)->finalize(object);
}

static void
vmem_backend_class_init(VmemBackendClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = vmem_backend_finalize;

	/**
	 * VmemBackend::size-changed:
	 * @domain: the domain's name
	 * @alias: the device's alias
	 * @plugged: the device's new plugged size, bytes
	 *
	 * The guest plugged or unplugged.
	 */
	vmem_backend_signals[SIGNAL_SIZE_CHANGED] = g_signal_new(
		"size-changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
		G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_UINT64);
	/**
	 * VmemBackend::domain-event:
	 * @domain: the domain's name
	 * @event: a #VmemDomainEvent
	 *
	 * A lifecycle change of @domain.
	 */
	vmem_backend_signals[SIGNAL_DOMAIN_EVENT] =
		g_signal_new("domain-event", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
			     NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_UINT);
}

static void
vmem_backend_init(VmemBackend *backend)
{
	VmemBackendPrivate *priv = vmem_backend_get_instance_private(backend);

	priv->context = g_main_context_ref_thread_default();
}
