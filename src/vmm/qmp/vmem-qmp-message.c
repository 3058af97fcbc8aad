/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-qmp-message.h"

#include <glib/gi18n.h>

#include "vmem-error.h"

/* How much of an offending line an error message quotes. */
#define VMEM_QMP_EXCERPT 64

/* A printable, valid UTF-8 quote of the start of @line for error messages. */
static char *
vmem_qmp_excerpt(const char *line, gsize len)
{
	g_autofree char *valid = g_utf8_make_valid(line, (gssize)MIN(len, VMEM_QMP_EXCERPT));

	for (char *p = valid; *p != '\0'; p++) {
		if ((guchar)*p < 0x20)
			*p = '?';
	}
	return len > VMEM_QMP_EXCERPT ? g_strconcat(valid, "…", NULL) : g_steal_pointer(&valid);
}

static void
vmem_qmp_set_invalid(GError **error, const char *line, gsize len, const char *why)
{
	g_autofree char *excerpt = vmem_qmp_excerpt(line, len);

	g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
		    /* TRANSLATORS: QEMU sent something that is not a valid QMP message;
		     * the first %s says why, the second quotes the message */
		    _("QEMU sent an invalid QMP message (%s): %s"), why, excerpt);
}

static json_object *
vmem_qmp_parse_json(const char *line, gsize len, GError **error)
{
	g_autoptr(json_tokener) tok = json_tokener_new_ex(VMEM_QMP_MAX_DEPTH);
	g_autoptr(json_object) root = NULL;
	enum json_tokener_error jerr;
	gsize end;

	if (len > VMEM_QMP_MAX_LINE) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %zu are byte counts */
			    _("QEMU sent a QMP message of %zu bytes, more than the limit of %zu "
			      "bytes."),
			    (size_t)len, (size_t)VMEM_QMP_MAX_LINE);
		return NULL;
	}
	if (len == 0) {
		/* TRANSLATORS: reason for an invalid QMP message */
		vmem_qmp_set_invalid(error, "", 0, _("it is empty"));
		return NULL;
	}
	if (memchr(line, '\0', len) != NULL) {
		/* TRANSLATORS: reason for an invalid QMP message */
		vmem_qmp_set_invalid(error, line, len, _("it contains a NUL byte"));
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_continue || (root == NULL && jerr == json_tokener_success)) {
		/* TRANSLATORS: reason for an invalid QMP message */
		vmem_qmp_set_invalid(error, line, len, _("it is truncated"));
		return NULL;
	}
	if (jerr != json_tokener_success) {
		vmem_qmp_set_invalid(error, line, len, json_tokener_error_desc(jerr));
		return NULL;
	}
	end = json_tokener_get_parse_end(tok);
	for (gsize i = end; i < len; i++) {
		if (!g_ascii_isspace(line[i])) {
			/* TRANSLATORS: reason for an invalid QMP message */
			vmem_qmp_set_invalid(error, line, len, _("data follows the JSON value"));
			return NULL;
		}
	}
	if (!json_object_is_type(root, json_type_object)) {
		/* TRANSLATORS: reason for an invalid QMP message */
		vmem_qmp_set_invalid(error, line, len, _("it is not a JSON object"));
		return NULL;
	}
	return g_steal_pointer(&root);
}

/**
 * vmem_qmp_json_get_string:
 * @obj: a JSON object
 * @key: a member name
 *
 * Returns: (transfer none): the string member @key of @obj, or %NULL with
 * @error set when it is missing, not a string, or not valid UTF-8 (json-c
 * lets overlong forms and embedded NULs through)
 */
const char *
vmem_qmp_json_get_string(json_object *obj, const char *key, GError **error)
{
	json_object *member = NULL;

	if (!json_object_object_get_ex(obj, key, &member) ||
	    !json_object_is_type(member, json_type_string) ||
	    !g_utf8_validate_len(json_object_get_string(member),
				 (gsize)json_object_get_string_len(member), NULL)) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %s is a JSON member name such as "desc" */
			    _("QEMU's reply has no string member \"%s\"."), key);
		return NULL;
	}
	return json_object_get_string(member);
}

/**
 * vmem_qmp_json_get_size:
 * @obj: a JSON object
 * @key: a member name
 * @optional: whether @key may be missing (then @ret_value is set to 0)
 * @ret_value: (out): the value
 *
 * Reads a non-negative integer member, as QMP's `size` and `int` types.
 */
gboolean
vmem_qmp_json_get_size(json_object *obj, const char *key, gboolean optional, guint64 *ret_value,
		       GError **error)
{
	json_object *member = NULL;

	if (!json_object_object_get_ex(obj, key, &member)) {
		if (optional) {
			*ret_value = 0;
			return TRUE;
		}
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %s is a JSON member name such as "block-size" */
			    _("QEMU's reply has no member \"%s\"."), key);
		return FALSE;
	}
	if (!json_object_is_type(member, json_type_int) || json_object_get_int64(member) < 0) {
		const char *json = json_object_to_json_string_ext(member, JSON_C_TO_STRING_PLAIN);
		g_autofree char *value = vmem_qmp_excerpt(json, strlen(json));

		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: the first %s is a JSON member name, the second
			     * its value as QEMU sent it */
			    _("QEMU's reply has \"%s\": %s, not a non-negative integer."), key,
			    value);
		return FALSE;
	}
	*ret_value = json_object_get_uint64(member);
	return TRUE;
}

