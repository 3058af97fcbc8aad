/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `virtmemctl policy simulate` as built:
 *
 * - golden outputs: every docs/examples/NAME.json, run with each engine,
 *   gives tests/policy/NAME.ENGINE.json (--json) and NAME.ENGINE.txt (the
 *   text form); VIRTMEM_TEST_REGENERATE=1 rewrites them;
 * - bad scenarios exit 2 with a message naming the member at fault;
 * - absurd ones (a tiny tick, a huge duration, too many domains, points,
 *   bytes or trace points) too, and one at the limits runs in bounded time
 *   and memory;
 * - properties of the engine on random scenarios (seeded, so every run
 *   makes the same ones): requests stay within min, max and the devices'
 *   size, in whole blocks, and a guest whose load never rises faster than
 *   it can plug has no OOM event.
 *
 * The path of virtmemctl is the first argument after the GTest options.
 */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <json-c/json.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmem-test-compare.h"
#include "vmem-test-run.h"

/* virtmemctl(1), EXIT STATUS */
#define EXIT_OK 0
#define EXIT_USAGE 2

#define MIB (G_GUINT64_CONSTANT(1) << 20)
#define GIB (G_GUINT64_CONSTANT(1) << 30)

/* The engine's least safety margin (VMEM_ENGINE_TUNING_DEFAULT) */
#define MARGIN (128 * MIB)

static const char *const engines[] = {"virtmem", "balancer", "mom", "static"};

static const char *virtmemctl;

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_object, json_object_put)

/* Runs `virtmemctl policy simulate ARGS...` in @dir */
static void
run_simulate(VmemTestRun *r, const char *dir, const char *const *args)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();

	g_ptr_array_add(argv, (gpointer)virtmemctl);
	g_ptr_array_add(argv, (gpointer) "policy");
	g_ptr_array_add(argv, (gpointer) "simulate");
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	vmem_test_run(r, dir, "C.UTF-8", (const char *const *)argv->pdata);
}

static char *
examples_dir(void)
{
	return g_test_build_filename(G_TEST_DIST, "..", "docs", "examples", NULL);
}

typedef struct {
	char *name;
	const char *engine;
} Golden;

static void
golden_free(gpointer data)
{
	Golden *g = data;

	g_free(g->name);
	g_free(g);
}

static void
test_golden(gconstpointer data)
{
	const Golden *g = data;
	g_autofree char *dir = examples_dir();
	g_autofree char *file = g_strconcat(g->name, ".json", NULL);
	g_autofree char *base = g_strdup_printf("%s.%s", g->name, g->engine);
	g_autofree char *stem = g_test_build_filename(G_TEST_DIST, "policy", base, NULL);
	g_autofree char *json_path = g_strconcat(stem, ".json", NULL);
	g_autofree char *txt_path = g_strconcat(stem, ".txt", NULL);
	g_auto(VmemTestRun) json = {0};
	g_auto(VmemTestRun) text = {0};

	run_simulate(&json, dir,
		     (const char *const[]){file, "--json", "--engine", g->engine, NULL});
	g_assert_cmpstr(json.err, ==, "");
	g_assert_cmpint(json.status, ==, EXIT_OK);
	vmem_test_compare_file(json_path, json.out, VMEM_TEST_COMPARE_NONE);

	run_simulate(&text, dir, (const char *const[]){file, "--engine", g->engine, NULL});
	g_assert_cmpstr(text.err, ==, "");
	g_assert_cmpint(text.status, ==, EXIT_OK);
	vmem_test_compare_file(txt_path, text.out, VMEM_TEST_COMPARE_NONE);
}

/* Every example is a golden test; a golden file without an example is a
 * leftover. */
static void
test_golden_leftovers(void)
{
	g_autofree char *dir = examples_dir();
	g_autofree char *policy = g_test_build_filename(G_TEST_DIST, "policy", NULL);
	g_auto(GStrv) examples = vmem_test_list_fixtures(dir, ".json");
	g_autoptr(GDir) handle = g_dir_open(policy, 0, NULL);
	const char *name;

	g_assert_nonnull(handle);
	g_assert_cmpuint(g_strv_length(examples), >=, 5);
	while ((name = g_dir_read_name(handle)) != NULL) {
		g_autofree char *example = g_strdup(name);
		char *dot = strchr(example, '.');

		g_assert_nonnull(dot);
		*dot = '\0';
		if (!g_strv_contains((const char *const *)examples, example))
			g_error("tests/policy/%s has no docs/examples/%s.json", name, example);
	}
}

