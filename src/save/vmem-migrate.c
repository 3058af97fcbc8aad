/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Migrating a domain to another libvirt: virDomainMigrate3() in a thread,
 * the completed job's statistics, the check of what arrived and the
 * re-grow on the destination.
 */
#include "config.h"

#include "vmem-migrate.h"

#include <glib/gi18n.h>
#include <libvirt/virterror.h>

#include "vmem-backend-libvirt.h"
#include "vmem-domain.h"
#include "vmem-error.h"
#include "vmem-policy.h"
#include "vmem-resize.h"
#include "vmem-save-meta.h"
#include "vmem-save-private.h"
#include "vmem-size.h"
#include "vmem-xml.h"

void
vmem_migrate_options_init(VmemMigrateOptions *options)
{
	memset(options, 0, sizeof(*options));
	options->regrow_timeout_s = 120;
}

static gboolean
vmem_migrate_param(virTypedParameterPtr params, int n_params, const char *name, guint64 *ret_value)
{
	unsigned long long value = 0;

	if (virTypedParamsGetULLong(params, n_params, name, &value) != 1)
		return FALSE;
	*ret_value = value;
	return TRUE;
}

/**
 * vmem_migrate_stats_read:
 * @stats: (out): filled from @params
 * @params: (array length=n_params): a completed migration job's statistics
 *   (virDomainGetJobStats() with VIR_DOMAIN_JOB_STATS_COMPLETED)
 *
 * @stats is valid when libvirt said how much it transferred.
 */
void
vmem_migrate_stats_read(VmemMigrateStats *stats, virTypedParameterPtr params, int n_params)
{
	memset(stats, 0, sizeof(*stats));
	stats->valid = vmem_migrate_param(params, n_params, VIR_DOMAIN_JOB_DATA_PROCESSED,
					  &stats->data_processed) |
		       vmem_migrate_param(params, n_params, VIR_DOMAIN_JOB_MEMORY_PROCESSED,
					  &stats->memory_processed);
	if (stats->data_processed == 0)
		stats->data_processed = stats->memory_processed;
	vmem_migrate_param(params, n_params, VIR_DOMAIN_JOB_MEMORY_TOTAL, &stats->memory_total);
	vmem_migrate_param(params, n_params, VIR_DOMAIN_JOB_DOWNTIME, &stats->downtime_ms);
	vmem_migrate_param(params, n_params, VIR_DOMAIN_JOB_TIME_ELAPSED, &stats->elapsed_ms);
}

void
vmem_migrate_device_free(VmemMigrateDevice *device)
{
	if (device == NULL)
		return;
	g_free(device->alias);
	g_free(device);
}

/**
 * vmem_migrate_devices_new:
 * @before: (element-type VmemDevice): the devices on the source
 *
 * Returns: (transfer full) (element-type VmemMigrateDevice): each device as
 *   it leaves, nothing known yet of its arrival
 */
GPtrArray *
vmem_migrate_devices_new(GPtrArray *before)
{
	GPtrArray *devices =
		g_ptr_array_new_with_free_func((GDestroyNotify)vmem_migrate_device_free);

	for (guint i = 0; i < before->len; i++) {
		const VmemDevice *dev = g_ptr_array_index(before, i);
		VmemMigrateDevice *d = g_new0(VmemMigrateDevice, 1);

		d->alias = g_strdup(dev->alias);
		d->size = dev->size;
		d->requested_before = dev->requested;
		d->plugged_before = dev->plugged;
		g_ptr_array_add(devices, d);
	}
	return devices;
}

/**
 * vmem_migrate_devices_arrived:
 * @devices: (element-type VmemMigrateDevice): from vmem_migrate_devices_new(),
 *   updated with what arrived
 * @after: (element-type VmemDevice): the devices on the destination
 *
 * Whether every device arrived requesting and plugging what it did on the
 * source; the first one that did not is in @error.
 */
