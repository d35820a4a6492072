/* Unit tests of CPU sets: list format and parse round trips, errors, iteration and binding. */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness/cpuset.h"

static struct pb_cpuset set_of(const unsigned *cpus, size_t n)
{
    struct pb_cpuset s;
    pb_cpuset_clear(&s);
    for (size_t i = 0; i < n; i++)
        pb_cpuset_add(&s, cpus[i]);
    return s;
}

static void expect_format(const unsigned *cpus, size_t n, const char *want)
{
    struct pb_cpuset s = set_of(cpus, n);
    char buf[256];
    memset(buf, 'x', sizeof(buf));
    assert_ptr_equal(pb_cpuset_format(&s, buf, sizeof(buf)), buf);
    assert_string_equal(buf, want);
}

static void test_format(void **state)
{
    (void)state;
    expect_format(NULL, 0, "");
    expect_format((const unsigned[]){0}, 1, "0");
    expect_format((const unsigned[]){3, 0, 2}, 3, "0,2-3");
    expect_format((const unsigned[]){0, 1, 2, 5, 7, 8, 9, 1023}, 8, "0-2,5,7-9,1023");
    expect_format((const unsigned[]){63, 64}, 2, "63-64"); /* across a word */
    expect_format((const unsigned[]){1, 3, 5}, 3, "1,3,5");
    expect_format((const unsigned[]){1022, 1023}, 2, "1022-1023");
}

static void test_format_truncates_at_items(void **state)
{
    (void)state;
    struct pb_cpuset s = set_of((const unsigned[]){0, 2, 3, 7}, 4); /* "0,2-3,7" */
    char buf[16];
    assert_string_equal(pb_cpuset_format(&s, buf, 8), "0,2-3,7");
    assert_string_equal(pb_cpuset_format(&s, buf, 7), "0,2-3");
    assert_string_equal(pb_cpuset_format(&s, buf, 5), "0");
    assert_string_equal(pb_cpuset_format(&s, buf, 1), "");
    buf[0] = 'q';
    pb_cpuset_format(&s, buf, 0); /* no room even for the terminator: untouched */
    assert_int_equal(buf[0], 'q');
}

static void expect_parse(const char *text, const unsigned *cpus, size_t n)
{
    struct pb_cpuset s, want = set_of(cpus, n);
    struct pb_err err = {{0}};
    memset(&s, 0xff, sizeof(s));
    int rc = pb_cpuset_parse(text, &s, &err);
    if (rc != 0)
        fail_msg("parse \"%s\": %d %s", text, rc, err.msg);
    assert_memory_equal(&s, &want, sizeof(s));
}

static void test_parse(void **state)
{
    (void)state;
    expect_parse("", NULL, 0);
    expect_parse("5", (const unsigned[]){5}, 1);
    expect_parse("0,2-3", (const unsigned[]){0, 2, 3}, 3);
    expect_parse("3-3", (const unsigned[]){3}, 1);
    expect_parse("7,1", (const unsigned[]){1, 7}, 2);
    expect_parse("1,1,0-1", (const unsigned[]){0, 1}, 2);
    expect_parse("007,01-02", (const unsigned[]){1, 2, 7}, 3);
    expect_parse("1023", (const unsigned[]){1023}, 1);
    expect_parse("62-65", (const unsigned[]){62, 63, 64, 65}, 4);
}

static void expect_parse_error(const char *text, const char *msg)
{
    struct pb_cpuset s, before;
    struct pb_err err = {{0}};
    pb_cpuset_clear(&s);
    pb_cpuset_add(&s, 9);
    before = s;
    int rc = pb_cpuset_parse(text, &s, &err);
    if (rc != -EINVAL)
        fail_msg("parse \"%s\" returned %d, expected -EINVAL", text, rc);
    assert_string_equal(err.msg, msg);
    assert_memory_equal(&s, &before, sizeof(s)); /* a failed parse leaves the set alone */
}

