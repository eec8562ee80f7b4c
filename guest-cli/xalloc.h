/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Allocation that cannot fail quietly: the CLI prints one line and exits 1
 * when memory runs out, like util-linux's xalloc.h.
 */
#ifndef EXITCOUNT_CLI_XALLOC_H
#define EXITCOUNT_CLI_XALLOC_H

#include <stdio.h>
#include <stdlib.h>

static inline void *ec_xreallocarray(void *ptr, size_t n, size_t size)
{
	size_t bytes = n * size;
	void *p = NULL;

	if (!size || n <= SIZE_MAX / size)
		p = realloc(ptr, bytes ? bytes : 1);
	if (!p) {
		fputs("exitcount: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

/* Room for one more element in a growing array of @size-byte elements. */
static inline void *ec_xgrow(void *ptr, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return ptr;
	*cap = *cap ? *cap * 2 : 64;
	return ec_xreallocarray(ptr, *cap, size);
}

#endif /* EXITCOUNT_CLI_XALLOC_H */
