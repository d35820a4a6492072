/* Writing a comparison: the terminal table, Markdown and JSON share the cells, the footer and
 * the document lines, so the three say the same thing. */
#include "harness/compare_render.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/format.h"

static void fmt_pct(char *buf, size_t len, double ratio)
{
    if (!isfinite(ratio))
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%+.1f%%", (ratio - 1.0) * 100.0);
}

static void fmt_p(char *buf, size_t len, double p)
{
    if (p >= 0.001)
        snprintf(buf, len, "%.3f", p);
    else
        snprintf(buf, len, "%.1e", p);
}

/* The cells of one row as text, shared by the terminal and Markdown tables. */
struct cells {
    char base[32], new_[32], change[32], ci[48], p[32], verdict[64];
};

static void row_cells(const struct pb_comparison *r, struct cells *s)
{
    char lo[16], hi[16];

    pb_format_metric(s->base, sizeof(s->base), r->metric, r->n_base ? r->base_median : NAN);
    pb_format_metric(s->new_, sizeof(s->new_), r->metric, r->n_new ? r->new_median : NAN);
    if (r->tested) {
        fmt_pct(s->change, sizeof(s->change), r->ratio.estimate);
        fmt_pct(lo, sizeof(lo), r->ratio.low);
        fmt_pct(hi, sizeof(hi), r->ratio.high);
        snprintf(s->ci, sizeof(s->ci), "[%s, %s]", lo, hi);
        fmt_p(s->p, sizeof(s->p), r->p_adjusted);
    } else {
        snprintf(s->change, sizeof(s->change), "-");
        snprintf(s->ci, sizeof(s->ci), "-");
        snprintf(s->p, sizeof(s->p), "-");
    }
    if (r->verdict == PB_VERDICT_TOO_FEW && r->need)
        snprintf(s->verdict, sizeof(s->verdict), "too few samples (need %zu)", r->need);
    else
        snprintf(s->verdict, sizeof(s->verdict), "%s", pb_verdict_label(r->verdict));
}

static void print_thresholds(const struct pb_compare *c, FILE *out)
{
    int first = -1, same = 1;

    for (int m = 0; m < PB_METRIC_COUNT; m++) {
        if (!c->opts.metrics[m])
            continue;
        if (first < 0)
            first = m;
        else if (c->opts.threshold[m] != c->opts.threshold[first])
            same = 0;
    }
    if (first < 0)
        return;
    if (same) {
        fprintf(out, "threshold %g%%", c->opts.threshold[first] * 100.0);
        return;
    }
    fputs("thresholds", out);
    for (int m = 0, k = 0; m < PB_METRIC_COUNT; m++)
        if (c->opts.metrics[m])
            fprintf(out, "%s %s %g%%", k++ ? "," : "", pb_metric_def(m)->name,
                    c->opts.threshold[m] * 100.0);
}

static void print_counts(const struct pb_compare *c, FILE *out)
{
    size_t r = c->counts[PB_VERDICT_REGRESSION], i = c->counts[PB_VERDICT_IMPROVEMENT];

    fprintf(out, "%zu regression%s, %zu improvement%s, %zu unchanged, %zu with too few samples", r,
            r == 1 ? "" : "s", i, i == 1 ? "" : "s", c->counts[PB_VERDICT_SAME],
            c->counts[PB_VERDICT_TOO_FEW]);
    if (c->counts[PB_VERDICT_INVALID])
        fprintf(out, ", %zu not comparable", c->counts[PB_VERDICT_INVALID]);
    if (c->counts[PB_VERDICT_BUSY])
        fprintf(out, ", %zu not measurable here (a side ran on a busy machine)",
                c->counts[PB_VERDICT_BUSY]);
}

/* The closing lines, one wording for both forms: the counts, then how they were decided. In
 * Markdown they are one paragraph, so the sentence ends with a full stop. */
static void print_footer(const struct pb_compare *c, FILE *out, int md)
{
    print_counts(c, out);
    fprintf(out, "%s %g after Holm-Bonferroni over %zu comparison%s, ", md ? ". Alpha" : "\nalpha",
            c->opts.alpha, c->family, c->family == 1 ? "" : "s");
    print_thresholds(c, out);
    fprintf(out, "; change and CI: Hodges-Lehmann ratio new/base%s\n", md ? "." : "");
}

/* A copy of document text with what a terminal would act on made visible. */
static char *safe_dup(const char *s)
{
    size_t len = 4 * strlen(s) + 1; /* a byte becomes at most \xNN */
    char *d = malloc(len);
    return d ? pb_format_safe_text(d, len, s) : NULL;
}

