/* serial: one task after another on one pinned core, the baseline every speed-up is against
 * (the seed's plain `await fetch_data(url)`). Its one worker is a thread of its own, so binding
 * it leaves the driver's thread unpinned; it follows the schedule itself, without a queue. */
#include <errno.h>
#include <pthread.h>

#include "harness/crew.h"
#include "harness/schedule.h"
#include "harness/stop.h"
#include "harness/worker.h"
#include "harness/runner.h"

struct serial_run {
    struct pb_crew crew;
    pthread_t tid;
};

static void *serial_main(void *arg)
{
    struct pb_crew *crew = arg;
    const struct pb_run_spec *spec = crew->spec;
    struct pb_worker_record *rec = &spec->records[0];
    struct pb_err err;
    struct rusage usage;
    void *wstate = NULL;
    int bound = pb_crew_worker_bind(crew, 0, &err);
    if (pb_crew_worker_ready(crew, 0, NULL, NULL, bound < 0 ? &err : NULL, &wstate, &usage) < 0)
        return NULL;
    struct pb_schedule sched;
    uint64_t index, scheduled;
    pb_schedule_init(&sched, &spec->load, crew->stats->start_ns);
    while (pb_schedule_next(&sched, &index, &scheduled) &&
           pb_schedule_wait(&sched, scheduled) == 0) {
        crew->stats->submitted++;
        if (pb_worker_task(spec, wstate, rec, index, scheduled, 0) != PB_OK && spec->fail_fast)
            pb_stop_request(PB_STOP_FAIL_FAST);
    }
    pb_crew_worker_done(crew, 0, wstate, &usage);
    return NULL;
}

static int serial_spawn(struct pb_crew *crew, unsigned i)
{
    struct serial_run *r = crew->runner;
    return -pthread_create(&r->tid, NULL, serial_main, crew);
}

static void serial_join(struct pb_crew *crew)
{
    struct serial_run *r = crew->runner;
    if (crew->spawned)
        pthread_join(r->tid, NULL);
}

static const struct pb_crew_ops serial_crew = {
    .spawn = serial_spawn,
    .join = serial_join,
};

static int serial_run(const struct pb_run_spec *spec, struct pb_run_stats *stats,
                      struct pb_err *err)
{
    struct serial_run r;
    if (pb_crew_init(&r.crew, &serial_crew, spec, stats, &r) < 0)
        return pb_err_set(err, -ENOMEM, "serial: out of memory");
    int rc = pb_crew_run(&r.crew, err);
    pb_crew_destroy(&r.crew);
    return rc;
}

const struct pb_runner_ops pb_runner_serial = {
    .name = "serial",
    .description = "one task after another on one pinned core: the baseline for speed-up",
    .flags = PB_RUNNER_SINGLE,
    .run = serial_run,
};
