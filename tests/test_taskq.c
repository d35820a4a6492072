/* The bounded task queue and the start barrier under concurrency: every task handed out exactly
 * once, closed-loop creation times, states that only move forward, set-up errors reported. */
#include <setjmp.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <pthread.h>

#include "harness/clock.h"
#include "harness/gate.h"
#include "harness/stop.h"
#include "harness/taskq.h"

#define TASKS     200000
#define CONSUMERS 3

struct consumer {
    struct pb_taskq *q;
    unsigned char *seen; /* per index: how many times it was handed out */
    uint64_t count;
    int bad_order; /* closed loop: a task created before the one a capacity earlier */
};

static void *consume(void *arg)
{
    struct consumer *c = arg;
    struct pb_task_item item;
    while (pb_taskq_pop(c->q, &item) == 0) {
        __atomic_fetch_add(&c->seen[item.index], 1, __ATOMIC_RELAXED);
        c->count++;
    }
    return NULL;
}

static struct pb_taskq *new_queue(unsigned depth)
{
    struct pb_taskq *q = malloc(pb_taskq_size(depth));
    assert_non_null(q);
    pb_taskq_init(q, depth);
    return q;
}

static void run_consumers(struct pb_taskq *q, unsigned char *seen, int push)
{
    pthread_t t[CONSUMERS];
    struct consumer c[CONSUMERS];
    for (int i = 0; i < CONSUMERS; i++) {
        c[i] = (struct consumer){.q = q, .seen = seen};
        assert_int_equal(pthread_create(&t[i], NULL, consume, &c[i]), 0);
    }
    if (push) {
        for (uint64_t i = 0; i < TASKS; i++)
            assert_int_equal(pb_taskq_push(q, i, 0, 0), 0);
        pb_taskq_close(q);
    }
    uint64_t total = 0;
    for (int i = 0; i < CONSUMERS; i++) {
        pthread_join(t[i], NULL);
        total += c[i].count;
    }
    assert_int_equal(total, TASKS);
    for (uint64_t i = 0; i < TASKS; i++)
        if (seen[i] != 1)
            fail_msg("task %llu handed out %d times", (unsigned long long)i, seen[i]);
}

/* A producer pushing through a small queue to three consumers: each task exactly once. */
static void test_open_loop_each_task_once(void **state)
{
    struct pb_taskq *q = new_queue(16);
    unsigned char *seen = calloc(TASKS, 1);
    run_consumers(q, seen, 1);
    assert_true(pb_taskq_drained(q));
    free(seen);
    pb_taskq_destroy(q);
    free(q);
}

/* Workers claiming on their own: each task exactly once, and task i is created when task
 * i - capacity was taken, so no later than its own claim and no earlier than the start. */
static void test_closed_loop_each_task_once(void **state)
{
    struct pb_taskq *q = new_queue(8);
    unsigned char *seen = calloc(TASKS, 1);
    uint64_t start = pb_now_ns();
    pb_taskq_start_closed(q, TASKS, start, 0);
    run_consumers(q, seen, 0);
    assert_true(pb_taskq_drained(q));
    struct pb_task_item item;
    assert_int_equal(pb_taskq_pop(q, &item), -EPIPE);
    free(seen);
    pb_taskq_destroy(q);
    free(q);
}

static void test_closed_loop_created_times(void **state)
{
    struct pb_taskq *q = new_queue(4);
    uint64_t start = pb_now_ns();
    pb_taskq_start_closed(q, 12, start, 0);
    uint64_t before[12], after[12];
    for (int i = 0; i < 12; i++) {
        struct pb_task_item item;
        before[i] = pb_now_ns();
        assert_int_equal(pb_taskq_pop(q, &item), 0);
        after[i] = pb_now_ns();
        assert_int_equal(item.index, (uint64_t)i);
        if (i < 4)
            assert_int_equal(item.created_ns, start); /* the first capacity: at the start */
        else /* when task i - 4 left the queue, inside its pop */
            assert_true(item.created_ns >= before[i - 4] && item.created_ns <= after[i - 4]);
    }
    pb_taskq_destroy(q);
    free(q);
}

/* Closed loop with a deadline: claims stop once it has passed. */
static void test_closed_loop_deadline(void **state)
{
    struct pb_taskq *q = new_queue(4);
    uint64_t start = pb_now_ns();
    pb_taskq_start_closed(q, 0, start, start + 20000000u);
    struct pb_task_item item;
    uint64_t n = 0;
    while (pb_taskq_pop(q, &item) == 0)
        n++;
    assert_true(n > 0);
    assert_true(pb_now_ns() >= start + 20000000u);
    pb_taskq_destroy(q);
    free(q);
}

/* A stop wins over a later close: workers stop, the producer's pushes are refused. */
static void test_stop_is_final(void **state)
{
    struct pb_taskq *q = new_queue(4);
    assert_int_equal(pb_taskq_push(q, 0, 0, 0), 0);
    pb_stop_request(PB_STOP_FAIL_FAST);
    pb_taskq_close(q);
    struct pb_task_item item;
    assert_int_equal(pb_taskq_pop(q, &item), -ECANCELED);
    assert_int_equal(pb_taskq_push(q, 1, 0, 0), -ECANCELED);
    pb_stop_reset();
    pb_taskq_destroy(q);
    free(q);
}

