/* Child processes: fork and exec with care for a multi-threaded parent, waits that signals do
 * not cut short, and a stop that always ends in a reaped child. */
#include "harness/child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/clock.h"

/* A child that fails before exec reports at once; past this, assume it exec'd (another
 * thread's fork may hold the report pipe open, so its end of file is no proof). */
#define REPORT_MS 2000
/* Without pidfd, waits poll from 1 ms up to this step. */
#define POLL_STEP_MAX_MS 20

/* What the child did last before it gave up; sent up the report pipe with its errno. */
enum stage {
    STAGE_FDS,
    STAGE_PDEATHSIG,
    STAGE_PGROUP,
    STAGE_PIN,
    STAGE_EXEC,
};

struct report {
    int stage;
    int err;
};

/* Everything the child needs, prepared before fork: it may not allocate or format. */
struct plan {
    const char *exe;
    char *const *argv;
    char *const *envp;
    int src[3 + PB_CHILD_PASS_MAX];
    int nsrc; /* the child's descriptors 0..nsrc-1; its report descriptor is nsrc */
    int report_fd;
    int new_pgroup, pin, hold_stops;
    cpu_set_t cpus;
    pid_t parent;
    int max_fd; /* for closing descriptors one by one where close_range is missing */
};

static void __attribute__((noreturn)) give_up(int fd, int stage)
{
    struct report r = {stage, errno};
    ssize_t n = write(fd, &r, sizeof(r));

    (void)n;
    _exit(127);
}

/* Between fork and exec: async-signal-safe calls only, since another thread of the parent may
 * have held any lock (malloc's, stdio's) at the fork. */
static void __attribute__((noreturn)) child_main(const struct plan *p)
{
    struct sigaction dfl;
    sigset_t none;
    int copy[3 + PB_CHILD_PASS_MAX], rep = p->report_fd, top = p->nsrc;

    /* a handler of the parent's must not run here, and what it ignores (SIGPIPE: the server,
     * libcurl) must not stay ignored in the program it runs */
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction old;
        if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &old) < 0)
            continue;
        if (old.sa_handler == SIG_DFL)
            continue;
        if (old.sa_handler == SIG_IGN && sig != SIGPIPE && sig != SIGINT && sig != SIGTERM &&
            sig != SIGCHLD)
            continue;
        sigaction(sig, &dfl, NULL);
    }
    /* dies with the thread that started it, even when that thread's process is SIGKILLed */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
        give_up(rep, STAGE_PDEATHSIG);
    if (getppid() != p->parent)
        _exit(127);
    if (p->new_pgroup && setpgid(0, 0) < 0)
        give_up(rep, STAGE_PGROUP);
    if (p->pin >= 0 && sched_setaffinity(0, sizeof(p->cpus), &p->cpus) < 0)
        give_up(rep, STAGE_PIN);

    /* copies above the child's range first, so that placing one cannot overwrite another's
     * source */
    if (rep < top && (rep = fcntl(rep, F_DUPFD_CLOEXEC, top)) < 0)
        give_up(p->report_fd, STAGE_FDS);
    for (int i = 0; i < top; i++) {
        copy[i] = -1;
        if (p->src[i] >= 0 && p->src[i] != i && (copy[i] = fcntl(p->src[i], F_DUPFD, top)) < 0)
            give_up(rep, STAGE_FDS);
    }
    for (int i = 0; i < top; i++) {
        if (copy[i] >= 0 && dup2(copy[i], i) < 0)
            give_up(rep, STAGE_FDS);
        /* already in place: it only must survive exec */
        if (p->src[i] == i && fcntl(i, F_SETFD, 0) < 0)
            give_up(rep, STAGE_FDS);
    }
    if (rep != top) {
        if (dup3(rep, top, O_CLOEXEC) < 0)
            give_up(rep, STAGE_FDS);
        rep = top;
    }
    /* the parent's other descriptors (sockets, pipes, result files) are not the child's */
    if (syscall(SYS_close_range, (unsigned)top + 1, ~0u, 0u) < 0)
        for (int fd = top + 1; fd < p->max_fd; fd++)
            close(fd);

    sigemptyset(&none);
    if (p->hold_stops) {
        sigaddset(&none, SIGINT);
        sigaddset(&none, SIGTERM);
    }
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (p->envp)
        execve(p->exe, p->argv, p->envp);
    else
        execv(p->exe, p->argv);
    give_up(rep, STAGE_EXEC);
}

