// SPDX-License-Identifier: MIT
#include "pipeline/lines.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BLOCK (1u << 20)

struct vx_lines {
	char **files;
	int nfiles;
	int next_file;
	int fd;
	const char *name;
	char *buf;      /* holds [start, end) unread bytes */
	size_t cap;
	size_t start;
	size_t end;
	bool eof;
	uint64_t count;     /* records so far, all files */
	uint64_t line;      /* line number in the current file */
	uint64_t bytes;
	bool progress;
	uint64_t next_check;
	double started;
	double shown;
	char where[512];
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int vx_lines_open(struct vx_lines **out, char **files, int nfiles, bool progress)
{
	struct vx_lines *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->cap = BLOCK;
	l->buf = malloc(l->cap);
	if (!l->buf) {
		free(l);
		return -ENOMEM;
	}
	l->files = files;
	l->nfiles = nfiles;
	l->fd = -1;
	l->eof = true;
	l->progress = progress && isatty(STDERR_FILENO);
	l->started = now_s();
	l->shown = l->started;
	*out = l;
	return 0;
}

/* Open the next file; 0 when there is none left. */
static int open_next(struct vx_lines *l)
{
	struct stat st;

	if (l->fd > STDIN_FILENO)
		close(l->fd);
	l->fd = -1;
	if (l->next_file >= (l->nfiles ? l->nfiles : 1))
		return 0;
	l->name = l->nfiles ? l->files[l->next_file] : "-";
	l->next_file++;
	l->line = 0;
	l->eof = false;
	if (!strcmp(l->name, "-")) {
		l->fd = STDIN_FILENO;
		l->name = "(stdin)";
		return 1;
	}
	l->fd = open(l->name, O_RDONLY | O_CLOEXEC);
	if (l->fd < 0)
		return -errno;
	if (fstat(l->fd, &st) == 0 && S_ISDIR(st.st_mode))
		return -EISDIR;
	posix_fadvise(l->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return 1;
}

static void show_progress(struct vx_lines *l, bool final)
{
	double t = now_s();

	if (final) {
		if (l->shown > l->started)
			fputs("\r\033[K", stderr);
		return;
	}
	if (t - l->shown < 0.5)
		return;
	l->shown = t;
	fprintf(stderr, "\r\033[K%.2f M records, %.1f MB, %.0f MB/s", (double)l->count / 1e6,
		(double)l->bytes / 1e6, (double)l->bytes / 1e6 / (t - l->started));
}

/* Make room and read more; returns bytes read, 0 at end of file, or -errno. */
static ssize_t fill(struct vx_lines *l)
{
	ssize_t n;

	if (l->start > 0) {
		memmove(l->buf, l->buf + l->start, l->end - l->start);
		l->end -= l->start;
		l->start = 0;
	}
	if (l->end == l->cap) {
		/* A line longer than the buffer: grow it. */
		char *b = realloc(l->buf, l->cap * 2);

		if (!b)
			return -ENOMEM;
		l->buf = b;
		l->cap *= 2;
	}
	do
		n = read(l->fd, l->buf + l->end, l->cap - l->end);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	l->end += (size_t)n;
	l->bytes += (uint64_t)n;
	return n;
}

int vx_lines_next(struct vx_lines *l, const char **rec, size_t *len)
{
	for (;;) {
		char *p = l->buf + l->start;
		char *nl = l->end > l->start ? memchr(p, '\n', l->end - l->start) : NULL;
		size_t n;
		ssize_t got;
		int ret;

		if (nl || (l->eof && l->end > l->start)) {
			n = nl ? (size_t)(nl - p) : l->end - l->start;
			l->start += nl ? n + 1 : n;
			if (n && p[n - 1] == '\r')
				n--;
			*rec = p;
			*len = n;
			l->line++;
			if (l->progress && ++l->count >= l->next_check) {
				l->next_check = l->count + 65536;
				show_progress(l, false);
			} else if (!l->progress) {
				l->count++;
			}
			return 1;
		}
		if (l->eof) {
			l->start = l->end = 0;
			ret = open_next(l);
			if (ret <= 0)
				return ret;
			continue;
		}
		got = fill(l);
		if (got < 0)
			return (int)got;
		if (got == 0)
			l->eof = true;
	}
}

const char *vx_lines_where(struct vx_lines *l)
{
	snprintf(l->where, sizeof(l->where), "%s:%llu", l->name ? l->name : "-",
		 (unsigned long long)l->line);
	return l->where;
}

const char *vx_lines_error(const struct vx_lines *l)
{
	return l->name ? l->name : "-";
}

void vx_lines_close(struct vx_lines *l)
{
	if (!l)
		return;
	if (l->progress)
		show_progress(l, true);
	if (l->fd > STDIN_FILENO)
		close(l->fd);
	free(l->buf);
	free(l);
}
