/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guest agent's readers against fixture trees of /proc and /sys files
 * (tests/agent/NAME/), each with its expected report tests/agent/NAME.out.json.
 * Every report is also read back by the host's parser, so agent and host
 * agree on the protocol; what the host must read from each report is in
 * cases[] below.  VIRTMEM_TEST_REGENERATE=1 rewrites the expected files.
 */
#include "config.h"

#include <glib/gstdio.h>

#include "vma-report.h"
#include "vmem-agent-message.h"
#include "vmem-error.h"
#include "vmem-json.h"
#include "vmem-test-compare.h"

typedef struct {
	const char *name;
	guint64 online_mib;
	guint64 movable_mib;
	gboolean may_stick;
	gboolean has_psi;
	/* what says "plugged but not online": blocks added offline, and a
	 * kernel that leaves new blocks offline */
	guint64 offline_blocks;
	const char *auto_online_blocks;
	const char *online_policy; /* and auto_movable_ratio 301 when set */
} ReaderCase;

static char *
report_for_root(const char *root, gboolean pretty)
{
	VmaSnapshot snapshot = {0};
	g_autoptr(json_object) msg = NULL;
	int flags =
		pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN;

	vma_snapshot_read(root, TRUE, &snapshot);
	msg = vma_report_new(&snapshot, 1, 0, "start", 1000);
	return g_strdup(json_object_to_json_string_ext(msg, flags));
}

static VmemAgentReport *
parse_report(const char *line)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemAgentMessage) msg = vmem_agent_message_parse(line, strlen(line), &error);

	g_assert_no_error(error);
	g_assert_nonnull(msg);
	g_assert_cmpint(msg->type, ==, VMEM_AGENT_MESSAGE_REPORT);
	return g_steal_pointer(&msg->report);
}

static const ReaderCase cases[] = {
	{"movable", 512, 512, FALSE, TRUE, 0, "online_movable", "contig-zones"},
	{"normal", 384, 0, TRUE, TRUE, 0, "online", "contig-zones"},
	{"mixed", 384, 256, TRUE, TRUE, 2, "offline", "auto-movable"},
	{"no-psi", 256, 256, FALSE, FALSE, 0, "online_movable", NULL},
	{"no-driver", 0, 0, FALSE, TRUE, 0, "online_movable", "contig-zones"},
	{"not-root", 0, 0, FALSE, TRUE, 0, "online_movable", "contig-zones"},
	/* Debian 12's 6.1 without the agent's rules: 1 GiB plugged, none usable */
	{"offline", 0, 0, FALSE, TRUE, 8, "offline", "contig-zones"},
};

static const ReaderCase *
find_case(const char *name)
{
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		if (g_str_equal(cases[i].name, name))
			return &cases[i];
	}
	g_error("tests/agent/%s has no entry in cases[] of %s", name, __FILE__);
}

static guint64
offline_blocks(const VmemAgentReport *report)
{
	guint64 n = 0;

	for (guint i = 0; i < report->devices->len; i++)
		n += ((const VmemAgentDevice *)g_ptr_array_index(report->devices, i))->offline;
	return n;
}

static void
test_fixture(gconstpointer data)
{
	const ReaderCase *c = find_case(data);
	g_autofree char *root = g_test_build_filename(G_TEST_DIST, "agent", c->name, NULL);
	g_autofree char *out_name = g_strconcat(c->name, ".out.json", NULL);
	g_autofree char *out = g_test_build_filename(G_TEST_DIST, "agent", out_name, NULL);
	g_autofree char *pretty = report_for_root(root, TRUE);
	g_autofree char *plain = report_for_root(root, FALSE);
	g_autoptr(VmemAgentReport) report = NULL;
	g_autofree char *actual = g_strconcat(pretty, "\n", NULL);

	vmem_test_compare_file(out, actual, VMEM_TEST_COMPARE_NONE);

	report = parse_report(plain);
	g_assert_cmpuint(vmem_agent_report_get_online_bytes(report), ==, c->online_mib << 20);
	g_assert_cmpuint(vmem_agent_report_get_movable_bytes(report), ==, c->movable_mib << 20);
	g_assert_cmpint(vmem_agent_report_unplug_may_stick(report), ==, c->may_stick);
	g_assert_cmpint(report->has_psi, ==, c->has_psi);
	g_assert_cmpuint(offline_blocks(report), ==, c->offline_blocks);
	g_assert_cmpstr(report->auto_online_blocks, ==, c->auto_online_blocks);
	g_assert_cmpstr(report->online_policy, ==, c->online_policy);
	g_assert_cmpint(report->auto_movable_ratio, ==, c->online_policy != NULL ? 301 : -1);
}

static void
write_file(const char *root, const char *rel, const char *text)
{
	g_autofree char *path = g_build_filename(root, rel, NULL);
	g_autofree char *dir = g_path_get_dirname(path);
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
	g_assert_true(g_file_set_contents(path, text, -1, &error));
	g_assert_no_error(error);
}

static void
remove_tree(const char *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	const char *name;

	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *child = g_build_filename(path, name, NULL);

		if (g_file_test(child, G_FILE_TEST_IS_DIR))
			remove_tree(child);
		else
			g_unlink(child);
	}
	g_rmdir(path);
}

/* Two 64 GiB devices with 128 MiB blocks, 512 added each, in all states:
 * generated, since hundreds of sysfs directories make a poor fixture. */
