/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The NUMA split and block alignment of a resize, as tables.
 */
#include "config.h"

#include "vmem-error.h"
#include "vmem-resize-plan.h"
#include "vmem-size.h"

#define MIB G_GUINT64_CONSTANT(1048576)
#define GIB (1024 * MIB)
#define MAX_DEVICES 4

typedef struct {
	guint64 size_mib;
	guint64 block_mib;
	guint node;
} DeviceSpec;

typedef struct {
	const char *name;
	DeviceSpec devices[MAX_DEVICES]; /* ends at size 0 */
	guint64 weights[MAX_DEVICES];	 /* all 0: by device size */
	guint64 total_mib;
	guint64 expect_mib[MAX_DEVICES];
	int expect_error; /* a VmemError, or -1 for success */
	const char *expect_message_part;
} SplitCase;

static const SplitCase split_cases[] = {
	{"one-device", {{4096, 2, 0}}, {0}, 1024, {1024}, -1, NULL},
	{"two-equal", {{4096, 2, 0}, {4096, 2, 1}}, {0}, 1024, {512, 512}, -1, NULL},
	{"zero", {{4096, 2, 0}, {4096, 2, 1}}, {0}, 0, {0, 0}, -1, NULL},
	{"full", {{4096, 2, 0}, {2048, 2, 1}}, {0}, 6144, {4096, 2048}, -1, NULL},
	/* 513 + 513: rounding leaves 2 MiB, the lower node gets it */
	{"remainder-to-lower-node", {{4096, 2, 0}, {4096, 2, 1}}, {0}, 1026, {514, 512}, -1, NULL},
	{"remainder-node-order", {{4096, 2, 1}, {4096, 2, 0}}, {0}, 1026, {512, 514}, -1, NULL},
	{"proportional-to-size", {{1024, 2, 0}, {3072, 2, 1}}, {0}, 2048, {512, 1536}, -1, NULL},
	/* 26.5 and 79.5: the larger loss gets the leftover block, node or not */
	{"largest-loss-first", {{1000, 2, 0}, {3000, 2, 1}}, {0}, 106, {26, 80}, -1, NULL},
	{"three-way", {{1024, 2, 0}, {1024, 2, 1}, {1024, 2, 2}}, {0}, 10, {4, 4, 2}, -1, NULL},
	/* node weights 3:1 would give device 0 1536 MiB, but it holds 1024 */
	{"weights-capped", {{1024, 2, 0}, {4096, 2, 1}}, {3, 1}, 2048, {1024, 1024}, -1, NULL},
	{"weights", {{4096, 2, 0}, {4096, 2, 1}}, {3, 1}, 2048, {1536, 512}, -1, NULL},
	/* a coarse block: the fine-grained device takes up the slack */
	{"mixed-blocks", {{4096, 2, 0}, {4096, 128, 1}}, {0}, 1000, {616, 384}, -1, NULL},
	/* the balanced split gives the 2 MiB device its block and leaves 2 MiB
	 * the 4 MiB blocks cannot take: the larger blocks go first */
	{"mixed-blocks-coarse-first", {{2, 2, 0}, {4, 4, 1}}, {0}, 4, {0, 4}, -1, NULL},
	{"mixed-blocks-all", {{2, 2, 0}, {4, 4, 1}}, {0}, 6, {2, 4}, -1, NULL},
	/* any multiple of the largest block can be reached: the 2 MiB devices
	 * could give 12 MiB at most, so the 128 MiB blocks take it all */
	{"mixed-blocks-largest-multiple",
	 {{6, 2, 0}, {1024, 128, 1}, {6, 2, 2}},
	 {0},
	 384,
	 {0, 384, 0},
	 -1,
	 NULL},
	{"mixed-blocks-weights",
	 {{2, 2, 0}, {8, 4, 1}, {2, 2, 2}},
	 {1, 0, 1},
	 4,
	 {2, 0, 2},
	 -1,
	 NULL},
	/* never rounded: refused with the nearest sizes that work */
	{"unaligned",
	 {{4096, 2, 0}},
	 {0},
	 1025,
	 {0},
	 VMEM_ERROR_INVALID_ARGUMENT,
	 "Cannot resize to 1025 MiB: the virtio-mem devices plug and unplug whole blocks of 2 MiB. "
	 "Resize to 1G or 1026M instead."},
	{"unaligned-split",
	 {{4096, 2, 0}, {4096, 2, 1}},
	 {0},
	 3,
	 {0},
	 VMEM_ERROR_INVALID_ARGUMENT,
	 "Resize to 2M or 4M instead."},
	{"below-one-block",
	 {{4096, 2, 0}, {4096, 2, 1}},
	 {0},
	 1,
	 {0},
	 VMEM_ERROR_INVALID_ARGUMENT,
	 "Resize to 0 or 2M instead."},
	{"unaligned-coarse",
	 {{4096, 128, 0}, {4096, 128, 1}},
	 {0},
	 1000,
	 {0},
	 VMEM_ERROR_INVALID_ARGUMENT,
	 "Resize to 896M or 1G instead."},
	/* 2 MiB of fine blocks, then only 128 MiB ones: 4 MiB is out of reach */
	{"mixed-unreachable",
	 {{2, 2, 0}, {4096, 128, 1}},
	 {0},
	 4,
	 {0},
	 VMEM_ERROR_INVALID_ARGUMENT,
	 "whole blocks of 2 MiB to 128 MiB, which do not add up to it. Resize to 2M or 128M instead."},
	{"mixed-unreachable-above",
	 {{2, 2, 0}, {256, 128, 1}},
	 {0},
	 200,
	 {0},
	 VMEM_ERROR_INVALID_ARGUMENT,
	 "Resize to 130M or 256M instead."},
	{"above-capacity",
	 {{4096, 2, 0}, {4096, 2, 1}},
	 {0},
	 8194,
	 {0},
	 VMEM_ERROR_INVALID_ARGUMENT,
	 "between 0 B and 8 GiB"},
	{"no-device", {{0}}, {0}, 0, {0}, VMEM_ERROR_NOT_FOUND, "no virtio-mem device"},
	{"bad-block",
	 {{4096, 3, 0}},
	 {0},
	 0,
	 {0},
	 VMEM_ERROR_INVALID_DATA,
	 "The virtio-mem device vmem0 has a size of 4 GiB that is not a whole number of blocks of "
	 "3 MiB."},
};

