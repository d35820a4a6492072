/* The hot path every blocking worker (serial, threads, processes) runs per task. */
#ifndef PB_WORKER_H
#define PB_WORKER_H

#include <sched.h>

#include "harness/clock.h"
#include "harness/runner.h"

/* Runs and records one task. started_ns 0: stamped here; otherwise the caller already read the
 * clock as the task began (one read fewer per task). A task that overran --timeout in a form
 * that cannot be cancelled is counted as timed out when it ends. */
static inline enum pb_status pb_worker_task(const struct pb_run_spec *spec, void *wstate,
                                            struct pb_worker_record *rec, uint64_t index,
                                            uint64_t created_ns, uint64_t started_ns)
{
    uint64_t bytes = 0;
    uint64_t started = started_ns ? started_ns : pb_now_ns();
    enum pb_status st = spec->wl->run(wstate, index, &bytes);
    uint64_t finished = pb_now_ns();
    if (st == PB_OK && spec->timeout_ns && finished - started > spec->timeout_ns)
        st = PB_FAIL_TIMEOUT;
    pb_record_task(rec, created_ns ? created_ns : started, started, finished, st, bytes,
                   sched_getcpu());
    return st;
}

#endif
