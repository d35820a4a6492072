/* CLOCK_MONOTONIC in nanoseconds, the one clock every timestamp uses. */
#ifndef PB_CLOCK_H
#define PB_CLOCK_H

#include <stdint.h>
#include <time.h>

#include "parbench/parbench.h"

/* Sleeps until the absolute CLOCK_MONOTONIC time t (ns); returns early only on a signal. */
int pb_sleep_until_ns(uint64_t t);

#endif
