/* SPDX-License-Identifier: MIT */
#ifndef VX_PIPELINE_LINES_H
#define VX_PIPELINE_LINES_H

/*
 * Records from text input: one record per line, over a list of files ("-" or no
 * file at all for stdin), read in large blocks so a 10^7-line file costs a
 * memchr per line. Lines of any length; the newline (and a CR before it) is not
 * part of the record; a last line without a newline still counts.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vx_lines;

/**
 * vx_lines_open() - prepare to read records.
 * @out:      the reader.
 * @files:    paths; "-" is stdin.
 * @nfiles:   their count; 0 reads stdin.
 * @progress: show a progress line on stderr (only if stderr is a terminal).
 *
 * Return: 0, or -ENOMEM.
 */
int vx_lines_open(struct vx_lines **out, char **files, int nfiles, bool progress);

/**
 * vx_lines_next() - the next record.
 * @l:   reader.
 * @rec: set to the record's bytes, valid until the next call.
 * @len: set to its length.
 *
 * Return: 1 with a record, 0 at the end of the last file, or a negative errno
 * (vx_lines_error() then names the file).
 */
int vx_lines_next(struct vx_lines *l, const char **rec, size_t *len);

/** vx_lines_where() - "FILE:LINE" of the record last returned, for messages. */
const char *vx_lines_where(struct vx_lines *l);

/** vx_lines_error() - the file the last error came from. */
const char *vx_lines_error(const struct vx_lines *l);

/** vx_lines_close() - free the reader and clear its progress line. Accepts NULL. */
void vx_lines_close(struct vx_lines *l);

#endif
