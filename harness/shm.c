/* Shared memory: an arena with a first-fit free list, or one mapping per allocation.
 *
 * The arena's bookkeeping lives in the arena itself, so the driver and the zygote (which runs a
 * forking runner's repetition and allocates its queue and slots) share it; only one of them
 * allocates at a time (the driver waits while the zygote runs), the lock is a guard. */
#include "harness/shm.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define ALIGN 64

struct block {
    size_t size; /* of the whole block, header included; a multiple of ALIGN */
    struct block *next_free;
};

struct arena {
    atomic_flag lock;
    size_t size;
    struct block *free_list; /* sorted by address */
};

static struct arena *arena;

static size_t round_up(size_t n, size_t to)
{
    return (n + to - 1) / to * to;
}

int pb_shm_arena_reserve(size_t bytes)
{
    size_t size = round_up(bytes + 2 * ALIGN, (size_t)sysconf(_SC_PAGESIZE));
    void *p =
        mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return -errno;
    struct arena *a = p;
    atomic_flag_clear(&a->lock);
    a->size = size;
    struct block *b = (struct block *)((char *)p + ALIGN);
    b->size = size - ALIGN;
    b->next_free = NULL;
    a->free_list = b;
    arena = a;
    return 0;
}

static void lock(void)
{
    while (atomic_flag_test_and_set_explicit(&arena->lock, memory_order_acquire))
        ;
}

static void unlock(void)
{
    atomic_flag_clear_explicit(&arena->lock, memory_order_release);
}

/* Gives the pages inside a freed block back to the system (shared memory stays committed
 * otherwise). */
static void discard(struct block *b)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    uintptr_t lo = round_up((uintptr_t)b + sizeof(*b), page);
    uintptr_t hi = ((uintptr_t)b + b->size) / page * page;
    if (hi > lo)
        madvise((void *)lo, hi - lo, MADV_REMOVE);
}

static void *arena_alloc(size_t size)
{
    size_t need = round_up(size, ALIGN) + ALIGN; /* the header takes a whole granule */
    void *out = NULL;
    lock();
    for (struct block **pp = &arena->free_list; *pp; pp = &(*pp)->next_free) {
        struct block *b = *pp;
        if (b->size < need)
            continue;
        if (b->size - need >= 2 * ALIGN) { /* split: the tail stays free */
            struct block *rest = (struct block *)((char *)b + need);
            rest->size = b->size - need;
            rest->next_free = b->next_free;
            *pp = rest;
            b->size = need;
        } else {
            *pp = b->next_free;
        }
        out = (char *)b + ALIGN;
        break;
    }
    unlock();
    if (out)
        memset(out, 0, size);
    return out;
}

static void arena_free(void *p)
{
    struct block *b = (struct block *)((char *)p - ALIGN);
    lock();
    struct block **pp = &arena->free_list;
    while (*pp && *pp < b)
        pp = &(*pp)->next_free;
    b->next_free = *pp;
    *pp = b;
    if (b->next_free && (char *)b + b->size == (char *)b->next_free) {
        b->size += b->next_free->size;
        b->next_free = b->next_free->next_free;
    }
    /* The block before b, if adjacent, absorbs it. */
    for (struct block *prev = arena->free_list; prev && prev != b; prev = prev->next_free) {
        if (prev->next_free == b && (char *)prev + prev->size == (char *)b) {
            prev->size += b->size;
            prev->next_free = b->next_free;
            b = prev;
            break;
        }
    }
    discard(b);
    unlock();
}

int pb_shm_in_arena(const void *p)
{
    return arena && (const char *)p > (const char *)arena &&
           (const char *)p < (const char *)arena + arena->size;
}

void *pb_shm_alloc(size_t size)
{
    void *p = arena ? arena_alloc(size ? size : 1) : NULL;
    if (p)
        return p;
    /* Past the arena: fine for threads; a forking runner's zygote checks pb_shm_in_arena. */
    p = mmap(NULL, size ? size : 1, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void pb_shm_free(void *p, size_t size)
{
    if (!p)
        return;
    if (pb_shm_in_arena(p))
        arena_free(p);
    else
        munmap(p, size ? size : 1);
}
