/* One loop's deadlines: a binary min-heap of entries (heap[1] the earliest) behind one timerfd. */
#include "runners/loop_timers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "harness/clock.h"

#define HEAP_MIN_CAP 64

/* Sets the timerfd to the earliest deadline, or disarms it. An absolute time already past fires
 * at once, so a deadline that fell due while a batch ran is served on the next iteration. */
static void rearm(struct pb_ltimers *ts)
{
    uint64_t want = pb_ltimers_next(ts);
    if (want == ts->armed_ns)
        return;
    struct itimerspec its = {.it_value = {.tv_sec = (time_t)(want / 1000000000u),
                                          .tv_nsec = (long)(want % 1000000000u)}};
    if (timerfd_settime(ts->fd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
        ts->armed_ns = want;
}

static void sift_up(struct pb_ltimer **heap, uint32_t i)
{
    struct pb_ltimer *t = heap[i];
    while (i > 1 && heap[i / 2]->deadline_ns > t->deadline_ns) {
        heap[i] = heap[i / 2];
        heap[i]->heap_index = i;
        i /= 2;
    }
    heap[i] = t;
    t->heap_index = i;
}

static void sift_down(struct pb_ltimer **heap, uint32_t n, uint32_t i)
{
    struct pb_ltimer *t = heap[i];
    for (;;) {
        uint32_t c = 2 * i;
        if (c > n)
            break;
        if (c < n && heap[c + 1]->deadline_ns < heap[c]->deadline_ns)
            c++;
        if (heap[c]->deadline_ns >= t->deadline_ns)
            break;
        heap[i] = heap[c];
        heap[i]->heap_index = i;
        i = c;
    }
    heap[i] = t;
    t->heap_index = i;
}

/* Takes heap[i] out, filling its place with the last entry. */
static void heap_remove(struct pb_ltimers *ts, uint32_t i)
{
    struct pb_ltimer *gone = ts->heap[i], *last = ts->heap[ts->n--];
    gone->heap_index = 0;
    if (i > ts->n)
        return;
    ts->heap[i] = last;
    if (i > 1 && ts->heap[i / 2]->deadline_ns > last->deadline_ns)
        sift_up(ts->heap, i);
    else
        sift_down(ts->heap, ts->n, i);
}

static void on_poll(uv_poll_t *poll, int status, int events)
{
    struct pb_ltimers *ts = poll->data;
    uint64_t expirations;
    /* Drained so that level-triggered polling does not spin; EAGAIN when it was re-armed. */
    ssize_t got = read(ts->fd, &expirations, sizeof(expirations));
    (void)got;
    ts->armed_ns = 0; /* an expired timerfd is disarmed; rearm sets it again */
    pb_ltimers_run_due(ts, pb_now_ns());
}

static void on_closed(uv_handle_t *h)
{
    struct pb_ltimers *ts = h->data;
    close(ts->fd);
    ts->fd = -1;
}

int pb_ltimers_init(uv_loop_t *loop, struct pb_ltimers *ts)
{
    memset(ts, 0, sizeof(*ts));
    ts->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (ts->fd < 0)
        return ts->fd = -1, -errno;
    int rc = uv_poll_init(loop, &ts->poll, ts->fd);
    if (rc < 0) { /* the loop never knew the handle: the descriptor is ours to close */
        close(ts->fd);
        ts->fd = -1;
        return rc;
    }
    ts->poll.data = ts;
    if ((rc = uv_poll_start(&ts->poll, UV_READABLE, on_poll)) < 0) {
        ts->closing = 1; /* the loop knows it: closing it closes the descriptor */
        uv_close((uv_handle_t *)&ts->poll, on_closed);
        return rc;
    }
    /* The poll stays on; only armed entries keep the loop alive. */
    uv_unref((uv_handle_t *)&ts->poll);
    return 0;
}

void pb_ltimers_close(struct pb_ltimers *ts)
{
    free(ts->heap);
    ts->heap = NULL;
    ts->n = ts->cap = 0;
    if (ts->fd < 0 || ts->closing)
        return;
    ts->closing = 1;
    uv_close((uv_handle_t *)&ts->poll, on_closed);
}

int pb_ltimer_start(struct pb_ltimers *ts, struct pb_ltimer *timer, uint64_t deadline_ns,
                    pb_ltimer_cb cb)
{
    if (timer->heap_index)
        pb_ltimer_stop(ts, timer);
    if (ts->n + 1 >= ts->cap) {
        uint32_t cap = ts->cap ? ts->cap * 2 : HEAP_MIN_CAP;
        struct pb_ltimer **heap = cap > ts->cap ? realloc(ts->heap, cap * sizeof(*heap)) : NULL;
        if (!heap)
            return -ENOMEM;
        ts->heap = heap;
        ts->cap = cap;
    }
    timer->deadline_ns = deadline_ns ? deadline_ns : 1; /* 0 would disarm the timerfd */
    timer->cb = cb;
    ts->heap[++ts->n] = timer;
    sift_up(ts->heap, ts->n);
    if (ts->n == 1)
        uv_ref((uv_handle_t *)&ts->poll);
    /* Only an earlier deadline needs the timerfd now; a later one waits for the next firing. */
    if (timer->heap_index == 1 && !ts->firing &&
        (!ts->armed_ns || timer->deadline_ns < ts->armed_ns))
        rearm(ts);
    return 0;
}

void pb_ltimer_stop(struct pb_ltimers *ts, struct pb_ltimer *timer)
{
    if (!timer->heap_index)
        return;
    heap_remove(ts, timer->heap_index);
    /* The timerfd may stay set to the deadline just removed: it then wakes the loop once for
     * nothing, which costs less than a syscall per cancel. */
    if (!ts->n)
        uv_unref((uv_handle_t *)&ts->poll);
}

uint64_t pb_ltimers_run_due(struct pb_ltimers *ts, uint64_t now)
{
    uint64_t fired = 0;
    ts->firing = 1;
    /* Each callback may start or stop timers: the heap is read afresh every time. */
    while (ts->n && ts->heap[1]->deadline_ns <= now) {
        struct pb_ltimer *t = ts->heap[1];
        heap_remove(ts, 1);
        if (!ts->n)
            uv_unref((uv_handle_t *)&ts->poll);
        t->cb(t);
        fired++;
    }
    ts->firing = 0;
    if (ts->fd >= 0 && !ts->closing)
        rearm(ts);
    return fired;
}
