/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target over the host's agent message parser: the input is parsed as
 * one line, and also split into lines as the channel does, and whatever
 * parses is formatted, so the formatters see every value the parser lets
 * through.
 *
 *   fuzz-agent-message FILE|DIR...   replays inputs, exits 0 if none crashed
 *
 * With -Dfuzzing=true (CC=clang) it is also built as a libFuzzer binary
 * (VMEM_FUZZING_LIBFUZZER defined), whose main is libFuzzer's.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>

#include "vmem-agent-lines.h"
#include "vmem-agent-message.h"
#include "vmem-agent-view.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_one_line(const char *line, gsize len, gpointer user_data)
{
	g_autoptr(VmemAgentMessage) msg = vmem_agent_message_parse(line, len, NULL);
	g_autofree char *json = NULL;
	g_autofree char *text = NULL;
	g_autofree char *summary = NULL;

	if (msg == NULL)
		return;
	json = vmem_agent_view_format_json(msg->hello, msg->report, NULL);
	text = vmem_agent_view_format_text(msg->hello, msg->report);
	summary = vmem_agent_view_format_summary(msg->report);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(VmemAgentLines) lines = vmem_agent_lines_new(VMEM_AGENT_LINE_MAX);

	fuzz_one_line((const char *)data, size, NULL);
	/* In two pieces, so that lines also cross read boundaries. */
	vmem_agent_lines_feed(lines, (const char *)data, size / 2, fuzz_one_line, NULL);
	vmem_agent_lines_feed(lines, (const char *)data + size / 2, size - size / 2,
			      fuzz_one_line, NULL);
	return 0;
}

#ifndef VMEM_FUZZING_LIBFUZZER
static gboolean
fuzz_replay_file(const char *path)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *data = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &data, &len, &error)) {
		fprintf(stderr, "fuzz-agent-message: %s\n", error->message);
		return FALSE;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)data, len);
	return TRUE;
}

int
main(int argc, char **argv)
{
	guint n = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: fuzz-agent-message FILE|DIR...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		g_autoptr(GDir) dir = g_dir_open(argv[i], 0, NULL);
		const char *name;

		if (dir == NULL) {
			if (!fuzz_replay_file(argv[i]))
				return 1;
			n++;
			continue;
		}
		while ((name = g_dir_read_name(dir)) != NULL) {
			g_autofree char *path = g_build_filename(argv[i], name, NULL);

			if (!fuzz_replay_file(path))
				return 1;
			n++;
		}
	}
	/* A replay of nothing proves nothing. */
	if (n == 0) {
		fprintf(stderr, "fuzz-agent-message: no inputs\n");
		return 1;
	}
	printf("fuzz-agent-message: replayed %u inputs\n", n);
	return 0;
}
#endif
