/* CLOCK_MONOTONIC in nanoseconds, the one clock every timestamp uses. */
#ifndef PB_CLOCK_H
#define PB_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t pb_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Sleeps until the absolute CLOCK_MONOTONIC time t (ns); returns early only on a signal. */
int pb_sleep_until_ns(uint64_t t);

#endif
