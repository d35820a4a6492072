/* Unit tests of merge on typed documents: rounds of one plan fold into one document, what the
 * merged document says read back; a document holding one case twice (what `run -r
 * threads,threads` wrote) merges without overrunning anything; plans that differ are refused
 * unless asked; cases differing only in their pin stay apart; the spectrum is the median. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness/doc_read.h"
#include "harness/merge.h"
#include "tests/unit.h"

/* A case of cpu.sumsq n=1000 with nreps repetitions of throughput base, base + 1, ... */
static void make_case(struct pb_case_result *c, const char *runner, unsigned conc, const char *pin,
                      double base, size_t nreps, uint64_t spectrum_at)
{
    pb_case_result_init(c);
    test_case_info(&c->info, runner, conc, pin, (unsigned)nreps);
    c->info.warmup = 1;
    c->pin_plan = calloc(conc, sizeof(*c->pin_plan));
    c->pin_workers = conc;
    for (unsigned w = 0; w < conc; w++)
        pb_cpuset_add(&c->pin_plan[w], w);
    c->complete = 1;
    c->warmups = 1;
    for (size_t i = 0; i < nreps; i++) {
        struct pb_rep_result r;
        memset(&r, 0, sizeof(r));
        r.complete = 1;
        r.ok = r.submitted = 100;
        r.throughput_per_s = base + (double)i;
        r.wall_s = 100.0 / r.throughput_per_s;
        r.latency = (struct pb_percentiles){1, 100, 200, 300, 400, 500, 150};
        r.service = r.latency;
        r.check_ok = 1;
        r.fixture = json_pack("{si}", "rep", (int)i);
        assert_int_equal(pb_case_result_add_rep(c, &r), 0);
    }
    assert_int_equal(pb_case_summarize(c, NULL), 0);
    c->has_spectrum = spectrum_at > 0;
    for (int p = 0; p < PB_SPECTRUM_POINTS; p++)
        c->spectrum[p] = spectrum_at * (uint64_t)(p + 1);
}

static void make_doc(struct pb_doc *d, const char *path, int complete, const char *started)
{
    memset(d, 0, sizeof(*d));
    d->path = strdup(path);
    d->root =
        json_pack("{ss sb ss ss ss s{ss ss} s{ss ss} s[]}", "schema", PB_RESULT_SCHEMA, "complete",
                  complete, "stop_reason", complete ? "completed" : "interrupted", "started_at",
                  started, "finished_at", started, "tool", "build_type", "Release", "git_commit",
                  "abc", "host", "hostname", "h", "cpu_model", "C", "warnings");
    assert_non_null(d->root);
    d->cases = calloc(8, sizeof(*d->cases));
}

static struct pb_case_result *add(struct pb_doc *d)
{
    return &d->cases[d->ncases++];
}

/* The merged document, read back as any document is. */
static void merge_and_read(const struct pb_doc *docs, size_t n, int union_plans, struct pb_doc *out)
{
    json_t *merged = NULL;
    struct pb_err err = {{0}};
    if (pb_merge_docs(docs, n, union_plans, &merged, &err) < 0)
        fail_msg("merge: %s", err.msg);
    if (pb_doc_from_json(out, merged, "merged.json", &err) < 0)
        fail_msg("the merged document does not read: %s", err.msg);
    json_decref(merged);
}

static void destroy_all(struct pb_doc *docs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pb_doc_destroy(&docs[i]);
}

