/* The regression gate (harness/compare.h): typed cases matched by their key, each selected metric
 * tested paired or unpaired, every verdict one of three honest outcomes at the level its look
 * allows. */
#include "harness/compare.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "harness/registry.h"
#include "harness/stats.h"
#include "harness/workload.h"

/* Beyond this an estimate of the samples needed says nothing useful. */
#define NEED_MAX 100000

void pb_compare_opts_init(struct pb_compare_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->alpha = 0.05;
    o->gate_auto = 1;
    for (int m = 0; m < PB_METRIC_COUNT; m++) {
        o->threshold[m] = 0.05;
        o->metrics[m] = pb_metric_def(m)->headline;
    }
}

void pb_compare_opts_free(struct pb_compare_opts *o)
{
    pb_strlist_free(&o->noisy);
}

static const char *const verdict_labels[PB_VERDICT_COUNT] = {
    [PB_VERDICT_SAME] = "unchanged",
    [PB_VERDICT_REGRESSION] = "REGRESSION",
    [PB_VERDICT_IMPROVEMENT] = "IMPROVEMENT",
    [PB_VERDICT_UNDECIDED] = "undecided",
    [PB_VERDICT_INVALID] = "n/a (value <= 0)",
    [PB_VERDICT_BUSY] = "not measurable here (machine busy)",
    [PB_VERDICT_NOISY] = "too noisy to gate",
};

static const char *const verdict_keys[PB_VERDICT_COUNT] = {
    [PB_VERDICT_SAME] = "unchanged",
    [PB_VERDICT_REGRESSION] = "regression",
    [PB_VERDICT_IMPROVEMENT] = "improvement",
    [PB_VERDICT_UNDECIDED] = "undecided",
    [PB_VERDICT_INVALID] = "invalid",
    [PB_VERDICT_BUSY] = "busy",
    [PB_VERDICT_NOISY] = "noisy",
};

const char *pb_verdict_label(enum pb_verdict v)
{
    return v < PB_VERDICT_COUNT ? verdict_labels[v] : "?";
}

const char *pb_verdict_key(enum pb_verdict v)
{
    return v < PB_VERDICT_COUNT ? verdict_keys[v] : "?";
}

double pb_compare_spend(size_t k)
{
    return 6.0 / (M_PI * M_PI * (double)k * (double)k);
}

int pb_strlist_add(struct pb_strlist *l, const char *fmt, ...)
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

int pb_strlist_has(const struct pb_strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return 1;
    return 0;
}

