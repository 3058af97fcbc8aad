/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The host's parser of agent messages over the seed corpus of the fuzz
 * target (tests/fuzz/agent-corpus/): each ok-NAME.line parses, and its
 * formatted view must equal tests/agent/messages/ok-NAME.out; each
 * bad-NAME.line is rejected with the message in tests/agent/messages/
 * bad-NAME.err.  The cases are the files of the corpus.
 * VIRTMEM_TEST_REGENERATE=1 rewrites the expected files.
 */
#include "config.h"

#include "vmem-lines.h"
#include "vmem-agent-message.h"
#include "virtmemctl-agent-view.h"
#include "vmem-error.h"
#include "vmem-test-compare.h"

/* Reads tests/fuzz/agent-corpus/NAME.line */
static char *
read_corpus(const char *name, gsize *ret_len)
{
	g_autofree char *file = g_strconcat(name, ".line", NULL);
	g_autofree char *path =
		g_test_build_filename(G_TEST_DIST, "fuzz", "agent-corpus", file, NULL);
	g_autoptr(GError) error = NULL;
	char *data = NULL;
	gsize len = 0;

	g_assert_true(g_file_get_contents(path, &data, &len, &error));
	g_assert_no_error(error);
	*ret_len = len;
	return data;
}

/* Compares @actual with tests/agent/messages/NAME@suffix */
static void
compare_expected(const char *name, const char *suffix, const char *actual)
{
	g_autofree char *file = g_strconcat(name, suffix, NULL);
	g_autofree char *path = g_test_build_filename(G_TEST_DIST, "agent", "messages", file, NULL);

	vmem_test_compare_file(path, actual, VMEM_TEST_COMPARE_NONE);
}

static char *
format_message(const VmemAgentMessage *msg)
{
	switch (msg->type) {
	case VMEM_AGENT_MESSAGE_HELLO:
		return vmem_agent_view_format_json(msg->hello, NULL, NULL);
	case VMEM_AGENT_MESSAGE_REPORT: {
		g_autofree char *json = vmem_agent_view_format_json(NULL, msg->report, NULL);
		g_autofree char *text = vmem_agent_view_format_text(NULL, msg->report);
		g_autofree char *summary = vmem_agent_view_format_summary(msg->report);

		return g_strconcat(json, "\n", text, summary, "\n", NULL);
	}
	case VMEM_AGENT_MESSAGE_ERROR:
		return g_strdup_printf("error request=%s message=%s\n",
				       msg->error_request ? msg->error_request : "(null)",
				       msg->error_message);
	case VMEM_AGENT_MESSAGE_UNKNOWN:
		return g_strdup("unknown\n");
	}
	g_assert_not_reached();
}

static void
test_corpus_ok(gconstpointer data)
{
	const char *name = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemAgentMessage) msg = NULL;
	g_autofree char *text = NULL;
	gsize len = 0;
	g_autofree char *line = read_corpus(name, &len);

	msg = vmem_agent_message_parse(line, len, &error);
	g_assert_no_error(error);
	g_assert_nonnull(msg);
	text = format_message(msg);
	compare_expected(name, ".out", text);
}

static void
test_corpus_bad(gconstpointer data)
{
	const char *name = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemAgentMessage) msg = NULL;
	g_autofree char *text = NULL;
	gsize len = 0;
	g_autofree char *line = read_corpus(name, &len);

	msg = vmem_agent_message_parse(line, len, &error);
	g_assert_null(msg);
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
	text = g_strconcat(error->message, "\n", NULL);
	compare_expected(name, ".err", text);
}

typedef struct {
	guint n_lines;
	guint n_ok;
	guint n_reports;
} StreamCount;

static void
count_line(const char *line, gsize len, gpointer user_data)
{
	StreamCount *count = user_data;
	g_autoptr(VmemAgentMessage) msg = vmem_agent_message_parse(line, len, NULL);

	g_assert_cmpuint(len, <=, VMEM_AGENT_LINE_MAX);
	count->n_lines++;
	count->n_ok += msg != NULL;
	count->n_reports += msg != NULL && msg->type == VMEM_AGENT_MESSAGE_REPORT;
}

static void
test_streams(void)
{
	const struct {
		const char *name;
		guint n_lines, n_ok, n_reports;
		guint64 n_overlong;
	} streams[] = {
		{"stream-flood", 201, 201, 200, 0},
		{"stream-mixed", 7, 3, 2, 1},
		/* 120 KiB without a newline: dropped, nothing buffered */
		{"stream-no-newline", 0, 0, 0, 1},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(streams); i++) {
		g_autoptr(VmemLines) lines = vmem_lines_new(VMEM_AGENT_LINE_MAX);
		StreamCount count = {0};
		gsize len = 0;
		g_autofree char *data = read_corpus(streams[i].name, &len);

		/* In odd-sized pieces, as reads deliver them. */
		for (gsize off = 0; off < len; off += 1021)
			vmem_lines_feed(lines, data + off, MIN(1021, len - off), count_line,
					&count);
		g_assert_cmpuint(count.n_lines, ==, streams[i].n_lines);
		g_assert_cmpuint(count.n_ok, ==, streams[i].n_ok);
		g_assert_cmpuint(count.n_reports, ==, streams[i].n_reports);
		g_assert_cmpuint(vmem_lines_get_overlong(lines), ==, streams[i].n_overlong);
	}
}

