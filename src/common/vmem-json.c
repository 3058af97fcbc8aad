/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one hardened JSON layer: what QEMU's QMP monitor and the guest agent
 * send is parsed and read here, so each protocol module keeps only what is
 * specific to its protocol.  Nothing here trusts the text: lengths and depth
 * are capped, the bytes are checked before json-c sees them, and every error
 * quotes at most VMEM_JSON_EXCERPT_MAX bytes of what was sent, made printable.
 */
#include "config.h"

#include "vmem-json.h"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "vmem-error.h"
#include "vmem-excerpt.h"

/* The index of a member that is not an array entry. */
#define VMEM_JSON_NOT_ENTRY G_MAXSIZE

/**
 * vmem_json_excerpt:
 * @text: (array length=len): any bytes
 * @len: their length
 *
 * Quotes the start of @text for an error message: at most
 * %VMEM_JSON_EXCERPT_MAX bytes, cut between characters and followed by "…"
 * when cut, with invalid UTF-8 replaced and anything unprintable (control,
 * format and unassigned characters) shown as "?".
 *
 * Returns: (transfer full): a valid, printable UTF-8 string
 */
char *
vmem_json_excerpt(const char *text, gsize len)
{
	return vmem_text_excerpt(text, (gssize)len, VMEM_JSON_EXCERPT_MAX);
}

static gboolean
vmem_json_is_space(char c)
{
	/* RFC 8259's whitespace, which is also json-c's */
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void
vmem_json_set_syntax_error(GError **error, const char *text, gsize len, gsize offset)
{
	g_autofree char *excerpt = NULL;

	if (offset >= len) {
		g_set_error_literal(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: the JSON text stops in the middle of a value */
				    _("The JSON text ends inside a value, so it is truncated."));
		return;
	}
	excerpt = vmem_json_excerpt(text + offset, len - offset);
	g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
		    /* TRANSLATORS: %1$zu is a byte offset, %2$s quotes the text from there */
		    _("The JSON text has a syntax error at offset %1$zu: “%2$s”."), offset,
		    excerpt);
}

static void
vmem_json_set_tokener_error(GError **error, enum json_tokener_error jerr, guint max_depth,
			    const char *text, gsize len, gsize offset)
{
	switch (jerr) {
	case json_tokener_error_depth:
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %u is how many levels of arrays and objects may nest */
			    ngettext("The JSON text nests deeper than %u level.",
				     "The JSON text nests deeper than %u levels.", max_depth),
			    max_depth);
		return;
	case json_tokener_error_parse_utf8_string:
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %zu is a byte offset */
			    _("The JSON text is not valid UTF-8 at offset %zu."), offset);
		return;
	default:
		vmem_json_set_syntax_error(error, text, len, offset);
		return;
	}
}

/* Finds the first NaN or infinity in @value (json-c takes NaN, Infinity and
 * 1e999) and prepends where it is, as a JSON Pointer (RFC 6901), to @path. */
static json_object *
vmem_json_find_non_finite(json_object *value, GString *path)
{
	struct json_object_iter iter;
	json_object *found;

	switch (json_object_get_type(value)) {
	case json_type_double:
		return isfinite(json_object_get_double(value)) ? NULL : value;
	case json_type_object:
		json_object_object_foreachC(value, iter)
		{
			g_autoptr(GString) step = NULL;

			found = vmem_json_find_non_finite(iter.val, path);
			if (found == NULL)
				continue;
			step = g_string_new(iter.key);
			g_string_replace(step, "~", "~0", 0);
			g_string_replace(step, "/", "~1", 0);
			g_string_prepend(path, step->str);
			g_string_prepend_c(path, '/');
			return found;
		}
		return NULL;
	case json_type_array:
		for (gsize i = 0; i < json_object_array_length(value); i++) {
			g_autofree char *step = NULL;

			found = vmem_json_find_non_finite(json_object_array_get_idx(value, i),
							  path);
			if (found == NULL)
				continue;
			step = g_strdup_printf("/%" G_GSIZE_FORMAT, i);
			g_string_prepend(path, step);
			return found;
		}
		return NULL;
	default:
		return NULL;
	}
}

