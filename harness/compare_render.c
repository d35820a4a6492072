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
    char n[32], base[32], new_[32], change[32], ci[48], p[32], verdict[96];
};

static void row_cells(const struct pb_comparison *r, struct cells *s)
{
    char lo[16], hi[16], verdict[64];

    if (r->method == PB_METHOD_WILCOXON)
        snprintf(s->n, sizeof(s->n), "%zu", r->n_base);
    else
        snprintf(s->n, sizeof(s->n), "%zu/%zu", r->n_base, r->n_new);
    pb_format_metric(s->base, sizeof(s->base), r->metric, r->base_median);
    pb_format_metric(s->new_, sizeof(s->new_), r->metric, r->new_median);
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
    if (r->verdict == PB_VERDICT_UNDECIDED && r->need)
        snprintf(verdict, sizeof(verdict), "undecided (need ~%zu %s)", r->need,
                 r->method == PB_METHOD_WILCOXON ? "pairs" : "per side");
    else
        snprintf(verdict, sizeof(verdict), "%s", pb_verdict_label(r->verdict));
    snprintf(s->verdict, sizeof(s->verdict), "%s%s", verdict, r->gated ? "" : " (not gated)");
}

static void print_thresholds(const struct pb_compare *c, FILE *out)
{
    int first = -1, same = 1;

    for (int m = 0; m < PB_METRIC_COUNT; m++) {
        if (!c->opts->metrics[m])
            continue;
        if (first < 0)
            first = m;
        else if (c->opts->threshold[m] != c->opts->threshold[first])
            same = 0;
    }
    if (first < 0)
        return;
    if (same) {
        fprintf(out, "threshold %g%%", c->opts->threshold[first] * 100.0);
        return;
    }
    fputs("thresholds", out);
    for (int m = 0, k = 0; m < PB_METRIC_COUNT; m++)
        if (c->opts->metrics[m])
            fprintf(out, "%s %s %g%%", k++ ? "," : "", pb_metric_def(m)->name,
                    c->opts->threshold[m] * 100.0);
}

static void print_counts(const size_t *counts, FILE *out)
{
    size_t r = counts[PB_VERDICT_REGRESSION], i = counts[PB_VERDICT_IMPROVEMENT];

    fprintf(out, "%zu regression%s, %zu improvement%s, %zu unchanged, %zu undecided", r,
            r == 1 ? "" : "s", i, i == 1 ? "" : "s", counts[PB_VERDICT_SAME],
            counts[PB_VERDICT_UNDECIDED]);
    if (counts[PB_VERDICT_INVALID])
        fprintf(out, ", %zu not comparable", counts[PB_VERDICT_INVALID]);
    if (counts[PB_VERDICT_BUSY])
        fprintf(out, ", %zu not measurable here (machine busy)", counts[PB_VERDICT_BUSY]);
    if (counts[PB_VERDICT_NOISY])
        fprintf(out, ", %zu too noisy to gate", counts[PB_VERDICT_NOISY]);
}

static size_t total(const size_t *counts)
{
    size_t n = 0;
    for (int v = 0; v < PB_VERDICT_COUNT; v++)
        n += counts[v];
    return n;
}

static int uses_method(const struct pb_compare *c, enum pb_compare_method m)
{
    for (size_t i = 0; i < c->nrows; i++)
        if (c->rows[i].method == m)
            return 1;
    return 0;
}

/* The closing lines, one wording for both forms: the counts, then how they were decided. In
 * Markdown they are one paragraph, so each sentence ends with a full stop. */
