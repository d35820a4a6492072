/* io.sleep: a task that waits ms milliseconds without working, on a libuv timer in an event loop
 * and with clock_nanosleep elsewhere, and checks that it waited at least that long. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include <uv.h>

#include "harness/clock.h"
#include "harness/stop.h"
#include "harness/workload.h"

struct sleep_worker {
    uint64_t ns; /* the requested wait */
    uv_loop_t *loop;
};

/* A task in flight on the loop; lives in the runner's task scratch. */
struct sleep_task {
    uv_timer_t timer;
    struct pb_async_task *t;
    struct sleep_worker *w;
    uint64_t begin_ns;
    enum pb_status st;
};

static const struct pb_param_def sleep_params[] = {
    {"ms", PB_PARAM_DOUBLE, "10", 0, 3600000,
     "milliseconds each task waits (an event loop rounds up to whole ms)"},
};

static int sleep_worker_init(void *shared, const struct pb_workload_env *env,
                             const struct pb_worker_env *wenv, void **wstate, struct pb_err *err)
{
    struct sleep_worker *w = calloc(1, sizeof(*w));
    if (!w)
        return pb_err_set(err, -ENOMEM, "io.sleep: out of memory");
    /* Round up so that a fraction of a nanosecond is never "waited" by truncation. */
    w->ns = (uint64_t)ceil(pb_param_double(env->params, "ms") * 1e6);
    w->loop = wenv->loop;
    *wstate = w;
    return 0;
}

static void sleep_worker_fini(void *wstate)
{
    free(wstate);
}

/* Waits on an absolute deadline, so a wake-up never shortens the wait. A stop lets the task go
 * on until the grace period ends, then ends it: neither a result nor a timeout. */
static enum pb_status sleep_run(void *wstate, uint64_t index, uint64_t *bytes)
{
    const struct sleep_worker *w = wstate;
    uint64_t begin = pb_now_ns(), end = begin + w->ns, now;
    while ((now = pb_now_ns()) < end) {
        if (pb_stop_grace_over())
            return PB_FAIL_OTHER;
        uint64_t grace_end = pb_stop_grace_end_ns();
        uint64_t until = grace_end < end ? grace_end : end;
        if (pb_stop_requested())
            pb_sleep_until_ns(until);
        else
            pb_stop_sleep_until(until); /* a stop wakes it, to start counting the grace */
    }
    return now - begin >= w->ns ? PB_OK : PB_FAIL_WRONG_RESULT;
}

static void sleep_closed(uv_handle_t *h)
{
    struct sleep_task *s = h->data;
    s->t->done(s->t, s->st, 0);
}

static void sleep_fired(uv_timer_t *timer)
{
    struct sleep_task *s = timer->data;
    s->st = pb_now_ns() - s->begin_ns >= s->w->ns ? PB_OK : PB_FAIL_WRONG_RESULT;
    /* The handle lives in the runner's scratch, which it reuses after done: the loop must forget
     * the handle first, so done is called from the close callback. */
    uv_close((uv_handle_t *)timer, sleep_closed);
}

static int sleep_start(void *wstate, struct pb_async_task *t)
{
    struct sleep_worker *w = wstate;
    struct sleep_task *s = pb_async_task_data(t);
    s->t = t;
    s->w = w;
    s->st = PB_OK;
    s->begin_ns = pb_now_ns();
    /* libuv timers count whole milliseconds from the loop's cached clock, which may be stale by
     * the time the task starts (and is truncated to the ms). Aim at an absolute deadline on
     * CLOCK_MONOTONIC, rounded up to the next ms, so the wait is never shorter than asked. */
    uint64_t deadline_ms = (s->begin_ns + w->ns + 999999u) / 1000000u;
    uint64_t now_ms = uv_now(w->loop);
    uint64_t timeout = w->ns && deadline_ms > now_ms ? deadline_ms - now_ms : 0;
    int rc = uv_timer_init(w->loop, &s->timer);
    if (rc < 0)
        return rc;
    s->timer.data = s;
    rc = uv_timer_start(&s->timer, sleep_fired, timeout, 0);
    if (rc < 0) {
        /* The handle is known to the loop; it must be closed, and then done reports it. */
        s->st = PB_FAIL_OTHER;
        uv_close((uv_handle_t *)&s->timer, sleep_closed);
    }
    return 0;
}

static void sleep_cancel(void *wstate, struct pb_async_task *t)
{
    struct sleep_task *s = pb_async_task_data(t);
    /* Already fired and closing: the task finished before the timeout, its status stands. */
    if (uv_is_closing((uv_handle_t *)&s->timer))
        return;
    uv_timer_stop(&s->timer);
    s->st = PB_FAIL_TIMEOUT;
    uv_close((uv_handle_t *)&s->timer, sleep_closed);
}

static json_t *sleep_report(void *shared, const struct pb_workload_env *env)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "requested_ms", json_real(pb_param_double(env->params, "ms")));
    json_object_set_new(o, "timer_resolution_ns_eventloop", json_integer(1000000));
    json_object_set_new(o, "eventloop_rounding",
                        json_string("the deadline is rounded up to the next whole millisecond"));
    json_object_set_new(o, "blocking_clock", json_string("clock_nanosleep CLOCK_MONOTONIC"));
    return o;
}

const struct pb_workload_ops pb_workload_io_sleep = {
    .name = "io.sleep",
    .description = "waits ms milliseconds: a libuv timer on a loop, clock_nanosleep elsewhere",
    .flags = PB_WL_IO,
    .params = sleep_params,
    .nparams = sizeof(sleep_params) / sizeof(sleep_params[0]),
    .report = sleep_report,
    .worker_init = sleep_worker_init,
    .worker_fini = sleep_worker_fini,
    .run = sleep_run,
    .task_size = sizeof(struct sleep_task),
    .start = sleep_start,
    .cancel = sleep_cancel,
};