static gboolean
vmem_json_check_finite(json_object *root, GError **error)
{
	g_autoptr(GString) path = g_string_new(NULL);
	json_object *found = vmem_json_find_non_finite(root, path);
	g_autofree char *where = NULL;
	g_autofree char *excerpt = NULL;
	const char *json;

	if (found == NULL)
		return TRUE;
	json = json_object_to_json_string_ext(found, JSON_C_TO_STRING_PLAIN);
	excerpt = vmem_json_excerpt(json, strlen(json));
	if (path->len == 0) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %s is a number as sent, such as NaN or 1e999 */
			    _("The JSON text is %s, not a finite number."), excerpt);
		return FALSE;
	}
	where = vmem_json_excerpt(path->str, path->len);
	g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
		    /* TRANSLATORS: %1$s is where the value is, as a JSON Pointer such as
		     * /psi/some/avg10; %2$s is the number as sent, such as NaN or 1e999 */
		    _("The value at %1$s is %2$s, not a finite number."), where, excerpt);
	return FALSE;
}

/**
 * vmem_json_parse:
 * @text: (array length=len): one JSON document, such as one line of a
 *   protocol without its line end; need not be NUL-terminated and may hold
 *   any bytes
 * @len: its length in bytes
 * @max_len: the longest @text accepted, at most %G_MAXINT
 * @max_depth: json-c's nesting limit: an array or object and every value in
 *   one take a level, so `{"a": 1}` needs 2 and `{"a": [1]}` needs 3
 * @flags: what else to require
 * @error: return location for a #GError
 *
 * Parses one untrusted JSON document in json-c's strict mode.  Refused with
 * %VMEM_ERROR_INVALID_DATA: a text longer than @max_len, an empty one (or
 * only whitespace), NUL bytes, invalid UTF-8 (including the overlong forms
 * json-c lets through), syntax errors, nesting deeper than @max_depth,
 * anything but whitespace after the value, a bare `null`, NaN and infinite
 * numbers anywhere, and with %VMEM_JSON_PARSE_OBJECT anything but an object.
 *
 * Returns: (transfer full): the value, or %NULL on error
 */
json_object *
vmem_json_parse(const char *text, gsize len, gsize max_len, guint max_depth,
		VmemJsonParseFlags flags, GError **error)
{
	g_autoptr(json_tokener) tok = NULL;
	g_autoptr(json_object) root = NULL;
	enum json_tokener_error jerr;
	const char *nul;
	const char *invalid = NULL;
	gsize start = 0;
	gsize end;

	g_return_val_if_fail(text != NULL || len == 0, NULL);
	g_return_val_if_fail(max_len <= G_MAXINT, NULL);
	g_return_val_if_fail(max_depth > 0 && max_depth <= G_MAXINT, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	if (len > max_len) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %1$zu and %2$zu are byte counts */
			    ngettext("The JSON text is %1$zu byte long, "
				     "more than the limit of %2$zu bytes.",
				     "The JSON text is %1$zu bytes long, "
				     "more than the limit of %2$zu bytes.",
				     len),
			    len, max_len);
		return NULL;
	}
	nul = len > 0 ? memchr(text, '\0', len) : NULL;
	if (nul != NULL) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %zu is a byte offset */
			    _("The JSON text contains a NUL byte at offset %zu."),
			    (gsize)(nul - text));
		return NULL;
	}
	if (!g_utf8_validate_len(text, len, &invalid)) {
		vmem_json_set_tokener_error(error, json_tokener_error_parse_utf8_string, max_depth,
					    text, len, (gsize)(invalid - text));
		return NULL;
	}
	while (start < len && vmem_json_is_space(text[start]))
		start++;
	if (start == len) {
		g_set_error_literal(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: the JSON text has nothing but whitespace */
				    _("The JSON text is empty."));
		return NULL;
	}

	tok = json_tokener_new_ex((int)max_depth);
	if (tok == NULL)
		g_error("json_tokener_new_ex(%u) failed", max_depth);
	/* Trailing data is checked below, to say so rather than "unexpected". */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS |
					    JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue) {
		/* A number or literal at the very end needs a terminator to be
		 * complete; an open string, array or object stays incomplete. */
		root = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		end = len;
	}
	if (jerr != json_tokener_success) {
		vmem_json_set_tokener_error(error, jerr, max_depth, text, len, end);
		return NULL;
	}
	for (gsize i = end; i < len; i++) {
		g_autofree char *excerpt = NULL;

		if (vmem_json_is_space(text[i]))
			continue;
		excerpt = vmem_json_excerpt(text + i, len - i);
		g_set_error(
			error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			/* TRANSLATORS: %1$zu is a byte offset, %2$s quotes the text from there */
			_("Data follows the JSON value at offset %1$zu: “%2$s”."), i, excerpt);
		return NULL;
	}
	if ((flags & VMEM_JSON_PARSE_OBJECT) && !json_object_is_type(root, json_type_object)) {
		g_autofree char *excerpt = vmem_json_excerpt(text + start, len - start);

		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %s quotes the start of the text */
			    _("The JSON text is not a JSON object: “%s”."), excerpt);
		return NULL;
	}
	/* json-c has no object for null: NULL would read as an error. */
	if (root == NULL) {
		g_set_error_literal(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: the whole JSON text is the literal null */
				    _("The JSON text is a bare null, which holds no value."));
		return NULL;
	}
	if (!vmem_json_check_finite(root, error))
		return NULL;
	return g_steal_pointer(&root);
}

