/* A full memory fence, for the Dekker pairs of the task queue ("announce I wait, then re-check"
 * against "publish, then look for waiters"): without it each side could miss the other's store.
 *
 * ThreadSanitizer does not model fences (gcc refuses atomic_thread_fence under it), so there
 * the fence is a seq_cst read-modify-write of one word both sides of a pair pass through: the
 * later of the two reads the earlier, which orders them exactly as the fences would, and TSan
 * sees that synchronisation. Elsewhere it is the fence itself, which costs no shared line. */
#ifndef PB_FENCE_H
#define PB_FENCE_H

#include <stdatomic.h>
#include <stdint.h>

#if defined(__SANITIZE_THREAD__)
#define PB_FENCE_RMW 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PB_FENCE_RMW 1
#endif
#endif

static inline void pb_fence(_Atomic uint32_t *word)
{
#ifdef PB_FENCE_RMW
    atomic_fetch_add_explicit(word, 0, memory_order_seq_cst);
#else
    (void)word;
    atomic_thread_fence(memory_order_seq_cst);
#endif
}

#endif
