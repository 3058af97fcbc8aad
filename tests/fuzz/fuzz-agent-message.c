/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target over the host's agent message parser: the input is parsed as
 * one line, and also split into lines as the channel does, and whatever
 * parses is formatted, so the formatters see every value the parser lets
 * through.  Every refusal is a VMEM_ERROR_INVALID_DATA whose message is
 * valid UTF-8 and short: errors quote excerpts, never the whole line.
 *
 *   fuzz-agent-message FILE|DIR...   replays inputs, exits 0 if none crashed
 *
 * With -Dfuzzing=true (CC=clang) it is also built as a libFuzzer binary
 * whose main is libFuzzer's; the plain build's is fuzz-replay.c.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vmem-lines.h"
#include "vmem-agent-message.h"
#include "vmem-error.h"
#include "virtmemctl-agent-view.h"

/* Longest refusal: a sentence, a member name and a short excerpt or two. */
#define FUZZ_MESSAGE_MAX 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_one_line(const char *line, gsize len, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemAgentMessage) msg = vmem_agent_message_parse(line, len, &error);
	g_autofree char *json = NULL;
	g_autofree char *text = NULL;
	g_autofree char *summary = NULL;

	if (msg == NULL) {
		g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
		g_assert_true(g_utf8_validate(error->message, -1, NULL));
		g_assert_cmpuint(strlen(error->message), <=, FUZZ_MESSAGE_MAX);
		return;
	}
	g_assert_no_error(error);
	json = vmem_agent_view_format_json(msg->hello, msg->report, NULL);
	text = vmem_agent_view_format_text(msg->hello, msg->report);
	summary = vmem_agent_view_format_summary(msg->report);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(VmemLines) lines = vmem_lines_new(VMEM_AGENT_LINE_MAX);

	fuzz_one_line((const char *)data, size, NULL);
	/* In two pieces, so that lines also cross read boundaries. */
	vmem_lines_feed(lines, (const char *)data, size / 2, fuzz_one_line, NULL);
	vmem_lines_feed(lines, (const char *)data + size / 2, size - size / 2, fuzz_one_line, NULL);
	return 0;
}
