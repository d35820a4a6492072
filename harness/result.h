/* Typed results: what a repetition measured and what a case is made of, the working model of the
 * driver, the console, compare, export and merge. JSON is only how they are written
 * (harness/doc_write.c) and read back (harness/doc_read.c). */
#ifndef PB_RESULT_H
#define PB_RESULT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "harness/case_info.h"
#include "harness/cpuset.h"
#include "harness/histogram.h"
#include "harness/metric.h"
#include "harness/record.h"
#include "harness/stats.h"

struct pb_percentiles {
    uint64_t min, p50, p90, p99, p99_9, max;
    double mean;
};

/* One worker of a repetition: where it was pinned and where its tasks ran. */
struct pb_worker_result {
    struct pb_cpuset given, seen;
    uint64_t migrations, tasks;
    uint32_t replaced;
    char last_failure[128]; /* "" when none */
};

/* What the rest of the machine did while a repetition ran (harness/machine.c), and whether that
 * disturbed it. Shares are in CPUs' worth: 0.5 is half of one CPU for the whole wall time. */
struct pb_rep_machine {
    int watched;        /* 0: nothing sampled (an old document, no /proc) */
    double others_cpus; /* other processes' CPU time on the case's PUs */
    double steal_cpus;  /* steal time on the case's PUs (the hypervisor's other guests) */
    double load1;       /* the 1-minute load average at the end */
    double freq_mhz;    /* mean frequency of the case's PUs; 0 when unknown */
    char governor[32];  /* cpufreq governor; "" when unknown */
    double run_wait;    /* workers' time runnable but not running, over their wall */
    uint64_t involuntary_switches; /* the workers' */
    double cpu_per_task_ns;        /* workers' CPU time per finished task */
    double cpu_per_task_ratio;     /* cpu_per_task_ns over the case's quiet baseline; 0: none */
    int busy;                      /* flagged: the machine disturbed this repetition */
    char busy_reason[256];         /* what was seen, with how much; "" when not busy */
};

struct pb_rep_result {
    int complete;   /* 0: interrupted; kept, but no sample */
    unsigned round; /* interleaved runs: the round (1-based) it ran in; 0 when sequential */
    unsigned order; /* interleaved runs: its place (1-based) in that round's random order */
    double wall_s;
    uint64_t submitted, ok, failed, timeouts;
    uint64_t failures[PB_STATUS_COUNT]; /* by kind; [PB_OK] stays 0 */
    double throughput_per_s;
    int has_bytes;
    double bytes_per_s;
    struct pb_percentiles latency, service;
    struct pb_usage usage;
    uint64_t peak_rss_bytes;
    uint64_t migrations;
    struct pb_worker_result *workers; /* owned */
    size_t nworkers;
    int check_ok;
    char check_message[512];
    json_t *workload; /* the workload's own facts (owned reference), or NULL */
    json_t *fixture;  /* the case fixture's facts for this repetition (owned), or NULL */
    struct pb_rep_machine machine;
};

/* Fills a repetition's totals from its workers' records; wall_s from their last finish. */
int pb_rep_from_records(struct pb_rep_result *r, const struct pb_worker_record *recs, unsigned n,
                        uint64_t start_ns, int complete);
void pb_rep_free(struct pb_rep_result *r);
/* A deep copy (the JSON members get their own references). -ENOMEM. */
int pb_rep_copy(struct pb_rep_result *dst, const struct pb_rep_result *src);

#define PB_SPECTRUM_POINTS 21
/* The percentiles of a case's latency spectrum. */
extern const double pb_spectrum_percentiles[PB_SPECTRUM_POINTS];

struct pb_speedup {
    int present;
    char baseline[1024]; /* the serial case's id */
    double value, efficiency;
    double ci_low, ci_high; /* the interval of value; NAN when there is none */
    int paired;             /* value is the median of per-round ratios (an interleaved run) */
    size_t pairs;           /* the rounds paired */
    int suspect;            /* above what the workers' PUs allow, or measured on a busy machine */
    char suspect_reason[256];
};

