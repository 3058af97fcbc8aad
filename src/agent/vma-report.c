/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vma-report.h"

#include <stdio.h>

static const char *const vma_report_capabilities[] = {
	"report", "report-now", "set-interval", "hello", "uevent", "watch",
};

void
vma_snapshot_read(const char *root, bool with_blocks, VmaSnapshot *snapshot)
{
	snapshot->have_meminfo = vma_meminfo_read(root, &snapshot->meminfo);
	vma_psi_read(root, &snapshot->psi);
	if (with_blocks) {
		vma_system_read(root, &snapshot->system);
		vma_blocks_read(root, &snapshot->system, &snapshot->blocks);
	}
}

static void
vma_report_add_u64(json_object *obj, const char *key, uint64_t value)
{
	json_object_object_add(obj, key, json_object_new_int64((int64_t)value));
}

static void
vma_report_add_string_or_null(json_object *obj, const char *key, const char *value)
{
	json_object_object_add(obj, key, value[0] != '\0' ? json_object_new_string(value) : NULL);
}

json_object *
vma_report_hello(void)
{
	json_object *msg = json_object_new_object();
	json_object *caps = json_object_new_array();

	for (size_t i = 0; i < sizeof(vma_report_capabilities) / sizeof(vma_report_capabilities[0]);
	     i++)
		json_object_array_add(caps, json_object_new_string(vma_report_capabilities[i]));
	json_object_object_add(msg, "type", json_object_new_string("hello"));
	json_object_object_add(msg, "protocol", json_object_new_int(VMEM_AGENT_PROTOCOL_VERSION));
	json_object_object_add(msg, "agent", json_object_new_string("virtmem-agent"));
	json_object_object_add(msg, "version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(msg, "capabilities", caps);
	return msg;
}

static json_object *
vma_report_system(const VmaSystem *s)
{
	json_object *obj = json_object_new_object();

	vma_report_add_string_or_null(obj, "kernel", s->kernel);
	json_object_object_add(obj, "driver_loaded", json_object_new_boolean(s->driver_loaded));
	vma_report_add_u64(obj, "driver_devices", s->n_driver_devices);
	vma_report_add_string_or_null(obj, "auto_online_blocks", s->auto_online_blocks);
	vma_report_add_string_or_null(obj, "memmap_on_memory", s->memmap_on_memory);
	vma_report_add_string_or_null(obj, "online_policy", s->online_policy);
	json_object_object_add(obj, "auto_movable_ratio",
			       s->have_auto_movable_ratio
				       ? json_object_new_int64((int64_t)s->auto_movable_ratio)
				       : NULL);
	return obj;
}

static json_object *
vma_report_memory(const VmaMeminfo *m)
{
	json_object *obj = json_object_new_object();

	vma_report_add_u64(obj, "total_kib", m->total_kib);
	vma_report_add_u64(obj, "available_kib", m->available_kib);
	vma_report_add_u64(obj, "free_kib", m->free_kib);
	vma_report_add_u64(obj, "cached_kib", m->cached_kib);
	vma_report_add_u64(obj, "swap_total_kib", m->swap_total_kib);
	vma_report_add_u64(obj, "swap_free_kib", m->swap_free_kib);
	return obj;
}

/* The kernel prints two decimals: so do we, not 0.050000000000000003. */
static json_object *
vma_report_percent(double value)
{
	char text[32];

	snprintf(text, sizeof(text), "%.2f", value);
	return json_object_new_double_s(value, text);
}

static json_object *
vma_report_psi_line(const VmemPsiLine *l)
{
	json_object *obj = json_object_new_object();

	json_object_object_add(obj, "avg10", vma_report_percent(l->avg10));
	json_object_object_add(obj, "avg60", vma_report_percent(l->avg60));
	vma_report_add_u64(obj, "total_us", l->total_us);
	return obj;
}

static json_object *
vma_report_psi(const VmemPsi *p)
{
	json_object *obj;

	if (!p->present)
		return NULL;
	obj = json_object_new_object();
	json_object_object_add(obj, "some", vma_report_psi_line(&p->some));
	json_object_object_add(obj, "full", vma_report_psi_line(&p->full));
	return obj;
}

static json_object *
vma_report_devices(const VmaBlocks *b)
{
	json_object *arr = json_object_new_array();

	for (unsigned int i = 0; i < b->n_devices; i++) {
		const VmaDevice *d = &b->devices[i];
		json_object *obj = json_object_new_object();

		json_object_object_add(obj, "name", json_object_new_string(d->name));
		vma_report_add_u64(obj, "start", d->start);
		vma_report_add_u64(obj, "size", d->size);
		vma_report_add_u64(obj, "blocks", d->blocks);
		vma_report_add_u64(obj, "movable", d->movable);
		vma_report_add_u64(obj, "normal", d->normal);
		vma_report_add_u64(obj, "offline", d->offline);
		vma_report_add_u64(obj, "other", d->other);
		json_object_array_add(arr, obj);
	}
	return arr;
}

json_object *
vma_report_new(const VmaSnapshot *snapshot, uint64_t seq, uint64_t time_ms, const char *reason,
	       uint64_t interval_ms)
{
	json_object *msg = json_object_new_object();

	json_object_object_add(msg, "type", json_object_new_string("report"));
	vma_report_add_u64(msg, "seq", seq);
	vma_report_add_u64(msg, "time_ms", time_ms);
	json_object_object_add(msg, "reason", json_object_new_string(reason));
	vma_report_add_u64(msg, "interval_ms", interval_ms);
	json_object_object_add(msg, "system", vma_report_system(&snapshot->system));
	json_object_object_add(msg, "memory",
			       snapshot->have_meminfo ? vma_report_memory(&snapshot->meminfo)
						      : NULL);
	json_object_object_add(msg, "psi", vma_report_psi(&snapshot->psi));
	vma_report_add_u64(msg, "block_size", snapshot->blocks.block_size);
	json_object_object_add(msg, "devices", vma_report_devices(&snapshot->blocks));
	return msg;
}

json_object *
vma_report_error(const char *request, const char *message)
{
	json_object *msg = json_object_new_object();

	json_object_object_add(msg, "type", json_object_new_string("error"));
	json_object_object_add(msg, "request",
			       request != NULL ? json_object_new_string(request) : NULL);
	json_object_object_add(msg, "message", json_object_new_string(message));
	return msg;
}
