/* The embedded HTTP/1.1 target (`parbench serve`) on one libuv loop, and the driver side that
 * starts it as a child process, waits until it accepts, and stops it with its CPU use. */
#include "workloads/http_target.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "harness/clock.h"

/* Input per connection: room for one maximal head plus pipelined requests behind it. */
#define PB_SRV_IN_CAP   16384
#define PB_SRV_HEAD_MAX 8192
/* Response headers (and small control bodies) of one batched write. */
#define PB_SRV_HDR_CAP     4096
#define PB_SRV_HDR_RESERVE 512
#define PB_SRV_BUFS        64
/* Bodies are slices of one pattern buffer; the extra 26 bytes let a slice start at any phase. */
#define PB_SRV_CHUNK     ((size_t)1 << 20)
#define PB_SRV_SIZE_MAX  ((uint64_t)1 << 40)
#define PB_SRV_DELAY_MAX 3600000u
/* After a closing response, how long unread input is drained so the peer never sees a reset
 * before it has read the answer. */
#define PB_SRV_LINGER_MS 2000
#define PB_SRV_BACKLOG   8192
#define PB_SRV_PORT      8080

enum pb_srv_flags {
    PB_C_READING = 1 << 0,
    PB_C_WRITING = 1 << 1, /* a uv_write of the batch is outstanding */
    PB_C_CLOSING = 1 << 2,
    PB_C_EOF = 1 << 3,
    PB_C_LAST = 1 << 4, /* a response that ends the connection is queued: parse no further */
    PB_C_LINGER = 1 << 5,
};

enum pb_srv_pend {
    PB_PEND_NONE,
    PB_PEND_TIMER, /* a delayed request waits for its timer */
    PB_PEND_READY, /* its timer fired while a write was outstanding */
};

enum pb_srv_control {
    PB_CTL_NONE,
    PB_CTL_STATS,
    PB_CTL_RESET,
};

struct pb_srv_req {
    uint64_t size;
    uint64_t delay_ms;
    int status;
    unsigned char head;
    unsigned char keep_alive;
    unsigned char http10;
    unsigned char close_now;
    unsigned char control;
};

struct pb_srv_stats {
    uint64_t requests;
    uint64_t in_flight;
    uint64_t in_flight_max;
    uint64_t connections;
    uint64_t connections_max;
    uint64_t accepted;
};

struct pb_srv;

struct pb_srv_conn {
    uv_tcp_t tcp;
    uv_timer_t timer; /* a request's delay, then the linger after a closing response */
    uv_write_t wreq;
    uv_shutdown_t sreq;
    struct pb_srv *srv;
    struct pb_srv_conn *prev, *next;
    unsigned handles; /* handles not yet closed; the connection is freed at 0 */
    unsigned flags;
    enum pb_srv_pend pend;
    struct pb_srv_req cur; /* the delayed request */
    /* the response being queued */
    uint64_t body_left, body_off;
    unsigned char resp_counted, resp_close;
    /* requests of this connection counted in in_flight; those the batch completes */
    uint64_t inflight, batch_done;
    unsigned nbufs;
    size_t hdr_len;
    size_t in_start, in_end, scanned; /* scanned: bytes after in_start known to hold no end */
    uv_buf_t bufs[PB_SRV_BUFS];
    char hdr[PB_SRV_HDR_CAP];
    char in[PB_SRV_IN_CAP];
};

struct pb_srv {
    uv_loop_t loop;
    uv_tcp_t listener;
    uv_signal_t sigterm, sigint;
    int loop_ready, listener_ready, signals_ready, stopping;
    char *body;
    struct pb_srv_conn *conns;
    struct pb_srv_stats st;
};

struct pb_srv_opts {
    const char *host;
    int port;
    int pin;
};

/* The connection a request embedded in it belongs to (libuv requests carry no back pointer we
 * could trust across uv_write's initialisation). */
#define PB_SRV_CONN_OF(req, member)                                                                \
    ((struct pb_srv_conn *)(void *)((char *)(req)-offsetof(struct pb_srv_conn, member)))

static void pb_srv_conn_run(struct pb_srv_conn *c);

/* ---- request parsing: pure functions over bytes, so that peer input can never assert ---- */

