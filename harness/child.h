/* Child processes: start one (by default this very binary, /proc/self/exe) with chosen standard
 * descriptors, wait for it with a timeout, stop it (SIGTERM, a grace period, SIGKILL) and read
 * its CPU time. Safe to call from a multi-threaded process. */
#ifndef PB_CHILD_H
#define PB_CHILD_H

#include <sys/types.h>

#include "harness/error.h"

/* For pb_child_opts.stdio: keep the parent's descriptor, or give the child /dev/null. */
#define PB_CHILD_INHERIT (-1)
#define PB_CHILD_DEVNULL (-2)
/* Descriptors a child can be given besides 0..2 (pb_child_opts.pass). */
#define PB_CHILD_PASS_MAX 4

struct pb_child_opts {
    const char *exe;   /* NULL: /proc/self/exe, this binary even if it was replaced on disk */
    char *const *argv; /* argv[0] first, NULL-terminated */
    /* The child's descriptors 0, 1 and 2: a descriptor of ours (it may be any, even one of
     * 0..2), PB_CHILD_INHERIT or PB_CHILD_DEVNULL. The child gets no other descriptor than
     * these and pass's. */
    int stdio[3];
    /* Our descriptors that become the child's 3, 4, ... in order (npass at most
     * PB_CHILD_PASS_MAX). */
    const int *pass;
    unsigned npass;
    char *const *envp; /* its environment; NULL: ours */
    int new_pgroup;    /* its own process group, so that the terminal's ^C reaches only us */
    int pin_cpu;       /* -1: not pinned */
    /* SIGINT and SIGTERM stay blocked through exec, so one that arrives while the child loads
     * waits for it: a `parbench run` child unblocks them once its handlers are in place
     * (pb_stop_setup), and a stop of the whole group is then a stop, not a death. */
    int hold_stops;
};

/* Inherits stdio, not pinned, in our process group: set exe/argv and what differs. */
#define PB_CHILD_OPTS_INIT                                                                         \
    {                                                                                              \
        .stdio = {PB_CHILD_INHERIT, PB_CHILD_INHERIT, PB_CHILD_INHERIT}, .pin_cpu = -1             \
    }

/* A child; read its fields, change them only through these functions. */
struct pb_child {
    pid_t pid;            /* -1 when none was started */
    int pidfd;            /* -1 when the kernel has no pidfd_open; then waits poll */
    int reaped;           /* it ended and was waited for: status and the CPU times are final */
    int status;           /* the wait status (WIFEXITED, ...), once reaped; -1: reaped elsewhere */
    int killed;           /* pb_child_stop had to SIGKILL it */
    double user_s, sys_s; /* its CPU time, once reaped */
};

/*
 * Starts o->argv. Between fork and exec the child only makes async-signal-safe calls: it resets
 * signal dispositions and the mask, moves its descriptors in place and closes every other one,
 * joins its own process group if asked, pins itself if asked, and sets PR_SET_PDEATHSIG to
 * SIGKILL: it is killed when the thread that started it exits (even by SIGKILL), so start
 * children from a thread that lives as long as they should (main). Returns once the child has
 * exec'd, 0; or -errno with err naming what failed ("cannot run EXE: ...", "cannot pin ...";
 * fork and pipe errors too), and then nothing is left running.
 *
 * The child must be reaped: by pb_child_wait until it returns 0, or by pb_child_stop. Another
 * waitpid(-1) or SIGCHLD set to SIG_IGN in this process would steal its status.
 */
int pb_child_spawn(struct pb_child *c, const struct pb_child_opts *o, struct pb_err *err);

/* Waits up to timeout_ms (-1: for ever, 0: just looks) for the child to end, and reaps it.
 * 0 once reaped (at once when it already was), -ETIMEDOUT while it runs, -ECHILD when it was
 * never started or someone else reaped it. Signals do not cut the wait short. */
int pb_child_wait(struct pb_child *c, int timeout_ms);

/* Sends sig (when the child still runs); 0 or -errno. */
int pb_child_kill(const struct pb_child *c, int sig);

/* SIGTERM, up to grace_ms for it to end, else SIGKILL; reaps it. 0 when it ended by itself
 * within the grace period (or had already), -ETIMEDOUT when it had to be killed, -ECHILD as
 * pb_child_wait. Then c->status says how it ended. */
int pb_child_stop(struct pb_child *c, int grace_ms);

/* Its CPU time so far: from /proc/PID/stat while it runs (clock-tick resolution), from its
 * rusage once reaped. 0 or -errno (both set to 0). */
int pb_child_cpu(const struct pb_child *c, double *user_s, double *sys_s);

/* How a reaped child ended: "exited with status 3", "was killed by signal 9 (Killed)". */
void pb_child_describe(const struct pb_child *c, char *buf, size_t len);

#endif
