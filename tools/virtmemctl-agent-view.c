/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "virtmemctl-agent-view.h"

#include <glib/gi18n.h>
#include <json-c/json.h>

#include "vmem-json.h"

static char *
vmem_agent_view_size(guint64 bytes)
{
	return g_format_size_full(bytes, G_FORMAT_SIZE_IEC_UNITS);
}

static void
vmem_agent_view_append_memory(GString *out, const VmemAgentReport *r)
{
	g_autofree char *total = vmem_agent_view_size(r->mem_total_kib * 1024);
	g_autofree char *avail = vmem_agent_view_size(r->mem_available_kib * 1024);
	g_autofree char *free_ = vmem_agent_view_size(r->mem_free_kib * 1024);
	g_autofree char *cached = vmem_agent_view_size(r->mem_cached_kib * 1024);
	g_autofree char *swap_total = vmem_agent_view_size(r->swap_total_kib * 1024);
	g_autofree char *swap_free = vmem_agent_view_size(r->swap_free_kib * 1024);

	if (!r->has_memory) {
		/* TRANSLATORS: the guest could not read /proc/meminfo */
		g_string_append_printf(out, "%s\n", _("Memory: not reported"));
		return;
	}
	g_string_append_printf(
		out,
		/* TRANSLATORS: sizes such as "1.5 GiB" */
		_("Memory: %s total, %s available, %s free, %s cached; swap %s free of %s"), total,
		avail, free_, cached, swap_free, swap_total);
	g_string_append_c(out, '\n');
}

static void
vmem_agent_view_append_psi(GString *out, const VmemAgentReport *r)
{
	if (!r->has_psi) {
		/* TRANSLATORS: PSI is pressure stall information */
		g_string_append_printf(out, "%s\n",
				       _("Pressure: not available (guest kernel without PSI)"));
		return;
	}
	g_string_append_printf(
		out,
		/* TRANSLATORS: PSI percentages over 10 s and 60 s */
		_("Pressure: some %.2f%% (10 s) %.2f%% (60 s), full %.2f%% (10 s) %.2f%% (60 s)"),
		r->psi_some.avg10, r->psi_some.avg60, r->psi_full.avg10, r->psi_full.avg60);
	g_string_append_c(out, '\n');
}

static void
vmem_agent_view_append_device(GString *out, const VmemAgentReport *r, const VmemAgentDevice *d)
{
	g_autofree char *size = vmem_agent_view_size(d->size);

	g_string_append_printf(out,
			       /* TRANSLATORS: a virtio-mem device (e.g. "virtio5"), its address
				  and size, then memory block counts */
			       _("Device %s at 0x%" G_GINT64_MODIFIER "x, %s: %" G_GUINT64_FORMAT
				 " blocks added, %" G_GUINT64_FORMAT " movable, %" G_GUINT64_FORMAT
				 " normal, %" G_GUINT64_FORMAT " offline, %" G_GUINT64_FORMAT
				 " other"),
			       d->name[0] != '\0' ? d->name : "?", d->start, size, d->blocks,
			       d->movable, d->normal, d->offline, d->other);
	g_string_append_c(out, '\n');
}

/**
 * vmem_agent_view_format_text:
 * @hello: (nullable): the agent's hello
 * @report: (nullable): its latest report
 *
 * Returns: (transfer full): the guest's view for people, several lines.
 */
