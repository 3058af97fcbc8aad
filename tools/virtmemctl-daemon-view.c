/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "virtmemctl-daemon-view.h"

#include <glib/gi18n.h>

#include "vmem-size.h"

/* What virtmemd connects to when its configuration names no URI: its
 * Uri property is then empty. */
#define VMEM_CTL_DAEMON_DEFAULT_URI "qemu:///system"

/**
 * vmem_ctl_daemon_uri_matches:
 * @daemon_uri: virtmemd's Uri property, "" for libvirt's default
 * @uri: (nullable): a URI virtmemctl connects with
 *
 * Whether virtmemd and virtmemctl talk to the same libvirt: the same URI,
 * as given (no guess at what else might reach the same daemon).
 */
gboolean
vmem_ctl_daemon_uri_matches(const char *daemon_uri, const char *uri)
{
	if (uri == NULL || daemon_uri == NULL)
		return FALSE;
	if (*daemon_uri == '\0')
		daemon_uri = VMEM_CTL_DAEMON_DEFAULT_URI;
	return g_str_equal(daemon_uri, uri);
}

/**
 * vmem_ctl_daemon_find_domain:
 * @objects: the reply of GetManagedObjects, a{oa{sa{sv}}}
 * @domain: a domain's name or UUID (in any case)
 * @ret_path: (out) (optional): its object path
 *
 * Returns: (transfer full) (nullable): the domain's org.virtmem.Domain1
 *   properties, a{sv}, or %NULL when virtmemd has no such domain
 */
GVariant *
vmem_ctl_daemon_find_domain(GVariant *objects, const char *domain, char **ret_path)
{
	GVariantIter iter;
	const char *path;
	GVariant *ifaces;

	g_variant_iter_init(&iter, objects);
	while (g_variant_iter_next(&iter, "{&o@a{sa{sv}}}", &path, &ifaces)) {
		g_autoptr(GVariant) owned = ifaces;
		g_autoptr(GVariant) props = g_variant_lookup_value(ifaces, "org.virtmem.Domain1",
								   G_VARIANT_TYPE_VARDICT);
		const char *name = NULL;
		const char *uuid = NULL;

		if (props == NULL)
			continue;
		g_variant_lookup(props, "Name", "&s", &name);
		g_variant_lookup(props, "UUID", "&s", &uuid);
		if (g_strcmp0(name, domain) == 0 ||
		    (uuid != NULL && g_ascii_strcasecmp(uuid, domain) == 0)) {
			if (ret_path != NULL)
				*ret_path = g_strdup(path);
			return g_steal_pointer(&props);
		}
	}
	return NULL;
}

static const char *
vmem_ctl_daemon_string(GVariant *dict, const char *key)
{
	const char *value = NULL;

	if (!g_variant_lookup(dict, key, "&s", &value))
		return "";
	return value;
}

static guint64
vmem_ctl_daemon_u64(GVariant *dict, const char *key)
{
	guint64 value = 0;

	g_variant_lookup(dict, key, "t", &value);
	return value;
}

static double
vmem_ctl_daemon_double(GVariant *dict, const char *key, double unset)
{
	double value = unset;

	g_variant_lookup(dict, key, "d", &value);
	return value;
}

/**
 * vmem_ctl_daemon_get_sizes:
 * @domain: a domain's properties
 *
 * What its devices have requested and plugged, added up, bytes.
 */
void
vmem_ctl_daemon_get_sizes(GVariant *domain, guint64 *ret_requested, guint64 *ret_plugged)
{
	g_autoptr(GVariant) devices =
		g_variant_lookup_value(domain, "Devices", G_VARIANT_TYPE("a(sutttt)"));
	guint64 requested = 0, plugged = 0;

	if (devices != NULL) {
		GVariantIter iter;
		guint64 r, p;

		g_variant_iter_init(&iter, devices);
		while (g_variant_iter_next(&iter, "(&sutttt)", NULL, NULL, NULL, NULL, &r, &p)) {
			requested += r;
			plugged += p;
		}
	}
	*ret_requested = requested;
	*ret_plugged = plugged;
}

/**
 * vmem_ctl_daemon_job_state_from_string:
 * @text: a JobState, as vmem_job_state_to_string() spells it
 *
 * Returns: %FALSE for "idle" and what virtmemctl does not know
 */
gboolean
vmem_ctl_daemon_job_state_from_string(const char *text, VmemJobState *ret_state)
{
	for (VmemJobState s = VMEM_JOB_CONVERGED; s <= VMEM_JOB_PLUG_STALLED; s++) {
		if (g_strcmp0(text, vmem_job_state_to_string(s)) == 0) {
			*ret_state = s;
			return TRUE;
		}
	}
	return FALSE;
}