/* The longest error virtmemctl prints for a scenario, whatever is in it */
#define ERROR_MAX 1024

/* A refused scenario file: exit 2, nothing on stdout, one short line on
 * stderr that has @part */
static void
expect_refused(const char *file, const char *json, const char *part)
{
	g_auto(VmemTestRun) r = {0};

	run_simulate(&r, NULL, (const char *const[]){file, json, NULL});
	g_test_message("%s -> %d: %s", file, r.status, r.err);
	g_assert_cmpint(r.status, ==, EXIT_USAGE);
	g_assert_cmpstr(r.out, ==, "");
	if (strstr(r.err, part) == NULL)
		g_error("“%s” does not name %s", r.err, part);
	g_assert_cmpuint(strlen(r.err), <=, ERROR_MAX);
	g_assert_true(strchr(r.err, '\n') == r.err + strlen(r.err) - 1);
}

static char *
write_scenario(const char *scenario)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *path = NULL;
	int fd = g_file_open_tmp("virtmem-scenario-XXXXXX.json", &path, &error);

	g_assert_no_error(error);
	close(fd);
	g_assert_true(g_file_set_contents(path, scenario, -1, &error));
	g_assert_no_error(error);
	return g_steal_pointer(&path);
}

/* A bad scenario: exit 2, nothing on stdout, the member named on stderr */
static void
expect_bad(const char *scenario, const char *part)
{
	g_autofree char *path = write_scenario(scenario);

	if (strlen(scenario) < 1024)
		g_test_message("%s", scenario);
	expect_refused(path, "--json", part);
	g_unlink(path);
}

#define DOMAIN_OK                                                                                  \
	"\"name\": \"vm\", \"base\": \"1GiB\", \"devices\": [{\"alias\": \"ua-vmem0\", "           \
	"\"size\": \"4GiB\"}], \"load\": [{\"t\": 0, \"used\": \"512MiB\"}]"

