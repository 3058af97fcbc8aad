/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vmem-resize-plan.h"

#include <glib/gi18n.h>

#include "vmem-error.h"
#include "vmem-size.h"

/* Sizes times weights overflow 64 bits (1 TiB x 1 TiB): the proportional
 * shares are computed exactly in 128 bits. */
#ifndef __SIZEOF_INT128__
#error "virtmem needs a compiler with 128-bit integers"
#endif
typedef unsigned __int128 VmemU128;

static gboolean
vmem_resize_plan_check_devices(GPtrArray *devices, guint64 *ret_capacity, GError **error)
{
	guint64 capacity = 0;

	if (devices->len == 0) {
		g_set_error_literal(error, VMEM_ERROR, VMEM_ERROR_NOT_FOUND,
				    /* TRANSLATORS: a resize was asked of a domain without
				     * virtio-mem memory */
				    _("The domain has no virtio-mem device to resize."));
		return FALSE;
	}
	for (guint i = 0; i < devices->len; i++) {
		const VmemDevice *dev = devices->pdata[i];

		if (dev->block_size == 0 || (dev->block_size & (dev->block_size - 1)) != 0 ||
		    dev->size % dev->block_size != 0 || capacity + dev->size < capacity) {
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: %s is a device alias, then byte counts */
				    _("The virtio-mem device %s has a size of %" G_GUINT64_FORMAT
				      " bytes that is not a whole number of blocks of "
				      "%" G_GUINT64_FORMAT " bytes."),
				    dev->alias ? dev->alias : "?", dev->size, dev->block_size);
			return FALSE;
		}
		capacity += dev->size;
	}
	*ret_capacity = capacity;
	return TRUE;
}

static void
vmem_resize_plan_set_range_error(GError **error, guint64 asked, guint64 capacity)
{
	g_autofree char *asked_s = vmem_size_format(asked);
	g_autofree char *capacity_s = vmem_size_format(capacity);

	g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
		    /* TRANSLATORS: sizes such as "1.5 GiB"; the last is the most
		     * that can be asked for */
		    _("Cannot resize to %s: the virtio-mem memory can be resized between 0 B "
		      "and %s."),
		    asked_s, capacity_s);
}

/* Proportional shares with caps ("water filling"): a device whose share
 * would exceed its size gets its size, the rest is shared again among the
 * others.  @frac gets the remainder of each share's division, to rank which
 * share lost most to rounding. */
static void
vmem_resize_plan_shares(GPtrArray *devices, const guint64 *weights, guint64 total, guint64 *share,
			VmemU128 *frac, VmemU128 *denominator)
{
	g_autofree gboolean *full = g_new0(gboolean, devices->len);
	guint64 left = total;
	VmemU128 weight_sum;
	gboolean changed = TRUE;

	while (changed) {
		gboolean by_size = FALSE;

		changed = FALSE;
		weight_sum = 0;
		for (guint i = 0; i < devices->len; i++) {
			if (!full[i])
				weight_sum += weights ? weights[i] : 0;
		}
		/* no weights (or only zero ones): proportional to device size */
		if (weight_sum == 0) {
			by_size = TRUE;
			for (guint i = 0; i < devices->len; i++) {
				if (!full[i])
					weight_sum += ((const VmemDevice *)devices->pdata[i])->size;
			}
		}
		for (guint i = 0; i < devices->len; i++) {
			const VmemDevice *dev = devices->pdata[i];
			VmemU128 product;

			if (full[i])
				continue;
			product = (VmemU128)left * (by_size ? dev->size : weights[i]);
			share[i] = weight_sum ? (guint64)(product / weight_sum) : 0;
			frac[i] = weight_sum ? product % weight_sum : 0;
			if (share[i] >= dev->size && dev->size < left) {
				share[i] = dev->size;
				frac[i] = 0;
				full[i] = TRUE;
				left -= dev->size;
				changed = TRUE;
				break;
			}
		}
	}
	*denominator = weight_sum;
}

/**
 * vmem_resize_plan_split:
 * @devices: (element-type VmemDevice): the domain's virtio-mem devices
 * @weights: (nullable) (array): how to share between them, one per device
 *   (the size of each device's NUMA node, say); %NULL to share in
 *   proportion to the devices' sizes
 * @total: the total requested size, bytes
 * @ret_requested: (out) (array): the requested size of each device,
 *   parallel to @devices
 * @error: return location for a #GError
 *
 * Splits @total across @devices NUMA-balanced: in proportion to @weights,
 * except that a device that would get more than its size gets its size and
 * the others share the rest.  Each part is a whole number of the device's
 * blocks, rounded so that the parts never add up to more than @total;
 * what rounding left over goes, a block at a time, to the part that lost
 * most (ties: lower NUMA node, then earlier device), so the result is
 * deterministic.  @total above the devices' combined size is refused with
 * the reachable range.
 */
