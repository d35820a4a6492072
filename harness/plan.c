/* The plan of one invocation: expansion, identity, checks. */
#include "harness/plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/limits.h"
#include "runners/python.h"

void pb_case_settings_default(struct pb_case_settings *s)
{
    memset(s, 0, sizeof(*s));
    s->load.tasks = PB_DEFAULT_TASKS;
    s->loops = 1;
    s->queue_depth = PB_DEFAULT_QUEUE_DEPTH;
    s->repeat = PB_DEFAULT_REPEAT;
    s->warmup = PB_DEFAULT_WARMUP;
    s->grace_ns = PB_DEFAULT_GRACE_NS;
    pb_pin_parse("compact", &s->pin, NULL);
}

void pb_plan_init(struct pb_plan *p)
{
    memset(p, 0, sizeof(*p));
}

void pb_plan_free(struct pb_plan *p)
{
    pb_plan_truncate(p, 0);
    free(p->cases);
    free(p->index);
    p->cases = NULL;
    p->index = NULL;
    p->capacity = p->index_size = 0;
}

/* FNV-1a: ids are short strings, and the table only needs them spread. */
static uint64_t id_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3u;
    return h;
}

/* The index holds case + 1, 0 for an empty slot; rebuilt when the cases outgrow half of it. */
static int index_rebuild(struct pb_plan *p, size_t want)
{
    size_t size = 16;
    while (size < 2 * want)
        size *= 2;
    size_t *ix = calloc(size, sizeof(*ix));
    if (!ix)
        return -ENOMEM;
    for (size_t i = 0; i < p->count; i++) {
        size_t h = id_hash(p->cases[i].id) & (size - 1);
        while (ix[h])
            h = (h + 1) & (size - 1);
        ix[h] = i + 1;
    }
    free(p->index);
    p->index = ix;
    p->index_size = size;
    return 0;
}

void pb_plan_truncate(struct pb_plan *p, size_t count)
{
    while (p->count > count)
        free(p->cases[--p->count].id);
    if (p->index)
        index_rebuild(p, p->count); /* fewer cases: a failure keeps the old, larger index */
}

/* The case with this id, or -1. */
static long index_find(const struct pb_plan *p, const char *id)
{
    if (!p->index)
        return -1;
    for (size_t h = id_hash(id) & (p->index_size - 1); p->index[h];
         h = (h + 1) & (p->index_size - 1))
        if (strcmp(p->cases[p->index[h] - 1].id, id) == 0)
            return (long)(p->index[h] - 1);
    return -1;
}

int pb_plan_select(struct pb_plan *p, char *const *ids, size_t n, struct pb_err *err)
{
    char *keep = calloc(p->count + 1, 1);
    if (!keep)
        return pb_err_set(err, -ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        long at = index_find(p, ids[i]);
        if (at < 0) {
            free(keep);
            return pb_err_set(err, -EINVAL, "no case %.400s in the plan", ids[i]);
        }
        keep[at] = 1;
    }
    size_t kept = 0;
    for (size_t i = 0; i < p->count; i++) {
        if (keep[i])
            p->cases[kept++] = p->cases[i];
        else
            free(p->cases[i].id);
    }
    p->count = kept;
    free(keep);
    /* The old index points at the old places: gone before the rebuild, so that a failed one
     * leaves no index rather than a wrong one. */
    free(p->index);
    p->index = NULL;
    p->index_size = 0;
    return index_rebuild(p, p->count) < 0 ? pb_err_set(err, -ENOMEM, "out of memory") : 0;
}

unsigned pb_case_workers(const struct pb_case_spec *c)
{
    return pb_runner_workers(c->runner, c->concurrency, c->set.loops);
}

void pb_case_label(const struct pb_case_spec *c, char *buf, size_t len)
{
    pb_case_label_of(c->runner->name, c->workload->name, c->concurrency, buf, len);
}

void pb_case_workload_env(const struct pb_case_spec *c, struct pb_workload_env *env)
{
    *env = (struct pb_workload_env){
        .params = &c->params,
        .concurrency = c->concurrency,
        .workers = pb_case_workers(c),
        .load = c->set.load,
        .timeout_ns = c->set.timeout_ns,
        .worker_processes = !!(c->runner->flags & PB_RUNNER_FORKS),
        .event_loops = !!(c->runner->flags & PB_RUNNER_LOOPS),
        .spare_pu = -1,
    };
}

int pb_plan_forks(const struct pb_plan *p)
{
    for (size_t i = 0; i < p->count; i++)
        if (p->cases[i].runner->flags & PB_RUNNER_FORKS)
            return 1;
    return 0;
}

