/* Change points in a series of measurements, one value per document of a history: E-Divisive
 * with means (Matteson & James 2014, as MongoDB's signal processing and Apache Otava use it) on
 * log values, so that a shift is a ratio. Pure functions on double arrays. */
#ifndef PB_TREND_H
#define PB_TREND_H

#include <stddef.h>
#include <stdint.h>

struct pb_trend_opts {
    double alpha;          /* a split counts when its permutation p <= alpha (default 0.05) */
    size_t min_size;       /* the fewest points a segment may have, >= 2 (default 2) */
    unsigned permutations; /* of the permutation test (default 199) */
    uint64_t seed;         /* of its xorshift generator: the same input, the same answer */
};

struct pb_trend_cp {
    size_t index;  /* the first point after the shift */
    double p;      /* of the permutation test that accepted it */
    double before; /* median of the segment before (raw values) */
    double after;  /* median of the segment after */
};

void pb_trend_opts_init(struct pb_trend_opts *o);

/* The best split of z[0..n) with both sides at least min_size long: *tau is the first index of
 * the right side, *q the energy statistic (alpha = 1) scaled by m k / n. -EINVAL when n is
 * below 2 min_size or min_size below 2. O(n^2). */
int pb_trend_best_split(const double *z, size_t n, size_t min_size, size_t *tau, double *q);

/* The change points of x[0..n) (every value finite and > 0, else -EINVAL) in index order, into
 * cps (room for n / min_size of them). Returns how many, or -EINVAL, -ENOMEM. A series shorter
 * than 2 min_size has none. */
int pb_trend_detect(const double *x, size_t n, const struct pb_trend_opts *o,
                    struct pb_trend_cp *cps);

/* The median of x[lo..hi) (not modified); NAN when empty. */
double pb_trend_median(const double *x, size_t lo, size_t hi);

#endif