/* How an error names a member: "key", or "key"[index] for an array entry. */
static char *
vmem_json_name(const char *key, gsize index)
{
	if (index == VMEM_JSON_NOT_ENTRY)
		return g_strdup_printf("\"%s\"", key);
	return g_strdup_printf("\"%s\"[%zu]", key, index);
}

/* The value as JSON, shortened for an error message. */
static char *
vmem_json_value_excerpt(json_object *value)
{
	const char *json = json_object_to_json_string_ext(
		value, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	return vmem_json_excerpt(json, strlen(json));
}

static void
vmem_json_set_wrong_type(GError **error, const char *key, gsize index, json_object *value,
			 json_type expected)
{
	g_autofree char *name = vmem_json_name(key, index);
	g_autofree char *excerpt = vmem_json_value_excerpt(value);

	switch (expected) {
	case json_type_int:
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %1$s names a JSON member, such as "size" or
			     * "devices"[2]; %2$s is its value as sent */
			    _("The member %1$s is %2$s, not an integer."), name, excerpt);
		return;
	case json_type_double:
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %1$s names a JSON member, such as "size" or
			     * "devices"[2]; %2$s is its value as sent */
			    _("The member %1$s is %2$s, not a number."), name, excerpt);
		return;
	case json_type_boolean:
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %1$s names a JSON member, such as "size" or
			     * "devices"[2]; %2$s is its value as sent; true and false are JSON
			     * literals */
			    _("The member %1$s is %2$s, not true or false."), name, excerpt);
		return;
	case json_type_string:
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %1$s names a JSON member, such as "size" or
			     * "devices"[2]; %2$s is its value as sent */
			    _("The member %1$s is %2$s, not a string."), name, excerpt);
		return;
	case json_type_object:
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %1$s names a JSON member, such as "size" or
			     * "devices"[2]; %2$s is its value as sent */
			    _("The member %1$s is %2$s, not an object."), name, excerpt);
		return;
	case json_type_array:
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %1$s names a JSON member, such as "size" or
			     * "devices"[2]; %2$s is its value as sent */
			    _("The member %1$s is %2$s, not an array."), name, excerpt);
		return;
	case json_type_null:
		break;
	}
	g_assert_not_reached();
}

/* The value of @key (or of entry @index of the array @key, passed as @obj),
 * checked for @type (json_type_double also takes integers).  Returns TRUE
 * with *ret_value NULL when it is missing or null and @flags allow that. */
