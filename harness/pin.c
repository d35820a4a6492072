/* Pin policies: parsing them, and turning one into a plan of a CPU set per worker. */
#include "harness/pin.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "harness/quote.h"

static const char *const policy_names[] = {
    [PB_PIN_NONE] = "none",   [PB_PIN_COMPACT] = "compact", [PB_PIN_SCATTER] = "scatter",
    [PB_PIN_CORES] = "cores", [PB_PIN_LIST] = "list",
};

const char *pb_pin_policy_name(enum pb_pin_policy p)
{
    if ((unsigned)p < sizeof(policy_names) / sizeof(policy_names[0]))
        return policy_names[p];
    return "unknown";
}

int pb_pin_parse(const char *text, struct pb_pin_spec *out, struct pb_err *err)
{
    struct pb_pin_spec spec;
    struct pb_quote q;
    struct pb_err cerr;
    size_t len = strlen(text);
    int rc;

    memset(&spec, 0, sizeof(spec));
    if (len >= sizeof(spec.text))
        return pb_err_set(err, -EINVAL,
                          "pin policy %s is too long (%zu characters, at most %zu: write ranges "
                          "such as list:0-15)",
                          pb_quote(&q, text), len, sizeof(spec.text) - 1);
    memcpy(spec.text, text, len + 1);
    if (strncmp(text, "list:", 5) == 0) {
        spec.policy = PB_PIN_LIST;
        rc = pb_cpuset_parse(text + 5, &spec.list, &cerr);
        if (rc < 0)
            return pb_err_set(err, rc, "bad pin list %s: %s", pb_quote(&q, text), cerr.msg);
        if (pb_cpuset_count(&spec.list) == 0)
            return pb_err_set(err, -EINVAL, "pin list %s names no CPU (write e.g. list:0,2-3)",
                              pb_quote(&q, text));
    } else {
        unsigned p;
        for (p = 0; p < sizeof(policy_names) / sizeof(policy_names[0]); p++)
            if (p != PB_PIN_LIST && strcmp(text, policy_names[p]) == 0)
                break;
        if (p == sizeof(policy_names) / sizeof(policy_names[0]))
            return pb_err_set(err, -EINVAL,
                              "unknown pin policy %s (none, compact, scatter, cores or "
                              "list:CPUS such as list:0,2-3)",
                              pb_quote(&q, text));
        spec.policy = (enum pb_pin_policy)p;
    }
    *out = spec;
    return 0;
}

int pb_pin_spec_canonical(const struct pb_pin_spec *s, char *buf, size_t len)
{
    /* The longest list a set can format to ("0,2,4,...,1022" is about 2,000 characters). */
    char list[PB_CPUSET_MAX * 8];
    int n;

    if (len > 0)
        buf[0] = '\0';
    if ((unsigned)s->policy >= sizeof(policy_names) / sizeof(policy_names[0]))
        return -EINVAL;
    if (s->policy == PB_PIN_LIST)
        n = snprintf(buf, len, "list:%s", pb_cpuset_format(&s->list, list, sizeof(list)));
    else
        n = snprintf(buf, len, "%s", policy_names[s->policy]);
    if (n < 0 || (size_t)n >= len) {
        if (len > 0)
            buf[0] = '\0';
        return -ENOSPC;
    }
    return 0;
}

int pb_pin_plan_make(const struct pb_topo *t, const struct pb_pin_spec *spec, unsigned nworkers,
                     struct pb_pin_plan **out, struct pb_err *err)
{
    struct pb_pin_plan *p = NULL;
    unsigned *order = NULL;
    unsigned count = 0, npus = pb_topo_pu_count(t);
    int rc;

    *out = NULL;
    if (nworkers == 0)
        return pb_err_set(err, -EINVAL, "a pin plan needs at least one worker");
    order = calloc(npus, sizeof(*order));
    p = malloc(sizeof(*p) + (size_t)nworkers * sizeof(p->sets[0]));
    if (!order || !p) {
        rc = pb_err_set(err, -ENOMEM, "out of memory making the pin plan");
        goto out;
    }
    p->policy = spec->policy;
    p->nworkers = nworkers;

