/* Reading a result document into typed cases. Every value read is checked where it is read, and
 * a problem is one line naming the file and the JSON path: a reader that skipped what it did not
 * understand would let compare pass a CI gate on samples it silently dropped. */
#include "harness/doc_read.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness/registry.h"
#include "harness/pin.h"
#include "harness/plan.h"

/* Durations are held in ns as uint64: about 584 years. */
#define MAX_SECONDS 1e10
/* Nanosecond values (percentiles, the spectrum) are written as JSON integers: int64. */
#define MAX_NS 9e18

enum { OPTIONAL = 0, REQUIRED = 1 };

/* The reader's place in the document, for messages. */
struct rd {
    const char *file;
    struct pb_err *err;
    char path[320];
    size_t len;
    /* An older document's top-level settings, the defaults of its cases. */
    unsigned repeat, warmup;
    uint64_t timeout_ns;
};

static size_t push_raw(struct rd *r, const char *text)
{
    size_t mark = r->len, n = strlen(text);
    if (n > sizeof(r->path) - 1 - r->len)
        n = sizeof(r->path) - 1 - r->len;
    memcpy(r->path + r->len, text, n);
    r->len += n;
    r->path[r->len] = '\0';
    return mark;
}

static int is_identifier(const char *s)
{
    if (!isalpha((unsigned char)*s) && *s != '_')
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return 0;
    return 1;
}

/* ".key", or ["key"] (JSON-escaped, ASCII) for a key from the document that is not a plain
 * name, so that no byte of it reaches a terminal raw. */
static size_t push_key(struct rd *r, const char *key)
{
    char shown[72];
    if (is_identifier(key) && strlen(key) < 64) {
        snprintf(shown, sizeof(shown), "%s%s", r->len ? "." : "", key);
        return push_raw(r, shown);
    }
    json_t *s = json_string(key);
    char *text = s ? json_dumps(s, JSON_ENCODE_ANY | JSON_ENSURE_ASCII) : NULL;
    if (text && strlen(text) > 64)
        snprintf(shown, sizeof(shown), "[%.60s...\"]", text);
    else
        snprintf(shown, sizeof(shown), "[%s]", text ? text : "\"?\"");
    free(text);
    json_decref(s);
    return push_raw(r, shown);
}

static size_t push_index(struct rd *r, size_t i)
{
    char num[32];
    snprintf(num, sizeof(num), "[%zu]", i);
    return push_raw(r, num);
}

static void pop(struct rd *r, size_t mark)
{
    r->len = mark;
    r->path[mark] = '\0';
}

__attribute__((format(printf, 2, 3))) static int fail(struct rd *r, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (r->len)
        return pb_err_set(r->err, -EINVAL, "%s: %s: %s", r->file, r->path, msg);
    return pb_err_set(r->err, -EINVAL, "%s: %s", r->file, msg);
}

static int no_memory(struct rd *r)
{
    return pb_err_set(r->err, -ENOMEM, "%s: out of memory", r->file);
}

/* A value as the message shows it: compact JSON, ASCII only, cut short. */
static void describe(const json_t *v, char *buf, size_t len)
{
    char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_ENSURE_ASCII);
    if (!text)
        snprintf(buf, len, "a value");
    else if (strlen(text) > 40)
        snprintf(buf, len, "%.36s ...", text);
    else
        snprintf(buf, len, "%s", text);
    free(text);
}

static int wrong(struct rd *r, const json_t *v, const char *expected)
{
    char got[64];
    describe(v, got, sizeof(got));
    return fail(r, "expected %s, got %s", expected, got);
}

/* ---- typed values; r->path names v ---- */

static int as_string(struct rd *r, const json_t *v, const char **out)
{
    if (!json_is_string(v))
        return wrong(r, v, "a string");
    *out = json_string_value(v);
    return 0;
}

static int as_bool(struct rd *r, const json_t *v, int *out)
{
    if (!json_is_boolean(v))
        return wrong(r, v, "true or false");
    *out = json_is_true(v);
    return 0;
}

static void uint_expectation(char *buf, size_t len, uint64_t min, uint64_t max)
{
    if (max == UINT64_MAX || max == (uint64_t)INT64_MAX)
        snprintf(buf, len, "an integer >= %llu", (unsigned long long)min);
    else
        snprintf(buf, len, "an integer between %llu and %llu", (unsigned long long)min,
                 (unsigned long long)max);
}

static int as_uint(struct rd *r, const json_t *v, uint64_t min, uint64_t max, uint64_t *out)
{
    char expected[80];
    uint_expectation(expected, sizeof(expected), min, max);
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) < min ||
        (uint64_t)json_integer_value(v) > max)
        return wrong(r, v, expected);
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int as_unsigned(struct rd *r, const json_t *v, unsigned min, unsigned *out)
{
    uint64_t x;
    int rc = as_uint(r, v, min, UINT32_MAX, &x);
    if (rc == 0)
        *out = (unsigned)x;
    return rc;
}

static void number_expectation(char *buf, size_t len, double min, double max)
{
    if (max == HUGE_VAL && min == -HUGE_VAL)
        snprintf(buf, len, "a number");
    else if (max == HUGE_VAL)
        snprintf(buf, len, "a number >= %g", min);
    else
        snprintf(buf, len, "a number between %g and %g", min, max);
}

static int as_number(struct rd *r, const json_t *v, double min, double max, double *out)
{
    char expected[80];
    number_expectation(expected, sizeof(expected), min, max);
    if (!json_is_number(v) || !isfinite(json_number_value(v)) || json_number_value(v) < min ||
        json_number_value(v) > max)
        return wrong(r, v, expected);
    *out = json_number_value(v);
    return 0;
}

/* A count of ns written as a number (older documents and other writers use reals). */
static int as_ns(struct rd *r, const json_t *v, uint64_t *out)
{
    double x;
    int rc = as_number(r, v, 0, MAX_NS, &x);
    if (rc == 0)
        *out = (uint64_t)llround(x);
    return rc;
}

static int as_seconds_ns(struct rd *r, const json_t *v, uint64_t *out)
{
    double x = 0;
    int rc = as_number(r, v, 0, MAX_SECONDS, &x);
    if (rc == 0)
        *out = (uint64_t)llround(x * 1e9);
    return rc;
}

/* ---- members; each pushes the key for as long as it reads ---- */

