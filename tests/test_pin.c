/* Unit tests for pin policies: parsing, the canonical form, and the plans they make. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit.h"
#include <jansson.h>

#include "harness/pin.h"
#include "harness/topo.h"

static struct pb_pin_plan *plan(const struct pb_topo *t, const char *pin, unsigned n)
{
    struct pb_pin_spec spec;
    struct pb_pin_plan *p = NULL;
    struct pb_err err = {{0}};
    if (pb_pin_parse(pin, &spec, &err) != 0)
        fail_msg("parsing %s: %s", pin, err.msg);
    if (pb_pin_plan_make(t, &spec, n, &p, &err) != 0)
        fail_msg("plan %s x%u: %s", pin, n, err.msg);
    assert_int_equal(p->nworkers, n);
    assert_int_equal(p->policy, spec.policy);
    return p;
}

/* The single PU of worker w (fails when the set has another size). */
static int pu_of(const struct pb_pin_plan *p, unsigned w)
{
    assert_int_equal(pb_cpuset_count(&p->sets[w]), 1);
    return pb_cpuset_next(&p->sets[w], 0);
}

/* Checks every worker's set against want[w], written as pb_cpuset_format writes it. */
static void expect_plan(const struct pb_topo *t, const char *pin, unsigned n,
                        const char *const *want)
{
    struct pb_pin_plan *p = plan(t, pin, n);
    char buf[256];
    for (unsigned w = 0; w < n; w++) {
        pb_cpuset_format(&p->sets[w], buf, sizeof(buf));
        if (strcmp(buf, want[w]) != 0)
            fail_msg("%s x%u: worker %u has '%s', expected '%s'", pin, n, w, buf, want[w]);
    }
    pb_pin_plan_destroy(p);
}

static int spare(const struct pb_topo *t, const char *pin, unsigned n)
{
    struct pb_pin_plan *p = plan(t, pin, n);
    int s = pb_pin_plan_spare_pu(t, p);
    pb_pin_plan_destroy(p);
    return s;
}

static void test_plan_small(void **state)
{
    struct pb_topo *t = test_load_topo(TOPO_SMALL);
    expect_plan(t, "compact", 2, (const char *[]){"0", "1"});
    expect_plan(t, "compact", 3, (const char *[]){"0", "1", "0"});
    expect_plan(t, "scatter", 1, (const char *[]){"0"});
    expect_plan(t, "scatter", 2, (const char *[]){"0", "1"});
    expect_plan(t, "scatter", 5, (const char *[]){"0", "1", "0", "1", "0"});
    expect_plan(t, "cores", 3, (const char *[]){"0", "1", "0"});
    expect_plan(t, "none", 3, (const char *[]){"0-1", "0-1", "0-1"});
    expect_plan(t, "list:1", 3, (const char *[]){"1", "1", "1"});
    expect_plan(t, "list:1,0", 3, (const char *[]){"0", "1", "0"});

    assert_int_equal(spare(t, "compact", 1), 1);
    assert_int_equal(spare(t, "compact", 2), -1);
    assert_int_equal(spare(t, "list:1", 1), 0);
    assert_int_equal(spare(t, "none", 1), -1);

    struct pb_pin_spec spec;
    struct pb_pin_plan *p = (struct pb_pin_plan *)&spec; /* must be reset to NULL */
    struct pb_err err = {{0}};
    assert_int_equal(pb_pin_parse("list:0,7", &spec, &err), 0);
    assert_int_equal(pb_pin_plan_make(t, &spec, 2, &p, &err), -EINVAL);
    assert_null(p);
    assert_string_equal(err.msg,
                        "pin list names CPU 7, which this machine does not have (PUs: 0-1)");
    assert_int_equal(pb_pin_parse("compact", &spec, &err), 0);
    assert_int_equal(pb_pin_plan_make(t, &spec, 0, &p, &err), -EINVAL);
    pb_topo_destroy(t);
}