static void
test_bad(void)
{
	/* a missing member */
	expect_bad("{\"host\": {\"memory\": \"8GiB\"}, \"domains\": [{" DOMAIN_OK "}]}",
		   "duration");
	expect_bad("{\"duration\": 10, \"host\": {\"memory\": \"8GiB\"}, \"domains\": [{\"name\": "
		   "\"vm\", \"devices\": [{\"alias\": \"a\", \"size\": \"4GiB\"}], \"load\": "
		   "[{\"t\": 0, \"used\": 0}]}]}",
		   "domains[0].base is missing");
	expect_bad("{\"duration\": 10, \"host\": {}, \"domains\": [{" DOMAIN_OK "}]}",
		   "host.memory");
	expect_bad("{\"duration\": 10, \"host\": {\"memory\": \"8GiB\"}, \"domains\": [{" DOMAIN_OK
		   ", \"policy\": {\"cooldown\": {\"grow\": 1}, \"buffer\": \"20\"}}]}",
		   "domains[0].policy.buffer");
	/* a cooldown above a day, the bound of the policy's rules */
	expect_bad("{\"duration\": 10, \"host\": {\"memory\": \"8GiB\"}, \"domains\": [{" DOMAIN_OK
		   ", \"policy\": {\"cooldown\": {\"shrink\": 86401}}}]}",
		   "domains[0].policy.cooldown.shrink");
	/* a negative size, a negative time */
	expect_bad("{\"duration\": 10, \"host\": {\"memory\": \"8GiB\"}, \"domains\": [{\"name\": "
		   "\"vm\", \"base\": -1, \"devices\": [{\"alias\": \"a\", \"size\": \"4GiB\"}], "
		   "\"load\": [{\"t\": 0, \"used\": 0}]}]}",
		   "domains[0].base");
	expect_bad(
		"{\"duration\": 10, \"host\": {\"memory\": \"8GiB\"}, \"domains\": [{\"name\": "
		"\"vm\", \"base\": \"1G\", \"devices\": [{\"alias\": \"a\", \"size\": \"-4GiB\"}], "
		"\"load\": [{\"t\": 0, \"used\": 0}]}]}",
		"domains[0].devices[0].size");
	expect_bad("{\"duration\": 10, \"host\": {\"memory\": \"8GiB\"}, \"domains\": [{" DOMAIN_OK
		   ", \"state\": [{\"t\": -5, \"state\": \"paused\"}]}]}",
		   "domains[0].state[0].t");
	/* an unknown member with a typo, and one without a near name */
	expect_bad("{\"duration\": 10, \"host\": {\"memory\": \"8GiB\"}, \"domains\": [{" DOMAIN_OK
		   ", \"polcy\": {}}]}",
		   "“polcy”: did you mean “policy”?");
	expect_bad("{\"duration\": 10, \"host\": {\"memory\": \"8GiB\"}, \"domains\": [{" DOMAIN_OK
		   ", \"guest\": {\"plug_rte\": \"1GiB/s\"}}]}",
		   "domains[0].guest has an unknown member “plug_rte”: did you mean “plug_rate”?");
	expect_bad("{\"duration\": 10, \"tick\": 1, \"hots\": {}, \"host\": {\"memory\": "
		   "\"8GiB\"}, \"domains\": [{" DOMAIN_OK "}]}",
		   "did you mean “host”?");
	expect_bad("{\"duration\": 10, \"host\": {\"memory\": \"8GiB\"}, \"domains\": [{" DOMAIN_OK
		   ", \"colour\": 1}]}",
		   "domains[0] has an unknown member “colour”");
	/* absurd sizes and times */
	expect_bad(
		"{\"duration\": 10, \"host\": {\"memory\": \"8GiB\"}, \"domains\": [{\"name\": "
		"\"vm\", \"base\": \"1G\", \"devices\": [{\"alias\": \"a\", \"size\": \"4EiB\"}], "
		"\"load\": [{\"t\": 0, \"used\": 0}]}]}",
		"domains[0].devices[0].size");
	expect_bad(
		"{\"duration\": 10, \"host\": {\"memory\": \"9000000TiB\"}, \"domains\": [{" DOMAIN_OK
		"}]}",
		"host.memory");
	expect_bad(
		"{\"duration\": 1e12, \"host\": {\"memory\": \"8GiB\"}, \"domains\": [{" DOMAIN_OK
		"}]}",
		"duration");
	/* a rate without "/s", a block that is not a power of two */
	expect_bad("{\"duration\": 10, \"host\": {\"memory\": \"8GiB\"}, \"domains\": [{" DOMAIN_OK
		   ", \"guest\": {\"plug_rate\": \"1GiB\"}}]}",
		   "domains[0].guest.plug_rate");
	expect_bad("{\"duration\": 10, \"host\": {\"memory\": \"8GiB\"}, \"domains\": [{\"name\": "
		   "\"vm\", \"base\": \"1G\", \"devices\": [{\"alias\": \"a\", \"size\": \"3GiB\", "
		   "\"block\": \"3MiB\"}], \"load\": [{\"t\": 0, \"used\": 0}]}]}",
		   "domains[0].devices[0].block");
	/* not JSON */
	expect_bad("{\"duration\": 10,", "");
}

/* A scenario of @n_domains like DOMAIN_OK, each with @n_points load
 * points and @n_states states at 0 s, @extra after the domains' list. */
static char *
make_scenario(double duration, double tick, guint n_domains, guint n_points, guint n_states,
	      const char *extra)
{
	GString *out = g_string_new(NULL);

	g_string_append_printf(out,
			       "{\"duration\": %.15g, \"tick\": %.15g, \"host\": {\"memory\": "
			       "\"1TiB\"}, \"domains\": [",
			       duration, tick);
	for (guint i = 0; i < n_domains; i++) {
		g_string_append_printf(
			out,
			"%s{\"name\": \"vm%u\", \"base\": \"1GiB\", \"devices\": "
			"[{\"alias\": \"ua-vmem0\", \"size\": \"4GiB\"}], \"load\": [",
			i ? ", " : "", i);
		for (guint j = 0; j < n_points; j++)
			g_string_append_printf(out, "%s{\"t\":0,\"used\":%u}", j ? "," : "", j);
		g_string_append(out, "], \"state\": [");
		for (guint j = 0; j < n_states; j++)
			g_string_append_printf(out, "%s{\"t\":0,\"state\":\"running\"}",
					       j ? "," : "");
		g_string_append(out, "]}");
	}
	g_string_append_printf(out, "]%s}", extra);
	return g_string_free(out, FALSE);
}

