/* threads: a pool of C pinned pthreads fed from a bounded queue (the seed's ThreadPoolExecutor;
 * the queue depth is the backpressure of a bounded Queue). In an open loop the driver's thread
 * produces on the schedule; in a closed loop the workers claim tasks (see harness/taskq.h). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "harness/schedule.h"
#include "harness/futex.h"
#include "harness/gate.h"
#include "harness/taskq.h"
#include "harness/worker.h"
#include "runners/runners.h"

/* How long the producer waits on a full queue before it looks at the stop flag again. */
#define PUSH_POLL_NS 50000000u

struct pool {
    const struct pb_run_spec *spec;
    struct pb_taskq *q;
    struct pb_gate gate;
    _Atomic uint32_t exited; /* workers that have left, for the driver's wait */
};

struct worker_arg {
    struct pool *pool;
    unsigned index;
};

static void *worker_main(void *p)
{
    struct worker_arg *a = p;
    struct pool *pool = a->pool;
    const struct pb_run_spec *spec = pool->spec;
    struct pb_worker_record *rec = &spec->records[a->index];
    void *wstate = NULL;
    struct pb_err err;
    int ok = pb_worker_setup(spec, a->index, &wstate, &err) == 0;
    if (pb_gate_arrive(&pool->gate, ok ? NULL : &err) == 0) {
        struct rusage r0;
        pb_worker_usage_begin(&r0);
        struct pb_task_item item;
        while (pb_taskq_pop(pool->q, &item) == 0) {
            enum pb_status st =
                pb_worker_task(spec, wstate, rec, item.index, item.created_ns, item.taken_ns);
            if (st != PB_OK && spec->fail_fast) {
                pb_stop_request();
                pb_taskq_abort(pool->q);
            }
        }
        pb_worker_usage_end(rec, &r0);
    }
    if (ok)
        pb_workload_worker_fini(spec->wl, wstate);
    atomic_fetch_add(&pool->exited, 1);
    pb_futex_wake(&pool->exited, 1);
    return NULL;
}

/* Closed loop: the workers claim their tasks; the driver's thread only watches for a stop. */
static void watch(struct pool *pool, unsigned n, struct pb_run_stats *stats)
{
    uint32_t seen;
    while ((seen = atomic_load(&pool->exited)) < n) {
        if (pb_stop_requested()) {
            stats->stopped = 1;
            pb_taskq_abort(pool->q);
        }
        pb_futex_wait(&pool->exited, seen, PUSH_POLL_NS);
    }
}

static int threads_run(const struct pb_run_spec *spec, struct pb_run_stats *stats,
                       struct pb_err *err)
{
    unsigned n = spec->workers;
    int rc = 0;
    unsigned started = 0;
    struct pool pool = {.spec = spec};
    pthread_t *tids = calloc(n, sizeof(*tids));
    struct worker_arg *args = calloc(n, sizeof(*args));
    pool.q = malloc(pb_taskq_size(spec->queue_depth));
    if (!tids || !args || !pool.q) {
        rc = pb_err_set(err, -ENOMEM, "threads: out of memory for %u workers", n);
        goto out;
    }
    pb_taskq_init(pool.q, spec->queue_depth);
    pb_gate_init(&pool.gate);
    for (; started < n; started++) {
        args[started] = (struct worker_arg){.pool = &pool, .index = started};
        int e = pthread_create(&tids[started], NULL, worker_main, &args[started]);
        if (e) {
            rc = pb_err_set(err, -e, "threads: cannot create worker %u of %u", started, n);
            break;
        }
    }
    pb_gate_wait_arrivals(&pool.gate, started, 0);
    if (rc == 0)
        rc = pb_gate_setup_error(&pool.gate, err);
    if (rc < 0) {
        pb_gate_open(&pool.gate, 0);
        goto join;
    }
    stats->start_ns = pb_now_ns();
    if (spec->rate > 0) {
        pb_gate_open(&pool.gate, 1);
        pb_schedule_feed(pool.q, spec, stats, NULL, NULL);
    } else {
        pb_taskq_start_closed(pool.q, spec->tasks, stats->start_ns,
                              stats->start_ns + spec->duration_ns);
        pb_gate_open(&pool.gate, 1);
        watch(&pool, n, stats);
    }
join:
    for (unsigned i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    for (unsigned i = 0; i < n && rc == 0 && spec->rate <= 0; i++)
        stats->submitted += pb_record_tasks(&spec->records[i]);
    if (pb_stop_requested())
        stats->stopped = 1;
out:
    free(pool.q);
    free(args);
    free(tids);
    return rc;
}

const struct pb_runner_ops pb_runner_threads = {
    .name = "threads",
    .description = "a pool of C pinned threads fed from a bounded queue (ThreadPoolExecutor)",
    .flags = 0,
    .run = threads_run,
};
