/* Unit tests of typed plug-in parameters: defaults, suffixes, ranges, errors and durations. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness/params.h"
#include "harness/quote.h"

static const struct pb_param_def defs[] = {
    {"tasks", PB_PARAM_INT, "10k", 1, 1e9, "tasks to run"},
    {"size", PB_PARAM_INT, "4Ki", 1, 0, "bytes (no range: min > max)"},
    {"ratio", PB_PARAM_DOUBLE, "0.5", 0, 1, "a fraction"},
    {"verify", PB_PARAM_BOOL, "yes", 0, 0, "check results"},
    {"path", PB_PARAM_STRING, "/tmp/x", 0, 0, "a file"},
    {"nodef", PB_PARAM_INT, NULL, 0, 0, "no default: zero"},
};
#define NDEFS (sizeof(defs) / sizeof(defs[0]))

static struct pb_params params;
static struct pb_err err;

static int setup(void **state)
{
    (void)state;
    memset(&err, 0, sizeof(err));
    return pb_params_init(&params, defs, NDEFS, &err);
}

static void test_defaults(void **state)
{
    (void)state;
    assert_int_equal(params.count, NDEFS);
    assert_int_equal(pb_param_int(&params, "tasks"), 10000);
    assert_true(pb_param_double(&params, "tasks") == 10000.0);
    assert_int_equal(pb_param_int(&params, "size"), 4096);
    assert_true(pb_param_double(&params, "ratio") == 0.5);
    assert_int_equal(pb_param_bool(&params, "verify"), 1);
    assert_string_equal(pb_param_str(&params, "path"), "/tmp/x");
    assert_int_equal(pb_param_int(&params, "nodef"), 0);
    /* Every value keeps the text it came from. */
    assert_string_equal(pb_param_str(&params, "tasks"), "10k");
}

static void test_find_and_type_names(void **state)
{
    (void)state;
    assert_ptr_equal(pb_params_find(&params, "ratio"), &defs[2]);
    assert_null(pb_params_find(&params, "rati"));
    assert_null(pb_params_find(&params, "ratio2"));
    assert_string_equal(pb_param_type_name(PB_PARAM_INT), "int");
    assert_string_equal(pb_param_type_name(PB_PARAM_DOUBLE), "double");
    assert_string_equal(pb_param_type_name(PB_PARAM_BOOL), "bool");
    assert_string_equal(pb_param_type_name(PB_PARAM_STRING), "string");
}

static void expect_int(const char *text, int64_t want)
{
    int64_t v = -12345;
    int rc = pb_parse_int(text, &v);
    if (rc != 0 || v != want)
        fail_msg("pb_parse_int(\"%s\") = %d, %lld; expected %lld", text, rc, (long long)v,
                 (long long)want);
}

/* A failed parse leaves 0, not what was there: `-n x` once read an uninitialised variable. */
static void expect_bad_int(const char *text, int code)
{
    int64_t v = -12345;
    int rc = pb_parse_int(text, &v);
    if (rc != code || v != 0)
        fail_msg("pb_parse_int(\"%s\") = %d, %lld; expected error %d and 0", text, rc, (long long)v,
                 code);
}

