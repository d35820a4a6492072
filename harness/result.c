/* Typed results: a repetition from its workers' records, case summaries, stability warnings and
 * speed-ups, all on the typed model (documents are only written and read elsewhere). */
#include "harness/result.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/registry.h"
#include "harness/workload.h"

/* Below this, a repetition's wall time is mostly clock, scheduling and start-up noise. */
#define SHORT_REPETITION_S 0.01
#define UNSTABLE_CV        0.10
#define OUTLIER_MADS       3.5

const double pb_spectrum_percentiles[PB_SPECTRUM_POINTS] = {
    0,  10, 20, 30, 40,   50,   60,    70,    75,     80, 85,
    90, 95, 97, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100};

static void percentiles_of(const struct pb_hist *h, struct pb_percentiles *p)
{
    p->min = h->count ? h->min : 0;
    p->p50 = pb_hist_percentile(h, 50);
    p->p90 = pb_hist_percentile(h, 90);
    p->p99 = pb_hist_percentile(h, 99);
    p->p99_9 = pb_hist_percentile(h, 99.9);
    p->max = h->max;
    p->mean = pb_hist_mean(h);
}

int pb_rep_from_records(struct pb_rep_result *r, const struct pb_worker_record *recs, unsigned n,
                        uint64_t start_ns, int complete)
{
    struct pb_hist *lat = malloc(sizeof(*lat)), *svc = malloc(sizeof(*svc));
    memset(r, 0, sizeof(*r));
    r->workers = calloc(n ? n : 1, sizeof(*r->workers));
    if (!lat || !svc || !r->workers) {
        free(lat);
        free(svc);
        free(r->workers);
        r->workers = NULL;
        return -ENOMEM;
    }
    pb_hist_reset(lat);
    pb_hist_reset(svc);
    uint64_t status[PB_STATUS_COUNT] = {0}, bytes = 0, end_ns = start_ns;
    for (unsigned i = 0; i < n; i++) {
        const struct pb_worker_record *w = &recs[i];
        struct pb_worker_result *wr = &r->workers[i];
        pb_hist_merge(lat, &w->latency);
        pb_hist_merge(svc, &w->service);
        for (int s = 0; s < PB_STATUS_COUNT; s++)
            status[s] += w->status[s];
        bytes += w->bytes;
        if (w->last_finish_ns > end_ns)
            end_ns = w->last_finish_ns;
        r->usage.user_s += w->usage.user_s;
        r->usage.sys_s += w->usage.sys_s;
        r->usage.voluntary_switches += w->usage.voluntary_switches;
        r->usage.involuntary_switches += w->usage.involuntary_switches;
        r->usage.minor_faults += w->usage.minor_faults;
        r->usage.major_faults += w->usage.major_faults;
        wr->given = w->given;
        wr->seen = w->seen;
        wr->migrations = w->migrations;
        wr->tasks = pb_record_tasks(w);
        wr->replaced = w->replacements;
        snprintf(wr->last_failure, sizeof(wr->last_failure), "%s", w->last_failure);
        r->migrations += w->migrations;
    }
    r->nworkers = n;
    r->complete = complete;
    r->wall_s = (double)(end_ns - start_ns) / 1e9;
    r->ok = status[PB_OK];
    for (int s = 1; s < PB_STATUS_COUNT; s++) {
        r->failures[s] = status[s];
        r->failed += status[s];
    }
    r->timeouts = status[PB_FAIL_TIMEOUT];
    r->throughput_per_s = r->wall_s > 0 ? (double)r->ok / r->wall_s : 0;
    r->has_bytes = bytes > 0;
    r->bytes_per_s = r->wall_s > 0 ? (double)bytes / r->wall_s : 0;
    percentiles_of(lat, &r->latency);
    percentiles_of(svc, &r->service);
    r->check_ok = 1;
    free(lat);
    free(svc);
    return 0;
}

