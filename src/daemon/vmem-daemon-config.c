/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtmemd.conf: one [virtmemd] group.  Unknown keys are refused, so a
 * typo does not silently leave a default in place.
 */
#include "config.h"

#include "vmem-daemon-config.h"

#include <glib/gi18n.h>

#include "vmem-error.h"
#include "vmem-excerpt.h"
#include "vmem-size.h"

#define VMEM_DAEMON_GROUP "virtmemd"
/* The tick's bounds: faster is no use (the guest reports every second at
 * most), slower no longer "dynamic". */
#define VMEM_DAEMON_TICK_MIN 0.1
#define VMEM_DAEMON_TICK_MAX 3600.0
/* The longest virtmemd.conf read: the shipped one, comments and all, is
 * under 1 KiB. */
#define VMEM_DAEMON_CONFIG_MAX (64 * 1024)
/* The most of GLib's reason an error quotes: it quotes the faulty line. */
#define VMEM_DAEMON_CONFIG_REASON_MAX 256

void
vmem_daemon_config_init(VmemDaemonConfig *config)
{
	*config = (VmemDaemonConfig){
		.bus_type = G_BUS_TYPE_SYSTEM,
		.tick = 1.0,
		.meminfo = g_strdup("/proc/meminfo"),
		.pressure = g_strdup("/proc/pressure/memory"),
		.admin_group = g_strdup("libvirt"),
		.resize_timeout = 60,
	};
}

/**
 * vmem_daemon_config_copy:
 * @ret_copy: (out caller-allocates): @config with strings of its own;
 *   cleared with vmem_daemon_config_clear()
 */
void
vmem_daemon_config_copy(const VmemDaemonConfig *config, VmemDaemonConfig *ret_copy)
{
	*ret_copy = *config;
	ret_copy->uri = g_strdup(config->uri);
	ret_copy->meminfo = g_strdup(config->meminfo);
	ret_copy->pressure = g_strdup(config->pressure);
	ret_copy->admin_group = g_strdup(config->admin_group);
}

void
vmem_daemon_config_clear(VmemDaemonConfig *config)
{
	g_clear_pointer(&config->uri, g_free);
	g_clear_pointer(&config->meminfo, g_free);
	g_clear_pointer(&config->pressure, g_free);
	g_clear_pointer(&config->admin_group, g_free);
}

/* @key and @why come from the file (GLib's reasons quote it): each is
 * quoted short, printable and valid UTF-8. */
static gboolean
vmem_daemon_config_bad(GError **error, const char *origin, const char *key, const char *why)
{
	g_autofree char *key_shown = vmem_excerpt(key);
	g_autofree char *why_shown = vmem_text_excerpt(why, -1, VMEM_DAEMON_CONFIG_REASON_MAX);

	/* TRANSLATORS: %1$s is a file name, %2$s a key in it, %3$s what is wrong */
	g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA, _("%1$s: key “%2$s”: %3$s"), origin,
		    key_shown, why_shown);
	return FALSE;
}

/* Whether @raw, a value as written, ends with a lone backslash (an escape
 * of nothing): GLib 2.74's unescaping reads on past the end of such a
 * value and sets its error twice. */
static gboolean
vmem_daemon_config_ends_in_escape(const char *raw)
{
	gsize len = strlen(raw), n = 0;

	while (n < len && raw[len - 1 - n] == '\\')
		n++;
	return n % 2 == 1;
}

