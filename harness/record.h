/* What one worker records of its tasks: kept per worker (in shared memory for processes), merged
 * after the run, so that the per-task path takes no lock and allocates nothing. */
#ifndef PB_RECORD_H
#define PB_RECORD_H

#include <stdint.h>
#include <sys/resource.h>

#include "harness/cpuset.h"
#include "harness/histogram.h"

#include "parbench/parbench.h"

/* What a worker itself used of the machine while it ran tasks (getrusage deltas). */
struct pb_usage {
    double user_s, sys_s;
    uint64_t voluntary_switches, involuntary_switches;
    uint64_t minor_faults, major_faults;
};

struct pb_worker_record {
    struct pb_hist latency; /* finished - created (or scheduled, open loop) */
    struct pb_hist service; /* finished - started */
    uint64_t status[PB_STATUS_COUNT];
    uint64_t bytes;          /* bytes moved by the workload (stream, http, file) */
    uint64_t last_finish_ns; /* when this worker finished its last task */
    struct pb_cpuset given;  /* the set the worker was bound to */
    struct pb_cpuset seen;   /* the CPUs its tasks finished on */
    uint64_t migrations;     /* CPU changes between consecutive tasks */
    int last_cpu;            /* -1 before the first task */
    uint32_t replacements;   /* process workers that died and were replaced in this slot */
    struct pb_usage usage;   /* from the start barrier to the last task, all its processes */
    char last_failure[128];  /* the cause of the last failure, for the document */
    /* Runnable but waiting for a CPU, and the wall time it was read over (harness/machine.h):
     * the worker's own readings at its start and end, kept here so a process's reach the driver. */
    uint64_t sched_wait_ns, sched_wall_ns;
};

void pb_record_reset(struct pb_worker_record *r, const struct pb_cpuset *given);

/* The hot path: one task's timestamps (CLOCK_MONOTONIC ns), status, bytes and CPU. */
static inline void pb_record_task(struct pb_worker_record *r, uint64_t created, uint64_t started,
                                  uint64_t finished, enum pb_status st, uint64_t bytes, int cpu)
{
    pb_hist_record(&r->latency, finished - created);
    pb_hist_record(&r->service, finished - started);
    r->status[st]++;
    r->bytes += bytes;
    r->last_finish_ns = finished;
    if (cpu >= 0) {
        pb_cpuset_add(&r->seen, (unsigned)cpu);
        if (r->last_cpu >= 0 && r->last_cpu != cpu)
            r->migrations++;
        r->last_cpu = cpu;
    }
}

uint64_t pb_record_tasks(const struct pb_worker_record *r);
/* Adds the difference between two getrusage readings to u. */
void pb_usage_add(struct pb_usage *u, const struct rusage *before, const struct rusage *after);

#endif