static int pb_srv_is_tchar(unsigned char ch)
{
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
        return 1;
    return ch != 0 && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

/* Finds the end of the head (just past the empty line, CRLF or bare LF); 1 when found. *scan
 * remembers how far the search got so that a slowly arriving head is not rescanned. */
static int pb_srv_find_end(const char *p, size_t len, size_t *scan, size_t *end)
{
    size_t i = *scan;

    while (i < len) {
        const char *nl = memchr(p + i, '\n', len - i);
        if (!nl)
            break;
        i = (size_t)(nl - p);
        if (i + 1 >= len) {
            *scan = i;
            return 0;
        }
        if (p[i + 1] == '\n') {
            *end = i + 2;
            return 1;
        }
        if (p[i + 1] == '\r') {
            if (i + 2 >= len) {
                *scan = i;
                return 0;
            }
            if (p[i + 2] == '\n') {
                *end = i + 3;
                return 1;
            }
        }
        i++;
    }
    *scan = len;
    return 0;
}

static int pb_srv_parse_u64(const char *s, size_t n, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;

    if (n == 0 || n > 20)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        if (v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

static int pb_srv_token_eq(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

/* Applies the query and the path of the request target to r; -400 on a bad value. */
static int pb_srv_parse_target(const char *t, size_t n, struct pb_srv_req *r)
{
    const char *end = t + n, *path = t, *q;
    uint64_t v;

    /* absolute-form: skip scheme and authority */
    if ((n >= 7 && strncasecmp(t, "http://", 7) == 0) ||
        (n >= 8 && strncasecmp(t, "https://", 8) == 0)) {
        const char *auth = (const char *)memchr(t, '/', n) + 2;
        path = memchr(auth, '/', (size_t)(end - auth));
        if (!path)
            path = end;
    }
    q = memchr(path, '#', (size_t)(end - path));
    if (q)
        end = q;
    q = memchr(path, '?', (size_t)(end - path));
    if (pb_srv_token_eq(path, (size_t)((q ? q : end) - path), "/__stats"))
        r->control = PB_CTL_STATS;
    else if (pb_srv_token_eq(path, (size_t)((q ? q : end) - path), "/__reset"))
        r->control = PB_CTL_RESET;
    if (!q)
        return 0;
    for (const char *p = q + 1; p < end;) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        const char *val = eq ? eq + 1 : stop;
        size_t klen = (size_t)((eq ? eq : stop) - p), vlen = (size_t)(stop - val);

        if (pb_srv_token_eq(p, klen, "delay_ms")) {
            if (pb_srv_parse_u64(val, vlen, PB_SRV_DELAY_MAX, &r->delay_ms))
                return -400;
        } else if (pb_srv_token_eq(p, klen, "size")) {
            if (pb_srv_parse_u64(val, vlen, PB_SRV_SIZE_MAX, &r->size))
                return -400;
        } else if (pb_srv_token_eq(p, klen, "status")) {
            if (pb_srv_parse_u64(val, vlen, 599, &v) || v < 200)
                return -400;
            r->status = (int)v;
        } else if (pb_srv_token_eq(p, klen, "close")) {
            if (pb_srv_parse_u64(val, vlen, 1, &v))
                return -400;
            r->close_now = (unsigned char)v;
        }
        p = stop + 1;
    }
    return 0;
}

/* Length of the line at p (without its CR LF or LF) within [p, stop); -1 on a bare CR. */
static long pb_srv_line(const char *p, const char *stop, const char **next)
{
    const char *nl = memchr(p, '\n', (size_t)(stop - p));
    size_t n;

    if (!nl)
        return -1;
    *next = nl + 1;
    n = (size_t)(nl - p);
    if (n > 0 && p[n - 1] == '\r')
        n--;
    return (long)n;
}

/* Parses one complete head of len bytes; 0 with r filled, or -400 / -405 / -413. */
static int pb_srv_parse_head(const char *p, size_t len, struct pb_srv_req *r)
{
    const char *stop = p + len, *line = p, *next, *method, *target;
    size_t mlen = 0, tlen, i, j;
    int conn_close = 0, conn_keep = 0, has_body = 0, have_cl = 0;
    uint64_t cl = 0;
    long ll;

    memset(r, 0, sizeof(*r));
    r->status = 200;
    ll = pb_srv_line(line, stop, &next);
    if (ll < 0)
        return -400;
    /* request-line = method SP request-target SP HTTP-version */
    while (mlen < (size_t)ll && pb_srv_is_tchar((unsigned char)line[mlen]))
        mlen++;
    if (mlen == 0 || mlen >= (size_t)ll || line[mlen] != ' ')
        return -400;
    method = line;
    target = line + mlen + 1;
    for (i = mlen + 1; i < (size_t)ll; i++) {
        unsigned char ch = (unsigned char)line[i];
        if (ch <= 0x20 || ch == 0x7f)
            break;
    }
    tlen = i - (mlen + 1);
    if (tlen == 0 || i >= (size_t)ll || line[i] != ' ')
        return -400;
    j = i + 1;
    if ((size_t)ll - j != 8 || memcmp(line + j, "HTTP/1.", 7) != 0 || line[j + 7] < '0' ||
        line[j + 7] > '9')
        return -400;
    r->http10 = line[j + 7] == '0';

    for (line = next; line < stop; line = next) {
        const char *name, *val;
        size_t nlen = 0, vlen;

        ll = pb_srv_line(line, stop, &next);
        if (ll < 0)
            return -400;
        if (ll == 0)
            break;
        /* obs-fold and whitespace before the colon are rejected, as RFC 9112 asks */
        name = line;
        while (nlen < (size_t)ll && pb_srv_is_tchar((unsigned char)name[nlen]))
            nlen++;
        if (nlen == 0 || nlen >= (size_t)ll || name[nlen] != ':')
            return -400;
        val = name + nlen + 1;
        vlen = (size_t)ll - nlen - 1;
        while (vlen > 0 && (*val == ' ' || *val == '\t'))
            val++, vlen--;
        while (vlen > 0 && (val[vlen - 1] == ' ' || val[vlen - 1] == '\t'))
            vlen--;
        for (i = 0; i < vlen; i++) {
            unsigned char ch = (unsigned char)val[i];
            if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
                return -400;
        }
        if (pb_srv_token_eq(name, nlen, "connection")) {
            for (const char *t = val, *vend = val + vlen; t < vend;) {
                const char *comma = memchr(t, ',', (size_t)(vend - t));
                const char *tend = comma ? comma : vend;
                while (t < tend && (*t == ' ' || *t == '\t'))
                    t++;
                while (tend > t && (tend[-1] == ' ' || tend[-1] == '\t'))
                    tend--;
                if (pb_srv_token_eq(t, (size_t)(tend - t), "close"))
                    conn_close = 1;
                else if (pb_srv_token_eq(t, (size_t)(tend - t), "keep-alive"))
                    conn_keep = 1;
                t = (comma ? comma : vend) + 1;
            }
        } else if (pb_srv_token_eq(name, nlen, "content-length")) {
            uint64_t v;
            if (pb_srv_parse_u64(val, vlen, UINT64_MAX, &v) || (have_cl && v != cl))
                return -400;
            have_cl = 1;
            cl = v;
            if (v > 0)
                has_body = 1;
        } else if (pb_srv_token_eq(name, nlen, "transfer-encoding")) {
            has_body = 1;
        }
    }
    if (line >= stop && ll != 0)
        return -400;

    if (!((mlen == 3 && memcmp(method, "GET", 3) == 0) ||
          (mlen == 4 && memcmp(method, "HEAD", 4) == 0)))
        return -405;
    if (has_body)
        return -413;
    r->head = mlen == 4;
    r->keep_alive = r->http10 ? (conn_keep && !conn_close) : !conn_close;
    return pb_srv_parse_target(target, tlen, r);
}

/* ---- responses ---- */

static const char *pb_srv_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 206:
        return "Partial Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 413:
        return "Content Too Large";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "Status";
    }
}

static char *pb_srv_put(char *d, const char *s)
{
    size_t n = strlen(s);
    memcpy(d, s, n);
    return d + n;
}

static char *pb_srv_put_u64(char *d, uint64_t v)
{
    char tmp[20];
    int n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *d++ = tmp[--n];
    return d;
}

/* Adds bytes to the batch, growing the previous buffer when they follow it in memory. */
static void pb_srv_push(struct pb_srv_conn *c, char *base, size_t len)
{
    uv_buf_t *last = c->nbufs ? &c->bufs[c->nbufs - 1] : NULL;

    if (len == 0)
        return;
    if (last && last->base + last->len == base) {
        last->len += len;
        return;
    }
    c->bufs[c->nbufs++] = uv_buf_init(base, (unsigned)len);
}

static int pb_srv_batch_full(const struct pb_srv_conn *c)
{
    return c->nbufs + 2 > PB_SRV_BUFS || c->hdr_len + PB_SRV_HDR_RESERVE > PB_SRV_HDR_CAP;
}

static void pb_srv_resp_done(struct pb_srv_conn *c)
{
    if (c->resp_counted)
        c->batch_done++;
    if (c->resp_close)
        c->flags |= PB_C_LAST;
}

static int pb_srv_stats_json(const struct pb_srv_stats *st, char *buf, size_t len)
{
    return snprintf(buf, len,
                    "{\"requests\":%llu,\"in_flight\":%llu,\"in_flight_max\":%llu,"
                    "\"connections\":%llu,\"connections_max\":%llu,"
                    "\"connections_accepted\":%llu}\n",
                    (unsigned long long)st->requests, (unsigned long long)st->in_flight,
                    (unsigned long long)st->in_flight_max, (unsigned long long)st->connections,
                    (unsigned long long)st->connections_max, (unsigned long long)st->accepted);
}

/* Queues the header (and a control body) of r; a pattern body follows through
 * pb_srv_add_body. The caller made sure the batch has room. */
static void pb_srv_respond(struct pb_srv_conn *c, const struct pb_srv_req *r, int counted)
{
    struct pb_srv *s = c->srv;
    char *h = c->hdr + c->hdr_len, *d = h;
    char json[256];
    int jlen = 0;
    uint64_t size = r->size;

    if (r->control) {
        jlen = pb_srv_stats_json(&s->st, json, sizeof(json));
        if (jlen < 0 || (size_t)jlen >= sizeof(json))
            jlen = 0;
        size = (uint64_t)jlen;
        if (r->control == PB_CTL_RESET) {
            s->st.requests = 0;
            s->st.accepted = 0;
            s->st.in_flight_max = s->st.in_flight;
            s->st.connections_max = s->st.connections;
        }
    }
    d = pb_srv_put(d, "HTTP/1.1 ");
    d = pb_srv_put_u64(d, (uint64_t)r->status);
    *d++ = ' ';
    d = pb_srv_put(d, pb_srv_reason(r->status));
    d = pb_srv_put(d, r->control ? "\r\nContent-Type: application/json\r\n"
                                 : "\r\nContent-Type: application/octet-stream\r\n");
    if (r->status != 204) {
        d = pb_srv_put(d, "Content-Length: ");
        d = pb_srv_put_u64(d, size);
        d = pb_srv_put(d, "\r\n");
    }
    if (r->status == 405)
        d = pb_srv_put(d, "Allow: GET, HEAD\r\n");
    if (!r->keep_alive)
        d = pb_srv_put(d, "Connection: close\r\n");
    else if (r->http10)
        d = pb_srv_put(d, "Connection: keep-alive\r\n");
    d = pb_srv_put(d, "\r\n");
    if (r->control && !r->head) {
        memcpy(d, json, (size_t)jlen);
        d += jlen;
    }
    c->hdr_len += (size_t)(d - h);
    pb_srv_push(c, h, (size_t)(d - h));

    c->resp_counted = (unsigned char)counted;
    c->resp_close = !r->keep_alive;
    c->body_off = 0;
    c->body_left = (r->control || r->head || r->status == 204 || r->status == 304) ? 0 : size;
    if (c->body_left == 0)
        pb_srv_resp_done(c);
}

/* Adds slices of the shared pattern buffer for the body being sent, as many as fit. */
static void pb_srv_add_body(struct pb_srv_conn *c)
{
    while (c->body_left > 0 && c->nbufs < PB_SRV_BUFS) {
        size_t n = c->body_left < PB_SRV_CHUNK ? (size_t)c->body_left : PB_SRV_CHUNK;
        c->bufs[c->nbufs++] = uv_buf_init(c->srv->body + c->body_off % 26, (unsigned)n);
        c->body_off += n;
        c->body_left -= n;
    }
    if (c->body_left == 0)
        pb_srv_resp_done(c);
}

/* ---- connections ---- */

static void pb_srv_on_conn_closed(uv_handle_t *h)
{
    struct pb_srv_conn *c = h->data;

    if (--c->handles == 0)
        free(c);
}

static void pb_srv_conn_close(struct pb_srv_conn *c)
{
    struct pb_srv *s = c->srv;

    if (c->flags & PB_C_CLOSING)
        return;
    c->flags |= PB_C_CLOSING;
    s->st.in_flight -= c->inflight;
    c->inflight = 0;
    s->st.connections--;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    uv_close((uv_handle_t *)&c->tcp, pb_srv_on_conn_closed);
    uv_close((uv_handle_t *)&c->timer, pb_srv_on_conn_closed);
}

static void pb_srv_batch_done(struct pb_srv_conn *c)
{
    c->srv->st.in_flight -= c->batch_done;
    c->inflight -= c->batch_done;
    c->batch_done = 0;
    c->nbufs = 0;
    c->hdr_len = 0;
}

static void pb_srv_on_write(uv_write_t *req, int status)
{
    struct pb_srv_conn *c = PB_SRV_CONN_OF(req, wreq);

    if (c->flags & PB_C_CLOSING)
        return;
    c->flags &= ~(unsigned)PB_C_WRITING;
    if (status < 0) {
        pb_srv_conn_close(c);
        return;
    }
    pb_srv_batch_done(c);
    pb_srv_conn_run(c);
}

/* Writes the batch: synchronously when the socket takes it all (the common case, with no
 * request object or callback), else the rest through uv_write. -1 when the connection closed. */
static int pb_srv_flush(struct pb_srv_conn *c)
{
    size_t left;
    unsigned i = 0;
    int n;

    if (c->nbufs == 0)
        return 0;
    n = uv_try_write((uv_stream_t *)&c->tcp, c->bufs, c->nbufs);
    if (n < 0 && n != UV_EAGAIN) {
        pb_srv_conn_close(c);
        return -1;
    }
    left = n < 0 ? 0 : (size_t)n;
    while (i < c->nbufs && left >= c->bufs[i].len)
        left -= c->bufs[i++].len;
    if (i == c->nbufs) {
        pb_srv_batch_done(c);
        return 0;
    }
    c->bufs[i].base += left;
    c->bufs[i].len -= left;
    if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, c->bufs + i, c->nbufs - i, pb_srv_on_write)) {
        pb_srv_conn_close(c);
        return -1;
    }
    c->flags |= PB_C_WRITING;
    return 0;
}

