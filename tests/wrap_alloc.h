/* SPDX-License-Identifier: MIT */
#ifndef VX_TESTS_WRAP_ALLOC_H
#define VX_TESTS_WRAP_ALLOC_H

/*
 * Allocation counting through the linker, to back "Context: real-time safe":
 * a test program linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free
 * (see the Makefile) includes this once; its malloc family then forwards to
 * libc's, counting calls in allocs while allocs_armed is set. It catches the
 * program's own calls and its static libraries', not a shared library's.
 * Without the flags the program does not link (__real_malloc and kin exist only
 * with them), so a count of 0 never comes from a missing wrap: no test needs to
 * check that the wrap is in place.
 */
#include <stdbool.h>
#include <stddef.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);

static bool allocs_armed;
static unsigned long allocs;

void *__wrap_malloc(size_t n)
{
	allocs += allocs_armed;
	return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m)
{
	allocs += allocs_armed;
	return __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n)
{
	allocs += allocs_armed;
	return __real_realloc(p, n);
}

void __wrap_free(void *p)
{
	allocs += allocs_armed && p;
	__real_free(p);
}

#endif