static void test_rounds(void **state)
{
    (void)state;
    struct pb_doc docs[3], m;
    for (int k = 0; k < 3; k++) {
        char name[32], when[32];
        snprintf(name, sizeof(name), "round%d.json", k);
        snprintf(when, sizeof(when), "2026-01-01T00:0%d:00Z", 5 - k);
        make_doc(&docs[k], name, 1, when);
        make_case(add(&docs[k]), "serial", 1, "compact", 1000, 3, 0);
        make_case(add(&docs[k]), "threads", 2, "compact", 1800 + 100 * k, 3, 10 * (k + 1));
        pb_case_result_warn(&docs[k].cases[1], "warning %d", k % 2);
    }
    merge_and_read(docs, 3, 0, &m);
    assert_int_equal(m.ncases, 2);
    const struct pb_case_result *s = &m.cases[0], *t = &m.cases[1];
    assert_string_equal(s->info.id, "serial/cpu.sumsq/n=1000/c=1");
    assert_int_equal(t->nreps, 9);
    /* In the order of the inputs. */
    assert_true(t->reps[0].throughput_per_s == 1800 && t->reps[3].throughput_per_s == 1900 &&
                t->reps[8].throughput_per_s == 2002);
    assert_int_equal(json_integer_value(json_object_get(t->reps[4].fixture, "rep")), 1);
    assert_int_equal(t->info.repeat, 9);
    assert_int_equal(t->info.warmup, 3);
    assert_int_equal(t->warmups, 3);
    assert_int_equal(t->complete, 1);
    assert_int_equal(t->pin_workers, 2);
    /* Summaries from all nine; the speed-up against serial's median (1001) recomputed. */
    assert_int_equal(t->summary[PB_METRIC_THROUGHPUT].n, 9);
    assert_true(t->summary[PB_METRIC_THROUGHPUT].median == 1901);
    assert_true(t->speedup.present);
    assert_true(fabs(t->speedup.value - 1901.0 / 1001.0) < 1e-12);
    assert_string_equal(t->speedup.baseline, s->info.id);
    /* Warnings united, once each. */
    assert_int_equal(t->nwarnings, 2);
    /* The spectrum point by point: the median of 10, 20, 30 (times p + 1). */
    assert_true(t->has_spectrum);
    assert_int_equal(t->spectrum[0], 20);
    assert_int_equal(t->spectrum[4], 100);
    assert_false(s->has_spectrum);
    /* The header spans the inputs. */
    assert_string_equal(pb_doc_str(&m, NULL, "started_at"), "2026-01-01T00:03:00Z");
    assert_string_equal(pb_doc_str(&m, NULL, "finished_at"), "2026-01-01T00:05:00Z");
    assert_int_equal(json_array_size(json_object_get(m.root, "merged_from")), 3);
    assert_int_equal(pb_doc_complete(&m), 1);
    pb_doc_destroy(&m);

    /* Two spectra: the mean of the middle pair, rounded. */
    docs[1].cases[1].spectrum[0] = 25;
    merge_and_read(docs, 2, 0, &m);
    assert_int_equal(m.cases[1].spectrum[0], 18); /* (10 + 25) / 2 = 17.5 */
    pb_doc_destroy(&m);
    destroy_all(docs, 3);
}

/* Issue item 1: merge sized its spectra for one per input document and wrote past them for a
 * document holding a case twice. The reader refuses such documents now; merge must not depend
 * on that. */
