/* Unit tests of harness/child: descriptors in place and no others, exec failures reported, pin
 * and process group, signals reset, waits with timeouts that signals do not cut short, stop with
 * SIGTERM then SIGKILL, CPU time, death with the parent, and spawning beside a busy thread. The
 * test binary is its own child: run as `test_child child MODE` it does what MODE says. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit.h"

#include "harness/child.h"
#include "harness/clock.h"

/* ---- the child's side ---- */

static void say(int fd, const char *s)
{
    if (write(fd, s, strlen(s)) < 0)
        _exit(99);
}

static int child_main(int argc, char **argv)
{
    const char *mode = argc > 2 ? argv[2] : "";
    char buf[256];

    if (strcmp(mode, "fds") == 0) {
        /* echo stdin, name every descriptor above 2 still open */
        ssize_t n = read(0, buf, sizeof(buf) - 1);
        int extra = 0;
        buf[n > 0 ? n : 0] = 0;
        say(1, "in:");
        say(1, buf);
        for (int fd = 3; fd < 4096; fd++)
            if (fcntl(fd, F_GETFD) >= 0)
                extra++;
        snprintf(buf, sizeof(buf), " extra:%d", extra);
        say(1, buf);
        say(2, "err");
        return 0;
    }
    if (strcmp(mode, "report") == 0) {
        struct sigaction sa;
        sigset_t mask;
        cpu_set_t set;
        int cpus = 0, cpu = -1;
        sigaction(SIGPIPE, NULL, &sa);
        sigprocmask(SIG_SETMASK, NULL, &mask);
        sched_getaffinity(0, sizeof(set), &set);
        for (int i = 0; i < CPU_SETSIZE; i++)
            if (CPU_ISSET(i, &set))
                cpus++, cpu = i;
        snprintf(buf, sizeof(buf),
                 "pgrp_own:%d pipe_dfl:%d usr2_blocked:%d stops_held:%d cpus:%d cpu:%d",
                 getpgrp() == getpid(), sa.sa_handler == SIG_DFL, sigismember(&mask, SIGUSR2),
                 sigismember(&mask, SIGINT) && sigismember(&mask, SIGTERM), cpus, cpu);
        say(1, buf);
        return 0;
    }
    if (strcmp(mode, "exit") == 0)
        return atoi(argc > 3 ? argv[3] : "0");
    if (strcmp(mode, "ignore-term") == 0) {
        signal(SIGTERM, SIG_IGN);
        say(1, "ready");
        for (;;)
            pause();
    }
    if (strcmp(mode, "spin") == 0) {
        /* about 300 ms of CPU, then wait */
        uint64_t end = pb_now_ns() + 300000000u;
        volatile uint64_t x = 0;
        while (pb_now_ns() < end)
            x++;
        say(1, "done");
        for (;;)
            pause();
    }
    for (;;) /* "sleep" */
        pause();
}

/* ---- the parent's side ---- */

static int spawn(struct pb_child *c, struct pb_child_opts *o, const char *mode, const char *arg)
{
    char *argv[] = {"test_child", "child", (char *)mode, (char *)arg, NULL};
    struct pb_err err = {{0}};
    int rc;

    o->argv = argv;
    rc = pb_child_spawn(c, o, &err);
    if (rc < 0)
        print_message("spawn: %s\n", err.msg);
    return rc;
}

static size_t read_all(int fd, char *buf, size_t len)
{
    size_t got = 0;
    ssize_t n;

    while (got < len - 1 && (n = read(fd, buf + got, len - 1 - got)) > 0)
        got += (size_t)n;
    buf[got] = 0;
    return got;
}

/* Reads until want has arrived (the child is still running). */
static void read_until(int fd, const char *want)
{
    char buf[64];
    size_t got = 0;
    ssize_t n;

    while (got < strlen(want) && (n = read(fd, buf + got, strlen(want) - got)) > 0)
        got += (size_t)n;
    buf[got] = 0;
    assert_string_equal(buf, want);
}

static void test_stdio_and_no_other_fds(void **state)
{
    struct pb_child_opts o = PB_CHILD_OPTS_INIT;
    struct pb_child c;
    int in[2], out[2], err[2], stray[2];
    char buf[256];

    /* a descriptor of ours without O_CLOEXEC must not reach the child */
    assert_int_equal(pipe(stray), 0);
    assert_int_equal(pipe2(in, O_CLOEXEC), 0);
    assert_int_equal(pipe2(out, O_CLOEXEC), 0);
    assert_int_equal(pipe2(err, O_CLOEXEC), 0);
    o.stdio[0] = in[0];
    o.stdio[1] = out[1];
    o.stdio[2] = err[1];
    assert_int_equal(spawn(&c, &o, "fds", NULL), 0);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    assert_int_equal(write(in[1], "hello", 5), 5);
    close(in[1]);
    read_all(out[0], buf, sizeof(buf));
    assert_string_equal(buf, "in:hello extra:0");
    read_all(err[0], buf, sizeof(buf));
    assert_string_equal(buf, "err");
    assert_int_equal(pb_child_wait(&c, 5000), 0);
    assert_true(c.reaped && WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0);
    assert_int_equal(c.pidfd, -1);
    close(out[0]);
    close(err[0]);
    close(stray[0]);
    close(stray[1]);
}

