/* What measuring a task costs: two CLOCK_MONOTONIC reads, sched_getcpu and recording into the
 * worker's histograms, per task, against an empty loop. Prints ns per task. */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness/clock.h"
#include "harness/record.h"

#define TASKS 20000000u

int main(void)
{
    struct pb_worker_record *rec = malloc(sizeof(*rec));
    struct pb_cpuset none = {{0}};
    if (!rec)
        return 1;
    pb_record_reset(rec, &none);
    volatile uint64_t sink = 0;

    uint64_t t0 = pb_now_ns();
    for (uint64_t i = 0; i < TASKS; i++)
        sink += i;
    uint64_t empty = pb_now_ns() - t0;

    t0 = pb_now_ns();
    for (uint64_t i = 0; i < TASKS; i++) {
        uint64_t started = pb_now_ns();
        sink += i;
        uint64_t finished = pb_now_ns();
        pb_record_task(rec, started, started, finished, PB_OK, 0, sched_getcpu());
    }
    uint64_t measured = pb_now_ns() - t0;

    double per = (double)(measured - empty) / TASKS;
    printf("measurement overhead: %.1f ns per task (2 clock reads, sched_getcpu, 2 histogram "
           "records; %u tasks)\n",
           per, TASKS);
    free(rec);
    return sink == 0;
}
