/* The driver: runs every case of a plan, warm-ups and repetitions, around the runners, with each
 * case's fixture; measures what surrounds the runner (wall time, memory) and fills typed
 * results. */
#ifndef PB_DRIVER_H
#define PB_DRIVER_H

#include <stdint.h>

#include "harness/error.h"
#include "harness/plan.h"
#include "harness/result.h"
#include "harness/topo.h"

struct pb_outcome {
    uint64_t tasks;   /* tasks that ended, kept repetitions only */
    uint64_t failed;  /* of which failed (timeouts included) */
    int check_failed; /* a workload's check of a whole repetition failed */
};

/* What the driver ran, case by case in plan order: kept even when the run stopped or failed. */
struct pb_run_results {
    struct pb_case_result *cases;
    size_t count;
};

void pb_run_results_free(struct pb_run_results *r);

/* Runs the plan into results. Returns 0 (failed tasks are results, a stop ends the plan early:
 * the stop channel says why), or a negative code with err set when a case could not run at all
 * (the environment refused); results then hold everything measured until then. */
int pb_driver_run(const struct pb_plan *plan, const struct pb_topo *topo,
                  struct pb_run_results *results, struct pb_outcome *out, struct pb_err *err);

#endif
