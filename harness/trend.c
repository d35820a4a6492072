/* E-Divisive with means: recursive binary segmentation, each split the one that maximises the
 * energy distance between the two sides, kept while a permutation test finds it significant. */
#include "harness/trend.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/stats.h"

void pb_trend_opts_init(struct pb_trend_opts *o)
{
    o->alpha = 0.05;
    o->min_size = 2;
    o->permutations = 199;
    o->seed = 0x9E3779B97F4A7C15ULL;
}

/* What a shuffle does not change: each point's rank, its summed distance to all the others, and
 * the sum over all pairs. With them one pass in any order finds the best split in O(n log n). */
struct prep {
    size_t n;
    double *z, *dall, within; /* dall[i]: sum over j of |z[i] - z[j]] */
    size_t *rank;             /* distinct, ties broken by position */
    double *fsum;             /* Fenwick trees over ranks: sum and count of the left side */
    size_t *fcnt;
};

static void prep_free(struct prep *p)
{
    free(p->z);
    free(p->dall);
    free(p->rank);
    free(p->fsum);
    free(p->fcnt);
}

static const double *sort_base;

static int cmp_index(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    double u = sort_base[x], v = sort_base[y];
    return u != v ? (u > v) - (u < v) : (x > y) - (x < y);
}

static int prep_init(struct prep *p, const double *z, size_t n)
{
    size_t *idx = malloc(n * sizeof(*idx));
    double total = 0.0, below = 0.0;

    memset(p, 0, sizeof(*p));
    p->n = n;
    p->z = malloc(n * sizeof(*p->z));
    p->dall = malloc(n * sizeof(*p->dall));
    p->rank = malloc(n * sizeof(*p->rank));
    p->fsum = malloc((n + 1) * sizeof(*p->fsum));
    p->fcnt = malloc((n + 1) * sizeof(*p->fcnt));
    if (!idx || !p->z || !p->dall || !p->rank || !p->fsum || !p->fcnt) {
        free(idx);
        prep_free(p);
        return -ENOMEM;
    }
    memcpy(p->z, z, n * sizeof(*z));
    for (size_t i = 0; i < n; i++) {
        idx[i] = i;
        total += z[i];
    }
    sort_base = z;
    qsort(idx, n, sizeof(*idx), cmp_index);
    p->within = 0.0;
    for (size_t k = 0; k < n; k++) {
        double v = z[idx[k]];
        p->rank[idx[k]] = k;
        p->dall[idx[k]] = (double)k * v - below + (total - below - v) - (double)(n - 1 - k) * v;
        p->within += p->dall[idx[k]] / 2.0;
        below += v;
    }
    free(idx);
    return 0;
}

/* Points move one at a time, in the order perm gives (NULL: as they are), from the right side
 * to the left; the Fenwick trees give each one's distance to the left side in O(log n), its
 * distance to the right side is the rest, and the three sums of distances (within the left,
 * within the right, across) follow. */
static void split_scan(struct prep *p, const size_t *perm, size_t min_size, size_t *tau, double *q)
{
    size_t n = p->n, best_tau = 0;
    double within_l = 0.0, within_r = p->within, across = 0.0, left_sum = 0.0, best = -INFINITY;

    memset(p->fsum, 0, (n + 1) * sizeof(*p->fsum));
    memset(p->fcnt, 0, (n + 1) * sizeof(*p->fcnt));
    for (size_t t = 0; t + min_size < n; t++) {
        size_t i = perm ? perm[t] : t, c = 0;
        double v = p->z[i], s = 0.0;
        for (size_t r = p->rank[i]; r > 0; r &= r - 1) {
            s += p->fsum[r];
            c += p->fcnt[r];
        }
        double to_l = (double)c * v - s + (left_sum - s) - (double)(t - c) * v;
        double to_r = p->dall[i] - to_l;
        for (size_t r = p->rank[i] + 1; r <= n; r += r & (~r + 1)) {
            p->fsum[r] += v;
            p->fcnt[r]++;
        }
        left_sum += v;
        within_l += to_l;
        within_r -= to_r;
        across += to_r - to_l;
        size_t m = t + 1, k = n - m;
        if (m < min_size)
            continue;
        double dm = (double)m, dk = (double)k;
        double e = 2.0 * across / (dm * dk) - 2.0 * within_l / (dm * (dm - 1.0)) -
                   2.0 * within_r / (dk * (dk - 1.0));
        double sc = dm * dk / (dm + dk) * e;
        if (sc > best) {
            best = sc;
            best_tau = m;
        }
    }
    *tau = best_tau;
    *q = best;
}

int pb_trend_best_split(const double *z, size_t n, size_t min_size, size_t *tau, double *q)
{
    struct prep p;
    int rc;

    if (min_size < 2 || n < 2 * min_size)
        return -EINVAL;
    if ((rc = prep_init(&p, z, n)) < 0)
        return rc;
    split_scan(&p, NULL, min_size, tau, q);
    prep_free(&p);
    return 0;
}

