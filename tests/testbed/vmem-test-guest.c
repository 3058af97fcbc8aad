/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-testbed-private.h"

#include <gio/gio.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "vmem-backend-libvirt.h"
#include "vmem-error.h"
#include "vmem-libvirt.h"
#include "vmem-resize.h"
#include "vmem-test-control.h"
#include "vmem-xml.h"

#define VMEM_TEST_GUEST_BOOT_TIMEOUT_S 180
#define VMEM_TEST_GUEST_COMMAND_TIMEOUT_S 120

typedef struct {
	guint n_events;
	guint64 last_size_kib;
} VmemSizeEvents;

struct _VmemTestGuest {
	VmemTestbed *tb;
	char *name;
	VmemTestGuestConfig config;
	virDomainPtr dom;
	VmemBackend *backend; /* the test bed's: resizes and size events go through virtmem's */
	gulong size_handler;
	GHashTable *size_events; /* alias -> VmemSizeEvents */
	char *ctl_socket;
	char *agent_socket;
	char *console_log;
	GPid qemu_pid;
	VmemTestControl *ctl;
};

void
vmem_test_guest_config_init(VmemTestGuestConfig *config)
{
	config->n_nodes = 1;
	config->node_base_mib = 512;
	config->device_mib = 4096;
	config->block_mib = 2;
	config->requested_mib = 0;
	config->online_movable = TRUE;
	config->virtio_mem_driver = TRUE;
	config->reboot_restarts = FALSE;
	config->agent_port = TRUE;
	config->kernel = NULL;
	config->initrd = NULL;
	config->disk = NULL;
	config->cmdline = NULL;
}

static char *
vmem_test_guest_domain_xml(VmemTestGuest *guest, const char *kernel, const char *initrd,
			   const char *disk)
{
	const VmemTestGuestConfig *c = &guest->config;
	guint64 base = c->node_base_mib * c->n_nodes;
	guint64 devices = c->device_mib * c->n_nodes;
	g_autofree char *cmdline = vmem_testbed_kernel_cmdline(c);
	g_autoptr(GString) xml = g_string_new(NULL);

	g_string_append_printf(xml,
			       "<domain type='qemu'>\n"
			       "  <name>%s</name>\n"
			       "  <maxMemory slots='%u' unit='MiB'>%" G_GUINT64_FORMAT
			       "</maxMemory>\n"
			       "  <memory unit='MiB'>%" G_GUINT64_FORMAT "</memory>\n"
			       "  <currentMemory unit='MiB'>%" G_GUINT64_FORMAT "</currentMemory>\n"
			       "  <vcpu>%u</vcpu>\n"
			       "  <os>\n"
			       "    <type arch='x86_64' machine='q35'>hvm</type>\n"
			       "    <kernel>%s</kernel>\n"
			       "    <initrd>%s</initrd>\n"
			       "    <cmdline>%s</cmdline>\n"
			       "  </os>\n"
			       "  <features><acpi/></features>\n"
			       "  <cpu mode='custom' match='exact'>\n"
			       "    <model fallback='allow'>qemu64</model>\n"
			       "    <numa>\n",
			       guest->name, c->n_nodes + 1, base + devices + 1024, base + devices,
			       base, c->n_nodes, kernel, initrd, cmdline);
	for (guint i = 0; i < c->n_nodes; i++)
		g_string_append_printf(xml,
				       "      <cell id='%u' cpus='%u' memory='%" G_GUINT64_FORMAT
				       "' unit='MiB'/>\n",
				       i, i, c->node_base_mib);
	g_string_append_printf(xml,
			       "    </numa>\n"
			       "  </cpu>\n"
			       "  <on_poweroff>destroy</on_poweroff>\n"
			       "  <on_reboot>%s</on_reboot>\n"
			       "  <on_crash>destroy</on_crash>\n"
			       "  <devices>\n"
			       "    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
			       "    <serial type='file'>\n"
			       "      <source path='%s' append='on'/>\n"
			       "      <target port='0'/>\n"
			       "    </serial>\n"
			       "    <channel type='unix'>\n"
			       "      <source mode='bind' path='%s'/>\n"
			       "      <target type='virtio' name='org.virtmem.test.0'/>\n"
			       "    </channel>\n"
			       "    <memballoon model='virtio'>\n"
			       "      <stats period='1'/>\n"
			       "    </memballoon>\n",
			       c->reboot_restarts ? "restart" : "destroy", guest->console_log,
			       guest->ctl_socket);
	if (c->agent_port)
		g_string_append_printf(xml,
				       "    <channel type='unix'>\n"
				       "      <source mode='bind' path='%s'/>\n"
				       "      <target type='virtio' name='org.virtmem.agent.0'/>\n"
				       "    </channel>\n",
				       guest->agent_socket);
	if (disk != NULL)
		g_string_append_printf(xml,
				       "    <disk type='file' device='disk'>\n"
				       "      <driver name='qemu' type='qcow2'/>\n"
				       "      <source file='%s'/>\n"
				       "      <target dev='vda' bus='virtio'/>\n"
				       "    </disk>\n",
				       disk);
	for (guint i = 0; i < c->n_nodes; i++)
		g_string_append_printf(xml,
				       "    <memory model='virtio-mem'>\n"
				       "      <target>\n"
				       "        <size unit='MiB'>%" G_GUINT64_FORMAT "</size>\n"
				       "        <node>%u</node>\n"
				       "        <block unit='MiB'>%" G_GUINT64_FORMAT "</block>\n"
				       "        <requested unit='MiB'>%" G_GUINT64_FORMAT
				       "</requested>\n"
				       "      </target>\n"
				       "      <alias name='ua-vmem%u'/>\n"
				       "    </memory>\n",
				       c->device_mib, i, c->block_mib, c->requested_mib, i);
	g_string_append(xml, "  </devices>\n</domain>\n");
	return g_string_free(g_steal_pointer(&xml), FALSE);
}

