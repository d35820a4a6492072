/* A runner plug-in: an OpenMP team (gcc's libgomp). One parallel region of -c threads, each
 * bound to its set of parbench's pin plan, set up behind parbench's start gate, taking tasks
 * from `omp for schedule(dynamic, 1)`. Build it out of tree with
 *
 *     cc -O2 -fopenmp -shared -fPIC $(pkg-config --cflags parbench) openmp_runner.c -o openmp.so
 *
 * and compare it with `parbench run --plugin ./openmp.so -r threads,processes,openmp ...`.
 * Only include/parbench/parbench.h is used: the crew (the choreography every runner shares),
 * pb_run_task (run and record one task) and the stop channel. */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/resource.h>

#include <omp.h>
#include <parbench/parbench.h>

struct team {
    struct pb_crew crew;
    pthread_t leader;
    int leader_started;
    int short_handed; /* OpenMP gave fewer threads than asked: the start is abandoned */
};

/* One member of the team: parbench's worker `i`. Every member reaches the same barrier and
 * takes the same branch after it, as OpenMP wants of a worksharing loop. */
static void member(struct team *t, unsigned i, int *unready)
{
    const struct pb_run_spec *spec = t->crew.spec;
    struct pb_err err = {""};
    struct rusage usage;
    void *wstate = NULL;
    int bound = pb_crew_worker_bind(&t->crew, i, &err);
    int ready = pb_crew_worker_ready(&t->crew, i, NULL, NULL, bound < 0 ? &err : NULL, &wstate,
                                     &usage) == 0;
    if (!ready) {
#pragma omp atomic
        (*unready)++;
    }
#pragma omp barrier
    if (*unready)
        return; /* the crew abandoned the start: nobody runs a task */
#pragma omp for schedule(dynamic, 1) nowait
    for (uint64_t k = 0; k < spec->load.tasks; k++) {
        if (pb_stop_requested())
            continue; /* an OpenMP loop cannot be left early: the rest are skipped */
        if (pb_run_task(spec, i, wstate, k, 0) != PB_OK && spec->fail_fast)
            pb_stop_request(PB_STOP_FAIL_FAST);
    }
    pb_crew_worker_done(&t->crew, i, wstate, &usage);
}

/* The team's leader thread: parbench's crew waits for every member at the gate. */
static void *lead(void *arg)
{
    struct team *t = arg;
    int n = (int)t->crew.spec->workers, unready = 0;
    omp_set_dynamic(0);
#pragma omp parallel num_threads(n) shared(unready)
    {
        if (omp_get_num_threads() != n) {
#pragma omp single
            t->short_handed = 1;
        }
        if (!t->short_handed)
            member(t, (unsigned)omp_get_thread_num(), &unready);
    }
    return NULL;
}

/* The crew asks for each worker; the first request starts the whole team. */
static int team_spawn(struct pb_crew *crew, unsigned i)
{
    struct team *t = crew->runner;
    if (i > 0)
        return 0;
    int rc = pthread_create(&t->leader, NULL, lead, t);
    if (rc)
        return -rc;
    t->leader_started = 1;
    return 0;
}

static int team_poll(struct pb_crew *crew, struct pb_err *err)
{
    struct team *t = crew->runner;
    if (__atomic_load_n(&t->short_handed, __ATOMIC_ACQUIRE))
        return pb_err_set(err, -EAGAIN, "openmp: the runtime gave fewer than %u threads",
                          crew->spec->workers);
    return 0;
}

static void team_join(struct pb_crew *crew)
{
    struct team *t = crew->runner;
    if (t->leader_started)
        pthread_join(t->leader, NULL);
    t->leader_started = 0;
}

static const struct pb_crew_ops team_crew = {
    .spawn = team_spawn,
    .poll = team_poll,
    .join = team_join,
};

/* A worksharing loop needs its trip count up front: a task count, a closed loop. */
static int openmp_preflight(const struct pb_run_spec *spec, struct pb_err *err)
{
    if (pb_load_open(&spec->load) || !spec->load.tasks)
        return pb_err_set(err, -EINVAL,
                          "openmp: runs a task count (-n) in a closed loop, not --rate or "
                          "--duration");
    return 0;
}

static int openmp_run(const struct pb_run_spec *spec, struct pb_run_stats *stats,
                      struct pb_err *err)
{
    struct team t;
    memset(&t, 0, sizeof(t));
    if (pb_crew_init(&t.crew, &team_crew, spec, stats, &t) < 0)
        return pb_err_set(err, -ENOMEM, "openmp: out of memory");
    int rc = pb_crew_run(&t.crew, err);
    for (unsigned i = 0; i < spec->workers; i++)
        stats->submitted += pb_run_tasks_recorded(spec, i);
    pb_crew_destroy(&t.crew);
    return rc;
}

static const struct pb_runner_ops openmp_runner = {
    .name = "openmp",
    .description = "an OpenMP team of -c pinned threads taking tasks from omp for "
                   "schedule(dynamic,1) (libgomp)",
    .flags = 0,
    .preflight = openmp_preflight,
    .run = openmp_run,
};

static const struct pb_runner_ops *const runners[] = {&openmp_runner};

PB_PLUGIN("openmp", "1.0.0", runners, 1, NULL, 0);
