/* Log-linear latency histogram (HdrHistogram-style): fixed size, mergeable, bounded error. */
#ifndef PB_HISTOGRAM_H
#define PB_HISTOGRAM_H

#include <stdint.h>

/* Each power of two above 2^(SUB_BITS+1) is split into 2^SUB_BITS linear buckets, so a value is
 * reported within 1/2^(SUB_BITS+1) (0.4%) of itself; values below 256 are exact. Values of
 * 2^MAX_BITS ns (about 4.9 hours) and more are clamped into the last bucket. */
#define PB_HIST_SUB_BITS 7
#define PB_HIST_MAX_BITS 44
#define PB_HIST_BUCKETS  ((PB_HIST_MAX_BITS - PB_HIST_SUB_BITS + 1) << PB_HIST_SUB_BITS)

struct pb_hist {
    uint64_t count;
    uint64_t min; /* exact; UINT64_MAX when empty */
    uint64_t max; /* exact */
    double sum;   /* exact enough for the mean */
    uint64_t counts[PB_HIST_BUCKETS];
};

void pb_hist_reset(struct pb_hist *h);

static inline unsigned pb_hist_index(uint64_t v)
{
    if (v >> PB_HIST_MAX_BITS)
        v = (UINT64_C(1) << PB_HIST_MAX_BITS) - 1;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v | 1);
    unsigned shift = msb > PB_HIST_SUB_BITS ? msb - PB_HIST_SUB_BITS : 0;
    return (shift << PB_HIST_SUB_BITS) + (unsigned)(v >> shift);
}

/* The hot path: no allocation, no lock; the histogram belongs to one worker. */
static inline void pb_hist_record(struct pb_hist *h, uint64_t v)
{
    h->counts[pb_hist_index(v)]++;
    h->count++;
    h->sum += (double)v;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
}

/* Adds src into dst. */
void pb_hist_merge(struct pb_hist *dst, const struct pb_hist *src);
/* The value at percentile q (0..100): the middle of the bucket holding the rank, clamped to the
 * exact min and max. 0 when empty. */
uint64_t pb_hist_percentile(const struct pb_hist *h, double q);
double pb_hist_mean(const struct pb_hist *h);
/* Lowest value and width of bucket i (for tests and exports). */
uint64_t pb_hist_bucket_low(unsigned i);
uint64_t pb_hist_bucket_width(unsigned i);

#endif