static void
vmem_test_guest_on_size_change(VmemBackend *backend, const char *domain, const char *alias,
			       guint64 plugged, gpointer user_data)
{
	VmemTestGuest *guest = user_data;
	VmemSizeEvents *ev;

	if (g_strcmp0(domain, guest->name) != 0)
		return;
	ev = g_hash_table_lookup(guest->size_events, alias);
	if (ev == NULL) {
		ev = g_new0(VmemSizeEvents, 1);
		g_hash_table_insert(guest->size_events, g_strdup(alias), ev);
	}
	ev->n_events++;
	ev->last_size_kib = plugged / 1024;
}

/* A qcow2 overlay on @disk, so that the image stays as built and each
 * guest starts from it. */
static gboolean
vmem_test_guest_make_overlay(const char *disk, const char *overlay, GError **error)
{
	g_autofree char *backing = g_canonicalize_filename(disk, NULL);
	const char *argv[] = {"qemu-img", "create", "-q",    "-f",    "qcow2", "-F",
			      "raw",	  "-b",	    backing, overlay, NULL};
	g_autofree char *err = NULL;
	int status = -1;

	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, &err,
			  &status, error))
		return FALSE;
	if (!g_spawn_check_wait_status(status, error)) {
		g_prefix_error(error, "qemu-img create %s on %s: %s: ", overlay, backing, err);
		return FALSE;
	}
	return TRUE;
}

/**
 * vmem_test_guest_new:
 * @tb: the test bed
 * @name: domain name
 * @config: what to define
 * @error: return location for a #GError
 *
 * Defines a TCG domain from the test bed's template: q35, qemu64, one NUMA
 * cell and one virtio-mem device (alias `ua-vmemN`) per node, the agent and
 * control channels, a serial console to a file, a balloon with stats, and
 * `destroy` on reboot and crash so that a guest crash shows as a stopped
 * domain.  The guest belongs to @tb and is destroyed with it.
 */
