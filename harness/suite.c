/* Suite files: a JSON matrix (groups of runners x workloads x parameter values x concurrency
 * levels, with settings that cascade from the suite to a group to a workload entry) loaded into
 * plan cases, every key checked before any work starts. workloads/suites/README.md is the
 * format's reference. */
#include "harness/suite.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "harness/plugin.h"
#include "harness/registry.h"
#include "harness/taskq.h"

#define MAX_LIST  64    /* runners or concurrency levels in one group */
#define MAX_CASES 10000 /* lists whose product is larger are a typo, not a plan */
#define ECHO_MAX  64    /* how much of a bad value a message repeats */

/* What a suite, a group and a workload entry may each set; the innermost wins. */
struct settings {
    struct pb_case_settings set;
    int load_given;            /* tasks or duration named somewhere: a rate needs one of them */
    unsigned levels[MAX_LIST]; /* concurrency */
    size_t nlevels;
};

struct loader {
    const char *file;
    struct pb_plan *plan;
    size_t first; /* the plan's first case from this suite */
    struct pb_err *err;
    char path[512]; /* where in the document, "groups[1].workloads[0].params.n" */
};

static const char *const setting_keys[] = {
    "repeat", "warmup", "pin",      "tasks",       "duration",    "timeout", "grace",
    "rate",   "loops",  "arrivals", "queue_depth", "concurrency", NULL,
};
/* interleave is plan-wide (the driver's order of repetitions), so only the top may set it. */
static const char *const top_keys[] = {"name",       "description", "groups",
                                       "interleave", "plugins",     NULL};
static const char *const group_keys[] = {"name",      "description", "runners", "workload",
                                         "workloads", "params",      NULL};
static const char *const entry_keys[] = {"name", "description", "params", NULL};

/* Appends ".key" (or "key" at the top) to the path; returns the length to restore. */
static size_t path_key(struct loader *l, const char *key)
{
    size_t len = strlen(l->path);
    snprintf(l->path + len, sizeof(l->path) - len, "%s%s", len ? "." : "", key);
    return len;
}

static size_t path_index(struct loader *l, size_t i)
{
    size_t len = strlen(l->path);
    snprintf(l->path + len, sizeof(l->path) - len, "[%zu]", i);
    return len;
}

static void path_pop(struct loader *l, size_t len)
{
    l->path[len] = '\0';
}

/* Every message names the file and the place in it, so a suite of fifty groups is fixed in one
 * look. */
__attribute__((format(printf, 2, 3))) static int fail(struct loader *l, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pb_plan_truncate(l->plan, l->first);
    return pb_err_set(l->err, -EINVAL, "%s: %s%s%s", l->file, l->path, l->path[0] ? ": " : "", msg);
}

/* A value as a message shows it: strings quoted, anything else as JSON, both cut short. */
static void echo(const json_t *v, char *buf, size_t len)
{
    if (json_is_string(v)) {
        snprintf(buf, len, "'%.*s'", ECHO_MAX, json_string_value(v));
        return;
    }
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    snprintf(buf, len, "%.*s", ECHO_MAX, s ? s : "?");
    free(s);
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t lb = strlen(b), row[64];
    if (lb >= sizeof(row) / sizeof(row[0]))
        return lb;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; a[i - 1]; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static int in_list(const char *key, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(key, *list) == 0)
            return 1;
    return 0;
}

/* Unknown keys are errors: a misspelt "concurency" silently ignored would run the wrong plan. */
static int check_keys(struct loader *l, const json_t *o, const char *const *own)
{
    const char *key;
    const json_t *v;

    json_object_foreach((json_t *)o, key, v)
    {
        if (in_list(key, own) || in_list(key, setting_keys))
            continue;
        const char *best = NULL;
        size_t best_d = 3; /* suggest only near misses */
        const char *const *lists[] = {own, setting_keys};
        for (size_t li = 0; li < 2; li++)
            for (const char *const *k = lists[li]; *k; k++) {
                size_t d = edit_distance(key, *k);
                if (d < best_d) {
                    best_d = d;
                    best = *k;
                }
            }
        if (best)
            return fail(l, "unknown key '%.*s' (did you mean '%s'?)", ECHO_MAX, key, best);
        return fail(l, "unknown key '%.*s' (workloads/suites/README.md lists the keys)", ECHO_MAX,
                    key);
    }
    return 0;
}

