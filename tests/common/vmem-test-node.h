/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A node file for libvirt's test driver (`test:///PATH`): the domains a CLI
 * test runs virtmemctl against, without any VM.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
	char *dir;
	char *path;
	char *uri; /* test://PATH */
} VmemTestNode;

VmemTestNode *vmem_test_node_new(const char *domains);
void vmem_test_node_free(VmemTestNode *node);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmemTestNode, vmem_test_node_free)

G_END_DECLS
