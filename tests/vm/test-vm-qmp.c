/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The qmp backend against a real QEMU started by the test (no libvirt):
 * grow and shrink a two-node guest through the NUMA-balanced plan and one
 * device by alias, watching `size` follow, MEMORY_DEVICE_SIZE_CHANGE
 * events arrive, the guest's MemTotal change and the job classification
 * move from plugging/unplugging to converged; a guest reboot re-plugs;
 * held data makes an unplug stuck, kicks follow, and it completes once
 * the data is freed; QEMU going away is reported.
 */
#include "config.h"

#include "vmem-backend.h"
#include "vmem-error.h"
#include "vmem-job.h"
#include "vmem-resize-plan.h"
#include "vmem-test-qemu.h"
#include "vmem-testbed.h"

#define MIB G_GUINT64_CONSTANT(1048576)
#define KIB_PER_MIB 1024
#define BLOCK (2 * MIB)
#define CONVERGE_TIMEOUT_S 120

typedef struct {
	GHashTable *last_size; /* alias -> guint64 *, the last size event */
	guint n_size_events;
	GArray *domain_events; /* VmemDomainEvent */
} Seen;

static void
on_size_changed(VmemBackend *backend, const char *domain, const char *alias, guint64 plugged,
		gpointer user_data)
{
	Seen *seen = user_data;

	g_hash_table_insert(seen->last_size, g_strdup(alias), g_memdup2(&plugged, sizeof(plugged)));
	seen->n_size_events++;
}

static void
on_domain_event(VmemBackend *backend, const char *domain, VmemDomainEvent event, gpointer user_data)
{
	Seen *seen = user_data;

	g_test_message("domain %s: %s", domain, vmem_domain_event_to_string(event));
	g_array_append_val(seen->domain_events, event);
}

static void
seen_init(Seen *seen)
{
	seen->last_size = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	seen->n_size_events = 0;
	seen->domain_events = g_array_new(FALSE, FALSE, sizeof(VmemDomainEvent));
}

static void
seen_clear(Seen *seen)
{
	g_hash_table_unref(seen->last_size);
	g_array_unref(seen->domain_events);
}

static gboolean
seen_event(Seen *seen, VmemDomainEvent event)
{
	for (guint i = 0; i < seen->domain_events->len; i++) {
		if (g_array_index(seen->domain_events, VmemDomainEvent, i) == event)
			return TRUE;
	}
	return FALSE;
}

static GPtrArray *
get_devices(VmemBackend *backend, const char *domain)
{
	g_autoptr(GError) error = NULL;
	GPtrArray *devices = NULL;

	g_assert_true(vmem_backend_get_devices(backend, domain, &devices, &error));
	g_assert_no_error(error);
	return devices;
}

/* Sets the requested sizes, then follows the job until every device has
 * plugged its request, spinning the main loop for events.  Returns the
 * job states seen on the way, as a bit mask. */
static guint
resize_and_follow(VmemBackend *backend, const char *domain, const guint64 *requested,
		  gboolean reset_first)
{
	g_autoptr(GPtrArray) devices = get_devices(backend, domain);
	g_autoptr(VmemJob) job = NULL;
	g_autofree VmemDevice *obs = g_new0(VmemDevice, devices->len);
	VmemJobTuning tuning;
	gint64 start = g_get_monotonic_time();
	guint states = 0;

	vmem_job_tuning_init(&tuning);
	job = vmem_job_new(&tuning, start, -1);
	if (reset_first)
		vmem_job_note_reset(job, start);
	for (guint i = 0; i < devices->len && requested != NULL; i++) {
		const VmemDevice *dev = devices->pdata[i];
		g_autoptr(GError) error = NULL;

		g_assert_true(vmem_backend_set_requested(backend, domain, dev->alias, requested[i],
							 &error));
		g_assert_no_error(error);
	}
	for (;;) {
		g_autoptr(GPtrArray) now = get_devices(backend, domain);
		g_autoptr(GError) error = NULL;
		VmemRunState run_state;
		VmemJobState state;

		g_assert_true(vmem_backend_get_run_state(backend, domain, &run_state, &error));
		g_assert_no_error(error);
		g_assert_cmpuint(now->len, ==, devices->len);
		for (guint i = 0; i < now->len; i++) {
			const VmemDevice *dev = now->pdata[i];

			obs[i].requested = dev->requested;
			obs[i].plugged = dev->plugged;
			if (requested != NULL)
				g_assert_cmpuint(dev->requested, ==, requested[i]);
		}
		vmem_job_observe(job, g_get_monotonic_time(), run_state, obs, now->len);
		state = vmem_job_get_state(job, g_get_monotonic_time());
		states |= 1u << state;
		if (state == VMEM_JOB_CONVERGED)
			break;
		g_assert_cmpint(g_get_monotonic_time() - start, <,
				CONVERGE_TIMEOUT_S * G_USEC_PER_SEC);
		g_assert_true(state == VMEM_JOB_PLUGGING || state == VMEM_JOB_UNPLUGGING ||
			      state == VMEM_JOB_REPLUGGING);
		vmem_test_spin(100);
	}
	g_test_message("converged in %.2f s",
		       (g_get_monotonic_time() - start) / (double)G_USEC_PER_SEC);
	return states;
}

