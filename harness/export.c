/* Result documents in the formats other tools read: Google Benchmark JSON, github-action-benchmark,
 * Bencher Metric Format, and CSV/TSV tables for spreadsheets and gnuplot. */
#include "harness/export.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/stats.h"

static const struct {
    const char *name;
    enum pb_export_format format;
} formats[] = {
    {"gbench", PB_EXPORT_GBENCH}, {"github", PB_EXPORT_GITHUB},
    {"bmf", PB_EXPORT_BMF},       {"csv", PB_EXPORT_CSV},
    {"tsv", PB_EXPORT_TSV},       {"tsv-spectrum", PB_EXPORT_TSV_SPECTRUM},
};

int pb_export_format_parse(const char *name, enum pb_export_format *out)
{
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        if (strcmp(formats[i].name, name) == 0) {
            *out = formats[i].format;
            return 0;
        }
    }
    return -ENOENT;
}

/* Strict JSON has no NaN or infinity (and jansson refuses them): they become null. */
static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* The case's summary of metric m: the document's own when it has one, else worked out from
 * the complete repetitions. 0 with s->n == 0 when there is nothing. */
static int case_summary(const json_t *c, enum pb_metric m, struct pb_summary *s)
{
    const json_t *o = json_object_get(json_object_get(c, "summary"), pb_metric_def(m)->summary_key);
    double *x = NULL;
    size_t n = 0;
    int rc;

    memset(s, 0, sizeof(*s));
    if (json_is_object(o) && json_is_number(json_object_get(o, "median"))) {
        static const char *const keys[] = {"median", "mean",   "stddev",  "cv",      "min",
                                           "max",    "ci_low", "ci_high", "ci_level"};
        double *dst[] = {&s->median, &s->mean,   &s->stddev,  &s->cv,      &s->min,
                         &s->max,    &s->ci_low, &s->ci_high, &s->ci_level};
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
            const json_t *v = json_object_get(o, keys[k]);
            *dst[k] = json_is_number(v) ? json_number_value(v) : NAN;
        }
        s->n = (size_t)json_integer_value(json_object_get(o, "n"));
        return 0;
    }
    rc = pb_case_samples(c, m, &x, &n);
    if (rc == 0 && n)
        pb_summarize(x, n, s);
    free(x);
    return rc;
}