static void
test_values(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemAgentMessage) msg = NULL;
	gsize len = 0;
	g_autofree char *line = read_corpus("ok-report", &len);
	const VmemAgentDevice *dev;

	msg = vmem_agent_message_parse(line, len, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(msg->report->seq, ==, 1);
	g_assert_cmpuint(msg->report->block_size, ==, 128 << 20);
	g_assert_cmpuint(msg->report->mem_total_kib, ==, 1531904);
	g_assert_true(msg->report->has_psi);
	g_assert_cmpfloat(msg->report->psi_some.avg10, ==, 1.25);
	g_assert_cmpuint(msg->report->devices->len, ==, 1);
	dev = g_ptr_array_index(msg->report->devices, 0);
	g_assert_cmpstr(dev->name, ==, "virtio5");
	g_assert_cmpuint(dev->movable, ==, 2);
	g_assert_cmpuint(dev->normal, ==, 1);
	g_assert_cmpuint(dev->offline, ==, 2);
	g_assert_cmpuint(vmem_agent_report_get_online_bytes(msg->report), ==, 384 << 20);
	g_assert_true(vmem_agent_report_unplug_may_stick(msg->report));
	/* an agent or kernel without online policies */
	g_assert_null(msg->report->online_policy);
	g_assert_cmpint(msg->report->auto_movable_ratio, ==, -1);
}

/* ok-report with @members added to "system", parsed */
static VmemAgentMessage *
parse_with_system(const char *members, GError **error)
{
	gsize len = 0;
	g_autofree char *line = read_corpus("ok-report", &len);
	g_auto(GStrv) parts = g_strsplit(line, "\"memmap_on_memory\":\"N\"", 2);
	g_autofree char *edited = NULL;

	g_assert_cmpuint(g_strv_length(parts), ==, 2);
	edited = g_strconcat(parts[0], "\"memmap_on_memory\":\"N\",", members, parts[1], NULL);
	return vmem_agent_message_parse(edited, strlen(edited), error);
}

static void
test_online_policy(void)
{
	const char *bad[] = {
		"\"online_policy\":7",
		"\"online_policy\":\"auto\\u0007movable\"",
		"\"auto_movable_ratio\":\"301\"",
		"\"auto_movable_ratio\":-1",
		"\"auto_movable_ratio\":4294967296",
		"\"auto_movable_ratio\":3.01",
	};
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemAgentMessage) msg = NULL;

	msg = parse_with_system("\"online_policy\":\"auto-movable\",\"auto_movable_ratio\":301",
				&error);
	g_assert_no_error(error);
	g_assert_cmpstr(msg->report->online_policy, ==, "auto-movable");
	g_assert_cmpint(msg->report->auto_movable_ratio, ==, 301);
	g_clear_pointer(&msg, vmem_agent_message_free);

	msg = parse_with_system("\"online_policy\":null,\"auto_movable_ratio\":null", &error);
	g_assert_no_error(error);
	g_assert_null(msg->report->online_policy);
	g_assert_cmpint(msg->report->auto_movable_ratio, ==, -1);
	g_clear_pointer(&msg, vmem_agent_message_free);

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		msg = parse_with_system(bad[i], &error);
		g_assert_null(msg);
		g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
		g_clear_error(&error);
	}
}

static void
test_line_splitter(void)
{
	g_autoptr(VmemLines) lines = vmem_lines_new(8);
	StreamCount count = {0};

	/* "12345678" fits, "123456789" does not, even when split. */
	vmem_lines_feed(lines, "1234", 4, count_line, &count);
	vmem_lines_feed(lines, "5678\n12345", 10, count_line, &count);
	vmem_lines_feed(lines, "6789\n\n", 6, count_line, &count);
	g_assert_cmpuint(count.n_lines, ==, 2);
	g_assert_cmpuint(vmem_lines_get_overlong(lines), ==, 1);
	/* A reset forgets a partial line. */
	vmem_lines_feed(lines, "abc", 3, count_line, &count);
	vmem_lines_reset(lines);
	vmem_lines_feed(lines, "\n", 1, count_line, &count);
	g_assert_cmpuint(count.n_lines, ==, 3);
}

int
main(int argc, char **argv)
{
	g_autofree char *corpus = NULL;
	g_auto(GStrv) names = NULL;

	g_test_init(&argc, &argv, NULL);
	corpus = g_test_build_filename(G_TEST_DIST, "fuzz", "agent-corpus", NULL);
	names = vmem_test_list_fixtures(corpus, ".line");
	for (guint i = 0; names[i] != NULL; i++) {
		g_autofree char *path = g_strdup_printf("/agent/message/corpus/%s.line", names[i]);

		if (g_str_has_prefix(names[i], "ok-"))
			g_test_add_data_func_full(path, g_strdup(names[i]), test_corpus_ok, g_free);
		else if (g_str_has_prefix(names[i], "bad-"))
			g_test_add_data_func_full(path, g_strdup(names[i]), test_corpus_bad,
						  g_free);
	}
	g_test_add_func("/agent/message/streams", test_streams);
	g_test_add_func("/agent/message/values", test_values);
	g_test_add_func("/agent/message/online-policy", test_online_policy);
	g_test_add_func("/agent/message/line-splitter", test_line_splitter);
	return g_test_run();
}
