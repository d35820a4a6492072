/* `parbench trend [--metric LIST] [--alpha A] [--min-size N] [--permutations N] [--base DOC]
 * [--sort given|time] [--format text|md] [--json] DOC...`: the change points of every case and
 * metric over a history of result documents (harness/trend.h), and where each stands against
 * the base. */
#include "harness/cmd_trend.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "harness/cli.h"
#include "harness/doc_read.h"
#include "harness/error.h"
#include "harness/format.h"
#include "harness/metric.h"
#include "harness/stats.h"
#include "harness/trend.h"

static const char usage_line[] =
    "usage: parbench trend [--metric LIST] [--alpha A] [--min-size N] [--permutations N] "
    "[--base DOC] [--sort given|time] [--format text|md] [--json] DOC...";

static void usage(FILE *out)
{
    fprintf(out,
            "%s\n"
            "Finds where each metric shifted over a history of result documents, oldest first.\n"
            "For each case and metric the series is the median of each document's repetitions\n"
            "(a document without the case, or whose case ran on a busy machine, is left out);\n"
            "E-Divisive with means on log values splits it where the energy distance between\n"
            "the sides is largest, while a permutation test finds the split significant.\n"
            "  --metric LIST        metrics, comma-separated (default throughput, latency_p50,\n"
            "                       latency_p99, service_p50, service_p99)\n"
            "  --alpha A            a split counts when its p <= A (default 0.05)\n"
            "  --min-size N         the fewest documents a segment may have (default 2)\n"
            "  --permutations N     of the permutation test (default 199; fixed seed)\n"
            "  --base DOC           the reference for 'since base' (default the first DOC);\n"
            "                       one of the DOCs or a document of its own\n"
            "  --sort given|time    the order as given (default) or by started_at\n"
            "  --format text|md     aligned table (default) or Markdown\n"
            "  --json               one JSON object with the same content\n"
            "Exit: 0 done (a shift is information, not a failure), 2 bad usage or input.\n",
            usage_line);
}

/* The metrics trend watches unless told: one line, so it can follow another set later. */
static int trend_metric_default(const struct pb_metric_def *m)
{
    return m->headline;
}

struct series {
    const char *key; /* the case's id, owned by a document */
    enum pb_metric metric;
    double *x;   /* per-document medians, in history order */
    size_t *pos; /* the history position of each */
    size_t n, left_out;
    struct pb_trend_cp *cps;
    int ncps;
    double base;   /* the base document's median, NAN when it lacks one */
    double latest; /* median of the last segment */
};

struct trend {
    struct pb_doc *docs; /* as given */
    size_t ndocs;
    size_t *order; /* order[k]: the document at history position k */
    int by_time;
    struct pb_doc own_base; /* --base not among the DOCs */
    const struct pb_doc *base;
    long base_pos; /* its history position, -1 when it is a document of its own */
    struct pb_trend_opts opts;
    int metrics[PB_METRIC_COUNT];
    struct series *s;
    size_t ns;
};

static const struct pb_doc *at(const struct trend *t, size_t pos)
{
    return &t->docs[t->order[pos]];
}

static int parse_metrics(const char *list, int *set)
{
    char buf[256], *save = NULL;
    enum pb_metric m;
    int any = 0;

    if (strlen(list) >= sizeof(buf))
        return pb_cli_bad_usage("trend", usage_line, "metric list too long");
    strcpy(buf, list);
    memset(set, 0, PB_METRIC_COUNT * sizeof(*set));
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (strcmp(tok, "latency") == 0) {
            set[PB_METRIC_LATENCY_P50] = set[PB_METRIC_LATENCY_P99] = 1;
        } else if (strcmp(tok, "service") == 0) {
            set[PB_METRIC_SERVICE_P50] = set[PB_METRIC_SERVICE_P99] = 1;
        } else if (pb_metric_find(tok, &m) == 0) {
            set[m] = 1;
        } else {
            return pb_cli_bad_usage("trend", usage_line, "unknown metric '%s'", tok);
        }
        any = 1;
    }
    if (!any)
        return pb_cli_bad_usage("trend", usage_line, "empty metric list");
    return 0;
}

static int parse_number(const char *text, double lo, double hi, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(text, &end);
    if (end == text || *end != '\0' || errno || !(v >= lo && v <= hi))
        return -EINVAL;
    *out = v;
    return 0;
}

