/* The start barrier (the seed's threading.Event): workers set up, arrive, and wait; the driver
 * opens the gate once all have arrived, so set-up is never timed. Works across processes. */
#ifndef PB_GATE_H
#define PB_GATE_H

#include <stdatomic.h>
#include <stdint.h>

#include "harness/error.h"

struct pb_gate {
    _Atomic uint32_t arrived;
    _Atomic uint32_t failed; /* workers whose set-up failed: they arrive and leave */
    /* first_error is whole: the driver may read it before every worker has arrived (a stop
     * abandons the wait), so the message has its own release, not only the arrival's */
    _Atomic uint32_t error_published;
    _Atomic uint32_t open;
    struct pb_err first_error; /* the first failed worker's, for the driver's message */
};

void pb_gate_init(struct pb_gate *g);
/* Worker side: announce readiness (setup_error NULL) or a failed set-up and, when ready, wait
 * for the gate to open. Returns 0 once open, -ECANCELED when it was opened for no one. */
int pb_gate_arrive(struct pb_gate *g, const struct pb_err *setup_error);
/* Driver side: waits up to timeout_ns (0: no limit) for n arrivals. 0, or -ETIMEDOUT. */
int pb_gate_wait_arrivals(struct pb_gate *g, uint32_t n, uint64_t timeout_ns);
/* Driver side, once all have arrived: 0, or -EINVAL with the first worker's set-up error. */
int pb_gate_setup_error(struct pb_gate *g, struct pb_err *err);
/* Opens the gate (go = 1) or tells waiting workers to leave (go = 0). */
void pb_gate_open(struct pb_gate *g, int go);

#endif