static void doc_line(const struct pb_doc *d, char *buf, size_t len)
{
    const char *commit = pb_doc_str(d, "tool", "git_commit");
    char raw[2048];
    snprintf(raw, sizeof(raw), "%s (host %s, %s, %s build, commit %s, %s)", d->path,
             pb_doc_str(d, "host", "hostname"), pb_doc_str(d, "host", "cpu_model"),
             pb_doc_str(d, "tool", "build_type"), *commit ? commit : "?",
             pb_doc_str(d, NULL, "started_at"));
    pb_format_safe_text(buf, len, raw);
}

static double ci_percent(const struct pb_compare *c)
{
    return (1.0 - c->opts.alpha) * 100.0;
}

static int text_width(const char *s)
{
    /* Bytes would over-count the multi-byte characters of a name; columns count code points. */
    int w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static void pad(FILE *out, const char *s, int width, int right)
{
    int fill = width - text_width(s);
    if (right)
        fprintf(out, "%*s%s", fill > 0 ? fill : 0, "", s);
    else
        fprintf(out, "%s%*s", s, fill > 0 ? fill : 0, "");
}

enum { NCOL = 8 };

/* A row of the text table: the case, the metric, then the formatted cells. */
static void row_columns(const struct pb_comparison *r, const char *name, struct cells *s,
                        const char *cols[NCOL])
{
    row_cells(r, s);
    const char *v[NCOL] = {
        name, pb_metric_def(r->metric)->name, s->base, s->new_, s->change, s->ci, s->p, s->verdict};
    memcpy(cols, v, sizeof(v));
}

/* One line of text from a document, made safe. */
static void put_safe_line(FILE *out, const char *prefix, const char *s)
{
    char *safe = safe_dup(s);
    fprintf(out, "%s%s\n", prefix, safe ? safe : "?");
    free(safe);
}

int pb_compare_print_text(const struct pb_compare *c, FILE *out)
{
    char line[4096], ci_head[32];
    const char *heads[NCOL] = {"case",   "metric", "base",     "new",
                               "change", ci_head,  "p (Holm)", "verdict"};
    const int right[NCOL] = {0, 0, 1, 1, 1, 0, 1, 0};
    int w[NCOL];
    struct cells s;
    const char *cols[NCOL];
    /* Case names are keys (escaped already); made safe all the same, once. */
    char **names = calloc(c->nrows + 1, sizeof(*names));

    if (!names)
        return -ENOMEM;
    for (size_t i = 0; i < c->nrows; i++) {
        if (!(names[i] = safe_dup(c->rows[i].name))) {
            for (size_t k = 0; k < i; k++)
                free(names[k]);
            free(names);
            return -ENOMEM;
        }
    }
    snprintf(ci_head, sizeof(ci_head), "%g%% CI", ci_percent(c));
    doc_line(c->base, line, sizeof(line));
    fprintf(out, "base: %s\n", line);
    doc_line(c->new_doc, line, sizeof(line));
    fprintf(out, "new:  %s\n", line);
    for (size_t i = 0; i < c->warnings.n; i++)
        put_safe_line(out, "warning: ", c->warnings.v[i]);
    fputc('\n', out);

    for (int k = 0; k < NCOL; k++)
        w[k] = text_width(heads[k]);
    for (size_t i = 0; i < c->nrows; i++) {
        row_columns(&c->rows[i], names[i], &s, cols);
        for (int k = 0; k < NCOL; k++)
            if (text_width(cols[k]) > w[k])
                w[k] = text_width(cols[k]);
    }
    for (int k = 0; k < NCOL; k++) {
        pad(out, heads[k], k == NCOL - 1 ? 0 : w[k], right[k]);
        fputs(k == NCOL - 1 ? "\n" : "  ", out);
    }
    for (size_t i = 0; i < c->nrows; i++) {
        row_columns(&c->rows[i], names[i], &s, cols);
        for (int k = 0; k < NCOL; k++) {
            pad(out, cols[k], k == NCOL - 1 ? 0 : w[k], right[k]);
            fputs(k == NCOL - 1 ? "\n" : "  ", out);
        }
    }
    if (c->nrows == 0)
        fputs("(no case appears in both documents)\n", out);
    fputc('\n', out);
    for (size_t i = 0; i < c->base_only.n; i++)
        put_safe_line(out, "only in base: ", c->base_only.v[i]);
    for (size_t i = 0; i < c->new_only.n; i++)
        put_safe_line(out, "only in new: ", c->new_only.v[i]);
    print_footer(c, out, 0);
    for (size_t i = 0; i < c->nrows; i++)
        free(names[i]);
    free(names);
    return ferror(out) ? -EIO : 0;
}

/* Text from documents goes into Markdown that GitHub renders as HTML: markup characters are
 * escaped so a name can neither break the table nor inject tags. */
static void md_escaped(FILE *out, const char *text)
{
    char *safe = safe_dup(text);
    for (const char *s = safe ? safe : "?"; *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '&':
            fputs("&amp;", out);
            break;
        case '|':
        case '\\':
        case '`':
        case '*':
        case '[':
        case ']':
            fputc('\\', out);
            fputc(*s, out);
            break;
        default:
            fputc(*s, out);
        }
    }
    free(safe);
}

