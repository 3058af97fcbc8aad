/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The libvirt backend: libvirt's public API and events only.  Devices come
 * from the domain XML (through the domain model), a resize is what `virsh
 * update-memory-device` does (the device XML with a new <requested> given
 * to virDomainUpdateDeviceFlags), plugged sizes arrive as
 * MEMORY_DEVICE_SIZE_CHANGE events.  No QMP passthrough: it would taint
 * the domain as custom-monitor.
 */
#include "config.h"

#include "vmem-backend-libvirt.h"

#include <glib/gi18n.h>
#include <libvirt/virterror.h>
#include <libxml/tree.h>

#include "vmem-domain.h"
#include "vmem-error.h"
#include "vmem-libvirt.h"
#include "vmem-xml.h"

struct _VmemBackendLibvirt {
	VmemBackend parent;
	virConnectPtr conn;
	int size_callback;
	int lifecycle_callback;
	int reboot_callback;
	int migration_callback;
	int job_callback;
	int metadata_callback;
	int device_added_callback;
	int device_removed_callback;
	gboolean close_callback;
};

G_DEFINE_FINAL_TYPE(VmemBackendLibvirt, vmem_backend_libvirt, VMEM_TYPE_BACKEND)

/* Whether libvirt's last error says there is no such domain; the error is
 * then cleared, as the next way to look up may find it. */
static gboolean
vmem_backend_libvirt_take_no_domain(void)
{
	virErrorPtr err = virGetLastError();

	if (err == NULL || err->code != VIR_ERR_NO_DOMAIN)
		return FALSE;
	virResetLastError();
	return TRUE;
}

/**
 * vmem_backend_libvirt_get_connection:
 * @backend: a libvirt backend
 *
 * For the calls that need the connection rather than a domain (restoring
 * a saved domain).
 *
 * Returns: (transfer none): the backend's connection
 */
virConnectPtr
vmem_backend_libvirt_get_connection(VmemBackend *backend)
{
	g_return_val_if_fail(VMEM_IS_BACKEND_LIBVIRT(backend), NULL);
	return VMEM_BACKEND_LIBVIRT(backend)->conn;
}

/**
 * vmem_backend_libvirt_lookup:
 * @backend: a libvirt backend
 * @domain: a domain's name, id or UUID
 *
 * Finds a domain as virsh does: by id when @domain is a number, then by
 * UUID when it is one, then by name (so a domain named "5" is found when
 * no domain has the id 5).
 *
 * Returns: (transfer full): the libvirt domain @domain
 */
virDomainPtr
vmem_backend_libvirt_lookup(VmemBackend *backend, const char *domain, GError **error)
{
	VmemBackendLibvirt *self = VMEM_BACKEND_LIBVIRT(backend);
	virDomainPtr dom = NULL;
	guint64 id;

	if (g_ascii_string_to_unsigned(domain, 10, 0, G_MAXINT, &id, NULL)) {
		dom = virDomainLookupByID(self->conn, (int)id);
		if (dom == NULL && !vmem_backend_libvirt_take_no_domain()) {
			vmem_libvirt_set_error(error);
			return NULL;
		}
	}
	if (dom == NULL && g_uuid_string_is_valid(domain)) {
		dom = virDomainLookupByUUIDString(self->conn, domain);
		if (dom == NULL && !vmem_backend_libvirt_take_no_domain()) {
			vmem_libvirt_set_error(error);
			return NULL;
		}
	}
	if (dom == NULL)
		dom = virDomainLookupByName(self->conn, domain);
	if (dom == NULL) {
		if (vmem_backend_libvirt_take_no_domain())
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_NOT_FOUND,
				    /* TRANSLATORS: %s is what the user gave as a domain */
				    _("There is no domain with the name, id or UUID %s."), domain);
		else
			vmem_libvirt_set_error(error);
	}
	return dom;
}