gboolean
vmem_migrate_devices_arrived(GPtrArray *devices, GPtrArray *after, GError **error)
{
	gboolean ok = TRUE;

	for (guint i = 0; i < devices->len; i++) {
		VmemMigrateDevice *d = g_ptr_array_index(devices, i);

		d->found_after = FALSE;
		for (guint j = 0; j < after->len; j++) {
			const VmemDevice *dev = g_ptr_array_index(after, j);

			if (g_strcmp0(dev->alias, d->alias) != 0)
				continue;
			d->found_after = TRUE;
			d->requested_after = dev->requested;
			d->plugged_after = dev->plugged;
		}
		if (!ok)
			continue;
		if (!d->found_after) {
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_NOT_FOUND,
				    /* TRANSLATORS: %s is a device alias */
				    _("Device %s is missing on the destination."), d->alias);
			ok = FALSE;
		} else if (d->requested_after != d->requested_before ||
			   d->plugged_after != d->plugged_before) {
			g_autofree char *req_before = vmem_size_format(d->requested_before);
			g_autofree char *plug_before = vmem_size_format(d->plugged_before);
			g_autofree char *req_after = vmem_size_format(d->requested_after);
			g_autofree char *plug_after = vmem_size_format(d->plugged_after);

			g_set_error(error, VMEM_ERROR, VMEM_ERROR_VMM,
				    /* TRANSLATORS: 1 a device alias, 2 to 5 sizes */
				    _("Device %1$s left requesting %2$s with %3$s plugged and "
				      "arrived requesting %4$s with %5$s plugged."),
				    d->alias, req_before, plug_before, req_after, plug_after);
			ok = FALSE;
		}
	}
	return ok;
}

static xmlDoc *
vmem_migrate_read_xml(const char *xml, GError **error)
{
	g_autoptr(xmlParserCtxt) ctxt = NULL;
	g_autoptr(xmlDoc) doc = NULL;
	gsize len = strlen(xml);

	if (len > VMEM_SAVED_XML_MAX) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %zu is a number of bytes */
			    _("The domain XML of %zu bytes is too large."), (size_t)len);
		return NULL;
	}
	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL)
		g_error("out of memory");
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL || !ctxt->wellFormed || xmlDocGetRootElement(doc) == NULL ||
	    !g_str_equal((const char *)xmlDocGetRootElement(doc)->name, "domain")) {
		g_set_error_literal(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    _("The domain XML is not well-formed or not a <domain>."));
		return NULL;
	}
	return g_steal_pointer(&doc);
}

/* The virtio-mem device of @devices (VmemMigrateDevice) that @memory, a
 * <memory> element, is */
static const VmemMigrateDevice *
vmem_migrate_find(GPtrArray *devices, xmlNode *memory)
{
	g_autofree char *model = vmem_xml_prop(memory, "model");
	g_autofree char *alias = NULL;
	xmlNode *alias_node;

	if (g_strcmp0(model, "virtio-mem") != 0)
		return NULL;
	alias_node = vmem_xml_child(memory, "alias", NULL);
	alias = alias_node != NULL ? vmem_xml_prop(alias_node, "name") : NULL;
	for (guint i = 0; alias != NULL && i < devices->len; i++) {
		const VmemMigrateDevice *d = g_ptr_array_index(devices, i);

		if (g_str_equal(d->alias, alias))
			return d;
	}
	return NULL;
}

/**
 * vmem_migrate_dest_xml:
 * @xml: a domain XML for the destination, such as the user gave
 * @devices: (element-type VmemMigrateDevice): the devices as they leave
 *
 * libvirt refuses a destination XML whose virtio-mem devices request other
 * sizes than the live ones (the ABI check); a squeeze changed them after
 * the XML was written.  Each device of @devices found in @xml by its alias
 * gets its live request, in KiB; every one must be there.
 *
 * Returns: (transfer full): the XML to migrate with, or %NULL with @error
 */
