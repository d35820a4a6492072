/* Unit tests of the document reader: a good document read into typed cases, every kind of bad
 * value refused with one line naming the file and the JSON path, two cases with one key, the
 * documents of the previous version, and what the writer writes reading back the same. */
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

#include "build_info.h"
#include "harness/doc_read.h"
#include "harness/doc_write.h"

/* One case, two repetitions: everything the reader reads, once. */
static const char good_doc[] =
    "{\"schema\": \"parbench/result/v1\", \"complete\": true, \"stop_reason\": \"completed\","
    " \"tool\": {\"name\": \"parbench\", \"version\": \"0.1.0\", \"git_commit\": \"abc\","
    "  \"build_type\": \"Release\", \"compiler\": \"gcc\", \"sanitizer\": \"none\"},"
    " \"command_line\": [\"run\"], \"suite\": null,"
    " \"started_at\": \"2026-01-01T00:00:00Z\", \"finished_at\": \"2026-01-01T00:01:00Z\","
    " \"host\": {\"hostname\": \"h\", \"cpu_model\": \"C\", \"pu_count\": 2, \"core_count\": 1,"
    "  \"os\": {\"sysname\": \"Linux\", \"release\": \"6\", \"machine\": \"x86_64\"},"
    "  \"topology\": {\"caches\": [{\"type\": \"data\", \"level\": 1, \"size_bytes\": 32768,"
    "   \"count\": 1}]}},"
    " \"libraries\": {}, \"warnings\": [],"
    " \"settings\": {\"fail_fast\": false, \"max_errors\": 0, \"isolate\": false,"
    "  \"clock\": \"CLOCK_MONOTONIC\"},"
    " \"cases\": [{\"id\": \"whatever\", \"runner\": \"threads\", \"workload\": \"cpu.sumsq\","
    "  \"params\": {\"n\": 65536, \"scale\": 0.5, \"verify\": true, \"mode\": \"x\"},"
    "  \"concurrency\": 2, \"workers\": 2, \"tasks\": 100, \"duration_s\": null,"
    "  \"load\": {\"model\": \"open\", \"rate_per_s\": 500.0, \"arrivals\": \"poisson\"},"
    "  \"pin\": {\"policy\": \"list\", \"spec\": \"list:1,0\", \"plan\": [[0], [1]]},"
    "  \"queue_depth\": 64,"
    "  \"settings\": {\"repeat\": 2, \"warmup\": 1, \"timeout_s\": 0.25, \"grace_s\": 2.0,"
    "   \"loops\": 1},"
    "  \"complete\": true, \"warmups\": 1,"
    "  \"repetitions\": ["
    "   {\"complete\": true, \"wall_s\": 0.5, \"tasks_submitted\": 100, \"tasks_ok\": 98,"
    "    \"tasks_failed\": 2, \"timeouts\": 1, \"failures\": {\"timeout\": 1, \"crash\": 1},"
    "    \"throughput_per_s\": 196.0, \"bytes_per_s\": 1000.0,"
    "    \"latency_ns\": {\"min\": 1, \"p50\": 100, \"p90\": 200, \"p99\": 300, \"p99_9\": 400,"
    "     \"max\": 500, \"mean\": 150.5},"
    "    \"service_ns\": {\"min\": 1, \"p50\": 50, \"p90\": 60, \"p99\": 70, \"p99_9\": 80,"
    "     \"max\": 90, \"mean\": 55.0},"
    "    \"cpu\": {\"user_s\": 0.4, \"sys_s\": 0.1},"
    "    \"context_switches\": {\"voluntary\": 3, \"involuntary\": 4},"
    "    \"faults\": {\"minor\": 5, \"major\": 6}, \"peak_rss_bytes\": 1048576,"
    "    \"placement\": {\"migrations\": 1, \"workers\": ["
    "     {\"worker\": 0, \"cpuset\": [0], \"cpus_seen\": [0], \"migrations\": 0, \"tasks\": 50,"
    "      \"replaced\": 0},"
    "     {\"worker\": 1, \"cpuset\": [1], \"cpus_seen\": [0, 1], \"migrations\": 1,"
    "      \"tasks\": 50, \"replaced\": 1, \"last_failure\": \"killed\"}]},"
    "    \"check\": {\"ok\": false, \"message\": \"off by one\"},"
    "    \"workload\": {\"sum\": 1}, \"fixture\": {\"cpu_s\": 0.1}},"
    "   {\"complete\": false, \"wall_s\": 0.25, \"tasks_submitted\": 50, \"tasks_ok\": 50,"
    "    \"tasks_failed\": 0, \"timeouts\": 0, \"failures\": {}, \"throughput_per_s\": 200.0,"
    "    \"latency_ns\": {\"min\": 1, \"p50\": 110, \"p90\": 200, \"p99\": 300, \"p99_9\": 400,"
    "     \"max\": 500, \"mean\": 150.0},"
    "    \"service_ns\": {\"min\": 1, \"p50\": 50, \"p90\": 60, \"p99\": 70, \"p99_9\": 80,"
    "     \"max\": 90, \"mean\": 55.0},"
    "    \"cpu\": {\"user_s\": 0.2, \"sys_s\": 0.05},"
    "    \"context_switches\": {\"voluntary\": 1, \"involuntary\": 1},"
    "    \"faults\": {\"minor\": 1, \"major\": 0}, \"peak_rss_bytes\": 1048576,"
    "    \"placement\": {\"migrations\": 0, \"workers\": []}, \"check\": {\"ok\": true}}],"
    "  \"warnings\": [\"unstable\"],"
    "  \"summary\": {\"throughput_per_s\": {\"n\": 1, \"median\": 196.0, \"mean\": 196.0,"
    "   \"stddev\": 0, \"cv\": 0, \"min\": 196.0, \"max\": 196.0, \"ci_low\": 190.0,"
    "   \"ci_high\": 199.0, \"ci_level\": 0.5}},"
    "  \"latency_spectrum_ns\": ["
    "   {\"percentile\": 0, \"value\": 1}, {\"percentile\": 10, \"value\": 2},"
    "   {\"percentile\": 20, \"value\": 3}, {\"percentile\": 30, \"value\": 4},"
    "   {\"percentile\": 40, \"value\": 5}, {\"percentile\": 50, \"value\": 6},"
    "   {\"percentile\": 60, \"value\": 7}, {\"percentile\": 70, \"value\": 8},"
    "   {\"percentile\": 75, \"value\": 9}, {\"percentile\": 80, \"value\": 10},"
    "   {\"percentile\": 85, \"value\": 11}, {\"percentile\": 90, \"value\": 12},"
    "   {\"percentile\": 95, \"value\": 13}, {\"percentile\": 97, \"value\": 14},"
    "   {\"percentile\": 99, \"value\": 15}, {\"percentile\": 99.5, \"value\": 16},"
    "   {\"percentile\": 99.9, \"value\": 17}, {\"percentile\": 99.95, \"value\": 18},"
    "   {\"percentile\": 99.99, \"value\": 19}, {\"percentile\": 99.999, \"value\": 20},"
    "   {\"percentile\": 100, \"value\": 21.4}],"
    "  \"speedup\": {\"baseline\": \"serial/cpu.sumsq\", \"value\": 1.5, \"efficiency\": 0.75}}]}";

