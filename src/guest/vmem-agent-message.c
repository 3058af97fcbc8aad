/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-agent-message.h"

#include <glib/gi18n.h>
#include <inttypes.h>

#include "vmem-error.h"
#include "vmem-json.h"

#define VMEM_AGENT_PROTOCOL_MAX 1000
#define VMEM_AGENT_INTERVAL_MIN_MS 100
#define VMEM_AGENT_INTERVAL_MAX_MS 3600000
#define VMEM_AGENT_BLOCK_SIZE_MIN 4096
#define VMEM_AGENT_BLOCK_SIZE_MAX (G_GUINT64_CONSTANT(1) << 40)
/* Counters and times the agent sends: far beyond any real value. */
#define VMEM_AGENT_COUNT_MAX (G_GUINT64_CONSTANT(1) << 53)

/* The protocol says null and a missing member are the same. */
#define VMEM_AGENT_NULLABLE (VMEM_JSON_OPTIONAL | VMEM_JSON_NULLABLE)

/* Strings end up in logs and terminals: bounded, no control characters. */
static gboolean
vmem_agent_json_dup_string(json_object *obj, const char *key, VmemJsonGetFlags flags,
			   char **ret_value, GError **error)
{
	const char *value = NULL;

	if (!vmem_json_get_string(obj, key, flags | VMEM_JSON_NO_CONTROL, VMEM_AGENT_STRING_MAX,
				  &value, error))
		return FALSE;
	*ret_value = g_strdup(value);
	return TRUE;
}

static VmemAgentHello *
vmem_agent_hello_from_json(json_object *obj, GError **error)
{
	g_autoptr(VmemAgentHello) hello = g_new0(VmemAgentHello, 1);
	g_autoptr(GStrvBuilder) caps = g_strv_builder_new();
	json_object *arr = NULL;
	guint64 protocol = 0;

	if (!vmem_json_get_uint64(obj, "protocol", VMEM_JSON_REQUIRED, 1, VMEM_AGENT_PROTOCOL_MAX,
				  &protocol, error) ||
	    !vmem_agent_json_dup_string(obj, "agent", VMEM_JSON_REQUIRED, &hello->agent, error) ||
	    !vmem_agent_json_dup_string(obj, "version", VMEM_JSON_REQUIRED, &hello->version,
					error) ||
	    !vmem_json_get_array(obj, "capabilities", VMEM_JSON_REQUIRED,
				 VMEM_AGENT_CAPABILITIES_MAX, &arr, error))
		return NULL;
	hello->protocol = (guint)protocol;
	for (gsize i = 0; i < json_object_array_length(arr); i++) {
		const char *cap = NULL;

		if (!vmem_json_array_get_string(arr, "capabilities", i, VMEM_JSON_NO_CONTROL,
						VMEM_AGENT_STRING_MAX, &cap, error))
			return NULL;
		g_strv_builder_add(caps, cap);
	}
	hello->capabilities = g_strv_builder_end(caps);
	return g_steal_pointer(&hello);
}

static gboolean
vmem_agent_report_system_from_json(VmemAgentReport *r, json_object *obj, GError **error)
{
	json_object *sys = NULL;

	return vmem_json_get_object(obj, "system", VMEM_JSON_REQUIRED, &sys, error) &&
	       vmem_agent_json_dup_string(sys, "kernel", VMEM_AGENT_NULLABLE, &r->kernel, error) &&
	       vmem_json_get_bool(sys, "driver_loaded", VMEM_JSON_REQUIRED, &r->driver_loaded,
				  error) &&
	       vmem_json_get_uint64(sys, "driver_devices", VMEM_JSON_REQUIRED, 0,
				    VMEM_AGENT_DEVICES_MAX, &r->driver_devices, error) &&
	       vmem_agent_json_dup_string(sys, "auto_online_blocks", VMEM_AGENT_NULLABLE,
					  &r->auto_online_blocks, error) &&
	       vmem_agent_json_dup_string(sys, "memmap_on_memory", VMEM_AGENT_NULLABLE,
					  &r->memmap_on_memory, error) &&
	       vmem_agent_json_dup_string(sys, "online_policy", VMEM_AGENT_NULLABLE,
					  &r->online_policy, error) &&
	       vmem_json_get_int64(sys, "auto_movable_ratio", VMEM_AGENT_NULLABLE, 0, G_MAXUINT32,
				   &r->auto_movable_ratio, error);
}