/* A whole number in [min, max]: a JSON integer, an integral real, or text such as "10k". */
static int read_count(struct loader *l, const json_t *v, uint64_t min, uint64_t max, uint64_t *out)
{
    char shown[ECHO_MAX + 8];
    int64_t i = -1;

    if (json_is_integer(v))
        i = json_integer_value(v);
    else if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)) &&
             fabs(json_real_value(v)) < 9e18)
        i = (int64_t)json_real_value(v);
    else if (!json_is_string(v) || pb_parse_int(json_string_value(v), &i) < 0)
        i = -1;
    if (i < 0 || (uint64_t)i < min || (uint64_t)i > max) {
        echo(v, shown, sizeof(shown));
        return fail(l, "%s is not a whole number in [%llu, %llu]", shown, (unsigned long long)min,
                    (unsigned long long)max);
    }
    *out = (uint64_t)i;
    return 0;
}

static int read_unsigned(struct loader *l, const json_t *v, unsigned min, unsigned max,
                         unsigned *out)
{
    uint64_t x;
    int rc = read_count(l, v, min, max, &x);
    if (rc == 0)
        *out = (unsigned)x;
    return rc;
}

/* Text with a unit ("250ms", "2s") or a number of seconds; 0 only where zero means "none". */
static int read_duration(struct loader *l, const json_t *v, int zero_ok, uint64_t *out)
{
    char shown[ECHO_MAX + 8];
    int ok = 0;

    if (json_is_string(v))
        ok = pb_parse_duration_ns(json_string_value(v), out) == 0;
    else if (json_is_number(v) && json_number_value(v) >= 0 &&
             json_number_value(v) <= (double)PB_DURATION_MAX_NS / 1e9) {
        *out = (uint64_t)llround(json_number_value(v) * 1e9);
        ok = 1;
    }
    if (!ok || (!zero_ok && *out == 0)) {
        echo(v, shown, sizeof(shown));
        return fail(l, "%s is not a duration (say \"500ms\", \"2s\" or a number of seconds%s)",
                    shown, zero_ok ? "; 0 for none" : "");
    }
    return 0;
}

static int read_levels(struct loader *l, const json_t *v, struct settings *s)
{
    size_t i;
    const json_t *x;
    uint64_t level;
    int rc;

    if (json_is_number(v) || json_is_string(v)) {
        if ((rc = read_count(l, v, 1, 1000000, &level)) < 0)
            return rc;
        s->levels[0] = (unsigned)level;
        s->nlevels = 1;
        return 0;
    }
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > MAX_LIST)
        return fail(l, "expected a list of 1 to %d concurrency levels, such as [1, 2, 4]",
                    MAX_LIST);
    json_array_foreach(v, i, x)
    {
        size_t len = path_index(l, i);
        if ((rc = read_count(l, x, 1, 1000000, &level)) < 0)
            return rc;
        path_pop(l, len);
        s->levels[i] = (unsigned)level;
    }
    s->nlevels = json_array_size(v);
    return 0;
}

