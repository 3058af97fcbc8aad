/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-agent-message.h"

#include <glib/gi18n.h>
#include <json-c/json.h>
#include <math.h>
#include <string.h>

#include "vmem-error.h"
#include "vmem-json.h"

#define VMEM_AGENT_PROTOCOL_MAX 1000
#define VMEM_AGENT_INTERVAL_MIN_MS 100
#define VMEM_AGENT_INTERVAL_MAX_MS 3600000
#define VMEM_AGENT_BLOCK_SIZE_MIN 4096
#define VMEM_AGENT_BLOCK_SIZE_MAX (G_GUINT64_CONSTANT(1) << 40)
/* Counters and times the agent sends: far beyond any real value. */
#define VMEM_AGENT_COUNT_MAX (G_GUINT64_CONSTANT(1) << 53)

/* Pass 1: the line itself, before any JSON parser sees it. */
static gboolean
vmem_agent_message_check_line(const char *line, gsize len, GError **error)
{
	if (len > VMEM_AGENT_LINE_MAX) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: an agent message line is too long */
			    _("agent message of %" G_GSIZE_FORMAT
			      " bytes exceeds the limit of %d bytes"),
			    len, VMEM_AGENT_LINE_MAX);
		return FALSE;
	}
	if (memchr(line, '\0', len) != NULL) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: the guest sent a NUL byte */
			    _("agent message contains a NUL byte at offset %" G_GSIZE_FORMAT),
			    (gsize)((const char *)memchr(line, '\0', len) - line));
		return FALSE;
	}
	if (!g_utf8_validate_len(line, len, NULL)) {
		g_set_error_literal(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: the guest sent bytes that are not UTF-8 */
				    _("agent message is not valid UTF-8"));
		return FALSE;
	}
	return TRUE;
}

/* Pass 2: JSON, with a depth limit, one object and nothing after it. */
static json_object *
vmem_agent_message_parse_json(const char *line, gsize len, GError **error)
{
	g_autoptr(json_tokener) tok = json_tokener_new_ex(VMEM_AGENT_DEPTH_MAX);
	g_autoptr(json_object) root = NULL;
	enum json_tokener_error jerr;
	gsize end;

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	/* An object ends with its brace: json_tokener_continue means it did not. */
	if (root == NULL && jerr == json_tokener_continue) {
		g_set_error_literal(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: the line ends in the middle of the JSON */
				    _("agent message ends inside a JSON value"));
		return NULL;
	}
	if (root == NULL || jerr != json_tokener_success) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %s is json-c's description of the error */
			    _("agent message is not valid JSON: %s"),
			    json_tokener_error_desc(jerr));
		return NULL;
	}
	end = json_tokener_get_parse_end(tok);
	for (; end < len; end++) {
		if (!g_ascii_isspace(line[end])) {
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: something follows the JSON object */
				    _("agent message has trailing data at offset %" G_GSIZE_FORMAT),
				    end);
			return NULL;
		}
	}
	if (!json_object_is_type(root, json_type_object)) {
		g_set_error_literal(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: the message must be {...} */
				    _("agent message is not a JSON object"));
		return NULL;
	}
	return g_steal_pointer(&root);
}

/* Pass 3: typed fields.  A missing key and null are the same. */
static json_object *
vmem_agent_json_get(json_object *obj, const char *key)
{
	json_object *value = NULL;

	if (!json_object_object_get_ex(obj, key, &value))
		return NULL;
	return value;
}

static gboolean
vmem_agent_json_missing(const char *key, GError **error)
{
	g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
		    /* TRANSLATORS: %s is a JSON field name */
		    _("agent message lacks the field \"%s\""), key);
	return FALSE;
}

static gboolean
vmem_agent_json_wrong_type(const char *key, const char *expected, GError **error)
{
	g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
		    /* TRANSLATORS: first %s is a JSON field name, second a JSON type such as
		       "integer" */
		    _("agent message field \"%s\" is not of type %s"), key, expected);
	return FALSE;
}