/* obj's member key in *v; NULL when it is absent and optional. */
static int member(struct rd *r, const json_t *obj, const char *key, int required,
                  const char *expected, json_t **v)
{
    *v = json_object_get(obj, key);
    if (*v || !required)
        return 0;
    size_t mark = push_key(r, key);
    int rc = fail(r, "missing, expected %s", expected);
    pop(r, mark);
    return rc;
}

#define MEMBER_FN(fname, ctype, expected, call)                                                    \
    static int fname(struct rd *r, const json_t *obj, const char *key, int required, ctype out)    \
    {                                                                                              \
        json_t *v;                                                                                 \
        int rc = member(r, obj, key, required, expected, &v);                                      \
        if (rc < 0 || !v)                                                                          \
            return rc;                                                                             \
        size_t mark = push_key(r, key);                                                            \
        rc = call;                                                                                 \
        pop(r, mark);                                                                              \
        return rc;                                                                                 \
    }

MEMBER_FN(get_string, const char **, "a string", as_string(r, v, out))
MEMBER_FN(get_bool, int *, "true or false", as_bool(r, v, out))
MEMBER_FN(get_count, uint64_t *, "an integer >= 0", as_uint(r, v, 0, INT64_MAX, out))
MEMBER_FN(get_nonneg, double *, "a number >= 0", as_number(r, v, 0, HUGE_VAL, out))
MEMBER_FN(get_finite, double *, "a number", as_number(r, v, -HUGE_VAL, HUGE_VAL, out))
MEMBER_FN(get_ns, uint64_t *, "a number >= 0", as_ns(r, v, out))

/* A number >= 0 or null (unknown): *out keeps what it holds when the member is null or absent. */
static int get_nonneg_or_null(struct rd *r, const json_t *obj, const char *key, double *out)
{
    json_t *v = json_object_get(obj, key);
    return v && !json_is_null(v) ? get_nonneg(r, obj, key, OPTIONAL, out) : 0;
}

/* An object member: *v is NULL when absent and optional. */
static int get_object(struct rd *r, const json_t *obj, const char *key, int required, json_t **v)
{
    int rc = member(r, obj, key, required, "an object", v);
    if (rc < 0 || !*v || json_is_object(*v))
        return rc;
    size_t mark = push_key(r, key);
    rc = wrong(r, *v, "an object");
    pop(r, mark);
    return rc;
}

static int get_array(struct rd *r, const json_t *obj, const char *key, int required, json_t **v)
{
    int rc = member(r, obj, key, required, "an array", v);
    if (rc < 0 || !*v || json_is_array(*v))
        return rc;
    size_t mark = push_key(r, key);
    rc = wrong(r, *v, "an array");
    pop(r, mark);
    return rc;
}

/* ---- the header ---- */

static int check_strings(struct rd *r, const json_t *obj, const char *const *keys)
{
    const char *s;
    int rc = 0;
    for (; *keys && rc == 0; keys++)
        rc = get_string(r, obj, *keys, OPTIONAL, &s);
    return rc;
}

static int read_caches(struct rd *r, const json_t *topo)
{
    static const char *const counts[] = {"level", "count",       "size_bytes",
                                         "size",  "num_sharing", NULL};
    static const char *const strings[] = {"type", NULL};
    json_t *caches, *c;
    size_t i;
    int rc = get_array(r, topo, "caches", OPTIONAL, &caches);
    if (rc < 0 || !caches)
        return rc;
    size_t at = push_key(r, "caches");
    json_array_foreach(caches, i, c)
    {
        size_t mark = push_index(r, i);
        uint64_t x;
        if (!json_is_object(c))
            rc = wrong(r, c, "an object");
        for (size_t k = 0; counts[k] && rc == 0; k++)
            rc = get_count(r, c, counts[k], OPTIONAL, &x);
        if (rc == 0)
            rc = check_strings(r, c, strings);
        pop(r, mark);
        if (rc < 0)
            break;
    }
    pop(r, at);
    return rc;
}

/* What compare, export and merge read of the header: strings that are strings, the settings
 * older documents give their cases, the caches gbench reports. */
static int read_header(struct rd *r, const json_t *root)
{
    static const char *const top[] = {"stop_reason", "started_at", "finished_at", NULL};
    static const char *const tool_keys[] = {"name",     "version",   "git_commit", "build_type",
                                            "compiler", "sanitizer", NULL};
    static const char *const host_keys[] = {"hostname", "cpu_model", NULL};
    json_t *tool, *host, *settings, *warnings, *topo, *v, *w;
    uint64_t x;
    int complete, rc;
    size_t mark, i;

    if ((rc = check_strings(r, root, top)) < 0 ||
        (rc = get_bool(r, root, "complete", OPTIONAL, &complete)) < 0 ||
        (rc = get_object(r, root, "tool", OPTIONAL, &tool)) < 0 ||
        (rc = get_object(r, root, "host", OPTIONAL, &host)) < 0 ||
        (rc = get_object(r, root, "settings", OPTIONAL, &settings)) < 0 ||
        (rc = get_array(r, root, "warnings", OPTIONAL, &warnings)) < 0)
        return rc;
    if (tool) {
        mark = push_key(r, "tool");
        rc = check_strings(r, tool, tool_keys);
        pop(r, mark);
    }
    if (rc == 0 && host) {
        mark = push_key(r, "host");
        if ((rc = check_strings(r, host, host_keys)) == 0 &&
            (rc = get_count(r, host, "pu_count", OPTIONAL, &x)) == 0 &&
            (rc = get_object(r, host, "topology", OPTIONAL, &topo)) == 0 && topo) {
            size_t t = push_key(r, "topology");
            rc = read_caches(r, topo);
            pop(r, t);
        }
        pop(r, mark);
    }
    if (rc == 0 && warnings) {
        mark = push_key(r, "warnings");
        json_array_foreach(warnings, i, w)
        {
            const char *s;
            size_t m = push_index(r, i);
            rc = as_string(r, w, &s);
            pop(r, m);
            if (rc < 0)
                break;
        }
        pop(r, mark);
    }
    r->repeat = PB_DEFAULT_REPEAT;
    r->warmup = PB_DEFAULT_WARMUP;
    r->timeout_ns = 0;
    if (rc < 0 || !settings)
        return rc;
    mark = push_key(r, "settings");
    if ((v = json_object_get(settings, "repeat"))) {
        size_t m = push_key(r, "repeat");
        rc = as_unsigned(r, v, 0, &r->repeat);
        pop(r, m);
    }
    if (rc == 0 && (v = json_object_get(settings, "warmup"))) {
        size_t m = push_key(r, "warmup");
        rc = as_unsigned(r, v, 0, &r->warmup);
        pop(r, m);
    }
    if (rc == 0 && (v = json_object_get(settings, "timeout_s")) && !json_is_null(v)) {
        size_t m = push_key(r, "timeout_s");
        rc = as_seconds_ns(r, v, &r->timeout_ns);
        pop(r, m);
    }
    pop(r, mark);
    return rc;
}

