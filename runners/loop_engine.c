/* L libuv loops on L pinned threads, sharing the tasks of one repetition. */
#include "runners/loop_engine.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "harness/clock.h"
#include "harness/crew.h"
#include "harness/limits.h"
#include "harness/schedule.h"
#include "harness/stop.h"
#include "runners/loop_timers.h"

/* How often a loop looks at the stop channel, and how many fresh slots a pool chunk holds. */
#define STOP_POLL_MS 20
#define CHUNK_SLOTS  4096
/* Ready tasks run inline per loop iteration, and overdue arrivals created per timer callback:
 * a loop that cannot keep up with --rate still serves its timers and I/O, and holds only the
 * tasks it started (the others are due, not yet made). */
#define INLINE_BATCH  4096
#define ARRIVAL_BATCH 4096

/* A task as the loop holds it. While it waits for a permit it sits on the waiting list; once
 * started, on the in-flight list, oldest first, so the oldest is the first to time out. Every
 * task of a gather holds one, so it is kept to 32 bytes before t: a million sleeps are a
 * million of these. */
struct loop_task {
    struct loop_task *prev, *next;
    struct loop_worker *w;
    uint8_t stop_cancelled; /* 1: by --timeout, 2: by a stop */
    uint8_t to_cancel;      /* chosen for the cancelling walk under way */
    struct pb_async_task t; /* followed by the workload's task_size bytes */
};

struct slot_chunk {
    struct slot_chunk *next;
    _Alignas(16) char slots[]; /* each slot holds a 16-aligned struct loop_task */
};

struct loop_worker {
    struct engine *e;
    unsigned index;
    pthread_t tid;
    uv_loop_t loop;
    void *wstate;
    int setup_ok, loop_inited;
    struct pb_worker_record *rec;
    struct pb_load load; /* this loop's part of the tasks and the rate */
    struct pb_schedule sched;
    uint64_t permits; /* UINT64_MAX: no limit */
    uint64_t in_flight, created;
    int creating_done, stopping, finished;
    int has_pending; /* open loop: the next scheduled task, not yet due */
    uint64_t pending_index, pending_when;

    /* Tasks waiting for a permit (FIFO), tasks in flight (by start time), inline CPU tasks. */
    struct loop_task *wait_head, *wait_tail;
    struct loop_task *fly_head, *fly_tail;
    struct loop_task *inline_head, *inline_tail;

    /* Slot memory: chunks never move, freed slots are reused. */
    size_t slot_size;
    struct slot_chunk *chunks, *cur; /* in allocation order; cur: the one being filled */
    size_t chunk_used;
    struct loop_task *free_slots;

    uv_timer_t arrival_timer, timeout_timer, stop_timer;
    uv_idle_t inline_idle;
    struct pb_ltimers timers; /* the workload's precise timers (pb_worker_env.timers) */
    int timers_inited;
    uint64_t stop_deadline;
    _Atomic uint64_t *next_index; /* closed loop with --duration: shared task numbering */
};

struct engine {
    struct pb_crew crew;
    const struct pb_run_spec *spec;
    struct pb_run_stats *stats;
    struct loop_worker *workers;
    _Atomic uint64_t next_index;
    uint64_t deadline_ns; /* --duration: when creating ends (closed loop) */
};

static struct slot_chunk *chunk_add(struct loop_worker *w, struct slot_chunk *after)
{
    struct slot_chunk *c = malloc(sizeof(*c) + CHUNK_SLOTS * w->slot_size);
    if (!c)
        return NULL;
    c->next = NULL;
    if (after)
        after->next = c;
    else
        w->chunks = c;
    return c;
}

/* Set-up, before the start gate: memory for n tasks, touched, so the timed part creates tasks
 * rather than page faults (peak RSS still counts it). A stop ends it: millions of tasks take
 * seconds to touch. */
static int slot_reserve(struct loop_worker *w, uint64_t n)
{
    struct slot_chunk *last = NULL;
    for (uint64_t k = 0; k * CHUNK_SLOTS < n; k++) {
        if (pb_stop_requested())
            return -ECANCELED;
        if (!(last = chunk_add(w, last)))
            return -ENOMEM;
        memset(last->slots, 0, CHUNK_SLOTS * w->slot_size);
    }
    w->cur = w->chunks;
    return 0;
}

