/* The workload contract is include/parbench/parbench.h (struct pb_workload_ops): the plug-in
 * interface. Here the harness's side of it: calls through the optional callbacks. The harness
 * knows no workload by name: everything a workload needs comes through the contract. */
#ifndef PB_WORKLOAD_H
#define PB_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "harness/error.h"
#include "harness/load.h"
#include "harness/params.h"
#include "harness/record.h"

/* The process group the calling worker's task runs a command in (exec), 0 when none. A process
 * worker whose --timeout expires exits at once, from a signal handler: it kills this group
 * first, so that the command does not outlive the task. Only a process worker reads it (a
 * process runs one task at a time); in-process workers may set it, to no effect. */
void pb_task_pgroup_set(pid_t pgid);
pid_t pb_task_pgroup(void); /* async-signal-safe */

/* Calls through the optional callbacks, doing nothing (and succeeding) where one is NULL. */
int pb_workload_preflight(const struct pb_workload_ops *w, const struct pb_workload_env *env,
                          struct pb_err *err);
int pb_workload_fixture_setup(const struct pb_workload_ops *w, const struct pb_workload_env *env,
                              void **fixture, struct pb_err *err);
void pb_workload_fixture_rep_begin(const struct pb_workload_ops *w, void *fixture);
json_t *pb_workload_fixture_rep_report(const struct pb_workload_ops *w, void *fixture);
void pb_workload_fixture_teardown(const struct pb_workload_ops *w, void *fixture);
int pb_workload_prepare(const struct pb_workload_ops *w, const struct pb_workload_env *env,
                        void **shared, struct pb_err *err);
int pb_workload_verify(const struct pb_workload_ops *w, void *shared,
                       const struct pb_workload_env *env, uint64_t tasks_ok, uint64_t tasks_crashed,
                       struct pb_err *err);
json_t *pb_workload_report(const struct pb_workload_ops *w, void *shared,
                           const struct pb_workload_env *env);
void pb_workload_release(const struct pb_workload_ops *w, void *shared);
int pb_workload_worker_init(const struct pb_workload_ops *w, void *shared,
                            const struct pb_workload_env *env, const struct pb_worker_env *wenv,
                            void **wstate, struct pb_err *err);
void pb_workload_worker_fini(const struct pb_workload_ops *w, void *wstate);

#endif
