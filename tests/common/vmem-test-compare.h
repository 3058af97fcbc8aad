/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Data-driven tests: output compared with an expected file, which
 * VIRTMEM_TEST_REGENERATE=1 rewrites instead, and fixtures found by
 * listing their folder.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The one switch that rewrites expected files */
#define VMEM_TEST_REGENERATE_ENV "VIRTMEM_TEST_REGENERATE"

typedef enum {
	VMEM_TEST_COMPARE_NONE = 0,
	/* Lines starting with '#' in the expected file are comments: not
	 * compared, and kept (at the top) when the file is rewritten. */
	VMEM_TEST_COMPARE_COMMENTS = 1 << 0,
} VmemTestCompareFlags;

gboolean vmem_test_regenerate(void);
void vmem_test_compare_file(const char *path, const char *actual, VmemTestCompareFlags flags);
GStrv vmem_test_list_fixtures(const char *dir, const char *suffix);

G_END_DECLS
