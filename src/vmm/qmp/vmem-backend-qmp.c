/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-backend-qmp.h"

#include <glib/gi18n.h>

#include "vmem-error.h"
#include "vmem-qmp.h"
#include "vmem-size.h"

/* Where QEMU puts a device created with -device ...,id=ID. */
#define VMEM_QOM_PERIPHERAL "/machine/peripheral/"

struct _VmemBackendQmp {
	VmemBackend parent;
	char *path;
	char *name;
	VmemQmp *qmp;
};

G_DEFINE_FINAL_TYPE(VmemBackendQmp, vmem_backend_qmp, VMEM_TYPE_BACKEND)

static void
vmem_backend_qmp_on_event(VmemQmp *qmp, const VmemQmpMessage *msg, gpointer user_data)
{
	VmemBackendQmp *self = user_data;
	VmemBackend *backend = VMEM_BACKEND(self);
	const char *status;

	if (g_str_equal(msg->event, "MEMORY_DEVICE_SIZE_CHANGE")) {
		const char *id = vmem_qmp_json_get_string(msg->value, "id", NULL);
		const char *qom_path = vmem_qmp_json_get_string(msg->value, "qom-path", NULL);
		g_autofree char *alias = NULL;
		guint64 size = 0;

		/* without an id, the device's name in /machine/peripheral/NAME[/...] */
		if (id != NULL)
			alias = g_strdup(id);
		else if (qom_path != NULL && g_str_has_prefix(qom_path, VMEM_QOM_PERIPHERAL))
			alias = g_strndup(qom_path + strlen(VMEM_QOM_PERIPHERAL),
					  strcspn(qom_path + strlen(VMEM_QOM_PERIPHERAL), "/"));
		if (alias == NULL || alias[0] == '\0' ||
		    !vmem_qmp_json_get_size(msg->value, "size", FALSE, &size, NULL)) {
			g_debug("QMP %s: ignoring an unreadable MEMORY_DEVICE_SIZE_CHANGE",
				self->path);
			return;
		}
		vmem_backend_emit_size_changed(backend, self->name, alias, size);
	} else if (g_str_equal(msg->event, "STOP")) {
		vmem_backend_emit_domain_event(backend, self->name, VMEM_DOMAIN_EVENT_PAUSED);
	} else if (g_str_equal(msg->event, "RESUME")) {
		vmem_backend_emit_domain_event(backend, self->name, VMEM_DOMAIN_EVENT_RESUMED);
	} else if (g_str_equal(msg->event, "RESET")) {
		vmem_backend_emit_domain_event(backend, self->name, VMEM_DOMAIN_EVENT_RESET);
	} else if (g_str_equal(msg->event, "SHUTDOWN")) {
		vmem_backend_emit_domain_event(backend, self->name, VMEM_DOMAIN_EVENT_SHUTDOWN);
	} else if (g_str_equal(msg->event, "MIGRATION") &&
		   (status = vmem_qmp_json_get_string(msg->value, "status", NULL)) != NULL) {
		if (g_str_equal(status, "setup"))
			vmem_backend_emit_domain_event(backend, self->name,
						       VMEM_DOMAIN_EVENT_MIGRATION_STARTED);
		else if (g_str_equal(status, "completed") || g_str_equal(status, "failed") ||
			 g_str_equal(status, "cancelled"))
			vmem_backend_emit_domain_event(backend, self->name,
						       VMEM_DOMAIN_EVENT_MIGRATION_FINISHED);
	}
}

static void
vmem_backend_qmp_on_closed(VmemQmp *qmp, GError *error, gpointer user_data)
{
	VmemBackendQmp *self = user_data;

	vmem_backend_emit_domain_event(VMEM_BACKEND(self), self->name, VMEM_DOMAIN_EVENT_GONE);
}

/* The old client, if any, goes quietly. */
static void
vmem_backend_qmp_drop_client(VmemBackendQmp *self)
{
	if (self->qmp == NULL)
		return;
	g_signal_handlers_disconnect_by_data(self->qmp, self);
	g_clear_object(&self->qmp);
}

/* A connection that works: the one we have, or a new one when QEMU went
 * away and (perhaps restarted) listens again. */
