/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * File helpers of the guest agent: every path the agent reads is taken
 * relative to a root directory ("/" in a guest, a fixture tree in tests).
 * No GLib in the guest: libc only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * vma_read_file:
 * @root: the root directory, "/" in a real guest
 * @path: an absolute path below @root, e.g. "/proc/meminfo"
 * @buf: where the contents go, NUL-terminated
 * @size: size of @buf; longer files are truncated
 *
 * Returns: the number of bytes read, or -1 with errno set.
 */
long vma_read_file(const char *root, const char *path, char *buf, size_t size);

/**
 * vma_read_file_kept:
 * @root: the root directory, "/" in a real guest
 * @path: an absolute path below @root of a file read every report, such as
 *   "/proc/meminfo"
 * @buf: where the contents go, NUL-terminated
 * @size: size of @buf
 *
 * Like vma_read_file(), but keeps the file open and reads it with pread()
 * from offset 0: procfs regenerates the contents, and the agent saves the
 * path lookup, open and close of every report.  At most a few such files.
 *
 * Returns: the number of bytes read, or -1 with errno set.
 */
long vma_read_file_kept(const char *root, const char *path, char *buf, size_t size);

/**
 * vma_read_u64:
 * @root: the root directory
 * @path: a file holding one number, decimal or 0x-prefixed hexadecimal
 * @base: 10 or 16 (16 also accepts a missing 0x prefix)
 * @ret_value: the number; not written on failure
 *
 * Returns: true on success.
 */
bool vma_read_u64(const char *root, const char *path, int base, uint64_t *ret_value);

/**
 * vma_read_word:
 * @root: the root directory
 * @path: a file whose first word is wanted
 * @buf: where the word goes, NUL-terminated
 * @size: size of @buf
 *
 * Returns: true when the file exists and has a first word.
 */
bool vma_read_word(const char *root, const char *path, char *buf, size_t size);

/**
 * vma_path_exists:
 * @root: the root directory
 * @path: an absolute path below @root
 *
 * Returns: true when the path exists.
 */
bool vma_path_exists(const char *root, const char *path);