static gboolean
vmem_agent_report_memory_from_json(VmemAgentReport *r, json_object *obj, GError **error)
{
	const guint64 max = VMEM_AGENT_BYTES_MAX / 1024;
	json_object *mem = NULL;

	if (!vmem_json_get_object(obj, "memory", VMEM_AGENT_NULLABLE, &mem, error))
		return FALSE;
	r->has_memory = mem != NULL;
	if (mem == NULL)
		return TRUE;
	return vmem_json_get_uint64(mem, "total_kib", VMEM_JSON_REQUIRED, 0, max, &r->mem_total_kib,
				    error) &&
	       vmem_json_get_uint64(mem, "available_kib", VMEM_JSON_REQUIRED, 0, max,
				    &r->mem_available_kib, error) &&
	       vmem_json_get_uint64(mem, "free_kib", VMEM_JSON_REQUIRED, 0, max, &r->mem_free_kib,
				    error) &&
	       vmem_json_get_uint64(mem, "cached_kib", VMEM_JSON_REQUIRED, 0, max,
				    &r->mem_cached_kib, error) &&
	       vmem_json_get_uint64(mem, "swap_total_kib", VMEM_JSON_REQUIRED, 0, max,
				    &r->swap_total_kib, error) &&
	       vmem_json_get_uint64(mem, "swap_free_kib", VMEM_JSON_REQUIRED, 0, max,
				    &r->swap_free_kib, error);
}

static gboolean
vmem_agent_psi_line_from_json(json_object *psi, const char *key, VmemAgentPsiLine *ret_line,
			      GError **error)
{
	VmemAgentPsiLine l = {0};
	json_object *obj = NULL;

	if (!vmem_json_get_object(psi, key, VMEM_JSON_REQUIRED, &obj, error) ||
	    !vmem_json_get_double(obj, "avg10", VMEM_JSON_REQUIRED, 0, 100, &l.avg10, error) ||
	    !vmem_json_get_double(obj, "avg60", VMEM_JSON_REQUIRED, 0, 100, &l.avg60, error) ||
	    !vmem_json_get_uint64(obj, "total_us", VMEM_JSON_REQUIRED, 0, VMEM_AGENT_COUNT_MAX,
				  &l.total_us, error))
		return FALSE;
	*ret_line = l;
	return TRUE;
}

static gboolean
vmem_agent_report_psi_from_json(VmemAgentReport *r, json_object *obj, GError **error)
{
	json_object *psi = NULL;

	if (!vmem_json_get_object(obj, "psi", VMEM_AGENT_NULLABLE, &psi, error))
		return FALSE;
	r->has_psi = psi != NULL;
	if (psi == NULL)
		return TRUE;
	return vmem_agent_psi_line_from_json(psi, "some", &r->psi_some, error) &&
	       vmem_agent_psi_line_from_json(psi, "full", &r->psi_full, error);
}

static void
vmem_agent_device_free(VmemAgentDevice *dev)
{
	g_free(dev->name);
	g_free(dev);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmemAgentDevice, vmem_agent_device_free)

static VmemAgentDevice *
vmem_agent_device_from_json(json_object *arr, gsize index, GError **error)
{
	const guint64 max = VMEM_AGENT_BYTES_MAX;
	g_autoptr(VmemAgentDevice) dev = g_new0(VmemAgentDevice, 1);
	json_object *obj = NULL;

	if (!vmem_json_array_get_object(arr, "devices", index, &obj, error) ||
	    !vmem_agent_json_dup_string(obj, "name", VMEM_JSON_REQUIRED, &dev->name, error) ||
	    !vmem_json_get_uint64(obj, "start", VMEM_JSON_REQUIRED, 0, max, &dev->start, error) ||
	    !vmem_json_get_uint64(obj, "size", VMEM_JSON_REQUIRED, 0, max, &dev->size, error) ||
	    !vmem_json_get_uint64(obj, "blocks", VMEM_JSON_REQUIRED, 0, max, &dev->blocks, error) ||
	    !vmem_json_get_uint64(obj, "movable", VMEM_JSON_REQUIRED, 0, max, &dev->movable,
				  error) ||
	    !vmem_json_get_uint64(obj, "normal", VMEM_JSON_REQUIRED, 0, max, &dev->normal, error) ||
	    !vmem_json_get_uint64(obj, "offline", VMEM_JSON_REQUIRED, 0, max, &dev->offline,
				  error) ||
	    !vmem_json_get_uint64(obj, "other", VMEM_JSON_REQUIRED, 0, max, &dev->other, error))
		return NULL;
	return g_steal_pointer(&dev);
}

