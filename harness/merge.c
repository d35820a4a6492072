/* Merging result documents of the same plan run several times (interleaved A/B rounds) into one
 * document whose cases carry every round's repetitions, on the typed model: cases are matched by
 * their key, summarised and written back with the run's own code. */
#include "harness/merge.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/doc_write.h"
#include "harness/result.h"
#include "harness/stats.h"

/* The latency spectra of the inputs that have a case: one per occurrence, however many times a
 * document holds it, so no bound depends on how the inputs are made. */
struct spectra {
    uint64_t (*v)[PB_SPECTRUM_POINTS];
    size_t n, cap;
    size_t first_doc; /* the first input that has the case, for messages */
};

struct merge {
    struct pb_case_result *cases;
    struct spectra *spectra; /* parallel to cases */
    size_t n, cap;
};

static void merge_free(struct merge *m)
{
    for (size_t i = 0; i < m->n; i++) {
        pb_case_result_free(&m->cases[i]);
        free(m->spectra[i].v);
    }
    free(m->cases);
    free(m->spectra);
}

static long find(const struct merge *m, const char *id)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->cases[i].info.id, id) == 0)
            return (long)i;
    return -1;
}

static int add_spectrum(struct spectra *s, const struct pb_case_result *c)
{
    if (!c->has_spectrum)
        return 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 4;
        uint64_t(*v)[PB_SPECTRUM_POINTS] = realloc(s->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        s->v = v;
        s->cap = cap;
    }
    memcpy(s->v[s->n++], c->spectrum, sizeof(c->spectrum));
    return 0;
}

/* Folds src into dst: its repetitions (copies) in order, warm-ups, settings, completeness and
 * warnings. */
static int absorb(struct pb_case_result *dst, const struct pb_case_result *src)
{
    for (size_t r = 0; r < src->nreps; r++) {
        struct pb_rep_result copy;
        int rc = pb_rep_copy(&copy, &src->reps[r]);
        if (rc == 0 && (rc = pb_case_result_add_rep(dst, &copy)) < 0)
            pb_rep_free(&copy);
        if (rc < 0)
            return rc;
    }
    for (size_t w = 0; w < src->nwarnings; w++)
        if (pb_case_result_warn(dst, "%s", src->warnings[w]) < 0)
            return -ENOMEM;
    dst->warmups += src->warmups;
    dst->info.repeat += src->info.repeat;
    dst->info.warmup += src->info.warmup;
    dst->complete = dst->complete && src->complete;
    return 0;
}

/* A new merged case from src: its identity and pin plan, then everything absorb folds in. */
static int add_case(struct merge *m, const struct pb_case_result *src, size_t doc)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 16;
        struct pb_case_result *v = realloc(m->cases, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        m->cases = v;
        struct spectra *s = realloc(m->spectra, cap * sizeof(*s));
        if (!s)
            return -ENOMEM;
        m->spectra = s;
        m->cap = cap;
    }
    struct pb_case_result *c = &m->cases[m->n];
    pb_case_result_init(c);
    m->spectra[m->n] = (struct spectra){.first_doc = doc};
    if (pb_case_info_copy(&c->info, &src->info) < 0)
        return -ENOMEM;
    m->n++;
    c->complete = 1;
    c->pin_plan = calloc(src->pin_workers + 1, sizeof(*c->pin_plan));
    if (!c->pin_plan)
        return -ENOMEM;
    if (src->pin_workers)
        memcpy(c->pin_plan, src->pin_plan, src->pin_workers * sizeof(*c->pin_plan));
    c->pin_workers = src->pin_workers;
    /* absorb adds the settings: start from none. */
    c->info.repeat = c->info.warmup = 0;
    return 0;
}

