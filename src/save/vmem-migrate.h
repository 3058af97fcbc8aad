/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Migrating a domain to another libvirt, as an asynchronous operation of a
 * #VmemSave (the blocking virDomainMigrate3() runs in a GTask thread while
 * the source's job statistics are polled for ::progress): the bytes
 * transferred from libvirt's completed-job statistics, then a check on the
 * destination that each virtio-mem device's <requested> and <current> and
 * the policy in the metadata arrived as they left, and the re-grow there
 * to a target a squeeze lowered on the source.
 *
 * QEMU migrates only what the guest plugged: unplugged blocks are
 * discarded and never sent, so the transfer is about base memory plus
 * plugged, not plus the devices' sizes.
 */
#pragma once

#include "vmem-save.h"

G_BEGIN_DECLS

/**
 * VmemMigrateOptions:
 * @live: migrate while the guest runs (VIR_MIGRATE_LIVE); otherwise it is
 *   paused while its memory is sent
 * @persistent: define the domain on the destination (VIR_MIGRATE_PERSIST_DEST)
 * @undefine_source: undefine it on the source (VIR_MIGRATE_UNDEFINE_SOURCE)
 * @dest_xml: (nullable): the domain XML for the destination (other paths,
 *   for instance), as `virsh migrate --xml`; each virtio-mem device's
 *   <requested> in it is set to the live one before it is used
 * @migrate_uri: (nullable): where the source's QEMU sends the memory, such
 *   as tcp://HOST; %NULL for the destination libvirt's choice
 * @remembered: (element-type VmemSavedTarget) (nullable): each device's
 *   target from before a squeeze, set again on the destination
 * @regrow_timeout_s: how long to follow the guest growing back there
 *
 * Initialise with vmem_migrate_options_init().
 */
typedef struct {
	gboolean live;
	gboolean persistent;
	gboolean undefine_source;
	const char *dest_xml;
	const char *migrate_uri;
	GPtrArray *remembered;
	guint regrow_timeout_s;
} VmemMigrateOptions;

void vmem_migrate_options_init(VmemMigrateOptions *options);

/**
 * VmemMigrateStats:
 * @valid: libvirt said how the job ended
 * @data_processed: bytes the migration transferred (memory and device state)
 * @memory_processed: of them, guest memory
 * @memory_total: guest memory in all: base memory plus the devices' sizes
 * @downtime_ms: how long the guest did not run
 * @elapsed_ms: how long the job took, by libvirt
 */
typedef struct {
	gboolean valid;
	guint64 data_processed;
	guint64 memory_processed;
	guint64 memory_total;
	guint64 downtime_ms;
	guint64 elapsed_ms;
} VmemMigrateStats;

void vmem_migrate_stats_read(VmemMigrateStats *stats, virTypedParameterPtr params, int n_params);

/**
 * VmemMigrateDevice:
 * @alias: the device's alias
 * @size: its size, bytes
 * @requested_before: what it requested on the source just before, bytes
 * @plugged_before: what it plugged there, bytes
 * @found_after: the destination has the device
 * @requested_after: what it requests on the destination after, bytes
 * @plugged_after: what it plugs there, bytes
 */
typedef struct {
	char *alias;
	guint64 size;
	guint64 requested_before;
	guint64 plugged_before;
	gboolean found_after;
	guint64 requested_after;
	guint64 plugged_after;
} VmemMigrateDevice;

void vmem_migrate_device_free(VmemMigrateDevice *device);
GPtrArray *vmem_migrate_devices_new(GPtrArray *before);
gboolean vmem_migrate_devices_arrived(GPtrArray *devices, GPtrArray *after, GError **error);
char *vmem_migrate_dest_xml(const char *xml, GPtrArray *devices, GError **error);

/**
 * VmemMigrateResult:
 * @domain: the domain's name
 * @dest_uri: the destination libvirt
 * @live: the guest ran while its memory was sent
 * @base: the domain's memory without virtio-mem, bytes
 * @plugged: what its devices plugged when the migration began, bytes
 * @device_size: the devices' sizes added up, bytes
 * @elapsed_us: how long virDomainMigrate3() took
 * @stats: the completed job's statistics
 * @devices: (element-type VmemMigrateDevice): each device before and after
 * @devices_error: (nullable): why the devices did not arrive as they left
 * @has_policy: the domain had a virtmem policy in its metadata
 * @policy_error: (nullable): why the policy did not arrive as it left
 * @remembered: (element-type VmemSavedTarget) (nullable): the target set
 *   again on the destination
 * @regrow_state: how the re-grow ended, when @remembered
 * @regrow_error: (nullable): why the target could not be set again
 * @requested_after: the devices' requests added up on the destination at
 *   the end, bytes
 * @plugged_after: what they plugged by then, bytes
 */
typedef struct {
	char *domain;
	char *dest_uri;
	gboolean live;
	guint64 base;
	guint64 plugged;
	guint64 device_size;
	gint64 elapsed_us;
	VmemMigrateStats stats;
	GPtrArray *devices;
	char *devices_error;
	gboolean has_policy;
	char *policy_error;
	GPtrArray *remembered;
	VmemJobState regrow_state;
	char *regrow_error;
	guint64 requested_after;
	guint64 plugged_after;
} VmemMigrateResult;

void vmem_migrate_result_free(VmemMigrateResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmemMigrateResult, vmem_migrate_result_free)

void vmem_save_migrate_async(VmemSave *save, const char *domain, const char *dest_uri,
			     const VmemMigrateOptions *options, GCancellable *cancellable,
			     GAsyncReadyCallback callback, gpointer user_data);
VmemMigrateResult *vmem_save_migrate_finish(VmemSave *save, GAsyncResult *result, GError **error);

G_END_DECLS
