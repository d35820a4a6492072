/* `parbench topo [--json] [--pin POLICY] [-c N] [--topology SOURCE]`: topology and pin plan. */
#include "harness/cmd_topo.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "harness/cli.h"
#include "harness/error.h"
#include "harness/pin.h"
#include "harness/topo.h"

#define TOPO_MAX_WORKERS 65536

static const char usage_line[] =
    "usage: parbench topo [--json] [--pin POLICY] [-c N] [--topology SOURCE]";

static void usage(FILE *out)
{
    fprintf(out,
            "%s\n"
            "Prints this machine's topology and the pin plan that maps workers to PUs.\n"
            "  --json             one JSON object {\"topology\": ..., \"pin_plan\": ...}\n"
            "  --pin POLICY       none, compact (default), scatter, cores or list:0,2-3\n"
            "  -c N               number of workers (default: one per PU)\n"
            "  --topology SOURCE  synthetic:DESC or an hwloc XML file instead of this machine\n"
            "                     (PARBENCH_TOPOLOGY sets the same)\n",
            usage_line);
}

static int parse_workers(const char *text, unsigned *out)
{
    char *end;
    unsigned long v;

    if (*text < '0' || *text > '9')
        return -EINVAL;
    errno = 0;
    v = strtoul(text, &end, 10);
    if (errno || *end != '\0' || v < 1 || v > TOPO_MAX_WORKERS)
        return -EINVAL;
    *out = (unsigned)v;
    return 0;
}

static void print_plan(const struct pb_topo *t, const struct pb_pin_plan *plan,
                       const struct pb_pin_spec *spec, FILE *out)
{
    char list[512];
    int spare = pb_pin_plan_spare_pu(t, plan);

    fprintf(out, "pin plan: %s, %u worker%s\n", spec->text, plan->nworkers,
            plan->nworkers == 1 ? "" : "s");
    for (unsigned w = 0; w < plan->nworkers; w++)
        fprintf(out, "  worker %u -> PU%s %s\n", w, pb_cpuset_count(&plan->sets[w]) == 1 ? "" : "s",
                pb_cpuset_format(&plan->sets[w], list, sizeof(list)));
    if (spare >= 0)
        fprintf(out, "spare PU (for a load generator or server): %d\n", spare);
    else
        fputs("spare PU: none\n", out);
}

static json_t *plan_object(const struct pb_pin_plan *plan, const struct pb_pin_spec *spec)
{
    json_t *o = json_object();

    if (!o || json_object_set_new(o, "policy", json_string(pb_pin_policy_name(spec->policy))) ||
        json_object_set_new(o, "spec", json_string(spec->text)) ||
        json_object_set_new(o, "workers", pb_pin_plan_to_json(plan))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int print_json(const struct pb_topo *t, const struct pb_pin_plan *plan,
                      const struct pb_pin_spec *spec)
{
    json_t *doc = json_object(), *topo = pb_topo_to_json(t);
    int rc = -ENOMEM;

    if (!doc || !topo || json_object_set_new(topo, "tree", pb_topo_tree_to_json(t)) ||
        json_object_set(doc, "topology", topo) ||
        json_object_set_new(doc, "pin_plan", plan_object(plan, spec)))
        goto out;
    if (json_dumpf(doc, stdout, JSON_INDENT(2)) < 0 || fputc('\n', stdout) == EOF) {
        rc = -EIO;
        goto out;
    }
    rc = 0;
out:
    json_decref(topo);
    json_decref(doc);
    return rc;
}

int pb_cmd_topo(int argc, char **argv)
{
    const char *pin = "compact", *workers = NULL, *source = NULL, *val = NULL;
    int json = 0, show_plan = 0, m, rc;
    unsigned nworkers = 0;
    struct pb_topo *t = NULL;
    struct pb_pin_plan *plan = NULL;
    struct pb_pin_spec spec;
    struct pb_err err = {{0}};

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return PB_EXIT_OK;
        } else if ((m = pb_cli_option_value(argc, argv, &i, "--pin", &val)) != 0) {
            if (m < 0)
                return pb_cli_bad_usage("topo", usage_line, "option '%s' needs a policy", a);
            pin = val;
            show_plan = 1;
        } else if ((m = pb_cli_option_value(argc, argv, &i, "-c", &val)) != 0) {
            if (m < 0)
                return pb_cli_bad_usage("topo", usage_line, "option '%s' needs a number of workers",
                                        a);
            workers = val;
            show_plan = 1;
        } else if ((m = pb_cli_option_value(argc, argv, &i, "--topology", &val)) != 0) {
            if (m < 0)
                return pb_cli_bad_usage(
                    "topo", usage_line,
                    "option '%s' needs a source (synthetic:DESC or an XML file)", a);
            source = val;
        } else if (a[0] == '-') {
            return pb_cli_bad_usage("topo", usage_line, "unknown option '%s'", a);
        } else {
            return pb_cli_bad_usage("topo", usage_line, "unexpected argument '%s'", a);
        }
    }
    if (workers && parse_workers(workers, &nworkers) < 0) {
        fprintf(stderr, "parbench topo: bad number of workers '%s' (1 to %d)\n", workers,
                TOPO_MAX_WORKERS);
        return PB_EXIT_USAGE;
    }
    if (pb_pin_parse(pin, &spec, &err) < 0) {
        fprintf(stderr, "parbench topo: %s\n", err.msg);
        return PB_EXIT_USAGE;
    }

    if (pb_topo_load(&t, source, &err) < 0) {
        fprintf(stderr, "parbench topo: %s\n", err.msg);
        /* A source the user named is bad input; failing to read this machine is not. */
        const char *env = getenv("PARBENCH_TOPOLOGY");
        rc = source || (env && *env) ? PB_EXIT_USAGE : PB_EXIT_ENV;
        goto out;
    }
    if (!workers)
        nworkers = pb_topo_pu_count(t);
    if (pb_pin_plan_make(t, &spec, nworkers, &plan, &err) < 0) {
        fprintf(stderr, "parbench topo: %s\n", err.msg);
        rc = PB_EXIT_USAGE;
        goto out;
    }

    if (json) {
        if (print_json(t, plan, &spec) < 0) {
            fputs("parbench topo: cannot write the JSON document\n", stderr);
            rc = PB_EXIT_ENV;
            goto out;
        }
    } else {
        pb_topo_print(t, stdout);
        /* The plan for every PU is long on big machines; show it when asked about. */
        if (show_plan) {
            fputc('\n', stdout);
            print_plan(t, plan, &spec, stdout);
        }
    }
    rc = fflush(stdout) == 0 ? PB_EXIT_OK : PB_EXIT_ENV;
    if (rc != PB_EXIT_OK)
        fprintf(stderr, "parbench topo: cannot write output: %s\n", strerror(errno));
out:
    pb_pin_plan_destroy(plan);
    pb_topo_destroy(t);
    return rc;
}
