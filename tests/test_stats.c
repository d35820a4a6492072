/* Unit tests of the repetition summary: values worked out by hand, the median CI, outliers. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness/stats.h"

#include "tests/unit.h"

static void test_odd_sample(void **state)
{
    (void)state;
    /* Unsorted on purpose; sorted: 1 2 3 4 100. */
    const double x[] = {4, 100, 1, 3, 2};
    double copy[5];
    memcpy(copy, x, sizeof(x));
    struct pb_summary s;
    pb_summarize(x, 5, &s);

    assert_memory_equal(x, copy, sizeof(x)); /* input left alone */
    assert_int_equal(s.n, 5);
    assert_close(s.median, 3, 0);
    assert_close(s.mean, 22, 1e-12); /* 110 / 5 */
    /* deviations -21 -20 -19 -18 78; squares 441+400+361+324+6084 = 7610; / 4 = 1902.5 */
    assert_close(s.stddev, sqrt(1902.5), 1e-12);
    assert_close(s.stddev, 43.617656, 1e-6);
    assert_close(s.cv, 43.617656 / 22, 1e-6);
    assert_close(s.min, 1, 0);
    assert_close(s.max, 100, 0);
    /* |x - 3| = 2 1 0 1 97, sorted 0 1 1 2 97: median 1 */
    assert_close(s.mad, 1, 0);
    /* n = 5: min..max covers the median with 1 - 2/2^5 = 0.9375 < 0.95 */
    assert_close(s.ci_low, 1, 0);
    assert_close(s.ci_high, 100, 0);
    assert_close(s.ci_level, 0.9375, 1e-12);
}

static void test_even_sample(void **state)
{
    (void)state;
    const double x[] = {4, 1, 3, 2};
    struct pb_summary s;
    pb_summarize(x, 4, &s);
    assert_close(s.median, 2.5, 0); /* (2 + 3) / 2 */
    assert_close(s.mean, 2.5, 0);
    /* squares 2.25 + 0.25 + 0.25 + 2.25 = 5; / 3 */
    assert_close(s.stddev, sqrt(5.0 / 3.0), 1e-12);
    assert_close(s.cv, sqrt(5.0 / 3.0) / 2.5, 1e-12);
    /* |x - 2.5| = 1.5 1.5 0.5 0.5: median 1 */
    assert_close(s.mad, 1, 0);
    assert_close(s.ci_low, 1, 0);
    assert_close(s.ci_high, 4, 0);
    assert_close(s.ci_level, 0.875, 1e-12); /* 1 - 2/16 */
}

static void test_degenerate_samples(void **state)
{
    (void)state;
    struct pb_summary s;
    memset(&s, 0x55, sizeof(s));
    pb_summarize(NULL, 0, &s);
    assert_int_equal(s.n, 0);
    assert_close(s.median, 0, 0);
    assert_close(s.mean, 0, 0);
    assert_close(s.stddev, 0, 0);
    assert_close(s.ci_level, 0, 0);

    const double one[] = {7};
    pb_summarize(one, 1, &s);
    assert_int_equal(s.n, 1);
    assert_close(s.median, 7, 0);
    assert_close(s.mean, 7, 0);
    assert_close(s.stddev, 0, 0);
    assert_close(s.cv, 0, 0);
    assert_close(s.mad, 0, 0);
    assert_close(s.ci_low, 7, 0);
    assert_close(s.ci_high, 7, 0);
    assert_close(s.ci_level, 0, 0); /* 1 - 2/2 */

    /* Mean 0: cv is defined as 0, not a division by zero. */
    const double sym[] = {-1, 1};
    pb_summarize(sym, 2, &s);
    assert_close(s.mean, 0, 0);
    assert_close(s.stddev, sqrt(2.0), 1e-12);
    assert_close(s.cv, 0, 0);
    assert_close(s.ci_level, 0.5, 1e-12);
}

