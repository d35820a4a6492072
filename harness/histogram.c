/* Log-linear latency histogram: reset, merge and the read side (percentiles, mean, buckets). */
#include "harness/histogram.h"

#include <math.h>
#include <string.h>

void pb_hist_reset(struct pb_hist *h)
{
    memset(h, 0, sizeof(*h));
    h->min = UINT64_MAX;
}

void pb_hist_merge(struct pb_hist *dst, const struct pb_hist *src)
{
    if (src->count == 0)
        return;
    for (unsigned i = 0; i < PB_HIST_BUCKETS; i++)
        dst->counts[i] += src->counts[i];
    dst->count += src->count;
    dst->sum += src->sum;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}

/* Bucket i covers [low, low + width): below 2^(SUB_BITS+1) one value each, then 2^SUB_BITS
 * buckets per power of two whose width doubles with the power (the inverse of pb_hist_index). */
uint64_t pb_hist_bucket_low(unsigned i)
{
    if (i < (2u << PB_HIST_SUB_BITS))
        return i;
    unsigned shift = (i >> PB_HIST_SUB_BITS) - 1;
    return (uint64_t)(i - (shift << PB_HIST_SUB_BITS)) << shift;
}

uint64_t pb_hist_bucket_width(unsigned i)
{
    if (i < (2u << PB_HIST_SUB_BITS))
        return 1;
    return UINT64_C(1) << ((i >> PB_HIST_SUB_BITS) - 1);
}

uint64_t pb_hist_percentile(const struct pb_hist *h, double q)
{
    if (h->count == 0)
        return 0;
    if (!(q > 0)) /* also NaN */
        return h->min;
    if (q >= 100)
        return h->max;

    /* The tiny slack keeps a rank that is an integer in exact arithmetic (99.9% of 1000) from
     * being pushed to the next one by the rounding of q. */
    double x = q * (double)h->count / 100.0;
    double r = ceil(x - x * 1e-12);
    uint64_t rank = r < 1 ? 1 : (r >= (double)h->count ? h->count : (uint64_t)r);

    uint64_t seen = 0;
    unsigned i = 0;
    for (; i < PB_HIST_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank)
            break;
    }
    if (i == PB_HIST_BUCKETS) /* counts disagree with count: trust the exact max */
        return h->max;

    uint64_t v = pb_hist_bucket_low(i) + pb_hist_bucket_width(i) / 2;
    if (v < h->min)
        v = h->min;
    if (v > h->max)
        v = h->max;
    return v;
}

double pb_hist_mean(const struct pb_hist *h)
{
    return h->count ? h->sum / (double)h->count : 0.0;
}
