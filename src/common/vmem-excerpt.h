/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Short, printable quotes of text that came from outside (a value in domain
 * XML, a name, a parser's reason), for messages that must stay one short
 * line however long the input is.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The most bytes of a value a message quotes (before the "…"). */
#define VMEM_EXCERPT_MAX_BYTES 64

char *vmem_text_excerpt(const char *text, gssize len, gsize max_bytes);
char *vmem_excerpt(const char *text);

G_END_DECLS