static void test_ci_small_tables(void **state)
{
    (void)state;
    struct pb_summary s;
    /* n = 6: min..max reaches 1 - 2/64 = 0.96875, and x(2)..x(5) only 1 - 14/64 = 0.78. */
    const double six[] = {6, 5, 4, 3, 2, 1};
    pb_summarize(six, 6, &s);
    assert_close(s.ci_low, 1, 0);
    assert_close(s.ci_high, 6, 0);
    assert_close(s.ci_level, 0.95, 0);

    /* n = 10: P(B <= 1) = 11/1024, P(B <= 2) = 56/1024, so x(2)..x(9) (97.9%) is the narrowest
     * at 95% (x(3)..x(8) is 89.1%); the classic table's ranks 2 and 9. */
    const double ten[] = {10, 3, 7, 1, 9, 2, 8, 4, 6, 5};
    pb_summarize(ten, 10, &s);
    assert_close(s.ci_low, 2, 0);
    assert_close(s.ci_high, 9, 0);
    assert_close(s.ci_level, 0.95, 0);
    assert_close(s.median, 5.5, 0);

    /* n = 20: P(B <= 5) = 0.0207, P(B <= 6) = 0.0577: ranks 6 and 15. */
    double twenty[20];
    for (int i = 0; i < 20; i++)
        twenty[i] = 10.0 * (20 - i);
    pb_summarize(twenty, 20, &s);
    assert_close(s.ci_low, 60, 0);
    assert_close(s.ci_high, 150, 0);
}

/* For a large n, the ranks must match an independent exact binomial computation (long double
 * recurrence, which does not underflow at 2^-2000). */
static void test_ci_large_n(void **state)
{
    (void)state;
    const size_t n = 2001;
    double *x = malloc(n * sizeof(*x));
    assert_non_null(x);
    for (size_t i = 0; i < n; i++)
        x[i] = (double)((i * 7919) % n + 1); /* a permutation of 1..n */

    long double pmf = ldexpl(1.0L, -(int)n), cdf = 0;
    size_t j = 0; /* the largest j with 1 - 2 P(B <= j-1) >= 0.95 */
    for (size_t i = 0; i < n; i++) {
        cdf += pmf;
        if (1 - 2 * cdf < 0.95L)
            break;
        j = i + 1;
        pmf = pmf * (long double)(n - i) / (long double)(i + 1);
    }
    assert_true(j > 900 && j < 1000); /* about n/2 - 1.96 sqrt(n)/2 = 956 */

    struct pb_summary s;
    pb_summarize(x, n, &s);
    assert_close(s.median, 1001, 0);
    assert_close(s.ci_low, (double)j, 0);
    assert_close(s.ci_high, (double)(n - j + 1), 0);
    assert_close(s.ci_level, 0.95, 0);
    free(x);
}

static void test_median_sorts_in_place(void **state)
{
    (void)state;
    double x[] = {3, 1, 2};
    assert_close(pb_median(x, 3), 2, 0);
    assert_close(x[0], 1, 0);
    assert_close(x[1], 2, 0);
    assert_close(x[2], 3, 0);
    double y[] = {10, -4, 8, 0};
    assert_close(pb_median(y, 4), 4, 0); /* (0 + 8) / 2 */
    assert_close(pb_median(NULL, 0), 0, 0);
}

static void test_outliers(void **state)
{
    (void)state;
    size_t idx[8];
    /* median 12.5; |x - 12.5| = 2.5 1.5 .5 .5 1.5 87.5, MAD 1.5; 3 MADs = 3*1.4826*1.5 = 6.67 */
    const double a[] = {10, 11, 12, 13, 14, 100};
    assert_int_equal(pb_outliers(a, 6, 3.0, idx), 1);
    assert_int_equal(idx[0], 5);
    assert_int_equal(pb_outliers(a, 6, 3.0, NULL), 1);
    /* 87.5 > k * 2.2239 only when k < 39.35 */
    assert_int_equal(pb_outliers(a, 6, 39.0, idx), 1);
    assert_int_equal(pb_outliers(a, 6, 40.0, idx), 0);

    /* median 12; |x - 12| = 62 2 1 0 1 2 88, MAD 2; limit 3*1.4826*2 = 8.9 */
    const double b[] = {-50, 10, 11, 12, 13, 14, 100};
    assert_int_equal(pb_outliers(b, 7, 3.0, idx), 2);
    assert_int_equal(idx[0], 0);
    assert_int_equal(idx[1], 6);
    /* k = 0.3: limit 0.89, so everything but the median itself (deviation 0) is out */
    assert_int_equal(pb_outliers(b, 7, 0.3, idx), 6);
    assert_int_equal(idx[3], 4);

    /* More than half equal: MAD 0, and nothing is called an outlier. */
    const double c[] = {5, 5, 5, 5, 100};
    assert_int_equal(pb_outliers(c, 5, 3.0, idx), 0);
    assert_int_equal(pb_outliers(NULL, 0, 3.0, idx), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_odd_sample),         cmocka_unit_test(test_even_sample),
        cmocka_unit_test(test_degenerate_samples), cmocka_unit_test(test_ci_small_tables),
        cmocka_unit_test(test_ci_large_n),         cmocka_unit_test(test_median_sorts_in_place),
        cmocka_unit_test(test_outliers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