static void print_footer(const struct pb_compare *c, FILE *out, int md)
{
    const char *end = md ? ".\n" : "\n";

    fputs("gated: ", out);
    print_counts(c->counts, out);
    fputs(end, out);
    if (total(c->reported_counts)) {
        fputs("not gated: ", out);
        print_counts(c->reported_counts, out);
        fputs(end, out);
    }
    fprintf(out, "alpha %g family-wise over %zu gated comparison%s (Bonferroni", c->opts->alpha,
            c->family, c->family == 1 ? "" : "s");
    if (c->opts->nlooks) {
        fputs("; looks at", out);
        for (size_t k = 0; k < c->opts->nlooks; k++)
            fprintf(out, "%s %u", k ? "," : "", c->opts->looks[k]);
        fputs(" pairs, look k at alpha 6/(pi^2 k^2)", out);
    }
    fputs("), ", out);
    print_thresholds(c, out);
    fputs(end, out);
    if (uses_method(c, PB_METHOD_WILCOXON))
        fprintf(out,
                "paired: Wilcoxon signed-rank test of the per-round log ratios, change and "
                "interval the paired Hodges-Lehmann ratio new/base%s",
                end);
    if (uses_method(c, PB_METHOD_MWU))
        fprintf(out,
                "unpaired: Mann-Whitney U, change and interval the Hodges-Lehmann ratio "
                "new/base%s",
                end);
    fprintf(out,
            "unchanged: the interval (at its look's level) inside the threshold; a change: p "
            "below that level and the estimate beyond the threshold; p is scaled to alpha%s",
            end);
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

enum { NCOL = 9 };

/* A row of the text table: the case, the metric, then the formatted cells. */
static void row_columns(const struct pb_comparison *r, const char *name, struct cells *s,
                        const char *cols[NCOL])
{
    row_cells(r, s);
    const char *v[NCOL] = {
        name,      pb_metric_def(r->metric)->name, s->n, s->base, s->new_, s->change, s->ci, s->p,
        s->verdict};
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
    char line[4096];
    const char *heads[NCOL] = {"case",   "metric",   "n",     "base",   "new",
                               "change", "interval", "p adj", "verdict"};
    const int right[NCOL] = {0, 0, 1, 1, 1, 1, 0, 1, 0};
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

/* Text from documents goes into markup: made safe first (control bytes, which XML 1.0 cannot
 * carry at all, become \xNN), then <, > and & as entities, so a name can neither break a table
 * nor inject tags; in Markdown its markup characters are backslashed too, in XML the quote of
 * an attribute value is an entity. */
static void escaped(FILE *out, const char *text, int xml)
{
    char *safe = safe_dup(text);
    for (const char *s = safe ? safe : "?"; *s; s++) {
        if (*s == '<')
            fputs("&lt;", out);
        else if (*s == '>')
            fputs("&gt;", out);
        else if (*s == '&')
            fputs("&amp;", out);
        else if (xml && *s == '"')
            fputs("&quot;", out);
        else if (!xml && strchr("|\\`*[]", *s))
            fprintf(out, "\\%c", *s);
        else
            fputc(*s, out);
    }
    free(safe);
}

static void md_escaped(FILE *out, const char *text)
{
    escaped(out, text, 0);
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
    fputs("| case | metric | n | base | new | change | interval | p adj | verdict |\n", out);
    fputs("|:--|:--|--:|--:|--:|--:|:--|--:|:--|\n", out);
    for (size_t i = 0; i < c->nrows; i++) {
        const struct pb_comparison *r = &c->rows[i];
        row_cells(r, &s);
        fputs("| ", out);
        md_escaped(out, r->name);
        fputs(" | ", out);
        md_escaped(out, pb_metric_def(r->metric)->name);
        fprintf(out, " | %s | %s | %s | %s | %s | %s | ", s.n, s.base, s.new_, s.change, s.ci, s.p);
        if (r->verdict == PB_VERDICT_REGRESSION || r->verdict == PB_VERDICT_IMPROVEMENT)
            fprintf(out, "**%s**", s.verdict);
        else
            md_escaped(out, s.verdict);
        fputs(" |\n", out);
    }
    if (c->nrows == 0)
        fputs("| *no case appears in both documents* | | | | | | | | |\n", out);
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

/* ---- JUnit ---- */

static void xml_escaped(FILE *out, const char *text)
{
    escaped(out, text, 1);
}

static void junit_property(FILE *out, const char *name, const char *value)
{
    fprintf(out, "      <property name=\"%s\" value=\"", name);
    xml_escaped(out, value);
    fputs("\"/>\n", out);
}

/* One line that says everything about a comparison, for the test's message and output. */
static void junit_detail(const struct pb_comparison *r, char *buf, size_t len)
{
    struct cells s;
    row_cells(r, &s);
    snprintf(buf, len, "%s: base %s, new %s, change %s, interval %s, p adj %s, n %s", s.verdict,
             s.base, s.new_, s.change, s.ci, s.p, s.n);
}

/* Jenkins' junit-4.xsd (tests/fixtures/junit) is the strictest reader: skipped carries no
 * attributes, a testcase's children come as skipped, failure, system-out, and properties holds
 * at least one property. GitLab and GitHub's reporters read the same file. */
int pb_compare_print_junit(const struct pb_compare *c, FILE *out)
{
    size_t failures = c->counts[PB_VERDICT_REGRESSION], skipped = 0;
    char buf[1024];

    for (size_t i = 0; i < c->nrows; i++) {
        enum pb_verdict v = c->rows[i].verdict;
        skipped += c->rows[i].gated && v != PB_VERDICT_REGRESSION && v != PB_VERDICT_SAME &&
                   v != PB_VERDICT_IMPROVEMENT;
    }
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
    fprintf(out,
            "<testsuites name=\"parbench compare\" tests=\"%zu\" failures=\"%zu\" errors=\"0\">\n",
            c->family, failures);
    fprintf(out,
            "  <testsuite name=\"parbench compare\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
            "skipped=\"%zu\" hostname=\"",
            c->family, failures, skipped);
    xml_escaped(out, pb_doc_str(c->new_doc, "host", "hostname"));
    fputs("\">\n    <properties>\n", out);
    junit_property(out, "base", c->base->path);
    junit_property(out, "new", c->new_doc->path);
    snprintf(buf, sizeof(buf), "%g", c->opts->alpha);
    junit_property(out, "alpha", buf);
    snprintf(buf, sizeof(buf), "%zu", c->family);
    junit_property(out, "family", buf);
    fputs("    </properties>\n", out);
    for (size_t i = 0; i < c->nrows; i++) {
        const struct pb_comparison *r = &c->rows[i];
        if (!r->gated)
            continue;
        junit_detail(r, buf, sizeof(buf));
        fputs("    <testcase classname=\"", out);
        xml_escaped(out, r->name);
        fprintf(out, "\" name=\"%s\" time=\"0\">\n", pb_metric_def(r->metric)->name);
        if (r->verdict == PB_VERDICT_REGRESSION) {
            fputs("      <failure type=\"regression\" message=\"", out);
            xml_escaped(out, buf);
            fputs("\">", out);
            xml_escaped(out, buf);
            fputs("</failure>\n", out);
        } else if (r->verdict != PB_VERDICT_SAME && r->verdict != PB_VERDICT_IMPROVEMENT) {
            fputs("      <skipped>", out);
            xml_escaped(out, buf);
            fputs("</skipped>\n", out);
        }
        fputs("      <system-out>", out);
        xml_escaped(out, buf);
        fputs("</system-out>\n    </testcase>\n", out);
    }
    fputs("  </testsuite>\n</testsuites>\n", out);
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

static const char *method_name(const struct pb_comparison *r)
{
    switch (r->method) {
    case PB_METHOD_WILCOXON:
        return "wilcoxon";
    case PB_METHOD_MWU:
        return "mann-whitney";
    default:
        return NULL;
    }
}

static json_t *row_json(const struct pb_compare *c, const struct pb_comparison *r)
{
    const struct pb_metric_def *def = pb_metric_def(r->metric);
    const struct pb_case_info *info = &r->base_case->info;
    const char *method = method_name(r);
    json_t *o = json_object();

    json_object_set_new(o, "case", json_string(r->name));
    json_object_set_new(o, "runner", json_string(info->runner));
    json_object_set_new(o, "workload", json_string(info->workload));
    json_object_set_new(o, "concurrency",
                        info->gather ? json_null() : json_integer(info->concurrency));
    json_object_set_new(o, "metric", json_string(def->name));
    json_object_set_new(o, "unit", json_string(def->unit_name));
    json_object_set_new(o, "bigger_is_better", json_boolean(def->bigger_is_better));
    json_object_set_new(o, "gated", json_boolean(r->gated));
    json_object_set_new(o, "paired", json_boolean(r->method == PB_METHOD_WILCOXON));
    json_object_set_new(o, "method", method ? json_string(method) : json_null());
    json_object_set_new(o, "n_base", json_integer((json_int_t)r->n_base));
    json_object_set_new(o, "n_new", json_integer((json_int_t)r->n_new));
    json_object_set_new(o, "pairs", json_integer((json_int_t)r->pairs));
    json_object_set_new(o, "busy_pairs", json_integer((json_int_t)r->busy_pairs));
    json_object_set_new(o, "base_median", r->n_base ? num(r->base_median) : json_null());
    json_object_set_new(o, "new_median", r->n_new ? num(r->new_median) : json_null());
    if (r->tested) {
        json_object_set_new(o, "ratio", num(r->ratio.estimate));
        json_object_set_new(o, "change_pct", num((r->ratio.estimate - 1.0) * 100.0));
        json_object_set_new(o, "ci_low", num(r->ratio.low));
        json_object_set_new(o, "ci_high", num(r->ratio.high));
        json_object_set_new(o, "ci_level", num(r->ratio.level));
        json_object_set_new(o, "p", num(r->p));
        json_object_set_new(o, "p_adjusted", num(r->p_adjusted));
        json_object_set_new(o, "level_alpha", num(r->level_alpha));
        json_object_set_new(o, "look", json_integer((json_int_t)r->look));
        json_object_set_new(o, "test", json_string(r->exact ? "exact" : "asymptotic"));
    } else {
        const char *keys[] = {"ratio", "change_pct", "ci_low",      "ci_high", "ci_level",
                              "p",     "p_adjusted", "level_alpha", "look",    "test"};
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
            json_object_set_new(o, keys[k], json_null());
    }
    json_object_set_new(o, "threshold", num(c->opts->threshold[r->metric]));
    json_object_set_new(o, "verdict", json_string(pb_verdict_key(r->verdict)));
    json_object_set_new(o, "need",
                        r->verdict == PB_VERDICT_UNDECIDED && r->need
                            ? json_integer((json_int_t)r->need)
                            : json_null());
    return o;
}

static json_t *counts_json(const size_t *counts)
{
    json_t *o = json_object();
    for (int v = 0; v < PB_VERDICT_COUNT; v++)
        json_object_set_new(o, pb_verdict_key(v), json_integer((json_int_t)counts[v]));
    return o;
}

int pb_compare_to_json(const struct pb_compare *c, json_t **out)
{
    json_t *o = json_object(), *rows = json_array(), *looks = json_array(),
           *thresholds = json_object(), *unmatched = json_object();

    if (!o || !rows || !looks || !thresholds || !unmatched) {
        json_decref(o);
        json_decref(rows);
        json_decref(looks);
        json_decref(thresholds);
        json_decref(unmatched);
        return -ENOMEM;
    }
    json_object_set_new(o, "schema", json_string(PB_COMPARE_SCHEMA));
    json_object_set_new(o, "base", doc_json(c->base));
    json_object_set_new(o, "new", doc_json(c->new_doc));
    json_object_set_new(o, "warnings", strlist_json(&c->warnings));
    json_object_set_new(o, "alpha", num(c->opts->alpha));
    for (int m = 0; m < PB_METRIC_COUNT; m++)
        if (c->opts->metrics[m])
            json_object_set_new(thresholds, pb_metric_def(m)->name, num(c->opts->threshold[m]));
    json_object_set_new(o, "thresholds", thresholds);
    json_object_set_new(o, "family", json_integer((json_int_t)c->family));
    for (size_t k = 0; k < c->opts->nlooks; k++)
        json_array_append_new(looks, json_integer(c->opts->looks[k]));
    json_object_set_new(o, "looks", looks);
    json_object_set_new(o, "noisy", strlist_json(&c->opts->noisy));
    json_object_set_new(unmatched, "base_only", strlist_json(&c->base_only));
    json_object_set_new(unmatched, "new_only", strlist_json(&c->new_only));
    json_object_set_new(o, "unmatched", unmatched);
    for (size_t i = 0; i < c->nrows; i++)
        json_array_append_new(rows, row_json(c, &c->rows[i]));
    json_object_set_new(o, "comparisons", rows);
    json_object_set_new(o, "counts", counts_json(c->counts));
    json_object_set_new(o, "reported_counts", counts_json(c->reported_counts));
    json_object_set_new(o, "regression", json_boolean(pb_compare_has_regression(c)));
    *out = o;
    return 0;
}
