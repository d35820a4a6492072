/* Unit tests of pb_speedups on typed cases: an interleaved pair is the median of per-round
 * ratios with the order-statistics interval of that median, checked against numbers worked by
 * hand; pairing goes by round, not by place; incomplete repetitions do not pair; a merge's
 * repeated rounds pair the i-th with the i-th; cases without rounds keep the ratio of medians. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness/result.h"
#include "tests/unit.h"

#define EPS 1e-12

/* A cpu.sumsq n=1000 case of runner at conc whose repetition i has throughput tp[i] and
 * round rounds[i] (rounds NULL: sequential, no rounds). */
static void make_case(struct pb_case_result *c, const char *runner, unsigned conc, const double *tp,
                      const unsigned *rounds, size_t n)
{
    pb_case_result_init(c);
    test_case_info(&c->info, runner, conc, "compact", (unsigned)n);
    c->complete = 1;
    for (size_t i = 0; i < n; i++) {
        struct pb_rep_result r;
        memset(&r, 0, sizeof(r));
        r.complete = 1;
        r.round = rounds ? rounds[i] : 0;
        r.order = rounds ? 1 : 0;
        r.ok = r.submitted = 100;
        r.throughput_per_s = tp[i];
        r.wall_s = 100.0 / tp[i];
        r.check_ok = 1;
        assert_int_equal(pb_case_result_add_rep(c, &r), 0);
    }
    assert_int_equal(pb_case_summarize(c, NULL), 0);
}

static void speedups(struct pb_case_result *cases, size_t n)
{
    assert_int_equal(pb_speedups(cases, n), 0);
}

static void free_cases(struct pb_case_result *cases, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pb_case_result_free(&cases[i]);
}

/* serial per round [100, 110, 90, 105, 95], threads c=2 [190, 200, 185, 215, 180]:
 *   ratios 190/100 = 1.9, 200/110 = 1.8181.., 185/90 = 2.0555.., 215/105 = 2.0476..,
 *   180/95 = 1.8947..; sorted 1.8181.., 1.8947.., 1.9, 2.0476.., 2.0555..: median 1.9.
 * stats.c's interval of a median is [s(j), s(n+1-j)] at level 1 - 2 P(B <= j-1), B ~ Bin(n, 1/2).
 * For n = 5, j = 1 gives 1 - 2/32 = 0.9375, short of 0.95, and no narrower j reaches more, so it
 * is the range: [200/110, 185/90] = [1.8181.., 2.0555..]. Efficiency: 1.9 / 2 workers = 0.95. */
static void test_paired_by_hand(void **state)
{
    (void)state;
    static const double s[] = {100, 110, 90, 105, 95}, t[] = {190, 200, 185, 215, 180};
    static const unsigned rounds[] = {1, 2, 3, 4, 5};
    struct pb_case_result cases[2];
    make_case(&cases[0], "serial", 1, s, rounds, 5);
    make_case(&cases[1], "threads", 2, t, rounds, 5);
    speedups(cases, 2);
    const struct pb_speedup *sp = &cases[1].speedup;
    assert_true(sp->present && sp->paired);
    assert_int_equal(sp->pairs, 5);
    assert_float_equal(sp->value, 1.9, EPS);
    assert_float_equal(sp->ci_low, 200.0 / 110.0, EPS);
    assert_float_equal(sp->ci_high, 185.0 / 90.0, EPS);
    assert_float_equal(sp->efficiency, 0.95, EPS);
    assert_string_equal(sp->baseline, cases[0].info.id);
    assert_false(cases[0].speedup.present); /* the baseline has none of its own */
    free_cases(cases, 2);
}

/* A drift: serial [100, 100, 200] by round, threads [150, 250, 400]. Paired: ratios 1.5, 2.5,
 * 2.0, median 2.0. Unpaired the medians are 100 and 250: 2.5, which the drift made up. The
 * serial repetitions are stored out of round order: pairing goes by round, not by place. */
static void test_paired_against_medians(void **state)
{
    (void)state;
    static const double s[] = {200, 100, 100}, t[] = {150, 250, 400};
    static const unsigned srounds[] = {3, 1, 2}, trounds[] = {1, 2, 3};
    struct pb_case_result cases[2];
    make_case(&cases[0], "serial", 1, s, srounds, 3);
    make_case(&cases[1], "threads", 2, t, trounds, 3);
    speedups(cases, 2);
    assert_true(cases[1].speedup.paired);
    assert_float_equal(cases[1].speedup.value, 2.0, EPS);
    /* n = 3 reaches 0.75 at most: the range of the ratios. */
    assert_float_equal(cases[1].speedup.ci_low, 1.5, EPS);
    assert_float_equal(cases[1].speedup.ci_high, 2.5, EPS);
    free_cases(cases, 2);

    /* The same numbers without rounds: the ratio of medians, and no pairs. */
    static const double s2[] = {100, 100, 200};
    make_case(&cases[0], "serial", 1, s2, NULL, 3);
    make_case(&cases[1], "threads", 2, t, NULL, 3);
    speedups(cases, 2);
    assert_true(cases[1].speedup.present);
    assert_false(cases[1].speedup.paired);
    assert_int_equal(cases[1].speedup.pairs, 0);
    assert_float_equal(cases[1].speedup.value, 2.5, EPS);
    free_cases(cases, 2);
}

/* An interrupted repetition does not pair, on either side; a round only one side has neither. */
static void test_incomplete_unpaired(void **state)
{
    (void)state;
    static const double s[] = {100, 100, 100, 100}, t[] = {200, 300, 400, 500};
    static const unsigned rounds[] = {1, 2, 3, 4}, trounds[] = {1, 2, 3, 5};
    struct pb_case_result cases[2];
    make_case(&cases[0], "serial", 1, s, rounds, 4);
    make_case(&cases[1], "threads", 2, t, trounds, 4);
    cases[0].reps[1].complete = 0; /* round 2 of serial was stopped */
    speedups(cases, 2);
    /* Pairs: round 1 (2.0) and round 3 (4.0); round 2 is incomplete, 4 and 5 have no partner. */
    assert_int_equal(cases[1].speedup.pairs, 2);
    assert_float_equal(cases[1].speedup.value, 3.0, EPS);
    free_cases(cases, 2);
}

/* A merge of two interleaved runs holds rounds 1, 2, 1, 2: the first run's round k pairs with
 * the first run's, the second's with the second's. */
static void test_merged_rounds(void **state)
{
    (void)state;
    static const double s[] = {100, 100, 50, 50}, t[] = {200, 300, 200, 250};
    static const unsigned rounds[] = {1, 2, 1, 2};
    struct pb_case_result cases[2];
    make_case(&cases[0], "serial", 1, s, rounds, 4);
    make_case(&cases[1], "threads", 2, t, rounds, 4);
    speedups(cases, 2);
    /* Ratios 2, 3, 4, 5 (pairing the wrong run's round would give 1 or 6 among them). */
    assert_int_equal(cases[1].speedup.pairs, 4);
    assert_float_equal(cases[1].speedup.value, 3.5, EPS);
    assert_float_equal(cases[1].speedup.ci_low, 2.0, EPS);
    assert_float_equal(cases[1].speedup.ci_high, 5.0, EPS);
    free_cases(cases, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paired_by_hand),
        cmocka_unit_test(test_paired_against_medians),
        cmocka_unit_test(test_incomplete_unpaired),
        cmocka_unit_test(test_merged_rounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
