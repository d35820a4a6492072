/* The metric table. */
#include "harness/metric.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "harness/result.h"
#include "harness/workload.h"

static double throughput(const struct pb_rep_result *r)
{
    return r->throughput_per_s;
}

static double bytes(const struct pb_rep_result *r)
{
    return r->has_bytes ? r->bytes_per_s : NAN;
}

static double latency_p50(const struct pb_rep_result *r)
{
    return (double)r->latency.p50;
}

static double latency_p99(const struct pb_rep_result *r)
{
    return (double)r->latency.p99;
}

static double service_p50(const struct pb_rep_result *r)
{
    return (double)r->service.p50;
}

static double service_p99(const struct pb_rep_result *r)
{
    return (double)r->service.p99;
}

static double wall(const struct pb_rep_result *r)
{
    return r->wall_s;
}

static double peak_rss(const struct pb_rep_result *r)
{
    return (double)r->peak_rss_bytes;
}

static const struct pb_metric_def defs[PB_METRIC_COUNT] = {
    [PB_METRIC_THROUGHPUT] = {"throughput", "tasks/s", PB_UNIT_TASKS_PER_S, "throughput_per_s", 1,
                              1, 1, throughput},
    [PB_METRIC_BYTES] = {"bytes", "bytes/s", PB_UNIT_BYTES_PER_S, "bytes_per_s", 1, 0, 0, bytes},
    [PB_METRIC_LATENCY_P50] = {"latency_p50", "ns", PB_UNIT_NS, "latency_p50_ns", 0, 1, 1,
                               latency_p50},
    [PB_METRIC_LATENCY_P99] = {"latency_p99", "ns", PB_UNIT_NS, "latency_p99_ns", 0, 1, 1,
                               latency_p99},
    [PB_METRIC_SERVICE_P50] = {"service_p50", "ns", PB_UNIT_NS, "service_p50_ns", 0, 1, 1,
                               service_p50},
    [PB_METRIC_SERVICE_P99] = {"service_p99", "ns", PB_UNIT_NS, "service_p99_ns", 0, 1, 1,
                               service_p99},
    [PB_METRIC_WALL] = {"wall", "s", PB_UNIT_S, "wall_s", 0, 0, 1, wall},
    [PB_METRIC_PEAK_RSS] = {"peak_rss", "bytes", PB_UNIT_BYTES, "peak_rss_bytes", 0, 0, 1,
                            peak_rss},
};

const struct pb_metric_def *pb_metric_def(enum pb_metric m)
{
    return (unsigned)m < PB_METRIC_COUNT ? &defs[m] : NULL;
}

int pb_metric_gated(enum pb_metric m, unsigned workload_flags)
{
    return m == PB_METRIC_THROUGHPUT || (m == PB_METRIC_LATENCY_P99 && (workload_flags & PB_WL_IO));
}

int pb_metric_find(const char *name, enum pb_metric *out)
{
    for (int m = 0; m < PB_METRIC_COUNT; m++) {
        if (strcmp(defs[m].name, name) == 0) {
            *out = (enum pb_metric)m;
            return 0;
        }
    }
    return -ENOENT;
}
