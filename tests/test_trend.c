/* Unit tests of the change-point detection: synthetic series with known shifts and a few percent
 * of lognormal noise, no shift (false alarms), the edges (short, constant, invalid input). */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "harness/trend.h"

#include "tests/unit.h"

/* Lognormal sigma: a few percent, as the medians of repeated runs of one commit differ. */
#define NOISE 0.02

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double gauss(uint64_t *s)
{
    double u = ((double)(splitmix(s) >> 11) + 0.5) / 9007199254740992.0;
    double v = ((double)(splitmix(s) >> 11) + 0.5) / 9007199254740992.0;
    return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

/* n values around 1000, multiplied by factor[k] from index at[k] on. */
static void series(double *x, size_t n, uint64_t seed, const size_t *at, const double *factor,
                   size_t nshifts)
{
    for (size_t i = 0; i < n; i++) {
        double level = 1000.0;
        for (size_t k = 0; k < nshifts; k++)
            if (i >= at[k])
                level *= factor[k];
        x[i] = level * exp(NOISE * gauss(&seed));
    }
}

static void test_best_split_of_a_step(void **state)
{
    (void)state;
    const double z[] = {1, 1, 1, 1, 1, 2, 2, 2};
    size_t tau;
    double q;
    assert_int_equal(pb_trend_best_split(z, 8, 2, &tau, &q), 0);
    assert_int_equal(tau, 5);
    /* m = 5, k = 3: across 15 pairs at distance 1, no distance within: 15/8 * 2 * 15 / 15. */
    assert_close(q, 15.0 / 8.0 * 2.0, 1e-12);
    assert_int_equal(pb_trend_best_split(z, 3, 2, &tau, &q), -EINVAL);
    assert_int_equal(pb_trend_best_split(z, 8, 1, &tau, &q), -EINVAL);
}

/* The statistic straight from its definition, O(n^3): what the O(n log n) scan must match. */
static double q_direct(const double *z, size_t n, size_t tau)
{
    double across = 0.0, wl = 0.0, wr = 0.0, m = (double)tau, k = (double)(n - tau);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double d = fabs(z[i] - z[j]);
            if (j < tau)
                wl += d;
            else if (i >= tau)
                wr += d;
            else
                across += d;
        }
    return m * k / (m + k) *
           (2.0 * across / (m * k) - 2.0 * wl / (m * (m - 1.0)) - 2.0 * wr / (k * (k - 1.0)));
}

static void test_best_split_matches_definition(void **state)
{
    (void)state;
    uint64_t seed = 42;
    double z[37];
    for (int round = 0; round < 20; round++) {
        size_t n = 4 + (size_t)round % 34, tau, best_tau = 0;
        double q, best = -INFINITY;
        for (size_t i = 0; i < n; i++)
            z[i] = round % 3 == 0 ? (double)(splitmix(&seed) % 4) : gauss(&seed); /* ties too */
        assert_int_equal(pb_trend_best_split(z, n, 2, &tau, &q), 0);
        for (size_t t = 2; t + 2 <= n; t++) {
            double d = q_direct(z, n, t);
            if (d > best + 1e-9) {
                best = d;
                best_tau = t;
            }
        }
        assert_close(q, best, 1e-9 * (1.0 + fabs(best)));
        assert_close(q_direct(z, n, tau), best, 1e-9 * (1.0 + fabs(best)));
        (void)best_tau;
    }
}

static void test_no_shift(void **state)
{
    (void)state;
    struct pb_trend_opts o;
    struct pb_trend_cp cps[40];
    double x[40];
    int alarms = 0, seeds = 200;

    pb_trend_opts_init(&o);
    for (int s = 0; s < seeds; s++) {
        series(x, 40, 1000 + (uint64_t)s, NULL, NULL, 0);
        int n = pb_trend_detect(x, 40, &o, cps);
        assert_true(n >= 0);
        alarms += n > 0;
    }
    printf("no shift: %d of %d series with a change point at alpha %g\n", alarms, seeds, o.alpha);
    assert_true(alarms * 100 <= seeds * 5);
}

/* The change point nearest index want, within one, or NULL. */
static const struct pb_trend_cp *find_cp(const struct pb_trend_cp *cps, int n, size_t want)
{
    const struct pb_trend_cp *best = NULL;
    for (int i = 0; i < n; i++)
        if (cps[i].index + 1 >= want && cps[i].index <= want + 1 && (!best || cps[i].index == want))
            best = &cps[i];
    return best;
}

/* Each true shift found where it is (one off in at most 2 of 40 seeds: noise can make the point
 * beside it look as shifted), of its size within 3%; a spurious extra change point (a
 * segment's own test at alpha) in at most 10% of the seeds. */