char *
vmem_agent_view_format_text(const VmemAgentHello *hello, const VmemAgentReport *report)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autofree char *block = NULL;
	g_autofree char *online = NULL;
	g_autofree char *movable = NULL;

	if (hello != NULL)
		g_string_append_printf(out,
				       /* TRANSLATORS: agent name, version, protocol number */
				       _("Agent: %s %s, protocol %u"), hello->agent, hello->version,
				       hello->protocol);
	else
		/* TRANSLATORS: the guest agent has not introduced itself yet */
		g_string_append(out, _("Agent: no hello received"));
	g_string_append_c(out, '\n');
	if (report == NULL) {
		/* TRANSLATORS: the guest agent sent no report yet */
		g_string_append_printf(out, "%s\n", _("No report from the agent yet."));
		return g_string_free(g_steal_pointer(&out), FALSE);
	}
	g_string_append_printf(
		out,
		/* TRANSLATORS: kernel release, driver state, sysfs values */
		_("Kernel: %s; virtio_mem driver: %s, %" G_GUINT64_FORMAT
		  " devices; auto_online_blocks: %s; memmap_on_memory: %s"),
		report->kernel != NULL ? report->kernel : "?",
		report->driver_loaded ? _("loaded") : _("not loaded"), report->driver_devices,
		report->auto_online_blocks != NULL ? report->auto_online_blocks : "?",
		report->memmap_on_memory != NULL ? report->memmap_on_memory : "?");
	g_string_append_c(out, '\n');
	vmem_agent_view_append_memory(out, report);
	vmem_agent_view_append_psi(out, report);
	block = vmem_agent_view_size(report->block_size);
	/* TRANSLATORS: the guest's memory block size, e.g. "128 MiB" */
	g_string_append_printf(out, _("Memory block size: %s"), block);
	g_string_append_c(out, '\n');
	for (guint i = 0; i < report->devices->len; i++)
		vmem_agent_view_append_device(out, report, g_ptr_array_index(report->devices, i));
	online = vmem_agent_view_size(vmem_agent_report_get_online_bytes(report));
	movable = vmem_agent_view_size(vmem_agent_report_get_movable_bytes(report));
	g_string_append_printf(
		out,
		/* TRANSLATORS: sizes; ZONE_MOVABLE memory can be unplugged */
		_("virtio-mem online: %s, of which %s in ZONE_MOVABLE (unpluggable)"), online,
		movable);
	g_string_append_c(out, '\n');
	if (vmem_agent_report_unplug_may_stick(report)) {
		g_string_append_printf(out, "%s\n",
				       /* TRANSLATORS: a warning about virtio-mem unplug */
				       _("Warning: virtio-mem blocks are online in ZONE_NORMAL; an "
					 "unplug of them may get stuck."));
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

/**
 * vmem_agent_view_format_summary:
 * @report: (nullable): the latest report
 *
 * Returns: (transfer full): one line for `virtmemctl show`.
 */
char *
vmem_agent_view_format_summary(const VmemAgentReport *report)
{
	g_autofree char *online = NULL;
	g_autofree char *movable = NULL;
	g_autofree char *avail = NULL;

	if (report == NULL)
		/* TRANSLATORS: one-line summary when the agent is silent */
		return g_strdup(_("no report"));
	online = vmem_agent_view_size(vmem_agent_report_get_online_bytes(report));
	movable = vmem_agent_view_size(vmem_agent_report_get_movable_bytes(report));
	avail = report->has_memory ? vmem_agent_view_size(report->mem_available_kib * 1024)
				   : g_strdup("?");
	if (vmem_agent_report_unplug_may_stick(report))
		return g_strdup_printf(
			/* TRANSLATORS: one-line summary; sizes such as "1 GiB" */
			_("%s online (%s movable), %s available, unplug may get stuck"), online,
			movable, avail);
	return g_strdup_printf(
		/* TRANSLATORS: one-line summary; sizes such as "1 GiB" */
		_("%s online (%s movable), %s available"), online, movable, avail);
}

static json_object *
vmem_agent_view_json_u64(guint64 v)
{
	return json_object_new_int64((gint64)v);
}

static json_object *
vmem_agent_view_json_string(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

static json_object *
vmem_agent_view_json_report(const VmemAgentReport *r)
{
	json_object *obj = json_object_new_object();
	json_object *devices = json_object_new_array();
	json_object *psi = NULL;
	json_object *mem = NULL;

	json_object_object_add(obj, "seq", vmem_agent_view_json_u64(r->seq));
	json_object_object_add(obj, "reason", vmem_agent_view_json_string(r->reason));
	json_object_object_add(obj, "interval_ms", vmem_agent_view_json_u64(r->interval_ms));
	json_object_object_add(obj, "kernel", vmem_agent_view_json_string(r->kernel));
	json_object_object_add(obj, "driver_loaded", json_object_new_boolean(r->driver_loaded));
	json_object_object_add(obj, "driver_devices", vmem_agent_view_json_u64(r->driver_devices));
	json_object_object_add(obj, "auto_online_blocks",
			       vmem_agent_view_json_string(r->auto_online_blocks));
	json_object_object_add(obj, "memmap_on_memory",
			       vmem_agent_view_json_string(r->memmap_on_memory));
	if (r->has_memory) {
		mem = json_object_new_object();
		json_object_object_add(mem, "total_kib",
				       vmem_agent_view_json_u64(r->mem_total_kib));
		json_object_object_add(mem, "available_kib",
				       vmem_agent_view_json_u64(r->mem_available_kib));
		json_object_object_add(mem, "free_kib", vmem_agent_view_json_u64(r->mem_free_kib));
		json_object_object_add(mem, "cached_kib",
				       vmem_agent_view_json_u64(r->mem_cached_kib));
		json_object_object_add(mem, "swap_total_kib",
				       vmem_agent_view_json_u64(r->swap_total_kib));
		json_object_object_add(mem, "swap_free_kib",
				       vmem_agent_view_json_u64(r->swap_free_kib));
	}
	json_object_object_add(obj, "memory", mem);
	if (r->has_psi) {
		const VmemAgentPsiLine *lines[] = {&r->psi_some, &r->psi_full};
		const char *names[] = {"some", "full"};

		psi = json_object_new_object();
		for (gsize i = 0; i < G_N_ELEMENTS(lines); i++) {
			json_object *l = json_object_new_object();

			json_object_object_add(l, "avg10", json_object_new_double(lines[i]->avg10));
			json_object_object_add(l, "avg60", json_object_new_double(lines[i]->avg60));
			json_object_object_add(l, "total_us",
					       vmem_agent_view_json_u64(lines[i]->total_us));
			json_object_object_add(psi, names[i], l);
		}
	}
	json_object_object_add(obj, "psi", psi);
	json_object_object_add(obj, "block_size", vmem_agent_view_json_u64(r->block_size));
	for (guint i = 0; i < r->devices->len; i++) {
		const VmemAgentDevice *d = g_ptr_array_index(r->devices, i);
		json_object *dev = json_object_new_object();

		json_object_object_add(dev, "name", json_object_new_string(d->name));
		json_object_object_add(dev, "start", vmem_agent_view_json_u64(d->start));
		json_object_object_add(dev, "size", vmem_agent_view_json_u64(d->size));
		json_object_object_add(dev, "blocks", vmem_agent_view_json_u64(d->blocks));
		json_object_object_add(dev, "movable", vmem_agent_view_json_u64(d->movable));
		json_object_object_add(dev, "normal", vmem_agent_view_json_u64(d->normal));
		json_object_object_add(dev, "offline", vmem_agent_view_json_u64(d->offline));
		json_object_object_add(dev, "other", vmem_agent_view_json_u64(d->other));
		json_object_array_add(devices, dev);
	}
	json_object_object_add(obj, "devices", devices);
	json_object_object_add(obj, "online_bytes",
			       vmem_agent_view_json_u64(vmem_agent_report_get_online_bytes(r)));
	json_object_object_add(obj, "movable_bytes",
			       vmem_agent_view_json_u64(vmem_agent_report_get_movable_bytes(r)));
	json_object_object_add(obj, "unplug_may_stick",
			       json_object_new_boolean(vmem_agent_report_unplug_may_stick(r)));
	return obj;
}

static json_object *
vmem_agent_view_json_stats(const VmemAgentChannelStats *s)
{
	json_object *obj = json_object_new_object();

	json_object_object_add(obj, "connects", vmem_agent_view_json_u64(s->connects));
	json_object_object_add(obj, "lines", vmem_agent_view_json_u64(s->lines));
	json_object_object_add(obj, "hellos", vmem_agent_view_json_u64(s->hellos));
	json_object_object_add(obj, "reports", vmem_agent_view_json_u64(s->reports));
	json_object_object_add(obj, "agent_errors", vmem_agent_view_json_u64(s->agent_errors));
	json_object_object_add(obj, "ignored", vmem_agent_view_json_u64(s->ignored));
	json_object_object_add(obj, "invalid", vmem_agent_view_json_u64(s->invalid));
	json_object_object_add(obj, "overlong", vmem_agent_view_json_u64(s->overlong));
	json_object_object_add(obj, "rate_limited", vmem_agent_view_json_u64(s->rate_limited));
	json_object_object_add(obj, "pauses", vmem_agent_view_json_u64(s->pauses));
	return obj;
}

/**
 * vmem_agent_view_format_json:
 * @hello: (nullable): the agent's hello
 * @report: (nullable): its latest report
 * @stats: (nullable): the channel's counters
 *
 * Returns: (transfer full): the guest's view as one pretty-printed JSON
 *   object with keys "agent", "report" (null when none) and "channel".
 */
char *
vmem_agent_view_format_json(const VmemAgentHello *hello, const VmemAgentReport *report,
			    const VmemAgentChannelStats *stats)
{
	g_autoptr(json_object) root = json_object_new_object();
	json_object *agent = NULL;

	if (hello != NULL) {
		json_object *caps = json_object_new_array();

		agent = json_object_new_object();
		json_object_object_add(agent, "name", json_object_new_string(hello->agent));
		json_object_object_add(agent, "version", json_object_new_string(hello->version));
		json_object_object_add(agent, "protocol",
				       json_object_new_int((int)hello->protocol));
		for (guint i = 0; hello->capabilities[i] != NULL; i++)
			json_object_array_add(caps, json_object_new_string(hello->capabilities[i]));
		json_object_object_add(agent, "capabilities", caps);
	}
	json_object_object_add(root, "agent", agent);
	json_object_object_add(root, "report",
			       report != NULL ? vmem_agent_view_json_report(report) : NULL);
	json_object_object_add(root, "channel",
			       stats != NULL ? vmem_agent_view_json_stats(stats) : NULL);
	return g_strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
								     JSON_C_TO_STRING_SPACED));
}