/* The median of metric m in the case of d whose key is key; NAN when d lacks it, when its
 * machine was busy, or when there is no positive value to take the log of. */
static double doc_median(const struct pb_doc *d, const char *key, enum pb_metric m, int *rc)
{
    long i = pb_doc_find(d, key);
    double *x = NULL, v = NAN;
    size_t n = 0;

    if (i < 0 || pb_case_untrusted(&d->cases[i]))
        return NAN;
    if (pb_case_samples(&d->cases[i], m, &x, &n) < 0) {
        *rc = -ENOMEM;
        return NAN;
    }
    if (n)
        v = pb_median(x, n);
    free(x);
    return v > 0.0 && isfinite(v) ? v : NAN;
}

struct key_at {
    const char *key;
    size_t pos, idx; /* first seen: history position, index in that document */
};

static int cmp_key(const void *a, const void *b)
{
    const struct key_at *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    return x->pos != y->pos ? (x->pos > y->pos) - (x->pos < y->pos)
                            : (x->idx > y->idx) - (x->idx < y->idx);
}

static int cmp_first_seen(const void *a, const void *b)
{
    const struct key_at *x = a, *y = b;
    return x->pos != y->pos ? (x->pos > y->pos) - (x->pos < y->pos)
                            : (x->idx > y->idx) - (x->idx < y->idx);
}

/* Every case key of the history once, in the order they first appear. */
static int history_keys(const struct trend *t, struct key_at **out, size_t *nout)
{
    size_t total = 0, n = 0, k = 0;
    struct key_at *all;

    for (size_t d = 0; d < t->ndocs; d++)
        total += t->docs[d].ncases;
    if (!(all = malloc((total ? total : 1) * sizeof(*all))))
        return -ENOMEM;
    for (size_t pos = 0; pos < t->ndocs; pos++)
        for (size_t i = 0; i < at(t, pos)->ncases; i++)
            all[k++] = (struct key_at){at(t, pos)->cases[i].info.id, pos, i};
    qsort(all, total, sizeof(*all), cmp_key);
    for (size_t i = 0; i < total; i++)
        if (n == 0 || strcmp(all[n - 1].key, all[i].key) != 0)
            all[n++] = all[i];
    qsort(all, n, sizeof(*all), cmp_first_seen);
    *out = all;
    *nout = n;
    return 0;
}

static int analyse_series(struct trend *t, struct series *s)
{
    int rc = 0;

    s->x = malloc(t->ndocs * sizeof(*s->x));
    s->pos = malloc(t->ndocs * sizeof(*s->pos));
    s->cps = malloc((t->ndocs / t->opts.min_size + 1) * sizeof(*s->cps));
    if (!s->x || !s->pos || !s->cps)
        return -ENOMEM;
    for (size_t pos = 0; pos < t->ndocs; pos++) {
        double v = doc_median(at(t, pos), s->key, s->metric, &rc);
        if (rc < 0)
            return rc;
        if (isnan(v)) {
            s->left_out++;
            continue;
        }
        s->x[s->n] = v;
        s->pos[s->n++] = pos;
    }
    s->base = doc_median(t->base, s->key, s->metric, &rc);
    if (rc < 0)
        return rc;
    if ((s->ncps = pb_trend_detect(s->x, s->n, &t->opts, s->cps)) < 0)
        return s->ncps;
    s->latest = pb_trend_median(s->x, s->ncps ? s->cps[s->ncps - 1].index : 0, s->n);
    return 0;
}

static int analyse(struct trend *t)
{
    struct key_at *keys = NULL;
    size_t nkeys = 0, nm = 0;
    int rc;

    if ((rc = history_keys(t, &keys, &nkeys)) < 0)
        return rc;
    for (int m = 0; m < PB_METRIC_COUNT; m++)
        nm += t->metrics[m] != 0;
    if (!(t->s = calloc(nkeys * nm + 1, sizeof(*t->s)))) {
        rc = -ENOMEM;
        goto cleanup;
    }
    for (size_t k = 0; k < nkeys; k++) {
        for (int m = 0; m < PB_METRIC_COUNT; m++) {
            if (!t->metrics[m])
                continue;
            struct series *s = &t->s[t->ns++];
            s->key = keys[k].key;
            s->metric = (enum pb_metric)m;
            if ((rc = analyse_series(t, s)) < 0)
                goto cleanup;
        }
    }
cleanup:
    free(keys);
    return rc;
}

