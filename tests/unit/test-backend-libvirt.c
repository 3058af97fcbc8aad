/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The libvirt backend and the resize plan on top of it, against libvirt's
 * in-process test driver (test:///default), which keeps a domain with two
 * virtio-mem devices on NUMA nodes of 512 MiB and 1536 MiB.  (The test
 * driver cannot update memory devices: resizes are tested on real guests
 * in the vm suite.)  The policy is written to the domain's metadata.
 */
#include "config.h"

#include "vmem-backend-libvirt.h"
#include "vmem-backend.h"
#include "vmem-error.h"
#include "vmem-libvirt.h"
#include "vmem-resize.h"

#define MIB (G_GUINT64_CONSTANT(1024) * 1024)

static virConnectPtr conn;

static void
test_devices(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemBackend) backend = vmem_backend_open("test:///default", &error);
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GPtrArray) devices = NULL;
	g_autoptr(VmemPolicyDef) policy = NULL;
	g_autoptr(VmemPolicyDef) no_policy = NULL;
	VmemRunState state;
	const VmemDevice *dev;

	g_assert_no_error(error);
	g_assert_cmpstr(vmem_backend_get_name(backend), ==, "libvirt");
	g_assert_true(vmem_backend_has_config(backend));
	g_assert_true(vmem_backend_list_domains(backend, &names, &error));
	g_assert_cmpuint(names->len, ==, 2);
	g_assert_cmpstr(g_ptr_array_index(names, 0), ==, "numa");
	g_assert_cmpstr(g_ptr_array_index(names, 1), ==, "test");

	g_assert_true(vmem_backend_get_devices(backend, "numa", &devices, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(devices->len, ==, 2);
	dev = g_ptr_array_index(devices, 1);
	g_assert_cmpstr(dev->alias, ==, "ua-vmem1");
	g_assert_cmpuint(dev->node, ==, 1);
	g_assert_cmpuint(dev->node_memory, ==, 1536 * MIB);
	g_assert_cmpuint(dev->block_size, ==, 2 * MIB);
	g_assert_cmpuint(dev->size, ==, 2048 * MIB);
	g_assert_cmpuint(dev->requested, ==, 0);

	g_assert_true(vmem_backend_get_run_state(backend, "numa", &state, &error));
	g_assert_cmpint(state, ==, VMEM_RUN_STATE_RUNNING);
	g_assert_true(vmem_backend_get_policy(backend, "numa", &policy, &error));
	g_assert_nonnull(policy);
	g_assert_cmpint(policy->mode, ==, VMEM_POLICY_MODE_AUTO);
	g_assert_true(vmem_backend_get_policy(backend, "test", &no_policy, &error));
	g_assert_null(no_policy);

	/* A domain without virtio-mem cannot be resized: a plain error. */
	g_assert_null(vmem_resize_new(backend, "test", &error));
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(error->message, "no virtio-mem device"));
	g_clear_error(&error);

	g_assert_false(vmem_backend_get_devices(backend, "no-such-domain", &devices, &error));
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(error->message, "no-such-domain"));
}

/* The total is split in proportion to the nodes' memory, 1:3. */
static void
test_plan_numa_balanced(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemBackend) backend = vmem_backend_open("test:///default", &error);
	g_autoptr(VmemResize) resize = vmem_resize_new(backend, "numa", &error);
	g_autoptr(VmemResize) one = vmem_resize_new(backend, "numa", &error);
	const guint64 *targets;

	g_assert_no_error(error);
	g_assert_true(vmem_resize_plan_total(resize, 1024 * MIB, &error));
	g_assert_no_error(error);
	targets = vmem_resize_get_targets(resize);
	g_assert_cmpuint(targets[0], ==, 256 * MIB);
	g_assert_cmpuint(targets[1], ==, 768 * MIB);

	/* A node full, the other takes the rest. */
	g_assert_true(vmem_resize_plan_total(resize, 3072 * MIB, &error));
	targets = vmem_resize_get_targets(resize);
	g_assert_cmpuint(targets[0], ==, 1024 * MIB);
	g_assert_cmpuint(targets[1], ==, 2048 * MIB);

	g_assert_false(vmem_resize_plan_total(resize, 5000 * MIB, &error));
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);

	/* not a whole number of blocks: refused, like virsh, never rounded */
	g_assert_false(vmem_resize_plan_device(one, NULL, 1, 100 * MIB + 1, &error));
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	g_assert_true(vmem_resize_plan_device(one, NULL, 1, 100 * MIB, &error));
	targets = vmem_resize_get_targets(one);
	g_assert_cmpuint(targets[0], ==, 0);
	g_assert_cmpuint(targets[1], ==, 100 * MIB);
}

