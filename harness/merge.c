/* Merging result documents of the same plan run several times (interleaved A/B rounds) into one
 * document whose cases carry every round's repetitions. */
#include "harness/merge.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/histogram.h"
#include "harness/result.h"
#include "harness/stats.h"

/* One case of the merged document and where its parts came from. */
struct mcase {
    char *key;
    json_t *c;        /* in the merged document */
    json_t **spectra; /* borrowed: the latency_spectrum_ns of each input that has the case */
    size_t nspectra;
};

struct merge {
    struct mcase *cases;
    size_t n, cap;
};

static void merge_free(struct merge *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->cases[i].key);
        free(m->cases[i].spectra);
    }
    free(m->cases);
}

static struct mcase *find(struct merge *m, const char *key)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->cases[i].key, key) == 0)
            return &m->cases[i];
    return NULL;
}

static int add_spectrum(struct mcase *mc, json_t *spectrum, size_t max)
{
    if (!json_array_size(spectrum))
        return 0;
    if (!mc->spectra) {
        mc->spectra = calloc(max, sizeof(*mc->spectra));
        if (!mc->spectra)
            return -ENOMEM;
    }
    mc->spectra[mc->nspectra++] = spectrum;
    return 0;
}

/* Appends src's repetitions (copies) to dst and folds in its completeness, warm-ups and
 * warnings. */
static int absorb(json_t *dst, const json_t *src)
{
    json_t *reps = json_object_get(dst, "repetitions"), *warns = json_object_get(dst, "warnings");
    json_t *v;
    size_t i;

    if (!json_is_array(reps)) {
        reps = json_array();
        if (!reps || json_object_set_new(dst, "repetitions", reps))
            return -ENOMEM;
    }
    json_array_foreach(json_object_get(src, "repetitions"), i,
                       v) if (json_array_append_new(reps, json_deep_copy(v))) return -ENOMEM;
    if (json_is_false(json_object_get(src, "complete")))
        json_object_set_new(dst, "complete", json_false());
    json_object_set_new(dst, "warmups",
                        json_integer(json_integer_value(json_object_get(dst, "warmups")) +
                                     json_integer_value(json_object_get(src, "warmups"))));
    json_array_foreach(json_object_get(src, "warnings"), i, v)
    {
        size_t j;
        json_t *w;
        int seen = 0;
        json_array_foreach(warns, j, w) seen |= json_equal(w, v);
        if (!seen && json_is_array(warns) && json_array_append(warns, v))
            return -ENOMEM;
    }
    return 0;
}