static struct loop_task *slot_get(struct loop_worker *w)
{
    struct loop_task *lt = w->free_slots;
    if (lt) {
        w->free_slots = lt->next;
        return lt;
    }
    if (!w->cur || w->chunk_used == CHUNK_SLOTS) {
        struct slot_chunk *next = w->cur ? w->cur->next : w->chunks;
        if (!next && !(next = chunk_add(w, w->cur)))
            return NULL;
        w->cur = next;
        w->chunk_used = 0;
    }
    return (struct loop_task *)(w->cur->slots + w->slot_size * w->chunk_used++);
}

static void slot_put(struct loop_worker *w, struct loop_task *lt)
{
    lt->next = w->free_slots;
    w->free_slots = lt;
}

static void list_append(struct loop_task **head, struct loop_task **tail, struct loop_task *lt)
{
    lt->next = NULL;
    lt->prev = *tail;
    if (*tail)
        (*tail)->next = lt;
    else
        *head = lt;
    *tail = lt;
}

static void list_remove(struct loop_task **head, struct loop_task **tail, struct loop_task *lt)
{
    if (lt->prev)
        lt->prev->next = lt->next;
    else
        *head = lt->next;
    if (lt->next)
        lt->next->prev = lt->prev;
    else
        *tail = lt->prev;
    lt->prev = lt->next = NULL;
}

/* Cancels the tasks in flight that started by until and are not cancelled yet, oldest first.
 * All are marked before the first cancel, so that one ended by another's cancel still counts
 * as cancelled (a stop's are PB_FAIL_OTHER). Cancelling one may end others (a workload's done
 * on its failure path), which unlinks them and frees their slots, so the walk keeps its place
 * with a marker on the list that no task's end touches; tasks started meanwhile come after
 * until (the list is in start order). */
static void cancel_started_by(struct loop_worker *w, uint64_t until, uint8_t why)
{
    struct loop_task *lt, mark = {.stop_cancelled = why};
    for (lt = w->fly_head; lt && lt->t.started_ns <= until; lt = lt->next)
        if (!lt->stop_cancelled)
            lt->stop_cancelled = why, lt->to_cancel = 1;
    for (lt = w->fly_head; lt && lt->t.started_ns <= until;) {
        if (!lt->to_cancel) {
            lt = lt->next;
            continue;
        }
        lt->to_cancel = 0;
        mark.prev = lt; /* the marker goes right after lt */
        mark.next = lt->next;
        if (lt->next)
            lt->next->prev = &mark;
        else
            w->fly_tail = &mark;
        lt->next = &mark;
        w->e->spec->wl->cancel(w->wstate, &lt->t);
        lt = mark.next;
        list_remove(&w->fly_head, &w->fly_tail, &mark);
    }
}

static void start_waiting(struct loop_worker *w);
static void maybe_finish(struct loop_worker *w);
static void create_closed(struct loop_worker *w, uint64_t n);

static void on_timeout_timer(uv_timer_t *timer);

/* Arms the one timeout timer for the oldest task in flight not yet cancelled. */
static void arm_timeout(struct loop_worker *w)
{
    const struct pb_run_spec *spec = w->e->spec;
    if (!spec->timeout_ns || !spec->wl->cancel)
        return;
    struct loop_task *lt = w->fly_head;
    while (lt && lt->stop_cancelled)
        lt = lt->next;
    if (!lt) {
        uv_timer_stop(&w->timeout_timer);
        return;
    }
    uint64_t due = lt->t.started_ns + spec->timeout_ns, now = pb_now_ns();
    uv_timer_start(&w->timeout_timer, on_timeout_timer,
                   due > now ? (due - now + 999999u) / 1000000u : 0, 0);
}

static void task_done(struct pb_async_task *t, enum pb_status st, uint64_t bytes)
{
    struct loop_task *lt = (struct loop_task *)((char *)t - offsetof(struct loop_task, t));
    struct loop_worker *w = lt->w;
    const struct pb_run_spec *spec = w->e->spec;
    uint64_t finished = pb_now_ns();
    if (lt->stop_cancelled == 2) /* cancelled because the run was stopped, not by --timeout */
        st = PB_FAIL_OTHER;
    pb_record_task(w->rec, t->created_ns, t->started_ns, finished, st, bytes, sched_getcpu());
    list_remove(&w->fly_head, &w->fly_tail, lt);
    w->in_flight--;
    slot_put(w, lt);
    if (st != PB_OK && spec->fail_fast)
        pb_stop_request(PB_STOP_FAIL_FAST);
    /* Closed loop with --duration: a freed permit makes a new task while time is left. */
    if (!w->creating_done && !pb_load_open(&spec->load) && !spec->load.tasks) {
        if (finished < w->e->deadline_ns)
            create_closed(w, 1);
        else
            w->creating_done = 1;
    }
    start_waiting(w);
    maybe_finish(w);
}

