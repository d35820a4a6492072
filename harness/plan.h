/* The plan of one invocation: the matrix of cases (runner x workload x parameters x concurrency)
 * that the command line or a suite file asks for, expanded by ONE rule, each case with ONE
 * identity, and checked before any work starts. */
#ifndef PB_PLAN_H
#define PB_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "harness/case_info.h"
#include "harness/load.h"
#include "harness/params.h"
#include "harness/runner.h"
#include "harness/pin.h"
#include "harness/workload.h"

/* The defaults of `parbench run`, which a suite shares. */
#define PB_DEFAULT_TASKS       1000
#define PB_DEFAULT_REPEAT      10 /* enough samples for compare to reach alpha 0.01 */
#define PB_DEFAULT_WARMUP      1
#define PB_DEFAULT_QUEUE_DEPTH PB_CASE_DEFAULT_QUEUE_DEPTH
#define PB_DEFAULT_GRACE_NS    2000000000u
/* The bounds a command line and a suite share. */
#define PB_MAX_REPEAT      1000000
#define PB_MAX_QUEUE_DEPTH (1u << 30)
#define PB_MAX_LOOPS       4096
/* Seeds stay below 2^53, exact in every JSON reader. */
#define PB_MAX_INTERLEAVE_SEED ((UINT64_C(1) << 53) - 1)

/* What a suite may vary per group and the command line sets once for every case. */
struct pb_case_settings {
    struct pb_load load;
    unsigned loops;       /* event loop threads */
    unsigned queue_depth; /* a power of two */
    unsigned repeat, warmup;
    uint64_t timeout_ns; /* 0: none */
    uint64_t grace_ns;
    struct pb_pin_spec pin;
};

/* The settings every case gets unless told otherwise. */
void pb_case_settings_default(struct pb_case_settings *s);

struct pb_case_spec {
    const struct pb_runner_ops *runner;
    const struct pb_workload_ops *workload;
    struct pb_params params;
    unsigned concurrency; /* 0: every task at once (a gather) */
    struct pb_case_settings set;
    char *id; /* the canonical key (owned by the plan) */
};

/* Settings of the invocation as a whole. */
struct pb_plan {
    struct pb_case_spec *cases;
    size_t count;
    size_t capacity;
    size_t *index; /* open addressing over the cases' ids: duplicates found in O(1) */
    size_t index_size;
    int fail_fast;
    double max_errors;     /* failures allowed before exit 1: a count, or a percentage if */
    int max_errors_is_pct; /* given as one */
    int isolate;           /* each repetition in a fresh process */
    int interleave;        /* repetitions round-robin over the cases, in a random order a round */
    uint64_t interleave_seed; /* that order's seed */
    int quiet;
    char output[4096];    /* "" default path, "-" stdout */
    char suite[4096];     /* the suite file, if any */
    char suite_name[256]; /* and what it calls itself */
    char suite_description[1024];
};

/* One entry of a matrix: a workload whose parameters each take one or more values, run by every
 * runner at every concurrency level, with shared settings. */
struct pb_param_axis {
    const char *key;
    const char *const *values; /* as text, already checked */
    size_t count;
};

struct pb_matrix {
    const struct pb_workload_ops *workload;
    const struct pb_runner_ops *const *runners;
    size_t nrunners;
    const unsigned *levels; /* -c: tasks in progress at once */
    size_t nlevels;
    /* The levels were asked for on their own (a command line's -c): a runner that takes none
     * (serial, eventloop) is then an error unless another runner or a sweep takes them. */
    int levels_explicit;
    const struct pb_param_axis *axes;
    size_t naxes;
    struct pb_case_settings set;
};

void pb_plan_init(struct pb_plan *p);
void pb_plan_free(struct pb_plan *p);
/* Drops the cases from count on. */
void pb_plan_truncate(struct pb_plan *p, size_t count);

/* Keeps only the cases whose ids are listed (in the plan's order): a run of part of a suite, as
 * scripts/ci-regress asks for the cases still undecided. -EINVAL with err naming an id the plan
 * does not have (the plan unchanged); -ENOMEM. */
int pb_plan_select(struct pb_plan *p, char *const *ids, size_t n, struct pb_err *err);

/* Appends every case of the matrix: each combination of parameter values, for each runner,
 * at each level (a runner that runs one task at a time, or every task at once, runs once).
 * -EINVAL with err naming the problem: a level a runner cannot take, a case that is already in
 * the plan (err names it), a value a parameter refuses. -ENOMEM. On error the plan keeps the
 * cases it had. */
int pb_plan_expand(struct pb_plan *p, const struct pb_matrix *m, struct pb_err *err);

/* Checks the plan before any work: each case's settings against its runner, its pin list
 * against the topology, what its runner and workload need (their preflight: descriptors,
 * processes, memory, a reachable server), and its workload's parameters (prepared once). 0;
 * -EINVAL when the plan is wrong (exit 2); another negative code when the environment refuses
 * (exit 3). */
int pb_plan_check(const struct pb_plan *p, const struct pb_topo *topo, struct pb_err *err);

/* The case's document identity and settings (info is filled; free it with
 * pb_case_info_free). -ENOMEM. */
int pb_case_info_from_spec(const struct pb_case_spec *c, struct pb_case_info *info);
/* A label for messages and tables: "threads cpu.sumsq c=2". */
void pb_case_label(const struct pb_case_spec *c, char *buf, size_t len);
/* Workers the case uses (threads, processes, loops). */
unsigned pb_case_workers(const struct pb_case_spec *c);
/* The workload's view of the case (params point into c). spare_pu -1, fixture NULL. */
void pb_case_workload_env(const struct pb_case_spec *c, struct pb_workload_env *env);
/* Nonzero when some case's runner forks (the zygote is needed). */
int pb_plan_forks(const struct pb_plan *p);

#endif
