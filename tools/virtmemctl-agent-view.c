/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "virtmemctl-agent-view.h"

#include <glib/gi18n.h>
#include <json-c/json.h>

#include "vmem-json.h"
#include "vmem-size.h"

/* The guest's /proc/meminfo: approximate, in the spelling of every size
 * virtmemctl prints ("1.46 GiB", "512 MiB", "0 B") */
static char *
vmem_agent_view_size(guint64 bytes)
{
	return vmem_size_format_rounded(bytes);
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
	g_string_append_printf(out,
			       /* TRANSLATORS: the guest's /proc/meminfo; every argument is a size
				  such as "1.5 GiB": 1 MemTotal, 2 MemAvailable, 3 MemFree,
				  4 Cached, 5 SwapFree, 6 SwapTotal */
			       _("Memory: %1$s total, %2$s available, %3$s free, %4$s cached; "
				 "swap %5$s free of %6$s"),
			       total, avail, free_, cached, swap_free, swap_total);
	g_string_append_c(out, '\n');
}

static void
vmem_agent_view_append_psi(GString *out, const VmemAgentReport *r)
{
	if (!r->has_psi) {
		g_string_append_printf(out, "%s\n",
				       /* TRANSLATORS: PSI is pressure stall information */
				       _("Pressure: not available (guest kernel without PSI)"));
		return;
	}
	g_string_append_printf(out,
			       /* TRANSLATORS: PSI (pressure stall information) percentages:
				  "some" over 10 s (1) and 60 s (2), "full" over 10 s (3) and
				  60 s (4) */
			       _("Pressure: some %1$.2f%% (10 s) %2$.2f%% (60 s), full %3$.2f%% "
				 "(10 s) %4$.2f%% (60 s)"),
			       r->psi_some.avg10, r->psi_some.avg60, r->psi_full.avg10,
			       r->psi_full.avg60);
	g_string_append_c(out, '\n');
}

static void
vmem_agent_view_append_device(GString *out, const VmemAgentReport *r, const VmemAgentDevice *d)
{
	g_autofree char *size = vmem_size_format(d->size);

	/* No G_GUINT64_FORMAT in a translatable string: xgettext cannot expand it. */
	g_string_append_printf(
		out,
		g_dngettext(GETTEXT_PACKAGE,
			    /* TRANSLATORS: a virtio-mem device: 1 its name (e.g.
			       "virtio5"), 2 its guest-physical address, 3 its size (e.g.
			       "4 GiB"), then counts of memory blocks: 4 added, 5 online
			       movable, 6 online normal, 7 offline, 8 in another state */
			    "Device %1$s at 0x%2$llx, %3$s: %4$llu block added, "
			    "%5$llu movable, %6$llu normal, %7$llu offline, %8$llu other",
			    "Device %1$s at 0x%2$llx, %3$s: %4$llu blocks added, "
			    "%5$llu movable, %6$llu normal, %7$llu offline, %8$llu other",
			    (gulong)MIN(d->blocks, G_MAXULONG)),
		d->name[0] != '\0' ? d->name : "?", (unsigned long long)d->start, size,
		(unsigned long long)d->blocks, (unsigned long long)d->movable,
		(unsigned long long)d->normal, (unsigned long long)d->offline,
		(unsigned long long)d->other);
	g_string_append_c(out, '\n');
}

/* Memory the guest cannot use: plugged blocks left offline, and a kernel
 * that leaves new memory offline (Debian 12's own 6.1 does). */