/* The child's stdout and stderr are our 2 and 1: placing one must not clobber the other. */
static void test_stdio_swapped(void **state)
{
    int a[2], b[2], status;
    char buf[64];
    pid_t mid;

    assert_int_equal(pipe(a), 0);
    assert_int_equal(pipe(b), 0);
    mid = fork();
    assert_true(mid >= 0);
    if (mid == 0) {
        struct pb_child_opts o = PB_CHILD_OPTS_INIT;
        struct pb_child c;
        dup2(a[1], 1);
        dup2(b[1], 2);
        close(a[0]), close(a[1]), close(b[0]), close(b[1]);
        o.stdio[0] = PB_CHILD_DEVNULL;
        o.stdio[1] = 2;
        o.stdio[2] = 1;
        if (spawn(&c, &o, "fds", NULL) < 0 || pb_child_wait(&c, 5000) < 0)
            _exit(1);
        _exit(WIFEXITED(c.status) ? WEXITSTATUS(c.status) : 2);
    }
    close(a[1]);
    close(b[1]);
    read_all(b[0], buf, sizeof(buf));
    assert_string_equal(buf, "in: extra:0");
    read_all(a[0], buf, sizeof(buf));
    assert_string_equal(buf, "err");
    assert_int_equal(waitpid(mid, &status, 0), mid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(a[0]);
    close(b[0]);
}

static void test_exec_failure(void **state)
{
    struct pb_child_opts o = PB_CHILD_OPTS_INIT;
    char *argv[] = {"x", NULL};
    struct pb_err err = {{0}};
    struct pb_child c;

    o.exe = "/nonexistent/parbench";
    o.argv = argv;
    assert_int_equal(pb_child_spawn(&c, &o, &err), -ENOENT);
    assert_int_equal(c.pid, -1);
    assert_non_null(strstr(err.msg, "/nonexistent/parbench: cannot run it"));
    assert_non_null(strstr(err.msg, strerror(ENOENT)));
    /* and reaped: nothing of ours is left */
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);

    o.exe = "/dev/null";
    assert_int_equal(pb_child_spawn(&c, &o, &err), -EACCES);
    o.argv = NULL;
    assert_int_equal(pb_child_spawn(&c, &o, &err), -EINVAL);
}

static void test_pin_pgroup_signals(void **state)
{
    struct pb_child_opts o = PB_CHILD_OPTS_INIT;
    struct sigaction ign = {.sa_handler = SIG_IGN}, old;
    sigset_t usr2, oldmask;
    struct pb_child c;
    struct pb_err err = {{0}};
    char buf[256], want[256];
    cpu_set_t set;
    int out[2], cpu = 0, bad = CPU_SETSIZE - 1;

    assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
    while (!CPU_ISSET(cpu, &set))
        cpu++;
    /* what we ignore or block, the child must not */
    sigaction(SIGPIPE, &ign, &old);
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &usr2, &oldmask);

    assert_int_equal(pipe2(out, O_CLOEXEC), 0);
    o.stdio[1] = out[1];
    o.new_pgroup = 1;
    o.pin_cpu = cpu;
    assert_int_equal(spawn(&c, &o, "report", NULL), 0);
    /* set by us too, so it holds at once */
    assert_int_equal(getpgid(c.pid), c.pid);
    close(out[1]);
    read_all(out[0], buf, sizeof(buf));
    close(out[0]);
    snprintf(want, sizeof(want), "pgrp_own:1 pipe_dfl:1 usr2_blocked:0 stops_held:0 cpus:1 cpu:%d",
             cpu);
    assert_string_equal(buf, want);
    assert_int_equal(pb_child_wait(&c, 5000), 0);

    /* defaults: our group, not pinned */
    assert_int_equal(pipe2(out, O_CLOEXEC), 0);
    o = (struct pb_child_opts)PB_CHILD_OPTS_INIT;
    o.stdio[1] = out[1];
    assert_int_equal(spawn(&c, &o, "report", NULL), 0);
    close(out[1]);
    read_all(out[0], buf, sizeof(buf));
    close(out[0]);
    assert_non_null(strstr(buf, "pgrp_own:0"));
    snprintf(want, sizeof(want), "cpus:%d ", CPU_COUNT(&set));
    assert_non_null(strstr(buf, want));
    assert_int_equal(pb_child_wait(&c, 5000), 0);

    /* hold_stops: SIGINT and SIGTERM stay blocked through exec, for the child to unblock once
     * its handlers are in place (a stop of the group while it loads is not its death) */
    assert_int_equal(pipe2(out, O_CLOEXEC), 0);
    o = (struct pb_child_opts)PB_CHILD_OPTS_INIT;
    o.stdio[1] = out[1];
    o.hold_stops = 1;
    assert_int_equal(spawn(&c, &o, "report", NULL), 0);
    close(out[1]);
    read_all(out[0], buf, sizeof(buf));
    close(out[0]);
    assert_non_null(strstr(buf, "stops_held:1"));
    assert_int_equal(pb_child_wait(&c, 5000), 0);

    sigaction(SIGPIPE, &old, NULL);
    pthread_sigmask(SIG_SETMASK, &oldmask, NULL);

    /* a CPU we may not use: the child says why it gave up */
    while (bad > 0 && CPU_ISSET(bad, &set))
        bad--;
    o = (struct pb_child_opts)PB_CHILD_OPTS_INIT;
    o.pin_cpu = bad;
    char *argv[] = {"test_child", "child", "exit", NULL};
    o.argv = argv;
    assert_int_equal(pb_child_spawn(&c, &o, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "cannot pin"));
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
    alarms++;
}