static VmemQmp *
vmem_backend_qmp_get_client(VmemBackendQmp *self, GError **error)
{
	g_autoptr(VmemQmp) qmp = NULL;
	g_autoptr(json_object) caps = NULL;
	g_autoptr(GError) local_error = NULL;

	if (self->qmp != NULL && !vmem_qmp_is_closed(self->qmp))
		return self->qmp;
	qmp = vmem_qmp_connect(self->path, 0, error);
	if (qmp == NULL)
		return NULL;
	/* MIGRATION events only come with this capability; it is refused while
	 * a migration runs, which then gets reported by query-migrate anyway. */
	caps = json_tokener_parse("{\"capabilities\": [{\"capability\": \"events\", "
				  "\"state\": true}]}");
	if (!vmem_qmp_execute(qmp, "migrate-set-capabilities", caps, NULL, &local_error)) {
		/* A QEMU that does not answer at all will not answer the next
		 * command either: one timeout is enough to say so. */
		if (g_error_matches(local_error, VMEM_ERROR, VMEM_ERROR_TIMED_OUT)) {
			g_propagate_error(error, g_steal_pointer(&local_error));
			return NULL;
		}
		g_debug("QMP %s: cannot enable migration events: %s", self->path,
			local_error->message);
	}
	g_signal_connect(qmp, "event", G_CALLBACK(vmem_backend_qmp_on_event), self);
	g_signal_connect(qmp, "closed", G_CALLBACK(vmem_backend_qmp_on_closed), self);
	vmem_backend_qmp_drop_client(self);
	self->qmp = g_steal_pointer(&qmp);
	return self->qmp;
}

static gboolean
vmem_backend_qmp_check_domain(VmemBackendQmp *self, const char *domain, GError **error)
{
	if (g_strcmp0(domain, self->name) == 0)
		return TRUE;
	g_set_error(error, VMEM_ERROR, VMEM_ERROR_NOT_FOUND,
		    /* TRANSLATORS: the first %s is a domain name, the second a socket
		     * path, the third the name of the one domain there */
		    _("There is no domain %s at %s: the QEMU there is %s."), domain, self->path,
		    self->name);
	return FALSE;
}

static gboolean
vmem_backend_qmp_execute(VmemBackendQmp *self, const char *command, json_object *arguments,
			 json_object **ret_return, GError **error)
{
	VmemQmp *qmp = vmem_backend_qmp_get_client(self, error);

	return qmp != NULL && vmem_qmp_execute(qmp, command, arguments, ret_return, error);
}

static gboolean
vmem_backend_qmp_list_domains(VmemBackend *backend, GPtrArray **ret_names, GError **error)
{
	VmemBackendQmp *self = VMEM_BACKEND_QMP(backend);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);

	/* the QEMU is the domain: only when it answers is it there */
	if (!vmem_backend_qmp_execute(self, "query-status", NULL, NULL, error))
		return FALSE;
	g_ptr_array_add(names, g_strdup(self->name));
	*ret_names = g_steal_pointer(&names);
	return TRUE;
}

static gboolean
vmem_backend_qmp_get_devices(VmemBackend *backend, const char *domain, GPtrArray **ret_devices,
			     GError **error)
{
	VmemBackendQmp *self = VMEM_BACKEND_QMP(backend);
	g_autoptr(json_object) reply = NULL;

	return vmem_backend_qmp_check_domain(self, domain, error) &&
	       vmem_backend_qmp_execute(self, "query-memory-devices", NULL, &reply, error) &&
	       vmem_backend_qmp_parse_devices(reply, ret_devices, error);
}

static gboolean
vmem_backend_qmp_get_run_state(VmemBackend *backend, const char *domain, VmemRunState *ret_state,
			       GError **error)
{
	VmemBackendQmp *self = VMEM_BACKEND_QMP(backend);
	g_autoptr(json_object) status = NULL;
	g_autoptr(json_object) migrate = NULL;
	VmemRunState state = VMEM_RUN_STATE_SHUT_OFF;
	gboolean migrating = FALSE;

	if (!vmem_backend_qmp_check_domain(self, domain, error) ||
	    !vmem_backend_qmp_execute(self, "query-status", NULL, &status, error) ||
	    !vmem_backend_qmp_parse_status(status, &state, error))
		return FALSE;
	if (state == VMEM_RUN_STATE_RUNNING || state == VMEM_RUN_STATE_PAUSED) {
		if (!vmem_backend_qmp_execute(self, "query-migrate", NULL, &migrate, error) ||
		    !vmem_backend_qmp_parse_migrating(migrate, &migrating, error))
			return FALSE;
		if (migrating)
			state = VMEM_RUN_STATE_MIGRATING;
	}
	*ret_state = state;
	return TRUE;
}

