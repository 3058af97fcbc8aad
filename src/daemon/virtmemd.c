/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemd: keeps every managed domain at the memory it needs.  Owns
 * org.virtmem.Manager1 on the system bus (or the session bus), connects
 * to libvirt and runs until SIGTERM or SIGINT.
 */
#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <sys/resource.h>

#include "vmem-daemon.h"
#include "vmem-i18n.h"

#define VMEM_DBUS_NAME "org.virtmem.Manager1"

typedef struct {
	GMainLoop *loop;
	VmemDaemon *daemon;
	int status;
} VmemMain;

static void
vmem_main_on_bus(GDBusConnection *bus, const char *name, gpointer user_data)
{
	VmemMain *m = user_data;
	g_autoptr(GError) error = NULL;

	if (!vmem_daemon_start(m->daemon, bus, &error)) {
		g_printerr("virtmemd: %s\n", error->message);
		m->status = 1;
		g_main_loop_quit(m->loop);
	}
}

static void
vmem_main_on_name(GDBusConnection *bus, const char *name, gpointer user_data)
{
	/* TRANSLATORS: %s is a D-Bus name */
	g_message(_("virtmemd owns %s."), name);
}

static void
vmem_main_on_name_lost(GDBusConnection *bus, const char *name, gpointer user_data)
{
	VmemMain *m = user_data;

	if (m->status != 0)
		return;
	if (bus == NULL)
		g_printerr("%s\n", _("virtmemd cannot connect to the D-Bus bus."));
	else if (g_dbus_connection_is_closed(bus))
		g_printerr("%s\n", _("virtmemd lost its D-Bus bus."));
	else
		/* TRANSLATORS: %s is a D-Bus name */
		g_printerr(_("virtmemd cannot own %s: is another virtmemd running, or does the bus "
			     "policy not allow it?\n"),
			   name);
	m->status = 1;
	g_main_loop_quit(m->loop);
}

/* Each managed domain's agent channel holds a libvirt connection of its
 * own (vmem-agent-channel.c): raise the soft limit on open files to the
 * hard one, as systemd services start with 1024.  GLib polls with poll(),
 * not select(), so descriptors above 1024 are fine. */
static void
vmem_main_raise_nofile(void)
{
	struct rlimit limit;

	if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
		limit.rlim_cur = limit.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &limit) < 0)
			g_debug("Cannot raise the limit on open files: %s", g_strerror(errno));
	}
}

static gboolean
vmem_main_on_signal(gpointer user_data)
{
	VmemMain *m = user_data;

	g_message(_("virtmemd is stopping."));
	g_main_loop_quit(m->loop);
	return G_SOURCE_REMOVE;
}

int
main(int argc, char **argv)
{
	g_autofree char *uri = NULL;
	g_autofree char *config_path = NULL;
	double tick = 0;
	gboolean system_bus = FALSE, session_bus = FALSE, foreground = FALSE, debug = FALSE;
	GOptionEntry entries[] = {
		{"connect", 'c', 0, G_OPTION_ARG_STRING, &uri,
		 N_("The libvirt URI to manage (default: the configuration's, or libvirt's)"),
		 "URI"},
		{"system", 0, 0, G_OPTION_ARG_NONE, &system_bus,
		 N_("Own the name on the system bus (the default)"), NULL},
		{"session", 0, 0, G_OPTION_ARG_NONE, &session_bus,
		 N_("Own the name on the session bus"), NULL},
		{"tick", 't', 0, G_OPTION_ARG_DOUBLE, &tick, N_("Seconds between two decisions"),
		 N_("SECONDS")},
		{"config", 0, 0, G_OPTION_ARG_FILENAME, &config_path,
		 N_("The configuration file (default: /etc/virtmem/virtmemd.conf)"), N_("FILE")},
		{"foreground", 'f', 0, G_OPTION_ARG_NONE, &foreground,
		 N_("Stay in the foreground (virtmemd never forks; for compatibility)"), NULL},
		{"debug", 'd', 0, G_OPTION_ARG_NONE, &debug, N_("Log debug messages"), NULL},
		{NULL},
	};
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	VmemDaemonConfig config;
	VmemMain m = {0};
	guint owner;

	setlocale(LC_ALL, "");
	vmem_i18n_init();
	vmem_main_raise_nofile();
	context = g_option_context_new(NULL);
	g_option_context_set_summary(context,
				     _("Keeps the virtio-mem memory of libvirt domains at what "
				       "their guests need, by their virtmem policy."));
	g_option_context_add_main_entries(context, entries, GETTEXT_PACKAGE);
	if (!g_option_context_parse(context, &argc, &argv, &error)) {
		g_printerr("virtmemd: %s\n", error->message);
		return 2;
	}
	vmem_daemon_config_init(&config);
	if (!vmem_daemon_config_load(&config, config_path ? config_path : VMEM_DAEMON_CONFIG_FILE,
				     config_path != NULL, &error)) {
		g_printerr("virtmemd: %s\n", error->message);
		vmem_daemon_config_clear(&config);
		return 2;
	}
	if (uri != NULL) {
		g_free(config.uri);
		config.uri = g_steal_pointer(&uri);
	}
	if (tick != 0) {
		/* written so that NaN, which GOption reads from "nan", is refused */
		if (!(tick >= 0.1 && tick <= 3600)) {
			g_printerr("virtmemd: %s\n",
				   _("The tick is a number of seconds from 0.1 to 3600."));
			vmem_daemon_config_clear(&config);
			return 2;
		}
		config.tick = tick;
	}
	if (session_bus && system_bus) {
		g_printerr("virtmemd: %s\n", _("Choose --system or --session, not both."));
		vmem_daemon_config_clear(&config);
		return 2;
	}
	if (session_bus)
		config.bus_type = G_BUS_TYPE_SESSION;
	if (debug || config.debug)
		g_log_set_debug_enabled(TRUE);

	m.loop = g_main_loop_new(NULL, FALSE);
	m.daemon = vmem_daemon_new(&config);
	vmem_daemon_config_clear(&config);
	g_unix_signal_add(SIGTERM, vmem_main_on_signal, &m);
	g_unix_signal_add(SIGINT, vmem_main_on_signal, &m);
	owner = g_bus_own_name(config.bus_type, VMEM_DBUS_NAME, G_BUS_NAME_OWNER_FLAGS_NONE,
			       vmem_main_on_bus, vmem_main_on_name, vmem_main_on_name_lost, &m,
			       NULL);
	g_main_loop_run(m.loop);
	g_bus_unown_name(owner);
	vmem_daemon_free(m.daemon);
	g_main_loop_unref(m.loop);
	return m.status;
}