static void pb_srv_on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct pb_srv_conn *c = h->data;

    if (c->flags & PB_C_LINGER)
        *buf = uv_buf_init(c->in, PB_SRV_IN_CAP);
    else
        *buf = uv_buf_init(c->in + c->in_end, (unsigned)(PB_SRV_IN_CAP - c->in_end));
}

static void pb_srv_on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    struct pb_srv_conn *c = st->data;

    if (c->flags & PB_C_CLOSING)
        return;
    if (nread > 0) {
        if (!(c->flags & PB_C_LINGER)) {
            c->in_end += (size_t)nread;
            pb_srv_conn_run(c);
        }
        return;
    }
    if (nread == 0)
        return;
    if (nread == UV_EOF && !(c->flags & PB_C_LINGER)) {
        /* the peer may half-close and still wait for answers to what it sent */
        c->flags |= PB_C_EOF;
        pb_srv_conn_run(c);
        return;
    }
    pb_srv_conn_close(c);
}

/* Reads while there is room and a reason to; a full buffer behind a pending answer is the
 * backpressure that keeps a pipelining client from growing it. */
static void pb_srv_want_read(struct pb_srv_conn *c)
{
    int want = !(c->flags & (PB_C_CLOSING | PB_C_EOF)) &&
               ((c->flags & PB_C_LINGER) || c->in_end < PB_SRV_IN_CAP);

    if (want && !(c->flags & PB_C_READING)) {
        if (uv_read_start((uv_stream_t *)&c->tcp, pb_srv_on_alloc, pb_srv_on_read)) {
            pb_srv_conn_close(c);
            return;
        }
        c->flags |= PB_C_READING;
    } else if (!want && (c->flags & PB_C_READING)) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->flags &= ~(unsigned)PB_C_READING;
    }
}