static VmemDomainDef *
vmem_backend_libvirt_model(virDomainPtr dom, unsigned int flags, GError **error)
{
	g_autofree char *xml = virDomainGetXMLDesc(dom, flags);
	g_autoptr(GPtrArray) findings = vmem_findings_new();

	if (xml == NULL) {
		vmem_libvirt_set_error(error);
		return NULL;
	}
	return vmem_domain_def_parse(xml, strlen(xml), findings, error);
}

static GPtrArray *vmem_backend_libvirt_devices(const VmemDomainDef *model);

/**
 * vmem_backend_libvirt_read:
 * @domain: a domain name, id or UUID
 * @ret_devices: (out) (optional): its virtio-mem devices
 * @ret_policy: (out) (optional) (nullable): its policy with the defaults
 *   filled in, %NULL when it has none
 * @ret_agent_port: (out) (optional): whether it has the virtio-serial port
 *   of virtmem-agent (org.virtmem.agent.0)
 *
 * Reads all of these from one live domain XML.
 */
gboolean
vmem_backend_libvirt_read(VmemBackend *backend, const char *domain, GPtrArray **ret_devices,
			  VmemPolicyDef **ret_policy, gboolean *ret_agent_port, GError **error)
{
	g_autoptr(virDomain) dom = vmem_backend_libvirt_lookup(backend, domain, error);
	g_autoptr(VmemDomainDef) model = NULL;

	if (dom == NULL || (model = vmem_backend_libvirt_model(dom, 0, error)) == NULL)
		return FALSE;
	vmem_domain_def_postparse(model);
	if (ret_devices != NULL)
		*ret_devices = vmem_backend_libvirt_devices(model);
	if (ret_policy != NULL)
		*ret_policy = g_steal_pointer(&model->policy);
	if (ret_agent_port != NULL)
		*ret_agent_port = model->has_agent_channel;
	return TRUE;
}