static gboolean
vmem_json_lookup(json_object *obj, const char *key, gsize index, VmemJsonGetFlags flags,
		 json_type type, json_object **ret_value, GError **error)
{
	json_object *value = NULL;
	gboolean present;

	if (index == VMEM_JSON_NOT_ENTRY) {
		present = json_object_object_get_ex(obj, key, &value);
	} else {
		present = index < json_object_array_length(obj);
		value = present ? json_object_array_get_idx(obj, index) : NULL;
	}
	if ((!present && (flags & VMEM_JSON_OPTIONAL)) ||
	    (present && value == NULL && (flags & VMEM_JSON_NULLABLE))) {
		*ret_value = NULL;
		return TRUE;
	}
	if (!present) {
		g_autofree char *name = vmem_json_name(key, index);

		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %s names a JSON member, such as "size" or
			     * "devices"[2] */
			    _("The member %s is missing."), name);
		return FALSE;
	}
	if (!json_object_is_type(value, type) &&
	    !(type == json_type_double && json_object_is_type(value, json_type_int))) {
		vmem_json_set_wrong_type(error, key, index, value, type);
		return FALSE;
	}
	*ret_value = value;
	return TRUE;
}

/* json-c keeps integers as int64 or, above G_MAXINT64, as uint64; its
 * getters saturate.  These say whether the value fits. */
static gboolean
vmem_json_int_to_int64(json_object *value, gint64 *ret_value)
{
	gint64 n = json_object_get_int64(value);

	if (n == G_MAXINT64 && json_object_get_uint64(value) > (guint64)G_MAXINT64)
		return FALSE;
	*ret_value = n;
	return TRUE;
}

static gboolean
vmem_json_int_to_uint64(json_object *value, guint64 *ret_value)
{
	if (json_object_get_int64(value) < 0)
		return FALSE;
	*ret_value = json_object_get_uint64(value);
	return TRUE;
}

/**
 * vmem_json_get_int64:
 * @obj: (nullable): a JSON object; anything else has no members
 * @key: the member's name
 * @flags: whether it may be missing or null
 * @min: the smallest value accepted
 * @max: the largest value accepted
 * @ret_value: (out): the value; left as it was when the member is missing or
 *   null and @flags allow that, so set it to the default first
 * @error: return location for a #GError
 *
 * Reads an integer member: a JSON number without fraction or exponent from
 * @min to @max.
 *
 * Returns: %TRUE on success, %FALSE with %VMEM_ERROR_INVALID_DATA
 */
gboolean
vmem_json_get_int64(json_object *obj, const char *key, VmemJsonGetFlags flags, gint64 min,
		    gint64 max, gint64 *ret_value, GError **error)
{
	json_object *value = NULL;
	gint64 n = 0;

	if (!vmem_json_lookup(obj, key, VMEM_JSON_NOT_ENTRY, flags, json_type_int, &value, error))
		return FALSE;
	if (value == NULL)
		return TRUE;
	if (!vmem_json_int_to_int64(value, &n) || n < min || n > max) {
		g_autofree char *name = vmem_json_name(key, VMEM_JSON_NOT_ENTRY);
		g_autofree char *excerpt = vmem_json_value_excerpt(value);

		g_set_error(
			error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			/* TRANSLATORS: %1$s names a JSON member, such as "size"; %2$s is
			 * its value as sent; the other two are the bounds */
			_("The member %1$s is %2$s, not between %3$" PRId64 " and %4$" PRId64 "."),
			name, excerpt, min, max);
		return FALSE;
	}
	*ret_value = n;
	return TRUE;
}

/**
 * vmem_json_get_uint64:
 * @obj: (nullable): a JSON object; anything else has no members
 * @key: the member's name
 * @flags: whether it may be missing or null
 * @min: the smallest value accepted
 * @max: the largest value accepted
 * @ret_value: (out): the value; left as it was when the member is missing or
 *   null and @flags allow that, so set it to the default first
 * @error: return location for a #GError
 *
 * Reads a non-negative integer member from @min to @max.  json-c reads
 * numbers above %G_MAXUINT64 as %G_MAXUINT64.
 *
 * Returns: %TRUE on success, %FALSE with %VMEM_ERROR_INVALID_DATA
 */