void pb_rep_free(struct pb_rep_result *r)
{
    free(r->workers);
    json_decref(r->workload);
    json_decref(r->fixture);
    memset(r, 0, sizeof(*r));
}

int pb_rep_copy(struct pb_rep_result *dst, const struct pb_rep_result *src)
{
    *dst = *src;
    dst->workers = calloc(src->nworkers ? src->nworkers : 1, sizeof(*dst->workers));
    if (!dst->workers) {
        memset(dst, 0, sizeof(*dst));
        return -ENOMEM;
    }
    if (src->nworkers)
        memcpy(dst->workers, src->workers, src->nworkers * sizeof(*dst->workers));
    dst->workload = src->workload ? json_deep_copy(src->workload) : NULL;
    dst->fixture = src->fixture ? json_deep_copy(src->fixture) : NULL;
    if ((src->workload && !dst->workload) || (src->fixture && !dst->fixture)) {
        pb_rep_free(dst);
        return -ENOMEM;
    }
    return 0;
}

void pb_case_result_init(struct pb_case_result *c)
{
    memset(c, 0, sizeof(*c));
}

void pb_case_result_free(struct pb_case_result *c)
{
    for (size_t i = 0; i < c->nreps; i++)
        pb_rep_free(&c->reps[i]);
    for (size_t i = 0; i < c->nwarnings; i++)
        free(c->warnings[i]);
    free(c->warnings);
    free(c->reps);
    free(c->pin_plan);
    pb_case_info_free(&c->info);
    memset(c, 0, sizeof(*c));
}

int pb_case_result_add_rep(struct pb_case_result *c, struct pb_rep_result *r)
{
    if (c->nreps == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        struct pb_rep_result *v = realloc(c->reps, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        c->reps = v;
        c->cap = cap;
    }
    c->reps[c->nreps++] = *r;
    memset(r, 0, sizeof(*r));
    return 0;
}

int pb_case_result_warn(struct pb_case_result *c, const char *fmt, ...)
{
    char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    int len = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (len < 0)
        return -ENOMEM;
    for (size_t i = 0; i < c->nwarnings; i++) {
        if (strcmp(c->warnings[i], msg) == 0) {
            free(msg);
            return 0;
        }
    }
    char **v = realloc(c->warnings, (c->nwarnings + 1) * sizeof(*v));
    if (!v) {
        free(msg);
        return -ENOMEM;
    }
    c->warnings = v;
    c->warnings[c->nwarnings++] = msg;
    return 0;
}

int pb_case_samples(const struct pb_case_result *c, enum pb_metric m, double **x, size_t *n)
{
    const struct pb_metric_def *def = pb_metric_def(m);
    *x = NULL;
    *n = 0;
    if (!def || !c->nreps)
        return def ? 0 : -EINVAL;
    double *v = malloc(c->nreps * sizeof(*v));
    if (!v)
        return -ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < c->nreps; i++) {
        /* An interrupted repetition measured part of the work: not a sample of the whole. */
        if (!c->reps[i].complete)
            continue;
        double val = def->value(&c->reps[i]);
        if (isfinite(val))
            v[k++] = val;
    }
    if (!k) {
        free(v);
        return 0;
    }
    *x = v;
    *n = k;
    return 0;
}

int pb_case_summarize(struct pb_case_result *c, const struct pb_hist *latency)
{
    for (int m = 0; m < PB_METRIC_COUNT; m++) {
        double *x = NULL;
        size_t n = 0;
        int rc = pb_case_samples(c, (enum pb_metric)m, &x, &n);
        if (rc < 0)
            return rc;
        pb_summarize(x, n, &c->summary[m]);
        c->has_summary[m] = n > 0 || pb_metric_def(m)->always;
        free(x);
    }
    if (latency) {
        c->has_spectrum = latency->count > 0;
        for (int i = 0; i < PB_SPECTRUM_POINTS; i++)
            c->spectrum[i] = pb_hist_percentile(latency, pb_spectrum_percentiles[i]);
    }
    return 0;
}

