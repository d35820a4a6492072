/* The loop's precise timers (runners/loop_timers.c): the heap against a sorted reference under
 * random starts, stops, moves and firings; callbacks that start and stop timers while a batch
 * fires; and on a real loop, the timerfd: never early, in deadline order, a stopped timer never
 * fires, and the loop exits once nothing is armed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>

#include "harness/clock.h"
#include "runners/loop_timers.h"

#define ENTRIES 2000
#define ROUNDS  20000

struct entry {
    struct pb_ltimer timer; /* first: the callback's pointer is the entry's */
    int armed;              /* the reference's view */
    uint64_t deadline;
    uint64_t fired_at; /* what pb_now_ns() said when it fired (real-loop tests) */
};

static struct entry entries[ENTRIES];
static uint64_t last_fired; /* the deadline of the last entry fired: order within a batch */
static unsigned fired_count;
static int order_broken;

static void on_fire(struct pb_ltimer *t)
{
    struct entry *e = (struct entry *)t;
    if (!e->armed || e->deadline < last_fired || pb_ltimer_active(t))
        order_broken = 1;
    last_fired = e->deadline;
    e->armed = 0;
    e->fired_at = pb_now_ns();
    fired_count++;
}

/* The reference: the earliest armed deadline, or 0. */
static uint64_t ref_next(void)
{
    uint64_t best = 0;
    for (int i = 0; i < ENTRIES; i++)
        if (entries[i].armed && (!best || entries[i].deadline < best))
            best = entries[i].deadline;
    return best;
}

static void test_heap_against_reference(void **state)
{
    uv_loop_t loop;
    struct pb_ltimers ts;
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(pb_ltimers_init(&loop, &ts), 0);
    memset(entries, 0, sizeof(entries));
    srand(12345);
    /* Far in the future: the timerfd never fires; the test calls pb_ltimers_run_due itself. */
    uint64_t base = pb_now_ns() + 3600ull * 1000000000u, clock = base;
    for (int round = 0; round < ROUNDS; round++) {
        int op = rand() % 10;
        struct entry *e = &entries[rand() % ENTRIES];
        if (op < 5) { /* start, or move when armed; few distinct deadlines: many ties */
            e->deadline = clock + (uint64_t)(rand() % 5000);
            assert_int_equal(pb_ltimer_start(&ts, &e->timer, e->deadline, on_fire), 0);
            e->armed = 1;
        } else if (op < 8) { /* stop, armed or not */
            pb_ltimer_stop(&ts, &e->timer);
            e->armed = 0;
        } else { /* time passes: exactly the due ones fire, earliest first */
            clock += (uint64_t)(rand() % 2000);
            unsigned due = 0;
            for (int i = 0; i < ENTRIES; i++)
                due += entries[i].armed && entries[i].deadline <= clock;
            fired_count = 0;
            last_fired = 0;
            assert_int_equal(pb_ltimers_run_due(&ts, clock), due);
            assert_int_equal(fired_count, due);
            assert_false(order_broken);
        }
        assert_int_equal(pb_ltimers_next(&ts), ref_next());
        for (int i = 0; i < ENTRIES; i += 97)
            assert_int_equal(pb_ltimer_active(&entries[i].timer), entries[i].armed);
    }
    /* Everything left fires, in order. */
    fired_count = 0;
    last_fired = 0;
    unsigned left = 0;
    for (int i = 0; i < ENTRIES; i++)
        left += entries[i].armed;
    assert_int_equal(pb_ltimers_run_due(&ts, UINT64_MAX), left);
    assert_false(order_broken);
    assert_int_equal(pb_ltimers_next(&ts), 0);
    pb_ltimers_close(&ts);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* A callback that starts one timer due now and stops another due now, mid-batch. */
static struct pb_ltimers *chain_ts;
static struct entry *chain_start, *chain_stop;

static void on_fire_chain(struct pb_ltimer *t)
{
    on_fire(t);
    if (chain_start) {
        chain_start->armed = 1;
        assert_int_equal(
            pb_ltimer_start(chain_ts, &chain_start->timer, chain_start->deadline, on_fire), 0);
        chain_start = NULL;
    }
    if (chain_stop) {
        pb_ltimer_stop(chain_ts, &chain_stop->timer);
        chain_stop->armed = 0;
        chain_stop = NULL;
    }
}

static void test_callbacks_change_the_heap(void **state)
{
    uv_loop_t loop;
    struct pb_ltimers ts;
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(pb_ltimers_init(&loop, &ts), 0);
    memset(entries, 0, sizeof(entries));
    uint64_t base = pb_now_ns() + 3600ull * 1000000000u;
    for (int i = 0; i < 4; i++) {
        entries[i] = (struct entry){.armed = 1, .deadline = base + 10 * (uint64_t)i};
        assert_int_equal(
            pb_ltimer_start(&ts, &entries[i].timer, entries[i].deadline, on_fire_chain), 0);
    }
    chain_ts = &ts;
    entries[4].deadline = base + 15; /* started by the first callback, between 1 and 2 */
    chain_start = &entries[4];
    chain_stop = &entries[3]; /* stopped by the first callback before it is due */
    fired_count = 0;
    last_fired = 0;
    assert_int_equal(pb_ltimers_run_due(&ts, base + 100), 4); /* 0, 1, 4, 2 */
    assert_false(order_broken);
    assert_int_equal(entries[3].fired_at, 0);
    assert_int_equal(pb_ltimers_next(&ts), 0);
    pb_ltimers_close(&ts);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* On a real loop: the timerfd wakes it; never early, in order; a stopped one never fires; the
 * loop exits when nothing is armed (the poll holds no reference of its own). */
static void test_real_loop(void **state)
{
    uv_loop_t loop;
    struct pb_ltimers ts;
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(pb_ltimers_init(&loop, &ts), 0);
    memset(entries, 0, sizeof(entries));
    uint64_t now = pb_now_ns();
    /* 1.0 ms, 1.3 ms, ..., started out of order; entry 5 (2.5 ms) stopped; entry 0 already due */
    static const int order[] = {7, 2, 9, 0, 4, 1, 8, 5, 3, 6};
    for (int k = 0; k < 10; k++) {
        int i = order[k];
        entries[i].deadline = i ? now + 1000000u + 300000u * (uint64_t)i : now - 1;
        entries[i].armed = 1;
        assert_int_equal(pb_ltimer_start(&ts, &entries[i].timer, entries[i].deadline, on_fire), 0);
    }
    pb_ltimer_stop(&ts, &entries[5].timer);
    entries[5].armed = 0;
    fired_count = 0;
    last_fired = 0;
    uint64_t t0 = pb_now_ns();
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    uint64_t took = pb_now_ns() - t0;
    assert_int_equal(fired_count, 9);
    assert_false(order_broken);
    assert_int_equal(entries[5].fired_at, 0);
    for (int i = 0; i < 10; i++)
        if (i != 5)
            assert_true(entries[i].fired_at >= entries[i].deadline);
    /* Not whole-ms rounding of each wait, nor a poll timeout: the last deadline is 3.7 ms away
     * (a generous bound, for a loaded machine). */
    assert_true(took < 200000000u);
    pb_ltimers_close(&ts);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heap_against_reference),
        cmocka_unit_test(test_callbacks_change_the_heap),
        cmocka_unit_test(test_real_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