static void pb_srv_on_linger(uv_timer_t *t)
{
    pb_srv_conn_close(t->data);
}

static void pb_srv_on_shutdown(uv_shutdown_t *req, int status)
{
    struct pb_srv_conn *c = PB_SRV_CONN_OF(req, sreq);

    if (status < 0 && !(c->flags & PB_C_CLOSING))
        pb_srv_conn_close(c);
}

/* Ends the connection after a closing response: send FIN, then drain what the peer still sends
 * until it closes (or the linger time passes), so a close never turns into a reset that could
 * destroy the answer before the peer reads it. */
static void pb_srv_linger(struct pb_srv_conn *c)
{
    if (c->flags & PB_C_EOF) {
        pb_srv_conn_close(c);
        return;
    }
    c->flags |= PB_C_LINGER;
    if (uv_shutdown(&c->sreq, (uv_stream_t *)&c->tcp, pb_srv_on_shutdown) ||
        uv_timer_start(&c->timer, pb_srv_on_linger, PB_SRV_LINGER_MS, 0)) {
        pb_srv_conn_close(c);
        return;
    }
    pb_srv_want_read(c);
}

static void pb_srv_on_delay(uv_timer_t *t)
{
    struct pb_srv_conn *c = t->data;

    c->pend = PB_PEND_READY;
    pb_srv_conn_run(c);
}