static void test_plan_2x8x2(void **state)
{
    struct pb_topo *t = test_load_topo(TOPO_BIG);
    /* compact: both PUs of core 0 first */
    expect_plan(t, "compact", 2, (const char *[]){"0", "1"});
    expect_plan(t, "compact", 33,
                (const char *[]){"0",  "1",  "2",  "3",  "4",  "5",  "6",  "7",  "8",  "9",  "10",
                                 "11", "12", "13", "14", "15", "16", "17", "18", "19", "20", "21",
                                 "22", "23", "24", "25", "26", "27", "28", "29", "30", "31", "0"});
    /* scatter: packages first, then cores */
    expect_plan(t, "scatter", 2, (const char *[]){"0", "16"});
    expect_plan(t, "scatter", 4, (const char *[]){"0", "16", "8", "24"});
    /* cores: the first PU of each core, then wrap */
    expect_plan(t, "cores", 17,
                (const char *[]){"0", "2", "4", "6", "8", "10", "12", "14", "16", "18", "20", "22",
                                 "24", "26", "28", "30", "0"});
    expect_plan(t, "none", 2, (const char *[]){"0-31", "0-31"});
    expect_plan(t, "list:3,5-6", 4, (const char *[]){"3", "5", "6", "3"});

    /* scatter with one worker per core: 16 distinct cores, alternating packages */
    struct pb_pin_plan *p = plan(t, "scatter", 16);
    unsigned cores_seen = 0;
    for (unsigned w = 0; w < 16; w++) {
        int pu = pu_of(p, w);
        assert_true((cores_seen & (1u << (pu / 2))) == 0);
        cores_seen |= 1u << (pu / 2);
        if (w > 0)
            assert_int_not_equal(pu / 16, pu_of(p, w - 1) / 16);
    }
    assert_int_equal(cores_seen, 0xffff);
    pb_pin_plan_destroy(p);

    /* scatter over every PU: the first 16 workers still take 16 cores; then it wraps */
    p = plan(t, "scatter", 33);
    uint64_t pus_seen = 0;
    cores_seen = 0;
    for (unsigned w = 0; w < 32; w++) {
        int pu = pu_of(p, w);
        assert_true((pus_seen & (UINT64_C(1) << pu)) == 0);
        pus_seen |= UINT64_C(1) << pu;
        if (w < 16)
            cores_seen |= 1u << (pu / 2);
    }
    assert_int_equal(cores_seen, 0xffff);
    assert_int_equal(pu_of(p, 32), pu_of(p, 0));
    pb_pin_plan_destroy(p);

    /* the spare PU: the last one, on an idle core when there is one */
    assert_int_equal(spare(t, "compact", 2), 31);
    assert_int_equal(spare(t, "scatter", 2), 31);
    assert_int_equal(spare(t, "compact", 31), 31);
    assert_int_equal(spare(t, "compact", 32), -1);
    assert_int_equal(spare(t, "cores", 16), 31);
    assert_int_equal(spare(t, "list:30", 1), 29);
    assert_int_equal(spare(t, "list:28,31", 2), 27);
    pb_topo_destroy(t);
}

static void test_plan_intel_numbering(void **state)
{
    struct pb_topo *t = test_load_topo(TOPO_INTEL);
    expect_plan(t, "compact", 4, (const char *[]){"0", "16", "1", "17"});
    expect_plan(t, "cores", 3, (const char *[]){"0", "1", "2"});
    expect_plan(t, "scatter", 2, (const char *[]){"0", "8"});
    expect_plan(t, "list:17,3", 2, (const char *[]){"3", "17"});
    assert_int_equal(spare(t, "compact", 2), 31);
    assert_int_equal(spare(t, "list:15", 1), 30); /* 15 and 31 share core 15 */

    pb_topo_destroy(t);
}

static void test_plan_numa(void **state)
{
    struct pb_topo *t = test_load_topo(TOPO_NUMA4);
    /* NUMA node k holds PUs 8k..8k+7: four workers take one node each */
    expect_plan(t, "scatter", 4, (const char *[]){"0", "16", "8", "24"});
    expect_plan(t, "scatter", 8, (const char *[]){"0", "16", "8", "24", "4", "20", "12", "28"});
    expect_plan(t, "compact", 3, (const char *[]){"0", "1", "2"});
    expect_plan(t, "cores", 18,
                (const char *[]){"0", "2", "4", "6", "8", "10", "12", "14", "16", "18", "20", "22",
                                 "24", "26", "28", "30", "0", "2"});
    pb_topo_destroy(t);

    t = test_load_topo(TOPO_FLAT4);
    expect_plan(t, "scatter", 4, (const char *[]){"0", "4", "8", "12"});
    expect_plan(t, "scatter", 5, (const char *[]){"0", "4", "8", "12", "2"});
    expect_plan(t, "cores", 2, (const char *[]){"0", "1"});
    expect_plan(t, "compact", 17,
                (const char *[]){"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12",
                                 "13", "14", "15", "0"});
    pb_topo_destroy(t);
}

