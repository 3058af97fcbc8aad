/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemctl policy get and set: the <virtmem:policy> of a domain, kept in
 * its libvirt metadata.
 *
 * `get` reads the policy from the live or the persistent definition and
 * prints every setting with its effective value and whether it is the
 * default.  `set` merges the options given into the policy of each
 * definition it changes (the settings not given keep their values, and
 * those never set stay defaults), checks the result by the policy's rules
 * (the ones `virtmemctl validate` applies: vmem_domain_def_edit_policy())
 * and only then writes it with virDomainSetMetadata(), with virsh's --live
 * and --config.  libvirt then emits a metadata-change event, which a
 * running virtmemd follows.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <json-c/json.h>
#include <libvirt/libvirt.h>

#include "virtmemctl-policy-edit.h"
#include "vmem-backend-libvirt.h"
#include "vmem-domain.h"
#include "vmem-error.h"
#include "vmem-excerpt.h"
#include "vmem-json.h"
#include "vmem-libvirt.h"
#include "vmem-size.h"

typedef enum {
	FIELD_KIND_MODE,
	FIELD_KIND_SIZE, /* guint64 KiB */
	FIELD_KIND_PERCENT,
	FIELD_KIND_SECONDS,
	FIELD_KIND_NUMBER,
	FIELD_KIND_YES_NO,
} VmemCtlPolicyFieldKind;

typedef enum {
	FIELD_MODE,
	FIELD_MIN,
	FIELD_MAX,
	FIELD_BUFFER,
	FIELD_STEP,
	FIELD_COOLDOWN_GROW,
	FIELD_COOLDOWN_SHRINK,
	FIELD_PRIORITY,
	FIELD_SQUEEZE,
	N_FIELDS,
} VmemCtlPolicyFieldId;

/* A setting of the policy: what `get` prints it as and `set` takes it as
 * (--NAME), its key in `get --json`, where findings name it, and where it
 * is in a VmemPolicyDef. */
typedef struct {
	const char *name;
	const char *json_key;
	const char *location;
	VmemCtlPolicyFieldKind kind;
	glong has_offset;
	glong value_offset;
} VmemCtlPolicyField;

#define FIELD(name, key, where, kind, has, value)                                                  \
	{                                                                                          \
		name, key, VMEM_POLICY_LOCATION where, kind, G_STRUCT_OFFSET(VmemPolicyDef, has),  \
			G_STRUCT_OFFSET(VmemPolicyDef, value)                                      \
	}

static const VmemCtlPolicyField fields[N_FIELDS] = {
	FIELD("mode", "mode", "/@mode", FIELD_KIND_MODE, has_mode, mode),
	FIELD("min", "min", "/virtmem:min", FIELD_KIND_SIZE, has_min, min_kib),
	FIELD("max", "max", "/virtmem:max", FIELD_KIND_SIZE, has_max, max_kib),
	FIELD("buffer", "buffer_percent", "/virtmem:buffer/@percent", FIELD_KIND_PERCENT,
	      has_buffer, buffer_percent),
	FIELD("step", "step", "/virtmem:step", FIELD_KIND_SIZE, has_step, step_kib),
	FIELD("cooldown-grow", "cooldown_grow_seconds", "/virtmem:cooldown/@grow",
	      FIELD_KIND_SECONDS, has_cooldown_grow, cooldown_grow_s),
	FIELD("cooldown-shrink", "cooldown_shrink_seconds", "/virtmem:cooldown/@shrink",
	      FIELD_KIND_SECONDS, has_cooldown_shrink, cooldown_shrink_s),
	FIELD("priority", "priority", "/virtmem:priority", FIELD_KIND_NUMBER, has_priority,
	      priority),
	FIELD("squeeze", "squeeze", "/virtmem:save/@squeeze", FIELD_KIND_YES_NO, has_squeeze,
	      squeeze),
};

#undef FIELD

static gboolean
vmem_ctl_policy_field_is_set(const VmemPolicyDef *policy, const VmemCtlPolicyField *field)
{
	return G_STRUCT_MEMBER(gboolean, policy, field->has_offset);
}