static void test_one_case_twice(void **state)
{
    (void)state;
    struct pb_doc docs[2], m;
    for (int k = 0; k < 2; k++) {
        make_doc(&docs[k], k ? "b.json" : "a.json", 1, "2026-01-01T00:00:00Z");
        for (int i = 0; i < 5; i++)
            make_case(add(&docs[k]), "threads", 1, "compact", 1000 + 10 * i, 3, 7 + i);
    }
    merge_and_read(docs, 1, 0, &m);
    assert_int_equal(m.ncases, 1);
    assert_int_equal(m.cases[0].nreps, 15);
    assert_int_equal(m.cases[0].spectrum[0], 9); /* median of 7..11 */
    pb_doc_destroy(&m);
    merge_and_read(docs, 2, 0, &m);
    assert_int_equal(m.cases[0].nreps, 30);
    assert_int_equal(m.cases[0].info.repeat, 30);
    pb_doc_destroy(&m);

    /* The typed half gives the same cases without a document. */
    struct pb_case_result *cases = NULL;
    size_t n = 0;
    struct pb_err err = {{0}};
    assert_int_equal(pb_merge_cases(docs, 2, 0, &cases, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(cases[0].nreps, 30);
    assert_int_equal(cases[0].summary[PB_METRIC_THROUGHPUT].n, 30);
    assert_int_equal(cases[0].spectrum[0], 9);
    pb_case_result_free(&cases[0]);
    free(cases);
    destroy_all(docs, 2);
}

/* Issue item 2: cases differing only in their pin list are three cases, not one. */
static void test_pins_apart(void **state)
{
    (void)state;
    static const char *const pins[] = {"list:0", "list:1", "list:0-1"};
    struct pb_doc docs[2], m;
    for (int k = 0; k < 2; k++) {
        make_doc(&docs[k], k ? "b.json" : "a.json", 1, "2026-01-01T00:00:00Z");
        for (int i = 0; i < 3; i++)
            make_case(add(&docs[k]), "threads", 1, pins[k ? 2 - i : i], 1000 * (i + 1), 3, 0);
    }
    merge_and_read(docs, 2, 0, &m);
    assert_int_equal(m.ncases, 3);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(m.cases[i].info.pin_spec, pins[i]);
        assert_int_equal(m.cases[i].nreps, 6);
    }
    /* list:0 got a's list:0 and b's list:0, not b's first case. */
    assert_true(m.cases[0].reps[3].throughput_per_s == 3000);
    assert_true(m.cases[2].reps[3].throughput_per_s == 1000);
    pb_doc_destroy(&m);
    destroy_all(docs, 2);
}

/* Issue item 20: documents of different plans are refused, unless asked for. */
static void test_plans(void **state)
{
    (void)state;
    struct pb_doc docs[3], m;
    json_t *out = NULL;
    struct pb_err err = {{0}};
    make_doc(&docs[0], "a.json", 1, "2026-01-01T00:00:00Z");
    make_case(add(&docs[0]), "threads", 1, "compact", 1000, 3, 0);
    make_case(add(&docs[0]), "threads", 2, "compact", 2000, 3, 0);
    make_doc(&docs[1], "b.json", 1, "2026-01-01T00:00:00Z");
    make_case(add(&docs[1]), "threads", 1, "compact", 1000, 3, 0);
    make_doc(&docs[2], "c.json", 0, "2026-01-01T00:00:00Z");
    make_case(add(&docs[2]), "threads", 2, "compact", 2000, 3, 0);

    assert_int_equal(pb_merge_docs(docs, 2, 0, &out, &err), -EINVAL);
    assert_null(out);
    assert_string_equal(err.msg, "b.json has no case threads/cpu.sumsq/n=1000/c=2, which a.json "
                                 "has: these are runs of different plans (--union merges them "
                                 "anyway)");
    merge_and_read(docs, 2, 1, &m);
    assert_int_equal(m.ncases, 2);
    assert_int_equal(m.cases[0].nreps, 6);
    assert_int_equal(m.cases[1].nreps, 3);
    pb_doc_destroy(&m);

    /* An interrupted round (c.json) may lack cases; the merge is then incomplete. */
    struct pb_doc ac[2] = {docs[0], docs[2]};
    merge_and_read(ac, 2, 0, &m);
    assert_int_equal(m.cases[0].nreps, 3);
    assert_int_equal(m.cases[1].nreps, 6);
    assert_int_equal(pb_doc_complete(&m), 0);
    assert_string_equal(pb_doc_str(&m, NULL, "stop_reason"), "interrupted");
    pb_doc_destroy(&m);
    /* ... but a complete one may not lack what the interrupted one has. */
    struct pb_doc bc[2] = {docs[1], docs[2]};
    assert_int_equal(pb_merge_docs(bc, 2, 0, &out, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "b.json has no case threads/cpu.sumsq/n=1000/c=2, which "
                                    "c.json has"));
    assert_int_equal(pb_merge_docs(docs, 0, 0, &out, &err), -EINVAL);
    destroy_all(docs, 3);
}

static void test_differences_warned(void **state)
{
    (void)state;
    struct pb_doc docs[2], m;
    for (int k = 0; k < 2; k++) {
        make_doc(&docs[k], k ? "b.json" : "a.json", 1, "2026-01-01T00:00:00Z");
        make_case(add(&docs[k]), "threads", 1, "compact", 1000, 3, 0);
    }
    json_object_set_new(json_object_get(docs[1].root, "host"), "hostname", json_string("other"));
    merge_and_read(docs, 2, 0, &m);
    json_t *w = json_object_get(m.root, "warnings");
    int hosts = 0, merged = 0;
    for (size_t i = 0; i < json_array_size(w); i++) {
        const char *s = json_string_value(json_array_get(w, i));
        hosts += strcmp(s, "merged documents from different hosts: h (a.json) and other "
                           "(b.json)") == 0;
        merged += strncmp(s, "merged from 2 documents", 23) == 0;
    }
    assert_int_equal(hosts, 1);
    assert_int_equal(merged, 1);
    pb_doc_destroy(&m);
    destroy_all(docs, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rounds),
        cmocka_unit_test(test_one_case_twice),
        cmocka_unit_test(test_pins_apart),
        cmocka_unit_test(test_plans),
        cmocka_unit_test(test_differences_warned),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
