/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-host.h"

#include <fcntl.h>
#include <glib/gi18n.h>
#include <unistd.h>

#include "vmem-error.h"

/**
 * vmem_host_parse_meminfo:
 * @text: the text of /proc/meminfo
 * @ret_available: (out): its MemAvailable, bytes
 */
gboolean
vmem_host_parse_meminfo(const char *text, guint64 *ret_available, GError **error)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

	for (guint i = 0; lines[i] != NULL; i++) {
		const char *value;
		char *end = NULL;
		guint64 kib;

		if (!g_str_has_prefix(lines[i], "MemAvailable:"))
			continue;
		value = lines[i] + strlen("MemAvailable:");
		while (*value == ' ')
			value++;
		if (!g_ascii_isdigit(*value))
			break;
		kib = g_ascii_strtoull(value, &end, 10);
		if (!g_str_equal(end, " kB") || kib > G_MAXUINT64 / 1024)
			break;
		*ret_available = kib * 1024;
		return TRUE;
	}
	g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA, "%s",
		    _("The host's meminfo has no valid “MemAvailable: N kB” line."));
	return FALSE;
}

/* Reads at most @max bytes of @path into a string, without waiting: the
 * daemon reads it every tick in its main loop, so a FIFO or a device that
 * has nothing to read ends the reading rather than the daemon. */
static char *
vmem_host_read_file(const char *path, gsize max, GError **error)
{
	g_autofree char *text = g_malloc(max + 1);
	gsize len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0) {
		/* TRANSLATORS: %1$s is a file name, %2$s the system's reason */
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_IO, _("Cannot read %1$s: %2$s."), path,
			    g_strerror(errno));
		return NULL;
	}
	while (len < max) {
		gssize n = read(fd, text + len, max - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	text[len] = '\0';
	return g_steal_pointer(&text);
}

/**
 * vmem_host_read_meminfo:
 * @path: /proc/meminfo or a file like it
 *
 * Reads at most %VMEM_HOST_MEMINFO_MAX bytes of @path.
 */
gboolean
vmem_host_read_meminfo(const char *path, guint64 *ret_available, GError **error)
{
	g_autofree char *text = vmem_host_read_file(path, VMEM_HOST_MEMINFO_MAX, error);

	return text != NULL && vmem_host_parse_meminfo(text, ret_available, error);
}

/**
 * vmem_host_read_psi:
 * @path: /proc/pressure/memory or a file like it
 * @ret_psi: (out): the host's memory pressure; not present when @path
 *   cannot be read (a kernel without PSI) or holds no valid lines
 *
 * Reads at most %VMEM_HOST_PSI_MAX bytes of @path.
 */
void
vmem_host_read_psi(const char *path, VmemPsi *ret_psi)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *text = vmem_host_read_file(path, VMEM_HOST_PSI_MAX, &error);

	if (text == NULL) {
		g_debug("%s", error->message);
		*ret_psi = (VmemPsi){0};
		return;
	}
	vmem_psi_parse(text, ret_psi);
}