static void md_doc_row(FILE *out, const char *which, const struct pb_doc *d)
{
    const char *cells[] = {d->path,
                           pb_doc_str(d, "host", "hostname"),
                           pb_doc_str(d, "host", "cpu_model"),
                           pb_doc_str(d, "tool", "build_type"),
                           pb_doc_str(d, "tool", "git_commit"),
                           pb_doc_str(d, NULL, "started_at")};
    fprintf(out, "| %s |", which);
    for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
        fputc(' ', out);
        md_escaped(out, cells[i]);
        fputs(" |", out);
    }
    fputc('\n', out);
}

int pb_compare_print_md(const struct pb_compare *c, FILE *out)
{
    struct cells s;

    fputs("### parbench compare\n\n", out);
    fputs("| | document | host | CPU | build | commit | started |\n", out);
    fputs("|:--|:--|:--|:--|:--|:--|:--|\n", out);
    md_doc_row(out, "base", c->base);
    md_doc_row(out, "new", c->new_doc);
    fputc('\n', out);
    for (size_t i = 0; i < c->warnings.n; i++) {
        fputs("> **Warning:** ", out);
        md_escaped(out, c->warnings.v[i]);
        fputs("\n>\n", out);
    }
    if (c->warnings.n)
        fputc('\n', out);
    fprintf(out, "| case | metric | base | new | change | %g%% CI | p (Holm) | verdict |\n",
            ci_percent(c));
    fputs("|:--|:--|--:|--:|--:|:--|--:|:--|\n", out);
    for (size_t i = 0; i < c->nrows; i++) {
        const struct pb_comparison *r = &c->rows[i];
        row_cells(r, &s);
        fputs("| ", out);
        md_escaped(out, r->name);
        fputs(" | ", out);
        md_escaped(out, pb_metric_def(r->metric)->name);
        fprintf(out, " | %s | %s | %s | %s | %s | ", s.base, s.new_, s.change, s.ci, s.p);
        if (r->verdict == PB_VERDICT_REGRESSION || r->verdict == PB_VERDICT_IMPROVEMENT)
            fprintf(out, "**%s**", s.verdict);
        else
            md_escaped(out, s.verdict);
        fputs(" |\n", out);
    }
    if (c->nrows == 0)
        fputs("| *no case appears in both documents* | | | | | | | |\n", out);
    fputc('\n', out);
    for (int side = 0; side < 2; side++) {
        const struct pb_strlist *l = side ? &c->new_only : &c->base_only;
        if (l->n == 0)
            continue;
        fprintf(out, "**Only in %s:** ", side ? "new" : "base");
        for (size_t i = 0; i < l->n; i++) {
            fputs(i ? ", " : "", out);
            md_escaped(out, l->v[i]);
        }
        fputs("\n\n", out);
    }
    print_footer(c, out, 1);
    return ferror(out) ? -EIO : 0;
}

/* ---- JSON ---- */

/* jansson refuses NaN and infinities (strict JSON): they become null. */
static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *doc_json(const struct pb_doc *d)
{
    json_t *o = json_object();
    json_object_set_new(o, "path", json_string(d->path));
    json_object_set_new(o, "hostname", json_string(pb_doc_str(d, "host", "hostname")));
    json_object_set_new(o, "cpu_model", json_string(pb_doc_str(d, "host", "cpu_model")));
    json_object_set_new(o, "build_type", json_string(pb_doc_str(d, "tool", "build_type")));
    json_object_set_new(o, "git_commit", json_string(pb_doc_str(d, "tool", "git_commit")));
    json_object_set_new(o, "started_at", json_string(pb_doc_str(d, NULL, "started_at")));
    json_object_set_new(o, "complete", json_boolean(pb_doc_complete(d)));
    return o;
}

static json_t *strlist_json(const struct pb_strlist *l)
{
    json_t *a = json_array();
    for (size_t i = 0; i < l->n; i++)
        json_array_append_new(a, json_string(l->v[i]));
    return a;
}

