/* What all runners share: the worker count rule and the stop flag. */
#include "harness/runner.h"

#include <stdatomic.h>

/* Lock-free, so it may be set from a signal handler and read from any thread. */
static atomic_int stop_flag;

unsigned pb_runner_workers(const struct pb_runner_ops *r, unsigned c, unsigned l)
{
    if (r->flags & PB_RUNNER_SINGLE)
        return 1;
    if (r->flags & PB_RUNNER_LOOPS)
        return l ? l : 1;
    return c;
}

void pb_stop_request(void)
{
    atomic_store_explicit(&stop_flag, 1, memory_order_relaxed);
}

int pb_stop_requested(void)
{
    return atomic_load_explicit(&stop_flag, memory_order_relaxed);
}