/**
 * vmem_ctl_daemon_guest_facts:
 * @domain: a domain's properties
 *
 * What a shrink check needs of the guest, from the figures virtmemd
 * has: invalid when it has none.
 */
void
vmem_ctl_daemon_guest_facts(GVariant *domain, VmemJobAgentFacts *ret_facts)
{
	guint64 total = vmem_ctl_daemon_u64(domain, "GuestTotal");
	guint64 available = vmem_ctl_daemon_u64(domain, "GuestAvailable");
	double age = vmem_ctl_daemon_double(domain, "GuestReportAge", -1);
	guint64 requested, plugged;

	memset(ret_facts, 0, sizeof(*ret_facts));
	if (total == 0 || age < 0)
		return;
	vmem_ctl_daemon_get_sizes(domain, &requested, &plugged);
	ret_facts->valid = TRUE;
	ret_facts->age_us = (gint64)(age * G_USEC_PER_SEC);
	ret_facts->driver_loaded = TRUE;
	ret_facts->mem_total = total;
	ret_facts->mem_available = MIN(available, total);
	ret_facts->mem_used = total - ret_facts->mem_available;
	/* the guest's memory without virtio-mem: QEMU's plugged figure stands
	 * for what the guest has online of it */
	ret_facts->base = total - MIN(plugged, total);
	ret_facts->online = MIN(plugged, total);
}

/* "cooldown-grow" → "cooldown_grow": the JSON keys are snake_case */
static char *
vmem_ctl_daemon_json_key(const char *key)
{
	char *k = g_strdup(key);

	g_strdelimit(k, "-", '_');
	return k;
}

/* A basic value of a{sv} as JSON; %NULL (JSON null) for other types. */
static json_object *
vmem_ctl_daemon_value_to_json(GVariant *v)
{
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_STRING))
		return json_object_new_string(g_variant_get_string(v, NULL));
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN))
		return json_object_new_boolean(g_variant_get_boolean(v));
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT64))
		return json_object_new_uint64(g_variant_get_uint64(v));
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_INT64))
		return json_object_new_int64(g_variant_get_int64(v));
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT32))
		return json_object_new_int64(g_variant_get_uint32(v));
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_INT32))
		return json_object_new_int(g_variant_get_int32(v));
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_DOUBLE))
		return json_object_new_double(g_variant_get_double(v));
	return NULL;
}

/**
 * vmem_ctl_daemon_manager_to_json:
 * @manager: org.virtmem.Manager1's properties
 *
 * Returns: (transfer full): "manager" of `status --json`
 */
json_object *
vmem_ctl_daemon_manager_to_json(GVariant *manager)
{
	json_object *obj = json_object_new_object();
	gboolean connected = FALSE;

	g_variant_lookup(manager, "Connected", "b", &connected);
	json_object_object_add(obj, "version",
			       json_object_new_string(vmem_ctl_daemon_string(manager, "Version")));
	json_object_object_add(obj, "uri",
			       json_object_new_string(vmem_ctl_daemon_string(manager, "Uri")));
	json_object_object_add(obj, "connected", json_object_new_boolean(connected));
	json_object_object_add(obj, "tick",
			       json_object_new_double(vmem_ctl_daemon_double(manager, "Tick", 0)));
	json_object_object_add(
		obj, "host_available",
		json_object_new_uint64(vmem_ctl_daemon_u64(manager, "HostAvailable")));
	json_object_object_add(obj, "host_reserve",
			       json_object_new_uint64(vmem_ctl_daemon_u64(manager, "HostReserve")));
	json_object_object_add(
		obj, "host_pressure",
		json_object_new_string(vmem_ctl_daemon_string(manager, "HostPressure")));
	return obj;
}

/**
 * vmem_ctl_daemon_guest_to_json:
 * @domain: a domain's properties
 *
 * Returns: (transfer full): the guest's figures as virtmemd has them:
 *   "guest" of `status --json`, "virtmemd" of `agent --json`
 */