/* One setting; the path already names it. */
static int read_setting(struct loader *l, const char *key, const json_t *v, struct settings *s)
{
    char shown[ECHO_MAX + 8];
    struct pb_err perr = {""};
    int rc = 0;

    echo(v, shown, sizeof(shown));
    struct pb_case_settings *cs = &s->set;
    if (strcmp(key, "repeat") == 0)
        return read_unsigned(l, v, 1, PB_MAX_REPEAT, &cs->repeat);
    if (strcmp(key, "warmup") == 0)
        return read_unsigned(l, v, 0, PB_MAX_REPEAT, &cs->warmup);
    if (strcmp(key, "queue_depth") == 0) {
        if ((rc = read_unsigned(l, v, 1, PB_MAX_QUEUE_DEPTH, &cs->queue_depth)) == 0)
            cs->queue_depth = pb_taskq_capacity_for(cs->queue_depth);
        return rc;
    }
    if (strcmp(key, "loops") == 0)
        return read_unsigned(l, v, 1, PB_MAX_LOOPS, &cs->loops);
    if (strcmp(key, "concurrency") == 0)
        return read_levels(l, v, s);
    if (strcmp(key, "tasks") == 0) {
        if ((rc = read_count(l, v, 1, UINT64_C(1000000000000), &cs->load.tasks)) == 0) {
            cs->load.duration_ns = 0;
            s->load_given = 1;
        }
        return rc;
    }
    if (strcmp(key, "duration") == 0) {
        if ((rc = read_duration(l, v, 0, &cs->load.duration_ns)) == 0) {
            cs->load.tasks = 0;
            s->load_given = 1;
        }
        return rc;
    }
    if (strcmp(key, "timeout") == 0)
        return read_duration(l, v, 1, &cs->timeout_ns);
    if (strcmp(key, "grace") == 0)
        return read_duration(l, v, 1, &cs->grace_ns);
    if (strcmp(key, "rate") == 0) {
        if (!json_is_number(v) || json_number_value(v) < 0 || !isfinite(json_number_value(v)) ||
            json_number_value(v) > 1e9)
            return fail(l, "%s is not a rate in tasks/s up to 1e9 (0 for a closed loop)", shown);
        cs->load.rate = json_number_value(v);
        return 0;
    }
    if (strcmp(key, "arrivals") == 0) {
        const char *a = json_string_value(v);
        if (a && strcmp(a, "uniform") == 0)
            cs->load.arrivals = PB_ARRIVALS_UNIFORM;
        else if (a && strcmp(a, "poisson") == 0)
            cs->load.arrivals = PB_ARRIVALS_POISSON;
        else
            return fail(l, "%s is not \"uniform\" or \"poisson\"", shown);
        return 0;
    }
    if (strcmp(key, "pin") == 0) {
        if (!json_is_string(v))
            return fail(l, "%s is not a pin policy (none, compact, scatter, cores, list:0,2-3)",
                        shown);
        if (pb_pin_parse(json_string_value(v), &cs->pin, &perr) < 0)
            return fail(l, "%s", perr.msg);
        return 0;
    }
    return 0;
}

/* The settings an object gives, over those it inherits. */
static int read_settings(struct loader *l, const json_t *o, struct settings *s)
{
    if (json_object_get(o, "tasks") && json_object_get(o, "duration"))
        return fail(l, "'tasks' and 'duration' exclude each other: give one");
    for (const char *const *k = setting_keys; *k; k++) {
        const json_t *v = json_object_get(o, *k);
        if (!v)
            continue;
        size_t len = path_key(l, *k);
        int rc = read_setting(l, *k, v, s);
        if (rc < 0)
            return rc;
        path_pop(l, len);
    }
    return 0;
}

static int check_text(struct loader *l, const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    if (!v || json_is_string(v))
        return 0;
    path_key(l, key);
    return fail(l, "expected a string");
}

/* A parameter value as the text -p key=value would give: 100000 stays "100000", not "1e+05". */
static int value_text(struct loader *l, const json_t *v, char *buf, size_t len)
{
    if (json_is_string(v)) {
        if (strlen(json_string_value(v)) >= len)
            return fail(l, "the value is too long (max %zu characters)", len - 1);
        snprintf(buf, len, "%s", json_string_value(v));
    } else if (json_is_integer(v)) {
        snprintf(buf, len, "%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d == floor(d) && fabs(d) < 9007199254740992.0) {
            snprintf(buf, len, "%.0f", d);
        } else {
            for (int prec = 1; prec <= 17; prec++) {
                snprintf(buf, len, "%.*g", prec, d);
                if (strtod(buf, NULL) == d)
                    break;
            }
        }
    } else if (json_is_boolean(v)) {
        snprintf(buf, len, "%s", json_is_true(v) ? "true" : "false");
    } else {
        return fail(l, "expected a number, a string or a boolean (or a list of them)");
    }
    return 0;
}

/* pb_params_set says "parameter 'n': 'abc' is not an integer"; the path already names n. */
static const char *param_message(const char *key, const char *msg)
{
    char prefix[160];
    snprintf(prefix, sizeof(prefix), "parameter '%s': ", key);
    size_t len = strlen(prefix);
    return strncmp(msg, prefix, len) == 0 ? msg + len : msg;
}