static uint64_t xorshift64(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

struct segment {
    size_t lo, hi; /* [lo, hi) */
    size_t tau;    /* its best split, when splittable */
    double q;
    int splittable;
};

/* p of the observed best statistic q among the best splits of shuffles, each point shuffled
 * within its own segment and the best taken over all segments, as the candidate was: the test
 * pays for having picked the best segment (Matteson & James). perm: room for the series.
 * Stops as soon as p must exceed alpha: a split that is not there costs a few shuffles. */
static int permutation_p(const double *z, const struct segment *segs, size_t nsegs, double q,
                         const struct pb_trend_opts *o, size_t *perm, double *p_out)
{
    uint64_t rng = o->seed ? o->seed : 1;
    unsigned as_large = 0;
    double limit = o->alpha * (o->permutations + 1.0);
    struct prep *p = calloc(nsegs, sizeof(*p));
    size_t ready = 0;
    int rc = -ENOMEM;

    if (!p)
        return rc;
    for (; ready < nsegs; ready++) {
        const struct segment *s = &segs[ready];
        if (s->splittable && prep_init(&p[ready], z + s->lo, s->hi - s->lo) < 0)
            goto cleanup;
        for (size_t i = s->lo; i < s->hi; i++)
            perm[i] = i - s->lo;
    }
    for (unsigned r = 0; r < o->permutations; r++) {
        double best = -INFINITY;
        for (size_t k = 0; k < nsegs; k++) {
            size_t *pk = perm + segs[k].lo, n = segs[k].hi - segs[k].lo, tau;
            double qp;
            if (!segs[k].splittable)
                continue;
            for (size_t i = n - 1; i > 0; i--) {
                size_t j = (size_t)(xorshift64(&rng) % (i + 1)), t = pk[i];
                pk[i] = pk[j];
                pk[j] = t;
            }
            split_scan(&p[k], pk, o->min_size, &tau, &qp);
            if (qp > best)
                best = qp;
        }
        /* The relative slack keeps equal statistics (a constant series) counted as equal. */
        if (best >= q - 1e-9 * fabs(q) && ++as_large + 1.0 > limit)
            break;
    }
    *p_out = (as_large + 1.0) / (o->permutations + 1.0);
    rc = 0;
cleanup:
    for (size_t k = 0; k < ready; k++)
        if (segs[k].splittable)
            prep_free(&p[k]);
    free(p);
    return rc;
}

double pb_trend_median(const double *x, size_t lo, size_t hi)
{
    double *c, m;

    if (hi <= lo)
        return NAN;
    if (!(c = malloc((hi - lo) * sizeof(*c))))
        return NAN;
    memcpy(c, x + lo, (hi - lo) * sizeof(*c));
    m = pb_median(c, hi - lo);
    free(c);
    return m;
}

static int segment_init(struct segment *s, const double *z, size_t lo, size_t hi, size_t min_size)
{
    int rc = hi - lo < 2 * min_size
                 ? -EINVAL
                 : pb_trend_best_split(z + lo, hi - lo, min_size, &s->tau, &s->q);

    s->lo = lo;
    s->hi = hi;
    s->splittable = rc == 0;
    if (!s->splittable)
        s->tau = 0;
    s->tau += lo;
    return rc == -ENOMEM ? rc : 0;
}

static int cmp_cp(const void *a, const void *b)
{
    size_t x = ((const struct pb_trend_cp *)a)->index, y = ((const struct pb_trend_cp *)b)->index;
    return (x > y) - (x < y);
}

int pb_trend_detect(const double *x, size_t n, const struct pb_trend_opts *o,
                    struct pb_trend_cp *cps)
{
    struct segment *segs = NULL;
    double *z = NULL;
    size_t *buf = NULL;
    size_t nsegs = 1, ncps = 0;
    int rc = -ENOMEM;

    if (o->min_size < 2 || !(o->alpha > 0.0))
        return -EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!(x[i] > 0.0) || !isfinite(x[i]))
            return -EINVAL;
    if (n < 2 * o->min_size)
        return 0;
    z = malloc(n * sizeof(*z));
    buf = malloc(n * sizeof(*buf));
    segs = malloc((n / o->min_size + 1) * sizeof(*segs));
    if (!z || !buf || !segs)
        goto cleanup;
    for (size_t i = 0; i < n; i++)
        z[i] = log(x[i]);
    if (segment_init(&segs[0], z, 0, n, o->min_size) < 0)
        goto cleanup;
    for (;;) {
        struct segment *s = NULL;
        for (size_t i = 0; i < nsegs; i++)
            if (segs[i].splittable && segs[i].q > 0.0 && (!s || segs[i].q > s->q))
                s = &segs[i];
        if (!s)
            break;
        double p;
        if ((rc = permutation_p(z, segs, nsegs, s->q, o, buf, &p)) < 0)
            goto cleanup;
        rc = -ENOMEM;
        if (p > o->alpha)
            break;
        cps[ncps].index = s->tau;
        cps[ncps++].p = p;
        size_t lo = s->lo, tau = s->tau, hi = s->hi;
        if (segment_init(s, z, lo, tau, o->min_size) < 0 ||
            segment_init(&segs[nsegs++], z, tau, hi, o->min_size) < 0)
            goto cleanup;
    }
    qsort(cps, ncps, sizeof(*cps), cmp_cp);
    for (size_t i = 0; i < ncps; i++) {
        size_t lo = i ? cps[i - 1].index : 0, hi = i + 1 < ncps ? cps[i + 1].index : n;
        cps[i].before = pb_trend_median(x, lo, cps[i].index);
        cps[i].after = pb_trend_median(x, cps[i].index, hi);
    }
    rc = (int)ncps;
cleanup:
    free(segs);
    free(buf);
    free(z);
    return rc;
}
