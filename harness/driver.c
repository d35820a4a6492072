/* The driver: cases, warm-ups and repetitions around the runners, and what they measured. */
#include "harness/driver.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fixtures/http_target.h"
#include "harness/clock.h"
#include "harness/console.h"
#include "harness/isolate.h"
#include "harness/result.h"
#include "harness/shm.h"
#include "harness/stats.h"

/* Below this, a repetition's wall time is mostly clock, scheduling and start-up noise. */
#define SHORT_REPETITION_S 0.01
#define UNSTABLE_CV        0.10
#define OUTLIER_MADS       3.5

/* The workers' own usage, from the start barrier to their last task. */
static void usage_json(const struct pb_worker_record *recs, unsigned n, json_t *rep)
{
    struct pb_usage u = {0};
    for (unsigned i = 0; i < n; i++) {
        const struct pb_usage *w = &recs[i].usage;
        u.user_s += w->user_s;
        u.sys_s += w->sys_s;
        u.voluntary_switches += w->voluntary_switches;
        u.involuntary_switches += w->involuntary_switches;
        u.minor_faults += w->minor_faults;
        u.major_faults += w->major_faults;
    }
    json_t *cpu = json_object();
    json_object_set_new(cpu, "user_s", json_real(u.user_s));
    json_object_set_new(cpu, "sys_s", json_real(u.sys_s));
    json_object_set_new(rep, "cpu", cpu);
    json_t *cs = json_object();
    json_object_set_new(cs, "voluntary", json_integer((json_int_t)u.voluntary_switches));
    json_object_set_new(cs, "involuntary", json_integer((json_int_t)u.involuntary_switches));
    json_object_set_new(rep, "context_switches", cs);
    json_t *f = json_object();
    json_object_set_new(f, "minor", json_integer((json_int_t)u.minor_faults));
    json_object_set_new(f, "major", json_integer((json_int_t)u.major_faults));
    json_object_set_new(rep, "faults", f);
}

