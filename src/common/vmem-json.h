/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * json-c for GLib code: the autoptr cleanups, defined here once, and the one
 * hardened JSON layer every reader of untrusted JSON (QMP, the guest agent)
 * shares: a capped parse of one document and typed member getters whose
 * errors name the member and quote its value.
 */
#pragma once

#include <glib.h>
#include <json-c/json.h>

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_object, json_object_put)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_tokener, json_tokener_free)

/* No cap on a string's or an array's length. */
#define VMEM_JSON_NO_LIMIT G_MAXSIZE

/* Most bytes of a text or value an error message quotes. */
#define VMEM_JSON_EXCERPT_MAX 64

/**
 * VmemJsonParseFlags:
 * @VMEM_JSON_PARSE_DEFAULT: any JSON value but a bare `null`
 * @VMEM_JSON_PARSE_OBJECT: the text must be a JSON object
 */
typedef enum {
	VMEM_JSON_PARSE_DEFAULT = 0,
	VMEM_JSON_PARSE_OBJECT = 1 << 0,
} VmemJsonParseFlags;

/**
 * VmemJsonGetFlags:
 * @VMEM_JSON_REQUIRED: the member must be there and not `null`
 * @VMEM_JSON_OPTIONAL: the member may be missing
 * @VMEM_JSON_NULLABLE: the member may be `null`, which reads as missing
 * @VMEM_JSON_NO_CONTROL: (strings) refuse control characters (U+0000 to
 *   U+001F and U+007F), for text that ends up in logs and terminals
 */
typedef enum {
	VMEM_JSON_REQUIRED = 0,
	VMEM_JSON_OPTIONAL = 1 << 0,
	VMEM_JSON_NULLABLE = 1 << 1,
	VMEM_JSON_NO_CONTROL = 1 << 2,
} VmemJsonGetFlags;

json_object *vmem_json_parse(const char *text, gsize len, gsize max_len, guint max_depth,
			     VmemJsonParseFlags flags, GError **error);

gboolean vmem_json_get_int64(json_object *obj, const char *key, VmemJsonGetFlags flags, gint64 min,
			     gint64 max, gint64 *ret_value, GError **error);
gboolean vmem_json_get_uint64(json_object *obj, const char *key, VmemJsonGetFlags flags,
			      guint64 min, guint64 max, guint64 *ret_value, GError **error);
gboolean vmem_json_get_double(json_object *obj, const char *key, VmemJsonGetFlags flags, double min,
			      double max, double *ret_value, GError **error);
gboolean vmem_json_get_bool(json_object *obj, const char *key, VmemJsonGetFlags flags,
			    gboolean *ret_value, GError **error);
gboolean vmem_json_get_string(json_object *obj, const char *key, VmemJsonGetFlags flags,
			      gsize max_len, const char **ret_value, GError **error);
gboolean vmem_json_get_object(json_object *obj, const char *key, VmemJsonGetFlags flags,
			      json_object **ret_value, GError **error);
gboolean vmem_json_get_array(json_object *obj, const char *key, VmemJsonGetFlags flags,
			     gsize max_len, json_object **ret_value, GError **error);

gboolean vmem_json_array_get_string(json_object *array, const char *key, gsize index,
				    VmemJsonGetFlags flags, gsize max_len, const char **ret_value,
				    GError **error);
gboolean vmem_json_array_get_object(json_object *array, const char *key, gsize index,
				    json_object **ret_value, GError **error);

char *vmem_json_excerpt(const char *text, gsize len);

G_END_DECLS
