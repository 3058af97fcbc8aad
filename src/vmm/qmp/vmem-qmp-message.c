/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-qmp-message.h"

#include <glib/gi18n.h>

#include "vmem-error.h"

/* Says who sent what the JSON layer refused with @local_error. */
static void
vmem_qmp_set_invalid(GError **error, const GError *local_error)
{
	g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
		    /* TRANSLATORS: %s is a sentence that says what is wrong with the message */
		    _("QEMU sent an invalid QMP message. %s"), local_error->message);
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
	g_autoptr(GError) local_error = NULL;
	const char *value = NULL;

	if (!vmem_json_get_string(obj, key, VMEM_JSON_REQUIRED, VMEM_JSON_NO_LIMIT, &value,
				  &local_error)) {
		vmem_qmp_set_invalid(error, local_error);
		return NULL;
	}
	return value;
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
	g_autoptr(GError) local_error = NULL;
	guint64 value = 0;

	if (!vmem_json_get_uint64(obj, key, optional ? VMEM_JSON_OPTIONAL : VMEM_JSON_REQUIRED, 0,
				  G_MAXUINT64, &value, &local_error)) {
		vmem_qmp_set_invalid(error, local_error);
		return FALSE;
	}
	*ret_value = value;
	return TRUE;
}

static gboolean
vmem_qmp_message_parse_error(VmemQmpMessage *msg, json_object *root, GError **error)
{
	json_object *err = NULL;
	const char *cls = NULL;
	const char *desc = NULL;

	if (!vmem_json_get_object(root, "error", VMEM_JSON_REQUIRED, &err, error) ||
	    !vmem_json_get_string(err, "class", VMEM_JSON_REQUIRED, VMEM_JSON_NO_LIMIT, &cls,
				  error) ||
	    !vmem_json_get_string(err, "desc", VMEM_JSON_REQUIRED, VMEM_JSON_NO_LIMIT, &desc,
				  error))
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
	const char *name = NULL;
	guint64 s = 0;
	guint64 us = 0;

	if (!vmem_json_get_string(root, "event", VMEM_JSON_REQUIRED, VMEM_JSON_NO_LIMIT, &name,
				  error) ||
	    !vmem_json_get_object(root, "data", VMEM_JSON_OPTIONAL, &data, error))
		return FALSE;
	msg->event = g_strdup(name);
	msg->value = data != NULL ? json_object_get(data) : json_object_new_object();
	/* A timestamp that makes no sense is dropped, not refused. */
	msg->timestamp_us = -1;
	if (vmem_json_get_object(root, "timestamp", VMEM_JSON_OPTIONAL, &ts, NULL) && ts != NULL &&
	    vmem_json_get_uint64(ts, "seconds", VMEM_JSON_REQUIRED, 0,
				 G_MAXINT64 / G_USEC_PER_SEC - 1, &s, NULL) &&
	    vmem_json_get_uint64(ts, "microseconds", VMEM_JSON_REQUIRED, 0, G_USEC_PER_SEC - 1, &us,
				 NULL))
		msg->timestamp_us = (gint64)s * G_USEC_PER_SEC + (gint64)us;
	return TRUE;
}

/* The QMP reading of a JSON object; errors say what is wrong with it. */
static VmemQmpMessage *
vmem_qmp_message_from_json(json_object *root, const char *line, gsize len, GError **error)
{
	static const char *const kinds[] = {"QMP", "return", "error", "event"};
	g_autoptr(VmemQmpMessage) msg = g_new0(VmemQmpMessage, 1);
	json_object *member = NULL;
	const char *id = NULL;
	guint n_kinds = 0;

	for (guint i = 0; i < G_N_ELEMENTS(kinds); i++) {
		if (json_object_object_get_ex(root, kinds[i], NULL)) {
			msg->kind = (VmemQmpMessageKind)i;
			n_kinds++;
		}
	}
	if (n_kinds != 1) {
		g_autofree char *excerpt = vmem_json_excerpt(line, len);

		if (n_kinds == 0)
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: %s quotes the start of the QMP message */
				    _("The message is neither a reply nor an event: “%s”."),
				    excerpt);
		else
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: %s quotes the start of the QMP message */
				    _("The message is more than one kind of QMP message: “%s”."),
				    excerpt);
		return NULL;
	}
	/* A reply echoes the id of its command; ours are strings. */
	if (vmem_json_get_string(root, "id", VMEM_JSON_OPTIONAL, VMEM_JSON_NO_LIMIT, &id, NULL))
		msg->id = g_strdup(id);

	switch (msg->kind) {
	case VMEM_QMP_MESSAGE_GREETING:
		if (!vmem_json_get_object(root, "QMP", VMEM_JSON_REQUIRED, &member, error))
			return NULL;
		msg->value = json_object_get(member);
		break;
	case VMEM_QMP_MESSAGE_RETURN:
		json_object_object_get_ex(root, "return", &member);
		msg->value = json_object_get(member);
		/* json-c gives NULL for a JSON null */
		if (msg->value == NULL)
			msg->value = json_object_new_object();
		break;
	case VMEM_QMP_MESSAGE_ERROR:
		if (!vmem_qmp_message_parse_error(msg, root, error))
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
 * vmem_qmp_message_parse:
 * @line: one line QEMU sent, without its line end; need not be NUL-terminated
 * @len: its length in bytes
 * @error: return location for a #GError
 *
 * Parses and checks one QMP message: a JSON object that is exactly one of a
 * greeting, a return, an error reply or an event, each with the members
 * QMP defines.  Anything else, including lines longer than
 * %VMEM_QMP_MAX_LINE and everything vmem_json_parse() refuses, is refused
 * with %VMEM_ERROR_INVALID_DATA.
 *
 * Returns: (transfer full): the message, or %NULL on error
 */
VmemQmpMessage *
vmem_qmp_message_parse(const char *line, gsize len, GError **error)
{
	g_autoptr(GError) local_error = NULL;
	g_autoptr(json_object) root =
		vmem_json_parse(line, len, VMEM_QMP_MAX_LINE, VMEM_QMP_MAX_DEPTH,
				VMEM_JSON_PARSE_OBJECT, &local_error);
	VmemQmpMessage *msg = NULL;

	if (root != NULL)
		msg = vmem_qmp_message_from_json(root, line, len, &local_error);
	if (msg == NULL) {
		vmem_qmp_set_invalid(error, local_error);
		return NULL;
	}
	return msg;
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