static int add_doc(struct merge *m, const struct pb_doc *d, json_t *cases, size_t ndocs)
{
    for (size_t i = 0; i < pb_doc_case_count(d); i++) {
        json_t *c = pb_doc_case(d, i);
        char *key = NULL;
        struct mcase *mc;
        int rc = pb_case_key(c, &key);

        if (rc < 0)
            return rc;
        mc = find(m, key);
        if (mc) {
            free(key);
            rc = absorb(mc->c, c);
            if (rc == 0)
                rc = add_spectrum(mc, json_object_get(c, "latency_spectrum_ns"), ndocs);
            if (rc < 0)
                return rc;
            continue;
        }
        if (m->n == m->cap) {
            size_t cap = m->cap ? 2 * m->cap : 16;
            struct mcase *v = realloc(m->cases, cap * sizeof(*v));
            if (!v) {
                free(key);
                return -ENOMEM;
            }
            m->cases = v;
            m->cap = cap;
        }
        mc = &m->cases[m->n++];
        *mc = (struct mcase){.key = key, .c = json_deep_copy(c)};
        if (!mc->c || json_array_append_new(cases, mc->c))
            return -ENOMEM;
        rc = add_spectrum(mc, json_object_get(c, "latency_spectrum_ns"), ndocs);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The value at percentile p in a spectrum, or NAN. */
static double spectrum_at(const json_t *spectrum, double p)
{
    size_t i;
    json_t *pt;
    json_array_foreach(spectrum, i, pt)
    {
        if (json_number_value(json_object_get(pt, "percentile")) == p)
            return json_number_value(json_object_get(pt, "value"));
    }
    return NAN;
}

static int merge_spectrum(struct mcase *mc)
{
    json_t *out = json_array();
    double *v = NULL;
    size_t i;
    json_t *pt;

    if (!out)
        return -ENOMEM;
    if (mc->nspectra < 2) {
        json_decref(out);
        return 0; /* the one spectrum there is stays as it was */
    }
    v = malloc(mc->nspectra * sizeof(*v));
    if (!v) {
        json_decref(out);
        return -ENOMEM;
    }
    json_array_foreach(mc->spectra[0], i, pt)
    {
        double p = json_number_value(json_object_get(pt, "percentile"));
        size_t k = 0;
        json_t *o;
        for (size_t s = 0; s < mc->nspectra; s++) {
            double x = spectrum_at(mc->spectra[s], p);
            if (isfinite(x))
                v[k++] = x;
        }
        qsort(v, k, sizeof(*v), cmp_double);
        double med = k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2.0;
        o = json_object();
        json_object_set_new(o, "percentile", json_real(p));
        json_object_set_new(o, "value", json_integer((json_int_t)llround(med)));
        json_array_append_new(out, o);
    }
    free(v);
    json_object_set_new(mc->c, "latency_spectrum_ns", out);
    return 0;
}

/* Summaries from the merged repetitions, with the same code the run uses; the spectrum is put
 * back afterwards, as there is no merged histogram to take it from. */
static int resummarize(struct merge *m, const struct pb_hist *empty)
{
    for (size_t i = 0; i < m->n; i++) {
        json_t *c = m->cases[i].c;
        json_t *spectrum = json_incref(json_object_get(c, "latency_spectrum_ns"));
        pb_result_case_summarize(c, empty);
        if (spectrum)
            json_object_set_new(c, "latency_spectrum_ns", spectrum);
        json_object_del(c, "speedup");
        int rc = merge_spectrum(&m->cases[i]);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void note_differences(json_t *root, struct pb_doc *const *docs, size_t n)
{
    static const struct {
        const char *obj, *key, *what;
    } fields[] = {{"host", "hostname", "hosts"},
                  {"host", "cpu_model", "CPU models"},
                  {"tool", "build_type", "build types"},
                  {"tool", "git_commit", "commits"}};
    json_t *warns = json_object_get(root, "warnings");

    for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
        const char *first = pb_doc_str(docs[0], fields[f].obj, fields[f].key);
        for (size_t i = 1; i < n; i++) {
            const char *other = pb_doc_str(docs[i], fields[f].obj, fields[f].key);
            if (strcmp(first, other) == 0)
                continue;
            char msg[1200];
            snprintf(msg, sizeof(msg), "merged documents from different %s: %s (%s) and %s (%s)",
                     fields[f].what, first, docs[0]->path, other, docs[i]->path);
            json_array_append_new(warns, json_string(msg));
            break;
        }
    }
}

/* Start and end span every input; completeness and the stop reason are the worst of them. */
static void merge_header(json_t *root, struct pb_doc *const *docs, size_t n)
{
    const char *start = pb_doc_str(docs[0], NULL, "started_at");
    const char *end = pb_doc_str(docs[0], NULL, "finished_at");
    const char *stop = pb_doc_str(docs[0], NULL, "stop_reason");
    json_int_t repeat = 0;
    int complete = 1;
    json_t *from = json_array(), *settings = json_object_get(root, "settings");

    for (size_t i = 0; i < n; i++) {
        const char *s = pb_doc_str(docs[i], NULL, "started_at");
        const char *e = pb_doc_str(docs[i], NULL, "finished_at");
        const char *r = pb_doc_str(docs[i], NULL, "stop_reason");
        /* ISO 8601 UTC times order as strings. */
        if (*s && strcmp(s, start) < 0)
            start = s;
        if (strcmp(e, end) > 0)
            end = e;
        if (strcmp(stop, "completed") == 0 && *r && strcmp(r, "completed") != 0)
            stop = r;
        complete &= !json_is_false(json_object_get(docs[i]->root, "complete"));
        repeat += json_integer_value(
            json_object_get(json_object_get(docs[i]->root, "settings"), "repeat"));
        json_array_append_new(from, json_string(docs[i]->path));
    }
    json_object_set_new(root, "started_at", json_string(start));
    json_object_set_new(root, "finished_at", json_string(end));
    json_object_set_new(root, "stop_reason", json_string(stop));
    json_object_set_new(root, "complete", json_boolean(complete));
    if (json_is_object(settings) && repeat > 0)
        json_object_set_new(settings, "repeat", json_integer(repeat));
    json_object_set_new(root, "merged_from", from);
    if (!json_is_array(json_object_get(root, "warnings")))
        json_object_set_new(root, "warnings", json_array());
    note_differences(root, docs, n);
    if (n > 1) {
        char msg[200];
        snprintf(msg, sizeof(msg),
                 "merged from %zu documents: summaries cover all their repetitions; "
                 "latency_spectrum_ns is the per-percentile median of theirs",
                 n);
        json_array_append_new(json_object_get(root, "warnings"), json_string(msg));
    }
}

int pb_merge_docs(struct pb_doc *const *docs, size_t n, json_t **out, struct pb_err *err)
{
    struct merge m = {0};
    struct pb_hist *empty = NULL;
    json_t *root = NULL, *cases = NULL;
    int rc = -ENOMEM;

    if (n == 0)
        return pb_err_set(err, -EINVAL, "merge: no documents");
    root = json_deep_copy(docs[0]->root);
    cases = json_array();
    empty = malloc(sizeof(*empty));
    if (!root || !cases || !empty || json_object_set(root, "cases", cases))
        goto out;
    pb_hist_reset(empty);
    for (size_t i = 0; i < n; i++) {
        rc = add_doc(&m, docs[i], cases, n);
        if (rc < 0)
            goto out;
    }
    rc = resummarize(&m, empty);
    if (rc < 0)
        goto out;
    pb_result_speedups(root);
    merge_header(root, docs, n);
    *out = json_incref(root);
out:
    merge_free(&m);
    free(empty);
    json_decref(cases);
    json_decref(root);
    if (rc < 0)
        return pb_err_set(err, rc, "merge: %s", strerror(-rc));
    return 0;
}
