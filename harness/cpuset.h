/* A fixed-size set of CPU (OS) indices: plain data, so it lives in shared memory and forks. */
#ifndef PB_CPUSET_H
#define PB_CPUSET_H

#include <stddef.h>
#include <stdint.h>

#include "harness/error.h"

#define PB_CPUSET_MAX   1024
#define PB_CPUSET_WORDS (PB_CPUSET_MAX / 64)

struct pb_cpuset {
    uint64_t bits[PB_CPUSET_WORDS];
};

void pb_cpuset_clear(struct pb_cpuset *s);
static inline void pb_cpuset_add(struct pb_cpuset *s, unsigned cpu)
{
    if (cpu < PB_CPUSET_MAX)
        s->bits[cpu / 64] |= UINT64_C(1) << (cpu % 64);
}
static inline int pb_cpuset_has(const struct pb_cpuset *s, unsigned cpu)
{
    return cpu < PB_CPUSET_MAX && (s->bits[cpu / 64] >> (cpu % 64)) & 1;
}
unsigned pb_cpuset_count(const struct pb_cpuset *s);
/* The lowest member at or above from, or -1. */
int pb_cpuset_next(const struct pb_cpuset *s, unsigned from);
/* Formats as a list with ranges ("0,2-3"); returns buf. An empty set formats as "". */
char *pb_cpuset_format(const struct pb_cpuset *s, char *buf, size_t len);
/* Parses "0,2-3": decimal CPUs and ranges separated by commas, nothing else (no spaces, signs or
 * empty items); "" is the empty set. -EINVAL with err naming the bad item, s untouched then. */
int pb_cpuset_parse(const char *text, struct pb_cpuset *s, struct pb_err *err);
/* Binds the calling thread to s (sched_setaffinity); -errno on failure. */
int pb_cpuset_bind_self(const struct pb_cpuset *s);

#endif
