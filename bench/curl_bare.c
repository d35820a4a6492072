/* curl_bare: the yardstick for io.http on a loop, with no parbench code: N GETs of one URL
 * through libcurl's multi-socket interface on libuv, C transfers kept in flight, requests/s.
 *
 *   curl_bare URL [N [C]]      (defaults: N 100000, C 50)
 *
 * It does what a careful program would: C easy handles made once and reused, connections kept
 * alive by the multi handle, one uv_poll per socket number kept across transfers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <uv.h>

struct bare {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    uv_poll_t **polls; /* by socket number */
    size_t npolls;
    long total, started, finished, ok, failed;
    CURL **idle;
    int nidle;
};

struct bare_poll {
    uv_poll_t poll;
    struct bare *b;
    curl_socket_t fd;
};

static size_t discard(char *data, size_t size, size_t nmemb, void *userp)
{
    return size * nmemb;
}

static void start_some(struct bare *b)
{
    while (b->nidle > 0 && b->started < b->total) {
        curl_multi_add_handle(b->multi, b->idle[--b->nidle]);
        b->started++;
    }
}

static void drain(struct bare *b)
{
    CURLMsg *m;
    int pending;
    while ((m = curl_multi_info_read(b->multi, &pending))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        long code = 0;
        CURL *e = m->easy_handle;
        CURLcode rc = m->data.result;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
        if (rc == CURLE_OK && code == 200)
            b->ok++;
        else
            b->failed++;
        b->finished++;
        curl_multi_remove_handle(b->multi, e);
        b->idle[b->nidle++] = e;
    }
    start_some(b);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct bare_poll *p = (struct bare_poll *)h;
    int flags = status < 0 ? CURL_CSELECT_ERR : 0, running;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    curl_multi_socket_action(p->b->multi, p->fd, flags, &running);
    drain(p->b);
}

static void on_timeout(uv_timer_t *h)
{
    struct bare *b = h->data;
    int running;
    curl_multi_socket_action(b->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    drain(b);
}

static int on_curl_timer(CURLM *multi, long ms, void *userp)
{
    struct bare *b = userp;
    if (ms < 0)
        uv_timer_stop(&b->timer);
    else
        uv_timer_start(&b->timer, on_timeout, (uint64_t)ms, 0);
    return 0;
}

static int on_curl_socket(CURL *e, curl_socket_t fd, int action, void *userp, void *socketp)
{
    struct bare *b = userp;
    if ((size_t)fd >= b->npolls) {
        size_t n = b->npolls ? b->npolls * 2 : 1024;
        while (n <= (size_t)fd)
            n *= 2;
        b->polls = realloc(b->polls, n * sizeof(*b->polls));
        if (!b->polls)
            abort();
        memset(b->polls + b->npolls, 0, (n - b->npolls) * sizeof(*b->polls));
        b->npolls = n;
    }
    if (action == CURL_POLL_REMOVE) {
        if (b->polls[fd])
            uv_poll_stop(b->polls[fd]);
        return 0;
    }
    if (!b->polls[fd]) {
        struct bare_poll *p = calloc(1, sizeof(*p));
        if (!p || uv_poll_init_socket(b->loop, &p->poll, fd) < 0)
            abort();
        p->b = b;
        p->fd = fd;
        b->polls[fd] = &p->poll;
    }
    int ev = (action & CURL_POLL_IN ? UV_READABLE : 0) | (action & CURL_POLL_OUT ? UV_WRITABLE : 0);
    uv_poll_start(b->polls[fd], ev, on_poll);
    return 0;
}

static void free_handle(uv_handle_t *h)
{
    free(h);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: curl_bare URL [N [C]]\n");
        return 2;
    }
    struct bare b = {.loop = uv_default_loop()};
    b.total = argc > 2 ? atol(argv[2]) : 100000;
    long conc = argc > 3 ? atol(argv[3]) : 50;
    if (b.total < 1 || conc < 1) {
        fprintf(stderr, "curl_bare: N and C must be at least 1\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    b.multi = curl_multi_init();
    curl_multi_setopt(b.multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(b.multi, CURLMOPT_SOCKETDATA, &b);
    curl_multi_setopt(b.multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(b.multi, CURLMOPT_TIMERDATA, &b);
    curl_multi_setopt(b.multi, CURLMOPT_MAXCONNECTS, conc + 1);
    uv_timer_init(b.loop, &b.timer);
    b.timer.data = &b;
    b.idle = calloc((size_t)conc, sizeof(*b.idle));
    for (long i = 0; i < conc; i++) {
        CURL *e = curl_easy_init();
        curl_easy_setopt(e, CURLOPT_URL, argv[1]);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1");
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
        b.idle[b.nidle++] = e;
    }

    uint64_t t0 = uv_hrtime();
    start_some(&b);
    uv_run(b.loop, UV_RUN_DEFAULT);
    double s = (double)(uv_hrtime() - t0) / 1e9;
    printf("curl_bare: %ld requests (%ld ok, %ld failed), %ld in flight, %.3f s, %.0f requests/s\n",
           b.finished, b.ok, b.failed, conc, s, (double)b.finished / s);

    while (b.nidle > 0)
        curl_easy_cleanup(b.idle[--b.nidle]);
    curl_multi_cleanup(b.multi);
    for (size_t i = 0; i < b.npolls; i++)
        if (b.polls[i])
            uv_close((uv_handle_t *)b.polls[i], free_handle);
    uv_close((uv_handle_t *)&b.timer, NULL);
    uv_run(b.loop, UV_RUN_DEFAULT);
    uv_loop_close(b.loop);
    free(b.polls);
    free(b.idle);
    curl_global_cleanup();
    return b.failed ? 1 : 0;
}
