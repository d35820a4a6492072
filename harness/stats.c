/* Summary statistics of a case's repetition samples: robust centre, spread and a median CI. */
#include "harness/stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The confidence the median interval aims for. */
#define PB_CI_TARGET 0.95
/* MAD times this estimates the standard deviation of normal data. */
#define PB_MAD_SCALE 1.4826

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_sorted(const double *s, size_t n)
{
    if (n == 0)
        return 0.0;
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
}

/* The void signatures leave no way to report an allocation failure, and the buffers are a few
 * doubles per repetition, so running out here means the process is already lost. */
static double *copy_or_die(const double *x, size_t n)
{
    double *c = malloc((n ? n : 1) * sizeof(*c));
    if (!c) {
        fprintf(stderr, "parbench: out of memory in statistics\n");
        abort();
    }
    if (n)
        memcpy(c, x, n * sizeof(*c));
    return c;
}

double pb_median(double *x, size_t n)
{
    if (n == 0)
        return 0.0;
    qsort(x, n, sizeof(*x), cmp_double);
    return median_sorted(x, n);
}

/* Median absolute deviation from med; overwrites s (its values are no longer needed). */
static double mad_in_place(double *s, size_t n, double med)
{
    for (size_t i = 0; i < n; i++)
        s[i] = fabs(s[i] - med);
    return pb_median(s, n);
}

/* P(B = i) for B ~ Binomial(n, 1/2), in log space so large n does not underflow 2^-n. */
static double binom_half_pmf(size_t n, size_t i)
{
    double dn = (double)n, di = (double)i;
    return exp(lgamma(dn + 1) - lgamma(di + 1) - lgamma(dn - di + 1) - dn * log(2.0));
}

/* Order statistics s[j-1] and s[n-j] bound the median with probability 1 - 2 P(B <= j-1),
 * whatever the distribution; take the narrowest such interval that still reaches the target. */
static void median_ci(const double *s, size_t n, struct pb_summary *out)
{
    double tail = binom_half_pmf(n, 0);
    size_t j = 1;
    double level = 1.0 - 2.0 * tail;
    if (level >= PB_CI_TARGET) {
        while (j + 1 <= n / 2) {
            double next = tail + binom_half_pmf(n, j);
            if (1.0 - 2.0 * next < PB_CI_TARGET)
                break;
            tail = next;
            j++;
        }
        level = PB_CI_TARGET;
    } else if (level < 0) {
        level = 0; /* n == 1: a single point covers the median with no confidence */
    }
    out->ci_low = s[j - 1];
    out->ci_high = s[n - j];
    out->ci_level = level;
}

void pb_summarize(const double *x, size_t n, struct pb_summary *out)
{
    memset(out, 0, sizeof(*out));
    out->n = n;
    if (n == 0)
        return;

    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    out->mean = sum / (double)n;
    /* Two passes: the textbook one-pass formula cancels badly for large, close samples. */
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - out->mean) * (x[i] - out->mean);
    out->stddev = n > 1 ? sqrt(ss / (double)(n - 1)) : 0.0;
    out->cv = out->mean != 0 ? out->stddev / out->mean : 0.0;

    double *s = copy_or_die(x, n);
    out->median = pb_median(s, n);
    out->min = s[0];
    out->max = s[n - 1];
    median_ci(s, n, out);
    out->mad = mad_in_place(s, n, out->median);
    free(s);
}

size_t pb_outliers(const double *x, size_t n, double k, size_t *idx)
{
    if (n == 0)
        return 0;
    double *s = copy_or_die(x, n);
    double med = pb_median(s, n);
    double mad = mad_in_place(s, n, med);
    free(s);
    /* With more than half the samples equal, MAD is 0 and any difference would be "infinitely"
     * far: call nothing an outlier rather than everything. */
    if (mad == 0)
        return 0;

    double limit = k * PB_MAD_SCALE * mad;
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        if (fabs(x[i] - med) > limit) {
            if (idx)
                idx[count] = i;
            count++;
        }
    }
    return count;
}