static void
test_hundreds_of_blocks(void)
{
	const guint64 block = 128 << 20, n = 512;
	const guint64 starts[] = {G_GUINT64_CONSTANT(0x100000000),
				  G_GUINT64_CONSTANT(0x1100000000)};
	g_autoptr(GError) error = NULL;
	g_autofree char *root = g_dir_make_tmp("vma-hundreds-XXXXXX", &error);
	g_autoptr(GString) iomem = g_string_new("00100000-bfffffff : System RAM\n");
	VmaSnapshot snapshot = {0};

	g_assert_no_error(error);
	write_file(root, "proc/meminfo",
		   "MemTotal: 140000000 kB\nMemFree: 1000 kB\n"
		   "MemAvailable: 2000 kB\n");
	write_file(root, "sys/devices/system/memory/block_size_bytes", "8000000\n");
	write_file(root, "sys/bus/virtio/drivers/virtio_mem/virtio1", "");
	write_file(root, "sys/bus/virtio/drivers/virtio_mem/virtio2", "");
	for (guint d = 0; d < G_N_ELEMENTS(starts); d++) {
		g_string_append_printf(
			iomem, "%" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER "x : virtio%u\n",
			starts[d], starts[d] + 512 * block - 1, d + 1);
		for (guint64 i = 0; i < n; i++) {
			guint64 addr = starts[d] + i * block;
			guint64 id = addr / block;
			g_autofree char *state = g_strdup_printf(
				"sys/devices/system/memory/memory%" G_GUINT64_FORMAT "/state", id);
			g_autofree char *zones = g_strdup_printf(
				"sys/devices/system/memory/memory%" G_GUINT64_FORMAT "/valid_zones",
				id);

			g_string_append_printf(iomem,
					       "  %" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER
					       "x : System RAM (virtio_mem)\n",
					       addr, addr + block - 1);
			write_file(root, state, i % 4 == 3 ? "offline\n" : "online\n");
			write_file(root, zones, i % 4 == 2 ? "Normal\n" : "Movable\n");
		}
	}
	write_file(root, "proc/iomem", iomem->str);

	vma_snapshot_read(root, TRUE, &snapshot);
	g_assert_cmpuint(snapshot.blocks.n_devices, ==, 2);
	for (guint d = 0; d < 2; d++) {
		const VmaDevice *dev = &snapshot.blocks.devices[d];

		g_assert_cmpstr(dev->name, ==, d == 0 ? "virtio1" : "virtio2");
		g_assert_cmpuint(dev->start, ==, starts[d]);
		g_assert_cmpuint(dev->size, ==, 512 * block);
		g_assert_cmpuint(dev->blocks, ==, n);
		g_assert_cmpuint(dev->movable, ==, n / 2);
		g_assert_cmpuint(dev->normal, ==, n / 4);
		g_assert_cmpuint(dev->offline, ==, n / 4);
		g_assert_cmpuint(dev->other, ==, 0);
	}
	g_assert_false(snapshot.psi.present);
	remove_tree(root);
}

static void
test_missing_root(void)
{
	VmaSnapshot snapshot = {0};
	g_autofree char *line = NULL;
	g_autoptr(VmemAgentReport) report = NULL;

	/* Nothing readable: a report still goes out, saying so. */
	vma_snapshot_read("/nonexistent-vma-root", TRUE, &snapshot);
	g_assert_false(snapshot.have_meminfo);
	g_assert_false(snapshot.system.driver_loaded);
	line = report_for_root("/nonexistent-vma-root", FALSE);
	report = parse_report(line);
	g_assert_false(report->has_memory);
	g_assert_null(report->kernel);
	g_assert_cmpuint(report->devices->len, ==, 0);
}

static void
test_meminfo_required(void)
{
	VmaMeminfo info = {.total_kib = 7};

	g_assert_false(vma_meminfo_parse("MemTotal: 100 kB\nMemFree: 50 kB\n", &info));
	g_assert_cmpuint(info.total_kib, ==, 7);
	g_assert_true(vma_meminfo_parse("MemTotal: 100 kB\nMemFree: 50 kB\nMemAvailable: 60 kB\n",
					&info));
	g_assert_cmpuint(info.available_kib, ==, 60);
	g_assert_cmpuint(info.swap_total_kib, ==, 0);
}

static void
test_psi_malformed(void)
{
	VmemPsi psi;

	vmem_psi_parse("some avg10=x\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", &psi);
	g_assert_false(psi.present);
	vmem_psi_parse("some avg10=2.50 avg60=1.00 avg300=0.00 total=7\n"
		       "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
		       &psi);
	g_assert_true(psi.present);
	g_assert_cmpfloat(psi.some.avg10, ==, 2.5);
	g_assert_cmpuint(psi.some.total_us, ==, 7);
}

int
main(int argc, char **argv)
{
	g_autofree char *dir = NULL;
	g_auto(GStrv) names = NULL;

	g_test_init(&argc, &argv, NULL);
	/* every tree with an expected report, so that none is left out */
	dir = g_test_build_filename(G_TEST_DIST, "agent", NULL);
	names = vmem_test_list_fixtures(dir, ".out.json");
	g_assert_cmpuint(g_strv_length(names), ==, G_N_ELEMENTS(cases));
	for (guint i = 0; names[i] != NULL; i++) {
		g_autofree char *path = g_strdup_printf("/agent/readers/fixture/%s", names[i]);

		g_test_add_data_func_full(path, g_strdup(names[i]), test_fixture, g_free);
	}
	g_test_add_func("/agent/readers/hundreds-of-blocks", test_hundreds_of_blocks);
	g_test_add_func("/agent/readers/missing-root", test_missing_root);
	g_test_add_func("/agent/readers/meminfo-required", test_meminfo_required);
	g_test_add_func("/agent/readers/psi-malformed", test_psi_malformed);
	return g_test_run();
}
