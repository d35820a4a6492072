/* Unit tests of the log-linear histogram against exact statistics of the same samples. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness/histogram.h"

#include "tests/unit.h"

#define NSAMPLES 100000

/* A fixed-seed generator, so a failure reproduces. */
static uint64_t rng_state;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static double rng_unit(void)
{
    return (double)(rng_next() >> 11) * 0x1.0p-53;
}

static double rng_normal(void)
{
    double u = rng_unit(), v = rng_unit();
    return sqrt(-2.0 * log(1.0 - u)) * cos(2.0 * M_PI * v);
}

static struct pb_hist *hist_new(void)
{
    struct pb_hist *h = malloc(sizeof(*h));
    assert_non_null(h);
    pb_hist_reset(h);
    return h;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Percentiles in thousandths of a percent, so the exact rank is integer arithmetic and does not
 * share the histogram's floating-point rounding. */
static const uint64_t q_milli[] = {0,     1000,  10000, 25000, 50000, 75000,
                                   90000, 99000, 99900, 99990, 100000};

static uint64_t exact_percentile(const uint64_t *sorted, size_t n, uint64_t qm)
{
    if (qm == 0)
        return sorted[0];
    uint64_t rank = (qm * n + 99999) / 100000;
    if (rank < 1)
        rank = 1;
    return sorted[rank - 1];
}

/* Records v[0..n), then checks every percentile within the histogram's error bound (0.4%, the
 * test allows 1%) and min, max and mean exactly. */
static void check_against_exact(uint64_t *v, size_t n, double max_rel)
{
    struct pb_hist *h = hist_new();
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        pb_hist_record(h, v[i]);
        sum += (double)v[i];
    }
    qsort(v, n, sizeof(*v), cmp_u64);

    assert_int_equal(h->count, n);
    assert_int_equal(h->min, v[0]);
    assert_int_equal(h->max, v[n - 1]);
    assert_close(pb_hist_mean(h), sum / (double)n, fabs(sum / (double)n) * 1e-12);
    for (size_t k = 0; k < sizeof(q_milli) / sizeof(q_milli[0]); k++) {
        double q = (double)q_milli[k] / 1000.0;
        uint64_t want = exact_percentile(v, n, q_milli[k]);
        uint64_t got = pb_hist_percentile(h, q);
        double rel = want ? fabs((double)got - (double)want) / (double)want : (double)got;
        if (rel > max_rel)
            fail_msg("p%g: got %llu, exact %llu (relative error %g)", q, (unsigned long long)got,
                     (unsigned long long)want, rel);
    }
    assert_int_equal(pb_hist_percentile(h, 0), v[0]);
    assert_int_equal(pb_hist_percentile(h, 100), v[n - 1]);
    free(h);
}

static void test_buckets_tile_the_range(void **state)
{
    (void)state;
    uint64_t expect_low = 0;
    for (unsigned i = 0; i < PB_HIST_BUCKETS; i++) {
        uint64_t low = pb_hist_bucket_low(i), width = pb_hist_bucket_width(i);
        assert_int_equal(low, expect_low);
        assert_true(width >= 1);
        assert_int_equal(pb_hist_index(low), i);
        assert_int_equal(pb_hist_index(low + width - 1), i);
        /* The bound the header promises: half a bucket is within 1/256 of any value in it. */
        if (low > 0)
            assert_true((double)(width / 2) / (double)low <= 1.0 / 256.0);
        expect_low = low + width;
    }
    assert_int_equal(expect_low, UINT64_C(1) << PB_HIST_MAX_BITS);
    for (uint64_t v = 0; v < 256; v++)
        assert_int_equal(pb_hist_bucket_low(pb_hist_index(v)), v);
}

static void test_uniform(void **state)
{
    (void)state;
    uint64_t *v = malloc(NSAMPLES * sizeof(*v));
    assert_non_null(v);
    rng_state = 1;
    for (size_t i = 0; i < NSAMPLES; i++)
        v[i] = 1000 + rng_next() % 1000000;
    check_against_exact(v, NSAMPLES, 0.01);
    free(v);
}

