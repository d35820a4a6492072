/* The runners and workloads parbench knows: the built-in tables (runners/list.h,
 * workloads/list.h), then those of the plug-ins loaded (harness/plugin.h), in load order. */
#ifndef PB_REGISTRY_H
#define PB_REGISTRY_H

#include <stddef.h>

#include "harness/runner.h"
#include "harness/workload.h"

size_t pb_runner_count(void);
const struct pb_runner_ops *pb_runner_at(size_t i);
size_t pb_workload_count(void);
const struct pb_workload_ops *pb_workload_at(size_t i);

const struct pb_runner_ops *pb_runner_find(const char *name);
const struct pb_workload_ops *pb_workload_find(const char *name);

/* Where a runner or workload comes from: NULL for a built-in, else the plug-in's file. */
const char *pb_runner_origin(const struct pb_runner_ops *r);
const char *pb_workload_origin(const struct pb_workload_ops *w);

#endif
