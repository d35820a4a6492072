/* The result document: header, repetitions, summaries, speed-ups and the atomic write. */
#include "harness/result.h"

#include <curl/curl.h>
#include <hwloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "build_info.h"
#include "harness/outfile.h"
#include "harness/stats.h"

#ifdef __clang__
#define PB_COMPILER "clang " __clang_version__
#else
#define PB_COMPILER "gcc " __VERSION__
#endif

void pb_utc_now(char *buf, size_t len)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *libraries(void)
{
    char hw[32];
    unsigned v = hwloc_get_api_version();
    snprintf(hw, sizeof(hw), "%u.%u.%u", v >> 16, (v >> 8) & 0xff, v & 0xff);
    json_t *o = json_object();
    json_object_set_new(o, "hwloc", json_string(hw));
    json_object_set_new(o, "jansson", json_string(jansson_version_str()));
    json_object_set_new(o, "libcurl", json_string(curl_version_info(CURLVERSION_NOW)->version));
    json_object_set_new(o, "libuv", json_string(uv_version_string()));
    return o;
}

static json_t *host(const struct pb_topo *topo)
{
    char name[256] = "unknown";
    gethostname(name, sizeof(name) - 1);
    struct utsname u;
    uname(&u);
    json_t *os = json_object();
    json_object_set_new(os, "sysname", json_string(u.sysname));
    json_object_set_new(os, "release", json_string(u.release));
    json_object_set_new(os, "machine", json_string(u.machine));
    json_t *h = json_object();
    json_object_set_new(h, "hostname", json_string(name));
    json_object_set_new(h, "os", os);
    json_object_set_new(h, "cpu_model", json_string(pb_topo_cpu_model(topo)));
    json_object_set_new(h, "pu_count", json_integer(pb_topo_pu_count(topo)));
    json_object_set_new(h, "core_count", json_integer(pb_topo_core_count(topo)));
    json_object_set_new(h, "topology", pb_topo_to_json(topo));
    return h;
}

static json_t *settings(const struct pb_plan *plan)
{
    const struct pb_case_spec *first = plan->count ? &plan->cases[0] : NULL;
    json_t *s = json_object();
    json_object_set_new(s, "pin", json_string(first ? first->pin.text : "compact"));
    json_object_set_new(s, "repeat", json_integer(first ? first->repeat : 1));
    json_object_set_new(s, "warmup", json_integer(first ? first->warmup : 0));
    json_object_set_new(s, "queue_depth", json_integer(first ? first->queue_depth : 0));
    json_object_set_new(s, "timeout_s",
                        first && first->timeout_ns ? json_real((double)first->timeout_ns / 1e9)
                                                   : json_null());
    json_object_set_new(s, "fail_fast", json_boolean(plan->fail_fast));
    json_object_set_new(s, plan->max_errors_is_pct ? "max_errors_pct" : "max_errors",
                        json_real(plan->max_errors));
    json_object_set_new(s, "isolate", json_boolean(plan->isolate));
    json_object_set_new(s, "clock", json_string("CLOCK_MONOTONIC"));
    return s;
}

json_t *pb_result_new(int argc, char **argv, const struct pb_topo *topo, const struct pb_plan *plan)
{
    char now[32];
    pb_utc_now(now, sizeof(now));
    json_t *tool = json_object();
    json_object_set_new(tool, "name", json_string("parbench"));
    json_object_set_new(tool, "version", json_string(PB_VERSION));
    json_object_set_new(tool, "git_commit", json_string(PB_GIT_COMMIT));
    json_object_set_new(tool, "build_type", json_string(PB_BUILD_TYPE));
    json_object_set_new(tool, "compiler", json_string(PB_COMPILER));
    json_object_set_new(tool, "sanitizer", json_string(PB_SANITIZER));
    json_t *cmd = json_array();
    for (int i = 0; i < argc; i++)
        json_array_append_new(cmd, json_string(argv[i]));

    json_t *doc = json_object();
    json_object_set_new(doc, "schema", json_string(PB_SCHEMA));
    json_object_set_new(doc, "complete", json_false());
    json_object_set_new(doc, "stop_reason", json_string("error"));
    json_object_set_new(doc, "tool", tool);
    json_object_set_new(doc, "command_line", cmd);
    json_object_set_new(doc, "suite", plan->suite[0] ? json_string(plan->suite) : json_null());
    if (plan->suite[0]) {
        json_object_set_new(doc, "suite_name", json_string(plan->suite_name));
        json_object_set_new(doc, "suite_description", json_string(plan->suite_description));
    }
    json_object_set_new(doc, "started_at", json_string(now));
    json_object_set_new(doc, "finished_at", json_string(now));
    json_object_set_new(doc, "host", host(topo));
    json_object_set_new(doc, "libraries", libraries());
    json_object_set_new(doc, "settings", settings(plan));
    json_object_set_new(doc, "warnings", json_array());
    json_object_set_new(doc, "cases", json_array());
    return doc;
}

