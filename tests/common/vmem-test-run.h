/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Runs a program the way a user would (virtmemctl, mostly) and keeps its
 * exit status and output, for the tests.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
	int status; /* the exit status; the test fails if it died of a signal */
	char *out;
	char *err;
} VmemTestRun;

void vmem_test_run(VmemTestRun *r, const char *dir, const char *locale, const char *const *argv);
void vmem_test_run_clear(VmemTestRun *r);
gboolean vmem_test_under_valgrind(void);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VmemTestRun, vmem_test_run_clear)

G_END_DECLS