static json_t *parse(const char *text)
{
    json_error_t je;
    json_t *root = json_loads(text, PB_DOC_DECODE_FLAGS, &je);
    if (!root)
        fail_msg("test document is not JSON: line %d: %s", je.line, je.text);
    return root;
}

static void test_good_document(void **state)
{
    (void)state;
    struct pb_doc d;
    struct pb_err err = {{0}};
    json_t *root = parse(good_doc);
    assert_int_equal(pb_doc_from_json(&d, root, "r.json", &err), 0);
    json_decref(root);
    assert_string_equal(d.path, "r.json");
    assert_int_equal(d.ncases, 1);
    assert_string_equal(pb_doc_str(&d, "host", "hostname"), "h");
    assert_string_equal(pb_doc_str(&d, "tool", "nothing"), "");
    assert_int_equal(pb_doc_complete(&d), 1);

    const struct pb_case_result *c = &d.cases[0];
    const struct pb_case_info *i = &c->info;
    /* The key is recomputed: sorted parameters in canonical form, the list canonical too. */
    assert_string_equal(i->id, "threads/cpu.sumsq/mode=x/n=65536/scale=0.5/verify=true/c=2/"
                               "open:500/s,poisson/pin=list:0-1/qd=64");
    assert_int_equal(pb_doc_find(&d, i->id), 0);
    assert_int_equal(pb_doc_find(&d, "whatever"), -1);
    assert_int_equal(i->nparams, 4);
    assert_string_equal(i->params[0].name, "n"); /* the document's order */
    assert_int_equal(i->params[0].type, PB_PARAM_INT);
    assert_int_equal(i->params[1].type, PB_PARAM_DOUBLE);
    assert_int_equal(i->params[2].type, PB_PARAM_BOOL);
    assert_int_equal(i->params[3].type, PB_PARAM_STRING);
    assert_int_equal(i->concurrency, 2);
    assert_int_equal(i->gather, 0);
    assert_int_equal(i->workers, 2);
    assert_int_equal(i->load.tasks, 100);
    assert_true(i->load.rate == 500.0 && i->load.arrivals == PB_ARRIVALS_POISSON);
    assert_string_equal(i->pin_policy, "list");
    assert_string_equal(i->pin_spec, "list:0-1");
    assert_int_equal(i->queue_depth, 64);
    assert_int_equal(i->repeat, 2);
    assert_int_equal(i->warmup, 1);
    assert_int_equal(i->timeout_ns, 250000000);
    assert_int_equal(i->grace_ns, 2000000000);
    assert_int_equal(i->loops, 1);
    assert_int_equal(c->pin_workers, 2);
    assert_true(pb_cpuset_has(&c->pin_plan[1], 1) && pb_cpuset_count(&c->pin_plan[1]) == 1);
    assert_int_equal(c->complete, 1);
    assert_int_equal(c->warmups, 1);

    assert_int_equal(c->nreps, 2);
    const struct pb_rep_result *r = &c->reps[0];
    assert_int_equal(r->complete, 1);
    assert_int_equal(r->submitted, 100);
    assert_int_equal(r->ok, 98);
    assert_int_equal(r->failed, 2);
    assert_int_equal(r->timeouts, 1);
    assert_int_equal(r->failures[PB_FAIL_TIMEOUT], 1);
    assert_int_equal(r->failures[PB_FAIL_CRASH], 1);
    assert_true(r->throughput_per_s == 196.0 && r->has_bytes && r->bytes_per_s == 1000.0);
    assert_int_equal(r->latency.p50, 100);
    assert_int_equal(r->service.p99_9, 80);
    assert_true(r->latency.mean == 150.5);
    assert_true(r->usage.user_s == 0.4 && r->usage.sys_s == 0.1);
    assert_int_equal(r->usage.involuntary_switches, 4);
    assert_int_equal(r->usage.major_faults, 6);
    assert_int_equal(r->peak_rss_bytes, 1048576);
    assert_int_equal(r->migrations, 1);
    assert_int_equal(r->nworkers, 2);
    assert_int_equal(r->workers[1].tasks, 50);
    assert_int_equal(r->workers[1].replaced, 1);
    assert_string_equal(r->workers[1].last_failure, "killed");
    assert_int_equal(pb_cpuset_count(&r->workers[1].seen), 2);
    assert_int_equal(r->check_ok, 0);
    assert_string_equal(r->check_message, "off by one");
    assert_non_null(r->workload);
    assert_non_null(r->fixture);
    assert_int_equal(c->reps[1].has_bytes, 0);
    assert_int_equal(c->reps[1].complete, 0);

    assert_int_equal(c->nwarnings, 1);
    assert_string_equal(c->warnings[0], "unstable");
    /* The stored summary as stored; the others from the complete repetitions. */
    assert_true(c->has_summary[PB_METRIC_THROUGHPUT]);
    assert_true(c->summary[PB_METRIC_THROUGHPUT].ci_low == 190.0);
    assert_true(c->summary[PB_METRIC_THROUGHPUT].ci_level == 0.5);
    assert_true(c->has_summary[PB_METRIC_LATENCY_P50]);
    assert_int_equal(c->summary[PB_METRIC_LATENCY_P50].n, 1);
    assert_true(c->summary[PB_METRIC_LATENCY_P50].median == 100.0);
    assert_true(c->has_summary[PB_METRIC_BYTES]);
    assert_true(c->summary[PB_METRIC_BYTES].median == 1000.0);
    assert_true(c->has_spectrum);
    assert_int_equal(c->spectrum[0], 1);
    assert_int_equal(c->spectrum[PB_SPECTRUM_POINTS - 1], 21);
    assert_true(c->speedup.present && c->speedup.value == 1.5);
    assert_string_equal(c->speedup.baseline, "serial/cpu.sumsq");
    pb_doc_destroy(&d);
    pb_doc_destroy(&d); /* emptied: a second destroy is harmless */
}

