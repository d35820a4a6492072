/* Result documents in the formats other tools read: Google Benchmark JSON, github-action-benchmark,
 * Bencher Metric Format, and CSV/TSV tables for spreadsheets and gnuplot. */
#include "harness/export.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/format.h"
#include "harness/ranking.h"
#include "harness/stats.h"

static const struct {
    const char *name;
    enum pb_export_format format;
} formats[] = {
    {"gbench", PB_EXPORT_GBENCH},   {"github", PB_EXPORT_GITHUB},
    {"bmf", PB_EXPORT_BMF},         {"csv", PB_EXPORT_CSV},
    {"tsv", PB_EXPORT_TSV},         {"tsv-spectrum", PB_EXPORT_TSV_SPECTRUM},
    {"ranking", PB_EXPORT_RANKING},
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

/* The case's summary of metric m, or NULL when it has none with samples. */
static const struct pb_summary *case_summary(const struct pb_case_result *c, enum pb_metric m)
{
    return c->has_summary[m] && c->summary[m].n ? &c->summary[m] : NULL;
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

static int gbench_case(json_t *rows, const struct pb_case_result *c, size_t family)
{
    const char *name = c->info.id;
    json_int_t threads = (json_int_t)c->info.workers;
    double *real = malloc((c->nreps + 1) * sizeof(*real));
    double *cpu = malloc((c->nreps + 1) * sizeof(*cpu));
    size_t n = 0, k = 0;

    if (!real || !cpu) {
        free(real);
        free(cpu);
        return -ENOMEM;
    }
    for (size_t i = 0; i < c->nreps; i++)
        n += c->reps[i].complete;
    for (size_t i = 0; i < c->nreps; i++) {
        const struct pb_rep_result *rep = &c->reps[i];
        double cpu_s = rep->usage.user_s + rep->usage.sys_s;
        json_t *o;

        /* An interrupted repetition measured part of the work: no row of the whole. */
        if (!rep->complete)
            continue;
        real[k] = (double)rep->service.p50;
        cpu[k] = rep->ok > 0 ? cpu_s * 1e9 / (double)rep->ok : 0.0;
        o = gbench_row(name, family, "iteration", n, threads);
        json_object_set_new(o, "repetition_index", json_integer((json_int_t)k));
        json_object_set_new(o, "iterations", json_integer((json_int_t)rep->ok));
        json_object_set_new(o, "real_time", num(real[k]));
        json_object_set_new(o, "cpu_time", num(cpu[k]));
        json_object_set_new(o, "time_unit", json_string("ns"));
        json_object_set_new(o, "items_per_second", num(rep->throughput_per_s));
        json_object_set_new(o, "latency_p50_ns", num((double)rep->latency.p50));
        json_object_set_new(o, "latency_p99_ns", num((double)rep->latency.p99));
        json_object_set_new(o, "service_p99_ns", num((double)rep->service.p99));
        json_array_append_new(rows, o);
        k++;
    }
    /* Google Benchmark writes aggregates only for repeated runs. */
    if (n > 1)
        gbench_aggregates(rows, name, family, threads, real, cpu, n);
    free(real);
    free(cpu);
    return 0;
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
    for (size_t i = 0; i < d->ncases && rc == 0; i++)
        rc = gbench_case(rows, &d->cases[i], i);
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

static json_t *github_entry(const struct pb_case_result *c, enum pb_metric m,
                            const struct pb_summary *s)
{
    const struct pb_metric_def *def = pb_metric_def(m);
    json_t *o = json_object();
    char buf[2300];

    snprintf(buf, sizeof(buf), "%s %s", c->info.id, def->name);
    json_object_set_new(o, "name", json_string(buf));
    json_object_set_new(o, "unit", json_string(def->unit_name));
    json_object_set_new(o, "value", num(s->median));
    /* The action shows range as given: half the width of the median's interval. */
    snprintf(buf, sizeof(buf), "± %.4g", (s->ci_high - s->ci_low) / 2.0);
    json_object_set_new(o, "range", json_string(buf));
    snprintf(buf, sizeof(buf),
             "median of %zu repetitions; %.0f%% CI [%.6g, %.6g]; cv %.2f%%; runner %s, "
             "workload %s",
             s->n, s->ci_level * 100.0, s->ci_low, s->ci_high, s->cv * 100.0, c->info.runner,
             c->info.workload);
    json_object_set_new(o, "extra", json_string(buf));
    return o;
}

int pb_export_github(const struct pb_doc *d, int bigger, json_t **out)
{
    json_t *arr = json_array();

    if (!arr)
        return -ENOMEM;
    for (size_t i = 0; i < d->ncases; i++) {
        const struct pb_case_result *c = &d->cases[i];
        for (int m = 0; m < PB_METRIC_COUNT; m++) {
            const struct pb_metric_def *def = pb_metric_def(m);
            const struct pb_summary *s = case_summary(c, (enum pb_metric)m);
            if (def->headline && def->bigger_is_better == bigger && s)
                json_array_append_new(arr, github_entry(c, (enum pb_metric)m, s));
        }
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
    [PB_METRIC_SERVICE_P99] = "service-p99",
};

int pb_export_bmf(const struct pb_doc *d, json_t **out)
{
    json_t *o = json_object();

    if (!o)
        return -ENOMEM;
    for (size_t i = 0; i < d->ncases; i++) {
        const struct pb_case_result *c = &d->cases[i];
        json_t *measures = json_object();
        for (int m = 0; m < PB_METRIC_COUNT; m++) {
            const struct pb_summary *s = case_summary(c, (enum pb_metric)m);
            json_t *v;
            if (!bmf_measures[m] || !s)
                continue;
            v = json_object();
            json_object_set_new(v, "value", num(s->median));
            json_object_set_new(v, "lower_value", num(s->ci_low));
            json_object_set_new(v, "upper_value", num(s->ci_high));
            json_object_set_new(measures, bmf_measures[m], v);
        }
        json_object_set_new(o, c->info.id, measures);
    }
    *out = o;
    return 0;
}

/* ---- CSV and TSV ---- */

/* A spreadsheet takes a cell that starts with = + - @ as a formula (=HYPERLINK(...) runs when
 * the sheet is opened), and some strip a leading tab or CR first: such text gets a leading
 * single quote, which spreadsheets show as the text itself. */
static int formula_like(const char *s)
{
    return *s && strchr("=+-@\t\r", *s);
}

static void put_text(FILE *out, char sep, const char *s)
{
    const char *quote = formula_like(s) ? "'" : "";
    if (sep == '\t') {
        fputs(quote, out);
        for (; *s; s++)
            fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, out);
        return;
    }
    if (!strpbrk(s, ",\"\r\n")) {
        fprintf(out, "%s%s", quote, s);
        return;
    }
    fprintf(out, "\"%s", quote);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

/* A separator and a text field. */
static void put_field(FILE *out, char sep, const char *s)
{
    fputc(sep, out);
    put_text(out, sep, s);
}

static void put_num(FILE *out, char sep, double v)
{
    fputc(sep, out);
    if (isfinite(v))
        fprintf(out, "%.10g", v);
}

static void put_concurrency(FILE *out, char sep, const struct pb_case_info *c)
{
    fputc(sep, out);
    if (!c->gather)
        fprintf(out, "%u", c->concurrency);
}

static void put_header(FILE *out, char sep, const char *const *cols, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        if (k)
            fputc(sep, out);
        fputs(cols[k], out);
    }
    fputc('\n', out);
}

/* Text columns say what a value reads as, so every script shows numbers as parbench does. */
static const char *const table_columns[] = {
    "case",         "runner",
    "workload",     "params",
    "concurrency",  "load",
    "pin",          "metric",
    "unit",         "n",
    "median",       "mean",
    "stddev",       "cv",
    "min",          "max",
    "ci_low",       "ci_high",
    "ci_level",     "speedup",
    "efficiency",   "median_text",
    "ci_text",      "cv_text",
    "speedup_text", "efficiency_text",
    "trust",        "speedup_suspect",
};

/* "" when the machine was not watched, "ok", or "busy": most repetitions ran on a busy one. */
static const char *trust_text(const struct pb_case_result *c)
{
    return !c->trust.judged ? "" : c->trust.trustworthy ? "ok" : "busy";
}

/* Formatted text, or "" for a value that is not there. */
static void text_of(char *buf, size_t len, double v, void (*fmt)(char *, size_t, double))
{
    buf[0] = '\0';
    if (isfinite(v))
        fmt(buf, len, v);
}

static void cv_text(char *buf, size_t len, double v)
{
    pb_format_percent(buf, len, v, 1);
}

static void efficiency_text(char *buf, size_t len, double v)
{
    pb_format_percent(buf, len, v, 0);
}

static int table_case(const struct pb_case_result *c, char sep, FILE *out)
{
    const struct pb_case_info *info = &c->info;
    double speedup = c->speedup.present ? c->speedup.value : NAN;
    double eff = c->speedup.present ? c->speedup.efficiency : NAN;
    char load[128], lo[48], hi[48], text[128], sp[32], ef[32];
    char *params = pb_case_info_params_text(info);

    if (!params)
        return -ENOMEM;
    pb_case_info_load_text(info, load, sizeof(load));
    text_of(sp, sizeof(sp), speedup, pb_format_ratio);
    text_of(ef, sizeof(ef), eff, efficiency_text);
    for (int m = 0; m < PB_METRIC_COUNT; m++) {
        const struct pb_metric_def *def = pb_metric_def(m);
        const struct pb_summary *s = case_summary(c, (enum pb_metric)m);
        if (!s)
            continue;
        put_text(out, sep, info->id);
        put_field(out, sep, info->runner);
        put_field(out, sep, info->workload);
        put_field(out, sep, params);
        put_concurrency(out, sep, info);
        put_field(out, sep, load);
        put_field(out, sep, info->pin_spec);
        put_field(out, sep, def->name);
        put_field(out, sep, def->unit_name);
        fprintf(out, "%c%zu", sep, s->n);
        put_num(out, sep, s->median);
        put_num(out, sep, s->mean);
        put_num(out, sep, s->stddev);
        put_num(out, sep, s->cv);
        put_num(out, sep, s->min);
        put_num(out, sep, s->max);
        put_num(out, sep, s->ci_low);
        put_num(out, sep, s->ci_high);
        put_num(out, sep, s->ci_level);
        put_num(out, sep, speedup);
        put_num(out, sep, eff);
        pb_format_metric(text, sizeof(text), (enum pb_metric)m, s->median);
        put_field(out, sep, text);
        pb_format_metric(lo, sizeof(lo), (enum pb_metric)m, s->ci_low);
        pb_format_metric(hi, sizeof(hi), (enum pb_metric)m, s->ci_high);
        snprintf(text, sizeof(text), "[%s, %s]", lo, hi);
        put_field(out, sep, text);
        text_of(text, sizeof(text), s->cv, cv_text);
        put_field(out, sep, text);
        put_field(out, sep, sp);
        put_field(out, sep, ef);
        put_field(out, sep, trust_text(c));
        put_field(out, sep, c->speedup.present ? (c->speedup.suspect ? "1" : "0") : "");
        fputc('\n', out);
    }
    free(params);
    return 0;
}

int pb_export_table(const struct pb_doc *d, char sep, FILE *out)
{
    int rc = 0;

    put_header(out, sep, table_columns, sizeof(table_columns) / sizeof(table_columns[0]));
    for (size_t i = 0; i < d->ncases && rc == 0; i++)
        rc = table_case(&d->cases[i], sep, out);
    if (rc == 0 && ferror(out))
        rc = -EIO;
    return rc;
}

int pb_export_spectrum(const struct pb_doc *d, FILE *out)
{
    fputs("case\trunner\tworkload\tconcurrency\tpercentile\tvalue_ns\n", out);
    for (size_t i = 0; i < d->ncases; i++) {
        const struct pb_case_result *c = &d->cases[i];
        for (int p = 0; c->has_spectrum && p < PB_SPECTRUM_POINTS; p++) {
            put_text(out, '\t', c->info.id);
            put_field(out, '\t', c->info.runner);
            put_field(out, '\t', c->info.workload);
            put_concurrency(out, '\t', &c->info);
            fprintf(out, "\t%.10g\t%llu\n", pb_spectrum_percentiles[p],
                    (unsigned long long)c->spectrum[p]);
        }
    }
    return ferror(out) ? -EIO : 0;
}

/* ---- the ranking ---- */

static const char *const ranking_columns[] = {
    "workload",
    "params",
    "load",
    "pin",
    "runners",
    "order",
    "winner",
    "winner_case",
    "winner_concurrency",
    "winner_throughput",
    "winner_throughput_text",
    "winner_ci_text",
    "winner_latency_p99",
    "winner_latency_p99_text",
    "runner_up",
    "runner_up_case",
    "runner_up_concurrency",
    "runner_up_throughput",
    "runner_up_throughput_text",
    "ratio",
    "ratio_text",
    "tie",
    "verdict",
    "busy_during",
    "vs_serial",
    "vs_serial_text",
    "vs_serial_suspect",
    "lowest_p99_runner",
    "lowest_p99_case",
    "lowest_p99_concurrency",
    "lowest_p99",
    "lowest_p99_text",
};

/* runner, case, concurrency, throughput and its text of a ranked case (empty fields for none). */
static void put_ranked(FILE *out, const struct pb_case_result *c)
{
    char text[64] = "";
    double t = c ? pb_case_median(c, PB_METRIC_THROUGHPUT) : NAN;
    put_field(out, '\t', c ? c->info.runner : "");
    put_field(out, '\t', c ? c->info.id : "");
    if (c)
        put_concurrency(out, '\t', &c->info);
    else
        fputc('\t', out);
    put_num(out, '\t', t);
    text_of(text, sizeof(text), t, pb_format_rate);
    put_field(out, '\t', text);
}

static void put_metric(FILE *out, const struct pb_case_result *c, enum pb_metric m)
{
    char text[64] = "";
    double v = c ? pb_case_median(c, m) : NAN;
    put_num(out, '\t', v);
    if (isfinite(v))
        pb_format_metric(text, sizeof(text), m, v);
    put_field(out, '\t', text);
}

static void ranking_row(FILE *out, const struct pb_rank_group *g)
{
    const struct pb_case_info *info = &g->first->info;
    const struct pb_case_result *win = g->ranked[0].best;
    const struct pb_case_result *second = g->nranked > 1 ? g->ranked[1].best : NULL;
    char load[128], text[128], lo[48], hi[48];
    char *params = pb_case_info_params_text(info), *order = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&order, &len);

    for (size_t k = 0; f && k < g->nranked; k++)
        fprintf(f, "%s%s", k ? "," : "", g->ranked[k].runner);
    if (f && fclose(f) != 0) {
        free(order);
        order = NULL;
    }
    pb_case_info_load_text(info, load, sizeof(load));
    put_text(out, '\t', info->workload);
    put_field(out, '\t', params ? params : "");
    put_field(out, '\t', load);
    put_field(out, '\t', info->pin_spec);
    fprintf(out, "\t%zu", g->nranked);
    put_field(out, '\t', order ? order : "");
    put_ranked(out, win);
    pb_format_rate(lo, sizeof(lo), win->summary[PB_METRIC_THROUGHPUT].ci_low);
    pb_format_rate(hi, sizeof(hi), win->summary[PB_METRIC_THROUGHPUT].ci_high);
    snprintf(text, sizeof(text), "[%s, %s]", lo, hi);
    put_field(out, '\t', text);
    put_metric(out, win, PB_METRIC_LATENCY_P99);
    put_ranked(out, second);
    put_num(out, '\t', g->ratio);
    text_of(text, sizeof(text), g->ratio, pb_format_ratio);
    put_field(out, '\t', text);
    put_field(out, '\t', second ? (g->tie ? "1" : "0") : "");
    put_field(out, '\t', pb_rank_verdict_key(g->verdict));
    put_field(out, '\t', g->busy_during);
    put_num(out, '\t', g->vs_serial);
    text_of(text, sizeof(text), g->vs_serial, pb_format_ratio);
    put_field(out, '\t', text);
    put_field(out, '\t', isfinite(g->vs_serial) ? (g->vs_serial_suspect ? "1" : "0") : "");
    put_field(out, '\t', g->lowest_p99 ? g->lowest_p99->info.runner : "");
    put_field(out, '\t', g->lowest_p99 ? g->lowest_p99->info.id : "");
    if (g->lowest_p99)
        put_concurrency(out, '\t', &g->lowest_p99->info);
    else
        fputc('\t', out);
    put_metric(out, g->lowest_p99, PB_METRIC_LATENCY_P99);
    fputc('\n', out);
    free(params);
    free(order);
}

int pb_export_ranking(const struct pb_doc *d, FILE *out)
{
    struct pb_ranking r;
    int rc = pb_rank_cases(d->cases, d->ncases, &r);

    if (rc < 0)
        return rc;
    put_header(out, '\t', ranking_columns, sizeof(ranking_columns) / sizeof(ranking_columns[0]));
    for (size_t i = 0; i < r.n; i++)
        if (r.groups[i].nranked)
            ranking_row(out, &r.groups[i]);
    pb_ranking_free(&r);
    return ferror(out) ? -EIO : 0;
}
