/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The qmp backend's reading of what QEMU returns: pure functions of JSON.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "vmem-backend-qmp.h"
#include "vmem-error.h"
#include "vmem-qmp-message.h"

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
vmem_backend_qmp_parse_device(json_object *data, GError **error)
{
	g_autoptr(VmemDevice) dev = g_new0(VmemDevice, 1);
	const char *text;
	guint64 node = 0;

	if (!json_object_is_type(data, json_type_object)) {
		g_set_error_literal(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: query-memory-devices is a QMP command */
				    _("QEMU's query-memory-devices has a device without data."));
		return NULL;
	}
	if ((text = vmem_qmp_json_get_string(data, "id", NULL)) != NULL)
		dev->alias = g_strdup(text);
	if ((text = vmem_qmp_json_get_string(data, "memdev", NULL)) != NULL)
		dev->memdev = g_strdup(text);
	if (!vmem_qmp_json_get_size(data, "memaddr", FALSE, &dev->address, error) ||
	    !vmem_qmp_json_get_size(data, "requested-size", FALSE, &dev->requested, error) ||
	    !vmem_qmp_json_get_size(data, "size", FALSE, &dev->plugged, error) ||
	    !vmem_qmp_json_get_size(data, "max-size", FALSE, &dev->size, error) ||
	    !vmem_qmp_json_get_size(data, "block-size", FALSE, &dev->block_size, error) ||
	    !vmem_qmp_json_get_size(data, "node", TRUE, &node, error))
		return NULL;
	if (node > G_MAXUINT16) {
		g_set_error(
			error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			/* TRANSLATORS: %s is a device id, then a NUMA node number */
			_("QEMU reports the virtio-mem device %s on NUMA node %" G_GUINT64_FORMAT
			  ", which cannot exist."),
			dev->alias ? dev->alias : "?", node);
		return NULL;
	}
	dev->node = (guint)node;
	if (dev->block_size == 0 || (dev->block_size & (dev->block_size - 1)) != 0 ||
	    dev->plugged > dev->size || dev->requested > dev->size) {
		g_set_error(
			error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			/* TRANSLATORS: %s is a device id, then byte counts */
			_("QEMU reports the virtio-mem device %s with inconsistent sizes: block "
			  "size %" G_GUINT64_FORMAT ", size %" G_GUINT64_FORMAT
			  ", requested %" G_GUINT64_FORMAT ", plugged %" G_GUINT64_FORMAT "."),
			dev->alias ? dev->alias : "?", dev->block_size, dev->size, dev->requested,
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
	for (size_t i = 0; i < json_object_array_length(reply); i++) {
		json_object *entry = json_object_array_get_idx(reply, i);
		json_object *type = NULL;
		json_object *data = NULL;
		VmemDevice *dev;

		if (!json_object_is_type(entry, json_type_object) ||
		    !json_object_object_get_ex(entry, "type", &type) ||
		    !json_object_is_type(type, json_type_string)) {
			g_set_error_literal(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
					    /* TRANSLATORS: query-memory-devices is a QMP command */
					    _("QEMU's query-memory-devices has an entry without a "
					      "type."));
			return FALSE;
		}
		if (g_strcmp0(vmem_qmp_json_get_string(entry, "type", NULL), "virtio-mem") != 0)
			continue;
		json_object_object_get_ex(entry, "data", &data);
		dev = vmem_backend_qmp_parse_device(data, error);
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
	const char *status;

	if (!json_object_is_type(reply, json_type_object) ||
	    (status = vmem_qmp_json_get_string(reply, "status", NULL)) == NULL) {
		g_set_error_literal(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: query-status is a QMP command */
				    _("QEMU's query-status has no status."));
		return FALSE;
	}
	for (guint i = 0; i < G_N_ELEMENTS(map); i++) {
		if (g_str_equal(status, map[i].status)) {
			*ret_state = map[i].state;
			return TRUE;
		}
	}
	g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
		    /* TRANSLATORS: %s is a QEMU run state name */
		    _("QEMU is in the run state %s, which virtmem does not know."), status);
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
	json_object *status = NULL;

	if (!json_object_is_type(reply, json_type_object)) {
		g_set_error_literal(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: query-migrate is a QMP command */
				    _("QEMU's query-migrate did not return an object."));
		return FALSE;
	}
	if (!json_object_object_get_ex(reply, "status", &status)) {
		*ret_migrating = FALSE;
		return TRUE;
	}
	if (!json_object_is_type(status, json_type_string)) {
		g_set_error_literal(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: query-migrate is a QMP command */
				    _("QEMU's query-migrate has a status that is not a string."));
		return FALSE;
	}
	*ret_migrating = !g_strv_contains(idle, json_object_get_string(status));
	return TRUE;
}
