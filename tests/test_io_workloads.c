/* Unit tests of io.sleep, io.file and io.http, driven through their ops tables in both forms:
 * run() in a loop, and start/cancel on a libuv loop of the test's own. */
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <uv.h>

#include "fixtures/http_target.h"
#include "harness/clock.h"
#include "harness/cmd_serve.h"
#include "harness/registry.h"
#include "runners/loop_timers.h"

#define IO_SLEEP pb_workload_find("io.sleep")
#define IO_FILE  pb_workload_find("io.file")
#define IO_HTTP  pb_workload_find("io.http")

static struct pb_params params;
static struct pb_err err;

/* What a run of tasks came to. */
struct result {
    uint64_t status[PB_STATUS_COUNT];
    uint64_t bytes;
    uint64_t done;
    double wall_s;
};

/* Parameters from "key", "value", ..., NULL. */
static void set_params(const struct pb_workload_ops *w, ...)
{
    va_list ap;
    assert_int_equal(pb_params_init(&params, w->params, w->nparams, &err), 0);
    va_start(ap, w);
    const char *k;
    while ((k = va_arg(ap, const char *))) {
        const char *v = va_arg(ap, const char *);
        if (pb_params_set(&params, k, v, &err) != 0)
            fail_msg("%s=%s: %s", k, v, err.msg);
    }
    va_end(ap);
}

/* io.http's fixture: a server at url that answers as the embedded target does (the test's own
 * stand-in, or the target itself); replaced at each make_env. */
static struct pb_http_target *stand_in;

static struct pb_workload_env make_env(unsigned concurrency, uint64_t tasks, uint64_t timeout_ns,
                                       const char *url)
{
    pb_http_target_destroy(stand_in);
    stand_in = NULL;
    if (url && pb_http_target_attach(url, &stand_in, &err) != 0)
        fail_msg("%s", err.msg);
    struct pb_workload_env env = {
        .params = &params,
        .concurrency = concurrency,
        .workers = 1,
        .load = {.tasks = tasks},
        .timeout_ns = timeout_ns,
        .spare_pu = -1,
        .fixture = stand_in,
    };
    return env;
}

static void run_blocking(const struct pb_workload_ops *w, const struct pb_workload_env *env,
                         uint64_t n, struct result *r)
{
    void *shared = NULL, *ws = NULL;
    struct pb_worker_env wenv = {.index = 0, .loop = NULL};
    memset(r, 0, sizeof(*r));
    if (pb_workload_prepare(w, env, &shared, &err) != 0)
        fail_msg("prepare: %s", err.msg);
    if (pb_workload_worker_init(w, shared, env, &wenv, &ws, &err) != 0)
        fail_msg("worker_init: %s", err.msg);
    uint64_t t0 = pb_now_ns();
    for (uint64_t i = 0; i < n; i++) {
        enum pb_status st = w->run(ws, i, &r->bytes);
        r->status[st]++;
        r->done++;
    }
    r->wall_s = (double)(pb_now_ns() - t0) / 1e9;
    pb_workload_worker_fini(w, ws);
    pb_workload_release(w, shared);
}

/* A small runner: n tasks, at most window in flight, optionally cancelling every task still
 * running cancel_ms after the start. */
struct async_run {
    const struct pb_workload_ops *w;
    void *ws;
    struct result *r;
    unsigned char *tasks;
    size_t stride;
    char *finished;
    uint64_t n, started;
    uv_timer_t cancel_timer;
};

static struct pb_async_task *task_at(struct async_run *a, uint64_t i)
{
    return (struct pb_async_task *)(void *)(a->tasks + i * a->stride);
}

static void start_next(struct async_run *a);

static void on_done(struct pb_async_task *t, enum pb_status st, uint64_t bytes)
{
    struct async_run *a = t->runner_data;
    assert_false(a->finished[t->index]); /* done exactly once */
    a->finished[t->index] = 1;
    a->r->status[st]++;
    a->r->bytes += bytes;
    a->r->done++;
    start_next(a);
}

static void start_next(struct async_run *a)
{
    if (a->started >= a->n)
        return;
    struct pb_async_task *t = task_at(a, a->started);
    t->index = a->started++;
    t->created_ns = t->started_ns = pb_now_ns();
    t->runner_data = a;
    t->done = on_done;
    int rc = a->w->start(a->ws, t);
    if (rc < 0)
        fail_msg("start: %s", uv_strerror(rc));
}

