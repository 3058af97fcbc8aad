/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target of the QMP reply parser: any bytes, taken as one message and
 * as a stream of lines, go through vmem_qmp_message_parse() and, for what
 * it accepts, through the qmp backend's readers of query-memory-devices,
 * query-status and query-migrate, without crashing; every refusal is a
 * VMEM_ERROR_INVALID_DATA with a valid UTF-8 message.
 *
 * Built as `fuzz-qmp-reply FILE|DIR...`, which replays files (every file of
 * a directory) and exits 0 when none crashed; with -Dfuzzing=true also as a
 * libFuzzer binary (main() is libFuzzer's; the plain build's is fuzz-replay.c).
 */
#include "config.h"

#include <stdint.h>

#include "vmem-backend-qmp.h"
#include "vmem-error.h"
#include "vmem-qmp-message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_refusal(GError *error)
{
	g_assert_nonnull(error);
	g_assert_true(error->domain == VMEM_ERROR);
	g_assert_true(g_utf8_validate(error->message, -1, NULL));
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