VmemTestGuest *
vmem_test_guest_new(VmemTestbed *tb, const char *name, const VmemTestGuestConfig *config,
		    GError **error)
{
	g_autofree char *kernel = NULL;
	g_autofree char *initrd = NULL;
	g_autofree char *xml = NULL;
	g_autofree char *base = NULL;
	g_autofree char *overlay = NULL;
	VmemTestGuest *guest;

	if (config->kernel != NULL) {
		kernel = g_strdup(config->kernel);
		initrd = g_strdup(config->initrd);
	} else if (!vmem_testbed_guest_files(&kernel, &initrd, error)) {
		return NULL;
	}

	guest = g_new0(VmemTestGuest, 1);
	guest->tb = tb;
	guest->name = g_strdup(name);
	guest->config = *config;
	guest->size_events = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	base = g_build_filename(tb->root, name, NULL);
	guest->ctl_socket = g_strconcat(base, ".ctl", NULL);
	guest->agent_socket = g_strconcat(base, ".agent", NULL);
	guest->console_log = g_strconcat(base, ".console.log", NULL);
	g_ptr_array_add(tb->guests, guest);

	if (config->disk != NULL) {
		overlay = g_strconcat(base, ".qcow2", NULL);
		if (!vmem_test_guest_make_overlay(config->disk, overlay, error))
			return NULL;
	}
	xml = vmem_test_guest_domain_xml(guest, kernel, initrd, overlay);
	guest->dom = virDomainDefineXML(tb->conn, xml);
	if (guest->dom == NULL) {
		vmem_libvirt_set_error(error);
		g_prefix_error(error, "cannot define %s: ", name);
		return NULL;
	}
	guest->backend = vmem_testbed_get_backend(tb, error);
	if (guest->backend == NULL)
		return NULL;
	g_object_ref(guest->backend);
	guest->size_handler = g_signal_connect(guest->backend, "size-changed",
					       G_CALLBACK(vmem_test_guest_on_size_change), guest);
	return guest;
}

/**
 * vmem_test_guest_start:
 *
 * Starts the domain and waits until the guest's /init answers on the
 * control port.
 */
gboolean
vmem_test_guest_start(VmemTestGuest *guest, GError **error)
{
	g_autofree char *pid_file = vmem_testbed_qemu_pid_file(guest->tb, guest->name);

	if (virDomainCreate(guest->dom) < 0) {
		vmem_libvirt_set_error(error);
		g_prefix_error(error, "cannot start %s: ", guest->name);
		return FALSE;
	}
	guest->qemu_pid = vmem_testbed_read_pid_file(pid_file);
	if (guest->qemu_pid == 0) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_VMM, "no QEMU pid in %s", pid_file);
		return FALSE;
	}
	vmem_testbed_track_pid(guest->qemu_pid);
	guest->ctl =
		vmem_test_control_connect(guest->name, guest->ctl_socket, guest->qemu_pid, error);
	if (guest->ctl == NULL ||
	    !vmem_test_control_wait_ready(guest->ctl, VMEM_TEST_GUEST_BOOT_TIMEOUT_S, error)) {
		g_prefix_error(error, "console %s: ", guest->console_log);
		return FALSE;
	}
	return TRUE;
}

const char *
vmem_test_guest_get_control_socket(VmemTestGuest *guest)
{
	return guest->ctl_socket;
}

/**
 * vmem_test_guest_detach_control:
 *
 * Closes the test bed's end of the control port, which QEMU serves to one
 * client at a time, so that another program (a benchmark script) can run
 * commands in the guest; vmem_test_guest_reattach() takes it back.
 */
void
vmem_test_guest_detach_control(VmemTestGuest *guest)
{
	g_clear_pointer(&guest->ctl, vmem_test_control_free);
}

/**
 * vmem_test_guest_reattach:
 *
 * After the domain was started again by something else than
 * vmem_test_guest_start() (a restore, `virsh start`): follows its new QEMU
 * and reconnects to the control port, without waiting for a boot.
 */
gboolean
vmem_test_guest_reattach(VmemTestGuest *guest, GError **error)
{
	g_autofree char *pid_file = vmem_testbed_qemu_pid_file(guest->tb, guest->name);

	g_clear_pointer(&guest->ctl, vmem_test_control_free);
	/* the old QEMU ended with the domain: its PID may be another's soon */
	if (!vmem_testbed_pid_alive(guest->qemu_pid))
		vmem_testbed_untrack_pid(guest->qemu_pid);
	guest->qemu_pid = vmem_testbed_read_pid_file(pid_file);
	if (guest->qemu_pid == 0) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_VMM, "no QEMU pid in %s", pid_file);
		return FALSE;
	}
	vmem_testbed_track_pid(guest->qemu_pid);
	guest->ctl =
		vmem_test_control_connect(guest->name, guest->ctl_socket, guest->qemu_pid, error);
	return guest->ctl != NULL &&
	       vmem_test_control_wait_ready(guest->ctl, VMEM_TEST_GUEST_BOOT_TIMEOUT_S, error);
}

/**
 * vmem_test_guest_destroy:
 *
 * Destroys and undefines the domain, ends its QEMU and forgets the guest.
 */
