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
 * vmem_backend_free:
 * @backend: (nullable): a backend
 *
 * Disconnects and frees @backend; no callback runs afterwards.
 */
void
vmem_backend_free(VmemBackend *backend)
{
	if (backend == NULL)
		return;
	backend->klass->free(backend);
}

/**
 * vmem_backend_get_name:
 *
 * Returns: the implementation's short name, "qmp" or "libvirt"
 */
const char *
vmem_backend_get_name(VmemBackend *backend)
{
	return backend->klass->name;
}

/**
 * vmem_backend_set_callbacks:
 * @callbacks: (nullable): what to call on events, copied; %NULL for nothing
 * @user_data: passed to the callbacks
 *
 * Subscribes to size changes and lifecycle events of every domain of
 * @backend.  They are delivered from the main context @backend was opened
 * in.
 */
void
vmem_backend_set_callbacks(VmemBackend *backend, const VmemBackendCallbacks *callbacks,
			   gpointer user_data)
{
	static const VmemBackendCallbacks none = {NULL, NULL};

	backend->callbacks = callbacks ? *callbacks : none;
	backend->user_data = user_data;
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
	return backend->klass->list_domains(backend, ret_names, error);
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
	return backend->klass->get_devices(backend, domain, ret_devices, error);
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
	return backend->klass->set_requested(backend, domain, alias, requested, error);
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
	return backend->klass->get_run_state(backend, domain, ret_state, error);
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
	if (backend->klass->set_requested_config == NULL) {
		/* TRANSLATORS: %s is the backend's name, e.g. qmp */
		g_set_error(
			error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			_("The %s backend has no persistent configuration: resize with --live."),
			backend->klass->name);
		return FALSE;
	}
	return backend->klass->set_requested_config(backend, domain, alias, requested, error);
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
	return backend->klass->set_requested_config != NULL;
}

/**
 * vmem_backend_get_policy_mode:
 * @ret_mode: (out): the mode of @domain's virtmem policy ("off", "manual",
 *   "auto"), or "none" without a policy
 */
gboolean
vmem_backend_get_policy_mode(VmemBackend *backend, const char *domain, char **ret_mode,
			     GError **error)
{
	g_return_val_if_fail(domain != NULL, FALSE);
	if (backend->klass->get_policy_mode == NULL) {
		*ret_mode = g_strdup("none");
		return TRUE;
	}
	return backend->klass->get_policy_mode(backend, domain, ret_mode, error);
}

/**
 * vmem_backend_emit_size_changed:
 *
 * For implementations: tells the subscriber that a device's plugged size
 * changed.
 */
void
vmem_backend_emit_size_changed(VmemBackend *backend, const char *domain, const char *alias,
			       guint64 plugged)
{
	if (backend->callbacks.size_changed != NULL)
		backend->callbacks.size_changed(backend, domain, alias, plugged,
						backend->user_data);
}

/**
 * vmem_backend_emit_domain_event:
 *
 * For implementations: tells the subscriber about a lifecycle change.
 */
void
vmem_backend_emit_domain_event(VmemBackend *backend, const char *domain, VmemDomainEvent event)
{
	if (backend->callbacks.domain_event != NULL)
		backend->callbacks.domain_event(backend, domain, event, backend->user_data);
}