gboolean
vmem_resize_plan_split(GPtrArray *devices, const guint64 *weights, guint64 total,
		       guint64 **ret_requested, GError **error)
{
	g_autofree guint64 *share = NULL;
	g_autofree guint64 *part = NULL;
	g_autofree VmemU128 *frac = NULL;
	VmemU128 denominator = 0;
	guint64 capacity = 0;
	guint64 left;

	if (!vmem_resize_plan_check_devices(devices, &capacity, error))
		return FALSE;
	if (total > capacity) {
		vmem_resize_plan_set_range_error(error, total, capacity);
		return FALSE;
	}
	share = g_new0(guint64, devices->len);
	part = g_new0(guint64, devices->len);
	frac = g_new0(VmemU128, devices->len);
	vmem_resize_plan_shares(devices, weights, total, share, frac, &denominator);

	left = total;
	for (guint i = 0; i < devices->len; i++) {
		const VmemDevice *dev = devices->pdata[i];

		part[i] = share[i] - share[i] % dev->block_size;
		left -= part[i];
	}
	for (;;) {
		gint best = -1;

		for (guint i = 0; i < devices->len; i++) {
			const VmemDevice *dev = devices->pdata[i];
			const VmemDevice *b;

			if (dev->block_size > left || part[i] + dev->block_size > dev->size)
				continue;
			if (best < 0) {
				best = (gint)i;
				continue;
			}
			b = devices->pdata[best];
			/* the larger loss to rounding: (share - part) + frac/denominator */
			if ((gint64)(share[i] - part[i]) != (gint64)(share[best] - part[best])) {
				if ((gint64)(share[i] - part[i]) >
				    (gint64)(share[best] - part[best]))
					best = (gint)i;
			} else if (frac[i] != frac[best]) {
				if (frac[i] > frac[best])
					best = (gint)i;
			} else if (dev->node < b->node) {
				best = (gint)i;
			}
		}
		if (best < 0)
			break;
		part[best] += ((const VmemDevice *)devices->pdata[best])->block_size;
		left -= ((const VmemDevice *)devices->pdata[best])->block_size;
	}
	*ret_requested = g_steal_pointer(&part);
	return TRUE;
}

/**
 * vmem_resize_plan_select:
 * @devices: (element-type VmemDevice): the domain's virtio-mem devices
 * @alias: (nullable): the device's alias
 * @node: the device's NUMA node, or -1 when @alias selects
 * @ret_index: (out): the index of the device in @devices
 *
 * Picks the one device a single-device resize is for, by alias or by node.
 */
gboolean
vmem_resize_plan_select(GPtrArray *devices, const char *alias, gint node, guint *ret_index,
			GError **error)
{
	gint found = -1;

	g_return_val_if_fail((alias != NULL) != (node >= 0), FALSE);

	for (guint i = 0; i < devices->len; i++) {
		const VmemDevice *dev = devices->pdata[i];

		if (alias != NULL ? g_strcmp0(dev->alias, alias) != 0 : dev->node != (guint)node)
			continue;
		if (found >= 0) {
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
				    /* TRANSLATORS: %d is a NUMA node number */
				    _("NUMA node %d has more than one virtio-mem device: choose "
				      "one by its alias."),
				    node);
			return FALSE;
		}
		found = (gint)i;
	}
	if (found < 0) {
		if (alias != NULL)
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_NOT_FOUND,
				    /* TRANSLATORS: %s is a device alias */
				    _("There is no virtio-mem device with the alias %s."), alias);
		else
			g_set_error(error, VMEM_ERROR, VMEM_ERROR_NOT_FOUND,
				    /* TRANSLATORS: %d is a NUMA node number */
				    _("There is no virtio-mem device on NUMA node %d."), node);
		return FALSE;
	}
	*ret_index = (guint)found;
	return TRUE;
}

/**
 * vmem_resize_plan_one:
 * @device: the device a single-device resize is for
 * @size: what it should provide, bytes
 * @ret_requested: (out): its requested size: @size rounded down to whole
 *   blocks
 *
 * Refuses a @size above the device's size, with the reachable range.
 */
gboolean
vmem_resize_plan_one(const VmemDevice *device, guint64 size, guint64 *ret_requested, GError **error)
{
	g_autoptr(GPtrArray) one = g_ptr_array_new();

	g_ptr_array_add(one, (gpointer)device);
	if (!vmem_resize_plan_check_devices(one, &(guint64){0}, error))
		return FALSE;
	if (size > device->size) {
		vmem_resize_plan_set_range_error(error, size, device->size);
		return FALSE;
	}
	*ret_requested = size - size % device->block_size;
	return TRUE;
}