static void pb_srv_count_request(struct pb_srv_conn *c)
{
    struct pb_srv_stats *st = &c->srv->st;

    st->requests++;
    if (++st->in_flight > st->in_flight_max)
        st->in_flight_max = st->in_flight;
    c->inflight++;
}

/* Takes the next request from the input: answers it, schedules it, or answers an error. 1 when
 * one was taken, 0 when more input is needed, -1 when the connection was closed. */
static int pb_srv_next_request(struct pb_srv_conn *c)
{
    struct pb_srv_req r;
    size_t end, skip = 0, len;
    const char *p;
    int rc;

    /* RFC 9112 asks servers to ignore empty lines before a request-line */
    while (c->in_start + skip < c->in_end &&
           (c->in[c->in_start + skip] == '\r' || c->in[c->in_start + skip] == '\n'))
        skip++;
    c->in_start += skip;
    c->scanned = c->scanned > skip ? c->scanned - skip : 0;
    p = c->in + c->in_start;
    len = c->in_end - c->in_start;
    if (!pb_srv_find_end(p, len, &c->scanned, &end)) {
        if (len <= PB_SRV_HEAD_MAX)
            return 0;
        rc = -400;
    } else if (end > PB_SRV_HEAD_MAX) {
        rc = -400;
    } else {
        rc = pb_srv_parse_head(p, end, &r);
        c->in_start += end;
        c->scanned = 0;
    }
    if (rc < 0) {
        memset(&r, 0, sizeof(r));
        r.status = -rc;
        c->in_start = c->in_end;
        c->scanned = 0;
    }
    if (r.control) {
        pb_srv_respond(c, &r, 0);
        return 1;
    }
    pb_srv_count_request(c);
    if (r.close_now) {
        pb_srv_conn_close(c);
        return -1;
    }
    if (r.delay_ms > 0) {
        c->cur = r;
        c->pend = PB_PEND_TIMER;
        c->timer.data = c;
        if (uv_timer_start(&c->timer, pb_srv_on_delay, r.delay_ms, 0)) {
            pb_srv_conn_close(c);
            return -1;
        }
        return 1;
    }
    pb_srv_respond(c, &r, 1);
    return 1;
}

/* Moves the connection as far as it can go: answers complete requests in order, one delayed
 * request at a time, batching answers into one write, then decides on reading and closing. */
static void pb_srv_conn_run(struct pb_srv_conn *c)
{
    if (c->flags & (PB_C_CLOSING | PB_C_LINGER))
        return;
    for (;;) {
        if (c->flags & PB_C_WRITING)
            break;
        if (c->body_left > 0) {
            pb_srv_add_body(c);
            if (c->body_left > 0) {
                if (pb_srv_flush(c) < 0)
                    return;
                continue;
            }
        }
        if (c->pend == PB_PEND_TIMER)
            break;
        if (c->flags & PB_C_LAST)
            break;
        if (pb_srv_batch_full(c)) {
            if (pb_srv_flush(c) < 0)
                return;
            continue;
        }
        if (c->pend == PB_PEND_READY) {
            c->pend = PB_PEND_NONE;
            pb_srv_respond(c, &c->cur, 1);
            continue;
        }
        if ((c->flags & PB_C_EOF) && c->in_start == c->in_end)
            break;
        int rc = pb_srv_next_request(c);
        if (rc < 0)
            return;
        if (rc == 0)
            break;
    }
    if (!(c->flags & PB_C_WRITING) && pb_srv_flush(c) < 0)
        return;
    if (!(c->flags & PB_C_WRITING)) {
        if (c->flags & PB_C_LAST) {
            pb_srv_linger(c);
            return;
        }
        if ((c->flags & PB_C_EOF) && c->pend == PB_PEND_NONE && c->body_left == 0) {
            pb_srv_conn_close(c);
            return;
        }
    }
    if (c->in_start == c->in_end) {
        c->in_start = c->in_end = 0;
        c->scanned = 0;
    } else if (c->in_start > 0 && c->in_end > PB_SRV_IN_CAP / 2) {
        memmove(c->in, c->in + c->in_start, c->in_end - c->in_start);
        c->in_end -= c->in_start;
        c->in_start = 0;
    }
    pb_srv_want_read(c);
}

