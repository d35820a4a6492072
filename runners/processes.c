/* processes: C pre-forked, pinned worker processes fed through a queue in shared memory (the
 * seed's ProcessPoolExecutor). A worker that dies is noticed, its task recorded as failed with
 * the cause, and the worker replaced; the driver's process supervises, and in an open loop
 * produces (in a closed loop the workers claim tasks, see harness/taskq.h). */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/schedule.h"
#include "harness/gate.h"
#include "harness/shm.h"
#include "harness/taskq.h"
#include "harness/worker.h"
#include "runners/runners.h"

/* How often the supervisor looks at its children while it has nothing else to do. */
#define SUPERVISE_POLL_NS 5000000u
/* How long workers may take to set up before the run is abandoned. */
#define SETUP_LIMIT_NS 60000000000u

/* One worker slot, shared: what its process is running, so a death can be accounted for. */
struct slot {
    _Atomic uint32_t busy;
    _Atomic uint64_t task_gen; /* bumped per task: the supervisor kills only the task it timed */
    uint64_t ended_before;     /* the record's task count when this task started */
    uint64_t created_ns;
    uint64_t started_ns;
    pid_t pid;         /* 0 when no process is alive in this slot (parent's view) */
    int killed_for;    /* parent's note: PB_FAIL_TIMEOUT or PB_FAIL_OTHER when it killed */
    uint64_t peak_rss; /* the largest of this slot's processes */
};

struct ctl {
    struct pb_gate gate;
    struct slot slots[];
};

struct pool {
    const struct pb_run_spec *spec;
    struct ctl *ctl;
    size_t ctl_size;
    struct pb_taskq *q;
    size_t q_size;
    pid_t parent;
    unsigned alive;
    uint64_t next_check; /* of supervise_poll */
};

static volatile sig_atomic_t child_exited;

static void on_sigchld(int sig)
{
    child_exited = 1;
}

