/* Unit tests of the Wilcoxon signed-rank test and the paired Hodges-Lehmann estimate against
 * SciPy and exact counts (tests/fixtures/wilcoxon.json, made by tests/fixtures/make_wilcoxon.py)
 * and against small cases worked out by hand. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "build_info.h"
#include "harness/rank_tests.h"
#include "tests/unit.h"

#define FIXTURES PB_SOURCE_DIR "/tests/fixtures/wilcoxon.json"
#include "tests/fixture.h"

static double num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_number(v))
        fail_msg("fixture: no number %s", key);
    return json_number_value(v);
}

static enum pb_wsr_method method_of(const json_t *o, const char *key)
{
    const char *m = json_string_value(json_object_get(o, key));
    assert_non_null(m);
    return strcmp(m, "exact") == 0 ? PB_WSR_EXACT : PB_WSR_ASYMPTOTIC;
}

static void test_wilcoxon_against_scipy(void **state)
{
    size_t i, agree = 0, differ = 0;
    json_t *c;
    char what[96];
    (void)state;

    json_array_foreach(json_object_get(fixtures, "wilcoxon"), i, c)
    {
        double *d, *r;
        size_t n = test_doubles(json_object_get(c, "d"), &d);
        size_t nr = test_doubles(json_object_get(c, "r"), &r);
        const char *kind = json_string_value(json_object_get(c, "kind"));
        int ties = json_is_true(json_object_get(c, "ties"));
        struct pb_wsr w;
        assert_int_equal(nr, n);
        snprintf(what, sizeof(what), "case %zu: %s, n %zu", i, kind, n);

        assert_int_equal(pb_wilcoxon_test(d, n, PB_WSR_AUTO, &w), 0);
        assert_rel(w.r_plus, num(c, "r_plus"), 1e-12);
        assert_rel(w.r_minus, num(c, "r_minus"), 1e-12);
        assert_int_equal(w.n_used, (size_t)json_integer_value(json_object_get(c, "n_used")));
        assert_int_equal(w.ties, ties);
        assert_int_equal(w.method, method_of(c, "method"));
        assert_rel(w.p, num(c, "p"), w.method == PB_WSR_EXACT ? 1e-9 : 1e-6);
        assert_true(w.min_p <= w.p * (1.0 + 1e-12));

        /* SciPy's own 'auto' gives the same p wherever it picks the same method; it picks
         * another one only where rank_tests.h says: exact from 51 to PB_WSR_EXACT_MAX (we) and
         * its truncated exact p with ties (SciPy). */
        const json_t *sa = json_object_get(c, "scipy_auto");
        if (method_of(sa, "method") == w.method) {
            assert_rel(w.p, num(sa, "p"), w.method == PB_WSR_EXACT ? 1e-9 : 1e-6);
            agree++;
        } else if (w.method == PB_WSR_EXACT) {
            assert_true(w.n_used > PB_WSR_SCIPY_EXACT_MAX && w.n_used <= PB_WSR_EXACT_MAX);
            differ++;
        } else {
            assert_true(ties && n <= PB_WSR_SCIPY_EXACT_MAX && w.n_used == n);
            differ++;
        }

        assert_int_equal(pb_wilcoxon_test(d, n, PB_WSR_ASYMPTOTIC, &w), 0);
        assert_int_equal(w.method, PB_WSR_ASYMPTOTIC);
        assert_rel(w.p, num(c, "p_approx"), 1e-6);
        if (json_object_get(c, "p_exact") && w.n_used <= PB_WSR_EXACT_MAX) {
            assert_int_equal(pb_wilcoxon_test(d, n, PB_WSR_EXACT, &w), 0);
            assert_int_equal(w.method, PB_WSR_EXACT);
            assert_rel(w.p, num(c, "p_exact"), 1e-9);
            assert_rel(w.min_p, pb_wsr_min_p(w.n_used), 0);
        } else {
            assert_int_equal(pb_wilcoxon_test(d, n, PB_WSR_EXACT, &w), -EINVAL);
        }

        size_t j;
        json_t *h;
        json_array_foreach(json_object_get(c, "hodges_lehmann"), j, h)
        {
            double alpha = num(h, "alpha");
            struct pb_hl hl;
            snprintf(what, sizeof(what), "case %zu: %s, n %zu, alpha %g", i, kind, n, alpha);
            assert_int_equal(pb_hodges_lehmann_paired(d, n, alpha, &hl), 0);
            assert_rel(hl.estimate, num(h, "shift"), 1e-12);
            assert_rel(hl.low, num(h, "shift_low"), 1e-12);
            assert_rel(hl.high, num(h, "shift_high"), 1e-12);
            assert_rel(hl.level, num(h, "level"), 1e-9);
            assert_int_equal(pb_hodges_lehmann_paired_ratio(r, n, alpha, &hl), 0);
            assert_rel(hl.estimate, num(h, "ratio"), 1e-12);
            assert_rel(hl.low, num(h, "ratio_low"), 1e-12);
            assert_rel(hl.high, num(h, "ratio_high"), 1e-12);
            assert_rel(hl.level, num(h, "level"), 1e-9);
        }
        free(d);
        free(r);
    }
    /* Both branches were seen, or the fixture no longer tests the rule. */
    assert_true(agree > 0 && differ > 0);
}

