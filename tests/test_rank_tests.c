/* Unit tests of the rank statistics against SciPy's values (tests/fixtures/rank_tests.json, made
 * by tests/fixtures/make_rank_fixtures.py) and against small cases worked out by hand. */
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

#define FIXTURES PB_SOURCE_DIR "/tests/fixtures/rank_tests.json"
#include "tests/fixture.h"

static void test_mwu_against_scipy(void **state)
{
    size_t i;
    json_t *c;
    char what[64];
    (void)state;

    json_array_foreach(json_object_get(fixtures, "mannwhitneyu"), i, c)
    {
        double *x, *y;
        size_t nx = test_doubles(json_object_get(c, "x"), &x);
        size_t ny = test_doubles(json_object_get(c, "y"), &y);
        const char *method = json_string_value(json_object_get(c, "method"));
        struct pb_mwu r;
        snprintf(what, sizeof(what), "case %zu: %zu vs %zu", i, nx, ny);

        assert_int_equal(pb_mwu_test(x, nx, y, ny, PB_MWU_AUTO, &r), 0);
        assert_rel(r.u1, json_number_value(json_object_get(c, "u1")), 1e-12);
        assert_rel(r.p, json_number_value(json_object_get(c, "p")), 1e-9);
        assert_int_equal(r.ties, json_is_true(json_object_get(c, "ties")));
        assert_int_equal(r.method, strcmp(method, "exact") == 0 ? PB_MWU_EXACT : PB_MWU_ASYMPTOTIC);

        assert_int_equal(pb_mwu_test(x, nx, y, ny, PB_MWU_ASYMPTOTIC, &r), 0);
        assert_rel(r.p, json_number_value(json_object_get(c, "p_asymptotic")), 1e-9);
        if (json_object_get(c, "p_exact")) {
            assert_int_equal(pb_mwu_test(x, nx, y, ny, PB_MWU_EXACT, &r), 0);
            assert_rel(r.p, json_number_value(json_object_get(c, "p_exact")), 1e-9);
        } else if (r.ties) {
            assert_int_equal(pb_mwu_test(x, nx, y, ny, PB_MWU_EXACT, &r), -EINVAL);
        }

        size_t j;
        json_t *h;
        json_array_foreach(json_object_get(c, "hodges_lehmann"), j, h)
        {
            double alpha = json_number_value(json_object_get(h, "alpha"));
            struct pb_hl hl;
            snprintf(what, sizeof(what), "case %zu: %zu vs %zu, alpha %g", i, nx, ny, alpha);
            assert_int_equal(pb_hodges_lehmann_ratio(x, nx, y, ny, alpha, &hl), 0);
            assert_rel(hl.estimate, json_number_value(json_object_get(h, "ratio")), 1e-12);
            assert_rel(hl.low, json_number_value(json_object_get(h, "ratio_low")), 1e-12);
            assert_rel(hl.high, json_number_value(json_object_get(h, "ratio_high")), 1e-12);
            assert_rel(hl.level, json_number_value(json_object_get(h, "level")), 1e-9);
            assert_int_equal(pb_hodges_lehmann(x, nx, y, ny, alpha, &hl), 0);
            assert_rel(hl.estimate, json_number_value(json_object_get(h, "shift")), 1e-9);
            assert_rel(hl.low, json_number_value(json_object_get(h, "shift_low")), 1e-9);
            assert_rel(hl.high, json_number_value(json_object_get(h, "shift_high")), 1e-9);
        }
        free(x);
        free(y);
    }
}

static void test_critical_against_scipy(void **state)
{
    size_t i;
    json_t *c;
    (void)state;

    json_array_foreach(json_object_get(fixtures, "critical"), i, c)
    {
        size_t m = (size_t)json_integer_value(json_object_get(c, "m"));
        size_t n = (size_t)json_integer_value(json_object_get(c, "n"));
        double q = json_number_value(json_object_get(c, "q"));
        long k = (long)json_integer_value(json_object_get(c, "k"));
        if (pb_mwu_critical(m, n, q) != k)
            fail_msg("critical(%zu, %zu, %g) = %ld, expected %ld", m, n, q,
                     pb_mwu_critical(m, n, q), k);
    }
}