static void test_parse_int(void **state)
{
    (void)state;
    expect_int("0", 0);
    expect_int("42", 42);
    expect_int("-5", -5);
    expect_int("+7", 7);
    expect_int("1k", 1000);
    expect_int("1M", 1000000);
    expect_int("2G", 2000000000);
    expect_int("1Ki", 1024);
    expect_int("3Mi", 3 * 1048576);
    expect_int("1Gi", 1073741824);
    expect_int("-2k", -2000);
    expect_int("9223372036854775807", INT64_MAX);
    expect_int("-9223372036854775808", INT64_MIN);
    expect_bad_int("9223372036854775808", -ERANGE);
    expect_bad_int("99999999999999999999", -ERANGE);
    expect_int("9000000000G", INT64_C(9000000000000000000));
    expect_bad_int("10000000000G", -ERANGE); /* 1e19: fits unsigned, not int64 */
    expect_bad_int("20000000000G", -ERANGE); /* 2e19: overflows the multiplication */
    expect_bad_int("8Ei", -EINVAL);
    expect_bad_int("", -EINVAL);
    expect_bad_int("k", -EINVAL);
    expect_bad_int("-", -EINVAL);
    expect_bad_int("1.5k", -EINVAL);
    expect_bad_int("1K", -EINVAL);
    expect_bad_int("1ki", -EINVAL);
    expect_bad_int("1kk", -EINVAL);
    expect_bad_int("1Kii", -EINVAL);
    expect_bad_int("1 k", -EINVAL);
    expect_bad_int(" 1", -EINVAL);
    expect_bad_int("1x", -EINVAL);
    expect_bad_int("0x10", -EINVAL);
    expect_bad_int("--1", -EINVAL);
    expect_bad_int("1e3", -EINVAL);
    expect_bad_int("0X10", -EINVAL);
    expect_bad_int("1 ", -EINVAL);
    expect_bad_int("\t1", -EINVAL);
    expect_bad_int("1\n", -EINVAL);
    expect_bad_int("+", -EINVAL);
    expect_bad_int("+-1", -EINVAL);
    expect_bad_int("1_000", -EINVAL);
    expect_bad_int("1,000", -EINVAL);
    expect_bad_int("\xef\xbc\x91", -EINVAL); /* a fullwidth digit one */
    expect_int("-0", 0);
    expect_int("007", 7);
    /* overflow through the suffix, at the int64 edge and beyond uint64 */
    expect_bad_int("9999999999G", -ERANGE);
    expect_int("8589934591Gi", INT64_C(8589934591) << 30);
    expect_bad_int("8589934592Gi", -ERANGE); /* 2^63 */
    expect_bad_int("-8589934593Gi", -ERANGE);
    expect_int("-8589934592Gi", INT64_MIN);
    expect_bad_int("18446744073709551616k", -ERANGE);
    /* too many digits is still a syntax error when a suffix is wrong */
    expect_bad_int("99999999999999999999x", -EINVAL);
    expect_bad_int("99999999999999999999 ", -EINVAL);
}

static void expect_uint(const char *text, uint64_t want)
{
    uint64_t v = 12345;
    int rc = pb_parse_uint(text, &v);
    if (rc != 0 || v != want)
        fail_msg("pb_parse_uint(\"%s\") = %d, %llu; expected %llu", text, rc, (unsigned long long)v,
                 (unsigned long long)want);
}

static void expect_bad_uint(const char *text, int code)
{
    uint64_t v = 12345;
    int rc = pb_parse_uint(text, &v);
    if (rc != code || v != 0)
        fail_msg("pb_parse_uint(\"%s\") = %d, %llu; expected error %d and 0", text, rc,
                 (unsigned long long)v, code);
}

static void test_parse_uint(void **state)
{
    (void)state;
    expect_uint("0", 0);
    expect_uint("10k", 10000);
    expect_uint("4Ki", 4096);
    expect_uint("18446744073709551615", UINT64_MAX);
    expect_uint("17179869183Gi", UINT64_C(17179869183) << 30);
    expect_bad_uint("18446744073709551616", -ERANGE);
    expect_bad_uint("17179869184Gi", -ERANGE); /* 2^64 */
    expect_bad_uint("18446744073709552G", -ERANGE);
    /* no sign at all where a negative makes no sense */
    expect_bad_uint("-1", -EINVAL);
    expect_bad_uint("-0", -EINVAL);
    expect_bad_uint("+1", -EINVAL);
    expect_bad_uint("", -EINVAL);
    expect_bad_uint(" 1", -EINVAL);
    expect_bad_uint("1 ", -EINVAL);
    expect_bad_uint("0x10", -EINVAL);
    expect_bad_uint("1.0", -EINVAL);
    expect_bad_uint("1e3", -EINVAL);
}

static void expect_double(const char *text, double want)
{
    double v = 12345;
    int rc = pb_parse_double(text, &v);
    if (rc != 0 || v != want)
        fail_msg("pb_parse_double(\"%s\") = %d, %.17g; expected %.17g", text, rc, v, want);
}

static void expect_bad_double(const char *text, int code)
{
    double v = 12345;
    int rc = pb_parse_double(text, &v);
    if (rc != code || v != 0)
        fail_msg("pb_parse_double(\"%s\") = %d, %.17g; expected error %d and 0", text, rc, v, code);
}

