/* --isolate: each repetition of a case in a fresh parbench process, so that no sample inherits
 * another's warm caches, allocator state or page tables; the children's documents are merged
 * into one case. */
#ifndef PB_ISOLATE_H
#define PB_ISOLATE_H

#include <jansson.h>

#include "harness/error.h"
#include "harness/plan.h"

/* Runs c's repetitions one child process each (each child runs c's warm-ups first, and gets
 * plan's --fail-fast and --grace) and returns the merged case in *jcase (a new reference).
 * *stopped is set when a child was interrupted or stopped by --fail-fast: no more children run.
 * A child that fails to run is an error naming its exit status and message. */
int pb_isolate_case(const struct pb_plan *plan, const struct pb_case_spec *c, json_t **jcase,
                    int *stopped, struct pb_err *err);

#endif
