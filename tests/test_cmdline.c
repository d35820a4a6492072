/* Unit tests of the command-line splitting (the exec workload's cmd) and of the quoting that
 * `parbench run -- ARGV` does, which must split back to the same words, as sh reads them too. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness/cmdline.h"

/* Splits text and checks the words against the NULL-terminated list want. */
static void split_is(const char *text, const char *const *want)
{
    char out[256];
    size_t n, k = 0;
    struct pb_err err = {""};
    assert_int_equal(pb_cmdline_split(text, out, sizeof(out), &n, &err), 0);
    for (const char *w = out; want[k]; k++, w += strlen(w) + 1) {
        assert_true(k < n);
        assert_string_equal(w, want[k]);
    }
    assert_int_equal(n, k);
}

static void test_split(void **state)
{
    (void)state;
    split_is("", (const char *[]){NULL});
    split_is("  \t\n", (const char *[]){NULL});
    split_is("/bin/echo {task}", (const char *[]){"/bin/echo", "{task}", NULL});
    split_is("  a   b\tc  ", (const char *[]){"a", "b", "c", NULL});
    split_is("'a b' \"c d\"", (const char *[]){"a b", "c d", NULL});
    split_is("a'b c'd", (const char *[]){"ab cd", NULL});
    split_is("'' \"\" x", (const char *[]){"", "", "x", NULL});
    split_is("'a\\b' \"a\\\"b\\\\c\\n\"", (const char *[]){"a\\b", "a\"b\\c\\n", NULL});
    split_is("a\\ b \\'c \\\\", (const char *[]){"a b", "'c", "\\", NULL});
    split_is("'it'\\''s'", (const char *[]){"it's", NULL});
}

static void test_split_errors(void **state)
{
    char out[8];
    size_t n;
    struct pb_err err = {""};
    (void)state;
    assert_int_equal(pb_cmdline_split("a 'b", out, sizeof(out), &n, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "unterminated ' quote"));
    assert_int_equal(pb_cmdline_split("\"b", out, sizeof(out), &n, &err), -EINVAL);
    assert_int_equal(pb_cmdline_split("b\\", out, sizeof(out), &n, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "backslash"));
    assert_int_equal(pb_cmdline_split("abcdefgh", out, sizeof(out), &n, &err), -ENOSPC);
    assert_int_equal(pb_cmdline_split("abcdefg", out, sizeof(out), &n, &err), 0);
    assert_int_equal(n, 1);
}

/* Quotes argv, checks the line, splits it back and compares. */
static void round_trip(char *const *argv, size_t n, const char *line)
{
    char q[512], out[512];
    size_t got;
    struct pb_err err = {""};
    assert_int_equal(pb_cmdline_quote(argv, n, q, sizeof(q)), strlen(line));
    assert_string_equal(q, line);
    assert_int_equal(pb_cmdline_split(q, out, sizeof(out), &got, &err), 0);
    assert_int_equal(got, n);
    const char *w = out;
    for (size_t i = 0; i < n; i++, w += strlen(w) + 1)
        assert_string_equal(w, argv[i]);
}

static void test_quote(void **state)
{
    (void)state;
    round_trip((char *[]){"/bin/true"}, 1, "/bin/true");
    round_trip((char *[]){"sh", "-c", "exit 3"}, 3, "sh -c 'exit 3'");
    round_trip((char *[]){"echo", "", "it's", "{task}"}, 4, "echo '' 'it'\\''s' '{task}'");
    round_trip((char *[]){"a=b", "~x", "#y", "$HOME", "\"q\"", "back\\slash", "tab\there"}, 7,
               "'a=b' '~x' '#y' '$HOME' '\"q\"' 'back\\slash' 'tab\there'");
    round_trip((char *[]){"x@y%z+1:2,3./-_"}, 1, "x@y%z+1:2,3./-_");
}

static void test_quote_truncates(void **state)
{
    char q[6];
    (void)state;
    assert_int_equal(pb_cmdline_quote((char *[]){"abc", "d e"}, 2, q, sizeof(q)), 9);
    assert_string_equal(q, "abc '");
    assert_int_equal(pb_cmdline_quote((char *[]){"abc"}, 1, NULL, 0), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_split_errors),
        cmocka_unit_test(test_quote),
        cmocka_unit_test(test_quote_truncates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
