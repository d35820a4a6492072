/* The runner contract is include/parbench/parbench.h (struct pb_runner_ops, pb_run_spec): the
 * plug-in interface. A runner file holds its own queueing policy; the choreography every runner
 * shares is the crew (harness/crew.h), the end of the load harness/load.h, and the one stop
 * channel harness/stop.h. Here the harness's side: how many workers a runner uses. */
#ifndef PB_RUNNER_H
#define PB_RUNNER_H

#include <stdint.h>

#include "harness/error.h"
#include "harness/load.h"
#include "harness/pin.h"
#include "harness/record.h"
#include "harness/workload.h"

/* How many workers (records, pin sets) the runner uses at concurrency c with l loops. */
unsigned pb_runner_workers(const struct pb_runner_ops *r, unsigned c, unsigned l);

#endif