void pb_result_finish(json_t *doc, const char *stop_reason)
{
    char now[32];
    pb_utc_now(now, sizeof(now));
    json_object_set_new(doc, "complete", json_boolean(strcmp(stop_reason, "completed") == 0));
    json_object_set_new(doc, "stop_reason", json_string(stop_reason));
    json_object_set_new(doc, "finished_at", json_string(now));
}

json_t *pb_result_percentiles(const struct pb_hist *h)
{
    json_t *o = json_object();
    json_object_set_new(o, "min", json_integer((json_int_t)(h->count ? h->min : 0)));
    json_object_set_new(o, "p50", json_integer((json_int_t)pb_hist_percentile(h, 50)));
    json_object_set_new(o, "p90", json_integer((json_int_t)pb_hist_percentile(h, 90)));
    json_object_set_new(o, "p99", json_integer((json_int_t)pb_hist_percentile(h, 99)));
    json_object_set_new(o, "p99_9", json_integer((json_int_t)pb_hist_percentile(h, 99.9)));
    json_object_set_new(o, "max", json_integer((json_int_t)h->max));
    json_object_set_new(o, "mean", json_real(pb_hist_mean(h)));
    return o;
}

static json_t *param_value(const struct pb_params *p, size_t i)
{
    switch (p->defs[i].type) {
    case PB_PARAM_INT:
        return json_integer(p->v[i].i);
    case PB_PARAM_DOUBLE:
        return json_real(p->v[i].d);
    case PB_PARAM_BOOL:
        return json_boolean(p->v[i].i);
    case PB_PARAM_STRING:
        break;
    }
    return json_string(p->v[i].s);
}

/* A stable identity: the same case in two documents gets the same id. */
static void case_id(const struct pb_case_spec *c, char *buf, size_t len)
{
    size_t n = (size_t)snprintf(buf, len, "%s/%s", c->runner->name, c->workload->name);
    for (size_t i = 0; i < c->params.count && n < len; i++) {
        json_t *v = param_value(&c->params, i);
        char *text = json_dumps(v, JSON_ENCODE_ANY);
        n +=
            (size_t)snprintf(buf + n, len - n, "/%s=%s", c->params.defs[i].name, text ? text : "?");
        free(text);
        json_decref(v);
    }
    if (n < len && c->concurrency)
        n += (size_t)snprintf(buf + n, len - n, "/c=%u", c->concurrency);
    if (n < len && c->loops > 1)
        n += (size_t)snprintf(buf + n, len - n, "/loops=%u", c->loops);
    if (n < len && c->rate > 0)
        n += (size_t)snprintf(buf + n, len - n, "/rate=%g/%s", c->rate,
                              c->arrivals == PB_ARRIVALS_POISSON ? "poisson" : "uniform");
    if (n < len)
        snprintf(buf + n, len - n, "/pin=%s", c->pin.text);
}

json_t *pb_result_case_new(const struct pb_case_spec *c, const struct pb_pin_plan *plan)
{
    char id[2048];
    case_id(c, id, sizeof(id));
    json_t *params = json_object();
    for (size_t i = 0; i < c->params.count; i++)
        json_object_set_new(params, c->params.defs[i].name, param_value(&c->params, i));
    json_t *load = json_object();
    json_object_set_new(load, "model", json_string(c->rate > 0 ? "open" : "closed"));
    json_object_set_new(load, "rate_per_s", c->rate > 0 ? json_real(c->rate) : json_null());
    json_object_set_new(
        load, "arrivals",
        c->rate > 0 ? json_string(c->arrivals == PB_ARRIVALS_POISSON ? "poisson" : "uniform")
                    : json_null());
    json_t *pin = json_object();
    json_object_set_new(pin, "policy", json_string(pb_pin_policy_name(c->pin.policy)));
    json_object_set_new(pin, "spec", json_string(c->pin.text));
    json_object_set_new(pin, "plan", pb_pin_plan_to_json(plan));

    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(id));
    json_object_set_new(o, "runner", json_string(c->runner->name));
    json_object_set_new(o, "workload", json_string(c->workload->name));
    json_object_set_new(o, "params", params);
    json_object_set_new(o, "concurrency",
                        c->concurrency ? json_integer(c->concurrency) : json_null());
    json_object_set_new(o, "workers", json_integer(pb_case_workers(c)));
    json_object_set_new(o, "tasks", c->tasks ? json_integer((json_int_t)c->tasks) : json_null());
    json_object_set_new(o, "duration_s",
                        c->tasks ? json_null() : json_real((double)c->duration_ns / 1e9));
    json_object_set_new(o, "load", load);
    json_object_set_new(o, "pin", pin);
    json_object_set_new(o, "queue_depth", json_integer(c->queue_depth));
    json_object_set_new(o, "complete", json_false());
    json_object_set_new(o, "warmups", json_integer(0));
    json_object_set_new(o, "repetitions", json_array());
    json_object_set_new(o, "warnings", json_array());
    return o;
}

