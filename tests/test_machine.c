/* Unit tests of the machine watch: /proc/stat parsing and delta arithmetic from fixed text, and
 * the judgement of repetitions and cases from their measured fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness/machine.h"

/* Two readings one second apart (100 ticks a second): cpu0 busy 90 ticks, steal 5; cpu1 busy
 * 20 ticks; cpu2 is not the case's. */
static const char *const STAT_BEFORE = "cpu  1000 0 500 9000 10 0 0 10 0 0\n"
                                       "cpu0 100 10 50 4000 5 3 2 7 0 0\n"
                                       "cpu1 200 0 60 4000 5 0 1 0 0 0\n"
                                       "cpu2 300 0 70 4000 5 0 1 0 0 0\n"
                                       "intr 12345 0 0\n"
                                       "ctxt 999\n";
static const char *const STAT_AFTER = "cpu  2000 0 600 9100 10 0 0 15 0 0\n"
                                      "cpu0 160 20 70 4005 5 5 0 12 0 0\n"
                                      "cpu1 215 0 64 4080 5 0 2 0 0 0\n"
                                      "cpu2 399 0 70 4001 5 0 1 0 0 0\n"
                                      "intr 12400 0 0\n";

static struct pb_cpuset cpus01(void)
{
    struct pb_cpuset s;
    pb_cpuset_clear(&s);
    pb_cpuset_add(&s, 0);
    pb_cpuset_add(&s, 1);
    return s;
}

static void test_parse(void **state)
{
    (void)state;
    struct pb_cpuset s = cpus01();
    struct pb_machine_jiffies j;
    assert_int_equal(pb_machine_parse_stat(STAT_BEFORE, &s, &j), 0);
    assert_int_equal(j.cpus, 2);
    /* user+nice+system+irq+softirq: cpu0 100+10+50+3+2, cpu1 200+0+60+0+1; iowait and the
     * total line left out */
    assert_int_equal(j.busy, 165 + 261);
    assert_int_equal(j.steal, 7);
    struct pb_cpuset none;
    pb_cpuset_clear(&none);
    pb_cpuset_add(&none, 7);
    assert_int_equal(pb_machine_parse_stat(STAT_BEFORE, &none, &j), -22);
    assert_int_equal(pb_machine_parse_stat("", &s, &j), -22);
}

static void test_shares(void **state)
{
    (void)state;
    struct pb_cpuset s = cpus01();
    struct pb_machine_jiffies a, b;
    assert_int_equal(pb_machine_parse_stat(STAT_BEFORE, &s, &a), 0);
    assert_int_equal(pb_machine_parse_stat(STAT_AFTER, &s, &b), 0);
    /* busy went up 90 + 20 ticks = 1.1 s over 1 s; we used 0.5 s of it */
    double others, steal;
    pb_machine_shares(&a, &b, 0.5, 1.0, 100, &others, &steal);
    assert_float_equal(others, 0.6, 1e-9);
    assert_float_equal(steal, 0.05, 1e-9);
    /* over half a second, twice the share */
    pb_machine_shares(&a, &b, 0.5, 0.5, 100, &others, &steal);
    assert_float_equal(others, 1.2, 1e-9);
    /* our time beyond the busy ticks (tick rounding, time on other PUs): never negative */
    pb_machine_shares(&a, &b, 2.0, 1.0, 100, &others, &steal);
    assert_float_equal(others, 0, 0);
    /* counters that went back (a CPU re-plugged) or no wall time: nothing */
    pb_machine_shares(&b, &a, 0, 1.0, 100, &others, &steal);
    assert_float_equal(others + steal, 0, 0);
    pb_machine_shares(&a, &b, 0, 0, 100, &others, &steal);
    assert_float_equal(others + steal, 0, 0);
}

static void add_rep(struct pb_case_result *c, double others, double wait, double cpt)
{
    struct pb_rep_result r;
    memset(&r, 0, sizeof(r));
    r.complete = 1;
    r.wall_s = 1.0;
    r.machine.watched = 1;
    r.machine.others_cpus = others;
    r.machine.run_wait = wait;
    r.machine.cpu_per_task_ns = cpt;
    assert_int_equal(pb_case_result_add_rep(c, &r), 0);
}

static void test_judge(void **state)
{
    (void)state;
    struct pb_case_result c;
    pb_case_result_init(&c);
    add_rep(&c, 0.02, 0.01, 1000); /* quiet */
    add_rep(&c, 0.93, 0.41, 1000); /* a hog beside it */
    add_rep(&c, 0.03, 0.00, 1500); /* the same work cost half as much again */
    add_rep(&c, 0.03, 0.00, 1200); /* within the margin */
    pb_machine_judge_case(&c, 1, 1, 0);
    assert_false(c.reps[0].machine.busy);
    assert_true(c.reps[1].machine.busy);
    assert_string_equal(c.reps[1].machine.busy_reason, "others used 0.93 of 1 CPU");
    assert_true(c.reps[2].machine.busy);
    assert_string_equal(c.reps[2].machine.busy_reason, "CPU per task 1.50x the quiet baseline");
    assert_false(c.reps[3].machine.busy);
    assert_float_equal(c.reps[3].machine.cpu_per_task_ratio, 1.2, 1e-9);
    /* half busy: still trusted */
    assert_true(c.trust.judged);
    assert_true(c.trust.trustworthy);
    assert_int_equal(c.trust.busy_reps, 2);
    /* not CPU-bound: CPU per task says nothing */
    pb_machine_judge_case(&c, 1, 0, 0);
    assert_false(c.reps[2].machine.busy);
    assert_int_equal(c.trust.busy_reps, 1);
    /* a cheaper baseline from elsewhere (serial): three of four cost more than 1.3x of it */
    pb_machine_judge_case(&c, 1, 1, 700);
    assert_int_equal(c.trust.busy_reps, 4);
    assert_false(c.trust.trustworthy);
    assert_string_equal(c.trust.reason,
                        "4 of 4 repetitions ran on a busy machine (CPU per task 1.43x the quiet "
                        "baseline)");
    /* judging again from the same fields gives the same answer */
    pb_machine_judge_case(&c, 1, 1, 700);
    assert_int_equal(c.trust.busy_reps, 4);
    /* the margin grows with the PUs: 0.3 of 8 CPUs is a shell, not a hog */
    pb_case_result_free(&c);
    pb_case_result_init(&c);
    add_rep(&c, 0.3, 0.0, 1000);
    pb_machine_judge_case(&c, 8, 1, 0);
    assert_false(c.reps[0].machine.busy);
    pb_machine_judge_case(&c, 1, 1, 0);
    assert_true(c.reps[0].machine.busy);
    pb_case_result_free(&c);
    /* waiting for a CPU alone is the case's own queueing (more threads than PUs): not busy */
    pb_case_result_init(&c);
    add_rep(&c, 0.0, 0.50, 1000);
    add_rep(&c, 0.0, 0.84, 1000);
    pb_machine_judge_case(&c, 2, 1, 0);
    assert_false(c.reps[0].machine.busy);
    assert_false(c.reps[1].machine.busy);
    assert_true(c.trust.trustworthy);
    pb_case_result_free(&c);
    /* nothing watched: nothing judged */
    pb_case_result_init(&c);
    pb_machine_judge_case(&c, 1, 1, 0);
    assert_false(c.trust.judged);
    pb_case_result_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_shares),
        cmocka_unit_test(test_judge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
