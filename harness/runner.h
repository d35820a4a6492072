/* The runner plug-in contract: a concurrency model that executes the tasks of one repetition.
 * A runner file holds its own queueing policy; the choreography every runner shares (spawn the
 * workers, wait for them to be set up, stamp the start, open the gate, join) is harness/crew.h,
 * the end of the load is harness/load.h, and the one stop channel harness/stop.h. */
#ifndef PB_RUNNER_H
#define PB_RUNNER_H

#include <stdint.h>

#include "harness/error.h"
#include "harness/load.h"
#include "harness/pin.h"
#include "harness/record.h"
#include "harness/workload.h"

enum pb_runner_flags {
    PB_RUNNER_SINGLE = 1 << 0, /* one worker: concurrency is always 1 (serial) */
    PB_RUNNER_GATHER = 1 << 1, /* every task at once; -c is not its word (eventloop) */
    PB_RUNNER_LOOPS = 1 << 2,  /* workers are event loops (--loops), not -c */
    PB_RUNNER_FORKS = 1 << 3,  /* workers are processes: its run executes in the zygote */
    PB_RUNNER_QUEUE = 1 << 4,  /* fed through the bounded queue (--queue-depth) */
};

/* Everything a runner needs for one repetition; the driver owns all of it. For a runner that
 * forks, this and everything it points to is in shared memory (harness/shm.h). */
struct pb_run_spec {
    const struct pb_workload_ops *wl;
    const struct pb_workload_env *env;
    void *wl_shared;

    unsigned concurrency; /* tasks in progress at most (threads, processes, permits); 0: all */
    unsigned workers;     /* records[] and pins->sets[] entries */
    struct pb_load load;
    unsigned queue_depth; /* the bounded queue, a power of two */
    uint64_t timeout_ns;  /* per task; 0 for none */
    uint64_t grace_ns;    /* after a stop: how long running tasks may finish */
    int fail_fast;

    const struct pb_pin_plan *pins;
    struct pb_worker_record *records; /* one per worker */
};

/* What the runner measured of the repetition as a whole (whether it was stopped early is the
 * stop channel's to say). */
struct pb_run_stats {
    uint64_t start_ns;               /* the start gate opened */
    uint64_t submitted;              /* tasks handed to workers (scheduled, in an open loop) */
    uint64_t workers_peak_rss_bytes; /* process workers' peak RSS, summed */
};

struct pb_runner_ops {
    const char *name;
    const char *description;
    unsigned flags;
    /* Optional. Before any work, for each case (spec without records, pins or shared state):
     * what the runner needs of the machine (processes, threads, memory for every task). 0, or
     * a negative code with err naming what is short (the environment refused: exit 3). */
    int (*preflight)(const struct pb_run_spec *spec, struct pb_err *err);
    /* Runs one repetition: every worker bound to its pin set, all behind one start gate, every
     * task recorded in spec->records. 0, or a negative code with err set when the run could not
     * happen at all (a failed task is a result, not an error). */
    int (*run)(const struct pb_run_spec *spec, struct pb_run_stats *stats, struct pb_err *err);
};

/* How many workers (records, pin sets) the runner uses at concurrency c with l loops. */
unsigned pb_runner_workers(const struct pb_runner_ops *r, unsigned c, unsigned l);

#endif
