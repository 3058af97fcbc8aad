/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target of the QMP reply parser: any bytes, taken as one message and
 * as a stream of lines, go through vmem_qmp_message_parse() and, for what
 * it accepts, through the qmp backend's readers of query-memory-devices,
 * query-status and query-migrate, without crashing; every refusal is a
 * VMEM_ERROR_INVALID_DATA with a short, valid UTF-8 message.  The same bytes
 * also go through the common JSON layer (vmem_json_parse() taking any value)
 * and every member and array entry of what it returns through every typed
 * getter, so the getters see every type and value json-c can produce.
 *
 * Built as `fuzz-qmp-reply FILE|DIR...`, which replays files (every file of
 * a directory) and exits 0 when none crashed; with -Dfuzzing=true also as a
 * libFuzzer binary (main() is libFuzzer's; the plain build's is fuzz-replay.c).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "vmem-backend-qmp.h"
#include "vmem-error.h"
#include "vmem-json.h"
#include "vmem-qmp-message.h"

/* Longest refusal: a sentence, a member name and a short excerpt or two. */
#define FUZZ_MESSAGE_MAX 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_refusal(GError *error)
{
	g_assert_nonnull(error);
	g_assert_true(error->domain == VMEM_ERROR);
	g_assert_true(g_utf8_validate(error->message, -1, NULL));
	g_assert_cmpuint(strlen(error->message), <=, FUZZ_MESSAGE_MAX);
}

/* A getter either succeeds or refuses with INVALID_DATA.  @error is read
 * through a pointer: the getter's call, the other argument, may set it. */
static void
check_getter(gboolean ok, GError **error)
{
	if (ok) {
		g_assert_no_error(*error);
		return;
	}
	g_assert_error(*error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
	check_refusal(*error);
}

static void read_value(json_object *value, const char *key);

static void
read_entries(json_object *array, const char *key)
{
	for (gsize i = 0; i <= json_object_array_length(array); i++) {
		g_autoptr(GError) string_error = NULL;
		g_autoptr(GError) object_error = NULL;
		const char *s = NULL;
		json_object *obj = NULL;

		check_getter(vmem_json_array_get_string(array, key, i, VMEM_JSON_NO_CONTROL, 16, &s,
							&string_error),
			     &string_error);
		check_getter(vmem_json_array_get_object(array, key, i, &obj, &object_error),
			     &object_error);
	}
}

/* Every getter on every member of @obj, and on a member it lacks. */
static void
read_members(json_object *obj)
{
	static const VmemJsonGetFlags flags[] = {
		VMEM_JSON_REQUIRED,
		VMEM_JSON_OPTIONAL | VMEM_JSON_NULLABLE | VMEM_JSON_NO_CONTROL,
	};
	struct json_object_iter iter;
	json_object *missing = NULL;

	json_object_object_foreachC(obj, iter)
	{
		for (guint f = 0; f < G_N_ELEMENTS(flags); f++) {
			g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL;
			g_autoptr(GError) e5 = NULL, e6 = NULL, e7 = NULL;
			gint64 i = 0;
			guint64 u = 0;
			double d = 0;
			gboolean b = FALSE;
			const char *s = NULL;
			json_object *o = NULL;
			json_object *a = NULL;

			check_getter(
				vmem_json_get_int64(obj, iter.key, flags[f], -100, 100, &i, &e1),
				&e1);
			check_getter(vmem_json_get_uint64(obj, iter.key, flags[f], 1, G_MAXUINT64,
							  &u, &e2),
				     &e2);
			check_getter(vmem_json_get_double(obj, iter.key, flags[f], 0, 100, &d, &e3),
				     &e3);
			check_getter(vmem_json_get_bool(obj, iter.key, flags[f], &b, &e4), &e4);
			check_getter(vmem_json_get_string(obj, iter.key, flags[f], 8, &s, &e5),
				     &e5);
			check_getter(vmem_json_get_object(obj, iter.key, flags[f], &o, &e6), &e6);
			check_getter(vmem_json_get_array(obj, iter.key, flags[f], 4, &a, &e7), &e7);
		}
		read_value(iter.val, iter.key);
	}
	g_assert_true(
		vmem_json_get_object(obj, "no such member", VMEM_JSON_OPTIONAL, &missing, NULL));
	g_assert_null(missing);
}

/* Down every object and array, once each. */
static void
read_value(json_object *value, const char *key)
{
	if (json_object_is_type(value, json_type_object)) {
		read_members(value);
	} else if (json_object_is_type(value, json_type_array)) {
		read_entries(value, key);
		for (gsize i = 0; i < json_object_array_length(value); i++)
			read_value(json_object_array_get_idx(value, i), key);
	}
}

static void
parse_any(const char *line, gsize len)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(json_object) root = vmem_json_parse(
		line, len, VMEM_QMP_MAX_LINE, VMEM_QMP_MAX_DEPTH, VMEM_JSON_PARSE_DEFAULT, &error);

	if (root == NULL) {
		g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
		check_refusal(error);
		return;
	}
	g_assert_no_error(error);
	read_value(root, "root");
}

