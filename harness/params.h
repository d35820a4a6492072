/* Typed plug-in parameters: a definition table per plug-in and the values parsed from -p key=value.
 */
#ifndef PB_PARAMS_H
#define PB_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "harness/error.h"

#define PB_PARAMS_MAX   16
#define PB_PARAM_STRMAX 1024

enum pb_param_type {
    PB_PARAM_INT,
    PB_PARAM_DOUBLE,
    PB_PARAM_BOOL,
    PB_PARAM_STRING,
};

struct pb_param_def {
    const char *name;
    enum pb_param_type type;
    const char *def; /* default, in the same text form a user writes */
    double min;      /* inclusive range for INT and DOUBLE, applied when min < max */
    double max;
    const char *help;
};

struct pb_param_value {
    int64_t i; /* INT and BOOL */
    double d;  /* DOUBLE (and INT, converted) */
    char s[PB_PARAM_STRMAX];
};

/* The values of one plug-in's parameters; plain data, so it can be copied into a fork. */
struct pb_params {
    const struct pb_param_def *defs;
    size_t count;
    struct pb_param_value v[PB_PARAMS_MAX];
};

/* Fills p with the defaults of defs[0..count). */
int pb_params_init(struct pb_params *p, const struct pb_param_def *defs, size_t count,
                   struct pb_err *err);
/* Sets one parameter from text; -ENOENT when the plug-in has no such key, -EINVAL when the value
 * has the wrong type or is out of range (err names the key and the value). */
int pb_params_set(struct pb_params *p, const char *key, const char *value, struct pb_err *err);
const struct pb_param_def *pb_params_find(const struct pb_params *p, const char *key);

/* Accessors by name; the name must exist in the table (a programming error otherwise). */
int64_t pb_param_int(const struct pb_params *p, const char *key);
double pb_param_double(const struct pb_params *p, const char *key);
int pb_param_bool(const struct pb_params *p, const char *key);
const char *pb_param_str(const struct pb_params *p, const char *key);

const char *pb_param_type_name(enum pb_param_type type);

/* Parses integers with optional k/M/G (x1000) or Ki/Mi/Gi (x1024) suffixes. */
int pb_parse_int(const char *text, int64_t *out);
/* Parses durations: a number with ns, us, ms, s (default), m or h. */
int pb_parse_duration_ns(const char *text, uint64_t *out);

#endif
