/* The workload plug-in contract: what a task does, in a blocking form (serial, threads,
 * processes) and optionally a non-blocking form an event loop drives. */
#ifndef PB_WORKLOAD_H
#define PB_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "harness/error.h"
#include "harness/params.h"
#include "harness/record.h"

struct uv_loop_s;

enum pb_workload_flags {
    PB_WL_CPU = 1 << 0,  /* burns CPU: speed-up against serial is meaningful */
    PB_WL_IO = 1 << 1,   /* waits: an event loop can overlap it */
    PB_WL_HTTP = 1 << 2, /* talks HTTP: the driver provides a target when no url is given */
};

/* What a workload knows of the run it is part of (one repetition). */
struct pb_workload_env {
    const struct pb_params *params;
    unsigned concurrency; /* tasks in progress at once, at most (workers, permits) */
    unsigned workers;     /* how many worker_init calls there will be */
    uint64_t tasks;       /* tasks planned; 0 with --duration */
    uint64_t timeout_ns;  /* per task; 0 for none */
    const char *url;      /* io.http: the target (--url or the embedded one); NULL otherwise */
};

/* What one worker (thread, process or loop) is. */
struct pb_worker_env {
    unsigned index;
    struct uv_loop_s *loop; /* the worker's libuv loop, or NULL for the blocking form */
};

/* One task in flight in the non-blocking form. The runner owns it; the workload's own
 * task_size bytes follow it (pb_async_task_data). The workload calls done exactly once, from
 * start's failure path, from cancel, or later from a loop callback; the runner reuses the bytes
 * only after done. */
struct pb_async_task {
    _Alignas(16) uint64_t index; /* so that the workload's bytes after it are 16-aligned */
    uint64_t created_ns;
    uint64_t started_ns;
    void *runner_data;
    void (*done)(struct pb_async_task *t, enum pb_status st, uint64_t bytes);
};

static inline void *pb_async_task_data(struct pb_async_task *t)
{
    return t + 1;
}

struct pb_workload_ops {
    const char *name;
    const char *description;
    unsigned flags;
    const struct pb_param_def *params;
    size_t nparams;

    /* Optional. Once per repetition, in the driver, before any worker exists: shared state all
     * workers use. It must live in shared memory (pb_shm_alloc) since workers may be processes. */
    int (*prepare)(const struct pb_workload_env *env, void **shared, struct pb_err *err);
    /* Optional. After the repetition: check what only the whole run can show (a counter). */
    int (*verify)(void *shared, const struct pb_workload_env *env, uint64_t tasks_ok,
                  uint64_t tasks_crashed, struct pb_err *err);
    /* Optional. Facts for the document ("requested_ms", "bytes_per_task"); a new object. */
    json_t *(*report)(void *shared, const struct pb_workload_env *env);
    /* Optional. Undoes prepare; accepts NULL. */
    void (*release)(void *shared);

    /* Optional. Per worker, in the worker's own thread or process, before the start barrier.
     * worker_fini runs on the same thread; for a loop worker after uv_run has returned and
     * before uv_loop_close, so it may run the loop itself to finish closing its handles. */
    int (*worker_init)(void *shared, const struct pb_workload_env *env,
                       const struct pb_worker_env *wenv, void **wstate, struct pb_err *err);
    void (*worker_fini)(void *wstate);

    /* Required. The blocking form: one task; returns its status, adds bytes moved. */
    enum pb_status (*run)(void *wstate, uint64_t index, uint64_t *bytes);

    /* Optional non-blocking form: start the task on wenv->loop and return at once (-errno when
     * it could not start; the runner records a failure). cancel asks a started task to stop:
     * the workload then calls done with PB_FAIL_TIMEOUT. Without start, a loop runs run inline. */
    size_t task_size;
    int (*start)(void *wstate, struct pb_async_task *t);
    void (*cancel)(void *wstate, struct pb_async_task *t);
};

/* Calls through the optional callbacks, doing nothing (and succeeding) where one is NULL. */
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
