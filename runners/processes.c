/* processes: C pre-forked, pinned worker processes fed through a queue in shared memory (the
 * seed's ProcessPoolExecutor). A worker that dies is noticed, its task recorded as failed with
 * the cause, and the worker replaced. The whole repetition runs in the zygote (harness/zygote.h),
 * a process without threads, which forks the workers, supervises them, and in an open loop
 * produces (in a closed loop the workers claim tasks, see harness/taskq.h). */
#include <errno.h>
#include <signal.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/crew.h"
#include "harness/limits.h"
#include "harness/schedule.h"
#include "harness/shm.h"
#include "harness/stop.h"
#include "harness/taskq.h"
#include "harness/worker.h"
#include "harness/runner.h"

/* How often the supervisor looks at its children. */
#define SUPERVISE_POLL_NS 1000000u
/* How long workers may take to set up before the run is abandoned. */
#define SETUP_LIMIT_NS 60000000000u
/* A worker whose own timeout timer could not end its task (the signal blocked, a task stuck in
 * the kernel) is killed this long after its --timeout. */
#define TIMEOUT_BACKSTOP_NS 1000000000u
/* What a process worker and its process cost besides its record: page tables, a stack, the
 * pages it copies on write. */
#define PROCESS_BYTES (1u << 20)

/* One worker slot, shared, on a cache line of its own (neighbouring workers write theirs on
 * every task): what its process is running, so a death can be accounted for. The worker writes
 * busy, task_gen and the times; the supervisor the rest. */
struct slot {
    alignas(64) _Atomic uint32_t busy;
    _Atomic uint64_t task_gen;      /* bumped per task (one writer: no locked add) */
    _Atomic uint64_t timed_out_gen; /* the task the worker's own timeout timer ended */
    uint64_t ended_before;          /* the record's task count when this task started */
    uint64_t created_ns;
    uint64_t started_ns;
    pid_t pid;         /* 0 when no process is alive in this slot */
    int killed_for;    /* the supervisor's note: PB_FAIL_TIMEOUT or PB_FAIL_OTHER when it killed */
    uint64_t peak_rss; /* the largest of this slot's processes */
};

_Static_assert(sizeof(struct slot) == 64, "a slot is one cache line of its own");

struct pool {
    struct pb_crew crew;
    struct slot *slots;
    size_t slots_size;
    struct pb_taskq *q;
    size_t q_size;
    pid_t parent;
    unsigned alive;
    uint64_t setup_deadline, next_check;
};

/* The worker process's own slot, for its timeout handler. */
static struct slot *my_slot;

/* The task's --timeout expired in the worker itself. The timer is disarmed after busy is
 * cleared and before the next task sets it, and a signal is delivered at the latest when the
 * disarming call returns: so a busy slot here is the timed task, never the next one. */
static void on_task_timeout(int sig)
{
    if (atomic_load(&my_slot->busy)) {
        atomic_store(&my_slot->timed_out_gen, atomic_load(&my_slot->task_gen));
        pid_t group = pb_task_pgroup(); /* a command the task runs (exec) goes with it */
        if (group > 0)
            kill(-group, SIGKILL);
        _exit(1);
    }
}

/* A per-task timer in the worker: exact, and no kill from outside can land on the next task. */
static int timeout_timer(struct slot *slot, timer_t *timer)
{
    my_slot = slot;
    struct sigaction sa = {.sa_handler = on_task_timeout, .sa_flags = SA_RESTART};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGALRM};
    return timer_create(CLOCK_MONOTONIC, &ev, timer) < 0 ? -errno : 0;
}

/* Arms the timer for ns (0 disarms). */
static void arm(timer_t timer, uint64_t ns)
{
    struct itimerspec its = {.it_value = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)}};
    timer_settime(timer, 0, &its, NULL);
}

