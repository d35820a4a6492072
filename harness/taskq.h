/* The bounded task queue between a producer and its workers (threads or processes): a lock-free
 * ring (Vyukov's MPMC) whose full and empty waits sleep on futexes, so the per-task path takes
 * no lock and allocates nothing, and a full queue pushes back on the producer.
 *
 * A closed loop needs no producer: task i enters the queue the moment task i - capacity leaves
 * it (the first `capacity` tasks at the start). That is exactly a bounded queue whose producer
 * always waits on a full queue, so workers claim tasks themselves and each task's creation time
 * is the time its slot was freed; no producer thread competes with the workers for a core. */
#ifndef PB_TASKQ_H
#define PB_TASKQ_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct pb_task_item {
    uint64_t index;
    uint64_t created_ns; /* when it entered the queue, or its scheduled time (open loop) */
    uint64_t taken_ns;   /* when it left it (closed loop: the claim's clock read), or 0 */
};

struct pb_taskq_cell {
    _Atomic uint64_t seq;
    _Atomic uint64_t claimed_ns; /* closed loop: when the task that last used the cell left */
    struct pb_task_item item;
};

struct pb_taskq {
    alignas(64) _Atomic uint64_t head;      /* next push position */
    alignas(64) _Atomic uint64_t tail;      /* next pop position */
    alignas(64) _Atomic uint32_t not_empty; /* futex words: bumped to wake waiters */
    _Atomic uint32_t not_full;
    _Atomic uint32_t consumers_waiting;
    _Atomic uint32_t producer_waiting;
    _Atomic uint32_t state; /* open, or closed (drain then stop); a stop ends it at once */
    _Atomic uint32_t fence; /* pb_fence's word, under ThreadSanitizer */
    uint64_t mask;
    /* Closed-loop mode (pb_taskq_start_closed): */
    alignas(64) _Atomic uint64_t next_claim;
    int claiming;
    uint64_t claim_limit; /* tasks; UINT64_MAX with a deadline */
    uint64_t claim_start_ns, claim_deadline_ns;
    struct pb_taskq_cell cells[];
};

/* A stop (harness/stop.h) ends every wait at once: pops return -ECANCELED, pushes too. */

/* The ring holds a power of two of slots, at least 2: depth rounded up. */
unsigned pb_taskq_capacity_for(unsigned depth);
/* Bytes needed for a queue of at least depth slots. */
size_t pb_taskq_size(unsigned depth);
/* Initialises q and has a stop wake its waiters; pb_taskq_destroy undoes that. */
void pb_taskq_init(struct pb_taskq *q, unsigned depth);
void pb_taskq_destroy(struct pb_taskq *q);

/* Switches to closed-loop mode: workers' pops claim tasks 0..tasks-1 (tasks 0: until
 * deadline_ns), the first `capacity` created at start_ns. Call before the workers take tasks
 * (before opening the start barrier, whose seq_cst store publishes these fields). */
void pb_taskq_start_closed(struct pb_taskq *q, uint64_t tasks, uint64_t start_ns,
                           uint64_t deadline_ns);
/* No task is left to hand out (closed and empty; or, closed loop, all claimed or time is up). */
int pb_taskq_drained(const struct pb_taskq *q);

/* Producer: waits while the queue is full, at most timeout_ns (0: no limit). created_ns 0 stamps
 * the time the item enters. 0, -ETIMEDOUT, or -ECANCELED on a stop. */
int pb_taskq_push(struct pb_taskq *q, uint64_t index, uint64_t created_ns, uint64_t timeout_ns);
/* Worker: waits for an item. 0, -EPIPE when closed and drained (or, closed loop, all claimed
 * or time is up), -ECANCELED on a stop. */
int pb_taskq_pop(struct pb_taskq *q, struct pb_task_item *out);
/* No more items will come; workers drain what is queued. */
void pb_taskq_close(struct pb_taskq *q);

#endif
