/* Summary statistics of a case's repetition samples. */
#ifndef PB_STATS_H
#define PB_STATS_H

#include <stddef.h>

struct pb_summary {
    size_t n;
    double median;
    double mean;
    double stddev; /* sample standard deviation (n - 1) */
    double cv;     /* stddev / mean; 0 when the mean is 0 */
    double min;
    double max;
    double mad;     /* median absolute deviation (unscaled) */
    double ci_low;  /* distribution-free confidence interval of the median (order statistics), */
    double ci_high; /* at ci_level, or min..max when n is too small to reach it */
    double ci_level;
};

/* Summarises x[0..n) (not modified); n may be 0. */
void pb_summarize(const double *x, size_t n, struct pb_summary *out);
double pb_median(double *x, size_t n); /* sorts x in place */
/* Indices of samples farther than k scaled MADs from the median (outliers); returns how many. */
size_t pb_outliers(const double *x, size_t n, double k, size_t *idx);

#endif