    switch (spec->policy) {
    case PB_PIN_NONE:
        break;
    case PB_PIN_COMPACT:
        for (count = 0; count < npus; count++)
            order[count] = count;
        break;
    case PB_PIN_CORES:
        for (unsigned i = 0; i < npus; i++)
            if (i == 0 || pb_topo_pu_core(t, i) != pb_topo_pu_core(t, i - 1))
                order[count++] = i;
        break;
    case PB_PIN_SCATTER:
        rc = pb_topo_spread(t, nworkers, order, &count, err);
        if (rc < 0)
            goto out;
        break;
    case PB_PIN_LIST:
        for (int c = pb_cpuset_next(&spec->list, 0); c >= 0;
             c = pb_cpuset_next(&spec->list, (unsigned)c + 1)) {
            int idx = pb_topo_pu_find(t, (unsigned)c);
            if (idx < 0) {
                struct pb_cpuset all;
                char list[256];
                pb_topo_pu_set(t, &all);
                rc = pb_err_set(err, -EINVAL,
                                "pin list names CPU %d, which this machine does not have (PUs: "
                                "%s)",
                                c, pb_cpuset_format(&all, list, sizeof(list)));
                goto out;
            }
            order[count++] = (unsigned)idx;
        }
        break;
    default:
        rc = pb_err_set(err, -EINVAL, "unknown pin policy %d", (int)spec->policy);
        goto out;
    }

    for (unsigned w = 0; w < nworkers; w++) {
        pb_cpuset_clear(&p->sets[w]);
        if (spec->policy == PB_PIN_NONE)
            pb_topo_pu_set(t, &p->sets[w]);
        else
            pb_cpuset_add(&p->sets[w], pb_topo_pu_os_index(t, order[w % count]));
    }
    *out = p;
    p = NULL;
    rc = 0;
out:
    free(order);
    pb_pin_plan_destroy(p);
    return rc;
}

void pb_pin_plan_destroy(struct pb_pin_plan *p)
{
    free(p);
}

int pb_pin_plan_spare_pu(const struct pb_topo *t, const struct pb_pin_plan *p)
{
    struct pb_cpuset used;
    unsigned npus = pb_topo_pu_count(t);
    int fallback = -1;

    if (p->policy == PB_PIN_NONE)
        return -1;
    pb_cpuset_clear(&used);
    for (unsigned w = 0; w < p->nworkers; w++)
        for (unsigned k = 0; k < PB_CPUSET_WORDS; k++)
            used.bits[k] |= p->sets[w].bits[k];
    /* From the end, since workers fill from the start: a PU on an idle core disturbs them
     * least, a free sibling of a busy core is second best. */
    for (unsigned i = npus; i-- > 0;) {
        unsigned os = pb_topo_pu_os_index(t, i);
        if (pb_cpuset_has(&used, os))
            continue;
        int core_busy = 0;
        for (unsigned j = 0; j < npus && !core_busy; j++)
            core_busy = pb_topo_pu_core(t, j) == pb_topo_pu_core(t, i) &&
                        pb_cpuset_has(&used, pb_topo_pu_os_index(t, j));
        if (!core_busy)
            return (int)os;
        if (fallback < 0)
            fallback = (int)os;
    }
    return fallback;
}

json_t *pb_pin_plan_to_json(const struct pb_pin_plan *p)
{
    json_t *workers = json_array();

    for (unsigned w = 0; w < p->nworkers && workers; w++) {
        json_t *set = json_array();
        for (int c = pb_cpuset_next(&p->sets[w], 0); c >= 0 && set;
             c = pb_cpuset_next(&p->sets[w], (unsigned)c + 1))
            if (json_array_append_new(set, json_integer(c))) {
                json_decref(set);
                set = NULL;
            }
        if (json_array_append_new(workers, set)) {
            json_decref(workers);
            workers = NULL;
        }
    }
    return workers;
}
