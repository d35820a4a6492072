/* The worker crew. */
#include "harness/crew.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "harness/clock.h"
#include "harness/shm.h"
#include "harness/stop.h"

/* How often the crew looks at its workers while they set up. */
#define SETUP_POLL_NS 5000000u

int pb_crew_init(struct pb_crew *crew, const struct pb_crew_ops *ops,
                 const struct pb_run_spec *spec, struct pb_run_stats *stats, void *runner)
{
    *crew = (struct pb_crew){.ops = ops, .spec = spec, .stats = stats, .runner = runner};
    crew->gate = pb_shm_alloc(sizeof(*crew->gate));
    if (!crew->gate)
        return -ENOMEM;
    pb_gate_init(crew->gate);
    return 0;
}

void pb_crew_destroy(struct pb_crew *crew)
{
    pb_shm_free(crew->gate, sizeof(*crew->gate));
    crew->gate = NULL;
}

/* Waits for every spawned worker to arrive; a stop or the runner's poll abandons the wait. */
static int wait_ready(struct pb_crew *crew, struct pb_err *err)
{
    int rc = 0;
    pb_stop_watch(&crew->gate->arrived);
    while (pb_gate_wait_arrivals(crew->gate, crew->spawned, SETUP_POLL_NS) == -ETIMEDOUT) {
        if (pb_stop_requested()) {
            rc = pb_err_set(err, -ECANCELED, "stopped while the workers were setting up");
            break;
        }
        if (crew->ops->poll && (rc = crew->ops->poll(crew, err)) < 0)
            break;
    }
    pb_stop_unwatch(&crew->gate->arrived);
    return rc;
}

int pb_crew_run(struct pb_crew *crew, struct pb_err *err)
{
    const struct pb_run_spec *spec = crew->spec;
    int rc = 0;
    /* A stop ends the spawning too: a thousand forks are not worth finishing after Ctrl-C. */
    for (unsigned i = 0; i < spec->workers && !pb_stop_requested(); i++) {
        if ((rc = crew->ops->spawn(crew, i)) < 0) {
            pb_err_set(err, rc, "cannot start worker %u of %u: %s", i, spec->workers,
                       strerror(-rc));
            break;
        }
        crew->spawned++;
    }
    if (rc == 0 && crew->spawned < spec->workers)
        rc = pb_err_set(err, -ECANCELED, "stopped while the workers were starting");
    if (rc == 0)
        rc = wait_ready(crew, err);
    if (rc == 0)
        rc = pb_gate_setup_error(crew->gate, err);
    if (rc < 0) {
        pb_gate_open(crew->gate, 0);
        crew->ops->join(crew);
        return rc;
    }
    crew->stats->start_ns = pb_now_ns();
    if (crew->ops->begin)
        crew->ops->begin(crew, crew->stats->start_ns);
    pb_gate_open(crew->gate, 1);
    if (crew->ops->drive)
        rc = crew->ops->drive(crew, err);
    crew->ops->join(crew);
    return rc;
}

int pb_crew_worker_bind(const struct pb_crew *crew, unsigned i, struct pb_err *err)
{
    int rc = pb_cpuset_bind_self(&crew->spec->pins->sets[i]);
    return rc < 0 ? pb_err_set(err, rc, "worker %u: cannot bind to its CPU set", i) : 0;
}

int pb_crew_worker_ready(struct pb_crew *crew, unsigned i, struct uv_loop_s *loop,
                         struct pb_ltimers *timers, const struct pb_err *setup_error, void **wstate,
                         struct rusage *usage)
{
    const struct pb_run_spec *spec = crew->spec;
    struct pb_worker_env wenv = {.index = i, .loop = loop, .timers = timers};
    struct pb_err err;
    int inited = 0;
    if (!setup_error) {
        inited =
            pb_workload_worker_init(spec->wl, spec->wl_shared, spec->env, &wenv, wstate, &err) == 0;
        if (!inited)
            setup_error = &err;
    }
    if (pb_gate_arrive(crew->gate, setup_error) < 0) {
        if (inited)
            pb_workload_worker_fini(spec->wl, *wstate);
        return -ECANCELED;
    }
    getrusage(RUSAGE_THREAD, usage);
    return 0;
}

void pb_crew_worker_done(struct pb_crew *crew, unsigned i, void *wstate, const struct rusage *usage)
{
    struct rusage now;
    getrusage(RUSAGE_THREAD, &now);
    pb_usage_add(&crew->spec->records[i].usage, usage, &now);
    pb_workload_worker_fini(crew->spec->wl, wstate);
}
