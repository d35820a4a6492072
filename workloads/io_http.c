/* io.http: a task is one GET through libcurl, checked for status 200 and the full body (and,
 * from the embedded target, its pattern): multi-socket on uv_poll and uv_timer in an event
 * loop, one reused easy handle per worker elsewhere. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <sys/resource.h>
#include <uv.h>

#include "fixtures/http_target.h"
#include "harness/load.h"
#include "parbench/parbench.h"

/* A connect that takes longer than this is a failure to connect, not a slow answer. */
#define CONNECT_TIMEOUT_MS 5000
/* The most easy handles made before the run; more are made when more tasks are in flight. */
#define PRECREATE_MAX 1024
/* Bodies are compared against the pattern in pieces of this size. */
#define PATTERN_CHUNK 4096
/* The loopback hosts a proxy from the environment must never see. */
#define NO_PROXY "localhost,127.0.0.1,::1"
/* How long a --url server may take to accept a connection before the run is refused. */
#define PROBE_TIMEOUT_MS 5000
/* How long the target may take to say what it counted (its /__stats) after a repetition. */
#define TARGET_STATS_MS 1000
/* Descriptors a run holds besides its connections: files, loops, pipes, libcurl's own. */
#define FD_RESERVE 64

/* What every worker needs to know of the run; read-only once prepared. */
struct http_conf {
    char url[PB_PARAM_STRMAX + 64];
    int embedded;     /* the driver's target: the query selects the body, whose pattern we know */
    int64_t size;     /* the body expected from the embedded target */
    int64_t delay_ms; /* for the report */
    long timeout_ms;  /* 0: none */
    long connect_timeout_ms;
};

struct http_worker;

/* A task's scratch: its transfer, or its place in the queue for a connection. */
struct http_task {
    struct http_conn *conn; /* NULL while waiting */
    struct http_task *next_wait;
    struct pb_async_task *t;
};

/* An easy handle and the state of the transfer it carries. */
struct http_conn {
    CURL *easy;
    struct http_worker *w;
    struct pb_async_task *t; /* in flight on the multi handle; NULL when idle */
    uint64_t bytes;
    int bad; /* the body differed from the pattern or ran past its length */
    struct http_conn *next_free;
    struct http_conn *next_all;
};

/* The poll handle of one socket number; kept while the socket comes and goes (libcurl removes
 * a connection's socket after each transfer and adds it back when it reuses the connection). */
struct http_poll {
    uv_poll_t poll;
    struct http_worker *w;
    curl_socket_t fd;
};

struct http_worker {
    const struct http_conf *conf;
    uv_loop_t *loop;
    struct http_conn *blocking; /* the blocking form's one easy handle */
    unsigned char *pattern;     /* PATTERN_CHUNK + 26 bytes of 'a' + i % 26 */

    /* The non-blocking form. */
    CURLM *multi;
    uv_timer_t timer;
    int timer_ready;
    struct http_conn *free_conns;
    struct http_conn *all_conns;
    struct http_poll **polls; /* by socket number */
    size_t npolls;
    unsigned closing; /* handles closed in fini whose callbacks have not run yet */

    /* At most `limit` transfers go to libcurl at once; the rest wait here, in order, for a
     * connection (libcurl's own queue of pending transfers grows quadratically in cost). */
    uint64_t active, limit;
    struct http_task *wait_head, *wait_tail;
};

static const struct pb_param_def http_params[] = {
    {"url", PB_PARAM_STRING, "", 0, -1,
     "URL to GET (default: the embedded target, or --url); used as given"},
    {"delay_ms", PB_PARAM_INT, "0", 0, 3600000, "embedded target: ms it waits before answering"},
    {"size", PB_PARAM_INT, "1024", 0, 1073741824.0, "embedded target: body bytes it answers"},
    {"max_connections", PB_PARAM_INT, "256", 1, 1000000,
     "event loops: connections kept at most, over all loops (aiohttp's connector limit); "
     "tasks beyond wait inside libcurl for one"},
    {"client", PB_PARAM_STRING, "urlopen", 0, -1,
     "py runners without a loop: urlopen (the seed's urllib.request.urlopen, a connection per "
     "task) or http.client (a kept-alive connection per worker)"},
};