static gint
vmem_backend_libvirt_compare_names(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

static gboolean
vmem_backend_libvirt_list_domains(VmemBackend *backend, GPtrArray **ret_names, GError **error)
{
	VmemBackendLibvirt *self = VMEM_BACKEND_LIBVIRT(backend);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	virDomainPtr *doms = NULL;
	int n = virConnectListAllDomains(self->conn, &doms, 0);

	if (n < 0) {
		vmem_libvirt_set_error(error);
		return FALSE;
	}
	for (int i = 0; i < n; i++) {
		g_ptr_array_add(names, g_strdup(virDomainGetName(doms[i])));
		virDomainFree(doms[i]);
	}
	free(doms);
	g_ptr_array_sort(names, vmem_backend_libvirt_compare_names);
	*ret_names = g_steal_pointer(&names);
	return TRUE;
}

/* The backend's devices of a post-parsed model. */
static GPtrArray *
vmem_backend_libvirt_devices(const VmemDomainDef *model)
{
	GPtrArray *devices = g_ptr_array_new_with_free_func((GDestroyNotify)vmem_device_free);

	for (guint i = 0; i < model->devices->len; i++) {
		const VmemMemoryDef *md = g_ptr_array_index(model->devices, i);
		const VmemNumaCell *cell =
			md->node >= 0 ? vmem_domain_def_find_cell(model, (guint)md->node) : NULL;
		VmemDevice *dev = g_new0(VmemDevice, 1);

		dev->alias = g_strdup(md->alias);
		dev->node = md->node < 0 ? 0 : (guint)md->node;
		dev->block_size = md->block_kib * 1024;
		dev->size = md->size_kib * 1024;
		dev->requested = md->requested_kib * 1024;
		dev->plugged = md->has_current ? md->current_kib * 1024 : 0;
		dev->address = md->has_address_base ? md->address_base : 0;
		dev->node_memory = cell != NULL ? cell->memory_kib * 1024 : 0;
		g_ptr_array_add(devices, dev);
	}
	return devices;
}

static gboolean
vmem_backend_libvirt_get_devices(VmemBackend *backend, const char *domain, GPtrArray **ret_devices,
				 GError **error)
{
	return vmem_backend_libvirt_read(backend, domain, ret_devices, NULL, NULL, error);
}

/* One update: the device's element from the XML that @xml_flags selects,
 * with a new <requested>, applied with @affect (libvirt refuses
 * LIVE|CONFIG together for memory devices). */
static gboolean
vmem_backend_libvirt_update(virDomainPtr dom, const char *alias, guint64 requested,
			    unsigned int xml_flags, unsigned int affect, GError **error)
{
	g_autoptr(VmemDomainDef) model = vmem_backend_libvirt_model(dom, xml_flags, error);
	g_autofree char *kib = NULL;
	xmlNode *target;
	xmlNode *node;

	if (model == NULL)
		return FALSE;
	for (guint i = 0; i < model->devices->len; i++) {
		VmemMemoryDef *md = g_ptr_array_index(model->devices, i);

		if (g_strcmp0(md->alias, alias) != 0)
			continue;
		g_autoptr(xmlBuffer) buf = xmlBufferCreate();

		target = vmem_xml_child(md->element, "target", NULL);
		node = vmem_xml_child(target, "requested", NULL);
		if (node == NULL)
			node = xmlNewChild(target, NULL, BAD_CAST "requested", NULL);
		kib = g_strdup_printf("%" G_GUINT64_FORMAT, requested / 1024);
		xmlNodeSetContent(node, BAD_CAST kib);
		xmlSetProp(node, BAD_CAST "unit", BAD_CAST "KiB");
		xmlNodeDump(buf, model->doc, md->element, 0, 0);
		if (virDomainUpdateDeviceFlags(dom, (const char *)xmlBufferContent(buf), affect) <
		    0) {
			vmem_libvirt_set_error(error);
			return FALSE;
		}
		return TRUE;
	}
	/* TRANSLATORS: %s is a device alias such as ua-vmem0 */
	g_set_error(error, VMEM_ERROR, VMEM_ERROR_NOT_FOUND,
		    _("There is no virtio-mem device with the alias %s."), alias);
	return FALSE;
}

static gboolean
vmem_backend_libvirt_set_requested(VmemBackend *backend, const char *domain, const char *alias,
				   guint64 requested, GError **error)
{
	g_autoptr(virDomain) dom = vmem_backend_libvirt_lookup(backend, domain, error);

	if (dom == NULL)
		return FALSE;
	return vmem_backend_libvirt_update(dom, alias, requested, 0, VIR_DOMAIN_AFFECT_LIVE, error);
}

static gboolean
vmem_backend_libvirt_set_requested_config(VmemBackend *backend, const char *domain,
					  const char *alias, guint64 requested, GError **error)
{
	g_autoptr(virDomain) dom = vmem_backend_libvirt_lookup(backend, domain, error);

	if (dom == NULL)
		return FALSE;
	return vmem_backend_libvirt_update(dom, alias, requested, VIR_DOMAIN_XML_INACTIVE,
					   VIR_DOMAIN_AFFECT_CONFIG, error);
}

static gboolean
vmem_backend_libvirt_get_policy(VmemBackend *backend, const char *domain,
				VmemPolicyDef **ret_policy, GError **error)
{
	return vmem_backend_libvirt_read(backend, domain, NULL, ret_policy, NULL, error);
}

/* Takes @node and its descendants out of their namespace and drops the
 * namespaces @node declares */
static void
vmem_backend_libvirt_strip_ns(xmlNode *node)
{
	for (xmlNode *n = node->children; n != NULL; n = n->next) {
		if (n->type == XML_ELEMENT_NODE)
			vmem_backend_libvirt_strip_ns(n);
	}
	node->ns = NULL;
	xmlFreeNsList(node->nsDef);
	node->nsDef = NULL;
}

/**
 * vmem_backend_libvirt_set_policy:
 * @dom: a libvirt domain
 * @policy: the policy to write (vmem_policy_def_format(): the fields it
 *   sets)
 * @affect: a mask of #virDomainModificationImpact, as virsh's --live and
 *   --config make it (0: the current state)
 * @error: return location for a #GError
 *
 * Writes @policy as the domain's `<virtmem:policy>` with
 * virDomainSetMetadata(), replacing the element of the virtmem namespace
 * that was there; libvirt emits a metadata-change event.  The element goes
 * without its namespace: libvirt puts the element and its children in the
 * namespace it is given, with the prefix `virtmem`, and refuses an element
 * that declares that prefix itself.
 */
gboolean
vmem_backend_libvirt_set_policy(virDomainPtr dom, const VmemPolicyDef *policy, unsigned int affect,
				GError **error)
{
	g_autoptr(xmlDoc) doc = xmlNewDoc((const xmlChar *)"1.0");
	g_autoptr(xmlBuffer) buffer = xmlBufferCreate();
	xmlNode *node = vmem_policy_def_format(policy);

	xmlDocSetRootElement(doc, node);
	vmem_backend_libvirt_strip_ns(node);
	xmlNodeDump(buffer, doc, node, 0, 0);
	if (virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT,
				 (const char *)xmlBufferContent(buffer), VMEM_POLICY_PREFIX,
				 VMEM_POLICY_NS, affect) < 0) {
		vmem_libvirt_set_error(error);
		return FALSE;
	}
	return TRUE;
}

