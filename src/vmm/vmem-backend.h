/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VMM backend interface: what virtmem needs from whatever runs the
 * guest (libvirt, or a plain QEMU over QMP).  An abstract class; the
 * implementation is chosen by the connection URI in vmem_backend_open().
 *
 * Calls are synchronous with a bounded wait: the libvirt public API is
 * synchronous too, and every request used here (queries, setting a size)
 * is answered at once by the VMM; the slow part of a resize, the guest
 * plugging blocks, is observed through the ::size-changed and
 * ::domain-event signals and later queries.  Any number of listeners may
 * connect.  Signals are emitted from the thread-default #GMainContext of
 * the thread that opened the backend, never from inside one of these
 * calls.
 */
#pragma once

#include <glib-object.h>

#include "vmem-policy.h"

G_BEGIN_DECLS

/**
 * VmemRunState:
 * @VMEM_RUN_STATE_RUNNING: the guest runs
 * @VMEM_RUN_STATE_PAUSED: the VMM paused the guest (it cannot plug or unplug)
 * @VMEM_RUN_STATE_MIGRATING: a migration is in progress (the device refuses
 *   to plug or unplug)
 * @VMEM_RUN_STATE_SAVING: the domain is being saved or restored
 * @VMEM_RUN_STATE_SHUT_OFF: the guest is not running at all
 * @VMEM_RUN_STATE_CRASHED: the guest crashed or panicked
 */
typedef enum {
	VMEM_RUN_STATE_RUNNING,
	VMEM_RUN_STATE_PAUSED,
	VMEM_RUN_STATE_MIGRATING,
	VMEM_RUN_STATE_SAVING,
	VMEM_RUN_STATE_SHUT_OFF,
	VMEM_RUN_STATE_CRASHED,
} VmemRunState;

const char *vmem_run_state_to_string(VmemRunState state);

/**
 * VmemDomainEvent:
 * @VMEM_DOMAIN_EVENT_STARTED: the domain was started
 * @VMEM_DOMAIN_EVENT_PAUSED: the guest was paused
 * @VMEM_DOMAIN_EVENT_RESUMED: the guest runs again
 * @VMEM_DOMAIN_EVENT_RESET: the guest rebooted: every block is unplugged and
 *   the guest will plug up to the requested size again
 * @VMEM_DOMAIN_EVENT_SHUTDOWN: the guest shut down or the domain stopped
 * @VMEM_DOMAIN_EVENT_MIGRATION_STARTED: a migration (or save) began
 * @VMEM_DOMAIN_EVENT_MIGRATION_FINISHED: it completed, failed or was cancelled
 * @VMEM_DOMAIN_EVENT_GONE: the connection to the VMM was lost (the domain
 *   is %NULL when the whole connection is: every domain is gone)
 * @VMEM_DOMAIN_EVENT_CHANGED: the domain's definition changed: its
 *   metadata (the policy), a device added or removed, defined or undefined
 *
 * Lifecycle changes that matter to a resize job.
 */
typedef enum {
	VMEM_DOMAIN_EVENT_STARTED,
	VMEM_DOMAIN_EVENT_PAUSED,
	VMEM_DOMAIN_EVENT_RESUMED,
	VMEM_DOMAIN_EVENT_RESET,
	VMEM_DOMAIN_EVENT_SHUTDOWN,
	VMEM_DOMAIN_EVENT_MIGRATION_STARTED,
	VMEM_DOMAIN_EVENT_MIGRATION_FINISHED,
	VMEM_DOMAIN_EVENT_GONE,
	VMEM_DOMAIN_EVENT_CHANGED,
} VmemDomainEvent;

const char *vmem_domain_event_to_string(VmemDomainEvent event);

/**
 * VmemDevice:
 * @alias: how the VMM names the device (libvirt alias, QEMU id)
 * @node: the guest NUMA node
 * @block_size: the device's block size, bytes
 * @size: how much the device can provide at most, bytes
 * @requested: the requested size, bytes
 * @plugged: what the guest has plugged, bytes
 * @address: guest physical address of the device's memory region
 * @node_memory: the boot memory of @node, bytes; 0 when the VMM does not say
 * @memdev: the memory backend (QOM path or libvirt source), may be %NULL
 *
 * One virtio-mem device of a domain.  All sizes are in bytes.
 */
typedef struct {
	char *alias;
	guint node;
	guint64 block_size;
	guint64 size;
	guint64 requested;
	guint64 plugged;
	guint64 address;
	guint64 node_memory;
	char *memdev;
} VmemDevice;

void vmem_device_free(VmemDevice *device);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmemDevice, vmem_device_free)

#define VMEM_TYPE_BACKEND (vmem_backend_get_type())
G_DECLARE_DERIVABLE_TYPE(VmemBackend, vmem_backend, VMEM, BACKEND, GObject)

/**
 * VmemBackendClass:
 * @name: short name of the implementation ("qmp", "libvirt")
 *
 * The virtual methods an implementation fills.  Arguments are already
 * checked by the vmem_backend_*() wrappers; outputs are written only on
 * success.
 */
struct _VmemBackendClass {
	GObjectClass parent_class;

	const char *name;
	gboolean (*list_domains)(VmemBackend *backend, GPtrArray **ret_names, GError **error);
	gboolean (*get_devices)(VmemBackend *backend, const char *domain, GPtrArray **ret_devices,
				GError **error);
	gboolean (*set_requested)(VmemBackend *backend, const char *domain, const char *alias,
				  guint64 requested, GError **error);
	gboolean (*get_run_state)(VmemBackend *backend, const char *domain, VmemRunState *ret_state,
				  GError **error);
	/* Optional: a VMM without persistent configuration leaves it NULL. */
	gboolean (*set_requested_config)(VmemBackend *backend, const char *domain,
					 const char *alias, guint64 requested, GError **error);
	/* Optional: a VMM without domain metadata leaves it NULL. */
	gboolean (*get_policy)(VmemBackend *backend, const char *domain, VmemPolicyDef **ret_policy,
			       GError **error);
};

VmemBackend *vmem_backend_open(const char *uri, GError **error);

const char *vmem_backend_get_name(VmemBackend *backend);
gboolean vmem_backend_list_domains(VmemBackend *backend, GPtrArray **ret_names, GError **error);
gboolean vmem_backend_get_devices(VmemBackend *backend, const char *domain, GPtrArray **ret_devices,
				  GError **error);
gboolean vmem_backend_set_requested(VmemBackend *backend, const char *domain, const char *alias,
				    guint64 requested, GError **error);
gboolean vmem_backend_get_run_state(VmemBackend *backend, const char *domain,
				    VmemRunState *ret_state, GError **error);
gboolean vmem_backend_set_requested_config(VmemBackend *backend, const char *domain,
					   const char *alias, guint64 requested, GError **error);
gboolean vmem_backend_get_policy(VmemBackend *backend, const char *domain,
				 VmemPolicyDef **ret_policy, GError **error);
gboolean vmem_backend_has_config(VmemBackend *backend);

/* For implementations: emit the signals from the backend's main context. */
void vmem_backend_emit_size_changed(VmemBackend *backend, const char *domain, const char *alias,
				    guint64 plugged);
void vmem_backend_emit_domain_event(VmemBackend *backend, const char *domain,
				    VmemDomainEvent event);

G_END_DECLS
