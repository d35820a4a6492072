/* Reading result documents back: load and check a file, walk its cases, pull per-repetition
 * samples of a metric, and name and match cases across documents (compare, export, merge). */
#include "harness/doc_read.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The pin policy parbench run uses when none is given; names leave it out. */
#define DEFAULT_PIN "compact"

static const struct pb_metric_def metric_defs[PB_METRIC_COUNT] = {
    [PB_METRIC_THROUGHPUT] = {"throughput", "tasks/s", "throughput_per_s", NULL, "throughput_per_s",
                              1, 1},
    [PB_METRIC_LATENCY_P50] = {"latency_p50", "ns", "latency_p50_ns", "latency_ns", "p50", 0, 1},
    [PB_METRIC_LATENCY_P99] = {"latency_p99", "ns", "latency_p99_ns", "latency_ns", "p99", 0, 1},
    [PB_METRIC_SERVICE_P50] = {"service_p50", "ns", "service_p50_ns", "service_ns", "p50", 0, 1},
    [PB_METRIC_SERVICE_P99] = {"service_p99", "ns", "service_p99_ns", "service_ns", "p99", 0, 1},
    [PB_METRIC_WALL] = {"wall", "s", "wall_s", NULL, "wall_s", 0, 0},
    [PB_METRIC_PEAK_RSS] = {"peak_rss", "bytes", "peak_rss_bytes", NULL, "peak_rss_bytes", 0, 0},
};

const struct pb_metric_def *pb_metric_def(enum pb_metric m)
{
    return m < PB_METRIC_COUNT ? &metric_defs[m] : NULL;
}

int pb_metric_find(const char *name, enum pb_metric *out)
{
    for (int m = 0; m < PB_METRIC_COUNT; m++) {
        if (strcmp(metric_defs[m].name, name) == 0) {
            *out = (enum pb_metric)m;
            return 0;
        }
    }
    return -ENOENT;
}

static int check_case(const json_t *c, size_t i, const char *path, struct pb_err *err)
{
    const json_t *reps = json_object_get(c, "repetitions");

    if (!json_is_object(c))
        return pb_err_set(err, -EINVAL, "%s: malformed: case %zu is not an object", path, i);
    if (!json_is_string(json_object_get(c, "runner")) ||
        !json_is_string(json_object_get(c, "workload")))
        return pb_err_set(err, -EINVAL, "%s: malformed: case %zu has no 'runner' or 'workload'",
                          path, i);
    if (reps && !json_is_array(reps))
        return pb_err_set(err, -EINVAL, "%s: malformed: case %zu: 'repetitions' is not an array",
                          path, i);
    return 0;
}

int pb_doc_from_json(struct pb_doc **out, json_t *root, const char *path, struct pb_err *err)
{
    struct pb_doc *d = NULL;
    const json_t *schema = json_object_get(root, "schema");
    json_t *cases;
    size_t i;
    json_t *c;
    int rc;

    if (!json_is_object(root) || !schema)
        return pb_err_set(err, -EINVAL, "%s: not a parbench result document (no 'schema')", path);
    if (!json_is_string(schema) || strcmp(json_string_value(schema), PB_RESULT_SCHEMA) != 0) {
        char *text = json_dumps(schema, JSON_ENCODE_ANY | JSON_COMPACT);
        const char *shown = json_is_string(schema) ? json_string_value(schema) : text;
        rc = pb_err_set(err, -EINVAL, "%s: schema '%s' is not " PB_RESULT_SCHEMA, path,
                        shown ? shown : "?");
        free(text);
        return rc;
    }
    cases = json_object_get(root, "cases");
    if (!json_is_array(cases))
        return pb_err_set(err, -EINVAL, "%s: malformed: 'cases' is not an array", path);
    json_array_foreach(cases, i, c)
    {
        rc = check_case(c, i, path, err);
        if (rc < 0)
            return rc;
    }
    d = calloc(1, sizeof(*d));
    if (!d || !(d->path = strdup(path))) {
        free(d);
        return pb_err_set(err, -ENOMEM, "%s: out of memory", path);
    }
    d->root = json_incref(root);
    d->cases = cases;
    *out = d;
    return 0;
}