/* The field's value, whatever its type */
static guint64
vmem_ctl_policy_field_get(const VmemPolicyDef *policy, const VmemCtlPolicyField *field)
{
	switch (field->kind) {
	case FIELD_KIND_MODE:
		return G_STRUCT_MEMBER(VmemPolicyMode, policy, field->value_offset);
	case FIELD_KIND_SIZE:
		return G_STRUCT_MEMBER(guint64, policy, field->value_offset);
	case FIELD_KIND_PERCENT:
	case FIELD_KIND_SECONDS:
	case FIELD_KIND_NUMBER:
		return G_STRUCT_MEMBER(guint, policy, field->value_offset);
	case FIELD_KIND_YES_NO:
		return G_STRUCT_MEMBER(gboolean, policy, field->value_offset) ? 1 : 0;
	}
	g_assert_not_reached();
}

static void
vmem_ctl_policy_field_set(VmemPolicyDef *policy, const VmemCtlPolicyField *field, guint64 value)
{
	switch (field->kind) {
	case FIELD_KIND_MODE:
		G_STRUCT_MEMBER(VmemPolicyMode, policy, field->value_offset) =
			(VmemPolicyMode)value;
		break;
	case FIELD_KIND_SIZE:
		G_STRUCT_MEMBER(guint64, policy, field->value_offset) = value;
		break;
	case FIELD_KIND_PERCENT:
	case FIELD_KIND_SECONDS:
	case FIELD_KIND_NUMBER:
		G_STRUCT_MEMBER(guint, policy, field->value_offset) = (guint)value;
		break;
	case FIELD_KIND_YES_NO:
		G_STRUCT_MEMBER(gboolean, policy, field->value_offset) = value != 0;
		break;
	}
	G_STRUCT_MEMBER(gboolean, policy, field->has_offset) = TRUE;
}

/* The setting that a finding at @location is about, or %NULL */
static const VmemCtlPolicyField *
vmem_ctl_policy_field_at(const char *location)
{
	for (guint i = 0; i < N_FIELDS; i++) {
		if (g_str_equal(location, fields[i].location))
			return &fields[i];
	}
	return NULL;
}

/* Whether both policies set the same fields to the same values */
static gboolean
vmem_ctl_policy_equal(const VmemPolicyDef *a, const VmemPolicyDef *b)
{
	for (guint i = 0; i < N_FIELDS; i++) {
		gboolean set = vmem_ctl_policy_field_is_set(a, &fields[i]);

		if (set != vmem_ctl_policy_field_is_set(b, &fields[i]))
			return FALSE;
		if (set && vmem_ctl_policy_field_get(a, &fields[i]) !=
				   vmem_ctl_policy_field_get(b, &fields[i]))
			return FALSE;
	}
	return TRUE;
}

/* The value for people: sizes as everywhere, the rest as `set` takes it */
static char *
vmem_ctl_policy_field_format(const VmemPolicyDef *policy, const VmemCtlPolicyField *field)
{
	guint64 value = vmem_ctl_policy_field_get(policy, field);

	switch (field->kind) {
	case FIELD_KIND_MODE:
		return g_strdup(vmem_policy_mode_to_string((VmemPolicyMode)value));
	case FIELD_KIND_SIZE:
		return vmem_size_format_kib(value);
	case FIELD_KIND_PERCENT:
		/* TRANSLATORS: a percentage of guest memory, such as "20 %" */
		return g_strdup_printf(_("%u %%"), (guint)value);
	case FIELD_KIND_SECONDS:
		/* TRANSLATORS: a time in seconds, such as "30 s" */
		return g_strdup_printf(_("%u s"), (guint)value);
	case FIELD_KIND_NUMBER:
		return g_strdup_printf("%u", (guint)value);
	case FIELD_KIND_YES_NO:
		return g_strdup(value != 0 ? "yes" : "no");
	}
	g_assert_not_reached();
}

static json_object *
vmem_ctl_policy_field_to_json(const VmemPolicyDef *policy, const VmemCtlPolicyField *field)
{
	guint64 value = vmem_ctl_policy_field_get(policy, field);

	switch (field->kind) {
	case FIELD_KIND_MODE:
		return json_object_new_string(vmem_policy_mode_to_string((VmemPolicyMode)value));
	case FIELD_KIND_SIZE:
		return json_object_new_uint64(value * VMEM_SIZE_KIB);
	case FIELD_KIND_PERCENT:
	case FIELD_KIND_SECONDS:
	case FIELD_KIND_NUMBER:
		return json_object_new_uint64(value);
	case FIELD_KIND_YES_NO:
		return json_object_new_boolean(value != 0);
	}
	g_assert_not_reached();
}

/* Reads the value of `set --NAME ARG` into @changes; a malformed one is a
 * %VMEM_ERROR_INVALID_ARGUMENT error naming the option.  Ranges are the
 * policy's rules, checked with the domain. */