static void create_task(struct loop_worker *w, uint64_t index, uint64_t created_ns)
{
    struct loop_task *lt = slot_get(w);
    if (!lt) { /* out of memory: the task exists and fails, the run goes on */
        pb_record_task(w->rec, created_ns, created_ns, pb_now_ns(), PB_FAIL_OTHER, 0, -1);
        w->created++;
        return;
    }
    *lt = (struct loop_task){.w = w,
                             .t = {.index = index, .created_ns = created_ns, .done = task_done}};
    list_append(&w->wait_head, &w->wait_tail, lt);
    w->created++;
}

/* Closed loop: n more tasks, numbered across loops, created now (all of them up front with -n,
 * one per freed permit with --duration). */
static void create_closed(struct loop_worker *w, uint64_t n)
{
    uint64_t now = pb_now_ns();
    uint64_t first = atomic_fetch_add_explicit(w->next_index, n, memory_order_relaxed);
    for (uint64_t i = 0; i < n; i++)
        create_task(w, first + i, now);
}

/* CPU work runs inline: each loop iteration runs the tasks that are ready, up to a batch, as
 * asyncio runs every ready callback per iteration; timers and I/O wait meanwhile. */
static void on_inline_idle(uv_idle_t *idle)
{
    struct loop_worker *w = idle->data;
    const struct pb_run_spec *spec = w->e->spec;
    for (unsigned n = 0; n < INLINE_BATCH && w->inline_head && !pb_stop_requested(); n++) {
        struct loop_task *lt = w->inline_head;
        list_remove(&w->inline_head, &w->inline_tail, lt);
        list_append(&w->fly_head, &w->fly_tail, lt);
        uint64_t bytes = 0;
        lt->t.started_ns = pb_now_ns();
        enum pb_status st = spec->wl->run(w->wstate, lt->t.index, &bytes);
        if (st == PB_OK && spec->timeout_ns && pb_now_ns() - lt->t.started_ns > spec->timeout_ns)
            st = PB_FAIL_TIMEOUT; /* inline work cannot be cancelled: counted when it ends */
        task_done(&lt->t, st, bytes);
    }
    if (!w->inline_head || pb_stop_requested()) /* on a stop, on_stop_timer drops the rest */
        uv_idle_stop(idle);
}

/* Starts waiting tasks while permits allow. A task that fails to start ends at once, which
 * re-enters here: the guard keeps that a loop, not a recursion. */
static void start_waiting(struct loop_worker *w)
{
    static _Thread_local int active;
    if (active)
        return;
    active = 1;
    const struct pb_run_spec *spec = w->e->spec;
    while (!w->stopping && !pb_stop_requested() && w->in_flight < w->permits && w->wait_head) {
        struct loop_task *lt = w->wait_head;
        list_remove(&w->wait_head, &w->wait_tail, lt);
        w->in_flight++;
        if (!spec->wl->start) {
            list_append(&w->inline_head, &w->inline_tail, lt);
            uv_idle_start(&w->inline_idle, on_inline_idle);
            continue;
        }
        lt->t.started_ns = pb_now_ns();
        list_append(&w->fly_head, &w->fly_tail, lt);
        if (spec->wl->start(w->wstate, &lt->t) < 0)
            task_done(&lt->t, PB_FAIL_OTHER, 0);
    }
    arm_timeout(w);
    active = 0;
}

static void on_timeout_timer(uv_timer_t *timer)
{
    struct loop_worker *w = timer->data;
    const struct pb_run_spec *spec = w->e->spec;
    uint64_t now = pb_now_ns();
    if (now >= spec->timeout_ns)
        cancel_started_by(w, now - spec->timeout_ns, 1);
    arm_timeout(w);
}

