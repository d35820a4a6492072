/* The worker crew: the choreography every runner shares. Start N workers (threads or processes,
 * as the runner says), wait until each has set up or failed to, stamp the start, open the start
 * gate (the seed's threading.Event: set-up is never timed), let the runner drive its part (feed
 * an open loop, supervise), and join. A stop (harness/stop.h) during set-up abandons the start:
 * the gate opens for no one. A runner file then holds only its own queueing policy. */
#ifndef PB_CREW_H
#define PB_CREW_H

#include <sys/resource.h>

#include "harness/gate.h"
#include "harness/runner.h"

struct uv_loop_s;
struct pb_ltimers;
struct pb_crew;

struct pb_crew_ops {
    /* Starts worker i (a thread or a process), which runs pb_crew_worker_* below. -errno. */
    int (*spawn)(struct pb_crew *crew, unsigned i);
    /* Optional. Every few milliseconds while the workers set up: a negative code abandons the
     * start with err set (a worker process died, or took too long). */
    int (*poll)(struct pb_crew *crew, struct pb_err *err);
    /* Optional. Once every worker is ready, after the start is stamped and before the gate
     * opens (a closed loop's claiming starts at start_ns). */
    void (*begin)(struct pb_crew *crew, uint64_t start_ns);
    /* Optional. The driver's part while the workers run (feeding an open loop, supervising
     * processes); returns when that part is over. A negative code is an error of the run. */
    int (*drive)(struct pb_crew *crew, struct pb_err *err);
    /* Waits until every spawned worker has ended (joins threads, reaps processes). */
    void (*join)(struct pb_crew *crew);
};

struct pb_crew {
    const struct pb_crew_ops *ops;
    const struct pb_run_spec *spec;
    struct pb_run_stats *stats;
    struct pb_gate *gate; /* in shared memory: process workers arrive at it too */
    unsigned spawned;     /* workers started */
    void *runner;         /* the runner's own state */
};

/* Prepares a crew for spec (the gate in shared memory). -ENOMEM. */
int pb_crew_init(struct pb_crew *crew, const struct pb_crew_ops *ops,
                 const struct pb_run_spec *spec, struct pb_run_stats *stats, void *runner);
void pb_crew_destroy(struct pb_crew *crew);
/* The whole choreography. 0 once the workers have run and been joined; -ECANCELED when a stop
 * came before the start (no task ran); another negative code with err set when they could not
 * start (one failed to set up: its message) or the run failed. */
int pb_crew_run(struct pb_crew *crew, struct pb_err *err);

/* Worker side, in worker i's own thread or process. First bind to the pin set (before touching
 * memory the worker will use, so it is allocated near its CPU). */
int pb_crew_worker_bind(const struct pb_crew *crew, unsigned i, struct pb_err *err);
/* Sets up the workload (unless the runner's own set-up failed: setup_error) and arrives at the
 * gate; loop and timers are the worker's (struct pb_worker_env), NULL for a blocking worker. 0 when
 * the gate opened: run the tasks, then call pb_crew_worker_done. -ECANCELED when the start was
 * abandoned or set-up failed: leave (the workload is already torn down). */
int pb_crew_worker_ready(struct pb_crew *crew, unsigned i, struct uv_loop_s *loop,
                         struct pb_ltimers *timers, const struct pb_err *setup_error, void **wstate,
                         struct rusage *usage);
/* After the worker's last task: its usage since the gate opened into its record, and the
 * workload's worker_fini. */
void pb_crew_worker_done(struct pb_crew *crew, unsigned i, void *wstate,
                         const struct rusage *usage);

#endif
