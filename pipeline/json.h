/* SPDX-License-Identifier: MIT */
#ifndef VX_PIPELINE_JSON_H
#define VX_PIPELINE_JSON_H

/* The little JSON the command line writes: strings need care, numbers are printf. */
#include <stddef.h>
#include <stdio.h>

/**
 * vx_json_string() - write bytes as a quoted JSON string: quotes, backslashes and
 * control characters escaped; bytes that are not valid UTF-8 become U+FFFD, so
 * the output is valid JSON for any input line.
 * @f:   stream.
 * @s:   bytes.
 * @len: their count.
 */
void vx_json_string(FILE *f, const char *s, size_t len);

#endif
