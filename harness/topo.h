/* The machine's topology (hwloc): loading it, describing it, and the questions a pin plan asks
 * of it (harness/pin.h turns a policy into a plan). */
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

/* The PUs workers may use are numbered i in [0, pb_topo_pu_count) in hwloc's logical order,
 * which keeps the PUs of one core together. */
unsigned pb_topo_pu_os_index(const struct pb_topo *t, unsigned i);
/* Equal for PUs of one core and only for them: the number of the core's first PU (the PU's own
 * where hwloc found no core level). */
unsigned pb_topo_pu_core(const struct pb_topo *t, unsigned i);
/* The number of the PU with this OS index, or -1 when workers may not use such a PU. */
int pb_topo_pu_find(const struct pb_topo *t, unsigned os_index);
/* Every PU workers may use, as OS indices. */
void pb_topo_pu_set(const struct pb_topo *t, struct pb_cpuset *set);
/* PUs spread over the tree for min(n, PUs) workers (hwloc_distrib picks them): order[k] is the
 * number of worker k's PU, consecutive workers lying under different packages first, then
 * caches, then cores. *count receives how many entries were filled. */
int pb_topo_spread(const struct pb_topo *t, unsigned n, unsigned *order, unsigned *count,
                   struct pb_err *err);

#endif