static VmemAgentReport *
vmem_agent_report_from_json(json_object *obj, GError **error)
{
	g_autoptr(VmemAgentReport) r = g_new0(VmemAgentReport, 1);
	json_object *arr = NULL;

	r->devices = g_ptr_array_new_with_free_func((GDestroyNotify)vmem_agent_device_free);
	r->auto_movable_ratio = -1;
	if (!vmem_json_get_uint64(obj, "seq", VMEM_JSON_REQUIRED, 1, VMEM_AGENT_COUNT_MAX, &r->seq,
				  error) ||
	    !vmem_json_get_uint64(obj, "time_ms", VMEM_JSON_REQUIRED, 0, VMEM_AGENT_COUNT_MAX,
				  &r->time_ms, error) ||
	    !vmem_agent_json_dup_string(obj, "reason", VMEM_JSON_REQUIRED, &r->reason, error) ||
	    !vmem_json_get_uint64(obj, "interval_ms", VMEM_JSON_REQUIRED,
				  VMEM_AGENT_INTERVAL_MIN_MS, VMEM_AGENT_INTERVAL_MAX_MS,
				  &r->interval_ms, error) ||
	    !vmem_agent_report_system_from_json(r, obj, error) ||
	    !vmem_agent_report_memory_from_json(r, obj, error) ||
	    !vmem_agent_report_psi_from_json(r, obj, error) ||
	    !vmem_json_get_uint64(obj, "block_size", VMEM_JSON_REQUIRED, 0,
				  VMEM_AGENT_BLOCK_SIZE_MAX, &r->block_size, error) ||
	    !vmem_json_get_array(obj, "devices", VMEM_JSON_REQUIRED, VMEM_AGENT_DEVICES_MAX, &arr,
				 error))
		return NULL;
	for (gsize i = 0; i < json_object_array_length(arr); i++) {
		VmemAgentDevice *dev = vmem_agent_device_from_json(arr, i, error);

		if (dev == NULL)
			return NULL;
		g_ptr_array_add(r->devices, dev);
	}
	return g_steal_pointer(&r);
}

/* The typed reading of one line; errors say what is wrong with it. */
static VmemAgentMessage *
vmem_agent_message_from_line(const char *line, gsize len, GError **error)
{
	g_autoptr(VmemAgentMessage) msg = g_new0(VmemAgentMessage, 1);
	g_autoptr(json_object) root = NULL;
	g_autofree char *type = NULL;

	root = vmem_json_parse(line, len, VMEM_AGENT_LINE_MAX, VMEM_AGENT_DEPTH_MAX,
			       VMEM_JSON_PARSE_OBJECT, error);
	if (root == NULL ||
	    !vmem_agent_json_dup_string(root, "type", VMEM_JSON_REQUIRED, &type, error))
		return NULL;
	if (g_str_equal(type, "hello")) {
		msg->type = VMEM_AGENT_MESSAGE_HELLO;
		msg->hello = vmem_agent_hello_from_json(root, error);
		if (msg->hello == NULL)
			return NULL;
	} else if (g_str_equal(type, "report")) {
		msg->type = VMEM_AGENT_MESSAGE_REPORT;
		msg->report = vmem_agent_report_from_json(root, error);
		if (msg->report == NULL)
			return NULL;
	} else if (g_str_equal(type, "error")) {
		msg->type = VMEM_AGENT_MESSAGE_ERROR;
		if (!vmem_agent_json_dup_string(root, "request", VMEM_AGENT_NULLABLE,
						&msg->error_request, error) ||
		    !vmem_agent_json_dup_string(root, "message", VMEM_JSON_REQUIRED,
						&msg->error_message, error))
			return NULL;
	} else {
		msg->type = VMEM_AGENT_MESSAGE_UNKNOWN;
	}
	return g_steal_pointer(&msg);
}