gboolean
vmem_json_get_uint64(json_object *obj, const char *key, VmemJsonGetFlags flags, guint64 min,
		     guint64 max, guint64 *ret_value, GError **error)
{
	json_object *value = NULL;
	guint64 n = 0;

	if (!vmem_json_lookup(obj, key, VMEM_JSON_NOT_ENTRY, flags, json_type_int, &value, error))
		return FALSE;
	if (value == NULL)
		return TRUE;
	if (!vmem_json_int_to_uint64(value, &n) || n < min || n > max) {
		g_autofree char *name = vmem_json_name(key, VMEM_JSON_NOT_ENTRY);
		g_autofree char *excerpt = vmem_json_value_excerpt(value);

		g_set_error(
			error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			/* TRANSLATORS: %1$s names a JSON member, such as "size"; %2$s is
			 * its value as sent; the other two are the bounds */
			_("The member %1$s is %2$s, not between %3$" PRIu64 " and %4$" PRIu64 "."),
			name, excerpt, min, max);
		return FALSE;
	}
	*ret_value = n;
	return TRUE;
}

/**
 * vmem_json_get_double:
 * @obj: (nullable): a JSON object; anything else has no members
 * @key: the member's name
 * @flags: whether it may be missing or null
 * @min: the smallest value accepted
 * @max: the largest value accepted
 * @ret_value: (out): the value; left as it was when the member is missing or
 *   null and @flags allow that, so set it to the default first
 * @error: return location for a #GError
 *
 * Reads a number member (an integer or not) from @min to @max; NaN and
 * infinities are refused.
 *
 * Returns: %TRUE on success, %FALSE with %VMEM_ERROR_INVALID_DATA
 */
gboolean
vmem_json_get_double(json_object *obj, const char *key, VmemJsonGetFlags flags, double min,
		     double max, double *ret_value, GError **error)
{
	json_object *value = NULL;
	double d;

	if (!vmem_json_lookup(obj, key, VMEM_JSON_NOT_ENTRY, flags, json_type_double, &value,
			      error))
		return FALSE;
	if (value == NULL)
		return TRUE;
	d = json_object_get_double(value);
	if (!isfinite(d) || d < min || d > max) {
		g_autofree char *name = vmem_json_name(key, VMEM_JSON_NOT_ENTRY);
		g_autofree char *excerpt = vmem_json_value_excerpt(value);

		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %1$s names a JSON member, such as "avg10"; %2$s is
			     * its value as sent; %3$g and %4$g are the bounds */
			    _("The member %1$s is %2$s, not between %3$g and %4$g."), name, excerpt,
			    min, max);
		return FALSE;
	}
	*ret_value = d;
	return TRUE;
}

/**
 * vmem_json_get_bool:
 * @obj: (nullable): a JSON object; anything else has no members
 * @key: the member's name
 * @flags: whether it may be missing or null
 * @ret_value: (out): the value; left as it was when the member is missing or
 *   null and @flags allow that, so set it to the default first
 * @error: return location for a #GError
 *
 * Reads a member that is `true` or `false`.
 *
 * Returns: %TRUE on success, %FALSE with %VMEM_ERROR_INVALID_DATA
 */
gboolean
vmem_json_get_bool(json_object *obj, const char *key, VmemJsonGetFlags flags, gboolean *ret_value,
		   GError **error)
{
	json_object *value = NULL;

	if (!vmem_json_lookup(obj, key, VMEM_JSON_NOT_ENTRY, flags, json_type_boolean, &value,
			      error))
		return FALSE;
	if (value != NULL)
		*ret_value = json_object_get_boolean(value);
	return TRUE;
}

typedef enum {
	VMEM_JSON_STRING_OK,
	VMEM_JSON_STRING_CONTROL,
	VMEM_JSON_STRING_NUL,
	VMEM_JSON_STRING_NOT_UTF8,
} VmemJsonStringProblem;

static VmemJsonStringProblem
vmem_json_string_problem(const char *s, gsize len, VmemJsonGetFlags flags)
{
	if (flags & VMEM_JSON_NO_CONTROL) {
		for (gsize i = 0; i < len; i++) {
			if ((guchar)s[i] < 0x20 || (guchar)s[i] == 0x7f)
				return VMEM_JSON_STRING_CONTROL;
		}
	}
	if (memchr(s, '\0', len) != NULL)
		return VMEM_JSON_STRING_NUL;
	if (!g_utf8_validate_len(s, len, NULL))
		return VMEM_JSON_STRING_NOT_UTF8;
	return VMEM_JSON_STRING_OK;
}

/* Strings are capped, must be UTF-8 without NUL (json-c passes overlong forms
 * and decodes \u0000), and maybe without control characters. */
