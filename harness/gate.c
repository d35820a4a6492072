/* The start barrier shared by every runner's workers. */
#include "harness/gate.h"

#include <errno.h>

#include "harness/clock.h"
#include "harness/futex.h"

enum { GATE_CLOSED = 0, GATE_OPEN = 1, GATE_ABORTED = 2 };

void pb_gate_init(struct pb_gate *g)
{
    atomic_store(&g->arrived, 0);
    atomic_store(&g->failed, 0);
    atomic_store(&g->error_published, 0);
    atomic_store(&g->open, GATE_CLOSED);
}

int pb_gate_arrive(struct pb_gate *g, const struct pb_err *setup_error)
{
    if (setup_error && atomic_fetch_add(&g->failed, 1) == 0) {
        g->first_error = *setup_error;
        atomic_store_explicit(&g->error_published, 1, memory_order_release);
    }
    atomic_fetch_add(&g->arrived, 1);
    pb_futex_wake(&g->arrived, INT32_MAX);
    if (setup_error)
        return -ECANCELED;
    uint32_t state;
    while ((state = atomic_load(&g->open)) == GATE_CLOSED)
        pb_futex_wait(&g->open, GATE_CLOSED, 0);
    return state == GATE_OPEN ? 0 : -ECANCELED;
}

int pb_gate_wait_arrivals(struct pb_gate *g, uint32_t n, uint64_t timeout_ns)
{
    uint64_t deadline = timeout_ns ? pb_now_ns() + timeout_ns : 0;
    uint32_t seen;
    while ((seen = atomic_load(&g->arrived)) < n) {
        uint64_t now = pb_now_ns();
        if (deadline && now >= deadline)
            return -ETIMEDOUT;
        pb_futex_wait(&g->arrived, seen, deadline ? deadline - now : 0);
    }
    return 0;
}

int pb_gate_setup_error(struct pb_gate *g, struct pb_err *err)
{
    if (!atomic_load(&g->failed))
        return 0;
    if (!atomic_load_explicit(&g->error_published, memory_order_acquire))
        return pb_err_set(err, -EINVAL, "a worker's set-up failed");
    if (err)
        *err = g->first_error;
    return -EINVAL;
}

void pb_gate_open(struct pb_gate *g, int go)
{
    atomic_store(&g->open, go ? GATE_OPEN : GATE_ABORTED);
    pb_futex_wake(&g->open, INT32_MAX);
}
