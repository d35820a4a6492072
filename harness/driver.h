/* The driver: runs every case of a plan, repetitions and warm-ups, measures what surrounds the
 * runner (wall time, CPU, faults, memory), and fills the result document as it goes. */
#ifndef PB_DRIVER_H
#define PB_DRIVER_H

#include <jansson.h>
#include <stdint.h>

#include "harness/error.h"
#include "harness/plan.h"
#include "harness/topo.h"

struct pb_outcome {
    uint64_t tasks;   /* tasks that ended, kept repetitions only */
    uint64_t failed;  /* of which failed (timeouts included) */
    int check_failed; /* a workload's check of a whole repetition failed */
    int stopped;      /* interrupted or --fail-fast: the plan did not run to its end */
};

/* Runs the plan into doc's "cases". Returns 0 (failed tasks are results), or a negative code
 * with err set when a case could not run at all (the environment refused). */
int pb_driver_run(const struct pb_plan *plan, const struct pb_topo *topo, json_t *doc,
                  struct pb_outcome *out, struct pb_err *err);

#endif