static void test_parse_errors(void **state)
{
    (void)state;
    expect_parse_error("x", "bad CPU list item 'x'");
    expect_parse_error("0,a", "bad CPU list item 'a'");
    expect_parse_error("0,,1", "bad CPU list item ''");
    expect_parse_error("0,", "bad CPU list item ''");
    expect_parse_error(",", "bad CPU list item ''");
    expect_parse_error("-1", "bad CPU list item '-1'");
    expect_parse_error("1-", "bad CPU list item '1-'");
    expect_parse_error("1-2-3", "bad CPU list item '1-2-3'");
    expect_parse_error("+1", "bad CPU list item '+1'");
    expect_parse_error("0x3", "bad CPU list item '0x3'");
    expect_parse_error("1 2", "bad CPU list item '1 2' (no spaces in a CPU list)");
    /* spaces were once trimmed, so "list: 0" pinned as "list:0" did */
    expect_parse_error("0, 2-3", "bad CPU list item ' 2-3' (no spaces in a CPU list)");
    expect_parse_error(" 0", "bad CPU list item ' 0' (no spaces in a CPU list)");
    expect_parse_error("0 ", "bad CPU list item '0 ' (no spaces in a CPU list)");
    expect_parse_error("0 - 3", "bad CPU list item '0 - 3' (no spaces in a CPU list)");
    expect_parse_error(" ", "bad CPU list item ' ' (no spaces in a CPU list)");
    expect_parse_error("\t1", "bad CPU list item '\\x091'");
    expect_parse_error("1\n", "bad CPU list item '1\\x0a'");
    /* a bad character outranks a large number */
    expect_parse_error("1024x", "bad CPU list item '1024x'");
    expect_parse_error("99999-x", "bad CPU list item '99999-x'");
    expect_parse_error("0-99999999", "bad CPU list item '0-99999999' (CPUs go up to 1023)");
    expect_parse_error("5-1024", "bad CPU list item '5-1024' (CPUs go up to 1023)");
    expect_parse_error("3-2", "bad CPU list item '3-2' (range goes down)");
    expect_parse_error("1024", "bad CPU list item '1024' (CPUs go up to 1023)");
    expect_parse_error("0-99999999999999999999", "bad CPU list item '0-99999999999999999999' "
                                                 "(CPUs go up to 1023)");
    /* a long item is cut in the message */
    char text[300];
    memset(text, '9', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    expect_parse_error(text,
                       "bad CPU list item "
                       "'9999999999999999999999999999999999999999999999999999999999999999...' "
                       "(CPUs go up to 1023)");
}

/* Random sets survive format then parse unchanged. */
static void test_round_trip(void **state)
{
    (void)state;
    uint64_t x = 88172645463325252u;
    char buf[8192];
    for (int round = 0; round < 200; round++) {
        struct pb_cpuset s, back;
        pb_cpuset_clear(&s);
        /* Vary the density so some sets are mostly runs and some mostly single CPUs. */
        unsigned density = 1 + (unsigned)round % 16;
        for (unsigned c = 0; c < PB_CPUSET_MAX; c++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if (x % 16 < density)
                pb_cpuset_add(&s, c);
        }
        pb_cpuset_format(&s, buf, sizeof(buf));
        struct pb_err err = {{0}};
        assert_int_equal(pb_cpuset_parse(buf, &back, &err), 0);
        assert_memory_equal(&s, &back, sizeof(s));
    }
}

static void test_count_and_next(void **state)
{
    (void)state;
    struct pb_cpuset s = set_of((const unsigned[]){0, 2, 63, 64, 700, 1023}, 6);
    assert_int_equal(pb_cpuset_count(&s), 6);
    assert_true(pb_cpuset_has(&s, 63));
    assert_false(pb_cpuset_has(&s, 62));
    assert_false(pb_cpuset_has(&s, 5000));
    assert_int_equal(pb_cpuset_next(&s, 0), 0);
    assert_int_equal(pb_cpuset_next(&s, 1), 2);
    assert_int_equal(pb_cpuset_next(&s, 3), 63);
    assert_int_equal(pb_cpuset_next(&s, 64), 64);
    assert_int_equal(pb_cpuset_next(&s, 65), 700);
    assert_int_equal(pb_cpuset_next(&s, 701), 1023);
    assert_int_equal(pb_cpuset_next(&s, 1024), -1);
    assert_int_equal(pb_cpuset_next(&s, 100000), -1);

    int seen = 0;
    for (int c = pb_cpuset_next(&s, 0); c >= 0; c = pb_cpuset_next(&s, (unsigned)c + 1))
        seen++;
    assert_int_equal(seen, 6);

    pb_cpuset_add(&s, 5000); /* out of range: ignored, not a stray write */
    assert_int_equal(pb_cpuset_count(&s), 6);
    pb_cpuset_clear(&s);
    assert_int_equal(pb_cpuset_count(&s), 0);
    assert_int_equal(pb_cpuset_next(&s, 0), -1);

    struct pb_cpuset full;
    memset(&full, 0xff, sizeof(full));
    assert_int_equal(pb_cpuset_count(&full), PB_CPUSET_MAX);
}

static void test_bind_self(void **state)
{
    (void)state;
    cpu_set_t orig, now;
    assert_int_equal(sched_getaffinity(0, sizeof(orig), &orig), 0);
    int cpu = -1, last = -1;
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (CPU_ISSET(c, &orig)) {
            if (cpu < 0)
                cpu = c;
            last = c;
        }
    }
    assert_true(cpu >= 0);

    /* Bind to the last allowed CPU, so a bind that did nothing would not pass by accident. */
    struct pb_cpuset s;
    pb_cpuset_clear(&s);
    pb_cpuset_add(&s, (unsigned)last);
    assert_int_equal(pb_cpuset_bind_self(&s), 0);
    assert_int_equal(sched_getaffinity(0, sizeof(now), &now), 0);
    assert_int_equal(CPU_COUNT(&now), 1);
    assert_true(CPU_ISSET(last, &now));
    assert_int_equal(sched_getcpu(), last);

    pb_cpuset_clear(&s);
    assert_int_equal(pb_cpuset_bind_self(&s), -EINVAL);

    assert_int_equal(sched_setaffinity(0, sizeof(orig), &orig), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),     cmocka_unit_test(test_format_truncates_at_items),
        cmocka_unit_test(test_parse),      cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_round_trip), cmocka_unit_test(test_count_and_next),
        cmocka_unit_test(test_bind_self),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