/* The policy goes into libvirt's metadata as the documented
 * <virtmem:policy>: libvirt gives the element and its children the
 * namespace and the prefix, replaces the one there, and the backend reads
 * it back; what the policy leaves out is not written. */
static void
test_set_policy(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemBackend) backend = vmem_backend_open("test:///default", &error);
	g_autoptr(virDomain) dom = vmem_backend_libvirt_lookup(backend, "numa", &error);
	g_autoptr(VmemPolicyDef) read = NULL;
	const VmemPolicyDef policy = {
		.has_mode = TRUE,
		.mode = VMEM_POLICY_MODE_OFF,
		.has_max = TRUE,
		.max_kib = 1024 * 1024,
		.has_cooldown_shrink = TRUE,
		.cooldown_shrink_s = 60,
	};
	const VmemPolicyDef auto_only = {.has_mode = TRUE, .mode = VMEM_POLICY_MODE_AUTO};
	const unsigned int flags[] = {0, VIR_DOMAIN_XML_INACTIVE};

	g_assert_no_error(error);
	g_assert_true(vmem_backend_libvirt_set_policy(
		dom, &policy, VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG, &error));
	g_assert_no_error(error);
	for (guint i = 0; i < G_N_ELEMENTS(flags); i++) {
		g_autofree char *xml = virDomainGetXMLDesc(dom, flags[i]);
		const char *first;

		g_assert_nonnull(xml);
		first = strstr(xml, "<virtmem:policy xmlns:virtmem=\"http://virtmem.org/xmlns/"
				    "policy/1\" mode=\"off\">");
		g_assert_nonnull(first);
		g_assert_null(strstr(first + 1, "<virtmem:policy"));
		g_assert_nonnull(strstr(xml, "<virtmem:max unit=\"KiB\">1048576</virtmem:max>"));
		g_assert_nonnull(strstr(xml, "<virtmem:cooldown shrink=\"60\"/>"));
		g_assert_null(strstr(xml, "virtmem:min"));
	}
	g_assert_true(vmem_backend_get_policy(backend, "numa", &read, &error));
	g_assert_cmpint(read->mode, ==, VMEM_POLICY_MODE_OFF);
	g_assert_cmpuint(read->max_kib, ==, 1024 * 1024);
	g_assert_cmpuint(read->cooldown_shrink_s, ==, 60);
	g_assert_cmpuint(read->cooldown_grow_s, ==, VMEM_POLICY_DEFAULT_COOLDOWN_GROW);
	/* as it was */
	g_assert_true(vmem_backend_libvirt_set_policy(
		dom, &auto_only, VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG, &error));
	g_assert_no_error(error);
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *xml = NULL;
	g_autofree char *path = NULL;
	virDomainPtr dom;

	g_test_init(&argc, &argv, NULL);
	g_assert_true(vmem_libvirt_init(&error));
	/* test:///default is one state per process: what we define here, the
	 * backend's own connection sees. */
	conn = virConnectOpen("test:///default");
	g_assert_nonnull(conn);
	path = g_test_build_filename(G_TEST_DIST, "unit", "backend-libvirt-numa.xml", NULL);
	g_assert_true(g_file_get_contents(path, &xml, NULL, &error));
	dom = virDomainDefineXML(conn, xml);
	g_assert_nonnull(dom);
	g_assert_cmpint(virDomainCreate(dom), ==, 0);
	virDomainFree(dom);

	g_test_add_func("/backend-libvirt/devices", test_devices);
	g_test_add_func("/backend-libvirt/plan-numa-balanced", test_plan_numa_balanced);
	g_test_add_func("/backend-libvirt/set-policy", test_set_policy);
	return g_test_run();
}
