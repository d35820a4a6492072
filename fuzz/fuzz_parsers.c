/* libFuzzer target for the value parsers: every input goes to each of them as a string, and
 * what they accept or refuse is checked against their contracts (harness/params.h, cpuset.h,
 * pin.h). A broken invariant aborts, which the fuzzer reports as a crash. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cpuset.h"
#include "harness/params.h"
#include "harness/pin.h"
#include "harness/quote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_parsers: %s:%d: %s\n", __FILE__, __LINE__, #cond);               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static int printable(const char *text)
{
    for (; *text; text++)
        if ((unsigned char)*text < 0x20 || (unsigned char)*text >= 0x7f)
            return 0;
    return 1;
}

/* A message is one line and says something; it repeats only a cut of the text, so for text
 * without escapes it never fills the buffer (which would cut its end off). */
static void check_message(const struct pb_err *err, const char *text)
{
    size_t len = strnlen(err->msg, sizeof(err->msg));
    CHECK(len > 0 && len < sizeof(err->msg));
    CHECK(strchr(err->msg, '\n') == NULL && strchr(err->msg, '\r') == NULL);
    if (printable(text))
        CHECK(len < 300);
}

static int is_digits(const char *p)
{
    if (*p == '\0')
        return 0;
    for (; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    return 1;
}

static void check_int(const char *text)
{
    int64_t v = 1, back = 1;
    char buf[32];
    int rc = pb_parse_int(text, &v);

    CHECK(rc == 0 || rc == -EINVAL || rc == -ERANGE);
    if (rc < 0) {
        CHECK(v == 0);
        return;
    }
    snprintf(buf, sizeof(buf), "%" PRId64, v);
    CHECK(pb_parse_int(buf, &back) == 0 && back == v);
    /* Plain digits (and a sign) read as strtoll reads them. */
    const char *digits = text + (text[0] == '-' || text[0] == '+');
    if (is_digits(digits)) {
        errno = 0;
        long long ref = strtoll(text, NULL, 10);
        CHECK(errno == 0 && ref == v);
    }
}

static void check_uint(const char *text)
{
    uint64_t v = 1, back = 1;
    int64_t i = 1;
    char buf[32];
    int rc = pb_parse_uint(text, &v);

    CHECK(rc == 0 || rc == -EINVAL || rc == -ERANGE);
    if (rc < 0) {
        CHECK(v == 0);
        return;
    }
    CHECK(text[0] >= '0' && text[0] <= '9');
    snprintf(buf, sizeof(buf), "%" PRIu64, v);
    CHECK(pb_parse_uint(buf, &back) == 0 && back == v);
    /* Without a sign the two integer parsers agree wherever int64 holds the value. */
    rc = pb_parse_int(text, &i);
    CHECK(v <= INT64_MAX ? rc == 0 && (uint64_t)i == v : rc == -ERANGE);
}

static void check_double(const char *text)
{
    double v = 1, back = 1;
    char buf[64];
    int rc = pb_parse_double(text, &v);

    CHECK(rc == 0 || rc == -EINVAL || rc == -ERANGE);
    if (rc < 0) {
        CHECK(v == 0);
        return;
    }
    CHECK(isfinite(v));
    CHECK(strspn(text, "0123456789.eE+-") == strlen(text));
    CHECK(strtod(text, NULL) == v);
    /* 17 significant digits name a double exactly: it reads back to the same bits. */
    snprintf(buf, sizeof(buf), "%.17g", v);
    CHECK(pb_parse_double(buf, &back) == 0 && memcmp(&back, &v, sizeof(v)) == 0);
}

static void check_duration(const char *text)
{
    uint64_t v = 1, back = 1;
    char buf[40];
    int rc = pb_parse_duration_ns(text, &v);

    CHECK(rc == 0 || rc == -EINVAL || rc == -ERANGE);
    if (rc < 0) {
        CHECK(v == 0);
        return;
    }
    CHECK(v <= PB_DURATION_MAX_NS);
    snprintf(buf, sizeof(buf), "%" PRIu64 "ns", v);
    CHECK(pb_parse_duration_ns(buf, &back) == 0 && back == v);
    /* A whole number of seconds is exact. */
    if (is_digits(text)) {
        unsigned long long s = strtoull(text, NULL, 10);
        CHECK(v == s * 1000000000ull);
    }
}

/* pb_split_list's rules, written out again independently. */
static int list_ok(const char *text)
{
    if (*text == '\0')
        return 0;
    for (const char *p = text;;) {
        size_t len = strcspn(p, ",");
        if (len == 0 || p[0] == ' ' || p[len - 1] == ' ' || (p[0] >= '\t' && p[0] <= '\r') ||
            (p[len - 1] >= '\t' && p[len - 1] <= '\r'))
            return 0;
        if (p[len] == '\0')
            return 1;
        p += len + 1;
    }
}

static void check_split(const char *text)
{
    struct pb_err err = {{0}};
    char **items = (char **)&err;
    size_t n = 99, len = strlen(text);
    int rc = pb_split_list(text, "-r", &items, &n, &err);

    CHECK(rc == 0 || rc == -EINVAL);
    CHECK((rc == 0) == list_ok(text));
    if (rc < 0) {
        CHECK(items == NULL && n == 0);
        check_message(&err, text);
        return;
    }
    CHECK(n >= 1 && items[n] == NULL);
    /* The items joined by commas are the text again. */
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        size_t ilen = strlen(items[i]);
        CHECK(ilen > 0 && strchr(items[i], ',') == NULL);
        CHECK(off + ilen <= len && memcmp(text + off, items[i], ilen) == 0);
        off += ilen;
        CHECK(i + 1 == n ? off == len : text[off] == ',');
        off++;
    }
    free(items);
}