/* ---- a repetition ---- */

static int read_percentiles(struct rd *r, const json_t *rep, const char *key,
                            struct pb_percentiles *p)
{
    json_t *o;
    int rc = get_object(r, rep, key, REQUIRED, &o);
    if (rc < 0)
        return rc;
    size_t mark = push_key(r, key);
    if ((rc = get_ns(r, o, "min", REQUIRED, &p->min)) == 0 &&
        (rc = get_ns(r, o, "p50", REQUIRED, &p->p50)) == 0 &&
        (rc = get_ns(r, o, "p90", REQUIRED, &p->p90)) == 0 &&
        (rc = get_ns(r, o, "p99", REQUIRED, &p->p99)) == 0 &&
        (rc = get_ns(r, o, "p99_9", REQUIRED, &p->p99_9)) == 0 &&
        (rc = get_ns(r, o, "max", REQUIRED, &p->max)) == 0)
        rc = get_nonneg(r, o, "mean", REQUIRED, &p->mean);
    pop(r, mark);
    return rc;
}

/* An array of CPU (OS) indices. */
static int read_cpuset(struct rd *r, const json_t *obj, const char *key, struct pb_cpuset *s)
{
    json_t *a, *v;
    size_t i;
    int rc = get_array(r, obj, key, REQUIRED, &a);
    if (rc < 0)
        return rc;
    size_t mark = push_key(r, key);
    pb_cpuset_clear(s);
    json_array_foreach(a, i, v)
    {
        uint64_t cpu;
        size_t m = push_index(r, i);
        rc = as_uint(r, v, 0, PB_CPUSET_MAX - 1, &cpu);
        pop(r, m);
        if (rc < 0)
            break;
        pb_cpuset_add(s, (unsigned)cpu);
    }
    pop(r, mark);
    return rc;
}

static int read_worker(struct rd *r, const json_t *o, struct pb_worker_result *w)
{
    const char *failure = NULL;
    uint64_t replaced;
    int rc;

    if (!json_is_object(o))
        return wrong(r, o, "an object");
    if ((rc = read_cpuset(r, o, "cpuset", &w->given)) < 0 ||
        (rc = read_cpuset(r, o, "cpus_seen", &w->seen)) < 0 ||
        (rc = get_count(r, o, "migrations", REQUIRED, &w->migrations)) < 0 ||
        (rc = get_count(r, o, "tasks", REQUIRED, &w->tasks)) < 0 ||
        (rc = get_count(r, o, "replaced", REQUIRED, &replaced)) < 0 ||
        (rc = get_string(r, o, "last_failure", OPTIONAL, &failure)) < 0)
        return rc;
    if (replaced > UINT32_MAX) {
        size_t mark = push_key(r, "replaced");
        rc = wrong(r, json_object_get(o, "replaced"), "an integer below 2^32");
        pop(r, mark);
        return rc;
    }
    w->replaced = (uint32_t)replaced;
    snprintf(w->last_failure, sizeof(w->last_failure), "%s", failure ? failure : "");
    return 0;
}

static int read_placement(struct rd *r, const json_t *rep, struct pb_rep_result *out)
{
    json_t *p, *workers, *w;
    size_t i;
    int rc = get_object(r, rep, "placement", REQUIRED, &p);
    if (rc < 0)
        return rc;
    size_t mark = push_key(r, "placement");
    if ((rc = get_count(r, p, "migrations", REQUIRED, &out->migrations)) < 0 ||
        (rc = get_array(r, p, "workers", REQUIRED, &workers)) < 0)
        goto out;
    out->workers = calloc(json_array_size(workers) + 1, sizeof(*out->workers));
    if (!out->workers) {
        rc = no_memory(r);
        goto out;
    }
    size_t at = push_key(r, "workers");
    json_array_foreach(workers, i, w)
    {
        size_t m = push_index(r, i);
        rc = read_worker(r, w, &out->workers[i]);
        pop(r, m);
        if (rc < 0)
            break;
        out->nworkers++;
    }
    pop(r, at);
out:
    pop(r, mark);
    return rc;
}

static int read_failures(struct rd *r, const json_t *rep, struct pb_rep_result *out)
{
    json_t *f, *v;
    const char *key;
    int rc = get_object(r, rep, "failures", REQUIRED, &f);
    if (rc < 0)
        return rc;
    size_t mark = push_key(r, "failures");
    json_object_foreach(f, key, v)
    {
        int s;
        size_t m = push_key(r, key);
        for (s = 1; s < PB_STATUS_COUNT; s++)
            if (strcmp(pb_status_name((enum pb_status)s), key) == 0)
                break;
        if (s == PB_STATUS_COUNT)
            rc = fail(r, "not a kind of failure (wrong_result, crash, timeout, connect, "
                         "http_status, short_body, io, other, exception)");
        else
            rc = as_uint(r, v, 0, INT64_MAX, &out->failures[s]);
        pop(r, m);
        if (rc < 0)
            break;
    }
    pop(r, mark);
    return rc;
}

/* A repetition's machine facts; absent in documents before the machine was watched. */
static int read_machine(struct rd *r, const json_t *rep, struct pb_rep_machine *m)
{
    json_t *o;
    const char *gov = NULL, *why = NULL;
    int rc = get_object(r, rep, "machine", OPTIONAL, &o);
    if (rc < 0 || !o)
        return rc;
    size_t mark = push_key(r, "machine");
    json_t *g = json_object_get(o, "governor");
    if ((rc = get_nonneg(r, o, "others_cpus", REQUIRED, &m->others_cpus)) == 0 &&
        (rc = get_nonneg(r, o, "steal_cpus", REQUIRED, &m->steal_cpus)) == 0 &&
        (rc = get_nonneg(r, o, "load1", REQUIRED, &m->load1)) == 0 &&
        (rc = get_nonneg_or_null(r, o, "freq_mhz", &m->freq_mhz)) == 0 &&
        (rc = g && !json_is_null(g) ? get_string(r, o, "governor", REQUIRED, &gov) : 0) == 0 &&
        (rc = get_nonneg(r, o, "run_wait", REQUIRED, &m->run_wait)) == 0 &&
        (rc = get_count(r, o, "involuntary_switches", REQUIRED, &m->involuntary_switches)) == 0 &&
        (rc = get_nonneg(r, o, "cpu_per_task_ns", REQUIRED, &m->cpu_per_task_ns)) == 0 &&
        (rc = get_nonneg_or_null(r, o, "cpu_per_task_ratio", &m->cpu_per_task_ratio)) == 0 &&
        (rc = get_bool(r, o, "busy", REQUIRED, &m->busy)) == 0 &&
        (rc = get_string(r, o, "busy_reason", OPTIONAL, &why)) == 0) {
        snprintf(m->governor, sizeof(m->governor), "%s", gov ? gov : "");
        snprintf(m->busy_reason, sizeof(m->busy_reason), "%s", why ? why : "");
        m->watched = 1;
    }
    pop(r, mark);
    return rc;
}