/* Worse for this metric: a smaller throughput, a larger latency. */
static int worse(enum pb_metric m, double ratio)
{
    return pb_metric_def(m)->bigger_is_better ? ratio < 1.0 : ratio > 1.0;
}

static const char *direction(enum pb_metric m, double ratio)
{
    if (!isfinite(ratio) || ratio == 1.0)
        return "none";
    return worse(m, ratio) ? "regression" : "improvement";
}

static const char *short_commit(const struct pb_doc *d, char *buf, size_t len)
{
    const char *c = pb_doc_str(d, "tool", "git_commit");
    char tmp[13];

    snprintf(tmp, sizeof(tmp), "%s", c[0] ? c : "-");
    return pb_format_safe_text(buf, len, tmp);
}

static void counts(const struct trend *t, size_t *with, size_t *ncp, size_t *reg)
{
    *with = *ncp = *reg = 0;
    for (size_t i = 0; i < t->ns; i++) {
        const struct series *s = &t->s[i];
        *with += s->ncps > 0;
        *ncp += (size_t)s->ncps;
        for (int c = 0; c < s->ncps; c++)
            *reg += worse(s->metric, s->cps[c].after / s->cps[c].before);
    }
}

static const char *order_name(const struct trend *t)
{
    return t->by_time ? "started_at" : "given";
}

/* Whether every document says when it started: then the header shows the span. */
static int all_timed(const struct trend *t)
{
    for (size_t i = 0; i < t->ndocs; i++)
        if (!pb_doc_str(&t->docs[i], NULL, "started_at")[0])
            return 0;
    return 1;
}

static void print_header(const struct trend *t, FILE *out, int md)
{
    char first[64], last[64], base[256];
    size_t with, ncp, reg;

    counts(t, &with, &ncp, &reg);
    pb_format_safe_text(base, sizeof(base), t->base->path);
    fprintf(out, "%s%zu documents, %s", md ? "### Trend: " : "trend: ", t->ndocs,
            t->by_time ? "sorted by started_at" : "in the order given");
    if (all_timed(t)) {
        pb_format_safe_text(first, sizeof(first), pb_doc_str(at(t, 0), NULL, "started_at"));
        pb_format_safe_text(last, sizeof(last),
                            pb_doc_str(at(t, t->ndocs - 1), NULL, "started_at"));
        fprintf(out, " (started_at %s .. %s)", first, last);
    }
    fprintf(out, "; base %s\n", base);
    if (md)
        fputc('\n', out);
    fprintf(out,
            "%zu change point%s (%zu regression%s) in %zu of %zu series; E-Divisive means on "
            "log values, alpha %g, %u permutations, min segment %zu\n\n",
            ncp, ncp == 1 ? "" : "s", reg, reg == 1 ? "" : "s", with, t->ns, t->opts.alpha,
            t->opts.permutations, t->opts.min_size);
}

static void md_escaped(FILE *out, const char *text)
{
    char safe[1024];
    pb_format_safe_text(safe, sizeof(safe), text);
    for (const char *s = safe; *s; s++) {
        if (*s == '<')
            fputs("&lt;", out);
        else if (*s == '>')
            fputs("&gt;", out);
        else if (*s == '&')
            fputs("&amp;", out);
        else if (strchr("|\\`*[]_", *s))
            fprintf(out, "\\%c", *s);
        else
            fputc(*s, out);
    }
}

struct row {
    char cells[9][160];
};

enum { C_CASE, C_METRIC, C_DOC, C_COMMIT, C_CHANGE, C_LEVELS, C_CONF, C_VERDICT, C_BASE, C_N };