/* Latencies spread from nanoseconds to seconds, the shape the harness actually sees. */
static void test_lognormal(void **state)
{
    (void)state;
    uint64_t *v = malloc(NSAMPLES * sizeof(*v));
    assert_non_null(v);
    rng_state = 2;
    for (size_t i = 0; i < NSAMPLES; i++) {
        double x = exp(log(1e5) + 3.0 * rng_normal());
        if (x > 1e10)
            x = 1e10;
        v[i] = (uint64_t)x;
    }
    check_against_exact(v, NSAMPLES, 0.01);
    free(v);
}

static void test_small_values_exact(void **state)
{
    (void)state;
    uint64_t *v = malloc(NSAMPLES * sizeof(*v));
    assert_non_null(v);
    rng_state = 3;
    for (size_t i = 0; i < NSAMPLES; i++)
        v[i] = rng_next() % 256;
    check_against_exact(v, NSAMPLES, 0.0);
    free(v);
}

static void test_constant(void **state)
{
    (void)state;
    uint64_t v[1000];
    for (size_t i = 0; i < 1000; i++)
        v[i] = 123457;
    check_against_exact(v, 1000, 0.0);
}

static void test_small_counts(void **state)
{
    (void)state;
    /* Ranks on a handful of samples, where an off-by-one shows: 10 distinct exact values. */
    struct pb_hist *h = hist_new();
    for (uint64_t v = 10; v <= 100; v += 10)
        pb_hist_record(h, v);
    assert_int_equal(pb_hist_percentile(h, 10), 10);
    assert_int_equal(pb_hist_percentile(h, 10.5), 20);
    assert_int_equal(pb_hist_percentile(h, 50), 50);
    assert_int_equal(pb_hist_percentile(h, 50.1), 60);
    assert_int_equal(pb_hist_percentile(h, 90), 90);
    assert_int_equal(pb_hist_percentile(h, 99.9), 100);
    assert_int_equal(pb_hist_percentile(h, 0.001), 10);
    free(h);
}

static void test_empty_and_reset(void **state)
{
    (void)state;
    struct pb_hist *h = hist_new();
    assert_int_equal(h->count, 0);
    assert_int_equal(h->min, UINT64_MAX);
    assert_int_equal(h->max, 0);
    assert_int_equal(pb_hist_percentile(h, 50), 0);
    assert_int_equal(pb_hist_percentile(h, 100), 0);
    assert_close(pb_hist_mean(h), 0.0, 0.0);

    pb_hist_record(h, 5000);
    pb_hist_record(h, 7);
    pb_hist_reset(h);
    assert_int_equal(h->count, 0);
    assert_int_equal(h->min, UINT64_MAX);
    assert_int_equal(h->counts[7], 0);
    assert_int_equal(h->counts[pb_hist_index(5000)], 0);
    assert_close(h->sum, 0.0, 0.0);
    free(h);
}

static void test_min_max_mean_exact(void **state)
{
    (void)state;
    struct pb_hist *h = hist_new();
    pb_hist_record(h, 1000);
    pb_hist_record(h, 3);
    pb_hist_record(h, 77777777);
    pb_hist_record(h, 5);
    assert_int_equal(h->count, 4);
    assert_int_equal(h->min, 3);
    assert_int_equal(h->max, 77777777);
    /* (3 + 5 + 1000 + 77777777) / 4 = 77778785 / 4 */
    assert_close(pb_hist_mean(h), 19444696.25, 0.0);
    /* 77777777 lies in a bucket about 2^19 wide; p100 still reports it exactly. */
    assert_true(pb_hist_bucket_width(pb_hist_index(77777777)) > 1);
    assert_int_equal(pb_hist_percentile(h, 100), 77777777);
    assert_int_equal(pb_hist_percentile(h, 76), 77777777);
    /* p75 is rank 3, the value 1000, in the bucket [1000, 1004): reported as its middle. */
    assert_int_equal(pb_hist_percentile(h, 75), 1002);
    assert_int_equal(pb_hist_percentile(h, 25), 3);
    free(h);
}

