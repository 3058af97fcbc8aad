/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The qmp backend's reading of what QEMU returns: pure functions of JSON.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <string.h>

#include "vmem-backend-qmp.h"
#include "vmem-error.h"
#include "vmem-json.h"

/* Says which reply the JSON layer refused with @local_error. */
static void
vmem_backend_qmp_set_invalid(GError **error, const char *command, const GError *local_error)
{
	g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
		    /* TRANSLATORS: %1$s is a QMP command such as query-memory-devices; %2$s is a
		     * sentence that says what is wrong with its reply */
		    _("QEMU's reply to %1$s is invalid. %2$s"), command, local_error->message);
}

/**
 * vmem_backend_qmp_parse_uri:
 * @uri: `qmp+unix:///path/to/qmp.sock`
 * @ret_path: (out): the socket path
 *
 * Checks a qmp backend URI and extracts its socket path: an absolute path,
 * no host, no query, no fragment.
 */
gboolean
vmem_backend_qmp_parse_uri(const char *uri, char **ret_path, GError **error)
{
	g_autoptr(GUri) parsed = g_uri_parse(uri, G_URI_FLAGS_NONE, NULL);
	const char *host;
	const char *path;

	if (parsed == NULL || g_ascii_strcasecmp(g_uri_get_scheme(parsed), "qmp+unix") != 0 ||
	    ((host = g_uri_get_host(parsed)) != NULL && host[0] != '\0') ||
	    g_uri_get_query(parsed) != NULL || g_uri_get_fragment(parsed) != NULL ||
	    (path = g_uri_get_path(parsed))[0] != '/' || g_str_has_suffix(path, "/")) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			    /* TRANSLATORS: %s is the URI the user gave; keep the example URI */
			    _("The connection URI %s does not name a QMP socket: write it as "
			      "qmp+unix:///path/to/qmp.sock."),
			    uri);
		return FALSE;
	}
	*ret_path = g_strdup(path);
	return TRUE;
}

static VmemDevice *
vmem_backend_qmp_parse_device(json_object *entry, GError **error)
{
	g_autoptr(VmemDevice) dev = g_new0(VmemDevice, 1);
	g_autoptr(GError) local_error = NULL;
	json_object *data = NULL;
	const char *text = NULL;
	guint64 node = 0;

	if (!vmem_json_get_object(entry, "data", VMEM_JSON_REQUIRED, &data, &local_error) ||
	    !vmem_json_get_uint64(data, "memaddr", VMEM_JSON_REQUIRED, 0, G_MAXUINT64,
				  &dev->address, &local_error) ||
	    !vmem_json_get_uint64(data, "requested-size", VMEM_JSON_REQUIRED, 0, G_MAXUINT64,
				  &dev->requested, &local_error) ||
	    !vmem_json_get_uint64(data, "size", VMEM_JSON_REQUIRED, 0, G_MAXUINT64, &dev->plugged,
				  &local_error) ||
	    !vmem_json_get_uint64(data, "max-size", VMEM_JSON_REQUIRED, 0, G_MAXUINT64, &dev->size,
				  &local_error) ||
	    !vmem_json_get_uint64(data, "block-size", VMEM_JSON_REQUIRED, 0, G_MAXUINT64,
				  &dev->block_size, &local_error) ||
	    !vmem_json_get_uint64(data, "node", VMEM_JSON_OPTIONAL, 0, G_MAXUINT16, &node,
				  &local_error)) {
		vmem_backend_qmp_set_invalid(error, "query-memory-devices", local_error);
		return NULL;
	}
	dev->node = (guint)node;
	/* Without a usable id the device has no alias: QMP cannot name it. */
	if (vmem_json_get_string(data, "id", VMEM_JSON_OPTIONAL, VMEM_JSON_NO_LIMIT, &text, NULL))
		dev->alias = g_strdup(text);
	if (vmem_json_get_string(data, "memdev", VMEM_JSON_OPTIONAL, VMEM_JSON_NO_LIMIT, &text,
				 NULL))
		dev->memdev = g_strdup(text);
	if (dev->block_size == 0 || (dev->block_size & (dev->block_size - 1)) != 0 ||
	    dev->plugged > dev->size || dev->requested > dev->size) {
		g_autofree char *alias = dev->alias != NULL
						 ? vmem_json_excerpt(dev->alias, strlen(dev->alias))
						 : NULL;

		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %1$s is a device id, the four numbers are byte counts */
			    _("QEMU reports the virtio-mem device %1$s with inconsistent sizes: "
			      "block size %2$" PRIu64 ", size %3$" PRIu64 ", requested %4$" PRIu64
			      ", plugged %5$" PRIu64 "."),
			    alias != NULL ? alias : "?", dev->block_size, dev->size, dev->requested,
			    dev->plugged);
		return NULL;
	}
	return g_steal_pointer(&dev);
}

/**
 * vmem_backend_qmp_parse_devices:
 * @reply: what `query-memory-devices` returned
 * @ret_devices: (out) (element-type VmemDevice): its virtio-mem devices
 *
 * Picks the virtio-mem devices out of the memory devices (DIMMs, NVDIMMs,
 * virtio-pmem and others are skipped).  A device without an id has a %NULL
 * alias: QMP cannot address it by name.
 */
