/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parsing and checking a simulator scenario (docs/policy.md, section
 * "Scenarios"; schemas/policy-scenario.schema.json).  Every error names
 * the member by its path in the scenario, such as domains[0].policy.max.
 */
#include "config.h"

#include "vmem-simulate.h"

#include <glib/gi18n.h>
#include <math.h>

#include "vmem-error.h"
#include "vmem-json.h"
#include "vmem-size.h"

/* Limits that tell a typo from a scenario: sizes up to 1 PiB, a month of
 * simulated time, 1,000 domains, 64 devices each, 100,000 points a
 * timeline; the text's length and the domain-ticks in all are bounded too
 * (VMEM_SIM_TEXT_MAX, VMEM_SIM_STEPS_MAX and VMEM_SIM_SAMPLES_MAX, in the
 * header). */
#define VMEM_SIM_SIZE_MAX (VMEM_SIZE_GIB * 1024 * 1024)
#define VMEM_SIM_DURATION_MAX (31.0 * 86400)
#define VMEM_SIM_DOMAINS_MAX 1000
#define VMEM_SIM_DEVICES_MAX 64
#define VMEM_SIM_POINTS_MAX 100000
/* Unknown members longer than this are not compared with the known ones. */
#define VMEM_SIM_KEY_COMPARE_MAX 64

static char *
vmem_sim_path(const char *parent, const char *key)
{
	return *parent ? g_strdup_printf("%s.%s", parent, key) : g_strdup(key);
}

/* Wraps an error of the JSON layer, which names only the member, with the
 * member's path. */
static void
vmem_sim_wrap_error(GError **error, const char *path, GError *inner)
{
	g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
		    /* TRANSLATORS: 1 where in the scenario, such as
		     * "domains[0].policy.max"; 2 an error message */
		    _("The scenario's %1$s is invalid: %2$s"), path, inner->message);
	g_error_free(inner);
}

static guint
vmem_sim_distance(const char *a, const char *b)
{
	gsize la = strlen(a), lb = strlen(b);
	g_autofree guint *row = g_new(guint, lb + 1);

	for (gsize j = 0; j <= lb; j++)
		row[j] = (guint)j;
	for (gsize i = 1; i <= la; i++) {
		guint diag = row[0];

		row[0] = (guint)i;
		for (gsize j = 1; j <= lb; j++) {
			guint up = row[j];

			row[j] = MIN(
				MIN(row[j] + 1, row[j - 1] + 1),
				diag + (g_ascii_tolower(a[i - 1]) != g_ascii_tolower(b[j - 1])));
			diag = up;
		}
	}
	return row[lb];
}

/* Unknown members are typos: refuse them, with the nearest known name. */
static gboolean
vmem_sim_check_keys(json_object *obj, const char *path, const char *const *known, GError **error)
{
	json_object_object_foreach(obj, key, value)
	{
		g_autofree char *quoted = NULL;
		const char *best = NULL;
		guint best_distance = G_MAXUINT;

		(void)value;
		if (g_strv_contains(known, key))
			continue;
		/* a name from the file: quoted short and printable */
		quoted = vmem_json_excerpt(key, strlen(key));
		for (guint i = 0; known[i] != NULL && strlen(key) <= VMEM_SIM_KEY_COMPARE_MAX;
		     i++) {
			guint d = vmem_sim_distance(key, known[i]);

			if (d < best_distance) {
				best_distance = d;
				best = known[i];
			}
		}
		if (best != NULL && best_distance <= 2)
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: 1 where in the scenario, such as
				     * "domains[0].policy" ("" for the top); 2 the unknown
				     * member; 3 the known one it resembles */
				    _("The scenario's %1$s has an unknown member “%2$s”: did you "
				      "mean “%3$s”?"),
				    *path ? path : "top level", quoted, best);
		else {
			g_autofree char *list = g_strjoinv(", ", (char **)known);

			g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: 1 where in the scenario; 2 the unknown
				     * member; 3 the known members, separated by commas */
				    _("The scenario's %1$s has an unknown member “%2$s”; the "
				      "members are %3$s."),
				    *path ? path : "top level", quoted, list);
		}
		return FALSE;
	}
	return TRUE;
}

static gboolean
vmem_sim_get_number(json_object *obj, const char *path, const char *key, gboolean required,
		    double min, double max, double *ret_value, GError **error)
{
	g_autofree char *where = vmem_sim_path(path, key);
	GError *inner = NULL;

	if (!vmem_json_get_double(obj, key, required ? VMEM_JSON_REQUIRED : VMEM_JSON_OPTIONAL, min,
				  max, ret_value, &inner)) {
		vmem_sim_wrap_error(error, where, inner);
		return FALSE;
	}
	return TRUE;
}