char *
vmem_migrate_dest_xml(const char *xml, GPtrArray *devices, GError **error)
{
	g_autoptr(xmlDoc) doc = vmem_migrate_read_xml(xml, error);
	g_autoptr(GHashTable) seen = NULL;
	xmlNode *devs;
	xmlChar *out = NULL;
	int out_len = 0;
	char *result;

	if (doc == NULL)
		return NULL;
	seen = g_hash_table_new(g_str_hash, g_str_equal);
	devs = vmem_xml_child(xmlDocGetRootElement(doc), "devices", NULL);
	for (xmlNode *n = devs != NULL ? devs->children : NULL; n != NULL; n = n->next) {
		const VmemMigrateDevice *d;
		xmlNode *target, *requested;
		g_autofree char *kib = NULL;

		if (n->type != XML_ELEMENT_NODE || !g_str_equal((const char *)n->name, "memory"))
			continue;
		d = vmem_migrate_find(devices, n);
		if (d == NULL)
			continue;
		target = vmem_xml_child(n, "target", NULL);
		if (target == NULL)
			target = xmlNewChild(n, NULL, BAD_CAST "target", NULL);
		requested = vmem_xml_child(target, "requested", NULL);
		kib = g_strdup_printf("%" G_GUINT64_FORMAT, d->requested_before / 1024);
		if (requested == NULL)
			requested = xmlNewChild(target, NULL, BAD_CAST "requested", NULL);
		xmlNodeSetContent(requested, BAD_CAST kib);
		xmlSetProp(requested, BAD_CAST "unit", BAD_CAST "KiB");
		g_hash_table_add(seen, d->alias);
	}
	for (guint i = 0; i < devices->len; i++) {
		const VmemMigrateDevice *d = g_ptr_array_index(devices, i);

		if (!g_hash_table_contains(seen, d->alias)) {
			g_set_error(
				error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
				/* TRANSLATORS: %s is a device alias */
				_("The destination XML has no virtio-mem device with alias %s."),
				d->alias);
			return NULL;
		}
	}
	xmlDocDumpMemoryEnc(doc, &out, &out_len, "UTF-8");
	if (out == NULL)
		g_error("out of memory");
	result = g_strndup((const char *)out, (gsize)out_len);
	xmlFree(out);
	return result;
}

void
vmem_migrate_result_free(VmemMigrateResult *result)
{
	if (result == NULL)
		return;
	g_free(result->domain);
	g_free(result->dest_uri);
	g_clear_pointer(&result->devices, g_ptr_array_unref);
	g_free(result->devices_error);
	g_free(result->policy_error);
	g_clear_pointer(&result->remembered, g_ptr_array_unref);
	g_free(result->regrow_error);
	g_free(result);
}

typedef struct {
	virDomainPtr dom;
	virConnectPtr dconn;
	virDomainPtr ddom; /* the domain on the destination, once there */
	char *dest_xml;
	char *migrate_uri;
	unsigned int flags;
	char *policy_before; /* the policy element as it left, or NULL */
	VmemBackend *dest_backend;
	VmemResize *resize;
	guint regrow_timeout_s;
	VmemMigrateResult *result;
} VmemMigrateOp;

static void
vmem_migrate_op_free(gpointer data)
{
	VmemMigrateOp *op = data;

	g_clear_object(&op->resize);
	g_clear_object(&op->dest_backend);
	if (op->ddom != NULL)
		virDomainFree(op->ddom);
	if (op->dom != NULL)
		virDomainFree(op->dom);
	if (op->dconn != NULL)
		virConnectClose(op->dconn);
	g_free(op->dest_xml);
	g_free(op->migrate_uri);
	g_free(op->policy_before);
	vmem_migrate_result_free(op->result);
	g_free(op);
}

/* The policy element of @dom's live metadata, or NULL when it has none */
static char *
vmem_migrate_policy(virDomainPtr dom, GError **error)
{
	char *xml = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, VMEM_POLICY_NS,
					 VIR_DOMAIN_AFFECT_LIVE);

	if (xml == NULL && virGetLastErrorCode() != VIR_ERR_NO_DOMAIN_METADATA) {
		vmem_libvirt_set_error(error);
		return NULL;
	}
	virResetLastError();
	return xml;
}

/* The statistics @dom's libvirt kept of its last migration, if it did */
static gboolean
vmem_migrate_completed_stats(virDomainPtr dom, VmemMigrateStats *stats)
{
	virTypedParameterPtr params = NULL;
	int n_params = 0, type = VIR_DOMAIN_JOB_NONE;

	if (virDomainGetJobStats(dom, &type, &params, &n_params, VIR_DOMAIN_JOB_STATS_COMPLETED) <
	    0) {
		virResetLastError();
		return FALSE;
	}
	vmem_migrate_stats_read(stats, params, n_params);
	virTypedParamsFree(params, n_params);
	return stats->valid;
}