static void test_cdf_against_counts(void **state)
{
    size_t i;
    json_t *c;
    char what[64];
    (void)state;

    json_array_foreach(json_object_get(fixtures, "cdf"), i, c)
    {
        size_t n = (size_t)json_integer_value(json_object_get(c, "n"));
        double k = num(c, "k");
        snprintf(what, sizeof(what), "cdf(%g, %zu)", k, n);
        assert_rel(pb_wsr_cdf(k, n), num(c, "p"), 1e-9);
    }
    json_array_foreach(json_object_get(fixtures, "critical"), i, c)
    {
        size_t n = (size_t)json_integer_value(json_object_get(c, "n"));
        double q = num(c, "q");
        long k = (long)json_integer_value(json_object_get(c, "k"));
        if (pb_wsr_critical(n, q) != k)
            fail_msg("critical(%zu, %g) = %ld, expected %ld", n, q, pb_wsr_critical(n, q), k);
    }
}

static void test_cdf_shape(void **state)
{
    const char *what = "cdf shape";
    (void)state;

    /* The steps of the cdf sum to 1, and the distribution is symmetric about M/2:
     * P(T+ <= k) = P(T+ >= M - k) = 1 - P(T+ <= M - k - 1). */
    for (size_t n = 1; n <= 40; n += 3) {
        long top = (long)(n * (n + 1) / 2);
        double sum = 0.0, prev = 0.0;
        for (long k = 0; k <= top; k++) {
            double c = pb_wsr_cdf((double)k, n);
            assert_true(c >= prev);
            sum += c - prev;
            prev = c;
            assert_close(c, 1.0 - pb_wsr_cdf((double)(top - k - 1), n), 1e-12);
        }
        assert_close(sum, 1.0, 1e-12);
        assert_rel(pb_wsr_cdf(0, n), ldexp(1.0, -(int)n), 1e-12);
        assert_rel(pb_wsr_cdf(-1, n), 0, 0);
        assert_rel(pb_wsr_cdf((double)top, n), 1, 0);
    }
    /* Between the integers the cdf stays where it was. */
    assert_rel(pb_wsr_cdf(8.7, 10), pb_wsr_cdf(8, 10), 0);
}

static void test_tables(void **state)
{
    const char *what = "tables";
    (void)state;

    /* Two-sided 0.05 and 0.01 critical values of the printed tables (e.g. Conover, Table A12):
     * n = 10 rejects at T <= 8, P(T+ <= 8) = 25/1024 = 0.0244, P(T+ <= 9) = 33/1024 = 0.0322. */
    assert_int_equal(pb_wsr_critical(10, 0.025), 8);
    assert_rel(pb_wsr_cdf(8, 10), 25.0 / 1024.0, 1e-12);
    assert_rel(pb_wsr_cdf(9, 10), 33.0 / 1024.0, 1e-12);
    assert_int_equal(pb_wsr_critical(10, 0.005), 3);
    assert_int_equal(pb_wsr_critical(6, 0.025), 0);
    assert_int_equal(pb_wsr_critical(5, 0.025), -1);
    assert_int_equal(pb_wsr_critical(20, 0.025), 52);
    assert_int_equal(pb_wsr_critical(30, 0.025), 137);
    assert_int_equal(pb_wsr_critical(0, 0.025), -1);

    /* Smallest p: 2 / 2^n. */
    assert_rel(pb_wsr_min_p(10), 2.0 / 1024.0, 0);
    assert_rel(pb_wsr_min_p(1), 1.0, 0);
    assert_rel(pb_wsr_min_p(0), 1.0, 0);
    assert_int_equal(pb_wsr_need(0.01), 8);       /* 2/256 = 0.0078 < 0.01 <= 2/128 = 0.0156 */
    assert_int_equal(pb_wsr_need(0.05), 6);       /* 2/64 = 0.031 < 0.05 <= 2/32 */
    assert_int_equal(pb_wsr_need(0.01 / 20), 12); /* 2/4096 = 4.9e-4 < 5e-4 <= 2/2048 */
    assert_int_equal(pb_wsr_need(0.0), 0);
    assert_int_equal(pb_wsr_need(-1.0), 0);
}