void
vmem_test_guest_destroy(VmemTestGuest *guest)
{
	g_ptr_array_remove(guest->tb->guests, guest);
}

const char *
vmem_test_guest_get_name(VmemTestGuest *guest)
{
	return guest->name;
}

virDomainPtr
vmem_test_guest_get_domain(VmemTestGuest *guest)
{
	return guest->dom;
}

const char *
vmem_test_guest_get_agent_socket(VmemTestGuest *guest)
{
	return guest->agent_socket;
}

const char *
vmem_test_guest_get_console_log(VmemTestGuest *guest)
{
	return guest->console_log;
}

/**
 * vmem_test_guest_console_boots:
 *
 * Counts the boots on the guest's console (its /init greets each one; the
 * file is appended to across restarts and restores) and fails the test at
 * once on a panic, a BUG, an oops or the OOM killer there: a guest that
 * panicked and rebooted would look as if an unplug had worked.
 *
 * Returns: the number of boots
 */
guint
vmem_test_guest_console_boots(VmemTestGuest *guest)
{
	g_autofree char *log = NULL;
	guint n = 0;

	g_assert_true(g_file_get_contents(guest->console_log, &log, NULL, NULL));
	for (const char *p = log; (p = strstr(p, "virtmem-guest: up")) != NULL; p++)
		n++;
	for (const char *bad = "Kernel panic\0BUG: \0Oops: \0Out of memory\0"; *bad != '\0';
	     bad += strlen(bad) + 1)
		if (strstr(log, bad) != NULL)
			g_error("\"%s\" on the console (%s)", bad, guest->console_log);
	return n;
}

gboolean
vmem_test_guest_is_running(VmemTestGuest *guest)
{
	int state = VIR_DOMAIN_NOSTATE;

	if (virDomainGetState(guest->dom, &state, NULL, 0) < 0)
		return FALSE;
	return state == VIR_DOMAIN_RUNNING;
}

/**
 * vmem_test_guest_run:
 * @guest: a started guest
 * @command: one line of shell, run by the guest's sh
 * @ret_output: (optional): what it printed (stdout and stderr)
 * @ret_status: (optional): its exit status
 *
 * Runs @command in the guest over the control port.
 */
gboolean
vmem_test_guest_run(VmemTestGuest *guest, const char *command, char **ret_output, int *ret_status,
		    GError **error)
{
	if (guest->ctl == NULL) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_NOT_RUNNING, "guest %s is not started",
			    guest->name);
		return FALSE;
	}
	return vmem_test_control_run(guest->ctl, command, VMEM_TEST_GUEST_COMMAND_TIMEOUT_S,
				     ret_output, ret_status, error);
}

/**
 * vmem_test_guest_output:
 *
 * For tests: runs @command in the guest, fails the test unless it exits
 * with 0, and returns its output without surrounding white space.
 */
char *
vmem_test_guest_output(VmemTestGuest *guest, const char *command)
{
	g_autoptr(GError) error = NULL;
	char *output = NULL;
	int status = -1;

	g_assert_true(vmem_test_guest_run(guest, command, &output, &status, &error));
	g_assert_no_error(error);
	if (status != 0)
		g_error("`%s` failed with status %d in %s: %s", command, status, guest->name,
			output);
	return g_strstrip(output);
}

static gboolean
vmem_test_guest_run_ok(VmemTestGuest *guest, const char *command, char **ret_output, GError **error)
{
	g_autofree char *output = NULL;
	int status = -1;

	if (!vmem_test_guest_run(guest, command, &output, &status, error))
		return FALSE;
	if (status != 0) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_FAILED,
			    "`%s` failed in guest %s with status %d: %s", command, guest->name,
			    status, output);
		return FALSE;
	}
	if (ret_output != NULL)
		*ret_output = g_steal_pointer(&output);
	return TRUE;
}

/**
 * vmem_test_guest_meminfo:
 * @field: a /proc/meminfo field such as "MemTotal"
 * @ret_kib: its value in KiB
 */
gboolean
vmem_test_guest_meminfo(VmemTestGuest *guest, const char *field, guint64 *ret_kib, GError **error)
{
	if (guest->ctl == NULL) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_NOT_RUNNING, "guest %s is not started",
			    guest->name);
		return FALSE;
	}
	return vmem_test_control_meminfo(guest->ctl, field, ret_kib, error);
}