/* One entry's parameters: per key the values the matrix runs over (one, or a list). */
struct param_axes {
    const char *keys[PB_PARAMS_MAX];
    const json_t *values[PB_PARAMS_MAX]; /* a scalar or a non-empty array */
    size_t count[PB_PARAMS_MAX];
    size_t n;
};

static const json_t *axis_value(const struct param_axes *a, size_t k, size_t i)
{
    return json_is_array(a->values[k]) ? json_array_get(a->values[k], i) : a->values[k];
}

static int set_param(struct loader *l, struct pb_params *p, const char *key, const json_t *v)
{
    char text[PB_PARAM_STRMAX];
    struct pb_err perr = {""};
    int rc = value_text(l, v, text, sizeof(text));
    if (rc < 0)
        return rc;
    rc = pb_params_set(p, key, text, &perr);
    if (rc < 0)
        return fail(l, "%s", param_message(key, perr.msg));
    return 0;
}

/* Reads "params" and checks every value once, so that an error names the value itself
 * ("params.n[2]") rather than the combination it first appeared in. */
static int read_params(struct loader *l, const struct pb_workload_ops *w, const json_t *params,
                       struct param_axes *a)
{
    struct pb_params scratch;
    struct pb_err perr = {""};
    const char *key;
    const json_t *v;
    int rc;

    memset(a, 0, sizeof(*a));
    if (!params)
        return 0;
    size_t top = path_key(l, "params");
    if (!json_is_object(params))
        return fail(l, "expected an object of parameter values, such as {\"n\": [1000, 10000]}");
    if (pb_params_init(&scratch, w->params, w->nparams, &perr) < 0)
        return fail(l, "%s", perr.msg);
    json_object_foreach((json_t *)params, key, v)
    {
        size_t len = path_key(l, key);
        if (!pb_params_find(&scratch, key)) {
            char names[400] = "";
            size_t used = 0;
            for (size_t k = 0; k < w->nparams && used < sizeof(names); k++)
                used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s", k ? ", " : "",
                                         w->params[k].name);
            return fail(l, "workload %s has no parameter '%.*s' (it has: %s)", w->name, ECHO_MAX,
                        key, used ? names : "none");
        }
        if (json_is_array(v)) {
            size_t i;
            const json_t *x;
            if (json_array_size(v) == 0)
                return fail(l, "an empty list: give at least one value");
            json_array_foreach(v, i, x)
            {
                size_t ilen = path_index(l, i);
                if ((rc = set_param(l, &scratch, key, x)) < 0)
                    return rc;
                path_pop(l, ilen);
            }
        } else if ((rc = set_param(l, &scratch, key, v)) < 0) {
            return rc;
        }
        a->keys[a->n] = key;
        a->values[a->n] = v;
        a->count[a->n] = json_is_array(v) ? json_array_size(v) : 1;
        a->n++;
        path_pop(l, len);
    }
    path_pop(l, top);
    return 0;
}

/* Every combination of parameter values, for each runner at each level, by the plan's one
 * rule (the same as the command line's). */
static int expand(struct loader *l, const struct pb_workload_ops *w, const struct param_axes *a,
                  const struct settings *s, const struct pb_runner_ops *const *runners,
                  size_t nrunners)
{
    struct pb_param_axis axes[PB_PARAMS_MAX];
    char *texts[PB_PARAMS_MAX][MAX_LIST];
    const char *values[PB_PARAMS_MAX][MAX_LIST];
    struct pb_err perr = {""};
    int rc = 0;
    size_t made = 0;

    if (s->set.load.rate > 0 && !s->load_given)
        return fail(l, "'rate' needs 'tasks' or 'duration'");
    for (size_t k = 0; k < a->n && rc == 0; k++) {
        if (a->count[k] > MAX_LIST) {
            rc = fail(l, "parameter '%s' has more than %d values", a->keys[k], MAX_LIST);
            break;
        }
        for (size_t i = 0; i < a->count[k] && rc == 0; i++) {
            texts[k][i] = malloc(PB_PARAM_STRMAX);
            if (!texts[k][i]) {
                rc = pb_err_set(l->err, -ENOMEM, "%s: out of memory", l->file);
                break;
            }
            /* Checked by read_params already; this cannot fail. */
            rc = value_text(l, axis_value(a, k, i), texts[k][i], PB_PARAM_STRMAX);
            values[k][i] = texts[k][i];
            made++;
        }
        axes[k] =
            (struct pb_param_axis){.key = a->keys[k], .values = values[k], .count = a->count[k]};
    }
    /* The product first: a typo such as 10000 values must not be expanded to find out. */
    double product = (double)nrunners * (double)(s->nlevels ? s->nlevels : 1);
    for (size_t k = 0; k < a->n; k++)
        product *= (double)a->count[k];
    if (rc == 0 && product + (double)(l->plan->count - l->first) > MAX_CASES)
        rc = fail(l, "the suite expands to more than %d cases", MAX_CASES);
    if (rc == 0) {
        struct pb_matrix m = {
            .workload = w,
            .runners = runners,
            .nrunners = nrunners,
            .levels = s->levels,
            .nlevels = s->nlevels,
            .axes = axes,
            .naxes = a->n,
            .set = s->set,
        };
        if ((rc = pb_plan_expand(l->plan, &m, &perr)) < 0)
            rc = rc == -ENOMEM ? pb_err_set(l->err, rc, "%s: out of memory", l->file)
                               : fail(l, "%s", perr.msg);
    }
    for (size_t k = 0, n = 0; k < a->n && n < made; k++)
        for (size_t i = 0; i < a->count[k] && n < made; i++, n++)
            free(texts[k][i]);
    return rc;
}

