/* The zygote. */
#include "harness/zygote.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/shm.h"

/* One request: what to run, and where the answers go; all in the arena but the ops table,
 * which is static and at the same address in the zygote (a fork of this process). */
struct request {
    const struct pb_runner_ops *ops;
    struct reply *reply;
};

struct reply {
    struct pb_run_spec spec;
    struct pb_run_stats stats;
    struct pb_err err;
    int rc;
};

static pid_t zygote_pid;
static int to_zygote = -1, from_zygote = -1;

static int full_io(int fd, void *buf, size_t len, int writing)
{
    char *p = buf;
    while (len) {
        ssize_t n = writing ? write(fd, p, len) : read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n == 0 ? -EPIPE : -errno;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void zygote_main(int in, int out, pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(0);
    prctl(PR_SET_NAME, "parbench-zygote");
    struct request rq;
    while (full_io(in, &rq, sizeof(rq), 0) == 0) {
        struct reply *r = rq.reply;
        r->rc = rq.ops->run(&r->spec, &r->stats, &r->err);
        char done = 1;
        if (full_io(out, &done, 1, 1) < 0)
            break;
    }
    _exit(0);
}

int pb_zygote_start(struct pb_err *err)
{
    int req[2], rep[2];
    if (pipe2(req, O_CLOEXEC) < 0)
        return pb_err_set(err, -errno, "cannot start the zygote: %s", strerror(errno));
    if (pipe2(rep, O_CLOEXEC) < 0) {
        int e = errno;
        close(req[0]);
        close(req[1]);
        return pb_err_set(err, -e, "cannot start the zygote: %s", strerror(e));
    }
    pid_t parent = getpid();
    fflush(NULL); /* nothing buffered may be written twice */
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(req[0]);
        close(req[1]);
        close(rep[0]);
        close(rep[1]);
        return pb_err_set(err, -e, "cannot fork the zygote: %s", strerror(e));
    }
    if (pid == 0) {
        close(req[1]);
        close(rep[0]);
        zygote_main(req[0], rep[1], parent);
    }
    close(req[0]);
    close(rep[1]);
    zygote_pid = pid;
    to_zygote = req[1];
    from_zygote = rep[0];
    return 0;
}

int pb_zygote_run(const struct pb_runner_ops *r, const struct pb_run_spec *spec,
                  struct pb_run_stats *stats, struct pb_err *err)
{
    if (!zygote_pid)
        return r->run(spec, stats, err);
    const void *shared[] = {spec->env, spec->env->params, spec->pins, spec->records};
    for (size_t i = 0; i < sizeof(shared) / sizeof(shared[0]); i++)
        if (!pb_shm_in_arena(shared[i]))
            return pb_err_set(err, -EFAULT, "%s: run spec outside the shared arena", r->name);
    if (spec->wl_shared && !pb_shm_in_arena(spec->wl_shared))
        return pb_err_set(err, -EFAULT,
                          "%s: the workload's shared state is not in shared memory (prepare must "
                          "use pb_shm_alloc)",
                          r->name);
    struct reply *rp = pb_shm_alloc(sizeof(*rp));
    if (!rp)
        return pb_err_set(err, -ENOMEM, "%s: out of shared memory", r->name);
    rp->spec = *spec;
    struct request rq = {.ops = r, .reply = rp};
    char done;
    int rc = full_io(to_zygote, &rq, sizeof(rq), 1);
    /* Wait in short polls rather than one read: a sanitizer may hold a signal's handler until
     * the call it arrived in returns, and the stop it raises is what ends the repetition. */
    struct pollfd pfd = {.fd = from_zygote, .events = POLLIN};
    while (rc == 0 && poll(&pfd, 1, 50) == 0)
        ;
    if (rc == 0)
        rc = full_io(from_zygote, &done, 1, 0);
    if (rc < 0) {
        rc = pb_err_set(err, -ECHILD, "%s: the zygote that forks its workers died", r->name);
    } else {
        *stats = rp->stats;
        rc = rp->rc;
        if (rc < 0)
            *err = rp->err;
    }
    pb_shm_free(rp, sizeof(*rp));
    return rc;
}

void pb_zygote_stop(void)
{
    if (!zygote_pid)
        return;
    close(to_zygote);
    close(from_zygote);
    while (waitpid(zygote_pid, NULL, 0) < 0 && errno == EINTR)
        ;
    zygote_pid = 0;
}

int pb_zygote_pid(void)
{
    return (int)zygote_pid;
}