static void test_min_p(void **state)
{
    size_t i;
    json_t *c;
    const char *what = "min_p";
    (void)state;

    json_array_foreach(json_object_get(fixtures, "min_p"), i, c)
    {
        size_t m = (size_t)json_integer_value(json_object_get(c, "m"));
        size_t n = (size_t)json_integer_value(json_object_get(c, "n"));
        assert_rel(pb_mwu_min_p(m, n), json_number_value(json_object_get(c, "p")), 1e-9);
    }
    /* 2/C(8,4) = 0.0286, 2/C(10,5) = 0.0079: five per side reach 0.01, four do not. */
    assert_int_equal(pb_mwu_need(0.01), 5);
    assert_int_equal(pb_mwu_need(0.05), 4);
    assert_int_equal(pb_mwu_need(0.01 / 20), 8); /* 2/C(16,8) = 1.55e-4 < 5e-4 */
    assert_int_equal(pb_mwu_need(0.0), 0);

    /* Complete separation under the normal approximation, 10 vs 10 without ties:
     * z = (50 - 0.5) / sqrt(100 * 21 / 12), p = 2 * sf(z) = 1.8267e-4 (SciPy's value for
     * mannwhitneyu(range(10), range(10, 20), method='asymptotic')). */
    double lo[10], hi[10];
    struct pb_mwu r;
    for (int k = 0; k < 10; k++) {
        lo[k] = k;
        hi[k] = 10 + k;
    }
    assert_int_equal(pb_mwu_test(lo, 10, hi, 10, PB_MWU_ASYMPTOTIC, &r), 0);
    assert_rel(r.p, 1.8267179110955002e-4, 1e-9);
    assert_rel(r.min_p, r.p, 1e-12);
    assert_int_equal(pb_mwu_test(lo, 10, hi, 10, PB_MWU_EXACT, &r), 0);
    assert_rel(r.min_p, 2.0 / 184756.0, 1e-12);
    assert_rel(r.p, r.min_p, 1e-12);
    /* Ties shrink the variance: the same separation with ties reaches a smaller p. */
    lo[1] = lo[0];
    hi[1] = hi[0];
    assert_int_equal(pb_mwu_test(lo, 10, hi, 10, PB_MWU_AUTO, &r), 0);
    assert_int_equal(r.method, PB_MWU_ASYMPTOTIC);
    assert_true(r.min_p < 1.8267179110955002e-4);
    assert_rel(r.p, r.min_p, 1e-12);
    /* Normal approximation: 6 per side reach 0.01 (p = 0.0051); for 310 comparisons 13 (12
     * give 3.66e-5 >= 0.01 / 310). */
    assert_int_equal(pb_mwu_need_asymptotic(0.01), 6);
    assert_int_equal(pb_mwu_need_asymptotic(0.01 / 310), 13);
}

static void test_mwu_by_hand(void **state)
{
    const char *what = "by hand";
    struct pb_mwu r;
    (void)state;

    /* Complete separation, 3 vs 3: U1 = 0, the most extreme of C(6,3) = 20 arrangements on
     * either side: p = 2/20. */
    const double a[] = {1, 2, 3}, b[] = {4, 5, 6};
    assert_int_equal(pb_mwu_test(a, 3, b, 3, PB_MWU_AUTO, &r), 0);
    assert_rel(r.u1, 0, 0);
    assert_rel(r.p, 0.1, 1e-12);
    assert_int_equal(r.method, PB_MWU_EXACT);
    assert_int_equal(pb_mwu_test(b, 3, a, 3, PB_MWU_AUTO, &r), 0);
    assert_rel(r.u1, 9, 0);
    assert_rel(r.p, 0.1, 1e-12);

    /* All values equal: no evidence at all. */
    const double e[] = {7, 7, 7, 7};
    assert_int_equal(pb_mwu_test(e, 2, e + 2, 2, PB_MWU_AUTO, &r), 0);
    assert_rel(r.p, 1.0, 0);
    assert_int_equal(r.method, PB_MWU_ASYMPTOTIC);

    assert_int_equal(pb_mwu_test(a, 0, b, 3, PB_MWU_AUTO, &r), -EINVAL);
    assert_rel(pb_mwu_cdf(-1, 3, 3), 0, 0);
    assert_rel(pb_mwu_cdf(0, 3, 3), 0.05, 1e-12);
    assert_rel(pb_mwu_cdf(9, 3, 3), 1, 0);
    /* Symmetry: P(U <= 4) + P(U <= 4) = 1 for mn = 9 (P(U <= 4) = P(U >= 5)). */
    assert_rel(pb_mwu_cdf(4, 3, 3), 0.5, 1e-12);
}

static void test_hodges_lehmann_by_hand(void **state)
{
    const char *what = "hl by hand";
    struct pb_hl hl;
    (void)state;

    /* Differences y - x of {1, 2} and {4, 6}: 2 3 4 5; median 3.5; too few values for any
     * level, so the interval is the range of the differences. */
    const double x[] = {1, 2}, y[] = {4, 6};
    assert_int_equal(pb_hodges_lehmann(x, 2, y, 2, 0.05, &hl), 0);
    assert_rel(hl.estimate, 3.5, 1e-12);
    assert_rel(hl.low, 2, 0);
    assert_rel(hl.high, 5, 0);
    assert_rel(hl.level, 1.0 - 2.0 / 6.0, 1e-12);

    /* A pure 10% shift of the same values: the ratio is exactly 1.1 and so is the interval's
     * centre. */
    double b[10], n[10];
    for (int i = 0; i < 10; i++) {
        b[i] = 100.0 + i;
        n[i] = b[i] * 1.1;
    }
    assert_int_equal(pb_hodges_lehmann_ratio(b, 10, n, 10, 0.01, &hl), 0);
    assert_rel(hl.estimate, 1.1, 1e-12);
    assert_true(hl.low < 1.1 && hl.high > 1.1);
    assert_true(hl.level >= 0.99);

    const double z[] = {0, 1};
    assert_int_equal(pb_hodges_lehmann_ratio(z, 2, y, 2, 0.05, &hl), -EDOM);
}

static void test_normal_isf(void **state)
{
    const char *what = "isf";
    (void)state;
    assert_rel(pb_normal_isf(0.025), 1.959963984540054, 1e-12);
    assert_rel(pb_normal_isf(0.005), 2.5758293035489004, 1e-12);
    assert_rel(pb_normal_isf(0.5) + 1.0, 1.0, 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mwu_against_scipy),
        cmocka_unit_test(test_critical_against_scipy),
        cmocka_unit_test(test_min_p),
        cmocka_unit_test(test_mwu_by_hand),
        cmocka_unit_test(test_hodges_lehmann_by_hand),
        cmocka_unit_test(test_normal_isf),
    };
    return cmocka_run_group_tests(tests, load_fixtures, free_fixtures);
}