static double rep_number(const json_t *rep, const char *obj, const char *key)
{
    const json_t *holder = obj ? json_object_get(rep, obj) : rep;
    const json_t *v = json_object_get(holder, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* ---- Google Benchmark ---- */

static json_t *gbench_caches(const struct pb_doc *d)
{
    const json_t *host = json_object_get(d->root, "host");
    const json_t *caches = json_object_get(json_object_get(host, "topology"), "caches");
    json_int_t pus = json_integer_value(json_object_get(host, "pu_count"));
    json_t *out = json_array();
    size_t i;
    json_t *c;

    json_array_foreach(caches, i, c)
    {
        const char *type = json_string_value(json_object_get(c, "type"));
        json_int_t count = json_integer_value(json_object_get(c, "count"));
        const json_t *size = json_object_get(c, "size_bytes");
        char kind[32];
        json_t *o = json_object();

        /* Google Benchmark writes "Data", "Instruction", "Unified". */
        snprintf(kind, sizeof(kind), "%s", type ? type : "Unified");
        kind[0] = (char)toupper((unsigned char)kind[0]);
        json_object_set_new(o, "type", json_string(kind));
        json_object_set_new(o, "level",
                            json_integer(json_integer_value(json_object_get(c, "level"))));
        json_object_set_new(o, "size",
                            json_integer(size ? json_integer_value(size)
                                              : json_integer_value(json_object_get(c, "size"))));
        json_object_set_new(o, "num_sharing",
                            json_integer(count > 0 && pus > 0 ? pus / count
                                                              : json_integer_value(json_object_get(
                                                                    c, "num_sharing"))));
        json_array_append_new(out, o);
    }
    return out;
}

static json_t *gbench_context(const struct pb_doc *d)
{
    const json_t *host = json_object_get(d->root, "host");
    json_t *o = json_object();
    char build[64];

    /* Google Benchmark says "release" or "debug". */
    snprintf(build, sizeof(build), "%s", pb_doc_str(d, "tool", "build_type"));
    for (char *p = build; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    json_object_set_new(o, "date", json_string(pb_doc_str(d, NULL, "started_at")));
    json_object_set_new(o, "host_name", json_string(pb_doc_str(d, "host", "hostname")));
    json_object_set_new(o, "executable", json_string("parbench"));
    json_object_set_new(o, "num_cpus",
                        json_integer(json_integer_value(json_object_get(host, "pu_count"))));
    /* The document does not record the clock rate; Google Benchmark's readers only show it. */
    json_object_set_new(o, "mhz_per_cpu", json_integer(0));
    json_object_set_new(o, "cpu_scaling_enabled", json_false());
    json_object_set_new(o, "caches", gbench_caches(d));
    json_object_set_new(o, "load_avg", json_array());
    json_object_set_new(o, "library_build_type", json_string(*build ? build : "release"));
    json_object_set_new(o, "json_schema_version", json_integer(1));
    json_object_set_new(o, "parbench_version", json_string(pb_doc_str(d, "tool", "version")));
    json_object_set_new(o, "parbench_git_commit", json_string(pb_doc_str(d, "tool", "git_commit")));
    json_object_set_new(o, "cpu_model", json_string(pb_doc_str(d, "host", "cpu_model")));
    return o;
}

/* One row of the benchmarks array with the fields every row has. */
static json_t *gbench_row(const char *name, size_t family, const char *run_type, size_t reps,
                          json_int_t threads)
{
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(name));
    json_object_set_new(o, "family_index", json_integer((json_int_t)family));
    json_object_set_new(o, "per_family_instance_index", json_integer(0));
    json_object_set_new(o, "run_name", json_string(name));
    json_object_set_new(o, "run_type", json_string(run_type));
    json_object_set_new(o, "repetitions", json_integer((json_int_t)reps));
    json_object_set_new(o, "threads", json_integer(threads));
    return o;
}

static void gbench_aggregates(json_t *rows, const char *name, size_t family, json_int_t threads,
                              const double *real, const double *cpu, size_t n)
{
    static const char *const aggs[] = {"mean", "median", "stddev", "cv"};
    struct pb_summary sr, sc;
    char agg_name[2048];

    pb_summarize(real, n, &sr);
    pb_summarize(cpu, n, &sc);
    for (size_t k = 0; k < sizeof(aggs) / sizeof(aggs[0]); k++) {
        double vr[] = {sr.mean, sr.median, sr.stddev, sr.cv};
        double vc[] = {sc.mean, sc.median, sc.stddev, sc.cv};
        json_t *o;

        snprintf(agg_name, sizeof(agg_name), "%s_%s", name, aggs[k]);
        o = gbench_row(name, family, "aggregate", n, threads);
        json_object_set_new(o, "name", json_string(agg_name));
        json_object_set_new(o, "aggregate_name", json_string(aggs[k]));
        json_object_set_new(o, "aggregate_unit", json_string(k == 3 ? "percentage" : "time"));
        json_object_set_new(o, "iterations", json_integer((json_int_t)n));
        json_object_set_new(o, "real_time", num(vr[k]));
        json_object_set_new(o, "cpu_time", num(vc[k]));
        json_object_set_new(o, "time_unit", json_string("ns"));
        json_array_append_new(rows, o);
    }
}

static int gbench_case(json_t *rows, const json_t *c, size_t family)
{
    const json_t *reps = json_object_get(c, "repetitions");
    size_t nrep = json_array_size(reps), n = 0, i, k = 0;
    json_int_t threads = json_integer_value(json_object_get(c, "workers"));
    double *real = NULL, *cpu = NULL;
    char *name = NULL;
    json_t *rep;
    int rc;

    rc = pb_case_name(c, &name);
    if (rc < 0)
        return rc;
    real = malloc((nrep ? nrep : 1) * sizeof(*real));
    cpu = malloc((nrep ? nrep : 1) * sizeof(*cpu));
    rc = -ENOMEM;
    if (!real || !cpu)
        goto out;
    json_array_foreach(reps, i, rep)
    {
        if (!json_is_false(json_object_get(rep, "complete")) &&
            isfinite(rep_number(rep, "service_ns", "p50")))
            n++;
    }
    json_array_foreach(reps, i, rep)
    {
        double svc = rep_number(rep, "service_ns", "p50");
        double tasks = rep_number(rep, NULL, "tasks_ok");
        double cpu_s = rep_number(rep, "cpu", "user_s") + rep_number(rep, "cpu", "sys_s");
        json_t *o;

        if (json_is_false(json_object_get(rep, "complete")) || !isfinite(svc))
            continue;
        real[k] = svc;
        cpu[k] = tasks > 0 && isfinite(cpu_s) ? cpu_s * 1e9 / tasks : 0.0;
        o = gbench_row(name, family, "iteration", n, threads);
        json_object_set_new(o, "repetition_index", json_integer((json_int_t)k));
        json_object_set_new(o, "iterations",
                            json_integer(json_integer_value(json_object_get(rep, "tasks_ok"))));
        json_object_set_new(o, "real_time", num(real[k]));
        json_object_set_new(o, "cpu_time", num(cpu[k]));
        json_object_set_new(o, "time_unit", json_string("ns"));
        json_object_set_new(o, "items_per_second", num(rep_number(rep, NULL, "throughput_per_s")));
        json_object_set_new(o, "latency_p50_ns", num(rep_number(rep, "latency_ns", "p50")));
        json_object_set_new(o, "latency_p99_ns", num(rep_number(rep, "latency_ns", "p99")));
        json_object_set_new(o, "service_p99_ns", num(rep_number(rep, "service_ns", "p99")));
        json_array_append_new(rows, o);
        k++;
    }
    /* Google Benchmark writes aggregates only for repeated runs. */
    if (n > 1)
        gbench_aggregates(rows, name, family, threads, real, cpu, n);
    rc = 0;
out:
    free(name);
    free(real);
    free(cpu);
    return rc;
}

int pb_export_gbench(const struct pb_doc *d, json_t **out)
{
    json_t *o = json_object(), *rows = json_array();
    int rc = 0;

    if (!o || !rows) {
        json_decref(o);
        json_decref(rows);
        return -ENOMEM;
    }
    for (size_t i = 0; i < pb_doc_case_count(d) && rc == 0; i++)
        rc = gbench_case(rows, pb_doc_case(d, i), i);
    json_object_set_new(o, "context", gbench_context(d));
    json_object_set_new(o, "benchmarks", rows);
    if (rc < 0) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return 0;
}

/* ---- github-action-benchmark ---- */

static json_t *github_entry(const json_t *c, const char *name, enum pb_metric m,
                            const struct pb_summary *s)
{
    const struct pb_metric_def *def = pb_metric_def(m);
    json_t *o = json_object();
    char buf[2300];

    snprintf(buf, sizeof(buf), "%s %s", name, def->name);
    json_object_set_new(o, "name", json_string(buf));
    json_object_set_new(o, "unit", json_string(def->unit));
    json_object_set_new(o, "value", num(s->median));
    /* The action shows range as given: half the width of the median's interval. */
    snprintf(buf, sizeof(buf), "± %.4g", (s->ci_high - s->ci_low) / 2.0);
    json_object_set_new(o, "range", json_string(buf));
    snprintf(buf, sizeof(buf),
             "median of %zu repetitions; %.0f%% CI [%.6g, %.6g]; cv %.2f%%; runner %s, "
             "workload %s",
             s->n, s->ci_level * 100.0, s->ci_low, s->ci_high, s->cv * 100.0,
             pb_case_str(c, "runner"), pb_case_str(c, "workload"));
    json_object_set_new(o, "extra", json_string(buf));
    return o;
}

int pb_export_github(const struct pb_doc *d, int bigger, json_t **out)
{
    json_t *arr = json_array();
    int rc = 0;

    if (!arr)
        return -ENOMEM;
    for (size_t i = 0; i < pb_doc_case_count(d) && rc == 0; i++) {
        const json_t *c = pb_doc_case(d, i);
        char *name = NULL;
        rc = pb_case_name(c, &name);
        for (int m = 0; m < PB_METRIC_COUNT && rc == 0; m++) {
            struct pb_summary s;
            const struct pb_metric_def *def = pb_metric_def(m);
            if (!def->headline || def->bigger_is_better != bigger)
                continue;
            rc = case_summary(c, (enum pb_metric)m, &s);
            if (rc == 0 && s.n)
                json_array_append_new(arr, github_entry(c, name, (enum pb_metric)m, &s));
        }
        free(name);
    }
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return 0;
}

/* ---- Bencher Metric Format ---- */

/* Bencher's built-in measures are "throughput" (operations per second) and "latency" (ns); the
 * other percentiles get measures of their own, which Bencher creates on first sight. */
static const char *const bmf_measures[PB_METRIC_COUNT] = {
    [PB_METRIC_THROUGHPUT] = "throughput",   [PB_METRIC_LATENCY_P50] = "latency",
    [PB_METRIC_LATENCY_P99] = "latency-p99", [PB_METRIC_SERVICE_P50] = "service-p50",
    [PB_METRIC_SERVICE_P99] = "service-p99", [PB_METRIC_WALL] = NULL,
};

int pb_export_bmf(const struct pb_doc *d, json_t **out)
{
    json_t *o = json_object();
    int rc = 0;

    if (!o)
        return -ENOMEM;
    for (size_t i = 0; i < pb_doc_case_count(d) && rc == 0; i++) {
        const json_t *c = pb_doc_case(d, i);
        json_t *measures = json_object();
        char *name = NULL;
        rc = pb_case_name(c, &name);
        for (int m = 0; m < PB_METRIC_COUNT && rc == 0; m++) {
            struct pb_summary s;
            json_t *v;
            if (!bmf_measures[m])
                continue;
            rc = case_summary(c, (enum pb_metric)m, &s);
            if (rc < 0 || s.n == 0)
                continue;
            v = json_object();
            json_object_set_new(v, "value", num(s.median));
            json_object_set_new(v, "lower_value", num(s.ci_low));
            json_object_set_new(v, "upper_value", num(s.ci_high));
            json_object_set_new(measures, bmf_measures[m], v);
        }
        if (rc == 0 && name)
            json_object_set_new(o, name, measures);
        else
            json_decref(measures);
        free(name);
    }
    if (rc < 0) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return 0;
}

/* ---- CSV and TSV ---- */

static void put_text(FILE *out, char sep, const char *s)
{
    if (sep == '\t') {
        for (; *s; s++)
            fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, out);
        return;
    }
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void put_num(FILE *out, char sep, double v)
{
    fputc(sep, out);
    if (isfinite(v))
        fprintf(out, "%.10g", v);
}

static const char *const table_columns[] = {
    "case",   "runner", "workload", "params",  "concurrency", "load",    "pin",
    "metric", "unit",   "n",        "median",  "mean",        "stddev",  "cv",
    "min",    "max",    "ci_low",   "ci_high", "ci_level",    "speedup", "efficiency",
};

static const char *pin_text(const json_t *c)
{
    const json_t *pin = json_object_get(c, "pin");
    const char *spec = json_string_value(json_object_get(pin, "spec"));
    const char *policy = json_string_value(json_object_get(pin, "policy"));
    return spec && *spec ? spec : policy ? policy : "";
}

static int table_case(const json_t *c, char sep, FILE *out)
{
    char *name = NULL, *params = NULL, *load = NULL;
    const json_t *sp = json_object_get(c, "speedup");
    double speedup = json_is_number(json_object_get(sp, "value"))
                         ? json_number_value(json_object_get(sp, "value"))
                         : NAN;
    double eff = json_is_number(json_object_get(sp, "efficiency"))
                     ? json_number_value(json_object_get(sp, "efficiency"))
                     : NAN;
    long long conc = pb_case_concurrency(c);
    int rc;

    if ((rc = pb_case_name(c, &name)) < 0 || (rc = pb_case_params(c, &params)) < 0 ||
        (rc = pb_case_load(c, &load)) < 0)
        goto out;
    for (int m = 0; m < PB_METRIC_COUNT; m++) {
        const struct pb_metric_def *def = pb_metric_def(m);
        struct pb_summary s;
        rc = case_summary(c, (enum pb_metric)m, &s);
        if (rc < 0)
            goto out;
        if (s.n == 0)
            continue;
        put_text(out, sep, name);
        fputc(sep, out);
        put_text(out, sep, pb_case_str(c, "runner"));
        fputc(sep, out);
        put_text(out, sep, pb_case_str(c, "workload"));
        fputc(sep, out);
        put_text(out, sep, params);
        fputc(sep, out);
        if (conc >= 0)
            fprintf(out, "%lld", conc);
        fputc(sep, out);
        put_text(out, sep, load);
        fputc(sep, out);
        put_text(out, sep, pin_text(c));
        fputc(sep, out);
        put_text(out, sep, def->name);
        fputc(sep, out);
        put_text(out, sep, def->unit);
        fprintf(out, "%c%zu", sep, s.n);
        put_num(out, sep, s.median);
        put_num(out, sep, s.mean);
        put_num(out, sep, s.stddev);
        put_num(out, sep, s.cv);
        put_num(out, sep, s.min);
        put_num(out, sep, s.max);
        put_num(out, sep, s.ci_low);
        put_num(out, sep, s.ci_high);
        put_num(out, sep, s.ci_level);
        put_num(out, sep, speedup);
        put_num(out, sep, eff);
        fputc('\n', out);
    }
out:
    free(name);
    free(params);
    free(load);
    return rc;
}

int pb_export_table(const struct pb_doc *d, char sep, FILE *out)
{
    int rc = 0;

    for (size_t k = 0; k < sizeof(table_columns) / sizeof(table_columns[0]); k++) {
        if (k)
            fputc(sep, out);
        fputs(table_columns[k], out);
    }
    fputc('\n', out);
    for (size_t i = 0; i < pb_doc_case_count(d) && rc == 0; i++)
        rc = table_case(pb_doc_case(d, i), sep, out);
    if (rc == 0 && ferror(out))
        rc = -EIO;
    return rc;
}

int pb_export_spectrum(const struct pb_doc *d, FILE *out)
{
    int rc = 0;

    fputs("case\trunner\tworkload\tconcurrency\tpercentile\tvalue_ns\n", out);
    for (size_t i = 0; i < pb_doc_case_count(d) && rc == 0; i++) {
        const json_t *c = pb_doc_case(d, i);
        long long conc = pb_case_concurrency(c);
        char *name = NULL;
        size_t j;
        json_t *pt;

        rc = pb_case_name(c, &name);
        if (rc < 0)
            break;
        json_array_foreach(json_object_get(c, "latency_spectrum_ns"), j, pt)
        {
            const json_t *p = json_object_get(pt, "percentile"), *v = json_object_get(pt, "value");
            if (!json_is_number(p) || !json_is_number(v))
                continue;
            put_text(out, '\t', name);
            fputc('\t', out);
            put_text(out, '\t', pb_case_str(c, "runner"));
            fputc('\t', out);
            put_text(out, '\t', pb_case_str(c, "workload"));
            fputc('\t', out);
            if (conc >= 0)
                fprintf(out, "%lld", conc);
            fprintf(out, "\t%.10g\t%.10g\n", json_number_value(p), json_number_value(v));
        }
        free(name);
    }
    if (rc == 0 && ferror(out))
        rc = -EIO;
    return rc;
}
