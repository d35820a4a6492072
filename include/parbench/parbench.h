/* parbench's plug-in interface: everything a workload or a runner plug-in needs, and nothing of
 * the harness's internals. The built-in workloads and runners are written against this same
 * header (the harness's own headers include it), so everything in the repository proves it.
 *
 * A plug-in is a shared object exporting one descriptor, `parbench_plugin` (PB_PLUGIN below),
 * built with `cc -shared -fPIC $(pkg-config --cflags parbench)`. Its functions run inside the
 * parbench process (and in its worker processes, which are forked after every plug-in is
 * loaded), calling back into it through the functions declared here.
 *
 * PB_ABI_VERSION changes whenever a structure or a function here changes incompatibly; parbench
 * refuses a plug-in built against another version, naming both. */
#ifndef PARBENCH_H
#define PARBENCH_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#define PB_ABI_VERSION 1

/* ---- Errors --------------------------------------------------------------------------------
 * Functions return 0 or a negative errno; a failing one fills a struct pb_err with one line
 * naming the problem, which parbench prints. */

/* Exit codes of the parbench command (see README.md). */
enum pb_exit {
    PB_EXIT_OK = 0,
    PB_EXIT_FAILED = 1, /* tasks failed beyond what was allowed, or a regression */
    PB_EXIT_USAGE = 2,  /* bad usage or input */
    PB_EXIT_ENV = 3,    /* the environment refused */
    PB_EXIT_INTERRUPTED = 130,
};

struct pb_err {
    char msg[512];
};

/* Formats the message into err (when err is not NULL) and returns code, so that a failing
 * function can `return pb_err_set(err, -EINVAL, "...", ...)`. */