static gboolean
vmem_sim_get_uint(json_object *obj, const char *path, const char *key, gboolean required,
		  guint64 min, guint64 max, guint64 *ret_value, GError **error)
{
	g_autofree char *where = vmem_sim_path(path, key);
	GError *inner = NULL;

	if (!vmem_json_get_uint64(obj, key, required ? VMEM_JSON_REQUIRED : VMEM_JSON_OPTIONAL, min,
				  max, ret_value, &inner)) {
		vmem_sim_wrap_error(error, where, inner);
		return FALSE;
	}
	return TRUE;
}

/* A size: a string with a libvirt/virsh unit ("2GiB", "512M"; a bare
 * number is KiB, as in virsh), or an integer in bytes; @per_second wants
 * a rate, a string ending in "/s".  Missing and not @required: leaves
 * *@ret_value. */
static gboolean
vmem_sim_get_size(json_object *obj, const char *path, const char *key, gboolean required,
		  gboolean per_second, guint64 *ret_value, GError **error)
{
	g_autofree char *where = vmem_sim_path(path, key);
	json_object *value = NULL;
	guint64 bytes = 0;

	if (!json_object_object_get_ex(obj, key, &value) || value == NULL) {
		if (!required)
			return TRUE;
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %s is where in the scenario, such as
			     * "domains[0].base" */
			    _("The scenario's %s is missing."), where);
		return FALSE;
	}
	if (json_object_is_type(value, json_type_int)) {
		gint64 n = json_object_get_int64(value);

		if (n < 0) {
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: 1 where in the scenario; 2 a number */
				    _("The scenario's %1$s is %2$" G_GINT64_FORMAT
				      ": a size is 0 or more."),
				    where, n);
			return FALSE;
		}
		bytes = (guint64)n;
	} else if (json_object_is_type(value, json_type_string)) {
		g_autofree char *text = g_strdup(json_object_get_string(value));
		g_autoptr(GError) inner = NULL;

		if (per_second) {
			if (!g_str_has_suffix(text, "/s")) {
				g_autofree char *quoted = vmem_json_excerpt(text, strlen(text));

				g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
					    /* TRANSLATORS: 1 where in the scenario; 2 what it
					     * says; keep "/s" and the example */
					    _("The scenario's %1$s is “%2$s”, not a rate such as "
					      "“1GiB/s”."),
					    where, quoted);
				return FALSE;
			}
			text[strlen(text) - 2] = '\0';
		}
		if (!vmem_size_parse_arg(text, &bytes, &inner)) {
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: 1 where in the scenario; 2 an error
				     * message */
				    _("The scenario's %1$s is invalid: %2$s"), where,
				    inner->message);
			return FALSE;
		}
	} else {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %s is where in the scenario; keep the examples */
			    _("The scenario's %s is neither a size such as “2GiB” nor a number "
			      "of bytes."),
			    where);
		return FALSE;
	}
	if (bytes > VMEM_SIM_SIZE_MAX) {
		g_autofree char *size = vmem_size_format(bytes);

		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: 1 where in the scenario; 2 a size such as
			     * "2 EiB" */
			    _("The scenario's %1$s is %2$s, more than the simulator's limit of "
			      "1 PiB."),
			    where, size);
		return FALSE;
	}
	*ret_value = bytes;
	return TRUE;
}

static gboolean
vmem_sim_get_array(json_object *obj, const char *path, const char *key, gboolean required,
		   gsize max_len, json_object **ret_value, GError **error)
{
	g_autofree char *where = vmem_sim_path(path, key);
	GError *inner = NULL;

	if (!vmem_json_get_array(obj, key, required ? VMEM_JSON_REQUIRED : VMEM_JSON_OPTIONAL,
				 max_len, ret_value, &inner)) {
		vmem_sim_wrap_error(error, where, inner);
		return FALSE;
	}
	return TRUE;
}

static gboolean
vmem_sim_get_object(json_object *obj, const char *path, const char *key, gboolean required,
		    json_object **ret_value, GError **error)
{
	g_autofree char *where = vmem_sim_path(path, key);
	GError *inner = NULL;

	if (!vmem_json_get_object(obj, key, required ? VMEM_JSON_REQUIRED : VMEM_JSON_OPTIONAL,
				  ret_value, &inner)) {
		vmem_sim_wrap_error(error, where, inner);
		return FALSE;
	}
	return TRUE;
}