/* Whether a case's samples can be believed, from its repetitions' machine flags. */
struct pb_case_trust {
    int judged;      /* 0: no repetition was watched */
    int trustworthy; /* 0: most repetitions ran on a busy machine */
    unsigned busy_reps;
    char reason[256]; /* "" when trustworthy */
};

struct pb_case_result {
    struct pb_case_info info;   /* owned */
    struct pb_cpuset *pin_plan; /* one set per worker, owned */
    unsigned pin_workers;
    struct pb_rep_result *reps; /* kept repetitions in order, owned */
    size_t nreps, cap;
    unsigned warmups;
    int complete;
    struct pb_summary summary[PB_METRIC_COUNT];
    int has_summary[PB_METRIC_COUNT];
    uint64_t spectrum[PB_SPECTRUM_POINTS]; /* latency at pb_spectrum_percentiles */
    int has_spectrum;
    struct pb_speedup speedup;
    struct pb_case_trust trust;
    char **warnings; /* owned */
    size_t nwarnings;
};

void pb_case_result_init(struct pb_case_result *c);
void pb_case_result_free(struct pb_case_result *c);
/* Appends r, taking ownership of its members (r is emptied). -ENOMEM. */
int pb_case_result_add_rep(struct pb_case_result *c, struct pb_rep_result *r);
/* Appends a warning unless the case has it already. -ENOMEM. */
int pb_case_result_warn(struct pb_case_result *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The samples of metric m: its value in each complete repetition that has it. *x is allocated
 * (NULL when *n is 0). -ENOMEM. */
int pb_case_samples(const struct pb_case_result *c, enum pb_metric m, double **x, size_t *n);
/* Summaries of every metric from the complete repetitions; the spectrum from latency when given
 * (a merge has no histogram and keeps the spectrum it set). -ENOMEM. */
int pb_case_summarize(struct pb_case_result *c, const struct pb_hist *latency);
/* The median of metric m, or NAN without a summary. */
double pb_case_median(const struct pb_case_result *c, enum pb_metric m);
/* Failed tasks over the kept repetitions. */
uint64_t pb_case_failed(const struct pb_case_result *c);
/* Flags what makes the samples untrustworthy: spread, outliers, too-short repetitions. Each
 * warning goes to the case; fn, when not NULL, hears each one too (the console). -ENOMEM. */
int pb_case_check_stability(struct pb_case_result *c,
                            void (*fn)(const char *label, const char *msg));

/* Whether two cases ran the same work: workload, parameters and load model. */
int pb_case_same_work(const struct pb_case_info *a, const struct pb_case_info *b);

/* The case's trust from its repetitions' machine flags: judged when any was watched, not
 * trustworthy when more than half of the watched ones were busy. */
void pb_case_judge_trust(struct pb_case_result *c);
/* Judged and found untrustworthy: its numbers decide nothing (an unwatched case is not). */
static inline int pb_case_untrusted(const struct pb_case_result *c)
{
    return c->trust.judged && !c->trust.trustworthy;
}

/* The runner a case's speed-up is measured against: each language against its own loop of
 * calls, py.serial for the py runners, serial for the others. */
const char *pb_baseline_runner(const char *runner);
int pb_is_baseline_runner(const char *runner);

/* Speed-up against serial (pb_baseline_runner): each case whose workload, parameters and load
 * also ran under its baseline gets one, and the efficiency per worker. When both ran interleaved
 * (their complete repetitions carry rounds), it is paired: the median over rounds of the per-round
 * throughput ratio, with that median's interval; otherwise the ratio of median throughputs.
 * -ENOMEM. */
int pb_speedups(struct pb_case_result *cases, size_t n);
/* The per-round ratios of c's throughput to base's: c's complete repetition of round k over
 * base's, the i-th of a round with the i-th (a merge holds a round once per input). *x is
 * allocated (NULL when *n is 0). -ENOMEM. */
int pb_paired_ratios(const struct pb_case_result *c, const struct pb_case_result *base, double **x,
                     size_t *n);

#endif