static gboolean
vmem_backend_qmp_check_request(VmemBackendQmp *self, const char *alias, guint64 requested,
			       GError **error)
{
	g_autoptr(GPtrArray) devices = NULL;
	g_autofree char *req = vmem_size_format(requested);

	if (!vmem_backend_qmp_get_devices(VMEM_BACKEND(self), self->name, &devices, error))
		return FALSE;
	for (guint i = 0; i < devices->len; i++) {
		VmemDevice *dev = devices->pdata[i];

		if (g_strcmp0(dev->alias, alias) != 0)
			continue;
		if (requested > dev->size || requested % dev->block_size != 0) {
			g_autofree char *size = vmem_size_format(dev->size);
			g_autofree char *block = vmem_size_format(dev->block_size);

			g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
				    /* TRANSLATORS: %s: a device alias, then sizes such as
				     * "1.0 GiB" */
				    _("The virtio-mem device %s cannot be asked for %s: it holds "
				      "at most %s in blocks of %s."),
				    alias, req, size, block);
			return FALSE;
		}
		return TRUE;
	}
	g_set_error(error, VMEM_ERROR, VMEM_ERROR_NOT_FOUND,
		    /* TRANSLATORS: the first %s is a device alias, the second a domain */
		    _("The domain %s has no virtio-mem device %s."), self->name, alias);
	return FALSE;
}

static gboolean
vmem_backend_qmp_set_requested(VmemBackend *backend, const char *domain, const char *alias,
			       guint64 requested, GError **error)
{
	VmemBackendQmp *self = VMEM_BACKEND_QMP(backend);
	g_autoptr(json_object) args = json_object_new_object();
	g_autofree char *path = g_strconcat(VMEM_QOM_PERIPHERAL, alias, NULL);
	VmemRunState state;

	if (!vmem_backend_qmp_check_domain(self, domain, error) ||
	    !vmem_backend_qmp_get_run_state(backend, domain, &state, error))
		return FALSE;
	if (state == VMEM_RUN_STATE_MIGRATING || state == VMEM_RUN_STATE_SAVING) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_BUSY,
			    /* TRANSLATORS: %s is a domain name */
			    _("The domain %s is migrating or being saved: virtio-mem cannot change "
			      "size until that ends."),
			    domain);
		return FALSE;
	}
	if (state == VMEM_RUN_STATE_SHUT_OFF || state == VMEM_RUN_STATE_CRASHED) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_NOT_RUNNING,
			    /* TRANSLATORS: %s is a domain name */
			    _("The domain %s is not running."), domain);
		return FALSE;
	}
	if (!vmem_backend_qmp_check_request(self, alias, requested, error))
		return FALSE;
	json_object_object_add(args, "path", json_object_new_string(path));
	json_object_object_add(args, "property", json_object_new_string("requested-size"));
	json_object_object_add(args, "value", json_object_new_uint64(requested));
	return vmem_backend_qmp_execute(self, "qom-set", args, NULL, error);
}

static void
vmem_backend_qmp_finalize(GObject *object)
{
	VmemBackendQmp *self = VMEM_BACKEND_QMP(object);

	vmem_backend_qmp_drop_client(self);
	g_free(self->path);
	g_free(self->name);
	G_OBJECT_CLASS(vmem_backend_qmp_parent_class)->finalize(object);
}

static void
vmem_backend_qmp_class_init(VmemBackendQmpClass *klass)
{
	VmemBackendClass *backend_class = VMEM_BACKEND_CLASS(klass);

	G_OBJECT_CLASS(klass)->finalize = vmem_backend_qmp_finalize;
	backend_class->name = "qmp";
	backend_class->list_domains = vmem_backend_qmp_list_domains;
	backend_class->get_devices = vmem_backend_qmp_get_devices;
	backend_class->set_requested = vmem_backend_qmp_set_requested;
	backend_class->get_run_state = vmem_backend_qmp_get_run_state;
}

static void
vmem_backend_qmp_init(VmemBackendQmp *self)
{
}

/**
 * vmem_backend_qmp_open:
 * @uri: `qmp+unix:///path/to/qmp.sock`
 * @error: return location for a #GError
 *
 * Connects to the QEMU listening on the socket @uri names.  When QEMU goes
 * away, listeners get %VMEM_DOMAIN_EVENT_GONE, calls fail with a clear
 * error, and the next call connects again if a QEMU listens there again.
 *
 * Returns: (transfer full): the backend, or %NULL on error
 */
VmemBackend *
vmem_backend_qmp_open(const char *uri, GError **error)
{
	g_autoptr(VmemBackendQmp) self = NULL;
	g_autoptr(json_object) reply = NULL;
	g_autofree char *path = NULL;
	const char *name;

	if (!vmem_backend_qmp_parse_uri(uri, &path, error))
		return NULL;
	self = g_object_new(VMEM_TYPE_BACKEND_QMP, NULL);
	self->path = g_steal_pointer(&path);
	if (!vmem_backend_qmp_execute(self, "query-name", NULL, &reply, error))
		return NULL;
	name = vmem_qmp_json_get_string(reply, "name", NULL);
	if (name != NULL && name[0] != '\0')
		self->name = g_strdup(name);
	else
		self->name = g_path_get_basename(self->path);
	return VMEM_BACKEND(g_steal_pointer(&self));
}