static gboolean
vmem_sim_get_string(json_object *obj, const char *path, const char *key, gboolean required,
		    const char **ret_value, GError **error)
{
	g_autofree char *where = vmem_sim_path(path, key);
	GError *inner = NULL;

	if (!vmem_json_get_string(obj, key,
				  (required ? VMEM_JSON_REQUIRED : VMEM_JSON_OPTIONAL) |
					  VMEM_JSON_NO_CONTROL,
				  256, ret_value, &inner)) {
		vmem_sim_wrap_error(error, where, inner);
		return FALSE;
	}
	return TRUE;
}

static gboolean
vmem_sim_entry(json_object *array, const char *path, const char *key, gsize index,
	       json_object **ret_value, char **ret_path, GError **error)
{
	GError *inner = NULL;

	*ret_path = g_strdup_printf("%s[%zu]", path, index);
	(void)key;
	if (!json_object_is_type(json_object_array_get_idx(array, index), json_type_object)) {
		inner = g_error_new(VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: an array entry that must be a JSON object */
				    _("Each entry must be an object."));
		vmem_sim_wrap_error(error, *ret_path, inner);
		return FALSE;
	}
	*ret_value = json_object_array_get_idx(array, index);
	return TRUE;
}

/* A timeline: [{"t": 0, "<value_key>": SIZE, "ramp": SECONDS}, ...], in
 * time order, a point not before the previous one's ramp has ended. */
static gboolean
vmem_sim_parse_timeline(json_object *obj, const char *path, const char *key, const char *value_key,
			gboolean required, GArray **ret_points, GError **error)
{
	const char *const known[] = {"t", value_key, "ramp", NULL};
	g_autofree char *where = vmem_sim_path(path, key);
	g_autoptr(GArray) points = g_array_new(FALSE, FALSE, sizeof(VmemSimPoint));
	json_object *array = NULL;
	double end = 0;

	if (!vmem_sim_get_array(obj, path, key, required, VMEM_SIM_POINTS_MAX, &array, error))
		return FALSE;
	for (gsize i = 0; array != NULL && i < json_object_array_length(array); i++) {
		g_autofree char *entry_path = NULL;
		json_object *entry = NULL;
		VmemSimPoint p = {0};

		if (!vmem_sim_entry(array, where, key, i, &entry, &entry_path, error) ||
		    !vmem_sim_check_keys(entry, entry_path, known, error) ||
		    !vmem_sim_get_number(entry, entry_path, "t", TRUE, 0, VMEM_SIM_DURATION_MAX,
					 &p.t, error) ||
		    !vmem_sim_get_size(entry, entry_path, value_key, TRUE, FALSE, &p.value,
				       error) ||
		    !vmem_sim_get_number(entry, entry_path, "ramp", FALSE, 0, VMEM_SIM_DURATION_MAX,
					 &p.ramp, error))
			return FALSE;
		if (i > 0 && p.t < end) {
			g_autofree char *t_path = vmem_sim_path(entry_path, "t");

			g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: 1 where in the scenario; 2 and 3 times in
				     * seconds */
				    _("The scenario's %1$s is %2$g s, before %3$g s: points come "
				      "in time order, each after the previous one's ramp."),
				    t_path, p.t, end);
			return FALSE;
		}
		end = p.t + p.ramp;
		g_array_append_val(points, p);
	}
	*ret_points = g_steal_pointer(&points);
	return TRUE;
}

