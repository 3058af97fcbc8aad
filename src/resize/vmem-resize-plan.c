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
			g_autofree char *size = vmem_size_format(dev->size);
			g_autofree char *block = vmem_size_format(dev->block_size);

			g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_DATA,
				    /* TRANSLATORS: 1 a device alias, 2 and 3 sizes such as
				     * "4 GiB" */
				    _("The virtio-mem device %1$s has a size of %2$s that is not a "
				      "whole number of blocks of %3$s."),
				    dev->alias ? dev->alias : "?", size, block);
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
		    /* TRANSLATORS: sizes such as "1.5 GiB": 1 what was asked for, 2 the
		     * most that can be */
		    _("Cannot resize to %1$s: the virtio-mem memory can be resized between 0 B "
		      "and %2$s."),
		    asked_s, capacity_s);
}

/* The sizes a set of devices can reach: each block size with the combined
 * size of the devices that have it, the largest block first.  Block sizes
 * are powers of two, so each divides the larger ones: picking the larger
 * blocks first finds the reachable sums below and above a size exactly
 * (the devices' size limits included), without trying combinations. */
typedef struct {
	guint64 block;
	guint64 capacity;
} VmemResizePlanGrain;

static gint
vmem_resize_plan_grain_compare(gconstpointer a, gconstpointer b)
{
	const VmemResizePlanGrain *ga = a, *gb = b;

	return ga->block < gb->block ? 1 : ga->block > gb->block ? -1 : 0;
}

static GArray *
vmem_resize_plan_grains(GPtrArray *devices)
{
	GArray *grains = g_array_new(FALSE, FALSE, sizeof(VmemResizePlanGrain));

	for (guint i = 0; i < devices->len; i++) {
		const VmemDevice *dev = devices->pdata[i];
		guint j = 0;

		while (j < grains->len &&
		       g_array_index(grains, VmemResizePlanGrain, j).block != dev->block_size)
			j++;
		if (j == grains->len) {
			VmemResizePlanGrain grain = {dev->block_size, 0};

			g_array_append_val(grains, grain);
		}
		g_array_index(grains, VmemResizePlanGrain, j).capacity += dev->size;
	}
	g_array_sort(grains, vmem_resize_plan_grain_compare);
	return grains;
}

/* What each block size gives of @total, taking the larger blocks first, as
 * far as they reach; @ret_amounts may be %NULL.  Returns the sum: the
 * largest reachable size not above @total. */
static guint64
vmem_resize_plan_reach_below(GArray *grains, guint64 total, guint64 *ret_amounts)
{
	guint64 left = total;

	for (guint j = 0; j < grains->len; j++) {
		const VmemResizePlanGrain *g = &g_array_index(grains, VmemResizePlanGrain, j);
		guint64 amount = MIN(g->capacity, left - left % g->block);

		if (ret_amounts != NULL)
			ret_amounts[j] = amount;
		left -= amount;
	}
	return total - left;
}

/* The smallest reachable size not below @total (@total at most the
 * devices' combined size, which is reachable). */
static guint64
vmem_resize_plan_reach_above(GArray *grains, guint64 total)
{
	guint64 best = G_MAXUINT64, taken = 0, left = total;

	for (guint j = 0; j < grains->len && left > 0; j++) {
		const VmemResizePlanGrain *g = &g_array_index(grains, VmemResizePlanGrain, j);
		guint64 amount = MIN(g->capacity, left - left % g->block);

		/* one more block of this size reaches @total at once... */
		if (amount + g->block <= g->capacity)
			best = MIN(best, taken + amount + g->block);
		/* ...or the smaller blocks make up the rest */
		taken += amount;
		left -= amount;
	}
	return left == 0 ? total : best;
}

