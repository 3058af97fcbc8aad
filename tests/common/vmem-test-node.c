/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-test-node.h"

#include <glib/gstdio.h>

/**
 * vmem_test_node_new:
 * @domains: domain XML, one or more <domain> elements
 *
 * Writes `<node>@domains</node>` into a new temporary directory.
 *
 * Returns: (transfer full): the node; vmem_test_node_free() removes it
 */
VmemTestNode *
vmem_test_node_new(const char *domains)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *text = g_strconcat("<node>\n", domains, "</node>\n", NULL);
	VmemTestNode *node = g_new0(VmemTestNode, 1);

	node->dir = g_dir_make_tmp("virtmemctl-XXXXXX", &error);
	g_assert_no_error(error);
	node->path = g_build_filename(node->dir, "node.xml", NULL);
	g_assert_true(g_file_set_contents(node->path, text, -1, &error));
	g_assert_no_error(error);
	node->uri = g_strconcat("test://", node->path, NULL);
	return node;
}

void
vmem_test_node_free(VmemTestNode *node)
{
	if (node == NULL)
		return;
	g_unlink(node->path);
	g_rmdir(node->dir);
	g_free(node->uri);
	g_free(node->path);
	g_free(node->dir);
	g_free(node);
}