static const struct pb_workload_ops *find_workload(struct loader *l, const json_t *name)
{
    char shown[ECHO_MAX + 8];
    const struct pb_workload_ops *w =
        json_is_string(name) ? pb_workload_find(json_string_value(name)) : NULL;
    if (w)
        return w;
    echo(name, shown, sizeof(shown));
    if (!json_is_string(name))
        fail(l, "%s is not a workload name", shown);
    else
        fail(l, "unknown workload %s ('parbench list' shows them)", shown);
    return NULL;
}

/* One entry of "workloads": a name, or an object with a name, parameters and settings. */
static int load_entry(struct loader *l, const json_t *e, const struct settings *group,
                      const struct pb_runner_ops *const *runners, size_t nrunners)
{
    struct settings s = *group;
    struct param_axes axes;
    const struct pb_workload_ops *w;
    int rc;

    memset(&axes, 0, sizeof(axes));
    if (json_is_string(e)) {
        if (!(w = find_workload(l, e)))
            return -EINVAL;
        return expand(l, w, &axes, &s, runners, nrunners);
    }
    if (!json_is_object(e))
        return fail(l, "expected a workload name or {\"name\": ..., \"params\": {...}}");
    if ((rc = check_keys(l, e, entry_keys)) < 0 || (rc = check_text(l, e, "description")) < 0 ||
        (rc = read_settings(l, e, &s)) < 0)
        return rc;
    if (!json_object_get(e, "name"))
        return fail(l, "the entry needs a \"name\" (a workload)");
    size_t len = path_key(l, "name");
    if (!(w = find_workload(l, json_object_get(e, "name"))))
        return -EINVAL;
    path_pop(l, len);
    if ((rc = read_params(l, w, json_object_get(e, "params"), &axes)) < 0)
        return rc;
    return expand(l, w, &axes, &s, runners, nrunners);
}

static int read_runners(struct loader *l, const json_t *v, const struct pb_runner_ops **out,
                        size_t *n)
{
    char shown[ECHO_MAX + 8];
    size_t i;
    const json_t *x;

    if (!v)
        return fail(l, "the group needs \"runners\", such as [\"serial\", \"threads\"]");
    size_t len = path_key(l, "runners");
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > MAX_LIST)
        return fail(l, "expected a list of runner names, such as [\"serial\", \"threads\"]");
    json_array_foreach(v, i, x)
    {
        size_t ilen = path_index(l, i);
        out[i] = json_is_string(x) ? pb_runner_find(json_string_value(x)) : NULL;
        echo(x, shown, sizeof(shown));
        if (!out[i])
            return fail(l, "unknown runner %s ('parbench list' shows them)", shown);
        for (size_t j = 0; j < i; j++)
            if (out[j] == out[i])
                return fail(l, "runner %s is listed twice", shown);
        path_pop(l, ilen);
    }
    *n = json_array_size(v);
    path_pop(l, len);
    return 0;
}