static void test_wait_timeout_and_signals(void **state)
{
    struct pb_child_opts o = PB_CHILD_OPTS_INIT;
    struct sigaction sa = {.sa_handler = on_alarm}, old; /* no SA_RESTART: calls see EINTR */
    struct itimerval every = {{0, 10000}, {0, 10000}}, stop = {{0, 0}, {0, 0}};
    struct pb_child c;
    uint64_t t0, took;
    char how[128];

    assert_int_equal(spawn(&c, &o, "sleep", NULL), 0);
    t0 = pb_now_ns();
    assert_int_equal(pb_child_wait(&c, 0), -ETIMEDOUT);
    assert_true(pb_now_ns() - t0 < 50000000u);

    /* a signal every 10 ms does not cut a 300 ms wait short */
    sigaction(SIGALRM, &sa, &old);
    alarms = 0;
    setitimer(ITIMER_REAL, &every, NULL);
    t0 = pb_now_ns();
    assert_int_equal(pb_child_wait(&c, 300), -ETIMEDOUT);
    took = pb_now_ns() - t0;
    assert_true(took >= 300000000u && took < 2000000000u);
    assert_true(alarms >= 5);
    pb_child_describe(&c, how, sizeof(how));
    assert_string_equal(how, "is running");

    /* nor a wait for ever, nor a stop */
    assert_int_equal(pb_child_stop(&c, 5000), 0);
    assert_true(WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGTERM);
    pb_child_describe(&c, how, sizeof(how));
    assert_non_null(strstr(how, "was killed by signal 15"));
    assert_int_equal(spawn(&c, &o, "exit", "3"), 0);
    assert_int_equal(pb_child_wait(&c, -1), 0);
    assert_true(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 3);
    pb_child_describe(&c, how, sizeof(how));
    assert_string_equal(how, "exited with status 3");
    /* a reaped child waits at once, again and again */
    assert_int_equal(pb_child_wait(&c, -1), 0);
    assert_int_equal(pb_child_stop(&c, 100), 0);
    setitimer(ITIMER_REAL, &stop, NULL);
    sigaction(SIGALRM, &old, NULL);
}

/* Where the kernel has no pidfd_open, waits poll: the same answers. */
static void test_wait_without_pidfd(void **state)
{
    struct pb_child_opts o = PB_CHILD_OPTS_INIT;
    struct pb_child c;
    uint64_t t0, took;

    assert_int_equal(spawn(&c, &o, "sleep", NULL), 0);
    if (c.pidfd >= 0)
        close(c.pidfd);
    c.pidfd = -1;
    t0 = pb_now_ns();
    assert_int_equal(pb_child_wait(&c, 150), -ETIMEDOUT);
    took = pb_now_ns() - t0;
    assert_true(took >= 150000000u && took < 2000000000u);
    t0 = pb_now_ns();
    assert_int_equal(pb_child_stop(&c, 5000), 0);
    /* it ends at once, and the poll notices within its largest step */
    assert_true(pb_now_ns() - t0 < 1000000000u);
    assert_true(WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGTERM);
    assert_int_equal(spawn(&c, &o, "exit", "5"), 0);
    close(c.pidfd);
    c.pidfd = -1;
    assert_int_equal(pb_child_wait(&c, -1), 0);
    assert_true(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 5);
}