static void test_merge_equals_union(void **state)
{
    (void)state;
    struct pb_hist *a = hist_new(), *b = hist_new(), *all = hist_new();
    rng_state = 4;
    for (size_t i = 0; i < NSAMPLES; i++) {
        uint64_t v = (uint64_t)exp(log(1e4) + 2.0 * rng_normal());
        pb_hist_record(i % 3 ? a : b, v);
        pb_hist_record(all, v);
    }
    pb_hist_merge(a, b);
    assert_int_equal(a->count, all->count);
    assert_int_equal(a->min, all->min);
    assert_int_equal(a->max, all->max);
    assert_memory_equal(a->counts, all->counts, sizeof(all->counts));
    /* The sums were added in a different order: equal to rounding. */
    assert_close(a->sum, all->sum, all->sum * 1e-12);
    for (size_t k = 0; k < sizeof(q_milli) / sizeof(q_milli[0]); k++) {
        double q = (double)q_milli[k] / 1000.0;
        assert_int_equal(pb_hist_percentile(a, q), pb_hist_percentile(all, q));
    }

    /* Merging an empty histogram changes nothing; merging into one copies min and max. */
    struct pb_hist *empty = hist_new(), *fresh = hist_new();
    pb_hist_merge(a, empty);
    assert_int_equal(a->min, all->min);
    assert_int_equal(a->count, all->count);
    pb_hist_merge(fresh, all);
    assert_int_equal(fresh->min, all->min);
    assert_int_equal(fresh->max, all->max);
    assert_memory_equal(fresh->counts, all->counts, sizeof(all->counts));
    free(a);
    free(b);
    free(all);
    free(empty);
    free(fresh);
}

static void test_huge_values_clamped(void **state)
{
    (void)state;
    const unsigned last = PB_HIST_BUCKETS - 1;
    assert_int_equal(pb_hist_index(UINT64_MAX), last);
    assert_int_equal(pb_hist_index(UINT64_C(1) << PB_HIST_MAX_BITS), last);
    assert_int_equal(pb_hist_index((UINT64_C(1) << PB_HIST_MAX_BITS) - 1), last);
    assert_true(pb_hist_index((UINT64_C(1) << (PB_HIST_MAX_BITS - 1)) - 1) < last);

    struct pb_hist *h = hist_new();
    pb_hist_record(h, 1);
    pb_hist_record(h, UINT64_C(1) << 50);
    pb_hist_record(h, UINT64_MAX);
    assert_int_equal(h->counts[last], 2);
    assert_int_equal(h->max, UINT64_MAX);
    assert_int_equal(pb_hist_percentile(h, 100), UINT64_MAX);
    /* The median falls in the clamped bucket: its middle, not the (unknowable) value. */
    assert_int_equal(pb_hist_percentile(h, 50),
                     pb_hist_bucket_low(last) + pb_hist_bucket_width(last) / 2);

    /* A single huge value is reported exactly: the clamp to min and max restores it. */
    struct pb_hist *one = hist_new();
    pb_hist_record(one, UINT64_C(1) << 60);
    assert_int_equal(pb_hist_percentile(one, 50), UINT64_C(1) << 60);
    free(h);
    free(one);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buckets_tile_the_range),
        cmocka_unit_test(test_uniform),
        cmocka_unit_test(test_lognormal),
        cmocka_unit_test(test_small_values_exact),
        cmocka_unit_test(test_constant),
        cmocka_unit_test(test_small_counts),
        cmocka_unit_test(test_empty_and_reset),
        cmocka_unit_test(test_min_max_mean_exact),
        cmocka_unit_test(test_merge_equals_union),
        cmocka_unit_test(test_huge_values_clamped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
