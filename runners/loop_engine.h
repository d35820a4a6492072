/* The machinery eventloop and semaphore share: L libuv loops on L pinned threads, tasks
 * created up front (gather) and started as permits allow, per-task timeouts, open-loop
 * arrivals, and CPU work run inline on the loop. */
#ifndef PB_LOOP_ENGINE_H
#define PB_LOOP_ENGINE_H

#include "harness/runner.h"

/* permits: tasks in progress at once over all loops; 0 for no limit (gather). */
int pb_loop_engine_run(const struct pb_run_spec *spec, unsigned permits, struct pb_run_stats *stats,
                       struct pb_err *err);
/* Every task of a loop holds a slot: memory for all of them must fit (a gather of -n 1G would
 * meet the OOM killer). */
int pb_loop_engine_preflight(const struct pb_run_spec *spec, struct pb_err *err);

#endif
