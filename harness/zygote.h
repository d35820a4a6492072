/* The zygote: a process forked before any thread exists, in which the runners that fork run
 * their repetitions. After fork only the forking thread exists in the child, and any lock
 * another thread held (malloc's, stdio's, libuv's thread pool's) stays held for good: process
 * workers must come from a process that never had threads. The driver hands the zygote a run
 * spec in shared memory (harness/shm.h) and waits for its stats. */
#ifndef PB_ZYGOTE_H
#define PB_ZYGOTE_H

#include "harness/runner.h"

/* Forks the zygote. Call before any thread is created; the shared memory arena must be
 * reserved already. -errno with err set. */
int pb_zygote_start(struct pb_err *err);
/* Runs r->run(spec, stats, err) in the zygote (in this process when no zygote was started).
 * spec and everything it points to must be in the arena. */
int pb_zygote_run(const struct pb_runner_ops *r, const struct pb_run_spec *spec,
                  struct pb_run_stats *stats, struct pb_err *err);
/* Ends the zygote and reaps it. */
void pb_zygote_stop(void);
/* The zygote's pid, or 0 when none runs (the machine watch reads its CPU time). */
int pb_zygote_pid(void);

#endif