static void
vmem_agent_view_append_offline(GString *out, const VmemAgentReport *report)
{
	guint64 offline = 0;

	for (guint i = 0; i < report->devices->len; i++)
		offline +=
			((const VmemAgentDevice *)g_ptr_array_index(report->devices, i))->offline;
	if (offline > 0) {
		g_autofree char *size = vmem_size_format(offline * report->block_size);

		g_string_append_printf(
			out,
			g_dngettext(
				GETTEXT_PACKAGE,
				/* TRANSLATORS: 1 a number of memory blocks, 2 their size */
				"Warning: %1$llu virtio-mem block (%2$s) is plugged but offline: "
				"the guest cannot use it. Online it, or install virtmem-agent's "
				"40-virtmem-memory.rules in the guest.",
				"Warning: %1$llu virtio-mem blocks (%2$s) are plugged but offline: "
				"the guest cannot use them. Online them, or install virtmem-agent's "
				"40-virtmem-memory.rules in the guest.",
				(gulong)MIN(offline, G_MAXULONG)),
			(unsigned long long)offline, size);
		g_string_append_c(out, '\n');
	}
	if (g_strcmp0(report->auto_online_blocks, "offline") == 0)
		g_string_append_printf(
			out, "%s\n",
			/* TRANSLATORS: keep auto_online_blocks and offline */
			_("Warning: the guest's kernel leaves new memory offline "
			  "(auto_online_blocks: offline), so a grow gives it nothing "
			  "until something onlines the blocks; install virtmem-agent's "
			  "40-virtmem-memory.rules in the guest."));
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
	const char *kernel, *auto_online, *memmap;

	if (hello != NULL)
		g_string_append_printf(out,
				       /* TRANSLATORS: 1 the agent's name, 2 its version, 3 the
					  number of its protocol */
				       _("Agent: %1$s %2$s, protocol %3$u"), hello->agent,
				       hello->version, hello->protocol);
	else
		/* TRANSLATORS: the guest agent has not introduced itself yet */
		g_string_append(out, _("Agent: no hello received"));
	g_string_append_c(out, '\n');
	if (report == NULL) {
		/* TRANSLATORS: the guest agent sent no report yet */
		g_string_append_printf(out, "%s\n", _("No report from the agent yet."));
		return g_string_free(g_steal_pointer(&out), FALSE);
	}
	kernel = report->kernel != NULL ? report->kernel : "?";
	auto_online = report->auto_online_blocks != NULL ? report->auto_online_blocks : "?";
	memmap = report->memmap_on_memory != NULL ? report->memmap_on_memory : "?";
	if (report->driver_loaded)
		g_string_append_printf(
			out,
			g_dngettext(GETTEXT_PACKAGE,
				    /* TRANSLATORS: 1 the guest's kernel release, 2 how many
				       devices the virtio_mem driver has, 3 and 4 the values of
				       these sysfs files; keep virtio_mem, auto_online_blocks
				       and memmap_on_memory */
				    "Kernel: %1$s; virtio_mem driver: loaded, %2$llu "
				    "device; auto_online_blocks: %3$s; memmap_on_memory: %4$s",
				    "Kernel: %1$s; virtio_mem driver: loaded, %2$llu "
				    "devices; auto_online_blocks: %3$s; memmap_on_memory: %4$s",
				    (gulong)MIN(report->driver_devices, G_MAXULONG)),
			kernel, (unsigned long long)report->driver_devices, auto_online, memmap);
	else
		g_string_append_printf(
			out,
			g_dngettext(GETTEXT_PACKAGE,
				    /* TRANSLATORS: 1 the guest's kernel release, 2 how many
				       devices the virtio_mem driver has, 3 and 4 the values of
				       these sysfs files; keep virtio_mem, auto_online_blocks
				       and memmap_on_memory */
				    "Kernel: %1$s; virtio_mem driver: not loaded, %2$llu device; "
				    "auto_online_blocks: %3$s; memmap_on_memory: %4$s",
				    "Kernel: %1$s; virtio_mem driver: not loaded, %2$llu devices; "
				    "auto_online_blocks: %3$s; memmap_on_memory: %4$s",
				    (gulong)MIN(report->driver_devices, G_MAXULONG)),
			kernel, (unsigned long long)report->driver_devices, auto_online, memmap);
	g_string_append_c(out, '\n');
	vmem_agent_view_append_memory(out, report);
	vmem_agent_view_append_psi(out, report);
	block = vmem_size_format(report->block_size);
	/* TRANSLATORS: the guest's memory block size, e.g. "128 MiB" */
	g_string_append_printf(out, _("Memory block size: %s"), block);
	g_string_append_c(out, '\n');
	for (guint i = 0; i < report->devices->len; i++)
		vmem_agent_view_append_device(out, report, g_ptr_array_index(report->devices, i));
	online = vmem_size_format(vmem_agent_report_get_online_bytes(report));
	movable = vmem_size_format(vmem_agent_report_get_movable_bytes(report));
	g_string_append_printf(out,
			       /* TRANSLATORS: sizes such as "1 GiB": 1 all virtio-mem memory
				  online, 2 the part of it in ZONE_MOVABLE, which can be
				  unplugged; keep ZONE_MOVABLE */
			       _("virtio-mem online: %1$s, of which %2$s in ZONE_MOVABLE "
				 "(unpluggable)"),
			       online, movable);
	g_string_append_c(out, '\n');
	if (vmem_agent_report_unplug_may_stick(report)) {
		g_string_append_printf(out, "%s\n",
				       /* TRANSLATORS: a warning about virtio-mem unplug */
				       _("Warning: virtio-mem blocks are online in ZONE_NORMAL; an "
					 "unplug of them may get stuck."));
		if (g_strcmp0(report->online_policy, "contig-zones") == 0)
			g_string_append_printf(
				out, "%s\n",
				/* TRANSLATORS: keep the file name and the kernel parameters */
				_("The guest onlines hot-plugged memory into ZONE_NORMAL: install "
				  "virtmem-agent's 40-virtmem-memory.rules, or boot it with "
				  "memhp_default_state=online "
				  "memory_hotplug.online_policy=auto-movable."));
		else if (g_strcmp0(report->online_policy, "auto-movable") == 0 &&
			 report->auto_movable_ratio >= 0)
			g_string_append_printf(
				out,
				/* TRANSLATORS: %lld is a percentage; keep auto_movable_ratio */
				_("Growth beyond the guest's auto_movable_ratio of %lld %% went to "
				  "ZONE_NORMAL, as the kernel's auto-movable policy wants.\n"),
				(long long)report->auto_movable_ratio);
	}
	vmem_agent_view_append_offline(out, report);
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
	online = vmem_size_format(vmem_agent_report_get_online_bytes(report));
	movable = vmem_size_format(vmem_agent_report_get_movable_bytes(report));
	avail = report->has_memory ? vmem_agent_view_size(report->mem_available_kib * 1024)
				   : g_strdup("?");
	if (vmem_agent_report_unplug_may_stick(report))
		return g_strdup_printf(
			/* TRANSLATORS: one-line summary of the guest; sizes such as "1 GiB":
			   1 virtio-mem memory online, 2 the part of it in ZONE_MOVABLE,
			   3 MemAvailable */
			_("%1$s online (%2$s movable), %3$s available, unplug may get stuck"),
			online, movable, avail);
	return g_strdup_printf(
		/* TRANSLATORS: one-line summary of the guest; sizes such as "1 GiB":
		   1 virtio-mem memory online, 2 the part of it in ZONE_MOVABLE,
		   3 MemAvailable */
		_("%1$s online (%2$s movable), %3$s available"), online, movable, avail);
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

/**
 * vmem_agent_view_report_to_json:
 * @r: a report of the guest agent
 *
 * The report as `virtmemctl agent --json` prints it in "report", and
 * `show --json` in "agent": the guest's own sizes (in KiB where the key
 * says so, in bytes otherwise), block counts per zone, pressure.
 *
 * Returns: (transfer full): a new JSON object
 */
json_object *
vmem_agent_view_report_to_json(const VmemAgentReport *r)
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
			       report != NULL ? vmem_agent_view_report_to_json(report) : NULL);
	json_object_object_add(root, "channel",
			       stats != NULL ? vmem_agent_view_json_stats(stats) : NULL);
	return g_strdup(json_object_to_json_string_ext(root, VMEM_CTL_JSON_FLAGS));
}
