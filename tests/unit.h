/* What the cmocka unit tests share. Include after <cmocka.h>. */
#ifndef PB_TEST_UNIT_H
#define PB_TEST_UNIT_H

#include <stdio.h>

#include "harness/topo.h"

/* Topologies this machine lacks, as hwloc synthetic descriptions. */
#define TOPO_SMALL  "synthetic:pack:1 core:2 pu:1"
#define TOPO_BIG    "synthetic:pack:2 core:8 pu:2"
#define TOPO_INTEL  "synthetic:pack:2 core:8 pu:2(indexes=2*16:1*2)"
#define TOPO_NUMA4  "synthetic:pack:2 numa:2 core:4 pu:2"
#define TOPO_FLAT4  "synthetic:numa:4 core:4 pu:1"
#define TOPO_CACHED "synthetic:pack:2 l3:1 l2:8 l1d:1 core:1 pu:2"

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