static void cp_row(const struct trend *t, const struct series *s, int c, struct row *r)
{
    const struct pb_trend_cp *cp = &s->cps[c];
    const struct pb_doc *d = at(t, s->pos[cp->index]);
    char before[48], after[48];
    double ratio = cp->after / cp->before;

    pb_format_safe_text(r->cells[C_CASE], sizeof(r->cells[0]), s->key);
    snprintf(r->cells[C_METRIC], sizeof(r->cells[0]), "%s", pb_metric_def(s->metric)->name);
    {
        char p[140];
        pb_format_safe_text(p, sizeof(p), d->path);
        snprintf(r->cells[C_DOC], sizeof(r->cells[0]), "#%zu %s", s->pos[cp->index] + 1, p);
    }
    short_commit(d, r->cells[C_COMMIT], sizeof(r->cells[0]));
    snprintf(r->cells[C_CHANGE], sizeof(r->cells[0]), "%+.1f%%", (ratio - 1.0) * 100.0);
    pb_format_metric(before, sizeof(before), s->metric, cp->before);
    pb_format_metric(after, sizeof(after), s->metric, cp->after);
    snprintf(r->cells[C_LEVELS], sizeof(r->cells[0]), "%s -> %s", before, after);
    pb_format_percent(r->cells[C_CONF], sizeof(r->cells[0]), 1.0 - cp->p, 1);
    snprintf(r->cells[C_VERDICT], sizeof(r->cells[0]), "%s",
             worse(s->metric, ratio) ? "REGRESSION" : "IMPROVEMENT");
    if (isnan(s->base))
        snprintf(r->cells[C_BASE], sizeof(r->cells[0]), "-");
    else
        snprintf(r->cells[C_BASE], sizeof(r->cells[0]), "%+.1f%%",
                 (s->latest / s->base - 1.0) * 100.0);
}

static const char *const heads[C_N] = {"case",   "metric",  "first document",
                                       "commit", "change",  "before -> after",
                                       "conf.",  "verdict", "since base"};

/* The series without a change point in one line: how many, and the largest drift among them. */
static void print_quiet(const struct trend *t, FILE *out)
{
    size_t quiet = 0, short_ = 0;
    const struct series *drift = NULL;
    double dmax = 0.0;

    for (size_t i = 0; i < t->ns; i++) {
        const struct series *s = &t->s[i];
        if (s->ncps)
            continue;
        quiet++;
        short_ += s->n < 2 * t->opts.min_size;
        double d = fabs(log(s->latest / s->base));
        if (isfinite(d) && d > dmax) {
            dmax = d;
            drift = s;
        }
    }
    if (!quiet)
        return;
    fprintf(out, "%zu series without a change point", quiet);
    if (short_)
        fprintf(out, " (%zu too short to split: fewer than %zu documents)", short_,
                2 * t->opts.min_size);
    if (drift) {
        char key[256];
        pb_format_safe_text(key, sizeof(key), drift->key);
        fprintf(out, "; largest drift since base %+.1f%% (%s %s)",
                (drift->latest / drift->base - 1.0) * 100.0, key,
                pb_metric_def(drift->metric)->name);
    }
    fputc('\n', out);
}

static int print_text(const struct trend *t, FILE *out)
{
    size_t w[C_N], nrows = 0;
    struct row r;

    print_header(t, out, 0);
    for (int c = 0; c < C_N; c++)
        w[c] = strlen(heads[c]);
    for (size_t i = 0; i < t->ns; i++)
        for (int c = 0; c < t->s[i].ncps; c++, nrows++) {
            cp_row(t, &t->s[i], c, &r);
            for (int k = 0; k < C_N; k++)
                if (strlen(r.cells[k]) > w[k])
                    w[k] = strlen(r.cells[k]);
        }
    if (nrows) {
        for (int k = 0; k < C_N; k++)
            fprintf(out, "%-*s%s", (int)w[k], heads[k], k + 1 < C_N ? "  " : "\n");
        for (size_t i = 0; i < t->ns; i++)
            for (int c = 0; c < t->s[i].ncps; c++) {
                cp_row(t, &t->s[i], c, &r);
                for (int k = 0; k < C_N; k++)
                    fprintf(out, "%-*s%s", k + 1 < C_N ? (int)w[k] : 0, r.cells[k],
                            k + 1 < C_N ? "  " : "\n");
            }
    }
    print_quiet(t, out);
    return ferror(out) ? -EIO : 0;
}

