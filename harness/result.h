/* The result document: its header (tool, host, libraries), the JSON of measured repetitions
 * and case summaries, speed-ups, and the atomic write. Keys follow results/schema. */
#ifndef PB_RESULT_H
#define PB_RESULT_H

#include <jansson.h>

#include "harness/error.h"
#include "harness/histogram.h"
#include "harness/plan.h"
#include "harness/record.h"
#include "harness/topo.h"

#define PB_SCHEMA "parbench/result/v1"

/* A new document with everything but the cases (an empty array) and the end state. */
json_t *pb_result_new(int argc, char **argv, const struct pb_topo *topo,
                      const struct pb_plan *plan);
/* Sets complete, stop_reason and finished_at. */
void pb_result_finish(json_t *doc, const char *stop_reason);
/* {"min","p50","p90","p99","p99_9","max","mean"} of a histogram, in ns. */
json_t *pb_result_percentiles(const struct pb_hist *h);
/* The case's fixed fields: id, runner, workload, params, concurrency, load, pin... */
json_t *pb_result_case_new(const struct pb_case_spec *c, const struct pb_pin_plan *plan);
/* Adds "summary" from the repetitions and "latency_spectrum_ns" from the merged histogram. */
void pb_result_case_summarize(json_t *jcase, const struct pb_hist *latency);
/* Adds "speedup" to each case whose workload and parameters also ran under serial. */
void pb_result_speedups(json_t *doc);
/* How documents are written: indented, doubles to 10 significant digits. */
#define PB_RESULT_JSON_FLAGS (JSON_INDENT(2) | JSON_REAL_PRECISION(10))
/* Writes the document to path ("-": stdout) as harness/outfile.h does: a regular file through
 * a temporary and rename, so a reader never sees half a document. */
int pb_result_write(const json_t *doc, const char *path, struct pb_err *err);
/* results/runs/<UTC time>-<host>.json under dir. */
void pb_result_default_path(char *buf, size_t len, const char *dir);
/* UTC now as 2026-11-24T10:00:00Z. */
void pb_utc_now(char *buf, size_t len);

#endif