static gboolean
vmem_sim_parse_states(json_object *obj, const char *path, GArray **ret_points, GError **error)
{
	const char *const known[] = {"t", "state", NULL};
	g_autofree char *where = vmem_sim_path(path, "state");
	g_autoptr(GArray) points = g_array_new(FALSE, FALSE, sizeof(VmemSimPoint));
	json_object *array = NULL;

	if (!vmem_sim_get_array(obj, path, "state", FALSE, VMEM_SIM_POINTS_MAX, &array, error))
		return FALSE;
	for (gsize i = 0; array != NULL && i < json_object_array_length(array); i++) {
		g_autofree char *entry_path = NULL;
		json_object *entry = NULL;
		VmemSimPoint p = {0};
		const char *state = NULL;
		VmemEngineState s;

		if (!vmem_sim_entry(array, where, "state", i, &entry, &entry_path, error) ||
		    !vmem_sim_check_keys(entry, entry_path, known, error) ||
		    !vmem_sim_get_number(entry, entry_path, "t", TRUE, 0, VMEM_SIM_DURATION_MAX,
					 &p.t, error) ||
		    !vmem_sim_get_string(entry, entry_path, "state", TRUE, &state, error))
			return FALSE;
		if (!vmem_engine_state_from_string(state, &s)) {
			g_autofree char *s_path = vmem_sim_path(entry_path, "state");

			g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: 1 where in the scenario; 2 what it says; keep
				     * the states */
				    _("The scenario's %1$s is “%2$s”; use running, migrating, "
				      "saving, paused, rebooted or stopped."),
				    s_path, state);
			return FALSE;
		}
		if (i > 0 && p.t < g_array_index(points, VmemSimPoint, i - 1).t) {
			g_autofree char *t_path = vmem_sim_path(entry_path, "t");

			g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: %s is where in the scenario */
				    _("The scenario's %s is before the previous state's: states "
				      "come in time order."),
				    t_path);
			return FALSE;
		}
		p.value = s;
		g_array_append_val(points, p);
	}
	*ret_points = g_steal_pointer(&points);
	return TRUE;
}

static gboolean
vmem_sim_parse_policy(json_object *obj, const char *path, VmemPolicyDef *policy, guint64 capacity,
		      guint64 block, GError **error)
{
	const char *const known[] = {"mode", "min",	 "max",	     "buffer",
				     "step", "cooldown", "priority", NULL};
	const char *const cooldown_known[] = {"grow", "shrink", NULL};
	g_autofree char *where = vmem_sim_path(path, "policy");
	g_autofree char *cooldown_path = vmem_sim_path(where, "cooldown");
	json_object *p = NULL, *cooldown = NULL;
	const char *mode = NULL;
	guint64 min = 0, max = capacity, step = 0, n = 0;

	if (!vmem_sim_get_object(obj, path, "policy", FALSE, &p, error))
		return FALSE;
	policy->has_mode = TRUE;
	policy->mode = VMEM_POLICY_MODE_AUTO;
	if (p != NULL) {
		if (!vmem_sim_check_keys(p, where, known, error) ||
		    !vmem_sim_get_string(p, where, "mode", FALSE, &mode, error) ||
		    !vmem_sim_get_size(p, where, "min", FALSE, FALSE, &min, error) ||
		    !vmem_sim_get_size(p, where, "max", FALSE, FALSE, &max, error) ||
		    !vmem_sim_get_size(p, where, "step", FALSE, FALSE, &step, error) ||
		    !vmem_sim_get_object(p, where, "cooldown", FALSE, &cooldown, error))
			return FALSE;
		if (mode != NULL) {
			if (g_str_equal(mode, "auto"))
				policy->mode = VMEM_POLICY_MODE_AUTO;
			else if (g_str_equal(mode, "manual"))
				policy->mode = VMEM_POLICY_MODE_MANUAL;
			else if (g_str_equal(mode, "off"))
				policy->mode = VMEM_POLICY_MODE_OFF;
			else {
				g_autofree char *m_path = vmem_sim_path(where, "mode");

				g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
					    /* TRANSLATORS: 1 where in the scenario; 2 what it
					     * says; keep auto, manual and off */
					    _("The scenario's %1$s is “%2$s”; use auto, manual or "
					      "off."),
					    m_path, mode);
				return FALSE;
			}
		}
		policy->has_min = json_object_object_get_ex(p, "min", NULL);
		policy->has_max = json_object_object_get_ex(p, "max", NULL);
		policy->has_step = json_object_object_get_ex(p, "step", NULL);
		policy->min_kib = (min + VMEM_SIZE_KIB - 1) / VMEM_SIZE_KIB;
		policy->max_kib = max / VMEM_SIZE_KIB;
		policy->step_kib = (step + VMEM_SIZE_KIB - 1) / VMEM_SIZE_KIB;
		if (json_object_object_get_ex(p, "buffer", NULL)) {
			if (!vmem_sim_get_uint(p, where, "buffer", TRUE, 0, VMEM_POLICY_MAX_BUFFER,
					       &n, error))
				return FALSE;
			policy->has_buffer = TRUE;
			policy->buffer_percent = (guint)n;
		}
		if (json_object_object_get_ex(p, "priority", NULL)) {
			if (!vmem_sim_get_uint(p, where, "priority", TRUE, VMEM_POLICY_MIN_PRIORITY,
					       VMEM_POLICY_MAX_PRIORITY, &n, error))
				return FALSE;
			policy->has_priority = TRUE;
			policy->priority = (guint)n;
		}
		if (cooldown != NULL) {
			if (!vmem_sim_check_keys(cooldown, cooldown_path, cooldown_known, error))
				return FALSE;
			if (json_object_object_get_ex(cooldown, "grow", NULL)) {
				if (!vmem_sim_get_uint(cooldown, cooldown_path, "grow", TRUE, 0,
						       VMEM_POLICY_MAX_COOLDOWN, &n, error))
					return FALSE;
				policy->has_cooldown_grow = TRUE;
				policy->cooldown_grow_s = (guint)n;
			}
			if (json_object_object_get_ex(cooldown, "shrink", NULL)) {
				if (!vmem_sim_get_uint(cooldown, cooldown_path, "shrink", TRUE, 0,
						       VMEM_POLICY_MAX_COOLDOWN, &n, error))
					return FALSE;
				policy->has_cooldown_shrink = TRUE;
				policy->cooldown_shrink_s = (guint)n;
			}
		}
		if (policy->has_step && step == 0) {
			g_autofree char *s_path = vmem_sim_path(where, "step");

			g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: %s is where in the scenario */
				    _("The scenario's %s is 0: a step is more than 0."), s_path);
			return FALSE;
		}
		if (policy->has_min && policy->has_max && min > max) {
			g_autofree char *m_path = vmem_sim_path(where, "min");

			g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: %s is where in the scenario */
				    _("The scenario's %s is above the policy's max."), m_path);
			return FALSE;
		}
	}
	vmem_policy_def_postparse(policy, capacity / VMEM_SIZE_KIB, block / VMEM_SIZE_KIB);
	return TRUE;
}