/* Sets the member at a path of keys and indices ("cases", "0", "pin") to value (stolen), or
 * deletes it when value is NULL. */
static void mutate(json_t *root, const char *path, json_t *value)
{
    char buf[256], *save = NULL;
    json_t *at = root, *parent = NULL;
    char *last = NULL;
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *tok = strtok_r(buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
        parent = at;
        last = tok;
        if (json_is_array(at))
            at = json_array_get(at, strtoul(tok, NULL, 10));
        else
            at = json_object_get(at, tok);
        if (!at && strtok_r(NULL, "", &save) != NULL)
            fail_msg("no %s in the test document", path);
        if (!at)
            break;
    }
    if (json_is_array(parent)) {
        size_t idx = strtoul(last, NULL, 10);
        if (value)
            json_array_set_new(parent, idx, value);
        else
            json_array_remove(parent, idx);
    } else if (value) {
        json_object_set_new(parent, last, value);
    } else {
        json_object_del(parent, last);
    }
}

struct bad {
    const char *path;  /* the member to change */
    const char *value; /* its new value as JSON; NULL: deleted */
    const char *msg;   /* the whole message */
};

#define REP0 "r.json: cases[0].repetitions[0]"

static const struct bad bad_docs[] = {
    {"cases/0/repetitions", "[1, \"a\", null]",
     "r.json: cases[0].repetitions[0]: expected an object, got 1"},
    {"cases/0/repetitions/1/throughput_per_s", "\"fast\"",
     "r.json: cases[0].repetitions[1].throughput_per_s: expected a number >= 0, got \"fast\""},
    {"cases/0/concurrency", "\"two\"",
     "r.json: cases[0].concurrency: expected an integer >= 1 or null, got \"two\""},
    {"cases/0/concurrency", "0",
     "r.json: cases[0].concurrency: expected an integer between 1 and 4294967295, got 0"},
    {"cases/0/pin", "3", "r.json: cases[0].pin: expected an object, got 3"},
    {"cases/0/summary", "\"x\"", "r.json: cases[0].summary: expected an object, got \"x\""},
    {"cases/0/id", "5", "r.json: cases[0].id: expected a string, got 5"},
    {"cases/0/id", NULL, "r.json: cases[0].id: missing, expected a string"},
    {"cases/0/repetitions/0/tasks_ok", "-3", REP0 ".tasks_ok: expected an integer >= 0, got -3"},
    {"cases/0/repetitions/0/tasks_ok", "2.5", REP0 ".tasks_ok: expected an integer >= 0, got 2.5"},
    {"cases/0/repetitions/0/wall_s", "-0.5", REP0 ".wall_s: expected a number >= 0, got -0.5"},
    {"cases/0/repetitions/0/latency_ns/p50", "null",
     REP0 ".latency_ns.p50: expected a number between 0 and 9e+18, got null"},
    {"cases/0/repetitions/0/latency_ns/p99", "1e30",
     REP0 ".latency_ns.p99: expected a number between 0 and 9e+18, got 1e30"},
    /* Written back as a JSON integer, 1e19 ns would turn negative: refused on reading. */
    {"cases/0/repetitions/0/latency_ns/max", "1e19",
     REP0 ".latency_ns.max: expected a number between 0 and 9e+18, got 1e19"},
    {"cases/0/repetitions/0/service_ns", NULL, REP0 ".service_ns: missing, expected an object"},
    {"cases/0/repetitions/0/failures/bogus", "1",
     REP0 ".failures.bogus: not a kind of failure (wrong_result, crash, timeout, connect, "
          "http_status, short_body, io, other, exception)"},
    {"cases/0/repetitions/0/failures/crash", "\"1\"",
     REP0 ".failures.crash: expected an integer >= 0, got \"1\""},
    {"cases/0/repetitions/0/placement/workers/1/cpuset", "[0, 1024]",
     REP0 ".placement.workers[1].cpuset[1]: expected an integer between 0 and 1023, got 1024"},
    {"cases/0/repetitions/0/placement/workers/0/replaced", "4294967296",
     REP0 ".placement.workers[0].replaced: expected an integer below 2^32, got 4294967296"},
    {"cases/0/repetitions/0/check/ok", "1", REP0 ".check.ok: expected true or false, got 1"},
    {"cases/0/repetitions/0/fixture", "[]", REP0 ".fixture: expected an object, got []"},
    {"cases/0/repetitions/0/complete", NULL, REP0 ".complete: missing, expected true or false"},
    {"cases/0/params/n", "{\"a\": 1}",
     "r.json: cases[0].params.n: expected an integer, number, boolean or string, got {\"a\":1}"},
    {"cases/0/params/n", "null",
     "r.json: cases[0].params.n: expected an integer, number, boolean or string, got null"},
    {"cases/0/params/a\033[2J", "[]",
     "r.json: cases[0].params[\"a\\u001B[2J\"]: expected an integer, number, boolean or "
     "string, got []"},
    {"cases/0/workers", "0",
     "r.json: cases[0].workers: expected an integer between 1 and 4294967295, got 0"},
    {"cases/0/tasks", "0", "r.json: cases[0].tasks: expected an integer >= 1, got 0"},
    {"cases/0/duration_s", "\"1s\"",
     "r.json: cases[0].duration_s: expected a number >= 0 or null, got \"1s\""},
    {"cases/0/load/model", "\"sideways\"",
     "r.json: cases[0].load.model: expected \"closed\" or \"open\", got \"sideways\""},
    {"cases/0/load/rate_per_s", "0",
     "r.json: cases[0].load.rate_per_s: expected a number > 0, "
     "got 0"},
    {"cases/0/load/arrivals", "\"bursty\"",
     "r.json: cases[0].load.arrivals: expected \"uniform\" or \"poisson\", got \"bursty\""},
    {"cases/0/pin/spec", "\"list:x\"",
     "r.json: cases[0].pin.spec: expected none, compact, scatter, cores or list:CPUS "
     "(list:0,2-3), got \"list:x\""},
    {"cases/0/pin/policy", "\"compact\"",
     "r.json: cases[0].pin.policy: expected \"list\", the spec's policy, got \"compact\""},
    {"cases/0/pin/plan/1", "3",
     "r.json: cases[0].pin.plan[1]: expected an array of CPU "
     "indices, got 3"},
    {"cases/0/settings/loops", "0",
     "r.json: cases[0].settings.loops: expected an integer between 1 and 4294967295, got 0"},
    {"cases/0/settings/timeout_s", "\"1s\"",
     "r.json: cases[0].settings.timeout_s: expected a number >= 0 or null, got \"1s\""},
    {"cases/0/settings", "[]", "r.json: cases[0].settings: expected an object, got []"},
    {"cases/0/complete", "\"yes\"",
     "r.json: cases[0].complete: expected true or false, got "
     "\"yes\""},
    {"cases/0/warnings/0", "7", "r.json: cases[0].warnings[0]: expected a string, got 7"},
    {"cases/0/summary/throughput_per_s/median", "\"x\"",
     "r.json: cases[0].summary.throughput_per_s.median: expected a number, got \"x\""},
    {"cases/0/summary/throughput_per_s/ci_level", "2",
     "r.json: cases[0].summary.throughput_per_s.ci_level: expected a number between 0 and 1, "
     "got 2"},
    {"cases/0/summary/throughput_per_s/n", NULL,
     "r.json: cases[0].summary.throughput_per_s.n: missing, expected an integer >= 0"},
    {"cases/0/latency_spectrum_ns/3/percentile", "35",
     "r.json: cases[0].latency_spectrum_ns[3].percentile: expected 30, got 35"},
    {"cases/0/latency_spectrum_ns/3", NULL,
     "r.json: cases[0].latency_spectrum_ns: expected no points or 21 (at percentiles 0, 10, "
     "... 99.999, 100), got 20"},
    {"cases/0/latency_spectrum_ns/20/value", "-1",
     "r.json: cases[0].latency_spectrum_ns[20].value: expected a number between 0 and "
     "9e+18, got -1"},
    {"cases/0/speedup/value", "\"fast\"",
     "r.json: cases[0].speedup.value: expected a number >= 0, got \"fast\""},
    {"cases/0", "[]", "r.json: cases[0]: expected an object, got []"},
    {"cases", "{}", "r.json: cases: expected an array, got {}"},
    {"cases", NULL, "r.json: cases: missing, expected an array"},
    {"complete", "\"yes\"", "r.json: complete: expected true or false, got \"yes\""},
    {"host/hostname", "5", "r.json: host.hostname: expected a string, got 5"},
    {"host/topology/caches/0/level", "\"one\"",
     "r.json: host.topology.caches[0].level: expected an integer >= 0, got \"one\""},
    {"tool", "\"parbench\"", "r.json: tool: expected an object, got \"parbench\""},
    {"settings/repeat", "-1",
     "r.json: settings.repeat: expected an integer between 0 and "
     "4294967295, got -1"},
    {"warnings", "[\"ok\", {}]", "r.json: warnings[1]: expected a string, got {}"},
    {"schema", "\"parbench/result/v2\"",
     "r.json: schema 'parbench/result/v2' is not parbench/result/v1"},
    {"schema", "\"\\u001b]0;owned\\u0007\"",
     "r.json: schema '\\u001B]0;owned\\u0007' is not parbench/result/v1"},
    {"schema", "2", "r.json: schema '2' is not parbench/result/v1"},
    {"schema", NULL, "r.json: not a parbench result document (no 'schema')"},
    /* A long value is cut short in the message. */
    {"cases/0/id", "[1111111111, 2222222222, 3333333333, 4444444444]",
     "r.json: cases[0].id: expected a string, got [1111111111,2222222222,3333333333,44 ..."},
};