int pb_case_info_from_spec(const struct pb_case_spec *c, struct pb_case_info *info)
{
    memset(info, 0, sizeof(*info));
    info->runner = strdup(c->runner->name);
    info->workload = strdup(c->workload->name);
    info->workload_flags = (int)(c->workload->flags & (PB_WL_CPU | PB_WL_IO));
    int rc = info->runner && info->workload ? 0 : -ENOMEM;
    for (size_t i = 0; i < c->params.count && rc == 0; i++) {
        const struct pb_param_def *d = &c->params.defs[i];
        const struct pb_param_value *v = &c->params.v[i];
        rc = pb_case_info_add_param(info, d->name, d->type, v->i, v->d, v->s);
    }
    info->gather = c->concurrency == 0;
    info->concurrency = c->concurrency;
    info->workers = pb_case_workers(c);
    info->loops = c->set.loops;
    info->load = c->set.load;
    info->load.seed = 0;
    snprintf(info->pin_policy, sizeof(info->pin_policy), "%s",
             pb_pin_policy_name(c->set.pin.policy));
    if (rc == 0 && pb_pin_spec_canonical(&c->set.pin, info->pin_spec, sizeof(info->pin_spec)) < 0)
        rc = -EINVAL;
    info->queue_depth = c->set.queue_depth;
    info->repeat = c->set.repeat;
    info->warmup = c->set.warmup;
    info->timeout_ns = c->set.timeout_ns;
    info->grace_ns = c->set.grace_ns;
    if (rc == 0)
        rc = pb_case_info_finish(info);
    if (rc < 0)
        pb_case_info_free(info);
    return rc;
}

/* Appends c with its id; -EEXIST (err names the case) when the plan has it already. */
static int plan_add(struct pb_plan *p, const struct pb_case_spec *c, struct pb_err *err)
{
    struct pb_case_info info;
    if (pb_case_info_from_spec(c, &info) < 0)
        return pb_err_set(err, -ENOMEM, "out of memory");
    if (index_find(p, info.id) >= 0) {
        char label[256];
        pb_case_label(c, label, sizeof(label));
        int rc = pb_err_set(err, -EEXIST,
                            "case %s (%.400s) is in the plan twice: list each runner, parameter "
                            "value and concurrency once",
                            label, info.id);
        pb_case_info_free(&info);
        return rc;
    }
    if (p->count == p->capacity) {
        size_t cap = p->capacity ? p->capacity * 2 : 8;
        struct pb_case_spec *n = realloc(p->cases, cap * sizeof(*n));
        if (!n) {
            pb_case_info_free(&info);
            return pb_err_set(err, -ENOMEM, "out of memory");
        }
        p->cases = n;
        p->capacity = cap;
    }
    if (2 * (p->count + 1) > p->index_size && index_rebuild(p, p->count + 1) < 0) {
        pb_case_info_free(&info);
        return pb_err_set(err, -ENOMEM, "out of memory");
    }
    p->cases[p->count] = *c;
    p->cases[p->count].id = info.id;
    info.id = NULL;
    size_t h = id_hash(p->cases[p->count].id) & (p->index_size - 1);
    while (p->index[h])
        h = (h + 1) & (p->index_size - 1);
    p->index[h] = ++p->count;
    pb_case_info_free(&info);
    return 0;
}

/* The level rule: a runner that runs one task at a time runs at 1, one that starts every task
 * at once at 0 ("all"); either runs once. Asked for a level on its own, they refuse it. */
static int runner_levels(const struct pb_matrix *m, const struct pb_runner_ops *r, int sweep,
                         unsigned *only, struct pb_err *err)
{
    if (!(r->flags & (PB_RUNNER_SINGLE | PB_RUNNER_GATHER)))
        return 0;
    *only = r->flags & PB_RUNNER_SINGLE ? 1 : 0;
    if (!m->levels_explicit || sweep || !m->nlevels)
        return 1;
    if (*only == 1 && m->levels[0] != 1)
        return pb_err_set(err, -EINVAL,
                          "%s runs one task at a time: -c %u is not possible (use -c 1, or a sweep "
                          "such as -c 1,%u)",
                          r->name, m->levels[0], m->levels[0]);
    if (*only == 0)
        return pb_err_set(err, -EINVAL,
                          "%s starts every task at once and takes no -c: use -r %s -c %u to "
                          "limit concurrency",
                          r->name, r->flags & PB_RUNNER_FOREIGN ? "py.semaphore" : "semaphore",
                          m->levels[0]);
    return 1;
}

