/* Which concurrency model won: per group of comparable cases (one workload with one set of
 * parameters, one load and one pin spec, as a chart shows them), the runners ranked by the
 * highest median throughput any of their cases reached. The report's verdict, computed once,
 * here, and exported (`parbench export --format ranking`). */
#ifndef PB_RANKING_H
#define PB_RANKING_H

#include <stddef.h>

#include "harness/result.h"

struct pb_rank_entry {
    const char *runner;                /* borrowed from its case */
    const struct pb_case_result *best; /* its case of the highest median throughput */
};

/* What the group's numbers allow a reader to say. */
enum pb_rank_verdict {
    PB_RANK_ALONE,  /* one runner: nothing to compare */
    PB_RANK_WINNER, /* the winner's interval lies above the runner-up's, on a quiet machine */
    PB_RANK_TIE,    /* the intervals overlap */
    PB_RANK_BUSY,   /* a case of the group ran on a busy machine: not measurable here */
};

/* "alone", "winner", "tie", "busy". */
const char *pb_rank_verdict_key(enum pb_rank_verdict v);

struct pb_rank_group {
    const struct pb_case_result *first; /* the group's first case: workload, params, load, pin */
    struct pb_rank_entry *ranked;       /* highest throughput first; runners without one left out */
    size_t nranked;
    /* With a runner-up: the winner's throughput over its, and whether they tie: the winner's
     * median CI reaches down to the runner-up's (ci_low <= its ci_high). */
    double ratio; /* NAN without a runner-up (or one at 0) */
    int tie;
    enum pb_rank_verdict verdict;
    char busy_during[256]; /* PB_RANK_BUSY: the labels of the untrustworthy cases */
    /* The winner over its baseline's best (serial, py.serial), when it is not that; NAN otherwise.
     * Suspect (never a finding) when the winner's own speed-up is (harness/result.c judges it). */
    double vs_serial;
    int vs_serial_suspect;
    /* The case of the lowest median p99 latency among the runners other than serial (whose
     * latency is its service time, having no queue); NULL when none has one. */
    const struct pb_case_result *lowest_p99;
};

struct pb_ranking {
    struct pb_rank_group *groups; /* in the order their first cases come */
    size_t n;
};

/* Ranks the cases (borrowed: they must outlive the ranking). Equal throughputs rank in the
 * registry's runner order (serial, threads, processes, eventloop, semaphore), and a runner's
 * best case among equals is its lowest concurrency (all-at-once last), then the first. -ENOMEM.
 */
int pb_rank_cases(const struct pb_case_result *cases, size_t n, struct pb_ranking *out);
void pb_ranking_free(struct pb_ranking *r);

#endif