static void *pop_one(void *arg)
{
    struct pb_task_item item;
    return (void *)(intptr_t)pb_taskq_pop(arg, &item);
}

/* A worker asleep on an empty open queue wakes at once on a stop (the stop wakes the queue's
 * futex words: nothing polls). */
static void test_stop_wakes_a_sleeping_worker(void **state)
{
    struct pb_taskq *q = new_queue(4);
    pthread_t t;
    void *rc;
    assert_int_equal(pthread_create(&t, NULL, pop_one, q), 0);
    struct timespec ts = {0, 50000000};
    nanosleep(&ts, NULL); /* long enough to be asleep on the futex */
    uint64_t t0 = pb_now_ns();
    pb_stop_request(PB_STOP_SIGNAL);
    pthread_join(t, &rc);
    assert_int_equal((intptr_t)rc, -ECANCELED);
    assert_true(pb_now_ns() - t0 < 20000000u);
    pb_stop_reset();
    pb_taskq_destroy(q);
    free(q);
}

/* Closed loop: a claimer whose predecessor in the cell has not stored its time (preempted, or a
 * killed process worker) does not wait for it: the task counts as created at its own claim, and
 * the predecessor's late store does not overwrite the newer one. */
static void test_claim_never_waits_for_a_predecessor(void **state)
{
    struct pb_taskq *q = new_queue(2); /* capacity 2: task 2 shares task 0's cell */
    uint64_t start = pb_now_ns();
    pb_taskq_start_closed(q, 10, start, 0);
    /* Task 0 claimed by a worker that "dies" before storing: forge it by advancing next_claim. */
    atomic_store(&q->next_claim, 1);
    struct pb_task_item a, b;
    assert_int_equal(pb_taskq_pop(q, &a), 0); /* task 1 */
    uint64_t t0 = pb_now_ns();
    assert_int_equal(pb_taskq_pop(q, &b), 0);  /* task 2: its predecessor, task 0, never stored */
    assert_true(pb_now_ns() - t0 < 10000000u); /* no 100 ms stall */
    assert_int_equal(b.index, 2);
    assert_true(b.created_ns == b.taken_ns);
    pb_taskq_destroy(q);
    free(q);
}

/* A full queue makes the producer wait, up to its timeout. */
static void test_push_times_out_when_full(void **state)
{
    struct pb_taskq *q = new_queue(2);
    assert_int_equal(pb_taskq_push(q, 0, 0, 0), 0);
    assert_int_equal(pb_taskq_push(q, 1, 0, 0), 0);
    uint64_t t0 = pb_now_ns();
    assert_int_equal(pb_taskq_push(q, 2, 0, 10000000u), -ETIMEDOUT);
    assert_true(pb_now_ns() - t0 >= 10000000u);
    pb_taskq_destroy(q);
    free(q);
}

struct arriver {
    struct pb_gate *g;
    int fail;
    int rc;
};

static void *arrive(void *arg)
{
    struct arriver *a = arg;
    struct pb_err err;
    pb_err_set(&err, -EINVAL, "worker could not set up");
    a->rc = pb_gate_arrive(a->g, a->fail ? &err : NULL);
    return NULL;
}

/* Everyone arrives; one set-up failed: the driver gets its message and sends all home. */
static void test_gate_reports_setup_error(void **state)
{
    struct pb_gate g;
    pb_gate_init(&g);
    pthread_t t[4];
    struct arriver a[4];
    for (int i = 0; i < 4; i++) {
        a[i] = (struct arriver){.g = &g, .fail = i == 2};
        assert_int_equal(pthread_create(&t[i], NULL, arrive, &a[i]), 0);
    }
    assert_int_equal(pb_gate_wait_arrivals(&g, 4, 0), 0);
    struct pb_err err = {""};
    assert_int_equal(pb_gate_setup_error(&g, &err), -EINVAL);
    assert_string_equal(err.msg, "worker could not set up");
    pb_gate_open(&g, 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(a[i].rc, -ECANCELED);
    }
}

static void test_gate_opens(void **state)
{
    struct pb_gate g;
    pb_gate_init(&g);
    pthread_t t[3];
    struct arriver a[3];
    for (int i = 0; i < 3; i++) {
        a[i] = (struct arriver){.g = &g};
        assert_int_equal(pthread_create(&t[i], NULL, arrive, &a[i]), 0);
    }
    assert_int_equal(pb_gate_wait_arrivals(&g, 3, 0), 0);
    assert_int_equal(pb_gate_setup_error(&g, NULL), 0);
    pb_gate_open(&g, 1);
    for (int i = 0; i < 3; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(a[i].rc, 0);
    }
    /* Nobody else comes: the wait times out. */
    assert_int_equal(pb_gate_wait_arrivals(&g, 4, 1000000u), -ETIMEDOUT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_loop_each_task_once),
        cmocka_unit_test(test_closed_loop_each_task_once),
        cmocka_unit_test(test_closed_loop_created_times),
        cmocka_unit_test(test_closed_loop_deadline),
        cmocka_unit_test(test_stop_is_final),
        cmocka_unit_test(test_stop_wakes_a_sleeping_worker),
        cmocka_unit_test(test_claim_never_waits_for_a_predecessor),
        cmocka_unit_test(test_push_times_out_when_full),
        cmocka_unit_test(test_gate_reports_setup_error),
        cmocka_unit_test(test_gate_opens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