double pb_case_median(const struct pb_case_result *c, enum pb_metric m)
{
    return c->has_summary[m] && c->summary[m].n ? c->summary[m].median : NAN;
}

uint64_t pb_case_failed(const struct pb_case_result *c)
{
    uint64_t n = 0;
    for (size_t i = 0; i < c->nreps; i++)
        n += c->reps[i].failed;
    return n;
}

/* Warns on the case, and tells fn. */
static int stability_warn(struct pb_case_result *c, void (*fn)(const char *, const char *),
                          const char *label, const char *msg)
{
    int rc = pb_case_result_warn(c, "%s", msg);
    if (fn)
        fn(label, msg);
    return rc;
}

int pb_case_check_stability(struct pb_case_result *c,
                            void (*fn)(const char *label, const char *msg))
{
    const struct pb_summary *tp = &c->summary[PB_METRIC_THROUGHPUT];
    const struct pb_summary *wall = &c->summary[PB_METRIC_WALL];
    char label[512], msg[512];
    int rc = 0;
    pb_case_info_label(&c->info, label, sizeof(label));
    if (tp->n >= 2 && tp->cv > UNSTABLE_CV) {
        snprintf(msg, sizeof(msg),
                 "unstable: throughput varies by %.0f%% (CV) across %zu "
                 "repetitions",
                 100 * tp->cv, tp->n);
        rc = rc ? rc : stability_warn(c, fn, label, msg);
    }
    if (wall->n && wall->median < SHORT_REPETITION_S) {
        snprintf(msg, sizeof(msg),
                 "repetitions last %.3f ms: too short to time well (aim for 10 ms "
                 "or more: raise -n)",
                 1e3 * wall->median);
        rc = rc ? rc : stability_warn(c, fn, label, msg);
    }
    double *x = NULL;
    size_t n = 0;
    if (rc == 0 && (rc = pb_case_samples(c, PB_METRIC_THROUGHPUT, &x, &n)) == 0 && n >= 3) {
        size_t *idx = calloc(n, sizeof(*idx));
        size_t m = idx ? pb_outliers(x, n, OUTLIER_MADS, idx) : 0;
        if (!idx)
            rc = -ENOMEM;
        if (m) {
            /* Numbered as the document's kept repetitions are, from 1. */
            char list[256] = "";
            size_t len = 0;
            for (size_t k = 0; k < m && len < sizeof(list); k++)
                len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%zu", k ? ", " : "",
                                        idx[k] + 1);
            snprintf(msg, sizeof(msg), "outlier repetition(s) %s: throughput beyond %.1f MADs",
                     list, OUTLIER_MADS);
            rc = stability_warn(c, fn, label, msg);
        }
        free(idx);
    }
    free(x);
    return rc;
}

static int same_params(const struct pb_case_info *a, const struct pb_case_info *b)
{
    char *pa = pb_case_info_params_text(a), *pb = pb_case_info_params_text(b);
    int same = pa && pb && strcmp(pa, pb) == 0;
    free(pa);
    free(pb);
    return same;
}

/* Cases with the same workload, parameters and load model compare with each other. */
int pb_case_same_work(const struct pb_case_info *a, const struct pb_case_info *b)
{
    return strcmp(a->workload, b->workload) == 0 && a->load.rate == b->load.rate &&
           (!pb_load_open(&a->load) || a->load.arrivals == b->load.arrivals) && same_params(a, b);
}

void pb_case_judge_trust(struct pb_case_result *c)
{
    unsigned watched = 0, busy = 0;
    for (size_t r = 0; r < c->nreps; r++) {
        watched += c->reps[r].machine.watched != 0;
        busy += c->reps[r].machine.watched && c->reps[r].machine.busy;
    }
    memset(&c->trust, 0, sizeof(c->trust));
    c->trust.judged = watched > 0;
    c->trust.busy_reps = busy;
    c->trust.trustworthy = 2 * busy <= watched;
    if (!c->trust.trustworthy)
        snprintf(c->trust.reason, sizeof(c->trust.reason),
                 "%u of %u repetitions ran on a busy machine", busy, watched);
}