/**
 * vmem_test_guest_hold:
 * @mib: how much data to hold
 *
 * Fills @mib MiB of tmpfs in the guest, memory the guest cannot give back
 * until vmem_test_guest_release().  tmpfs pages are movable, so they may
 * sit in ZONE_MOVABLE.
 */
gboolean
vmem_test_guest_hold(VmemTestGuest *guest, guint64 mib, GError **error)
{
	g_autofree char *command = g_strdup_printf(
		"dd if=/dev/zero of=/hold/data bs=1M count=%" G_GUINT64_FORMAT " 2>&1 && sync",
		mib);

	return vmem_test_guest_run_ok(guest, command, NULL, error);
}

gboolean
vmem_test_guest_release(VmemTestGuest *guest, GError **error)
{
	return vmem_test_guest_run_ok(guest, "rm -f /hold/data", NULL, error);
}

static xmlNodePtr
vmem_test_guest_find_device(xmlXPathContextPtr ctxt, const char *alias)
{
	g_autofree char *expr = g_strdup_printf(
		"/domain/devices/memory[@model='virtio-mem'][alias/@name='%s']", alias);
	g_autoptr(xmlXPathObject) obj = xmlXPathEvalExpression(BAD_CAST expr, ctxt);

	if (obj != NULL && obj->nodesetval != NULL && obj->nodesetval->nodeNr == 1)
		return obj->nodesetval->nodeTab[0];
	return NULL;
}

/* libvirt writes sizes of the live XML in KiB; anything else is a surprise
 * worth failing on. */
static gboolean
vmem_test_guest_read_kib(xmlNodePtr node, const char *what, guint64 *ret_kib, GError **error)
{
	g_autofree char *unit = vmem_xml_prop(node, "unit");
	g_autofree char *text = vmem_xml_text(node);

	if (node == NULL) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA, "no <%s> in the live XML",
			    what);
		return FALSE;
	}
	if ((unit == NULL || g_str_equal(unit, "KiB")) &&
	    g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT64, ret_kib, NULL))
		return TRUE;
	g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
		    "unexpected <%s unit='%s'>%s</%s> in the live XML", what, unit ? unit : "",
		    text, what);
	return FALSE;
}

static xmlDocPtr
vmem_test_guest_live_xml(VmemTestGuest *guest, GError **error)
{
	g_autofree char *xml = virDomainGetXMLDesc(guest->dom, 0);
	xmlDocPtr doc;

	if (xml == NULL) {
		vmem_libvirt_set_error(error);
		return NULL;
	}
	doc = xmlReadMemory(xml, strlen(xml), "domain.xml", NULL, XML_PARSE_NONET);
	if (doc == NULL)
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    "libvirt returned unreadable XML for %s", guest->name);
	return doc;
}

/**
 * vmem_test_guest_get_sizes:
 * @alias: the device's alias, e.g. "ua-vmem0"
 *
 * Reads `<requested>` and `<current>` of a virtio-mem device from the live
 * domain XML.
 */
gboolean
vmem_test_guest_get_sizes(VmemTestGuest *guest, const char *alias, guint64 *ret_requested_kib,
			  guint64 *ret_current_kib, GError **error)
{
	g_autoptr(xmlDoc) doc = vmem_test_guest_live_xml(guest, error);
	g_autoptr(xmlXPathContext) ctxt = NULL;
	xmlNodePtr dev, target;
	guint64 requested = 0, current = 0;
	gboolean ok;

	if (doc == NULL)
		return FALSE;
	ctxt = xmlXPathNewContext(doc);
	dev = vmem_test_guest_find_device(ctxt, alias);
	target = vmem_xml_child(dev, "target", NULL);
	ok = vmem_test_guest_read_kib(vmem_xml_child(target, "requested", NULL), "requested",
				      &requested, error) &&
	     vmem_test_guest_read_kib(vmem_xml_child(target, "current", NULL), "current", &current,
				      error);
	if (!ok) {
		g_prefix_error(error, "device %s of %s: ", alias, guest->name);
		return FALSE;
	}
	if (ret_requested_kib != NULL)
		*ret_requested_kib = requested;
	if (ret_current_kib != NULL)
		*ret_current_kib = current;
	return TRUE;
}