/* Values that cannot be true together. */
static gboolean
vmem_agent_report_validate_memory(const VmemAgentReport *r, GError **error)
{
	const struct {
		const char *name;
		guint64 value;
		const char *limit_name;
		guint64 limit;
	} checks[] = {
		{"MemAvailable", r->mem_available_kib, "MemTotal", r->mem_total_kib},
		{"MemFree", r->mem_free_kib, "MemTotal", r->mem_total_kib},
		{"Cached", r->mem_cached_kib, "MemTotal", r->mem_total_kib},
		{"SwapFree", r->swap_free_kib, "SwapTotal", r->swap_total_kib},
	};

	if (!r->has_memory)
		return TRUE;
	for (gsize i = 0; i < G_N_ELEMENTS(checks); i++) {
		if (checks[i].value > checks[i].limit) {
			g_set_error(
				error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				/* TRANSLATORS: %1$s and %3$s are /proc/meminfo fields such as
				 * MemAvailable and MemTotal, the other two their values in KiB */
				_("The guest agent reports %1$s of %2$" PRIu64
				  " KiB, more than %3$s of %4$" PRIu64 " KiB."),
				checks[i].name, checks[i].value, checks[i].limit_name,
				checks[i].limit);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
vmem_agent_report_validate_device(const VmemAgentReport *r, const VmemAgentDevice *d,
				  GError **error)
{
	guint64 sum = d->movable + d->normal + d->offline + d->other; /* each <= 2^52 */

	if (d->start + d->size > VMEM_AGENT_BYTES_MAX) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %1$s is a device name such as virtio5, then come its
			     * start address in hexadecimal and its size in bytes */
			    _("The guest agent reports the device %1$s at 0x%2$" PRIx64
			      " of %3$" PRIu64
			      " bytes, which ends beyond the physical address limit."),
			    d->name, d->start, d->size);
		return FALSE;
	}
	if (sum != d->blocks) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %1$s is a device name such as virtio5, the other two
			     * are numbers of memory blocks */
			    _("The guest agent reports the device %1$s with %2$" PRIu64
			      " blocks, but its blocks by state add up to %3$" PRIu64 "."),
			    d->name, d->blocks, sum);
		return FALSE;
	}
	if (d->blocks > 0 && (r->block_size == 0 || d->blocks > d->size / r->block_size)) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: the first number counts memory blocks, the second is
			     * their size in bytes, %3$s is a device name such as virtio5, and
			     * the last number its size in bytes */
			    _("The guest agent reports %1$" PRIu64 " blocks of %2$" PRIu64
			      " bytes plugged in the device %3$s "
			      "of %4$" PRIu64 " bytes, which cannot hold them."),
			    d->blocks, r->block_size, d->name, d->size);
		return FALSE;
	}
	return TRUE;
}

static gboolean
vmem_agent_report_validate(const VmemAgentReport *r, GError **error)
{
	if (r->block_size != 0 &&
	    (r->block_size < VMEM_AGENT_BLOCK_SIZE_MIN || (r->block_size & (r->block_size - 1)))) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: both numbers are memory block sizes in bytes */
			    _("The guest agent reports a memory block size of %1$" PRIu64
			      " bytes, which is not a power of two of at least %2$" PRIu64
			      " bytes."),
			    r->block_size, (guint64)VMEM_AGENT_BLOCK_SIZE_MIN);
		return FALSE;
	}
	if (!vmem_agent_report_validate_memory(r, error))
		return FALSE;
	for (guint i = 0; i < r->devices->len; i++)
		if (!vmem_agent_report_validate_device(r, g_ptr_array_index(r->devices, i), error))
			return FALSE;
	return TRUE;
}

/**
 * vmem_agent_message_parse:
 * @line: one line from the agent, without its newline; need not be
 *   NUL-terminated and may contain anything
 * @len: its length in bytes
 * @error: return location for a #GError
 *
 * Parses and validates one agent message: vmem_json_parse() with the caps
 * of the protocol, typed members, then values that cannot be true together.
 * Messages of a type this host does not know are returned as
 * %VMEM_AGENT_MESSAGE_UNKNOWN, to be ignored; unknown members are ignored.
 *
 * Returns: (transfer full): the message, or %NULL with
 *   %VMEM_ERROR_INVALID_DATA when the line is malformed or implausible.
 */
