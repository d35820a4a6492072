/* The bounded task queue: Vyukov's MPMC ring with futex sleeps when full or empty. */
#include "harness/taskq.h"

#include <errno.h>
#include <sched.h>

#include "harness/clock.h"
#include "harness/fence.h"
#include "harness/futex.h"
#include "harness/stop.h"

enum { Q_OPEN = 0, Q_CLOSED = 1 };

/* A worker spins this many times on an empty queue before it sleeps: long enough to catch the
 * producer's next push, short enough not to steal its CPU when both share a core. */
#define SPIN_BEFORE_SLEEP 200

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax() __builtin_ia32_pause()
#else
#define cpu_relax() atomic_signal_fence(memory_order_seq_cst)
#endif

unsigned pb_taskq_capacity_for(unsigned depth)
{
    unsigned cap = 2;
    while (cap < depth && cap < (1u << 30))
        cap <<= 1;
    return cap;
}

size_t pb_taskq_size(unsigned depth)
{
    return sizeof(struct pb_taskq) + pb_taskq_capacity_for(depth) * sizeof(struct pb_taskq_cell);
}

void pb_taskq_init(struct pb_taskq *q, unsigned depth)
{
    uint64_t cap = pb_taskq_capacity_for(depth);
    q->mask = cap - 1;
    for (uint64_t i = 0; i < cap; i++) {
        atomic_store_explicit(&q->cells[i].seq, i, memory_order_relaxed);
        atomic_store_explicit(&q->cells[i].claimed_ns, 0, memory_order_relaxed);
    }
    atomic_store(&q->head, 0);
    atomic_store(&q->tail, 0);
    atomic_store(&q->not_empty, 0);
    atomic_store(&q->not_full, 0);
    atomic_store(&q->consumers_waiting, 0);
    atomic_store(&q->producer_waiting, 0);
    atomic_store(&q->state, Q_OPEN);
    atomic_store(&q->fence, 0);
    atomic_store(&q->next_claim, 0);
    q->claiming = 0;
    pb_stop_watch(&q->not_empty);
    pb_stop_watch(&q->not_full);
}

void pb_taskq_destroy(struct pb_taskq *q)
{
    pb_stop_unwatch(&q->not_empty);
    pb_stop_unwatch(&q->not_full);
}

void pb_taskq_start_closed(struct pb_taskq *q, uint64_t tasks, uint64_t start_ns,
                           uint64_t deadline_ns)
{
    q->claiming = 1;
    q->claim_limit = tasks ? tasks : UINT64_MAX;
    q->claim_start_ns = start_ns;
    q->claim_deadline_ns = tasks ? 0 : deadline_ns;
}

static uint64_t queue_length(const struct pb_taskq *q)
{
    uint64_t h = atomic_load(&q->head), t = atomic_load(&q->tail);
    return h > t ? h - t : 0;
}

int pb_taskq_drained(const struct pb_taskq *q)
{
    if (!q->claiming)
        return queue_length(q) == 0 && atomic_load(&q->state) != Q_OPEN;
    return atomic_load(&q->next_claim) >= q->claim_limit ||
           (q->claim_deadline_ns && pb_now_ns() >= q->claim_deadline_ns);
}

/* Closed loop: claims the next task. Its creation time is when task i - capacity left (the
 * moment its slot freed), which that task's claimer left in the same cell. The claimer never
 * waits for it: if that claimer has not stored its time yet (it was preempted, or it was a
 * process worker killed in between), the slot counts as freed now, the claim's own time. Every
 * shared field is atomic, and a late store never overwrites a newer one. */
static int claim(struct pb_taskq *q, struct pb_task_item *out)
{
    if (pb_stop_requested())
        return -ECANCELED;
    uint64_t i = atomic_fetch_add_explicit(&q->next_claim, 1, memory_order_relaxed);
    if (i >= q->claim_limit)
        return -EPIPE;
    uint64_t now = pb_now_ns();
    if (q->claim_deadline_ns && now >= q->claim_deadline_ns)
        return -EPIPE;
    uint64_t cap = q->mask + 1;
    struct pb_taskq_cell *c = &q->cells[i & q->mask];
    uint64_t created = q->claim_start_ns;
    if (i >= cap) {
        created = now;
        /* Its store of seq released its time; a claimer racing past it at most makes the time
         * a little later, never earlier than the slot freed. */
        if (atomic_load_explicit(&c->seq, memory_order_acquire) == i - cap + 1)
            created = atomic_load_explicit(&c->claimed_ns, memory_order_relaxed);
    }
    /* Task i + capacity enters the queue as task i leaves it. */
    if (atomic_load_explicit(&c->seq, memory_order_relaxed) < i + 1) {
        atomic_store_explicit(&c->claimed_ns, now, memory_order_relaxed);
        atomic_store_explicit(&c->seq, i + 1, memory_order_release);
    }
    *out = (struct pb_task_item){.index = i, .created_ns = created, .taken_ns = now};
    return 0;
}