static int read_rep(struct rd *r, const json_t *o, struct pb_rep_result *rep)
{
    json_t *cpu, *cs, *faults, *check, *workload, *fixture;
    const char *msg = NULL;
    int rc;
    size_t mark;

    memset(rep, 0, sizeof(*rep));
    if (!json_is_object(o))
        return wrong(r, o, "an object");
    if ((rc = get_bool(r, o, "complete", REQUIRED, &rep->complete)) < 0 ||
        (rc = get_nonneg(r, o, "wall_s", REQUIRED, &rep->wall_s)) < 0 ||
        (rc = get_count(r, o, "tasks_submitted", REQUIRED, &rep->submitted)) < 0 ||
        (rc = get_count(r, o, "tasks_ok", REQUIRED, &rep->ok)) < 0 ||
        (rc = get_count(r, o, "tasks_failed", REQUIRED, &rep->failed)) < 0 ||
        (rc = get_count(r, o, "timeouts", REQUIRED, &rep->timeouts)) < 0 ||
        (rc = read_failures(r, o, rep)) < 0 ||
        (rc = get_nonneg(r, o, "throughput_per_s", REQUIRED, &rep->throughput_per_s)) < 0 ||
        (rc = get_nonneg(r, o, "bytes_per_s", OPTIONAL, &rep->bytes_per_s)) < 0 ||
        (rc = read_percentiles(r, o, "latency_ns", &rep->latency)) < 0 ||
        (rc = read_percentiles(r, o, "service_ns", &rep->service)) < 0 ||
        (rc = get_object(r, o, "cpu", REQUIRED, &cpu)) < 0 ||
        (rc = get_object(r, o, "context_switches", REQUIRED, &cs)) < 0 ||
        (rc = get_object(r, o, "faults", REQUIRED, &faults)) < 0 ||
        (rc = get_count(r, o, "peak_rss_bytes", REQUIRED, &rep->peak_rss_bytes)) < 0 ||
        (rc = read_placement(r, o, rep)) < 0 ||
        (rc = get_object(r, o, "check", REQUIRED, &check)) < 0 ||
        (rc = get_object(r, o, "workload", OPTIONAL, &workload)) < 0 ||
        (rc = get_object(r, o, "fixture", OPTIONAL, &fixture)) < 0)
        return rc;
    rep->has_bytes = json_object_get(o, "bytes_per_s") != NULL;
    mark = push_key(r, "cpu");
    if ((rc = get_nonneg(r, cpu, "user_s", REQUIRED, &rep->usage.user_s)) == 0)
        rc = get_nonneg(r, cpu, "sys_s", REQUIRED, &rep->usage.sys_s);
    pop(r, mark);
    if (rc < 0)
        return rc;
    mark = push_key(r, "context_switches");
    if ((rc = get_count(r, cs, "voluntary", REQUIRED, &rep->usage.voluntary_switches)) == 0)
        rc = get_count(r, cs, "involuntary", REQUIRED, &rep->usage.involuntary_switches);
    pop(r, mark);
    if (rc < 0)
        return rc;
    mark = push_key(r, "faults");
    if ((rc = get_count(r, faults, "minor", REQUIRED, &rep->usage.minor_faults)) == 0)
        rc = get_count(r, faults, "major", REQUIRED, &rep->usage.major_faults);
    pop(r, mark);
    if (rc < 0)
        return rc;
    mark = push_key(r, "check");
    if ((rc = get_bool(r, check, "ok", REQUIRED, &rep->check_ok)) == 0)
        rc = get_string(r, check, "message", OPTIONAL, &msg);
    pop(r, mark);
    if (rc < 0)
        return rc;
    snprintf(rep->check_message, sizeof(rep->check_message), "%s", msg ? msg : "");
    /* Documents before typed results called a repetition's fixture facts "target". */
    if (!fixture && (rc = get_object(r, o, "target", OPTIONAL, &fixture)) < 0)
        return rc;
    uint64_t round = 0, order = 0;
    if ((rc = get_count(r, o, "round", OPTIONAL, &round)) < 0 ||
        (rc = get_count(r, o, "order", OPTIONAL, &order)) < 0 ||
        (rc = read_machine(r, o, &rep->machine)) < 0)
        return rc;
    if (round > UINT32_MAX || order > UINT32_MAX)
        return fail(r, "round and order: expected integers below 2^32");
    rep->round = (unsigned)round;
    rep->order = (unsigned)order;
    rep->workload = json_incref(workload);
    rep->fixture = json_incref(fixture);
    return 0;
}

/* ---- a case ---- */

static int read_param(struct rd *r, struct pb_case_info *info, const char *name, const json_t *v)
{
    int rc;
    if (json_is_integer(v))
        rc = pb_case_info_add_param(info, name, PB_PARAM_INT, json_integer_value(v), 0, NULL);
    else if (json_is_real(v) && isfinite(json_real_value(v)))
        rc = pb_case_info_add_param(info, name, PB_PARAM_DOUBLE, 0, json_real_value(v), NULL);
    else if (json_is_boolean(v))
        rc = pb_case_info_add_param(info, name, PB_PARAM_BOOL, json_is_true(v), 0, NULL);
    else if (json_is_string(v) && json_string_length(v) < PB_PARAM_STRMAX)
        rc = pb_case_info_add_param(info, name, PB_PARAM_STRING, 0, 0, json_string_value(v));
    else if (json_is_string(v))
        return wrong(r, v, "a string shorter than 1024 bytes");
    else
        return wrong(r, v, "an integer, number, boolean or string");
    return rc < 0 ? no_memory(r) : 0;
}

