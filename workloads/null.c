/* null: a task that does nothing, to measure what a runner itself costs per task. Its test-only
 * parameters make chosen tasks fail or kill their worker, to exercise failure accounting. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parbench/parbench.h"

struct null_state {
    int64_t fail_every;
    int64_t crash_every;
    char crash_mode[16];
};

static const struct pb_param_def null_params[] = {
    {"fail_every", PB_PARAM_INT, "0", 0, 1e12,
     "test only: every Nth task reports a wrong result (0: never)"},
    {"crash_every", PB_PARAM_INT, "0", 0, 1e12,
     "test only: every Nth task kills its worker (0: never; use with -r processes)"},
    {"crash_mode", PB_PARAM_STRING, "abort", 0, -1,
     "test only: how a crashing task dies: abort, segv or exit"},
};

/* A crash kills the worker: only a process worker can die without taking the run with it. */
static int null_preflight(const struct pb_workload_env *env, struct pb_err *err)
{
    const char *mode = pb_param_str(env->params, "crash_mode");
    if (strcmp(mode, "abort") && strcmp(mode, "segv") && strcmp(mode, "exit"))
        return pb_err_set(err, -EINVAL, "null: crash_mode '%.32s' is not abort, segv or exit",
                          mode);
    if (pb_param_int(env->params, "crash_every") && !env->worker_processes)
        return pb_err_set(err, -EINVAL,
                          "null: crash_every kills the worker, which only -r processes survives");
    return 0;
}

static int null_prepare(const struct pb_workload_env *env, void **shared, struct pb_err *err)
{
    const char *mode = pb_param_str(env->params, "crash_mode");
    struct null_state *s = pb_shm_alloc(sizeof(*s));
    if (!s)
        return pb_err_set(err, -ENOMEM, "null: out of memory");
    s->fail_every = pb_param_int(env->params, "fail_every");
    s->crash_every = pb_param_int(env->params, "crash_every");
    snprintf(s->crash_mode, sizeof(s->crash_mode), "%s", mode);
    *shared = s;
    return 0;
}

static void null_release(void *shared)
{
    pb_shm_free(shared, sizeof(struct null_state));
}

static void crash(const char *mode)
{
    if (strcmp(mode, "exit") == 0)
        _exit(3);
    if (strcmp(mode, "segv") == 0)
        raise(SIGSEGV);
    abort();
}

static enum pb_status null_run(void *wstate, uint64_t index, uint64_t *bytes)
{
    const struct null_state *s = wstate;
    if (s->crash_every && (index + 1) % (uint64_t)s->crash_every == 0)
        crash(s->crash_mode);
    if (s->fail_every && (index + 1) % (uint64_t)s->fail_every == 0)
        return PB_FAIL_WRONG_RESULT;
    return PB_OK;
}

const struct pb_workload_ops pb_workload_null = {
    .name = "null",
    .description = "does nothing: the runner's own cost per task",
    .flags = 0,
    .params = null_params,
    .nparams = sizeof(null_params) / sizeof(null_params[0]),
    .preflight = null_preflight,
    .prepare = null_prepare,
    .release = null_release,
    .run = null_run,
};
