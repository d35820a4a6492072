/* The stop channel: ONE way for anything to say "stop taking tasks" and for everything to hear
 * it, with the reason. A SIGINT or SIGTERM, a failed task under --fail-fast (in a thread, a loop
 * or a process worker), or an error of the run itself raise it; queues, the start gate and
 * timed waits hear it at once, because a stop wakes the futex words they sleep on.
 *
 * It lives in shared memory mapped before any worker process is forked, so process workers
 * raise and hear the same channel. A stop is sticky for the whole invocation: the cases after
 * it do not run. The end of a --duration is not a stop: it is the load's own end
 * (harness/load.h), and the repetition it ends is complete. */
#ifndef PB_STOP_H
#define PB_STOP_H

#include <stdatomic.h>
#include <stdint.h>

#include "parbench/parbench.h"

/* Maps the channel into shared memory and installs the SIGINT/SIGTERM handlers (SA_RESTART:
 * reads and writes resume; the waits that must end are woken explicitly); SIGPIPE is ignored.
 * Call first thing in main; before it, the channel is process-local and signals keep their
 * default action. */
int pb_stop_setup(void);

enum pb_stop_reason pb_stop_reason(void);

/* The signal that raised the stop, or 0. */
int pb_stop_signal(void);
/* "interrupted", "fail_fast", "error" or "completed" (no stop), as documents write it. */
const char *pb_stop_reason_name(enum pb_stop_reason reason);

/* How long tasks in flight may still finish after a stop (--grace); set per case. */
void pb_stop_set_grace(uint64_t grace_ns);
/* When the grace period ends (UINT64_MAX before a stop). */
uint64_t pb_stop_grace_end_ns(void);

/* Futex words to wake on a stop (a queue's, a gate's): a waiter on such a word re-checks
 * pb_stop_requested() when it wakes. -ENOSPC when too many are watched. */
int pb_stop_watch(_Atomic uint32_t *word);
void pb_stop_unwatch(_Atomic uint32_t *word);

/* Sleeps until CLOCK_MONOTONIC time t_ns; returns 0 then, or -ECANCELED as soon as a stop is
 * raised. */
int pb_stop_sleep_until(uint64_t t_ns);

/* Test hook: clears the channel (unit tests run several stops in one process). */
void pb_stop_reset(void);

#endif