static void
read_reply(json_object *value)
{
	g_autoptr(GPtrArray) devices = NULL;
	g_autoptr(GError) devices_error = NULL;
	g_autoptr(GError) status_error = NULL;
	g_autoptr(GError) migrate_error = NULL;
	VmemRunState state;
	gboolean migrating;

	if (vmem_backend_qmp_parse_devices(value, &devices, &devices_error)) {
		for (guint i = 0; i < devices->len; i++) {
			const VmemDevice *dev = devices->pdata[i];

			g_assert_true(dev->requested <= dev->size && dev->plugged <= dev->size);
			g_assert_true(dev->block_size != 0 &&
				      (dev->block_size & (dev->block_size - 1)) == 0);
		}
	} else {
		check_refusal(devices_error);
		g_assert_null(devices);
	}
	if (!vmem_backend_qmp_parse_status(value, &state, &status_error))
		check_refusal(status_error);
	if (!vmem_backend_qmp_parse_migrating(value, &migrating, &migrate_error))
		check_refusal(migrate_error);
}

static void
parse_one(const char *line, gsize len)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemQmpMessage) msg = vmem_qmp_message_parse(line, len, &error);

	parse_any(line, len);
	if (msg == NULL) {
		check_refusal(error);
		g_assert_true(error->code == VMEM_ERROR_INVALID_DATA);
		return;
	}
	g_assert_no_error(error);
	g_assert_nonnull(msg->value);
	switch (msg->kind) {
	case VMEM_QMP_MESSAGE_GREETING:
		break;
	case VMEM_QMP_MESSAGE_RETURN:
		read_reply(msg->value);
		break;
	case VMEM_QMP_MESSAGE_ERROR:
		g_assert_nonnull(msg->error_class);
		g_assert_nonnull(msg->error_desc);
		break;
	case VMEM_QMP_MESSAGE_EVENT: {
		guint64 value = 0;

		g_assert_nonnull(msg->event);
		g_assert_true(json_object_is_type(msg->value, json_type_object));
		vmem_qmp_json_get_string(msg->value, "id", NULL);
		vmem_qmp_json_get_size(msg->value, "size", FALSE, &value, NULL);
		break;
	}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *end = text + size;

	parse_one(text, size);
	/* as QEMU's stream: one message a line, "\r\n" ends them */
	while (text < end) {
		const char *nl = memchr(text, '\n', (size_t)(end - text));
		const char *line_end = nl ? nl : end;
		gsize len = (gsize)(line_end - text);

		if (len > 0 && text[len - 1] == '\r')
			len--;
		parse_one(text, len);
		text = nl ? nl + 1 : end;
	}
	return 0;
}