static gboolean
vmem_ctl_policy_parse_field(const VmemCtlPolicyField *field, const char *arg,
			    VmemPolicyDef *changes, GError **error)
{
	g_autofree char *quoted = vmem_excerpt(arg);
	g_autoptr(GError) local_error = NULL;
	VmemPolicyMode mode;
	guint64 value = 0;

	switch (field->kind) {
	case FIELD_KIND_MODE:
		if (!vmem_policy_mode_from_string(arg, &mode)) {
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
				    /* TRANSLATORS: 1 an option such as mode (--mode), 2 what the
				       user gave; keep off, manual and auto */
				    _("--%1$s takes off, manual or auto, not “%2$s”."), field->name,
				    quoted);
			return FALSE;
		}
		value = mode;
		break;
	case FIELD_KIND_SIZE:
		if (!vmem_size_parse_arg(arg, &value, &local_error)) {
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT, "--%s: %s",
				    field->name, local_error->message);
			return FALSE;
		}
		if (value % VMEM_SIZE_KIB != 0) {
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
				    /* TRANSLATORS: 1 an option such as min (--min), 2 what the
				       user gave */
				    _("--%1$s: %2$s is not a whole number of KiB, which the policy "
				      "counts in."),
				    field->name, quoted);
			return FALSE;
		}
		value /= VMEM_SIZE_KIB;
		break;
	case FIELD_KIND_PERCENT:
	case FIELD_KIND_SECONDS:
	case FIELD_KIND_NUMBER:
		if (!g_ascii_string_to_unsigned(arg, 10, 0, G_MAXINT, &value, NULL)) {
			g_set_error(
				error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
				field->kind == FIELD_KIND_PERCENT
					/* TRANSLATORS: 1 an option such as buffer (--buffer),
					   2 what the user gave */
					? _("--%1$s takes a whole number of percent, such as 20, "
					    "not “%2$s”.")
					: field->kind == FIELD_KIND_SECONDS
						  /* TRANSLATORS: 1 an option such as cooldown-grow,
						     2 what the user gave */
						  ? _("--%1$s takes a whole number of seconds, not “%2$s”.")
						  /* TRANSLATORS: 1 an option such as priority,
						     2 what the user gave */
						  : _("--%1$s takes a whole number, not “%2$s”."),
				field->name, quoted);
			return FALSE;
		}
		break;
	case FIELD_KIND_YES_NO:
		if (!g_str_equal(arg, "yes") && !g_str_equal(arg, "no")) {
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
				    /* TRANSLATORS: 1 an option such as squeeze (--squeeze), 2 what
				       the user gave; keep yes and no */
				    _("--%1$s takes yes or no, not “%2$s”."), field->name, quoted);
			return FALSE;
		}
		value = g_str_equal(arg, "yes");
		break;
	}
	vmem_ctl_policy_field_set(changes, field, value);
	return TRUE;
}

/* The libvirt domain @name; the policy lives in libvirt's metadata, so
 * another VMM is an error. */
static virDomainPtr
vmem_ctl_policy_open(VmemCtl *ctl, const char *name, VmemBackend **ret_backend, GError **error)
{
	g_autoptr(VmemBackend) backend = vmem_ctl_connect(ctl, error);
	virDomainPtr dom;

	if (backend == NULL)
		return NULL;
	if (!VMEM_IS_BACKEND_LIBVIRT(backend)) {
		g_set_error_literal(
			error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			/* TRANSLATORS: keep “policy get” and “policy set” */
			_("The policy is kept in libvirt's domain metadata, which a QEMU "
			  "run without libvirt does not have: policy get and policy set "
			  "need a libvirt URI."));
		return NULL;
	}
	dom = vmem_backend_libvirt_lookup(backend, name, error);
	if (dom != NULL)
		*ret_backend = g_steal_pointer(&backend);
	return dom;
}

/* Whether @dom runs and has a persistent definition */
static gboolean
vmem_ctl_policy_state(virDomainPtr dom, gboolean *ret_active, gboolean *ret_persistent,
		      GError **error)
{
	int active = virDomainIsActive(dom);
	int persistent = active < 0 ? -1 : virDomainIsPersistent(dom);

	if (persistent < 0) {
		vmem_libvirt_set_error(error);
		return FALSE;
	}
	*ret_active = active == 1;
	*ret_persistent = persistent == 1;
	return TRUE;
}

