/* What all runners share: the worker count rule, and the task path a runner plug-in calls. */
#include "harness/runner.h"

#include "harness/worker.h"

unsigned pb_runner_workers(const struct pb_runner_ops *r, unsigned c, unsigned l)
{
    if (r->flags & PB_RUNNER_SINGLE)
        return 1;
    if (r->flags & PB_RUNNER_LOOPS)
        return l ? l : 1;
    return c;
}

/* The built-in runners inline pb_worker_task; a plug-in has no view of the record's layout. */
enum pb_status pb_run_task(const struct pb_run_spec *spec, unsigned worker, void *wstate,
                           uint64_t index, uint64_t created_ns)
{
    return pb_worker_task(spec, wstate, &spec->records[worker], index, created_ns, 0);
}

uint64_t pb_run_tasks_recorded(const struct pb_run_spec *spec, unsigned worker)
{
    return pb_record_tasks(&spec->records[worker]);
}