static void child_main(struct pool *pool, unsigned index)
{
    struct pb_crew *crew = &pool->crew;
    const struct pb_run_spec *spec = crew->spec;
    struct slot *slot = &pool->slots[index];
    struct pb_worker_record *rec = &spec->records[index];
    /* Die with the zygote. SIGINT and SIGTERM keep the handler the driver installed: they raise
     * the stop, and this worker ends its task and leaves within the grace period. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != pool->parent)
        _exit(0);
    struct pb_err err;
    struct rusage usage;
    void *wstate = NULL;
    timer_t timer;
    int rc = pb_crew_worker_bind(crew, index, &err);
    if (rc == 0 && spec->timeout_ns && timeout_timer(slot, &timer) < 0)
        rc = pb_err_set(&err, -errno, "worker %u: cannot create its timeout timer", index);
    if (pb_crew_worker_ready(crew, index, NULL, NULL, rc < 0 ? &err : NULL, &wstate, &usage) < 0)
        _exit(0);
    struct pb_task_item item;
    while (pb_taskq_pop(pool->q, &item) == 0) {
        uint64_t gen = atomic_load_explicit(&slot->task_gen, memory_order_relaxed) + 1;
        atomic_store_explicit(&slot->task_gen, gen, memory_order_relaxed);
        slot->ended_before = pb_record_tasks(rec);
        slot->created_ns = item.created_ns;
        slot->started_ns = item.taken_ns ? item.taken_ns : pb_now_ns();
        atomic_store_explicit(&slot->busy, 1, memory_order_release);
        if (spec->timeout_ns)
            arm(timer, spec->timeout_ns);
        enum pb_status st =
            pb_worker_task(spec, wstate, rec, item.index, item.created_ns, slot->started_ns);
        atomic_store_explicit(&slot->busy, 0, memory_order_release);
        if (spec->timeout_ns)
            arm(timer, 0);
        if (st != PB_OK && spec->fail_fast)
            pb_stop_request(PB_STOP_FAIL_FAST);
    }
    pb_crew_worker_done(crew, index, wstate, &usage);
    _exit(0);
}

static int spawn(struct pool *pool, unsigned index)
{
    pid_t pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0)
        child_main(pool, index);
    pool->slots[index].pid = pid;
    pool->slots[index].killed_for = 0;
    pool->alive++;
    return 0;
}

static void describe_death(int status, int why, char *buf, size_t len)
{
    if (why == PB_FAIL_TIMEOUT)
        snprintf(buf, len, "killed after exceeding --timeout");
    else if (why)
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
    const struct pb_run_spec *spec = pool->crew.spec;
    struct slot *slot = &pool->slots[i];
    struct pb_worker_record *rec = &spec->records[i];
    uint64_t rss = (uint64_t)ru->ru_maxrss * 1024;
    if (rss > slot->peak_rss)
        slot->peak_rss = rss;
    slot->pid = 0;
    pool->alive--;
    int why = slot->killed_for;
    if (atomic_load(&slot->timed_out_gen) &&
        atomic_load(&slot->timed_out_gen) == atomic_load(&slot->task_gen))
        why = PB_FAIL_TIMEOUT;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && !why)
        return 0;
    /* A worker that died could not bracket its usage; its whole life is the best there is. */
    struct rusage none = {0};
    pb_usage_add(&rec->usage, &none, ru);
    /* Busy, and not yet recorded by the worker itself (it may die between the two). */
    if (atomic_load_explicit(&slot->busy, memory_order_acquire) &&
        pb_record_tasks(rec) == slot->ended_before) {
        enum pb_status st = why ? (enum pb_status)why : PB_FAIL_CRASH;
        uint64_t created = slot->created_ns ? slot->created_ns : slot->started_ns;
        pb_record_task(rec, created, slot->started_ns, pb_now_ns(), st, 0, -1);
        atomic_store(&slot->busy, 0);
        if (spec->fail_fast)
            pb_stop_request(PB_STOP_FAIL_FAST);
    }
    describe_death(status, why, rec->last_failure, sizeof(rec->last_failure));
    return 1;
}

static int slot_of(const struct pool *pool, pid_t pid)
{
    for (unsigned i = 0; i < pool->crew.spawned; i++)
        if (pool->slots[i].pid == pid)
            return (int)i;
    return -1;
}

/* Reaps every dead worker (the zygote has no other children), replaces those that died while
 * work is left, and kills a worker its own timeout could not end. -errno when a replacement
 * cannot be forked. */
static int supervise(struct pool *pool, int replace)
{
    const struct pb_run_spec *spec = pool->crew.spec;
    int status, rc = 0;
    struct rusage ru;
    pid_t pid;
    while ((pid = wait4(-1, &status, WNOHANG, &ru)) > 0) {
        int i = slot_of(pool, pid);
        if (i < 0 || !account_death(pool, (unsigned)i, status, &ru) || !replace || rc < 0)
            continue;
        spec->records[i].replacements++;
        rc = spawn(pool, (unsigned)i);
    }
    uint64_t now = pb_now_ns();
    for (unsigned i = 0; spec->timeout_ns && i < pool->crew.spawned; i++) {
        struct slot *slot = &pool->slots[i];
        if (slot->pid && !slot->killed_for && atomic_load(&slot->busy) &&
            now - slot->started_ns > spec->timeout_ns + TIMEOUT_BACKSTOP_NS) {
            slot->killed_for = PB_FAIL_TIMEOUT;
            kill(slot->pid, SIGKILL);
        }
    }
    return rc;
}

/* While the workers set up: one that died, or a set-up past the limit, fails the run. */
static int setup_poll(struct pb_crew *crew, struct pb_err *err)
{
    struct pool *pool = crew->runner;
    unsigned before = pool->alive;
    supervise(pool, 0);
    if (pool->alive < before)
        return pb_err_set(err, -ECHILD, "processes: a worker died while setting up");
    if (pb_now_ns() > pool->setup_deadline)
        return pb_err_set(err, -ETIMEDOUT, "processes: the workers took over %llu s to set up",
                          (unsigned long long)(SETUP_LIMIT_NS / 1000000000u));
    return 0;
}

