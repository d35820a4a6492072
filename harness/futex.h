/* Waiting on a 32-bit word, across threads and across processes sharing memory (Linux futex). */
#ifndef PB_FUTEX_H
#define PB_FUTEX_H

#include <stdatomic.h>
#include <stdint.h>

/* Sleeps while *word == expected, at most timeout_ns (0: no limit). Returns 0 when woken or
 * when the word had already changed, -ETIMEDOUT, or -EINTR. */
int pb_futex_wait(_Atomic uint32_t *word, uint32_t expected, uint64_t timeout_ns);
/* Wakes up to n waiters (INT32_MAX: all). */
void pb_futex_wake(_Atomic uint32_t *word, int n);

#endif
