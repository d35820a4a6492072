/* Comparing two result documents case by case and metric by metric: a rank test, the
 * Hodges-Lehmann ratio with its interval, Holm's adjustment and a verdict per comparison, all on
 * typed cases matched by their key. */
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
    [PB_VERDICT_BUSY] = "not measurable here (machine busy)",
};

static const char *const verdict_keys[PB_VERDICT_COUNT] = {
    [PB_VERDICT_SAME] = "unchanged",          [PB_VERDICT_REGRESSION] = "regression",
    [PB_VERDICT_IMPROVEMENT] = "improvement", [PB_VERDICT_TOO_FEW] = "too_few_samples",
    [PB_VERDICT_INVALID] = "invalid",         [PB_VERDICT_BUSY] = "busy",
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
    if (!rc && !pb_doc_complete(c->base))
        rc = strlist_add(&c->warnings, "base document is incomplete (stop reason: %s)",
                         pb_doc_str(c->base, NULL, "stop_reason"));
    if (!rc && !pb_doc_complete(c->new_doc))
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

/* A side measured on a busy machine decides nothing, neither a change nor its absence. */
static void judge_machine(struct pb_comparison *row)
{
    int decided = row->verdict == PB_VERDICT_SAME || row->verdict == PB_VERDICT_REGRESSION ||
                  row->verdict == PB_VERDICT_IMPROVEMENT;
    if (decided && (pb_case_untrusted(row->base_case) || pb_case_untrusted(row->new_case)))
        row->verdict = PB_VERDICT_BUSY;
}

static int add_row(struct pb_compare *c, size_t *cap, const struct pb_case_result *bc,
                   const struct pb_case_result *nc, enum pb_metric m)
{
    struct pb_comparison row = {.base_case = bc, .new_case = nc, .name = bc->info.id};
    int present = 0;
    int rc;

    rc = compare_metric(c, &row, m, &present);
    if (rc < 0 || !present)
        return rc;
    if (c->nrows == *cap) {
        size_t ncap = *cap ? 2 * *cap : 16;
        struct pb_comparison *v = realloc(c->rows, ncap * sizeof(*v));
        if (!v)
            return -ENOMEM;
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
        judge_machine(&c->rows[i]);
        c->counts[c->rows[i].verdict]++;
    }
out:
    free(p);
    return rc;
}

/* Cases pair by their key (a document holds each key once): base order, then what only the new
 * document has. */
static int match_cases(struct pb_compare *c)
{
    size_t nn = c->new_doc->ncases, cap = 0;
    char *used = calloc(nn + 1, 1);
    int rc = 0;

    if (!used)
        return -ENOMEM;
    for (size_t i = 0; i < c->base->ncases && rc == 0; i++) {
        const struct pb_case_result *bc = &c->base->cases[i];
        long j = pb_doc_find(c->new_doc, bc->info.id);
        if (j < 0) {
            rc = strlist_add(&c->base_only, "%s", bc->info.id);
            continue;
        }
        used[j] = 1;
        c->matched++;
        for (int m = 0; m < PB_METRIC_COUNT && rc == 0; m++)
            if (c->opts.metrics[m])
                rc = add_row(c, &cap, bc, &c->new_doc->cases[j], (enum pb_metric)m);
    }
    for (size_t j = 0; j < nn && rc == 0; j++)
        if (!used[j])
            rc = strlist_add(&c->new_only, "%s", c->new_doc->cases[j].info.id);
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