static void pb_srv_on_connection(uv_stream_t *server, int status)
{
    struct pb_srv *s = server->data;
    struct pb_srv_conn *c;

    /* EMFILE and friends: libuv already sheds the pending connection; keep serving others */
    if (status < 0 || s->stopping)
        return;
    c = malloc(sizeof(*c));
    if (!c)
        return;
    memset(c, 0, offsetof(struct pb_srv_conn, bufs));
    c->srv = s;
    c->nbufs = 0;
    c->hdr_len = 0;
    uv_tcp_init(&s->loop, &c->tcp);
    uv_timer_init(&s->loop, &c->timer);
    c->tcp.data = c;
    c->timer.data = c;
    c->handles = 2;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->st.accepted++;
    if (++s->st.connections > s->st.connections_max)
        s->st.connections_max = s->st.connections;
    if (uv_accept(server, (uv_stream_t *)&c->tcp)) {
        pb_srv_conn_close(c);
        return;
    }
    /* answers are written whole; Nagle would only hold back the last segment */
    uv_tcp_nodelay(&c->tcp, 1);
    pb_srv_want_read(c);
}

/* ---- the server ---- */

static void pb_srv_stop(struct pb_srv *s)
{
    if (s->stopping)
        return;
    s->stopping = 1;
    if (s->listener_ready)
        uv_close((uv_handle_t *)&s->listener, NULL);
    if (s->signals_ready) {
        uv_close((uv_handle_t *)&s->sigterm, NULL);
        uv_close((uv_handle_t *)&s->sigint, NULL);
    }
    while (s->conns)
        pb_srv_conn_close(s->conns);
}

static void pb_srv_on_signal(uv_signal_t *h, int signum)
{
    pb_srv_stop(h->data);
}

static void pb_srv_destroy(struct pb_srv *s)
{
    if (!s)
        return;
    if (s->loop_ready) {
        pb_srv_stop(s);
        /* the close callbacks free the connections */
        uv_run(&s->loop, UV_RUN_DEFAULT);
        uv_loop_close(&s->loop);
    }
    free(s->body);
    free(s);
}

static int pb_srv_create(const struct pb_srv_opts *o, struct pb_srv **out, struct pb_err *err)
{
    struct pb_srv *s;
    struct sockaddr_storage addr;
    struct sockaddr_storage bound;
    int blen = sizeof(bound);
    int rc;

    *out = NULL;
    s = calloc(1, sizeof(*s));
    if (!s)
        return pb_err_set(err, -ENOMEM, "out of memory");
    s->body = malloc(PB_SRV_CHUNK + 26);
    if (!s->body) {
        rc = pb_err_set(err, -ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < PB_SRV_CHUNK + 26; i++)
        s->body[i] = (char)('a' + i % 26);

    if (uv_ip4_addr(o->host, o->port, (struct sockaddr_in *)&addr) &&
        uv_ip6_addr(o->host, o->port, (struct sockaddr_in6 *)&addr)) {
        rc = pb_err_set(err, -EINVAL, "--host %s is not an IP address", o->host);
        goto out;
    }
    rc = uv_loop_init(&s->loop);
    if (rc) {
        rc = pb_err_set(err, rc, "cannot start the loop: %s", uv_strerror(rc));
        goto out;
    }
    s->loop_ready = 1;
    uv_tcp_init(&s->loop, &s->listener);
    s->listener.data = s;
    s->listener_ready = 1;
    rc = uv_tcp_bind(&s->listener, (const struct sockaddr *)&addr, 0);
    if (!rc)
        rc = uv_listen((uv_stream_t *)&s->listener, PB_SRV_BACKLOG, pb_srv_on_connection);
    if (!rc)
        rc = uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &blen);
    if (rc) {
        rc = pb_err_set(err, rc, "cannot listen on %s port %d: %s", o->host, o->port,
                        uv_strerror(rc));
        goto out;
    }
    uv_signal_init(&s->loop, &s->sigterm);
    uv_signal_init(&s->loop, &s->sigint);
    s->sigterm.data = s;
    s->sigint.data = s;
    s->signals_ready = 1;
    rc = uv_signal_start(&s->sigterm, pb_srv_on_signal, SIGTERM);
    if (!rc)
        rc = uv_signal_start(&s->sigint, pb_srv_on_signal, SIGINT);
    if (rc) {
        rc = pb_err_set(err, rc, "cannot handle signals: %s", uv_strerror(rc));
        goto out;
    }
    printf("port %d\n",
           ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                             : ((struct sockaddr_in *)&bound)->sin_port));
    fflush(stdout);
    *out = s;
    return 0;
out:
    pb_srv_destroy(s);
    return rc;
}

static int pb_srv_parse_int(const char *text, long lo, long hi, long *out)
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

