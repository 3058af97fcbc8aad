/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The qmp backend: one plain QEMU (no libvirt) through its QMP socket,
 * `qmp+unix:///path/to/qmp.sock`.  The QEMU is the one domain; its name is
 * what `query-name` says (`-name`), else the socket's file name.
 */
#pragma once

#include <json-c/json.h>

#include "vmem-backend.h"

G_BEGIN_DECLS

#define VMEM_TYPE_BACKEND_QMP (vmem_backend_qmp_get_type())
G_DECLARE_FINAL_TYPE(VmemBackendQmp, vmem_backend_qmp, VMEM, BACKEND_QMP, VmemBackend)

VmemBackend *vmem_backend_qmp_open(const char *uri, GError **error);

/* Pure parts, for tests and the fuzzer. */
gboolean vmem_backend_qmp_parse_uri(const char *uri, char **ret_path, GError **error);
gboolean vmem_backend_qmp_parse_devices(json_object *reply, GPtrArray **ret_devices,
					GError **error);
gboolean vmem_backend_qmp_parse_status(json_object *reply, VmemRunState *ret_state, GError **error);
gboolean vmem_backend_qmp_parse_migrating(json_object *reply, gboolean *ret_migrating,
					  GError **error);

G_END_DECLS
