/* Result documents in the formats other tools read: Google Benchmark JSON, github-action-benchmark,
 * Bencher Metric Format, CSV/TSV tables for spreadsheets, gnuplot and the scripts, and the
 * ranking the report states. */
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
    PB_EXPORT_RANKING,
};

/* "gbench", "github", "bmf", "csv", "tsv", "tsv-spectrum", "ranking"; -ENOENT otherwise. */
int pb_export_format_parse(const char *name, enum pb_export_format *out);

/* Google Benchmark's JSON: a context and, per case, one "iteration" row per complete repetition
 * and the mean/median/stddev/cv aggregates. real_time is a task's p50 service time (how long a
 * task took once running: what Google Benchmark's per-iteration time is to one of its threads),
 * cpu_time the CPU time per task, both in ns; items_per_second the throughput; latency and
 * service percentiles ride along as counters. Google Benchmark's tools/compare.py reads it.
 * -ENOMEM. */
int pb_export_gbench(const struct pb_doc *d, json_t **out);

/* github-action-benchmark's custom format: an array of {name, unit, value, range, extra}; bigger
 * 1 gives customBiggerIsBetter (throughput), 0 customSmallerIsBetter (latency and service
 * percentiles). -ENOMEM. */
int pb_export_github(const struct pb_doc *d, int bigger, json_t **out);

/* Bencher Metric Format: {case: {measure: {value, lower_value, upper_value}}}. -ENOMEM. */
int pb_export_bmf(const struct pb_doc *d, json_t **out);

/* One row per case x metric with samples, with a header row; sep ',' (RFC 4180 quoting) or
 * '\t' (tabs and line breaks in text become spaces). Columns: case, runner, workload, params,
 * concurrency, load, pin, metric, unit, n, median, mean, stddev, cv, min, max, ci_low, ci_high,
 * ci_level, speedup, efficiency, then the same as text as parbench writes it: median_text
 * ("12.35k/s", "1.234 ms"), ci_text ("[12.1k/s, 12.6k/s]"), cv_text ("1.2%"), speedup_text
 * ("3.50x"), efficiency_text ("88%"). Missing values are empty fields. A text field that a
 * spreadsheet would take for a formula (starting with = + - @, a tab or a CR) starts with a
 * single quote. -ENOMEM, -EIO. */
int pb_export_table(const struct pb_doc *d, char sep, FILE *out);

/* Tab-separated latency spectrum: case, runner, workload, concurrency, percentile, value_ns.
 * -EIO. */
int pb_export_spectrum(const struct pb_doc *d, FILE *out);

/* Tab-separated, one row per group of comparable cases (harness/ranking.h) with a runner that
 * has a throughput: workload, params, load, pin; runners (how many ranked) and order (them,
 * best first, comma-separated); the winner (runner, case, concurrency, throughput and its
 * text, the text of its median CI, its median p99 latency and text); the runner-up (runner,
 * case, concurrency, throughput, text); ratio (winner over runner-up) and its text, tie (1 when
 * their median CIs overlap, 0 when not, empty without a runner-up); vs_serial and its text; the
 * case of the lowest p99 latency among the runners other than serial (runner, case,
 * concurrency, p99, text). Concurrency is empty for a case that starts every task at once.
 * -ENOMEM, -EIO. */
int pb_export_ranking(const struct pb_doc *d, FILE *out);

#endif
