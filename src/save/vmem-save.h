/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Saving, restoring and dumping a domain through libvirt, as asynchronous
 * operations of a #VmemSave: the blocking libvirt call runs in a GTask
 * thread while libvirt's job statistics are polled in the caller's main
 * context and told through the ::progress signal.  Files are written under
 * a temporary name and renamed only on success (vmem-save-file.h).
 *
 * A save is sparse (libvirt's mapped-ram image format: unplugged and zero
 * pages are never written) by default when the domain has virtio-mem and
 * the connection supports it; it can carry the target a squeeze lowered
 * (vmem-save-meta.h), which a restore re-grows to after resuming.
 */
#pragma once

#include <gio/gio.h>
#include <libvirt/libvirt.h>

#include "vmem-backend.h"
#include "vmem-job.h"

G_BEGIN_DECLS

/* The first libvirt with the sparse image format (and parallel channels) */
#define VMEM_SAVE_SPARSE_LIBVIRT_VERSION 11002000

typedef enum {
	VMEM_SAVE_FORMAT_AUTO,	 /* sparse for a domain with virtio-mem, where supported */
	VMEM_SAVE_FORMAT_RAW,	 /* libvirt's raw image: every page of guest RAM */
	VMEM_SAVE_FORMAT_SPARSE, /* mapped-ram: pages at fixed offsets, holes elsewhere */
} VmemSaveFormat;

typedef enum {
	VMEM_SAVE_START_DEFAULT, /* as the domain was when it was saved */
	VMEM_SAVE_START_RUNNING,
	VMEM_SAVE_START_PAUSED,
} VmemSaveStart;

typedef enum {
	VMEM_DUMP_FORMAT_ELF,
	VMEM_DUMP_FORMAT_KDUMP_ZLIB,
	VMEM_DUMP_FORMAT_KDUMP_LZO,
	VMEM_DUMP_FORMAT_KDUMP_SNAPPY,
	VMEM_DUMP_FORMAT_WIN_DMP,
} VmemDumpFormat;

const char *vmem_save_format_to_string(VmemSaveFormat format);
gboolean vmem_save_format_from_string(const char *text, VmemSaveFormat *ret_format);
const char *vmem_dump_format_to_string(VmemDumpFormat format);
gboolean vmem_dump_format_from_string(const char *text, VmemDumpFormat *ret_format);

/**
 * VmemSaveOptions:
 * @format: the image format
 * @parallel: how many channels a sparse save writes through; 0 for
 *   libvirt's default
 * @bypass_cache: write (or read) around the host's page cache
 * @start: how the domain runs after a restore of this image
 * @remembered: (element-type VmemSavedTarget) (nullable): the target to
 *   keep in the image, for the restore to re-grow to
 *
 * Initialise with vmem_save_options_init().
 */
typedef struct {
	VmemSaveFormat format;
	guint parallel;
	gboolean bypass_cache;
	VmemSaveStart start;
	GPtrArray *remembered;
} VmemSaveOptions;

void vmem_save_options_init(VmemSaveOptions *options);

/**
 * VmemSaveProgress:
 * @elapsed_us: since the job started
 * @processed: bytes written (or read) so far; 0 when libvirt does not say
 * @total: bytes the job expects to move in all: processed and remaining
 *   when libvirt says what remains (a migration's, or a save's, which skip
 *   what virtio-mem has not plugged), else its total; 0 when unknown
 * @bytes_per_s: the rate over the last poll, 0 when unknown
 */
typedef struct {
	gint64 elapsed_us;
	guint64 processed;
	guint64 total;
	guint64 bytes_per_s;
} VmemSaveProgress;

void vmem_save_progress_update(VmemSaveProgress *progress, virTypedParameterPtr params,
			       int n_params, gint64 elapsed_us);

/**
 * VmemSaveResult:
 * @domain: the domain's name
 * @file: the file written or read
 * @format: the image format written (save)
 * @fallback_reason: (nullable): why the save is raw although sparse was
 *   the default: libvirt's own message
 * @apparent: the file's size, bytes
 * @allocated: what it takes on disk, bytes
 * @base: the domain's memory without virtio-mem, bytes
 * @plugged: virtio-mem memory plugged when the job began, bytes
 * @elapsed_us: how long libvirt's job took
 * @remembered: (element-type VmemSavedTarget) (nullable): restore: the
 *   target the image remembered, re-applied
 * @remembered_error: (nullable): restore: why the remembered target could
 *   not be read or re-applied
 * @running: restore: the domain runs (not paused)
 * @regrow_state: restore: how the re-grow ended, when @remembered and
 *   @running
 * @requested_after: restore: the devices' requested sizes added up after
 *   the re-grow, bytes
 * @plugged_after: restore: what they plugged by then, bytes
 */
typedef struct {
	char *domain;
	char *file;
	VmemSaveFormat format;
	char *fallback_reason;
	guint64 apparent;
	guint64 allocated;
	guint64 base;
	guint64 plugged;
	gint64 elapsed_us;
	GPtrArray *remembered;
	char *remembered_error;
	gboolean running;
	VmemJobState regrow_state;
	guint64 requested_after;
	guint64 plugged_after;
} VmemSaveResult;

void vmem_save_result_free(VmemSaveResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmemSaveResult, vmem_save_result_free)

#define VMEM_TYPE_SAVE (vmem_save_get_type())
G_DECLARE_FINAL_TYPE(VmemSave, vmem_save, VMEM, SAVE, GObject)

VmemSave *vmem_save_new(VmemBackend *backend, GError **error);

void vmem_save_domain_async(VmemSave *save, const char *domain, const char *file,
			    const VmemSaveOptions *options, GCancellable *cancellable,
			    GAsyncReadyCallback callback, gpointer user_data);
VmemSaveResult *vmem_save_domain_finish(VmemSave *save, GAsyncResult *result, GError **error);

void vmem_save_restore_async(VmemSave *save, const char *file, VmemSaveStart start,
			     gboolean bypass_cache, guint regrow_timeout_s,
			     GCancellable *cancellable, GAsyncReadyCallback callback,
			     gpointer user_data);
VmemSaveResult *vmem_save_restore_finish(VmemSave *save, GAsyncResult *result, GError **error);

void vmem_save_dump_async(VmemSave *save, const char *domain, const char *file,
			  VmemDumpFormat format, GCancellable *cancellable,
			  GAsyncReadyCallback callback, gpointer user_data);
VmemSaveResult *vmem_save_dump_finish(VmemSave *save, GAsyncResult *result, GError **error);

G_END_DECLS
