/* Comparing two result documents case by case and metric by metric: a rank test, the
 * Hodges-Lehmann ratio with its interval, Holm's adjustment and a verdict per comparison. */
#include "harness/compare.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "harness/stats.h"

void pb_compare_opts_init(struct pb_compare_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->alpha = 0.01;
    for (int m = 0; m < PB_METRIC_COUNT; m++) {
        o->threshold[m] = 0.05;
        /* Wall time is the inverse of throughput for a fixed task count: comparing both would
         * count one effect twice in the Holm family. */
        o->metrics[m] = pb_metric_def(m)->headline;
    }
}

static const char *const verdict_labels[PB_VERDICT_COUNT] = {
    [PB_VERDICT_SAME] = "~",
    [PB_VERDICT_REGRESSION] = "REGRESSION",
    [PB_VERDICT_IMPROVEMENT] = "IMPROVEMENT",
    [PB_VERDICT_TOO_FEW] = "too few samples",
    [PB_VERDICT_INVALID] = "n/a (value <= 0)",
};

static const char *const verdict_keys[PB_VERDICT_COUNT] = {
    [PB_VERDICT_SAME] = "unchanged",          [PB_VERDICT_REGRESSION] = "regression",
    [PB_VERDICT_IMPROVEMENT] = "improvement", [PB_VERDICT_TOO_FEW] = "too_few_samples",
    [PB_VERDICT_INVALID] = "invalid",
};

const char *pb_verdict_label(enum pb_verdict v)
{
    return v < PB_VERDICT_COUNT ? verdict_labels[v] : "?";
}

const char *pb_verdict_key(enum pb_verdict v)
{
    return v < PB_VERDICT_COUNT ? verdict_keys[v] : "?";
}

__attribute__((format(printf, 2, 3))) static int strlist_add(struct pb_strlist *l, const char *fmt,
                                                             ...)
{
    va_list ap;
    char *s = NULL;
    int len;

    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        char **v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    va_start(ap, fmt);
    len = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (len < 0)
        return -ENOMEM;
    l->v[l->n++] = s;
    return 0;
}