static GPtrArray *
make_devices(const DeviceSpec *specs)
{
	GPtrArray *devices = g_ptr_array_new_with_free_func((GDestroyNotify)vmem_device_free);

	for (guint i = 0; i < MAX_DEVICES && specs[i].size_mib > 0; i++) {
		VmemDevice *dev = g_new0(VmemDevice, 1);

		dev->alias = g_strdup_printf("vmem%u", i);
		dev->node = specs[i].node;
		dev->size = specs[i].size_mib * MIB;
		dev->block_size = specs[i].block_mib * MIB;
		g_ptr_array_add(devices, dev);
	}
	return devices;
}

static void
test_split(gconstpointer data)
{
	const SplitCase *c = data;
	g_autoptr(GPtrArray) devices = make_devices(c->devices);
	g_autoptr(GError) error = NULL;
	g_autofree guint64 *requested = NULL;
	g_autofree guint64 *weights = NULL;
	guint64 sum = 0;
	gboolean ok;

	if (c->weights[0] != 0)
		weights = g_memdup2(c->weights, sizeof(c->weights));
	ok = vmem_resize_plan_split(devices, weights, c->total_mib * MIB, &requested, &error);
	if (c->expect_error >= 0) {
		g_assert_false(ok);
		g_test_message("%s", error->message);
		g_assert_error(error, VMEM_ERROR, c->expect_error);
		g_assert_nonnull(strstr(error->message, c->expect_message_part));
		g_assert_null(requested);
		return;
	}
	g_assert_no_error(error);
	g_assert_true(ok);
	for (guint i = 0; i < devices->len; i++) {
		const VmemDevice *dev = devices->pdata[i];

		g_assert_cmpuint(requested[i], ==, c->expect_mib[i] * MIB);
		g_assert_cmpuint(requested[i] % dev->block_size, ==, 0);
		g_assert_cmpuint(requested[i], <=, dev->size);
		sum += requested[i];
	}
	/* exactly what was asked: never rounded */
	g_assert_cmpuint(sum, ==, c->total_mib * MIB);
}