static void test_parse_double(void **state)
{
    (void)state;
    expect_double("0", 0);
    expect_double("5", 5);
    expect_double("-2.5", -2.5);
    expect_double("+0.5", 0.5);
    expect_double(".5", 0.5);
    expect_double("5.", 5);
    expect_double("1e3", 1000);
    expect_double("2E+6", 2e6);
    expect_double("1e-3", 1e-3);
    expect_double("0.1", 0.1);
    expect_double("1.7976931348623157e308", 1.7976931348623157e308);
    expect_double("0e99999", 0);

    /* what strtod would take but a number on a command line is not */
    expect_bad_double("nan", -EINVAL);
    expect_bad_double("NaN", -EINVAL);
    expect_bad_double("-nan", -EINVAL);
    expect_bad_double("inf", -EINVAL);
    expect_bad_double("-inf", -EINVAL);
    expect_bad_double("infinity", -EINVAL);
    expect_bad_double("0x10", -EINVAL);
    expect_bad_double("0x1p3", -EINVAL);
    expect_bad_double("-0x10", -EINVAL);
    expect_bad_double(" 5", -EINVAL);
    expect_bad_double("5 ", -EINVAL);
    expect_bad_double("\n5", -EINVAL);
    expect_bad_double("", -EINVAL);
    expect_bad_double(".", -EINVAL);
    expect_bad_double("-", -EINVAL);
    expect_bad_double("+", -EINVAL);
    expect_bad_double("e5", -EINVAL);
    expect_bad_double("1e", -EINVAL);
    expect_bad_double("1e+", -EINVAL);
    expect_bad_double("1.2.3", -EINVAL);
    expect_bad_double("1,5", -EINVAL);
    expect_bad_double("--1", -EINVAL);
    expect_bad_double("5%", -EINVAL);
    expect_bad_double("1k", -EINVAL);
    /* overflow and underflow */
    expect_bad_double("1e999", -ERANGE);
    expect_bad_double("-1e999", -ERANGE);
    expect_bad_double("1.8e308", -ERANGE);
    expect_bad_double("1e-400", -ERANGE);
}

/* Sets key=value, expecting failure with code and exactly msg, and the old value kept. */
static void expect_set_error(const char *key, const char *value, int code, const char *msg)
{
    struct pb_params before = params;
    memset(&err, 0, sizeof(err));
    int rc = pb_params_set(&params, key, value, &err);
    if (rc != code)
        fail_msg("set %s=%s returned %d, expected %d", key, value, rc, code);
    assert_string_equal(err.msg, msg);
    assert_memory_equal(&params, &before, sizeof(params));
}

static void test_set_values(void **state)
{
    (void)state;
    assert_int_equal(pb_params_set(&params, "tasks", "250", &err), 0);
    assert_int_equal(pb_param_int(&params, "tasks"), 250);
    assert_true(pb_param_double(&params, "tasks") == 250.0);
    assert_int_equal(pb_params_set(&params, "tasks", "1G", &err), 0); /* max, inclusive */
    assert_int_equal(pb_param_int(&params, "tasks"), 1000000000);
    assert_int_equal(pb_params_set(&params, "tasks", "1", &err), 0); /* min, inclusive */
    assert_int_equal(pb_param_int(&params, "tasks"), 1);
    /* min > max: no range at all */
    assert_int_equal(pb_params_set(&params, "size", "-1Mi", &err), 0);
    assert_int_equal(pb_param_int(&params, "size"), -1048576);

    assert_int_equal(pb_params_set(&params, "ratio", "1e-1", &err), 0);
    assert_true(pb_param_double(&params, "ratio") == 0.1);
    assert_int_equal(pb_params_set(&params, "ratio", ".25", &err), 0);
    assert_true(pb_param_double(&params, "ratio") == 0.25);
    assert_int_equal(pb_params_set(&params, "ratio", "1", &err), 0);
    assert_true(pb_param_double(&params, "ratio") == 1.0);
}

static void test_set_bool(void **state)
{
    (void)state;
    static const char *const yes[] = {"1", "true", "yes", "TRUE", "Yes"};
    static const char *const no[] = {"0", "false", "no", "FALSE", "No"};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(pb_params_set(&params, "verify", no[i], &err), 0);
        assert_int_equal(pb_param_bool(&params, "verify"), 0);
        assert_int_equal(pb_params_set(&params, "verify", yes[i], &err), 0);
        assert_int_equal(pb_param_bool(&params, "verify"), 1);
    }
    expect_set_error("verify", "2", -EINVAL,
                     "parameter 'verify': '2' is not a boolean (use 0/1, true/false, yes/no)");
    expect_set_error("verify", "", -EINVAL,
                     "parameter 'verify': '' is not a boolean (use 0/1, true/false, yes/no)");
    expect_set_error("verify", "on", -EINVAL,
                     "parameter 'verify': 'on' is not a boolean (use 0/1, true/false, yes/no)");
}