/* Whether libcurl takes text as a URL: -EINVAL (the plan's mistake) when not. */
static int check_url(const char *text, struct pb_err *err)
{
    CURLU *u = curl_url();
    if (!u)
        return pb_err_set(err, -ENOMEM, "io.http: out of memory");
    CURLUcode rc = curl_url_set(u, CURLUPART_URL, text, 0);
    curl_url_cleanup(u);
    if (rc != CURLUE_OK)
        return pb_err_set(err, -EINVAL, "io.http: '%.200s' is not a URL libcurl accepts: %s", text,
                          curl_url_strerror(rc));
    return 0;
}

/* A bounded connect to the server: one that does not accept is the environment refusing. */
static int probe(const char *url, struct pb_err *err)
{
    CURL *h = curl_easy_init();
    if (!h)
        return pb_err_set(err, -ENOMEM, "io.http: cannot create a libcurl handle");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)PROBE_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    CURLcode rc = curl_easy_perform(h);
    curl_easy_cleanup(h);
    if (rc == CURLE_OK)
        return 0;
    return pb_err_set(err, -EHOSTUNREACH,
                      "io.http: the server at %.200s did not accept a connection within %d ms: %s",
                      url, PROBE_TIMEOUT_MS, curl_easy_strerror(rc));
}

/* Descriptors the case holds at once, counted as libcurl opens them: one per connection, and a
 * socket pair per multi handle (one per loop; a blocking worker's easy handle has one inside
 * curl_easy_perform). Connections: one per task in progress (every task for a gather), at
 * most max_connections on an event loop. */
static uint64_t planned_descriptors(const struct pb_workload_env *env)
{
    uint64_t n = env->concurrency  ? env->concurrency
                 : env->load.tasks ? env->load.tasks
                                   : pb_load_max_tasks(&env->load) + 1;
    if (!env->event_loops)
        return 3 * (uint64_t)env->workers;
    uint64_t pool = (uint64_t)pb_param_int(env->params, "max_connections");
    return (n > pool ? pool : n) + 2 * (uint64_t)env->workers;
}

static int http_preflight(const struct pb_workload_env *env, struct pb_err *err)
{
    const char *url = pb_param_str(env->params, "url");
    struct rlimit rl;
    int rc;
    const char *client = pb_param_str(env->params, "client");
    if (strcmp(client, "urlopen") != 0 && strcmp(client, "http.client") != 0)
        return pb_err_set(err, -EINVAL, "io.http: client is urlopen or http.client, not '%s'",
                          client);
    if (url[0] && (rc = check_url(url, err)) < 0)
        return rc;
    uint64_t need = planned_descriptors(env) + FD_RESERVE;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && need > rl.rlim_cur)
        return pb_err_set(err, -EMFILE,
                          "io.http needs about %llu open files at once, but the limit is %llu "
                          "(raise ulimit -n, or lower -c or -n)",
                          (unsigned long long)need, (unsigned long long)rl.rlim_cur);
    return url[0] ? probe(url, err) : 0;
}

/* The fixture: without a url, the embedded target, on a PU no worker uses when there is one.
 * The fixture is the target itself (struct pb_http_target). */
static int http_fixture_setup(const struct pb_workload_env *env, void **fixture, struct pb_err *err)
{
    struct pb_http_target *t = NULL;
    if (pb_param_str(env->params, "url")[0])
        return 0;
    int rc = pb_http_target_start(env->spare_pu, &t, err);
    *fixture = t;
    return rc;
}

/* The target's answer about itself: one short JSON line. */
struct target_text {
    char text[1024];
    size_t len;
};

