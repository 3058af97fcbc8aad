/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemctl policy: the policy from the command line.  `get` and `set`
 * read and edit the <virtmem:policy> of a domain in its libvirt metadata
 * (virtmemctl-policy-edit.c); `simulate`, here, runs the policy engine on
 * a scenario offline.  The subcommands are in vmem_ctl_policy_commands
 * below.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <json-c/json.h>
#include <json-c/printbuf.h>
#include <math.h>

#include "virtmemctl.h"
#include "virtmemctl-agent-view.h"
#include "virtmemctl-policy-edit.h"
#include "vmem-error.h"
#include "vmem-json.h"
#include "vmem-simulate.h"
#include "vmem-size.h"

/* The most trace points --json prints: each takes some 150 bytes of
 * output, all held until it is printed. */
#define VMEM_CTL_POLICY_TRACE_MAX G_GUINT64_CONSTANT(1000000)

/* @seconds to the millisecond, without trailing zeros, with a point
 * whatever the locale: "12", "72.8".  Sums of samples a quarter of a second
 * long carry float noise ("60.0000001"). */
static char *
vmem_ctl_policy_seconds_text(double seconds)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];
	char *text =
		g_strdup(g_ascii_formatd(buf, sizeof(buf), "%.3f", CLAMP(seconds, -1e15, 1e15)));
	char *end = text + strlen(text);

	while (end[-1] == '0')
		*--end = '\0';
	if (end[-1] == '.')
		*--end = '\0';
	return text;
}

/* A time or a duration: a whole number of seconds as an integer */
static json_object *
vmem_ctl_policy_json_seconds(double seconds)
{
	g_autofree char *text = vmem_ctl_policy_seconds_text(seconds);

	if (strchr(text, '.') == NULL && fabs(seconds) < 1e15)
		return json_object_new_int64(llround(seconds));
	return json_object_new_double_s(g_ascii_strtod(text, NULL), text);
}

static char *
vmem_ctl_policy_format_seconds(double seconds)
{
	g_autofree char *text = vmem_ctl_policy_seconds_text(seconds);

	/* TRANSLATORS: a time in seconds, such as "12 s" or "1.5 s" */
	return g_strdup_printf(_("%s s"), text);
}

static const char *
vmem_ctl_policy_domain_name(const VmemSimScenario *scenario, guint index)
{
	return ((const VmemSimDomainDef *)scenario->domains->pdata[index])->name;
}

static json_object *
vmem_ctl_policy_trace_point(const VmemSimScenario *scenario, const VmemSimTracePoint *p)
{
	json_object *obj = json_object_new_object();

	json_object_object_add(obj, "t", vmem_ctl_policy_json_seconds(p->t));
	json_object_object_add(
		obj, "domain",
		json_object_new_string(vmem_ctl_policy_domain_name(scenario, p->domain)));
	json_object_object_add(obj, "requested", json_object_new_uint64(p->requested));
	json_object_object_add(obj, "plugged", json_object_new_uint64(p->plugged));
	json_object_object_add(obj, "used", json_object_new_uint64(p->used));
	json_object_object_add(obj, "available", json_object_new_uint64(p->available));
	return obj;
}

typedef struct {
	const VmemSimScenario *scenario;
	const VmemSimResult *result;
} VmemCtlPolicyTrace;

/* json-c's serializer of the "trace" array: the points, formatted one at a
 * time as json-c formats an array of objects with VMEM_CTL_JSON_FLAGS
 * (pretty, two spaces a level), so that a long trace never holds a
 * json_object for each point (some 1.5 KiB each). */
static int
vmem_ctl_policy_trace_to_json(json_object *jso, struct printbuf *pb, int level, int flags)
{
	const VmemCtlPolicyTrace *trace = json_object_get_userdata(jso);
	const GArray *points = trace->result->trace;
	g_autofree char *indent = g_strnfill((gsize)(level + 1) * 2, ' ');

	g_assert(flags == VMEM_CTL_JSON_FLAGS);
	printbuf_strappend(pb, "[\n");
	for (guint i = 0; i < points->len; i++) {
		g_autoptr(json_object) point = vmem_ctl_policy_trace_point(
			trace->scenario, &g_array_index(points, VmemSimTracePoint, i));
		g_auto(GStrv) lines =
			g_strsplit(json_object_to_json_string_ext(point, flags), "\n", -1);

		if (i > 0)
			printbuf_strappend(pb, ",\n");
		/* one level deeper than the point formatted alone */
		for (guint j = 0; lines[j] != NULL; j++) {
			if (j > 0)
				printbuf_strappend(pb, "\n");
			printbuf_memappend(pb, indent, (int)strlen(indent));
			printbuf_memappend(pb, lines[j], (int)strlen(lines[j]));
		}
	}
	if (points->len > 0)
		printbuf_strappend(pb, "\n");
	printbuf_memappend(pb, indent, level * 2);
	return printbuf_strappend(pb, "]");
}

