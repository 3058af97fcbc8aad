/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The NUMA split and block alignment of a resize, as tables.
 */
#include "config.h"

#include "vmem-error.h"
#include "vmem-resize-plan.h"

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
	/* less than a block: never more than asked */
	{"below-one-block", {{4096, 2, 0}, {4096, 2, 1}}, {0}, 1, {0, 0}, -1, NULL},
	{"odd-request", {{4096, 2, 0}}, {0}, 1025, {1024}, -1, NULL},
	{"proportional-to-size", {{1024, 2, 0}, {3072, 2, 1}}, {0}, 2048, {512, 1536}, -1, NULL},
	/* 25.25 and 75.75: the larger loss gets the leftover block */
	{"largest-loss-first", {{1000, 2, 0}, {3000, 2, 1}}, {0}, 101, {24, 76}, -1, NULL},
	{"three-way", {{1024, 2, 0}, {1024, 2, 1}, {1024, 2, 2}}, {0}, 10, {4, 4, 2}, -1, NULL},
	/* node weights 3:1 would give device 0 1536 MiB, but it holds 1024 */
	{"weights-capped", {{1024, 2, 0}, {4096, 2, 1}}, {3, 1}, 2048, {1024, 1024}, -1, NULL},
	{"weights", {{4096, 2, 0}, {4096, 2, 1}}, {3, 1}, 2048, {1536, 512}, -1, NULL},
	/* a coarse block: the fine-grained device takes up the slack */
	{"mixed-blocks", {{4096, 2, 0}, {4096, 128, 1}}, {0}, 1000, {616, 384}, -1, NULL},
	{"above-capacity",
	 {{4096, 2, 0}, {4096, 2, 1}},
	 {0},
	 8194,
	 {0},
	 VMEM_ERROR_INVALID_ARGUMENT,
	 "between 0 B and 8 GiB"},
	{"no-device", {{0}}, {0}, 0, {0}, VMEM_ERROR_NOT_FOUND, "no virtio-mem device"},
	{"bad-block", {{4096, 3, 0}}, {0}, 0, {0}, VMEM_ERROR_INVALID_DATA, "blocks of"},
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
	g_assert_cmpuint(sum, <=, c->total_mib * MIB);
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
} OneCase;

static const OneCase one_cases[] = {
	{"exact", 1024, 1024, -1},
	{"round-down", 1025, 1024, -1},
	{"zero", 0, 0, -1},
	{"all", 4096, 4096, -1},
	{"too-much", 4098, 0, VMEM_ERROR_INVALID_ARGUMENT},
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
		g_assert_error(error, VMEM_ERROR, c->expect_error);
		g_assert_nonnull(strstr(error->message, "between 0 B and 4 GiB"));
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
