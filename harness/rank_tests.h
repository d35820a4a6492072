/* Rank statistics for comparing two sets of repetitions: Mann-Whitney U, Hodges-Lehmann, Holm. */
#ifndef PB_RANK_TESTS_H
#define PB_RANK_TESTS_H

#include <stddef.h>

/* Samples this small (both sides), or with one side of at most PB_MWU_SCIPY_EXACT_MIN, and
 * without ties, get the exact null distribution of U; everything else the normal approximation
 * with tie and continuity correction. SciPy 1.10's method='auto' uses exact only for the second
 * rule; between 9 and 25 per side the exact distribution is cheap and more accurate. */
#define PB_MWU_EXACT_MAX       25
#define PB_MWU_SCIPY_EXACT_MIN 8

enum pb_mwu_method {
    PB_MWU_AUTO = 0,
    PB_MWU_EXACT,
    PB_MWU_ASYMPTOTIC,
};

struct pb_mwu {
    double u1; /* U of the first sample: pairs (x_i, y_j) with x_i > y_j, ties counting 1/2 */
    double p;  /* two-sided */
    enum pb_mwu_method method;
    int ties;     /* whether any value occurs more than once in the two samples together */
    double min_p; /* the smallest p this method could give for these sizes (and, for the
                   * normal approximation, these ties): complete separation */
};

/* Two-sided Mann-Whitney U test of x[0..nx) against y[0..ny), with SciPy 1.10's semantics
 * (mannwhitneyu(x, y, use_continuity=True, alternative='two-sided', method=...)). method
 * PB_MWU_AUTO chooses as described above; PB_MWU_EXACT with ties is refused (-EINVAL), as the
 * exact distribution assumes none. -EINVAL when nx or ny is 0, -ENOMEM. */
int pb_mwu_test(const double *x, size_t nx, const double *y, size_t ny, enum pb_mwu_method method,
                struct pb_mwu *out);

/* P(U <= k) under the null hypothesis for samples of m and n values without ties; exact while
 * m * n * min(m, n) stays below a few times 10^7, the normal approximation beyond. */
double pb_mwu_cdf(double k, size_t m, size_t n);

/* The largest k with P(U <= k) <= q, or -1 when even P(U <= 0) exceeds q. */
long pb_mwu_critical(size_t m, size_t n, double q);

/* The smallest two-sided p any test of m against n values can give: 2 / C(m + n, m). */
double pb_mwu_min_p(size_t m, size_t n);

/* The smallest number of values per side for which pb_mwu_min_p(N, N) < alpha; 0 when alpha is
 * out of reach for any N this function tries (alpha <= 0). */
size_t pb_mwu_need(double alpha);
/* The same for the normal approximation without ties (what samples with ties are tested with):
 * the smallest N for which complete separation of N against N gives p < alpha. */
size_t pb_mwu_need_asymptotic(double alpha);

struct pb_hl {
    double estimate; /* median of the pairwise differences y_j - x_i */
    double low;      /* distribution-free confidence interval of the shift */
    double high;
    double level; /* the coverage the interval reaches: >= 1 - alpha unless too few values */
};

/* Hodges-Lehmann estimate of the shift of y against x and its Moses (Bauer 1972) interval: the
 * order statistics D(k+1) and D(mn-k) of the mn pairwise differences, with k the critical value
 * of U for alpha / 2 (pb_mwu_critical). With too few values for 1 - alpha, the interval is the
 * whole range of differences and level says what it covers. -EINVAL when nx or ny is 0. */
int pb_hodges_lehmann(const double *x, size_t nx, const double *y, size_t ny, double alpha,
                      struct pb_hl *out);

/* The same on logarithms, returned as ratios y / x: estimate exp(median(log y_j - log x_i)) and
 * its interval. -EDOM when a value is not positive. */
int pb_hodges_lehmann_ratio(const double *x, size_t nx, const double *y, size_t ny, double alpha,
                            struct pb_hl *out);

/* Holm-Bonferroni: adj[i] is p[i] adjusted for the m comparisons of the family (step-down,
 * monotone, at most 1). p and adj may be the same array. -ENOMEM. */
int pb_holm(const double *p, size_t m, double *adj);

/* The upper q quantile of the standard normal distribution (z with P(Z > z) = q). */
double pb_normal_isf(double q);

#endif
