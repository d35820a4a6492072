/* The load of a repetition: how many tasks or for how long, closed or open loop, how arrivals
 * are spaced. One description shared by the plan, the runners and the schedule. */
#ifndef PB_LOAD_H
#define PB_LOAD_H

#include <stdint.h>

#include "parbench/parbench.h"

/* Part k of n of a load shared between n event loops: every n-th task, 1/n of the rate, a seed
 * of its own. */
struct pb_load pb_load_share(const struct pb_load *l, unsigned k, unsigned n);

/* Tasks the load creates at most: the count, or rate x duration for an open loop; 0 when a
 * closed --duration loop has no bound of its own. */
uint64_t pb_load_max_tasks(const struct pb_load *l);

const char *pb_arrivals_name(enum pb_arrivals a);

#endif