int pb_doc_load(struct pb_doc **out, const char *path, struct pb_err *err)
{
    FILE *f = NULL;
    json_t *root = NULL;
    json_error_t je;
    struct stat st;
    int is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "<stdin>" : path;
    int rc;

    f = is_stdin ? stdin : fopen(path, "r");
    if (!f)
        return pb_err_set(err, -errno, "%s: cannot open: %s", name, strerror(errno));
    /* fopen succeeds on a directory; the read would then fail with a vaguer message. */
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        rc = pb_err_set(err, -EISDIR, "%s: cannot open: %s", name, strerror(EISDIR));
        goto out;
    }
    root = json_loadf(f, JSON_DECODE_ANY, &je);
    if (!root) {
        rc = pb_err_set(err, -EINVAL, "%s: not JSON: line %d: %s", name, je.line, je.text);
        goto out;
    }
    rc = pb_doc_from_json(out, root, name, err);
out:
    json_decref(root);
    if (f && !is_stdin)
        fclose(f);
    return rc;
}

void pb_doc_destroy(struct pb_doc *d)
{
    if (!d)
        return;
    json_decref(d->root);
    free(d->path);
    free(d);
}

size_t pb_doc_case_count(const struct pb_doc *d)
{
    return json_array_size(d->cases);
}

json_t *pb_doc_case(const struct pb_doc *d, size_t i)
{
    return json_array_get(d->cases, i);
}

