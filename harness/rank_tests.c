/* Rank statistics for comparing two sets of repetitions: Mann-Whitney U, Hodges-Lehmann, Holm. */
#include "harness/rank_tests.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Above this many steps (m * n * mn / 2) the exact distribution gives way to the normal
 * approximation: the recursion stays under a tenth of a second up to here. */
#define EXACT_MAX_WORK 5e7

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* P(Z > z) for a standard normal Z. */
static double normal_sf(double z)
{
    return 0.5 * erfc(z / sqrt(2.0));
}

double pb_normal_isf(double q)
{
    double lo = -40.0, hi = 40.0;

    if (q <= 0.0)
        return INFINITY;
    if (q >= 1.0)
        return -INFINITY;
    /* normal_sf is monotone; bisection to the last bit needs no special cases. */
    for (int i = 0; i < 200; i++) {
        double mid = (lo + hi) / 2.0;
        if (normal_sf(mid) > q)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2.0;
}

static int exact_feasible(size_t m, size_t n)
{
    double mn = (double)m * (double)n;
    return mn * (mn / 2.0 + 1.0) <= EXACT_MAX_WORK;
}

/* cdf[k] = P(U <= k) for k = 0..kmax (kmax <= m * n / 2) without ties. The recursion of Mann and
 * Whitney, f(m, n, k) = f(m - 1, n, k - n) + f(m, n - 1, k), kept as probabilities, so every
 * step adds positive terms (no cancellation, no overflow of the counts). Layers run over n with
 * the m + 1 vectors of a layer side by side. */
static int exact_cdf(size_t m, size_t n, size_t kmax, double *cdf)
{
    size_t width = kmax + 1;
    double *prev = NULL, *cur = NULL;
    int rc = -ENOMEM;

    if (m > n) {
        size_t t = m;
        m = n;
        n = t;
    }
    prev = calloc((m + 1) * width, sizeof(*prev));
    cur = calloc((m + 1) * width, sizeof(*cur));
    if (!prev || !cur)
        goto out;
    /* Layer n' = 0: U is 0 whatever m' is. */
    for (size_t i = 0; i <= m; i++)
        prev[i * width] = 1.0;
    for (size_t nn = 1; nn <= n; nn++) {
        memset(cur, 0, (m + 1) * width * sizeof(*cur));
        cur[0] = 1.0; /* m' = 0 */
        for (size_t mm = 1; mm <= m; mm++) {
            double a = (double)mm / (double)(mm + nn), b = (double)nn / (double)(mm + nn);
            const double *left = cur + (mm - 1) * width; /* (m'-1, n'): shifted by n' */
            const double *down = prev + mm * width;      /* (m', n'-1) */
            double *dst = cur + mm * width;
            for (size_t k = 0; k < width; k++)
                dst[k] = b * down[k] + (k >= nn ? a * left[k - nn] : 0.0);
        }
        double *t = prev;
        prev = cur;
        cur = t;
    }
    double acc = 0.0;
    for (size_t k = 0; k < width; k++) {
        acc += prev[m * width + k];
        cdf[k] = acc > 1.0 ? 1.0 : acc;
    }
    rc = 0;
out:
    free(prev);
    free(cur);
    return rc;
}

static double normal_cdf_u(double k, size_t m, size_t n)
{
    double mn = (double)m * (double)n;
    double sigma = sqrt(mn * ((double)m + (double)n + 1.0) / 12.0);
    return normal_sf(-(k + 0.5 - mn / 2.0) / sigma);
}

double pb_mwu_cdf(double k, size_t m, size_t n)
{
    size_t top = m * n;
    double kf = floor(k);
    double res;

    if (kf < 0.0)
        return 0.0;
    if (kf >= (double)top)
        return 1.0;
    if (!exact_feasible(m, n))
        return normal_cdf_u(kf, m, n);
    /* The distribution is symmetric about mn/2: only the lower half is computed. */
    int upper = kf > (double)top / 2.0;
    size_t kk = upper ? top - (size_t)kf - 1 : (size_t)kf;
    double *cdf = malloc((kk + 1) * sizeof(*cdf));
    if (!cdf || exact_cdf(m, n, kk, cdf) < 0) {
        free(cdf);
        return normal_cdf_u(kf, m, n);
    }
    res = upper ? 1.0 - cdf[kk] : cdf[kk];
    free(cdf);
    return res;
}

long pb_mwu_critical(size_t m, size_t n, double q)
{
    size_t half = m * n / 2;
    long k = -1;

    if (m == 0 || n == 0)
        return -1;
    if (!exact_feasible(m, n)) {
        double mn = (double)m * (double)n;
        double sigma = sqrt(mn * ((double)m + (double)n + 1.0) / 12.0);
        /* P(U <= k) ~ Phi((k + 0.5 - mn/2) / sigma) <= q */
        double kf = floor(mn / 2.0 - 0.5 - pb_normal_isf(q) * sigma);
        return kf < 0.0 ? -1 : (long)kf;
    }
    double *cdf = malloc((half + 1) * sizeof(*cdf));
    if (!cdf || exact_cdf(m, n, half, cdf) < 0) {
        free(cdf);
        return -1;
    }
    for (size_t i = 0; i <= half && cdf[i] <= q; i++)
        k = (long)i;
    free(cdf);
    return k;
}

double pb_mwu_min_p(size_t m, size_t n)
{
    if (m == 0 || n == 0)
        return 1.0;
    double lc = lgamma((double)(m + n) + 1.0) - lgamma((double)m + 1.0) - lgamma((double)n + 1.0);
    double p = 2.0 * exp(-lc);
    return p > 1.0 ? 1.0 : p;
}

/* Two-sided p of the normal approximation for U at its most extreme (u = mn), with the tie
 * term of the pooled sample. */
static double asymptotic_p(double mn, double n, double tie_term, double u)
{
    double var = n > 1 ? mn / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0))) : 0.0;
    double num = u - mn / 2.0 - 0.5; /* continuity: always toward the centre */
    double p;

    if (var <= 0.0)
        p = num >= 0.0 ? 0.0 : 2.0;
    else
        p = 2.0 * normal_sf(num / sqrt(var));
    return p > 1.0 ? 1.0 : p < 0.0 ? 0.0 : p;
}

