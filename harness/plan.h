/* The plan of one invocation: the matrix of cases (runner x workload x parameters x concurrency)
 * that the command line or a suite file asks for, checked before any work starts. */
#ifndef PB_PLAN_H
#define PB_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "harness/params.h"
#include "harness/runner.h"
#include "harness/pin.h"
#include "harness/workload.h"

/* The defaults of `parbench run`, which a suite shares. */
#define PB_DEFAULT_TASKS       1000
#define PB_DEFAULT_REPEAT      10 /* enough samples for compare to reach alpha 0.01 */
#define PB_DEFAULT_WARMUP      1
#define PB_DEFAULT_QUEUE_DEPTH 1024

struct pb_case_spec {
    const struct pb_runner_ops *runner;
    const struct pb_workload_ops *workload;
    struct pb_params params;
    unsigned concurrency; /* 0: every task at once (eventloop) */
    unsigned loops;       /* event loop threads */
    uint64_t tasks;       /* 0 with duration_ns */
    uint64_t duration_ns;
    double rate; /* 0: closed loop */
    enum pb_arrivals arrivals;
    unsigned queue_depth;
    uint64_t timeout_ns;
    struct pb_pin_spec pin;
    unsigned repeat;
    unsigned warmup;
};

/* Settings of the invocation as a whole. */
struct pb_plan {
    struct pb_case_spec *cases;
    size_t count;
    size_t capacity;
    int fail_fast;
    double max_errors;     /* failures allowed before exit 1: a count, or a fraction if */
    int max_errors_is_pct; /* given as a percentage */
    uint64_t grace_ns;
    int isolate; /* each repetition in a fresh process */
    int quiet;
    char output[4096];    /* "" default path, "-" stdout */
    char suite[4096];     /* the suite file, if any */
    char suite_name[256]; /* and what it calls itself */
    char suite_description[1024];
};

void pb_plan_init(struct pb_plan *p);
void pb_plan_free(struct pb_plan *p);
/* Appends a copy of c; -ENOMEM. */
int pb_plan_add(struct pb_plan *p, const struct pb_case_spec *c);
/* A label for messages and tables: "threads cpu.sumsq c=2". */
void pb_case_label(const struct pb_case_spec *c, char *buf, size_t len);
/* Workers the case uses (threads, processes, loops). */
unsigned pb_case_workers(const struct pb_case_spec *c);

#endif