static size_t on_text(char *data, size_t size, size_t n, void *arg)
{
    struct target_text *b = arg;
    size_t add = size * n;
    if (b->len + add >= sizeof(b->text))
        return 0;
    memcpy(b->text + b->len, data, add);
    b->len += add;
    b->text[b->len] = '\0';
    return add;
}

/* What the target says of itself at path (its /__stats or /__reset JSON), or NULL: not asked
 * once the run is stopping (a stopped target would hold the stop up), and given little time. */
static json_t *target_json(const struct pb_http_target *t, const char *path)
{
    if (pb_stop_requested())
        return NULL;
    char url[256];
    struct target_text body = {.len = 0};
    CURL *h = curl_easy_init();
    if (!h)
        return NULL;
    snprintf(url, sizeof(url), "%s%s", pb_http_target_url(t), path);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)TARGET_STATS_MS);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_text);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_cleanup(h);
    return rc == CURLE_OK ? json_loads(body.text, 0, NULL) : NULL;
}

static void http_fixture_rep_begin(void *fixture)
{
    double u, s;
    pb_http_target_cpu_delta(fixture, &u, &s);
    json_decref(target_json(fixture, "__reset")); /* its maxima from now on */
}

/* What the target spent on this repetition. */
static json_t *http_fixture_rep_report(void *fixture)
{
    struct pb_http_target *t = fixture;
    double u, s;
    pb_http_target_cpu_delta(t, &u, &s);
    json_t *o = json_object();
    json_object_set_new(o, "kind", json_string("embedded HTTP target"));
    json_object_set_new(o, "url", json_string(pb_http_target_url(t)));
    json_object_set_new(
        o, "pu", pb_http_target_pu(t) >= 0 ? json_integer(pb_http_target_pu(t)) : json_null());
    json_object_set_new(o, "user_s", json_real(u));
    json_object_set_new(o, "sys_s", json_real(s));
    /* requests in progress at once, counted where they arrive: a semaphore's bound, checked */
    json_t *stats = target_json(t, "__stats");
    json_t *max = json_object_get(stats, "in_flight_max"),
           *req = json_object_get(stats, "requests");
    if (json_is_integer(max))
        json_object_set(o, "in_flight_max", max);
    if (json_is_integer(req))
        json_object_set(o, "requests", req);
    json_decref(stats);
    return o;
}

static void http_fixture_teardown(void *fixture)
{
    pb_http_target_destroy(fixture);
}

static int http_prepare(const struct pb_workload_env *env, void **shared, struct pb_err *err)
{
    const char *url = pb_param_str(env->params, "url");
    const struct pb_http_target *target = env->fixture;
    struct http_conf *c = pb_shm_alloc(sizeof(*c));
    if (!c)
        return pb_err_set(err, -ENOMEM, "io.http: out of memory");
    c->size = pb_param_int(env->params, "size");
    c->delay_ms = pb_param_int(env->params, "delay_ms");
    if (url[0]) {
        snprintf(c->url, sizeof(c->url), "%s", url);
    } else if (target) {
        const char *base = pb_http_target_url(target);
        c->embedded = 1;
        snprintf(c->url, sizeof(c->url), "%s%cdelay_ms=%lld&size=%lld", base,
                 strchr(base, '?') ? '&' : '?', (long long)c->delay_ms, (long long)c->size);
    } else {
        pb_shm_free(c, sizeof(*c));
        return pb_err_set(err, -EINVAL, "io.http: no url: give --url or -p url=URL");
    }
    c->timeout_ms = (long)((env->timeout_ns + 999999u) / 1000000u);
    c->connect_timeout_ms =
        c->timeout_ms && c->timeout_ms < CONNECT_TIMEOUT_MS ? c->timeout_ms : CONNECT_TIMEOUT_MS;
    *shared = c;
    return 0;
}