/* Reads the child's report: 0 when it exec'd, else the report. */
static int read_report(int fd, struct report *r)
{
    uint64_t deadline = pb_now_ns() + (uint64_t)REPORT_MS * 1000000u;
    size_t got = 0;

    while (got < sizeof(*r)) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        uint64_t now = pb_now_ns();
        ssize_t n;
        int ready;

        if (now >= deadline)
            return 0;
        ready = poll(&pfd, 1, (int)((deadline - now + 999999) / 1000000));
        if (ready < 0 && errno != EINTR)
            return 0;
        if (ready <= 0)
            continue;
        n = read(fd, (char *)r + got, sizeof(*r) - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 0; /* closed by its exec */
        got += (size_t)n;
    }
    return 1;
}

static const char *stage_what(int stage)
{
    switch (stage) {
    case STAGE_FDS:
        return "cannot set up its descriptors";
    case STAGE_PDEATHSIG:
        return "cannot tie it to its parent";
    case STAGE_PGROUP:
        return "cannot give it a process group";
    case STAGE_PIN:
        return "cannot pin it";
    default:
        return "cannot run it";
    }
}

int pb_child_spawn(struct pb_child *c, const struct pb_child_opts *o, struct pb_err *err)
{
    struct plan p = {.exe = o->exe ? o->exe : "/proc/self/exe",
                     .argv = o->argv,
                     .envp = o->envp,
                     .nsrc = 3 + (int)o->npass,
                     .new_pgroup = o->new_pgroup,
                     .pin = o->pin_cpu,
                     .hold_stops = o->hold_stops,
                     .parent = getpid()};
    int fds[2] = {-1, -1}, devnull = -1, fork_errno, rc = 0;
    struct report r;
    struct rlimit rl;
    sigset_t all, old;
    pid_t pid;

    *c = (struct pb_child){.pid = -1, .pidfd = -1};
    if (!o->argv || !o->argv[0])
        return pb_err_set(err, -EINVAL, "cannot run %s: no argv", p.exe);
    if (o->npass > PB_CHILD_PASS_MAX)
        return pb_err_set(err, -EINVAL, "cannot run %s: %u descriptors to pass", p.exe, o->npass);
    for (unsigned i = 0; i < o->npass; i++)
        p.src[3 + i] = o->pass[i];
    if (o->pin_cpu >= CPU_SETSIZE)
        return pb_err_set(err, -EINVAL, "cannot pin %s to CPU %d", p.exe, o->pin_cpu);
    CPU_ZERO(&p.cpus);
    if (o->pin_cpu >= 0)
        CPU_SET(o->pin_cpu, &p.cpus);
    p.max_fd =
        getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (1u << 20) ? (int)rl.rlim_cur : 1 << 20;
    for (int i = 0; i < 3; i++) {
        p.src[i] = o->stdio[i];
        if (p.src[i] == PB_CHILD_DEVNULL) {
            if (devnull < 0 && (devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
                rc = pb_err_set(err, -errno, "cannot open /dev/null: %s", strerror(errno));
                goto out;
            }
            p.src[i] = devnull;
        }
    }
    if (pipe2(fds, O_CLOEXEC)) {
        rc = pb_err_set(err, -errno, "cannot make a pipe: %s", strerror(errno));
        goto out;
    }
    p.report_fd = fds[1];

    /* no handler of ours may run in the child before it has reset them */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid = fork();
    if (pid == 0)
        child_main(&p);
    fork_errno = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(fds[1]);
    fds[1] = -1;
    if (pid < 0) {
        rc = pb_err_set(err, -fork_errno, "cannot fork: %s", strerror(fork_errno));
        goto out;
    }
    c->pid = pid;
    /* both sides set the group, so that it is in place whichever runs first */
    if (o->new_pgroup)
        setpgid(pid, pid);
#ifdef SYS_pidfd_open
    c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#endif
    if (read_report(fds[0], &r)) {
        pb_child_wait(c, -1);
        if (r.stage == STAGE_PIN)
            rc = pb_err_set(err, -r.err, "cannot pin %s to CPU %d: %s", p.exe, o->pin_cpu,
                            strerror(r.err));
        else
            rc =
                pb_err_set(err, -r.err, "%s: %s (%s)", p.exe, stage_what(r.stage), strerror(r.err));
        *c = (struct pb_child){.pid = -1, .pidfd = -1};
    }
out:
    if (fds[0] >= 0)
        close(fds[0]);
    if (fds[1] >= 0)
        close(fds[1]);
    if (devnull >= 0)
        close(devnull);
    return rc;
}

static void reaped(struct pb_child *c, int status, const struct rusage *ru)
{
    c->reaped = 1;
    c->status = status;
    if (ru) {
        c->user_s = (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec / 1e6;
        c->sys_s = (double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec / 1e6;
    }
    if (c->pidfd >= 0)
        close(c->pidfd);
    c->pidfd = -1;
}

int pb_child_wait(struct pb_child *c, int timeout_ms)
{
    uint64_t deadline = pb_now_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000u;
    struct timespec step = {0, 1000000};

    if (c->reaped)
        return c->status == -1 ? -ECHILD : 0;
    if (c->pid <= 0)
        return -ECHILD;
    for (;;) {
        struct rusage ru;
        int status = 0, ms;
        uint64_t now;
        pid_t r = wait4(c->pid, &status, WNOHANG, &ru);

        if (r == c->pid) {
            reaped(c, status, &ru);
            return 0;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            reaped(c, -1, NULL);
            return -ECHILD;
        }
        now = pb_now_ns();
        if (timeout_ms >= 0 && now >= deadline)
            return -ETIMEDOUT;
        ms = timeout_ms < 0 ? -1 : (int)((deadline - now + 999999) / 1000000);
        if (c->pidfd >= 0) {
            struct pollfd pfd = {.fd = c->pidfd, .events = POLLIN};
            /* readable once it has ended; a signal only brings us round again */
            poll(&pfd, 1, ms);
            continue;
        }
        if (ms >= 0 && step.tv_nsec > (long)ms * 1000000)
            step.tv_nsec = (long)ms * 1000000;
        nanosleep(&step, NULL);
        if (step.tv_nsec < POLL_STEP_MAX_MS * 1000000L)
            step.tv_nsec *= 2;
    }
}

int pb_child_kill(const struct pb_child *c, int sig)
{
    if (c->pid <= 0 || c->reaped)
        return -ESRCH;
    return kill(c->pid, sig) == 0 ? 0 : -errno;
}

int pb_child_stop(struct pb_child *c, int grace_ms)
{
    int rc;

    if (c->pid <= 0)
        return -ECHILD;
    if (c->reaped)
        return c->status == -1 ? -ECHILD : c->killed ? -ETIMEDOUT : 0;
    pb_child_kill(c, SIGTERM);
    rc = pb_child_wait(c, grace_ms);
    if (rc != -ETIMEDOUT)
        return rc;
    pb_child_kill(c, SIGKILL);
    c->killed = 1;
    rc = pb_child_wait(c, -1);
    return rc < 0 ? rc : -ETIMEDOUT;
}

int pb_child_cpu(const struct pb_child *c, double *user_s, double *sys_s)
{
    char path[64], buf[1024];
    unsigned long ut, st;
    const char *p;
    size_t n;
    FILE *f;

    *user_s = *sys_s = 0;
    if (c->reaped) {
        *user_s = c->user_s;
        *sys_s = c->sys_s;
        return 0;
    }
    if (c->pid <= 0)
        return -ECHILD;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)c->pid);
    f = fopen(path, "r");
    if (!f)
        return -errno;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    /* fields 14 and 15, utime and stime; the command name (2) may hold spaces and parentheses */
    p = strrchr(buf, ')');
    if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -EPROTO;
    *user_s = (double)ut / (double)sysconf(_SC_CLK_TCK);
    *sys_s = (double)st / (double)sysconf(_SC_CLK_TCK);
    return 0;
}

void pb_child_describe(const struct pb_child *c, char *buf, size_t len)
{
    if (!c->reaped)
        snprintf(buf, len, "%s", c->pid > 0 ? "is running" : "was never started");
    else if (c->status == -1)
        snprintf(buf, len, "was reaped elsewhere");
    else if (WIFEXITED(c->status))
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(c->status));
    else if (WIFSIGNALED(c->status))
        snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(c->status),
                 strsignal(WTERMSIG(c->status)));
    else
        snprintf(buf, len, "ended with wait status %#x", (unsigned)c->status);
}