static void test_bad_documents(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof(bad_docs) / sizeof(bad_docs[0]); k++) {
        const struct bad *b = &bad_docs[k];
        json_t *root = parse(good_doc);
        mutate(root, b->path, b->value ? parse(b->value) : NULL);
        struct pb_doc d;
        struct pb_err err = {{0}};
        int rc = pb_doc_from_json(&d, root, "r.json", &err);
        json_decref(root);
        if (rc != -EINVAL || strcmp(err.msg, b->msg) != 0)
            fail_msg("%s = %s: rc %d, message\n  %s\nexpected\n  %s", b->path,
                     b->value ? b->value : "(deleted)", rc, err.msg, b->msg);
        assert_null(d.cases);
        assert_null(d.root);
        pb_doc_destroy(&d);
    }
}

/* What the schema leaves optional reads with its defaults. */
static void test_optional_members(void **state)
{
    (void)state;
    json_t *root = parse(good_doc);
    mutate(root, "cases/0/queue_depth", NULL);
    mutate(root, "cases/0/speedup", NULL);
    mutate(root, "cases/0/summary/throughput_per_s", NULL);
    mutate(root, "cases/0/latency_spectrum_ns", json_array());
    mutate(root, "cases/0/concurrency", json_null());
    mutate(root, "cases/0/load", parse("{\"model\": \"closed\", \"rate_per_s\": null}"));
    mutate(root, "cases/0/pin",
           parse("{\"policy\": \"compact\", \"spec\": \"compact\", "
                 "\"plan\": []}"));
    mutate(root, "cases/0/params", json_object());
    struct pb_doc d;
    struct pb_err err = {{0}};
    assert_int_equal(pb_doc_from_json(&d, root, "r.json", &err), 0);
    const struct pb_case_result *c = &d.cases[0];
    assert_string_equal(c->info.id, "threads/cpu.sumsq");
    assert_int_equal(c->info.gather, 1);
    assert_int_equal(c->info.queue_depth, PB_CASE_DEFAULT_QUEUE_DEPTH);
    assert_int_equal(c->speedup.present, 0);
    assert_int_equal(c->has_spectrum, 0);
    /* Summarised from the one complete repetition, with the run's own code. */
    assert_true(c->has_summary[PB_METRIC_THROUGHPUT]);
    assert_int_equal(c->summary[PB_METRIC_THROUGHPUT].n, 1);
    assert_true(c->summary[PB_METRIC_THROUGHPUT].median == 196.0);
    pb_doc_destroy(&d);

    /* A closed load needs neither rate nor arrivals; an open one both. */
    mutate(root, "cases/0/load", parse("{\"model\": \"open\", \"rate_per_s\": 10}"));
    assert_int_equal(pb_doc_from_json(&d, root, "r.json", &err), -EINVAL);
    assert_string_equal(err.msg, "r.json: cases[0].load.arrivals: missing, expected a string");
    json_decref(root);
}

