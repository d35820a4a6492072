/* Memory shared between the driver and worker processes.
 *
 * Worker processes are forked by the zygote (harness/zygote.h), which is forked before the first
 * case runs; memory the driver maps later would not be shared with it. So when the plan has a
 * runner that forks, an arena is reserved before the zygote is forked and every allocation
 * comes from it: the driver, the zygote and the workers see it at the same address, pointers
 * into it included. Without an arena each allocation is a mapping of its own. */
#ifndef PB_SHM_H
#define PB_SHM_H

#include <stddef.h>

#include "parbench/parbench.h"

/* Reserves the arena (address space only; pages are committed as they are touched). -errno. */
int pb_shm_arena_reserve(size_t bytes);
/* Nonzero when p is in the arena: memory the zygote and its workers share. */
int pb_shm_in_arena(const void *p);

#endif
