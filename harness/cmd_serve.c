/* `parbench serve`: options, the pin, the loop and its signals around fixtures/http_server. */
#include "harness/cmd_serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <uv.h>

#include "fixtures/http_server.h"
#include "harness/cli.h"
#include "harness/error.h"
#include "harness/params.h"

#define DEFAULT_PORT 8080
/* A timeout longer than a day is a typo. */
#define TIMEOUT_MAX_MS (UINT64_C(86400) * 1000)

static const char usage_line[] = "usage: parbench serve [--host 127.0.0.1] [--port 8080] "
                                 "[--pin CPU] [--header-timeout 10s] [--idle-timeout 60s]";

struct serve_opts {
    struct pb_http_server_opts srv;
    int pin;
};

struct serve {
    struct pb_http_server *srv;
    uv_signal_t sigterm, sigint;
};

static int parse_int(const char *text, long lo, long hi, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_timeout(const char *text, uint64_t *ms)
{
    uint64_t ns;

    if (pb_parse_duration_ns(text, &ns) < 0 || ns > TIMEOUT_MAX_MS * 1000000)
        return -1;
    /* rounded up, so that a short timeout does not become none */
    *ms = (ns + 999999) / 1000000;
    return 0;
}

static int host_ok(const char *host)
{
    unsigned char buf[sizeof(struct in6_addr)];

    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/* Whether the kernel knows CPU n; 1 when it cannot tell (no sysfs). */
static int cpu_exists(int n)
{
    char path[64];

    if (access("/sys/devices/system/cpu", F_OK) != 0)
        return 1;
    snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d", n);
    return access(path, F_OK) == 0;
}

/* 0 with o filled, 1 for --help, or PB_EXIT_USAGE once the problem is printed. */
static int parse_args(int argc, char **argv, struct serve_opts *o)
{
    static const char *const names[] = {"--host", "--port", "--pin", "--header-timeout",
                                        "--idle-timeout"};

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        size_t k;
        long n;
        int m = 0;

        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
            return 1;
        for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
            if ((m = pb_cli_option_value(argc, argv, &i, names[k], &v)) != 0)
                break;
        if (m < 0)
            return pb_cli_bad_usage("serve", usage_line, "option '%s' needs a value", a);
        if (m == 0)
            return pb_cli_bad_usage("serve", usage_line, "%s '%s'",
                                    a[0] == '-' ? "unknown option" : "unexpected argument", a);
        switch (k) {
        case 0:
            if (!host_ok(v))
                return pb_cli_bad_usage("serve", usage_line, "--host %s: expected an IP address",
                                        v);
            o->srv.host = v;
            break;
        case 1:
            if (parse_int(v, 0, 65535, &n))
                return pb_cli_bad_usage("serve", usage_line, "--port %s: expected 0 to 65535", v);
            o->srv.port = (int)n;
            break;
        case 2:
            if (parse_int(v, 0, CPU_SETSIZE - 1, &n))
                return pb_cli_bad_usage("serve", usage_line, "--pin %s: expected a CPU number", v);
            /* a CPU the machine does not have is a wrong number; one it refuses us (a
             * cgroup's cpuset, offline) is the environment's answer, found when pinning */
            if (!cpu_exists((int)n))
                return pb_cli_bad_usage("serve", usage_line, "--pin %s: no such CPU", v);
            o->pin = (int)n;
            break;
        default:
            if (parse_timeout(v, k == 3 ? &o->srv.header_timeout_ms : &o->srv.idle_timeout_ms))
                return pb_cli_bad_usage("serve", usage_line,
                                        "%s %s: expected a duration up to 24h (0: no limit)",
                                        names[k], v);
            break;
        }
    }
    return 0;
}

static void on_signal(uv_signal_t *h, int signum)
{
    struct serve *sv = h->data;

    uv_close((uv_handle_t *)&sv->sigterm, NULL);
    uv_close((uv_handle_t *)&sv->sigint, NULL);
    pb_http_server_close(sv->srv);
}

int pb_cmd_serve(int argc, char **argv)
{
    struct serve_opts o = {
        .srv = {.host = "127.0.0.1",
                .port = DEFAULT_PORT,
                .header_timeout_ms = PB_HTTP_HEADER_TIMEOUT_MS,
                .idle_timeout_ms = PB_HTTP_IDLE_TIMEOUT_MS},
        .pin = -1,
    };
    struct serve sv = {0};
    struct pb_err err = {{0}};
    struct rlimit rl;
    struct sigaction sa;
    uv_loop_t loop;
    int rc, code = PB_EXIT_OK;

    rc = parse_args(argc, argv, &o);
    if (rc == 1) {
        printf("%s\n"
               "  an HTTP/1.1 target; the query selects the answer:\n"
               "  delay_ms=D size=B status=S close=1; GET /__stats, GET /__reset\n"
               "  a head must arrive within --header-timeout, a keep-alive connection idle for\n"
               "  --idle-timeout is closed (0: no limit)\n",
               usage_line);
        return PB_EXIT_OK;
    }
    if (rc)
        return rc;
    if (o.pin >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(o.pin, &set);
        if (sched_setaffinity(0, sizeof(set), &set)) {
            fprintf(stderr, "parbench serve: cannot pin to CPU %d: %s\n", o.pin, strerror(errno));
            return PB_EXIT_ENV;
        }
    }
    /* thousands of connections need thousands of descriptors */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    /* a peer that closes early must cost a failed write, not the process */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);

    rc = uv_loop_init(&loop);
    if (rc) {
        fprintf(stderr, "parbench serve: cannot start the loop: %s\n", uv_strerror(rc));
        return PB_EXIT_ENV;
    }
    rc = pb_http_server_start(&loop, &o.srv, &sv.srv, &err);
    if (rc < 0) {
        fprintf(stderr, "parbench serve: %s\n", err.msg);
        code = rc == -EINVAL ? PB_EXIT_USAGE : PB_EXIT_ENV;
        goto out;
    }
    uv_signal_init(&loop, &sv.sigterm);
    uv_signal_init(&loop, &sv.sigint);
    sv.sigterm.data = &sv;
    sv.sigint.data = &sv;
    rc = uv_signal_start(&sv.sigterm, on_signal, SIGTERM);
    if (!rc)
        rc = uv_signal_start(&sv.sigint, on_signal, SIGINT);
    if (rc) {
        fprintf(stderr, "parbench serve: cannot handle signals: %s\n", uv_strerror(rc));
        on_signal(&sv.sigterm, 0);
        code = PB_EXIT_ENV;
        goto out;
    }
    printf("port %d\n", pb_http_server_port(sv.srv));
    fflush(stdout);
out:
    /* until a signal closes the server; then the close callbacks free it */
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return code;
}