static void
vmem_ctl_policy_print_json(const VmemSimScenario *scenario, const VmemSimResult *result)
{
	g_autoptr(json_object) root = json_object_new_object();
	json_object *decisions = json_object_new_array();
	json_object *trace = json_object_new_array();
	VmemCtlPolicyTrace trace_data = {scenario, result};
	json_object *domains = json_object_new_array();
	json_object *host = json_object_new_object();

	json_object_object_add(root, "engine",
			       json_object_new_string(vmem_sim_engine_to_string(result->engine)));
	for (guint i = 0; i < result->decisions->len; i++) {
		const VmemSimDecision *d = &g_array_index(result->decisions, VmemSimDecision, i);
		json_object *obj = json_object_new_object();

		json_object_object_add(obj, "t", vmem_ctl_policy_json_seconds(d->t));
		json_object_object_add(
			obj, "domain",
			json_object_new_string(vmem_ctl_policy_domain_name(scenario, d->domain)));
		json_object_object_add(obj, "alias", json_object_new_string(d->alias));
		json_object_object_add(obj, "requested", json_object_new_uint64(d->requested));
		json_object_object_add(obj, "reason", json_object_new_string(d->reason));
		json_object_array_add(decisions, obj);
	}
	json_object_set_serializer(trace, vmem_ctl_policy_trace_to_json, &trace_data, NULL);
	for (guint i = 0; i < result->domains->len; i++) {
		const VmemSimDomainResult *r =
			&g_array_index(result->domains, VmemSimDomainResult, i);
		g_autofree char *gib_s = g_strdup_printf("%.3f", r->plugged_gib_seconds);
		json_object *obj = json_object_new_object();

		json_object_object_add(
			obj, "name",
			json_object_new_string(vmem_ctl_policy_domain_name(scenario, i)));
		json_object_object_add(obj, "oom_events", json_object_new_uint64(r->oom_events));
		json_object_object_add(obj, "pressure_seconds",
				       vmem_ctl_policy_json_seconds(r->pressure_seconds));
		json_object_object_add(obj, "plugged_gib_seconds",
				       json_object_new_double_s(r->plugged_gib_seconds, gib_s));
		json_object_object_add(obj, "max_plugged", json_object_new_uint64(r->max_plugged));
		json_object_array_add(domains, obj);
	}
	json_object_object_add(host, "below_reserve_seconds",
			       vmem_ctl_policy_json_seconds(result->below_reserve_seconds));
	json_object_object_add(host, "min_available",
			       json_object_new_uint64(result->min_available));
	json_object_object_add(root, "decisions", decisions);
	json_object_object_add(root, "trace", trace);
	json_object_object_add(root, "domains", domains);
	json_object_object_add(root, "host", host);
	vmem_ctl_print_json(root);
}