static void on_cancel_timer(uv_timer_t *h)
{
    struct async_run *a = h->data;
    for (uint64_t i = 0; i < a->started; i++)
        if (!a->finished[i])
            a->w->cancel(a->ws, task_at(a, i));
    uv_close((uv_handle_t *)h, NULL);
}

static void run_async(const struct pb_workload_ops *w, const struct pb_workload_env *env,
                      uint64_t n, uint64_t window, uint64_t cancel_ms, struct result *r)
{
    uv_loop_t loop;
    struct pb_ltimers timers;
    void *shared = NULL;
    struct pb_worker_env wenv = {.index = 0, .loop = &loop, .timers = &timers};
    struct async_run a = {.w = w, .r = r, .n = n};
    memset(r, 0, sizeof(*r));
    assert_non_null(w->start);
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(pb_ltimers_init(&loop, &timers), 0);
    if (pb_workload_prepare(w, env, &shared, &err) != 0)
        fail_msg("prepare: %s", err.msg);
    if (pb_workload_worker_init(w, shared, env, &wenv, &a.ws, &err) != 0)
        fail_msg("worker_init: %s", err.msg);
    a.stride = (sizeof(struct pb_async_task) + w->task_size + 15) & ~(size_t)15;
    a.tasks = calloc(n, a.stride);
    a.finished = calloc(n, 1);
    assert_non_null(a.tasks);
    assert_non_null(a.finished);
    uint64_t t0 = pb_now_ns();
    while (a.started < window && a.started < n)
        start_next(&a);
    if (cancel_ms) {
        uv_timer_init(&loop, &a.cancel_timer);
        a.cancel_timer.data = &a;
        uv_timer_start(&a.cancel_timer, on_cancel_timer, cancel_ms, 0);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    r->wall_s = (double)(pb_now_ns() - t0) / 1e9;
    assert_int_equal(r->done, n);
    pb_workload_worker_fini(w, a.ws);
    pb_workload_release(w, shared);
    pb_ltimers_close(&timers);
    uv_run(&loop, UV_RUN_DEFAULT);
    /* Every handle the workload made is closed: the loop closes without EBUSY. */
    assert_int_equal(uv_loop_close(&loop), 0);
    free(a.tasks);
    free(a.finished);
}

/* ---- io.sleep ---- */

static void test_sleep_blocking(void **state)
{
    struct result r;
    set_params(IO_SLEEP, "ms", "2.5", NULL);
    struct pb_workload_env env = make_env(1, 4, 0, NULL);
    run_blocking(IO_SLEEP, &env, 4, &r);
    assert_int_equal(r.status[PB_OK], 4);
    assert_true(r.wall_s >= 4 * 2.5e-3);
}

static void test_sleep_async(void **state)
{
    struct result r;
    set_params(IO_SLEEP, "ms", "30", NULL);
    struct pb_workload_env env = make_env(200, 200, 0, NULL);
    run_async(IO_SLEEP, &env, 200, 200, 0, &r);
    assert_int_equal(r.status[PB_OK], 200);
    /* Overlapped: about one wait, not 200. */
    assert_true(r.wall_s >= 30e-3);
    assert_true(r.wall_s < 1.0);
}

static void test_sleep_async_fraction(void **state)
{
    /* A fraction of a ms: waited at least that long, and not rounded up to whole ms (40 waits
     * of 1.3 ms, 4 at a time, take 13 ms; rounded up to 2 ms they would take 20). */
    struct result r;
    set_params(IO_SLEEP, "ms", "1.3", NULL);
    struct pb_workload_env env = make_env(4, 40, 0, NULL);
    run_async(IO_SLEEP, &env, 40, 4, 0, &r);
    assert_int_equal(r.status[PB_OK], 40);
    assert_true(r.wall_s >= 10 * 1.3e-3);
}

static void test_sleep_cancel(void **state)
{
    struct result r;
    set_params(IO_SLEEP, "ms", "60000", NULL);
    struct pb_workload_env env = make_env(5, 5, 0, NULL);
    run_async(IO_SLEEP, &env, 5, 5, 20, &r);
    assert_int_equal(r.status[PB_FAIL_TIMEOUT], 5);
    assert_true(r.wall_s < 5.0);
}

static void test_sleep_report(void **state)
{
    set_params(IO_SLEEP, "ms", "7", NULL);
    struct pb_workload_env env = make_env(1, 1, 0, NULL);
    json_t *o = pb_workload_report(IO_SLEEP, NULL, &env);
    assert_non_null(o);
    assert_true(json_real_value(json_object_get(o, "requested_ms")) == 7.0);
    assert_int_equal(json_integer_value(json_object_get(o, "timer_resolution_ns_eventloop")), 1);
    assert_string_equal(json_string_value(json_object_get(o, "blocking_clock")),
                        "clock_nanosleep CLOCK_MONOTONIC");
    json_decref(o);
}

/* ---- io.file ---- */

static char tmpdir[64];

static int make_tmpdir(void **state)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/pbtest-io-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
    return rmdir(tmpdir);
}

