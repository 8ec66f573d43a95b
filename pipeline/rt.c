// SPDX-License-Identifier: MIT
#include "pipeline/rt.h"

#include <errno.h>
#include <limits.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Sanitizer runtimes map terabytes of shadow memory: mlockall() would try to lock it. */
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

/*
 * Stack the new thread touches before its loop, so that its first frames do not
 * page-fault (with mlockall the whole stack is resident anyway). 64 KiB covers an
 * Opus encoder call with room to spare; only done when the stack is at least 4x that.
 */
#define PREFAULT_BYTES (64 * 1024)

struct vx_rt_thread {
	pthread_t thread;
	sem_t ready;           /* posted by the thread once its settings are applied */
	struct vx_rt_config cfg;
	char name[16];         /* the kernel's limit: 15 bytes and the NUL */
	void *(*fn)(void *);
	void *arg;
	bool joined;
	struct vx_rt_status status;
};

static bool has_capability(unsigned cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	/* Raw syscall: glibc has no wrapper and libcap is not worth a dependency. */
	if (syscall(SYS_capget, &hdr, data) < 0)
		return false;
	return data[cap / 32].effective & (1u << (cap % 32));
}

/* mlockall(), or the positive errno that refused it. */
static int lock_memory(void)
{
	struct rlimit rl;

	if (SANITIZED)
		return ENOTSUP;
	/*
	 * MCL_FUTURE under a finite limit succeeds today and makes tomorrow's
	 * mmap (a thread stack, a large malloc) fail once the limit is reached:
	 * lock only when nothing caps it.
	 */
	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    !has_capability(CAP_IPC_LOCK))
		return EPERM;
	if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
		return errno;
	return 0;
}

static void __attribute__((noinline)) prefault_stack(void)
{
	volatile unsigned char stack[PREFAULT_BYTES];

	for (size_t i = 0; i < sizeof(stack); i += 4096)
		stack[i] = 0;
}

/* Runs in the new thread: apply the settings to itself, report, then run the stage. */
static void *trampoline(void *p)
{
	struct vx_rt_thread *t = p;
	struct vx_rt_status *st = &t->status;
	struct sched_param sp;
	int policy;

	if (t->name[0])
		pthread_setname_np(pthread_self(), t->name); /* cosmetic: ignore failure */

	if (t->cfg.priority) {
		sp = (struct sched_param){ .sched_priority = t->cfg.priority };
		st->fifo_error = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	}
	/* Read back what the kernel holds rather than trust our own request. */
	if (pthread_getschedparam(pthread_self(), &policy, &sp) == 0 && policy == SCHED_FIFO) {
		st->policy = VX_RT_FIFO;
		st->priority = sp.sched_priority;
	}

	if (t->cfg.pin) {
		cpu_set_t set;

		CPU_ZERO(&set);
		if (t->cfg.cpu < CPU_SETSIZE) {
			CPU_SET(t->cfg.cpu, &set);
			st->pin_error = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
		} else {
			st->pin_error = EINVAL;
		}
		st->pinned = !st->pin_error;
	}

	if (!t->cfg.stack_bytes || t->cfg.stack_bytes >= 4 * PREFAULT_BYTES)
		prefault_stack();

	/* The status is final: the creator reads it after this post. */
	sem_post(&t->ready);
	return t->fn(t->arg);
}

int vx_rt_start(struct vx_rt_thread **out, const struct vx_rt_config *cfg,
		void *(*fn)(void *), void *arg)
{
	struct vx_rt_thread *t;
	pthread_attr_t attr;
	struct sched_param other = { .sched_priority = 0 };
	int err;

	if (!fn)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	if (cfg)
		t->cfg = *cfg;
	if (t->cfg.name) {
		/* The kernel refuses longer names (ERANGE): keep the first 15 bytes. */
		strncpy(t->name, t->cfg.name, sizeof(t->name) - 1);
		t->cfg.name = t->name;
	}
	t->fn = fn;
	t->arg = arg;
	if (sem_init(&t->ready, 0, 0) < 0) {
		err = errno;
		goto err_free;
	}

	err = pthread_attr_init(&attr);
	if (err)
		goto err_sem;
	if (t->cfg.stack_bytes) {
		err = pthread_attr_setstacksize(&attr, t->cfg.stack_bytes);
		if (err)
			goto err_attr;
	}
	/*
	 * Start from SCHED_OTHER whatever the creator runs under, so the thread's
	 * policy depends on its config alone; it raises itself to FIFO in the
	 * trampoline, where a refusal costs nothing but a note.
	 */
	err = pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
	if (!err)
		err = pthread_attr_setschedpolicy(&attr, SCHED_OTHER);
	if (!err)
		err = pthread_attr_setschedparam(&attr, &other);
	if (err)
		goto err_attr;

	/* Before the thread exists, so that MCL_FUTURE covers its stack. */
	if (t->cfg.lock_memory) {
		t->status.lock_error = lock_memory();
		t->status.memory_locked = !t->status.lock_error;
	}

	err = pthread_create(&t->thread, &attr, trampoline, t);
	if (err)
		goto err_attr;
	pthread_attr_destroy(&attr);

	while (sem_wait(&t->ready) < 0 && errno == EINTR)
		;
	*out = t;
	return 0;

err_attr:
	pthread_attr_destroy(&attr);
err_sem:
	sem_destroy(&t->ready);
err_free:
	free(t);
	return -err;
}

int vx_rt_join(struct vx_rt_thread *t, void **ret)
{
	void *r;
	int err;

	if (t->joined)
		return -EINVAL;
	err = pthread_join(t->thread, &r);
	if (err)
		return -err;
	t->joined = true;
	if (ret)
		*ret = r;
	return 0;
}

void vx_rt_destroy(struct vx_rt_thread *t)
{
	if (!t)
		return;
	if (!t->joined)
		vx_rt_join(t, NULL);
	sem_destroy(&t->ready);
	free(t);
}

const struct vx_rt_status *vx_rt_status(const struct vx_rt_thread *t)
{
	return &t->status;
}

enum vx_rt_policy vx_rt_policy(const struct vx_rt_thread *t, int *fifo_error)
{
	if (fifo_error)
		*fifo_error = t->status.fifo_error;
	return t->status.policy;
}

const char *vx_rt_policy_name(enum vx_rt_policy policy)
{
	return policy == VX_RT_FIFO ? "FIFO" : "OTHER";
}