/**
 * vmem_test_guest_set_requested:
 *
 * Sets one device's requested size of the running guest the way virtmem
 * does (a resize planned for that device and applied through the libvirt
 * backend: what `virsh update-memory-device --live` does), so that the vm
 * tests fail when the backend or the plan regress.
 */
gboolean
vmem_test_guest_set_requested(VmemTestGuest *guest, const char *alias, guint64 requested_kib,
			      GError **error)
{
	g_autoptr(VmemResize) resize = vmem_resize_new(guest->backend, guest->name, error);

	return resize != NULL &&
	       vmem_resize_plan_device(resize, alias, -1, requested_kib * 1024, error) &&
	       vmem_resize_apply(resize, VMEM_RESIZE_LIVE, error);
}

static gboolean
vmem_test_spin_done(gpointer user_data)
{
	*(gboolean *)user_data = TRUE;
	return G_SOURCE_REMOVE;
}

/**
 * vmem_test_spin:
 * @ms: how long
 *
 * Runs the default main context for @ms, so libvirt events are delivered.
 */
void
vmem_test_spin(guint ms)
{
	gboolean done = FALSE;

	g_timeout_add(ms, vmem_test_spin_done, &done);
	while (!done)
		g_main_context_iteration(NULL, TRUE);
}

/**
 * vmem_test_wait_for:
 * @counter: what the test's signal handlers count
 * @want: the count to reach
 * @timeout_s: fail the test after this long
 *
 * Runs the default main context until *@counter reaches @want.
 */
void
vmem_test_wait_for(const guint *counter, guint want, guint timeout_s)
{
	gboolean timed_out = FALSE;
	guint id = g_timeout_add_seconds(timeout_s, vmem_test_spin_done, &timed_out);

	while (*counter < want && !timed_out)
		g_main_context_iteration(NULL, TRUE);
	g_assert_false(timed_out);
	g_source_remove(id);
}

/**
 * vmem_test_guest_wait_current:
 *
 * Waits until the device's `<current>` equals @current_kib.
 */
gboolean
vmem_test_guest_wait_current(VmemTestGuest *guest, const char *alias, guint64 current_kib,
			     guint timeout_s, GError **error)
{
	gint64 end = g_get_monotonic_time() + (gint64)timeout_s * G_USEC_PER_SEC;
	guint64 current = 0;

	for (;;) {
		if (!vmem_test_guest_get_sizes(guest, alias, NULL, &current, error))
			return FALSE;
		if (current == current_kib)
			return TRUE;
		if (!vmem_test_guest_is_running(guest)) {
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_NOT_RUNNING,
				    "guest %s stopped (console: %s)", guest->name,
				    guest->console_log);
			return FALSE;
		}
		if (g_get_monotonic_time() > end) {
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_TIMED_OUT,
				    "%s of %s: current %" G_GUINT64_FORMAT
				    " KiB, not %" G_GUINT64_FORMAT " KiB after %u s",
				    alias, guest->name, current, current_kib, timeout_s);
			return FALSE;
		}
		vmem_test_spin(200);
	}
}

/**
 * vmem_test_guest_wait_settled:
 * @quiet_s: how long `<current>` must stay unchanged
 *
 * Waits until the device's `<current>` stops changing, and returns it.
 */
gboolean
vmem_test_guest_wait_settled(VmemTestGuest *guest, const char *alias, guint quiet_s,
			     guint timeout_s, guint64 *ret_current_kib, GError **error)
{
	gint64 now = g_get_monotonic_time();
	gint64 end = now + (gint64)timeout_s * G_USEC_PER_SEC;
	gint64 changed = now;
	guint64 last = G_MAXUINT64;

	for (;;) {
		guint64 current;

		if (!vmem_test_guest_get_sizes(guest, alias, NULL, &current, error))
			return FALSE;
		now = g_get_monotonic_time();
		if (current != last) {
			last = current;
			changed = now;
		} else if (now - changed >= (gint64)quiet_s * G_USEC_PER_SEC) {
			*ret_current_kib = current;
			return TRUE;
		}
		if (now > end) {
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_TIMED_OUT,
				    "%s of %s still changing after %u s", alias, guest->name,
				    timeout_s);
			return FALSE;
		}
		vmem_test_spin(200);
	}
}

/**
 * vmem_test_guest_get_size_events:
 * @ret_last_size_kib: (optional): the size the last event reported
 *
 * Returns: how many MEMORY_DEVICE_SIZE_CHANGE events libvirt delivered for
 * @alias since the guest was defined.
 */