static gboolean
vmem_agent_json_get_u64(json_object *obj, const char *key, guint64 min, guint64 max,
			guint64 *ret_value, GError **error)
{
	json_object *v = vmem_agent_json_get(obj, key);
	gint64 n;

	if (v == NULL)
		return vmem_agent_json_missing(key, error);
	if (!json_object_is_type(v, json_type_int))
		return vmem_agent_json_wrong_type(key, "integer", error);
	n = json_object_get_int64(v);
	/* Beyond int64, json-c saturates: the bound below rejects that too. */
	if (n < 0 || (guint64)n < min || (guint64)n > max) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: first %s is a JSON field name, then the value and the
			       accepted range */
			    _("agent message field \"%s\" is %s, outside %" G_GUINT64_FORMAT
			      "..%" G_GUINT64_FORMAT),
			    key, json_object_get_string(v), min, max);
		return FALSE;
	}
	*ret_value = (guint64)n;
	return TRUE;
}

static gboolean
vmem_agent_json_get_double(json_object *obj, const char *key, double min, double max,
			   double *ret_value, GError **error)
{
	json_object *v = vmem_agent_json_get(obj, key);
	double d;

	if (v == NULL)
		return vmem_agent_json_missing(key, error);
	if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
		return vmem_agent_json_wrong_type(key, "number", error);
	d = json_object_get_double(v);
	if (!isfinite(d) || d < min || d > max) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: first %s is a JSON field name, then the value */
			    _("agent message field \"%s\" is %s, outside %g..%g"), key,
			    json_object_get_string(v), min, max);
		return FALSE;
	}
	*ret_value = d;
	return TRUE;
}

static gboolean
vmem_agent_json_get_bool(json_object *obj, const char *key, gboolean *ret_value, GError **error)
{
	json_object *v = vmem_agent_json_get(obj, key);

	if (v == NULL)
		return vmem_agent_json_missing(key, error);
	if (!json_object_is_type(v, json_type_boolean))
		return vmem_agent_json_wrong_type(key, "boolean", error);
	*ret_value = json_object_get_boolean(v);
	return TRUE;
}

/* Strings end up in logs and terminals: bounded, no control characters. */
static gboolean
vmem_agent_check_string(const char *key, const char *s, gsize len, GError **error)
{
	if (len > VMEM_AGENT_STRING_MAX) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %s is a JSON field name */
			    _("agent message field \"%s\" is longer than %d bytes"), key,
			    VMEM_AGENT_STRING_MAX);
		return FALSE;
	}
	for (gsize i = 0; i < len; i++) {
		if ((guchar)s[i] < 0x20 || (guchar)s[i] == 0x7f) {
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: %s is a JSON field name */
				    _("agent message field \"%s\" contains a control character"),
				    key);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
vmem_agent_json_get_string(json_object *obj, const char *key, gboolean nullable, char **ret_value,
			   GError **error)
{
	json_object *v = vmem_agent_json_get(obj, key);

	if (v == NULL && nullable) {
		*ret_value = NULL;
		return TRUE;
	}
	if (v == NULL)
		return vmem_agent_json_missing(key, error);
	if (!json_object_is_type(v, json_type_string))
		return vmem_agent_json_wrong_type(key, "string", error);
	if (!vmem_agent_check_string(key, json_object_get_string(v),
				     (gsize)json_object_get_string_len(v), error))
		return FALSE;
	*ret_value = g_strdup(json_object_get_string(v));
	return TRUE;
}

static gboolean
vmem_agent_json_get_object(json_object *obj, const char *key, gboolean nullable,
			   json_object **ret_value, GError **error)
{
	json_object *v = vmem_agent_json_get(obj, key);

	if (v == NULL && !nullable)
		return vmem_agent_json_missing(key, error);
	if (v != NULL && !json_object_is_type(v, json_type_object))
		return vmem_agent_json_wrong_type(key, "object", error);
	*ret_value = v;
	return TRUE;
}

static gboolean
vmem_agent_json_get_array(json_object *obj, const char *key, gsize max, json_object **ret_value,
			  GError **error)
{
	json_object *v = vmem_agent_json_get(obj, key);

	if (v == NULL)
		return vmem_agent_json_missing(key, error);
	if (!json_object_is_type(v, json_type_array))
		return vmem_agent_json_wrong_type(key, "array", error);
	if (json_object_array_length(v) > max) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %s is a JSON field name */
			    _("agent message field \"%s\" has %" G_GSIZE_FORMAT
			      " entries, more than %" G_GSIZE_FORMAT),
			    key, json_object_array_length(v), max);
		return FALSE;
	}
	*ret_value = v;
	return TRUE;
}

