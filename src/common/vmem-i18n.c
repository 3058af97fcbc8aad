/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-i18n.h"

#include <glib/gi18n.h>
#include <locale.h>

/**
 * vmem_i18n_init:
 *
 * Sets the locale from the environment and binds virtmem's message catalog.
 * Every program of the project calls it first thing in main().
 */
void
vmem_i18n_init(void)
{
	setlocale(LC_ALL, "");
	bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);
}
