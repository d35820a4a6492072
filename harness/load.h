/* The load of a repetition: how many tasks or for how long, closed or open loop, how arrivals
 * are spaced. One description shared by the plan, the runners and the schedule. */
#ifndef PB_LOAD_H
#define PB_LOAD_H

#include <stdint.h>

enum pb_arrivals {
    PB_ARRIVALS_UNIFORM,
    PB_ARRIVALS_POISSON,
};

struct pb_load {
    uint64_t tasks;       /* planned tasks; 0 with duration_ns */
    uint64_t duration_ns; /* with tasks == 0: start tasks until this much time has passed */
    double rate;          /* open loop: tasks per second; 0 for a closed loop */
    enum pb_arrivals arrivals;
    uint64_t seed; /* of the poisson arrivals; set per repetition */
};

static inline int pb_load_open(const struct pb_load *l)
{
    return l->rate > 0;
}

/* When a --duration load stops creating tasks (saturating); UINT64_MAX for a task count. */
static inline uint64_t pb_load_deadline(const struct pb_load *l, uint64_t start_ns)
{
    if (l->tasks || start_ns > UINT64_MAX - l->duration_ns)
        return UINT64_MAX;
    return start_ns + l->duration_ns;
}

/* Part k of n of a load shared between n event loops: every n-th task, 1/n of the rate, a seed
 * of its own. */
struct pb_load pb_load_share(const struct pb_load *l, unsigned k, unsigned n);

/* Tasks the load creates at most: the count, or rate x duration for an open loop; 0 when a
 * closed --duration loop has no bound of its own. */
uint64_t pb_load_max_tasks(const struct pb_load *l);

const char *pb_arrivals_name(enum pb_arrivals a);

#endif