static VmemRunState
vmem_backend_libvirt_job_state(virDomainPtr dom)
{
	virTypedParameterPtr params = NULL;
	int nparams = 0;
	int type = VIR_DOMAIN_JOB_NONE;
	int operation = VIR_DOMAIN_JOB_OPERATION_UNKNOWN;
	VmemRunState state = VMEM_RUN_STATE_RUNNING;

	if (virDomainGetJobStats(dom, &type, &params, &nparams, 0) < 0) {
		virResetLastError();
		return state;
	}
	if (type != VIR_DOMAIN_JOB_NONE &&
	    virTypedParamsGetInt(params, nparams, VIR_DOMAIN_JOB_OPERATION, &operation) == 1) {
		switch (operation) {
		case VIR_DOMAIN_JOB_OPERATION_MIGRATION_IN:
		case VIR_DOMAIN_JOB_OPERATION_MIGRATION_OUT:
			state = VMEM_RUN_STATE_MIGRATING;
			break;
		case VIR_DOMAIN_JOB_OPERATION_SAVE:
		case VIR_DOMAIN_JOB_OPERATION_RESTORE:
		case VIR_DOMAIN_JOB_OPERATION_SNAPSHOT:
		case VIR_DOMAIN_JOB_OPERATION_DUMP:
			state = VMEM_RUN_STATE_SAVING;
			break;
		default:
			break;
		}
	}
	virTypedParamsFree(params, nparams);
	return state;
}

/**
 * vmem_backend_libvirt_domain_run_state:
 * @dom: a domain of the backend's connection
 *
 * The run state of @dom, for a caller that keeps the domain at hand
 * (virtmemd asks every tick for every domain: no lookup by name each time).
 */