size_t pb_mwu_need_asymptotic(double alpha)
{
    for (size_t n = 1; n <= 100000; n++) {
        double mn = (double)n * (double)n;
        if (asymptotic_p(mn, 2.0 * (double)n, 0.0, mn) < alpha)
            return n;
    }
    return 0;
}

size_t pb_mwu_need(double alpha)
{
    for (size_t n = 1; n <= 100000; n++)
        if (pb_mwu_min_p(n, n) < alpha)
            return n;
    return 0;
}

struct ranked {
    double v;
    size_t from_x; /* 1 when the value came from the first sample */
};

static int cmp_ranked(const void *a, const void *b)
{
    return cmp_double(&((const struct ranked *)a)->v, &((const struct ranked *)b)->v);
}

int pb_mwu_test(const double *x, size_t nx, const double *y, size_t ny, enum pb_mwu_method method,
                struct pb_mwu *out)
{
    size_t n = nx + ny;
    struct ranked *all = NULL;
    double r1 = 0.0, tie_term = 0.0;
    int rc = 0;

    if (nx == 0 || ny == 0)
        return -EINVAL;
    all = malloc(n * sizeof(*all));
    if (!all)
        return -ENOMEM;
    for (size_t i = 0; i < nx; i++)
        all[i] = (struct ranked){x[i], 1};
    for (size_t j = 0; j < ny; j++)
        all[nx + j] = (struct ranked){y[j], 0};
    qsort(all, n, sizeof(*all), cmp_ranked);

    /* Average ranks for ties (SciPy's rankdata 'average'), and the tie term sum(t^3 - t). */
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && all[j].v == all[i].v)
            j++;
        double t = (double)(j - i);
        double rank = ((double)i + 1.0 + (double)j) / 2.0;
        for (size_t k = i; k < j; k++)
            if (all[k].from_x)
                r1 += rank;
        tie_term += t * t * t - t;
        i = j;
    }

    double mn = (double)nx * (double)ny;
    double u1 = r1 - (double)nx * ((double)nx + 1.0) / 2.0;
    double u2 = mn - u1;
    double u = u1 > u2 ? u1 : u2;
    int ties = tie_term > 0.0;

    if (method == PB_MWU_AUTO) {
        size_t lo = nx < ny ? nx : ny, hi = nx < ny ? ny : nx;
        int small = hi <= PB_MWU_EXACT_MAX || lo <= PB_MWU_SCIPY_EXACT_MIN;
        method = !ties && small && exact_feasible(nx, ny) ? PB_MWU_EXACT : PB_MWU_ASYMPTOTIC;
    }
    if (method == PB_MWU_EXACT && ties) {
        rc = -EINVAL;
        goto out;
    }

    double p;
    if (method == PB_MWU_EXACT) {
        /* P(U >= u) = P(U <= mn - u) by symmetry; the mass at u is included. */
        p = 2.0 * pb_mwu_cdf(mn - u, nx, ny);
        if (p > 1.0)
            p = 1.0;
        out->min_p = pb_mwu_min_p(nx, ny);
    } else {
        p = asymptotic_p(mn, (double)n, tie_term, u);
        out->min_p = asymptotic_p(mn, (double)n, tie_term, mn);
    }
    out->u1 = u1;
    out->p = p;
    out->method = method;
    out->ties = ties;