static int try_push(struct pb_taskq *q, const struct pb_task_item *item)
{
    uint64_t pos = atomic_load_explicit(&q->head, memory_order_relaxed);
    for (;;) {
        struct pb_taskq_cell *c = &q->cells[pos & q->mask];
        uint64_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
        int64_t dif = (int64_t)(seq - pos);
        if (dif == 0) {
            if (atomic_compare_exchange_weak_explicit(&q->head, &pos, pos + 1, memory_order_relaxed,
                                                      memory_order_relaxed)) {
                c->item = *item;
                if (!c->item.created_ns)
                    c->item.created_ns = pb_now_ns();
                atomic_store_explicit(&c->seq, pos + 1, memory_order_release);
                return 1;
            }
        } else if (dif < 0) {
            return 0; /* full */
        } else {
            pos = atomic_load_explicit(&q->head, memory_order_relaxed);
        }
    }
}

static int try_pop(struct pb_taskq *q, struct pb_task_item *out)
{
    uint64_t pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
    for (;;) {
        struct pb_taskq_cell *c = &q->cells[pos & q->mask];
        uint64_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
        int64_t dif = (int64_t)(seq - (pos + 1));
        if (dif == 0) {
            if (atomic_compare_exchange_weak_explicit(&q->tail, &pos, pos + 1, memory_order_relaxed,
                                                      memory_order_relaxed)) {
                *out = c->item;
                atomic_store_explicit(&c->seq, pos + q->mask + 1, memory_order_release);
                return 1;
            }
        } else if (dif < 0) {
            return 0; /* empty */
        } else {
            pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
        }
    }
}

/* The wake-ups below pair with the waiters' "announce, then re-check" through full fences, so
 * neither side can miss the other (Dekker). */
static void wake_consumer(struct pb_taskq *q)
{
    pb_fence(&q->fence);
    if (atomic_load_explicit(&q->consumers_waiting, memory_order_relaxed)) {
        atomic_fetch_add(&q->not_empty, 1);
        pb_futex_wake(&q->not_empty, 1);
    }
}

/* The producer is woken only once the queue has drained to half: one wake-up per half queue
 * of tasks instead of one per task. */
static void wake_producer(struct pb_taskq *q)
{
    pb_fence(&q->fence);
    if (atomic_load_explicit(&q->producer_waiting, memory_order_relaxed) &&
        queue_length(q) <= (q->mask + 1) / 2) {
        atomic_fetch_add(&q->not_full, 1);
        pb_futex_wake(&q->not_full, INT32_MAX);
    }
}

int pb_taskq_push(struct pb_taskq *q, uint64_t index, uint64_t created_ns, uint64_t timeout_ns)
{
    struct pb_task_item item = {.index = index, .created_ns = created_ns};
    uint64_t deadline = timeout_ns ? pb_now_ns() + timeout_ns : 0;
    for (;;) {
        if (pb_stop_requested())
            return -ECANCELED;
        if (try_push(q, &item)) {
            wake_consumer(q);
            return 0;
        }
        /* Checked on every pass: a consumer that died half way through a pop leaves its cell
         * "full" forever, and the producer must still come back to its caller. */
        if (deadline && pb_now_ns() >= deadline)
            return -ETIMEDOUT;
        uint32_t seen = atomic_load(&q->not_full);
        atomic_store(&q->producer_waiting, 1);
        pb_fence(&q->fence);
        if (queue_length(q) <= q->mask || pb_stop_requested()) { /* a slot freed meanwhile */
            atomic_store(&q->producer_waiting, 0);
            continue;
        }
        uint64_t wait = 0;
        if (deadline) {
            uint64_t now = pb_now_ns();
            if (now >= deadline) {
                atomic_store(&q->producer_waiting, 0);
                return -ETIMEDOUT;
            }
            wait = deadline - now;
        }
        pb_futex_wait(&q->not_full, seen, wait);
        atomic_store(&q->producer_waiting, 0);
    }
}

int pb_taskq_pop(struct pb_taskq *q, struct pb_task_item *out)
{
    if (q->claiming)
        return claim(q, out);
    for (unsigned spin = 0;; spin++) {
        uint32_t state = atomic_load_explicit(&q->state, memory_order_acquire);
        if (pb_stop_requested())
            return -ECANCELED;
        if (try_pop(q, out)) {
            wake_producer(q);
            return 0;
        }
        if (state == Q_CLOSED)
            return -EPIPE;
        if (spin < SPIN_BEFORE_SLEEP) {
            cpu_relax();
            continue;
        }
        uint32_t seen = atomic_load(&q->not_empty);
        atomic_fetch_add(&q->consumers_waiting, 1);
        pb_fence(&q->fence);
        if (queue_length(q) == 0 && atomic_load(&q->state) == Q_OPEN && !pb_stop_requested())
            pb_futex_wait(&q->not_empty, seen, 0);
        atomic_fetch_sub(&q->consumers_waiting, 1);
        spin = 0;
    }
}

void pb_taskq_close(struct pb_taskq *q)
{
    atomic_store(&q->state, Q_CLOSED);
    atomic_fetch_add(&q->not_empty, 1);
    atomic_fetch_add(&q->not_full, 1);
    pb_futex_wake(&q->not_empty, INT32_MAX);
    pb_futex_wake(&q->not_full, INT32_MAX);
}