int pb_plan_expand(struct pb_plan *p, const struct pb_matrix *m, struct pb_err *err)
{
    size_t first = p->count, odo[PB_PARAMS_MAX] = {0};
    int rc = 0;
    if (m->naxes > PB_PARAMS_MAX)
        return pb_err_set(err, -EINVAL, "more than %d parameters", PB_PARAMS_MAX);
    /* A sweep: several levels, or a runner among them that takes the levels. */
    int sweep = m->nlevels > 1;
    for (size_t r = 0; r < m->nrunners; r++)
        sweep |= !(m->runners[r]->flags & (PB_RUNNER_SINGLE | PB_RUNNER_GATHER));
    struct pb_case_spec c = {.workload = m->workload, .set = m->set};
    for (;;) {
        if ((rc = pb_params_init(&c.params, m->workload->params, m->workload->nparams, err)) < 0)
            goto fail;
        for (size_t k = 0; k < m->naxes; k++)
            if ((rc = pb_params_set(&c.params, m->axes[k].key, m->axes[k].values[odo[k]], err)) < 0)
                goto fail;
        for (size_t r = 0; r < m->nrunners; r++) {
            unsigned only = 0;
            c.runner = m->runners[r];
            if ((rc = runner_levels(m, c.runner, sweep, &only, err)) < 0)
                goto fail;
            if (rc == 1) {
                c.concurrency = only;
                if ((rc = plan_add(p, &c, err)) < 0)
                    goto fail;
                continue;
            }
            for (size_t l = 0; l < m->nlevels; l++) {
                c.concurrency = m->levels[l];
                if ((rc = plan_add(p, &c, err)) < 0)
                    goto fail;
            }
        }
        size_t k = 0;
        while (k < m->naxes && ++odo[k] == m->axes[k].count)
            odo[k++] = 0;
        if (k == m->naxes)
            return 0;
    }
fail:
    pb_plan_truncate(p, first);
    return rc < 0 ? rc : -EINVAL;
}

/* A runner's or workload's preflight code says whose fault it is: -EINVAL the plan's. */
static int check_case(const struct pb_case_spec *c, const struct pb_topo *topo, struct pb_err *err)
{
    char label[256], msg[sizeof(err->msg)];
    const struct pb_case_settings *s = &c->set;
    pb_case_label(c, label, sizeof(label));
    if ((c->workload->flags & PB_WL_FOREIGN) && !(c->runner->flags & PB_RUNNER_FOREIGN))
        return pb_err_set(err, -EINVAL, "%s has no C form: run it with a py runner (%s)",
                          c->workload->name, PB_PY_RUNNERS);
    if ((c->runner->flags & PB_RUNNER_GATHER) && !s->load.tasks && !pb_load_open(&s->load))
        return pb_err_set(err, -EINVAL,
                          "%s gathers a fixed set of tasks: give -n, or --rate with --duration",
                          c->runner->name);
    if ((c->runner->flags & PB_RUNNER_LOOPS) && c->concurrency && c->concurrency < s->loops)
        return pb_err_set(err, -EINVAL,
                          "--loops %u shares -c %u permits between loops: give -c %u or more",
                          s->loops, c->concurrency, s->loops);
    struct pb_pin_plan *pins = NULL;
    int rc = pb_pin_plan_make(topo, &s->pin, pb_case_workers(c), &pins, err);
    pb_pin_plan_destroy(pins);
    if (rc < 0)
        return rc;
    struct pb_workload_env env;
    pb_case_workload_env(c, &env);
    struct pb_run_spec spec = {
        .wl = c->workload,
        .env = &env,
        .concurrency = c->concurrency,
        .workers = env.workers,
        .load = s->load,
        .queue_depth = s->queue_depth,
        .timeout_ns = s->timeout_ns,
        .grace_ns = s->grace_ns,
    };
    if (c->runner->preflight && (rc = c->runner->preflight(&spec, err)) < 0)
        goto named;
    if ((rc = pb_workload_preflight(c->workload, &env, err)) < 0)
        goto named;
    return 0;
named:
    snprintf(msg, sizeof(msg), "%s", err->msg);
    pb_err_set(err, rc, "%s: %s", label, msg);
    return rc;
}

/* What a repetition takes in memory until the document is written: its typed result and its
 * JSON (jansson's objects, then the text), and per worker its placement. Rough, on the safe side:
 * it is there to refuse a million repetitions of a thousand workers, not to budget. */
#define DOC_REP_BYTES    (16u << 10)
#define DOC_WORKER_BYTES (2u << 10)

int pb_plan_check(const struct pb_plan *p, const struct pb_topo *topo, struct pb_err *err)
{
    uint64_t doc = 0;
    for (size_t i = 0; i < p->count; i++) {
        const struct pb_case_spec *c = &p->cases[i];
        int rc = check_case(c, topo, err);
        if (rc < 0)
            return rc;
        doc += (uint64_t)c->set.repeat * (DOC_REP_BYTES + pb_case_workers(c) * DOC_WORKER_BYTES);
    }
    return pb_limits_check("the plan's result document", 0, 0, doc, "lower --repeat or -c", err);
}