static void
vmem_ctl_policy_print_text(const char *file, const VmemSimScenario *scenario,
			   const VmemSimResult *result)
{
	const char *timeline_headings[] = {
		/* TRANSLATORS: column heading of `virtmemctl policy simulate`: the time */
		_("TIME"),
		/* TRANSLATORS: column heading: the domain's name */
		_("DOMAIN"),
		/* TRANSLATORS: column heading: the device's alias */
		_("DEVICE"),
		/* TRANSLATORS: column heading: the device's new requested size */
		_("REQUESTED"),
		/* TRANSLATORS: column heading: why */
		_("REASON"),
	};
	const gboolean timeline_right[] = {TRUE, FALSE, FALSE, TRUE, FALSE};
	const char *summary_headings[] = {
		/* TRANSLATORS: column heading: the domain's name */
		_("DOMAIN"),
		/* TRANSLATORS: column heading: how many ticks the guest was out of memory */
		_("OOM EVENTS"),
		/* TRANSLATORS: column heading: how long the guest had less than its buffer */
		_("PRESSURE"),
		/* TRANSLATORS: column heading: plugged memory integrated over time */
		_("PLUGGED GiB·s"),
		/* TRANSLATORS: column heading: the most memory plugged at once */
		_("MAX PLUGGED"),
	};
	const gboolean summary_right[] = {FALSE, TRUE, TRUE, TRUE, TRUE};
	g_autoptr(VmemCtlTable) timeline = vmem_ctl_table_new(G_N_ELEMENTS(timeline_headings),
							      timeline_headings, timeline_right);
	g_autoptr(VmemCtlTable) summary =
		vmem_ctl_table_new(G_N_ELEMENTS(summary_headings), summary_headings, summary_right);
	g_autofree char *duration = vmem_ctl_policy_format_seconds(scenario->duration);
	g_autofree char *tick = vmem_ctl_policy_format_seconds(scenario->tick);
	g_autofree char *below = vmem_ctl_policy_format_seconds(result->below_reserve_seconds);
	g_autofree char *least = vmem_size_format(result->min_available);
	g_autofree char *timeline_text = NULL;
	g_autofree char *summary_text = NULL;

	g_print(
		/* TRANSLATORS: 1 a file name, 2 an engine (virtmem, balancer, mom, static),
		 * 3 and 4 times such as "600 s" */
		_("Scenario %1$s, engine %2$s: %3$s, a decision every %4$s.\n\n"), file,
		vmem_sim_engine_to_string(result->engine), duration, tick);
	for (guint i = 0; i < result->decisions->len; i++) {
		const VmemSimDecision *d = &g_array_index(result->decisions, VmemSimDecision, i);
		g_autofree char *t = vmem_ctl_policy_format_seconds(d->t);
		g_autofree char *requested = vmem_size_format(d->requested);
		const char *cells[] = {t, vmem_ctl_policy_domain_name(scenario, d->domain),
				       d->alias, requested, d->reason};

		vmem_ctl_table_add_row(timeline, cells);
	}
	for (guint i = 0; i < result->domains->len; i++) {
		const VmemSimDomainResult *r =
			&g_array_index(result->domains, VmemSimDomainResult, i);
		g_autofree char *oom = g_strdup_printf("%" G_GUINT64_FORMAT, r->oom_events);
		g_autofree char *pressure = vmem_ctl_policy_format_seconds(r->pressure_seconds);
		g_autofree char *gib_s = g_strdup_printf("%.1f", r->plugged_gib_seconds);
		g_autofree char *max = vmem_size_format(r->max_plugged);
		const char *cells[] = {vmem_ctl_policy_domain_name(scenario, i), oom, pressure,
				       gib_s, max};

		vmem_ctl_table_add_row(summary, cells);
	}
	timeline_text = vmem_ctl_table_format(timeline);
	summary_text = vmem_ctl_table_format(summary);
	g_print("%s\n%s\n", timeline_text, summary_text);
	/* TRANSLATORS: 1 a time such as "12 s", 2 a size such as "3 GiB" */
	g_print(_("The host was below its reserve for %1$s; its least available memory was %2$s.\n"),
		below, least);
}

/* --json prints each domain at each tick: at most VMEM_CTL_POLICY_TRACE_MAX */
static gboolean
vmem_ctl_policy_check_trace(const VmemSimScenario *scenario, GError **error)
{
	guint64 points = vmem_sim_scenario_ticks(scenario) * scenario->domains->len;

	if (points <= VMEM_CTL_POLICY_TRACE_MAX)
		return TRUE;
	g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
		    /* TRANSLATORS: 1 and 2 are times in seconds, 3 a number of domains, 4
		     * and 5 numbers of trace points; keep duration, tick, domains and
		     * --json */
		    ngettext("The scenario's duration of %1$g s at a tick of %2$g s for %3$u "
			     "domain makes a trace of %4$" G_GUINT64_FORMAT " points, more than "
			     "--json prints (%5$" G_GUINT64_FORMAT "): use a longer tick, a "
			     "shorter duration or fewer domains, or the text output.",
			     "The scenario's duration of %1$g s at a tick of %2$g s for %3$u "
			     "domains makes a trace of %4$" G_GUINT64_FORMAT " points, more than "
			     "--json prints (%5$" G_GUINT64_FORMAT "): use a longer tick, a "
			     "shorter duration or fewer domains, or the text output.",
			     scenario->domains->len),
		    scenario->duration, scenario->tick, scenario->domains->len, points,
		    VMEM_CTL_POLICY_TRACE_MAX);
	return FALSE;
}

