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

static void expect_bad_int(const char *text, int code)
{
    int64_t v = -12345;
    int rc = pb_parse_int(text, &v);
    if (rc != code || v != -12345)
        fail_msg("pb_parse_int(\"%s\") = %d, %lld; expected error %d, untouched", text, rc,
                 (long long)v, code);
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
    expect_set_error("ratio", "1e999", -EINVAL, "parameter 'ratio': '1e999' is not a number");
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
    if (rc >= 0 || v != 1)
        fail_msg("pb_parse_duration_ns(\"%s\") = %d, %llu; expected an error", text, rc,
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
    expect_duration("18446744073709551615ns", UINT64_MAX);

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
    expect_bad_duration("18446744073709551616ns");
    expect_bad_duration("99999999999h");
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
