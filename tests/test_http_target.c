/* Unit tests of the embedded HTTP target as a fixture: start, URL, CPU use while it runs, stop
 * with CPU use, start failures, and that the target dies with its parent. The test binary is its
 * own target: run as `test_http_target serve ...` it serves, so /proc/self/exe works as in
 * parbench. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit.h"

#include "fixtures/http_target.h"
#include "harness/cmd_serve.h"

/* One GET over a fresh connection; the whole reply (the server closes) into buf. */
static size_t fetch(int port, const char *path, char *buf, size_t len)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    char req[256];
    size_t got = 0;
    ssize_t n;
    int fd;

    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", path);
    assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
    while (got < len - 1 && (n = read(fd, buf + got, len - 1 - got)) > 0)
        got += (size_t)n;
    buf[got] = '\0';
    close(fd);
    return got;
}

static void test_spawn_fetch_stop(void **state)
{
    struct pb_http_target *t = NULL;
    struct pb_err err = {{0}};
    char buf[4096], want[64];
    double user = -1, sys = -1;

    assert_int_equal(pb_http_target_start(-1, &t, &err), 0);
    assert_non_null(t);
    snprintf(want, sizeof(want), "http://127.0.0.1:%d/", pb_http_target_port(t));
    assert_true(pb_http_target_port(t) > 0);
    assert_string_equal(pb_http_target_url(t), want);
    fetch(pb_http_target_port(t), "/?size=30", buf, sizeof(buf));
    assert_non_null(strstr(buf, "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(buf, "Content-Length: 30\r\n"));
    assert_non_null(strstr(buf, "\r\n\r\nabcdefghijklmnopqrstuvwxyzabcd"));
    fetch(pb_http_target_port(t), "/__stats", buf, sizeof(buf));
    /* the probe connection of spawn, the GET, this one */
    assert_non_null(strstr(buf, "\"connections_accepted\":3"));

    assert_int_equal(pb_http_target_stop(t, &user, &sys), 0);
    assert_true(user >= 0 && sys >= 0 && user + sys < 10);
    assert_true(test_gone(pb_http_target_pid(t)));
    /* a second stop repeats the figures */
    assert_int_equal(pb_http_target_stop(t, &user, NULL), 0);
    pb_http_target_destroy(t);
    pb_http_target_destroy(NULL);
}

static void test_spawn_pinned(void **state)
{
    struct pb_http_target *t = NULL;
    struct pb_err err = {{0}};
    char path[64], line[256], want[32];
    int found = 0, cpu = 0;
    cpu_set_t set;
    FILE *f;

    /* the first CPU this test may use, so that it also passes under taskset */
    assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
    while (!CPU_ISSET(cpu, &set))
        cpu++;
    snprintf(want, sizeof(want), "%d\n", cpu);
    assert_int_equal(pb_http_target_start(cpu, &t, &err), 0);
    snprintf(path, sizeof(path), "/proc/%d/status", pb_http_target_pid(t));
    f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "Cpus_allowed_list:", 18) == 0)
            found = strcmp(line + 18 + strspn(line + 18, " \t"), want) == 0;
    fclose(f);
    assert_true(found);
    pb_http_target_destroy(t);
}

static void test_destroy_stops(void **state)
{
    struct pb_http_target *t = NULL;
    struct pb_err err = {{0}};
    int pid;

    assert_int_equal(pb_http_target_start(-1, &t, &err), 0);
    pid = pb_http_target_pid(t);
    pb_http_target_destroy(t);
    assert_true(test_gone(pid));
}

static void test_crashed_target(void **state)
{
    struct pb_http_target *t = NULL;
    struct pb_err err = {{0}};
    double user = -1;

    assert_int_equal(pb_http_target_start(-1, &t, &err), 0);
    kill(pb_http_target_pid(t), SIGKILL);
    usleep(50000);
    assert_int_equal(pb_http_target_stop(t, &user, NULL), -ECHILD);
    assert_true(user >= 0);
    pb_http_target_destroy(t);
}

/* Starts the target with the test binary's serve misbehaving as mode says. */
static int start_as(const char *mode, struct pb_http_target **t, struct pb_err *err)
{
    int rc;

    setenv("PB_TEST_SERVE", mode, 1);
    rc = pb_http_target_start(-1, t, err);
    unsetenv("PB_TEST_SERVE");
    return rc;
}