gboolean
vmem_backend_libvirt_domain_run_state(virDomainPtr dom, VmemRunState *ret_state, GError **error)
{
	int state = VIR_DOMAIN_NOSTATE;
	int reason = 0;

	if (virDomainGetState(dom, &state, &reason, 0) < 0) {
		vmem_libvirt_set_error(error);
		return FALSE;
	}
	switch (state) {
	case VIR_DOMAIN_RUNNING:
		*ret_state = vmem_backend_libvirt_job_state(dom);
		break;
	case VIR_DOMAIN_PAUSED:
		if (reason == VIR_DOMAIN_PAUSED_MIGRATION || reason == VIR_DOMAIN_PAUSED_POSTCOPY)
			*ret_state = VMEM_RUN_STATE_MIGRATING;
		else if (reason == VIR_DOMAIN_PAUSED_SAVE || reason == VIR_DOMAIN_PAUSED_SNAPSHOT ||
			 reason == VIR_DOMAIN_PAUSED_DUMP)
			*ret_state = VMEM_RUN_STATE_SAVING;
		else
			*ret_state = VMEM_RUN_STATE_PAUSED;
		break;
	case VIR_DOMAIN_PMSUSPENDED:
		*ret_state = VMEM_RUN_STATE_PAUSED;
		break;
	case VIR_DOMAIN_CRASHED:
		*ret_state = VMEM_RUN_STATE_CRASHED;
		break;
	default:
		*ret_state = VMEM_RUN_STATE_SHUT_OFF;
		break;
	}
	return TRUE;
}

static gboolean
vmem_backend_libvirt_get_run_state(VmemBackend *backend, const char *domain,
				   VmemRunState *ret_state, GError **error)
{
	g_autoptr(virDomain) dom = vmem_backend_libvirt_lookup(backend, domain, error);

	return dom != NULL && vmem_backend_libvirt_domain_run_state(dom, ret_state, error);
}

static void
vmem_backend_libvirt_on_size(virConnectPtr conn, virDomainPtr dom, const char *alias,
			     unsigned long long size_kib, void *opaque)
{
	vmem_backend_emit_size_changed(opaque, virDomainGetName(dom), alias,
				       (guint64)size_kib * 1024);
}

static void
vmem_backend_libvirt_on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail,
				  void *opaque)
{
	const char *name = virDomainGetName(dom);

	switch (event) {
	case VIR_DOMAIN_EVENT_STARTED:
		vmem_backend_emit_domain_event(opaque, name, VMEM_DOMAIN_EVENT_STARTED);
		break;
	case VIR_DOMAIN_EVENT_SUSPENDED:
		vmem_backend_emit_domain_event(opaque, name,
					       detail == VIR_DOMAIN_EVENT_SUSPENDED_MIGRATED
						       ? VMEM_DOMAIN_EVENT_MIGRATION_STARTED
						       : VMEM_DOMAIN_EVENT_PAUSED);
		break;
	case VIR_DOMAIN_EVENT_RESUMED:
		vmem_backend_emit_domain_event(opaque, name, VMEM_DOMAIN_EVENT_RESUMED);
		break;
	case VIR_DOMAIN_EVENT_STOPPED:
	case VIR_DOMAIN_EVENT_SHUTDOWN:
	case VIR_DOMAIN_EVENT_CRASHED:
		vmem_backend_emit_domain_event(opaque, name, VMEM_DOMAIN_EVENT_SHUTDOWN);
		break;
	case VIR_DOMAIN_EVENT_DEFINED:
	case VIR_DOMAIN_EVENT_UNDEFINED:
		vmem_backend_emit_domain_event(opaque, name, VMEM_DOMAIN_EVENT_CHANGED);
		break;
	default:
		break;
	}
}

static void
vmem_backend_libvirt_on_reboot(virConnectPtr conn, virDomainPtr dom, void *opaque)
{
	vmem_backend_emit_domain_event(opaque, virDomainGetName(dom), VMEM_DOMAIN_EVENT_RESET);
}

static void
vmem_backend_libvirt_on_migration(virConnectPtr conn, virDomainPtr dom, int iteration, void *opaque)
{
	if (iteration == 1)
		vmem_backend_emit_domain_event(opaque, virDomainGetName(dom),
					       VMEM_DOMAIN_EVENT_MIGRATION_STARTED);
}