/* The model of the live (or with @config the persistent) definition */
static VmemDomainDef *
vmem_ctl_policy_read(virDomainPtr dom, gboolean config, GPtrArray *findings, GError **error)
{
	g_autofree char *xml = virDomainGetXMLDesc(dom, config ? VIR_DOMAIN_XML_INACTIVE : 0);

	if (xml == NULL) {
		vmem_libvirt_set_error(error);
		return NULL;
	}
	return vmem_domain_def_parse(xml, strlen(xml), findings, error);
}

static gboolean
vmem_ctl_policy_is_about_policy(const VmemFinding *finding)
{
	return g_str_has_prefix(finding->location, VMEM_POLICY_LOCATION);
}

static void
vmem_ctl_policy_print_get_json(const char *name, gboolean config, const VmemPolicyDef *sparse,
			       const VmemPolicyDef *effective)
{
	g_autoptr(json_object) root = json_object_new_object();
	json_object *policy = json_object_new_object();

	json_object_object_add(root, "domain", json_object_new_string(name));
	json_object_object_add(root, "definition",
			       json_object_new_string(config ? "config" : "live"));
	json_object_object_add(root, "has_policy", json_object_new_boolean(sparse != NULL));
	for (guint i = 0; i < N_FIELDS; i++) {
		json_object *obj = json_object_new_object();
		gboolean set = sparse != NULL && vmem_ctl_policy_field_is_set(sparse, &fields[i]);

		json_object_object_add(obj, "value",
				       vmem_ctl_policy_field_to_json(effective, &fields[i]));
		json_object_object_add(obj, "default", json_object_new_boolean(!set));
		json_object_object_add(policy, fields[i].json_key, obj);
	}
	json_object_object_add(root, "policy", policy);
	vmem_ctl_print_json(root);
}

static void
vmem_ctl_policy_print_get_text(const char *name, gboolean config, const VmemPolicyDef *sparse,
			       const VmemPolicyDef *effective)
{
	const char *headings[] = {
		/* TRANSLATORS: column heading of `virtmemctl policy get`: a setting */
		_("SETTING"),
		/* TRANSLATORS: column heading: its value */
		_("VALUE"),
		/* TRANSLATORS: column heading: where the value comes from, the domain's
		   policy or the default */
		_("FROM"),
	};
	g_autoptr(VmemCtlTable) table = vmem_ctl_table_new(G_N_ELEMENTS(headings), headings, NULL);
	g_autofree char *text = NULL;

	if (sparse == NULL && config)
		/* TRANSLATORS: %s is a domain name */
		g_print(_("%s has no virtmem policy in its persistent configuration; these are the "
			  "defaults:\n"),
			name);
	else if (sparse == NULL)
		/* TRANSLATORS: %s is a domain name */
		g_print(_("%s has no virtmem policy as it runs; these are the defaults:\n"), name);
	else if (config)
		/* TRANSLATORS: %s is a domain name */
		g_print(_("The virtmem policy of %s in its persistent configuration:\n"), name);
	else
		/* TRANSLATORS: %s is a domain name */
		g_print(_("The virtmem policy of %s as it runs:\n"), name);
	for (guint i = 0; i < N_FIELDS; i++) {
		g_autofree char *value = vmem_ctl_policy_field_format(effective, &fields[i]);
		gboolean set = sparse != NULL && vmem_ctl_policy_field_is_set(sparse, &fields[i]);
		const char *cells[] = {
			fields[i].name,
			value,
			/* TRANSLATORS: in the FROM column: the value is set in the policy */
			set ? _("policy")
			    /* TRANSLATORS: in the FROM column: the value is the default */
			    : _("default"),
		};

		vmem_ctl_table_add_row(table, cells);
	}
	text = vmem_ctl_table_format(table);
	g_print("%s", text);
}

static int
vmem_ctl_policy_usage(VmemCtl *ctl, GError *error)
{
	vmem_ctl_print_error(ctl, error);
	return VMEM_CTL_EXIT_FAILURE;
}

/**
 * vmem_ctl_policy_get:
 *
 * Runs `virtmemctl policy get DOMAIN [--json] [--live|--config|--inactive]`.
 *
 * Returns: a #VmemCtlExit
 */
