/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A test's temporary directory, removed with what the test left in it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void vmem_test_remove_dir(const char *dir);

G_END_DECLS
