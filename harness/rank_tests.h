/* Rank statistics for comparing two sets of repetitions: Mann-Whitney U, Wilcoxon signed-rank,
 * Hodges-Lehmann (two-sample and paired). */
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

/* Wilcoxon signed-rank test, for repetitions that come in pairs (base and new run side by side).
 *
 * SciPy 1.10's wilcoxon(method='auto') uses the exact distribution when len(d) <= 50, zeros
 * included, and there are no zeros (with zeros it falls back to the normal approximation, and
 * its zero_method='wilcox' drops them first). It does not look at ties: with tied |d| and no
 * zeros it still takes the exact branch, truncating a half-integer rank sum with int(), which is
 * no valid p. PB_WSR_AUTO uses the exact distribution without ties and without zeros up to
 * PB_WSR_EXACT_MAX non-zero differences: where SciPy uses exact, so do we, with the same p; from
 * 51 to PB_WSR_EXACT_MAX the exact distribution is still cheap (O(n^3) additions, a few ms) and
 * more accurate than SciPy's normal approximation; with ties we use the normal approximation with
 * tie correction where SciPy would give the truncated exact p. */
#define PB_WSR_SCIPY_EXACT_MAX 50
#define PB_WSR_EXACT_MAX       300

enum pb_wsr_method {
    PB_WSR_AUTO = 0,
    PB_WSR_EXACT,
    PB_WSR_ASYMPTOTIC,
};

struct pb_wsr {
    double r_plus;  /* rank sum of the positive differences, ranks of |d| without the zeros */
    double r_minus; /* the same for the negative ones: r_plus + r_minus = n_used(n_used + 1)/2 */
    double p;       /* two-sided */
    enum pb_wsr_method method;
    size_t n_used; /* the non-zero differences, the only ones ranked */
    int ties;      /* whether any |d| occurs more than once among them */
    double min_p;  /* the smallest p this method could give for n_used (and, for the normal
                    * approximation, these ties): all differences of one sign */
};

/* Two-sided Wilcoxon signed-rank test of the differences d[0..n) against 0, with SciPy 1.10's
 * semantics for wilcoxon(d, zero_method='wilcox', correction=False, alternative='two-sided',
 * method=...) (SciPy's defaults but method): zeros dropped, T = min(r_plus, r_minus), exact
 * p = min(1, 2 P(T+ <= T)), or z = (T - mean) / sd with the tie-corrected sd and no continuity
 * correction. PB_WSR_AUTO chooses as described above. PB_WSR_EXACT is refused (-EINVAL) with
 * ties or more than PB_WSR_EXACT_MAX non-zero differences; with zeros it gives the exact
 * distribution of the n_used others (SciPy would switch to the normal approximation).
 * -EINVAL when no difference is non-zero (n == 0 included) or one is NaN, -ENOMEM. */
int pb_wilcoxon_test(const double *d, size_t n, enum pb_wsr_method method, struct pb_wsr *out);

/* P(T+ <= k) under the null hypothesis for n differences without ties or zeros: exact up to
 * PB_WSR_EXACT_MAX, the normal approximation with continuity correction beyond (and, as
 * pb_mwu_cdf, when memory runs out). */
double pb_wsr_cdf(double k, size_t n);

/* The largest k with P(T+ <= k) <= q, or -1 when even P(T+ <= 0) exceeds q (or n is 0). */
long pb_wsr_critical(size_t n, double q);

/* The smallest two-sided p of the exact test for n non-zero differences: 2 / 2^n (at most 1). */
double pb_wsr_min_p(size_t n);

/* The smallest n for which pb_wsr_min_p(n) < alpha; 0 when alpha <= 0. */
size_t pb_wsr_need(double alpha);

/* Paired Hodges-Lehmann estimate of the centre of the differences d[0..n): the median of the
 * n(n+1)/2 Walsh averages (d_i + d_j) / 2, i <= j (zeros included), with its distribution-free
 * interval W(k+1) .. W(M-k), M = n(n+1)/2, k = pb_wsr_critical(n, alpha / 2). With too few
 * values for 1 - alpha the interval is the whole range of the averages and level says what it
 * covers (1 - 2 P(T+ <= k)), as for pb_hodges_lehmann. -EINVAL when n is 0 or a d is NaN,
 * -ENOMEM. */
int pb_hodges_lehmann_paired(const double *d, size_t n, double alpha, struct pb_hl *out);

/* The same on per-pair ratios r_i = new_i / base_i: on log r, returned as exp() of the estimate
 * and bounds. -EDOM when a ratio is not positive and finite. */
int pb_hodges_lehmann_paired_ratio(const double *r, size_t n, double alpha, struct pb_hl *out);

/* The upper q quantile of the standard normal distribution (z with P(Z > z) = q). */
double pb_normal_isf(double q);

#endif
