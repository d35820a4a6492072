/* Suite files: a JSON matrix of runners x workloads x parameter values x concurrency levels,
 * with repetitions, warm-ups, pin policy and load model, loaded into a plan's cases. */
#ifndef PB_SUITE_H
#define PB_SUITE_H

#include <jansson.h>

#include "harness/error.h"
#include "harness/plan.h"

/* Appends the suite's cases to plan. Anything unknown or malformed fails before any work with
 * -EINVAL and a one-line err naming the file and the position ("suites/x.json: groups[2]:
 * unknown runner 'fibers'"; "suites/x.json: line 4 column 9: not JSON: ..."). */
int pb_suite_load(const char *path, struct pb_plan *plan, struct pb_err *err);

/* The suite that runs exactly case c and nothing else: one group with its runner, workload,
 * parameter values, concurrency and every setting. pb_suite_load reads it back into the same
 * case (--isolate hands it to each child, so nothing is rebuilt by hand). A new reference. */
json_t *pb_suite_of_case(const struct pb_case_spec *c);

#endif