/* Every multiple of the largest block up to the combined size is reached
 * exactly, whatever the mix of block sizes; and what is refused names two
 * sizes that are reached. */
static void
test_split_reach(void)
{
	static const DeviceSpec mixes[][MAX_DEVICES] = {
		{{2, 2, 0}, {4, 4, 1}, {0}},
		{{6, 2, 0}, {64, 32, 1}, {96, 32, 2}, {0}},
		{{10, 2, 0}, {16, 8, 1}, {128, 128, 0}, {0}},
		{{1024, 2, 0}, {1024, 2, 1}, {512, 256, 2}, {0}},
	};

	for (guint m = 0; m < G_N_ELEMENTS(mixes); m++) {
		g_autoptr(GPtrArray) devices = make_devices(mixes[m]);
		guint64 capacity = 0, largest = 0;

		for (guint i = 0; i < devices->len; i++) {
			const VmemDevice *dev = devices->pdata[i];

			capacity += dev->size;
			largest = MAX(largest, dev->block_size);
		}
		for (guint64 total = 0; total <= capacity; total += 2 * MIB) {
			g_autoptr(GError) error = NULL;
			g_autofree guint64 *requested = NULL;
			guint64 sum = 0;

			if (!vmem_resize_plan_split(devices, NULL, total, &requested, &error)) {
				g_autofree char *below = NULL;
				g_autofree char *above = NULL;
				const char *p;
				guint64 below_bytes = 0, above_bytes = 0;

				g_assert_cmpuint(total % largest, !=, 0);
				g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT);
				/* "Resize to BELOW or ABOVE instead." */
				p = strstr(error->message, "Resize to ");
				g_assert_nonnull(p);
				below = g_strndup(p + 10, strcspn(p + 10, " "));
				p = strstr(p, " or ");
				g_assert_nonnull(p);
				above = g_strndup(p + 4, strcspn(p + 4, " "));
				g_assert_true(vmem_size_parse_arg(below, &below_bytes, NULL));
				g_assert_true(vmem_size_parse_arg(above, &above_bytes, NULL));
				g_assert_cmpuint(below_bytes, <, total);
				g_assert_cmpuint(above_bytes, >, total);
				g_clear_pointer(&requested, g_free);
				g_assert_true(vmem_resize_plan_split(devices, NULL, below_bytes,
								     &requested, NULL));
				g_clear_pointer(&requested, g_free);
				g_assert_true(vmem_resize_plan_split(devices, NULL, above_bytes,
								     &requested, NULL));
				continue;
			}
			for (guint i = 0; i < devices->len; i++) {
				const VmemDevice *dev = devices->pdata[i];

				g_assert_cmpuint(requested[i] % dev->block_size, ==, 0);
				g_assert_cmpuint(requested[i], <=, dev->size);
				sum += requested[i];
			}
			g_assert_cmpuint(sum, ==, total);
		}
	}
}