/* Absurd scenarios are refused, naming what is too large; no input makes
 * virtmemctl read or hold more than its caps. */
static void
test_absurd(void)
{
	g_autofree char *tiny_tick = make_scenario(31 * 86400, 0.001, 1, 1, 0, "");
	g_autofree char *many_domains = make_scenario(86400, 1, 1000, 1, 0, "");
	g_autofree char *too_many_domains = make_scenario(10, 1, 1001, 1, 0, "");
	g_autofree char *too_many_samples = make_scenario(172800, 60, 200, 1, 0, "");
	g_autofree char *long_tick = make_scenario(10, 20, 1, 1, 0, "");
	g_autofree char *points = make_scenario(10, 1, 1, 100001, 0, "");
	g_autofree char *states = make_scenario(10, 1, 1, 1, 100001, "");
	g_autofree char *long_trace = make_scenario(1000001, 1, 1, 1, 0, "");
	g_autofree char *long_trace_path = write_scenario(long_trace);
	g_autofree char *long_key = g_strnfill(1024 * 1024, 'k');
	g_autofree char *key_extra = g_strdup_printf(", \"%s\": 1", long_key);
	g_autofree char *with_key = make_scenario(10, 1, 1, 1, 0, key_extra);
	g_autofree char *padding = g_strnfill(4 * 1024 * 1024, ' ');
	g_autofree char *big = g_strconcat(padding, DOMAIN_OK, NULL);
	g_autofree char *big_path = write_scenario(big);

	expect_bad(tiny_tick, "at a tick of 0.001 s for 1 domain makes 2678400000 domain-ticks");
	expect_bad(many_domains, "for 1000 domains makes 86400000 domain-ticks");
	expect_bad(too_many_domains, "The scenario's domains is invalid");
	expect_bad(too_many_samples, "for 200 domains makes 138240000 domain-samples (one every "
				     "0.25 s), more than the simulator's limit of 100000000");
	expect_bad(long_tick, "The scenario's tick is 20 s, longer than its duration of 10 s.");
	expect_bad(points, "The scenario's domains[0].load is invalid");
	expect_bad(states, "The scenario's domains[0].state is invalid");
	expect_bad(with_key, "The scenario's top level has an unknown member “kkkk");
	/* --json prints each domain at each tick: at most a million */
	expect_refused(long_trace_path, "--json",
		       "makes a trace of 1000001 points, more than "
		       "--json prints (1000000)");
	g_unlink(long_trace_path);
	/* larger than the cap, however it ends */
	expect_refused(big_path, "--json", "is larger than 4 MiB");
	g_unlink(big_path);
	expect_refused("/dev/zero", "--json", "The file /dev/zero is larger than 4 MiB");
}

/* Peak RSS of the children waited for so far, KiB */
static glong
children_maxrss_kib(void)
{
	struct rusage usage = {0};

	g_assert_cmpint(getrusage(RUSAGE_CHILDREN, &usage), ==, 0);
	return usage.ru_maxrss;
}

/* The most memory and time a scenario at the limits takes: 100,000 load
 * points and 50,000 states followed over 50,000 ticks (before, each tick
 * went through every point and state: 7.5e9 steps), its trace printed. */
#define LIMITS_RSS_MAX_KIB (256 * 1024)
#define LIMITS_WALL_MAX_S 10