static void
vmem_backend_libvirt_on_job_completed(virConnectPtr conn, virDomainPtr dom,
				      virTypedParameterPtr params, int nparams, void *opaque)
{
	vmem_backend_emit_domain_event(opaque, virDomainGetName(dom),
				       VMEM_DOMAIN_EVENT_MIGRATION_FINISHED);
}

/* Metadata (the policy) changed, or a device was added or removed. */
static void
vmem_backend_libvirt_on_changed(virConnectPtr conn, virDomainPtr dom, void *opaque)
{
	vmem_backend_emit_domain_event(opaque, virDomainGetName(dom), VMEM_DOMAIN_EVENT_CHANGED);
}

static void
vmem_backend_libvirt_on_metadata(virConnectPtr conn, virDomainPtr dom, int type, const char *nsuri,
				 void *opaque)
{
	vmem_backend_libvirt_on_changed(conn, dom, opaque);
}

static void
vmem_backend_libvirt_on_device(virConnectPtr conn, virDomainPtr dom, const char *alias,
			       void *opaque)
{
	vmem_backend_libvirt_on_changed(conn, dom, opaque);
}

/* The connection broke (libvirtd stopped, the socket closed): every
 * domain is gone for this backend; its owner opens a new one. */
static void
vmem_backend_libvirt_on_close(virConnectPtr conn, int reason, void *opaque)
{
	vmem_backend_emit_domain_event(opaque, NULL, VMEM_DOMAIN_EVENT_GONE);
}

static void
vmem_backend_libvirt_finalize(GObject *object)
{
	VmemBackendLibvirt *self = VMEM_BACKEND_LIBVIRT(object);
	int *ids[] = {&self->size_callback,	    &self->lifecycle_callback,
		      &self->reboot_callback,	    &self->migration_callback,
		      &self->job_callback,	    &self->metadata_callback,
		      &self->device_added_callback, &self->device_removed_callback};

	if (self->conn != NULL) {
		if (self->close_callback)
			virConnectUnregisterCloseCallback(self->conn,
							  vmem_backend_libvirt_on_close);
		for (guint i = 0; i < G_N_ELEMENTS(ids); i++) {
			if (*ids[i] >= 0)
				virConnectDomainEventDeregisterAny(self->conn, *ids[i]);
		}
		virConnectClose(self->conn);
	}
	G_OBJECT_CLASS(vmem_backend_libvirt_parent_class)->finalize(object);
}

static void
vmem_backend_libvirt_class_init(VmemBackendLibvirtClass *klass)
{
	VmemBackendClass *backend_class = VMEM_BACKEND_CLASS(klass);

	G_OBJECT_CLASS(klass)->finalize = vmem_backend_libvirt_finalize;
	backend_class->name = "libvirt";
	backend_class->list_domains = vmem_backend_libvirt_list_domains;
	backend_class->get_devices = vmem_backend_libvirt_get_devices;
	backend_class->set_requested = vmem_backend_libvirt_set_requested;
	backend_class->get_run_state = vmem_backend_libvirt_get_run_state;
	backend_class->set_requested_config = vmem_backend_libvirt_set_requested_config;
	backend_class->get_policy = vmem_backend_libvirt_get_policy;
}

static void
vmem_backend_libvirt_init(VmemBackendLibvirt *self)
{
	self->size_callback = self->lifecycle_callback = self->reboot_callback = -1;
	self->migration_callback = self->job_callback = self->metadata_callback = -1;
	self->device_added_callback = self->device_removed_callback = -1;
}

static int
vmem_backend_libvirt_register(VmemBackendLibvirt *self, int event_id,
			      virConnectDomainEventGenericCallback cb, GError **error)
{
	int id = virConnectDomainEventRegisterAny(self->conn, NULL, event_id, cb, self, NULL);

	if (id < 0)
		vmem_libvirt_set_error(error);
	return id;
}

