/* The result document, written from typed results. */
#include "harness/doc_write.h"

#include <curl/curl.h>
#include <hwloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "build_info.h"
#include "harness/plugin.h"
#include <errno.h>

#ifdef __clang__
#define PB_COMPILER "clang " __clang_version__
#else
#define PB_COMPILER "gcc " __VERSION__
#endif

static void utc_now(char *buf, size_t len)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void pb_doc_default_path(char *buf, size_t len, const char *dir)
{
    char name[256] = "host", t[32];
    gethostname(name, sizeof(name) - 1);
    /* A host name is not a path: a '/' in it must not make a directory. */
    for (char *p = name; *p; p++)
        if (*p == '/')
            *p = '_';
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(t, sizeof(t), "%Y%m%dT%H%M%SZ", &tm);
    snprintf(buf, len, "%s/%s-%s.json", dir, t, name);
}

/* jansson refuses NaN and infinities (strict JSON): they become null. */
static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *count(uint64_t v)
{
    return json_integer((json_int_t)v);
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

/* What holds for the whole invocation; what a suite may vary is on each case. */
static json_t *settings(const struct pb_plan *plan)
{
    json_t *s = json_object();
    json_object_set_new(s, "fail_fast", json_boolean(plan->fail_fast));
    json_object_set_new(s, plan->max_errors_is_pct ? "max_errors_pct" : "max_errors",
                        json_real(plan->max_errors));
    json_object_set_new(s, "isolate", json_boolean(plan->isolate));
    json_object_set_new(s, "interleave", json_boolean(plan->interleave));
    if (plan->interleave)
        json_object_set_new(s, "interleave_seed", json_integer((json_int_t)plan->interleave_seed));
    json_object_set_new(s, "clock", json_string("CLOCK_MONOTONIC"));
    return s;
}

json_t *pb_doc_new(int argc, char **argv, const struct pb_topo *topo, const struct pb_plan *plan)
{
    char now[32];
    utc_now(now, sizeof(now));
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
    json_object_set_new(doc, "schema", json_string(PB_RESULT_SCHEMA));
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
    if (pb_plugin_count())
        json_object_set_new(doc, "plugins", pb_plugins_json());
    json_object_set_new(doc, "libraries", libraries());
    json_object_set_new(doc, "settings", settings(plan));
    json_object_set_new(doc, "warnings", json_array());
    json_object_set_new(doc, "cases", json_array());
    return doc;
}

void pb_doc_finish(json_t *doc, const char *stop_reason)
{
    char now[32];
    utc_now(now, sizeof(now));
    json_object_set_new(doc, "complete", json_boolean(strcmp(stop_reason, "completed") == 0));
    json_object_set_new(doc, "stop_reason", json_string(stop_reason));
    json_object_set_new(doc, "finished_at", json_string(now));
}

static json_t *percentiles(const struct pb_percentiles *p)
{
    json_t *o = json_object();
    json_object_set_new(o, "min", count(p->min));
    json_object_set_new(o, "p50", count(p->p50));
    json_object_set_new(o, "p90", count(p->p90));
    json_object_set_new(o, "p99", count(p->p99));
    json_object_set_new(o, "p99_9", count(p->p99_9));
    json_object_set_new(o, "max", count(p->max));
    json_object_set_new(o, "mean", num(p->mean));
    return o;
}

static json_t *cpuset(const struct pb_cpuset *s)
{
    json_t *a = json_array();
    for (int c = pb_cpuset_next(s, 0); c >= 0; c = pb_cpuset_next(s, (unsigned)c + 1))
        json_array_append_new(a, json_integer(c));
    return a;
}

static json_t *placement(const struct pb_rep_result *r)
{
    json_t *workers = json_array();
    for (size_t i = 0; i < r->nworkers; i++) {
        const struct pb_worker_result *w = &r->workers[i];
        json_t *o = json_object();
        json_object_set_new(o, "worker", count(i));
        json_object_set_new(o, "cpuset", cpuset(&w->given));
        json_object_set_new(o, "cpus_seen", cpuset(&w->seen));
        json_object_set_new(o, "migrations", count(w->migrations));
        json_object_set_new(o, "tasks", count(w->tasks));
        json_object_set_new(o, "replaced", count(w->replaced));
        if (w->last_failure[0])
            json_object_set_new(o, "last_failure", json_string(w->last_failure));
        json_array_append_new(workers, o);
    }
    json_t *p = json_object();
    json_object_set_new(p, "migrations", count(r->migrations));
    json_object_set_new(p, "workers", workers);
    return p;
}

static json_t *machine(const struct pb_rep_machine *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "others_cpus", num(m->others_cpus));
    json_object_set_new(o, "steal_cpus", num(m->steal_cpus));
    json_object_set_new(o, "load1", num(m->load1));
    json_object_set_new(o, "freq_mhz", m->freq_mhz > 0 ? num(m->freq_mhz) : json_null());
    json_object_set_new(o, "governor", m->governor[0] ? json_string(m->governor) : json_null());
    json_object_set_new(o, "run_wait", num(m->run_wait));
    json_object_set_new(o, "involuntary_switches", count(m->involuntary_switches));
    json_object_set_new(o, "cpu_per_task_ns", num(m->cpu_per_task_ns));
    json_object_set_new(o, "cpu_per_task_ratio",
                        m->cpu_per_task_ratio > 0 ? num(m->cpu_per_task_ratio) : json_null());
    json_object_set_new(o, "busy", json_boolean(m->busy));
    if (m->busy)
        json_object_set_new(o, "busy_reason", json_string(m->busy_reason));
    return o;
}