static int read_params(struct rd *r, const json_t *c, struct pb_case_info *info)
{
    json_t *params, *v;
    const char *name;
    int rc = get_object(r, c, "params", REQUIRED, &params);
    if (rc < 0)
        return rc;
    size_t mark = push_key(r, "params");
    json_object_foreach(params, name, v)
    {
        size_t m = push_key(r, name);
        rc = read_param(r, info, name, v);
        pop(r, m);
        if (rc < 0)
            break;
    }
    pop(r, mark);
    return rc;
}

static int read_load(struct rd *r, const json_t *c, struct pb_case_info *info)
{
    json_t *load, *tasks, *duration, *v;
    const char *model, *arrivals;
    int rc;
    size_t mark;

    if ((rc = member(r, c, "tasks", REQUIRED, "an integer >= 1 or null", &tasks)) < 0 ||
        (rc = member(r, c, "duration_s", REQUIRED, "a number >= 0 or null", &duration)) < 0)
        return rc;
    if (!json_is_null(tasks)) {
        mark = push_key(r, "tasks");
        rc = json_is_integer(tasks) ? as_uint(r, tasks, 1, INT64_MAX, &info->load.tasks)
                                    : wrong(r, tasks, "an integer >= 1 or null");
        pop(r, mark);
    }
    if (rc == 0 && !json_is_null(duration)) {
        mark = push_key(r, "duration_s");
        rc = json_is_number(duration) ? as_seconds_ns(r, duration, &info->load.duration_ns)
                                      : wrong(r, duration, "a number >= 0 or null");
        pop(r, mark);
    }
    if (rc < 0 || (rc = get_object(r, c, "load", REQUIRED, &load)) < 0)
        return rc;
    mark = push_key(r, "load");
    rc = get_string(r, load, "model", REQUIRED, &model);
    if (rc == 0 && strcmp(model, "open") == 0) {
        /* An open loop's rate and arrivals are part of the case; a closed one has neither. */
        if ((rc = member(r, load, "rate_per_s", REQUIRED, "a number > 0", &v)) == 0) {
            size_t m = push_key(r, "rate_per_s");
            rc = as_number(r, v, 0, HUGE_VAL, &info->load.rate);
            if (rc == 0 && !(info->load.rate > 0))
                rc = wrong(r, v, "a number > 0");
            pop(r, m);
        }
        if (rc == 0 && (rc = get_string(r, load, "arrivals", REQUIRED, &arrivals)) == 0) {
            if (strcmp(arrivals, "poisson") == 0) {
                info->load.arrivals = PB_ARRIVALS_POISSON;
            } else if (strcmp(arrivals, "uniform") != 0) {
                size_t m = push_key(r, "arrivals");
                rc = wrong(r, json_object_get(load, "arrivals"), "\"uniform\" or \"poisson\"");
                pop(r, m);
            }
        }
    } else if (rc == 0 && strcmp(model, "closed") != 0) {
        size_t m = push_key(r, "model");
        rc = wrong(r, json_object_get(load, "model"), "\"closed\" or \"open\"");
        pop(r, m);
    }
    pop(r, mark);
    return rc;
}

static int read_pin(struct rd *r, const json_t *c, struct pb_case_result *out)
{
    struct pb_case_info *info = &out->info;
    struct pb_pin_spec spec;
    json_t *pin, *plan, *v;
    const char *policy, *text;
    size_t i, mark;
    int rc = get_object(r, c, "pin", REQUIRED, &pin);
    if (rc < 0)
        return rc;
    mark = push_key(r, "pin");
    if ((rc = get_string(r, pin, "policy", REQUIRED, &policy)) < 0 ||
        (rc = get_string(r, pin, "spec", REQUIRED, &text)) < 0 ||
        (rc = get_array(r, pin, "plan", REQUIRED, &plan)) < 0)
        goto out;
    size_t m = push_key(r, "spec");
    if (pb_pin_parse(text, &spec, NULL) < 0)
        rc = wrong(r, json_object_get(pin, "spec"),
                   "none, compact, scatter, cores or list:CPUS (list:0,2-3)");
    pop(r, m);
    if (rc < 0)
        goto out;
    if (strcmp(policy, pb_pin_policy_name(spec.policy)) != 0) {
        m = push_key(r, "policy");
        char expected[64];
        snprintf(expected, sizeof(expected), "\"%s\", the spec's policy",
                 pb_pin_policy_name(spec.policy));
        rc = wrong(r, json_object_get(pin, "policy"), expected);
        pop(r, m);
        goto out;
    }
    /* The same CPUs are the same case however the list was written: list:1,0 is list:0-1. */
    if (pb_pin_spec_canonical(&spec, info->pin_spec, sizeof(info->pin_spec)) < 0) {
        m = push_key(r, "spec");
        rc = fail(r, "more than %zu bytes in canonical form", sizeof(info->pin_spec) - 1);
        pop(r, m);
        goto out;
    }
    snprintf(info->pin_policy, sizeof(info->pin_policy), "%s", pb_pin_policy_name(spec.policy));
    out->pin_plan = calloc(json_array_size(plan) + 1, sizeof(*out->pin_plan));
    if (!out->pin_plan) {
        rc = no_memory(r);
        goto out;
    }
    m = push_key(r, "plan");
    json_array_foreach(plan, i, v)
    {
        size_t k = push_index(r, i), j;
        json_t *cpu;
        rc = json_is_array(v) ? 0 : wrong(r, v, "an array of CPU indices");
        json_array_foreach(v, j, cpu)
        {
            uint64_t x;
            if (rc < 0)
                break;
            size_t q = push_index(r, j);
            rc = as_uint(r, cpu, 0, PB_CPUSET_MAX - 1, &x);
            pop(r, q);
            if (rc == 0)
                pb_cpuset_add(&out->pin_plan[i], (unsigned)x);
        }
        pop(r, k);
        if (rc < 0)
            break;
        out->pin_workers++;
    }
    pop(r, m);
out:
    pop(r, mark);
    return rc;
}