static gboolean
vmem_sim_parse_devices(json_object *obj, const char *path, GPtrArray *devices, GError **error)
{
	const char *const known[] = {"alias", "node", "size", "block", "requested", NULL};
	g_autofree char *where = vmem_sim_path(path, "devices");
	json_object *array = NULL;

	if (!vmem_sim_get_array(obj, path, "devices", TRUE, VMEM_SIM_DEVICES_MAX, &array, error))
		return FALSE;
	if (json_object_array_length(array) == 0) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %s is where in the scenario */
			    _("The scenario's %s is empty: a domain has a virtio-mem device at "
			      "least."),
			    where);
		return FALSE;
	}
	for (gsize i = 0; i < json_object_array_length(array); i++) {
		g_autofree char *entry_path = NULL;
		g_autoptr(VmemDevice) dev = g_new0(VmemDevice, 1);
		json_object *entry = NULL;
		const char *alias = NULL;
		guint64 node = 0;

		dev->block_size = 2 * VMEM_SIZE_MIB;
		if (!vmem_sim_entry(array, where, "devices", i, &entry, &entry_path, error) ||
		    !vmem_sim_check_keys(entry, entry_path, known, error) ||
		    !vmem_sim_get_string(entry, entry_path, "alias", TRUE, &alias, error) ||
		    !vmem_sim_get_uint(entry, entry_path, "node", FALSE, 0, 63, &node, error) ||
		    !vmem_sim_get_size(entry, entry_path, "size", TRUE, FALSE, &dev->size, error) ||
		    !vmem_sim_get_size(entry, entry_path, "block", FALSE, FALSE, &dev->block_size,
				       error) ||
		    !vmem_sim_get_size(entry, entry_path, "requested", FALSE, FALSE,
				       &dev->requested, error))
			return FALSE;
		dev->alias = g_strdup(alias);
		dev->node = (guint)node;
		if (!vmem_size_is_power_of_two(dev->block_size) ||
		    dev->block_size < 4 * VMEM_SIZE_KIB) {
			g_autofree char *b_path = vmem_sim_path(entry_path, "block");

			g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: %s is where in the scenario */
				    _("The scenario's %s is not a power of two of 4 KiB or more."),
				    b_path);
			return FALSE;
		}
		if (dev->size == 0 || dev->size % dev->block_size != 0 ||
		    dev->requested % dev->block_size != 0 || dev->requested > dev->size) {
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: %s is where in the scenario */
				    _("The scenario's %s needs a size and a requested size that "
				      "are whole numbers of blocks, the requested size not above "
				      "the size."),
				    entry_path);
			return FALSE;
		}
		for (guint j = 0; j < devices->len; j++) {
			if (g_str_equal(((VmemDevice *)devices->pdata[j])->alias, alias)) {
				g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
					    /* TRANSLATORS: 1 where in the scenario; 2 an alias */
					    _("The scenario's %1$s has the alias “%2$s” of an "
					      "earlier device."),
					    entry_path, alias);
				return FALSE;
			}
		}
		dev->plugged = dev->requested;
		g_ptr_array_add(devices, g_steal_pointer(&dev));
	}
	return TRUE;
}

