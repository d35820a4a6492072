/* Loading plug-ins: dlopen, the descriptor's checks, then registration (harness/registry.c). */
#include "harness/plugin.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/quote.h"
#include "harness/registry.h"

static struct pb_plugin_loaded loaded[PB_PLUGINS_MAX];
static size_t nloaded;

size_t pb_plugin_count(void)
{
    return nloaded;
}

const struct pb_plugin_loaded *pb_plugin_at(size_t i)
{
    return i < nloaded ? &loaded[i] : NULL;
}

/* Names go into case ids, file names and chart labels: letters, digits and ._- only. */
static int name_ok(const char *name)
{
    if (!name || !name[0] || strlen(name) > 64)
        return 0;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '.' || *c == '_' || *c == '-'))
            return 0;
    return 1;
}

/* The plug-in's runner and workload names: well formed, each new (not built in, not another
 * plug-in's, not twice in this one). */
static int check_names(const char *path, const struct pb_plugin *d, struct pb_err *err)
{
    struct pb_quote q;
    for (size_t i = 0; i < d->nrunners; i++) {
        const struct pb_runner_ops *r = d->runners[i];
        if (!r || !name_ok(r->name) || !r->run)
            return pb_err_set(err, -EINVAL,
                              "plug-in %s: runner %zu has no valid name or no run function", path,
                              i);
        const struct pb_runner_ops *other = pb_runner_find(r->name);
        const char *from = other ? pb_runner_origin(other) : NULL;
        if (other)
            return pb_err_set(err, -EINVAL, "plug-in %s: runner %s is taken by %s%s", path,
                              pb_quote(&q, r->name), from ? "plug-in " : "a built-in runner",
                              from ? from : "");
        for (size_t k = 0; k < i; k++)
            if (strcmp(d->runners[k]->name, r->name) == 0)
                return pb_err_set(err, -EINVAL, "plug-in %s: runner %s is listed twice", path,
                                  pb_quote(&q, r->name));
    }
    for (size_t i = 0; i < d->nworkloads; i++) {
        const struct pb_workload_ops *w = d->workloads[i];
        if (!w || !name_ok(w->name) || !w->run)
            return pb_err_set(err, -EINVAL,
                              "plug-in %s: workload %zu has no valid name or no run function", path,
                              i);
        if (w->nparams > PB_PARAMS_MAX)
            return pb_err_set(err, -EINVAL, "plug-in %s: workload %s has more than %d parameters",
                              path, w->name, PB_PARAMS_MAX);
        if (w->nparams && !w->params)
            return pb_err_set(err, -EINVAL, "plug-in %s: workload %s has nparams but no params",
                              path, w->name);
        if (w->start && !w->cancel)
            return pb_err_set(err, -EINVAL, "plug-in %s: workload %s has start but no cancel", path,
                              w->name);
        const struct pb_workload_ops *other = pb_workload_find(w->name);
        const char *from = other ? pb_workload_origin(other) : NULL;
        if (other)
            return pb_err_set(err, -EINVAL, "plug-in %s: workload %s is taken by %s%s", path,
                              pb_quote(&q, w->name), from ? "plug-in " : "a built-in workload",
                              from ? from : "");
        for (size_t k = 0; k < i; k++)
            if (strcmp(d->workloads[k]->name, w->name) == 0)
                return pb_err_set(err, -EINVAL, "plug-in %s: workload %s is listed twice", path,
                                  pb_quote(&q, w->name));
    }
    return 0;
}

/* dlerror() names the file again; what follows its "FILE: " is the reason. */
static const char *dl_reason(const char *path)
{
    const char *e = dlerror();
    size_t n = strlen(path);
    if (!e)
        return "unknown error";
    if (strncmp(e, path, n) == 0 && strncmp(e + n, ": ", 2) == 0)
        return e + n + 2;
    return e;
}