static gboolean
vmem_qmp_message_parse_error(VmemQmpMessage *msg, json_object *err, GError **error)
{
	const char *cls;
	const char *desc;

	if (!json_object_is_type(err, json_type_object)) {
		g_set_error_literal(
			error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			/* TRANSLATORS: QMP protocol violation */
			_("QEMU sent an error reply whose \"error\" is not an object."));
		return FALSE;
	}
	cls = vmem_qmp_json_get_string(err, "class", error);
	if (cls == NULL)
		return FALSE;
	desc = vmem_qmp_json_get_string(err, "desc", error);
	if (desc == NULL)
		return FALSE;
	msg->error_class = g_strdup(cls);
	msg->error_desc = g_strdup(desc);
	msg->value = json_object_get(err);
	return TRUE;
}

static gboolean
vmem_qmp_message_parse_event(VmemQmpMessage *msg, json_object *root, GError **error)
{
	json_object *data = NULL;
	json_object *ts = NULL;
	const char *name = vmem_qmp_json_get_string(root, "event", error);

	if (name == NULL)
		return FALSE;
	if (json_object_object_get_ex(root, "data", &data)) {
		if (!json_object_is_type(data, json_type_object)) {
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: %s is a QMP event name */
				    _("QEMU sent the event %s with data that is not an object."),
				    name);
			return FALSE;
		}
		msg->value = json_object_get(data);
	} else {
		msg->value = json_object_new_object();
	}
	msg->timestamp_us = -1;
	if (json_object_object_get_ex(root, "timestamp", &ts) &&
	    json_object_is_type(ts, json_type_object)) {
		guint64 s = 0, us = 0;

		if (vmem_qmp_json_get_size(ts, "seconds", FALSE, &s, NULL) &&
		    vmem_qmp_json_get_size(ts, "microseconds", FALSE, &us, NULL) &&
		    s < (guint64)G_MAXINT64 / G_USEC_PER_SEC && us < G_USEC_PER_SEC)
			msg->timestamp_us = (gint64)s * G_USEC_PER_SEC + (gint64)us;
	}
	msg->event = g_strdup(name);
	return TRUE;
}

/**
 * vmem_qmp_message_parse:
 * @line: one line QEMU sent, without its line end; need not be NUL-terminated
 * @len: its length in bytes
 * @error: return location for a #GError
 *
 * Parses and checks one QMP message: a JSON object that is exactly one of a
 * greeting, a return, an error reply or an event, each with the members
 * QMP defines.  Anything else, including lines longer than
 * %VMEM_QMP_MAX_LINE, invalid UTF-8 and trailing data, is refused with
 * %VMEM_ERROR_INVALID_DATA.
 *
 * Returns: (transfer full): the message, or %NULL on error
 */
VmemQmpMessage *
vmem_qmp_message_parse(const char *line, gsize len, GError **error)
{
	g_autoptr(json_object) root = vmem_qmp_parse_json(line, len, error);
	g_autoptr(VmemQmpMessage) msg = NULL;
	static const char *const kinds[] = {"QMP", "return", "error", "event"};
	json_object *member = NULL;
	json_object *id = NULL;
	guint n_kinds = 0;

	if (root == NULL)
		return NULL;
	msg = g_new0(VmemQmpMessage, 1);
	for (guint i = 0; i < G_N_ELEMENTS(kinds); i++) {
		if (json_object_object_get_ex(root, kinds[i], NULL)) {
			msg->kind = (VmemQmpMessageKind)i;
			n_kinds++;
		}
	}
	if (n_kinds != 1) {
		vmem_qmp_set_invalid(error, line, len,
				     n_kinds == 0
					     /* TRANSLATORS: reason for an invalid QMP message */
					     ? _("it is neither a reply nor an event")
					     /* TRANSLATORS: reason for an invalid QMP message */
					     : _("it is more than one kind of message"));
		return NULL;
	}
	json_object_object_get_ex(root, kinds[msg->kind], &member);
	if (json_object_object_get_ex(root, "id", &id) && json_object_is_type(id, json_type_string))
		msg->id = g_strdup(vmem_qmp_json_get_string(root, "id", NULL));

	switch (msg->kind) {
	case VMEM_QMP_MESSAGE_GREETING:
		if (!json_object_is_type(member, json_type_object)) {
			/* TRANSLATORS: reason for an invalid QMP message */
			vmem_qmp_set_invalid(error, line, len, _("the greeting is not an object"));
			return NULL;
		}
		msg->value = json_object_get(member);
		break;
	case VMEM_QMP_MESSAGE_RETURN:
		msg->value = json_object_get(member);
		/* json-c gives NULL for a JSON null */
		if (msg->value == NULL)
			msg->value = json_object_new_object();
		break;
	case VMEM_QMP_MESSAGE_ERROR:
		if (!vmem_qmp_message_parse_error(msg, member, error))
			return NULL;
		break;
	case VMEM_QMP_MESSAGE_EVENT:
		if (!vmem_qmp_message_parse_event(msg, root, error))
			return NULL;
		break;
	}
	return g_steal_pointer(&msg);
}

/**
 * vmem_qmp_message_free:
 * @msg: (nullable): a message
 */
void
vmem_qmp_message_free(VmemQmpMessage *msg)
{
	if (msg == NULL)
		return;
	g_free(msg->id);
	json_object_put(msg->value);
	g_free(msg->error_class);
	g_free(msg->error_desc);
	g_free(msg->event);
	g_free(msg);
}
