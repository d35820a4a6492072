/* The load description. */
#include "harness/load.h"

#include <math.h>

struct pb_load pb_load_share(const struct pb_load *l, unsigned k, unsigned n)
{
    struct pb_load s = *l;
    s.tasks = l->tasks / n + (k < l->tasks % n);
    s.rate = l->rate / n;
    s.seed = l->seed ^ (k + 1) * 0x9e3779b97f4a7c15u;
    return s;
}

uint64_t pb_load_max_tasks(const struct pb_load *l)
{
    if (l->tasks)
        return l->tasks;
    if (l->rate > 0) {
        double n = ceil(l->rate * (double)l->duration_ns / 1e9);
        return n >= 1.8e19 ? UINT64_MAX : (uint64_t)n;
    }
    return 0;
}

const char *pb_arrivals_name(enum pb_arrivals a)
{
    return a == PB_ARRIVALS_POISSON ? "poisson" : "uniform";
}
