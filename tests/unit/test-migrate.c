/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * src/save/vmem-migrate: what is pure of a migration: the completed job's
 * statistics, the check of the devices that arrived, and the destination
 * XML given each device's live request.
 */
#include "config.h"

#include "vmem-backend.h"
#include "vmem-error.h"
#include "vmem-libvirt.h"
#include "vmem-migrate.h"

#define MIB (G_GUINT64_CONSTANT(1024) * 1024)

static GPtrArray *
devices_new(void)
{
	return g_ptr_array_new_with_free_func((GDestroyNotify)vmem_device_free);
}

static void
devices_add(GPtrArray *devices, const char *alias, guint64 requested, guint64 plugged)
{
	VmemDevice *dev = g_new0(VmemDevice, 1);

	dev->alias = g_strdup(alias);
	dev->size = 4096 * MIB;
	dev->block_size = 2 * MIB;
	dev->requested = requested;
	dev->plugged = plugged;
	g_ptr_array_add(devices, dev);
}

static void
test_stats(void)
{
	virTypedParameterPtr params = NULL;
	int n = 0, max = 0;
	VmemMigrateStats stats;

	/* nothing said: not valid */
	vmem_migrate_stats_read(&stats, NULL, 0);
	g_assert_false(stats.valid);

	virTypedParamsAddULLong(&params, &n, &max, VIR_DOMAIN_JOB_MEMORY_PROCESSED, 300 * MIB);
	virTypedParamsAddULLong(&params, &n, &max, VIR_DOMAIN_JOB_MEMORY_TOTAL, 4608 * MIB);
	virTypedParamsAddULLong(&params, &n, &max, VIR_DOMAIN_JOB_DOWNTIME, 466);
	vmem_migrate_stats_read(&stats, params, n);
	g_assert_true(stats.valid);
	/* without the data figure, the memory figure is what was transferred */
	g_assert_cmpuint(stats.data_processed, ==, 300 * MIB);
	g_assert_cmpuint(stats.memory_processed, ==, 300 * MIB);
	g_assert_cmpuint(stats.memory_total, ==, 4608 * MIB);
	g_assert_cmpuint(stats.downtime_ms, ==, 466);

	virTypedParamsAddULLong(&params, &n, &max, VIR_DOMAIN_JOB_DATA_PROCESSED, 310 * MIB);
	vmem_migrate_stats_read(&stats, params, n);
	g_assert_cmpuint(stats.data_processed, ==, 310 * MIB);
	g_assert_cmpuint(stats.memory_processed, ==, 300 * MIB);
	virTypedParamsFree(params, n);
}

/* A migration's progress: what remains, not all of guest memory */
static void
test_progress(void)
{
	virTypedParameterPtr params = NULL;
	int n = 0, max = 0;
	VmemSaveProgress p = {0};

	virTypedParamsAddULLong(&params, &n, &max, VIR_DOMAIN_JOB_DATA_PROCESSED, 100 * MIB);
	virTypedParamsAddULLong(&params, &n, &max, VIR_DOMAIN_JOB_DATA_REMAINING, 300 * MIB);
	virTypedParamsAddULLong(&params, &n, &max, VIR_DOMAIN_JOB_DATA_TOTAL, 4608 * MIB);
	vmem_save_progress_update(&p, params, n, G_USEC_PER_SEC);
	g_assert_cmpuint(p.processed, ==, 100 * MIB);
	g_assert_cmpuint(p.total, ==, 400 * MIB);
	virTypedParamsFree(params, n);
	params = NULL;
	n = max = 0;
	/* the memory figures go together */
	virTypedParamsAddULLong(&params, &n, &max, VIR_DOMAIN_JOB_MEMORY_PROCESSED, 350 * MIB);
	virTypedParamsAddULLong(&params, &n, &max, VIR_DOMAIN_JOB_MEMORY_REMAINING, 10 * MIB);
	virTypedParamsAddULLong(&params, &n, &max, VIR_DOMAIN_JOB_DATA_REMAINING, 999 * MIB);
	vmem_save_progress_update(&p, params, n, 2 * G_USEC_PER_SEC);
	g_assert_cmpuint(p.processed, ==, 350 * MIB);
	g_assert_cmpuint(p.total, ==, 360 * MIB);
	virTypedParamsFree(params, n);
}