/* The case's own settings; an older document has none and gives its top-level ones. */
static int read_settings(struct rd *r, const json_t *c, struct pb_case_info *info)
{
    json_t *s, *v;
    int rc = get_object(r, c, "settings", OPTIONAL, &s);
    const struct pb_runner_ops *runner = pb_runner_find(info->runner);

    info->repeat = r->repeat;
    info->warmup = r->warmup;
    info->timeout_ns = r->timeout_ns;
    info->grace_ns = PB_DEFAULT_GRACE_NS;
    /* A loop runner's workers are its loops (harness/runner.c). */
    info->loops = runner && (runner->flags & PB_RUNNER_LOOPS) && info->workers ? info->workers : 1;
    if (rc < 0 || !s)
        return rc;
    size_t mark = push_key(r, "settings"), m;
    if ((v = json_object_get(s, "repeat"))) {
        m = push_key(r, "repeat");
        rc = as_unsigned(r, v, 0, &info->repeat);
        pop(r, m);
    }
    if (rc == 0 && (v = json_object_get(s, "warmup"))) {
        m = push_key(r, "warmup");
        rc = as_unsigned(r, v, 0, &info->warmup);
        pop(r, m);
    }
    if (rc == 0 && (v = json_object_get(s, "timeout_s"))) {
        m = push_key(r, "timeout_s");
        info->timeout_ns = 0;
        if (!json_is_null(v))
            rc = json_is_number(v) ? as_seconds_ns(r, v, &info->timeout_ns)
                                   : wrong(r, v, "a number >= 0 or null");
        pop(r, m);
    }
    if (rc == 0 && (v = json_object_get(s, "grace_s"))) {
        m = push_key(r, "grace_s");
        rc = as_seconds_ns(r, v, &info->grace_ns);
        pop(r, m);
    }
    if (rc == 0 && (v = json_object_get(s, "loops"))) {
        m = push_key(r, "loops");
        rc = as_unsigned(r, v, 1, &info->loops);
        pop(r, m);
    }
    pop(r, mark);
    return rc;
}

static int read_summary_stats(struct rd *r, const json_t *o, struct pb_summary *s)
{
    uint64_t n;
    int rc;
    memset(s, 0, sizeof(*s));
    if (!json_is_object(o))
        return wrong(r, o, "an object");
    if ((rc = get_count(r, o, "n", REQUIRED, &n)) < 0 ||
        (rc = get_finite(r, o, "median", REQUIRED, &s->median)) < 0 ||
        (rc = get_finite(r, o, "mean", REQUIRED, &s->mean)) < 0 ||
        (rc = get_nonneg(r, o, "stddev", REQUIRED, &s->stddev)) < 0 ||
        (rc = get_nonneg(r, o, "cv", REQUIRED, &s->cv)) < 0 ||
        (rc = get_finite(r, o, "min", REQUIRED, &s->min)) < 0 ||
        (rc = get_finite(r, o, "max", REQUIRED, &s->max)) < 0 ||
        (rc = get_finite(r, o, "ci_low", REQUIRED, &s->ci_low)) < 0 ||
        (rc = get_finite(r, o, "ci_high", REQUIRED, &s->ci_high)) < 0)
        return rc;
    json_t *level = json_object_get(o, "ci_level");
    size_t mark = push_key(r, "ci_level");
    rc = level ? as_number(r, level, 0, 1, &s->ci_level) : fail(r, "missing, expected a number");
    pop(r, mark);
    s->n = (size_t)n;
    return rc;
}

/* Stored summaries as they are; a metric without one is summarised from the repetitions, as
 * the run would have (older documents have no bytes_per_s or peak_rss_bytes summary). */
static int read_summary(struct rd *r, const json_t *c, struct pb_case_result *out)
{
    json_t *sum;
    int rc = get_object(r, c, "summary", REQUIRED, &sum);
    if (rc < 0)
        return rc;
    size_t mark = push_key(r, "summary");
    for (int m = 0; m < PB_METRIC_COUNT && rc == 0; m++) {
        const struct pb_metric_def *def = pb_metric_def((enum pb_metric)m);
        json_t *o = json_object_get(sum, def->summary_key);
        if (o) {
            size_t k = push_key(r, def->summary_key);
            rc = read_summary_stats(r, o, &out->summary[m]);
            pop(r, k);
            out->has_summary[m] = 1;
            continue;
        }
        double *x = NULL;
        size_t n = 0;
        if (pb_case_samples(out, (enum pb_metric)m, &x, &n) < 0) {
            rc = no_memory(r);
            break;
        }
        pb_summarize(x, n, &out->summary[m]);
        out->has_summary[m] = n > 0 || def->always;
        free(x);
    }
    pop(r, mark);
    return rc;
}

static int read_spectrum(struct rd *r, const json_t *c, struct pb_case_result *out)
{
    json_t *a, *pt;
    size_t i;
    int rc = get_array(r, c, "latency_spectrum_ns", REQUIRED, &a);
    if (rc < 0)
        return rc;
    size_t mark = push_key(r, "latency_spectrum_ns");
    if (json_array_size(a) && json_array_size(a) != PB_SPECTRUM_POINTS) {
        char expected[64];
        snprintf(expected, sizeof(expected), "no points or %d", PB_SPECTRUM_POINTS);
        rc = fail(r, "expected %s (at percentiles 0, 10, ... 99.999, 100), got %zu", expected,
                  json_array_size(a));
    }
    json_array_foreach(a, i, pt)
    {
        double p;
        if (rc < 0)
            break;
        size_t k = push_index(r, i);
        if (!json_is_object(pt))
            rc = wrong(r, pt, "an object");
        if (rc == 0)
            rc = get_finite(r, pt, "percentile", REQUIRED, &p);
        if (rc == 0 && p != pb_spectrum_percentiles[i]) {
            char expected[32];
            size_t q = push_key(r, "percentile");
            snprintf(expected, sizeof(expected), "%g", pb_spectrum_percentiles[i]);
            rc = wrong(r, json_object_get(pt, "percentile"), expected);
            pop(r, q);
        }
        if (rc == 0)
            rc = get_ns(r, pt, "value", REQUIRED, &out->spectrum[i]);
        pop(r, k);
    }
    out->has_spectrum = rc == 0 && json_array_size(a) > 0;
    pop(r, mark);
    return rc;
}