static int print_md(const struct trend *t, FILE *out)
{
    struct row r;
    size_t with, ncp, reg;

    print_header(t, out, 1);
    counts(t, &with, &ncp, &reg);
    if (ncp) {
        for (int k = 0; k < C_N; k++)
            fprintf(out, "| %s ", heads[k]);
        fputs("|\n", out);
        for (int k = 0; k < C_N; k++)
            fputs(k >= C_CHANGE && k != C_VERDICT && k != C_LEVELS ? "|---:" : "|---", out);
        fputs("|\n", out);
        for (size_t i = 0; i < t->ns; i++)
            for (int c = 0; c < t->s[i].ncps; c++) {
                cp_row(t, &t->s[i], c, &r);
                for (int k = 0; k < C_N; k++) {
                    fputs("| ", out);
                    if (k == C_VERDICT)
                        fprintf(out, "**%s**", r.cells[k]);
                    else
                        md_escaped(out, r.cells[k]);
                    fputc(' ', out);
                }
                fputs("|\n", out);
            }
        fputc('\n', out);
    }
    print_quiet(t, out);
    return ferror(out) ? -EIO : 0;
}

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *doc_json(const struct trend *t, size_t pos)
{
    const struct pb_doc *d = at(t, pos);
    const char *c = pb_doc_str(d, "tool", "git_commit"), *s = pb_doc_str(d, NULL, "started_at");
    return json_pack("{s:I, s:s, s:o, s:o}", "index", (json_int_t)pos, "path", d->path,
                     "git_commit", c[0] ? json_string(c) : json_null(), "started_at",
                     s[0] ? json_string(s) : json_null());
}

static json_t *series_json(const struct trend *t, const struct series *s)
{
    const struct pb_metric_def *def = pb_metric_def(s->metric);
    json_t *o = json_object(), *cps = json_array(), *vals = json_array();
    double cum = s->latest / s->base;

    for (size_t i = 0; i < s->n; i++)
        json_array_append_new(
            vals, json_pack("{s:I, s:f}", "index", (json_int_t)s->pos[i], "value", s->x[i]));
    for (int c = 0; c < s->ncps; c++) {
        const struct pb_trend_cp *cp = &s->cps[c];
        double ratio = cp->after / cp->before;
        json_t *e = doc_json(t, s->pos[cp->index]);
        json_object_set_new(e, "before", json_real(cp->before));
        json_object_set_new(e, "after", json_real(cp->after));
        json_object_set_new(e, "ratio", json_real(ratio));
        json_object_set_new(e, "change_pct", json_real((ratio - 1.0) * 100.0));
        json_object_set_new(e, "direction", json_string(direction(s->metric, ratio)));
        json_object_set_new(e, "p", json_real(cp->p));
        json_object_set_new(e, "confidence", json_real(1.0 - cp->p));
        json_array_append_new(cps, e);
    }
    json_object_set_new(o, "case", json_string(s->key));
    json_object_set_new(o, "metric", json_string(def->name));
    json_object_set_new(o, "unit", json_string(def->unit_name));
    json_object_set_new(o, "bigger_is_better", json_boolean(def->bigger_is_better));
    json_object_set_new(o, "points", json_integer((json_int_t)s->n));
    json_object_set_new(o, "left_out", json_integer((json_int_t)s->left_out));
    json_object_set_new(o, "values", vals);
    json_object_set_new(o, "change_points", cps);
    json_object_set_new(o, "base_value", num_or_null(s->base));
    json_object_set_new(o, "latest_level", num_or_null(s->latest));
    json_object_set_new(o, "since_base_ratio", num_or_null(cum));
    json_object_set_new(o, "since_base_pct", num_or_null((cum - 1.0) * 100.0));
    json_object_set_new(o, "since_base_direction", json_string(direction(s->metric, cum)));
    return o;
}

static int print_json(const struct trend *t, FILE *out)
{
    json_t *o = json_object(), *docs = json_array(), *series = json_array(), *ms = json_array();
    size_t with, ncp, reg;
    int rc = 0;

    for (size_t pos = 0; pos < t->ndocs; pos++)
        json_array_append_new(docs, doc_json(t, pos));
    for (size_t i = 0; i < t->ns; i++)
        json_array_append_new(series, series_json(t, &t->s[i]));
    for (int m = 0; m < PB_METRIC_COUNT; m++)
        if (t->metrics[m])
            json_array_append_new(ms, json_string(pb_metric_def(m)->name));
    counts(t, &with, &ncp, &reg);
    json_object_set_new(o, "order", json_string(order_name(t)));
    json_object_set_new(o, "documents", docs);
    json_object_set_new(o, "base",
                        json_pack("{s:s, s:o}", "path", t->base->path, "index",
                                  t->base_pos >= 0 ? json_integer(t->base_pos) : json_null()));
    json_object_set_new(o, "settings",
                        json_pack("{s:s, s:f, s:I, s:I, s:o}", "method", "e-divisive-means-log",
                                  "alpha", t->opts.alpha, "min_size", (json_int_t)t->opts.min_size,
                                  "permutations", (json_int_t)t->opts.permutations, "metrics", ms));
    json_object_set_new(o, "series", series);
    json_object_set_new(o, "counts",
                        json_pack("{s:I, s:I, s:I, s:I}", "series", (json_int_t)t->ns,
                                  "with_change", (json_int_t)with, "change_points", (json_int_t)ncp,
                                  "regressions", (json_int_t)reg));
    if (json_dumpf(o, out, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) < 0 || fputc('\n', out) == EOF)
        rc = -EIO;
    json_decref(o);
    return rc;
}