/**
 * vmem_backend_libvirt_new:
 * @conn: an open connection; the backend takes a reference
 * @error: return location for a #GError
 *
 * A backend on a connection the caller opened, subscribed to the events a
 * resize job follows, for all domains; see #VmemBackend for where its
 * signals are emitted.  Needs vmem_libvirt_init().  One backend per
 * connection: libvirt takes each event callback once per connection (any
 * number of listeners connect to the backend's signals instead).
 */
VmemBackend *
vmem_backend_libvirt_new(virConnectPtr conn, GError **error)
{
	g_autoptr(VmemBackendLibvirt) self = g_object_new(VMEM_TYPE_BACKEND_LIBVIRT, NULL);

	virConnectRef(conn);
	self->conn = conn;
	if ((self->size_callback = vmem_backend_libvirt_register(
		     self, VIR_DOMAIN_EVENT_ID_MEMORY_DEVICE_SIZE_CHANGE,
		     VIR_DOMAIN_EVENT_CALLBACK(vmem_backend_libvirt_on_size), error)) < 0 ||
	    (self->lifecycle_callback = vmem_backend_libvirt_register(
		     self, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
		     VIR_DOMAIN_EVENT_CALLBACK(vmem_backend_libvirt_on_lifecycle), error)) < 0 ||
	    (self->reboot_callback = vmem_backend_libvirt_register(
		     self, VIR_DOMAIN_EVENT_ID_REBOOT,
		     VIR_DOMAIN_EVENT_CALLBACK(vmem_backend_libvirt_on_reboot), error)) < 0 ||
	    (self->migration_callback = vmem_backend_libvirt_register(
		     self, VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION,
		     VIR_DOMAIN_EVENT_CALLBACK(vmem_backend_libvirt_on_migration), error)) < 0 ||
	    (self->job_callback = vmem_backend_libvirt_register(
		     self, VIR_DOMAIN_EVENT_ID_JOB_COMPLETED,
		     VIR_DOMAIN_EVENT_CALLBACK(vmem_backend_libvirt_on_job_completed), error)) <
		    0 ||
	    (self->metadata_callback = vmem_backend_libvirt_register(
		     self, VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
		     VIR_DOMAIN_EVENT_CALLBACK(vmem_backend_libvirt_on_metadata), error)) < 0 ||
	    (self->device_added_callback = vmem_backend_libvirt_register(
		     self, VIR_DOMAIN_EVENT_ID_DEVICE_ADDED,
		     VIR_DOMAIN_EVENT_CALLBACK(vmem_backend_libvirt_on_device), error)) < 0 ||
	    (self->device_removed_callback = vmem_backend_libvirt_register(
		     self, VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED,
		     VIR_DOMAIN_EVENT_CALLBACK(vmem_backend_libvirt_on_device), error)) < 0)
		return NULL;
	/* A connection that cannot break (qemu:///embed) has no close callback. */
	self->close_callback = virConnectRegisterCloseCallback(conn, vmem_backend_libvirt_on_close,
							       self, NULL) == 0;
	if (!self->close_callback)
		virResetLastError();
	return VMEM_BACKEND(g_steal_pointer(&self));
}

/**
 * vmem_backend_libvirt_open:
 * @uri: (nullable): a libvirt URI; %NULL for libvirt's default
 * @error: return location for a #GError
 *
 * Connects to libvirt, see vmem_backend_libvirt_new().
 */
VmemBackend *
vmem_backend_libvirt_open(const char *uri, GError **error)
{
	g_autoptr(virConnect) conn = NULL;

	if (!vmem_libvirt_init(error))
		return NULL;
	conn = virConnectOpen(uri);
	if (conn == NULL) {
		vmem_libvirt_set_error(error);
		/* TRANSLATORS: %s is a libvirt URI; libvirt's error follows */
		g_prefix_error(error, _("Cannot connect to %s: "), uri ? uri : "libvirt");
		return NULL;
	}
	return vmem_backend_libvirt_new(conn, error);
}