static void check_shifts(size_t n, const size_t *at, const double *f, size_t nshifts,
                         uint64_t seed0)
{
    struct pb_trend_opts o;
    struct pb_trend_cp cps[64];
    double x[64];
    int seeds = 40, extra = 0, off = 0;

    pb_trend_opts_init(&o);
    for (int s = 0; s < seeds; s++) {
        series(x, n, seed0 + (uint64_t)s, at, f, nshifts);
        int found = pb_trend_detect(x, n, &o, cps);
        assert_true(found >= (int)nshifts);
        for (size_t k = 0; k < nshifts; k++) {
            const struct pb_trend_cp *cp = find_cp(cps, found, at[k]);
            if (!cp)
                fail_msg("seed %d: no change point at %zu", s, at[k]);
            off += cp->index != at[k];
            assert_true(cp->p <= o.alpha);
            if (found == (int)nshifts)
                assert_close(cp->after / cp->before, f[k], 0.03 * f[k]);
        }
        extra += found > (int)nshifts;
    }
    printf("%zu shift(s): all found, %d one off; %d of %d seeds with an extra change point\n",
           nshifts, off, extra, seeds);
    assert_true(off <= 2);
    assert_true(extra * 100 <= seeds * 10);
}

static void test_one_shift(void **state)
{
    (void)state;
    const size_t at[] = {18};
    const double f[] = {0.9};
    check_shifts(30, at, f, 1, 7);
}

static void test_two_shifts(void **state)
{
    (void)state;
    const size_t at[] = {12, 24};
    const double f[] = {0.9, 1.25};
    check_shifts(36, at, f, 2, 99);
}

static void test_deterministic(void **state)
{
    (void)state;
    struct pb_trend_opts o;
    struct pb_trend_cp a[40], b[40];
    const size_t at[] = {20};
    const double f[] = {1.04};
    double x[40];

    pb_trend_opts_init(&o);
    series(x, 40, 5, at, f, 1);
    int na = pb_trend_detect(x, 40, &o, a), nb = pb_trend_detect(x, 40, &o, b);
    assert_int_equal(na, nb);
    for (int i = 0; i < na; i++) {
        assert_int_equal(a[i].index, b[i].index);
        assert_close(a[i].p, b[i].p, 0.0);
    }
}

static void test_edges(void **state)
{
    (void)state;
    struct pb_trend_opts o;
    struct pb_trend_cp cps[8];
    const double flat[] = {5, 5, 5, 5, 5, 5, 5, 5};
    const double bad[] = {1, 2, 0, 4};
    const double nan_[] = {1, 2, NAN, 4};
    const double step[] = {1, 1, 1, 2, 2, 2};

    pb_trend_opts_init(&o);
    assert_int_equal(pb_trend_detect(flat, 8, &o, cps), 0);
    assert_int_equal(pb_trend_detect(flat, 0, &o, cps), 0);
    assert_int_equal(pb_trend_detect(flat, 1, &o, cps), 0);
    assert_int_equal(pb_trend_detect(flat, 3, &o, cps), 0);
    assert_int_equal(pb_trend_detect(bad, 4, &o, cps), -EINVAL);
    assert_int_equal(pb_trend_detect(nan_, 4, &o, cps), -EINVAL);
    /* Six noiseless points: one split of 20 arrangements is as large, so p = 1/20 at best. */
    assert_true(pb_trend_detect(step, 6, &o, cps) >= 0);
    o.min_size = 1;
    assert_int_equal(pb_trend_detect(flat, 8, &o, cps), -EINVAL);
    o.min_size = 3;
    assert_int_equal(pb_trend_detect(flat, 5, &o, cps), 0);
    assert_true(isnan(pb_trend_median(flat, 2, 2)));
    assert_close(pb_trend_median(step, 0, 6), 1.5, 0.0);
}

/* The size the command meets: 500 documents, a shift in the middle; says how long one takes. */
static void test_timing(void **state)
{
    (void)state;
    enum { N = 500 };
    struct pb_trend_opts o;
    static struct pb_trend_cp cps[N];
    static double x[N];
    const size_t at[] = {250};
    const double f[] = {0.95};
    struct timespec t0, t1;

    pb_trend_opts_init(&o);
    series(x, N, 3, at, f, 1);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int n = pb_trend_detect(x, N, &o, cps);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(n >= 1);
    int found = 0;
    for (int i = 0; i < n; i++)
        found |= cps[i].index >= 245 && cps[i].index <= 255;
    assert_true(found);
    printf("500 points, %d change point(s): %.1f ms\n", n,
           (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_best_split_of_a_step),
        cmocka_unit_test(test_best_split_matches_definition),
        cmocka_unit_test(test_no_shift),
        cmocka_unit_test(test_one_shift),
        cmocka_unit_test(test_two_shifts),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_timing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