static void http_release(void *shared)
{
    pb_shm_free(shared, sizeof(struct http_conf));
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    struct http_conn *c = userp;
    size_t n = size * nmemb;
    const struct http_conf *conf = c->w->conf;
    if (conf->embedded && !c->bad) {
        if (c->bytes + n > (uint64_t)conf->size) {
            c->bad = 1;
        } else {
            for (size_t i = 0; i < n; i += PATTERN_CHUNK) {
                size_t m = n - i < PATTERN_CHUNK ? n - i : PATTERN_CHUNK;
                if (memcmp(data + i, c->w->pattern + (c->bytes + i) % 26, m) != 0) {
                    c->bad = 1;
                    break;
                }
            }
        }
    }
    c->bytes += n;
    return n;
}

/* How a finished transfer ended, by the kinds the document counts. */
static enum pb_status http_status(const struct http_conn *c, CURLcode rc)
{
    const struct http_conf *conf = c->w->conf;
    long code = 0;
    switch (rc) {
    case CURLE_OK:
        break;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return PB_FAIL_CONNECT;
    case CURLE_OPERATION_TIMEDOUT: {
        /* Ended before the task's own timeout could have: it was the connect timeout. */
        curl_off_t us = 0;
        curl_easy_getinfo(c->easy, CURLINFO_TOTAL_TIME_T, &us);
        if (!conf->timeout_ms || (conf->connect_timeout_ms < conf->timeout_ms &&
                                  us < (curl_off_t)conf->timeout_ms * 1000))
            return PB_FAIL_CONNECT;
        return PB_FAIL_TIMEOUT;
    }
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING: /* closed before a byte of the answer: the shortest body */
        return PB_FAIL_SHORT_BODY;
    default:
        return PB_FAIL_OTHER;
    }
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &code);
    if (code != 200)
        return PB_FAIL_HTTP_STATUS;
    if (conf->embedded) {
        if (c->bad)
            return PB_FAIL_WRONG_RESULT;
        return c->bytes < (uint64_t)conf->size ? PB_FAIL_SHORT_BODY : PB_OK;
    }
    curl_off_t length = -1;
    curl_easy_getinfo(c->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
    return length >= 0 && c->bytes < (uint64_t)length ? PB_FAIL_SHORT_BODY : PB_OK;
}

static void conn_destroy(struct http_conn *c)
{
    if (!c)
        return;
    if (c->easy)
        curl_easy_cleanup(c->easy);
    free(c);
}

/* Every option is set once: an easy handle keeps them from one transfer to the next. */
static struct http_conn *conn_create(struct http_worker *w)
{
    struct http_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->w = w;
    c->easy = curl_easy_init();
    if (!c->easy)
        goto fail;
    const struct http_conf *conf = w->conf;
    CURLcode rc = CURLE_OK;
    rc |= curl_easy_setopt(c->easy, CURLOPT_URL, conf->url);
    rc |= curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L);
    rc |= curl_easy_setopt(c->easy, CURLOPT_NOPROXY, NO_PROXY);
    rc |= curl_easy_setopt(c->easy, CURLOPT_USERAGENT, "parbench");
    rc |= curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, on_body);
    rc |= curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, c);
    rc |= curl_easy_setopt(c->easy, CURLOPT_PRIVATE, c);
    rc |= curl_easy_setopt(c->easy, CURLOPT_CONNECTTIMEOUT_MS, conf->connect_timeout_ms);
    if (conf->timeout_ms)
        rc |= curl_easy_setopt(c->easy, CURLOPT_TIMEOUT_MS, conf->timeout_ms);
    if (rc != CURLE_OK)
        goto fail;
    return c;
fail:
    conn_destroy(c);
    return NULL;
}

static struct http_conn *conn_get(struct http_worker *w)
{
    struct http_conn *c = w->free_conns;
    if (c) {
        w->free_conns = c->next_free;
        return c;
    }
    c = conn_create(w);
    if (c) {
        c->next_all = w->all_conns;
        w->all_conns = c;
    }
    return c;
}

static void conn_put(struct http_worker *w, struct http_conn *c)
{
    c->t = NULL;
    c->next_free = w->free_conns;
    w->free_conns = c;
}