static void test_pin_parse(void **state)
{
    struct pb_pin_spec spec;
    struct pb_err err = {{0}};
    static const char *const names[] = {"none", "compact", "scatter", "cores"};

    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(pb_pin_parse(names[i], &spec, &err), 0);
        assert_string_equal(pb_pin_policy_name(spec.policy), names[i]);
        assert_string_equal(spec.text, names[i]);
    }
    assert_int_equal(pb_pin_parse("list:0,2-3", &spec, &err), 0);
    assert_int_equal(spec.policy, PB_PIN_LIST);
    assert_string_equal(pb_pin_policy_name(spec.policy), "list");
    assert_string_equal(spec.text, "list:0,2-3");
    assert_int_equal(pb_cpuset_count(&spec.list), 3);
    assert_true(pb_cpuset_has(&spec.list, 2));

    assert_int_equal(pb_pin_parse("bogus", &spec, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "unknown pin policy 'bogus'"));
    assert_int_equal(pb_pin_parse("list", &spec, &err), -EINVAL);
    assert_int_equal(pb_pin_parse("Compact", &spec, &err), -EINVAL);
    assert_int_equal(pb_pin_parse("", &spec, &err), -EINVAL);
    assert_int_equal(pb_pin_parse("list:", &spec, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "names no CPU"));
    assert_int_equal(pb_pin_parse("list:a", &spec, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "bad pin list 'list:a'"));
    assert_int_equal(pb_pin_parse("list:3-1", &spec, &err), -EINVAL);
    assert_int_equal(pb_pin_parse("list:0,,1", &spec, &err), -EINVAL);
    assert_int_equal(pb_pin_parse("list:-1", &spec, &err), -EINVAL);
    assert_int_equal(pb_pin_parse("list:99999", &spec, &err), -EINVAL);

    char longtext[400];
    memset(longtext, '1', sizeof(longtext) - 1);
    longtext[sizeof(longtext) - 1] = '\0';
    memcpy(longtext, "list:", 5);
    assert_int_equal(pb_pin_parse(longtext, &spec, &err), -EINVAL);
}

/* Parses text, expecting failure with exactly msg and the spec untouched. */
static void expect_pin_error(const char *text, const char *msg)
{
    struct pb_pin_spec spec, before;
    struct pb_err err = {{0}};

    memset(&spec, 0x5a, sizeof(spec));
    before = spec;
    if (pb_pin_parse(text, &spec, &err) != -EINVAL)
        fail_msg("pin \"%s\" was accepted", text);
    assert_string_equal(err.msg, msg);
    assert_memory_equal(&spec, &before, sizeof(spec));
}