static void test_wilcoxon_by_hand(void **state)
{
    const char *what = "by hand";
    struct pb_wsr w;
    (void)state;

    /* Darwin's maize, as in Wilcoxon (1945) and SciPy's documentation: statistic 24, exact p
     * 0.041259765625 (= 2 * 169 / 2^15), approximation 0.04088813291185591. */
    const double corn[] = {6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75};
    assert_int_equal(pb_wilcoxon_test(corn, 15, PB_WSR_AUTO, &w), 0);
    assert_int_equal(w.method, PB_WSR_EXACT);
    assert_rel(w.r_minus, 24, 0);
    assert_rel(w.r_plus, 96, 0);
    assert_rel(w.p, 0.041259765625, 1e-12);
    assert_rel(w.min_p, 2.0 / 32768.0, 0);
    assert_int_equal(pb_wilcoxon_test(corn, 15, PB_WSR_ASYMPTOTIC, &w), 0);
    assert_rel(w.p, 0.04088813291185591, 1e-9);

    /* All of one sign: the smallest p there is, for each method. */
    const double up[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    assert_int_equal(pb_wilcoxon_test(up, 10, PB_WSR_AUTO, &w), 0);
    assert_rel(w.p, 2.0 / 1024.0, 1e-12);
    assert_rel(w.p, w.min_p, 0);
    assert_int_equal(pb_wilcoxon_test(up, 10, PB_WSR_ASYMPTOTIC, &w), 0);
    assert_rel(w.p, w.min_p, 1e-12);

    /* Zeros are dropped: the same p as without them, but by the normal approximation as SciPy
     * (or exact on what is left, when asked). */
    const double z[] = {0, 1, 2, 0, 3, 4, 5, 6, 7, 8, 9, 10, -0.0};
    assert_int_equal(pb_wilcoxon_test(z, 13, PB_WSR_AUTO, &w), 0);
    assert_int_equal(w.n_used, 10);
    assert_int_equal(w.method, PB_WSR_ASYMPTOTIC);
    assert_int_equal(pb_wilcoxon_test(z, 13, PB_WSR_EXACT, &w), 0);
    assert_rel(w.p, 2.0 / 1024.0, 1e-12);

    /* Ties: |d| of 1, 1, 2 get ranks 1.5, 1.5, 3; exact refused. */
    const double t[] = {1, -1, 2};
    assert_int_equal(pb_wilcoxon_test(t, 3, PB_WSR_AUTO, &w), 0);
    assert_int_equal(w.ties, 1);
    assert_int_equal(w.method, PB_WSR_ASYMPTOTIC);
    assert_rel(w.r_plus, 4.5, 0);
    assert_rel(w.r_minus, 1.5, 0);
    assert_int_equal(pb_wilcoxon_test(t, 3, PB_WSR_EXACT, &w), -EINVAL);

    /* Nothing to test. */
    const double zero[] = {0, 0, -0.0};
    assert_int_equal(pb_wilcoxon_test(zero, 3, PB_WSR_AUTO, &w), -EINVAL);
    assert_int_equal(pb_wilcoxon_test(zero, 0, PB_WSR_AUTO, &w), -EINVAL);
    assert_int_equal(pb_wilcoxon_test(NULL, 0, PB_WSR_ASYMPTOTIC, &w), -EINVAL);
    const double bad[] = {1, NAN, 2};
    assert_int_equal(pb_wilcoxon_test(bad, 3, PB_WSR_AUTO, &w), -EINVAL);
}

/* The largest exact case (its speed is a benchmark's business, not a unit test's). */
static void test_exact_at_the_limit(void **state)
{
    double d[PB_WSR_EXACT_MAX + 1];
    struct pb_wsr w;
    (void)state;

    /* Alternating signs put T near M/2, the most work: the whole lower half of the
     * distribution. */
    for (size_t i = 0; i <= PB_WSR_EXACT_MAX; i++)
        d[i] = (i % 2 ? -1.0 : 1.0) * (double)(i + 1);
    assert_int_equal(pb_wilcoxon_test(d, PB_WSR_EXACT_MAX, PB_WSR_AUTO, &w), 0);
    assert_int_equal(w.method, PB_WSR_EXACT);
    assert_true(w.p > 0.9);

    /* One more is the normal approximation, and exact is refused. */
    assert_int_equal(pb_wilcoxon_test(d, PB_WSR_EXACT_MAX + 1, PB_WSR_AUTO, &w), 0);
    assert_int_equal(w.method, PB_WSR_ASYMPTOTIC);
    assert_int_equal(pb_wilcoxon_test(d, PB_WSR_EXACT_MAX + 1, PB_WSR_EXACT, &w), -EINVAL);
}

static void test_hodges_lehmann_paired_by_hand(void **state)
{
    const char *what = "paired hl by hand";
    struct pb_hl hl;
    (void)state;

    /* d = 1, 2, 4: Walsh averages 1, 1.5, 2, 2.5, 3, 4; median 2.25; three values reach no
     * level, so the interval is the whole range, covering 1 - 2/8. */
    const double d[] = {4, 1, 2};
    assert_int_equal(pb_hodges_lehmann_paired(d, 3, 0.05, &hl), 0);
    assert_rel(hl.estimate, 2.25, 0);
    assert_rel(hl.low, 1, 0);
    assert_rel(hl.high, 4, 0);
    assert_rel(hl.level, 0.75, 1e-12);

    /* n = 10 at 0.05: k = 8, so W(9) .. W(47) of the 55 averages, level 1 - 50/1024. */
    double e[10];
    for (int i = 0; i < 10; i++)
        e[i] = i + 1;
    assert_int_equal(pb_hodges_lehmann_paired(e, 10, 0.05, &hl), 0);
    assert_rel(hl.estimate, 5.5, 0);
    assert_rel(hl.level, 1.0 - 50.0 / 1024.0, 1e-12);
    assert_true(hl.low < 5.5 && hl.high > 5.5);
    assert_rel(hl.low + hl.high, 11.0, 1e-12); /* symmetric data, symmetric interval */

    /* A constant ratio is its own estimate and interval, exactly. */
    double r[12];
    for (int i = 0; i < 12; i++)
        r[i] = 1.05;
    assert_int_equal(pb_hodges_lehmann_paired_ratio(r, 12, 0.01, &hl), 0);
    assert_true(hl.estimate == 1.05);
    assert_true(hl.low == 1.05 && hl.high == 1.05);
    assert_true(hl.level >= 0.99);

    r[3] = 0.0;
    assert_int_equal(pb_hodges_lehmann_paired_ratio(r, 12, 0.01, &hl), -EDOM);
    r[3] = -1.05;
    assert_int_equal(pb_hodges_lehmann_paired_ratio(r, 12, 0.01, &hl), -EDOM);
    r[3] = NAN;
    assert_int_equal(pb_hodges_lehmann_paired_ratio(r, 12, 0.01, &hl), -EDOM);
    r[3] = INFINITY;
    assert_int_equal(pb_hodges_lehmann_paired_ratio(r, 12, 0.01, &hl), -EDOM);
    assert_int_equal(pb_hodges_lehmann_paired_ratio(r, 0, 0.01, &hl), -EINVAL);
    assert_int_equal(pb_hodges_lehmann_paired(d, 0, 0.05, &hl), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wilcoxon_against_scipy),
        cmocka_unit_test(test_cdf_against_counts),
        cmocka_unit_test(test_cdf_shape),
        cmocka_unit_test(test_tables),
        cmocka_unit_test(test_wilcoxon_by_hand),
        cmocka_unit_test(test_exact_at_the_limit),
        cmocka_unit_test(test_hodges_lehmann_paired_by_hand),
    };
    return cmocka_run_group_tests(tests, load_fixtures, free_fixtures);
}
