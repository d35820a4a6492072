/* Unit tests of number formatting and of text made safe for a terminal. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "harness/format.h"

#define CHECK(call, expected)                                                                      \
    do {                                                                                           \
        char buf_[64];                                                                             \
        call;                                                                                      \
        assert_string_equal(buf_, expected);                                                       \
    } while (0)
#define B buf_, sizeof(buf_)

static void test_units(void **state)
{
    (void)state;
    CHECK(pb_format_ns(B, 850), "850 ns");
    CHECK(pb_format_ns(B, 12345), "12.35 us");
    CHECK(pb_format_ns(B, 999.96), "1 us"); /* rounds up into the next unit */
    CHECK(pb_format_ns(B, 1234567), "1.235 ms");
    CHECK(pb_format_ns(B, 2.1e9), "2.1 s");
    CHECK(pb_format_ns(B, 7.5e12), "7500 s");
    CHECK(pb_format_seconds(B, 0.1234), "0.1234 s");
    CHECK(pb_format_rate(B, 950), "950/s");
    CHECK(pb_format_rate(B, 45600), "45.6k/s");
    CHECK(pb_format_rate(B, 1234567), "1.235M/s");
    CHECK(pb_format_rate(B, 0), "0/s");
    CHECK(pb_format_bytes(B, 512), "512 B");
    CHECK(pb_format_bytes(B, 10485760), "10.49 MB");
    CHECK(pb_format_bytes_rate(B, 1.234e9), "1.234 GB/s");
    CHECK(pb_format_ratio(B, 0.98), "0.98x");
    CHECK(pb_format_ratio(B, 3.5), "3.50x");
    CHECK(pb_format_ratio(B, 12.34), "12.3x");
    CHECK(pb_format_ratio(B, 250.4), "250x");
    CHECK(pb_format_percent(B, 0.0123, 1), "1.2%");
    CHECK(pb_format_percent(B, 0.875, 0), "88%");
    CHECK(pb_format_ns(B, NAN), "-");
    CHECK(pb_format_rate(B, INFINITY), "-");
    CHECK(pb_format_ratio(B, NAN), "-");
    /* Driven by the metric table's unit. */
    CHECK(pb_format_metric(B, PB_METRIC_THROUGHPUT, 45600), "45.6k/s");
    CHECK(pb_format_metric(B, PB_METRIC_BYTES, 2e6), "2 MB/s");
    CHECK(pb_format_metric(B, PB_METRIC_LATENCY_P99, 1500), "1.5 us");
    CHECK(pb_format_metric(B, PB_METRIC_WALL, 2.5), "2.5 s");
    CHECK(pb_format_metric(B, PB_METRIC_PEAK_RSS, 1.5e9), "1.5 GB");
    /* Never past the buffer. */
    char small[5];
    pb_format_rate(small, sizeof(small), 45600);
    assert_string_equal(small, "45.6");
}

static void test_safe_text(void **state)
{
    (void)state;
    char buf[64];
    assert_string_equal(pb_format_safe_text(buf, sizeof(buf), "plain é ü"), "plain é ü");
    assert_string_equal(pb_format_safe_text(buf, sizeof(buf), "a\033[2Jb\n\r\t\x7f"),
                        "a\\x1b[2Jb\\x0a\\x0d\\x09\\x7f");
    /* C1 controls (U+009B is CSI on some terminals), encoded in UTF-8. */
    assert_string_equal(pb_format_safe_text(buf, sizeof(buf),
                                            "x\xc2\x9b"
                                            "2J\xc2\xa0"),
                        "x\\u009b2J\xc2\xa0");
    /* Truncated between escapes and code points, never inside one. */
    assert_string_equal(pb_format_safe_text(buf, 6, "ab\033c"), "ab");
    assert_string_equal(pb_format_safe_text(buf, 4, "a\xc3\xa9\xc3\xa9"), "a\xc3\xa9");
    assert_string_equal(pb_format_safe_text(buf, 1, "abc"), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_units),
        cmocka_unit_test(test_safe_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