int
vmem_ctl_policy_get(VmemCtl *ctl, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GPtrArray) args = NULL;
	g_autoptr(VmemBackend) backend = NULL;
	g_autoptr(virDomain) dom = NULL;
	g_autoptr(VmemDomainDef) def = NULL;
	g_autoptr(VmemPolicyDef) sparse = NULL;
	g_autoptr(VmemPolicyDef) defaults = NULL;
	g_autoptr(GPtrArray) findings = vmem_findings_new();
	const VmemPolicyDef *effective;
	gboolean json = FALSE, live = FALSE, config = FALSE, inactive = FALSE;
	gboolean active = FALSE, persistent = FALSE;
	const char *name;
	const GOptionEntry entries[] = {
		/* TRANSLATORS: help of --json */
		{"json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL},
		{"live", 0, 0, G_OPTION_ARG_NONE, &live,
		 /* TRANSLATORS: help of policy get --live */
		 N_("Read the policy of the running domain"), NULL},
		{"config", 0, 0, G_OPTION_ARG_NONE, &config,
		 /* TRANSLATORS: help of policy get --config */
		 N_("Read the policy of the persistent configuration"), NULL},
		{"inactive", 0, 0, G_OPTION_ARG_NONE, &inactive,
		 /* TRANSLATORS: help of policy get --inactive; keep --config */
		 N_("The same as --config"), NULL},
		{NULL},
	};

	context = vmem_ctl_option_context_new(
		"policy get",
		/* TRANSLATORS: the arguments of `virtmemctl policy get` in its --help */
		_("DOMAIN"),
		/* TRANSLATORS: summary of `virtmemctl policy get --help`; keep DOMAIN and the
		   --options */
		_("Show the virtmem policy of DOMAIN (its name, id or UUID): every setting, its "
		  "value and whether it is the default. Without --live or --config, a running "
		  "domain's live definition, else its persistent configuration."),
		entries);
	if (!vmem_ctl_parse_options(context, &argc, &argv, &args, &error))
		return vmem_ctl_policy_usage(ctl, error);
	config = config || inactive;
	if (args->len != 1) {
		g_set_error_literal(&error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
				    /* TRANSLATORS: usage error; keep “policy get” */
				    _("policy get takes a domain."));
		return vmem_ctl_policy_usage(ctl, error);
	}
	if (live && config) {
		g_set_error_literal(
			&error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			/* TRANSLATORS: usage error; keep the --options */
			_("--live and --config (or --inactive) read different definitions: give "
			  "one of them."));
		return vmem_ctl_policy_usage(ctl, error);
	}

	dom = vmem_ctl_policy_open(ctl, args->pdata[0], &backend, &error);
	if (dom == NULL || !vmem_ctl_policy_state(dom, &active, &persistent, &error)) {
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_ERROR;
	}
	name = virDomainGetName(dom);
	if (live && !active) {
		g_set_error(&error, VMEM_ERROR, VMEM_ERROR_NOT_RUNNING,
			    /* TRANSLATORS: %s is a domain name; keep --live and --config */
			    _("Domain %s is not running, so it has no live definition for --live; "
			      "use --config."),
			    name);
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_ERROR;
	}
	if (config && !persistent) {
		g_set_error(&error, VMEM_ERROR, VMEM_ERROR_NOT_FOUND,
			    /* TRANSLATORS: %s is a domain name; keep --config and --live */
			    _("Domain %s is transient: it has no persistent configuration for "
			      "--config; use --live."),
			    name);
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_ERROR;
	}
	config = config || !active;
	def = vmem_ctl_policy_read(dom, config, findings, &error);
	if (def == NULL) {
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_ERROR;
	}
	/* a malformed value counts as not set: say so, then show the default */
	for (guint i = 0; i < findings->len; i++) {
		const VmemFinding *finding = g_ptr_array_index(findings, i);

		if (vmem_ctl_policy_is_about_policy(finding)) {
			g_autofree char *line = vmem_finding_to_string(finding);

			g_printerr("%s: %s\n", ctl->prgname, line);
		}
	}
	if (def->policy != NULL)
		sparse = vmem_policy_def_copy(def->policy);
	vmem_domain_def_postparse(def);
	effective = def->policy;
	if (effective == NULL) {
		defaults = vmem_policy_def_new();
		vmem_policy_def_postparse(defaults, vmem_domain_def_get_virtio_mem_kib(def),
					  vmem_domain_def_get_largest_block_kib(def));
		effective = defaults;
	}
	if (json)
		vmem_ctl_policy_print_get_json(name, config, sparse, effective);
	else
		vmem_ctl_policy_print_get_text(name, config, sparse, effective);
	return VMEM_CTL_EXIT_OK;
}

