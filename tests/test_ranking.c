/* Unit tests of the ranking: the winner of each group of comparable cases, the tie rule of the
 * report (the winner's median CI reaching the runner-up's), which case stands for a runner, the
 * speed-up over serial and the lowest p99 of the concurrent runners, and what makes a group. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness/ranking.h"

struct spec {
    const char *runner;
    int conc; /* -1: every task at once */
    double tp, lo, hi, p99;
    const char *pin, *workload;
    int n; /* the parameter */
    double rate;
};

static void make(struct pb_case_result *c, const struct spec *s)
{
    pb_case_result_init(c);
    c->info.runner = strdup(s->runner);
    c->info.workload = strdup(s->workload ? s->workload : "cpu.sumsq");
    pb_case_info_add_param(&c->info, "n", PB_PARAM_INT, s->n ? s->n : 1000, 0, NULL);
    c->info.gather = s->conc < 0;
    c->info.concurrency = s->conc < 0 ? 0 : (unsigned)s->conc;
    c->info.load.rate = s->rate;
    snprintf(c->info.pin_spec, sizeof(c->info.pin_spec), "%s", s->pin ? s->pin : "compact");
    c->info.queue_depth = PB_CASE_DEFAULT_QUEUE_DEPTH;
    assert_int_equal(pb_case_info_finish(&c->info), 0);
    if (!isnan(s->tp)) {
        struct pb_summary *t = &c->summary[PB_METRIC_THROUGHPUT];
        c->has_summary[PB_METRIC_THROUGHPUT] = 1;
        t->n = 5;
        t->median = s->tp;
        t->ci_low = s->lo ? s->lo : s->tp;
        t->ci_high = s->hi ? s->hi : s->tp;
    }
    if (s->p99 > 0) {
        c->has_summary[PB_METRIC_LATENCY_P99] = 1;
        c->summary[PB_METRIC_LATENCY_P99].n = 5;
        c->summary[PB_METRIC_LATENCY_P99].median = s->p99;
    }
}

static struct pb_case_result *make_all(const struct spec *s, size_t n)
{
    struct pb_case_result *c = calloc(n, sizeof(*c));
    for (size_t i = 0; i < n; i++)
        make(&c[i], &s[i]);
    return c;
}

static void free_all(struct pb_case_result *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pb_case_result_free(&c[i]);
    free(c);
}

static void test_winner_and_tie(void **state)
{
    (void)state;
    const struct spec s[] = {
        {"serial", 1, 1000, .p99 = 10},
        {"threads", 1, 950, .p99 = 300},
        {"threads", 2, 1900, 1850, 1950, .p99 = 250},
        {"threads", 4, 1900, .p99 = 260}, /* as fast as c=2: c=2 stands for threads */
        {"processes", 2, 1800, 1700, 1840, .p99 = 240},
        {"processes", 4, 1700, .p99 = 400},
        {"eventloop", 1, NAN, .p99 = 5}, /* no throughput: not ranked, its p99 still counts */
    };
    size_t n = sizeof(s) / sizeof(s[0]);
    struct pb_case_result *c = make_all(s, n);
    struct pb_ranking r;
    assert_int_equal(pb_rank_cases(c, n, &r), 0);
    assert_int_equal(r.n, 1);
    const struct pb_rank_group *g = &r.groups[0];
    assert_ptr_equal(g->first, &c[0]);
    assert_int_equal(g->nranked, 3);
    assert_string_equal(g->ranked[0].runner, "threads");
    assert_ptr_equal(g->ranked[0].best, &c[2]);
    assert_string_equal(g->ranked[1].runner, "processes");
    assert_ptr_equal(g->ranked[1].best, &c[4]);
    assert_string_equal(g->ranked[2].runner, "serial");
    assert_true(fabs(g->ratio - 1900.0 / 1800.0) < 1e-12);
    assert_int_equal(g->tie, 0); /* 1850 > 1840 */
    assert_true(g->vs_serial == 1.9);
    assert_ptr_equal(g->lowest_p99, &c[6]);
    pb_ranking_free(&r);

    /* The rule is ci_low(winner) <= ci_high(runner-up): touching intervals tie. */
    c[4].summary[PB_METRIC_THROUGHPUT].ci_high = 1849.999;
    assert_int_equal(pb_rank_cases(c, n, &r), 0);
    assert_int_equal(r.groups[0].tie, 0);
    pb_ranking_free(&r);
    c[4].summary[PB_METRIC_THROUGHPUT].ci_high = 1850;
    assert_int_equal(pb_rank_cases(c, n, &r), 0);
    assert_int_equal(r.groups[0].tie, 1);
    pb_ranking_free(&r);
    free_all(c, n);
}

