/* `parbench list`: the registry in words or as JSON. */
#include "harness/cmd_list.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "harness/error.h"
#include "harness/plugin.h"
#include "harness/registry.h"
#include "runners/python.h"

/* Why a runner cannot run here ("" when it can): the py runners need their interpreter. */
static const char *unavailable(const struct pb_runner_ops *r, struct pb_err *err)
{
    err->msg[0] = '\0';
    if (r->flags & PB_RUNNER_FOREIGN)
        pb_python_available(err);
    return err->msg;
}

static json_t *param_json(const struct pb_param_def *d)
{
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(d->name));
    json_object_set_new(o, "type", json_string(pb_param_type_name(d->type)));
    json_object_set_new(o, "default", json_string(d->def));
    if ((d->type == PB_PARAM_INT || d->type == PB_PARAM_DOUBLE) && d->min < d->max) {
        json_object_set_new(o, "min", json_real(d->min));
        json_object_set_new(o, "max", json_real(d->max));
    }
    json_object_set_new(o, "description", json_string(d->help));
    return o;
}

/* The plug-in's file, or null for a built-in. */
static json_t *origin_json(const char *path)
{
    return path ? json_string(path) : json_null();
}

static json_t *list_json(void)
{
    json_t *runners = json_array(), *workloads = json_array();
    for (size_t i = 0; i < pb_runner_count(); i++) {
        const struct pb_runner_ops *x = pb_runner_at(i);
        json_t *r = json_object();
        json_object_set_new(r, "name", json_string(x->name));
        json_object_set_new(r, "description", json_string(x->description));
        json_object_set_new(r, "plugin", origin_json(pb_runner_origin(x)));
        struct pb_err why;
        const char *reason = unavailable(x, &why);
        json_object_set_new(r, "available", json_boolean(!*reason));
        if (*reason)
            json_object_set_new(r, "unavailable", json_string(reason));
        json_array_append_new(runners, r);
    }
    for (size_t i = 0; i < pb_workload_count(); i++) {
        const struct pb_workload_ops *w = pb_workload_at(i);
        json_t *params = json_array();
        for (size_t k = 0; k < w->nparams; k++)
            json_array_append_new(params, param_json(&w->params[k]));
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(w->name));
        json_object_set_new(o, "description", json_string(w->description));
        json_object_set_new(o, "plugin", origin_json(pb_workload_origin(w)));
        json_object_set_new(o, "kind",
                            json_string(w->flags & PB_WL_CPU  ? "cpu"
                                        : w->flags & PB_WL_IO ? "io"
                                                              : "none"));
        json_object_set_new(o, "non_blocking_form", json_boolean(w->start != NULL));
        json_object_set_new(o, "python_form", json_boolean(pb_python_has_form(w->name)));
        json_object_set_new(o, "params", params);
        json_array_append_new(workloads, o);
    }
    json_t *doc = json_object();
    json_object_set_new(doc, "runners", runners);
    json_object_set_new(doc, "workloads", workloads);
    return doc;
}

/* A name and its description, where a plug-in's comes from, and what is said of it. */
static void entry_text(FILE *out, const char *name, const char *description, const char *path,
                       const char *note)
{
    fprintf(out, "  %-12s %s", name, description);
    if (path)
        fprintf(out, " (plug-in %s)", path);
    if (note && *note)
        fprintf(out, " (%s)", note);
    fputc('\n', out);
}

static void list_text(FILE *out)
{
    fputs("runners:\n", out);
    for (size_t i = 0; i < pb_runner_count(); i++) {
        const struct pb_runner_ops *r = pb_runner_at(i);
        struct pb_err why;
        char note[sizeof(why.msg) + 16] = "";
        if (*unavailable(r, &why))
            snprintf(note, sizeof(note), "unavailable: %s", why.msg);
        entry_text(out, r->name, r->description, pb_runner_origin(r), note);
    }
    fputs("\nworkloads (parameters: -p name=value):\n", out);
    for (size_t i = 0; i < pb_workload_count(); i++) {
        const struct pb_workload_ops *w = pb_workload_at(i);
        entry_text(out, w->name, w->description, pb_workload_origin(w),
                   pb_python_has_form(w->name) && !(w->flags & PB_WL_FOREIGN) ? "also in Python"
                                                                              : NULL);
        for (size_t k = 0; k < w->nparams; k++) {
            const struct pb_param_def *d = &w->params[k];
            char range[64] = "";
            if ((d->type == PB_PARAM_INT || d->type == PB_PARAM_DOUBLE) && d->min < d->max)
                snprintf(range, sizeof(range), ", %g..%g", d->min, d->max);
            fprintf(out, "      %-12s %s (%s, default '%s'%s)\n", d->name, d->help,
                    pb_param_type_name(d->type), d->def, range);
        }
    }
}

int pb_cmd_list(int argc, char **argv)
{
    int json = 0;
    struct pb_err err = {""};
    if (pb_plugin_load_env(&err) < 0) {
        fprintf(stderr, "parbench list: %s\n", err.msg);
        return PB_EXIT_USAGE;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--plugin") == 0 && i + 1 < argc) {
            if (pb_plugin_load(argv[++i], &err) < 0) {
                fprintf(stderr, "parbench list: %s\n", err.msg);
                return PB_EXIT_USAGE;
            }
        } else {
            fprintf(stderr, "parbench list: unknown option '%s' (--json, --plugin FILE)\n",
                    argv[i]);
            return PB_EXIT_USAGE;
        }
    }
    if (!json) {
        list_text(stdout);
        return PB_EXIT_OK;
    }
    json_t *doc = list_json();
    json_dumpf(doc, stdout, JSON_INDENT(2));
    fputc('\n', stdout);
    json_decref(doc);
    return PB_EXIT_OK;
}