static int load_group(struct loader *l, const json_t *g, const struct settings *top)
{
    const struct pb_runner_ops *runners[MAX_LIST];
    size_t nrunners = 0;
    struct settings s = *top;
    const json_t *one = json_object_get(g, "workload"), *many = json_object_get(g, "workloads");
    int rc;

    if (!json_is_object(g))
        return fail(l, "expected a group object {\"runners\": [...], \"workloads\": [...], ...}");
    if ((rc = check_keys(l, g, group_keys)) < 0 || (rc = check_text(l, g, "name")) < 0 ||
        (rc = check_text(l, g, "description")) < 0 || (rc = read_settings(l, g, &s)) < 0 ||
        (rc = read_runners(l, json_object_get(g, "runners"), runners, &nrunners)) < 0)
        return rc;
    if (one && many)
        return fail(l, "give \"workload\" (with \"params\") or \"workloads\", not both");
    if (many && json_object_get(g, "params"))
        return fail(l, "\"params\" goes inside each entry of \"workloads\"");
    if (one) {
        struct param_axes axes;
        const struct pb_workload_ops *w;
        size_t len = path_key(l, "workload");
        if (!(w = find_workload(l, one)))
            return -EINVAL;
        path_pop(l, len);
        if ((rc = read_params(l, w, json_object_get(g, "params"), &axes)) < 0)
            return rc;
        return expand(l, w, &axes, &s, runners, nrunners);
    }
    if (!many)
        return fail(l, "the group needs \"workloads\" (a list) or \"workload\"");
    size_t len = path_key(l, "workloads");
    if (!json_is_array(many) || json_array_size(many) == 0)
        return fail(l, "expected a non-empty list of workloads");
    size_t i;
    const json_t *e;
    json_array_foreach(many, i, e)
    {
        size_t ilen = path_index(l, i);
        if ((rc = load_entry(l, e, &s, runners, nrunners)) < 0)
            return rc;
        path_pop(l, ilen);
    }
    path_pop(l, len);
    return 0;
}

static int read_interleave(struct loader *l, const json_t *root)
{
    const json_t *v = json_object_get(root, "interleave");
    if (!v)
        return 0;
    if (!json_is_boolean(v)) {
        path_key(l, "interleave");
        return fail(l, "expected true or false");
    }
    l->plan->interleave = json_is_true(v);
    return 0;
}

/* "plugins": files relative to the suite's own directory, loaded before any group names what
 * they bring. */
static int read_plugins(struct loader *l, const json_t *root)
{
    const json_t *list = json_object_get(root, "plugins"), *p;
    size_t i, len;
    int rc;
    if (!list)
        return 0;
    len = path_key(l, "plugins");
    if (!json_is_array(list))
        return fail(l, "expected a list of plug-in files");
    json_array_foreach(list, i, p)
    {
        char file[PATH_MAX], dir[PATH_MAX];
        struct pb_err perr = {""};
        size_t ilen = path_index(l, i);
        if (!json_is_string(p) || !json_string_value(p)[0])
            return fail(l, "expected a plug-in's file name");
        const char *name = json_string_value(p);
        snprintf(dir, sizeof(dir), "%s", l->file);
        char *slash = strrchr(dir, '/');
        if (name[0] == '/' || !slash)
            snprintf(file, sizeof(file), "%s", name);
        else
            snprintf(file, sizeof(file), "%.*s/%s", (int)(slash - dir), dir, name);
        if ((rc = pb_plugin_load(file, &perr)) < 0)
            return fail(l, "%s", perr.msg);
        path_pop(l, ilen);
    }
    path_pop(l, len);
    return 0;
}