static void test_duplicate_cases(void **state)
{
    (void)state;
    json_t *root = parse(good_doc), *cases = json_object_get(root, "cases");
    json_t *other = json_deep_copy(json_array_get(cases, 0));
    /* A different case between the two copies, and a stored id that differs: the key is what
     * the fields say, not what "id" says. */
    json_object_set_new(other, "concurrency", json_integer(4));
    json_array_append_new(cases, other);
    json_t *dup = json_deep_copy(json_array_get(cases, 0));
    json_object_set_new(dup, "id", json_string("another id"));
    /* The same values written another way: 65536.0 is 65536, list:0-1 is list:1,0. */
    json_object_set_new(json_object_get(dup, "params"), "n", json_real(65536.0));
    json_object_set_new(json_object_get(dup, "pin"), "spec", json_string("list:0-1"));
    json_array_append_new(cases, dup);

    struct pb_doc d;
    struct pb_err err = {{0}};
    assert_int_equal(pb_doc_from_json(&d, root, "r.json", &err), -EINVAL);
    assert_string_equal(err.msg, "r.json: cases[2]: the same case as cases[0] "
                                 "(threads/cpu.sumsq/mode=x/n=65536/scale=0.5/verify=true/c=2/"
                                 "open:500/s,poisson/pin=list:0-1/qd=64): a document holds "
                                 "each case once");
    json_decref(root);
}