static void strlist_free(struct pb_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

static int warn_if_differs(struct pb_compare *c, const char *what, const char *obj, const char *key)
{
    const char *a = pb_doc_str(c->base, obj, key), *b = pb_doc_str(c->new_doc, obj, key);

    if (strcmp(a, b) == 0)
        return 0;
    return strlist_add(&c->warnings, "different %s: %s (base) vs %s (new)", what, *a ? a : "?",
                       *b ? b : "?");
}

static int add_warnings(struct pb_compare *c)
{
    int rc = 0;

    rc = rc ? rc : warn_if_differs(c, "hosts", "host", "hostname");
    rc = rc ? rc : warn_if_differs(c, "CPU models", "host", "cpu_model");
    rc = rc ? rc : warn_if_differs(c, "build types", "tool", "build_type");
    rc = rc ? rc : warn_if_differs(c, "sanitizers", "tool", "sanitizer");
    if (!rc && json_is_false(json_object_get(c->base->root, "complete")))
        rc = strlist_add(&c->warnings, "base document is incomplete (stop reason: %s)",
                         pb_doc_str(c->base, NULL, "stop_reason"));
    if (!rc && json_is_false(json_object_get(c->new_doc->root, "complete")))
        rc = strlist_add(&c->warnings, "new document is incomplete (stop reason: %s)",
                         pb_doc_str(c->new_doc, NULL, "stop_reason"));
    return rc;
}

static double median_of(const double *x, size_t n)
{
    double *copy;
    double med;

    if (n == 0)
        return 0.0;
    copy = malloc(n * sizeof(*copy));
    if (!copy)
        return NAN;
    memcpy(copy, x, n * sizeof(*copy));
    med = pb_median(copy, n);
    free(copy);
    return med;
}

/* Fills one row from the two cases' samples of metric m; *present is 0 when neither side has
 * the metric (no row). */
static int compare_metric(struct pb_compare *c, struct pb_comparison *row, enum pb_metric m,
                          int *present)
{
    double *xb = NULL, *xn = NULL;
    int rc;

    row->metric = m;
    rc = pb_case_samples(row->base_case, m, &xb, &row->n_base);
    if (rc == 0)
        rc = pb_case_samples(row->new_case, m, &xn, &row->n_new);
    if (rc < 0)
        goto out;
    *present = row->n_base || row->n_new;
    row->base_median = median_of(xb, row->n_base);
    row->new_median = median_of(xn, row->n_new);
    row->verdict = PB_VERDICT_TOO_FEW;
    if (row->n_base == 0 || row->n_new == 0)
        goto out;
    rc = pb_hodges_lehmann_ratio(xb, row->n_base, xn, row->n_new, c->opts.alpha, &row->ratio);
    if (rc == -EDOM) {
        row->verdict = PB_VERDICT_INVALID;
        rc = 0;
        goto out;
    }
    if (rc < 0)
        goto out;
    rc = pb_mwu_test(xb, row->n_base, xn, row->n_new, PB_MWU_AUTO, &row->test);
    if (rc < 0)
        goto out;
    row->tested = 1;
out:
    free(xb);
    free(xn);
    return rc;
}

static void decide(struct pb_compare *c, struct pb_comparison *row)
{
    const struct pb_metric_def *def = pb_metric_def(row->metric);
    double t = c->opts.threshold[row->metric];
    double alpha = c->opts.alpha;
    double family = (double)(c->family ? c->family : 1);
    int worse, better;

    if (!row->tested) {
        if (row->verdict == PB_VERDICT_TOO_FEW)
            row->need = pb_mwu_need(alpha / family);
        return;
    }
    /* Holm multiplies the smallest p of the family by its size, so with fewer samples than
     * this no comparison could ever be called: say so instead of "~". Tied values (latency
     * percentiles are histogram buckets) are tested with the normal approximation, whose
     * smallest p is larger than the exact test's: they need more samples. */
    if (row->test.min_p * family >= alpha) {
        row->verdict = PB_VERDICT_TOO_FEW;
        row->need = row->test.method == PB_MWU_EXACT ? pb_mwu_need(alpha / family)
                                                     : pb_mwu_need_asymptotic(alpha / family);
        return;
    }
    row->verdict = PB_VERDICT_SAME;
    if (!(row->p_adjusted < alpha))
        return;
    if (def->bigger_is_better) {
        worse = row->ratio.high < 1.0 - t;
        better = row->ratio.low > 1.0 + t;
    } else {
        worse = row->ratio.low > 1.0 + t;
        better = row->ratio.high < 1.0 - t;
    }
    if (worse)
        row->verdict = PB_VERDICT_REGRESSION;
    else if (better)
        row->verdict = PB_VERDICT_IMPROVEMENT;
}

static int add_row(struct pb_compare *c, size_t *cap, const json_t *bc, const json_t *nc,
                   enum pb_metric m)
{
    struct pb_comparison row = {.base_case = bc, .new_case = nc};
    int present = 0;
    int rc;

    rc = compare_metric(c, &row, m, &present);
    if (rc < 0 || !present)
        return rc;
    rc = pb_case_name(bc, &row.name);
    if (rc < 0)
        return rc;
    if (c->nrows == *cap) {
        size_t ncap = *cap ? 2 * *cap : 16;
        struct pb_comparison *v = realloc(c->rows, ncap * sizeof(*v));
        if (!v) {
            free(row.name);
            return -ENOMEM;
        }
        c->rows = v;
        *cap = ncap;
    }
    c->rows[c->nrows++] = row;
    return 0;
}

static int adjust(struct pb_compare *c)
{
    double *p = NULL;
    size_t k = 0;
    int rc = 0;

    for (size_t i = 0; i < c->nrows; i++)
        c->family += c->rows[i].tested;
    if (c->family) {
        p = malloc(c->family * sizeof(*p));
        if (!p)
            return -ENOMEM;
        for (size_t i = 0; i < c->nrows; i++)
            if (c->rows[i].tested)
                p[k++] = c->rows[i].test.p;
        rc = pb_holm(p, c->family, p);
        if (rc < 0)
            goto out;
        k = 0;
        for (size_t i = 0; i < c->nrows; i++)
            if (c->rows[i].tested)
                c->rows[i].p_adjusted = p[k++];
    }
    for (size_t i = 0; i < c->nrows; i++) {
        decide(c, &c->rows[i]);
        c->counts[c->rows[i].verdict]++;
    }
out:
    free(p);
    return rc;
}

static int match_cases(struct pb_compare *c)
{
    size_t nb = pb_doc_case_count(c->base), nn = pb_doc_case_count(c->new_doc);
    char **bkeys = calloc(nb + 1, sizeof(*bkeys)), **nkeys = calloc(nn + 1, sizeof(*nkeys));
    char *used = calloc(nn + 1, 1);
    size_t cap = 0;
    int rc = -ENOMEM;

    if (!bkeys || !nkeys || !used)
        goto out;
    for (size_t i = 0; i < nb; i++)
        if ((rc = pb_case_key(pb_doc_case(c->base, i), &bkeys[i])) < 0)
            goto out;
    for (size_t j = 0; j < nn; j++)
        if ((rc = pb_case_key(pb_doc_case(c->new_doc, j), &nkeys[j])) < 0)
            goto out;
    rc = 0;
    for (size_t i = 0; i < nb && rc == 0; i++) {
        const json_t *bc = pb_doc_case(c->base, i);
        size_t j;
        for (j = 0; j < nn; j++)
            if (!used[j] && strcmp(bkeys[i], nkeys[j]) == 0)
                break;
        if (j == nn) {
            char *name = NULL;
            rc = pb_case_name(bc, &name);
            if (rc == 0)
                rc = strlist_add(&c->base_only, "%s", name);
            free(name);
            continue;
        }
        used[j] = 1;
        for (int m = 0; m < PB_METRIC_COUNT && rc == 0; m++)
            if (c->opts.metrics[m])
                rc = add_row(c, &cap, bc, pb_doc_case(c->new_doc, j), (enum pb_metric)m);
    }
    for (size_t j = 0; j < nn && rc == 0; j++) {
        char *name = NULL;
        if (used[j])
            continue;
        rc = pb_case_name(pb_doc_case(c->new_doc, j), &name);
        if (rc == 0)
            rc = strlist_add(&c->new_only, "%s", name);
        free(name);
    }
out:
    for (size_t i = 0; bkeys && i < nb; i++)
        free(bkeys[i]);
    for (size_t j = 0; nkeys && j < nn; j++)
        free(nkeys[j]);
    free(bkeys);
    free(nkeys);
    free(used);
    return rc;
}

int pb_compare_run(const struct pb_doc *base, const struct pb_doc *new_doc,
                   const struct pb_compare_opts *opts, struct pb_compare **out, struct pb_err *err)
{
    struct pb_compare *c = calloc(1, sizeof(*c));
    int rc = -ENOMEM;

    if (!c)
        goto out;
    c->base = base;
    c->new_doc = new_doc;
    c->opts = *opts;
    rc = add_warnings(c);
    if (rc == 0)
        rc = match_cases(c);
    if (rc == 0)
        rc = adjust(c);
out:
    if (rc < 0) {
        pb_compare_destroy(c);
        return pb_err_set(err, rc, "compare: %s", strerror(-rc));
    }
    *out = c;
    return 0;
}

void pb_compare_destroy(struct pb_compare *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nrows; i++)
        free(c->rows[i].name);
    free(c->rows);
    strlist_free(&c->warnings);
    strlist_free(&c->base_only);
    strlist_free(&c->new_only);
    free(c);
}