static void test_pin_parse_strict(void **state)
{
    /* spaces were once trimmed inside a list: "list: 0" pinned as "list:0" did */
    expect_pin_error("list: 0", "bad pin list 'list: 0': bad CPU list item ' 0' (no spaces in a "
                                "CPU list)");
    expect_pin_error("list:0 ", "bad pin list 'list:0 ': bad CPU list item '0 ' (no spaces in a "
                                "CPU list)");
    expect_pin_error("list:0, 1", "bad pin list 'list:0, 1': bad CPU list item ' 1' (no spaces "
                                  "in a CPU list)");
    expect_pin_error(" compact", "unknown pin policy ' compact' (none, compact, scatter, cores or "
                                 "list:CPUS such as list:0,2-3)");
    expect_pin_error("compact ", "unknown pin policy 'compact ' (none, compact, scatter, cores or "
                                 "list:CPUS such as list:0,2-3)");
    expect_pin_error("list :0", "unknown pin policy 'list :0' (none, compact, scatter, cores or "
                                "list:CPUS such as list:0,2-3)");
    expect_pin_error("list:", "pin list 'list:' names no CPU (write e.g. list:0,2-3)");
    expect_pin_error("list:,", "bad pin list 'list:,': bad CPU list item ''");
    expect_pin_error("list:0,", "bad pin list 'list:0,': bad CPU list item ''");
    expect_pin_error("list:3-1", "bad pin list 'list:3-1': bad CPU list item '3-1' (range goes "
                                 "down)");
    expect_pin_error("list:0-99999999", "bad pin list 'list:0-99999999': bad CPU list item "
                                        "'0-99999999' (CPUs go up to 1023)");
    expect_pin_error("list:0\n", "bad pin list 'list:0\\x0a': bad CPU list item '0\\x0a'");

    /* the longest text is PB_PIN_TEXT_MAX - 1 characters; a longer one is refused, cut */
    struct pb_pin_spec spec;
    struct pb_err err = {{0}};
    char text[PB_PIN_TEXT_MAX + 1];
    size_t len = (size_t)sprintf(text, "list:0");
    for (unsigned c = 2; len + 4 < PB_PIN_TEXT_MAX; c += 2)
        len += (size_t)sprintf(text + len, ",%u", c);
    while (len < PB_PIN_TEXT_MAX - 1)
        len += (size_t)sprintf(text + len, ",1");
    assert_int_equal(strlen(text), PB_PIN_TEXT_MAX - 1);
    assert_int_equal(pb_pin_parse(text, &spec, &err), 0);
    assert_string_equal(spec.text, text);
    strcat(text, "1");
    assert_int_equal(pb_pin_parse(text, &spec, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "...' is too long (256 characters, at most 255: write ranges "
                                    "such as list:0-15)"));
    assert_true(strlen(err.msg) < 160);
    char huge[100000];
    memset(huge, '1', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = '\0';
    assert_int_equal(pb_pin_parse(huge, &spec, &err), -EINVAL);
    assert_true(strlen(err.msg) < 160);
}

static void expect_canonical(const char *text, const char *want)
{
    struct pb_pin_spec spec, again;
    struct pb_err err = {{0}};
    char buf[PB_PIN_TEXT_MAX], buf2[PB_PIN_TEXT_MAX];

    if (pb_pin_parse(text, &spec, &err) != 0)
        fail_msg("parsing %s: %s", text, err.msg);
    assert_int_equal(pb_pin_spec_canonical(&spec, buf, sizeof(buf)), 0);
    if (strcmp(buf, want) != 0)
        fail_msg("canonical of '%s' is '%s', expected '%s'", text, buf, want);
    /* it parses, to itself, and is never longer than what was written */
    assert_int_equal(pb_pin_parse(buf, &again, &err), 0);
    assert_int_equal(pb_pin_spec_canonical(&again, buf2, sizeof(buf2)), 0);
    assert_string_equal(buf2, buf);
    assert_true(strlen(buf) <= strlen(text));
}

static void test_pin_canonical(void **state)
{
    expect_canonical("none", "none");
    expect_canonical("compact", "compact");
    expect_canonical("scatter", "scatter");
    expect_canonical("cores", "cores");
    expect_canonical("list:0-1", "list:0-1");
    expect_canonical("list:0,1", "list:0-1");
    expect_canonical("list:1,0", "list:0-1");
    expect_canonical("list:1,0,1", "list:0-1");
    expect_canonical("list:0-1,1", "list:0-1");
    expect_canonical("list:00,01", "list:0-1");
    expect_canonical("list:1-1", "list:1");
    expect_canonical("list:6,5,3", "list:3,5-6");
    expect_canonical("list:0,2,4", "list:0,2,4");
    expect_canonical("list:1023,0-1022", "list:0-1023");

    /* Order does not matter to a plan: the list's CPUs go to workers in ascending order. So
     * "list:1,0" and "list:0-1" make the same plan, as their one canonical text says. */
    struct pb_topo *t = test_load_topo(TOPO_BIG);
    static const char *const same[] = {"list:5,3", "list:3,5", "list:3-3,5"};
    struct pb_pin_plan *first = plan(t, same[0], 5);
    for (size_t i = 1; i < sizeof(same) / sizeof(same[0]); i++) {
        struct pb_pin_plan *p = plan(t, same[i], 5);
        assert_memory_equal(p->sets, first->sets, 5 * sizeof(p->sets[0]));
        pb_pin_plan_destroy(p);
    }
    pb_pin_plan_destroy(first);
    pb_topo_destroy(t);

    /* different ways of pinning, different texts */
    static const char *const differ[] = {"none",   "compact",  "scatter",  "cores",
                                         "list:0", "list:0-1", "list:0,2", "list:1"};
    char seen[8][PB_PIN_TEXT_MAX];
    for (size_t i = 0; i < 8; i++) {
        struct pb_pin_spec spec;
        struct pb_err err = {{0}};
        assert_int_equal(pb_pin_parse(differ[i], &spec, &err), 0);
        assert_int_equal(pb_pin_spec_canonical(&spec, seen[i], sizeof(seen[i])), 0);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(seen[i], seen[j]);
    }

    /* too small a buffer: -ENOSPC and "", never a cut text that reads as another list */
    struct pb_pin_spec spec;
    struct pb_err err = {{0}};
    char small[9];
    assert_int_equal(pb_pin_parse("list:0,2-3", &spec, &err), 0);
    assert_int_equal(pb_pin_spec_canonical(&spec, small, sizeof(small)), -ENOSPC);
    assert_string_equal(small, "");
    assert_int_equal(pb_pin_spec_canonical(&spec, small, 0), -ENOSPC);
    char exact[11];
    assert_int_equal(pb_pin_spec_canonical(&spec, exact, sizeof(exact)), 0);
    assert_string_equal(exact, "list:0,2-3");
    spec.policy = (enum pb_pin_policy)42;
    assert_int_equal(pb_pin_spec_canonical(&spec, exact, sizeof(exact)), -EINVAL);
}

static void test_plan_this_machine(void **state)
{
    struct pb_topo *t = test_load_topo(NULL);
    unsigned n = pb_topo_pu_count(t);

    static const char *const pins[] = {"none", "compact", "scatter", "cores"};
    for (unsigned i = 0; i < 4; i++) {
        struct pb_pin_plan *p = plan(t, pins[i], 2 * n + 1);
        for (unsigned w = 0; w < p->nworkers; w++)
            assert_true(pb_cpuset_count(&p->sets[w]) >= 1);
        /* a plan for this machine can be applied */
        assert_int_equal(pb_cpuset_bind_self(&p->sets[0]), 0);
        json_t *j = pb_pin_plan_to_json(p);
        assert_int_equal(json_array_size(j), 2 * n + 1);
        json_decref(j);
        pb_pin_plan_destroy(p);
    }
    struct pb_pin_plan *p = plan(t, "none", 1);
    assert_int_equal(pb_cpuset_bind_self(&p->sets[0]), 0);
    pb_pin_plan_destroy(p);
    pb_topo_destroy(t);
}

static void test_plan_json(void **state)
{
    struct pb_topo *t = test_load_topo(TOPO_BIG);
    struct pb_pin_plan *p = plan(t, "scatter", 3);
    json_t *j = pb_pin_plan_to_json(p);
    char *s = json_dumps(j, JSON_COMPACT);
    assert_string_equal(s, "[[0],[16],[8]]");
    free(s);
    json_decref(j);
    pb_pin_plan_destroy(p);

    p = plan(t, "list:0-2", 1);
    j = pb_pin_plan_to_json(p);
    s = json_dumps(j, JSON_COMPACT);
    assert_string_equal(s, "[[0]]");
    free(s);
    json_decref(j);
    pb_pin_plan_destroy(p);
    pb_pin_plan_destroy(NULL);
    pb_topo_destroy(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_small),
        cmocka_unit_test(test_plan_2x8x2),
        cmocka_unit_test(test_plan_intel_numbering),
        cmocka_unit_test(test_plan_numa),
        cmocka_unit_test(test_pin_parse),
        cmocka_unit_test(test_pin_parse_strict),
        cmocka_unit_test(test_pin_canonical),
        cmocka_unit_test(test_plan_this_machine),
        cmocka_unit_test(test_plan_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