static gboolean
vmem_migrate_thread(gpointer data, GError **error)
{
	VmemMigrateOp *op = data;
	virTypedParameterPtr params = NULL;
	int n_params = 0, max_params = 0;

	if (op->dest_xml != NULL)
		virTypedParamsAddString(&params, &n_params, &max_params, VIR_MIGRATE_PARAM_DEST_XML,
					op->dest_xml);
	if (op->migrate_uri != NULL)
		virTypedParamsAddString(&params, &n_params, &max_params, VIR_MIGRATE_PARAM_URI,
					op->migrate_uri);
	op->ddom = virDomainMigrate3(op->dom, op->dconn, params, (unsigned int)n_params, op->flags);
	virTypedParamsFree(params, n_params);
	if (op->ddom == NULL) {
		vmem_libvirt_set_error(error);
		return FALSE;
	}
	/* The source keeps them when the domain stays defined there; the
	 * destination has them from the source's migration cookie (pre-copy
	 * only, which this is) */
	if (!vmem_migrate_completed_stats(op->dom, &op->result->stats))
		vmem_migrate_completed_stats(op->ddom, &op->result->stats);
	return TRUE;
}

static void
vmem_migrate_return(GTask *task)
{
	VmemMigrateOp *op = g_task_get_task_data(task);

	g_task_return_pointer(task, g_steal_pointer(&op->result),
			      (GDestroyNotify)vmem_migrate_result_free);
	g_object_unref(task);
}

static void
vmem_migrate_totals(VmemMigrateOp *op)
{
	VmemResizeProgress progress;

	vmem_resize_get_progress(op->resize, &progress);
	op->result->requested_after = progress.requested;
	op->result->plugged_after = progress.plugged;
}

static void
vmem_migrate_on_regrown(GObject *source, GAsyncResult *result, gpointer user_data)
{
	GTask *task = user_data;
	VmemMigrateOp *op = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;

	if (!vmem_resize_wait_finish(op->resize, result, &op->result->regrow_state, &error))
		op->result->regrow_error = g_strdup(error->message);
	vmem_migrate_totals(op);
	vmem_migrate_return(task);
}

/* On the destination: what arrived, and the target from before a squeeze */
static void
vmem_migrate_check(GTask *task)
{
	VmemMigrateOp *op = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) after = NULL;
	g_autofree char *policy_after = NULL;

	op->dest_backend = vmem_backend_libvirt_new(op->dconn, &error);
	if (op->dest_backend == NULL ||
	    !vmem_backend_get_devices(op->dest_backend, op->result->domain, &after, &error) ||
	    !vmem_migrate_devices_arrived(op->result->devices, after, &error)) {
		op->result->devices_error = g_strdup(error->message);
		g_clear_error(&error);
	}
	for (guint i = 0; after != NULL && i < after->len; i++) {
		const VmemDevice *dev = g_ptr_array_index(after, i);

		op->result->requested_after += dev->requested;
		op->result->plugged_after += dev->plugged;
	}
	policy_after = vmem_migrate_policy(op->ddom, &error);
	if (error != NULL)
		op->result->policy_error = g_strdup(error->message);
	else if (g_strcmp0(op->policy_before, policy_after) != 0)
		op->result->policy_error = g_strdup(
			policy_after == NULL
				? _("The policy in the domain's metadata is missing on the "
				    "destination.")
				: _("The policy in the domain's metadata arrived changed."));
	g_clear_error(&error);
	if (op->result->remembered == NULL || op->dest_backend == NULL) {
		vmem_migrate_return(task);
		return;
	}
	op->resize = vmem_resize_new(op->dest_backend, op->result->domain, &error);
	for (guint i = 0; op->resize != NULL && i < op->result->remembered->len; i++) {
		const VmemSavedTarget *t = g_ptr_array_index(op->result->remembered, i);

		if (!vmem_resize_plan_device(op->resize, t->alias, -1, t->requested, &error))
			break;
	}
	if (error != NULL || !vmem_resize_apply(op->resize, VMEM_RESIZE_LIVE, &error)) {
		op->result->regrow_error = g_strdup(error->message);
		if (op->resize != NULL)
			vmem_migrate_totals(op);
		vmem_migrate_return(task);
		return;
	}
	vmem_resize_wait_async(op->resize, op->regrow_timeout_s, g_task_get_cancellable(task),
			       vmem_migrate_on_regrown, task);
}

static void
vmem_migrate_on_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	GTask *task = user_data;
	VmemMigrateOp *op = g_task_get_task_data(task);
	GError *error = NULL;

	if (!vmem_save_run_job_finish(VMEM_SAVE(source), result, &op->result->elapsed_us, &error)) {
		g_task_return_error(task, error);
		g_object_unref(task);
		return;
	}
	vmem_migrate_check(task);
}

/* What the source says before the migration: the devices, the limits and
 * the policy */
