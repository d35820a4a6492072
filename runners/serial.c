/* serial: one task after another on one pinned core, the baseline every speed-up is against
 * (the seed's plain `await fetch_data(url)`). */
#include <pthread.h>
#include <string.h>

#include "harness/schedule.h"
#include "harness/worker.h"
#include "runners/runners.h"

struct serial_run {
    const struct pb_run_spec *spec;
    struct pb_run_stats *stats;
    struct pb_err err;
    int rc;
};

/* A thread of its own, so binding it leaves the driver's thread unpinned. */
static void *serial_main(void *arg)
{
    struct serial_run *r = arg;
    const struct pb_run_spec *spec = r->spec;
    struct pb_worker_record *rec = &spec->records[0];
    void *wstate = NULL;
    r->rc = pb_worker_setup(spec, 0, &wstate, &r->err);
    if (r->rc < 0)
        return NULL;

    struct pb_schedule arr;
    uint64_t index, scheduled;
    struct rusage r0;
    pb_worker_usage_begin(&r0);
    r->stats->start_ns = pb_now_ns();
    pb_schedule_init(&arr, spec, r->stats->start_ns);
    while (pb_schedule_next(&arr, &index, &scheduled)) {
        pb_schedule_wait(&arr, scheduled);
        r->stats->submitted++;
        if (pb_worker_task(spec, wstate, rec, index, scheduled, 0) != PB_OK && spec->fail_fast) {
            r->stats->stopped = 1;
            break;
        }
    }
    pb_worker_usage_end(rec, &r0);
    if (pb_stop_requested())
        r->stats->stopped = 1;
    pb_workload_worker_fini(spec->wl, wstate);
    return NULL;
}

static int serial_run(const struct pb_run_spec *spec, struct pb_run_stats *stats,
                      struct pb_err *err)
{
    struct serial_run r = {.spec = spec, .stats = stats};
    pthread_t tid;
    int rc = pthread_create(&tid, NULL, serial_main, &r);
    if (rc)
        return pb_err_set(err, -rc, "serial: cannot create its thread");
    pthread_join(tid, NULL);
    if (r.rc < 0 && err)
        *err = r.err;
    return r.rc;
}

const struct pb_runner_ops pb_runner_serial = {
    .name = "serial",
    .description = "one task after another on one pinned core: the baseline for speed-up",
    .flags = PB_RUNNER_SINGLE,
    .run = serial_run,
};
