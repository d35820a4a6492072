/* eventloop: every task started at once on a libuv loop, as asyncio.gather does; waits overlap,
 * CPU work runs inline and blocks the loop (which the numbers show). --loops L runs L loops on
 * L pinned threads, one per core, as wrk and nginx do. */
#include "runners/loop_engine.h"
#include "harness/runner.h"

static int eventloop_run(const struct pb_run_spec *spec, struct pb_run_stats *stats,
                         struct pb_err *err)
{
    return pb_loop_engine_run(spec, 0, stats, err);
}

const struct pb_runner_ops pb_runner_eventloop = {
    .name = "eventloop",
    .description = "libuv loop(s) starting every task at once (asyncio.gather); --loops L",
    .flags = PB_RUNNER_GATHER | PB_RUNNER_LOOPS,
    .preflight = pb_loop_engine_preflight,
    .run = eventloop_run,
};