static json_t *rep_json(const struct pb_rep_result *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "complete", json_boolean(r->complete));
    json_object_set_new(o, "wall_s", num(r->wall_s));
    json_object_set_new(o, "tasks_submitted", count(r->submitted));
    json_object_set_new(o, "tasks_ok", count(r->ok));
    json_object_set_new(o, "tasks_failed", count(r->failed));
    json_object_set_new(o, "timeouts", count(r->timeouts));
    json_t *failures = json_object();
    for (int s = 1; s < PB_STATUS_COUNT; s++)
        if (r->failures[s])
            json_object_set_new(failures, pb_status_name(s), count(r->failures[s]));
    json_object_set_new(o, "failures", failures);
    json_object_set_new(o, "throughput_per_s", num(r->throughput_per_s));
    if (r->has_bytes)
        json_object_set_new(o, "bytes_per_s", num(r->bytes_per_s));
    json_object_set_new(o, "latency_ns", percentiles(&r->latency));
    json_object_set_new(o, "service_ns", percentiles(&r->service));
    json_t *cpu = json_object();
    json_object_set_new(cpu, "user_s", num(r->usage.user_s));
    json_object_set_new(cpu, "sys_s", num(r->usage.sys_s));
    json_object_set_new(o, "cpu", cpu);
    json_t *cs = json_object();
    json_object_set_new(cs, "voluntary", count(r->usage.voluntary_switches));
    json_object_set_new(cs, "involuntary", count(r->usage.involuntary_switches));
    json_object_set_new(o, "context_switches", cs);
    json_t *f = json_object();
    json_object_set_new(f, "minor", count(r->usage.minor_faults));
    json_object_set_new(f, "major", count(r->usage.major_faults));
    json_object_set_new(o, "faults", f);
    json_object_set_new(o, "peak_rss_bytes", count(r->peak_rss_bytes));
    json_object_set_new(o, "placement", placement(r));
    json_t *check = json_object();
    json_object_set_new(check, "ok", json_boolean(r->check_ok));
    if (!r->check_ok)
        json_object_set_new(check, "message", json_string(r->check_message));
    json_object_set_new(o, "check", check);
    if (r->workload)
        json_object_set(o, "workload", r->workload);
    if (r->fixture)
        json_object_set(o, "fixture", r->fixture);
    if (r->round)
        json_object_set_new(o, "round", json_integer(r->round));
    if (r->order) /* a merge's round (merge --rounds) has no order within it */
        json_object_set_new(o, "order", json_integer(r->order));
    if (r->machine.watched)
        json_object_set_new(o, "machine", machine(&r->machine));
    return o;
}

static json_t *summary(const struct pb_summary *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "n", count(s->n));
    json_object_set_new(o, "median", num(s->median));
    json_object_set_new(o, "mean", num(s->mean));
    json_object_set_new(o, "stddev", num(s->stddev));
    json_object_set_new(o, "cv", num(s->cv));
    json_object_set_new(o, "min", num(s->min));
    json_object_set_new(o, "max", num(s->max));
    json_object_set_new(o, "ci_low", num(s->ci_low));
    json_object_set_new(o, "ci_high", num(s->ci_high));
    json_object_set_new(o, "ci_level", num(s->ci_level));
    return o;
}

static json_t *seconds(uint64_t ns)
{
    return json_real((double)ns / 1e9);
}