static const struct trend *sort_ctx;

/* By started_at, ties in the order given (the index breaks them: qsort is not stable). The
 * strings are the UTC "YYYY-MM-DDTHH:MM:SSZ" parbench writes, so text order is time order. */
static int cmp_started(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int c = strcmp(pb_doc_str(&sort_ctx->docs[x], NULL, "started_at"),
                   pb_doc_str(&sort_ctx->docs[y], NULL, "started_at"));
    return c ? c : (x > y) - (x < y);
}

static int order_history(struct trend *t)
{
    for (size_t i = 0; i < t->ndocs; i++)
        t->order[i] = i;
    if (!t->by_time)
        return 0;
    for (size_t i = 0; i < t->ndocs; i++)
        if (!pb_doc_str(&t->docs[i], NULL, "started_at")[0]) {
            fprintf(stderr, "parbench trend: %s: no started_at, so --sort time cannot place it\n",
                    t->docs[i].path);
            return -EINVAL;
        }
    sort_ctx = t;
    qsort(t->order, t->ndocs, sizeof(*t->order), cmp_started);
    return 0;
}

static void trend_destroy(struct trend *t)
{
    for (size_t i = 0; i < t->ns; i++) {
        free(t->s[i].x);
        free(t->s[i].pos);
        free(t->s[i].cps);
    }
    free(t->s);
    for (size_t i = 0; i < t->ndocs; i++)
        pb_doc_destroy(&t->docs[i]);
    free(t->docs);
    free(t->order);
    pb_doc_destroy(&t->own_base);
}