static void test_set_errors(void **state)
{
    (void)state;
    expect_set_error("bogus", "1", -ENOENT, "unknown parameter 'bogus'");
    expect_set_error("task", "1", -ENOENT, "unknown parameter 'task'");
    expect_set_error("tasks", "ten", -EINVAL, "parameter 'tasks': 'ten' is not an integer");
    expect_set_error("tasks", "", -EINVAL, "parameter 'tasks': '' is not an integer");
    expect_set_error("tasks", "1.5", -EINVAL, "parameter 'tasks': '1.5' is not an integer");
    expect_set_error("tasks", "0", -EINVAL,
                     "parameter 'tasks': '0' is out of range [1, 1000000000]");
    expect_set_error("tasks", "1Gi", -EINVAL,
                     "parameter 'tasks': '1Gi' is out of range [1, 1000000000]");
    expect_set_error("tasks", "99999999999999999999", -EINVAL,
                     "parameter 'tasks': '99999999999999999999' is too large");
    expect_set_error("ratio", "1.5", -EINVAL, "parameter 'ratio': '1.5' is out of range [0, 1]");
    expect_set_error("ratio", "-0.1", -EINVAL, "parameter 'ratio': '-0.1' is out of range [0, 1]");
    expect_set_error("ratio", "abc", -EINVAL, "parameter 'ratio': 'abc' is not a number");
    expect_set_error("ratio", "nan", -EINVAL, "parameter 'ratio': 'nan' is not a number");
    expect_set_error("ratio", "inf", -EINVAL, "parameter 'ratio': 'inf' is not a number");
    expect_set_error("ratio", "0x1p-1", -EINVAL, "parameter 'ratio': '0x1p-1' is not a number");
    expect_set_error("ratio", "0.5x", -EINVAL, "parameter 'ratio': '0.5x' is not a number");
    expect_set_error("ratio", "1e999", -EINVAL,
                     "parameter 'ratio': '1e999' is beyond the range of a double");
    expect_set_error("ratio", " 0.5", -EINVAL, "parameter 'ratio': ' 0.5' is not a number");
    expect_set_error("ratio", "0.5 ", -EINVAL, "parameter 'ratio': '0.5 ' is not a number");
    expect_set_error("ratio", "-nan", -EINVAL, "parameter 'ratio': '-nan' is not a number");
    /* the bad text is cut, and a newline in it cannot break the message's one line */
    char longv[300];
    memset(longv, '7', sizeof(longv) - 1);
    longv[sizeof(longv) - 1] = '\0';
    expect_set_error("tasks", longv, -EINVAL,
                     "parameter 'tasks': "
                     "'7777777777777777777777777777777777777777777777777777777777777777...' is "
                     "too large");
    expect_set_error("tasks", "1\n2", -EINVAL, "parameter 'tasks': '1\\x0a2' is not an integer");
}

static void test_strings(void **state)
{
    (void)state;
    char buf[PB_PARAM_STRMAX + 1];
    strcpy(buf, "/var/tmp/bench");
    assert_int_equal(pb_params_set(&params, "path", buf, &err), 0);
    buf[1] = 'X'; /* the parameter holds a copy */
    assert_string_equal(pb_param_str(&params, "path"), "/var/tmp/bench");

    memset(buf, 'a', PB_PARAM_STRMAX - 1);
    buf[PB_PARAM_STRMAX - 1] = '\0';
    assert_int_equal(pb_params_set(&params, "path", buf, &err), 0);
    assert_int_equal(strlen(pb_param_str(&params, "path")), PB_PARAM_STRMAX - 1);

    assert_int_equal(pb_params_set(&params, "path", "", &err), 0);
    buf[PB_PARAM_STRMAX - 1] = 'a';
    buf[PB_PARAM_STRMAX] = '\0';
    expect_set_error("path", buf, -EINVAL,
                     "parameter 'path': value is too long (1024 characters, max 1023)");
    assert_string_equal(pb_param_str(&params, "path"), "");
}

static void test_init_errors(void **state)
{
    (void)state;
    static const struct pb_param_def bad[] = {
        {"ok", PB_PARAM_INT, "1", 0, 0, ""},
        {"threads", PB_PARAM_INT, "0", 1, 64, ""},
    };
    struct pb_params p;
    memset(&err, 0, sizeof(err));
    assert_int_equal(pb_params_init(&p, bad, 2, &err), -EINVAL);
    assert_string_equal(err.msg, "parameter 'threads': '0' is out of range [1, 64]");

    struct pb_param_def many[PB_PARAMS_MAX + 1];
    for (size_t i = 0; i < PB_PARAMS_MAX + 1; i++)
        many[i] = defs[0];
    assert_int_equal(pb_params_init(&p, many, PB_PARAMS_MAX, &err), 0);
    assert_int_equal(pb_params_init(&p, many, PB_PARAMS_MAX + 1, &err), -EINVAL);
    assert_string_equal(err.msg, "too many parameters (17, max 16)");
}

