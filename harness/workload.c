/* Calls through the workload contract's optional callbacks. */
#include "harness/workload.h"

#include <stdatomic.h>

static _Atomic pid_t task_pgroup;

void pb_task_pgroup_set(pid_t pgid)
{
    atomic_store_explicit(&task_pgroup, pgid, memory_order_relaxed);
}

pid_t pb_task_pgroup(void)
{
    return atomic_load_explicit(&task_pgroup, memory_order_relaxed);
}

int pb_workload_preflight(const struct pb_workload_ops *w, const struct pb_workload_env *env,
                          struct pb_err *err)
{
    return w->preflight ? w->preflight(env, err) : 0;
}

int pb_workload_fixture_setup(const struct pb_workload_ops *w, const struct pb_workload_env *env,
                              void **fixture, struct pb_err *err)
{
    *fixture = NULL;
    return w->fixture_setup ? w->fixture_setup(env, fixture, err) : 0;
}

void pb_workload_fixture_rep_begin(const struct pb_workload_ops *w, void *fixture)
{
    if (w->fixture_rep_begin && fixture)
        w->fixture_rep_begin(fixture);
}

json_t *pb_workload_fixture_rep_report(const struct pb_workload_ops *w, void *fixture)
{
    return w->fixture_rep_report && fixture ? w->fixture_rep_report(fixture) : NULL;
}

void pb_workload_fixture_teardown(const struct pb_workload_ops *w, void *fixture)
{
    if (w->fixture_teardown)
        w->fixture_teardown(fixture);
}

int pb_workload_prepare(const struct pb_workload_ops *w, const struct pb_workload_env *env,
                        void **shared, struct pb_err *err)
{
    *shared = NULL;
    return w->prepare ? w->prepare(env, shared, err) : 0;
}

int pb_workload_verify(const struct pb_workload_ops *w, void *shared,
                       const struct pb_workload_env *env, uint64_t tasks_ok, uint64_t tasks_crashed,
                       struct pb_err *err)
{
    return w->verify ? w->verify(shared, env, tasks_ok, tasks_crashed, err) : 0;
}

json_t *pb_workload_report(const struct pb_workload_ops *w, void *shared,
                           const struct pb_workload_env *env)
{
    return w->report ? w->report(shared, env) : NULL;
}

void pb_workload_release(const struct pb_workload_ops *w, void *shared)
{
    if (w->release)
        w->release(shared);
}

int pb_workload_worker_init(const struct pb_workload_ops *w, void *shared,
                            const struct pb_workload_env *env, const struct pb_worker_env *wenv,
                            void **wstate, struct pb_err *err)
{
    *wstate = shared;
    return w->worker_init ? w->worker_init(shared, env, wenv, wstate, err) : 0;
}

void pb_workload_worker_fini(const struct pb_workload_ops *w, void *wstate)
{
    if (w->worker_fini)
        w->worker_fini(wstate);
}
