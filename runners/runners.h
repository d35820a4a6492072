/* Every runner plug-in, one per file; harness/registry.c lists them in one table. */
#ifndef PB_RUNNERS_H
#define PB_RUNNERS_H

#include "harness/runner.h"

extern const struct pb_runner_ops pb_runner_serial;
extern const struct pb_runner_ops pb_runner_threads;
extern const struct pb_runner_ops pb_runner_processes;
extern const struct pb_runner_ops pb_runner_eventloop;
extern const struct pb_runner_ops pb_runner_semaphore;

#endif
