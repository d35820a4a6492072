/* Pin policies ("compact", "list:0,2-3") and the plans that map workers to processing units. */
#ifndef PB_PIN_H
#define PB_PIN_H

#include <jansson.h>

#include "harness/cpuset.h"
#include "harness/error.h"
#include "harness/topo.h"

enum pb_pin_policy {
    PB_PIN_NONE,    /* no binding: every worker may run on every PU */
    PB_PIN_COMPACT, /* PUs in logical order: siblings of one core first */
    PB_PIN_SCATTER, /* spread across packages, then cores (hwloc_distrib) */
    PB_PIN_CORES,   /* one PU per physical core */
    PB_PIN_LIST,    /* the PUs named by OS index, in ascending order whatever the order written */
};

/* The longest pin policy text, with its terminator. */
#define PB_PIN_TEXT_MAX 256

struct pb_pin_spec {
    enum pb_pin_policy policy;
    struct pb_cpuset list;      /* PB_PIN_LIST: the named OS indices */
    char text[PB_PIN_TEXT_MAX]; /* as the user wrote it, for the document */
};

/* "none", "compact", "scatter", "cores" or "list:CPUS" ("list:0,2-3", as pb_cpuset_parse reads
 * it: no spaces, at least one CPU). -EINVAL with err naming the text otherwise, and for a text
 * of PB_PIN_TEXT_MAX characters or more. */
int pb_pin_parse(const char *text, struct pb_pin_spec *out, struct pb_err *err);
const char *pb_pin_policy_name(enum pb_pin_policy p);
/* One text per way of pinning, to compare specs by: the policy's name, or "list:" and the CPUs
 * in ascending order with ranges ("list:0-1" for "list:1,0", "list:0,1" and "list:0-1,1"),
 * since a plan takes a list's CPUs in ascending order whatever the order written. Two specs
 * give the same text exactly when they make the same plan on every topology. It is never
 * longer than the text it was parsed from, so PB_PIN_TEXT_MAX bytes hold it; -ENOSPC (and "")
 * when len is too small, -EINVAL for a policy pb_pin_parse never makes. */
int pb_pin_spec_canonical(const struct pb_pin_spec *s, char *buf, size_t len);

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