/* The PUs a case's workers could run on at once: the union of their pin sets, and no more than
 * there are workers. */
static unsigned usable_pus(const struct pb_case_result *c)
{
    struct pb_cpuset all;
    pb_cpuset_clear(&all);
    for (unsigned w = 0; w < c->pin_workers; w++)
        for (unsigned k = 0; k < PB_CPUSET_WORDS; k++)
            all.bits[k] |= c->pin_plan[w].bits[k];
    unsigned pus = pb_cpuset_count(&all);
    return c->info.workers && (pus == 0 || c->info.workers < pus) ? c->info.workers : pus;
}

/* CPU-bound work cannot go faster than serial times the PUs it had: a speed-up above that comes
 * from caches now and then, and from a baseline the machine slowed down far more often. Perfect
 * scaling measures a little either side of the PU count; 2% above it is beyond that noise. */
#define SPEEDUP_PU_SLACK 1.02
/* A ratio is no better than its two sides: one that ran on a busy machine makes it suspect. */
static void judge_speedup(struct pb_case_result *c, const struct pb_case_result *base)
{
    const struct pb_workload_ops *wl = pb_workload_find(c->info.workload);
    unsigned pus = usable_pus(c);
    c->speedup.suspect = 0;
    c->speedup.suspect_reason[0] = 0;
    if (pb_case_untrusted(c) || pb_case_untrusted(base)) {
        c->speedup.suspect = 1;
        snprintf(c->speedup.suspect_reason, sizeof(c->speedup.suspect_reason),
                 "measured on a busy machine (%s)",
                 pb_case_untrusted(c) ? "this case" : "the serial baseline");
        return;
    }
    if (!wl || !(wl->flags & PB_WL_CPU) || pus == 0 ||
        !(c->speedup.value > (double)pus * SPEEDUP_PU_SLACK))
        return;
    c->speedup.suspect = 1;
    snprintf(c->speedup.suspect_reason, sizeof(c->speedup.suspect_reason),
             "%.2fx with %u PU%s for CPU-bound work: above what the PUs allow, so a disturbed "
             "baseline (or caches)",
             c->speedup.value, pus, pus == 1 ? "" : "s");
}

/* A complete repetition that ran in a round: its place in the case and its throughput. */
struct rounded {
    unsigned round;
    size_t index;
    double tp;
};