guint
vmem_test_guest_get_size_events(VmemTestGuest *guest, const char *alias, guint64 *ret_last_size_kib)
{
	VmemSizeEvents *ev = g_hash_table_lookup(guest->size_events, alias);

	if (ret_last_size_kib != NULL)
		*ret_last_size_kib = ev ? ev->last_size_kib : 0;
	return ev ? ev->n_events : 0;
}

void
vmem_test_guest_free(VmemTestGuest *guest)
{
	vmem_test_control_free(guest->ctl);
	if (guest->backend != NULL) {
		g_signal_handler_disconnect(guest->backend, guest->size_handler);
		g_object_unref(guest->backend);
	}
	if (guest->dom != NULL) {
		if (virDomainIsActive(guest->dom) == 1)
			virDomainDestroy(guest->dom);
		virDomainUndefine(guest->dom);
		virDomainFree(guest->dom);
	}
	vmem_testbed_kill_pid(guest->qemu_pid);
	g_hash_table_unref(guest->size_events);
	g_free(guest->name);
	g_free(guest->ctl_socket);
	g_free(guest->agent_socket);
	g_free(guest->console_log);
	g_free(guest);
}

/**
 * vmem_test_guest_dest_xml:
 * @guest: a running guest
 * @dest: the test bed it is to migrate to
 *
 * The domain XML for a migration of @guest to @dest: its migratable XML
 * with the files and sockets of its test bed's root (control and agent
 * sockets, console) moved to @dest's root, where the destination's QEMU
 * creates its own while the source's still has them.
 *
 * Returns: (transfer full): the XML, or %NULL with @error set
 */
char *
vmem_test_guest_dest_xml(VmemTestGuest *guest, VmemTestbed *dest, GError **error)
{
	g_autofree char *xml =
		virDomainGetXMLDesc(guest->dom, VIR_DOMAIN_XML_SECURE | VIR_DOMAIN_XML_MIGRATABLE);
	g_autofree char *from = g_strconcat(guest->tb->root, "/", NULL);
	g_autofree char *to = g_strconcat(dest->root, "/", NULL);
	g_auto(GStrv) parts = NULL;

	if (xml == NULL) {
		vmem_libvirt_set_error(error);
		return NULL;
	}
	parts = g_strsplit(xml, from, -1);
	return g_strjoinv(to, parts);
}

/**
 * vmem_test_guest_follow:
 * @guest: a guest that was migrated with vmem_test_guest_dest_xml()'s XML
 * @dest: the test bed it was migrated to
 *
 * The same guest on @dest: its domain there, its QEMU followed by PID and
 * its control port (at its new path) connected, without waiting for a
 * boot.  @guest stays with its test bed, its QEMU gone.
 *
 * Returns: (transfer none): the guest on @dest, owned by @dest
 */
VmemTestGuest *
vmem_test_guest_follow(VmemTestGuest *guest, VmemTestbed *dest, GError **error)
{
	g_autofree char *base = g_build_filename(dest->root, guest->name, NULL);
	VmemTestGuest *moved = g_new0(VmemTestGuest, 1);

	moved->tb = dest;
	moved->name = g_strdup(guest->name);
	moved->config = guest->config;
	moved->size_events = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	moved->ctl_socket = g_strconcat(base, ".ctl", NULL);
	moved->agent_socket = g_strconcat(base, ".agent", NULL);
	moved->console_log = g_strconcat(base, ".console.log", NULL);
	g_ptr_array_add(dest->guests, moved);
	/* the source's QEMU ended with the migration */
	vmem_test_guest_detach_control(guest);
	moved->dom = virDomainLookupByName(dest->conn, guest->name);
	if (moved->dom == NULL) {
		vmem_libvirt_set_error(error);
		g_prefix_error(error, "%s is not on the destination: ", guest->name);
		return NULL;
	}
	moved->backend = vmem_testbed_get_backend(dest, error);
	if (moved->backend == NULL)
		return NULL;
	g_object_ref(moved->backend);
	moved->size_handler = g_signal_connect(moved->backend, "size-changed",
					       G_CALLBACK(vmem_test_guest_on_size_change), moved);
	return vmem_test_guest_reattach(moved, error) ? moved : NULL;
}
