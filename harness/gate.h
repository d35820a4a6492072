/* The start barrier (the seed's threading.Event): workers set up, arrive, and wait; the driver
 * opens the gate once all have arrived, so set-up is never timed. Works across processes. */
#ifndef PB_GATE_H
#define PB_GATE_H

#include <stdatomic.h>
#include <stdint.h>

struct pb_gate {
    _Atomic uint32_t arrived;
    _Atomic uint32_t failed; /* workers whose set-up failed: they arrive and leave */
    _Atomic uint32_t open;
};

void pb_gate_init(struct pb_gate *g);
/* Worker side: announce readiness (or failure) and, when ready, wait for the gate to open.
 * Returns 0 once open, -ECANCELED when the gate was opened for no one (abort). */
int pb_gate_arrive(struct pb_gate *g, int ok);
/* Driver side: waits up to timeout_ns (0: no limit) for n arrivals. 0, or -ETIMEDOUT. */
int pb_gate_wait_arrivals(struct pb_gate *g, uint32_t n, uint64_t timeout_ns);
/* Opens the gate (go = 1) or tells waiting workers to leave (go = 0). */
void pb_gate_open(struct pb_gate *g, int go);

#endif