/* Files left in tmpdir. */
static int files_left(void)
{
    int n = 0;
    DIR *d = opendir(tmpdir);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static void test_file_blocking(void **state)
{
    struct result r;
    set_params(IO_FILE, "size", "100000", "fsync", "1", "dir", tmpdir, NULL);
    struct pb_workload_env env = make_env(1, 10, 0, NULL);
    run_blocking(IO_FILE, &env, 10, &r);
    assert_int_equal(r.status[PB_OK], 10);
    assert_int_equal(r.bytes, 10 * 2 * 100000);
    assert_int_equal(files_left(), 0);
}

static void test_file_async(void **state)
{
    struct result r;
    set_params(IO_FILE, "size", "64Ki", "dir", tmpdir, NULL);
    struct pb_workload_env env = make_env(16, 100, 0, NULL);
    run_async(IO_FILE, &env, 100, 16, 0, &r);
    assert_int_equal(r.status[PB_OK], 100);
    assert_int_equal(r.bytes, 100 * 2 * 65536);
    assert_int_equal(files_left(), 0);
}

static void test_file_async_fsync(void **state)
{
    struct result r;
    set_params(IO_FILE, "size", "4097", "fsync", "yes", "dir", tmpdir, NULL);
    struct pb_workload_env env = make_env(8, 40, 0, NULL);
    run_async(IO_FILE, &env, 40, 8, 0, &r);
    assert_int_equal(r.status[PB_OK], 40);
    assert_int_equal(r.bytes, 40 * 2 * 4097);
}

static void test_file_cancel(void **state)
{
    /* Cancelled at once: queued requests are taken back, running ones end as timeouts. */
    struct result r;
    set_params(IO_FILE, "size", "1Mi", "fsync", "1", "dir", tmpdir, NULL);
    struct pb_workload_env env = make_env(64, 64, 0, NULL);
    run_async(IO_FILE, &env, 64, 64, 1, &r);
    assert_int_equal(r.status[PB_FAIL_TIMEOUT] + r.status[PB_OK], 64);
    assert_true(r.status[PB_FAIL_TIMEOUT] > 0);
    assert_int_equal(files_left(), 0);
}

static void test_file_bad_dir(void **state)
{
    set_params(IO_FILE, "dir", "/nonexistent/parbench", NULL);
    struct pb_workload_env env = make_env(1, 1, 0, NULL);
    assert_int_equal(pb_workload_preflight(IO_FILE, &env, &err), -EINVAL);
    assert_string_equal(err.msg, "io.file: directory '/nonexistent/parbench' is not writable: "
                                 "No such file or directory");
    set_params(IO_FILE, "dir", "/etc/hostname", NULL);
    assert_int_equal(pb_workload_preflight(IO_FILE, &env, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "is not writable: Not a directory"));
}

static void test_file_report(void **state)
{
    setenv("UV_THREADPOOL_SIZE", "7", 1);
    set_params(IO_FILE, "size", "1000", NULL);
    struct pb_workload_env env = make_env(1, 1, 0, NULL);
    json_t *o = pb_workload_report(IO_FILE, NULL, &env);
    assert_non_null(o);
    assert_int_equal(json_integer_value(json_object_get(o, "uv_threadpool_size")), 7);
    assert_int_equal(json_integer_value(json_object_get(o, "bytes_per_task")), 2000);
    json_decref(o);
    unsetenv("UV_THREADPOOL_SIZE");
}

/* ---- io.http: a small HTTP/1.1 server on threads, with the failures the target lacks ---- */

#define SRV_MAX_CONN 512

/* Paths: /500 answers status 500, /short closes half way through the body, /garbage answers
 * the right length of the wrong bytes; anything else the pattern. Query: delay_ms, size. */
struct srv {
    int lfd;
    int port;
    pthread_t acceptor;
    pthread_mutex_t mu;
    int fds[SRV_MAX_CONN];
    pthread_t thr[SRV_MAX_CONN];
    int n;
    atomic_int stopping;
};

static struct srv srv;

static long query_num(const char *line, const char *key, long def)
{
    const char *p = strstr(line, key);
    return p ? strtol(p + strlen(key), NULL, 10) : def;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int srv_answer(int fd, const char *line)
{
    char head[256];
    long size = query_num(line, "size=", 0);
    long delay = query_num(line, "delay_ms=", 0);
    if (delay > 0) {
        /* Woken early only when the client goes away (a cancelled transfer). */
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)delay) != 0)
            return -1;
    }
    if (strncmp(line, "GET /500", 8) == 0) {
        const char *a = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n\r\nerror";
        return send_all(fd, a, strlen(a));
    }
    char *body = malloc((size_t)size + 1);
    if (!body)
        return -1;
    int garbage = strncmp(line, "GET /garbage", 12) == 0;
    for (long i = 0; i < size; i++)
        body[i] = garbage ? 'x' : (char)('a' + i % 26);
    int n = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %ld\r\n\r\n", size);
    int rc = send_all(fd, head, (size_t)n);
    if (rc == 0 && strncmp(line, "GET /short", 10) == 0) {
        send_all(fd, body, (size_t)size / 2);
        rc = -1;
    } else if (rc == 0) {
        rc = send_all(fd, body, (size_t)size);
    }
    free(body);
    return rc;
}