/* Open loop: creates each task at its scheduled time, whatever the completions. */
static void on_arrival_timer(uv_timer_t *timer)
{
    struct loop_worker *w = timer->data;
    for (unsigned made = 0; !w->creating_done; made++) {
        if (made == ARRIVAL_BATCH) { /* behind schedule: let the loop breathe, then go on */
            uv_timer_start(timer, on_arrival_timer, 0, 0);
            break;
        }
        if (!w->has_pending && !pb_schedule_next(&w->sched, &w->pending_index, &w->pending_when)) {
            w->creating_done = 1;
            break;
        }
        w->has_pending = 1;
        uint64_t now = pb_now_ns();
        if (w->pending_when > now) {
            uv_timer_start(timer, on_arrival_timer, (w->pending_when - now + 999999u) / 1000000u,
                           0);
            break;
        }
        create_task(w, w->pending_index * w->e->spec->workers + w->index, w->pending_when);
        w->has_pending = 0;
    }
    start_waiting(w);
    maybe_finish(w);
}

/* On a stop: nothing new starts; tasks in flight get the grace period, then are cancelled. */
static void on_stop_timer(uv_timer_t *timer)
{
    struct loop_worker *w = timer->data;
    if (!pb_stop_requested())
        return;
    uint64_t now = pb_now_ns();
    if (!w->stopping) {
        w->stopping = 1;
        w->creating_done = 1;
        uv_timer_stop(&w->arrival_timer);
        while (w->wait_head) { /* created, never started: not results */
            struct loop_task *lt = w->wait_head;
            list_remove(&w->wait_head, &w->wait_tail, lt);
            slot_put(w, lt);
        }
        while (w->inline_head) { /* holding a permit, but never started either */
            struct loop_task *lt = w->inline_head;
            list_remove(&w->inline_head, &w->inline_tail, lt);
            slot_put(w, lt);
            w->in_flight--;
        }
        w->stop_deadline = now + w->e->spec->grace_ns;
    }
    if (now >= w->stop_deadline && w->e->spec->wl->cancel)
        cancel_started_by(w, UINT64_MAX, 2);
    maybe_finish(w);
}

static void maybe_finish(struct loop_worker *w)
{
    if (!w->creating_done || w->in_flight || w->wait_head || w->finished)
        return;
    w->finished = 1;
    uv_close((uv_handle_t *)&w->arrival_timer, NULL);
    uv_close((uv_handle_t *)&w->timeout_timer, NULL);
    uv_close((uv_handle_t *)&w->stop_timer, NULL);
    uv_close((uv_handle_t *)&w->inline_idle, NULL);
    uv_stop(&w->loop);
}

