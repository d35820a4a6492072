/* Precise timers for one libuv loop: absolute CLOCK_MONOTONIC deadlines in nanoseconds, kept in
 * an intrusive binary min-heap and served by ONE timerfd the loop polls. libuv's own timers
 * count whole milliseconds from a cached clock (a 2 ms wait takes 3 ms) and cost a ~150-byte
 * handle each; an entry here is 24 bytes embedded in the caller's memory, plus a pointer in the
 * heap's array.
 *
 * Everything here runs on the loop's thread: start, stop and the callbacks, which run from the
 * loop's poll callback. The caller owns each entry's memory; it must stay put while the entry
 * is armed (between pb_ltimer_start and its callback or pb_ltimer_stop). */
#ifndef PB_LOOP_TIMERS_H
#define PB_LOOP_TIMERS_H

#include <stdint.h>

#include <uv.h>

struct pb_ltimer;
typedef void (*pb_ltimer_cb)(struct pb_ltimer *timer);

/* One deadline, embedded where its user keeps its state (container_of to get back there). */
struct pb_ltimer {
    uint64_t deadline_ns; /* absolute, CLOCK_MONOTONIC (pb_now_ns) */
    uint32_t heap_index;  /* 0: not armed; else its place in the heap, from 1 */
    pb_ltimer_cb cb;
};

/* The deadlines of one loop. */
struct pb_ltimers {
    uv_poll_t poll; /* watches fd; unreferenced while nothing is armed */
    int fd;         /* timerfd, CLOCK_MONOTONIC, TFD_TIMER_ABSTIME, non-blocking */
    int closing;
    int firing;              /* inside pb_ltimers_run_due: it re-arms once, at the end */
    uint64_t armed_ns;       /* what fd is set to; 0: disarmed */
    struct pb_ltimer **heap; /* heap[1..n]; heap[1] is the earliest */
    uint32_t n, cap;
};

/* 0, or a negative errno (timerfd_create's, libuv's). */
int pb_ltimers_init(uv_loop_t *loop, struct pb_ltimers *ts);
/* Closes the poll handle and the timerfd; the loop must run once more to finish closing (as
 * for any handle). Armed entries are forgotten, their callbacks never run. Accepts a set whose
 * init failed. */
void pb_ltimers_close(struct pb_ltimers *ts);

/* Arms timer to call cb on the loop thread once pb_now_ns() >= deadline_ns (never earlier; a
 * deadline already past fires on the next loop iteration, not from inside start). Re-arming an
 * armed timer moves it. O(log n). 0, or -ENOMEM when the heap cannot grow. */
int pb_ltimer_start(struct pb_ltimers *ts, struct pb_ltimer *timer, uint64_t deadline_ns,
                    pb_ltimer_cb cb);
/* Disarms timer; nothing if it is not armed (fired already, or never started). O(log n). */
void pb_ltimer_stop(struct pb_ltimers *ts, struct pb_ltimer *timer);

static inline int pb_ltimer_active(const struct pb_ltimer *timer)
{
    return timer->heap_index != 0;
}

/* The earliest armed deadline, or 0 when none is armed. */
static inline uint64_t pb_ltimers_next(const struct pb_ltimers *ts)
{
    return ts->n ? ts->heap[1]->deadline_ns : 0;
}

/* Fires every timer due at now (deadline_ns <= now), earliest first, and re-arms the timerfd for
 * what is left. The poll callback's work; exposed for the unit tests. Returns how many fired. */
uint64_t pb_ltimers_run_due(struct pb_ltimers *ts, uint64_t now);

#endif