static void
vmem_sim_domain_def_free(VmemSimDomainDef *def)
{
	if (def == NULL)
		return;
	g_free(def->name);
	g_clear_pointer(&def->devices, g_ptr_array_unref);
	g_clear_pointer(&def->policy, vmem_policy_def_free);
	g_clear_pointer(&def->load, g_array_unref);
	g_clear_pointer(&def->states, g_array_unref);
	g_free(def);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmemSimDomainDef, vmem_sim_domain_def_free)

static gboolean
vmem_sim_parse_guest(json_object *obj, const char *path, VmemSimDomainDef *def, GError **error)
{
	const char *const known[] = {"plug_rate",	"unplug_rate", "unmovable",
				     "report_interval", "agent",       NULL};
	g_autofree char *where = vmem_sim_path(path, "guest");
	json_object *g = NULL;
	GError *inner = NULL;

	def->plug_rate = VMEM_SIZE_GIB;
	def->unplug_rate = 512 * VMEM_SIZE_MIB;
	def->report_interval = 1;
	def->agent = TRUE;
	if (!vmem_sim_get_object(obj, path, "guest", FALSE, &g, error))
		return FALSE;
	if (g == NULL)
		return TRUE;
	if (!vmem_sim_check_keys(g, where, known, error) ||
	    !vmem_sim_get_size(g, where, "plug_rate", FALSE, TRUE, &def->plug_rate, error) ||
	    !vmem_sim_get_size(g, where, "unplug_rate", FALSE, TRUE, &def->unplug_rate, error) ||
	    !vmem_sim_get_size(g, where, "unmovable", FALSE, FALSE, &def->unmovable, error) ||
	    !vmem_sim_get_number(g, where, "report_interval", FALSE, 0.001, 3600,
				 &def->report_interval, error))
		return FALSE;
	if (!vmem_json_get_bool(g, "agent", VMEM_JSON_OPTIONAL, &def->agent, &inner)) {
		g_autofree char *a_path = vmem_sim_path(where, "agent");

		vmem_sim_wrap_error(error, a_path, inner);
		return FALSE;
	}
	if (def->plug_rate == 0 || def->unplug_rate == 0) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %s is where in the scenario */
			    _("The scenario's %s has a plug or unplug rate of 0."), where);
		return FALSE;
	}
	return TRUE;
}

static VmemSimDomainDef *
vmem_sim_parse_domain(json_object *entry, const char *path, GError **error)
{
	const char *const known[] = {"name",  "base", "devices", "policy",
				     "guest", "load", "state",	 NULL};
	g_autoptr(VmemSimDomainDef) def = g_new0(VmemSimDomainDef, 1);
	const char *name = NULL;
	guint64 capacity = 0, block = 0;

	def->devices = g_ptr_array_new_with_free_func((GDestroyNotify)vmem_device_free);
	def->policy = vmem_policy_def_new();
	if (!vmem_sim_check_keys(entry, path, known, error) ||
	    !vmem_sim_get_string(entry, path, "name", TRUE, &name, error) ||
	    !vmem_sim_get_size(entry, path, "base", TRUE, FALSE, &def->base, error) ||
	    !vmem_sim_parse_devices(entry, path, def->devices, error))
		return NULL;
	def->name = g_strdup(name);
	for (guint i = 0; i < def->devices->len; i++) {
		const VmemDevice *dev = def->devices->pdata[i];

		capacity += dev->size;
		block = MAX(block, dev->block_size);
	}
	if (def->base == 0) {
		g_autofree char *b_path = vmem_sim_path(path, "base");

		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %s is where in the scenario */
			    _("The scenario's %s is 0: a guest boots with some memory."), b_path);
		return NULL;
	}
	if (!vmem_sim_parse_policy(entry, path, def->policy, capacity, block, error) ||
	    !vmem_sim_parse_guest(entry, path, def, error) ||
	    !vmem_sim_parse_timeline(entry, path, "load", "used", TRUE, &def->load, error) ||
	    !vmem_sim_parse_states(entry, path, &def->states, error))
		return NULL;
	if (def->load->len == 0) {
		g_autofree char *l_path = vmem_sim_path(path, "load");

		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %s is where in the scenario */
			    _("The scenario's %s is empty: give the guest's used memory at 0 s "
			      "at least."),
			    l_path);
		return NULL;
	}
	return g_steal_pointer(&def);
}

