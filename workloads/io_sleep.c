/* io.sleep: a task that waits ms milliseconds without working, on the loop's precise timers
 * (runners/loop_timers.h: a timerfd, nanoseconds) in an event loop and with clock_nanosleep
 * elsewhere, and checks that it waited at least that long. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "harness/clock.h"
#include "harness/stop.h"
#include "parbench/parbench.h"
#include "runners/loop_timers.h"

struct sleep_worker {
    uint64_t ns; /* the requested wait */
    struct pb_ltimers *timers;
};

/* A task in flight on the loop: only its deadline, in the runner's task scratch right after the
 * task (pb_async_task_data), so that a million sleeps cost 24 bytes each here, not a libuv
 * handle's ~150. */
struct sleep_task {
    struct pb_ltimer timer;
};

static const struct pb_param_def sleep_params[] = {
    {"ms", PB_PARAM_DOUBLE, "10", 0, 3600000,
     "milliseconds each task waits (an event loop's timerfd: to the nanosecond)"},
};

static int sleep_worker_init(void *shared, const struct pb_workload_env *env,
                             const struct pb_worker_env *wenv, void **wstate, struct pb_err *err)
{
    struct sleep_worker *w = calloc(1, sizeof(*w));
    if (!w)
        return pb_err_set(err, -ENOMEM, "io.sleep: out of memory");
    /* Round up so that a fraction of a nanosecond is never "waited" by truncation. */
    w->ns = (uint64_t)ceil(pb_param_double(env->params, "ms") * 1e6);
    w->timers = wenv->timers;
    if (wenv->loop && !w->timers) {
        free(w);
        return pb_err_set(err, -EINVAL, "io.sleep: the loop has no timers (pb_worker_env)");
    }
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

static struct pb_async_task *sleep_async(struct sleep_task *s)
{
    return (struct pb_async_task *)(void *)s - 1; /* its bytes follow the task */
}

static void sleep_fired(struct pb_ltimer *timer)
{
    struct sleep_task *s = (struct sleep_task *)timer;
    /* The timerfd fires on the same clock, at or after the deadline; checked all the same. */
    sleep_async(s)->done(sleep_async(s),
                         pb_now_ns() >= timer->deadline_ns ? PB_OK : PB_FAIL_WRONG_RESULT, 0);
}

static int sleep_start(void *wstate, struct pb_async_task *t)
{
    struct sleep_worker *w = wstate;
    struct sleep_task *s = pb_async_task_data(t);
    /* An absolute deadline from now: nothing rounds it, a late wake-up never shortens it. */
    s->timer.heap_index = 0;
    return pb_ltimer_start(w->timers, &s->timer, pb_now_ns() + w->ns, sleep_fired);
}

static void sleep_cancel(void *wstate, struct pb_async_task *t)
{
    struct sleep_worker *w = wstate;
    struct sleep_task *s = pb_async_task_data(t);
    /* Fired already: done was called, its status stands (the runner no longer cancels it). */
    if (!pb_ltimer_active(&s->timer))
        return;
    pb_ltimer_stop(w->timers, &s->timer);
    t->done(t, PB_FAIL_TIMEOUT, 0);
}

static json_t *sleep_report(void *shared, const struct pb_workload_env *env)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "requested_ms", json_real(pb_param_double(env->params, "ms")));
    json_object_set_new(o, "timer_resolution_ns_eventloop", json_integer(1));
    json_object_set_new(o, "eventloop_timer",
                        json_string("timerfd CLOCK_MONOTONIC TFD_TIMER_ABSTIME, one per loop, "
                                    "over a heap of absolute deadlines"));
    json_object_set_new(o, "blocking_clock", json_string("clock_nanosleep CLOCK_MONOTONIC"));
    return o;
}

const struct pb_workload_ops pb_workload_io_sleep = {
    .name = "io.sleep",
    .description = "waits ms milliseconds: a timerfd deadline on a loop, clock_nanosleep elsewhere",
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