static int load_root(struct loader *l, const json_t *root)
{
    struct settings s;
    const json_t *groups = json_object_get(root, "groups"), *g;
    size_t i;
    int rc;

    memset(&s, 0, sizeof(s));
    pb_case_settings_default(&s.set);
    s.levels[0] = 1;
    s.nlevels = 1;

    if (!json_is_object(root))
        return fail(l, "expected an object {\"name\": ..., \"groups\": [...]}");
    if ((rc = check_keys(l, root, top_keys)) < 0 || (rc = check_text(l, root, "name")) < 0 ||
        (rc = check_text(l, root, "description")) < 0 || (rc = read_settings(l, root, &s)) < 0 ||
        (rc = read_interleave(l, root)) < 0 || (rc = read_plugins(l, root)) < 0)
        return rc;
    if (!groups)
        return fail(l, "no \"groups\": a suite needs at least one group of runners and "
                       "workloads");
    snprintf(l->plan->suite_name, sizeof(l->plan->suite_name), "%s",
             json_string_value(json_object_get(root, "name")) ?: "");
    snprintf(l->plan->suite_description, sizeof(l->plan->suite_description), "%s",
             json_string_value(json_object_get(root, "description")) ?: "");
    size_t len = path_key(l, "groups");
    if (!json_is_array(groups) || json_array_size(groups) == 0)
        return fail(l, "expected a non-empty list of groups");
    json_array_foreach(groups, i, g)
    {
        size_t ilen = path_index(l, i);
        if ((rc = load_group(l, g, &s)) < 0)
            return rc;
        path_pop(l, ilen);
    }
    path_pop(l, len);
    return 0;
}

int pb_suite_load(const char *path, struct pb_plan *plan, struct pb_err *err)
{
    struct loader l = {.file = path, .plan = plan, .first = plan->count, .err = err};
    json_error_t je;
    json_t *root = NULL;
    int rc;

    FILE *f = fopen(path, "r");
    if (!f)
        return pb_err_set(err, -errno, "%s: cannot read the suite: %s", path, strerror(errno));
    /* Duplicate keys are refused like unknown ones: the second "runners" would win unseen. */
    root = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
    fclose(f);
    if (!root) {
        rc = pb_err_set(err, -EINVAL, "%s: line %d column %d: not JSON: %s", path, je.line,
                        je.column, je.text);
        goto out;
    }
    rc = load_root(&l, root);
out:
    json_decref(root);
    return rc;
}

/* A duration as the loader reads it back exactly. */
static json_t *duration_json(uint64_t ns)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%lluns", (unsigned long long)ns);
    return json_string(buf);
}

json_t *pb_suite_of_case(const struct pb_case_spec *c)
{
    const struct pb_case_settings *s = &c->set;
    json_t *params = json_object(), *runners = json_array(), *group = json_object();
    for (size_t i = 0; i < c->params.count; i++) {
        const struct pb_param_value *v = &c->params.v[i];
        json_object_set_new(params, c->params.defs[i].name,
                            pb_param_json(c->params.defs[i].type, v->i, v->d, v->s));
    }
    json_array_append_new(runners, json_string(c->runner->name));
    json_object_set_new(group, "runners", runners);
    json_object_set_new(group, "workload", json_string(c->workload->name));
    json_object_set_new(group, "params", params);
    if (c->concurrency)
        json_object_set_new(group, "concurrency", json_integer(c->concurrency));
    if (s->load.tasks)
        json_object_set_new(group, "tasks", json_integer((json_int_t)s->load.tasks));
    else
        json_object_set_new(group, "duration", duration_json(s->load.duration_ns));
    if (pb_load_open(&s->load)) {
        json_object_set_new(group, "rate", json_real(s->load.rate));
        json_object_set_new(group, "arrivals", json_string(pb_arrivals_name(s->load.arrivals)));
    }
    json_object_set_new(group, "pin", json_string(s->pin.text));
    json_object_set_new(group, "queue_depth", json_integer(s->queue_depth));
    json_object_set_new(group, "loops", json_integer(s->loops));
    json_object_set_new(group, "timeout", duration_json(s->timeout_ns));
    json_object_set_new(group, "grace", duration_json(s->grace_ns));
    json_object_set_new(group, "repeat", json_integer(s->repeat));
    json_object_set_new(group, "warmup", json_integer(s->warmup));
    json_t *groups = json_array(), *suite = json_object();
    json_array_append_new(groups, group);
    json_object_set_new(suite, "name", json_string(c->id ? c->id : "one case"));
    json_object_set_new(suite, "groups", groups);
    if (pb_plugin_count()) { /* the child loads what this process did, by real path */
        json_t *plugins = json_array();
        for (size_t i = 0; i < pb_plugin_count(); i++)
            json_array_append_new(plugins, json_string(pb_plugin_at(i)->path));
        json_object_set_new(suite, "plugins", plugins);
    }
    return suite;
}