static gboolean
vmem_json_check_string(json_object *value, const char *key, gsize index, VmemJsonGetFlags flags,
		       gsize max_len, GError **error)
{
	const char *s = json_object_get_string(value);
	gsize len = (gsize)json_object_get_string_len(value);
	VmemJsonStringProblem problem = vmem_json_string_problem(s, len, flags);
	g_autofree char *name = NULL;
	g_autofree char *excerpt = NULL;

	if (len <= max_len && problem == VMEM_JSON_STRING_OK)
		return TRUE;
	name = vmem_json_name(key, index);
	excerpt = vmem_json_value_excerpt(value);
	if (len > max_len) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %1$s names a JSON member, such as "kernel" or
			     * "capabilities"[2]; %2$zu and %3$zu are byte counts; %4$s quotes
			     * the start of the string */
			    ngettext("The member %1$s is a string of %2$zu byte, "
				     "more than the limit of %3$zu bytes: %4$s.",
				     "The member %1$s is a string of %2$zu bytes, "
				     "more than the limit of %3$zu bytes: %4$s.",
				     len),
			    name, len, max_len, excerpt);
		return FALSE;
	}
	switch (problem) {
	case VMEM_JSON_STRING_CONTROL:
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %1$s names a JSON member, such as "kernel" or
			     * "capabilities"[2]; %2$s is its value as sent */
			    _("The member %1$s is %2$s, which contains a control character."), name,
			    excerpt);
		break;
	case VMEM_JSON_STRING_NUL:
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %1$s names a JSON member, such as "desc" or
			     * "capabilities"[2]; %2$s is its value as sent */
			    _("The member %1$s is %2$s, which contains a NUL character."), name,
			    excerpt);
		break;
	case VMEM_JSON_STRING_NOT_UTF8:
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %1$s names a JSON member, such as "desc" or
			     * "capabilities"[2]; %2$s is its value as sent */
			    _("The member %1$s is %2$s, which is not valid UTF-8."), name, excerpt);
		break;
	case VMEM_JSON_STRING_OK:
		g_assert_not_reached();
	}
	return FALSE;
}

/**
 * vmem_json_get_string:
 * @obj: (nullable): a JSON object; anything else has no members
 * @key: the member's name
 * @flags: whether it may be missing or null, whether control characters
 *   are refused
 * @max_len: the longest string accepted in bytes, or %VMEM_JSON_NO_LIMIT
 * @ret_value: (out) (transfer none) (nullable): the string, owned by @obj;
 *   %NULL when the member is missing or null and @flags allow that
 * @error: return location for a #GError
 *
 * Reads a string member: valid UTF-8 without NUL characters, at most
 * @max_len bytes.
 *
 * Returns: %TRUE on success, %FALSE with %VMEM_ERROR_INVALID_DATA
 */
gboolean
vmem_json_get_string(json_object *obj, const char *key, VmemJsonGetFlags flags, gsize max_len,
		     const char **ret_value, GError **error)
{
	json_object *value = NULL;

	if (!vmem_json_lookup(obj, key, VMEM_JSON_NOT_ENTRY, flags, json_type_string, &value,
			      error))
		return FALSE;
	if (value != NULL &&
	    !vmem_json_check_string(value, key, VMEM_JSON_NOT_ENTRY, flags, max_len, error))
		return FALSE;
	*ret_value = value != NULL ? json_object_get_string(value) : NULL;
	return TRUE;
}

/**
 * vmem_json_get_object:
 * @obj: (nullable): a JSON object; anything else has no members
 * @key: the member's name
 * @flags: whether it may be missing or null
 * @ret_value: (out) (transfer none) (nullable): the object, owned by @obj;
 *   %NULL when the member is missing or null and @flags allow that
 * @error: return location for a #GError
 *
 * Reads a member that is an object.
 *
 * Returns: %TRUE on success, %FALSE with %VMEM_ERROR_INVALID_DATA
 */
gboolean
vmem_json_get_object(json_object *obj, const char *key, VmemJsonGetFlags flags,
		     json_object **ret_value, GError **error)
{
	return vmem_json_lookup(obj, key, VMEM_JSON_NOT_ENTRY, flags, json_type_object, ret_value,
				error);
}