static void test_spawn_failures(void **state)
{
    struct pb_http_target *t = NULL;
    struct pb_err err = {{0}};
    uint64_t t0;
    struct timespec ts;
    int rc;

    /* exits without a port line: its status is named */
    rc = start_as("exit", &t, &err);
    assert_int_equal(rc, -ECHILD);
    assert_null(t);
    assert_non_null(strstr(err.msg, "embedded HTTP target did not start: it gave no port "
                                    "(exited with status 3)"));

    rc = start_as("garbage", &t, &err);
    assert_int_equal(rc, -ECHILD);
    assert_null(t);
    assert_non_null(strstr(err.msg, "did not start: it printed no valid port line"));

    /* a port where nothing listens */
    rc = start_as("refuse", &t, &err);
    assert_int_equal(rc, -ECONNREFUSED);
    assert_null(t);
    assert_non_null(strstr(err.msg, "did not start: connect to port 1: "));

    /* never prints a port: bounded wait, then killed */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    t0 = (uint64_t)ts.tv_sec;
    rc = start_as("sleep", &t, &err);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    assert_int_equal(rc, -ETIMEDOUT);
    assert_null(t);
    assert_non_null(strstr(err.msg, "embedded HTTP target did not start: no port within 5 s "
                                    "(it was killed by signal 9"));
    assert_true((uint64_t)ts.tv_sec - t0 <= 7);
    /* nothing is left of any of them */
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
}

static void test_cpu_while_running(void **state)
{
    struct pb_http_target *t = NULL;
    struct pb_err err = {{0}};
    double u0 = -1, s0 = -1, u1 = -1, s1 = -1, u2 = -1, s2 = -1;
    char buf[4096];

    assert_int_equal(pb_http_target_start(-1, &t, &err), 0);
    assert_int_equal(pb_http_target_cpu(t, &u0, &s0), 0);
    assert_true(u0 >= 0 && s0 >= 0);
    /* some work for it: 200 connections, each a fresh accept and answer */
    for (int i = 0; i < 200; i++)
        fetch(pb_http_target_port(t), "/?size=2000", buf, sizeof(buf));
    assert_int_equal(pb_http_target_cpu(t, &u1, &s1), 0);
    assert_true(u1 + s1 >= u0 + s0);
    assert_int_equal(pb_http_target_stop(t, NULL, NULL), 0);
    /* once stopped, the final figures */
    assert_int_equal(pb_http_target_cpu(t, &u2, &s2), 0);
    assert_true(u2 + s2 >= u1 + s1 - 0.02 && u2 + s2 > 0);
    pb_http_target_destroy(t);
}

/* The target must not outlive a driver killed without a chance to clean up. */
static void test_dies_with_parent(void **state)
{
    int fds[2], pid = 0, i;
    pid_t mid;

    assert_int_equal(pipe(fds), 0);
    mid = fork();
    assert_true(mid >= 0);
    if (mid == 0) {
        struct pb_http_target *t = NULL;
        struct pb_err err = {{0}};

        close(fds[0]);
        if (pb_http_target_start(-1, &t, &err) == 0)
            pid = pb_http_target_pid(t);
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

/* `serve`, or as PB_TEST_SERVE says, a serve that fails to start in one way. */
static int serve(int argc, char **argv)
{
    const char *mode = getenv("PB_TEST_SERVE");

    if (!mode)
        return pb_cmd_serve(argc, argv);
    if (strcmp(mode, "garbage") == 0)
        printf("hello\n");
    else if (strcmp(mode, "refuse") == 0)
        printf("port 1\n");
    else if (strcmp(mode, "sleep") == 0)
        sleep(30);
    fflush(stdout);
    if (strcmp(mode, "refuse") == 0)
        sleep(30);
    return 3;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spawn_fetch_stop), cmocka_unit_test(test_spawn_pinned),
        cmocka_unit_test(test_destroy_stops),    cmocka_unit_test(test_crashed_target),
        cmocka_unit_test(test_spawn_failures),   cmocka_unit_test(test_cpu_while_running),
        cmocka_unit_test(test_dies_with_parent),
    };

    if (argc > 1 && strcmp(argv[1], "serve") == 0)
        return serve(argc - 1, argv + 1);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