/* 1 TiB times 1 TiB overflows 64 bits: the shares must still be exact. */
static void
test_split_large(void)
{
	static const DeviceSpec specs[] = {{1024 * 1024, 2, 0}, {1024 * 1024, 2, 1}, {0}};
	g_autoptr(GPtrArray) devices = make_devices(specs);
	g_autoptr(GError) error = NULL;
	g_autofree guint64 *requested = NULL;

	g_assert_true(
		vmem_resize_plan_split(devices, NULL, 1024 * GIB + 2 * MIB, &requested, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(requested[0], ==, 512 * GIB + 2 * MIB);
	g_assert_cmpuint(requested[1], ==, 512 * GIB);
}

typedef struct {
	const char *name;
	const char *alias;
	gint node;
	int expect_index;
	int expect_error;
} SelectCase;

static const SelectCase select_cases[] = {
	{"alias", "vmem1", -1, 1, -1},
	{"alias-unknown", "nope", -1, -1, VMEM_ERROR_NOT_FOUND},
	{"node", NULL, 2, 2, -1},
	{"node-none", NULL, 7, -1, VMEM_ERROR_NOT_FOUND},
	{"node-ambiguous", NULL, 0, -1, VMEM_ERROR_INVALID_ARGUMENT},
};

static void
test_select(gconstpointer data)
{
	static const DeviceSpec specs[] = {{1024, 2, 0}, {1024, 2, 0}, {1024, 2, 2}, {0}};
	const SelectCase *c = data;
	g_autoptr(GPtrArray) devices = make_devices(specs);
	g_autoptr(GError) error = NULL;
	guint index = 99;
	gboolean ok = vmem_resize_plan_select(devices, c->alias, c->node, &index, &error);

	if (c->expect_error >= 0) {
		g_assert_false(ok);
		g_assert_error(error, VMEM_ERROR, c->expect_error);
		g_assert_cmpuint(index, ==, 99);
		return;
	}
	g_assert_no_error(error);
	g_assert_true(ok);
	g_assert_cmpint((int)index, ==, c->expect_index);
}

typedef struct {
	const char *name;
	guint64 size_mib;
	guint64 expect_mib;
	int expect_error;
	const char *expect_message_part;
} OneCase;

static const OneCase one_cases[] = {
	{"exact", 1024, 1024, -1, NULL},
	{"zero", 0, 0, -1, NULL},
	{"all", 4096, 4096, -1, NULL},
	{"unaligned", 1025, 0, VMEM_ERROR_INVALID_ARGUMENT,
	 "Cannot resize the virtio-mem device vmem0 to 1025 MiB: it plugs and unplugs whole "
	 "blocks of 2 MiB. Resize it to 1G or 1026M instead."},
	{"below-one-block", 1, 0, VMEM_ERROR_INVALID_ARGUMENT, "Resize it to 0 or 2M instead."},
	{"too-much", 4098, 0, VMEM_ERROR_INVALID_ARGUMENT, "between 0 B and 4 GiB"},
};

static void
test_one(gconstpointer data)
{
	const OneCase *c = data;
	VmemDevice dev = {.alias = (char *)"vmem0", .size = 4096 * MIB, .block_size = 2 * MIB};
	g_autoptr(GError) error = NULL;
	guint64 requested = 12345;
	gboolean ok = vmem_resize_plan_one(&dev, c->size_mib * MIB, &requested, &error);

	if (c->expect_error >= 0) {
		g_assert_false(ok);
		g_test_message("%s", error->message);
		g_assert_error(error, VMEM_ERROR, c->expect_error);
		g_assert_nonnull(strstr(error->message, c->expect_message_part));
		g_assert_cmpuint(requested, ==, 12345);
		return;
	}
	g_assert_no_error(error);
	g_assert_cmpuint(requested, ==, c->expect_mib * MIB);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (guint i = 0; i < G_N_ELEMENTS(split_cases); i++) {
		g_autofree char *path =
			g_strdup_printf("/resize-plan/split/%s", split_cases[i].name);
		g_test_add_data_func(path, &split_cases[i], test_split);
	}
	g_test_add_func("/resize-plan/split/large", test_split_large);
	g_test_add_func("/resize-plan/split/reach", test_split_reach);
	for (guint i = 0; i < G_N_ELEMENTS(select_cases); i++) {
		g_autofree char *path =
			g_strdup_printf("/resize-plan/select/%s", select_cases[i].name);
		g_test_add_data_func(path, &select_cases[i], test_select);
	}
	for (guint i = 0; i < G_N_ELEMENTS(one_cases); i++) {
		g_autofree char *path = g_strdup_printf("/resize-plan/one/%s", one_cases[i].name);
		g_test_add_data_func(path, &one_cases[i], test_one);
	}
	return g_test_run();
}
