/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The target a save remembers: what each virtio-mem device had requested
 * before the guest was squeezed, kept in the domain XML inside the image
 * (libvirt's DXML parameter) so that a restore re-grows to it:
 *
 *   <metadata>
 *     <virtmem-saved:saved xmlns:virtmem-saved="http://virtmem.org/xmlns/saved/1">
 *       <virtmem-saved:device alias="ua-vmem0" requested="2147483648"/>
 *     </virtmem-saved:saved>
 *   </metadata>
 *
 * Sizes in bytes.  A namespace of its own, not the policy's: libvirt keeps
 * only the first element of each namespace in <metadata>, which is the
 * policy's <virtmem:policy>.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VMEM_SAVED_NS "http://virtmem.org/xmlns/saved/1"
#define VMEM_SAVED_PREFIX "virtmem-saved"
/* Most devices a remembered target may list (as many as an agent report) */
#define VMEM_SAVED_DEVICES_MAX 64
/* Longest domain XML read, bytes (libvirt's own limit on RPC strings is
 * 4 MiB) */
#define VMEM_SAVED_XML_MAX (16 * 1024 * 1024)

/**
 * VmemSavedTarget:
 * @alias: the device's alias
 * @requested: what it requested before the squeeze, bytes
 */
typedef struct {
	char *alias;
	guint64 requested;
} VmemSavedTarget;

void vmem_saved_target_free(VmemSavedTarget *target);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmemSavedTarget, vmem_saved_target_free)
GPtrArray *vmem_saved_targets_new(void);
void vmem_saved_targets_add(GPtrArray *targets, const char *alias, guint64 requested);
guint64 vmem_saved_targets_total(GPtrArray *targets);

char *vmem_save_meta_set(const char *xml, GPtrArray *targets, GError **error);
gboolean vmem_save_meta_get(const char *xml, GPtrArray **ret_targets, GError **error);

G_END_DECLS
