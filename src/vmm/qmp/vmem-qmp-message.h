/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One QMP message from QEMU, parsed and checked: a pure function of the
 * bytes of one line, so it can be fuzzed.
 */
#pragma once

#include <glib.h>
#include <json-c/json.h>

#include "vmem-json.h"

G_BEGIN_DECLS

/* Longest QMP line accepted, newline excluded.  Replies of the commands we
 * send are a few KiB; anything this long is not QEMU talking. */
#define VMEM_QMP_MAX_LINE (1024 * 1024)

/* How deep JSON may nest. */
#define VMEM_QMP_MAX_DEPTH 32

/**
 * VmemQmpMessageKind:
 * @VMEM_QMP_MESSAGE_GREETING: `{"QMP": {...}}`, the first line
 * @VMEM_QMP_MESSAGE_RETURN: `{"return": ..., "id": ...}`
 * @VMEM_QMP_MESSAGE_ERROR: `{"error": {"class": ..., "desc": ...}, "id": ...}`
 * @VMEM_QMP_MESSAGE_EVENT: `{"event": NAME, "data": {...}, "timestamp": {...}}`
 */
typedef enum {
	VMEM_QMP_MESSAGE_GREETING,
	VMEM_QMP_MESSAGE_RETURN,
	VMEM_QMP_MESSAGE_ERROR,
	VMEM_QMP_MESSAGE_EVENT,
} VmemQmpMessageKind;

/**
 * VmemQmpMessage:
 * @kind: which of the four
 * @id: the command id a reply echoes, %NULL when it has none (or not a string)
 * @value: the greeting's `QMP` object, the `return` value, or the event's
 *   `data` (an empty object when it had none); never %NULL
 * @error_class: the error's `class`
 * @error_desc: the error's `desc`
 * @event: the event's name
 * @timestamp_us: the event's timestamp in microseconds since the epoch, or
 *   -1 when it had none
 */
typedef struct {
	VmemQmpMessageKind kind;
	char *id;
	json_object *value;
	char *error_class;
	char *error_desc;
	char *event;
	gint64 timestamp_us;
} VmemQmpMessage;

VmemQmpMessage *vmem_qmp_message_parse(const char *line, gsize len, GError **error);
void vmem_qmp_message_free(VmemQmpMessage *msg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmemQmpMessage, vmem_qmp_message_free)

gboolean vmem_qmp_json_get_size(json_object *obj, const char *key, gboolean optional,
				guint64 *ret_value, GError **error);
const char *vmem_qmp_json_get_string(json_object *obj, const char *key, GError **error);

G_END_DECLS
