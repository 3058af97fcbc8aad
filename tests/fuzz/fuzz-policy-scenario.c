/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target of the simulator's scenario parser (`virtmemctl policy
 * simulate SCENARIO.json`): any bytes go through vmem_sim_scenario_parse()
 * without crashing; a refusal is a VMEM_ERROR_INVALID_DATA with one short
 * line of valid UTF-8; an accepted scenario keeps the parser's promises
 * (a tick within the duration, bounded domain-ticks, devices in whole
 * blocks, timelines in time order) and, when it is short, runs under every
 * engine with the requests in whole blocks within each device's size.
 *
 * Built as `fuzz-policy-scenario FILE|DIR...`, which replays files (every
 * file of a directory) and exits 0 when none crashed; with -Dfuzzing=true
 * also as a libFuzzer binary (main() is libFuzzer's; the plain build's is
 * fuzz-replay.c).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "vmem-error.h"
#include "vmem-simulate.h"
#include "vmem-size.h"

/* Longest refusal: a sentence, a path in the scenario, a quoted value of
 * at most 256 bytes and the known members of an object. */
#define FUZZ_MESSAGE_MAX 1024
/* Accepted scenarios of at most this many domain-ticks are also run. */
#define FUZZ_RUN_STEPS_MAX 2048

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_timeline(GArray *points, gboolean sizes)
{
	double end = 0;

	g_assert_nonnull(points);
	for (guint i = 0; i < points->len; i++) {
		const VmemSimPoint *p = &g_array_index(points, VmemSimPoint, i);

		g_assert_cmpfloat(p->t, >=, 0);
		g_assert_cmpfloat(p->ramp, >=, 0);
		if (sizes) {
			g_assert_cmpfloat(p->t, >=, end);
			g_assert_cmpuint(p->value, <=, VMEM_SIZE_GIB * 1024 * 1024);
			end = p->t + p->ramp;
		}
	}
}

static guint64
check_domain(const VmemSimDomainDef *def)
{
	guint64 capacity = 0;

	g_assert_true(g_utf8_validate(def->name, -1, NULL));
	g_assert_cmpuint(def->base, >, 0);
	g_assert_cmpuint(def->devices->len, >=, 1);
	g_assert_cmpuint(def->devices->len, <=, 64);
	for (guint i = 0; i < def->devices->len; i++) {
		const VmemDevice *dev = def->devices->pdata[i];

		g_assert_true(vmem_size_is_power_of_two(dev->block_size));
		g_assert_cmpuint(dev->block_size, >=, 4 * VMEM_SIZE_KIB);
		g_assert_cmpuint(dev->size, >, 0);
		g_assert_cmpuint(dev->size % dev->block_size, ==, 0);
		g_assert_cmpuint(dev->requested % dev->block_size, ==, 0);
		g_assert_cmpuint(dev->requested, <=, dev->size);
		capacity += dev->size;
	}
	g_assert_nonnull(def->policy);
	g_assert_cmpuint(def->plug_rate, >, 0);
	g_assert_cmpuint(def->unplug_rate, >, 0);
	g_assert_cmpuint(def->load->len, >=, 1);
	check_timeline(def->load, TRUE);
	check_timeline(def->states, FALSE);
	return capacity;
}

static const VmemDevice *
find_device(const VmemSimDomainDef *def, const char *alias)
{
	for (guint i = 0; i < def->devices->len; i++) {
		const VmemDevice *dev = def->devices->pdata[i];

		if (g_str_equal(dev->alias, alias))
			return dev;
	}
	g_assert_not_reached();
}

static void
run(const VmemSimScenario *scenario, VmemSimEngine engine, const guint64 *capacity)
{
	g_autoptr(VmemSimResult) result = vmem_sim_run(scenario, engine, VMEM_SIM_RUN_TRACE);
	guint n = scenario->domains->len;

	g_assert_cmpuint(result->trace->len, ==, vmem_sim_scenario_ticks(scenario) * n);
	g_assert_cmpuint(result->domains->len, ==, n);
	g_assert_cmpfloat(result->below_reserve_seconds, <=, scenario->duration + 1e-6);
	for (guint i = 0; i < result->decisions->len; i++) {
		const VmemSimDecision *d = &g_array_index(result->decisions, VmemSimDecision, i);
		const VmemDevice *dev = NULL;

		g_assert_cmpuint(d->domain, <, n);
		dev = find_device(scenario->domains->pdata[d->domain], d->alias);
		g_assert_cmpuint(d->requested, <=, dev->size);
		g_assert_cmpuint(d->requested % dev->block_size, ==, 0);
		g_assert_true(g_utf8_validate(d->reason, -1, NULL));
	}
	for (guint i = 0; i < result->trace->len; i++) {
		const VmemSimTracePoint *p = &g_array_index(result->trace, VmemSimTracePoint, i);

		g_assert_cmpuint(p->domain, <, n);
		g_assert_cmpuint(p->requested, <=, capacity[p->domain]);
		g_assert_cmpuint(p->plugged, <=, capacity[p->domain]);
	}
	for (guint i = 0; i < n; i++) {
		const VmemSimDomainResult *r =
			&g_array_index(result->domains, VmemSimDomainResult, i);

		g_assert_cmpuint(r->oom_events, <=, vmem_sim_scenario_ticks(scenario));
		g_assert_cmpfloat(r->pressure_seconds, <=, scenario->duration + 1e-6);
		g_assert_cmpuint(r->max_plugged, <=, capacity[i]);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemSimScenario) scenario = NULL;
	g_autofree guint64 *capacity = NULL;
	guint n;

	scenario = vmem_sim_scenario_parse((const char *)data, size, &error);
	if (scenario == NULL) {
		g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
		g_assert_true(g_utf8_validate(error->message, -1, NULL));
		g_assert_cmpuint(strlen(error->message), <=, FUZZ_MESSAGE_MAX);
		g_assert_null(strchr(error->message, '\n'));
		return 0;
	}
	g_assert_no_error(error);
	n = scenario->domains->len;
	g_assert_cmpuint(n, >=, 1);
	g_assert_cmpuint(n, <=, 1000);
	g_assert_cmpfloat(scenario->tick, >, 0);
	g_assert_cmpfloat(scenario->tick, <=, scenario->duration);
	g_assert_cmpuint(vmem_sim_scenario_ticks(scenario) * n, <=, VMEM_SIM_STEPS_MAX);
	g_assert_cmpuint(scenario->host_reserve, <=, scenario->host_memory);
	check_timeline(scenario->other_used, TRUE);
	capacity = g_new0(guint64, n);
	for (guint i = 0; i < n; i++)
		capacity[i] = check_domain(scenario->domains->pdata[i]);
	if (vmem_sim_scenario_ticks(scenario) * n > FUZZ_RUN_STEPS_MAX)
		return 0;
	for (VmemSimEngine e = VMEM_SIM_ENGINE_VIRTMEM; e <= VMEM_SIM_ENGINE_STATIC; e++)
		run(scenario, e, capacity);
	return 0;
}