static void test_parse_errors(void **state)
{
    (void)state;
    struct pb_doc d;
    struct pb_err err = {{0}};
    static const char *const texts[][2] = {
        {"{\"schema\": \"parbench/result/v1\",\n \"cases\": [1, 2,,]}",
         "x.json: not JSON: line 2: unexpected token near ','"},
        {"{\"schema\": \"parbench/result/v1\", \"schema\": \"parbench/result/v1\"}",
         "x.json: not JSON: line 1: duplicate object key near '\"schema\"'"},
        {"{\"schema\": \"parbench/result/v1\", \"cases\": [], \"x\": 1e400}",
         "x.json: not JSON: line 1: real number overflow near '1e400'"},
        {"[1, 2]", "x.json: not a parbench result document (no 'schema')"},
        {"7", "x.json: not a parbench result document (no 'schema')"},
        {"", "x.json: not JSON: line 1: '[' or '{' expected near end of file"},
    };
    for (size_t k = 0; k < sizeof(texts) / sizeof(texts[0]); k++) {
        assert_int_equal(pb_doc_parse(&d, texts[k][0], strlen(texts[k][0]), "x.json", &err),
                         -EINVAL);
        if (strcmp(err.msg, texts[k][1]) != 0 &&
            /* jansson's wording of an empty input differs between versions */
            !(k == 5 && strncmp(err.msg, "x.json: not JSON: line 1: ", 26) == 0))
            fail_msg("%s: got\n  %s\nexpected\n  %s", texts[k][0], err.msg, texts[k][1]);
    }
    /* A document with no cases reads. */
    static const char empty[] = "{\"schema\": \"parbench/result/v1\", \"cases\": []}";
    assert_int_equal(pb_doc_parse(&d, empty, strlen(empty), "x.json", &err), 0);
    assert_int_equal(d.ncases, 0);
    pb_doc_destroy(&d);

    assert_int_equal(pb_doc_load(&d, "/nonexistent/r.json", &err), -ENOENT);
    assert_string_equal(err.msg, "/nonexistent/r.json: cannot open: No such file or directory");
    assert_int_equal(pb_doc_load(&d, "/", &err), -EISDIR);
    assert_string_equal(err.msg, "/: cannot open: Is a directory");
}

