/* What all runners share: the worker count rule. */
#include "harness/runner.h"

unsigned pb_runner_workers(const struct pb_runner_ops *r, unsigned c, unsigned l)
{
    if (r->flags & PB_RUNNER_SINGLE)
        return 1;
    if (r->flags & PB_RUNNER_LOOPS)
        return l ? l : 1;
    return c;
}
