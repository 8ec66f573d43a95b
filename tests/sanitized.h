/* SPDX-License-Identifier: MIT */
#ifndef VX_TESTS_SANITIZED_H
#define VX_TESTS_SANITIZED_H

/*
 * SANITIZED: 1 when the test is built with ASan, TSan or MSan (gcc says
 * __SANITIZE_ADDRESS__ and __SANITIZE_THREAD__, clang __has_feature()). Their
 * runtimes own malloc, so allocation counting steps aside under them.
 * (pipeline/ring.c and rt.c keep their own copies: library code does not
 * include tests/.)
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
	__has_feature(memory_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

#endif