static int read_speedup(struct rd *r, const json_t *c, struct pb_speedup *sp)
{
    json_t *o;
    const char *base, *why = NULL;
    uint64_t pairs = 0;
    sp->ci_low = sp->ci_high = NAN;
    int rc = get_object(r, c, "speedup", OPTIONAL, &o);
    if (rc < 0 || !o)
        return rc;
    size_t mark = push_key(r, "speedup");
    if ((rc = get_string(r, o, "baseline", REQUIRED, &base)) == 0 &&
        (rc = get_nonneg(r, o, "value", REQUIRED, &sp->value)) == 0 &&
        (rc = get_nonneg(r, o, "efficiency", REQUIRED, &sp->efficiency)) == 0 &&
        (rc = get_nonneg_or_null(r, o, "ci_low", &sp->ci_low)) == 0 &&
        (rc = get_nonneg_or_null(r, o, "ci_high", &sp->ci_high)) == 0 &&
        (rc = get_bool(r, o, "paired", OPTIONAL, &sp->paired)) == 0 &&
        (rc = get_count(r, o, "pairs", OPTIONAL, &pairs)) == 0 &&
        (rc = get_bool(r, o, "suspect", OPTIONAL, &sp->suspect)) == 0 &&
        (rc = get_string(r, o, "suspect_reason", OPTIONAL, &why)) == 0) {
        snprintf(sp->baseline, sizeof(sp->baseline), "%s", base);
        snprintf(sp->suspect_reason, sizeof(sp->suspect_reason), "%s", why ? why : "");
        sp->pairs = (size_t)pairs;
        sp->present = 1;
    }
    pop(r, mark);
    return rc;
}

static int read_trust(struct rd *r, const json_t *c, struct pb_case_trust *t)
{
    json_t *o, *busy;
    const char *why = NULL;
    int rc = get_object(r, c, "trust", OPTIONAL, &o);
    if (rc < 0 || !o)
        return rc;
    size_t mark = push_key(r, "trust");
    if ((rc = get_bool(r, o, "trustworthy", REQUIRED, &t->trustworthy)) == 0 &&
        (rc = member(r, o, "busy_repetitions", REQUIRED, "an integer >= 0", &busy)) == 0 &&
        (rc = get_string(r, o, "reason", OPTIONAL, &why)) == 0) {
        size_t k = push_key(r, "busy_repetitions");
        rc = as_unsigned(r, busy, 0, &t->busy_reps);
        pop(r, k);
        snprintf(t->reason, sizeof(t->reason), "%s", why ? why : "");
        t->judged = rc == 0;
    }
    pop(r, mark);
    return rc;
}

static int read_warnings(struct rd *r, const json_t *c, struct pb_case_result *out)
{
    json_t *a, *w;
    size_t i;
    int rc = get_array(r, c, "warnings", REQUIRED, &a);
    if (rc < 0)
        return rc;
    size_t mark = push_key(r, "warnings");
    json_array_foreach(a, i, w)
    {
        const char *s = NULL;
        size_t k = push_index(r, i);
        rc = as_string(r, w, &s);
        if (rc == 0 && pb_case_result_warn(out, "%s", s) < 0)
            rc = no_memory(r);
        pop(r, k);
        if (rc < 0)
            break;
    }
    pop(r, mark);
    return rc;
}

static int read_reps(struct rd *r, const json_t *c, struct pb_case_result *out)
{
    json_t *a, *o;
    size_t i;
    int rc = get_array(r, c, "repetitions", REQUIRED, &a);
    if (rc < 0)
        return rc;
    size_t mark = push_key(r, "repetitions");
    json_array_foreach(a, i, o)
    {
        struct pb_rep_result rep;
        size_t k = push_index(r, i);
        rc = read_rep(r, o, &rep);
        pop(r, k);
        if (rc == 0 && pb_case_result_add_rep(out, &rep) < 0)
            rc = no_memory(r);
        pb_rep_free(&rep);
        if (rc < 0)
            break;
    }
    pop(r, mark);
    return rc;
}

static int read_case(struct rd *r, const json_t *c, struct pb_case_result *out)
{
    struct pb_case_info *info = &out->info;
    const char *id, *runner, *workload, *kind = NULL;
    json_t *conc;
    uint64_t warmups;
    int rc;

    if (!json_is_object(c))
        return wrong(r, c, "an object");
    if ((rc = get_string(r, c, "id", REQUIRED, &id)) < 0 ||
        (rc = get_string(r, c, "runner", REQUIRED, &runner)) < 0 ||
        (rc = get_string(r, c, "workload", REQUIRED, &workload)) < 0 ||
        (rc = get_string(r, c, "workload_kind", OPTIONAL, &kind)) < 0)
        return rc;
    info->workload_flags = kind ? pb_workload_kind_flags(kind) : -1;
    if (kind && info->workload_flags < 0) {
        size_t mark = push_key(r, "workload_kind");
        rc = wrong(r, json_object_get(c, "workload_kind"), "cpu, io, cpu+io or none");
        pop(r, mark);
        return rc;
    }
    info->runner = strdup(runner);
    info->workload = strdup(workload);
    if (!info->runner || !info->workload)
        return no_memory(r);
    if ((rc = read_params(r, c, info)) < 0 ||
        (rc = member(r, c, "concurrency", REQUIRED, "an integer >= 1 or null", &conc)) < 0)
        return rc;
    /* null: every task at once (eventloop), which has no concurrency of its own. */
    info->gather = json_is_null(conc);
    if (!info->gather) {
        size_t mark = push_key(r, "concurrency");
        rc = json_is_integer(conc) ? as_unsigned(r, conc, 1, &info->concurrency)
                                   : wrong(r, conc, "an integer >= 1 or null");
        pop(r, mark);
    }
    json_t *qd = json_object_get(c, "queue_depth"), *workers;
    info->queue_depth = PB_CASE_DEFAULT_QUEUE_DEPTH;
    if (rc == 0 && qd) {
        size_t mark = push_key(r, "queue_depth");
        rc = as_unsigned(r, qd, 0, &info->queue_depth);
        pop(r, mark);
    }
    if (rc == 0 && (rc = member(r, c, "workers", REQUIRED, "an integer >= 1", &workers)) == 0) {
        size_t mark = push_key(r, "workers");
        rc = as_unsigned(r, workers, 1, &info->workers);
        pop(r, mark);
    }
    if (rc < 0 || (rc = read_load(r, c, info)) < 0 || (rc = read_pin(r, c, out)) < 0 ||
        (rc = read_settings(r, c, info)) < 0 ||
        (rc = get_bool(r, c, "complete", REQUIRED, &out->complete)) < 0 ||
        (rc = get_count(r, c, "warmups", REQUIRED, &warmups)) < 0 ||
        (rc = read_reps(r, c, out)) < 0 || (rc = read_warnings(r, c, out)) < 0 ||
        (rc = read_summary(r, c, out)) < 0 || (rc = read_spectrum(r, c, out)) < 0 ||
        (rc = read_speedup(r, c, &out->speedup)) < 0 || (rc = read_trust(r, c, &out->trust)) < 0)
        return rc;
    if (warmups > UINT32_MAX) {
        size_t mark = push_key(r, "warmups");
        rc = wrong(r, json_object_get(c, "warmups"), "an integer below 2^32");
        pop(r, mark);
        return rc;
    }
    out->warmups = (unsigned)warmups;
    return pb_case_info_finish(info) < 0 ? no_memory(r) : 0;
}

