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

size_t pb_runner_count(void)
{
    size_t n = NBUILTIN_RUNNERS;
    for (size_t p = 0; p < pb_plugin_count(); p++)
        n += pb_plugin_at(p)->desc->nrunners;
    return n;
}

/* The i-th runner, and the plug-in it comes from (NULL: built in). */
static const struct pb_runner_ops *runner_at(size_t i, const struct pb_plugin_loaded **from)
{
    *from = NULL;
    if (i < NBUILTIN_RUNNERS)
        return builtin_runners[i];
    i -= NBUILTIN_RUNNERS;
    for (size_t p = 0; p < pb_plugin_count(); p++) {
        const struct pb_plugin_loaded *pl = pb_plugin_at(p);
        if (i < pl->desc->nrunners) {
            *from = pl;
            return pl->desc->runners[i];
        }
        i -= pl->desc->nrunners;
    }
    return NULL;
}

static const struct pb_workload_ops *workload_at(size_t i, const struct pb_plugin_loaded **from)
{
    *from = NULL;
    if (i < NBUILTIN_WORKLOADS)
        return builtin_workloads[i];
    i -= NBUILTIN_WORKLOADS;
    for (size_t p = 0; p < pb_plugin_count(); p++) {
        const struct pb_plugin_loaded *pl = pb_plugin_at(p);
        if (i < pl->desc->nworkloads) {
            *from = pl;
            return pl->desc->workloads[i];
        }
        i -= pl->desc->nworkloads;
    }
    return NULL;
}

const struct pb_runner_ops *pb_runner_at(size_t i)
{
    const struct pb_plugin_loaded *from;
    return runner_at(i, &from);
}

size_t pb_workload_count(void)
{
    size_t n = NBUILTIN_WORKLOADS;
    for (size_t p = 0; p < pb_plugin_count(); p++)
        n += pb_plugin_at(p)->desc->nworkloads;
    return n;
}

const struct pb_workload_ops *pb_workload_at(size_t i)
{
    const struct pb_plugin_loaded *from;
    return workload_at(i, &from);
}

const struct pb_runner_ops *pb_runner_find(const char *name)
{
    const struct pb_runner_ops *r;
    const struct pb_plugin_loaded *from;
    for (size_t i = 0; (r = runner_at(i, &from)); i++)
        if (strcmp(r->name, name) == 0)
            return r;
    return NULL;
}

const struct pb_workload_ops *pb_workload_find(const char *name)
{
    const struct pb_workload_ops *w;
    const struct pb_plugin_loaded *from;
    for (size_t i = 0; (w = workload_at(i, &from)); i++)
        if (strcmp(w->name, name) == 0)
            return w;
    return NULL;
}

const char *pb_runner_origin(const struct pb_runner_ops *r)
{
    const struct pb_runner_ops *x;
    const struct pb_plugin_loaded *from;
    for (size_t i = 0; (x = runner_at(i, &from)); i++)
        if (x == r)
            return from ? from->path : NULL;
    return NULL;
}

const char *pb_workload_origin(const struct pb_workload_ops *w)
{
    const struct pb_workload_ops *x;
    const struct pb_plugin_loaded *from;
    for (size_t i = 0; (x = workload_at(i, &from)); i++)
        if (x == w)
            return from ? from->path : NULL;
    return NULL;
}
