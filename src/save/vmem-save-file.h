/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The file of a save or dump: written under a temporary name in the same
 * directory as its final name, and renamed only when libvirt reported
 * success, so that a failed or interrupted job never leaves a file under
 * the name the user gave.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What a temporary name starts and ends with: ".NAME.virtmem-XXXXXX" */
#define VMEM_SAVE_FILE_TEMP_INFIX ".virtmem-"

char *vmem_save_file_temp_template(const char *file, GError **error);
gboolean vmem_save_file_is_temp_of(const char *file, const char *candidate);
char *vmem_save_file_create_temp(const char *file, GError **error);
gboolean vmem_save_file_commit(const char *temp, const char *file, GError **error);
void vmem_save_file_discard(const char *temp);
gboolean vmem_save_file_sizes(const char *file, guint64 *ret_apparent, guint64 *ret_allocated,
			      GError **error);

G_END_DECLS