static VmemAgentHello *
vmem_agent_hello_from_json(json_object *obj, GError **error)
{
	g_autoptr(VmemAgentHello) hello = g_new0(VmemAgentHello, 1);
	g_autoptr(GStrvBuilder) caps = g_strv_builder_new();
	json_object *arr = NULL;
	guint64 protocol = 0;

	if (!vmem_agent_json_get_u64(obj, "protocol", 1, VMEM_AGENT_PROTOCOL_MAX, &protocol,
				     error) ||
	    !vmem_agent_json_get_string(obj, "agent", FALSE, &hello->agent, error) ||
	    !vmem_agent_json_get_string(obj, "version", FALSE, &hello->version, error) ||
	    !vmem_agent_json_get_array(obj, "capabilities", VMEM_AGENT_CAPABILITIES_MAX, &arr,
				       error))
		return NULL;
	hello->protocol = (guint)protocol;
	for (gsize i = 0; i < json_object_array_length(arr); i++) {
		json_object *cap = json_object_array_get_idx(arr, i);

		if (!json_object_is_type(cap, json_type_string)) {
			vmem_agent_json_wrong_type("capabilities", "array of strings", error);
			return NULL;
		}
		if (!vmem_agent_check_string("capabilities", json_object_get_string(cap),
					     (gsize)json_object_get_string_len(cap), error))
			return NULL;
		g_strv_builder_add(caps, json_object_get_string(cap));
	}
	hello->capabilities = g_strv_builder_end(caps);
	return g_steal_pointer(&hello);
}

static gboolean
vmem_agent_report_system_from_json(VmemAgentReport *r, json_object *obj, GError **error)
{
	json_object *sys = NULL;

	return vmem_agent_json_get_object(obj, "system", FALSE, &sys, error) &&
	       vmem_agent_json_get_string(sys, "kernel", TRUE, &r->kernel, error) &&
	       vmem_agent_json_get_bool(sys, "driver_loaded", &r->driver_loaded, error) &&
	       vmem_agent_json_get_u64(sys, "driver_devices", 0, VMEM_AGENT_DEVICES_MAX,
				       &r->driver_devices, error) &&
	       vmem_agent_json_get_string(sys, "auto_online_blocks", TRUE, &r->auto_online_blocks,
					  error) &&
	       vmem_agent_json_get_string(sys, "memmap_on_memory", TRUE, &r->memmap_on_memory,
					  error);
}

static gboolean
vmem_agent_report_memory_from_json(VmemAgentReport *r, json_object *obj, GError **error)
{
	const guint64 max = VMEM_AGENT_BYTES_MAX / 1024;
	json_object *mem = NULL;

	if (!vmem_agent_json_get_object(obj, "memory", TRUE, &mem, error))
		return FALSE;
	r->has_memory = mem != NULL;
	if (mem == NULL)
		return TRUE;
	return vmem_agent_json_get_u64(mem, "total_kib", 0, max, &r->mem_total_kib, error) &&
	       vmem_agent_json_get_u64(mem, "available_kib", 0, max, &r->mem_available_kib,
				       error) &&
	       vmem_agent_json_get_u64(mem, "free_kib", 0, max, &r->mem_free_kib, error) &&
	       vmem_agent_json_get_u64(mem, "cached_kib", 0, max, &r->mem_cached_kib, error) &&
	       vmem_agent_json_get_u64(mem, "swap_total_kib", 0, max, &r->swap_total_kib, error) &&
	       vmem_agent_json_get_u64(mem, "swap_free_kib", 0, max, &r->swap_free_kib, error);
}