static void close_leftover(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

/* The loop's own set-up, before the workload's: the loop, its handles, its task memory. */
static int loop_setup(struct loop_worker *w, struct pb_err *err)
{
    int rc = pb_crew_worker_bind(&w->e->crew, w->index, err);
    if (rc < 0)
        return rc;
    rc = uv_loop_init(&w->loop);
    if (rc < 0)
        return pb_err_set(err, rc, "loop %u: %s", w->index, uv_strerror(rc));
    w->loop_inited = 1;
    uv_timer_init(&w->loop, &w->arrival_timer);
    uv_timer_init(&w->loop, &w->timeout_timer);
    uv_timer_init(&w->loop, &w->stop_timer);
    uv_idle_init(&w->loop, &w->inline_idle);
    w->arrival_timer.data = w->timeout_timer.data = w->stop_timer.data = w;
    w->inline_idle.data = w;
    if ((rc = pb_ltimers_init(&w->loop, &w->timers)) < 0)
        return pb_err_set(err, rc, "loop %u: timerfd: %s", w->index, uv_strerror(rc));
    w->timers_inited = 1;
    if ((rc = slot_reserve(w, w->load.tasks)) < 0)
        return pb_err_set(err, rc, "loop %u: %s for %llu tasks", w->index,
                          rc == -ECANCELED ? "stopped while reserving memory" : "out of memory",
                          (unsigned long long)w->load.tasks);
    return 0;
}

static void *loop_main(void *arg)
{
    struct loop_worker *w = arg;
    struct engine *e = w->e;
    struct pb_err err;
    struct rusage usage;
    int setup = loop_setup(w, &err);
    if (pb_crew_worker_ready(&e->crew, w->index, &w->loop, w->timers_inited ? &w->timers : NULL,
                             setup < 0 ? &err : NULL, &w->wstate, &usage) == 0) {
        /* Loop k's arrivals fall between the others': k/R later, its own Poisson stream. */
        uint64_t start = e->stats->start_ns;
        uint64_t offset =
            pb_load_open(&w->load) ? (uint64_t)(w->index * 1e9 / e->spec->load.rate) : 0;
        pb_schedule_init(&w->sched, &w->load, start + offset);
        if (pb_load_open(&w->load)) {
            uv_timer_start(&w->arrival_timer, on_arrival_timer, 0, 0);
        } else if (e->spec->load.tasks) { /* -n: this loop's share, all at once (maybe none) */
            create_closed(w, w->load.tasks);
            w->creating_done = 1;
        } else { /* --duration: one per permit, then one per freed permit */
            create_closed(w, w->permits);
        }
        uv_timer_start(&w->stop_timer, on_stop_timer, STOP_POLL_MS, STOP_POLL_MS);
        start_waiting(w);
        maybe_finish(w);
        uv_run(&w->loop, UV_RUN_DEFAULT);
        pb_crew_worker_done(&e->crew, w->index, w->wstate, &usage);
    }
    if (w->loop_inited) {
        if (w->timers_inited) /* after worker_fini: the workload's entries are gone */
            pb_ltimers_close(&w->timers);
        uv_walk(&w->loop, close_leftover, NULL);
        uv_run(&w->loop, UV_RUN_DEFAULT);
        uv_loop_close(&w->loop);
    }
    for (struct slot_chunk *c = w->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    return NULL;
}

static int loop_spawn(struct pb_crew *crew, unsigned k)
{
    struct engine *e = crew->runner;
    return -pthread_create(&e->workers[k].tid, NULL, loop_main, &e->workers[k]);
}

static void loop_begin(struct pb_crew *crew, uint64_t start_ns)
{
    struct engine *e = crew->runner;
    e->deadline_ns = pb_load_deadline(&crew->spec->load, start_ns);
}

static void loop_join(struct pb_crew *crew)
{
    struct engine *e = crew->runner;
    for (unsigned i = 0; i < crew->spawned; i++)
        pthread_join(e->workers[i].tid, NULL);
}

static const struct pb_crew_ops loop_crew = {
    .spawn = loop_spawn,
    .begin = loop_begin,
    .join = loop_join,
};

static size_t task_bytes(const struct pb_workload_ops *wl)
{
    return (sizeof(struct loop_task) + wl->task_size + 15) & ~(size_t)15;
}

int pb_loop_engine_run(const struct pb_run_spec *spec, unsigned permits, struct pb_run_stats *stats,
                       struct pb_err *err)
{
    unsigned n = spec->workers;
    if (permits && permits < n)
        return pb_err_set(err, -EINVAL, "--loops %u needs at least %u permits (-c %u)", n, n,
                          permits);
    struct engine e = {.spec = spec, .stats = stats};
    e.workers = calloc(n, sizeof(*e.workers));
    if (!e.workers || pb_crew_init(&e.crew, &loop_crew, spec, stats, &e) < 0) {
        free(e.workers);
        return pb_err_set(err, -ENOMEM, "out of memory for %u loops", n);
    }
    for (unsigned k = 0; k < n; k++) {
        struct loop_worker *w = &e.workers[k];
        w->e = &e;
        w->index = k;
        w->rec = &spec->records[k];
        w->next_index = &e.next_index;
        w->slot_size = task_bytes(spec->wl);
        /* This loop's share: every n-th task, 1/n of the rate and of the permits. */
        w->load = pb_load_share(&spec->load, k, n);
        w->permits = permits ? permits / n + (k < permits % n) : UINT64_MAX;
        if (!w->load.tasks && spec->load.tasks) /* more loops than tasks: this one idles */
            w->creating_done = 1;
    }
    int rc = pb_crew_run(&e.crew, err);
    for (unsigned i = 0; i < n; i++)
        stats->submitted += e.workers[i].created;
    pb_crew_destroy(&e.crew);
    free(e.workers);
    return rc;
}

int pb_loop_engine_preflight(const struct pb_run_spec *spec, struct pb_err *err)
{
    /* A closed --duration loop holds one task per permit; otherwise every task may be held. */
    uint64_t tasks = pb_load_max_tasks(&spec->load);
    if (!tasks)
        tasks = spec->concurrency;
    uint64_t per = task_bytes(spec->wl);
    uint64_t bytes = tasks > UINT64_MAX / per ? UINT64_MAX : tasks * per;
    bytes += pb_limits_worker_bytes(spec, 1u << 20, 0);
    return pb_limits_check("holding every task on the loop", spec->workers, 0, bytes,
                           "lower -c or -n", err);
}
