/* The one table of runners and the one table of workloads, from runners/list.h and
 * workloads/list.h, followed by the plug-ins'. */
#include "harness/registry.h"

#include <string.h>

#include "harness/plugin.h"

#define PB_RUNNER(x)   extern const struct pb_runner_ops pb_runner_##x;
#define PB_WORKLOAD(x) extern const struct pb_workload_ops pb_workload_##x;
#include "runners/list.h"
#include "workloads/list.h"
#undef PB_RUNNER
#undef PB_WORKLOAD

static const struct pb_runner_ops *const builtin_runners[] = {
#define PB_RUNNER(x) &pb_runner_##x,
#include "runners/list.h"
#undef PB_RUNNER
};
#define NBUILTIN_RUNNERS (sizeof(builtin_runners) / sizeof(builtin_runners[0]))

static const struct pb_workload_ops *const builtin_workloads[] = {
#define PB_WORKLOAD(x) &pb_workload_##x,
#include "workloads/list.h"
#undef PB_WORKLOAD
};
#define NBUILTIN_WORKLOADS (sizeof(builtin_workloads) / sizeof(builtin_workloads[0]))

/* Runners and workloads are listed alike: the built-ins, then each plug-in's, in load order. */
enum kind { RUNNERS, WORKLOADS };

static size_t builtin_count(enum kind k)
{
    return k == RUNNERS ? NBUILTIN_RUNNERS : NBUILTIN_WORKLOADS;
}

static size_t plugin_entries(enum kind k, const struct pb_plugin *d)
{
    return k == RUNNERS ? d->nrunners : d->nworkloads;
}

static const char *name_of(enum kind k, const void *e)
{
    return k == RUNNERS ? ((const struct pb_runner_ops *)e)->name
                        : ((const struct pb_workload_ops *)e)->name;
}

/* The i-th entry, and the plug-in it comes from (NULL: built in); NULL past the last. */
static const void *entry_at(enum kind k, size_t i, const struct pb_plugin_loaded **from)
{
    *from = NULL;
    if (i < builtin_count(k))
        return k == RUNNERS ? (const void *)builtin_runners[i] : (const void *)builtin_workloads[i];
    i -= builtin_count(k);
    for (size_t p = 0; p < pb_plugin_count(); p++) {
        const struct pb_plugin_loaded *pl = pb_plugin_at(p);
        if (i < plugin_entries(k, pl->desc)) {
            *from = pl;
            return k == RUNNERS ? (const void *)pl->desc->runners[i]
                                : (const void *)pl->desc->workloads[i];
        }
        i -= plugin_entries(k, pl->desc);
    }
    return NULL;
}

static size_t count(enum kind k)
{
    size_t n = builtin_count(k);
    for (size_t p = 0; p < pb_plugin_count(); p++)
        n += plugin_entries(k, pb_plugin_at(p)->desc);
    return n;
}

static const void *find(enum kind k, const char *name)
{
    const struct pb_plugin_loaded *from;
    const void *e;
    for (size_t i = 0; (e = entry_at(k, i, &from)); i++)
        if (strcmp(name_of(k, e), name) == 0)
            return e;
    return NULL;
}

static const char *origin(enum kind k, const void *entry)
{
    const struct pb_plugin_loaded *from;
    const void *e;
    for (size_t i = 0; (e = entry_at(k, i, &from)); i++)
        if (e == entry)
            return from ? from->path : NULL;
    return NULL;
}

size_t pb_runner_count(void)
{
    return count(RUNNERS);
}

const struct pb_runner_ops *pb_runner_at(size_t i)
{
    const struct pb_plugin_loaded *from;
    return entry_at(RUNNERS, i, &from);
}

const struct pb_runner_ops *pb_runner_find(const char *name)
{
    return find(RUNNERS, name);
}

const char *pb_runner_origin(const struct pb_runner_ops *r)
{
    return origin(RUNNERS, r);
}

size_t pb_workload_count(void)
{
    return count(WORKLOADS);
}

const struct pb_workload_ops *pb_workload_at(size_t i)
{
    const struct pb_plugin_loaded *from;
    return entry_at(WORKLOADS, i, &from);
}

const struct pb_workload_ops *pb_workload_find(const char *name)
{
    return find(WORKLOADS, name);
}

const char *pb_workload_origin(const struct pb_workload_ops *w)
{
    return origin(WORKLOADS, w);
}