static void *srv_conn(void *arg)
{
    int slot = (int)(intptr_t)arg;
    int fd = srv.fds[slot];
    char buf[8192];
    size_t len = 0;
    for (;;) {
        char *end;
        buf[len] = '\0';
        while (!(end = strstr(buf, "\r\n\r\n"))) {
            ssize_t k = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
            if (k <= 0)
                goto out;
            len += (size_t)k;
            buf[len] = '\0';
        }
        size_t used = (size_t)(end + 4 - buf);
        char *eol = strstr(buf, "\r\n");
        *eol = '\0';
        if (srv_answer(fd, buf) < 0)
            goto out;
        memmove(buf, buf + used, len - used);
        len -= used;
    }
out:
    pthread_mutex_lock(&srv.mu);
    srv.fds[slot] = -1;
    close(fd);
    pthread_mutex_unlock(&srv.mu);
    return NULL;
}

static void *srv_accept(void *arg)
{
    for (;;) {
        int fd = accept(srv.lfd, NULL, NULL);
        if (fd < 0) {
            if (atomic_load(&srv.stopping))
                return NULL;
            continue;
        }
        pthread_mutex_lock(&srv.mu);
        if (srv.n < SRV_MAX_CONN) {
            srv.fds[srv.n] = fd;
            pthread_create(&srv.thr[srv.n], NULL, srv_conn, (void *)(intptr_t)srv.n);
            srv.n++;
        } else {
            close(fd);
        }
        pthread_mutex_unlock(&srv.mu);
    }
}

static int listen_any(int *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 1024) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) < 0)
        return -1;
    *port = ntohs(a.sin_port);
    return fd;
}

static void srv_start(void)
{
    memset(&srv, 0, sizeof(srv));
    pthread_mutex_init(&srv.mu, NULL);
    srv.lfd = listen_any(&srv.port);
    assert_true(srv.lfd >= 0);
    assert_int_equal(pthread_create(&srv.acceptor, NULL, srv_accept, NULL), 0);
}

/* Connections the server accepted so far. */
static int srv_accepted(void)
{
    pthread_mutex_lock(&srv.mu);
    int n = srv.n;
    pthread_mutex_unlock(&srv.mu);
    return n;
}

static void srv_stop(void)
{
    atomic_store(&srv.stopping, 1);
    shutdown(srv.lfd, SHUT_RDWR);
    pthread_join(srv.acceptor, NULL);
    close(srv.lfd);
    pthread_mutex_lock(&srv.mu);
    for (int i = 0; i < srv.n; i++)
        if (srv.fds[i] >= 0)
            shutdown(srv.fds[i], SHUT_RDWR);
    pthread_mutex_unlock(&srv.mu);
    for (int i = 0; i < srv.n; i++)
        pthread_join(srv.thr[i], NULL);
    pthread_mutex_destroy(&srv.mu);
}