VmemAgentMessage *
vmem_agent_message_parse(const char *line, gsize len, GError **error)
{
	g_autoptr(GError) local_error = NULL;
	g_autoptr(VmemAgentMessage) msg = vmem_agent_message_from_line(line, len, &local_error);

	if (msg == NULL) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %s is a sentence that says what is wrong with the
			     * message */
			    _("The guest agent sent an invalid message. %s"), local_error->message);
		return NULL;
	}
	if (msg->report != NULL && !vmem_agent_report_validate(msg->report, error))
		return NULL;
	return g_steal_pointer(&msg);
}

/**
 * vmem_agent_message_free:
 * @msg: (nullable): a message from vmem_agent_message_parse()
 */
void
vmem_agent_message_free(VmemAgentMessage *msg)
{
	if (msg == NULL)
		return;
	vmem_agent_hello_free(msg->hello);
	vmem_agent_report_free(msg->report);
	g_free(msg->error_request);
	g_free(msg->error_message);
	g_free(msg);
}

/**
 * vmem_agent_hello_free:
 * @hello: (nullable): a hello
 */
void
vmem_agent_hello_free(VmemAgentHello *hello)
{
	if (hello == NULL)
		return;
	g_free(hello->agent);
	g_free(hello->version);
	g_strfreev(hello->capabilities);
	g_free(hello);
}

/**
 * vmem_agent_hello_has_capability:
 * @hello: a hello
 * @capability: e.g. "set-interval"
 *
 * Returns: whether the agent announced @capability; the host sends only
 *   requests the agent announced.
 */
gboolean
vmem_agent_hello_has_capability(const VmemAgentHello *hello, const char *capability)
{
	return hello->capabilities != NULL &&
	       g_strv_contains((const char *const *)hello->capabilities, capability);
}

/**
 * vmem_agent_report_free:
 * @report: (nullable): a report
 */
void
vmem_agent_report_free(VmemAgentReport *report)
{
	if (report == NULL)
		return;
	g_free(report->reason);
	g_free(report->kernel);
	g_free(report->auto_online_blocks);
	g_free(report->memmap_on_memory);
	g_free(report->online_policy);
	if (report->devices != NULL)
		g_ptr_array_unref(report->devices);
	g_free(report);
}

/**
 * vmem_agent_report_get_online_bytes:
 * @report: a validated report
 *
 * Returns: the virtio-mem memory the guest has online, in bytes.
 */
guint64
vmem_agent_report_get_online_bytes(const VmemAgentReport *report)
{
	guint64 blocks = 0;

	for (guint i = 0; i < report->devices->len; i++) {
		const VmemAgentDevice *d = g_ptr_array_index(report->devices, i);

		blocks += d->movable + d->normal;
	}
	return blocks * report->block_size;
}

/**
 * vmem_agent_report_get_movable_bytes:
 * @report: a validated report
 *
 * Returns: the virtio-mem memory online in ZONE_MOVABLE, in bytes: what an
 *   unplug can reliably take back.
 */
guint64
vmem_agent_report_get_movable_bytes(const VmemAgentReport *report)
{
	guint64 blocks = 0;

	for (guint i = 0; i < report->devices->len; i++) {
		const VmemAgentDevice *d = g_ptr_array_index(report->devices, i);

		blocks += d->movable;
	}
	return blocks * report->block_size;
}

/**
 * vmem_agent_report_unplug_may_stick:
 * @report: a validated report
 *
 * Returns: %TRUE when virtio-mem blocks are online in a kernel zone
 *   (ZONE_NORMAL): unmovable allocations can pin them, so an unplug of
 *   them may never finish.
 */
gboolean
vmem_agent_report_unplug_may_stick(const VmemAgentReport *report)
{
	for (guint i = 0; i < report->devices->len; i++) {
		const VmemAgentDevice *d = g_ptr_array_index(report->devices, i);

		if (d->normal > 0)
			return TRUE;
	}
	return FALSE;
}
