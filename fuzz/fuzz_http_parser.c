/* libFuzzer target for the embedded target's request parser. Beyond "no crash, no UB": each
 * request the input holds (pipelined, one after another) must parse the same fed a byte at a
 * time as at once, and whatever it returns must be in range. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures/http_parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_http_parser: %s:%d: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static int is_error(long rc)
{
    return rc == -PB_HTTP_E_BAD_REQUEST || rc == -PB_HTTP_E_METHOD || rc == -PB_HTTP_E_BODY ||
           rc == -PB_HTTP_E_TOO_LARGE || rc == -PB_HTTP_E_VERSION;
}

/* Parses the request at buf as it would arrive a byte at a time. */
static long bytewise(const char *buf, size_t len, struct pb_http_req *r, size_t *at)
{
    struct pb_http_parser p = {0};
    long rc = 0;

    for (*at = 1; *at <= len; ++*at)
        if ((rc = pb_http_parse(&p, buf, *at, r)) != 0)
            return rc;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a copy of exactly size bytes, so that ASan sees any read past the end */
    char *copy = malloc(size ? size : 1);
    size_t off = 0;

    if (!copy)
        return 0;
    memcpy(copy, data, size);
    while (off < size) {
        struct pb_http_parser p = {0};
        struct pb_http_req r, r2;
        const char *buf = copy + off;
        size_t len = size - off, at;
        long n = pb_http_parse(&p, buf, len, &r), m;

        CHECK(n == 0 || is_error(n) || (n > 0 && (size_t)n <= len));
        m = bytewise(buf, len, &r2, &at);
        if (n > 0) {
            /* complete exactly when its last byte is in, and the same request */
            CHECK(m == n && at == (size_t)n);
            CHECK(memcmp(&r, &r2, sizeof(r)) == 0);
            CHECK(n <= PB_HTTP_HEAD_MAX);
            CHECK(r.status >= 200 && r.status <= 599);
            CHECK(r.size <= PB_HTTP_SIZE_MAX && r.delay_ms <= PB_HTTP_DELAY_MAX);
            CHECK(r.head <= 1 && r.minor <= 1 && r.keep_alive <= 1 && r.close_now <= 1);
            CHECK(r.control <= PB_HTTP_CTL_RESET);
        } else if (n < 0) {
            /* an error a byte at a time too, perhaps a different one found earlier */
            CHECK(is_error(m));
        } else {
            CHECK(m == 0 && len <= PB_HTTP_HEAD_MAX);
        }
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    free(copy);
    return 0;
}