static gboolean
vmem_migrate_prepare(VmemSave *save, VmemMigrateOp *op, const VmemMigrateOptions *options,
		     GError **error)
{
	g_autoptr(GPtrArray) before = NULL;
	g_autofree char *live_xml = NULL;

	live_xml = virDomainGetXMLDesc(op->dom, VIR_DOMAIN_XML_SECURE | VIR_DOMAIN_XML_MIGRATABLE);
	if (live_xml == NULL) {
		vmem_libvirt_set_error(error);
		return FALSE;
	}
	if (!vmem_backend_get_devices(save->backend, op->result->domain, &before, error) ||
	    !vmem_save_domain_facts(save, live_xml, op->result->domain, &op->result->base,
				    &op->result->plugged, error))
		return FALSE;
	op->result->devices = vmem_migrate_devices_new(before);
	for (guint i = 0; i < before->len; i++)
		op->result->device_size += ((VmemDevice *)g_ptr_array_index(before, i))->size;
	if (options->dest_xml != NULL) {
		op->dest_xml = vmem_migrate_dest_xml(options->dest_xml, op->result->devices, error);
		if (op->dest_xml == NULL)
			return FALSE;
	}
	op->policy_before = vmem_migrate_policy(op->dom, error);
	if (op->policy_before == NULL && error != NULL && *error != NULL)
		return FALSE;
	op->result->has_policy = op->policy_before != NULL;
	op->dconn = virConnectOpen(op->result->dest_uri);
	if (op->dconn == NULL) {
		vmem_libvirt_set_error(error);
		return FALSE;
	}
	return TRUE;
}

/**
 * vmem_save_migrate_async:
 * @domain: a running domain of @save's connection
 * @dest_uri: the libvirt to migrate it to
 * @options: how, and the target to set again after a squeeze
 *
 * Migrates @domain with virDomainMigrate3() (the client drives it: both
 * connections are open here) while the source's job statistics are told
 * through ::progress; cancelling aborts libvirt's job, and the domain keeps
 * running on the source.  Once it arrived, checks each virtio-mem device's
 * requested and plugged sizes and the policy in the metadata against what
 * left, and sets @options->remembered on the destination and follows the
 * guest plugging it.  Fails only when the migration fails: what did not
 * arrive as it left is in the result.
 */
void
vmem_save_migrate_async(VmemSave *save, const char *domain, const char *dest_uri,
			const VmemMigrateOptions *options, GCancellable *cancellable,
			GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task = g_task_new(save, cancellable, callback, user_data);
	VmemMigrateOp *op = g_new0(VmemMigrateOp, 1);
	GError *error = NULL;

	g_task_set_source_tag(task, vmem_save_migrate_async);
	g_task_set_task_data(task, op, vmem_migrate_op_free);
	op->migrate_uri = g_strdup(options->migrate_uri);
	op->regrow_timeout_s = options->regrow_timeout_s;
	op->flags = (options->live ? VIR_MIGRATE_LIVE : 0) |
		    (options->persistent ? VIR_MIGRATE_PERSIST_DEST : 0) |
		    (options->undefine_source ? VIR_MIGRATE_UNDEFINE_SOURCE : 0);
	op->result = g_new0(VmemMigrateResult, 1);
	op->result->dest_uri = g_strdup(dest_uri);
	op->result->live = options->live;
	if (options->remembered != NULL && options->remembered->len > 0) {
		op->result->remembered = vmem_saved_targets_new();
		for (guint i = 0; i < options->remembered->len; i++) {
			const VmemSavedTarget *t = g_ptr_array_index(options->remembered, i);

			vmem_saved_targets_add(op->result->remembered, t->alias, t->requested);
		}
	}
	op->dom = vmem_backend_libvirt_lookup(save->backend, domain, &error);
	if (op->dom != NULL) {
		op->result->domain = g_strdup(virDomainGetName(op->dom));
		vmem_migrate_prepare(save, op, options, &error);
	}
	if (error != NULL) {
		g_task_return_error(task, error);
		g_object_unref(task);
		return;
	}
	vmem_save_run_job(save, task, op->dom, NULL, vmem_migrate_thread, vmem_migrate_on_done);
}

/**
 * vmem_save_migrate_finish:
 *
 * Returns: (transfer full): what was migrated and how it arrived, or %NULL
 *   with @error set
 */
VmemMigrateResult *
vmem_save_migrate_finish(VmemSave *save, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, save), NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}
