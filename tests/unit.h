/* What the cmocka unit tests share. Include after <cmocka.h>. */
#ifndef PB_TEST_UNIT_H
#define PB_TEST_UNIT_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/case_info.h"
#include "harness/topo.h"

/* cmocka 1.1.5 has no floating-point assertion. */
#define assert_close(a, b, tol)                                                                    \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= (tol)))                                                             \
            fail_msg("%s = %.17g, expected %.17g", #a, a_, b_);                                    \
    } while (0)

/* Topologies this machine lacks, as hwloc synthetic descriptions. */
#define TOPO_SMALL  "synthetic:pack:1 core:2 pu:1"
#define TOPO_BIG    "synthetic:pack:2 core:8 pu:2"
#define TOPO_INTEL  "synthetic:pack:2 core:8 pu:2(indexes=2*16:1*2)"
#define TOPO_NUMA4  "synthetic:pack:2 numa:2 core:4 pu:2"
#define TOPO_FLAT4  "synthetic:numa:4 core:4 pu:1"
#define TOPO_CACHED "synthetic:pack:2 l3:1 l2:8 l1d:1 core:1 pu:2"

/* The identity of a cpu.sumsq n=1000 case of 100 tasks: runner at conc workers, pinned by pin
 * ("compact", "list:0,1", ...), repeat repetitions; finished (its id made), or fails the test. */
static inline void test_case_info(struct pb_case_info *info, const char *runner, unsigned conc,
                                  const char *pin, unsigned repeat)
{
    info->runner = strdup(runner);
    info->workload = strdup("cpu.sumsq");
    assert_int_equal(pb_case_info_add_param(info, "n", PB_PARAM_INT, 1000, 0, NULL), 0);
    info->concurrency = conc;
    info->workers = conc;
    info->loops = 1;
    info->load.tasks = 100;
    snprintf(info->pin_policy, sizeof(info->pin_policy), "%s",
             strncmp(pin, "list:", 5) == 0 ? "list" : pin);
    snprintf(info->pin_spec, sizeof(info->pin_spec), "%s", pin);
    info->queue_depth = PB_CASE_DEFAULT_QUEUE_DEPTH;
    info->repeat = repeat;
    info->grace_ns = 2000000000u;
    assert_int_equal(pb_case_info_finish(info), 0);
}

/* Loads a topology (NULL: this machine), or fails the test. */
static inline struct pb_topo *test_load_topo(const char *source)
{
    struct pb_topo *t = NULL;
    struct pb_err err = {{0}};
    if (pb_topo_load(&t, source, &err) != 0)
        fail_msg("loading %s: %s", source ? source : "this machine", err.msg);
    return t;
}

/* Whether a process is gone: no longer there, or a zombie nobody reaps (PID 1 in a container
 * may not). */
static inline int test_gone(int pid)
{
    char path[64], state = 0;
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 1;
    if (fscanf(f, "%*d %*s %c", &state) != 1)
        state = 0;
    fclose(f);
    return state == 'Z' || state == 'X';
}

#endif