static void load_fixture(struct pb_doc *d, const char *name)
{
    char path[4096];
    struct pb_err err = {{0}};
    snprintf(path, sizeof(path), "%s/tests/fixtures/old/%s", PB_SOURCE_DIR, name);
    if (pb_doc_load(d, path, &err) < 0)
        fail_msg("%s", err.msg);
}

static const struct pb_case_result *find(const struct pb_doc *d, const char *id)
{
    long i = pb_doc_find(d, id);
    if (i < 0)
        fail_msg("no case %s", id);
    return &d->cases[i];
}

/* A document of the version before typed results: no case settings, "target", old ids. */
static void test_previous_version(void **state)
{
    (void)state;
    struct pb_doc d;
    load_fixture(&d, "run.json");
    assert_int_equal(d.ncases, 6);
    for (size_t i = 0; i < d.ncases; i++) {
        const struct pb_case_result *c = &d.cases[i];
        /* The top-level settings of that version: --suite with repeat 3, warm-up 1, 5 s. */
        assert_int_equal(c->info.repeat, 3);
        assert_int_equal(c->info.warmup, 1);
        assert_int_equal(c->info.timeout_ns, 5000000000ull);
        assert_int_equal(c->info.grace_ns, 2000000000ull);
        assert_int_equal(c->nreps, 3);
        assert_true(c->has_spectrum);
        for (int m = 0; m < PB_METRIC_COUNT; m++)
            if (m != PB_METRIC_BYTES)
                assert_true(c->has_summary[m] && c->summary[m].n == 3);
    }
    const struct pb_case_result *c = find(&d, "threads/cpu.sumsq/n=20000/c=2");
    assert_int_equal(c->info.loops, 1);
    assert_true(c->summary[PB_METRIC_THROUGHPUT].median > 0);
    assert_true(c->speedup.present && c->speedup.value > 0);
    /* --loops 2 was in the old id only; the workers of a loop runner say it too. */
    c = find(&d, "semaphore/null/crash_every=0/crash_mode=abort/fail_every=0/c=2/loops=2");
    assert_int_equal(c->info.loops, 2);
    c = find(&d, "threads/io.http/delay_ms=0/max_connections=256/size=1024/url=/c=2");
    assert_non_null(json_object_get(c->reps[0].fixture, "user_s"));
    assert_true(c->reps[0].has_bytes && c->has_summary[PB_METRIC_BYTES]);
    c = find(&d, "eventloop/io.sleep/ms=1/open:2000/s,poisson");
    assert_int_equal(c->info.gather, 1);
    pb_doc_destroy(&d);

    /* Three cases differing only in their pin list are three cases. */
    load_fixture(&d, "pin-groups.json");
    assert_int_equal(d.ncases, 3);
    assert_string_equal(d.cases[0].info.pin_spec, "list:0");
    assert_string_equal(d.cases[1].info.pin_spec, "list:1");
    assert_string_equal(d.cases[2].info.pin_spec, "list:0-1");
    assert_int_equal(d.cases[0].info.warmup, 0);
    pb_doc_destroy(&d);

    /* What `run -r threads,threads` wrote: one case twice, refused. */
    char path[4096];
    struct pb_err err = {{0}};
    snprintf(path, sizeof(path), "%s/tests/fixtures/old/dup.json", PB_SOURCE_DIR);
    assert_int_equal(pb_doc_load(&d, path, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "dup.json: cases[1]: the same case as cases[0] "
                                    "(threads/null/crash_every=0/crash_mode=abort/"
                                    "fail_every=0/c=1)"));
}