gboolean
vmem_backend_qmp_parse_devices(json_object *reply, GPtrArray **ret_devices, GError **error)
{
	g_autoptr(GPtrArray) devices =
		g_ptr_array_new_with_free_func((GDestroyNotify)vmem_device_free);

	if (!json_object_is_type(reply, json_type_array)) {
		g_set_error_literal(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: query-memory-devices is a QMP command */
				    _("QEMU's query-memory-devices did not return a list."));
		return FALSE;
	}
	for (gsize i = 0; i < json_object_array_length(reply); i++) {
		g_autoptr(GError) local_error = NULL;
		json_object *entry = NULL;
		const char *type = NULL;
		VmemDevice *dev;

		if (!vmem_json_array_get_object(reply, "return", i, &entry, &local_error) ||
		    !vmem_json_get_string(entry, "type", VMEM_JSON_REQUIRED, VMEM_JSON_NO_LIMIT,
					  &type, &local_error)) {
			vmem_backend_qmp_set_invalid(error, "query-memory-devices", local_error);
			return FALSE;
		}
		if (!g_str_equal(type, "virtio-mem"))
			continue;
		dev = vmem_backend_qmp_parse_device(entry, error);
		if (dev == NULL)
			return FALSE;
		g_ptr_array_add(devices, dev);
	}
	*ret_devices = g_steal_pointer(&devices);
	return TRUE;
}

/**
 * vmem_backend_qmp_parse_status:
 * @reply: what `query-status` returned
 * @ret_state: (out): the run state it means
 *
 * Maps QEMU's RunState.  A running QEMU may still be migrating: ask
 * `query-migrate` too (vmem_backend_qmp_parse_migrating()).
 */
gboolean
vmem_backend_qmp_parse_status(json_object *reply, VmemRunState *ret_state, GError **error)
{
	static const struct {
		const char *status;
		VmemRunState state;
	} map[] = {
		{"running", VMEM_RUN_STATE_RUNNING},
		{"paused", VMEM_RUN_STATE_PAUSED},
		{"debug", VMEM_RUN_STATE_PAUSED},
		{"io-error", VMEM_RUN_STATE_PAUSED},
		{"prelaunch", VMEM_RUN_STATE_PAUSED},
		{"suspended", VMEM_RUN_STATE_PAUSED},
		{"watchdog", VMEM_RUN_STATE_PAUSED},
		{"colo", VMEM_RUN_STATE_PAUSED},
		{"inmigrate", VMEM_RUN_STATE_MIGRATING},
		{"finish-migrate", VMEM_RUN_STATE_MIGRATING},
		{"postmigrate", VMEM_RUN_STATE_PAUSED},
		{"save-vm", VMEM_RUN_STATE_SAVING},
		{"restore-vm", VMEM_RUN_STATE_SAVING},
		{"shutdown", VMEM_RUN_STATE_SHUT_OFF},
		{"guest-panicked", VMEM_RUN_STATE_CRASHED},
		{"internal-error", VMEM_RUN_STATE_CRASHED},
	};
	g_autoptr(GError) local_error = NULL;
	g_autofree char *excerpt = NULL;
	const char *status = NULL;

	if (!vmem_json_get_string(reply, "status", VMEM_JSON_REQUIRED, VMEM_JSON_NO_LIMIT, &status,
				  &local_error)) {
		vmem_backend_qmp_set_invalid(error, "query-status", local_error);
		return FALSE;
	}
	for (guint i = 0; i < G_N_ELEMENTS(map); i++) {
		if (g_str_equal(status, map[i].status)) {
			*ret_state = map[i].state;
			return TRUE;
		}
	}
	excerpt = vmem_json_excerpt(status, strlen(status));
	g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
		    /* TRANSLATORS: %s is a QEMU run state name */
		    _("QEMU is in the run state %s, which virtmem does not know."), excerpt);
	return FALSE;
}

/**
 * vmem_backend_qmp_parse_migrating:
 * @reply: what `query-migrate` returned
 * @ret_migrating: (out): whether a migration is under way
 *
 * No status (no migration ever) or a finished one counts as not migrating.
 */
gboolean
vmem_backend_qmp_parse_migrating(json_object *reply, gboolean *ret_migrating, GError **error)
{
	static const char *const idle[] = {"none", "completed", "failed", "cancelled", NULL};
	g_autoptr(GError) local_error = NULL;
	const char *status = NULL;

	if (!json_object_is_type(reply, json_type_object)) {
		g_set_error_literal(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: query-migrate is a QMP command */
				    _("QEMU's query-migrate did not return an object."));
		return FALSE;
	}
	if (!vmem_json_get_string(reply, "status", VMEM_JSON_OPTIONAL, VMEM_JSON_NO_LIMIT, &status,
				  &local_error)) {
		vmem_backend_qmp_set_invalid(error, "query-migrate", local_error);
		return FALSE;
	}
	*ret_migrating = status != NULL && !g_strv_contains(idle, status);
	return TRUE;
}