void
vmem_sim_scenario_free(VmemSimScenario *scenario)
{
	if (scenario == NULL)
		return;
	g_clear_pointer(&scenario->other_used, g_array_unref);
	g_clear_pointer(&scenario->domains, g_ptr_array_unref);
	g_free(scenario);
}

/**
 * vmem_sim_scenario_ticks:
 * @scenario: a parsed scenario
 *
 * Returns: how many ticks a run of @scenario has, the last one maybe
 *   shorter
 */
guint64
vmem_sim_scenario_ticks(const VmemSimScenario *scenario)
{
	return (guint64)ceil(scenario->duration / scenario->tick - 1e-9);
}

/**
 * vmem_sim_scenario_parse:
 * @text: the scenario, JSON
 * @len: its length in bytes
 * @error: return location for a %VMEM_ERROR_INVALID_DATA error that names
 *   the member at fault by its path
 *
 * Returns: (transfer full): the scenario, checked, defaults filled
 */
VmemSimScenario *
vmem_sim_scenario_parse(const char *text, gsize len, GError **error)
{
	const char *const known[] = {"duration", "tick", "host", "domains", NULL};
	const char *const host_known[] = {"memory", "reserve", "other_used", NULL};
	g_autoptr(json_object) root = NULL;
	g_autoptr(VmemSimScenario) scenario = g_new0(VmemSimScenario, 1);
	json_object *host = NULL, *domains = NULL;
	guint64 steps, samples;

	scenario->tick = 1;
	scenario->domains =
		g_ptr_array_new_with_free_func((GDestroyNotify)vmem_sim_domain_def_free);
	root = vmem_json_parse(text, len, VMEM_SIM_TEXT_MAX, 32, VMEM_JSON_PARSE_OBJECT, error);
	if (root == NULL)
		return NULL;
	if (!vmem_sim_check_keys(root, "", known, error) ||
	    !vmem_sim_get_number(root, "", "duration", TRUE, 0.001, VMEM_SIM_DURATION_MAX,
				 &scenario->duration, error) ||
	    !vmem_sim_get_number(root, "", "tick", FALSE, 0.001, 3600, &scenario->tick, error) ||
	    !vmem_sim_get_object(root, "", "host", TRUE, &host, error) ||
	    !vmem_sim_check_keys(host, "host", host_known, error) ||
	    !vmem_sim_get_size(host, "host", "memory", TRUE, FALSE, &scenario->host_memory,
			       error) ||
	    !vmem_sim_get_size(host, "host", "reserve", FALSE, FALSE, &scenario->host_reserve,
			       error) ||
	    !vmem_sim_parse_timeline(host, "host", "other_used", "used", FALSE,
				     &scenario->other_used, error) ||
	    !vmem_sim_get_array(root, "", "domains", TRUE, VMEM_SIM_DOMAINS_MAX, &domains, error))
		return NULL;
	if (scenario->host_reserve > scenario->host_memory) {
		g_set_error_literal(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: keep host.reserve and host.memory */
				    _("The scenario's host.reserve is more than its host.memory."));
		return NULL;
	}
	for (gsize i = 0; i < json_object_array_length(domains); i++) {
		g_autofree char *path = NULL;
		json_object *entry = NULL;
		VmemSimDomainDef *def;

		if (!vmem_sim_entry(domains, "domains", "domains", i, &entry, &path, error))
			return NULL;
		def = vmem_sim_parse_domain(entry, path, error);
		if (def == NULL)
			return NULL;
		for (guint j = 0; j < scenario->domains->len; j++) {
			if (g_str_equal(((VmemSimDomainDef *)scenario->domains->pdata[j])->name,
					def->name)) {
				g_set_error(
					error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
					/* TRANSLATORS: 1 where in the scenario; 2 a name */
					_("The scenario's %1$s has the name “%2$s” of an earlier "
					  "domain."),
					path, def->name);
				vmem_sim_domain_def_free(def);
				return NULL;
			}
		}
		g_ptr_array_add(scenario->domains, def);
	}
	if (scenario->domains->len == 0) {
		g_set_error_literal(
			error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			/* TRANSLATORS: keep "domains" */
			_("The scenario's domains is empty: give one domain at least."));
		return NULL;
	}
	if (scenario->tick > scenario->duration) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: 1 and 2 are times in seconds; keep tick and
			     * duration */
			    _("The scenario's tick is %1$g s, longer than its duration of %2$g s."),
			    scenario->tick, scenario->duration);
		return NULL;
	}
	steps = vmem_sim_scenario_ticks(scenario) * scenario->domains->len;
	if (steps > VMEM_SIM_STEPS_MAX) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: 1 and 2 are times in seconds, 3 a number of
			     * domains, 4 and 5 numbers of domain-ticks (a domain at one
			     * tick); keep duration, tick and domains */
			    ngettext("The scenario's duration of %1$g s at a tick of %2$g s for "
				     "%3$u domain makes %4$" G_GUINT64_FORMAT " domain-ticks, more "
				     "than the simulator's limit of %5$" G_GUINT64_FORMAT
				     ": use a longer tick, a shorter duration or fewer domains.",
				     "The scenario's duration of %1$g s at a tick of %2$g s for "
				     "%3$u domains makes %4$" G_GUINT64_FORMAT
				     " domain-ticks, more "
				     "than the simulator's limit of %5$" G_GUINT64_FORMAT
				     ": use a longer tick, a shorter duration or fewer domains.",
				     scenario->domains->len),
			    scenario->duration, scenario->tick, scenario->domains->len, steps,
			    VMEM_SIM_STEPS_MAX);
		return NULL;
	}
	samples = steps * vmem_sim_samples(scenario->tick);
	if (samples > VMEM_SIM_SAMPLES_MAX) {
		g_set_error(
			error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			/* TRANSLATORS: 1 and 2 are times in seconds, 3 a number of
			 * domains, 4 and 5 numbers of domain-samples (a domain at one
			 * moment the simulator looks at); keep duration, tick and
			 * domains */
			ngettext(
				"The scenario's duration of %1$g s at a tick of %2$g s for "
				"%3$u domain makes %4$" G_GUINT64_FORMAT " domain-samples (one "
				"every 0.25 s), more than the simulator's limit of %5$" G_GUINT64_FORMAT
				": use a shorter duration or fewer domains.",
				"The scenario's duration of %1$g s at a tick of %2$g s for "
				"%3$u domains makes %4$" G_GUINT64_FORMAT " domain-samples (one "
				"every 0.25 s), more than the simulator's limit of %5$" G_GUINT64_FORMAT
				": use a shorter duration or fewer domains.",
				scenario->domains->len),
			scenario->duration, scenario->tick, scenario->domains->len, samples,
			VMEM_SIM_SAMPLES_MAX);
		return NULL;
	}
	return g_steal_pointer(&scenario);
}

