/* Rank statistics for comparing two sets of repetitions: Mann-Whitney U, Wilcoxon signed-rank,
 * Hodges-Lehmann (two-sample and paired). */
#include "harness/rank_tests.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
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

/* f[k] = P(T+ = k) for k = 0..kmax and n differences without ties. Under the null hypothesis
 * each rank 1..n is in T+ with probability 1/2, independently, so adding rank i maps f to
 * (f + f shifted by i) / 2. Kept as probabilities: every step adds positive terms, and 2^-n stays
 * far above the smallest double up to PB_WSR_EXACT_MAX. In place from the top down, so f[k - i] is
 * still the previous step's value when f[k] is updated; after i ranks no sum above i(i+1)/2 is
 * possible, which saves more than half the work for the lower half of the distribution. */
static void wsr_pmf(size_t n, size_t kmax, double *f)
{
    size_t reach = 0;

    f[0] = 1.0;
    for (size_t k = 1; k <= kmax; k++)
        f[k] = 0.0;
    for (size_t i = 1; i <= n; i++) {
        reach += i;
        size_t top = reach < kmax ? reach : kmax;
        for (size_t k = top; k >= i; k--)
            f[k] = 0.5 * (f[k] + f[k - i]);
        for (size_t k = 0; k < i && k <= top; k++)
            f[k] *= 0.5;
    }
}

static double wsr_total(size_t n)
{
    return (double)n * ((double)n + 1.0) / 2.0;
}

/* P(T+ <= k) of the normal approximation without ties, continuity-corrected as normal_cdf_u. */
static double normal_cdf_wsr(double k, size_t n)
{
    double nn = (double)n;
    double sigma = sqrt(nn * (nn + 1.0) * (2.0 * nn + 1.0) / 24.0);
    return normal_sf(-(k + 0.5 - wsr_total(n) / 2.0) / sigma);
}

/* *p = P(T+ <= k) from the exact distribution (n <= PB_WSR_EXACT_MAX), or -ENOMEM. */
static int wsr_exact_cdf(double k, size_t n, double *p)
{
    size_t top = n * (n + 1) / 2;
    double kf = floor(k);

    if (kf < 0.0) {
        *p = 0.0;
        return 0;
    }
    if (kf >= (double)top) {
        *p = 1.0;
        return 0;
    }
    /* Symmetric about top/2: only the lower half is computed, P(T+ <= k) = 1 - P(T+ <= top-k-1). */
    int upper = 2.0 * kf > (double)top;
    size_t kk = upper ? top - (size_t)kf - 1 : (size_t)kf;
    double *f = malloc((kk + 1) * sizeof(*f));
    if (!f)
        return -ENOMEM;
    wsr_pmf(n, kk, f);
    double acc = 0.0;
    for (size_t i = 0; i <= kk; i++)
        acc += f[i];
    if (acc > 1.0)
        acc = 1.0;
    *p = upper ? 1.0 - acc : acc;
    free(f);
    return 0;
}

double pb_wsr_cdf(double k, size_t n)
{
    double p;

    if (n > PB_WSR_EXACT_MAX || wsr_exact_cdf(k, n, &p) < 0) {
        double kf = floor(k);
        if (kf < 0.0)
            return 0.0;
        if (kf >= wsr_total(n))
            return 1.0;
        return normal_cdf_wsr(kf, n);
    }
    return p;
}

long pb_wsr_critical(size_t n, double q)
{
    long k = -1;

    if (n == 0)
        return -1;
    if (n > PB_WSR_EXACT_MAX) {
        double nn = (double)n;
        double sigma = sqrt(nn * (nn + 1.0) * (2.0 * nn + 1.0) / 24.0);
        /* P(T+ <= k) ~ Phi((k + 0.5 - M/2) / sigma) <= q */
        double kf = floor(wsr_total(n) / 2.0 - 0.5 - pb_normal_isf(q) * sigma);
        return kf < 0.0 ? -1 : (long)kf;
    }
    size_t half = n * (n + 1) / 4;
    double *f = malloc((half + 1) * sizeof(*f));
    if (!f)
        return -1;
    wsr_pmf(n, half, f);
    double acc = 0.0;
    for (size_t i = 0; i <= half; i++) {
        acc += f[i];
        if (acc > q)
            break;
        k = (long)i;
    }
    free(f);
    return k;
}

double pb_wsr_min_p(size_t n)
{
    if (n == 0)
        return 1.0;
    /* 2^(1-n) underflows to 0 long before n reaches this; the cap only keeps the int cast sane. */
    if (n > 4096)
        n = 4096;
    double p = ldexp(1.0, 1 - (int)n);
    return p > 1.0 ? 1.0 : p;
}

size_t pb_wsr_need(double alpha)
{
    if (!(alpha > 0.0))
        return 0;
    for (size_t n = 1; n <= 4096; n++)
        if (pb_wsr_min_p(n) < alpha)
            return n;
    return 0;
}

static int cmp_abs(const void *a, const void *b)
{
    double x = fabs(*(const double *)a), y = fabs(*(const double *)b);
    return (x > y) - (x < y);
}

/* Two-sided p of the normal approximation for T = min(r_plus, r_minus) <= M/2 among n non-zero
 * differences with tie term sum(t^3 - t) over groups of equal |d| (SciPy's se, no continuity
 * correction). */
static double wsr_asymptotic_p(size_t n, double tie_term, double t)
{
    double nn = (double)n;
    double var = (nn * (nn + 1.0) * (2.0 * nn + 1.0) - tie_term / 2.0) / 24.0;
    double p;

    /* var > 0 whenever n > 0, even with every |d| equal; the guard is for n = 0 only. */
    if (var <= 0.0)
        return 1.0;
    p = 2.0 * normal_sf((wsr_total(n) / 2.0 - t) / sqrt(var));
    return p > 1.0 ? 1.0 : p < 0.0 ? 0.0 : p;
}