/**
 * vmem_json_get_array:
 * @obj: (nullable): a JSON object; anything else has no members
 * @key: the member's name
 * @flags: whether it may be missing or null
 * @max_len: the most entries accepted, or %VMEM_JSON_NO_LIMIT
 * @ret_value: (out) (transfer none) (nullable): the array, owned by @obj;
 *   %NULL when the member is missing or null and @flags allow that
 * @error: return location for a #GError
 *
 * Reads a member that is an array of at most @max_len entries; read them
 * with vmem_json_array_get_string() and vmem_json_array_get_object().
 *
 * Returns: %TRUE on success, %FALSE with %VMEM_ERROR_INVALID_DATA
 */
gboolean
vmem_json_get_array(json_object *obj, const char *key, VmemJsonGetFlags flags, gsize max_len,
		    json_object **ret_value, GError **error)
{
	json_object *value = NULL;

	if (!vmem_json_lookup(obj, key, VMEM_JSON_NOT_ENTRY, flags, json_type_array, &value, error))
		return FALSE;
	if (value != NULL && json_object_array_length(value) > max_len) {
		g_autofree char *name = vmem_json_name(key, VMEM_JSON_NOT_ENTRY);

		g_set_error(
			error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			/* TRANSLATORS: %1$s names a JSON member, such as "devices"; %2$zu
			 * and %3$zu are numbers of entries */
			ngettext("The member %1$s has %2$zu entry, more than the limit of %3$zu.",
				 "The member %1$s has %2$zu entries, more than the limit of %3$zu.",
				 json_object_array_length(value)),
			name, json_object_array_length(value), max_len);
		return FALSE;
	}
	*ret_value = value;
	return TRUE;
}

/**
 * vmem_json_array_get_string:
 * @array: a JSON array, as vmem_json_get_array() returns
 * @key: the name of the member that @array is, for error messages
 * @index: which entry; one past the end reads as missing
 * @flags: whether it may be null, whether control characters are refused
 * @max_len: the longest string accepted in bytes, or %VMEM_JSON_NO_LIMIT
 * @ret_value: (out) (transfer none) (nullable): the string, owned by @array;
 *   %NULL when the entry is null and @flags allow that
 * @error: return location for a #GError
 *
 * Reads an entry of an array that is a string, with the checks of
 * vmem_json_get_string().
 *
 * Returns: %TRUE on success, %FALSE with %VMEM_ERROR_INVALID_DATA
 */
gboolean
vmem_json_array_get_string(json_object *array, const char *key, gsize index, VmemJsonGetFlags flags,
			   gsize max_len, const char **ret_value, GError **error)
{
	json_object *value = NULL;

	g_return_val_if_fail(json_object_is_type(array, json_type_array), FALSE);
	g_return_val_if_fail(index != VMEM_JSON_NOT_ENTRY, FALSE);

	flags &= ~VMEM_JSON_OPTIONAL;
	if (!vmem_json_lookup(array, key, index, flags, json_type_string, &value, error))
		return FALSE;
	if (value != NULL && !vmem_json_check_string(value, key, index, flags, max_len, error))
		return FALSE;
	*ret_value = value != NULL ? json_object_get_string(value) : NULL;
	return TRUE;
}

/**
 * vmem_json_array_get_object:
 * @array: a JSON array, as vmem_json_get_array() returns
 * @key: the name of the member that @array is, for error messages
 * @index: which entry; one past the end reads as missing
 * @ret_value: (out) (transfer none): the object, owned by @array
 * @error: return location for a #GError
 *
 * Reads an entry of an array that is an object.
 *
 * Returns: %TRUE on success, %FALSE with %VMEM_ERROR_INVALID_DATA
 */
gboolean
vmem_json_array_get_object(json_object *array, const char *key, gsize index,
			   json_object **ret_value, GError **error)
{
	g_return_val_if_fail(json_object_is_type(array, json_type_array), FALSE);
	g_return_val_if_fail(index != VMEM_JSON_NOT_ENTRY, FALSE);

	return vmem_json_lookup(array, key, index, VMEM_JSON_REQUIRED, json_type_object, ret_value,
				error);
}
