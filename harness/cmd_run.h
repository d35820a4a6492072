/* `parbench run`: options or a suite into a plan, the plan into a result document. */
#ifndef PB_CMD_RUN_H
#define PB_CMD_RUN_H

#include "harness/error.h"
#include "harness/plan.h"
#include "harness/topo.h"

int pb_cmd_run(int argc, char **argv);

/* Checks a complete plan before any work: every case's pin list against the topology, and every
 * workload's parameters by preparing it once (a directory that is not writable, say). */
int pb_plan_check(const struct pb_plan *plan, const struct pb_topo *topo, struct pb_err *err);

#endif
