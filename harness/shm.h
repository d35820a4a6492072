/* Anonymous shared memory that survives fork: worker records, queues and workload state. */
#ifndef PB_SHM_H
#define PB_SHM_H

#include <stddef.h>

/* Zeroed, page-aligned, MAP_SHARED memory; NULL on failure. */
void *pb_shm_alloc(size_t size);
/* size must be the size given to pb_shm_alloc; accepts NULL. */
void pb_shm_free(void *p, size_t size);

#endif