json_object *
vmem_ctl_daemon_guest_to_json(GVariant *domain)
{
	json_object *obj = json_object_new_object();
	double some = -1, full = -1;
	double age = vmem_ctl_daemon_double(domain, "GuestReportAge", -1);

	g_variant_lookup(domain, "GuestPsi", "(dd)", &some, &full);
	json_object_object_add(
		obj, "source",
		json_object_new_string(vmem_ctl_daemon_string(domain, "GuestSource")));
	json_object_object_add(obj, "total",
			       json_object_new_uint64(vmem_ctl_daemon_u64(domain, "GuestTotal")));
	json_object_object_add(
		obj, "available",
		json_object_new_uint64(vmem_ctl_daemon_u64(domain, "GuestAvailable")));
	/* null when unknown */
	json_object_object_add(obj, "psi_some_avg10",
			       some >= 0 ? json_object_new_double(some) : NULL);
	json_object_object_add(obj, "psi_full_avg10",
			       full >= 0 ? json_object_new_double(full) : NULL);
	json_object_object_add(obj, "report_age", age >= 0 ? json_object_new_double(age) : NULL);
	return obj;
}

/**
 * vmem_ctl_daemon_domain_to_json:
 * @domain: a domain's properties
 *
 * Returns: (transfer full): one of "domains" of `status --json`
 */
json_object *
vmem_ctl_daemon_domain_to_json(GVariant *domain)
{
	json_object *obj = json_object_new_object();
	json_object *devices = json_object_new_array();
	json_object *policy = json_object_new_object();
	g_autoptr(GVariant) devs =
		g_variant_lookup_value(domain, "Devices", G_VARIANT_TYPE("a(sutttt)"));
	g_autoptr(GVariant) pol = g_variant_lookup_value(domain, "Policy", G_VARIANT_TYPE_VARDICT);
	double when = 0;
	guint64 from = 0, to = 0;
	const char *action = "", *reason = "";

	json_object_object_add(obj, "name",
			       json_object_new_string(vmem_ctl_daemon_string(domain, "Name")));
	json_object_object_add(obj, "uuid",
			       json_object_new_string(vmem_ctl_daemon_string(domain, "UUID")));
	json_object_object_add(obj, "state",
			       json_object_new_string(vmem_ctl_daemon_string(domain, "State")));
	json_object_object_add(
		obj, "automation",
		json_object_new_string(vmem_ctl_daemon_string(domain, "Automation")));
	if (devs != NULL) {
		GVariantIter iter;
		const char *alias;
		guint32 node;
		guint64 block, size, requested, plugged;

		g_variant_iter_init(&iter, devs);
		while (g_variant_iter_next(&iter, "(&sutttt)", &alias, &node, &block, &size,
					   &requested, &plugged)) {
			json_object *dev = json_object_new_object();

			json_object_object_add(dev, "alias", json_object_new_string(alias));
			json_object_object_add(dev, "node", json_object_new_int64(node));
			json_object_object_add(dev, "block_size", json_object_new_uint64(block));
			json_object_object_add(dev, "size", json_object_new_uint64(size));
			json_object_object_add(dev, "requested", json_object_new_uint64(requested));
			json_object_object_add(dev, "plugged", json_object_new_uint64(plugged));
			json_object_array_add(devices, dev);
		}
	}
	json_object_object_add(obj, "devices", devices);
	if (pol != NULL) {
		GVariantIter iter;
		const char *key;
		GVariant *value;

		g_variant_iter_init(&iter, pol);
		while (g_variant_iter_next(&iter, "{&sv}", &key, &value)) {
			g_autofree char *k = vmem_ctl_daemon_json_key(key);

			json_object_object_add(policy, k, vmem_ctl_daemon_value_to_json(value));
			g_variant_unref(value);
		}
	}
	json_object_object_add(obj, "policy", policy);
	json_object_object_add(obj, "guest", vmem_ctl_daemon_guest_to_json(domain));
	json_object_object_add(obj, "job_state",
			       json_object_new_string(vmem_ctl_daemon_string(domain, "JobState")));
	/* null until virtmemd decided something */
	if (g_variant_lookup(domain, "LastDecision", "(dtt&s&s)", &when, &from, &to, &action,
			     &reason) &&
	    when > 0) {
		json_object *last = json_object_new_object();

		json_object_object_add(last, "time", json_object_new_double(when));
		json_object_object_add(last, "from", json_object_new_uint64(from));
		json_object_object_add(last, "to", json_object_new_uint64(to));
		json_object_object_add(last, "action", json_object_new_string(action));
		json_object_object_add(last, "reason", json_object_new_string(reason));
		json_object_object_add(obj, "last_decision", last);
	} else {
		json_object_object_add(obj, "last_decision", NULL);
	}
	json_object_object_add(
		obj, "plugged_gib_hours",
		json_object_new_double(vmem_ctl_daemon_double(domain, "PluggedGiBHours", 0)));
	return obj;
}