/* QEMU sends at most one size event a second per device: the last one may
 * trail `size`. */
static void
wait_size_event(Seen *seen, const char *alias, guint64 size)
{
	for (guint i = 0; i < 100; i++) {
		const guint64 *last = g_hash_table_lookup(seen->last_size, alias);

		if (last != NULL && *last == size)
			return;
		vmem_test_spin(100);
	}
	g_assert_cmpuint(*(guint64 *)g_hash_table_lookup(seen->last_size, alias), ==, size);
}

static void
assert_mem_total(VmemTestQemu *qemu, guint64 base_kib, guint64 plugged)
{
	g_autoptr(GError) error = NULL;
	guint64 total = 0;

	g_assert_true(vmem_test_qemu_meminfo(qemu, "MemTotal", &total, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(total, >=, base_kib + plugged / 1024 - BLOCK / 1024);
	g_assert_cmpuint(total, <=, base_kib + plugged / 1024 + BLOCK / 1024);
}

static void
assert_error(VmemBackend *backend, const char *domain, const char *alias, guint64 requested,
	     int code)
{
	g_autoptr(GError) error = NULL;

	g_assert_false(vmem_backend_set_requested(backend, domain, alias, requested, &error));
	g_assert_error(error, VMEM_ERROR, code);
	g_test_message("refused: %s", error->message);
}

static void
test_grow_shrink(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemTestQemu) qemu = NULL;
	g_autoptr(VmemBackend) backend = NULL;
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GPtrArray) devices = NULL;
	g_autofree guint64 *requested = NULL;
	VmemTestGuestConfig config;
	VmemRunState run_state = VMEM_RUN_STATE_CRASHED;
	const VmemDevice *dev;
	guint64 base_kib = 0;
	guint index = 0;
	guint states;
	Seen seen;

	vmem_test_guest_config_init(&config);
	config.n_nodes = 2;
	config.device_mib = 2048;
	qemu = vmem_test_qemu_start("vmqmp", &config, &error);
	g_assert_no_error(error);

	backend = vmem_backend_open(vmem_test_qemu_get_qmp_uri(qemu), &error);
	g_assert_no_error(error);
	g_assert_cmpstr(vmem_backend_get_name(backend), ==, "qmp");
	seen_init(&seen);
	g_signal_connect(backend, "size-changed", G_CALLBACK(on_size_changed), &seen);
	g_signal_connect(backend, "domain-event", G_CALLBACK(on_domain_event), &seen);

	g_assert_true(vmem_backend_list_domains(backend, &names, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(names->len, ==, 1);
	g_assert_cmpstr(names->pdata[0], ==, "vmqmp");
	g_assert_true(vmem_backend_get_run_state(backend, "vmqmp", &run_state, &error));
	g_assert_cmpint(run_state, ==, VMEM_RUN_STATE_RUNNING);

	devices = get_devices(backend, "vmqmp");
	g_assert_cmpuint(devices->len, ==, 2);
	for (guint i = 0; i < 2; i++) {
		g_autofree char *alias = g_strdup_printf("vmem%u", i);
		g_autofree char *memdev = g_strdup_printf("/objects/mem%u", i);

		dev = devices->pdata[i];
		g_assert_cmpstr(dev->alias, ==, alias);
		g_assert_cmpuint(dev->node, ==, i);
		g_assert_cmpuint(dev->block_size, ==, BLOCK);
		g_assert_cmpuint(dev->size, ==, 2048 * MIB);
		g_assert_cmpuint(dev->requested, ==, 0);
		g_assert_cmpuint(dev->plugged, ==, 0);
		g_assert_cmpuint(dev->address, >=, 4096 * MIB);
		g_assert_cmpstr(dev->memdev, ==, memdev);
	}
	g_assert_true(vmem_test_qemu_meminfo(qemu, "MemTotal", &base_kib, &error));
	g_assert_no_error(error);

	/* grow: 1 GiB + 2 MiB, NUMA-balanced, the odd block to node 0 */
	g_assert_true(vmem_resize_plan_split(devices, NULL, 1026 * MIB, &requested, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(requested[0], ==, 514 * MIB);
	g_assert_cmpuint(requested[1], ==, 512 * MIB);
	states = resize_and_follow(backend, "vmqmp", requested, FALSE);
	g_assert_true(states & (1u << VMEM_JOB_PLUGGING));
	wait_size_event(&seen, "vmem0", 514 * MIB);
	wait_size_event(&seen, "vmem1", 512 * MIB);
	assert_mem_total(qemu, base_kib, 1026 * MIB);

	/* shrink one device, chosen by alias */
	g_assert_true(vmem_resize_plan_select(devices, "vmem1", -1, &index, &error));
	g_assert_cmpuint(index, ==, 1);
	/* not a whole number of blocks: refused (like virsh), never rounded */
	g_assert_false(
		vmem_resize_plan_one(devices->pdata[index], 129 * MIB, &requested[1], &error));
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	g_assert_true(
		vmem_resize_plan_one(devices->pdata[index], 128 * MIB, &requested[1], &error));
	g_assert_cmpuint(requested[1], ==, 128 * MIB);
	states = resize_and_follow(backend, "vmqmp", requested, FALSE);
	g_assert_true(states & (1u << VMEM_JOB_UNPLUGGING));
	wait_size_event(&seen, "vmem1", 128 * MIB);
	assert_mem_total(qemu, base_kib, 642 * MIB);

	/* shrink everything */
	g_clear_pointer(&requested, g_free);
	g_assert_true(vmem_resize_plan_split(devices, NULL, 0, &requested, &error));
	resize_and_follow(backend, "vmqmp", requested, FALSE);
	wait_size_event(&seen, "vmem0", 0);
	wait_size_event(&seen, "vmem1", 0);
	assert_mem_total(qemu, base_kib, 0);
	g_assert_cmpuint(seen.n_size_events, >=, 6);

	/* what QEMU or the backend refuses, with the right error */
	assert_error(backend, "vmqmp", "nope", 0, VMEM_ERROR_NOT_FOUND);
	assert_error(backend, "vmqmp", "vmem0", 3 * MIB, VMEM_ERROR_INVALID_ARGUMENT);
	assert_error(backend, "vmqmp", "vmem0", 4096 * MIB, VMEM_ERROR_INVALID_ARGUMENT);
	assert_error(backend, "other", "vmem0", 0, VMEM_ERROR_NOT_FOUND);

	/* QEMU goes away: subscribers hear it, calls fail clearly */
	vmem_test_qemu_kill(qemu);
	for (guint i = 0; i < 100 && !seen_event(&seen, VMEM_DOMAIN_EVENT_GONE); i++)
		vmem_test_spin(100);
	g_assert_true(seen_event(&seen, VMEM_DOMAIN_EVENT_SHUTDOWN));
	g_assert_true(seen_event(&seen, VMEM_DOMAIN_EVENT_GONE));
	g_clear_pointer(&devices, g_ptr_array_unref);
	g_assert_false(vmem_backend_get_devices(backend, "vmqmp", &devices, &error));
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(error->message, "qmp.sock"));
	g_assert_null(devices);
	g_test_message("after QEMU is gone: %s", error->message);

	g_clear_object(&backend);
	g_clear_pointer(&qemu, vmem_test_qemu_free);
	g_assert_true(vmem_testbed_all_processes_gone());
	seen_clear(&seen);
}

/* A reboot unplugs everything; QEMU keeps requested-size and the guest
 * plugs it again: RESET arrives, the job says "replugging after reboot",
 * then converged. */
static void
test_reboot_replug(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemTestQemu) qemu = NULL;
	g_autoptr(VmemBackend) backend = NULL;
	g_autoptr(GPtrArray) devices = NULL;
	VmemTestGuestConfig config;
	guint64 requested = 512 * MIB;
	guint64 base_kib = 0;
	guint states;
	int status = -1;
	Seen seen;

	vmem_test_guest_config_init(&config);
	config.reboot_restarts = TRUE;
	qemu = vmem_test_qemu_start("vmreboot", &config, &error);
	g_assert_no_error(error);
	backend = vmem_backend_open(vmem_test_qemu_get_qmp_uri(qemu), &error);
	g_assert_no_error(error);
	seen_init(&seen);
	g_signal_connect(backend, "size-changed", G_CALLBACK(on_size_changed), &seen);
	g_signal_connect(backend, "domain-event", G_CALLBACK(on_domain_event), &seen);
	g_assert_true(vmem_test_qemu_meminfo(qemu, "MemTotal", &base_kib, &error));
	resize_and_follow(backend, "vmreboot", &requested, FALSE);
	assert_mem_total(qemu, base_kib, requested);

	g_assert_true(vmem_test_qemu_run(qemu, "(sleep 1; reboot -f) >/dev/null 2>&1 &", NULL,
					 &status, &error));
	g_assert_no_error(error);
	g_assert_cmpint(status, ==, 0);
	for (guint i = 0; i < 300 && !seen_event(&seen, VMEM_DOMAIN_EVENT_RESET); i++)
		vmem_test_spin(100);
	g_assert_true(seen_event(&seen, VMEM_DOMAIN_EVENT_RESET));

	/* right after the reset nothing is plugged, and the request stands */
	devices = get_devices(backend, "vmreboot");
	g_assert_cmpuint(((VmemDevice *)devices->pdata[0])->requested, ==, requested);
	g_test_message("plugged right after the reset: %" G_GUINT64_FORMAT " MiB",
		       ((VmemDevice *)devices->pdata[0])->plugged / MIB);
	g_assert_cmpuint(((VmemDevice *)devices->pdata[0])->plugged, <, requested);
	states = resize_and_follow(backend, "vmreboot", NULL, TRUE);
	g_assert_true(states & (1u << VMEM_JOB_REPLUGGING));
	g_assert_true(vmem_test_qemu_wait_ready(qemu, &error));
	g_assert_no_error(error);
	assert_mem_total(qemu, base_kib, requested);

	g_clear_object(&backend);
	g_clear_pointer(&qemu, vmem_test_qemu_free);
	g_assert_true(vmem_testbed_all_processes_gone());
	seen_clear(&seen);
}

/* Observes one device into @job until its state is @until, kicking it
 * (the same requested size set again) whenever the tuning says so. */
static guint
follow_until(VmemBackend *backend, const char *domain, VmemJob *job, VmemJobState until,
	     guint timeout_s)
{
	gint64 end = g_get_monotonic_time() + (gint64)timeout_s * G_USEC_PER_SEC;
	guint n_kicks = 0;

	for (;;) {
		g_autoptr(GPtrArray) devices = get_devices(backend, domain);
		g_autoptr(GError) error = NULL;
		const VmemDevice *dev = devices->pdata[0];
		VmemDevice obs = {.requested = dev->requested, .plugged = dev->plugged};
		VmemRunState run_state;
		gint64 now;

		g_assert_true(vmem_backend_get_run_state(backend, domain, &run_state, &error));
		g_assert_no_error(error);
		now = g_get_monotonic_time();
		vmem_job_observe(job, now, run_state, &obs, 1);
		if (vmem_job_get_state(job, now) == until)
			return n_kicks;
		g_assert_cmpint(vmem_job_get_state(job, now), !=, VMEM_JOB_CONVERGED);
		if (vmem_job_kick_due(job, now)) {
			g_assert_true(vmem_backend_set_requested(backend, domain, dev->alias,
								 dev->requested, &error));
			g_assert_no_error(error);
			vmem_job_kicked(job, now);
			n_kicks++;
			g_test_message("kick %u at plugged %" G_GUINT64_FORMAT " MiB", n_kicks,
				       dev->plugged / MIB);
		}
		g_assert_cmpint(now, <, end);
		vmem_test_spin(200);
	}
}

/* Data the guest holds stands in the way of a shrink: the job turns from
 * unplugging to stuck unplug while the guest runs.  Without a guest report
 * (a plain QEMU has no agent channel here) the guest is never told again:
 * a kick made a guest holding data run out of memory and panic.  Once the
 * data is freed, asking again converges at once. */
static void
test_stuck_unplug_no_kick(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(VmemTestQemu) qemu = NULL;
	g_autoptr(VmemBackend) backend = NULL;
	g_autoptr(GPtrArray) devices = NULL;
	g_autoptr(VmemJob) job = NULL;
	g_autofree char *output = NULL;
	VmemTestGuestConfig config;
	VmemJobTuning tuning;
	guint64 grown = 1024 * MIB;
	guint64 target = 256 * MIB;
	const VmemDevice *dev;
	guint n_kicks;
	int status = -1;
	gint64 start;

	vmem_test_guest_config_init(&config);
	qemu = vmem_test_qemu_start("vmstuck", &config, &error);
	g_assert_no_error(error);
	backend = vmem_backend_open(vmem_test_qemu_get_qmp_uri(qemu), &error);
	g_assert_no_error(error);
	resize_and_follow(backend, "vmstuck", &grown, FALSE);
	g_assert_true(vmem_test_qemu_run(qemu,
					 "dd if=/dev/zero of=/hold/data bs=1M count=700 "
					 "2>&1 && sync",
					 NULL, &status, &error));
	g_assert_no_error(error);
	g_assert_cmpint(status, ==, 0);

	vmem_job_tuning_init(&tuning);
	tuning.stuck_after_us = 5 * G_USEC_PER_SEC;
	tuning.kick_after_us = G_USEC_PER_SEC;
	tuning.kick_max_us = 4 * G_USEC_PER_SEC;
	job = vmem_job_new(&tuning, g_get_monotonic_time(), -1);
	g_assert_true(vmem_backend_set_requested(backend, "vmstuck", "vmem0", target, &error));
	g_assert_no_error(error);
	n_kicks = follow_until(backend, "vmstuck", job, VMEM_JOB_STUCK_UNPLUG, 180);
	g_assert_cmpuint(n_kicks, ==, 0);
	g_assert_cmpint(vmem_job_get_stuck_reason(job, g_get_monotonic_time()), ==,
			VMEM_JOB_STUCK_UNKNOWN);
	devices = get_devices(backend, "vmstuck");
	dev = devices->pdata[0];
	g_test_message("stuck at %" G_GUINT64_FORMAT " MiB of %" G_GUINT64_FORMAT
		       " MiB requested after %u kicks",
		       dev->plugged / MIB, dev->requested / MIB, n_kicks);
	g_assert_cmpuint(dev->plugged, >, target);
	g_assert_true(vmem_test_qemu_run(qemu, "echo alive", &output, &status, &error));
	g_assert_cmpstr(output, ==, "alive\n");

	g_assert_true(vmem_test_qemu_run(qemu, "rm -f /hold/data", NULL, &status, &error));
	g_assert_cmpint(status, ==, 0);
	start = g_get_monotonic_time();
	g_assert_true(vmem_backend_set_requested(backend, "vmstuck", "vmem0", target, &error));
	g_assert_no_error(error);
	follow_until(backend, "vmstuck", job, VMEM_JOB_CONVERGED, 60);
	g_test_message("freed and asked again: converged in %.2f s",
		       (g_get_monotonic_time() - start) / (double)G_USEC_PER_SEC);

	g_clear_object(&backend);
	g_clear_pointer(&qemu, vmem_test_qemu_free);
	g_assert_true(vmem_testbed_all_processes_gone());
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/vm/qmp/grow-shrink", test_grow_shrink);
	g_test_add_func("/vm/qmp/reboot-replug", test_reboot_replug);
	g_test_add_func("/vm/qmp/stuck-unplug-no-kick", test_stuck_unplug_no_kick);
	return g_test_run();
}