int pb_cmd_trend(int argc, char **argv)
{
    struct trend t = {0};
    const char *val = NULL, *format = "text", *base_path = NULL;
    const char **paths = NULL;
    int json = 0, m, rc = PB_EXIT_USAGE, only_args = 0, nstdin = 0;
    size_t npaths = 0;
    struct pb_err err = {{0}};
    double v;

    pb_trend_opts_init(&t.opts);
    for (int k = 0; k < PB_METRIC_COUNT; k++)
        t.metrics[k] = trend_metric_default(pb_metric_def((enum pb_metric)k));
    if (!(paths = calloc((size_t)argc, sizeof(*paths)))) {
        fprintf(stderr, "parbench trend: out of memory\n");
        return PB_EXIT_ENV;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_args || a[0] != '-' || strcmp(a, "-") == 0) {
            nstdin += strcmp(a, "-") == 0;
            paths[npaths++] = a;
        } else if (strcmp(a, "--") == 0) {
            only_args = 1;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            rc = PB_EXIT_OK;
            goto out;
        } else if ((m = pb_cli_option_value(argc, argv, &i, "--alpha", &val)) != 0) {
            if (m < 0 || parse_number(val, 1e-9, 0.5, &t.opts.alpha) < 0) {
                rc = pb_cli_bad_usage("trend", usage_line, "bad alpha '%s' (above 0, up to 0.5)",
                                      m < 0 ? "" : val);
                goto out;
            }
        } else if ((m = pb_cli_option_value(argc, argv, &i, "--min-size", &val)) != 0) {
            if (m < 0 || parse_number(val, 2, 1e6, &v) < 0 || v != floor(v)) {
                rc = pb_cli_bad_usage("trend", usage_line, "bad min size '%s' (an integer >= 2)",
                                      m < 0 ? "" : val);
                goto out;
            }
            t.opts.min_size = (size_t)v;
        } else if ((m = pb_cli_option_value(argc, argv, &i, "--permutations", &val)) != 0) {
            if (m < 0 || parse_number(val, 19, 100000, &v) < 0 || v != floor(v)) {
                rc = pb_cli_bad_usage("trend", usage_line,
                                      "bad permutations '%s' (an integer, 19 to 100000)",
                                      m < 0 ? "" : val);
                goto out;
            }
            t.opts.permutations = (unsigned)v;
        } else if ((m = pb_cli_option_value(argc, argv, &i, "--metric", &val)) != 0) {
            if (m < 0) {
                rc = pb_cli_bad_usage("trend", usage_line, "option '%s' needs a value", a);
                goto out;
            }
            if ((rc = parse_metrics(val, t.metrics)) != 0)
                goto out;
            rc = PB_EXIT_USAGE;
        } else if ((m = pb_cli_option_value(argc, argv, &i, "--base", &val)) != 0) {
            if (m < 0) {
                rc = pb_cli_bad_usage("trend", usage_line, "option '%s' needs a value", a);
                goto out;
            }
            base_path = val;
        } else if ((m = pb_cli_option_value(argc, argv, &i, "--sort", &val)) != 0) {
            if (m < 0 || (strcmp(val, "given") != 0 && strcmp(val, "time") != 0)) {
                rc = pb_cli_bad_usage("trend", usage_line, "unknown sort '%s' (given or time)",
                                      m < 0 ? "" : val);
                goto out;
            }
            t.by_time = strcmp(val, "time") == 0;
        } else if ((m = pb_cli_option_value(argc, argv, &i, "--format", &val)) != 0) {
            if (m < 0 || (strcmp(val, "text") != 0 && strcmp(val, "md") != 0)) {
                rc = pb_cli_bad_usage("trend", usage_line, "unknown format '%s' (text or md)",
                                      m < 0 ? "" : val);
                goto out;
            }
            format = val;
        } else {
            rc = pb_cli_bad_usage("trend", usage_line, "unknown option '%s'", a);
            goto out;
        }
    }
    if (npaths < 2) {
        rc =
            pb_cli_bad_usage("trend", usage_line,
                             "needs at least two result documents, oldest first (got %zu)", npaths);
        goto out;
    }
    if (nstdin > 1 || (nstdin && base_path && strcmp(base_path, "-") == 0)) {
        rc = pb_cli_bad_usage("trend", usage_line, "only one document can be standard input");
        goto out;
    }

    t.docs = calloc(npaths, sizeof(*t.docs));
    t.order = calloc(npaths, sizeof(*t.order));
    if (!t.docs || !t.order) {
        fprintf(stderr, "parbench trend: out of memory\n");
        rc = PB_EXIT_ENV;
        goto out;
    }
    for (size_t k = 0; k < npaths; k++, t.ndocs++) {
        if (pb_doc_load(&t.docs[k], paths[k], &err) < 0) {
            fprintf(stderr, "parbench trend: %s\n", err.msg);
            goto out;
        }
    }
    if (order_history(&t) < 0)
        goto out;
    t.base = at(&t, 0);
    t.base_pos = 0;
    if (base_path) {
        t.base_pos = -1;
        for (size_t pos = 0; pos < t.ndocs && t.base_pos < 0; pos++)
            if (strcmp(paths[t.order[pos]], base_path) == 0)
                t.base_pos = (long)pos;
        if (t.base_pos >= 0) {
            t.base = at(&t, (size_t)t.base_pos);
        } else if (pb_doc_load(&t.own_base, base_path, &err) < 0) {
            fprintf(stderr, "parbench trend: %s\n", err.msg);
            goto out;
        } else {
            t.base = &t.own_base;
        }
    }
    if ((m = analyse(&t)) < 0) {
        fprintf(stderr, "parbench trend: %s\n", strerror(-m));
        rc = PB_EXIT_ENV;
        goto out;
    }
    if (json)
        m = print_json(&t, stdout);
    else if (strcmp(format, "md") == 0)
        m = print_md(&t, stdout);
    else
        m = print_text(&t, stdout);
    if (m == 0 && fflush(stdout) != 0)
        m = -EIO;
    if (m < 0) {
        fprintf(stderr, "parbench trend: writing the output: %s\n", strerror(-m));
        rc = PB_EXIT_ENV;
        goto out;
    }
    rc = PB_EXIT_OK;
out:
    trend_destroy(&t);
    free(paths);
    return rc;
}