/**
 * vmem_ctl_daemon_format_manager:
 * @manager: org.virtmem.Manager1's properties
 *
 * Returns: (transfer full): the first lines of `status`
 */
char *
vmem_ctl_daemon_format_manager(GVariant *manager)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autofree char *available =
		vmem_size_format_rounded(vmem_ctl_daemon_u64(manager, "HostAvailable"));
	g_autofree char *reserve = vmem_size_format(vmem_ctl_daemon_u64(manager, "HostReserve"));
	const char *uri = vmem_ctl_daemon_string(manager, "Uri");
	const char *pressure = vmem_ctl_daemon_string(manager, "HostPressure");
	gboolean connected = FALSE;

	g_variant_lookup(manager, "Connected", "b", &connected);
	if (*uri == '\0')
		uri = VMEM_CTL_DAEMON_DEFAULT_URI;
	g_string_append_printf(
		out,
		connected
			/* TRANSLATORS: first line of `virtmemctl status`: 1 the
			   daemon's version, 2 the libvirt URI, 3 seconds */
			? _("virtmemd %1$s on %2$s: connected, a decision every %3$g s")
			/* TRANSLATORS: first line of `virtmemctl status`: 1 the
			   daemon's version, 2 the libvirt URI, 3 seconds */
			: _("virtmemd %1$s on %2$s: not connected (it reconnects by "
			    "itself), a decision every %3$g s"),
		vmem_ctl_daemon_string(manager, "Version"), uri,
		vmem_ctl_daemon_double(manager, "Tick", 0));
	g_string_append_c(out, '\n');
	if (*pressure == '\0')
		/* TRANSLATORS: in `virtmemctl status`: 1 the host's MemAvailable, 2 the
		   memory virtmemd keeps free for the host */
		g_string_append_printf(out, _("Host: %1$s available, %2$s reserve, no pressure"),
				       available, reserve);
	else
		/* TRANSLATORS: in `virtmemctl status`: 1 the host's MemAvailable, 2 the
		   memory virtmemd keeps free for the host, 3 why the host is short */
		g_string_append_printf(out, _("Host: %1$s available, %2$s reserve, short: %3$s"),
				       available, reserve, pressure);
	g_string_append_c(out, '\n');
	return g_string_free(g_steal_pointer(&out), FALSE);
}

/**
 * vmem_ctl_daemon_format_guest:
 * @domain: a domain's properties
 *
 * Returns: (transfer full): the guest's figures as virtmemd has them, in
 *   one line
 */
char *
vmem_ctl_daemon_format_guest(GVariant *domain)
{
	guint64 total_b = vmem_ctl_daemon_u64(domain, "GuestTotal");
	double age = vmem_ctl_daemon_double(domain, "GuestReportAge", -1);
	const char *source = vmem_ctl_daemon_string(domain, "GuestSource");
	g_autofree char *total = NULL;
	g_autofree char *available = NULL;
	g_autofree char *psi = NULL;
	double some = -1, full = -1;

	if (total_b == 0 || age < 0)
		/* TRANSLATORS: virtmemd has no figures of the guest */
		return g_strdup(_("no report yet"));
	total = vmem_size_format_rounded(total_b);
	available = vmem_size_format_rounded(vmem_ctl_daemon_u64(domain, "GuestAvailable"));
	g_variant_lookup(domain, "GuestPsi", "(dd)", &some, &full);
	if (some >= 0 && full >= 0)
		/* TRANSLATORS: PSI percentages over 10 s: 1 "some", 2 "full" */
		psi = g_strdup_printf(_("pressure some %1$.2f%%, full %2$.2f%%"), some, full);
	else
		/* TRANSLATORS: PSI is unknown */
		psi = g_strdup(_("pressure unknown"));
	/* TRANSLATORS: the guest's figures: 1 MemTotal, 2 MemAvailable, 3 its
	   pressure ("pressure some 0.00%, full 0.00%"), 4 where they come from
	   (agent or balloon), 5 seconds */
	return g_strdup_printf(_("%1$s total, %2$s available, %3$s (from the %4$s, %5$.1f s old)"),
			       total, available, psi, source, age);
}

/**
 * vmem_ctl_daemon_format_domain:
 * @domain: a domain's properties
 *
 * Returns: (transfer full): a domain in `status`, a few lines
 */
