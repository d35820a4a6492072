/* semaphore: the event loop with a counting semaphore: all tasks exist up front and at most C
 * run at once (the seed's limited_fetch). Latency includes the wait for a permit; service time
 * does not. */
#include "runners/loop_engine.h"
#include "harness/runner.h"

static int semaphore_run(const struct pb_run_spec *spec, struct pb_run_stats *stats,
                         struct pb_err *err)
{
    return pb_loop_engine_run(spec, spec->concurrency, stats, err);
}

const struct pb_runner_ops pb_runner_semaphore = {
    .name = "semaphore",
    .description = "libuv loop(s) where a counting semaphore lets C of all tasks run at once",
    .flags = PB_RUNNER_LOOPS,
    .preflight = pb_loop_engine_preflight,
    .run = semaphore_run,
};