static int cmp_unsigned(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return (x > y) - (x < y);
}

static void check_levels_in(const char *text, unsigned min, unsigned max)
{
    struct pb_err err = {{0}};
    unsigned *levels = (unsigned *)&err, *again = NULL;
    size_t n = 99, n2 = 0;
    int rc = pb_parse_levels(text, min, max, &levels, &n, &err);

    CHECK(rc == 0 || rc == -EINVAL);
    if (rc < 0) {
        CHECK(levels == NULL && n == 0);
        check_message(&err, text);
        return;
    }
    CHECK(n >= 1);
    for (size_t i = 0; i < n; i++)
        CHECK(levels[i] >= min && levels[i] <= max);
    /* Formatted, they parse to the same levels in the same order. */
    char *buf = malloc(n * 11 + 1);
    size_t off = 0;
    CHECK(buf != NULL);
    for (size_t i = 0; i < n; i++)
        off += (size_t)sprintf(buf + off, "%s%u", i ? "," : "", levels[i]);
    CHECK(pb_parse_levels(buf, min, max, &again, &n2, &err) == 0 && n2 == n);
    CHECK(memcmp(again, levels, n * sizeof(*levels)) == 0);
    /* None twice. */
    qsort(again, n, sizeof(*again), cmp_unsigned);
    for (size_t i = 1; i < n; i++)
        CHECK(again[i] != again[i - 1]);
    free(again);
    free(buf);
    free(levels);
}

static void check_levels(const char *text)
{
    check_levels_in(text, 1, 1000000000);
    check_levels_in(text, 0, 100);
}

static void check_cpuset(const char *text)
{
    struct pb_err err = {{0}};
    struct pb_cpuset s, before, back;
    char buf[PB_CPUSET_MAX * 8];

    memset(&s, 0xa5, sizeof(s));
    before = s;
    int rc = pb_cpuset_parse(text, &s, &err);
    CHECK(rc == 0 || rc == -EINVAL);
    if (rc < 0) {
        CHECK(memcmp(&s, &before, sizeof(s)) == 0);
        check_message(&err, text);
        return;
    }
    CHECK(strspn(text, "0123456789,-") == strlen(text));
    pb_cpuset_format(&s, buf, sizeof(buf));
    CHECK(pb_cpuset_parse(buf, &back, &err) == 0);
    CHECK(memcmp(&s, &back, sizeof(s)) == 0);
    CHECK(strlen(buf) <= strlen(text));
}

static void check_pin(const char *text)
{
    struct pb_err err = {{0}};
    struct pb_pin_spec spec, again;
    char canon[PB_PIN_TEXT_MAX], canon2[PB_PIN_TEXT_MAX];
    int rc = pb_pin_parse(text, &spec, &err);

    CHECK(rc == 0 || rc == -EINVAL);
    if (rc < 0) {
        check_message(&err, text);
        return;
    }
    CHECK(strcmp(spec.text, text) == 0);
    CHECK(spec.policy != PB_PIN_LIST || pb_cpuset_count(&spec.list) > 0);
    /* The canonical text fits, parses to the same plan's inputs, and is its own canonical. */
    CHECK(pb_pin_spec_canonical(&spec, canon, sizeof(canon)) == 0);
    CHECK(strlen(canon) <= strlen(text));
    CHECK(pb_pin_parse(canon, &again, &err) == 0);
    CHECK(again.policy == spec.policy);
    CHECK(memcmp(&again.list, &spec.list, sizeof(spec.list)) == 0);
    CHECK(pb_pin_spec_canonical(&again, canon2, sizeof(canon2)) == 0);
    CHECK(strcmp(canon, canon2) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The parsers take C strings: a NUL inside the input ends the text there. */
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    check_int(text);
    check_uint(text);
    check_double(text);
    check_duration(text);
    check_split(text);
    check_levels(text);
    check_cpuset(text);
    check_pin(text);
    free(text);
    return 0;
}