static int crew_spawn(struct pb_crew *crew, unsigned i)
{
    return spawn(crew->runner, i);
}

static void begin(struct pb_crew *crew, uint64_t start_ns)
{
    struct pool *pool = crew->runner;
    const struct pb_load *load = &crew->spec->load;
    if (!pb_load_open(load))
        pb_taskq_start_closed(pool->q, load->tasks, start_ns, pb_load_deadline(load, start_ns));
}

/* Called by the producer while it waits. */
static int feed_poll(void *arg)
{
    struct pool *pool = arg;
    uint64_t now = pb_now_ns();
    if (now < pool->next_check)
        return 0;
    pool->next_check = now + SUPERVISE_POLL_NS;
    return supervise(pool, !pb_stop_requested());
}

/* Waits until every worker has left: they drain the queue; after a stop they finish the task in
 * hand, and those still running after the grace period are killed. */
static void drain(struct pool *pool, int replace)
{
    const struct pb_run_spec *spec = pool->crew.spec;
    uint64_t kill_at = 0;
    while (pool->alive) {
        if (pb_stop_requested() && !kill_at) {
            kill_at = pb_now_ns() + spec->grace_ns;
            replace = 0;
        }
        if (kill_at && pb_now_ns() >= kill_at) {
            for (unsigned i = 0; i < pool->crew.spawned; i++) {
                struct slot *slot = &pool->slots[i];
                if (slot->pid && !slot->killed_for) {
                    slot->killed_for = PB_FAIL_OTHER;
                    kill(slot->pid, SIGKILL);
                }
            }
        }
        if (supervise(pool, replace && !pb_taskq_drained(pool->q)) < 0) {
            pb_stop_request(PB_STOP_ERROR);
            replace = 0;
        }
        if (pool->alive) {
            struct timespec ts = {0, SUPERVISE_POLL_NS};
            nanosleep(&ts, NULL);
        }
    }
}

static int drive(struct pb_crew *crew, struct pb_err *err)
{
    struct pool *pool = crew->runner;
    int rc = 0;
    if (pb_load_open(&crew->spec->load))
        rc = pb_schedule_feed(pool->q, crew->spec, crew->stats, feed_poll, pool);
    if (rc < 0) {
        pb_err_set(err, rc, "processes: cannot fork a replacement worker: %s", strerror(-rc));
        pb_stop_request(PB_STOP_ERROR);
    }
    drain(pool, rc == 0);
    return rc;
}

/* Reaps whatever is left (after a failed start: they leave once the gate opens for no one). */
static void join(struct pb_crew *crew)
{
    drain(crew->runner, 0);
}

static const struct pb_crew_ops processes_crew = {
    .spawn = crew_spawn,
    .poll = setup_poll,
    .begin = begin,
    .drive = drive,
    .join = join,
};

static int processes_preflight(const struct pb_run_spec *spec, struct pb_err *err)
{
    return pb_limits_check("processes", 0, spec->workers,
                           pb_limits_worker_bytes(spec, PROCESS_BYTES + sizeof(struct slot), 1),
                           "lower -c", err);
}

static int processes_run(const struct pb_run_spec *spec, struct pb_run_stats *stats,
                         struct pb_err *err)
{
    unsigned n = spec->workers;
    struct pool pool = {.parent = getpid(), .setup_deadline = pb_now_ns() + SETUP_LIMIT_NS};
    int rc;
    pool.slots_size = n * sizeof(struct slot);
    pool.q_size = pb_taskq_size(spec->queue_depth);
    pool.slots = pb_shm_alloc(pool.slots_size);
    pool.q = pb_shm_alloc(pool.q_size);
    if (!pool.slots || !pool.q ||
        pb_crew_init(&pool.crew, &processes_crew, spec, stats, &pool) < 0) {
        rc = pb_err_set(err, -ENOMEM, "processes: cannot map shared memory");
        goto out;
    }
    pb_taskq_init(pool.q, spec->queue_depth);
    fflush(NULL); /* nothing buffered may be written twice */
    rc = pb_crew_run(&pool.crew, err);
    pb_taskq_destroy(pool.q);
    for (unsigned i = 0; i < n; i++) {
        stats->workers_peak_rss_bytes += pool.slots[i].peak_rss;
        if (!pb_load_open(&spec->load))
            stats->submitted += pb_record_tasks(&spec->records[i]);
    }
    pb_crew_destroy(&pool.crew);
out:
    pb_shm_free(pool.q, pool.q_size);
    pb_shm_free(pool.slots, pool.slots_size);
    return rc;
}

const struct pb_runner_ops pb_runner_processes = {
    .name = "processes",
    .description = "C pre-forked pinned processes fed through shared memory "
                   "(ProcessPoolExecutor); dead workers are replaced",
    .flags = PB_RUNNER_FORKS | PB_RUNNER_QUEUE,
    .preflight = processes_preflight,
    .run = processes_run,
};