void pb_strlist_free(struct pb_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

static int warn_if_differs(struct pb_compare *c, const char *what, const char *obj, const char *key)
{
    const char *a = pb_doc_str(c->base, obj, key), *b = pb_doc_str(c->new_doc, obj, key);

    if (strcmp(a, b) == 0)
        return 0;
    return pb_strlist_add(&c->warnings, "different %s: %s (base) vs %s (new)", what, *a ? a : "?",
                          *b ? b : "?");
}

/* A document's plug-in of that name, or NULL. */
static const json_t *plugin_named(const struct pb_doc *d, const char *name)
{
    const json_t *list = json_object_get(d->root, "plugins"), *p;
    size_t i;
    json_array_foreach(list, i, p)
    {
        const char *n = json_string_value(json_object_get(p, "name"));
        if (n && strcmp(n, name) == 0)
            return p;
    }
    return NULL;
}

static const char *plugin_str(const json_t *p, const char *key)
{
    const char *v = json_string_value(json_object_get(p, key));
    return v ? v : "?";
}

/* A plug-in the two sides ran in different builds (or one side only) measures different code. */
static int warn_plugins(struct pb_compare *c, const struct pb_doc *d, const struct pb_doc *other,
                        const char *side, const char *other_side)
{
    const json_t *list = json_object_get(d->root, "plugins"), *p;
    size_t i;
    json_array_foreach(list, i, p)
    {
        const char *name = json_string_value(json_object_get(p, "name"));
        const json_t *q = name ? plugin_named(other, name) : NULL;
        int rc = 0;
        if (!name)
            continue;
        if (!q)
            rc = pb_strlist_add(&c->warnings, "plug-in %s ran only in the %s document", name, side);
        else if (d == c->base && strcmp(plugin_str(p, "sha256"), plugin_str(q, "sha256")))
            rc = pb_strlist_add(&c->warnings,
                                "different builds of plug-in %s: version %s, sha256 %.12s (%s) "
                                "vs version %s, sha256 %.12s (%s)",
                                name, plugin_str(p, "version"), plugin_str(p, "sha256"), side,
                                plugin_str(q, "version"), plugin_str(q, "sha256"), other_side);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int add_warnings(struct pb_compare *c)
{
    int rc = 0;

    rc = rc ? rc : warn_if_differs(c, "hosts", "host", "hostname");
    rc = rc ? rc : warn_if_differs(c, "CPU models", "host", "cpu_model");
    rc = rc ? rc : warn_if_differs(c, "build types", "tool", "build_type");
    rc = rc ? rc : warn_if_differs(c, "sanitizers", "tool", "sanitizer");
    rc = rc ? rc : warn_plugins(c, c->base, c->new_doc, "base", "new");
    rc = rc ? rc : warn_plugins(c, c->new_doc, c->base, "new", "base");
    if (!rc && !pb_doc_complete(c->base))
        rc = pb_strlist_add(&c->warnings, "base document is incomplete (stop reason: %s)",
                            pb_doc_str(c->base, NULL, "stop_reason"));
    if (!rc && !pb_doc_complete(c->new_doc))
        rc = pb_strlist_add(&c->warnings, "new document is incomplete (stop reason: %s)",
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

/* The level of look k of a gated comparison (or of a reported one, tested alike). */
static double look_level(const struct pb_compare *c, size_t k)
{
    double family = (double)(c->family ? c->family : 1);
    return c->opts->alpha * (c->opts->nlooks ? pb_compare_spend(k) : 1.0) / family;
}

/* The three outcomes from an interval at the look's level and the test's p. */
static enum pb_verdict verdict_of(const struct pb_comparison *r, double gamma, double t)
{
    const struct pb_hl *h = &r->ratio;
    int bigger_better = pb_metric_def(r->metric)->bigger_is_better;

    if (h->level < 1.0 - gamma - 1e-12)
        return PB_VERDICT_UNDECIDED; /* too few samples for an interval at this level */
    if (h->low >= 1.0 - t && h->high <= 1.0 + t)
        return PB_VERDICT_SAME;
    /* A significant change whose estimate is still inside the threshold may yet prove small. */
    if (r->p < gamma && (h->low > 1.0 || h->high < 1.0) && fabs(h->estimate - 1.0) > t) {
        int up = h->estimate > 1.0;
        return up == bigger_better ? PB_VERDICT_IMPROVEMENT : PB_VERDICT_REGRESSION;
    }
    return PB_VERDICT_UNDECIDED;
}

/* How many samples would likely decide an undecided comparison: the interval's half-width
 * shrinks as 1/sqrt(n), so n (w / w')^2, with w' the half-width that would put the interval
 * inside the threshold or wholly beyond no change (whichever is nearer), and never below the
 * samples the test needs to reach the next level at all. */
static size_t need_of(const struct pb_comparison *r, size_t n, double t, size_t min_n)
{
    const struct pb_hl *h = &r->ratio;
    double e = log(h->estimate), w = (log(h->high) - log(h->low)) / 2.0;
    double band = log(1.0 + t) - fabs(e), away = fabs(e);
    double target = band > away ? band : away, need;

    if (!(w > 0) || !(target > 0) || h->level < 0.5)
        need = (double)(2 * n);
    else
        need = ceil((double)n * (w / target) * (w / target));
    if (need < (double)min_n)
        need = (double)min_n;
    if (need <= (double)n)
        need = (double)n + 1;
    return need > NEED_MAX ? NEED_MAX : (size_t)need;
}

/* ---- paired ---- */

/* One look at the first n pairs of ratios. */
static int look_paired(struct pb_comparison *r, const double *ratio, size_t n, double gamma)
{
    double *d = malloc(n * sizeof(*d));
    struct pb_wsr w;
    int rc;

    if (!d)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        d[i] = log(ratio[i]);
    rc = pb_hodges_lehmann_paired_ratio(ratio, n, gamma, &r->ratio);
    if (rc == 0) {
        rc = pb_wilcoxon_test(d, n, PB_WSR_AUTO, &w);
        if (rc == -EINVAL) { /* every ratio exactly 1: no sign to test, and no change */
            w = (struct pb_wsr){.p = 1.0, .method = PB_WSR_EXACT};
            rc = 0;
        }
    }
    free(d);
    if (rc < 0)
        return rc;
    r->p = w.p;
    r->exact = w.method == PB_WSR_EXACT;
    return 0;
}

/* The best value of metric m among c's complete repetitions of round k that the machine did not
 * disturb: the highest throughput, the lowest latency. A shared machine's disturbances only
 * slow a run down, so the best of a round's few short repetitions is its most repeatable value
 * (the reasoning of Chen and Revels 2016, behind Julia BenchmarkTools' minimum). *seen: some
 * repetition of the round had the metric at all. NAN when every one of them was busy. */
static double round_best(const struct pb_case_result *c, unsigned k,
                         const struct pb_metric_def *def, int *seen)
{
    double best = NAN;

    *seen = 0;
    for (size_t i = 0; i < c->nreps; i++) {
        const struct pb_rep_result *r = &c->reps[i];
        double v = r->complete && r->round == k ? def->value(r) : NAN;
        if (!isfinite(v))
            continue;
        *seen = 1;
        if (r->machine.busy)
            continue;
        if (isnan(best) || (def->bigger_is_better ? v > best : v < best))
            best = v;
    }
    return best;
}

static int cmp_unsigned(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return (x > y) - (x < y);
}

/* The rounds c ran in, ascending and each once. *out allocated. -ENOMEM. */
static int rounds_of(const struct pb_case_result *c, unsigned **out, size_t *n)
{
    unsigned *v = malloc((c->nreps ? c->nreps : 1) * sizeof(*v));
    size_t k = 0;

    if (!v)
        return -ENOMEM;
    for (size_t i = 0; i < c->nreps; i++)
        if (c->reps[i].complete && c->reps[i].round)
            v[k++] = c->reps[i].round;
    qsort(v, k, sizeof(*v), cmp_unsigned);
    *n = 0;
    for (size_t i = 0; i < k; i++)
        if (*n == 0 || v[*n - 1] != v[i])
            v[(*n)++] = v[i];
    *out = v;
    return 0;
}

/* One ratio new/base per round both sides ran in, in round order. A round where either side
 * was disturbed in every repetition is left out (busy_pairs): the pair, not the side, is lost.
 * *out allocated. -ENOMEM. */
static int paired_ratios(struct pb_comparison *r, double **out, size_t *n)
{
    const struct pb_metric_def *def = pb_metric_def(r->metric);
    unsigned *rounds = NULL;
    size_t nr = 0, k = 0;
    double *v;
    int rc = rounds_of(r->base_case, &rounds, &nr);

    *out = NULL;
    *n = 0;
    if (rc < 0)
        return rc;
    v = malloc((nr ? nr : 1) * sizeof(*v));
    if (!v) {
        free(rounds);
        return -ENOMEM;
    }
    for (size_t i = 0; i < nr; i++) {
        int seen_b, seen_n;
        double bv = round_best(r->base_case, rounds[i], def, &seen_b),
               xv = round_best(r->new_case, rounds[i], def, &seen_n);
        if (!seen_b || !seen_n)
            continue;
        r->pairs++;
        if (isnan(bv) || isnan(xv)) {
            r->busy_pairs++;
        } else if (!(bv > 0) || !(xv > 0)) {
            r->verdict = PB_VERDICT_INVALID;
        } else {
            v[k++] = xv / bv;
        }
    }
    free(rounds);
    *out = v;
    *n = k;
    return 0;
}

/* Replays the looks the job took: the first that decides is the verdict, since the job stopped
 * measuring this comparison there. */
static int decide_paired(struct pb_compare *c, struct pb_comparison *r)
{
    const struct pb_compare_opts *o = c->opts;
    double t = o->threshold[r->metric], *ratio = NULL;
    size_t n = 0;
    int rc = paired_ratios(r, &ratio, &n);

    r->method = PB_METHOD_WILCOXON;
    r->n_base = r->n_new = n;
    if (rc < 0 || r->verdict == PB_VERDICT_INVALID)
        goto out;
    if (r->busy_pairs * 2 > r->pairs) {
        r->verdict = PB_VERDICT_BUSY;
        goto out;
    }
    r->verdict = PB_VERDICT_UNDECIDED;
    if (n == 0)
        goto out;
    r->tested = 1;
    size_t nlooks = o->nlooks ? o->nlooks : 1;
    for (size_t k = 1; k <= nlooks; k++) {
        /* Pairs left out as busy can leave fewer than the look counted: then it saw all. */
        size_t at = o->nlooks && o->looks[k - 1] < n ? o->looks[k - 1] : n;
        r->look = k;
        r->n_base = r->n_new = at;
        r->level_alpha = look_level(c, k);
        if ((rc = look_paired(r, ratio, at, r->level_alpha)) < 0)
            goto out;
        r->verdict = verdict_of(r, r->level_alpha, t);
        if (r->verdict != PB_VERDICT_UNDECIDED || at == n)
            break;
    }
    if (r->verdict == PB_VERDICT_UNDECIDED)
        r->need = need_of(r, r->n_base, t, pb_wsr_need(look_level(c, r->look + 1)));
out:
    free(ratio);
    return rc;
}

/* ---- unpaired ---- */

static int decide_unpaired(struct pb_compare *c, struct pb_comparison *r)
{
    double t = c->opts->threshold[r->metric];
    double *xb = NULL, *xn = NULL;
    struct pb_mwu u;
    int rc;

    r->method = PB_METHOD_MWU;
    r->verdict = PB_VERDICT_UNDECIDED;
    rc = pb_case_samples(r->base_case, r->metric, &xb, &r->n_base);
    if (rc == 0)
        rc = pb_case_samples(r->new_case, r->metric, &xn, &r->n_new);
    if (rc < 0 || r->n_base == 0 || r->n_new == 0)
        goto out;
    if (pb_case_untrusted(r->base_case) || pb_case_untrusted(r->new_case)) {
        r->verdict = PB_VERDICT_BUSY;
        goto out;
    }
    /* Independent samples are looked at once, whatever looks a paired job took. */
    r->level_alpha = c->opts->alpha / (double)(c->family ? c->family : 1);
    r->look = 1;
    rc = pb_hodges_lehmann_ratio(xb, r->n_base, xn, r->n_new, r->level_alpha, &r->ratio);
    if (rc == -EDOM) {
        r->verdict = PB_VERDICT_INVALID;
        rc = 0;
        goto out;
    }
    if (rc < 0 || (rc = pb_mwu_test(xb, r->n_base, xn, r->n_new, PB_MWU_AUTO, &u)) < 0)
        goto out;
    r->tested = 1;
    r->p = u.p;
    r->exact = u.method == PB_MWU_EXACT;
    r->verdict = verdict_of(r, r->level_alpha, t);
    if (r->verdict == PB_VERDICT_UNDECIDED) {
        size_t min_n =
            u.ties ? pb_mwu_need_asymptotic(r->level_alpha) : pb_mwu_need(r->level_alpha);
        size_t n = r->n_base < r->n_new ? r->n_base : r->n_new;
        r->need = need_of(r, n, t, min_n);
    }
out:
    free(xb);
    free(xn);
    return rc;
}

/* ---- the family ---- */

/* Paired when asked, or when both sides ran in a round in common. */
static int rows_pair(const struct pb_compare *c, const struct pb_comparison *r)
{
    unsigned *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    int common = 0;

    if (c->opts->pairing == PB_PAIRING_UNPAIRED)
        return 0;
    if (rounds_of(r->base_case, &a, &na) < 0 || rounds_of(r->new_case, &b, &nb) < 0) {
        free(a);
        return -ENOMEM;
    }
    for (size_t i = 0, j = 0; i < na && j < nb && !common;) {
        if (a[i] == b[j])
            common = 1;
        else if (a[i] < b[j])
            i++;
        else
            j++;
    }
    free(a);
    free(b);
    return common;
}

static int gated(const struct pb_compare_opts *o, const struct pb_case_result *bc, enum pb_metric m)
{
    const struct pb_workload_ops *wl;

    if (!o->gate_auto)
        return o->gate[m];
    if (bc->info.workload_flags >= 0) /* as the document says: a plug-in may not be loaded */
        return pb_metric_gated(m, (unsigned)bc->info.workload_flags);
    wl = pb_workload_find(bc->info.workload);
    return pb_metric_gated(m, wl ? wl->flags : 0);
}

static int add_row(struct pb_compare *c, size_t *cap, const struct pb_case_result *bc,
                   const struct pb_case_result *nc, enum pb_metric m)
{
    struct pb_comparison row = {.base_case = bc, .new_case = nc, .name = bc->info.id, .metric = m};
    double *xb = NULL, *xn = NULL;
    int rc = pb_case_samples(bc, m, &xb, &row.n_base);

    if (rc == 0)
        rc = pb_case_samples(nc, m, &xn, &row.n_new);
    if (rc == 0) {
        row.base_median = median_of(xb, row.n_base);
        row.new_median = median_of(xn, row.n_new);
    }
    free(xb);
    free(xn);
    if (rc < 0 || (row.n_base == 0 && row.n_new == 0))
        return rc;
    /* A case named noisy is reported but left out of the family, so it costs the others no
     * power. */
    row.noisy = pb_strlist_has(&c->opts->noisy, row.name);
    row.gated = !row.noisy && gated(c->opts, bc, m);
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

static int decide_all(struct pb_compare *c, struct pb_err *err)
{
    int rc = 0;

    for (size_t i = 0; i < c->nrows; i++)
        c->family += c->rows[i].gated;
    for (size_t i = 0; i < c->nrows && rc == 0; i++) {
        struct pb_comparison *r = &c->rows[i];
        int paired = rows_pair(c, r);
        if (paired < 0)
            return paired;
        if (!paired && c->opts->pairing == PB_PAIRING_PAIRED)
            return pb_err_set(err, -EINVAL,
                              "%s: no repetitions of base and new ran in the same round "
                              "(--paired needs documents merged with merge --rounds)",
                              r->name);
        rc = paired ? decide_paired(c, r) : decide_unpaired(c, r);
        if (rc == 0 && r->tested)
            r->p_adjusted = fmin(1.0, r->p * c->opts->alpha / r->level_alpha);
        /* What was measured stays in the row; the verdict says it cannot gate. */
        if (r->noisy && (r->tested || r->verdict == PB_VERDICT_UNDECIDED)) {
            r->verdict = PB_VERDICT_NOISY;
            r->need = 0;
        }
        (r->gated ? c->counts : c->reported_counts)[r->verdict]++;
    }
    if (rc < 0)
        return pb_err_set(err, rc, "compare: %s", strerror(-rc));
    /* Said, so that a job whose gate compares nothing does not pass in silence. */
    if (c->family == 0 && c->nrows > 0)
        rc = pb_strlist_add(&c->warnings, "nothing is gated (--gate and --noisy leave no "
                                          "comparison): the exit code decides nothing");
    return rc < 0 ? pb_err_set(err, rc, "compare: %s", strerror(-rc)) : 0;
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
            rc = pb_strlist_add(&c->base_only, "%s", bc->info.id);
            continue;
        }
        used[j] = 1;
        c->matched++;
        for (int m = 0; m < PB_METRIC_COUNT && rc == 0; m++)
            if (c->opts->metrics[m])
                rc = add_row(c, &cap, bc, &c->new_doc->cases[j], (enum pb_metric)m);
    }
    for (size_t j = 0; j < nn && rc == 0; j++)
        if (!used[j])
            rc = pb_strlist_add(&c->new_only, "%s", c->new_doc->cases[j].info.id);
    free(used);
    return rc;
}

int pb_compare_run(const struct pb_doc *base, const struct pb_doc *new_doc,
                   const struct pb_compare_opts *opts, struct pb_compare **out, struct pb_err *err)
{
    struct pb_compare *c = calloc(1, sizeof(*c));
    int rc = -ENOMEM;

    if (!c)
        goto fail;
    c->base = base;
    c->new_doc = new_doc;
    c->opts = opts;
    rc = add_warnings(c);
    if (rc == 0)
        rc = match_cases(c);
    if (rc < 0)
        goto fail;
    if ((rc = decide_all(c, err)) < 0) {
        pb_compare_destroy(c);
        return rc;
    }
    *out = c;
    return 0;
fail:
    pb_compare_destroy(c);
    return pb_err_set(err, rc, "compare: %s", strerror(-rc));
}

void pb_compare_destroy(struct pb_compare *c)
{
    if (!c)
        return;
    free(c->rows);
    pb_strlist_free(&c->warnings);
    pb_strlist_free(&c->base_only);
    pb_strlist_free(&c->new_only);
    free(c);
}

int pb_compare_has_regression(const struct pb_compare *c)
{
    return c->counts[PB_VERDICT_REGRESSION] > 0;
}
