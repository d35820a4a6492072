/* The embedded HTTP/1.1 target: `parbench serve`, and the driver side that runs it as a child. */
#ifndef PB_HTTP_TARGET_H
#define PB_HTTP_TARGET_H

#include "harness/error.h"

/*
 * `parbench serve [--host 127.0.0.1] [--port N] [--pin CPU]`; argv[0] is "serve". Returns the
 * exit code: 0 after SIGTERM or SIGINT, 2 on bad usage, 3 when it cannot listen or pin.
 *
 * Once it listens it prints exactly one line, "port N", on stdout (flushed). The query of the
 * request target selects the answer:
 *   delay_ms=D  respond after D ms (a timer; the loop keeps serving others)
 *   size=B      a body of B bytes, byte i = 'a' + i % 26 (default 0)
 *   status=S    respond with status S (200..599)
 *   close=1     close the connection without a response
 * GET /__stats answers {"requests","in_flight","in_flight_max","connections","connections_max",
 * "connections_accepted"}; GET /__reset answers the same values and then zeroes the totals and
 * sets each maximum to its current value. Neither is counted. in_flight counts requests parsed
 * and not yet fully written back; connections counts open connections.
 */
int pb_cmd_serve(int argc, char **argv);

struct pb_target;

/*
 * Starts `self_exe serve --port 0 [--pin CPU]` (pin_cpu -1: not pinned) as a child in its own
 * process group, waits (at most 5 s) for its port line and for one connection to be accepted.
 * The child is killed when the calling thread exits (PR_SET_PDEATHSIG), so call this from the
 * thread that lives as long as the run (main). On failure err says
 * "embedded HTTP target did not start: ..." and nothing is left running.
 */
int pb_target_spawn(const char *self_exe, int pin_cpu, struct pb_target **out, struct pb_err *err);

/* "http://127.0.0.1:PORT/" */
const char *pb_target_url(const struct pb_target *t);
int pb_target_port(const struct pb_target *t);
int pb_target_pid(const struct pb_target *t);

/*
 * Sends SIGTERM, waits up to 2 s, then SIGKILL; reports the child's CPU time (either pointer may
 * be NULL). Returns 0 when it exited cleanly, -ETIMEDOUT when it had to be killed, -ECHILD when
 * it had died or failed on its own. Calling it again returns the same figures.
 */
int pb_target_stop(struct pb_target *t, double *user_s, double *sys_s);

/* Stops the target if it still runs and frees t; accepts NULL. */
void pb_target_destroy(struct pb_target *t);

#endif