/* The blocking form's transfer gives up once a stop's grace period is over: a server that
 * stalls must not hold the run (libcurl calls this about once a second even when idle). */
static int on_progress(void *p, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    return pb_stop_grace_over();
}

static enum pb_status http_run(void *wstate, uint64_t index, uint64_t *bytes)
{
    struct http_worker *w = wstate;
    struct http_conn *c = w->blocking;
    c->bytes = 0;
    c->bad = 0;
    CURLcode rc = curl_easy_perform(c->easy);
    *bytes += c->bytes;
    return http_status(c, rc);
}

/* Reports every transfer libcurl has finished. done may start the next task at once, which
 * adds a handle: allowed here, outside libcurl's callbacks. */
static void pump(struct http_worker *w);

static void drain(struct http_worker *w)
{
    CURLMsg *m;
    int pending;
    while ((m = curl_multi_info_read(w->multi, &pending))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        CURL *easy = m->easy_handle;
        CURLcode rc = m->data.result;
        char *priv = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
        struct http_conn *c = (struct http_conn *)(void *)priv;
        enum pb_status st = http_status(c, rc);
        struct pb_async_task *t = c->t;
        uint64_t bytes = c->bytes;
        curl_multi_remove_handle(w->multi, easy);
        conn_put(w, c);
        w->active--;
        pump(w);
        t->done(t, st, bytes);
    }
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct http_poll *p = h->data;
    int flags = 0, running;
    if (status < 0)
        flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    curl_multi_socket_action(p->w->multi, p->fd, flags, &running);
    drain(p->w);
}

static void on_timeout(uv_timer_t *h)
{
    struct http_worker *w = h->data;
    int running;
    curl_multi_socket_action(w->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    drain(w);
}

/* libcurl asks for a timeout; it must not be acted on from inside this callback, so even a
 * zero timeout goes through the loop. */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    struct http_worker *w = userp;
    if (timeout_ms < 0)
        uv_timer_stop(&w->timer);
    else
        uv_timer_start(&w->timer, on_timeout, (uint64_t)timeout_ms, 0);
    return 0;
}

static struct http_poll *poll_for(struct http_worker *w, curl_socket_t fd)
{
    if ((size_t)fd >= w->npolls) {
        size_t n = w->npolls ? w->npolls : 64;
        while (n <= (size_t)fd)
            n *= 2;
        struct http_poll **p = realloc(w->polls, n * sizeof(*p));
        if (!p)
            return NULL;
        memset(p + w->npolls, 0, (n - w->npolls) * sizeof(*p));
        w->polls = p;
        w->npolls = n;
    }
    struct http_poll *p = w->polls[fd];
    if (p)
        return p;
    p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    if (uv_poll_init_socket(w->loop, &p->poll, fd) < 0) {
        free(p);
        return NULL;
    }
    p->poll.data = p;
    p->w = w;
    p->fd = fd;
    w->polls[fd] = p;
    return p;
}

