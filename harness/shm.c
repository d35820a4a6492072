/* Anonymous shared memory that survives fork. */
#include "harness/shm.h"

#include <sys/mman.h>

void *pb_shm_alloc(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void pb_shm_free(void *p, size_t size)
{
    if (p)
        munmap(p, size);
}
