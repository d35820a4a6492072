/* What the machine can give a case, checked before any work starts: memory, threads and
 * processes, against the system's and this process's cgroup and resource limits. A plan that
 * cannot fit is refused with the figures (exit 3) instead of meeting the OOM killer or running
 * out of process IDs half way. */
#ifndef PB_LIMITS_H
#define PB_LIMITS_H

#include <stdint.h>

#include "harness/error.h"
#include "harness/runner.h"

/* Bytes this process could still allocate: MemAvailable, capped by the cgroup's memory.max. */
uint64_t pb_limits_memory_available(void);
/* Threads and processes that can still be started: pid_max, threads-max, the cgroup's
 * pids.max and (not as root) RLIMIT_NPROC, minus what runs now. */
uint64_t pb_limits_tasks_available(void);

/* -ENOMEM or -EAGAIN, err naming what (the runner) needs, what there is, and the hint ("lower
 * -c"), when threads + processes new tasks or bytes of memory cannot be had. */
int pb_limits_check(const char *what, uint64_t threads, uint64_t processes, uint64_t bytes,
                    const char *hint, struct pb_err *err);
/* The memory a repetition of spec takes besides the workload: the workers' records, per_worker
 * bytes for each worker (a stack, a process), and the bounded queue when queued. */
uint64_t pb_limits_worker_bytes(const struct pb_run_spec *spec, uint64_t per_worker, int queued);

#endif
