/* SPDX-License-Identifier: MIT */
#ifndef VX_PIPELINE_RT_H
#define VX_PIPELINE_RT_H

/*
 * Real-time stage threads: capture, encode+send, receive and playout each run one.
 *
 * vx_rt_start() sets a thread up once, before its loop: SCHED_FIFO at a priority
 * when the system permits it, otherwise the normal scheduler; optionally
 * mlockall() so that no page fault stalls the loop; optionally a CPU to run on.
 * None of these is ever fatal. A laptop user without CAP_SYS_NICE or an RLIMIT_RTPRIO
 * still gets a working pipeline, only with more jitter; vx_rt_status() says what
 * was granted and which errno refused the rest, for the control thread to report.
 *
 * The settings are applied by the new thread to itself, before it calls the stage
 * function, and vx_rt_start() returns only once they are: the status is final when
 * it returns, and the stage function's first instruction already runs under them.
 */
#include <stdbool.h>
#include <stddef.h>

struct vx_rt_thread;

enum vx_rt_policy {
	VX_RT_OTHER = 0, /* SCHED_OTHER: the normal time-sharing scheduler */
	VX_RT_FIFO = 1,  /* SCHED_FIFO: runs until it blocks, ahead of every OTHER thread */
};

struct vx_rt_config {
	const char *name;      /* thread name for top/ps/gdb, cut to 15 bytes; NULL: none */
	int priority;          /* SCHED_FIFO priority (1..99 on Linux); 0: do not ask */
	bool lock_memory;      /* mlockall(MCL_CURRENT | MCL_FUTURE): process-wide */
	bool pin;              /* run only on @cpu */
	unsigned cpu;          /* the CPU, numbered as in /proc/cpuinfo, if @pin */
	size_t stack_bytes;    /* thread stack size; 0: the system default (8 MiB, all
				* of it resident once memory is locked) */
};

/* What a thread was granted. Errors are positive errno values, 0 when none. */
struct vx_rt_status {
	enum vx_rt_policy policy; /* what the thread runs under, read back from the kernel */
	int priority;             /* its SCHED_FIFO priority, 0 under OTHER */
	int fifo_error;           /* why FIFO was refused: EPERM (no CAP_SYS_NICE and
				   * RLIMIT_RTPRIO too low), EINVAL (bad priority) */
	bool memory_locked;       /* mlockall() succeeded */
	int lock_error;           /* why not: ENOMEM/EPERM (RLIMIT_MEMLOCK), ENOTSUP */
	bool pinned;              /* running on cfg->cpu only */
	int pin_error;            /* why not: EINVAL (no such CPU online or allowed) */
};

/**
 * vx_rt_start() - start a stage thread.
 * @out: the new thread.
 * @cfg: its settings; NULL, like a zeroed config, for the defaults: no name,
 *       SCHED_OTHER, no locking, any CPU, default stack.
 * @fn:  the stage function, called once in the new thread with @arg.
 * @arg: passed to @fn.
 *
 * Settings the system refuses are recorded in vx_rt_status() and the thread runs
 * without them. @cfg->lock_memory locks the whole process, now and for every later
 * mapping, and stays on after the thread ends; it is refused with EPERM when the
 * process could not honour MCL_FUTURE (a finite RLIMIT_MEMLOCK without
 * CAP_IPC_LOCK would make later allocations fail instead), and with ENOTSUP in a
 * sanitizer build, whose terabytes of shadow mappings cannot be locked.
 *
 * Context: control thread; allocates and blocks until the thread is set up.
 * Return: 0, -EINVAL (NULL @fn, @cfg->stack_bytes below PTHREAD_STACK_MIN),
 * -ENOMEM, or -EAGAIN (no more threads).
 */
int vx_rt_start(struct vx_rt_thread **out, const struct vx_rt_config *cfg,
		void *(*fn)(void *), void *arg) __attribute__((warn_unused_result));

/**
 * vx_rt_join() - wait for the stage function to return.
 * @t:   from vx_rt_start().
 * @ret: set to what the stage function returned; may be NULL.
 *
 * The status stays readable until vx_rt_destroy().
 *
 * Context: control thread, once per thread; blocks.
 * Return: 0, -EINVAL if already joined, or -EDEADLK when called by the thread itself.
 */
int vx_rt_join(struct vx_rt_thread *t, void **ret);

/**
 * vx_rt_destroy() - join the thread if not yet joined, then free it. Accepts NULL.
 *
 * Context: control thread; blocks until the stage function returns.
 */
void vx_rt_destroy(struct vx_rt_thread *t);

/**
 * vx_rt_status() - what the thread was granted.
 * @t: from vx_rt_start().
 *
 * Context: any thread; real-time safe.
 * Return: the status, valid until vx_rt_destroy().
 */
const struct vx_rt_status *vx_rt_status(const struct vx_rt_thread *t);

/**
 * vx_rt_policy() - the thread's scheduling policy, and why FIFO was refused.
 * @t:          from vx_rt_start().
 * @fifo_error: set to the errno that refused FIFO, 0 if granted or not asked;
 *              may be NULL.
 *
 * Context: any thread; real-time safe.
 * Return: VX_RT_FIFO or VX_RT_OTHER.
 */
enum vx_rt_policy vx_rt_policy(const struct vx_rt_thread *t, int *fifo_error);

/** vx_rt_policy_name() - "FIFO" or "OTHER", for reports. */
const char *vx_rt_policy_name(enum vx_rt_policy policy);

#endif
