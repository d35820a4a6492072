/* When the producer creates task i: at once (closed loop) or on a schedule (open loop, --rate),
 * and until when (-n tasks or --duration). Shared by every runner's producer. */
#ifndef PB_SCHEDULE_H
#define PB_SCHEDULE_H

#include <stdint.h>

#include "harness/load.h"
#include "harness/runner.h"
#include "harness/taskq.h"

struct pb_schedule {
    const struct pb_load *load;
    uint64_t start_ns;
    uint64_t deadline_ns; /* pb_load_deadline */
    uint64_t next_ns;     /* scheduled time of the next task (open loop) */
    uint64_t issued;
    uint64_t rng; /* xorshift state for poisson gaps */
};

void pb_schedule_init(struct pb_schedule *a, const struct pb_load *load, uint64_t start_ns);
/* The next task: 1 with *index and *scheduled_ns (0 in a closed loop: stamp it when it enters),
 * 0 when the load is over (-n reached, --duration over) or a stop was raised. */
int pb_schedule_next(struct pb_schedule *a, uint64_t *index, uint64_t *scheduled_ns);
/* Open loop: sleeps until the scheduled time (at once when late); 0, or -ECANCELED on a stop. */
int pb_schedule_wait(const struct pb_schedule *a, uint64_t scheduled_ns);

/* An open loop's producer: pushes spec's tasks into q on the schedule, counting them in
 * stats->submitted, then closes q. poll, when not NULL, runs at least every few milliseconds
 * while the producer waits (for a task's time or for room in q); a negative return ends the
 * feed with that code. */
int pb_schedule_feed(struct pb_taskq *q, const struct pb_run_spec *spec, struct pb_run_stats *stats,
                     int (*poll)(void *arg), void *arg);

#endif