static int
vmem_ctl_policy_simulate(VmemCtl *ctl, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GPtrArray) args = NULL;
	g_autoptr(VmemSimScenario) scenario = NULL;
	g_autoptr(VmemSimResult) result = NULL;
	g_autofree char *engine_name = NULL;
	g_autofree char *text = NULL;
	VmemSimEngine engine = VMEM_SIM_ENGINE_VIRTMEM;
	gsize len = 0;
	gboolean json = FALSE;
	const GOptionEntry entries[] = {
		/* TRANSLATORS: help of --json */
		{"json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL},
		{"engine", 0, 0, G_OPTION_ARG_STRING, &engine_name,
		 /* TRANSLATORS: help of --engine; keep the engine names */
		 N_("Who decides: virtmem (the default), or the baselines balancer, mom or static"),
		 /* TRANSLATORS: the argument of --engine in --help */
		 N_("ENGINE")},
		{NULL},
	};

	context = vmem_ctl_option_context_new(
		"policy simulate",
		/* TRANSLATORS: the arguments of `virtmemctl policy simulate` */
		_("SCENARIO.json"),
		/* TRANSLATORS: summary of `virtmemctl policy simulate --help` */
		_("Run the policy engine, or a baseline, on a scenario of modelled guests and "
		  "host, offline."),
		entries);
	if (!vmem_ctl_parse_options(context, &argc, &argv, &args, &error) || args->len != 1) {
		if (error == NULL)
			g_set_error_literal(&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
					    /* TRANSLATORS: usage error; keep “policy simulate” */
					    _("policy simulate takes one scenario file."));
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_FAILURE;
	}
	if (engine_name != NULL && !vmem_sim_engine_from_string(engine_name, &engine)) {
		g_set_error(&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    /* TRANSLATORS: %s is what the user gave; keep the engine names */
			    _("Unknown engine “%s”: use virtmem, balancer, mom or static."),
			    engine_name);
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_FAILURE;
	}
	if (!vmem_ctl_read_input(args->pdata[0], VMEM_SIM_TEXT_MAX, "virtmemctl policy simulate",
				 &text, &len, &error)) {
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_FAILURE;
	}
	scenario = vmem_sim_scenario_parse(text, len, &error);
	if (scenario == NULL) {
		g_prefix_error(&error, "%s: ", (const char *)args->pdata[0]);
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_FAILURE;
	}
	if (json && !vmem_ctl_policy_check_trace(scenario, &error)) {
		g_prefix_error(&error, "%s: ", (const char *)args->pdata[0]);
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_FAILURE;
	}
	result = vmem_sim_run(scenario, engine, json ? VMEM_SIM_RUN_TRACE : VMEM_SIM_RUN_NONE);
	if (json)
		vmem_ctl_policy_print_json(scenario, result);
	else
		vmem_ctl_policy_print_text(args->pdata[0], scenario, result);
	return VMEM_CTL_EXIT_OK;
}

/* The subcommands of `virtmemctl policy` */
static const struct {
	const char *name;
	VmemCtlCommandFunc run;
} vmem_ctl_policy_commands[] = {
	{"get", vmem_ctl_policy_get},
	{"set", vmem_ctl_policy_set},
	{"simulate", vmem_ctl_policy_simulate},
};

int
vmem_ctl_policy(VmemCtl *ctl, int argc, char **argv)
{
	if (argc >= 2) {
		for (guint i = 0; i < G_N_ELEMENTS(vmem_ctl_policy_commands); i++) {
			if (g_str_equal(argv[1], vmem_ctl_policy_commands[i].name))
				return vmem_ctl_policy_commands[i].run(ctl, argc - 1, argv + 1);
		}
	}
	g_printerr(
		/* TRANSLATORS: %s is what the user typed, maybe nothing; keep get, set,
		   simulate and --help */
		_("virtmemctl policy: unknown subcommand “%s”; use get, set or simulate (see "
		  "virtmemctl --help).\n"),
		argc >= 2 ? argv[1] : "");
	return VMEM_CTL_EXIT_FAILURE;
}