static void
vmem_resize_plan_set_block_error(GError **error, GArray *grains, guint64 asked)
{
	guint64 below = vmem_resize_plan_reach_below(grains, asked, NULL);
	g_autofree char *asked_s = vmem_size_format(asked);
	g_autofree char *largest =
		vmem_size_format(g_array_index(grains, VmemResizePlanGrain, 0).block);
	g_autofree char *smallest =
		vmem_size_format(g_array_index(grains, VmemResizePlanGrain, grains->len - 1).block);
	g_autofree char *below_s = vmem_size_format_arg(below);
	g_autofree char *above_s =
		vmem_size_format_arg(vmem_resize_plan_reach_above(grains, asked));

	if (grains->len == 1)
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			    /* TRANSLATORS: 1 the size asked for, 2 a block size, both like
			     * "3 MiB"; 3 and 4 the nearest sizes that work, as they are
			     * typed ("2M", "4M") */
			    _("Cannot resize to %1$s: the virtio-mem devices plug and unplug "
			      "whole blocks of %2$s. Resize to %3$s or %4$s instead."),
			    asked_s, largest, below_s, above_s);
	else
		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			    /* TRANSLATORS: 1 the size asked for, 2 and 3 the smallest and the
			     * largest block size, all like "3 MiB"; 4 and 5 the nearest
			     * sizes that work, as they are typed ("2M", "4M") */
			    _("Cannot resize to %1$s: the virtio-mem devices plug and unplug "
			      "whole blocks of %2$s to %3$s, which do not add up to it. Resize to "
			      "%4$s or %5$s instead."),
			    asked_s, smallest, largest, below_s, above_s);
}

/* Proportional shares with caps ("water filling"): a device whose share
 * would exceed its size gets its size, the rest is shared again among the
 * others.  @frac gets the remainder of each share's division, to rank which
 * share lost most to rounding. */
/* Up to this many devices, the split's scratch arrays live on the stack:
 * the policy engine splits a total for every domain it resizes, each tick. */
#define VMEM_RESIZE_PLAN_SMALL 8