static int cmp_rounded(const void *a, const void *b)
{
    const struct rounded *x = a, *y = b;
    if (x->round != y->round)
        return x->round < y->round ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* c's complete repetitions with a round, by round and then in the case's order. *v allocated. */
static int rounded_reps(const struct pb_case_result *c, struct rounded **v, size_t *n)
{
    *n = 0;
    *v = malloc((c->nreps ? c->nreps : 1) * sizeof(**v));
    if (!*v)
        return -ENOMEM;
    for (size_t i = 0; i < c->nreps; i++)
        if (c->reps[i].complete && c->reps[i].round)
            (*v)[(*n)++] = (struct rounded){c->reps[i].round, i, c->reps[i].throughput_per_s};
    qsort(*v, *n, sizeof(**v), cmp_rounded);
    return 0;
}

int pb_paired_ratios(const struct pb_case_result *c, const struct pb_case_result *base, double **x,
                     size_t *n)
{
    struct rounded *a = NULL, *b = NULL;
    size_t na = 0, nb = 0, k = 0;
    *x = NULL;
    *n = 0;
    int rc = rounded_reps(c, &a, &na);
    if (rc == 0)
        rc = rounded_reps(base, &b, &nb);
    double *v = rc == 0 ? malloc((na ? na : 1) * sizeof(*v)) : NULL;
    if (rc == 0 && !v)
        rc = -ENOMEM;
    /* A merge-join on the round; within a round the i-th pairs with the i-th. */
    for (size_t i = 0, j = 0; rc == 0 && i < na && j < nb;) {
        if (a[i].round < b[j].round) {
            i++;
            continue;
        }
        if (a[i].round > b[j].round) {
            j++;
            continue;
        }
        if (b[j].tp > 0 && isfinite(a[i].tp))
            v[k++] = a[i].tp / b[j].tp;
        i++;
        j++;
    }
    free(a);
    free(b);
    if (!k)
        free(v);
    *x = k ? v : NULL;
    *n = k;
    return rc;
}

/* Paired: the median of the per-round ratios and its interval (order statistics). 0 with
 * nothing set when no round pairs; 1 when set; -ENOMEM. */
static int speedup_paired(struct pb_speedup *sp, const struct pb_case_result *c,
                          const struct pb_case_result *base)
{
    double *x;
    size_t n;
    int rc = pb_paired_ratios(c, base, &x, &n);
    if (rc < 0 || !n)
        return rc;
    struct pb_summary s;
    pb_summarize(x, n, &s);
    free(x);
    sp->value = s.median;
    sp->ci_low = s.ci_low;
    sp->ci_high = s.ci_high;
    sp->paired = 1;
    sp->pairs = n;
    return 1;
}

/* Unpaired: the ratio of median throughputs. 0 when there is none, 1 when set. */
static int speedup_unpaired(struct pb_speedup *sp, const struct pb_case_result *c,
                            const struct pb_case_result *base)
{
    double b = pb_case_median(base, PB_METRIC_THROUGHPUT);
    double t = pb_case_median(c, PB_METRIC_THROUGHPUT);
    if (!(b > 0) || !isfinite(t))
        return 0;
    sp->value = t / b;
    /* The ratio's interval from the two medians' intervals, the widest the ratio could be while
     * both medians lie inside theirs. */
    const struct pb_summary *ts = &c->summary[PB_METRIC_THROUGHPUT],
                            *bs = &base->summary[PB_METRIC_THROUGHPUT];
    if (bs->ci_low > 0 && c->has_summary[PB_METRIC_THROUGHPUT]) {
        sp->ci_low = ts->ci_low / bs->ci_high;
        sp->ci_high = ts->ci_high / bs->ci_low;
    }
    return 1;
}

/* c's speed-up against base: paired when their rounds pair, else unpaired. -ENOMEM. */
static int speedup_against(struct pb_case_result *c, const struct pb_case_result *base)
{
    struct pb_speedup *sp = &c->speedup;
    int rc = speedup_paired(sp, c, base);
    if (rc == 0)
        rc = speedup_unpaired(sp, c, base);
    if (rc <= 0)
        return rc;
    sp->present = 1;
    snprintf(sp->baseline, sizeof(sp->baseline), "%s", base->info.id);
    sp->efficiency = sp->value / (double)(c->info.workers ? c->info.workers : 1);
    judge_speedup(c, base);
    return 0;
}

const char *pb_baseline_runner(const char *runner)
{
    return strncmp(runner, "py.", 3) == 0 ? "py.serial" : "serial";
}

int pb_is_baseline_runner(const char *runner)
{
    return strcmp(runner, pb_baseline_runner(runner)) == 0;
}

int pb_speedups(struct pb_case_result *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct pb_case_result *c = &cases[i];
        c->speedup.present = c->speedup.paired = 0;
        c->speedup.pairs = 0;
        c->speedup.suspect = 0;
        c->speedup.suspect_reason[0] = '\0';
        c->speedup.ci_low = c->speedup.ci_high = NAN;
        if (pb_is_baseline_runner(c->info.runner))
            continue;
        for (size_t j = 0; j < n; j++) {
            const struct pb_case_result *base = &cases[j];
            if (strcmp(base->info.runner, pb_baseline_runner(c->info.runner)) ||
                !pb_case_same_work(&c->info, &base->info))
                continue;
            if (speedup_against(c, base) < 0)
                return -ENOMEM;
            break;
        }
    }
    return 0;
}