int pb_compare_has_regression(const struct pb_compare *c)
{
    return c->counts[PB_VERDICT_REGRESSION] > 0;
}

/* ---- formatting ---- */

void pb_fmt_metric(char *buf, size_t len, enum pb_metric m, double v)
{
    static const char *const si[] = {"", "k", "M", "G", "T"};
    static const char *const times[] = {"ns", "us", "ms", "s"};

    if (!isfinite(v)) {
        snprintf(buf, len, "-");
        return;
    }
    const char *unit = pb_metric_def(m)->unit;
    if (strcmp(unit, "tasks/s") == 0) {
        int i = 0;
        while (fabs(v) >= 1000.0 && i < 4) {
            v /= 1000.0;
            i++;
        }
        snprintf(buf, len, "%.4g%s/s", v, si[i]);
    } else if (strcmp(unit, "s") == 0) {
        snprintf(buf, len, "%.4g s", v);
    } else if (strcmp(unit, "bytes") == 0) {
        snprintf(buf, len, "%.4g MB", v / 1e6);
    } else { /* ns */
        int i = 0;
        while (fabs(v) >= 1000.0 && i < 3) {
            v /= 1000.0;
            i++;
        }
        snprintf(buf, len, "%.4g %s", v, times[i]);
    }
}

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

    pb_fmt_metric(s->base, sizeof(s->base), r->metric, r->n_base ? r->base_median : NAN);
    pb_fmt_metric(s->new_, sizeof(s->new_), r->metric, r->n_new ? r->new_median : NAN);
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
}