static void
test_arrived(void)
{
	g_autoptr(GPtrArray) before = devices_new();
	g_autoptr(GPtrArray) after = devices_new();
	g_autoptr(GPtrArray) devices = NULL;
	g_autoptr(GError) error = NULL;
	const VmemMigrateDevice *d;

	devices_add(before, "ua-vmem0", 1024 * MIB, 1024 * MIB);
	devices_add(before, "ua-vmem1", 512 * MIB, 510 * MIB);
	devices = vmem_migrate_devices_new(before);
	g_assert_cmpuint(devices->len, ==, 2);

	/* in another order, as they were */
	devices_add(after, "ua-vmem1", 512 * MIB, 510 * MIB);
	devices_add(after, "ua-vmem0", 1024 * MIB, 1024 * MIB);
	g_assert_true(vmem_migrate_devices_arrived(devices, after, &error));
	g_assert_no_error(error);
	d = g_ptr_array_index(devices, 1);
	g_assert_true(d->found_after);
	g_assert_cmpuint(d->plugged_after, ==, 510 * MIB);

	/* plugged less on arrival */
	((VmemDevice *)g_ptr_array_index(after, 1))->plugged = 0;
	g_assert_false(vmem_migrate_devices_arrived(devices, after, &error));
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_VMM);
	g_assert_nonnull(strstr(error->message, "ua-vmem0"));
	g_clear_error(&error);

	/* one missing */
	g_ptr_array_remove_index(after, 0);
	((VmemDevice *)g_ptr_array_index(after, 0))->plugged = 1024 * MIB;
	g_assert_false(vmem_migrate_devices_arrived(devices, after, &error));
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(error->message, "ua-vmem1"));
	g_assert_false(((VmemMigrateDevice *)g_ptr_array_index(devices, 1))->found_after);
}

static const char dest_xml[] =
	"<domain type='qemu'>\n"
	"  <name>vm</name>\n"
	"  <devices>\n"
	"    <memory model='dimm'><target><size unit='KiB'>524288</size></target></memory>\n"
	"    <memory model='virtio-mem'>\n"
	"      <target>\n"
	"        <size unit='KiB'>4194304</size>\n"
	"        <node>0</node>\n"
	"        <block unit='KiB'>2048</block>\n"
	"        <requested unit='GiB'>1</requested>\n"
	"      </target>\n"
	"      <alias name='ua-vmem0'/>\n"
	"    </memory>\n"
	"    <memory model='virtio-mem'>\n"
	"      <target>\n"
	"        <size unit='KiB'>4194304</size>\n"
	"        <node>1</node>\n"
	"        <block unit='KiB'>2048</block>\n"
	"      </target>\n"
	"      <alias name='ua-vmem1'/>\n"
	"    </memory>\n"
	"  </devices>\n"
	"</domain>\n";

static void
test_dest_xml(void)
{
	g_autoptr(GPtrArray) before = devices_new();
	g_autoptr(GPtrArray) devices = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *xml = NULL;
	g_autofree char *missing = NULL;

	devices_add(before, "ua-vmem0", 256 * MIB, 256 * MIB);
	devices_add(before, "ua-vmem1", 128 * MIB, 128 * MIB);
	devices = vmem_migrate_devices_new(before);
	xml = vmem_migrate_dest_xml(dest_xml, devices, &error);
	g_assert_no_error(error);
	/* each device's live request, in KiB; the rest as it was */
	g_assert_nonnull(strstr(xml, "<requested unit=\"KiB\">262144</requested>"));
	g_assert_nonnull(strstr(xml, "<requested unit=\"KiB\">131072</requested>"));
	g_assert_null(strstr(xml, "GiB"));
	g_assert_nonnull(strstr(xml, "<memory model=\"dimm\">"));
	g_assert_nonnull(strstr(xml, "<alias name=\"ua-vmem1\"/>"));

	/* a device the XML lacks */
	devices_add(before, "ua-vmem2", 0, 0);
	g_clear_pointer(&devices, g_ptr_array_unref);
	devices = vmem_migrate_devices_new(before);
	missing = vmem_migrate_dest_xml(dest_xml, devices, &error);
	g_assert_null(missing);
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "ua-vmem2"));
	g_clear_error(&error);

	/* not a domain */
	g_assert_null(vmem_migrate_dest_xml("<domain><oops></domain>", devices, &error));
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
	g_clear_error(&error);
	g_assert_null(vmem_migrate_dest_xml("<network/>", devices, &error));
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	/* libvirt's typed parameters keep their errors in its thread state */
	g_assert_true(vmem_libvirt_init(NULL));
	g_test_add_func("/migrate/stats", test_stats);
	g_test_add_func("/migrate/progress", test_progress);
	g_test_add_func("/migrate/arrived", test_arrived);
	g_test_add_func("/migrate/dest-xml", test_dest_xml);
	return g_test_run();
}