static gboolean
vmem_daemon_config_apply(VmemDaemonConfig *config, GKeyFile *file, const char *origin,
			 GError **error)
{
	g_auto(GStrv) keys = NULL;
	g_auto(GStrv) groups = g_key_file_get_groups(file, NULL);

	for (guint i = 0; groups[i] != NULL; i++) {
		if (!g_str_equal(groups[i], VMEM_DAEMON_GROUP)) {
			g_autofree char *group = vmem_excerpt(groups[i]);

			/* TRANSLATORS: %1$s is a file name, %2$s a [group] in it */
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    _("%1$s: unknown group “[%2$s]”; the settings are in "
				      "[virtmemd]."),
				    origin, group);
			return FALSE;
		}
	}
	if (!g_key_file_has_group(file, VMEM_DAEMON_GROUP))
		return TRUE;
	keys = g_key_file_get_keys(file, VMEM_DAEMON_GROUP, NULL, error);
	if (keys == NULL)
		return FALSE;
	for (guint i = 0; keys[i] != NULL; i++) {
		const char *key = keys[i];
		g_autoptr(GError) local = NULL;
		g_autofree char *raw = g_key_file_get_value(file, VMEM_DAEMON_GROUP, key, NULL);
		g_autofree char *value = NULL;

		if (raw != NULL && vmem_daemon_config_ends_in_escape(raw))
			return vmem_daemon_config_bad(
				error, origin, key,
				_("The value ends with a lone backslash, which escapes nothing."));
		value = g_key_file_get_string(file, VMEM_DAEMON_GROUP, key, &local);

		/* Not UTF-8, or a bad escape: refused, never read as empty (an
		 * empty uri means libvirt's default).  GLib may return a value
		 * with the error of one it could not interpret: refused too. */
		if (local != NULL)
			return vmem_daemon_config_bad(error, origin, key, local->message);
		if (g_str_equal(key, "uri")) {
			g_free(config->uri);
			config->uri = *value ? g_strdup(value) : NULL;
		} else if (g_str_equal(key, "tick")) {
			double tick = g_key_file_get_double(file, VMEM_DAEMON_GROUP, key, &local);

			/* written so that NaN, which GLib reads from "nan", is refused */
			if (local != NULL || !(tick >= VMEM_DAEMON_TICK_MIN) ||
			    !(tick <= VMEM_DAEMON_TICK_MAX))
				return vmem_daemon_config_bad(
					error, origin, key,
					_("The tick is a number of seconds from 0.1 to 3600."));
			config->tick = tick;
		} else if (g_str_equal(key, "reserve")) {
			if (!vmem_size_parse_arg(value, &config->reserve, &local))
				return vmem_daemon_config_bad(error, origin, key, local->message);
		} else if (g_str_equal(key, "meminfo")) {
			if (!g_path_is_absolute(value))
				return vmem_daemon_config_bad(error, origin, key,
							      _("The path must be absolute."));
			g_free(config->meminfo);
			config->meminfo = g_strdup(value);
		} else if (g_str_equal(key, "pressure")) {
			if (*value != '\0' && !g_path_is_absolute(value))
				return vmem_daemon_config_bad(
					error, origin, key,
					_("The path must be absolute, or empty not to read it."));
			g_free(config->pressure);
			config->pressure = *value ? g_strdup(value) : NULL;
		} else if (g_str_equal(key, "admin-group")) {
			g_free(config->admin_group);
			config->admin_group = *value ? g_strdup(value) : NULL;
		} else if (g_str_equal(key, "resize-timeout")) {
			guint64 seconds = 0;

			if (!g_ascii_string_to_unsigned(value, 10, 1, 3600, &seconds, NULL))
				return vmem_daemon_config_bad(
					error, origin, key,
					_("The timeout is a whole number of seconds from 1 to 3600."));
			config->resize_timeout = (guint)seconds;
		} else if (g_str_equal(key, "log-level")) {
			if (!g_str_equal(value, "info") && !g_str_equal(value, "debug"))
				return vmem_daemon_config_bad(error, origin, key,
							      _("The log level is info or debug."));
			config->debug = g_str_equal(value, "debug");
		} else {
			return vmem_daemon_config_bad(error, origin, key,
						      _("There is no such setting."));
		}
	}
	return TRUE;
}

/**
 * vmem_daemon_config_load_data:
 * @data: the text of a virtmemd.conf
 * @origin: where it comes from, for errors
 *
 * Applies the settings in @data to @config.
 */
gboolean
vmem_daemon_config_load_data(VmemDaemonConfig *config, const char *data, const char *origin,
			     GError **error)
{
	g_autoptr(GKeyFile) file = g_key_file_new();
	g_autoptr(GError) local = NULL;

	if (!g_key_file_load_from_data(file, data, -1, G_KEY_FILE_NONE, &local)) {
		g_autofree char *why =
			vmem_text_excerpt(local->message, -1, VMEM_DAEMON_CONFIG_REASON_MAX);

		/* TRANSLATORS: %1$s is a file name, %2$s GLib's reason */
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA, _("%1$s: %2$s"), origin,
			    why);
		return FALSE;
	}
	return vmem_daemon_config_apply(config, file, origin, error);
}

/**
 * vmem_daemon_config_load:
 * @path: a virtmemd.conf
 * @must_exist: whether a missing file is an error (it is not for the
 *   default path: the defaults then apply)
 *
 * Reads at most %VMEM_DAEMON_CONFIG_MAX bytes of @path: a larger file (or
 * one that never ends, such as /dev/zero) is refused.
 */
gboolean
vmem_daemon_config_load(VmemDaemonConfig *config, const char *path, gboolean must_exist,
			GError **error)
{
	g_autoptr(GFile) file = g_file_new_for_path(path);
	g_autoptr(GFileInputStream) stream = NULL;
	g_autoptr(GError) local = NULL;
	g_autofree char *data = g_malloc(VMEM_DAEMON_CONFIG_MAX + 2);
	g_autofree char *name = g_filename_display_name(path);
	gsize len = 0;

	stream = g_file_read(file, NULL, &local);
	if (stream == NULL) {
		if (!must_exist && g_error_matches(local, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
			return TRUE;
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_IO, "%s", local->message);
		return FALSE;
	}
	if (!g_input_stream_read_all(G_INPUT_STREAM(stream), data, VMEM_DAEMON_CONFIG_MAX + 1, &len,
				     NULL, &local)) {
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_IO, "%s", local->message);
		return FALSE;
	}
	if (len > VMEM_DAEMON_CONFIG_MAX) {
		g_autofree char *max = vmem_size_format(VMEM_DAEMON_CONFIG_MAX);

		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
			    /* TRANSLATORS: %1$s is a file name, %2$s a size such as "64 KiB" */
			    _("%1$s is larger than %2$s, the most virtmemd reads of its "
			      "configuration."),
			    name, max);
		return FALSE;
	}
	data[len] = '\0';
	return vmem_daemon_config_load_data(config, data, name, error);
}