int pb_err_set(struct pb_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- Parameters ----------------------------------------------------------------------------
 * A workload declares its parameters in a table; the user sets them with -p key=value (or a
 * suite's "params"), and the workload reads them by name. */

#define PB_PARAMS_MAX   16
#define PB_PARAM_STRMAX 1024

enum pb_param_type {
    PB_PARAM_INT,
    PB_PARAM_DOUBLE,
    PB_PARAM_BOOL,
    PB_PARAM_STRING,
};

struct pb_param_def {
    const char *name;
    enum pb_param_type type;
    const char *def; /* default, in the same text form a user writes */
    double min;      /* inclusive range for INT and DOUBLE, applied when min < max */
    double max;
    const char *help;
};

struct pb_param_value {
    int64_t i; /* INT and BOOL */
    double d;  /* DOUBLE (and INT, converted) */
    char s[PB_PARAM_STRMAX];
};

/* The values of one workload's parameters; plain data, so it can be copied into a fork. */
struct pb_params {
    const struct pb_param_def *defs;
    size_t count;
    struct pb_param_value v[PB_PARAMS_MAX];
};

/* Accessors by name; the name must exist in the table (a programming error otherwise). */
int64_t pb_param_int(const struct pb_params *p, const char *key);
double pb_param_double(const struct pb_params *p, const char *key);
int pb_param_bool(const struct pb_params *p, const char *key);
const char *pb_param_str(const struct pb_params *p, const char *key);

/* ---- Time, memory, the stop channel ------------------------------------------------------ */

/* CLOCK_MONOTONIC in nanoseconds, the one clock every timestamp uses. */
static inline uint64_t pb_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Zeroed, 64-byte aligned memory shared with process workers, or NULL; what a workload's
 * prepare makes must come from here. pb_shm_free accepts NULL; size as allocated. */
void *pb_shm_alloc(size_t size);
void pb_shm_free(void *p, size_t size);

enum pb_stop_reason {
    PB_STOP_NONE = 0,
    PB_STOP_SIGNAL,    /* SIGINT or SIGTERM */
    PB_STOP_FAIL_FAST, /* a task failed under --fail-fast */
    PB_STOP_ERROR,     /* the run could not go on (a worker could not be replaced) */
};

/* Raises the stop: no more tasks are taken (the first reason wins). Async-signal-safe. */
void pb_stop_request(enum pb_stop_reason reason);
/* The word every per-task check reads (in shared memory: process workers see it too). */
extern _Atomic uint32_t *pb_stop_word;
/* Nonzero once a stop was raised: take no more tasks. */
static inline int pb_stop_requested(void)
{
    return atomic_load_explicit(pb_stop_word, memory_order_relaxed) != PB_STOP_NONE;
}
/* Nonzero once a stop was raised and its grace period (--grace) is over: a task still running
 * should give up now (a blocking transfer aborts, a sleep ends). */
int pb_stop_grace_over(void);

/* ---- Tasks ---------------------------------------------------------------------------------- */

/* How a task ended. Failures are counted by kind; timeouts apart from the rest. */
enum pb_status {
    PB_OK = 0,
    PB_FAIL_WRONG_RESULT, /* the workload's own check of its result failed */
    PB_FAIL_CRASH,        /* the process worker died running it */
    PB_FAIL_TIMEOUT,      /* --timeout expired */
    PB_FAIL_CONNECT,      /* could not connect */
    PB_FAIL_HTTP_STATUS,  /* an HTTP status other than 200 */
    PB_FAIL_SHORT_BODY,   /* fewer bytes than announced or expected */
    PB_FAIL_IO,           /* an I/O call failed */
    PB_FAIL_OTHER,
    PB_FAIL_EXCEPTION, /* the task raised (a py runner: the type is the worker's last failure) */
    PB_STATUS_COUNT
};

/* snake_case names used in documents: "ok", "wrong_result", "crash", "timeout", ... */
const char *pb_status_name(enum pb_status s);

enum pb_arrivals {
    PB_ARRIVALS_UNIFORM,
    PB_ARRIVALS_POISSON,
};

/* The load of a repetition: how many tasks or for how long, closed or open loop. */
struct pb_load {
    uint64_t tasks;       /* planned tasks; 0 with duration_ns */
    uint64_t duration_ns; /* with tasks == 0: start tasks until this much time has passed */
    double rate;          /* open loop: tasks per second; 0 for a closed loop */
    enum pb_arrivals arrivals;
    uint64_t seed; /* of the poisson arrivals; set per repetition */
};

static inline int pb_load_open(const struct pb_load *l)
{
    return l->rate > 0;
}

/* When a --duration load stops creating tasks (saturating); UINT64_MAX for a task count. */
static inline uint64_t pb_load_deadline(const struct pb_load *l, uint64_t start_ns)
{
    if (l->tasks || start_ns > UINT64_MAX - l->duration_ns)
        return UINT64_MAX;
    return start_ns + l->duration_ns;
}

/* ---- The workload contract -----------------------------------------------------------------
 * What a task does, in a blocking form (serial, threads, processes) and optionally a
 * non-blocking form an event loop drives; and, optionally, what a case needs around its tasks
 * (a fixture such as a server to talk to) and checks before any work. */

struct uv_loop_s;
struct pb_ltimers;

enum pb_workload_flags {
    PB_WL_CPU = 1 << 0, /* burns CPU: speed-up against serial is meaningful */
    PB_WL_IO = 1 << 1,  /* waits: an event loop can overlap it */
    /* Its tasks exist only in another language: only a PB_RUNNER_FOREIGN runner runs it (its
     * run is never called); the plan refuses it under any other runner. */
    PB_WL_FOREIGN = 1 << 2,
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
    /* The loop's precise timers (nanosecond deadlines behind one timerfd), NULL where loop is;
     * for the built-in workloads (not part of this interface yet). */
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
     * waits should give up once pb_stop_grace_over() says so. */
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

/* ---- The runner contract -------------------------------------------------------------------
 * A concurrency model that executes the tasks of one repetition. The choreography every runner
 * shares (start the workers, wait for them to be set up, stamp the start, open the gate, join)
 * is the crew below; a runner holds only its own policy of handing out tasks. */

struct pb_pin_plan;      /* where each worker runs: the crew binds workers to it */
struct pb_worker_record; /* what a worker recorded: pb_run_task writes it */

enum pb_runner_flags {
    PB_RUNNER_SINGLE = 1 << 0, /* one worker: concurrency is always 1 (serial) */
    PB_RUNNER_GATHER = 1 << 1, /* every task at once; -c is not its word (eventloop) */
    PB_RUNNER_LOOPS = 1 << 2,  /* workers are event loops (--loops), not -c */
    PB_RUNNER_FORKS = 1 << 3,  /* workers are processes: its run executes in the zygote */
    PB_RUNNER_QUEUE = 1 << 4,  /* fed through the bounded queue (--queue-depth) */
    /* Its tasks run in another program (the py runners: a Python worker) with that program's
     * form of the workload: the workload's prepare, report and release run here as usual, its
     * verify does not; the runner's check and report in pb_run_stats stand in for them. */
    PB_RUNNER_FOREIGN = 1 << 5,
};

/* Everything a runner needs for one repetition; the driver owns all of it. For a runner that
 * forks, this and everything it points to is in shared memory. */
struct pb_run_spec {
    const struct pb_workload_ops *wl;
    const struct pb_workload_env *env;
    void *wl_shared;

    unsigned concurrency; /* tasks in progress at most (threads, processes, permits); 0: all */
    unsigned workers;     /* records[] and pins->sets[] entries */
    struct pb_load load;
    unsigned queue_depth; /* the bounded queue, a power of two */
    uint64_t timeout_ns;  /* per task; 0 for none */
    uint64_t grace_ns;    /* after a stop: how long running tasks may finish */
    int fail_fast;

    const struct pb_pin_plan *pins;
    struct pb_worker_record *records; /* one per worker */
};

/* What the runner measured of the repetition as a whole. */
struct pb_run_stats {
    uint64_t start_ns;               /* the start gate opened */
    uint64_t submitted;              /* tasks handed to workers (scheduled, in an open loop) */
    uint64_t workers_peak_rss_bytes; /* process workers' peak RSS, summed */
    /* PB_RUNNER_FOREIGN only: the workload's end-of-repetition check as the other program ran
     * it ("" when it passed), and its facts for the document (a new object; NULL: none). */
    char check_failed[256];
    json_t *report;
};

struct pb_runner_ops {
    const char *name;
    const char *description;
    unsigned flags;
    /* Optional. Before any work, for each case (spec without records, pins or shared state):
     * what the runner needs of the machine (processes, threads, memory for every task). 0, or
     * a negative code with err naming what is short (-EINVAL: the plan asks what the runner
     * cannot do, exit 2; another code: the environment refused, exit 3). */
    int (*preflight)(const struct pb_run_spec *spec, struct pb_err *err);
    /* Runs one repetition: every worker bound to its pin set, all behind one start gate, every
     * task recorded in spec->records. 0, or a negative code with err set when the run could not
     * happen at all (a failed task is a result, not an error). */
    int (*run)(const struct pb_run_spec *spec, struct pb_run_stats *stats, struct pb_err *err);
};

/* Runs task `index` of the blocking form on worker `worker` and records it: its latency from
 * created_ns (0: from its start), its service time, status, bytes and CPU. A task that overran
 * --timeout is counted as timed out. Returns the status (under --fail-fast, a failure is the
 * runner's cue to pb_stop_request(PB_STOP_FAIL_FAST)). */
enum pb_status pb_run_task(const struct pb_run_spec *spec, unsigned worker, void *wstate,
                           uint64_t index, uint64_t created_ns);
/* Tasks worker `worker` has recorded so far. */
uint64_t pb_run_tasks_recorded(const struct pb_run_spec *spec, unsigned worker);

/* ---- The crew: the choreography every runner shares ---------------------------------------
 * Start N workers (threads or processes, as the runner says), wait until each has set up or
 * failed to, stamp the start, open the start gate (set-up is never timed), let the runner drive
 * its part, and join. A stop during set-up abandons the start: the gate opens for no one. */

struct pb_gate;
struct pb_crew;
struct rusage;

struct pb_crew_ops {
    /* Starts worker i, which runs pb_crew_worker_* below. The crew waits for as many workers
     * as spawn was called for, whoever runs them (one call may start a team). -errno. */
    int (*spawn)(struct pb_crew *crew, unsigned i);
    /* Optional. Every few milliseconds while the workers set up: a negative code abandons the
     * start with err set (a worker process died, or took too long). */
    int (*poll)(struct pb_crew *crew, struct pb_err *err);
    /* Optional. Once every worker is ready, after the start is stamped and before the gate
     * opens (a closed loop's claiming starts at start_ns). */
    void (*begin)(struct pb_crew *crew, uint64_t start_ns);
    /* Optional. The driver's part while the workers run (feeding an open loop, supervising
     * processes); returns when that part is over. A negative code is an error of the run. */
    int (*drive)(struct pb_crew *crew, struct pb_err *err);
    /* Waits until every spawned worker has ended (joins threads, reaps processes). */
    void (*join)(struct pb_crew *crew);
};

struct pb_crew {
    const struct pb_crew_ops *ops;
    const struct pb_run_spec *spec;
    struct pb_run_stats *stats;
    struct pb_gate *gate; /* in shared memory: process workers arrive at it too */
    unsigned spawned;     /* workers started */
    void *runner;         /* the runner's own state */
};

/* Prepares a crew for spec (the gate in shared memory). -ENOMEM. */
int pb_crew_init(struct pb_crew *crew, const struct pb_crew_ops *ops,
                 const struct pb_run_spec *spec, struct pb_run_stats *stats, void *runner);
void pb_crew_destroy(struct pb_crew *crew);
/* The whole choreography. 0 once the workers have run and been joined; -ECANCELED when a stop
 * came before the start (no task ran); another negative code with err set when they could not
 * start (one failed to set up: its message) or the run failed. */
int pb_crew_run(struct pb_crew *crew, struct pb_err *err);
/* Worker side, in worker i's own thread or process. First bind to the pin set (before touching
 * memory the worker will use, so it is allocated near its CPU). */
int pb_crew_worker_bind(const struct pb_crew *crew, unsigned i, struct pb_err *err);
/* Sets up the workload (unless the runner's own set-up failed: setup_error) and arrives at the
 * gate; loop and timers are the worker's (struct pb_worker_env), NULL for a blocking worker. 0
 * when the gate opened: run the tasks, then call pb_crew_worker_done. -ECANCELED when the start
 * was abandoned or set-up failed: leave (the workload is already torn down). */
int pb_crew_worker_ready(struct pb_crew *crew, unsigned i, struct uv_loop_s *loop,
                         struct pb_ltimers *timers, const struct pb_err *setup_error, void **wstate,
                         struct rusage *usage);
/* After the worker's last task: its usage since the gate opened into its record, and the
 * workload's worker_fini. */
void pb_crew_worker_done(struct pb_crew *crew, unsigned i, void *wstate,
                         const struct rusage *usage);

/* ---- The plug-in descriptor ---------------------------------------------------------------- */

struct pb_plugin {
    unsigned abi; /* PB_ABI_VERSION the plug-in was built against: first, whatever changes */
    const char *name;
    const char *version;
    const struct pb_runner_ops *const *runners; /* nrunners entries */
    size_t nrunners;
    const struct pb_workload_ops *const *workloads; /* nworkloads entries */
    size_t nworkloads;
};

/* The one symbol parbench looks up in a plug-in. */
#define PB_PLUGIN_SYMBOL "parbench_plugin"

/* Defines the descriptor: PB_PLUGIN("zlib", "1.0", runners, nrunners, workloads, nworkloads). */
#define PB_PLUGIN(name_, version_, runners_, nrunners_, workloads_, nworkloads_)                   \
    __attribute__((visibility("default"))) const struct pb_plugin parbench_plugin = {              \
        .abi = PB_ABI_VERSION,                                                                     \
        .name = (name_),                                                                           \
        .version = (version_),                                                                     \
        .runners = (runners_),                                                                     \
        .nrunners = (nrunners_),                                                                   \
        .workloads = (workloads_),                                                                 \
        .nworkloads = (nworkloads_),                                                               \
    }

#endif
