/* Comparing two result documents case by case and metric by metric: a rank test, the
 * Hodges-Lehmann ratio with its interval, Holm's adjustment and a verdict per comparison.
 * harness/compare_render.c writes the outcome as a table, Markdown or JSON. */
#ifndef PB_COMPARE_H
#define PB_COMPARE_H

#include <stddef.h>

#include "harness/doc_read.h"
#include "harness/error.h"
#include "harness/metric.h"
#include "harness/rank_tests.h"

struct pb_compare_opts {
    double alpha;                      /* family-wise, after Holm; default 0.01 */
    double threshold[PB_METRIC_COUNT]; /* practical change, a fraction; default 0.05 */
    int metrics[PB_METRIC_COUNT];      /* which metrics to compare */
};

void pb_compare_opts_init(struct pb_compare_opts *o);

enum pb_verdict {
    PB_VERDICT_SAME,        /* "~": no significant change beyond the threshold */
    PB_VERDICT_REGRESSION,  /* significant and the whole interval beyond the threshold, worse */
    PB_VERDICT_IMPROVEMENT, /* the mirror image */
    PB_VERDICT_TOO_FEW,     /* no p below alpha is reachable with these sample sizes */
    PB_VERDICT_INVALID,     /* a value <= 0: no ratio */
    PB_VERDICT_BUSY,        /* either side ran on a busy machine: not measurable here */
    PB_VERDICT_COUNT
};

/* "~", "REGRESSION", ...; and the snake_case form for JSON. */
const char *pb_verdict_label(enum pb_verdict v);
const char *pb_verdict_key(enum pb_verdict v);

struct pb_comparison {
    const struct pb_case_result *base_case, *new_case; /* borrowed from the documents */
    const char *name;                                  /* the case's key, borrowed */
    enum pb_metric metric;
    size_t n_base, n_new;
    double base_median, new_median;
    struct pb_hl ratio; /* NEW / BASE */
    struct pb_mwu test;
    double p_adjusted; /* Holm across every tested comparison of the invocation */
    int tested;        /* part of the Holm family (both sides have positive samples) */
    enum pb_verdict verdict;
    size_t need; /* PB_VERDICT_TOO_FEW: repetitions per side that could reach alpha */
};

struct pb_strlist {
    char **v;
    size_t n, cap;
};

struct pb_compare {
    const struct pb_doc *base, *new_doc; /* borrowed */
    struct pb_compare_opts opts;
    struct pb_strlist warnings;
    struct pb_strlist base_only, new_only; /* keys of unmatched cases */
    size_t matched;                        /* cases in both documents */
    struct pb_comparison *rows;
    size_t nrows;
    size_t family; /* comparisons in the Holm family */
    size_t counts[PB_VERDICT_COUNT];
};

/* Matches the cases of the two documents by their key and compares every selected metric
 * either side has. -ENOMEM. */
int pb_compare_run(const struct pb_doc *base, const struct pb_doc *new_doc,
                   const struct pb_compare_opts *opts, struct pb_compare **out, struct pb_err *err);
void pb_compare_destroy(struct pb_compare *c);

/* 1 when any comparison is a regression. */
int pb_compare_has_regression(const struct pb_compare *c);

#endif