/* Runs f in a child and checks that it dies of abort(): a bad accessor is a programming error. */
static void expect_abort(void (*f)(void))
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        FILE *devnull = freopen("/dev/null", "w", stderr);
        (void)devnull;
        f();
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
}

static void read_unknown(void)
{
    (void)pb_param_int(&params, "nosuch");
}

static void read_string_as_int(void)
{
    (void)pb_param_int(&params, "path");
}

static void read_int_as_bool(void)
{
    (void)pb_param_bool(&params, "tasks");
}

static void read_known(void)
{
    (void)pb_param_int(&params, "tasks");
}

static void test_accessor_misuse_aborts(void **state)
{
    (void)state;
    expect_abort(read_unknown);
    expect_abort(read_string_as_int);
    expect_abort(read_int_as_bool);

    /* The harness itself: a correct read exits normally. */
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        read_known();
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_quote(void **state)
{
    (void)state;
    struct pb_quote q;
    char text[200];

    assert_string_equal(pb_quote(&q, ""), "''");
    assert_string_equal(pb_quote(&q, "list: 0"), "'list: 0'");
    assert_string_equal(pb_quote(&q, "a\nb\tc\x7f"), "'a\\x0ab\\x09c\\x7f'");
    assert_string_equal(pb_quote_n(&q, "12345", 2), "'12'");
    /* cut after PB_QUOTE_MAX bytes */
    memset(text, 'x', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    pb_quote(&q, text);
    assert_int_equal(strlen(q.s), 1 + PB_QUOTE_MAX + 3 + 1);
    assert_string_equal(q.s + 1 + PB_QUOTE_MAX, "...'");
    text[PB_QUOTE_MAX] = '\0';
    pb_quote(&q, text);
    assert_int_equal(strlen(q.s), PB_QUOTE_MAX + 2); /* exactly the maximum: no "..." */
    /* never half a UTF-8 character: "é" (c3 a9) across the cut is left out whole */
    memset(text, 'x', sizeof(text) - 1);
    text[PB_QUOTE_MAX - 1] = '\xc3';
    text[PB_QUOTE_MAX] = '\xa9';
    pb_quote(&q, text);
    assert_int_equal(strlen(q.s), 1 + PB_QUOTE_MAX - 1 + 3 + 1);
    /* the worst case fits: every byte escaped */
    memset(text, '\x01', sizeof(text) - 1);
    pb_quote(&q, text);
    assert_int_equal(strlen(q.s), 1 + 4 * PB_QUOTE_MAX + 3 + 1);
}

/* Splits text, expecting the items in want (NULL-terminated). */
static void expect_split(const char *text, const char *const *want)
{
    char **items = NULL;
    size_t n = 99, k = 0;
    struct pb_err e = {{0}};
    int rc = pb_split_list(text, "-r", &items, &n, &e);
    if (rc != 0)
        fail_msg("split \"%s\": %d %s", text, rc, e.msg);
    for (; want[k]; k++)
        assert_string_equal(items[k], want[k]);
    assert_int_equal(n, k);
    assert_null(items[n]);
    free(items);
}

static void expect_split_error(const char *text, const char *msg)
{
    char **items = (char **)&err;
    size_t n = 99;
    struct pb_err e = {{0}};
    if (pb_split_list(text, "-c", &items, &n, &e) != -EINVAL)
        fail_msg("split \"%s\" did not fail", text);
    assert_null(items);
    assert_int_equal(n, 0);
    assert_string_equal(e.msg, msg);
}

static void test_split_list(void **state)
{
    (void)state;
    expect_split("threads", (const char *const[]){"threads", NULL});
    expect_split("threads,processes", (const char *const[]){"threads", "processes", NULL});
    expect_split("1,1", (const char *const[]){"1", "1", NULL}); /* duplicates: the caller's */
    expect_split("a b,c", (const char *const[]){"a b", "c", NULL});

    expect_split_error("", "-c: '' is an empty list");
    expect_split_error(",", "-c: ',' has an empty item (number 1)");
    expect_split_error("1,,2", "-c: '1,,2' has an empty item (number 2)");
    expect_split_error("1,", "-c: '1,' has an empty item (number 2)");
    expect_split_error(",1", "-c: ',1' has an empty item (number 1)");
    expect_split_error("1, 2", "-c: item ' 2' of '1, 2' has spaces around it");
    expect_split_error("1 ,2", "-c: item '1 ' of '1 ,2' has spaces around it");
    expect_split_error(" ", "-c: item ' ' of ' ' has spaces around it");

    /* no limit that cuts a list: 100,000 items come back, all of them */
    size_t count = 100000;
    char *big = malloc(count * 7);
    size_t len = 0;
    assert_non_null(big);
    for (size_t i = 0; i < count; i++)
        len += (size_t)sprintf(big + len, "%s%zu", i ? "," : "", i);
    char **items = NULL;
    size_t n = 0;
    struct pb_err e = {{0}};
    assert_int_equal(pb_split_list(big, "-r", &items, &n, &e), 0);
    assert_int_equal(n, count);
    assert_string_equal(items[0], "0");
    assert_string_equal(items[count - 1], "99999");
    assert_null(items[count]);
    free(items);
    /* and a message about one keeps to one cut line */
    strcat(big, ",");
    assert_int_equal(pb_split_list(big, "-r", &items, &n, &e), -EINVAL);
    assert_true(strlen(e.msg) < 120);
    assert_null(strchr(e.msg, '\n'));
    assert_non_null(strstr(e.msg, "...' has an empty item (number 100001)"));
    free(big);
}

/* Splits -p's values, expecting want (NULL-terminated). */
static void expect_values(const char *text, const char *const *want)
{
    char **items = NULL;
    size_t n = 99, k = 0;
    struct pb_err e = {{0}};
    int rc = pb_split_values(text, "-p k", &items, &n, &e);
    if (rc != 0)
        fail_msg("split values \"%s\": %d %s", text, rc, e.msg);
    for (; want[k]; k++)
        assert_string_equal(items[k], want[k]);
    assert_int_equal(n, k);
    assert_null(items[n]);
    free(items);
}

static void expect_values_error(const char *text, const char *msg)
{
    char **items = (char **)&err;
    size_t n = 99;
    struct pb_err e = {{0}};
    if (pb_split_values(text, "-p k", &items, &n, &e) != -EINVAL)
        fail_msg("split values \"%s\" did not fail", text);
    assert_null(items);
    assert_int_equal(n, 0);
    assert_string_equal(e.msg, msg);
}

static void test_split_values(void **state)
{
    (void)state;
    expect_values("1Ki", (const char *const[]){"1Ki", NULL});
    expect_values("1Ki,64Ki,1Mi", (const char *const[]){"1Ki", "64Ki", "1Mi", NULL});
    expect_values("1,1", (const char *const[]){"1", "1", NULL}); /* duplicates: the caller's */
    expect_values(" a , b", (const char *const[]){" a ", " b", NULL}); /* the type judges */
    expect_values("", (const char *const[]){"", NULL});                /* -p k= as before sweeps */
    /* a pair around the whole item goes; commas inside quotes never split */
    expect_values("'a,b'", (const char *const[]){"a,b", NULL});
    expect_values("\"a,b\",c", (const char *const[]){"a,b", "c", NULL});
    expect_values("x,'y'", (const char *const[]){"x", "y", NULL});
    expect_values("''", (const char *const[]){"", NULL});
    expect_values("'',x", (const char *const[]){"", "x", NULL});
    expect_values("\"it's\"", (const char *const[]){"it's", NULL});
    expect_values("'say \"hi\"'", (const char *const[]){"say \"hi\"", NULL});
    /* quotes that do not enclose the whole item stay, for workloads that parse their own */
    expect_values("sh -c 'echo a,b'", (const char *const[]){"sh -c 'echo a,b'", NULL});
    expect_values("'a'b", (const char *const[]){"'a'b", NULL});
    expect_values("'a''b'", (const char *const[]){"'a''b'", NULL});
    expect_values("'a','b'", (const char *const[]){"a", "b", NULL});
    /* no escapes: a backslash is a byte like another */
    expect_values("a\\,b", (const char *const[]){"a\\", "b", NULL});
    expect_values("'a\\',b", (const char *const[]){"a\\", "b", NULL});

    expect_values_error(",", "-p k: ',' has an empty item (number 1)");
    expect_values_error("1,,2", "-p k: '1,,2' has an empty item (number 2)");
    expect_values_error("1,", "-p k: '1,' has an empty item (number 2)");
    expect_values_error(",1", "-p k: ',1' has an empty item (number 1)");
    expect_values_error("'a", "-p k: ''a' has an unterminated ' quote");
    expect_values_error("a,\"b,c", "-p k: 'a,\"b,c' has an unterminated \" quote");
    expect_values_error("'a'b'", "-p k: ''a'b'' has an unterminated ' quote");
}

static void expect_levels(const char *text, const unsigned *want, size_t nwant)
{
    unsigned *levels = NULL;
    size_t n = 0;
    struct pb_err e = {{0}};
    int rc = pb_parse_levels(text, 1, 1000000000, &levels, &n, &e);
    if (rc != 0)
        fail_msg("levels \"%s\": %d %s", text, rc, e.msg);
    assert_int_equal(n, nwant);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(levels[i], want[i]);
    free(levels);
}

static void expect_levels_error(const char *text, const char *msg)
{
    unsigned *levels = (unsigned *)&err;
    size_t n = 99;
    struct pb_err e = {{0}};
    if (pb_parse_levels(text, 1, 1000000000, &levels, &n, &e) != -EINVAL)
        fail_msg("levels \"%s\" did not fail", text);
    assert_null(levels);
    assert_int_equal(n, 0);
    assert_string_equal(e.msg, msg);
}

static void test_parse_levels(void **state)
{
    (void)state;
    expect_levels("1", (const unsigned[]){1}, 1);
    expect_levels("1,2,4", (const unsigned[]){1, 2, 4}, 3);
    expect_levels("8,1", (const unsigned[]){8, 1}, 2); /* in the order given */
    expect_levels("1k,1G", (const unsigned[]){1000, 1000000000}, 2);

    expect_levels_error("1,1", "-c: concurrency 1 is given twice in '1,1'");
    expect_levels_error("1,2,4,2", "-c: concurrency 2 is given twice in '1,2,4,2'");
    expect_levels_error("1000,1k", "-c: concurrency 1000 is given twice in '1000,1k'");
    expect_levels_error("0", "-c: concurrency must be a whole number in [1, 1000000000], got '0'");
    expect_levels_error("1,1000000001",
                        "-c: concurrency must be a whole number in [1, 1000000000], got "
                        "'1000000001'");
    expect_levels_error("2Gi", "-c: concurrency must be a whole number in [1, 1000000000], got "
                               "'2Gi'");
    expect_levels_error("-1", "-c: concurrency must be a whole number in [1, 1000000000], got "
                              "'-1'");
    expect_levels_error("+1", "-c: concurrency must be a whole number in [1, 1000000000], got "
                              "'+1'");
    expect_levels_error("1.0", "-c: concurrency must be a whole number in [1, 1000000000], got "
                               "'1.0'");
    expect_levels_error("99999999999999999999999", "-c: concurrency must be a whole number in "
                                                   "[1, 1000000000], got "
                                                   "'99999999999999999999999'");
    expect_levels_error("", "-c: '' is an empty list");
    expect_levels_error("1,,2", "-c: '1,,2' has an empty item (number 2)");
    expect_levels_error("1, 2", "-c: item ' 2' of '1, 2' has spaces around it");

    /* the range is the caller's */
    unsigned *levels = NULL;
    size_t n = 0;
    struct pb_err e = {{0}};
    assert_int_equal(pb_parse_levels("0,3", 0, 3, &levels, &n, &e), 0);
    assert_int_equal(n, 2);
    free(levels);
    assert_int_equal(pb_parse_levels("4", 0, 3, &levels, &n, &e), -EINVAL);
    assert_string_equal(e.msg, "-c: concurrency must be a whole number in [0, 3], got '4'");

    /* more levels than the 64 -c once kept without a word */
    char text[2000];
    size_t len = 0;
    for (unsigned i = 1; i <= 300; i++)
        len += (size_t)sprintf(text + len, "%s%u", i > 1 ? "," : "", i);
    assert_int_equal(pb_parse_levels(text, 1, 1000, &levels, &n, &e), 0);
    assert_int_equal(n, 300);
    assert_int_equal(levels[299], 300);
    free(levels);
}

static void expect_duration(const char *text, uint64_t want)
{
    uint64_t v = 1;
    int rc = pb_parse_duration_ns(text, &v);
    if (rc != 0 || v != want)
        fail_msg("pb_parse_duration_ns(\"%s\") = %d, %llu; expected %llu", text, rc,
                 (unsigned long long)v, (unsigned long long)want);
}

static void expect_bad_duration(const char *text)
{
    uint64_t v = 1;
    int rc = pb_parse_duration_ns(text, &v);
    if (rc != -EINVAL || v != 0)
        fail_msg("pb_parse_duration_ns(\"%s\") = %d, %llu; expected -EINVAL and 0", text, rc,
                 (unsigned long long)v);
}

static void expect_long_duration(const char *text)
{
    uint64_t v = 1;
    int rc = pb_parse_duration_ns(text, &v);
    if (rc != -ERANGE || v != 0)
        fail_msg("pb_parse_duration_ns(\"%s\") = %d, %llu; expected -ERANGE and 0", text, rc,
                 (unsigned long long)v);
}

static void test_durations(void **state)
{
    (void)state;
    expect_duration("10s", UINT64_C(10000000000));
    expect_duration("500ms", 500000000);
    expect_duration("250us", 250000);
    expect_duration("100ns", 100);
    expect_duration("2m", UINT64_C(120000000000));
    expect_duration("1h", UINT64_C(3600000000000));
    expect_duration("1.5s", 1500000000);
    expect_duration("3", UINT64_C(3000000000));
    expect_duration("0.25", 250000000);
    expect_duration(".5ms", 500000);
    expect_duration("0", 0);
    expect_duration("1.000000001s", 1000000001);
    expect_duration("0.1s", 100000000);
    expect_duration("2.5h", UINT64_C(9000000000000));
    /* 0.009 * 3.6e12 is 32399999999.999996 in doubles: rounded, not truncated. */
    expect_duration("0.009h", UINT64_C(32400000000));
    /* Whole numbers stay exact where a double would round. */
    expect_duration("31535999999999999ns", PB_DURATION_MAX_NS - 1);
    /* The maximum, a year, in every unit; a nanosecond more is too long. */
    assert_true(PB_DURATION_MAX_NS == UINT64_C(31536000000000000));
    expect_duration("31536000000000000ns", PB_DURATION_MAX_NS);
    expect_duration("31536000000000us", PB_DURATION_MAX_NS);
    expect_duration("31536000000ms", PB_DURATION_MAX_NS);
    expect_duration("31536000s", PB_DURATION_MAX_NS);
    expect_duration("31536000", PB_DURATION_MAX_NS);
    expect_duration("525600m", PB_DURATION_MAX_NS);
    expect_duration("8760h", PB_DURATION_MAX_NS);
    expect_duration("8759.5h", PB_DURATION_MAX_NS - UINT64_C(1800000000000));
    expect_long_duration("31536000000000001ns");
    expect_long_duration("31536000.000000001s");
    expect_long_duration("31536001");
    expect_long_duration("8760.0000001h");
    expect_long_duration("525601m");
    /* start + this once wrapped: a run of it had 0 tasks */
    expect_long_duration("18446744073s");
    expect_long_duration("18446744073709551615ns");
    expect_long_duration("18446744073709551616ns");
    expect_long_duration("99999999999h");
    expect_long_duration("99999999999999999999999999999999s");

    expect_bad_duration("-1s");
    expect_bad_duration("-0.5");
    expect_bad_duration("");
    expect_bad_duration("s");
    expect_bad_duration(".");
    expect_bad_duration("10x");
    expect_bad_duration("10 s");
    expect_bad_duration(" 10s");
    expect_bad_duration("10S");
    expect_bad_duration("1.5.2s");
    expect_bad_duration("1e3s");
    expect_bad_duration("nan");
    expect_bad_duration("10sec");
    expect_bad_duration("0x10");
    expect_bad_duration("0x10s");
    expect_bad_duration("inf");
    expect_bad_duration("infs");
    expect_bad_duration("+1s");
    expect_bad_duration("1s ");
    expect_bad_duration("1e999");
    expect_bad_duration("1d");
    /* a syntax error stays one past the maximum */
    expect_bad_duration("99999999999999999999999999x");
    uint64_t v;
    assert_int_equal(pb_parse_duration_ns("abc", &v), -EINVAL);
    assert_int_equal(pb_parse_duration_ns("-1s", &v), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults, setup),
        cmocka_unit_test_setup(test_find_and_type_names, setup),
        cmocka_unit_test(test_parse_int),
        cmocka_unit_test(test_parse_uint),
        cmocka_unit_test(test_parse_double),
        cmocka_unit_test(test_quote),
        cmocka_unit_test(test_split_list),
        cmocka_unit_test(test_split_values),
        cmocka_unit_test(test_parse_levels),
        cmocka_unit_test_setup(test_set_values, setup),
        cmocka_unit_test_setup(test_set_bool, setup),
        cmocka_unit_test_setup(test_set_errors, setup),
        cmocka_unit_test_setup(test_strings, setup),
        cmocka_unit_test(test_init_errors),
        cmocka_unit_test_setup(test_accessor_misuse_aborts, setup),
        cmocka_unit_test(test_durations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
