/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * How a resize request becomes a requested size per virtio-mem device:
 * pure functions of the devices and the request.
 */
#pragma once

#include <glib.h>

#include "vmem-backend.h"

G_BEGIN_DECLS

gboolean vmem_resize_plan_split(GPtrArray *devices, const guint64 *weights, guint64 total,
				guint64 **ret_requested, GError **error);
gboolean vmem_resize_plan_select(GPtrArray *devices, const char *alias, gint node, guint *ret_index,
				 GError **error);
gboolean vmem_resize_plan_one(const VmemDevice *device, guint64 size, guint64 *ret_requested,
			      GError **error);

G_END_DECLS