static int on_curl_socket(CURL *easy, curl_socket_t fd, int action, void *userp, void *socketp)
{
    struct http_worker *w = userp;
    if (action == CURL_POLL_REMOVE) {
        /* Stopped, not closed: the next connection on this socket number reuses the handle. */
        if ((size_t)fd < w->npolls && w->polls[fd])
            uv_poll_stop(&w->polls[fd]->poll);
        return 0;
    }
    struct http_poll *p = poll_for(w, fd);
    if (!p)
        return -1;
    int events = 0;
    if (action & CURL_POLL_IN)
        events |= UV_READABLE;
    if (action & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    return uv_poll_start(&p->poll, events, on_poll) < 0 ? -1 : 0;
}

static void on_closed(uv_handle_t *h)
{
    struct http_worker *w = h->data;
    w->closing--;
}

static void on_poll_closed(uv_handle_t *h)
{
    struct http_poll *p = h->data;
    p->w->closing--;
    free(p);
}

static void http_worker_fini(void *wstate)
{
    struct http_worker *w = wstate;
    if (!w)
        return;
    for (struct http_conn *c = w->all_conns; c; c = c->next_all)
        if (c->t)
            curl_multi_remove_handle(w->multi, c->easy);
    /* Before the poll handles go: cleaning up may still call back about sockets and timers. */
    if (w->multi)
        curl_multi_cleanup(w->multi);
    for (struct http_conn *c = w->all_conns, *next; c; c = next) {
        next = c->next_all;
        conn_destroy(c);
    }
    for (size_t i = 0; i < w->npolls; i++) {
        if (w->polls[i]) {
            w->closing++;
            uv_close((uv_handle_t *)&w->polls[i]->poll, on_poll_closed);
        }
    }
    if (w->timer_ready) {
        w->closing++;
        w->timer.data = w;
        uv_close((uv_handle_t *)&w->timer, on_closed);
    }
    /* The close callbacks use w; the runner calls fini after its uv_run has returned. */
    while (w->closing)
        uv_run(w->loop, UV_RUN_NOWAIT);
    free(w->polls);
    conn_destroy(w->blocking);
    free(w->pattern);
    free(w);
}

static int http_worker_init(void *shared, const struct pb_workload_env *env,
                            const struct pb_worker_env *wenv, void **wstate, struct pb_err *err)
{
    int rc = -ENOMEM;
    struct http_worker *w = calloc(1, sizeof(*w));
    if (!w)
        goto out;
    w->conf = shared;
    w->loop = wenv->loop;
    w->pattern = malloc(PATTERN_CHUNK + 26);
    if (!w->pattern)
        goto out;
    for (size_t i = 0; i < PATTERN_CHUNK + 26; i++)
        w->pattern[i] = (unsigned char)('a' + i % 26);
    w->blocking = conn_create(w);
    if (!w->blocking)
        goto out;
    curl_easy_setopt(w->blocking->easy, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(w->blocking->easy, CURLOPT_NOPROGRESS, 0L);
    if (w->loop) {
        /* Tasks in flight on this loop at most (all of its tasks for a gather), and the share
         * of the connection limit this loop may open. */
        uint64_t loops = env->workers ? env->workers : 1;
        uint64_t limit =
            ((uint64_t)pb_param_int(env->params, "max_connections") + loops - 1) / loops;
        uint64_t tasks = env->load.tasks;
        uint64_t per = env->concurrency ? env->concurrency : tasks ? tasks : limit;
        per = (per + loops - 1) / loops;
        if (tasks && per > tasks)
            per = tasks;
        if (per > limit)
            per = limit;
        w->limit = limit;
        w->multi = curl_multi_init();
        if (!w->multi)
            goto out;
        curl_multi_setopt(w->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
        curl_multi_setopt(w->multi, CURLMOPT_SOCKETDATA, w);
        curl_multi_setopt(w->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
        curl_multi_setopt(w->multi, CURLMOPT_TIMERDATA, w);
        curl_multi_setopt(w->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
        curl_multi_setopt(w->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)limit);
        /* Keep a connection for every task in flight, so none is closed between tasks. */
        curl_multi_setopt(w->multi, CURLMOPT_MAXCONNECTS, (long)(per < 65536 ? per + 1 : 65536));
        uv_timer_init(w->loop, &w->timer);
        w->timer.data = w;
        w->timer_ready = 1;
        for (uint64_t i = 0; i < per && i < PRECREATE_MAX; i++) {
            struct http_conn *c = conn_get(w);
            if (!c)
                goto out;
            conn_put(w, c);
        }
    }
    *wstate = w;
    return 0;
out:
    pb_err_set(err, rc, "io.http: cannot set up libcurl (out of memory)");
    http_worker_fini(w);
    return rc;
}

static int launch(struct http_worker *w, struct http_task *ht)
{
    struct http_conn *c = conn_get(w);
    if (!c)
        return -ENOMEM;
    c->t = ht->t;
    c->bytes = 0;
    c->bad = 0;
    if (curl_multi_add_handle(w->multi, c->easy) != CURLM_OK) {
        conn_put(w, c);
        return -EIO;
    }
    ht->conn = c;
    w->active++;
    return 0;
}

/* Hands waiting tasks to libcurl while connections are free. */
static void pump(struct http_worker *w)
{
    while (w->active < w->limit && w->wait_head) {
        struct http_task *ht = w->wait_head;
        w->wait_head = ht->next_wait;
        if (!w->wait_head)
            w->wait_tail = NULL;
        if (launch(w, ht) < 0)
            ht->t->done(ht->t, PB_FAIL_OTHER, 0);
    }
}

static int http_start(void *wstate, struct pb_async_task *t)
{
    struct http_worker *w = wstate;
    struct http_task *ht = pb_async_task_data(t);
    *ht = (struct http_task){.t = t};
    if (w->active < w->limit && !w->wait_head)
        return launch(w, ht);
    if (w->wait_tail)
        w->wait_tail->next_wait = ht;
    else
        w->wait_head = ht;
    w->wait_tail = ht;
    return 0;
}

static void http_cancel(void *wstate, struct pb_async_task *t)
{
    struct http_worker *w = wstate;
    struct http_task *ht = pb_async_task_data(t);
    if (!ht->conn) { /* still waiting: the oldest are at the front */
        struct http_task **pp = &w->wait_head, *prev = NULL;
        while (*pp && *pp != ht) {
            prev = *pp;
            pp = &(*pp)->next_wait;
        }
        if (*pp) {
            *pp = ht->next_wait;
            if (w->wait_tail == ht)
                w->wait_tail = prev;
        }
        t->done(t, PB_FAIL_TIMEOUT, 0);
        return;
    }
    struct http_conn *c = ht->conn;
    uint64_t bytes = c->bytes;
    /* libcurl closes the connection of a transfer removed half way. */
    curl_multi_remove_handle(w->multi, c->easy);
    conn_put(w, c);
    w->active--;
    pump(w);
    t->done(t, PB_FAIL_TIMEOUT, bytes);
}

static json_t *http_report(void *shared, const struct pb_workload_env *env)
{
    const struct http_conf *c = shared;
    json_t *o = json_object();
    if (!o || !c)
        return o;
    json_object_set_new(o, "url", json_string(c->url));
    json_object_set_new(o, "embedded_target", json_boolean(c->embedded));
    if (c->embedded) {
        json_object_set_new(o, "delay_ms", json_integer(c->delay_ms));
        json_object_set_new(o, "body_bytes", json_integer(c->size));
    }
    json_object_set_new(o, "connect_timeout_ms", json_integer(c->connect_timeout_ms));
    json_object_set_new(o, "libcurl_version",
                        json_string(curl_version_info(CURLVERSION_NOW)->version));
    json_object_set_new(o, "eventloop_client",
                        json_string("libcurl multi-socket on uv_poll and uv_timer"));
    json_object_set_new(o, "blocking_client", json_string("one reused easy handle per worker"));
    return o;
}

const struct pb_workload_ops pb_workload_io_http = {
    .name = "io.http",
    .description = "one GET through libcurl: status 200 and the full body, or a failure by kind",
    .flags = PB_WL_IO,
    .params = http_params,
    .nparams = sizeof(http_params) / sizeof(http_params[0]),
    .preflight = http_preflight,
    .fixture_setup = http_fixture_setup,
    .fixture_rep_begin = http_fixture_rep_begin,
    .fixture_rep_report = http_fixture_rep_report,
    .fixture_teardown = http_fixture_teardown,
    .prepare = http_prepare,
    .report = http_report,
    .release = http_release,
    .worker_init = http_worker_init,
    .worker_fini = http_worker_fini,
    .run = http_run,
    .task_size = sizeof(struct http_task),
    .start = http_start,
    .cancel = http_cancel,
};