/* 0 with o filled, 1 for --help, -EINVAL with err naming the problem. */
static int pb_srv_parse_args(int argc, char **argv, struct pb_srv_opts *o, struct pb_err *err)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        const char *eq = strchr(a, '=');
        size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
        long n;

        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
            return 1;
        if (strncmp(a, "--host", nlen) != 0 && strncmp(a, "--port", nlen) != 0 &&
            strncmp(a, "--pin", nlen) != 0)
            return pb_err_set(err, -EINVAL, "unknown option %s", a);
        if (nlen < 5)
            return pb_err_set(err, -EINVAL, "unknown option %s", a);
        if (eq)
            v = eq + 1;
        else if (i + 1 < argc)
            v = argv[++i];
        else
            return pb_err_set(err, -EINVAL, "%s needs a value", a);
        if (strncmp(a, "--host", nlen) == 0 && nlen == 6) {
            o->host = v;
        } else if (strncmp(a, "--port", nlen) == 0 && nlen == 6) {
            if (pb_srv_parse_int(v, 0, 65535, &n))
                return pb_err_set(err, -EINVAL, "--port %s: expected 0 to 65535", v);
            o->port = (int)n;
        } else if (strncmp(a, "--pin", nlen) == 0 && nlen == 5) {
            if (pb_srv_parse_int(v, 0, CPU_SETSIZE - 1, &n))
                return pb_err_set(err, -EINVAL, "--pin %s: expected a CPU number", v);
            o->pin = (int)n;
        } else {
            return pb_err_set(err, -EINVAL, "unknown option %.*s", (int)nlen, a);
        }
    }
    return 0;
}

int pb_cmd_serve(int argc, char **argv)
{
    struct pb_srv_opts o = {.host = "127.0.0.1", .port = PB_SRV_PORT, .pin = -1};
    struct pb_srv *s = NULL;
    struct pb_err err = {{0}};
    struct rlimit rl;
    struct sigaction sa;
    int rc;

    rc = pb_srv_parse_args(argc, argv, &o, &err);
    if (rc == 1) {
        printf("usage: parbench serve [--host 127.0.0.1] [--port %d] [--pin CPU]\n"
               "  an HTTP/1.1 target; the query selects the answer:\n"
               "  delay_ms=D size=B status=S close=1; GET /__stats, GET /__reset\n",
               PB_SRV_PORT);
        return PB_EXIT_OK;
    }
    if (rc < 0) {
        fprintf(stderr, "parbench serve: %s\n", err.msg);
        return PB_EXIT_USAGE;
    }
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

    rc = pb_srv_create(&o, &s, &err);
    if (rc < 0) {
        fprintf(stderr, "parbench serve: %s\n", err.msg);
        return PB_EXIT_ENV;
    }
    uv_run(&s->loop, UV_RUN_DEFAULT);
    pb_srv_destroy(s);
    return PB_EXIT_OK;
}

/* ---- the driver side ---- */

#define PB_TARGET_START_MS 5000
#define PB_TARGET_STOP_MS  2000

struct pb_target {
    pid_t pid;
    int port;
    int running;
    int stop_rc;
    double user_s, sys_s;
    char url[64];
};

static int pb_target_ms_left(uint64_t deadline_ns)
{
    uint64_t now = pb_now_ns();

    return now >= deadline_ns ? 0 : (int)((deadline_ns - now + 999999) / 1000000);
}

/* Kills a child that failed to start and reaps it; describes how it ended into buf. */
static void pb_target_reap(pid_t pid, int kill_it, char *buf, size_t len)
{
    int status = 0;
    pid_t r;

    if (kill_it)
        kill(pid, SIGKILL);
    do
        r = waitpid(pid, &status, 0);
    while (r < 0 && errno == EINTR);
    if (r != pid)
        snprintf(buf, len, "lost track of it");
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        snprintf(buf, len, "could not run it");
    else if (WIFEXITED(status))
        snprintf(buf, len, "it exited with status %d", WEXITSTATUS(status));
    else
        snprintf(buf, len, "it was killed by signal %d", WTERMSIG(status));
}

/* Reads the "port N" line within the deadline; the port, 0 at end of file, or -ETIMEDOUT. */
static int pb_target_read_port(int fd, uint64_t deadline_ns)
{
    char line[64];
    size_t len = 0;

    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int ms = pb_target_ms_left(deadline_ns), n;
        ssize_t got;
        long port;
        char *nl;

        if (ms == 0)
            return -ETIMEDOUT;
        n = poll(&pfd, 1, ms);
        if (n < 0 && errno != EINTR)
            return -errno;
        if (n <= 0)
            continue;
        got = read(fd, line + len, sizeof(line) - 1 - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return 0;
        len += (size_t)got;
        line[len] = '\0';
        nl = strchr(line, '\n');
        if (!nl) {
            if (len == sizeof(line) - 1)
                return -EPROTO;
            continue;
        }
        *nl = '\0';
        if (strncmp(line, "port ", 5) || pb_srv_parse_int(line + 5, 1, 65535, &port))
            return -EPROTO;
        return (int)port;
    }
}

/* One connection to prove the target accepts; 0 or -errno. */
static int pb_target_probe(int port, uint64_t deadline_ns)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int fd, rc = 0, soerr = 0;
    socklen_t slen = sizeof(soerr);

    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
        goto out;
    if (errno != EINPROGRESS) {
        rc = -errno;
        goto out;
    }
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        int ms = pb_target_ms_left(deadline_ns), n;

        if (ms == 0) {
            rc = -ETIMEDOUT;
            goto out;
        }
        n = poll(&pfd, 1, ms);
        if (n < 0 && errno != EINTR) {
            rc = -errno;
            goto out;
        }
        if (n > 0)
            break;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen))
        rc = -errno;
    else
        rc = -soerr;
out:
    close(fd);
    return rc;
}