static void doc_line(const struct pb_doc *d, char *buf, size_t len)
{
    const char *commit = pb_doc_str(d, "tool", "git_commit");
    snprintf(buf, len, "%s (host %s, %s, %s build, commit %s, %s)", d->path,
             pb_doc_str(d, "host", "hostname"), pb_doc_str(d, "host", "cpu_model"),
             pb_doc_str(d, "tool", "build_type"), *commit ? commit : "?",
             pb_doc_str(d, NULL, "started_at"));
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
static void row_columns(const struct pb_comparison *r, struct cells *s, const char *cols[NCOL])
{
    row_cells(r, s);
    const char *v[NCOL] = {
        r->name,   pb_metric_def(r->metric)->name, s->base, s->new_, s->change, s->ci, s->p,
        s->verdict};
    memcpy(cols, v, sizeof(v));
}

int pb_compare_print_text(const struct pb_compare *c, FILE *out)
{
    char line[1024], ci_head[32];
    const char *heads[NCOL] = {"case",   "metric", "base",     "new",
                               "change", ci_head,  "p (Holm)", "verdict"};
    const int right[NCOL] = {0, 0, 1, 1, 1, 0, 1, 0};
    int w[NCOL];
    struct cells s;
    const char *cols[NCOL];

    snprintf(ci_head, sizeof(ci_head), "%g%% CI", ci_percent(c));
    doc_line(c->base, line, sizeof(line));
    fprintf(out, "base: %s\n", line);
    doc_line(c->new_doc, line, sizeof(line));
    fprintf(out, "new:  %s\n", line);
    for (size_t i = 0; i < c->warnings.n; i++)
        fprintf(out, "warning: %s\n", c->warnings.v[i]);
    fputc('\n', out);

    for (int k = 0; k < NCOL; k++)
        w[k] = text_width(heads[k]);
    for (size_t i = 0; i < c->nrows; i++) {
        row_columns(&c->rows[i], &s, cols);
        for (int k = 0; k < NCOL; k++)
            if (text_width(cols[k]) > w[k])
                w[k] = text_width(cols[k]);
    }
    for (int k = 0; k < NCOL; k++) {
        pad(out, heads[k], k == NCOL - 1 ? 0 : w[k], right[k]);
        fputs(k == NCOL - 1 ? "\n" : "  ", out);
    }
    for (size_t i = 0; i < c->nrows; i++) {
        row_columns(&c->rows[i], &s, cols);
        for (int k = 0; k < NCOL; k++) {
            pad(out, cols[k], k == NCOL - 1 ? 0 : w[k], right[k]);
            fputs(k == NCOL - 1 ? "\n" : "  ", out);
        }
    }
    if (c->nrows == 0)
        fputs("(no case appears in both documents)\n", out);
    fputc('\n', out);
    for (size_t i = 0; i < c->base_only.n; i++)
        fprintf(out, "only in base: %s\n", c->base_only.v[i]);
    for (size_t i = 0; i < c->new_only.n; i++)
        fprintf(out, "only in new: %s\n", c->new_only.v[i]);
    print_counts(c, out);
    fprintf(out, "\nalpha %g after Holm-Bonferroni over %zu comparison%s, ", c->opts.alpha,
            c->family, c->family == 1 ? "" : "s");
    print_thresholds(c, out);
    fputs("; change and CI: Hodges-Lehmann ratio new/base\n", out);
    return ferror(out) ? -EIO : 0;
}

/* Text from documents goes into Markdown that GitHub renders as HTML: markup characters are
 * escaped so a name can neither break the table nor inject tags. */
static void md_escaped(FILE *out, const char *s)
{
    for (; *s; s++) {
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
        case '\n':
        case '\r':
            fputc(' ', out);
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
    print_counts(c, out);
    fprintf(out, ". Alpha %g after Holm-Bonferroni over %zu comparison%s, ", c->opts.alpha,
            c->family, c->family == 1 ? "" : "s");
    print_thresholds(c, out);
    fputs("; change and CI: Hodges-Lehmann ratio new/base.\n", out);
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
    json_object_set_new(o, "complete",
                        json_boolean(!json_is_false(json_object_get(d->root, "complete"))));
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
    json_t *o = json_object();
    long long conc = pb_case_concurrency(r->base_case);

    json_object_set_new(o, "case", json_string(r->name));
    json_object_set_new(o, "runner", json_string(pb_case_str(r->base_case, "runner")));
    json_object_set_new(o, "workload", json_string(pb_case_str(r->base_case, "workload")));
    json_object_set_new(o, "concurrency", conc >= 0 ? json_integer(conc) : json_null());
    json_object_set_new(o, "metric", json_string(def->name));
    json_object_set_new(o, "unit", json_string(def->unit));
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