/* Summary of one numeric field across repetitions (a path of up to two keys). */
static json_t *summarize_field(json_t *reps, const char *k1, const char *k2)
{
    size_t n = json_array_size(reps), m = 0;
    double *x = calloc(n ? n : 1, sizeof(double));
    size_t i;
    json_t *rep;
    json_array_foreach(reps, i, rep)
    {
        if (!json_is_true(json_object_get(rep, "complete")))
            continue; /* an interrupted repetition is kept, but is no sample */
        json_t *v = json_object_get(rep, k1);
        if (k2)
            v = json_object_get(v, k2);
        if (json_is_number(v))
            x[m++] = json_number_value(v);
    }
    struct pb_summary s;
    pb_summarize(x, m, &s);
    free(x);
    if (!m && k2 == NULL && strcmp(k1, "bytes_per_s") == 0)
        return NULL;
    json_t *o = json_object();
    json_object_set_new(o, "n", json_integer((json_int_t)s.n));
    json_object_set_new(o, "median", json_real(s.median));
    json_object_set_new(o, "mean", json_real(s.mean));
    json_object_set_new(o, "stddev", json_real(s.stddev));
    json_object_set_new(o, "cv", json_real(s.cv));
    json_object_set_new(o, "min", json_real(s.min));
    json_object_set_new(o, "max", json_real(s.max));
    json_object_set_new(o, "ci_low", json_real(s.ci_low));
    json_object_set_new(o, "ci_high", json_real(s.ci_high));
    json_object_set_new(o, "ci_level", json_real(s.ci_level));
    return o;
}

static const double spectrum[] = {0,  10, 20, 30, 40,   50,   60,    70,    75,     80, 85,
                                  90, 95, 97, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100};

void pb_result_case_summarize(json_t *jcase, const struct pb_hist *latency)
{
    json_t *reps = json_object_get(jcase, "repetitions");
    json_t *sum = json_object();
    json_object_set_new(sum, "throughput_per_s", summarize_field(reps, "throughput_per_s", NULL));
    json_object_set_new(sum, "wall_s", summarize_field(reps, "wall_s", NULL));
    json_object_set_new(sum, "latency_p50_ns", summarize_field(reps, "latency_ns", "p50"));
    json_object_set_new(sum, "latency_p99_ns", summarize_field(reps, "latency_ns", "p99"));
    json_object_set_new(sum, "service_p50_ns", summarize_field(reps, "service_ns", "p50"));
    json_object_set_new(sum, "service_p99_ns", summarize_field(reps, "service_ns", "p99"));
    json_object_set_new(sum, "peak_rss_bytes", summarize_field(reps, "peak_rss_bytes", NULL));
    json_t *bytes = summarize_field(reps, "bytes_per_s", NULL);
    if (bytes)
        json_object_set_new(sum, "bytes_per_s", bytes);
    json_object_set_new(jcase, "summary", sum);

    json_t *spec = json_array();
    for (size_t i = 0; latency->count && i < sizeof(spectrum) / sizeof(spectrum[0]); i++) {
        json_t *pt = json_object();
        json_object_set_new(pt, "percentile", json_real(spectrum[i]));
        json_object_set_new(pt, "value",
                            json_integer((json_int_t)pb_hist_percentile(latency, spectrum[i])));
        json_array_append_new(spec, pt);
    }
    json_object_set_new(jcase, "latency_spectrum_ns", spec);
}

/* Cases with the same workload, parameters and load model compare with each other. */
static int same_work(json_t *a, json_t *b)
{
    return json_equal(json_object_get(a, "workload"), json_object_get(b, "workload")) &&
           json_equal(json_object_get(a, "params"), json_object_get(b, "params")) &&
           json_equal(json_object_get(a, "load"), json_object_get(b, "load"));
}

static double median_throughput(json_t *c)
{
    json_t *s = json_object_get(json_object_get(json_object_get(c, "summary"), "throughput_per_s"),
                                "median");
    return json_is_number(s) ? json_number_value(s) : 0;
}

void pb_result_speedups(json_t *doc)
{
    json_t *cases = json_object_get(doc, "cases");
    size_t i, j;
    json_t *c, *base;
    json_array_foreach(cases, i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "runner")), "serial") == 0)
            continue;
        json_array_foreach(cases, j, base)
        {
            if (strcmp(json_string_value(json_object_get(base, "runner")), "serial") ||
                !same_work(c, base))
                continue;
            double b = median_throughput(base), t = median_throughput(c);
            if (b <= 0)
                break;
            json_int_t workers = json_integer_value(json_object_get(c, "workers"));
            json_t *s = json_object();
            json_object_set_new(s, "baseline",
                                json_string(json_string_value(json_object_get(base, "id"))));
            json_object_set_new(s, "value", json_real(t / b));
            json_object_set_new(s, "efficiency",
                                json_real(t / b / (double)(workers ? workers : 1)));
            json_object_set_new(c, "speedup", s);
            break;
        }
    }
}

void pb_result_default_path(char *buf, size_t len, const char *dir)
{
    char name[256] = "host", t[32];
    gethostname(name, sizeof(name) - 1);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(t, sizeof(t), "%Y%m%dT%H%M%SZ", &tm);
    snprintf(buf, len, "%s/%s-%s.json", dir, t, name);
}

int pb_result_write(const json_t *doc, const char *path, struct pb_err *err)
{
    return pb_out_write_json(path, doc, PB_RESULT_JSON_FLAGS, err);
}