static void
vmem_resize_plan_shares(GPtrArray *devices, const guint64 *weights, guint64 total, guint64 *share,
			VmemU128 *frac, VmemU128 *denominator)
{
	gboolean full_small[VMEM_RESIZE_PLAN_SMALL] = {FALSE};
	g_autofree gboolean *full_large =
		devices->len > VMEM_RESIZE_PLAN_SMALL ? g_new0(gboolean, devices->len) : NULL;
	gboolean *full = full_large ? full_large : full_small;
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

/* The NUMA-balanced split of @total into @part: shares in proportion to
 * the weights, each rounded down to whole blocks, then what rounding left
 * over a block at a time to the share that lost most.  With one block size
 * and @total a multiple of it, not above the devices' combined size, the
 * parts add up to @total. */
static void
vmem_resize_plan_balance(GPtrArray *devices, const guint64 *weights, guint64 total, guint64 *part)
{
	guint64 share_small[VMEM_RESIZE_PLAN_SMALL] = {0};
	VmemU128 frac_small[VMEM_RESIZE_PLAN_SMALL] = {0};
	gboolean small = devices->len <= VMEM_RESIZE_PLAN_SMALL;
	g_autofree guint64 *share_large = small ? NULL : g_new0(guint64, devices->len);
	g_autofree VmemU128 *frac_large = small ? NULL : g_new0(VmemU128, devices->len);
	guint64 *share = small ? share_small : share_large;
	VmemU128 *frac = small ? frac_small : frac_large;
	VmemU128 denominator = 0;
	guint64 left;

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
}

/* When blocks of several sizes keep the balanced split from adding up to
 * @total: the larger blocks take what they can first (as
 * vmem_resize_plan_reach_below() counts), and the devices of each block
 * size share their amount NUMA-balanced. */
static void
vmem_resize_plan_by_grain(GPtrArray *devices, const guint64 *weights, GArray *grains, guint64 total,
			  guint64 *part)
{
	g_autofree guint64 *amounts = g_new0(guint64, grains->len);

	vmem_resize_plan_reach_below(grains, total, amounts);
	for (guint j = 0; j < grains->len; j++) {
		guint64 block = g_array_index(grains, VmemResizePlanGrain, j).block;
		g_autoptr(GPtrArray) some = g_ptr_array_new();
		g_autoptr(GArray) index = g_array_new(FALSE, FALSE, sizeof(guint));
		g_autofree guint64 *some_weights = g_new0(guint64, devices->len);
		g_autofree guint64 *some_part = NULL;

		for (guint i = 0; i < devices->len; i++) {
			const VmemDevice *dev = devices->pdata[i];

			if (dev->block_size != block)
				continue;
			if (weights != NULL)
				some_weights[some->len] = weights[i];
			g_ptr_array_add(some, devices->pdata[i]);
			g_array_append_val(index, i);
		}
		some_part = g_new0(guint64, some->len);
		vmem_resize_plan_balance(some, weights ? some_weights : NULL, amounts[j],
					 some_part);
		for (guint k = 0; k < some->len; k++)
			part[g_array_index(index, guint, k)] = some_part[k];
	}
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
 * blocks and the parts add up to @total exactly; what rounding to blocks
 * left over goes, a block at a time, to the part that lost most (ties:
 * lower NUMA node, then earlier device), so the result is deterministic.
 * When the devices' block sizes differ and that balanced split cannot add
 * up to @total, the larger blocks are filled first.
 *
 * Like `virsh update-memory-device`, nothing is rounded behind the
 * caller's back: a @total the blocks cannot add up to (with one block size:
 * one that is not a multiple of it; any multiple of the largest block size
 * can be reached) is refused with the nearest sizes below and above that
 * can, and a @total above the devices' combined size with the reachable
 * range.
 */
gboolean
vmem_resize_plan_split(GPtrArray *devices, const guint64 *weights, guint64 total,
		       guint64 **ret_requested, GError **error)
{
	g_autoptr(GArray) grains = NULL;
	g_autofree guint64 *part = NULL;
	guint64 capacity = 0, sum = 0, block = 0;
	gboolean one_block = TRUE;

	if (!vmem_resize_plan_check_devices(devices, &capacity, error))
		return FALSE;
	if (total > capacity) {
		vmem_resize_plan_set_range_error(error, total, capacity);
		return FALSE;
	}
	/* The usual case, one block size: any multiple of it up to the
	 * capacity is reached by the balanced split alone. */
	for (guint i = 0; i < devices->len; i++) {
		guint64 b = ((const VmemDevice *)devices->pdata[i])->block_size;

		one_block &= block == 0 || b == block;
		block = b;
	}
	if (one_block && total % block == 0) {
		part = g_new0(guint64, devices->len);
		vmem_resize_plan_balance(devices, weights, total, part);
		*ret_requested = g_steal_pointer(&part);
		return TRUE;
	}
	grains = vmem_resize_plan_grains(devices);
	if (vmem_resize_plan_reach_below(grains, total, NULL) != total) {
		vmem_resize_plan_set_block_error(error, grains, total);
		return FALSE;
	}
	part = g_new0(guint64, devices->len);
	vmem_resize_plan_balance(devices, weights, total, part);
	for (guint i = 0; i < devices->len; i++)
		sum += part[i];
	if (sum != total)
		vmem_resize_plan_by_grain(devices, weights, grains, total, part);
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
 * @ret_requested: (out): its requested size: @size
 *
 * Refuses a @size above the device's size, with the reachable range, and
 * one that is not a whole number of its blocks, with the nearest sizes
 * that are.
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
	if (size % device->block_size != 0) {
		g_autofree char *size_s = vmem_size_format(size);
		g_autofree char *block = vmem_size_format(device->block_size);
		g_autofree char *below = vmem_size_format_arg(size - size % device->block_size);
		g_autofree char *above =
			vmem_size_format_arg(size - size % device->block_size + device->block_size);

		g_set_error(error, VMEM_ERROR, VMEM_ERROR_INVALID_ARGUMENT,
			    /* TRANSLATORS: 1 a device alias; 2 the size asked for, 3 a block
			     * size, both like "3 MiB"; 4 and 5 the nearest sizes that work, as
			     * they are typed ("2M", "4M") */
			    _("Cannot resize the virtio-mem device %1$s to %2$s: it plugs and "
			      "unplugs whole blocks of %3$s. Resize it to %4$s or %5$s instead."),
			    device->alias ? device->alias : "?", size_s, block, below, above);
		return FALSE;
	}
	*ret_requested = size;
	return TRUE;
}