static int add_doc(struct merge *m, const struct pb_doc *d, size_t k)
{
    for (size_t i = 0; i < d->ncases; i++) {
        const struct pb_case_result *src = &d->cases[i];
        long at = find(m, src->info.id);
        int rc = 0;
        if (at < 0) {
            rc = add_case(m, src, k);
            at = (long)m->n - 1;
        }
        if (rc == 0)
            rc = absorb(&m->cases[at], src);
        if (rc == 0)
            rc = add_spectrum(&m->spectra[at], src);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Every complete input must hold every case: another plan, or a round that lost cases it ran,
 * would otherwise merge into a document that looks like one plan. */
static int check_plans(const struct merge *m, const struct pb_doc *docs, size_t n,
                       struct pb_err *err)
{
    for (size_t k = 0; k < n; k++) {
        if (!pb_doc_complete(&docs[k]))
            continue; /* an interrupted round has the cases it got to */
        for (size_t i = 0; i < m->n; i++) {
            if (pb_doc_find(&docs[k], m->cases[i].info.id) >= 0)
                continue;
            return pb_err_set(err, -EINVAL,
                              "%s has no case %s, which %s has: these are runs of different "
                              "plans (--union merges them anyway)",
                              docs[k].path, m->cases[i].info.id,
                              docs[m->spectra[i].first_doc].path);
        }
    }
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Each point the median of the inputs' values there. */
static int merge_spectrum(struct pb_case_result *c, const struct spectra *s)
{
    c->has_spectrum = s->n > 0;
    if (s->n == 1)
        memcpy(c->spectrum, s->v[0], sizeof(c->spectrum));
    if (s->n < 2)
        return 0;
    uint64_t *v = malloc(s->n * sizeof(*v));
    if (!v)
        return -ENOMEM;
    for (int p = 0; p < PB_SPECTRUM_POINTS; p++) {
        for (size_t k = 0; k < s->n; k++)
            v[k] = s->v[k][p];
        qsort(v, s->n, sizeof(*v), cmp_u64);
        size_t h = s->n / 2;
        c->spectrum[p] = s->n % 2 ? v[h] : (uint64_t)llround(((double)v[h - 1] + (double)v[h]) / 2);
    }
    free(v);
    return 0;
}

static void note_differences(json_t *root, const struct pb_doc *docs, size_t n)
{
    static const struct {
        const char *obj, *key, *what;
    } fields[] = {{"host", "hostname", "hosts"},
                  {"host", "cpu_model", "CPU models"},
                  {"tool", "build_type", "build types"},
                  {"tool", "git_commit", "commits"}};
    json_t *warns = json_object_get(root, "warnings");

    for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
        const char *first = pb_doc_str(&docs[0], fields[f].obj, fields[f].key);
        for (size_t i = 1; i < n; i++) {
            const char *other = pb_doc_str(&docs[i], fields[f].obj, fields[f].key);
            if (strcmp(first, other) == 0)
                continue;
            char *msg = NULL;
            if (asprintf(&msg, "merged documents from different %s: %s (%s) and %s (%s)",
                         fields[f].what, first, docs[0].path, other, docs[i].path) >= 0)
                json_array_append_new(warns, json_string(msg));
            free(msg);
            break;
        }
    }
}

/* Every plug-in build any input ran, once; a plug-in in two builds is named in a warning. */
static void merge_plugins(json_t *root, const struct pb_doc *docs, size_t n)
{
    json_t *all = json_array(), *p, *q;
    size_t i, k, j;
    for (i = 0; i < n; i++)
        json_array_foreach(json_object_get(docs[i].root, "plugins"), k, p)
        {
            const char *name = json_string_value(json_object_get(p, "name"));
            const char *sha = json_string_value(json_object_get(p, "sha256"));
            int seen = 0;
            if (!name || !sha)
                continue;
            json_array_foreach(all, j, q)
            {
                if (strcmp(name, json_string_value(json_object_get(q, "name"))))
                    continue;
                if (strcmp(sha, json_string_value(json_object_get(q, "sha256"))) == 0) {
                    seen = 1;
                    break;
                }
                char *msg = NULL;
                if (asprintf(&msg, "merged documents ran different builds of plug-in %s (%s)", name,
                             docs[i].path) >= 0)
                    json_array_append_new(json_object_get(root, "warnings"), json_string(msg));
                free(msg);
            }
            if (!seen)
                json_array_append(all, p);
        }
    if (json_array_size(all))
        json_object_set_new(root, "plugins", all);
    else
        json_decref(all);
}

/* Start and end span every input; completeness and the stop reason are the worst of them. */
static void merge_header(json_t *root, const struct pb_doc *docs, size_t n)
{
    const char *start = pb_doc_str(&docs[0], NULL, "started_at");
    const char *end = pb_doc_str(&docs[0], NULL, "finished_at");
    const char *stop = pb_doc_str(&docs[0], NULL, "stop_reason");
    json_int_t repeat = 0;
    int complete = 1;
    json_t *from = json_array(), *settings = json_object_get(root, "settings");

    for (size_t i = 0; i < n; i++) {
        const char *s = pb_doc_str(&docs[i], NULL, "started_at");
        const char *e = pb_doc_str(&docs[i], NULL, "finished_at");
        const char *r = pb_doc_str(&docs[i], NULL, "stop_reason");
        /* ISO 8601 UTC times order as strings. */
        if (*s && (!*start || strcmp(s, start) < 0))
            start = s;
        if (strcmp(e, end) > 0)
            end = e;
        if (strcmp(stop, "completed") == 0 && *r && strcmp(r, "completed") != 0)
            stop = r;
        complete &= pb_doc_complete(&docs[i]);
        repeat += json_integer_value(
            json_object_get(json_object_get(docs[i].root, "settings"), "repeat"));
        json_array_append_new(from, json_string(docs[i].path));
    }
    json_object_set_new(root, "started_at", json_string(start));
    json_object_set_new(root, "finished_at", json_string(end));
    json_object_set_new(root, "stop_reason", json_string(*stop ? stop : "completed"));
    json_object_set_new(root, "complete", json_boolean(complete));
    /* Documents before per-case settings have a top-level repeat: it is summed too. */
    if (json_is_object(settings) && json_object_get(settings, "repeat"))
        json_object_set_new(settings, "repeat", json_integer(repeat));
    json_object_set_new(root, "merged_from", from);
    note_differences(root, docs, n);
    merge_plugins(root, docs, n);
    if (n > 1) {
        char msg[200];
        snprintf(msg, sizeof(msg),
                 "merged from %zu documents: summaries cover all their repetitions; "
                 "latency_spectrum_ns is the per-percentile median of theirs",
                 n);
        json_array_append_new(json_object_get(root, "warnings"), json_string(msg));
    }
}

/* The merged cases, summarised: the typed half of a merge. */
static int merge_cases(struct merge *m, const struct pb_doc *docs, size_t n, int union_plans,
                       struct pb_err *err)
{
    int rc = 0;

    if (n == 0)
        return pb_err_set(err, -EINVAL, "merge: no documents");
    for (size_t k = 0; k < n && rc == 0; k++)
        rc = add_doc(m, &docs[k], k);
    if (rc == 0 && !union_plans && (rc = check_plans(m, docs, n, err)) < 0)
        return rc;
    for (size_t i = 0; i < m->n && rc == 0; i++) {
        rc = pb_case_summarize(&m->cases[i], NULL);
        if (rc == 0)
            rc = merge_spectrum(&m->cases[i], &m->spectra[i]);
    }
    if (rc < 0)
        return pb_err_set(err, -ENOMEM, "merge: out of memory");
    for (size_t i = 0; i < m->n; i++)
        pb_case_judge_trust(&m->cases[i]);
    if (pb_speedups(m->cases, m->n) < 0)
        return pb_err_set(err, -ENOMEM, "merge: out of memory");
    return 0;
}

int pb_merge_cases(const struct pb_doc *docs, size_t n, int union_plans,
                   struct pb_case_result **out, size_t *nout, struct pb_err *err)
{
    struct merge m = {0};
    int rc = merge_cases(&m, docs, n, union_plans, err);

    *out = NULL;
    *nout = 0;
    if (rc < 0) {
        merge_free(&m);
        return rc;
    }
    for (size_t i = 0; i < m.n; i++)
        free(m.spectra[i].v);
    free(m.spectra);
    *out = m.cases;
    *nout = m.n;
    return 0;
}

int pb_merge_docs(const struct pb_doc *docs, size_t n, int union_plans, json_t **out,
                  struct pb_err *err)
{
    struct merge m = {0};
    json_t *root = NULL;
    int rc = merge_cases(&m, docs, n, union_plans, err);

    if (rc < 0)
        goto out;
    root = json_deep_copy(docs[0].root);
    if (!root ||
        (!json_is_array(json_object_get(root, "warnings")) &&
         json_object_set_new(root, "warnings", json_array()) < 0) ||
        pb_doc_set_cases(root, m.cases, m.n) < 0) {
        rc = pb_err_set(err, -ENOMEM, "merge: out of memory");
        goto out;
    }
    merge_header(root, docs, n);
    *out = root;
    root = NULL;
out:
    json_decref(root);
    merge_free(&m);
    return rc;
}