static json_t *case_json(const struct pb_case_result *c)
{
    const struct pb_case_info *i = &c->info;
    json_t *params = json_object();
    for (size_t k = 0; k < i->nparams; k++)
        json_object_set_new(
            params, i->params[k].name,
            pb_param_json(i->params[k].type, i->params[k].i, i->params[k].d, i->params[k].s));
    json_t *load = json_object();
    int open = pb_load_open(&i->load);
    json_object_set_new(load, "model", json_string(open ? "open" : "closed"));
    json_object_set_new(load, "rate_per_s", open ? num(i->load.rate) : json_null());
    json_object_set_new(load, "arrivals",
                        open ? json_string(pb_arrivals_name(i->load.arrivals)) : json_null());
    json_t *plan = json_array();
    for (unsigned w = 0; w < c->pin_workers; w++)
        json_array_append_new(plan, cpuset(&c->pin_plan[w]));
    json_t *pin = json_object();
    json_object_set_new(pin, "policy", json_string(i->pin_policy));
    json_object_set_new(pin, "spec", json_string(i->pin_spec));
    json_object_set_new(pin, "plan", plan);
    json_t *set = json_object();
    json_object_set_new(set, "repeat", json_integer(i->repeat));
    json_object_set_new(set, "warmup", json_integer(i->warmup));
    json_object_set_new(set, "timeout_s", i->timeout_ns ? seconds(i->timeout_ns) : json_null());
    json_object_set_new(set, "grace_s", seconds(i->grace_ns));
    json_object_set_new(set, "loops", json_integer(i->loops));

    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(i->id));
    json_object_set_new(o, "runner", json_string(i->runner));
    json_object_set_new(o, "workload", json_string(i->workload));
    if (i->workload_flags >= 0)
        json_object_set_new(o, "workload_kind",
                            json_string(pb_workload_kind_name((unsigned)i->workload_flags)));
    json_object_set_new(o, "params", params);
    json_object_set_new(o, "concurrency", i->gather ? json_null() : json_integer(i->concurrency));
    json_object_set_new(o, "workers", json_integer(i->workers));
    json_object_set_new(o, "tasks", i->load.tasks ? count(i->load.tasks) : json_null());
    json_object_set_new(o, "duration_s",
                        i->load.tasks ? json_null() : seconds(i->load.duration_ns));
    json_object_set_new(o, "load", load);
    json_object_set_new(o, "pin", pin);
    json_object_set_new(o, "queue_depth", json_integer(i->queue_depth));
    json_object_set_new(o, "settings", set);
    json_object_set_new(o, "complete", json_boolean(c->complete));
    json_object_set_new(o, "warmups", json_integer(c->warmups));
    json_t *reps = json_array();
    for (size_t r = 0; r < c->nreps; r++)
        json_array_append_new(reps, rep_json(&c->reps[r]));
    json_object_set_new(o, "repetitions", reps);
    json_t *warns = json_array();
    for (size_t w = 0; w < c->nwarnings; w++)
        json_array_append_new(warns, json_string(c->warnings[w]));
    json_object_set_new(o, "warnings", warns);
    json_t *sum = json_object();
    for (int m = 0; m < PB_METRIC_COUNT; m++)
        if (c->has_summary[m])
            json_object_set_new(sum, pb_metric_def(m)->summary_key, summary(&c->summary[m]));
    json_object_set_new(o, "summary", sum);
    json_t *spectrum = json_array();
    for (int p = 0; c->has_spectrum && p < PB_SPECTRUM_POINTS; p++) {
        json_t *pt = json_object();
        json_object_set_new(pt, "percentile", json_real(pb_spectrum_percentiles[p]));
        json_object_set_new(pt, "value", count(c->spectrum[p]));
        json_array_append_new(spectrum, pt);
    }
    json_object_set_new(o, "latency_spectrum_ns", spectrum);
    if (c->speedup.present) {
        json_t *s = json_object();
        json_object_set_new(s, "baseline", json_string(c->speedup.baseline));
        json_object_set_new(s, "value", num(c->speedup.value));
        json_object_set_new(s, "efficiency", num(c->speedup.efficiency));
        json_object_set_new(s, "ci_low", num(c->speedup.ci_low));
        json_object_set_new(s, "ci_high", num(c->speedup.ci_high));
        json_object_set_new(s, "paired", json_boolean(c->speedup.paired));
        if (c->speedup.paired)
            json_object_set_new(s, "pairs", count(c->speedup.pairs));
        json_object_set_new(s, "suspect", json_boolean(c->speedup.suspect));
        if (c->speedup.suspect)
            json_object_set_new(s, "suspect_reason", json_string(c->speedup.suspect_reason));
        json_object_set_new(o, "speedup", s);
    }
    if (c->trust.judged) {
        json_t *t = json_object();
        json_object_set_new(t, "trustworthy", json_boolean(c->trust.trustworthy));
        json_object_set_new(t, "busy_repetitions", json_integer(c->trust.busy_reps));
        if (!c->trust.trustworthy)
            json_object_set_new(t, "reason", json_string(c->trust.reason));
        json_object_set_new(o, "trust", t);
    }
    return o;
}

int pb_doc_set_cases(json_t *doc, const struct pb_case_result *cases, size_t n)
{
    json_t *arr = json_array(), *warns = json_object_get(doc, "warnings");
    char label[512], *full = NULL;
    if (!arr)
        return -ENOMEM;
    if (!json_is_array(warns)) {
        warns = json_array();
        json_object_set_new(doc, "warnings", warns);
    }
    for (size_t i = 0; i < n; i++) {
        json_t *c = case_json(&cases[i]);
        if (!c || json_array_append_new(arr, c)) {
            json_decref(arr);
            return -ENOMEM;
        }
        pb_case_info_label(&cases[i].info, label, sizeof(label));
        for (size_t w = 0; w < cases[i].nwarnings; w++) {
            if (asprintf(&full, "%s: %s", label, cases[i].warnings[w]) < 0)
                continue;
            size_t k;
            json_t *seen;
            int dup = 0;
            json_array_foreach(warns, k, seen) dup |=
                strcmp(json_string_value(seen) ?: "", full) == 0;
            if (!dup)
                json_array_append_new(warns, json_string(full));
            free(full);
        }
    }
    json_object_set_new(doc, "cases", arr);
    return 0;
}
