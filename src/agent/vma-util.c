/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vma-util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool
vma_build_path(const char *root, const char *path, char *buf, size_t size)
{
	int n;

	if (strcmp(root, "/") == 0)
		root = "";
	n = snprintf(buf, size, "%s%s", root, path);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return false;
	}
	return true;
}

long
vma_read_file(const char *root, const char *path, char *buf, size_t size)
{
	char full[PATH_MAX];
	size_t done = 0;
	int fd;

	if (size == 0 || !vma_build_path(root, path, full, sizeof(full)))
		return -1;
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (done < size - 1) {
		ssize_t n = read(fd, buf + done, size - 1 - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;

			close(fd);
			errno = saved;
			return -1;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	close(fd);
	buf[done] = '\0';
	return (long)done;
}

#define VMA_KEPT_MAX 4

typedef struct {
	char path[PATH_MAX];
	int fd;
} VmaKeptFile;

static VmaKeptFile vma_kept[VMA_KEPT_MAX];
static unsigned int vma_n_kept;

static int
vma_kept_fd(const char *full)
{
	int fd;

	for (unsigned int i = 0; i < vma_n_kept; i++)
		if (strcmp(vma_kept[i].path, full) == 0)
			return vma_kept[i].fd;
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || vma_n_kept == VMA_KEPT_MAX)
		return fd;
	strcpy(vma_kept[vma_n_kept].path, full);
	vma_kept[vma_n_kept++].fd = fd;
	return fd;
}

static bool
vma_kept_has(int fd)
{
	for (unsigned int i = 0; i < vma_n_kept; i++)
		if (vma_kept[i].fd == fd)
			return true;
	return false;
}

long
vma_read_file_kept(const char *root, const char *path, char *buf, size_t size)
{
	char full[PATH_MAX];
	ssize_t n;
	int fd;

	if (size == 0 || !vma_build_path(root, path, full, sizeof(full)))
		return -1;
	fd = vma_kept_fd(full);
	if (fd < 0)
		return -1;
	/* One read: procfs files this small come whole. */
	do
		n = pread(fd, buf, size - 1, 0);
	while (n < 0 && errno == EINTR);
	if (!vma_kept_has(fd))
		close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return (long)n;
}

bool
vma_read_u64(const char *root, const char *path, int base, uint64_t *ret_value)
{
	char buf[64];
	char *end = NULL;
	unsigned long long v;

	if (vma_read_file(root, path, buf, sizeof(buf)) <= 0)
		return false;
	if (!isxdigit((unsigned char)buf[0]))
		return false;
	errno = 0;
	v = strtoull(buf, &end, base);
	if (errno != 0 || end == buf || (*end != '\0' && !isspace((unsigned char)*end)))
		return false;
	*ret_value = v;
	return true;
}

bool
vma_read_word(const char *root, const char *path, char *buf, size_t size)
{
	char tmp[256];
	const char *p;
	size_t n = 0;

	if (vma_read_file(root, path, tmp, sizeof(tmp)) < 0)
		return false;
	p = tmp;
	while (isspace((unsigned char)*p))
		p++;
	while (p[n] != '\0' && !isspace((unsigned char)p[n]))
		n++;
	if (n == 0 || n >= size)
		return false;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return true;
}

bool
vma_path_exists(const char *root, const char *path)
{
	char full[PATH_MAX];

	return vma_build_path(root, path, full, sizeof(full)) && access(full, F_OK) == 0;
}
