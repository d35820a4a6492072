/* What a case is and how it was run, as a result document records it: the fields compare and
 * merge match on, with ONE canonical key (the case's "id"), and the settings a suite may vary
 * per group. Built from a plan's case spec when running, and from a document when reading. */
#ifndef PB_CASE_INFO_H
#define PB_CASE_INFO_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "harness/load.h"
#include "harness/params.h"

struct pb_case_param {
    char *name;
    enum pb_param_type type;
    int64_t i; /* INT and BOOL */
    double d;  /* DOUBLE */
    char *s;   /* STRING */
};

struct pb_case_info {
    char *id; /* the canonical key: pb_case_info_finish */
    char *runner, *workload;
    /* The workload's PB_WL_* flags as the document says them ("workload_kind"), so that a
     * reader without the plug-in that ran it still knows its kind; -1 in an older document. */
    int workload_flags;
    struct pb_case_param *params; /* in the workload's order */
    size_t nparams;
    int gather;           /* every task at once: no concurrency (eventloop) */
    unsigned concurrency; /* when not gather */
    unsigned workers, loops;
    struct pb_load load; /* seed unused */
    char pin_policy[16];
    char pin_spec[256]; /* canonical */
    unsigned queue_depth;
    unsigned repeat, warmup;
    uint64_t timeout_ns; /* 0: none */
    uint64_t grace_ns;
};

/* The defaults a key leaves out, so ids stay short: loops 1, compact pinning, queue depth. */
#define PB_CASE_DEFAULT_PIN         "compact"
#define PB_CASE_DEFAULT_QUEUE_DEPTH 1024

/* Adds a parameter (copies name and text). -ENOMEM. */
int pb_case_info_add_param(struct pb_case_info *c, const char *name, enum pb_param_type type,
                           int64_t i, double d, const char *s);
/* Computes the id from the fields: runner/workload, the parameters sorted by name with
 * canonical values (64Ki and 65536 are one value, 4 and 4.0 too), c=N, loops=L (not 1),
 * the open load (open:RATE/s,ARRIVALS), pin=SPEC (not compact), qd=N (not the default). Names
 * and values are escaped (%XX for '%', '/', '=', ',' and control bytes), so two different cases
 * never share an id. -ENOMEM. */
int pb_case_info_finish(struct pb_case_info *c);
void pb_case_info_free(struct pb_case_info *c);
/* "cpu", "io", "cpu+io" or "none", and back (-1 for another text). */
const char *pb_workload_kind_name(unsigned flags);
int pb_workload_kind_flags(const char *name);
/* A deep copy. -ENOMEM. */
int pb_case_info_copy(struct pb_case_info *dst, const struct pb_case_info *src);
/* A label for messages: "threads cpu.sumsq c=2" ("c=all" for a gather, concurrency 0). */
void pb_case_label_of(const char *runner, const char *workload, unsigned concurrency, char *buf,
                      size_t len);
void pb_case_info_label(const struct pb_case_info *c, char *buf, size_t len);
/* One parameter's value in the id's canonical form, unescaped ("65536" for 64Ki). */
void pb_case_param_text(const struct pb_case_param *p, char *buf, size_t len);
/* Parameters as "k=v,k=v" in canonical form, sorted by name ("" when none). Allocated. */
char *pb_case_info_params_text(const struct pb_case_info *c);
/* The load as text: "closed", or "open:RATE/s,ARRIVALS". */
void pb_case_info_load_text(const struct pb_case_info *c, char *buf, size_t len);
/* A typed parameter value as its JSON scalar (a non-finite real: null). A new reference. */
json_t *pb_param_json(enum pb_param_type type, int64_t i, double d, const char *s);

#endif