static void
test_limits(void)
{
	g_autofree char *scenario = make_scenario(50000, 1, 1, 100000, 50000, "");
	g_autofree char *path = write_scenario(scenario);
	g_auto(VmemTestRun) r = {0};
	/* (the same virtmemctl is many times slower with valgrind's preload) */
	int wall_scale = vmem_test_under_valgrind() ? 10 : 1;
	gint64 start = g_get_monotonic_time();
	double wall;

	run_simulate(&r, NULL, (const char *const[]){path, "--json", NULL});
	g_unlink(path);
	g_assert_cmpint(r.status, ==, EXIT_OK);
	g_assert_cmpuint(strlen(r.out), >, 50000 * 100);
	wall = (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
	g_test_message("at the limits: %.2f s, peak RSS %ld KiB (bounds %d s, %d KiB)", wall,
		       children_maxrss_kib(), LIMITS_WALL_MAX_S * wall_scale, LIMITS_RSS_MAX_KIB);
	g_assert_cmpfloat(wall, <, LIMITS_WALL_MAX_S * wall_scale);
	g_assert_cmpint(children_maxrss_kib(), <, LIMITS_RSS_MAX_KIB);
}

/* Random scenarios */

typedef struct {
	guint64 base;
	guint64 block;
	guint n_devices;
	guint64 device_size[2];
	guint64 min;
	guint64 max;
	guint buffer;
	guint64 plug_rate;
} PropDomain;

static guint64
round_up(guint64 value, guint64 block)
{
	return (value + block - 1) / block * block;
}

static guint64
need_of(guint64 used, guint buffer, guint64 base)
{
	guint64 total = used * 100 / (100 - buffer);

	return total > base ? total - base : 0;
}

/* One domain of a random scenario, into @out; describes it in @d. With
 * @slow, the load never rises faster than the guest plugs, nor by more
 * than the engine's safety margin within one tick (see test_properties) */
static void
prop_domain(GRand *rand, guint index, gboolean slow, GString *out, PropDomain *d)
{
	guint64 capacity, peak, used, requested, parts[2];
	guint64 step = g_rand_boolean(rand) ? 128 * MIB : 256 * MIB;
	guint64 unmovable = (guint64)g_rand_int_range(rand, 0, 5) * 64 * MIB;
	guint n_points = (guint)g_rand_int_range(rand, 2, 7);
	/* a quarter of the guests without the agent: balloon statistics */
	gboolean agent = g_rand_int_range(rand, 0, 4) != 0;
	double t = 0;

	d->base = (guint64)g_rand_int_range(rand, 2, 9) * 256 * MIB;
	d->block = g_rand_boolean(rand) ? 2 * MIB : 4 * MIB;
	d->n_devices = (guint)g_rand_int_range(rand, 1, 3);
	capacity = 0;
	for (guint i = 0; i < d->n_devices; i++) {
		d->device_size[i] = (guint64)g_rand_int_range(rand, 1, 9) * 512 * MIB;
		capacity += d->device_size[i];
	}
	d->min = round_up((guint64)g_rand_int_range(rand, 0, 4) * 128 * MIB, d->block);
	d->max = (guint64)g_rand_int_range(rand, 2, (gint32)(capacity / (256 * MIB)) + 1) * 256 *
		 MIB;
	d->max = MAX(d->max, d->min);
	d->buffer = (guint)g_rand_int_range(rand, 10, 31);
	d->plug_rate = (guint64)g_rand_int_range(rand, 1, 5) * 512 * MIB;
	/* the most the guest can use with its buffer within max */
	peak = (d->base + d->max) * (100 - d->buffer) / 100;

	/* (MIN evaluates its arguments twice: draw first) */
	used = (guint64)g_rand_int_range(rand, 256, 2048) * MIB;
	used = MIN(used, peak);
	requested = CLAMP(round_up(need_of(used, d->buffer, d->base), d->block), d->min, d->max);
	/* the scenario's requested size split over the devices as evenly as
	 * whole blocks and their sizes allow, as the resize plan would */
	parts[0] = MIN(requested / d->n_devices / d->block * d->block, d->device_size[0]);
	parts[1] = requested - parts[0];
	if (d->n_devices == 1 || parts[1] > d->device_size[1]) {
		guint64 spill = d->n_devices == 1 ? parts[1] : parts[1] - d->device_size[1];

		parts[0] += spill;
		parts[1] -= spill;
	}
	g_string_append_printf(
		out, "{\"name\": \"vm%u\", \"base\": %" G_GUINT64_FORMAT ", \"devices\": [", index,
		d->base);
	for (guint i = 0; i < d->n_devices; i++)
		g_string_append_printf(out,
				       "%s{\"alias\": \"ua-vmem%u\", \"node\": %u, \"size\": "
				       "%" G_GUINT64_FORMAT ", \"block\": %" G_GUINT64_FORMAT
				       ", \"requested\": %" G_GUINT64_FORMAT "}",
				       i ? ", " : "", i, i, d->device_size[i], d->block, parts[i]);
	g_string_append_printf(
		out,
		"], \"policy\": {\"min\": %" G_GUINT64_FORMAT ", \"max\": %" G_GUINT64_FORMAT
		", \"buffer\": %u, \"step\": %" G_GUINT64_FORMAT
		", \"cooldown\": {\"grow\": 1, \"shrink\": %d}, \"priority\": %d}, "
		"\"guest\": {\"plug_rate\": \"%" G_GUINT64_FORMAT "MiB/s\", \"unplug_rate\": "
		"\"512MiB/s\", \"unmovable\": %" G_GUINT64_FORMAT ", \"report_interval\": 1, "
		"\"agent\": %s}, \"load\": [{\"t\": 0, \"used\": %" G_GUINT64_FORMAT "}",
		d->min, d->max, d->buffer, step, g_rand_int_range(rand, 3, 31),
		g_rand_int_range(rand, 1, 11), d->plug_rate / MIB, unmovable,
		agent ? "true" : "false", used);
	for (guint i = 1; i < n_points; i++) {
		guint64 next = (guint64)g_rand_int_range(rand, 128, 4096) * MIB;
		double ramp = 0;

		next = MIN(next, peak);
		t += g_rand_int_range(rand, 10, 60);
		if (next > used) {
			/* rising: never faster than the plug rate; with @slow, by at
			 * most the margin a second */
			guint64 rate = slow ? MIN(d->plug_rate, MARGIN) : d->plug_rate;

			ramp = (double)((next - used + rate - 1) / rate);
		} else if (g_rand_boolean(rand)) {
			ramp = g_rand_int_range(rand, 0, 20);
		}
		g_string_append_printf(out, ", {\"t\": %.0f, \"used\": %" G_GUINT64_FORMAT, t,
				       next);
		if (ramp > 0)
			g_string_append_printf(out, ", \"ramp\": %.0f", ramp);
		g_string_append(out, "}");
		t += ramp;
		used = next;
	}
	g_string_append(out, "]}");
}

static json_object *
get(json_object *obj, const char *key)
{
	json_object *value = NULL;

	g_assert_true(json_object_object_get_ex(obj, key, &value));
	return value;
}

static guint64
get_u64(json_object *obj, const char *key)
{
	return (guint64)json_object_get_int64(get(obj, key));
}

/* The modelled guest's zones (the top of src/policy/vmem-simulate.c) */

/* One agent guest of 1 GiB boot memory with 3 GiB of a 4 GiB device
 * plugged, @unmovable of unmovable memory and @used in use throughout,
 * run for a minute: the least it had plugged, and whether any decision's
 * reason began with @reason */
static guint64
zones_run(const char *unmovable, const char *used, const char *reason, gboolean *ret_seen)
{
	g_autofree char *scenario = g_strdup_printf(
		"{\"duration\": 60, \"host\": {\"memory\": \"64GiB\"}, \"domains\": [{"
		"\"name\": \"vm\", \"base\": \"1GiB\", \"devices\": [{\"alias\": "
		"\"ua-vmem0\", \"size\": \"4GiB\", \"requested\": \"3GiB\"}], \"policy\": "
		"{\"step\": \"256MiB\", \"cooldown\": {\"shrink\": 5}}, \"guest\": "
		"{\"unplug_rate\": \"1GiB/s\", \"unmovable\": \"%s\"}, \"load\": "
		"[{\"t\": 0, \"used\": \"%s\"}]}]}",
		unmovable, used);
	g_autofree char *path = write_scenario(scenario);
	g_auto(VmemTestRun) r = {0};
	g_autoptr(json_object) root = NULL;
	json_object *trace, *decisions;
	guint64 least = G_MAXUINT64;

	run_simulate(&r, NULL, (const char *const[]){path, "--json", NULL});
	g_unlink(path);
	g_assert_cmpint(r.status, ==, EXIT_OK);
	root = json_tokener_parse(r.out);
	g_assert_nonnull(root);
	trace = get(root, "trace");
	for (gsize i = 0; i < json_object_array_length(trace); i++)
		least = MIN(least, get_u64(json_object_array_get_idx(trace, i), "plugged"));
	decisions = get(root, "decisions");
	*ret_seen = FALSE;
	for (gsize i = 0; i < json_object_array_length(decisions); i++) {
		json_object *d = json_object_array_get_idx(decisions, i);

		*ret_seen |= g_str_has_prefix(json_object_get_string(get(d, "reason")), reason);
	}
	return least;
}

/* Unmovable memory that the boot memory holds leaves every plugged block
 * movable: the engine unplugs down to what the guest holds beyond its
 * base, used + unmovable - base (800 + 768 - 1024 MiB), and no further. */
static void
test_zones_base_holds_unmovable(void)
{
	gboolean held;

	g_assert_cmpuint(zones_run("768MiB", "800MiB", "hold: no movable memory", &held), ==,
			 544 * MIB);
	g_assert_false(held);
}

/* Unmovable memory beyond the boot memory sits in plugged ZONE_NORMAL
 * memory, which the report shows: the engine stops there (1536 - 1024 MiB)
 * without an unplug ever sticking. */
static void
test_zones_normal_beyond_base(void)
{
	gboolean stuck;

	g_assert_cmpuint(zones_run("1536MiB", "0", "back off:", &stuck), ==, 512 * MIB);
	g_assert_false(stuck);
}

/* Checks one run of a random scenario */
static void
prop_check(const char *scenario, const char *engine, const PropDomain *doms, guint n,
	   gboolean check_oom)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *path = NULL;
	g_auto(VmemTestRun) r = {0};
	g_autoptr(json_object) root = NULL;
	json_object *trace, *decisions, *domains;
	int fd = g_file_open_tmp("virtmem-prop-XXXXXX.json", &path, &error);

	g_assert_no_error(error);
	close(fd);
	g_assert_true(g_file_set_contents(path, scenario, -1, &error));
	g_assert_no_error(error);
	run_simulate(&r, NULL, (const char *const[]){path, "--json", "--engine", engine, NULL});
	g_unlink(path);
	if (r.status != EXIT_OK)
		g_error("%s: exit %d: %s", scenario, r.status, r.err);
	root = json_tokener_parse(r.out);
	g_assert_nonnull(root);
	trace = get(root, "trace");
	decisions = get(root, "decisions");
	domains = get(root, "domains");

	for (gsize i = 0; i < json_object_array_length(trace); i++) {
		json_object *p = json_object_array_get_idx(trace, i);
		const char *name = json_object_get_string(get(p, "domain"));
		guint k = (guint)g_ascii_strtoull(name + 2, NULL, 10);
		const PropDomain *d = &doms[k];
		guint64 requested = get_u64(p, "requested");
		guint64 plugged = get_u64(p, "plugged");
		guint64 capacity = d->device_size[0] + (d->n_devices > 1 ? d->device_size[1] : 0);

		g_assert_cmpuint(k, <, n);
		if (requested % d->block != 0 || plugged % d->block != 0 ||
		    requested > MIN(d->max, capacity) || plugged > MIN(d->max, capacity) ||
		    requested < d->min)
			g_error("%s with %s: at %s %s requested %" G_GUINT64_FORMAT
				" plugged %" G_GUINT64_FORMAT ", outside [%" G_GUINT64_FORMAT
				", %" G_GUINT64_FORMAT
				"] or not whole blocks of %" G_GUINT64_FORMAT,
				scenario, engine, json_object_get_string(get(p, "t")), name,
				requested, plugged, d->min, MIN(d->max, capacity), d->block);
	}
	for (gsize i = 0; i < json_object_array_length(decisions); i++) {
		json_object *dec = json_object_array_get_idx(decisions, i);
		const char *name = json_object_get_string(get(dec, "domain"));
		const char *alias = json_object_get_string(get(dec, "alias"));
		guint k = (guint)g_ascii_strtoull(name + 2, NULL, 10);
		guint dev = (guint)g_ascii_strtoull(alias + strlen("ua-vmem"), NULL, 10);
		guint64 requested = get_u64(dec, "requested");

		g_assert_cmpuint(k, <, n);
		g_assert_cmpuint(dev, <, doms[k].n_devices);
		if (requested % doms[k].block != 0 || requested > doms[k].device_size[dev])
			g_error("%s with %s: %s %s requested %" G_GUINT64_FORMAT
				", more than its size %" G_GUINT64_FORMAT " or not whole blocks",
				scenario, engine, name, alias, requested, doms[k].device_size[dev]);
	}
	for (gsize i = 0; check_oom && i < json_object_array_length(domains); i++) {
		json_object *dom = json_object_array_get_idx(domains, i);

		if (get_u64(dom, "oom_events") != 0)
			g_error("%s with %s: %s had %" G_GUINT64_FORMAT " OOM events", scenario,
				engine, json_object_get_string(get(dom, "name")),
				get_u64(dom, "oom_events"));
	}
}

