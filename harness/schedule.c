/* The producer's schedule: closed or open loop, bounded by a count or a duration. */
#include "harness/schedule.h"

#include <errno.h>
#include <math.h>

#include "harness/clock.h"

void pb_schedule_init(struct pb_schedule *a, const struct pb_run_spec *spec, uint64_t start_ns)
{
    a->spec = spec;
    a->start_ns = start_ns;
    a->next_ns = start_ns;
    a->issued = 0;
    a->rng = spec->seed ? spec->seed : 0x9e3779b97f4a7c15u;
}

static double uniform01(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return ((double)(*s >> 11) + 0.5) / 9007199254740992.0; /* (0, 1) */
}

int pb_schedule_next(struct pb_schedule *a, uint64_t *index, uint64_t *scheduled_ns)
{
    const struct pb_run_spec *s = a->spec;
    if (pb_stop_requested())
        return 0;
    if (s->tasks && a->issued >= s->tasks)
        return 0;
    uint64_t when = 0;
    if (s->rate > 0) {
        if (s->arrivals == PB_ARRIVALS_POISSON)
            when = a->issued ? a->next_ns + (uint64_t)(-log(uniform01(&a->rng)) * 1e9 / s->rate)
                             : a->start_ns;
        else
            when = a->start_ns + (uint64_t)((double)a->issued * 1e9 / s->rate);
        a->next_ns = when;
        /* With a duration, the schedule decides: exactly rate x duration tasks. */
        if (!s->tasks && when >= a->start_ns + s->duration_ns)
            return 0;
    } else if (!s->tasks && pb_now_ns() >= a->start_ns + s->duration_ns) {
        return 0;
    }
    *index = a->issued++;
    *scheduled_ns = when;
    return 1;
}

void pb_schedule_wait(const struct pb_schedule *a, uint64_t scheduled_ns)
{
    while (scheduled_ns && pb_now_ns() < scheduled_ns && !pb_stop_requested())
        pb_sleep_until_ns(scheduled_ns);
}

/* How long the producer waits between polls. */
#define FEED_POLL_NS 5000000u

int pb_schedule_feed(struct pb_taskq *q, const struct pb_run_spec *spec, struct pb_run_stats *stats,
                     int (*poll)(void *arg), void *arg)
{
    struct pb_schedule sched;
    uint64_t index, when;
    int rc = 0, pushed = 0;
    pb_schedule_init(&sched, spec, stats->start_ns);
    while (rc == 0 && pushed == 0 && pb_schedule_next(&sched, &index, &when)) {
        for (uint64_t now; rc == 0 && !pb_stop_requested() && (now = pb_now_ns()) < when;) {
            pb_sleep_until_ns(when - now > FEED_POLL_NS ? now + FEED_POLL_NS : when);
            rc = poll ? poll(arg) : 0;
        }
        do {
            pushed = pb_taskq_push(q, index, when, FEED_POLL_NS);
            if (poll && rc == 0)
                rc = poll(arg);
        } while (pushed == -ETIMEDOUT && rc == 0 && !pb_stop_requested());
        if (pushed == 0)
            stats->submitted++;
    }
    if (pb_stop_requested()) {
        stats->stopped = 1;
        pb_taskq_abort(q);
    } else {
        pb_taskq_close(q);
    }
    return rc < 0 ? rc : 0;
}
