/* SPDX-License-Identifier: MIT */
#ifndef VX_TESTS_SHADOW_ALLOC_H
#define VX_TESTS_SHADOW_ALLOC_H

/*
 * Allocation counting without linker flags, to back "Context: real-time safe":
 * a test program includes this once, and its own malloc family (aligned_alloc
 * and posix_memalign included) shadows libc's and forwards to it, counting
 * calls in allocs while allocs_armed is set.
 * Sanitizers replace malloc themselves, so there COUNT_ALLOCS is 0, nothing
 * is shadowed, and a case only runs the calls.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "tests/sanitized.h"

#define COUNT_ALLOCS (!SANITIZED)

static bool allocs_armed;
static unsigned long allocs;

#if COUNT_ALLOCS
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);
void __libc_free(void *p);

void *malloc(size_t size)
{
	allocs += allocs_armed;
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	allocs += allocs_armed;
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	allocs += allocs_armed;
	return __libc_realloc(p, size);
}

void free(void *p)
{
	allocs += allocs_armed && p;
	__libc_free(p);
}

/* glibc does not route these through malloc(): aligned arrays (the Bloom
 * filters') would go unseen. */
void *__libc_memalign(size_t align, size_t size);

void *aligned_alloc(size_t align, size_t size)
{
	allocs += allocs_armed;
	return __libc_memalign(align, size);
}

int posix_memalign(void **p, size_t align, size_t size)
{
	allocs += allocs_armed;
	*p = __libc_memalign(align, size);
	return *p ? 0 : ENOMEM;
}
#endif

#endif
