/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kernel uevents of memory blocks (add, remove, online, offline) from the
 * NETLINK_KOBJECT_UEVENT socket: how the agent learns at once that blocks
 * changed, without polling sysfs.
 */
#pragma once

#include <stdbool.h>

/**
 * vma_uevent_open:
 *
 * Returns: a non-blocking netlink socket listening to kernel uevents, or
 *   -1 with errno set (the agent then rescans the blocks every tick).
 */
int vma_uevent_open(void);

/**
 * vma_uevent_drain:
 * @fd: the socket from vma_uevent_open()
 *
 * Reads the pending uevents.
 *
 * Returns: true when one of them concerns the memory subsystem.
 */
bool vma_uevent_drain(int fd);