/* The value of @points at @t, @index being the last point at or before
 * @t (0 when @t is before them all): the first point's before it, each
 * point's from its time on, reached linearly over its ramp */
static guint64
vmem_sim_timeline_value(GArray *points, guint index, double t)
{
	const VmemSimPoint *p = &g_array_index(points, VmemSimPoint, index);
	guint64 previous;

	if (index == 0 || p->ramp <= 0 || t >= p->t + p->ramp)
		return p->value;
	previous = g_array_index(points, VmemSimPoint, index - 1).value;
	return previous + (gint64)(((double)p->value - (double)previous) * ((t - p->t) / p->ramp));
}

/**
 * vmem_sim_timeline_follow:
 * @points: (element-type VmemSimPoint): a timeline
 * @t: a time, seconds, not before the one of the previous call with
 *   @cursor
 * @cursor: (inout): where the previous call stopped, 0 at first
 *
 * vmem_sim_timeline_at() for a time that only moves forward: each point is
 * passed once over all the calls, so a run costs as much per tick however
 * many points its timelines have.
 *
 * Returns: the value at @t
 */
guint64
vmem_sim_timeline_follow(GArray *points, double t, guint *cursor)
{
	if (points == NULL || points->len == 0)
		return 0;
	while (*cursor + 1 < points->len && g_array_index(points, VmemSimPoint, *cursor + 1).t <= t)
		(*cursor)++;
	return vmem_sim_timeline_value(points, *cursor, t);
}

/**
 * vmem_sim_timeline_at:
 * @points: (element-type VmemSimPoint): a timeline
 * @t: a time, seconds
 *
 * Returns: its value at @t: the first point's before it, each point's from
 *   its time on, reached linearly over its ramp
 */
guint64
vmem_sim_timeline_at(GArray *points, double t)
{
	guint cursor = 0;

	return vmem_sim_timeline_follow(points, t, &cursor);
}
