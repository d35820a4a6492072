/* threads: a pool of C pinned pthreads fed from a bounded queue (the seed's ThreadPoolExecutor;
 * the queue depth is the backpressure of a bounded Queue). In an open loop the driver's thread
 * produces on the schedule; in a closed loop the workers claim tasks (see harness/taskq.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "harness/crew.h"
#include "harness/limits.h"
#include "harness/schedule.h"
#include "harness/shm.h"
#include "harness/stop.h"
#include "harness/taskq.h"
#include "harness/worker.h"
#include "harness/runner.h"

/* What a thread costs besides its record: the pages of its stack it touches, its descriptors. */
#define THREAD_BYTES (64u << 10)

struct pool {
    struct pb_crew crew;
    struct pb_taskq *q;
    size_t q_size;
    pthread_t *tids;
    struct worker_arg *args;
};

struct worker_arg {
    struct pool *pool;
    unsigned index;
};

static void *worker_main(void *p)
{
    struct worker_arg *a = p;
    struct pb_crew *crew = &a->pool->crew;
    const struct pb_run_spec *spec = crew->spec;
    struct pb_worker_record *rec = &spec->records[a->index];
    struct pb_err err;
    struct rusage usage;
    void *wstate = NULL;
    int bound = pb_crew_worker_bind(crew, a->index, &err);
    if (pb_crew_worker_ready(crew, a->index, NULL, NULL, bound < 0 ? &err : NULL, &wstate, &usage) <
        0)
        return NULL;
    struct pb_task_item item;
    while (pb_taskq_pop(a->pool->q, &item) == 0) {
        enum pb_status st =
            pb_worker_task(spec, wstate, rec, item.index, item.created_ns, item.taken_ns);
        if (st != PB_OK && spec->fail_fast)
            pb_stop_request(PB_STOP_FAIL_FAST);
    }
    pb_crew_worker_done(crew, a->index, wstate, &usage);
    return NULL;
}

static int threads_spawn(struct pb_crew *crew, unsigned i)
{
    struct pool *pool = crew->runner;
    pool->args[i] = (struct worker_arg){.pool = pool, .index = i};
    return -pthread_create(&pool->tids[i], NULL, worker_main, &pool->args[i]);
}

static void threads_begin(struct pb_crew *crew, uint64_t start_ns)
{
    struct pool *pool = crew->runner;
    const struct pb_load *load = &crew->spec->load;
    if (!pb_load_open(load))
        pb_taskq_start_closed(pool->q, load->tasks, start_ns, pb_load_deadline(load, start_ns));
}

static int threads_drive(struct pb_crew *crew, struct pb_err *err)
{
    struct pool *pool = crew->runner;
    if (pb_load_open(&crew->spec->load))
        pb_schedule_feed(pool->q, crew->spec, crew->stats, NULL, NULL);
    return 0;
}

static void threads_join(struct pb_crew *crew)
{
    struct pool *pool = crew->runner;
    for (unsigned i = 0; i < crew->spawned; i++)
        pthread_join(pool->tids[i], NULL);
}

static const struct pb_crew_ops threads_crew = {
    .spawn = threads_spawn,
    .begin = threads_begin,
    .drive = threads_drive,
    .join = threads_join,
};

static int threads_preflight(const struct pb_run_spec *spec, struct pb_err *err)
{
    return pb_limits_check("threads", spec->workers, 0,
                           pb_limits_worker_bytes(spec, THREAD_BYTES, 1), "lower -c", err);
}

static int threads_run(const struct pb_run_spec *spec, struct pb_run_stats *stats,
                       struct pb_err *err)
{
    unsigned n = spec->workers;
    struct pool pool = {.q_size = pb_taskq_size(spec->queue_depth)};
    int rc = -ENOMEM;
    pool.tids = calloc(n, sizeof(*pool.tids));
    pool.args = calloc(n, sizeof(*pool.args));
    pool.q = pb_shm_alloc(pool.q_size);
    if (!pool.tids || !pool.args || !pool.q ||
        pb_crew_init(&pool.crew, &threads_crew, spec, stats, &pool) < 0) {
        pb_err_set(err, -ENOMEM, "threads: out of memory for %u workers", n);
        goto out;
    }
    pb_taskq_init(pool.q, spec->queue_depth);
    rc = pb_crew_run(&pool.crew, err);
    pb_taskq_destroy(pool.q);
    for (unsigned i = 0; i < n && !pb_load_open(&spec->load); i++)
        stats->submitted += pb_record_tasks(&spec->records[i]);
    pb_crew_destroy(&pool.crew);
out:
    pb_shm_free(pool.q, pool.q_size);
    free(pool.args);
    free(pool.tids);
    return rc;
}

const struct pb_runner_ops pb_runner_threads = {
    .name = "threads",
    .description = "a pool of C pinned threads fed from a bounded queue (ThreadPoolExecutor)",
    .flags = PB_RUNNER_QUEUE,
    .preflight = threads_preflight,
    .run = threads_run,
};
