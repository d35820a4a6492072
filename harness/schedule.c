/* The producer's schedule: closed or open loop, bounded by a count or a duration. */
#include "harness/schedule.h"

#include <errno.h>
#include <math.h>

#include "harness/clock.h"
#include "harness/stop.h"

void pb_schedule_init(struct pb_schedule *a, const struct pb_load *load, uint64_t start_ns)
{
    a->load = load;
    a->start_ns = start_ns;
    a->deadline_ns = pb_load_deadline(load, start_ns);
    a->next_ns = start_ns;
    a->issued = 0;
    a->rng = load->seed ? load->seed : 0x9e3779b97f4a7c15u;
}

static double uniform01(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return ((double)(*s >> 11) + 0.5) / 9007199254740992.0; /* (0, 1) */
}

/* start + ns, saturating: a schedule far in the future is never before its start. */
static uint64_t after(uint64_t start, double ns)
{
    return ns >= (double)(UINT64_MAX - start) ? UINT64_MAX : start + (uint64_t)ns;
}

int pb_schedule_next(struct pb_schedule *a, uint64_t *index, uint64_t *scheduled_ns)
{
    const struct pb_load *l = a->load;
    if (pb_stop_requested())
        return 0;
    if (l->tasks && a->issued >= l->tasks)
        return 0;
    uint64_t when = 0;
    if (pb_load_open(l)) {
        if (l->arrivals == PB_ARRIVALS_POISSON)
            when = a->issued ? after(a->next_ns, -log(uniform01(&a->rng)) * 1e9 / l->rate)
                             : a->start_ns;
        else
            when = after(a->start_ns, (double)a->issued * 1e9 / l->rate);
        a->next_ns = when;
        /* With a duration, the schedule decides: exactly rate x duration tasks. */
        if (when >= a->deadline_ns)
            return 0;
    } else if (a->deadline_ns != UINT64_MAX && pb_now_ns() >= a->deadline_ns) {
        return 0; /* a count needs no clock read per task */
    }
    *index = a->issued++;
    *scheduled_ns = when;
    return 1;
}

int pb_schedule_wait(const struct pb_schedule *a, uint64_t scheduled_ns)
{
    return scheduled_ns ? pb_stop_sleep_until(scheduled_ns) : 0;
}

/* How long the producer waits between polls. */
#define FEED_POLL_NS 5000000u

int pb_schedule_feed(struct pb_taskq *q, const struct pb_run_spec *spec, struct pb_run_stats *stats,
                     int (*poll)(void *arg), void *arg)
{
    struct pb_schedule sched;
    uint64_t index, when;
    int rc = 0, pushed = 0;
    pb_schedule_init(&sched, &spec->load, stats->start_ns);
    while (rc == 0 && pushed == 0 && pb_schedule_next(&sched, &index, &when)) {
        for (uint64_t now; rc == 0 && (now = pb_now_ns()) < when;) {
            if (pb_stop_sleep_until(poll && when - now > FEED_POLL_NS ? now + FEED_POLL_NS : when) <
                0)
                break;
            rc = poll ? poll(arg) : 0;
        }
        do {
            pushed = pb_taskq_push(q, index, when, FEED_POLL_NS);
            if (poll && rc == 0)
                rc = poll(arg);
        } while (pushed == -ETIMEDOUT && rc == 0);
        if (pushed == 0)
            stats->submitted++;
    }
    pb_taskq_close(q);
    return rc < 0 ? rc : 0;
}
