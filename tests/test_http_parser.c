/* Unit tests of the embedded target's request parser: what it takes from a head, that a head fed
 * a byte at a time parses as the whole one does, and each kind of error, decided as early as it
 * can be. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixtures/http_parser.h"

/* The whole buffer at once. */
static long parse(const char *s, size_t len, struct pb_http_req *r)
{
    struct pb_http_parser p = {0};
    return pb_http_parse(&p, s, len, r);
}

static long parse_str(const char *s, struct pb_http_req *r)
{
    return parse(s, strlen(s), r);
}

/* The buffer as it would arrive a byte at a time: the first answer that is not "more", and in
 * *at the length it came at (len when none came). */
static long parse_bytewise(const char *s, size_t len, struct pb_http_req *r, size_t *at)
{
    struct pb_http_parser p = {0};
    long rc = 0;
    size_t k;

    for (k = 1; k <= len; k++) {
        rc = pb_http_parse(&p, s, k, r);
        if (rc != 0)
            break;
    }
    *at = k > len ? len : k;
    return rc;
}

/* A valid request parses the same way at once and a byte at a time, complete exactly when its
 * last byte is in; returns its length. */
static long parse_ok(const char *s, struct pb_http_req *r)
{
    struct pb_http_req r2;
    size_t len = strlen(s), at;
    long n = parse(s, len, r);

    assert_int_equal(n, (long)len);
    assert_int_equal(parse_bytewise(s, len, &r2, &at), n);
    assert_int_equal(at, len);
    assert_memory_equal(r, &r2, sizeof(r2));
    return n;
}

/* An error, the same at once and a byte at a time; the latter decided by byte `by` (0: only at
 * the end). */
static void parse_err(const char *s, size_t len, long want, size_t by)
{
    struct pb_http_req r;
    size_t at;

    assert_int_equal(parse(s, len, &r), want);
    assert_int_equal(parse_bytewise(s, len, &r, &at), want);
    if (by)
        assert_int_equal(at, by);
}

static void parse_err_str(const char *s, long want)
{
    parse_err(s, strlen(s), want, 0);
}

/* For literals holding NUL bytes. */
#define PARSE_ERR_LIT(s, want, by) parse_err(s, sizeof(s) - 1, want, by)