int pb_wilcoxon_test(const double *d, size_t n, enum pb_wsr_method method, struct pb_wsr *out)
{
    double *a = NULL;
    double r_plus = 0.0, r_minus = 0.0, tie_term = 0.0;
    size_t used = 0;
    int rc = 0;

    /* NaN has no rank (and would leave qsort without a consistent order). */
    for (size_t i = 0; i < n; i++)
        if (isnan(d[i]))
            return -EINVAL;
    a = malloc((n ? n : 1) * sizeof(*a));
    if (!a)
        return -ENOMEM;
    /* zero_method='wilcox': a zero difference says nothing about the sign and is dropped before
     * ranking (-0.0 as well, as SciPy's d == 0). */
    for (size_t i = 0; i < n; i++)
        if (d[i] != 0.0)
            a[used++] = d[i];
    if (used == 0) {
        rc = -EINVAL;
        goto out;
    }
    qsort(a, used, sizeof(*a), cmp_abs);

    /* Average ranks of |d| for ties (SciPy's rankdata 'average'), and the tie term. */
    for (size_t i = 0; i < used;) {
        size_t j = i + 1;
        while (j < used && fabs(a[j]) == fabs(a[i]))
            j++;
        double t = (double)(j - i);
        double rank = ((double)i + 1.0 + (double)j) / 2.0;
        for (size_t k = i; k < j; k++) {
            if (a[k] > 0.0)
                r_plus += rank;
            else
                r_minus += rank;
        }
        tie_term += t * t * t - t;
        i = j;
    }

    int ties = tie_term > 0.0;
    int zeros = used < n;
    double t = r_plus < r_minus ? r_plus : r_minus;

    if (method == PB_WSR_AUTO)
        method = !ties && !zeros && used <= PB_WSR_EXACT_MAX ? PB_WSR_EXACT : PB_WSR_ASYMPTOTIC;
    if (method == PB_WSR_EXACT && (ties || used > PB_WSR_EXACT_MAX)) {
        rc = -EINVAL;
        goto out;
    }

    double p;
    if (method == PB_WSR_EXACT) {
        /* P(T+ >= r_plus) = P(T+ <= r_minus) by symmetry: twice the smaller tail, mass at T
         * included. Without ties T is an integer. */
        rc = wsr_exact_cdf(t, used, &p);
        if (rc < 0)
            goto out;
        p = 2.0 * p > 1.0 ? 1.0 : 2.0 * p;
        out->min_p = pb_wsr_min_p(used);
    } else {
        p = wsr_asymptotic_p(used, tie_term, t);
        out->min_p = wsr_asymptotic_p(used, tie_term, 0.0);
    }
    out->r_plus = r_plus;
    out->r_minus = r_minus;
    out->p = p;
    out->method = method;
    out->n_used = used;
    out->ties = ties;
out:
    free(a);
    return rc;
}

/* Shared by both paired Hodges-Lehmann forms: d is already transformed. */
static int hodges_lehmann_paired(const double *d, size_t n, double alpha, struct pb_hl *out)
{
    double *w;
    size_t m, at = 0;
    long k;

    if (n == 0)
        return -EINVAL;
    for (size_t i = 0; i < n; i++)
        if (isnan(d[i]))
            return -EINVAL;
    /* m * sizeof(double) = 4 n (n + 1) must not wrap (n of about 2^31 on 64 bits). */
    if (n + 1 > SIZE_MAX / 4 / n)
        return -ENOMEM;
    m = n * (n + 1) / 2;
    w = malloc(m * sizeof(*w));
    if (!w)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i; j < n; j++)
            w[at++] = (d[i] + d[j]) / 2.0;
    qsort(w, m, sizeof(*w), cmp_double);
    out->estimate = m % 2 ? w[m / 2] : (w[m / 2 - 1] + w[m / 2]) / 2.0;
    k = pb_wsr_critical(n, alpha / 2.0);
    /* Too few values for the level asked: the widest interval the averages allow, with the
     * coverage it really has, rather than none. */
    if (k < 0)
        k = 0;
    if ((size_t)k > (m - 1) / 2)
        k = (long)((m - 1) / 2);
    out->low = w[k];
    out->high = w[m - 1 - (size_t)k];
    out->level = 1.0 - 2.0 * pb_wsr_cdf((double)k, n);
    if (out->level < 0.0)
        out->level = 0.0;
    free(w);
    return 0;
}

int pb_hodges_lehmann_paired(const double *d, size_t n, double alpha, struct pb_hl *out)
{
    return hodges_lehmann_paired(d, n, alpha, out);
}

int pb_hodges_lehmann_paired_ratio(const double *r, size_t n, double alpha, struct pb_hl *out)
{
    double *lr;
    int rc = -EDOM;

    if (n == 0)
        return -EINVAL;
    lr = malloc(n * sizeof(*lr));
    if (!lr)
        return -ENOMEM;
    /* An infinite ratio (a base of 0) would make the averages infinite or NaN. */
    for (size_t i = 0; i < n; i++) {
        if (!(r[i] > 0.0) || isinf(r[i]))
            goto out;
        lr[i] = log(r[i]);
    }
    rc = hodges_lehmann_paired(lr, n, alpha, out);
    if (rc < 0)
        goto out;
    out->estimate = exp(out->estimate);
    out->low = exp(out->low);
    out->high = exp(out->high);
out:
    free(lr);
    return rc;
}
