/* The regression gate: two result documents compared case by case and metric by metric, with a
 * verdict per comparison that is one of three honest outcomes (a change, no change beyond the
 * threshold, or not decided yet and how many more samples would likely decide it).
 *
 * Paired when the repetitions carry rounds (scripts/ci-regress interleaves base and new in ABBA
 * rounds): each round both sides ran in gives one ratio new/base of the sides' best repetition
 * of that round; the ratios are tested with the Wilcoxon signed-rank test on their logarithms,
 * their size is the paired Hodges-Lehmann estimate with its interval. Otherwise the sides are
 * independent samples: Mann-Whitney U and the two-sample Hodges-Lehmann ratio.
 *
 * The error rate. Only the gated comparisons (per workload kind, its headline metrics:
 * pb_metric_gated) form the family; the rest are reported at the same level, but decide
 * nothing. A sequential job looks at its comparisons after L_1 < L_2 < ... pairs and stops each
 * one once decided; look k is tested at gamma_k = alpha * s_k / family with s_k = 6 / (pi^2 k^2).
 * The s_k sum to 1 over any number of looks, so the chance of any false verdict over every look
 * of every gated comparison stays under alpha (Bonferroni over the looks and the family) whatever
 * the dependence between looks and however many the time budget allows: Pocock's or
 * O'Brien-Fleming's boundaries need the number of looks up front, which a budget does not give.
 * Without looks, one look at every sample: gamma = alpha / family.
 *
 * harness/compare_render.c writes the outcome as a table, Markdown, JSON or JUnit. */
#ifndef PB_COMPARE_H
#define PB_COMPARE_H

#include <stddef.h>

#include "harness/doc_read.h"
#include "harness/error.h"
#include "harness/metric.h"
#include "harness/rank_tests.h"

#define PB_COMPARE_MAX_LOOKS 64

struct pb_strlist {
    char **v;
    size_t n, cap;
};

/* Appends a formatted string. -ENOMEM. */
int pb_strlist_add(struct pb_strlist *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int pb_strlist_has(const struct pb_strlist *l, const char *s);
void pb_strlist_free(struct pb_strlist *l);

enum pb_pairing {
    PB_PAIRING_AUTO = 0, /* paired where both sides ran in a round in common */
    PB_PAIRING_PAIRED,   /* paired, or an error for a case whose rounds do not pair */
    PB_PAIRING_UNPAIRED,
};

struct pb_compare_opts {
    double alpha;                      /* family-wise over the gated comparisons and the looks */
    double threshold[PB_METRIC_COUNT]; /* the smallest change that counts, a fraction */
    int metrics[PB_METRIC_COUNT];      /* which metrics are compared (reported) */
    int gate_auto;                     /* gate each workload kind's headline metrics */
    int gate[PB_METRIC_COUNT];         /* without gate_auto: the metrics gated wherever compared */
    enum pb_pairing pairing;
    unsigned looks[PB_COMPARE_MAX_LOOKS]; /* rounds at each look, increasing; none: one look */
    size_t nlooks;
    struct pb_strlist noisy; /* case keys an A/A calibration found too noisy to gate (owned) */
};

/* alpha 0.05, threshold 5% for every metric, the headline metrics compared, gate_auto, auto
 * pairing, one look. */
void pb_compare_opts_init(struct pb_compare_opts *o);
void pb_compare_opts_free(struct pb_compare_opts *o);

enum pb_verdict {
    PB_VERDICT_SAME,        /* "unchanged": the whole interval lies inside the threshold */
    PB_VERDICT_REGRESSION,  /* significant, the interval excludes no change, the estimate worse
                             * than the threshold */
    PB_VERDICT_IMPROVEMENT, /* the mirror image */
    PB_VERDICT_UNDECIDED,   /* neither yet: need says how many samples would likely decide */
    PB_VERDICT_INVALID,     /* a value <= 0: no ratio */
    PB_VERDICT_BUSY,        /* measured on a busy machine: not measurable here */
    PB_VERDICT_NOISY,       /* the case is named too noisy to gate at this threshold */
    PB_VERDICT_COUNT
};

/* "unchanged", "REGRESSION", ...; and the snake_case form for JSON. */
const char *pb_verdict_label(enum pb_verdict v);
const char *pb_verdict_key(enum pb_verdict v);

enum pb_compare_method {
    PB_METHOD_NONE,
    PB_METHOD_WILCOXON, /* paired: signed-rank test of the log ratios */
    PB_METHOD_MWU,      /* unpaired: Mann-Whitney U */
};

struct pb_comparison {
    const struct pb_case_result *base_case, *new_case; /* borrowed from the documents */
    const char *name;                                  /* the case's key, borrowed */
    enum pb_metric metric;
    int gated; /* part of the family: its verdict decides the gate */
    enum pb_compare_method method;
    int exact;                /* the test's null distribution was exact */
    size_t n_base, n_new;     /* samples on each side (paired: the rounds used, both) */
    size_t pairs, busy_pairs; /* paired: rounds both sides ran in, and those left out as busy */
    double base_median, new_median;
    struct pb_hl ratio; /* NEW / BASE, at the level of the deciding look */
    double p;           /* the test's two-sided p at that look */
    double p_adjusted;  /* p scaled to alpha: below alpha exactly when p < level_alpha */
    double level_alpha; /* gamma: the per-comparison level of that look */
    size_t look;        /* the deciding (or last) look, 1-based */
    int noisy;          /* named in opts->noisy */
    int tested;
    enum pb_verdict verdict;
    size_t need; /* undecided: the samples (pairs, or repetitions per side) likely to decide */
};

struct pb_compare {
    const struct pb_doc *base, *new_doc; /* borrowed */
    const struct pb_compare_opts *opts;  /* borrowed */
    struct pb_strlist warnings;
    struct pb_strlist base_only, new_only; /* keys of unmatched cases */
    size_t matched;                        /* cases in both documents */
    struct pb_comparison *rows;
    size_t nrows;
    size_t family;                            /* gated comparisons */
    size_t counts[PB_VERDICT_COUNT];          /* verdicts of the gated comparisons */
    size_t reported_counts[PB_VERDICT_COUNT]; /* of the others */
};

/* Matches the cases of the two documents by their key and compares every selected metric
 * either side has; opts must outlive the result. -ENOMEM; -EINVAL (err says which case) when
 * pairing is required and a case's rounds do not pair. */
int pb_compare_run(const struct pb_doc *base, const struct pb_doc *new_doc,
                   const struct pb_compare_opts *opts, struct pb_compare **out, struct pb_err *err);
void pb_compare_destroy(struct pb_compare *c);

/* 1 when any gated comparison is a regression. */
int pb_compare_has_regression(const struct pb_compare *c);
/* The share of alpha that look k (1-based) spends: 6 / (pi^2 k^2). */
double pb_compare_spend(size_t k);

#endif
