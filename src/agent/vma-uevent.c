/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vma-uevent.h"

#include <errno.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define VMA_UEVENT_KERNEL_GROUP 1
#define VMA_UEVENT_DRAIN_MAX 256

int
vma_uevent_open(void)
{
	struct sockaddr_nl addr = {
		.nl_family = AF_NETLINK,
		.nl_groups = VMA_UEVENT_KERNEL_GROUP,
	};
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			NETLINK_KOBJECT_UEVENT);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static bool
vma_uevent_is_memory(const char *msg, size_t len)
{
	/* "ACTION@DEVPATH\0KEY=VALUE\0...": look for the subsystem key. */
	for (size_t off = 0; off < len; off += strnlen(msg + off, len - off) + 1)
		if (strcmp(msg + off, "SUBSYSTEM=memory") == 0)
			return true;
	return false;
}

bool
vma_uevent_drain(int fd)
{
	char buf[4096];
	bool memory = false;

	for (unsigned int i = 0; i < VMA_UEVENT_DRAIN_MAX; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf[n] = '\0';
		if (vma_uevent_is_memory(buf, (size_t)n))
			memory = true;
	}
	return memory;
}
