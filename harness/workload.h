/* The workload plug-in contract: what a task does, in a blocking form (serial, threads,
 * processes) and optionally a non-blocking form an event loop drives; and, optionally, what a
 * case needs around its tasks (a fixture such as a server to talk to) and checks before any
 * work. The harness knows no workload by name: everything a workload needs comes through here. */
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

struct uv_loop_s;
struct pb_ltimers;

enum pb_workload_flags {
    PB_WL_CPU = 1 << 0, /* burns CPU: speed-up against serial is meaningful */
    PB_WL_IO = 1 << 1,  /* waits: an event loop can overlap it */
};

/* What a workload knows of the case it is part of. Plain data: process workers get a copy. */
struct pb_workload_env {
    const struct pb_params *params;
    unsigned concurrency; /* tasks in progress at once, at most; 0: every task at once */
    unsigned workers;     /* how many worker_init calls there will be */
    struct pb_load load;  /* tasks (0 with a duration), rate */
    uint64_t timeout_ns;  /* per task; 0 for none */
    int worker_processes; /* workers are processes: a crash kills one worker, not the run */
    int event_loops;      /* workers are event loops: the non-blocking form runs (or run inline) */
    int spare_pu;         /* a PU no worker is pinned to, or -1: where a fixture may go */
    /* The case fixture (fixture_setup's), for prepare; NULL in preflight and in workers, which
     * take what they need from the shared state prepare made. */
    void *fixture;
};

/* What one worker (thread, process or loop) is. */
struct pb_worker_env {
    unsigned index;
    struct uv_loop_s *loop; /* the worker's libuv loop, or NULL for the blocking form */
    /* The loop's precise timers (runners/loop_timers.h), NULL where loop is: nanosecond
     * deadlines on CLOCK_MONOTONIC behind one timerfd, for waits libuv's whole-millisecond
     * timers would stretch, at 24 bytes an entry in the task's own bytes. Used only on the
     * loop's thread (start, cancel and worker_init/fini run there; the callbacks run from the
     * loop). It lives from before worker_init until after worker_fini; an entry must be
     * stopped or have fired before done, since the runner reuses the task's bytes after it. */
    struct pb_ltimers *timers;
};

/* One task in flight in the non-blocking form. The runner owns it; the workload's own
 * task_size bytes follow it (pb_async_task_data). The runner reuses the bytes only after done. */
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

    /* Optional. Before any work, for every case of the plan: what the case needs up front
     * (descriptors for its connections, a server that accepts, a runner that can honour a
     * parameter). 0; -EINVAL when the plan asks for what cannot be (exit 2); another negative
     * code when the environment refuses (exit 3). err names it in one line. */
    int (*preflight)(const struct pb_workload_env *env, struct pb_err *err);

    /* Optional case fixture: once per case in the driver, before its first repetition, what the
     * case needs besides its workers (the embedded HTTP target); torn down after the last one,
     * also when the case failed or was interrupted (teardown accepts NULL). rep_begin and
     * rep_report bracket each repetition: rep_report returns the fixture's facts for it (a new
     * object, or NULL), which the document keeps as the repetition's "fixture". */
    int (*fixture_setup)(const struct pb_workload_env *env, void **fixture, struct pb_err *err);
    void (*fixture_rep_begin)(void *fixture);
    json_t *(*fixture_rep_report)(void *fixture);
    void (*fixture_teardown)(void *fixture);

    /* Optional. Once per repetition, in the driver, before any worker exists: shared state all
     * workers use. It must live in shared memory (pb_shm_alloc) since workers may be processes,
     * and point only into shared memory or static data. */
    int (*prepare)(const struct pb_workload_env *env, void **shared, struct pb_err *err);
    /* Optional. After the repetition: check what only the whole run can show (a counter). */
    int (*verify)(void *shared, const struct pb_workload_env *env, uint64_t tasks_ok,
                  uint64_t tasks_crashed, struct pb_err *err);
    /* Optional. Facts for the document ("requested_ms", "bytes_per_task"); a new object. */
    json_t *(*report)(void *shared, const struct pb_workload_env *env);
    /* Optional. Undoes prepare; accepts NULL. */
    void (*release)(void *shared);

    /* Optional. Per worker, in the worker's own thread or process, before the start gate.
     * worker_fini runs on the same thread; for a loop worker after uv_run has returned and
     * before uv_loop_close, so it may run the loop itself to finish closing its handles. */
    int (*worker_init)(void *shared, const struct pb_workload_env *env,
                       const struct pb_worker_env *wenv, void **wstate, struct pb_err *err);
    void (*worker_fini)(void *wstate);

    /* Required. The blocking form: one task; returns its status, adds bytes moved. A task that
     * waits should give up once pb_stop_grace_over() (harness/stop.h) says so. */
    enum pb_status (*run)(void *wstate, uint64_t index, uint64_t *bytes);

    /* Optional non-blocking form. start begins the task on wenv->loop and returns 0: the
     * workload then calls t->done exactly once (later from a loop callback, or before start
     * returns). Or start returns -errno without calling done: the task could not start, and the
     * runner records the failure. cancel asks a started task to stop (its --timeout expired,
     * or the run was stopped): the workload then calls done once, with PB_FAIL_TIMEOUT, at once
     * or later. Without start, a loop runs run inline. */
    size_t task_size;
    int (*start)(void *wstate, struct pb_async_task *t);
    void (*cancel)(void *wstate, struct pb_async_task *t);
};

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
