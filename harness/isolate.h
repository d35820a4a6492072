/* --isolate: each repetition of a case in a fresh parbench process, so that no sample inherits
 * another's warm caches, allocator state or page tables. Each child gets its case as a suite
 * (pb_suite_of_case) on its standard input and writes its document on its standard output; the
 * parent keeps each child's repetition as it comes. */
#ifndef PB_ISOLATE_H
#define PB_ISOLATE_H

#include "harness/error.h"
#include "harness/plan.h"
#include "harness/result.h"

/* Runs c's repetitions one child each (each child runs c's warm-ups first, with the plan's
 * --fail-fast) into result, whose info is set. A stop (ours, or a child's: interrupted, or
 * stopped by --fail-fast) ends the case; the repetitions finished until then, and the stopped
 * child's own, are kept. A child that fails to run is an error naming its exit status and last
 * message. */
int pb_isolate_case(const struct pb_plan *plan, const struct pb_case_spec *c,
                    struct pb_case_result *result, struct pb_err *err);

#endif
