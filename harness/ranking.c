/* Ranking the runners of each group of comparable cases by their best median throughput. */
#include "harness/ranking.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/registry.h"

/* Cases in one group have equal keys: workload, canonical parameters, load and pin spec. */
static char *group_key(const struct pb_case_info *c)
{
    char load[128], *params = pb_case_info_params_text(c), *key = NULL;
    if (!params)
        return NULL;
    pb_case_info_load_text(c, load, sizeof(load));
    if (asprintf(&key, "%s\x1f%s\x1f%s\x1f%s", c->workload, params, load, c->pin_spec) < 0)
        key = NULL;
    free(params);
    return key;
}

static double throughput(const struct pb_case_result *c)
{
    return pb_case_median(c, PB_METRIC_THROUGHPUT);
}

/* Among cases of equal throughput, the one a reader looks at first: the lowest concurrency. */
static int before(const struct pb_case_result *a, const struct pb_case_result *b)
{
    if (a->info.gather != b->info.gather)
        return !a->info.gather;
    return a->info.concurrency < b->info.concurrency;
}

static size_t runner_order(const char *name)
{
    size_t n = pb_runner_count();
    for (size_t i = 0; i < n; i++)
        if (strcmp(pb_runner_at(i)->name, name) == 0)
            return i;
    return n;
}

static int by_rank(const void *x, const void *y)
{
    const struct pb_rank_entry *a = x, *b = y;
    double ta = throughput(a->best), tb = throughput(b->best);
    if (ta != tb)
        return ta > tb ? -1 : 1;
    size_t oa = runner_order(a->runner), ob = runner_order(b->runner);
    if (oa != ob)
        return oa < ob ? -1 : 1;
    return strcmp(a->runner, b->runner);
}

const char *pb_rank_verdict_key(enum pb_rank_verdict v)
{
    static const char *const keys[] = {"alone", "winner", "tie", "busy"};
    return (unsigned)v < sizeof(keys) / sizeof(keys[0]) ? keys[v] : "?";
}

/* Appends c's label to the group's list of cases that ran on a busy machine. */
static void note_busy(struct pb_rank_group *g, const struct pb_case_result *c)
{
    char label[128];
    size_t len = strlen(g->busy_during);
    pb_case_info_label(&c->info, label, sizeof(label));
    snprintf(g->busy_during + len, sizeof(g->busy_during) - len, "%s%s", len ? ", " : "", label);
}

/* A winner is named only where the difference holds beyond both intervals and no case of the
 * group ran on a busy machine: a slowed loser makes the wrong runner win as surely as a slowed
 * winner hides the right one. */
static void decide(struct pb_rank_group *g)
{
    if (g->busy_during[0])
        g->verdict = PB_RANK_BUSY;
    else if (g->nranked < 2)
        g->verdict = PB_RANK_ALONE;
    else
        g->verdict = g->tie ? PB_RANK_TIE : PB_RANK_WINNER;
    g->vs_serial_suspect = isfinite(g->vs_serial) && g->ranked[0].best->speedup.present &&
                           g->ranked[0].best->speedup.suspect;
}

/* The group of cases at[0..n) whose keys equal keys[g]: ranks it. */
static int rank_group(const struct pb_case_result *cases, char **keys, size_t n, size_t g,
                      struct pb_rank_group *out)
{
    memset(out, 0, sizeof(*out));
    out->first = &cases[g];
    out->ratio = out->vs_serial = NAN;
    out->ranked = calloc(n, sizeof(*out->ranked));
    if (!out->ranked)
        return -ENOMEM;
    for (size_t i = g; i < n; i++) {
        const struct pb_case_result *c = &cases[i];
        if (strcmp(keys[i], keys[g]) != 0)
            continue;
        if (pb_case_untrusted(c))
            note_busy(out, c);
        if (!pb_is_baseline_runner(c->info.runner) &&
            isfinite(pb_case_median(c, PB_METRIC_LATENCY_P99)) &&
            (!out->lowest_p99 || pb_case_median(c, PB_METRIC_LATENCY_P99) <
                                     pb_case_median(out->lowest_p99, PB_METRIC_LATENCY_P99)))
            out->lowest_p99 = c;
        if (!isfinite(throughput(c)))
            continue;
        size_t k;
        for (k = 0; k < out->nranked; k++)
            if (strcmp(out->ranked[k].runner, c->info.runner) == 0)
                break;
        if (k == out->nranked) {
            out->ranked[out->nranked++] = (struct pb_rank_entry){c->info.runner, c};
            continue;
        }
        double t = throughput(c), best = throughput(out->ranked[k].best);
        if (t > best || (t == best && before(c, out->ranked[k].best)))
            out->ranked[k].best = c;
    }
    qsort(out->ranked, out->nranked, sizeof(*out->ranked), by_rank);
    if (out->nranked >= 2) {
        const struct pb_case_result *win = out->ranked[0].best, *second = out->ranked[1].best;
        if (throughput(second) != 0)
            out->ratio = throughput(win) / throughput(second);
        out->tie = win->summary[PB_METRIC_THROUGHPUT].ci_low <=
                   second->summary[PB_METRIC_THROUGHPUT].ci_high;
    }
    for (size_t k = 1; k < out->nranked; k++)
        if (strcmp(out->ranked[k].runner, pb_baseline_runner(out->ranked[0].runner)) == 0 &&
            throughput(out->ranked[k].best) != 0)
            out->vs_serial = throughput(out->ranked[0].best) / throughput(out->ranked[k].best);
    if (out->nranked)
        decide(out);
    return 0;
}

int pb_rank_cases(const struct pb_case_result *cases, size_t n, struct pb_ranking *out)
{
    char **keys = calloc(n + 1, sizeof(*keys));
    int rc = -ENOMEM;

    memset(out, 0, sizeof(*out));
    out->groups = calloc(n + 1, sizeof(*out->groups));
    if (!keys || !out->groups)
        goto out;
    for (size_t i = 0; i < n; i++)
        if (!(keys[i] = group_key(&cases[i].info)))
            goto out;
    rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t j;
        for (j = 0; j < i; j++)
            if (strcmp(keys[j], keys[i]) == 0)
                break;
        if (j < i)
            continue; /* the group of an earlier case */
        rc = rank_group(cases, keys, n, i, &out->groups[out->n]);
        out->n++;
    }
out:
    for (size_t i = 0; keys && i < n; i++)
        free(keys[i]);
    free(keys);
    if (rc < 0)
        pb_ranking_free(out);
    return rc;
}

void pb_ranking_free(struct pb_ranking *r)
{
    for (size_t i = 0; r->groups && i < r->n; i++)
        free(r->groups[i].ranked);
    free(r->groups);
    memset(r, 0, sizeof(*r));
}