/* Written by the writer and read back, a case is the same case with the same values. */
static void test_round_trip(void **state)
{
    (void)state;
    struct pb_doc a, b;
    struct pb_err err = {{0}};
    load_fixture(&a, "run.json");
    json_t *root = json_deep_copy(a.root);
    assert_int_equal(pb_doc_set_cases(root, a.cases, a.ncases), 0);
    assert_int_equal(pb_doc_from_json(&b, root, "again.json", &err), 0);
    json_decref(root);
    assert_int_equal(b.ncases, a.ncases);
    for (size_t i = 0; i < a.ncases; i++) {
        const struct pb_case_result *x = &a.cases[i], *y = &b.cases[i];
        assert_string_equal(x->info.id, y->info.id);
        assert_int_equal(x->info.repeat, y->info.repeat);
        assert_int_equal(x->info.timeout_ns, y->info.timeout_ns);
        assert_int_equal(x->info.loops, y->info.loops);
        assert_int_equal(x->nreps, y->nreps);
        assert_int_equal(x->pin_workers, y->pin_workers);
        assert_memory_equal(x->spectrum, y->spectrum, sizeof(x->spectrum));
        for (size_t r = 0; r < x->nreps; r++) {
            assert_true(x->reps[r].throughput_per_s == y->reps[r].throughput_per_s);
            assert_int_equal(x->reps[r].latency.p99, y->reps[r].latency.p99);
            assert_int_equal(x->reps[r].nworkers, y->reps[r].nworkers);
            assert_int_equal(!x->reps[r].fixture, !y->reps[r].fixture);
        }
        for (int m = 0; m < PB_METRIC_COUNT; m++) {
            assert_int_equal(x->has_summary[m], y->has_summary[m]);
            assert_true(x->summary[m].median == y->summary[m].median);
        }
        assert_int_equal(x->speedup.present, y->speedup.present);
    }
    pb_doc_destroy(&a);
    pb_doc_destroy(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_document),    cmocka_unit_test(test_bad_documents),
        cmocka_unit_test(test_optional_members), cmocka_unit_test(test_duplicate_cases),
        cmocka_unit_test(test_parse_errors),     cmocka_unit_test(test_previous_version),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