/* The peak RSS counter (VmHWM) is per process and only grows; Linux resets it on request. */
static void peak_rss_reset(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

static uint64_t peak_rss_read(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    uint64_t kb = 0;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "VmHWM: %lu kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb * 1024;
}

static json_t *cpuset_json(const struct pb_cpuset *s)
{
    json_t *a = json_array();
    for (int c = pb_cpuset_next(s, 0); c >= 0; c = pb_cpuset_next(s, (unsigned)c + 1))
        json_array_append_new(a, json_integer(c));
    return a;
}

static json_t *placement_json(const struct pb_worker_record *recs, unsigned n)
{
    json_t *workers = json_array();
    uint64_t migrations = 0;
    for (unsigned i = 0; i < n; i++) {
        const struct pb_worker_record *r = &recs[i];
        json_t *w = json_object();
        json_object_set_new(w, "worker", json_integer(i));
        json_object_set_new(w, "cpuset", cpuset_json(&r->given));
        json_object_set_new(w, "cpus_seen", cpuset_json(&r->seen));
        json_object_set_new(w, "migrations", json_integer((json_int_t)r->migrations));
        json_object_set_new(w, "tasks", json_integer((json_int_t)pb_record_tasks(r)));
        json_object_set_new(w, "replaced", json_integer(r->replacements));
        if (r->last_failure[0])
            json_object_set_new(w, "last_failure", json_string(r->last_failure));
        json_array_append_new(workers, w);
        migrations += r->migrations;
    }
    json_t *p = json_object();
    json_object_set_new(p, "migrations", json_integer((json_int_t)migrations));
    json_object_set_new(p, "workers", workers);
    return p;
}

/* Everything one repetition needs, allocated once per case. */
struct case_run {
    const struct pb_plan *plan;
    const struct pb_case_spec *spec;
    struct pb_pin_plan *pins;
    struct pb_workload_env env;
    unsigned workers;
    struct pb_worker_record *records; /* shared memory: process workers write here */
    size_t records_size;
    struct pb_hist *latency, *service; /* one repetition, merged */
    struct pb_hist *case_latency;      /* every kept repetition, merged */
    struct pb_http_target *target;     /* the embedded HTTP target, when the case uses it */
    uint64_t repetitions_run;          /* warm-ups included: each gets its own arrival seed */
    int target_pu;
};

static json_t *target_json(const struct case_run *cr, double u0, double s0)
{
    double u1, s1;
    pb_http_target_cpu(cr->target, &u1, &s1);
    json_t *o = json_object();
    json_object_set_new(o, "url", json_string(pb_http_target_url(cr->target)));
    json_object_set_new(o, "pu", cr->target_pu >= 0 ? json_integer(cr->target_pu) : json_null());
    json_object_set_new(o, "user_s", json_real(u1 - u0));
    json_object_set_new(o, "sys_s", json_real(s1 - s0));
    return o;
}

/* Runs one repetition; appends its JSON to reps unless it is a warm-up. */
static int run_repetition(struct case_run *cr, json_t *reps, int warmup, struct pb_outcome *out,
                          struct pb_err *err)
{
    const struct pb_case_spec *c = cr->spec;
    for (unsigned i = 0; i < cr->workers; i++)
        pb_record_reset(&cr->records[i], &cr->pins->sets[i]);
    void *shared = NULL;
    int rc = pb_workload_prepare(c->workload, &cr->env, &shared, err);
    if (rc < 0)
        return rc;
    struct pb_run_spec rs = {
        .wl = c->workload,
        .env = &cr->env,
        .wl_shared = shared,
        .concurrency = c->concurrency,
        .workers = cr->workers,
        .tasks = c->tasks,
        .duration_ns = c->duration_ns,
        .rate = c->rate,
        .arrivals = c->arrivals,
        .seed = 0x5eed + cr->repetitions_run++,
        .queue_depth = c->queue_depth,
        .timeout_ns = c->timeout_ns,
        .grace_ns = cr->plan->grace_ns,
        .fail_fast = cr->plan->fail_fast,
        .pins = cr->pins,
        .records = cr->records,
    };
    struct pb_run_stats stats = {0};
    double target_u0 = 0, target_s0 = 0;
    if (cr->target)
        pb_http_target_cpu(cr->target, &target_u0, &target_s0);
    peak_rss_reset();
    rc = c->runner->run(&rs, &stats, err);
    if (rc < 0) {
        pb_workload_release(c->workload, shared);
        return rc;
    }

    uint64_t status[PB_STATUS_COUNT] = {0}, bytes = 0;
    pb_hist_reset(cr->latency);
    pb_hist_reset(cr->service);
    for (unsigned i = 0; i < cr->workers; i++) {
        pb_hist_merge(cr->latency, &cr->records[i].latency);
        pb_hist_merge(cr->service, &cr->records[i].service);
        for (int s = 0; s < PB_STATUS_COUNT; s++)
            status[s] += cr->records[i].status[s];
        bytes += cr->records[i].bytes;
    }
    uint64_t ended = 0;
    for (int s = 0; s < PB_STATUS_COUNT; s++)
        ended += status[s];
    uint64_t failed = ended - status[PB_OK];
    struct pb_err check_err = {""};
    int check = pb_workload_verify(
        c->workload, shared, &cr->env, status[PB_OK],
        status[PB_FAIL_CRASH] + status[PB_FAIL_TIMEOUT] + status[PB_FAIL_OTHER], &check_err);
    json_t *report = pb_workload_report(c->workload, shared, &cr->env);
    pb_workload_release(c->workload, shared);
    if (stats.stopped)
        out->stopped = 1;
    if (warmup) {
        json_decref(report);
        return 0;
    }

    uint64_t end_ns = stats.start_ns; /* the workers' last finish */
    for (unsigned i = 0; i < cr->workers; i++)
        if (cr->records[i].last_finish_ns > end_ns)
            end_ns = cr->records[i].last_finish_ns;
    double wall = (double)(end_ns - stats.start_ns) / 1e9;
    json_t *rep = json_object();
    json_object_set_new(rep, "complete", json_boolean(!stats.stopped));
    json_object_set_new(rep, "wall_s", json_real(wall));
    json_object_set_new(rep, "tasks_submitted", json_integer((json_int_t)stats.submitted));
    json_object_set_new(rep, "tasks_ok", json_integer((json_int_t)status[PB_OK]));
    json_object_set_new(rep, "tasks_failed", json_integer((json_int_t)failed));
    json_object_set_new(rep, "timeouts", json_integer((json_int_t)status[PB_FAIL_TIMEOUT]));
    json_t *failures = json_object();
    for (int s = 1; s < PB_STATUS_COUNT; s++)
        if (status[s])
            json_object_set_new(failures, pb_status_name(s), json_integer((json_int_t)status[s]));
    json_object_set_new(rep, "failures", failures);
    json_object_set_new(rep, "throughput_per_s",
                        json_real(wall > 0 ? (double)status[PB_OK] / wall : 0));
    if (bytes)
        json_object_set_new(rep, "bytes_per_s", json_real(wall > 0 ? (double)bytes / wall : 0));
    json_object_set_new(rep, "latency_ns", pb_result_percentiles(cr->latency));
    json_object_set_new(rep, "service_ns", pb_result_percentiles(cr->service));
    usage_json(cr->records, cr->workers, rep);
    json_object_set_new(rep, "peak_rss_bytes",
                        json_integer((json_int_t)(peak_rss_read() + stats.workers_peak_rss_bytes)));
    json_object_set_new(rep, "placement", placement_json(cr->records, cr->workers));
    json_t *jcheck = json_object();
    json_object_set_new(jcheck, "ok", json_boolean(check == 0));
    if (check < 0)
        json_object_set_new(jcheck, "message", json_string(check_err.msg));
    json_object_set_new(rep, "check", jcheck);
    if (report)
        json_object_set_new(rep, "workload", report);
    if (cr->target)
        json_object_set_new(rep, "target", target_json(cr, target_u0, target_s0));
    json_array_append_new(reps, rep);

    pb_hist_merge(cr->case_latency, cr->latency);
    out->tasks += ended;
    out->failed += failed;
    if (check < 0) {
        out->check_failed = 1;
        pb_console_warn("%s", check_err.msg);
    }
    return 0;
}

static void warn(json_t *jcase, json_t *doc, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void warn(json_t *jcase, json_t *doc, const char *label, const char *fmt, ...)
{
    char msg[512], full[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(full, sizeof(full), "%s: %s", label, msg);
    json_array_append_new(json_object_get(jcase, "warnings"), json_string(msg));
    json_array_append_new(json_object_get(doc, "warnings"), json_string(full));
    pb_console_warn("%s", full);
}

/* Flags what makes a case's samples untrustworthy: spread, outliers, too-short repetitions. */
static void check_stability(json_t *jcase, json_t *doc, const char *label)
{
    json_t *reps = json_object_get(jcase, "repetitions");
    size_t n = json_array_size(reps);
    json_t *tp = json_object_get(json_object_get(jcase, "summary"), "throughput_per_s");
    json_t *wall = json_object_get(json_object_get(jcase, "summary"), "wall_s");
    if (n >= 2 && json_number_value(json_object_get(tp, "cv")) > UNSTABLE_CV)
        warn(jcase, doc, label, "unstable: throughput varies by %.0f%% (CV) across %zu repetitions",
             100 * json_number_value(json_object_get(tp, "cv")), n);
    if (json_integer_value(json_object_get(wall, "n")) &&
        json_number_value(json_object_get(wall, "median")) < SHORT_REPETITION_S)
        warn(jcase, doc, label,
             "repetitions last %.3f ms: too short to time well (aim for 10 ms or more: raise -n)",
             1e3 * json_number_value(json_object_get(wall, "median")));
    if (n >= 3) {
        double *x = calloc(n, sizeof(double));
        size_t *idx = calloc(n, sizeof(size_t));
        size_t i, k;
        json_t *rep;
        json_array_foreach(reps, i, rep) x[i] =
            json_number_value(json_object_get(rep, "throughput_per_s"));
        size_t m = x && idx ? pb_outliers(x, n, OUTLIER_MADS, idx) : 0;
        if (m) {
            char list[256] = "";
            size_t len = 0;
            for (k = 0; k < m && len < sizeof(list); k++)
                len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%zu", k ? ", " : "",
                                        idx[k] + 1);
            warn(jcase, doc, label, "outlier repetition(s) %s: throughput beyond %.1f MADs", list,
                 OUTLIER_MADS);
        }
        free(x);
        free(idx);
    }
}

static void case_run_free(struct case_run *cr)
{
    pb_http_target_destroy(cr->target);
    pb_pin_plan_destroy(cr->pins);
    pb_shm_free(cr->records, cr->records_size);
    free(cr->latency);
    free(cr->service);
    free(cr->case_latency);
}

static int run_case(const struct pb_plan *plan, const struct pb_case_spec *c,
                    const struct pb_topo *topo, json_t *doc, struct pb_outcome *out,
                    struct pb_err *err)
{
    struct case_run cr = {.plan = plan, .spec = c, .workers = pb_case_workers(c), .target_pu = -1};
    char label[256];
    pb_case_label(c, label, sizeof(label));
    int rc = pb_pin_plan_make(topo, &c->pin, cr.workers, &cr.pins, err);
    if (rc < 0)
        goto out;
    cr.records_size = cr.workers * sizeof(struct pb_worker_record);
    cr.records = pb_shm_alloc(cr.records_size);
    cr.latency = malloc(sizeof(struct pb_hist));
    cr.service = malloc(sizeof(struct pb_hist));
    cr.case_latency = malloc(sizeof(struct pb_hist));
    if (!cr.records || !cr.latency || !cr.service || !cr.case_latency) {
        rc = pb_err_set(err, -ENOMEM, "%s: out of memory for %u worker records", label, cr.workers);
        goto out;
    }
    pb_hist_reset(cr.case_latency);
    /* io.http without a URL: the embedded target, on a PU no worker uses when there is one. */
    if ((c->workload->flags & PB_WL_HTTP) && !pb_param_str(&c->params, "url")[0]) {
        cr.target_pu = pb_pin_plan_spare_pu(topo, cr.pins);
        rc = pb_http_target_start(cr.target_pu, &cr.target, err);
        if (rc < 0)
            goto out;
    }
    cr.env = (struct pb_workload_env){
        .params = &c->params,
        .concurrency = c->concurrency,
        .workers = cr.workers,
        .tasks = c->tasks,
        .timeout_ns = c->timeout_ns,
        .url = cr.target ? pb_http_target_url(cr.target) : NULL,
    };

    json_t *jcase = pb_result_case_new(c, cr.pins);
    json_array_append_new(json_object_get(doc, "cases"), jcase);
    json_t *reps = json_object_get(jcase, "repetitions");
    unsigned total = c->warmup + c->repeat, warmups = 0;
    for (unsigned r = 0; r < total && !out->stopped; r++) {
        pb_console_progress(label, r, c->warmup, c->repeat);
        rc = run_repetition(&cr, reps, r < c->warmup, out, err);
        if (rc < 0) {
            char msg[sizeof(err->msg)];
            snprintf(msg, sizeof(msg), "%s", err->msg);
            pb_err_set(err, rc, "%s: %s", label, msg);
            break;
        }
        warmups += r < c->warmup;
    }
    pb_console_progress_done();
    json_object_set_new(jcase, "warmups", json_integer(warmups));
    json_object_set_new(
        jcase, "complete",
        json_boolean(rc == 0 && json_array_size(reps) == c->repeat && !out->stopped));
    pb_result_case_summarize(jcase, cr.case_latency);
    check_stability(jcase, doc, label);
out:
    case_run_free(&cr);
    return rc;
}

/* --isolate: the case's repetitions ran in child processes; account for what they found. */
static int run_case_isolated(const struct pb_plan *plan, const struct pb_case_spec *c, json_t *doc,
                             struct pb_outcome *out, struct pb_err *err)
{
    char label[256];
    pb_case_label(c, label, sizeof(label));
    json_t *jcase = NULL;
    int stopped = 0;
    pb_console_progress(label, c->warmup, c->warmup, c->repeat);
    int rc = pb_isolate_case(plan, c, &jcase, &stopped, err);
    pb_console_progress_done();
    if (stopped)
        out->stopped = 1;
    if (!jcase)
        return rc;
    json_array_append_new(json_object_get(doc, "cases"), jcase);
    size_t i;
    json_t *rep;
    json_array_foreach(json_object_get(jcase, "repetitions"), i, rep)
    {
        uint64_t failed = (uint64_t)json_integer_value(json_object_get(rep, "tasks_failed"));
        out->tasks += (uint64_t)json_integer_value(json_object_get(rep, "tasks_ok")) + failed;
        out->failed += failed;
        if (!json_is_true(json_object_get(json_object_get(rep, "check"), "ok")))
            out->check_failed = 1;
    }
    json_array_clear(json_object_get(jcase, "warnings"));
    check_stability(jcase, doc, label);
    return rc;
}

int pb_driver_run(const struct pb_plan *plan, const struct pb_topo *topo, json_t *doc,
                  struct pb_outcome *out, struct pb_err *err)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < plan->count && !out->stopped; i++) {
        int rc = plan->isolate ? run_case_isolated(plan, &plan->cases[i], doc, out, err)
                               : run_case(plan, &plan->cases[i], topo, doc, out, err);
        if (rc < 0)
            return rc;
        if (pb_stop_requested())
            out->stopped = 1;
    }
    pb_result_speedups(doc);
    return 0;
}