char *
vmem_ctl_daemon_format_domain(GVariant *domain)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GVariant) devs =
		g_variant_lookup_value(domain, "Devices", G_VARIANT_TYPE("a(sutttt)"));
	g_autofree char *guest = vmem_ctl_daemon_format_guest(domain);
	g_autofree char *hours = NULL;
	const char *automation = vmem_ctl_daemon_string(domain, "Automation");
	double when = 0;
	guint64 from = 0, to = 0;
	const char *action = "", *reason = "";

	/* TRANSLATORS: a domain in `virtmemctl status`: 1 its name, 2 its state
	   (running, paused…), 3 its UUID */
	g_string_append_printf(
		out, _("Domain %1$s (%2$s), UUID %3$s"), vmem_ctl_daemon_string(domain, "Name"),
		vmem_ctl_daemon_string(domain, "State"), vmem_ctl_daemon_string(domain, "UUID"));
	g_string_append_c(out, '\n');
	g_string_append(out, "  ");
	if (g_str_equal(automation, "override"))
		/* TRANSLATORS: in `virtmemctl status`; keep “virtmemctl resize
		   DOMAIN --resume” and %s, the domain's name */
		g_string_append_printf(out,
				       _("Automation: override (a resize holds until "
					 "“virtmemctl resize %s --resume”)"),
				       vmem_ctl_daemon_string(domain, "Name"));
	else
		/* TRANSLATORS: in `virtmemctl status`: who decides, auto, manual, off,
		   paused or override */
		g_string_append_printf(out, _("Automation: %s"), automation);
	g_string_append_c(out, '\n');
	if (devs != NULL) {
		GVariantIter iter;
		const char *alias;
		guint32 node;
		guint64 block, size, requested, plugged;

		g_variant_iter_init(&iter, devs);
		while (g_variant_iter_next(&iter, "(&sutttt)", &alias, &node, &block, &size,
					   &requested, &plugged)) {
			g_autofree char *size_s = vmem_size_format(size);
			g_autofree char *block_s = vmem_size_format(block);
			g_autofree char *requested_s = vmem_size_format(requested);
			g_autofree char *plugged_s = vmem_size_format(plugged);

			g_string_append(out, "  ");
			/* TRANSLATORS: a virtio-mem device in `virtmemctl status`: 1 its
			   alias, 2 its NUMA node, 3 its size, 4 its block size, 5 the size
			   requested, 6 the size plugged */
			g_string_append_printf(out,
					       _("Device %1$s (node %2$u, %3$s, block %4$s): "
						 "requested %5$s, plugged %6$s"),
					       alias, node, size_s, block_s, requested_s,
					       plugged_s);
			g_string_append_c(out, '\n');
		}
	}
	g_string_append(out, "  ");
	/* TRANSLATORS: in `virtmemctl status`: the guest's figures */
	g_string_append_printf(out, _("Guest: %s"), guest);
	g_string_append_c(out, '\n');
	g_string_append(out, "  ");
	/* TRANSLATORS: in `virtmemctl status`: where the last resize stands */
	g_string_append_printf(out, _("Job: %s"), vmem_ctl_daemon_string(domain, "JobState"));
	g_string_append_c(out, '\n');
	g_string_append(out, "  ");
	if (g_variant_lookup(domain, "LastDecision", "(dtt&s&s)", &when, &from, &to, &action,
			     &reason) &&
	    when > 0) {
		g_autoptr(GDateTime) time = g_date_time_new_from_unix_local((gint64)when);
		g_autofree char *time_s = time ? g_date_time_format(time, "%F %T") : g_strdup("?");
		g_autofree char *from_s = vmem_size_format(from);
		g_autofree char *to_s = vmem_size_format(to);

		/* TRANSLATORS: in `virtmemctl status`: 1 when, 2 what (grow, shrink,
		   resize…), 3 and 4 the requested sizes before and after, 5 why */
		g_string_append_printf(out, _("Last decision: %1$s, %2$s %3$s → %4$s: %5$s"),
				       time_s, action, from_s, to_s, reason);
	} else {
		/* TRANSLATORS: in `virtmemctl status` */
		g_string_append(out, _("Last decision: none yet"));
	}
	g_string_append_c(out, '\n');
	hours = g_strdup_printf("%.4f", vmem_ctl_daemon_double(domain, "PluggedGiBHours", 0));
	g_string_append(out, "  ");
	/* TRANSLATORS: in `virtmemctl status`: plugged memory over time, such as
	   "0.0123" */
	g_string_append_printf(out, _("Plugged: %s GiB-hours"), hours);
	g_string_append_c(out, '\n');
	return g_string_free(g_steal_pointer(&out), FALSE);
}