int pb_plugin_load(const char *path, struct pb_err *err)
{
    char real[PATH_MAX];
    if (!realpath(path, real))
        return pb_err_set(err, -EINVAL, "plug-in %s: %s", path, strerror(errno));
    for (size_t i = 0; i < nloaded; i++)
        if (strcmp(loaded[i].path, real) == 0)
            return 0;
    if (nloaded == PB_PLUGINS_MAX)
        return pb_err_set(err, -ENOSPC, "plug-in %s: more than %d plug-ins", path, PB_PLUGINS_MAX);
    /* RTLD_NOW: a symbol the plug-in needs and parbench lacks is found now, not mid-run. */
    void *h = dlopen(real, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        return pb_err_set(err, -EINVAL, "plug-in %s: cannot load: %s", path, dl_reason(real));
    const struct pb_plugin *d = dlsym(h, PB_PLUGIN_SYMBOL);
    int rc = 0;
    if (!d)
        rc = pb_err_set(err, -EINVAL, "plug-in %s: not a parbench plug-in (no symbol %s)", path,
                        PB_PLUGIN_SYMBOL);
    else if (d->abi != PB_ABI_VERSION)
        rc = pb_err_set(err, -EINVAL,
                        "plug-in %s: built for plug-in ABI %u, this parbench has ABI %u "
                        "(rebuild it against this parbench's header)",
                        path, d->abi, PB_ABI_VERSION);
    else if (!name_ok(d->name) || !d->version)
        rc = pb_err_set(err, -EINVAL, "plug-in %s: its descriptor has no valid name or version",
                        path);
    else if ((d->nrunners && !d->runners) || (d->nworkloads && !d->workloads) ||
             (!d->nrunners && !d->nworkloads))
        rc = pb_err_set(err, -EINVAL, "plug-in %s: its descriptor lists no runner or workload",
                        path);
    else
        rc = check_names(path, d, err);
    struct pb_plugin_loaded *pl = &loaded[nloaded];
    if (rc == 0 && (rc = pb_sha256_file(real, pl->sha256)) < 0)
        rc = pb_err_set(err, -EINVAL, "plug-in %s: cannot read it: %s", path, strerror(-rc));
    if (rc < 0) {
        dlclose(h);
        return rc;
    }
    snprintf(pl->path, sizeof(pl->path), "%s", real);
    pl->desc = d;
    nloaded++; /* the handle is kept: its functions run until parbench exits */
    return 0;
}

int pb_plugin_load_env(struct pb_err *err)
{
    const char *list = getenv("PARBENCH_PLUGINS");
    if (!list || !list[0])
        return 0;
    char *copy = strdup(list), *save = NULL;
    if (!copy)
        return pb_err_set(err, -ENOMEM, "out of memory");
    int rc = 0;
    for (char *p = strtok_r(copy, ":", &save); p && rc == 0; p = strtok_r(NULL, ":", &save)) {
        rc = pb_plugin_load(p, err);
        if (rc < 0) {
            char msg[sizeof(err->msg)];
            snprintf(msg, sizeof(msg), "%s", err->msg);
            pb_err_set(err, rc, "PARBENCH_PLUGINS: %s", msg);
        }
    }
    free(copy);
    return rc;
}

json_t *pb_plugins_json(void)
{
    json_t *a = json_array();
    for (size_t i = 0; i < nloaded; i++) {
        const struct pb_plugin *d = loaded[i].desc;
        json_t *runners = json_array(), *workloads = json_array(), *o = json_object();
        for (size_t k = 0; k < d->nrunners; k++)
            json_array_append_new(runners, json_string(d->runners[k]->name));
        for (size_t k = 0; k < d->nworkloads; k++)
            json_array_append_new(workloads, json_string(d->workloads[k]->name));
        json_object_set_new(o, "path", json_string(loaded[i].path));
        json_object_set_new(o, "name", json_string(d->name));
        json_object_set_new(o, "version", json_string(d->version));
        json_object_set_new(o, "sha256", json_string(loaded[i].sha256));
        json_object_set_new(o, "runners", runners);
        json_object_set_new(o, "workloads", workloads);
        json_array_append_new(a, o);
    }
    return a;
}
