/* The one table of metrics: what a repetition measures that a case summarises, the console shows,
 * compare tests and export writes. Everything that needs "the metrics" walks this table, so a new
 * metric is one entry here (and its field in struct pb_rep_result). */
#ifndef PB_METRIC_H
#define PB_METRIC_H

struct pb_rep_result;

enum pb_metric {
    PB_METRIC_THROUGHPUT,
    PB_METRIC_BYTES,
    PB_METRIC_LATENCY_P50,
    PB_METRIC_LATENCY_P99,
    PB_METRIC_SERVICE_P50,
    PB_METRIC_SERVICE_P99,
    PB_METRIC_WALL,
    PB_METRIC_PEAK_RSS,
    PB_METRIC_COUNT
};

/* How a value reads: what the formatter does with it. */
enum pb_unit {
    PB_UNIT_TASKS_PER_S,
    PB_UNIT_BYTES_PER_S,
    PB_UNIT_NS,
    PB_UNIT_S,
    PB_UNIT_BYTES,
};

struct pb_metric_def {
    const char *name;      /* "throughput": compare --metric, export rows, charts */
    const char *unit_name; /* "tasks/s", "bytes/s", "ns", "s", "bytes" */
    enum pb_unit unit;
    const char *summary_key; /* its summary's key in a case: "throughput_per_s" */
    int bigger_is_better;
    /* Compared and exported unless asked otherwise. Wall time mirrors throughput, bytes/s is
     * throughput times a fixed size, and memory is a question of its own: those are not. */
    int headline;
    /* Summarised even when no repetition has it (the schema requires it in every case). */
    int always;
    /* The value in one repetition; NAN when the repetition did not measure it. */
    double (*value)(const struct pb_rep_result *r);
};

const struct pb_metric_def *pb_metric_def(enum pb_metric m);
/* Whether the regression gate decides on metric m for a workload of these flags (enum
 * pb_workload_flags; 0 for one this binary does not know): throughput for every kind, and the
 * 99th percentile of latency for I/O, whose users feel the tail. The rest are reported. */
int pb_metric_gated(enum pb_metric m, unsigned workload_flags);
/* -ENOENT when no metric has that name. */
int pb_metric_find(const char *name, enum pb_metric *out);

#endif