static gboolean
vmem_agent_psi_line_from_json(json_object *psi, const char *key, VmemAgentPsiLine *ret_line,
			      GError **error)
{
	VmemAgentPsiLine l = {0};
	json_object *obj = NULL;

	if (!vmem_agent_json_get_object(psi, key, FALSE, &obj, error) ||
	    !vmem_agent_json_get_double(obj, "avg10", 0, 100, &l.avg10, error) ||
	    !vmem_agent_json_get_double(obj, "avg60", 0, 100, &l.avg60, error) ||
	    !vmem_agent_json_get_u64(obj, "total_us", 0, VMEM_AGENT_COUNT_MAX, &l.total_us, error))
		return FALSE;
	*ret_line = l;
	return TRUE;
}

static gboolean
vmem_agent_report_psi_from_json(VmemAgentReport *r, json_object *obj, GError **error)
{
	json_object *psi = NULL;

	if (!vmem_agent_json_get_object(obj, "psi", TRUE, &psi, error))
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
vmem_agent_device_from_json(json_object *obj, GError **error)
{
	const guint64 max = VMEM_AGENT_BYTES_MAX;
	g_autoptr(VmemAgentDevice) dev = g_new0(VmemAgentDevice, 1);

	if (!json_object_is_type(obj, json_type_object)) {
		vmem_agent_json_wrong_type("devices", "array of objects", error);
		return NULL;
	}
	if (!vmem_agent_json_get_string(obj, "name", FALSE, &dev->name, error) ||
	    !vmem_agent_json_get_u64(obj, "start", 0, max, &dev->start, error) ||
	    !vmem_agent_json_get_u64(obj, "size", 0, max, &dev->size, error) ||
	    !vmem_agent_json_get_u64(obj, "blocks", 0, max, &dev->blocks, error) ||
	    !vmem_agent_json_get_u64(obj, "movable", 0, max, &dev->movable, error) ||
	    !vmem_agent_json_get_u64(obj, "normal", 0, max, &dev->normal, error) ||
	    !vmem_agent_json_get_u64(obj, "offline", 0, max, &dev->offline, error) ||
	    !vmem_agent_json_get_u64(obj, "other", 0, max, &dev->other, error))
		return NULL;
	return g_steal_pointer(&dev);
}

static VmemAgentReport *
vmem_agent_report_from_json(json_object *obj, GError **error)
{
	g_autoptr(VmemAgentReport) r = g_new0(VmemAgentReport, 1);
	json_object *arr = NULL;

	r->devices = g_ptr_array_new_with_free_func((GDestroyNotify)vmem_agent_device_free);
	if (!vmem_agent_json_get_u64(obj, "seq", 1, VMEM_AGENT_COUNT_MAX, &r->seq, error) ||
	    !vmem_agent_json_get_u64(obj, "time_ms", 0, VMEM_AGENT_COUNT_MAX, &r->time_ms, error) ||
	    !vmem_agent_json_get_string(obj, "reason", FALSE, &r->reason, error) ||
	    !vmem_agent_json_get_u64(obj, "interval_ms", VMEM_AGENT_INTERVAL_MIN_MS,
				     VMEM_AGENT_INTERVAL_MAX_MS, &r->interval_ms, error) ||
	    !vmem_agent_report_system_from_json(r, obj, error) ||
	    !vmem_agent_report_memory_from_json(r, obj, error) ||
	    !vmem_agent_report_psi_from_json(r, obj, error) ||
	    !vmem_agent_json_get_u64(obj, "block_size", 0, VMEM_AGENT_BLOCK_SIZE_MAX,
				     &r->block_size, error) ||
	    !vmem_agent_json_get_array(obj, "devices", VMEM_AGENT_DEVICES_MAX, &arr, error))
		return NULL;
	for (gsize i = 0; i < json_object_array_length(arr); i++) {
		VmemAgentDevice *dev =
			vmem_agent_device_from_json(json_object_array_get_idx(arr, i), error);

		if (dev == NULL)
			return NULL;
		g_ptr_array_add(r->devices, dev);
	}
	return g_steal_pointer(&r);
}

/* Pass 4: values that cannot be true together. */
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
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: e.g. "agent reports MemAvailable 900 KiB
				       above MemTotal 800 KiB" */
				    _("agent reports %s %" G_GUINT64_FORMAT
				      " KiB above %s %" G_GUINT64_FORMAT " KiB"),
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
			    /* TRANSLATORS: %s is a device name such as virtio5 */
			    _("agent reports device %s ending beyond the physical address limit"),
			    d->name);
		return FALSE;
	}
	if (sum != d->blocks) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %s is a device name such as virtio5 */
			    _("agent reports device %s with %" G_GUINT64_FORMAT
			      " blocks but %" G_GUINT64_FORMAT " by state"),
			    d->name, d->blocks, sum);
		return FALSE;
	}
	if (d->blocks > 0 && (r->block_size == 0 || d->blocks > d->size / r->block_size)) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %s is a device name such as virtio5 */
			    _("agent reports %" G_GUINT64_FORMAT " blocks of %" G_GUINT64_FORMAT
			      " bytes plugged in device %s of %" G_GUINT64_FORMAT " bytes"),
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
			    /* TRANSLATORS: a memory block size in bytes */
			    _("agent reports a block size of %" G_GUINT64_FORMAT
			      " bytes, which is not a power of two of at least 4096"),
			    r->block_size);
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
 * Parses and validates one agent message.  Messages of a type this host does
 * not know are returned as %VMEM_AGENT_MESSAGE_UNKNOWN, to be ignored;
 * unknown fields are ignored.
 *
 * Returns: (transfer full): the message, or %NULL with
 *   %VMEM_ERROR_INVALID_DATA when the line is malformed or implausible.
 */
