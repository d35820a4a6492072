/* The static tables of runners and workloads, and lookup by name. */
#ifndef PB_REGISTRY_H
#define PB_REGISTRY_H

#include <stddef.h>

#include "harness/runner.h"
#include "harness/workload.h"

extern const struct pb_runner_ops *const pb_runners[];
extern const size_t pb_runner_count;
extern const struct pb_workload_ops *const pb_workloads[];
extern const size_t pb_workload_count;

const struct pb_runner_ops *pb_runner_find(const char *name);
const struct pb_workload_ops *pb_workload_find(const char *name);

#endif
