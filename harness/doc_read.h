/* Reading result documents back: load and check a file, walk its cases, pull per-repetition
 * samples of a metric, and name and match cases across documents (compare, export, merge). */
#ifndef PB_DOC_READ_H
#define PB_DOC_READ_H

#include <stddef.h>

#include <jansson.h>

#include "harness/error.h"

#define PB_RESULT_SCHEMA "parbench/result/v1"

struct pb_doc {
    char *path;    /* as given; "-" is standard input */
    json_t *root;  /* owned */
    json_t *cases; /* borrowed from root: an array of objects */
};

/* Loads the result document at path ("-": standard input). Errors are one line naming the file:
 * "FILE: cannot open: REASON" (-errno), "FILE: not JSON: line L: REASON" (-EINVAL),
 * "FILE: not a parbench result document (no 'schema')" (-EINVAL),
 * "FILE: schema 'X' is not parbench/result/v1" (-EINVAL), "FILE: malformed: ..." (-EINVAL). */
int pb_doc_load(struct pb_doc **out, const char *path, struct pb_err *err);
/* The same checks on a parsed document; takes a reference to root on success. */
int pb_doc_from_json(struct pb_doc **out, json_t *root, const char *path, struct pb_err *err);
void pb_doc_destroy(struct pb_doc *d);

size_t pb_doc_case_count(const struct pb_doc *d);
json_t *pb_doc_case(const struct pb_doc *d, size_t i);
/* A string member of a top-level object ("host", "hostname"), or of the root when obj is NULL;
 * "" when absent or not a string. */
const char *pb_doc_str(const struct pb_doc *d, const char *obj, const char *key);

/* The metrics that can be read from every case's repetitions. */
enum pb_metric {
    PB_METRIC_THROUGHPUT,
    PB_METRIC_LATENCY_P50,
    PB_METRIC_LATENCY_P99,
    PB_METRIC_SERVICE_P50,
    PB_METRIC_SERVICE_P99,
    PB_METRIC_WALL,
    PB_METRIC_PEAK_RSS,
    PB_METRIC_COUNT
};

struct pb_metric_def {
    const char *name;        /* "throughput", "latency_p50", ... */
    const char *unit;        /* "tasks/s", "ns", "s" */
    const char *summary_key; /* the key in a case's "summary" */
    const char *rep_object;  /* the repetition member holding it: NULL for a plain number */
    const char *rep_key;
    int bigger_is_better;
    /* Compared and exported unless asked otherwise. Wall time mirrors throughput, and memory
     * is a question of its own, so those two are not. */
    int headline;
};

const struct pb_metric_def *pb_metric_def(enum pb_metric m);
/* -ENOENT when no metric has that name. */
int pb_metric_find(const char *name, enum pb_metric *out);

/* The values of metric m in the case's complete repetitions, in order: *out is allocated (NULL
 * when *n is 0) and the caller frees it. Repetitions that were interrupted, or that lack the
 * metric, give no sample. -ENOMEM. */
int pb_case_samples(const json_t *c, enum pb_metric m, double **out, size_t *n);

/* A string member of a case; "" when absent. */
const char *pb_case_str(const json_t *c, const char *key);
/* The case's concurrency, or -1 when null or absent. */
long long pb_case_concurrency(const json_t *c);

/* The identity of a case across documents: runner, workload, parameters sorted by name with
 * canonical values, concurrency, load model with rate and arrivals, pin policy, and the number
 * of workers and queue depth (event loops and --queue-depth are runner settings). Allocated. */
int pb_case_key(const json_t *c, char **out);
/* The name for tables and exports: the case's "id" as parbench run wrote it; for a document
 * without one, runner/workload/c=N, then parameters, an open load and a pin policy other than
 * compact, e.g. "threads/cpu.sumsq/c=4/n=1000/open:500/s,poisson/pin=scatter". Allocated. */
int pb_case_name(const json_t *c, char **out);
/* Parameters alone, "k=v,k=v" sorted by name ("" when none). Allocated. */
int pb_case_params(const json_t *c, char **out);
/* The load as text: "closed", or "open:RATE/s[,ARRIVALS]". Allocated. */
int pb_case_load(const json_t *c, char **out);

#endif
