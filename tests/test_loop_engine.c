/* The loop engine against a workload of the test's own: the async contract (start either
 * returns 0 and calls done exactly once, before it returns or later, or returns -errno and never
 * calls done), timeouts through cancel, and a stop's grace then cancel. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>

#include "harness/pin.h"
#include "harness/stop.h"
#include "harness/topo.h"
#include "runners/loop_engine.h"

/* Task i: i % 4 == 0 cannot start (-EIO, no done); 1 ends inside start; 2 ends on the next loop
 * iteration; 3 never ends by itself (only cancel ends it). */
struct fake_task {
    uv_idle_t idle;
    struct pb_async_task *t;
    int closing;
};

struct fake_worker {
    uv_loop_t *loop;
    unsigned dones_in_start;
};

static unsigned done_calls;
static int stop_at_start; /* raise a stop when task 3 starts */

static void counted_done(struct pb_async_task *t, enum pb_status st)
{
    done_calls++;
    t->done(t, st, 0);
}

static void on_closed(uv_handle_t *h)
{
    struct fake_task *f = h->data;
    counted_done(f->t, f->closing == 2 ? PB_FAIL_TIMEOUT : PB_OK);
}

static void on_idle(uv_idle_t *h)
{
    struct fake_task *f = h->data;
    uv_idle_stop(h);
    f->closing = 1;
    uv_close((uv_handle_t *)h, on_closed);
}

static int fake_init(void *shared, const struct pb_workload_env *env,
                     const struct pb_worker_env *wenv, void **wstate, struct pb_err *err)
{
    struct fake_worker *w = calloc(1, sizeof(*w));
    w->loop = wenv->loop;
    *wstate = w;
    return 0;
}

static void fake_fini(void *wstate)
{
    free(wstate);
}

static enum pb_status fake_run(void *wstate, uint64_t index, uint64_t *bytes)
{
    return PB_OK;
}

static int fake_start(void *wstate, struct pb_async_task *t)
{
    struct fake_worker *w = wstate;
    struct fake_task *f = pb_async_task_data(t);
    *f = (struct fake_task){.t = t};
    switch (t->index % 4) {
    case 0:
        return -EIO;
    case 1:
        counted_done(t, PB_OK);
        return 0;
    case 2:
        uv_idle_init(w->loop, &f->idle);
        f->idle.data = f;
        uv_idle_start(&f->idle, on_idle);
        return 0;
    default:
        uv_idle_init(w->loop, &f->idle); /* held open, never started: no event of its own */
        f->idle.data = f;
        if (stop_at_start && t->index == 3)
            pb_stop_request(PB_STOP_SIGNAL);
        return 0;
    }
}

static void fake_cancel(void *wstate, struct pb_async_task *t)
{
    struct fake_task *f = pb_async_task_data(t);
    if (f->closing)
        return;
    f->closing = 2;
    uv_close((uv_handle_t *)&f->idle, on_closed);
}

static const struct pb_workload_ops fake = {
    .name = "fake",
    .worker_init = fake_init,
    .worker_fini = fake_fini,
    .run = fake_run,
    .task_size = sizeof(struct fake_task),
    .start = fake_start,
    .cancel = fake_cancel,
};

/* One repetition of tasks on one loop; the records come back summed. */
static void run_tasks(uint64_t tasks, unsigned permits, uint64_t timeout_ns, uint64_t counts[])
{
    struct pb_topo *topo = NULL;
    struct pb_pin_spec pin;
    struct pb_pin_plan *pins = NULL;
    struct pb_err err;
    struct pb_params params = {0};
    assert_int_equal(pb_topo_load(&topo, NULL, &err), 0);
    assert_int_equal(pb_pin_parse("none", &pin, &err), 0);
    assert_int_equal(pb_pin_plan_make(topo, &pin, 1, &pins, &err), 0);
    struct pb_worker_record *rec = calloc(1, sizeof(*rec));
    pb_record_reset(rec, &pins->sets[0]);
    struct pb_workload_env env = {.params = &params, .workers = 1, .load = {.tasks = tasks}};
    struct pb_run_spec spec = {
        .wl = &fake,
        .env = &env,
        .concurrency = permits,
        .workers = 1,
        .load = {.tasks = tasks},
        .timeout_ns = timeout_ns,
        .grace_ns = 20000000,
        .pins = pins,
        .records = rec,
    };
    struct pb_run_stats stats = {0};
    done_calls = 0;
    assert_int_equal(pb_loop_engine_run(&spec, permits, &stats, &err), 0);
    memcpy(counts, rec->status, sizeof(rec->status));
    if (!pb_stop_requested())
        assert_int_equal(stats.submitted, tasks);
    free(rec);
    pb_pin_plan_destroy(pins);
    pb_topo_destroy(topo);
}

/* Every task is recorded once: those that could not start as failures, without a done. */
static void test_start_contract(void **state)
{
    uint64_t counts[PB_STATUS_COUNT];
    run_tasks(400, 7, 50000000, counts);
    assert_int_equal(counts[PB_FAIL_OTHER], 100);   /* i % 4 == 0: start failed */
    assert_int_equal(counts[PB_OK], 200);           /* done in start, and on the next iteration */
    assert_int_equal(counts[PB_FAIL_TIMEOUT], 100); /* never ended: cancelled at --timeout */
    assert_int_equal(done_calls, 300);              /* no done for a task that did not start */
}

/* A stop: tasks in flight get the grace period, then are cancelled and recorded as stopped
 * (not as timeouts); tasks not started yet are not results. */
static void test_stop_cancels_after_grace(void **state)
{
    uint64_t counts[PB_STATUS_COUNT];
    stop_at_start = 1;
    run_tasks(40, 4, 0, counts); /* 4 permits: task 3 starts in the first batch */
    stop_at_start = 0;
    pb_stop_reset();
    assert_int_equal(counts[PB_FAIL_TIMEOUT], 0);
    assert_int_equal(counts[PB_FAIL_OTHER], 2); /* task 0 (start failed) and task 3 (stopped) */
    assert_true(counts[PB_OK] <= 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_contract),
        cmocka_unit_test(test_stop_cancels_after_grace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
