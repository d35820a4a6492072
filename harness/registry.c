/* The one table of runners and the one table of workloads, from runners/list.h and
 * workloads/list.h. */
#include "harness/registry.h"

#include <string.h>

#define PB_RUNNER(x)   extern const struct pb_runner_ops pb_runner_##x;
#define PB_WORKLOAD(x) extern const struct pb_workload_ops pb_workload_##x;
#include "runners/list.h"
#include "workloads/list.h"
#undef PB_RUNNER
#undef PB_WORKLOAD

const struct pb_runner_ops *const pb_runners[] = {
#define PB_RUNNER(x) &pb_runner_##x,
#include "runners/list.h"
#undef PB_RUNNER
};
const size_t pb_runner_count = sizeof(pb_runners) / sizeof(pb_runners[0]);

const struct pb_workload_ops *const pb_workloads[] = {
#define PB_WORKLOAD(x) &pb_workload_##x,
#include "workloads/list.h"
#undef PB_WORKLOAD
};
const size_t pb_workload_count = sizeof(pb_workloads) / sizeof(pb_workloads[0]);

const struct pb_runner_ops *pb_runner_find(const char *name)
{
    for (size_t i = 0; i < pb_runner_count; i++)
        if (strcmp(pb_runners[i]->name, name) == 0)
            return pb_runners[i];
    return NULL;
}

const struct pb_workload_ops *pb_workload_find(const char *name)
{
    for (size_t i = 0; i < pb_workload_count; i++)
        if (strcmp(pb_workloads[i]->name, name) == 0)
            return pb_workloads[i];
    return NULL;
}