static char url_buf[256];

static const char *srv_url(const char *path)
{
    snprintf(url_buf, sizeof(url_buf), "http://127.0.0.1:%d/%s", srv.port, path);
    return url_buf;
}

static int http_setup(void **state)
{
    srv_start();
    return 0;
}

static int http_teardown(void **state)
{
    srv_stop();
    return 0;
}

static void test_http_blocking(void **state)
{
    struct result r;
    set_params(IO_HTTP, "size", "100000", NULL);
    struct pb_workload_env env = make_env(1, 20, 0, srv_url(""));
    run_blocking(IO_HTTP, &env, 20, &r);
    assert_int_equal(r.status[PB_OK], 20);
    assert_int_equal(r.bytes, 20 * 100000);
    assert_int_equal(srv_accepted(), 1); /* one connection, kept alive */
}

static void test_http_async(void **state)
{
    struct result r;
    set_params(IO_HTTP, "size", "1000", "delay_ms", "2", NULL);
    struct pb_workload_env env = make_env(50, 500, 0, srv_url(""));
    run_async(IO_HTTP, &env, 500, 50, 0, &r);
    assert_int_equal(r.status[PB_OK], 500);
    assert_int_equal(r.bytes, 500 * 1000);
    /* Easy handles and connections reused: no more connections than tasks in flight. */
    assert_true(srv_accepted() <= 50);
}

static void test_http_user_url(void **state)
{
    /* A url of the user's own: used as given, the body checked against Content-Length. */
    struct result r;
    set_params(IO_HTTP, "url", srv_url("plain?size=333"), "size", "5", NULL);
    struct pb_workload_env env = make_env(1, 3, 0, "http://127.0.0.1:1/ignored");
    run_blocking(IO_HTTP, &env, 3, &r);
    assert_int_equal(r.status[PB_OK], 3);
    assert_int_equal(r.bytes, 3 * 333);
    run_async(IO_HTTP, &env, 3, 3, 0, &r);
    assert_int_equal(r.status[PB_OK], 3);
    assert_int_equal(r.bytes, 3 * 333);
}

/* Both forms, every task failing the same way. */
static void expect_failure(const char *url, uint64_t timeout_ns, enum pb_status want)
{
    struct result r;
    struct pb_workload_env env = make_env(4, 4, timeout_ns, url);
    run_blocking(IO_HTTP, &env, 4, &r);
    if (r.status[want] != 4)
        fail_msg("blocking %s: %llu of 4 were %s", url, (unsigned long long)r.status[want],
                 pb_status_name(want));
    run_async(IO_HTTP, &env, 4, 4, 0, &r);
    if (r.status[want] != 4)
        fail_msg("async %s: %llu of 4 were %s", url, (unsigned long long)r.status[want],
                 pb_status_name(want));
}

static void test_http_failures(void **state)
{
    int port;
    int fd = listen_any(&port);
    assert_true(fd >= 0);
    close(fd); /* a port nobody listens on now */
    char dead[64];
    snprintf(dead, sizeof(dead), "http://127.0.0.1:%d/", port);

    set_params(IO_HTTP, "size", "10000", NULL);
    expect_failure(dead, 0, PB_FAIL_CONNECT);
    expect_failure(srv_url("500"), 0, PB_FAIL_HTTP_STATUS);
    expect_failure(srv_url("short"), 0, PB_FAIL_SHORT_BODY);
    expect_failure(srv_url("garbage"), 0, PB_FAIL_WRONG_RESULT);
    set_params(IO_HTTP, "size", "10", "delay_ms", "3000", NULL);
    expect_failure(srv_url(""), 100000000, PB_FAIL_TIMEOUT);
}

static void test_http_cancel(void **state)
{
    struct result r;
    set_params(IO_HTTP, "delay_ms", "30000", NULL);
    struct pb_workload_env env = make_env(3, 3, 0, srv_url(""));
    run_async(IO_HTTP, &env, 3, 3, 50, &r);
    assert_int_equal(r.status[PB_FAIL_TIMEOUT], 3);
    assert_true(r.wall_s < 5.0);
}

static void test_http_no_url(void **state)
{
    void *shared = NULL;
    set_params(IO_HTTP, NULL);
    struct pb_workload_env env = make_env(1, 1, 0, NULL);
    assert_true(pb_workload_prepare(IO_HTTP, &env, &shared, &err) < 0);
    assert_non_null(strstr(err.msg, "io.http: no url"));
}

