/* Result documents in the formats other tools read: Google Benchmark JSON, github-action-benchmark,
 * Bencher Metric Format, and CSV/TSV tables for spreadsheets and gnuplot. */
#ifndef PB_EXPORT_H
#define PB_EXPORT_H

#include <stdio.h>

#include <jansson.h>

#include "harness/doc_read.h"

enum pb_export_format {
    PB_EXPORT_GBENCH,
    PB_EXPORT_GITHUB,
    PB_EXPORT_BMF,
    PB_EXPORT_CSV,
    PB_EXPORT_TSV,
    PB_EXPORT_TSV_SPECTRUM,
};

/* "gbench", "github", "bmf", "csv", "tsv", "tsv-spectrum"; -ENOENT otherwise. */
int pb_export_format_parse(const char *name, enum pb_export_format *out);

/* Google Benchmark's JSON: a context and, per case, one "iteration" row per complete repetition
 * and the mean/median/stddev/cv aggregates. real_time is a task's p50 service time (how long a
 * task took once running: what Google Benchmark's per-iteration time is to one of its threads),
 * cpu_time the CPU time per task, both in ns; items_per_second the throughput; latency and
 * service percentiles ride along as counters. Google Benchmark's tools/compare.py reads it. */
int pb_export_gbench(const struct pb_doc *d, json_t **out);

/* github-action-benchmark's custom format: an array of {name, unit, value, range, extra}; bigger
 * 1 gives customBiggerIsBetter (throughput), 0 customSmallerIsBetter (latency and service
 * percentiles). */
int pb_export_github(const struct pb_doc *d, int bigger, json_t **out);

/* Bencher Metric Format: {case: {measure: {value, lower_value, upper_value}}}. */
int pb_export_bmf(const struct pb_doc *d, json_t **out);

/* One row per case x metric with a header row; sep ',' (RFC 4180 quoting) or '\t' (tabs and
 * line breaks in text become spaces). Columns: case, runner, workload, params, concurrency,
 * load, pin, metric, unit, n, median, mean, stddev, cv, min, max, ci_low, ci_high, speedup,
 * efficiency. Missing values are empty fields. */
int pb_export_table(const struct pb_doc *d, char sep, FILE *out);

/* Tab-separated latency spectrum: case, runner, workload, concurrency, percentile, value_ns. */
int pb_export_spectrum(const struct pb_doc *d, FILE *out);

#endif