/*
 * What keeps `set` from writing, and what it only warns about, one line
 * each without duplicates (live and persistent definitions often say the
 * same).
 */
typedef struct {
	GPtrArray *refusals;
	GPtrArray *warnings;
} VmemCtlPolicyVerdict;

static void
vmem_ctl_policy_add_line(GPtrArray *lines, char *line)
{
	if (g_ptr_array_find_with_equal_func(lines, line, g_str_equal, NULL))
		g_free(line);
	else
		g_ptr_array_add(lines, line);
}

/*
 * Judges one finding on the policy to be written.  @from_parse: a malformed
 * value already in the domain's policy, which an option given replaces.
 * Errors refuse; so does a size of an option given that is not a whole
 * number of blocks, since virtmem would use another (nothing is rounded
 * behind the user's back, as with resize).  Other warnings are told.
 */
static void
vmem_ctl_policy_judge(const VmemFinding *finding, gboolean from_parse, char *const *given,
		      VmemCtlPolicyVerdict *verdict)
{
	const VmemCtlPolicyField *field = vmem_ctl_policy_field_at(finding->location);
	const char *arg = field != NULL ? given[field - fields] : NULL;
	g_autofree char *quoted = arg != NULL ? vmem_excerpt(arg) : NULL;
	gboolean refuse;
	char *line;

	if (from_parse && arg != NULL)
		return;
	refuse = finding->severity == VMEM_SEVERITY_ERROR ||
		 (arg != NULL && g_str_equal(finding->code, "policy-unaligned"));
	if (!refuse) {
		vmem_ctl_policy_add_line(verdict->warnings, g_strdup(finding->message));
		return;
	}
	if (arg != NULL && finding->severity != VMEM_SEVERITY_ERROR)
		/* TRANSLATORS: 1 an option such as min (--min), 2 its value as given,
		   3 that it is not a whole number of blocks and what virtmem would use,
		   a sentence */
		line = g_strdup_printf(_("--%1$s %2$s: %3$s Give a whole number of blocks: "
					 "virtmemctl does not round."),
				       field->name, quoted, finding->message);
	else if (arg != NULL)
		/* TRANSLATORS: 1 an option such as min (--min), 2 its value as given,
		   3 what is wrong with it, a sentence */
		line = g_strdup_printf(_("--%1$s %2$s: %3$s"), field->name, quoted,
				       finding->message);
	else if (field != NULL)
		/* TRANSLATORS: 1 a setting such as max, also an option (--max), 2 what is
		   wrong with it, a sentence */
		line = g_strdup_printf(_("%1$s, as the policy already sets it (--%1$s changes "
					 "it): %2$s"),
				       field->name, finding->message);
	else
		line = g_strdup(finding->message);
	vmem_ctl_policy_add_line(verdict->refusals, line);
}

/*
 * Merges @changes into the policy of the live (@config: the persistent)
 * definition of @dom and checks it.
 *
 * Returns: (transfer full): the policy to write, or %NULL with @error set
 *   when the definition cannot be read
 */
static VmemPolicyDef *
vmem_ctl_policy_edit(virDomainPtr dom, gboolean config, const VmemPolicyDef *changes,
		     char *const *given, VmemCtlPolicyVerdict *verdict, GError **error)
{
	g_autoptr(GPtrArray) parse_findings = vmem_findings_new();
	g_autoptr(GPtrArray) findings = vmem_findings_new();
	g_autoptr(VmemDomainDef) def = vmem_ctl_policy_read(dom, config, parse_findings, error);
	g_autoptr(VmemPolicyDef) policy = NULL;

	if (def == NULL)
		return NULL;
	policy = vmem_domain_def_edit_policy(def, changes, findings);
	for (guint i = 0; i < parse_findings->len; i++) {
		const VmemFinding *finding = g_ptr_array_index(parse_findings, i);

		if (vmem_ctl_policy_is_about_policy(finding))
			vmem_ctl_policy_judge(finding, TRUE, given, verdict);
	}
	for (guint i = 0; i < findings->len; i++)
		vmem_ctl_policy_judge(g_ptr_array_index(findings, i), FALSE, given, verdict);
	return g_steal_pointer(&policy);
}

/**
 * vmem_ctl_policy_set:
 *
 * Runs `virtmemctl policy set DOMAIN [--mode MODE] ... [--live] [--config]`.
 *
 * Returns: a #VmemCtlExit
 */