/* ---- io.http against the embedded target: this binary, run as `test_io_workloads serve` ---- */

static size_t keep_body(char *data, size_t size, size_t nmemb, void *userp)
{
    char *buf = userp;
    size_t have = strlen(buf), n = size * nmemb;
    if (have + n < 4096) {
        memcpy(buf + have, data, n);
        buf[have + n] = '\0';
    }
    return size * nmemb;
}

static json_int_t target_stat(struct pb_http_target *t, const char *key)
{
    char url[128], body[4096] = "";
    snprintf(url, sizeof(url), "%s__stats", pb_http_target_url(t));
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, (void *)body);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_cleanup(c);
    json_t *o = json_loads(body, 0, NULL);
    assert_non_null(o);
    json_int_t v = json_integer_value(json_object_get(o, key));
    json_decref(o);
    return v;
}

static void test_http_embedded_target(void **state)
{
    struct pb_http_target *t = NULL;
    struct result r;
    char url[160];
    /* The workload's own fixture: the target, started as the driver starts it. */
    set_params(IO_HTTP, NULL);
    struct pb_workload_env env0 = make_env(1, 1, 0, NULL);
    if (pb_workload_fixture_setup(IO_HTTP, &env0, (void **)&t, &err) != 0)
        fail_msg("%s", err.msg);

    set_params(IO_HTTP, "size", "70000", "delay_ms", "1", NULL);
    struct pb_workload_env env = make_env(10, 200, 0, pb_http_target_url(t));
    run_blocking(IO_HTTP, &env, 20, &r);
    assert_int_equal(r.status[PB_OK], 20);
    assert_int_equal(r.bytes, 20 * 70000);
    run_async(IO_HTTP, &env, 200, 10, 0, &r);
    assert_int_equal(r.status[PB_OK], 200);
    assert_int_equal(r.bytes, 200 * 70000);
    /* The probe, the blocking handle's, one per task in flight and this question's own. */
    json_int_t accepted = target_stat(t, "connections_accepted");
    if (accepted > 1 + 1 + 10 + 1)
        fail_msg("%lld connections for 10 in flight", (long long)accepted);

    snprintf(url, sizeof(url), "%s?status=500", pb_http_target_url(t));
    env = make_env(4, 4, 0, url);
    run_async(IO_HTTP, &env, 4, 4, 0, &r);
    assert_int_equal(r.status[PB_FAIL_HTTP_STATUS], 4);

    set_params(IO_HTTP, "delay_ms", "30000", NULL);
    env = make_env(4, 4, 0, pb_http_target_url(t));
    run_async(IO_HTTP, &env, 4, 4, 50, &r);
    assert_int_equal(r.status[PB_FAIL_TIMEOUT], 4);

    assert_int_equal(pb_http_target_stop(t, NULL, NULL), 0);
    pb_workload_fixture_teardown(IO_HTTP, t);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "serve") == 0)
        return pb_cmd_serve(argc - 1, argv + 1);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sleep_blocking),
        cmocka_unit_test(test_sleep_async),
        cmocka_unit_test(test_sleep_async_fraction),
        cmocka_unit_test(test_sleep_cancel),
        cmocka_unit_test(test_sleep_report),
        cmocka_unit_test_setup_teardown(test_file_blocking, make_tmpdir, remove_tmpdir),
        cmocka_unit_test_setup_teardown(test_file_async, make_tmpdir, remove_tmpdir),
        cmocka_unit_test_setup_teardown(test_file_async_fsync, make_tmpdir, remove_tmpdir),
        cmocka_unit_test_setup_teardown(test_file_cancel, make_tmpdir, remove_tmpdir),
        cmocka_unit_test(test_file_bad_dir),
        cmocka_unit_test(test_file_report),
        cmocka_unit_test_setup_teardown(test_http_blocking, http_setup, http_teardown),
        cmocka_unit_test_setup_teardown(test_http_async, http_setup, http_teardown),
        cmocka_unit_test_setup_teardown(test_http_user_url, http_setup, http_teardown),
        cmocka_unit_test_setup_teardown(test_http_failures, http_setup, http_teardown),
        cmocka_unit_test_setup_teardown(test_http_cancel, http_setup, http_teardown),
        cmocka_unit_test(test_http_no_url),
        cmocka_unit_test(test_http_embedded_target),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