static void test_simple_get(void **state)
{
    struct pb_http_req r;

    parse_ok("GET / HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.size, 0);
    assert_int_equal(r.delay_ms, 0);
    assert_false(r.head);
    assert_int_equal(r.minor, 1);
    assert_true(r.keep_alive);
    assert_false(r.close_now);
    assert_int_equal(r.control, PB_HTTP_CTL_NONE);

    /* bare LF line ends, no headers at all */
    parse_ok("HEAD /x HTTP/1.1\n\n", &r);
    assert_true(r.head);
    assert_true(r.keep_alive);
}

static void test_keep_alive(void **state)
{
    struct pb_http_req r;

    parse_ok("GET / HTTP/1.0\r\n\r\n", &r);
    assert_int_equal(r.minor, 0);
    assert_false(r.keep_alive);
    parse_ok("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &r);
    assert_true(r.keep_alive);
    parse_ok("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", &r);
    assert_false(r.keep_alive);
    parse_ok("GET / HTTP/1.1\r\nConnection: Upgrade ,\t close \r\n\r\n", &r);
    assert_false(r.keep_alive);
    parse_ok("GET / HTTP/1.1\r\nConnection: closed\r\n\r\n", &r);
    assert_true(r.keep_alive);
}

static void test_query(void **state)
{
    struct pb_http_req r;

    parse_ok("GET /a/b?size=123&delay_ms=45&status=503&other=x&close=0 HTTP/1.1\r\n\r\n", &r);
    assert_int_equal(r.size, 123);
    assert_int_equal(r.delay_ms, 45);
    assert_int_equal(r.status, 503);
    assert_false(r.close_now);
    parse_ok("GET /?close=1 HTTP/1.1\r\n\r\n", &r);
    assert_true(r.close_now);
    /* keys case-insensitively, the last one wins, a fragment is no query */
    parse_ok("GET /?SIZE=1&size=2#size=3 HTTP/1.1\r\n\r\n", &r);
    assert_int_equal(r.size, 2);
    /* leading zeros and the largest values */
    parse_ok("GET /?size=000000000000000000000000001099511627776&delay_ms=3600000 HTTP/1.1\r\n\r\n",
             &r);
    assert_int_equal(r.size, PB_HTTP_SIZE_MAX);
    assert_int_equal(r.delay_ms, PB_HTTP_DELAY_MAX);
    parse_ok("GET /?status=200&status=599 HTTP/1.1\r\n\r\n", &r);
    assert_int_equal(r.status, 599);
    /* absolute-form: the path after the authority */
    parse_ok("GET http://example.com:80/__stats?x=1 HTTP/1.1\r\n\r\n", &r);
    assert_int_equal(r.control, PB_HTTP_CTL_STATS);
    parse_ok("GET HTTPS://h?size=7 HTTP/1.1\r\n\r\n", &r);
    assert_int_equal(r.size, 7);
    parse_ok("GET http:// HTTP/1.1\r\n\r\n", &r);
    assert_int_equal(r.control, PB_HTTP_CTL_NONE);
    parse_ok("GET /__RESET HTTP/1.1\r\n\r\n", &r);
    assert_int_equal(r.control, PB_HTTP_CTL_RESET);
    parse_ok("GET /__stats/x HTTP/1.1\r\n\r\n", &r);
    assert_int_equal(r.control, PB_HTTP_CTL_NONE);
}

static void test_bad_query(void **state)
{
    static const char *const bad[] = {
        "size=abc",
        "size=",
        "size=-1",
        "size=%31",
        "size=1099511627777",
        "size=99999999999999999999999",
        "size=18446744073709551616",
        "delay_ms=3600001",
        "status=199",
        "status=600",
        "status=5000000000000000000000",
        "close=2",
        /* one digit above the largest: once read as 5 <= 1 through an unsigned underflow */
        "close=5",
        "close=11",
    };
    char req[256];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(req, sizeof(req), "GET /?%s HTTP/1.1\r\n\r\n", bad[i]);
        parse_err_str(req, -PB_HTTP_E_BAD_REQUEST);
    }
}

static void test_empty_lines_and_pipelining(void **state)
{
    const char *two = "\r\n\nGET /?size=1 HTTP/1.1\r\n\r\nHEAD /?size=2 HTTP/1.0\r\n\r\nGET";
    struct pb_http_req r;
    struct pb_http_parser p = {0};
    size_t len = strlen(two), first = strlen("\r\n\nGET /?size=1 HTTP/1.1\r\n\r\n");
    long n;

    /* empty lines before a request are skipped and counted in its length */
    n = pb_http_parse(&p, two, len, &r);
    assert_int_equal(n, (long)first);
    assert_int_equal(r.size, 1);
    memset(&p, 0, sizeof(p));
    n = pb_http_parse(&p, two + first, len - first, &r);
    assert_int_equal(n, (long)strlen("HEAD /?size=2 HTTP/1.0\r\n\r\n"));
    assert_true(r.head);
    assert_int_equal(r.size, 2);
    memset(&p, 0, sizeof(p));
    assert_int_equal(pb_http_parse(&p, two + first + n, 3, &r), 0);

    /* only empty lines: more is needed, up to the limit */
    assert_int_equal(parse_str("\r\n\r\n\n", &r), 0);
    assert_int_equal(parse_str("\r", &r), 0);
}

static void test_incomplete(void **state)
{
    const char *req = "GET /?size=5 HTTP/1.1\r\nHost: t\r\nConnection: keep-alive\r\n\r\n";
    struct pb_http_req r;

    /* every proper prefix, on a fresh parser, needs more */
    for (size_t k = 0; k < strlen(req); k++)
        assert_int_equal(parse(req, k, &r), 0);
    parse_ok(req, &r);
    assert_int_equal(r.size, 5);
}

static void test_bare_cr(void **state)
{
    /* no LF ever comes: once answered by nothing at all */
    PARSE_ERR_LIT("GET / HTTP/1.1\r\r\r\r", -PB_HTTP_E_BAD_REQUEST, 16);
    PARSE_ERR_LIT("\r\r\n", -PB_HTTP_E_BAD_REQUEST, 2);
    PARSE_ERR_LIT("\r\nGET / HTTP/1.1\r\nA: b\rc", -PB_HTTP_E_BAD_REQUEST, 24);
    parse_err_str("GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", -PB_HTTP_E_BAD_REQUEST);
    parse_err_str("GET / HTTP/1.1\r\r\n\r\n", -PB_HTTP_E_BAD_REQUEST);
    parse_err_str("GET / HTTP/1.1\r\nA: b\r\r\n\r\n", -PB_HTTP_E_BAD_REQUEST);
    parse_err_str("GET / HTTP/1.1\r\n\r\r\n", -PB_HTTP_E_BAD_REQUEST);
    parse_err_str("GET /\r HTTP/1.1\r\n\r\n", -PB_HTTP_E_BAD_REQUEST);
    /* a CR as the last byte is not yet bare */
    struct pb_http_req r;
    assert_int_equal(parse_str("GET / HTTP/1.1\r", &r), 0);
    assert_int_equal(parse_str("GET / HTTP/1.1\r\nA: b\r\n\r", &r), 0);
}

static void test_version(void **state)
{
    parse_err_str("GET / HTTP/1.9\r\n\r\n", -PB_HTTP_E_VERSION);
    parse_err_str("GET / HTTP/1.2\r\n\r\n", -PB_HTTP_E_VERSION);
    parse_err_str("GET / HTTP/2.0\r\n\r\n", -PB_HTTP_E_VERSION);
    parse_err_str("GET / HTTP/9.9\r\n\r\n", -PB_HTTP_E_VERSION);
    parse_err_str("GET / HTTP/0.9\r\n\r\n", -PB_HTTP_E_VERSION);
    parse_err_str("GET / HTTP/1.10\r\n\r\n", -PB_HTTP_E_BAD_REQUEST);
    parse_err_str("GET / HTTP/1\r\n\r\n", -PB_HTTP_E_BAD_REQUEST);
    parse_err_str("GET / HTTP/2\r\n\r\n", -PB_HTTP_E_BAD_REQUEST);
    parse_err_str("GET / http/1.1\r\n\r\n", -PB_HTTP_E_BAD_REQUEST);
    parse_err_str("GET / HTTP/a.b\r\n\r\n", -PB_HTTP_E_BAD_REQUEST);
    parse_err_str("GET / HTTP/1,1\r\n\r\n", -PB_HTTP_E_BAD_REQUEST);
    parse_err_str("GET / HTTP/1.1 \r\n\r\n", -PB_HTTP_E_BAD_REQUEST);
    parse_err_str("GET /\r\n\r\n", -PB_HTTP_E_BAD_REQUEST);
    /* decided once the request-line is complete, before the rest of the head */
    PARSE_ERR_LIT("GET / HTTP/2.0\r\nHost: t\r\n", -PB_HTTP_E_VERSION, 16);
}

static void test_request_line(void **state)
{
    parse_err_str("garbage\r\n\r\n", -PB_HTTP_E_BAD_REQUEST);
    parse_err_str("GET  / HTTP/1.1\r\n\r\n", -PB_HTTP_E_BAD_REQUEST);
    parse_err_str(" GET / HTTP/1.1\r\n\r\n", -PB_HTTP_E_BAD_REQUEST);
    parse_err_str("GET / HTTP/1.1 x\r\n\r\n", -PB_HTTP_E_BAD_REQUEST);
    parse_err_str("GET /a\x7f HTTP/1.1\r\n\r\n", -PB_HTTP_E_BAD_REQUEST);
    PARSE_ERR_LIT("GET /\0 HTTP/1.1\r\n\r\n", -PB_HTTP_E_BAD_REQUEST, 0);
    PARSE_ERR_LIT("\0\r\n\r\n", -PB_HTTP_E_BAD_REQUEST, 1);
    /* garbage is refused once its line ends, not when a head would end */
    PARSE_ERR_LIT("nonsense\r\nmore", -PB_HTTP_E_BAD_REQUEST, 10);
    parse_err_str("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n", -PB_HTTP_E_METHOD);
    parse_err_str("DELETE / HTTP/1.1\r\n\r\n", -PB_HTTP_E_METHOD);
    parse_err_str("get / HTTP/1.1\r\n\r\n", -PB_HTTP_E_METHOD);
    PARSE_ERR_LIT("PUT / HTTP/1.1\r\nHo", -PB_HTTP_E_METHOD, 16);
}

static void test_headers(void **state)
{
    struct pb_http_req r;

    parse_err_str("GET / HTTP/1.1\r\nHost: t\r\n folded\r\n\r\n", -PB_HTTP_E_BAD_REQUEST);
    parse_err_str("GET / HTTP/1.1\r\nName : v\r\n\r\n", -PB_HTTP_E_BAD_REQUEST);
    parse_err_str("GET / HTTP/1.1\r\nNoColon\r\n\r\n", -PB_HTTP_E_BAD_REQUEST);
    parse_err_str("GET / HTTP/1.1\r\n: v\r\n\r\n", -PB_HTTP_E_BAD_REQUEST);
    parse_err_str("GET / HTTP/1.1\r\nA: \x01\r\n\r\n", -PB_HTTP_E_BAD_REQUEST);
    PARSE_ERR_LIT("GET / HTTP/1.1\r\nA: \0\r\n\r\n", -PB_HTTP_E_BAD_REQUEST, 0);
    /* a tab and obs-text are fine in a value */
    parse_ok("GET / HTTP/1.1\r\nA:\tb\tc \xff\r\nB:\r\n\r\n", &r);
}

static void test_bodies(void **state)
{
    struct pb_http_req r;

    parse_err_str("GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", -PB_HTTP_E_BODY);
    parse_err_str("HEAD / HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\n",
                  -PB_HTTP_E_BODY);
    parse_err_str("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", -PB_HTTP_E_BODY);
    parse_err_str("GET / HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n\r\n",
                  -PB_HTTP_E_BAD_REQUEST);
    parse_err_str("GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n", -PB_HTTP_E_BAD_REQUEST);
    parse_err_str("GET / HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\n", -PB_HTTP_E_BAD_REQUEST);
    parse_err_str("GET / HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: 1\r\n\r\n",
                  -PB_HTTP_E_BAD_REQUEST);
    /* both framings: a smuggling attempt */
    parse_err_str("GET / HTTP/1.1\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n",
                  -PB_HTTP_E_BAD_REQUEST);
    parse_ok("GET / HTTP/1.1\r\nContent-Length: 0\r\ncontent-length: 00\r\n\r\n", &r);
}

static void test_too_large(void **state)
{
    char *buf = malloc(3 * PB_HTTP_HEAD_MAX);
    const char *line = "GET / HTTP/1.1\r\nX: ";
    struct pb_http_req r;
    size_t n = strlen(line), len;

    assert_non_null(buf);
    /* a head of exactly the limit is fine, one byte more is not */
    memcpy(buf, line, n);
    memset(buf + n, 'a', PB_HTTP_HEAD_MAX - n - 4);
    memcpy(buf + PB_HTTP_HEAD_MAX - 4, "\r\n\r\n", 4);
    assert_int_equal(parse(buf, PB_HTTP_HEAD_MAX, &r), PB_HTTP_HEAD_MAX);
    memset(buf + n, 'a', PB_HTTP_HEAD_MAX - n - 3);
    memcpy(buf + PB_HTTP_HEAD_MAX - 3, "\r\n\r\n", 4);
    parse_err(buf, PB_HTTP_HEAD_MAX + 1, -PB_HTTP_E_TOO_LARGE, PB_HTTP_HEAD_MAX + 1);
    /* no end in sight: refused once the limit is passed */
    memset(buf + n, 'b', 2 * PB_HTTP_HEAD_MAX);
    len = n + 2 * PB_HTTP_HEAD_MAX;
    parse_err(buf, len, -PB_HTTP_E_TOO_LARGE, PB_HTTP_HEAD_MAX + 1);
    /* endless empty lines are no way around it */
    for (size_t i = 0; i < 2 * PB_HTTP_HEAD_MAX; i += 2)
        memcpy(buf + i, "\r\n", 2);
    parse_err(buf, 2 * PB_HTTP_HEAD_MAX, -PB_HTTP_E_TOO_LARGE, PB_HTTP_HEAD_MAX + 1);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_get),
        cmocka_unit_test(test_keep_alive),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_bad_query),
        cmocka_unit_test(test_empty_lines_and_pipelining),
        cmocka_unit_test(test_incomplete),
        cmocka_unit_test(test_bare_cr),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_request_line),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_bodies),
        cmocka_unit_test(test_too_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