static void test_stop_kills_a_stubborn_child(void **state)
{
    struct pb_child_opts o = PB_CHILD_OPTS_INIT;
    struct pb_child c;
    int out[2];
    uint64_t t0, took;

    assert_int_equal(pipe2(out, O_CLOEXEC), 0);
    o.stdio[1] = out[1];
    assert_int_equal(spawn(&c, &o, "ignore-term", NULL), 0);
    close(out[1]);
    read_until(out[0], "ready");
    close(out[0]);
    t0 = pb_now_ns();
    assert_int_equal(pb_child_stop(&c, 200), -ETIMEDOUT);
    took = pb_now_ns() - t0;
    assert_true(took >= 200000000u && took < 2000000000u);
    assert_true(c.reaped && c.killed && WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGKILL);
    assert_true(test_gone(c.pid));
    assert_int_equal(pb_child_stop(&c, 200), -ETIMEDOUT);
    assert_int_equal(pb_child_kill(&c, SIGTERM), -ESRCH);
}

static void test_cpu(void **state)
{
    struct pb_child_opts o = PB_CHILD_OPTS_INIT;
    struct pb_child c;
    double user, sys, user2, sys2;
    int out[2];

    assert_int_equal(pipe2(out, O_CLOEXEC), 0);
    o.stdio[1] = out[1];
    assert_int_equal(spawn(&c, &o, "spin", NULL), 0);
    close(out[1]);
    read_until(out[0], "done");
    close(out[0]);
    assert_int_equal(pb_child_cpu(&c, &user, &sys), 0);
    /* 300 ms of spinning; the machine may be shared, so ask for a third */
    assert_true(user + sys >= 0.1 && user + sys < 10);
    assert_int_equal(pb_child_stop(&c, 2000), 0);
    assert_int_equal(pb_child_cpu(&c, &user2, &sys2), 0);
    assert_true(user2 + sys2 >= user + sys - 0.02);
}

/* The child must not outlive a parent killed without a chance to clean up. */
static void test_dies_with_parent(void **state)
{
    int fds[2], pid = 0, i;
    pid_t mid;

    assert_int_equal(pipe(fds), 0);
    mid = fork();
    assert_true(mid >= 0);
    if (mid == 0) {
        struct pb_child_opts o = PB_CHILD_OPTS_INIT;
        struct pb_child c;
        close(fds[0]);
        if (spawn(&c, &o, "sleep", NULL) == 0)
            pid = c.pid;
        if (write(fds[1], &pid, sizeof(pid)) != sizeof(pid))
            _exit(1);
        pause();
        _exit(0);
    }
    close(fds[1]);
    assert_int_equal(read(fds[0], &pid, sizeof(pid)), (ssize_t)sizeof(pid));
    close(fds[0]);
    assert_true(pid > 0);
    assert_false(test_gone(pid));
    kill(mid, SIGKILL);
    waitpid(mid, NULL, 0);
    for (i = 0; i < 200 && !test_gone(pid); i++)
        usleep(10000);
    assert_true(test_gone(pid));
}

static atomic_int busy_stop;

/* Holds malloc's and stdio's locks as often as it can: a child that took one between fork and
 * exec would hang. */
static void *busy(void *arg)
{
    char line[64];
    FILE *f = fopen("/dev/null", "w");

    while (!atomic_load(&busy_stop)) {
        void *p = malloc(1 + (size_t)rand() % 4096);
        snprintf(line, sizeof(line), "%p", p);
        fputs(line, f);
        free(p);
    }
    fclose(f);
    return NULL;
}

static void test_spawn_beside_a_busy_thread(void **state)
{
    struct pb_child_opts o = PB_CHILD_OPTS_INIT;
    struct pb_child c;
    pthread_t th;

    atomic_store(&busy_stop, 0);
    assert_int_equal(pthread_create(&th, NULL, busy, NULL), 0);
    for (int i = 0; i < 30; i++) {
        assert_int_equal(spawn(&c, &o, "exit", "7"), 0);
        assert_int_equal(pb_child_wait(&c, 10000), 0);
        assert_true(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 7);
    }
    atomic_store(&busy_stop, 1);
    pthread_join(th, NULL);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stdio_and_no_other_fds),
        cmocka_unit_test(test_stdio_swapped),
        cmocka_unit_test(test_exec_failure),
        cmocka_unit_test(test_pin_pgroup_signals),
        cmocka_unit_test(test_wait_timeout_and_signals),
        cmocka_unit_test(test_wait_without_pidfd),
        cmocka_unit_test(test_stop_kills_a_stubborn_child),
        cmocka_unit_test(test_cpu),
        cmocka_unit_test(test_dies_with_parent),
        cmocka_unit_test(test_spawn_beside_a_busy_thread),
    };

    if (argc > 1 && strcmp(argv[1], "child") == 0)
        return child_main(argc, argv);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
