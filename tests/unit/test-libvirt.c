/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The libvirt boundary: errors become GErrors of our domain (with D-Bus
 * names), and libvirt's events are dispatched by the GLib main loop.  Runs
 * against libvirt's own in-process test driver (test:///default).
 */
#include "config.h"

#include <gio/gio.h>

#include "vmem-error.h"
#include "vmem-libvirt.h"

static void
test_error_from_libvirt(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(virConnect) conn = NULL;
	virDomainPtr dom;
	g_autofree char *name = NULL;

	g_assert_true(vmem_libvirt_init(&error));
	conn = virConnectOpen("test:///default");
	g_assert_nonnull(conn);
	dom = virDomainLookupByName(conn, "no-such-domain");
	g_assert_null(dom);
	vmem_libvirt_set_error(&error);
	g_assert_error(error, VMEM_ERROR, VMEM_ERROR_NOT_FOUND);
	g_assert_true(g_str_has_prefix(error->message, "Domain not found"));

	name = g_dbus_error_encode_gerror(error);
	g_assert_cmpstr(name, ==, "org.virtmem.Error.NotFound");
}

static void
on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
	GArray *events = opaque;

	g_array_append_val(events, event);
}

static gboolean
on_timeout(gpointer user_data)
{
	*(gboolean *)user_data = TRUE;
	return G_SOURCE_REMOVE;
}

static void
test_events_in_glib_loop(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(virConnect) conn = NULL;
	g_autoptr(virDomain) dom = NULL;
	g_autoptr(GArray) events = g_array_new(FALSE, FALSE, sizeof(int));
	gboolean timed_out = FALSE;
	int id;

	g_assert_true(vmem_libvirt_init(&error));
	conn = virConnectOpen("test:///default");
	g_assert_nonnull(conn);
	dom = virDomainLookupByName(conn, "test");
	g_assert_nonnull(dom);
	id = virConnectDomainEventRegisterAny(conn, dom, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
					      VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), events,
					      NULL);
	g_assert_cmpint(id, >=, 0);

	g_assert_cmpint(virDomainSuspend(dom), ==, 0);
	g_assert_cmpint(virDomainResume(dom), ==, 0);
	/* Nothing is delivered until the GLib loop runs. */
	g_assert_cmpuint(events->len, ==, 0);
	g_timeout_add_seconds(10, on_timeout, &timed_out);
	while (events->len < 2 && !timed_out)
		g_main_context_iteration(NULL, TRUE);
	g_assert_false(timed_out);
	g_assert_cmpint(g_array_index(events, int, 0), ==, VIR_DOMAIN_EVENT_SUSPENDED);
	g_assert_cmpint(g_array_index(events, int, 1), ==, VIR_DOMAIN_EVENT_RESUMED);

	g_assert_cmpint(virConnectDomainEventDeregisterAny(conn, id), ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/libvirt/error", test_error_from_libvirt);
	g_test_add_func("/libvirt/events", test_events_in_glib_loop);
	return g_test_run();
}