static int cmp_ids(const void *a, const void *b, void *arg)
{
    const struct pb_case_result *cases = arg;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int c = strcmp(cases[x].info.id, cases[y].info.id);
    return c ? c : (x > y) - (x < y);
}

/* A document holds each case once: the second of the first pair that shares a key. */
static int check_duplicates(struct rd *r, const struct pb_case_result *cases, size_t n)
{
    size_t *idx = malloc((n + 1) * sizeof(*idx)), first = 0, second = SIZE_MAX;
    if (!idx)
        return no_memory(r);
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    qsort_r(idx, n, sizeof(*idx), cmp_ids, (void *)cases);
    for (size_t i = 1; i < n; i++) {
        if (strcmp(cases[idx[i - 1]].info.id, cases[idx[i]].info.id) == 0 && idx[i] < second) {
            first = idx[i - 1];
            second = idx[i];
        }
    }
    /* A run of three equal keys: the earliest of them is the one the message names. */
    for (size_t i = 0; second != SIZE_MAX && i < first; i++)
        if (strcmp(cases[i].info.id, cases[second].info.id) == 0)
            first = i;
    free(idx);
    if (second == SIZE_MAX)
        return 0;
    char id[200];
    snprintf(id, sizeof(id), "%s", cases[second].info.id);
    size_t mark = push_raw(r, "cases");
    push_index(r, second);
    int rc = fail(r, "the same case as cases[%zu] (%s%s): a document holds each case once", first,
                  id, strlen(cases[second].info.id) >= sizeof(id) ? "..." : "");
    pop(r, mark);
    return rc;
}

int pb_doc_from_json(struct pb_doc *d, json_t *root, const char *name, struct pb_err *err)
{
    struct rd r = {.file = name, .err = err};
    struct pb_doc doc = {0};
    const json_t *schema = json_object_get(root, "schema");
    json_t *cases, *c;
    size_t i;
    int rc;

    memset(d, 0, sizeof(*d));
    if (!json_is_object(root) || !schema)
        return pb_err_set(err, -EINVAL, "%s: not a parbench result document (no 'schema')", name);
    if (!json_is_string(schema) || strcmp(json_string_value(schema), PB_RESULT_SCHEMA) != 0) {
        char shown[64];
        if (json_is_string(schema)) {
            char *s = json_dumps(schema, JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
            /* The quotes JSON adds go; the escapes stay, so nothing reaches a terminal raw. */
            snprintf(shown, sizeof(shown), "%.*s", s ? (int)strlen(s) - 2 : 1, s ? s + 1 : "?");
            free(s);
        } else {
            describe(schema, shown, sizeof(shown));
        }
        return pb_err_set(err, -EINVAL, "%s: schema '%s' is not " PB_RESULT_SCHEMA, name, shown);
    }
    if ((rc = read_header(&r, root)) < 0 ||
        (rc = get_array(&r, root, "cases", REQUIRED, &cases)) < 0)
        return rc;
    doc.cases = calloc(json_array_size(cases) + 1, sizeof(*doc.cases));
    doc.path = strdup(name);
    if (!doc.cases || !doc.path) {
        rc = no_memory(&r);
        goto fail;
    }
    size_t mark = push_key(&r, "cases");
    json_array_foreach(cases, i, c)
    {
        size_t k = push_index(&r, i);
        pb_case_result_init(&doc.cases[i]);
        doc.ncases++;
        rc = read_case(&r, c, &doc.cases[i]);
        pop(&r, k);
        if (rc < 0)
            break;
    }
    pop(&r, mark);
    if (rc < 0 || (rc = check_duplicates(&r, doc.cases, doc.ncases)) < 0)
        goto fail;
    doc.root = json_incref(root);
    *d = doc;
    return 0;
fail:
    pb_doc_destroy(&doc);
    return rc;
}

int pb_doc_parse(struct pb_doc *d, const char *buf, size_t len, const char *name,
                 struct pb_err *err)
{
    json_error_t je;
    json_t *root = json_loadb(buf, len, PB_DOC_DECODE_FLAGS, &je);
    memset(d, 0, sizeof(*d));
    if (!root)
        return pb_err_set(err, -EINVAL, "%s: not JSON: line %d: %s", name, je.line, je.text);
    int rc = pb_doc_from_json(d, root, name, err);
    json_decref(root);
    return rc;
}

int pb_doc_load(struct pb_doc *d, const char *path, struct pb_err *err)
{
    int is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "<stdin>" : path;
    FILE *f = is_stdin ? stdin : fopen(path, "r");
    json_t *root = NULL;
    json_error_t je;
    struct stat st;
    int rc;

    memset(d, 0, sizeof(*d));
    if (!f)
        return pb_err_set(err, -errno, "%s: cannot open: %s", name, strerror(errno));
    /* fopen succeeds on a directory; the read would then fail with a vaguer message. */
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        rc = pb_err_set(err, -EISDIR, "%s: cannot open: %s", name, strerror(EISDIR));
        goto out;
    }
    root = json_loadf(f, PB_DOC_DECODE_FLAGS, &je);
    if (!root) {
        rc = pb_err_set(err, -EINVAL, "%s: not JSON: line %d: %s", name, je.line, je.text);
        goto out;
    }
    rc = pb_doc_from_json(d, root, name, err);
out:
    json_decref(root);
    if (!is_stdin)
        fclose(f);
    return rc;
}

void pb_doc_destroy(struct pb_doc *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->ncases; i++)
        pb_case_result_free(&d->cases[i]);
    free(d->cases);
    json_decref(d->root);
    free(d->path);
    memset(d, 0, sizeof(*d));
}

const char *pb_doc_str(const struct pb_doc *d, const char *obj, const char *key)
{
    const json_t *o = obj ? json_object_get(d->root, obj) : d->root;
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

int pb_doc_complete(const struct pb_doc *d)
{
    return !json_is_false(json_object_get(d->root, "complete"));
}

long pb_doc_find(const struct pb_doc *d, const char *id)
{
    for (size_t i = 0; i < d->ncases; i++)
        if (strcmp(d->cases[i].info.id, id) == 0)
            return (long)i;
    return -1;
}