/*
 * Forty random scenarios, each with one or two domains for one to three
 * minutes, a quarter of the guests without the agent (libvirt's balloon
 * statistics, a tick late).  Even ones have a host with room for every
 * domain at its max and a load that never rises faster than the guest
 * plugs nor, within a tick, by more than the engine's least safety
 * margin: the engine must keep them out of OOM.  (The engine reacts one tick after a report, so a
 * load that jumps by more than the guest's free memory within one tick is
 * an OOM event however fast the guest plugs: see burst.json in
 * docs/examples.)  Odd ones have a host short of memory and loads that
 * rise as fast as the guest plugs; only the bounds are checked there.
 * Every engine must keep within min, max and the devices' size, in whole
 * blocks.
 */
static void
test_properties(void)
{
	g_autoptr(GRand) rand = g_rand_new_with_seed(20240611);

	for (guint s = 0; s < 40; s++) {
		gboolean slow = s % 2 == 0;
		guint n = (guint)g_rand_int_range(rand, 1, 3);
		PropDomain doms[2] = {0};
		g_autoptr(GString) out = g_string_new(NULL);
		g_autoptr(GString) domains = g_string_new(NULL);
		guint64 all = 0;

		for (guint i = 0; i < n; i++) {
			if (i > 0)
				g_string_append(domains, ", ");
			prop_domain(rand, i, slow, domains, &doms[i]);
			all += doms[i].base + doms[i].max;
		}
		g_string_append_printf(out,
				       "{\"duration\": %d, \"tick\": 1, \"host\": {\"memory\": "
				       "%" G_GUINT64_FORMAT ", \"reserve\": %" G_GUINT64_FORMAT
				       ", \"other_used\": [{\"t\": 0, \"used\": "
				       "%" G_GUINT64_FORMAT "}]}, \"domains\": [%s]}",
				       g_rand_int_range(rand, 60, 181),
				       slow ? all + 4 * GIB : all / 2 + GIB, GIB, GIB,
				       domains->str);
		for (guint e = 0; e < G_N_ELEMENTS(engines); e++)
			prop_check(out->str, engines[e], doms, n,
				   slow && g_str_equal(engines[e], "virtmem"));
	}
}

