/* Typed plug-in parameters: a definition table per plug-in and the values parsed from -p key=value.
 */
#ifndef PB_PARAMS_H
#define PB_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "harness/error.h"

/* The parameter types, tables and accessors are part of the plug-in interface. */

/* Fills p with the defaults of defs[0..count). */
int pb_params_init(struct pb_params *p, const struct pb_param_def *defs, size_t count,
                   struct pb_err *err);
/* Sets one parameter from text; -ENOENT when the plug-in has no such key, -EINVAL when the value
 * has the wrong type or is out of range (err names the key and the value). */
int pb_params_set(struct pb_params *p, const char *key, const char *value, struct pb_err *err);
const struct pb_param_def *pb_params_find(const struct pb_params *p, const char *key);
const char *pb_param_type_name(enum pb_param_type type);

/* Value parsers for the command line, suite files and -p. Each takes the whole text or nothing:
 * no space, no hex, no inf or nan, and returns 0, -EINVAL (not such a value) or -ERANGE (one too
 * large for the type, or beyond a documented maximum). On failure *out is 0, never undefined.
 * They name nothing: the caller's message says which option the text came from (harness/quote.h
 * shows the text). */

/* An integer: optional sign, decimal digits, an optional k/M/G (x1000) or Ki/Mi/Gi (x1024)
 * suffix ("-2k", "4Ki"); int64 range, -ERANGE beyond it, also through the suffix. */
int pb_parse_int(const char *text, int64_t *out);
/* The same without a sign, for counts where a negative makes no sense ("-0" and "+1" too are
 * -EINVAL); uint64 range. */
int pb_parse_uint(const char *text, uint64_t *out);
/* A finite decimal number: optional sign, digits with an optional point (".5", "5.", "2.25"),
 * an optional exponent ("1e-3", "2E+6"). -ERANGE where the value overflows a double or
 * underflows below its normal range ("1e999", "1e-400"). */
int pb_parse_double(const char *text, double *out);

/* 365 days: a benchmark longer than that is a typo, and every sum of a start time and a
 * duration stays far from wrapping. */
#define PB_DURATION_MAX_NS (UINT64_C(365) * 24 * 3600 * 1000000000)

/* A duration: a decimal number without sign or exponent ("2", "1.5", ".5", "5.") and a unit:
 * ns, us, ms, s, m (minutes), h, or none for seconds. Fractions round to the nearest ns. At most
 * PB_DURATION_MAX_NS: -ERANGE beyond it, checked at every step of number x unit. */
int pb_parse_duration_ns(const char *text, uint64_t *out);

/* Splits a command line's comma list ("threads,processes") into *n items: one allocation, an
 * array of *n + 1 pointers (NULL last) into a copy of the text; free(*items) frees it all.
 * -EINVAL for an empty list or item ("", ",", "1,,2", "1,") or an item with spaces around it,
 * with err naming `what` (the option, e.g. "-r") and the text; *items is NULL and *n 0 then.
 * The items are not compared: whether two mean the same is the caller's to say. -ENOMEM when
 * memory runs out. */
int pb_split_list(const char *text, const char *what, char ***items, size_t *n, struct pb_err *err);

/* Splits -p's value list ("1Ki,64Ki", "'a,b',c") into *n values, owned as pb_split_list's
 * items are (one block, NULL last, free(*items)). A comma inside single or double quotes does
 * not split; there are no escapes (a quote ends at the next quote of its kind). An item wholly
 * enclosed in one pair of quotes loses that pair ("'a,b'" is a,b and "''" the empty value);
 * other quotes stay as written, for workloads that parse their own ("sh -c 'echo a,b'"). The
 * empty text is one empty value, for the parameter's type to judge as before sweeps. -EINVAL,
 * err naming `what` (e.g. "-p n") and the text, for an unterminated quote or an empty item
 * ("1,,2", "1,", ","); *items is NULL and *n 0 then. Duplicates are the caller's. -ENOMEM. */
int pb_split_values(const char *text, const char *what, char ***items, size_t *n,
                    struct pb_err *err);

/* -c's concurrency levels ("1,2,4", "1k"): whole numbers as pb_parse_uint reads them, each in
 * [min, max], none twice ("1,1" and "1000,1k" are -EINVAL naming the value). An allocated
 * array of *n levels in the order given (free(*levels)); NULL and 0 on failure (-EINVAL, or
 * -ENOMEM). Messages start with "-c: ". */
int pb_parse_levels(const char *text, unsigned min, unsigned max, unsigned **levels, size_t *n,
                    struct pb_err *err);

#endif
