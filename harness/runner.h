/* The runner plug-in contract: a concurrency model that executes the tasks of one repetition. */
#ifndef PB_RUNNER_H
#define PB_RUNNER_H

#include <stdint.h>

#include "harness/error.h"
#include "harness/params.h"
#include "harness/record.h"
#include "harness/pin.h"
#include "harness/workload.h"

enum pb_runner_flags {
    PB_RUNNER_SINGLE = 1 << 0, /* one worker: concurrency is always 1 (serial) */
    PB_RUNNER_GATHER = 1 << 1, /* every task at once; -c is not its word (eventloop) */
    PB_RUNNER_LOOPS = 1 << 2,  /* workers are event loops (--loops), not -c */
};

enum pb_arrivals {
    PB_ARRIVALS_UNIFORM,
    PB_ARRIVALS_POISSON,
};

/* Everything a runner needs for one repetition; the driver owns all of it. */
struct pb_run_spec {
    const struct pb_workload_ops *wl;
    const struct pb_workload_env *env;
    void *wl_shared;

    unsigned concurrency; /* tasks in progress at most (threads, processes, permits) */
    unsigned workers;     /* records[] and pins->sets[] entries */
    uint64_t tasks;       /* planned tasks; 0 with duration_ns */
    uint64_t duration_ns; /* with tasks == 0: start tasks until this much time has passed */
    double rate;          /* open loop: tasks per second; 0 for a closed loop */
    enum pb_arrivals arrivals;
    uint64_t seed;        /* for poisson arrivals */
    unsigned queue_depth; /* threads and processes: the bounded queue */
    uint64_t timeout_ns;  /* per task; 0 for none */
    uint64_t grace_ns;    /* on interruption: how long running process workers may finish */
    int fail_fast;

    const struct pb_pin_plan *pins;
    struct pb_worker_record *records; /* one per worker, in shared memory */
};

/* What the runner measured of the repetition as a whole. */
struct pb_run_stats {
    uint64_t start_ns;  /* the start barrier opened (the end: the workers' last finish) */
    uint64_t submitted; /* tasks handed to workers (scheduled, in an open loop) */
    uint64_t workers_peak_rss_bytes; /* process workers' peak RSS, summed */
    int stopped;                     /* ended early: interrupted or --fail-fast */
};

struct pb_runner_ops {
    const char *name;
    const char *description;
    unsigned flags;
    /* Runs one repetition: every worker bound to its pin set, all behind one start barrier,
     * every task recorded in spec->records. 0, or a negative code with err set when the run
     * could not happen at all (a failed task is a result, not an error). */
    int (*run)(const struct pb_run_spec *spec, struct pb_run_stats *stats, struct pb_err *err);
};

/* How many workers (records, pin sets) the runner uses at concurrency c with l loops. */
unsigned pb_runner_workers(const struct pb_runner_ops *r, unsigned c, unsigned l);

/* Set from the SIGINT/SIGTERM handler and by --fail-fast: stop taking tasks. */
void pb_stop_request(void);
int pb_stop_requested(void);

#endif
