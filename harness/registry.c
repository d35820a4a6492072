/* The one table of runners and the one table of workloads. */
#include "harness/registry.h"

#include <string.h>

#include "runners/runners.h"
#include "workloads/workloads.h"

const struct pb_runner_ops *const pb_runners[] = {
    &pb_runner_serial,    &pb_runner_threads,   &pb_runner_processes,
    &pb_runner_eventloop, &pb_runner_semaphore,
};
const size_t pb_runner_count = sizeof(pb_runners) / sizeof(pb_runners[0]);

const struct pb_workload_ops *const pb_workloads[] = {
    &pb_workload_null,       &pb_workload_cpu_sumsq,  &pb_workload_cpu_primes,
    &pb_workload_cpu_matmul, &pb_workload_mem_stream, &pb_workload_sync_lock,
    &pb_workload_io_sleep,   &pb_workload_io_http,    &pb_workload_io_file,
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