const char *pb_doc_str(const struct pb_doc *d, const char *obj, const char *key)
{
    const json_t *o = obj ? json_object_get(d->root, obj) : d->root;
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static int rep_value(const json_t *rep, const struct pb_metric_def *def, double *v)
{
    const json_t *holder = def->rep_object ? json_object_get(rep, def->rep_object) : rep;
    const json_t *val = json_object_get(holder, def->rep_key);

    if (!json_is_number(val))
        return -ENOENT;
    *v = json_number_value(val);
    return 0;
}

int pb_case_samples(const json_t *c, enum pb_metric m, double **out, size_t *n)
{
    const struct pb_metric_def *def = pb_metric_def(m);
    const json_t *reps = json_object_get(c, "repetitions");
    size_t cap = json_array_size(reps), count = 0, i;
    double *v = NULL;
    json_t *rep;

    *out = NULL;
    *n = 0;
    if (!def)
        return -EINVAL;
    if (cap == 0)
        return 0;
    v = malloc(cap * sizeof(*v));
    if (!v)
        return -ENOMEM;
    json_array_foreach(reps, i, rep)
    {
        /* An interrupted repetition measured part of the work: not a sample of the whole. */
        if (json_is_false(json_object_get(rep, "complete")))
            continue;
        if (rep_value(rep, def, &v[count]) == 0)
            count++;
    }
    if (count == 0) {
        free(v);
        v = NULL;
    }
    *out = v;
    *n = count;
    return 0;
}

const char *pb_case_str(const json_t *c, const char *key)
{
    const char *s = json_string_value(json_object_get(c, key));
    return s ? s : "";
}

long long pb_case_concurrency(const json_t *c)
{
    const json_t *v = json_object_get(c, "concurrency");
    return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

/* A number in the shortest text that reads back as the same value, integral values without a
 * fraction, so that 4 and 4.0 name the same parameter value. */
static void fmt_number(char *buf, size_t len, double v)
{
    if (v == floor(v) && fabs(v) < 9007199254740992.0) {
        snprintf(buf, len, "%.0f", v);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

static void fmt_value(char *buf, size_t len, const json_t *v)
{
    if (json_is_string(v))
        snprintf(buf, len, "%s", json_string_value(v));
    else if (json_is_boolean(v))
        snprintf(buf, len, "%s", json_is_true(v) ? "true" : "false");
    else if (json_is_number(v))
        fmt_number(buf, len, json_number_value(v));
    else
        snprintf(buf, len, "null");
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Writes "k=v" pairs sorted by key, separated by sep, into f. */
static int write_params(FILE *f, const json_t *c, const char *sep)
{
    const json_t *params = json_object_get(c, "params");
    size_t n = json_object_size(params), i = 0;
    const char **keys;
    const char *k;
    json_t *v;
    char val[1100];

    if (n == 0)
        return 0;
    keys = malloc(n * sizeof(*keys));
    if (!keys)
        return -ENOMEM;
    json_object_foreach((json_t *)params, k, v) keys[i++] = k;
    qsort(keys, n, sizeof(*keys), cmp_str);
    for (i = 0; i < n; i++) {
        fmt_value(val, sizeof(val), json_object_get(params, keys[i]));
        fprintf(f, "%s%s=%s", i ? sep : "", keys[i], val);
    }
    free(keys);
    return 0;
}

static void write_load(FILE *f, const json_t *c)
{
    const json_t *load = json_object_get(c, "load");
    const char *model = json_string_value(json_object_get(load, "model"));
    const json_t *rate = json_object_get(load, "rate_per_s");
    const char *arrivals = json_string_value(json_object_get(load, "arrivals"));
    char num[64];

    if (!model || strcmp(model, "open") != 0) {
        fputs(model ? model : "closed", f);
        return;
    }
    fputs("open", f);
    if (json_is_number(rate)) {
        fmt_number(num, sizeof(num), json_number_value(rate));
        fprintf(f, ":%s/s", num);
    }
    if (arrivals)
        fprintf(f, ",%s", arrivals);
}

static const char *pin_policy(const json_t *c)
{
    const char *p = json_string_value(json_object_get(json_object_get(c, "pin"), "policy"));
    return p ? p : "";
}

/* Runs fill(f, c) into a memory stream and returns the text. */
static int to_string(const json_t *c, void (*fill)(FILE *, const json_t *), char **out)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    if (!f)
        return -ENOMEM;
    fill(f, c);
    if (fclose(f) != 0 || !buf) {
        free(buf);
        return -ENOMEM;
    }
    *out = buf;
    return 0;
}

/* Fields are separated by a byte no name or value contains in practice, and parameters are
 * canonical, so two documents written by different versions still agree on a case. */
static void fill_key(FILE *f, const json_t *c)
{
    fprintf(f, "%s\x1f%s\x1f", pb_case_str(c, "runner"), pb_case_str(c, "workload"));
    write_params(f, c, "\x1e");
    fprintf(f, "\x1f%lld\x1f", pb_case_concurrency(c));
    write_load(f, c);
    fprintf(f, "\x1f%s", pin_policy(c));
    /* Event loops per runner and queue depth shape a case as much as its parameters do. */
    fprintf(f, "\x1f%lld\x1f%lld", (long long)json_integer_value(json_object_get(c, "workers")),
            (long long)json_integer_value(json_object_get(c, "queue_depth")));
}

static void fill_name(FILE *f, const json_t *c)
{
    long long conc = pb_case_concurrency(c);
    const json_t *load = json_object_get(c, "load");
    const char *model = json_string_value(json_object_get(load, "model"));
    const char *pin = pin_policy(c);

    fprintf(f, "%s/%s", pb_case_str(c, "runner"), pb_case_str(c, "workload"));
    if (conc >= 0)
        fprintf(f, "/c=%lld", conc);
    if (json_object_size(json_object_get(c, "params"))) {
        fputc('/', f);
        write_params(f, c, "/");
    }
    if (model && strcmp(model, "open") == 0) {
        fputc('/', f);
        write_load(f, c);
    }
    if (*pin && strcmp(pin, DEFAULT_PIN) != 0)
        fprintf(f, "/pin=%s", pin);
}

static void fill_params(FILE *f, const json_t *c)
{
    write_params(f, c, ",");
}

int pb_case_key(const json_t *c, char **out)
{
    return to_string(c, fill_key, out);
}

int pb_case_name(const json_t *c, char **out)
{
    const char *id = pb_case_str(c, "id");

    /* The run's own id, so tables, charts and exports name a case the way parbench run did. */
    if (*id) {
        *out = strdup(id);
        return *out ? 0 : -ENOMEM;
    }
    return to_string(c, fill_name, out);
}

int pb_case_params(const json_t *c, char **out)
{
    return to_string(c, fill_params, out);
}

int pb_case_load(const json_t *c, char **out)
{
    return to_string(c, write_load, out);
}