int
vmem_ctl_policy_set(VmemCtl *ctl, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GPtrArray) args = NULL;
	g_autoptr(VmemBackend) backend = NULL;
	g_autoptr(virDomain) dom = NULL;
	g_autoptr(VmemPolicyDef) changes = vmem_policy_def_new();
	g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
	VmemCtlPolicyVerdict verdict = {refusals, warnings};
	g_autoptr(VmemPolicyDef) live_policy = NULL;
	g_autoptr(VmemPolicyDef) config_policy = NULL;
	char *given[N_FIELDS] = {NULL};
	gboolean live = FALSE, config = FALSE, active = FALSE, persistent = FALSE;
	gboolean any = FALSE, ok = TRUE;
	const char *name;
	const GOptionEntry entries[] = {
		{"mode", 0, 0, G_OPTION_ARG_STRING, &given[FIELD_MODE],
		 /* TRANSLATORS: help of policy set --mode; keep auto, manual and off */
		 N_("auto: the daemon resizes the domain; manual: only explicit resizes; off: "
		    "the daemon leaves it alone"),
		 /* TRANSLATORS: the argument of --mode in --help; keep the values */
		 N_("auto|manual|off")},
		{"min", 0, 0, G_OPTION_ARG_STRING, &given[FIELD_MIN],
		 /* TRANSLATORS: help of policy set --min */
		 N_("The least virtio-mem memory to keep plugged"), N_("SIZE")},
		{"max", 0, 0, G_OPTION_ARG_STRING, &given[FIELD_MAX],
		 /* TRANSLATORS: help of policy set --max */
		 N_("The most virtio-mem memory to plug"), N_("SIZE")},
		{"buffer", 0, 0, G_OPTION_ARG_STRING, &given[FIELD_BUFFER],
		 /* TRANSLATORS: help of policy set --buffer */
		 N_("How much of its memory the guest should have available, in percent (0 to "
		    "90)"),
		 /* TRANSLATORS: the argument of --buffer in --help */
		 N_("PERCENT")},
		{"step", 0, 0, G_OPTION_ARG_STRING, &given[FIELD_STEP],
		 /* TRANSLATORS: help of policy set --step */
		 N_("How much to shrink at a time (and to grow on memory pressure alone)"),
		 N_("SIZE")},
		{"cooldown-grow", 0, 0, G_OPTION_ARG_STRING, &given[FIELD_COOLDOWN_GROW],
		 /* TRANSLATORS: help of policy set --cooldown-grow */
		 N_("The least time between two grows"), N_("SECONDS")},
		{"cooldown-shrink", 0, 0, G_OPTION_ARG_STRING, &given[FIELD_COOLDOWN_SHRINK],
		 /* TRANSLATORS: help of policy set --cooldown-shrink */
		 N_("How long memory must be in excess, and the last grow past, before a shrink"),
		 N_("SECONDS")},
		{"priority", 0, 0, G_OPTION_ARG_STRING, &given[FIELD_PRIORITY],
		 /* TRANSLATORS: help of policy set --priority */
		 N_("Under host pressure, 1 gives memory back first and 10 keeps it longest"),
		 /* TRANSLATORS: the argument of --priority in --help */
		 N_("N")},
		{"squeeze", 0, 0, G_OPTION_ARG_STRING, &given[FIELD_SQUEEZE],
		 /* TRANSLATORS: help of policy set --squeeze */
		 N_("Whether to unplug unneeded memory before a save or migration"),
		 /* TRANSLATORS: the argument of --squeeze in --help; keep the values */
		 N_("yes|no")},
		{"live", 0, 0, G_OPTION_ARG_NONE, &live,
		 /* TRANSLATORS: help of policy set --live */
		 N_("Change the policy of the running domain"), NULL},
		{"config", 0, 0, G_OPTION_ARG_NONE, &config,
		 /* TRANSLATORS: help of policy set --config */
		 N_("Change the policy of the persistent configuration"), NULL},
		{NULL},
	};

	context = vmem_ctl_option_context_new(
		"policy set",
		/* TRANSLATORS: the arguments of `virtmemctl policy set` in its --help */
		_("DOMAIN"),
		/* TRANSLATORS: summary of `virtmemctl policy set --help`; keep DOMAIN,
		   SIZE, the --options and the sizes */
		_("Change settings of the virtmem policy of DOMAIN (its name, id or UUID); the "
		  "others keep their values. The result is checked by the rules of virtmemctl "
		  "validate before anything is written. Like virsh: --live, --config or both; "
		  "without them the domain's current state. SIZE is a whole number with an "
		  "optional unit, such as 512M or 2G; a number without unit is in KiB, as in "
		  "virsh."),
		entries);
	ok = vmem_ctl_parse_options(context, &argc, &argv, &args, &error);
	if (ok && args->len != 1) {
		g_set_error_literal(&error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
				    /* TRANSLATORS: usage error; keep “policy set” */
				    _("policy set takes a domain."));
		ok = FALSE;
	}
	for (guint i = 0; ok && i < N_FIELDS; i++) {
		if (given[i] != NULL) {
			ok = vmem_ctl_policy_parse_field(&fields[i], given[i], changes, &error);
			any = TRUE;
		}
	}
	if (ok && !any) {
		g_set_error_literal(
			&error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			/* TRANSLATORS: usage error; keep the --options */
			_("policy set needs a setting to change: --mode, --min, --max, --buffer, "
			  "--step, --cooldown-grow, --cooldown-shrink, --priority or --squeeze."));
		ok = FALSE;
	}
	if (!ok) {
		for (guint i = 0; i < N_FIELDS; i++)
			g_free(given[i]);
		return vmem_ctl_policy_usage(ctl, error);
	}

	dom = vmem_ctl_policy_open(ctl, args->pdata[0], &backend, &error);
	ok = dom != NULL && vmem_ctl_policy_state(dom, &active, &persistent, &error);
	name = dom != NULL ? virDomainGetName(dom) : NULL;
	if (ok && live && !active) {
		g_set_error(&error, VMEM_ERROR, VMEM_ERROR_NOT_RUNNING,
			    /* TRANSLATORS: %s is a domain name; keep --live and --config */
			    _("Domain %s is not running, so --live has nothing to change; use "
			      "--config."),
			    name);
		ok = FALSE;
	}
	if (ok && config && !persistent) {
		g_set_error(&error, VMEM_ERROR, VMEM_ERROR_NOT_FOUND,
			    /* TRANSLATORS: %s is a domain name; keep --config and --live */
			    _("Domain %s is transient: it has no persistent configuration for "
			      "--config; use --live."),
			    name);
		ok = FALSE;
	}
	/* Without --live or --config, libvirt changes the definition of the
	 * current state: the live one of a running domain. */
	if (ok && (live || (!config && active)))
		ok = (live_policy = vmem_ctl_policy_edit(dom, FALSE, changes, given, &verdict,
							 &error)) != NULL;
	if (ok && (config || (!live && !active)))
		ok = (config_policy = vmem_ctl_policy_edit(dom, TRUE, changes, given, &verdict,
							   &error)) != NULL;
	for (guint i = 0; i < N_FIELDS; i++)
		g_free(given[i]);
	if (!ok) {
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_ERROR;
	}
	if (refusals->len > 0) {
		for (guint i = 0; i < refusals->len; i++)
			g_printerr("%s: %s\n", ctl->prgname, (const char *)refusals->pdata[i]);
		/* TRANSLATORS: 1 the program, 2 a domain name */
		g_printerr(_("%1$s: The policy of %2$s was not changed.\n"), ctl->prgname, name);
		return VMEM_CTL_EXIT_FAILURE;
	}
	for (guint i = 0; i < warnings->len; i++)
		/* TRANSLATORS: 1 the program, 2 a warning, a sentence */
		g_printerr(_("%1$s: warning: %2$s\n"), ctl->prgname,
			   (const char *)warnings->pdata[i]);

	if (!live && !config)
		ok = vmem_backend_libvirt_set_policy(
			dom, live_policy != NULL ? live_policy : config_policy,
			VIR_DOMAIN_AFFECT_CURRENT, &error);
	else if (live && config && vmem_ctl_policy_equal(live_policy, config_policy))
		ok = vmem_backend_libvirt_set_policy(
			dom, live_policy, VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG,
			&error);
	else
		ok = (!live || vmem_backend_libvirt_set_policy(dom, live_policy,
							       VIR_DOMAIN_AFFECT_LIVE, &error)) &&
		     (!config || vmem_backend_libvirt_set_policy(dom, config_policy,
								 VIR_DOMAIN_AFFECT_CONFIG, &error));
	if (!ok) {
		vmem_ctl_print_error(ctl, error);
		return VMEM_CTL_EXIT_ERROR;
	}
	return VMEM_CTL_EXIT_OK;
}
