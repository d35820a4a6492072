/* The machine's topology (hwloc) and the pin plan that maps workers to processing units. */
#ifndef PB_TOPO_H
#define PB_TOPO_H

#include <stdio.h>

#include <jansson.h>

#include "harness/cpuset.h"
#include "harness/error.h"

struct pb_topo;

/* Loads a topology. source NULL: this machine (PUs this process may use). "synthetic:DESC"
 * (e.g. "synthetic:pack:2 core:8 pu:2"): an hwloc synthetic topology. Anything else: an hwloc
 * XML file. The PARBENCH_TOPOLOGY environment variable, when set, replaces a NULL source (tests
 * use it to run the CLI on topologies this machine does not have). */
int pb_topo_load(struct pb_topo **out, const char *source, struct pb_err *err);
void pb_topo_destroy(struct pb_topo *t);

unsigned pb_topo_pu_count(const struct pb_topo *t);
unsigned pb_topo_core_count(const struct pb_topo *t);
/* The CPU model name ("unknown" when hwloc has none). */
const char *pb_topo_cpu_model(const struct pb_topo *t);
/* Where the topology came from: the source given (or PARBENCH_TOPOLOGY), or "this machine". */
const char *pb_topo_source(const struct pb_topo *t);
/* Nonzero when the topology is the machine this process runs on, so a pin plan can be applied. */
int pb_topo_is_this_system(const struct pb_topo *t);
/* Packages, NUMA nodes, cores, PUs (with OS indices) and caches. */
json_t *pb_topo_to_json(const struct pb_topo *t);
/* The whole hwloc tree ({"type", "os_index", "size_bytes", "memory_bytes", "children"}); kept
 * out of pb_topo_to_json because it grows with the machine. */
json_t *pb_topo_tree_to_json(const struct pb_topo *t);
/* In words: counts, CPU model, caches and the tree down to each core's PUs (OS indices). */
void pb_topo_print(const struct pb_topo *t, FILE *out);

enum pb_pin_policy {
    PB_PIN_NONE,    /* no binding: every worker may run on every PU */
    PB_PIN_COMPACT, /* PUs in logical order: siblings of one core first */
    PB_PIN_SCATTER, /* spread across packages, then cores (hwloc_distrib) */
    PB_PIN_CORES,   /* one PU per physical core */
    PB_PIN_LIST,    /* the PUs named by OS index, in the order given */
};

struct pb_pin_spec {
    enum pb_pin_policy policy;
    struct pb_cpuset list; /* PB_PIN_LIST: the named OS indices */
    char text[256];        /* as the user wrote it, for the document */
};

/* "none", "compact", "scatter", "cores" or "list:0,2-3". */
int pb_pin_parse(const char *text, struct pb_pin_spec *out, struct pb_err *err);
const char *pb_pin_policy_name(enum pb_pin_policy p);

/* One CPU set per worker. With more workers than the policy has PUs, worker i takes the set of
 * worker i mod (PUs in the policy's order): the order wraps around, so PUs are shared evenly. */
struct pb_pin_plan {
    enum pb_pin_policy policy;
    unsigned nworkers;
    struct pb_cpuset sets[]; /* nworkers entries */
};

/* -EINVAL when a list names a CPU the topology does not have (err names it). */
int pb_pin_plan_make(const struct pb_topo *t, const struct pb_pin_spec *spec, unsigned nworkers,
                     struct pb_pin_plan **out, struct pb_err *err);
void pb_pin_plan_destroy(struct pb_pin_plan *p);
/* A PU (OS index) that no worker of the plan is bound to, or -1 (none free, or policy none). */
int pb_pin_plan_spare_pu(const struct pb_topo *t, const struct pb_pin_plan *p);
/* [[0],[1],...]: each worker's set as an array of OS indices. */
json_t *pb_pin_plan_to_json(const struct pb_pin_plan *p);

#endif
