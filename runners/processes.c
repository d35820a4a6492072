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
    uint64_t task_index;
    uint64_t created_ns;
    uint64_t started_ns;
    pid_t pid;         /* 0 when no process is alive in this slot (parent's view) */
    int killed_for;    /* parent's note: PB_FAIL_TIMEOUT or PB_FAIL_OTHER when it killed */
    uint64_t peak_rss; /* the largest of this slot's processes */
};

struct ctl {
    struct pb_gate gate;
    _Atomic uint32_t setup_failed;
    struct pb_err setup_err; /* the first failing worker's */
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
    if (!ok && atomic_fetch_add(&pool->ctl->setup_failed, 1) == 0)
        pool->ctl->setup_err = err;
    if (replacement ? !ok : pb_gate_arrive(&pool->ctl->gate, ok) < 0)
        _exit(0);

    struct pb_task_item item;
    while (pb_taskq_pop(pool->q, &item) == 0) {
        slot->task_index = item.index;
        slot->created_ns = item.created_ns;
        slot->started_ns = pb_now_ns();
        atomic_store_explicit(&slot->busy, 1, memory_order_release);
        enum pb_status st = pb_worker_task(spec, wstate, rec, item.index, item.created_ns);
        atomic_store_explicit(&slot->busy, 0, memory_order_release);
        if (st != PB_OK && spec->fail_fast)
            pb_taskq_abort(pool->q);
    }
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
    if (atomic_load_explicit(&slot->busy, memory_order_acquire)) {
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
    child_exited = 0;
    for (unsigned i = 0; i < spec->workers; i++) {
        struct slot *slot = &pool->ctl->slots[i];
        if (!slot->pid)
            continue;
        int status;
        struct rusage ru;
        if (wait4(slot->pid, &status, WNOHANG, &ru) == slot->pid) {
            if (account_death(pool, i, status, &ru) && replace) {
                spec->records[i].replacements++;
                int rc = spawn(pool, i, 1);
                if (rc < 0)
                    return rc;
            }
        } else if (spec->timeout_ns && !slot->killed_for &&
                   atomic_load_explicit(&slot->busy, memory_order_acquire) &&
                   pb_now_ns() - slot->started_ns > spec->timeout_ns) {
            slot->killed_for = PB_FAIL_TIMEOUT;
            kill(slot->pid, SIGKILL);
        }
    }
    return 0;
}

/* Feeds the queue on the arrivals schedule, supervising between pushes. */
static int produce(struct pool *pool, struct pb_run_stats *stats)
{
    const struct pb_run_spec *spec = pool->spec;
    struct pb_schedule arr;
    uint64_t index, scheduled, next_check = 0;
    int rc = 0, pushed = 0;
    pb_schedule_init(&arr, spec, stats->start_ns);
    while (pushed == 0 && pb_schedule_next(&arr, &index, &scheduled)) {
        pb_schedule_wait(&arr, scheduled);
        do {
            pushed = pb_taskq_push(pool->q, index, scheduled, SUPERVISE_POLL_NS);
            uint64_t now = pb_now_ns();
            if (child_exited || now >= next_check) {
                next_check = now + SUPERVISE_POLL_NS;
                if ((rc = supervise(pool, 1)) < 0)
                    return rc;
            }
        } while (pushed == -ETIMEDOUT && !pb_stop_requested());
        if (pushed == 0)
            stats->submitted++;
    }
    return 0;
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
    if (atomic_load(&pool.ctl->setup_failed)) {
        if (err)
            *err = pool.ctl->setup_err;
        rc = -EINVAL;
        pb_gate_open(&pool.ctl->gate, 0);
        drain(&pool, 0);
        goto out;
    }
    stats->start_ns = pb_now_ns();
    if (spec->rate <= 0)
        pb_taskq_start_closed(pool.q, spec->tasks, stats->start_ns,
                              stats->start_ns + spec->duration_ns);
    pb_gate_open(&pool.ctl->gate, 1);
    rc = spec->rate > 0 ? produce(&pool, stats) : 0;
    if (rc < 0) {
        pb_err_set(err, rc, "processes: cannot fork a replacement worker: %s", strerror(-rc));
        kill_all(&pool);
        goto out;
    }
    pb_taskq_close(pool.q);
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
    .flags = PB_RUNNER_PROCESSES,
    .run = processes_run,
};