static void child_main(struct pool *pool, unsigned index, int replacement)
{
    const struct pb_run_spec *spec = pool->spec;
    struct slot *slot = &pool->ctl->slots[index];
    struct pb_worker_record *rec = &spec->records[index];
    /* Die with the parent; leave SIGINT to the parent, which decides how the run ends. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != pool->parent)
        _exit(0);
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);

    void *wstate = NULL;
    struct pb_err err;
    int ok = pb_worker_setup(spec, index, &wstate, &err) == 0;
    if (replacement ? !ok : pb_gate_arrive(&pool->ctl->gate, ok ? NULL : &err) < 0)
        _exit(0);
    struct rusage r0;
    pb_worker_usage_begin(&r0);

    struct pb_task_item item;
    while (pb_taskq_pop(pool->q, &item) == 0) {
        atomic_fetch_add_explicit(&slot->task_gen, 1, memory_order_relaxed);
        slot->ended_before = pb_record_tasks(rec);
        slot->created_ns = item.created_ns;
        slot->started_ns = item.taken_ns ? item.taken_ns : pb_now_ns();
        atomic_store_explicit(&slot->busy, 1, memory_order_release);
        enum pb_status st =
            pb_worker_task(spec, wstate, rec, item.index, item.created_ns, slot->started_ns);
        atomic_store_explicit(&slot->busy, 0, memory_order_release);
        if (st != PB_OK && spec->fail_fast)
            pb_taskq_abort(pool->q);
    }
    pb_worker_usage_end(rec, &r0);
    pb_workload_worker_fini(spec->wl, wstate);
    _exit(0);
}

static int spawn(struct pool *pool, unsigned index, int replacement)
{
    pid_t pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0)
        child_main(pool, index, replacement);
    pool->ctl->slots[index].pid = pid;
    pool->ctl->slots[index].killed_for = 0;
    pool->alive++;
    return 0;
}

static void describe_death(int status, int killed_for, char *buf, size_t len)
{
    if (killed_for == PB_FAIL_TIMEOUT)
        snprintf(buf, len, "killed after exceeding --timeout");
    else if (killed_for)
        snprintf(buf, len, "killed: the run was interrupted");
    else if (WIFSIGNALED(status))
        snprintf(buf, len, "worker died of signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, len, "worker exited with status %d", WEXITSTATUS(status));
}

/* Records the task a dead worker was running, and says whether the slot needs a new worker. */
static int account_death(struct pool *pool, unsigned i, int status, const struct rusage *ru)
{
    struct slot *slot = &pool->ctl->slots[i];
    struct pb_worker_record *rec = &pool->spec->records[i];
    uint64_t rss = (uint64_t)ru->ru_maxrss * 1024;
    if (rss > slot->peak_rss)
        slot->peak_rss = rss;
    slot->pid = 0;
    pool->alive--;
    int crashed = !(WIFEXITED(status) && WEXITSTATUS(status) == 0) || slot->killed_for;
    if (!crashed)
        return 0;
    /* A worker that died could not bracket its usage; its whole life is the best there is. */
    struct rusage none = {0};
    pb_usage_add(&rec->usage, &none, ru);
    /* Busy, and not yet recorded by the worker itself (it may die between the two). */
    if (atomic_load_explicit(&slot->busy, memory_order_acquire) &&
        pb_record_tasks(rec) == slot->ended_before) {
        enum pb_status st = slot->killed_for ? (enum pb_status)slot->killed_for : PB_FAIL_CRASH;
        uint64_t created = slot->created_ns ? slot->created_ns : slot->started_ns;
        pb_record_task(rec, created, slot->started_ns, pb_now_ns(), st, 0, -1);
        atomic_store(&slot->busy, 0);
        if (pool->spec->fail_fast)
            pb_taskq_abort(pool->q);
    }
    describe_death(status, slot->killed_for, rec->last_failure, sizeof(rec->last_failure));
    return 1;
}

/* Reaps dead workers, replaces those that died while work is left, kills those over
 * --timeout. Returns -errno when a replacement cannot be forked. */
static int supervise(struct pool *pool, int replace)
{
    const struct pb_run_spec *spec = pool->spec;
    int reap = child_exited; /* SIGCHLD came: only then is wait4 worth its system calls */
    child_exited = 0;
    for (unsigned i = 0; i < spec->workers; i++) {
        struct slot *slot = &pool->ctl->slots[i];
        if (!slot->pid)
            continue;
        int status;
        struct rusage ru;
        if (reap && wait4(slot->pid, &status, WNOHANG, &ru) == slot->pid) {
            if (account_death(pool, i, status, &ru) && replace) {
                spec->records[i].replacements++;
                int rc = spawn(pool, i, 1);
                if (rc < 0)
                    return rc;
            }
            continue;
        }
        if (!spec->timeout_ns || slot->killed_for)
            continue;
        uint64_t gen = atomic_load_explicit(&slot->task_gen, memory_order_acquire);
        if (atomic_load_explicit(&slot->busy, memory_order_acquire) &&
            pb_now_ns() - slot->started_ns > spec->timeout_ns &&
            atomic_load_explicit(&slot->task_gen, memory_order_acquire) == gen) {
            slot->killed_for = PB_FAIL_TIMEOUT;
            kill(slot->pid, SIGKILL);
        }
    }
    return 0;
}

/* Called by the producer while it waits: supervise every poll interval, or at once when a
 * worker died. */
static int supervise_poll(void *arg)
{
    struct pool *pool = arg;
    uint64_t now = pb_now_ns();
    if (!child_exited && now < pool->next_check)
        return 0;
    pool->next_check = now + SUPERVISE_POLL_NS;
    return supervise(pool, 1);
}

/* Waits until every worker has left: they drain a closed queue; after an abort they finish the
 * task in hand, and those still running after the grace period are killed. */
static void drain(struct pool *pool, int replace)
{
    const struct pb_run_spec *spec = pool->spec;
    uint64_t kill_at = 0;
    while (pool->alive) {
        if (pb_stop_requested() && !kill_at) {
            pb_taskq_abort(pool->q);
            kill_at = pb_now_ns() + spec->grace_ns;
            replace = 0;
        }
        if (kill_at && pb_now_ns() >= kill_at) {
            for (unsigned i = 0; i < spec->workers; i++) {
                struct slot *slot = &pool->ctl->slots[i];
                if (slot->pid && !slot->killed_for) {
                    slot->killed_for = PB_FAIL_OTHER;
                    kill(slot->pid, SIGKILL);
                }
            }
        }
        if (supervise(pool, replace && !pb_taskq_drained(pool->q)) < 0)
            replace = 0;
        if (pool->alive) {
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
    }
}

static void kill_all(struct pool *pool)
{
    for (unsigned i = 0; i < pool->spec->workers; i++)
        if (pool->ctl->slots[i].pid) {
            pool->ctl->slots[i].killed_for = PB_FAIL_OTHER;
            kill(pool->ctl->slots[i].pid, SIGKILL);
        }
    drain(pool, 0);
}

static int processes_run(const struct pb_run_spec *spec, struct pb_run_stats *stats,
                         struct pb_err *err)
{
    unsigned n = spec->workers;
    int rc = 0;
    struct pool pool = {.spec = spec, .parent = getpid()};
    struct sigaction sa = {.sa_handler = on_sigchld, .sa_flags = SA_RESTART | SA_NOCLDSTOP};
    struct sigaction old_sa;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, &old_sa);

    pool.ctl_size = sizeof(struct ctl) + n * sizeof(struct slot);
    pool.q_size = pb_taskq_size(spec->queue_depth);
    pool.ctl = pb_shm_alloc(pool.ctl_size);
    pool.q = pb_shm_alloc(pool.q_size);
    if (!pool.ctl || !pool.q) {
        rc = pb_err_set(err, -ENOMEM, "processes: cannot map shared memory");
        goto out;
    }
    pb_gate_init(&pool.ctl->gate);
    pb_taskq_init(pool.q, spec->queue_depth);
    fflush(NULL); /* nothing buffered may be written twice */
    for (unsigned i = 0; i < n; i++) {
        rc = spawn(&pool, i, 0);
        if (rc < 0) {
            pb_err_set(err, rc, "processes: cannot fork worker %u of %u: %s", i, n, strerror(-rc));
            kill_all(&pool);
            goto out;
        }
    }
    /* Wait for every worker to be set up; one that dies meanwhile fails the run. */
    uint64_t limit = pb_now_ns() + SETUP_LIMIT_NS;
    while (pb_gate_wait_arrivals(&pool.ctl->gate, n, SUPERVISE_POLL_NS) == -ETIMEDOUT) {
        unsigned before = pool.alive;
        supervise(&pool, 0);
        if (pool.alive < before || pb_now_ns() > limit || pb_stop_requested()) {
            rc = pb_err_set(err, -ECHILD, "processes: a worker died or hung while setting up");
            pb_gate_open(&pool.ctl->gate, 0);
            kill_all(&pool);
            goto out;
        }
    }
    if ((rc = pb_gate_setup_error(&pool.ctl->gate, err)) < 0) {
        pb_gate_open(&pool.ctl->gate, 0);
        drain(&pool, 0);
        goto out;
    }
    stats->start_ns = pb_now_ns();
    if (spec->rate <= 0)
        pb_taskq_start_closed(pool.q, spec->tasks, stats->start_ns,
                              stats->start_ns + spec->duration_ns);
    pb_gate_open(&pool.ctl->gate, 1);
    rc = spec->rate > 0 ? pb_schedule_feed(pool.q, spec, stats, supervise_poll, &pool) : 0;
    if (rc < 0) {
        pb_err_set(err, rc, "processes: cannot fork a replacement worker: %s", strerror(-rc));
        kill_all(&pool);
        goto out;
    }
    drain(&pool, 1);

    for (unsigned i = 0; i < n; i++) {
        stats->workers_peak_rss_bytes += pool.ctl->slots[i].peak_rss;
        if (spec->rate <= 0)
            stats->submitted += pb_record_tasks(&spec->records[i]);
    }
    if (pb_stop_requested() || pb_taskq_aborted(pool.q))
        stats->stopped = 1;
out:
    sigaction(SIGCHLD, &old_sa, NULL);
    pb_shm_free(pool.q, pool.q_size);
    pb_shm_free(pool.ctl, pool.ctl_size);
    return rc;
}

const struct pb_runner_ops pb_runner_processes = {
    .name = "processes",
    .description = "C pre-forked pinned processes fed through shared memory "
                   "(ProcessPoolExecutor); dead workers are replaced",
    .flags = 0,
    .run = processes_run,
};