out:
    free(all);
    return rc;
}

/* Shared by both Hodges-Lehmann forms: x and y are already transformed. */
static int hodges_lehmann(const double *x, size_t nx, const double *y, size_t ny, double alpha,
                          struct pb_hl *out)
{
    size_t mn = nx * ny;
    double *d;
    long k;

    if (nx == 0 || ny == 0)
        return -EINVAL;
    d = malloc(mn * sizeof(*d));
    if (!d)
        return -ENOMEM;
    for (size_t i = 0; i < nx; i++)
        for (size_t j = 0; j < ny; j++)
            d[i * ny + j] = y[j] - x[i];
    qsort(d, mn, sizeof(*d), cmp_double);
    out->estimate = mn % 2 ? d[mn / 2] : (d[mn / 2 - 1] + d[mn / 2]) / 2.0;
    k = pb_mwu_critical(nx, ny, alpha / 2.0);
    /* Too few values for the level asked: the widest interval the differences allow, with the
     * coverage it really has, rather than none. */
    if (k < 0)
        k = 0;
    if ((size_t)k > (mn - 1) / 2)
        k = (long)((mn - 1) / 2);
    out->low = d[k];
    out->high = d[mn - 1 - (size_t)k];
    out->level = 1.0 - 2.0 * pb_mwu_cdf((double)k, nx, ny);
    if (out->level < 0.0)
        out->level = 0.0;
    free(d);
    return 0;
}

int pb_hodges_lehmann(const double *x, size_t nx, const double *y, size_t ny, double alpha,
                      struct pb_hl *out)
{
    return hodges_lehmann(x, nx, y, ny, alpha, out);
}

int pb_hodges_lehmann_ratio(const double *x, size_t nx, const double *y, size_t ny, double alpha,
                            struct pb_hl *out)
{
    double *lx = NULL, *ly = NULL;
    int rc = -ENOMEM;

    if (nx == 0 || ny == 0)
        return -EINVAL;
    lx = malloc(nx * sizeof(*lx));
    ly = malloc(ny * sizeof(*ly));
    if (!lx || !ly)
        goto out;
    rc = -EDOM;
    for (size_t i = 0; i < nx; i++) {
        if (!(x[i] > 0.0))
            goto out;
        lx[i] = log(x[i]);
    }
    for (size_t j = 0; j < ny; j++) {
        if (!(y[j] > 0.0))
            goto out;
        ly[j] = log(y[j]);
    }
    rc = hodges_lehmann(lx, nx, ly, ny, alpha, out);
    if (rc < 0)
        goto out;
    out->estimate = exp(out->estimate);
    out->low = exp(out->low);
    out->high = exp(out->high);
out:
    free(lx);
    free(ly);
    return rc;
}

struct indexed {
    double p;
    size_t i;
};

static int cmp_indexed(const void *a, const void *b)
{
    const struct indexed *x = a, *y = b;
    if (x->p != y->p)
        return (x->p > y->p) - (x->p < y->p);
    /* Equal p keep their order, so the result does not depend on qsort's stability. */
    return (x->i > y->i) - (x->i < y->i);
}

int pb_holm(const double *p, size_t m, double *adj)
{
    struct indexed *s;
    double running = 0.0;

    if (m == 0)
        return 0;
    s = malloc(m * sizeof(*s));
    if (!s)
        return -ENOMEM;
    for (size_t i = 0; i < m; i++)
        s[i] = (struct indexed){p[i], i};
    qsort(s, m, sizeof(*s), cmp_indexed);
    for (size_t r = 0; r < m; r++) {
        double a = (double)(m - r) * s[r].p;
        if (a > running)
            running = a; /* step-down: never below an earlier, smaller p's adjustment */
        adj[s[r].i] = running > 1.0 ? 1.0 : running;
    }
    free(s);
    return 0;
}