static void test_serial_and_order(void **state)
{
    (void)state;
    const struct spec s[] = {
        {"semaphore", 2, 500, .p99 = 100}, {"eventloop", -1, 500, .p99 = 90},
        {"eventloop", 3, 500, .p99 = 95},  {"processes", 2, 500, .p99 = 0},
        {"serial", 1, 500, .p99 = 1},
    };
    size_t n = sizeof(s) / sizeof(s[0]);
    struct pb_case_result *c = make_all(s, n);
    struct pb_ranking r;
    assert_int_equal(pb_rank_cases(c, n, &r), 0);
    const struct pb_rank_group *g = &r.groups[0];
    /* Equal throughputs: the registry's order. */
    assert_int_equal(g->nranked, 4);
    assert_string_equal(g->ranked[0].runner, "serial");
    assert_string_equal(g->ranked[1].runner, "processes");
    assert_string_equal(g->ranked[2].runner, "eventloop");
    assert_string_equal(g->ranked[3].runner, "semaphore");
    /* Equal cases of one runner: the lowest concurrency, every task at once last. */
    assert_ptr_equal(g->ranked[2].best, &c[2]);
    /* serial won: no speed-up over itself; the lowest p99 is not serial's. */
    assert_true(isnan(g->vs_serial));
    assert_true(g->ratio == 1.0 && g->tie);
    assert_ptr_equal(g->lowest_p99, &c[1]);
    pb_ranking_free(&r);
    free_all(c, n);
}

static void test_groups(void **state)
{
    (void)state;
    const struct spec s[] = {
        {"threads", 2, 100, .p99 = 0},
        {"threads", 2, 100, .pin = "list:0"},
        {"serial", 1, 50, .n = 2000},
        {"threads", 2, 100, .rate = 1000},
        {"threads", 2, 100, .workload = "io.sleep"},
        {"serial", 1, 10, .p99 = 0},
        {"threads", 4, NAN, .pin = "list:1"}, /* a group with nothing to rank */
    };
    size_t n = sizeof(s) / sizeof(s[0]);
    struct pb_case_result *c = make_all(s, n);
    struct pb_ranking r;
    assert_int_equal(pb_rank_cases(c, n, &r), 0);
    assert_int_equal(r.n, 6);
    assert_ptr_equal(r.groups[0].first, &c[0]);
    assert_int_equal(r.groups[0].nranked, 2); /* threads and the last serial */
    assert_true(r.groups[0].vs_serial == 10.0);
    assert_ptr_equal(r.groups[1].first, &c[1]);
    assert_ptr_equal(r.groups[2].first, &c[2]);
    assert_ptr_equal(r.groups[3].first, &c[3]);
    assert_ptr_equal(r.groups[4].first, &c[4]);
    assert_int_equal(r.groups[1].nranked, 1);
    assert_true(isnan(r.groups[1].ratio) && !r.groups[1].tie && isnan(r.groups[1].vs_serial));
    assert_int_equal(r.groups[5].nranked, 0);
    assert_null(r.groups[5].lowest_p99);
    pb_ranking_free(&r);
    assert_int_equal(pb_rank_cases(c, 0, &r), 0);
    assert_int_equal(r.n, 0);
    pb_ranking_free(&r);
    free_all(c, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_winner_and_tie),
        cmocka_unit_test(test_serial_and_order),
        cmocka_unit_test(test_groups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