int pb_target_spawn(const char *self_exe, int pin_cpu, struct pb_target **out, struct pb_err *err)
{
    struct pb_target *t = NULL;
    int fds[2] = {-1, -1};
    char pin[16], how[64];
    char *argv[7];
    int argc = 0, rc, port;
    pid_t parent = getpid(), pid;
    sigset_t all, old;
    uint64_t deadline = pb_now_ns() + (uint64_t)PB_TARGET_START_MS * 1000000u;

    *out = NULL;
    t = calloc(1, sizeof(*t));
    if (!t)
        return pb_err_set(err, -ENOMEM, "embedded HTTP target did not start: out of memory");
    t->pid = -1;
    if (pipe2(fds, O_CLOEXEC)) {
        rc = pb_err_set(err, -errno, "embedded HTTP target did not start: pipe: %s",
                        strerror(errno));
        goto out;
    }
    argv[argc++] = (char *)self_exe;
    argv[argc++] = "serve";
    argv[argc++] = "--port";
    argv[argc++] = "0";
    if (pin_cpu >= 0) {
        snprintf(pin, sizeof(pin), "%d", pin_cpu);
        argv[argc++] = "--pin";
        argv[argc++] = pin;
    }
    argv[argc] = NULL;

    /* no handler of ours may run in the child between fork and exec */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid = fork();
    if (pid == 0) {
        struct sigaction sa;
        sigset_t none;

        /* dies with us, even by SIGKILL; and is no part of our terminal's process group, so
         * that ^C reaches only the driver, which stops it in order */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        setpgid(0, 0);
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = SIG_DFL;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGPIPE, &sa, NULL);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (fds[1] == STDOUT_FILENO)
            fcntl(fds[1], F_SETFD, 0);
        else if (dup2(fds[1], STDOUT_FILENO) < 0)
            _exit(127);
        /* the driver's other descriptors (sockets, pipes, the result file) are not its */
        close_range(3, ~0u, 0);
        execv(self_exe, argv);
        _exit(127);
    }
    rc = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (pid < 0) {
        rc = pb_err_set(err, -rc, "embedded HTTP target did not start: fork: %s", strerror(rc));
        goto out;
    }
    t->pid = pid;
    t->running = 1;
    close(fds[1]);
    fds[1] = -1;

    port = pb_target_read_port(fds[0], deadline);
    if (port <= 0) {
        pb_target_reap(pid, port != 0, how, sizeof(how));
        t->running = 0;
        if (port == -ETIMEDOUT)
            rc = pb_err_set(err, -ETIMEDOUT,
                            "embedded HTTP target did not start: no port within %d s (%s %s)",
                            PB_TARGET_START_MS / 1000, self_exe, how);
        else
            rc =
                pb_err_set(err, -ECHILD, "embedded HTTP target did not start: %s %s (%s)", self_exe,
                           port == 0 ? "gave no port" : "printed no valid port line", how);
        goto out;
    }
    rc = pb_target_probe(port, deadline);
    if (rc < 0) {
        pb_target_reap(pid, 1, how, sizeof(how));
        t->running = 0;
        rc = pb_err_set(err, rc, "embedded HTTP target did not start: connect to port %d: %s", port,
                        strerror(-rc));
        goto out;
    }
    t->port = port;
    snprintf(t->url, sizeof(t->url), "http://127.0.0.1:%d/", port);
    *out = t;
    t = NULL;
    rc = 0;
out:
    if (fds[0] >= 0)
        close(fds[0]);
    if (fds[1] >= 0)
        close(fds[1]);
    pb_target_destroy(t);
    return rc;
}

const char *pb_target_url(const struct pb_target *t)
{
    return t->url;
}

int pb_target_port(const struct pb_target *t)
{
    return t->port;
}

int pb_target_pid(const struct pb_target *t)
{
    return (int)t->pid;
}

int pb_target_stop(struct pb_target *t, double *user_s, double *sys_s)
{
    struct rusage ru = {0};
    struct timespec step = {0, 1000000};
    uint64_t deadline;
    int status = 0, killed = 0;
    pid_t r;

    if (t->running) {
        deadline = pb_now_ns() + (uint64_t)PB_TARGET_STOP_MS * 1000000u;
        kill(t->pid, SIGTERM);
        for (;;) {
            r = wait4(t->pid, &status, killed ? 0 : WNOHANG, &ru);
            if (r == t->pid)
                break;
            if (r < 0 && errno != EINTR) {
                memset(&ru, 0, sizeof(ru));
                status = -1;
                break;
            }
            if (r < 0 || killed)
                continue;
            if (pb_now_ns() >= deadline) {
                kill(t->pid, SIGKILL);
                killed = 1;
                continue;
            }
            nanosleep(&step, NULL);
            /* a target stops in about a millisecond; back off only if it does not */
            if (step.tv_nsec < 20000000)
                step.tv_nsec *= 2;
        }
        t->running = 0;
        t->user_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
        t->sys_s = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
        if (killed)
            t->stop_rc = -ETIMEDOUT;
        else if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
            t->stop_rc = 0;
        else
            t->stop_rc = -ECHILD;
    }
    if (user_s)
        *user_s = t->user_s;
    if (sys_s)
        *sys_s = t->sys_s;
    return t->stop_rc;
}

void pb_target_destroy(struct pb_target *t)
{
    if (!t)
        return;
    if (t->running)
        pb_target_stop(t, NULL, NULL);
    free(t);
}
