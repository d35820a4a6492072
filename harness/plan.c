/* The plan of one invocation: the cases to run. */
#include "harness/plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pb_plan_init(struct pb_plan *p)
{
    memset(p, 0, sizeof(*p));
    p->grace_ns = 2000000000u;
}

void pb_plan_free(struct pb_plan *p)
{
    free(p->cases);
    p->cases = NULL;
    p->count = p->capacity = 0;
}

int pb_plan_add(struct pb_plan *p, const struct pb_case_spec *c)
{
    if (p->count == p->capacity) {
        size_t cap = p->capacity ? p->capacity * 2 : 8;
        struct pb_case_spec *n = realloc(p->cases, cap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        p->cases = n;
        p->capacity = cap;
    }
    p->cases[p->count++] = *c;
    return 0;
}

void pb_case_label(const struct pb_case_spec *c, char *buf, size_t len)
{
    if (c->concurrency)
        snprintf(buf, len, "%s %s c=%u", c->runner->name, c->workload->name, c->concurrency);
    else
        snprintf(buf, len, "%s %s c=all", c->runner->name, c->workload->name);
}

unsigned pb_case_workers(const struct pb_case_spec *c)
{
    return pb_runner_workers(c->runner, c->concurrency, c->loops);
}