VmemAgentMessage *
vmem_agent_message_parse(const char *line, gsize len, GError **error)
{
	g_autoptr(VmemAgentMessage) msg = g_new0(VmemAgentMessage, 1);
	g_autoptr(json_object) root = NULL;
	g_autofree char *type = NULL;

	if (!vmem_agent_message_check_line(line, len, error))
		return NULL;
	root = vmem_agent_message_parse_json(line, len, error);
	if (root == NULL || !vmem_agent_json_get_string(root, "type", FALSE, &type, error))
		return NULL;
	if (g_str_equal(type, "hello")) {
		msg->type = VMEM_AGENT_MESSAGE_HELLO;
		msg->hello = vmem_agent_hello_from_json(root, error);
		if (msg->hello == NULL)
			return NULL;
	} else if (g_str_equal(type, "report")) {
		msg->type = VMEM_AGENT_MESSAGE_REPORT;
		msg->report = vmem_agent_report_from_json(root, error);
		if (msg->report == NULL || !vmem_agent_report_validate(msg->report, error))
			return NULL;
	} else if (g_str_equal(type, "error")) {
		msg->type = VMEM_AGENT_MESSAGE_ERROR;
		if (!vmem_agent_json_get_string(root, "request", TRUE, &msg->error_request,
						error) ||
		    !vmem_agent_json_get_string(root, "message", FALSE, &msg->error_message, error))
			return NULL;
	} else {
		msg->type = VMEM_AGENT_MESSAGE_UNKNOWN;
	}
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