int
main(int argc, char **argv)
{
	g_autofree char *absolute = NULL;
	g_autofree char *dir = NULL;
	g_auto(GStrv) examples = NULL;

	g_test_init(&argc, &argv, NULL);
	if (argc < 2)
		g_error("usage: %s [GTEST-OPTION...] PATH-TO-VIRTMEMCTL", argv[0]);
	/* absolute: the golden runs start in docs/examples */
	virtmemctl = absolute = g_canonicalize_filename(argv[1], NULL);

	dir = examples_dir();
	examples = vmem_test_list_fixtures(dir, ".json");
	for (guint i = 0; examples[i] != NULL; i++) {
		for (guint e = 0; e < G_N_ELEMENTS(engines); e++) {
			Golden *g = g_new0(Golden, 1);
			g_autofree char *path = NULL;

			g->name = g_strdup(examples[i]);
			g->engine = engines[e];
			path = g_strdup_printf("/simulate/golden/%s/%s", g->name, g->engine);
			g_test_add_data_func_full(path, g, test_golden, golden_free);
		}
	}
	g_test_add_func("/simulate/golden/leftovers", test_golden_leftovers);
	g_test_add_func("/simulate/bad", test_bad);
	g_test_add_func("/simulate/absurd", test_absurd);
	g_test_add_func("/simulate/limits", test_limits);
	g_test_add_func("/simulate/zones/base-holds-unmovable", test_zones_base_holds_unmovable);
	g_test_add_func("/simulate/zones/normal-beyond-base", test_zones_normal_beyond_base);
	g_test_add_func("/simulate/properties", test_properties);
	return g_test_run();
}