static json_t *row_json(const struct pb_compare *c, const struct pb_comparison *r)
{
    const struct pb_metric_def *def = pb_metric_def(r->metric);
    const struct pb_case_info *info = &r->base_case->info;
    json_t *o = json_object();

    json_object_set_new(o, "case", json_string(r->name));
    json_object_set_new(o, "runner", json_string(info->runner));
    json_object_set_new(o, "workload", json_string(info->workload));
    json_object_set_new(o, "concurrency",
                        info->gather ? json_null() : json_integer(info->concurrency));
    json_object_set_new(o, "metric", json_string(def->name));
    json_object_set_new(o, "unit", json_string(def->unit_name));
    json_object_set_new(o, "bigger_is_better", json_boolean(def->bigger_is_better));
    json_object_set_new(o, "n_base", json_integer((json_int_t)r->n_base));
    json_object_set_new(o, "n_new", json_integer((json_int_t)r->n_new));
    json_object_set_new(o, "base_median", r->n_base ? num(r->base_median) : json_null());
    json_object_set_new(o, "new_median", r->n_new ? num(r->new_median) : json_null());
    if (r->tested) {
        json_object_set_new(o, "ratio", num(r->ratio.estimate));
        json_object_set_new(o, "change_pct", num((r->ratio.estimate - 1.0) * 100.0));
        json_object_set_new(o, "ci_low", num(r->ratio.low));
        json_object_set_new(o, "ci_high", num(r->ratio.high));
        json_object_set_new(o, "ci_level", num(r->ratio.level));
        json_object_set_new(o, "u", num(r->test.u1));
        json_object_set_new(o, "p", num(r->test.p));
        json_object_set_new(o, "p_adjusted", num(r->p_adjusted));
        json_object_set_new(o, "method",
                            json_string(r->test.method == PB_MWU_EXACT ? "exact" : "asymptotic"));
    } else {
        const char *keys[] = {"ratio", "change_pct", "ci_low",     "ci_high", "ci_level",
                              "u",     "p",          "p_adjusted", "method"};
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
            json_object_set_new(o, keys[k], json_null());
    }
    json_object_set_new(o, "threshold", num(c->opts.threshold[r->metric]));
    json_object_set_new(o, "verdict", json_string(pb_verdict_key(r->verdict)));
    json_object_set_new(o, "need_per_side",
                        r->verdict == PB_VERDICT_TOO_FEW && r->need
                            ? json_integer((json_int_t)r->need)
                            : json_null());
    return o;
}

int pb_compare_to_json(const struct pb_compare *c, json_t **out)
{
    json_t *o = json_object(), *rows = json_array(), *counts = json_object(),
           *thresholds = json_object(), *unmatched = json_object();

    if (!o || !rows || !counts || !thresholds || !unmatched) {
        json_decref(o);
        json_decref(rows);
        json_decref(counts);
        json_decref(thresholds);
        json_decref(unmatched);
        return -ENOMEM;
    }
    json_object_set_new(o, "schema", json_string(PB_COMPARE_SCHEMA));
    json_object_set_new(o, "base", doc_json(c->base));
    json_object_set_new(o, "new", doc_json(c->new_doc));
    json_object_set_new(o, "warnings", strlist_json(&c->warnings));
    json_object_set_new(o, "alpha", num(c->opts.alpha));
    for (int m = 0; m < PB_METRIC_COUNT; m++)
        if (c->opts.metrics[m])
            json_object_set_new(thresholds, pb_metric_def(m)->name, num(c->opts.threshold[m]));
    json_object_set_new(o, "thresholds", thresholds);
    json_object_set_new(o, "ci_level", num(1.0 - c->opts.alpha));
    json_object_set_new(o, "holm_family", json_integer((json_int_t)c->family));
    json_object_set_new(unmatched, "base_only", strlist_json(&c->base_only));
    json_object_set_new(unmatched, "new_only", strlist_json(&c->new_only));
    json_object_set_new(o, "unmatched", unmatched);
    for (size_t i = 0; i < c->nrows; i++)
        json_array_append_new(rows, row_json(c, &c->rows[i]));
    json_object_set_new(o, "comparisons", rows);
    for (int v = 0; v < PB_VERDICT_COUNT; v++)
        json_object_set_new(counts, pb_verdict_key(v), json_integer((json_int_t)c->counts[v]));
    json_object_set_new(o, "counts", counts);
    json_object_set_new(o, "regression", json_boolean(pb_compare_has_regression(c)));
    *out = o;
    return 0;
}
