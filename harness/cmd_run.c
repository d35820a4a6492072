/* `parbench run`: the command line or a suite into a plan, the plan into a result document. */
#include "harness/cmd_run.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/clock.h"
#include "harness/cmdline.h"
#include "harness/console.h"
#include "harness/doc_write.h"
#include "harness/driver.h"
#include "harness/outfile.h"
#include "harness/plugin.h"
#include "harness/quote.h"
#include "harness/registry.h"
#include "harness/shm.h"
#include "harness/stop.h"
#include "harness/suite.h"
#include "harness/taskq.h"
#include "harness/zygote.h"
#include "runners/python.h"

#define MIN_RATE  0.001 /* tasks/s: one task per 1000 s */
#define MAX_RATE  1e9
#define MAX_LEVEL 1000000
#define MAX_TASKS UINT64_C(1000000000000)
/* Shared memory the zygote's arena keeps for the workloads' own state, besides the workers'. */
#define ARENA_SLACK (UINT64_C(64) << 20)

static void usage(FILE *out)
{
    fputs("usage: parbench run -r RUNNER[,..] -w WORKLOAD -c N[,..] [-n TASKS | --duration T]\n"
          "                    [--rate R [--arrivals uniform|poisson]] [--pin POLICY]\n"
          "                    [--repeat K] [--warmup K] [--timeout T] [--fail-fast]\n"
          "                    [--max-errors N|P%] [--queue-depth N] [--loops L] [--url URL]\n"
          "                    [-p key=V[,..] ...] [--grace T] [--isolate] [-o FILE|-] [--quiet]\n"
          "                    [--plugin FILE ...] [--python PATH] [--py-loop asyncio|uvloop]\n"
          "                    [--interleave [--interleave-seed N] | --no-interleave]\n"
          "       parbench run -r RUNNER[,..] [options] -- COMMAND [ARGS...]\n"
          "       parbench run --suite FILE [--repeat K] [--warmup K] [--fail-fast]\n"
          "                    [--max-errors N|P%] [--isolate] [-o FILE|-] [--quiet]\n"
          "                    [--interleave [--interleave-seed N] | --no-interleave]\n"
          "                    [--cases FILE] [--plugin FILE ...] [--python PATH]\n"
          "                    [--py-loop asyncio|uvloop]\n"
          "-p key=V1,V2 sweeps the parameter as -c sweeps levels, one case per value; a value\n"
          "with a comma goes in quotes: -p \"dir='/tmp/a,b'\".\n"
          "-- COMMAND ARGS is -w exec -p cmd=COMMAND ARGS, quoted so that exec splits it back\n"
          "into exactly those words (no shell; one value, whatever its commas).\n"
          "--plugin loads a shared object's runners and workloads (also PARBENCH_PLUGINS=A:B).\n"
          "--python runs the py.* runners with this interpreter (default /usr/bin/python3; also\n"
          "PARBENCH_PYTHON), --py-loop their asyncio loops on uvloop (PARBENCH_PY_LOOP).\n"
          "--cases runs only the cases whose ids FILE lists, one a line (part of a suite).\n"
          "--interleave runs the cases' repetitions round-robin, each round in a random order\n"
          "(reproducible with --interleave-seed), and pairs speed-ups round by round.\n",
          out);
}

/* What the options say, before it becomes a plan. */
struct run_opts {
    char **runners, **levels_text; /* the -r and -c lists, all of them joined */
    size_t nrunners, nlevel_opts;
    const char **params;
    size_t nparams;
    const char *workload, *url;
    const char *cases; /* --cases FILE: the ids to keep, one a line */
    char *command;     /* -- COMMAND ARGS, quoted for exec's cmd; NULL without -- */
    struct pb_case_settings set;
    unsigned *levels;
    size_t nlevels;
    /* Which options were given: a suite takes only some of them. */
    int tasks_given, duration_given, repeat_given, warmup_given, rate_given, arrivals_given,
        pin_given, timeout_given, grace_given, queue_given, loops_given, seed_given;
    int interleave; /* -1: as the suite says (sequential without one); 0 or 1: as told */
    uint64_t seed;
};

static void opts_free(struct run_opts *o)
{
    for (size_t i = 0; i < o->nrunners; i++)
        free(o->runners[i]);
    for (size_t i = 0; i < o->nlevel_opts; i++)
        free(o->levels_text[i]);
    free(o->runners);
    free(o->levels_text);
    free(o->params);
    free(o->levels);
    free(o->command);
}

/* Appends to a growing list of pointers. */
static int push(void *list, size_t *n, const void *item)
{
    const void ***l = list;
    const void **v = realloc(*l, (*n + 1) * sizeof(*v));
    if (!v)
        return -ENOMEM;
    v[(*n)++] = item;
    *l = v;
    return 0;
}

static int parse_count(const char *opt, const char *text, uint64_t min, uint64_t max, uint64_t *out,
                       struct pb_err *err)
{
    struct pb_quote q;
    int rc = pb_parse_uint(text, out);
    if (rc < 0 || *out < min || *out > max)
        return pb_err_set(err, -EINVAL, "%s: %s is not a whole number in [%llu, %llu]", opt,
                          pb_quote(&q, text), (unsigned long long)min, (unsigned long long)max);
    return 0;
}

static int parse_unsigned(const char *opt, const char *text, unsigned min, unsigned max,
                          unsigned *out, struct pb_err *err)
{
    uint64_t v;
    int rc = parse_count(opt, text, min, max, &v, err);
    *out = (unsigned)v;
    return rc;
}

static int parse_duration(const char *opt, const char *text, int zero_ok, uint64_t *out,
                          struct pb_err *err)
{
    struct pb_quote q;
    if (pb_parse_duration_ns(text, out) < 0 || (!zero_ok && !*out))
        return pb_err_set(err, -EINVAL,
                          "%s: %s is not a duration (say 500ms or 10s; at most 365 "
                          "days)",
                          opt, pb_quote(&q, text));
    return 0;
}

static int parse_max_errors(const char *text, struct pb_plan *plan, struct pb_err *err)
{
    struct pb_quote q;
    char num[64];
    size_t len = strlen(text);
    int pct = len && text[len - 1] == '%';
    double v = -1;
    if (len - pct < sizeof(num)) {
        snprintf(num, sizeof(num), "%.*s", (int)(len - pct), text);
        if (pb_parse_double(num, &v) < 0)
            v = -1;
    }
    if (v < 0 || (pct && v > 100))
        return pb_err_set(err, -EINVAL,
                          "--max-errors: %s is not a count or a percentage (say 5 or 1%%)",
                          pb_quote(&q, text));
    plan->max_errors = v;
    plan->max_errors_is_pct = pct;
    return 0;
}

enum {
    OPT_DURATION = 256,
    OPT_RATE,
    OPT_ARRIVALS,
    OPT_PIN,
    OPT_REPEAT,
    OPT_WARMUP,
    OPT_TIMEOUT,
    OPT_FAIL_FAST,
    OPT_MAX_ERRORS,
    OPT_QUEUE_DEPTH,
    OPT_LOOPS,
    OPT_URL,
    OPT_QUIET,
    OPT_GRACE,
    OPT_SUITE,
    OPT_CASES,
    OPT_ISOLATE,
    OPT_INTERLEAVE,
    OPT_NO_INTERLEAVE,
    OPT_INTERLEAVE_SEED,
    OPT_PLUGIN,
    OPT_PYTHON,
    OPT_PY_LOOP,
    OPT_HELP,
};

static const struct option long_opts[] = {
    {"runner", required_argument, NULL, 'r'},
    {"workload", required_argument, NULL, 'w'},
    {"concurrency", required_argument, NULL, 'c'},
    {"tasks", required_argument, NULL, 'n'},
    {"param", required_argument, NULL, 'p'},
    {"output", required_argument, NULL, 'o'},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"rate", required_argument, NULL, OPT_RATE},
    {"arrivals", required_argument, NULL, OPT_ARRIVALS},
    {"pin", required_argument, NULL, OPT_PIN},
    {"repeat", required_argument, NULL, OPT_REPEAT},
    {"warmup", required_argument, NULL, OPT_WARMUP},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"fail-fast", no_argument, NULL, OPT_FAIL_FAST},
    {"max-errors", required_argument, NULL, OPT_MAX_ERRORS},
    {"queue-depth", required_argument, NULL, OPT_QUEUE_DEPTH},
    {"loops", required_argument, NULL, OPT_LOOPS},
    {"url", required_argument, NULL, OPT_URL},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"grace", required_argument, NULL, OPT_GRACE},
    {"suite", required_argument, NULL, OPT_SUITE},
    {"cases", required_argument, NULL, OPT_CASES},
    {"isolate", no_argument, NULL, OPT_ISOLATE},
    {"interleave", no_argument, NULL, OPT_INTERLEAVE},
    {"no-interleave", no_argument, NULL, OPT_NO_INTERLEAVE},
    {"interleave-seed", required_argument, NULL, OPT_INTERLEAVE_SEED},
    {"plugin", required_argument, NULL, OPT_PLUGIN},
    {"python", required_argument, NULL, OPT_PYTHON},
    {"py-loop", required_argument, NULL, OPT_PY_LOOP},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* Appends the items of a comma list to *list. */
static int add_list(const char *opt, const char *text, char ***list, size_t *n, struct pb_err *err)
{
    char **items = NULL;
    size_t k = 0;
    int rc = pb_split_list(text, opt, &items, &k, err);
    for (size_t i = 0; rc == 0 && i < k; i++)
        if (push(list, n, strdup(items[i])) < 0 || !(*list)[*n - 1])
            rc = pb_err_set(err, -ENOMEM, "out of memory");
    free(items);
    return rc;
}

/* -- COMMAND ARGS: the words after the --, as given, quoted into exec's cmd. getopt stops at
 * the -- and has moved any stray argument before it to after it, so the words are found in
 * the order argv had (orig); a -- that was an option's value is no separator. */
static int take_command(int argc, char **argv, char **orig, const char *last_optarg,
                        struct run_opts *o, struct pb_err *err)
{
    struct pb_quote q;
    const char *dd = optind > 1 ? argv[optind - 1] : NULL;
    int at = 0;
    if (!dd || strcmp(dd, "--") || dd == last_optarg)
        return optind < argc
                   ? pb_err_set(err, -EINVAL, "unexpected argument %s", pb_quote(&q, argv[optind]))
                   : 0;
    while (orig[at] != dd)
        at++;
    if (argc - optind > argc - at - 1) /* a stray argument before the -- */
        return pb_err_set(err, -EINVAL, "unexpected argument %s", pb_quote(&q, argv[optind]));
    if (at + 1 == argc)
        return pb_err_set(err, -EINVAL, "--: no command after it");
    size_t len = pb_cmdline_quote(orig + at + 1, (size_t)(argc - at - 1), NULL, 0);
    if (len >= PB_PARAM_STRMAX)
        return pb_err_set(err, -EINVAL, "--: the command is %zu characters quoted, at most %d", len,
                          PB_PARAM_STRMAX - 1);
    if (!(o->command = malloc(len + 1)))
        return pb_err_set(err, -ENOMEM, "out of memory");
    pb_cmdline_quote(orig + at + 1, (size_t)(argc - at - 1), o->command, len + 1);
    return 0;
}

static int parse_options(int argc, char **argv, struct run_opts *o, struct pb_plan *plan,
                         struct pb_err *err)
{
    struct pb_case_settings *s = &o->set;
    struct pb_quote q;
    const char *last_optarg = NULL;
    int rc = 0, opt;
    /* argv as given: getopt reorders it */
    char **orig = malloc(((size_t)argc + 1) * sizeof(*orig));
    if (!orig)
        return pb_err_set(err, -ENOMEM, "out of memory");
    memcpy(orig, argv, ((size_t)argc + 1) * sizeof(*orig));
    pb_case_settings_default(s);
    o->interleave = -1;
    optind = 1;
    opterr = 0;
    while (rc == 0 && (opt = getopt_long(argc, argv, ":r:w:c:n:p:o:", long_opts, NULL)) != -1) {
        last_optarg = optarg;
        switch (opt) {
        case 'r':
            rc = add_list("-r", optarg, &o->runners, &o->nrunners, err);
            break;
        case 'w':
            o->workload = optarg;
            break;
        case 'c':
            rc = add_list("-c", optarg, &o->levels_text, &o->nlevel_opts, err);
            break;
        case 'n':
            rc = parse_count("-n", optarg, 1, MAX_TASKS, &s->load.tasks, err);
            o->tasks_given = 1;
            break;
        case 'p':
            rc = push(&o->params, &o->nparams, optarg) < 0
                     ? pb_err_set(err, -ENOMEM, "out of memory")
                     : 0;
            break;
        case 'o':
            if (!*optarg)
                rc = pb_err_set(err, -EINVAL, "-o: an empty file name");
            snprintf(plan->output, sizeof(plan->output), "%s", optarg);
            break;
        case OPT_DURATION:
            rc = parse_duration("--duration", optarg, 0, &s->load.duration_ns, err);
            o->duration_given = 1;
            break;
        case OPT_RATE:
            if (pb_parse_double(optarg, &s->load.rate) < 0 ||
                !(s->load.rate >= MIN_RATE && s->load.rate <= MAX_RATE))
                rc = pb_err_set(err, -EINVAL, "--rate: %s is not a tasks/s figure in [%g, %g]",
                                pb_quote(&q, optarg), MIN_RATE, MAX_RATE);
            o->rate_given = 1;
            break;
        case OPT_ARRIVALS:
            if (strcmp(optarg, "uniform") == 0)
                s->load.arrivals = PB_ARRIVALS_UNIFORM;
            else if (strcmp(optarg, "poisson") == 0)
                s->load.arrivals = PB_ARRIVALS_POISSON;
            else
                rc = pb_err_set(err, -EINVAL, "--arrivals: %s is not uniform or poisson",
                                pb_quote(&q, optarg));
            o->arrivals_given = 1;
            break;
        case OPT_PIN:
            if ((rc = pb_pin_parse(optarg, &s->pin, err)) < 0) {
                char msg[sizeof(err->msg)];
                snprintf(msg, sizeof(msg), "%s", err->msg);
                pb_err_set(err, rc, "--pin: %s", msg);
            }
            o->pin_given = 1;
            break;
        case OPT_REPEAT:
            rc = parse_unsigned("--repeat", optarg, 1, PB_MAX_REPEAT, &s->repeat, err);
            o->repeat_given = 1;
            break;
        case OPT_WARMUP:
            rc = parse_unsigned("--warmup", optarg, 0, PB_MAX_REPEAT, &s->warmup, err);
            o->warmup_given = 1;
            break;
        case OPT_ISOLATE:
            plan->isolate = 1;
            break;
        case OPT_INTERLEAVE:
        case OPT_NO_INTERLEAVE:
            o->interleave = opt == OPT_INTERLEAVE;
            break;
        case OPT_INTERLEAVE_SEED:
            rc = parse_count("--interleave-seed", optarg, 0, PB_MAX_INTERLEAVE_SEED, &o->seed, err);
            o->seed_given = 1;
            break;
        case OPT_CASES:
            o->cases = optarg;
            break;
        case OPT_SUITE:
            snprintf(plan->suite, sizeof(plan->suite), "%s", optarg);
            break;
        case OPT_TIMEOUT:
            rc = parse_duration("--timeout", optarg, 0, &s->timeout_ns, err);
            o->timeout_given = 1;
            break;
        case OPT_FAIL_FAST:
            plan->fail_fast = 1;
            break;
        case OPT_MAX_ERRORS:
            rc = parse_max_errors(optarg, plan, err);
            break;
        case OPT_QUEUE_DEPTH:
            rc = parse_unsigned("--queue-depth", optarg, 1, PB_MAX_QUEUE_DEPTH, &s->queue_depth,
                                err);
            s->queue_depth = pb_taskq_capacity_for(s->queue_depth);
            o->queue_given = 1;
            break;
        case OPT_LOOPS:
            rc = parse_unsigned("--loops", optarg, 1, PB_MAX_LOOPS, &s->loops, err);
            o->loops_given = 1;
            break;
        case OPT_URL:
            o->url = optarg;
            break;
        case OPT_QUIET:
            plan->quiet = 1;
            break;
        case OPT_GRACE:
            rc = parse_duration("--grace", optarg, 1, &s->grace_ns, err);
            o->grace_given = 1;
            break;
        case OPT_PLUGIN: /* loaded at once: -r and -w may name what it brings */
            rc = pb_plugin_load(optarg, err);
            break;
        case OPT_PYTHON:
            rc = *optarg ? pb_python_configure(optarg, NULL, err)
                         : pb_err_set(err, -EINVAL, "--python: an empty path");
            break;
        case OPT_PY_LOOP:
            rc = pb_python_configure(NULL, optarg, err);
            break;
        case OPT_HELP:
            usage(stdout);
            free(orig);
            return 1;
        case ':':
            rc = pb_err_set(err, -EINVAL, "option '%s' needs a value", argv[optind - 1]);
            break;
        default:
            rc = pb_err_set(err, -EINVAL, "unknown option '%s' (parbench run --help)",
                            argv[optind - 1]);
            break;
        }
    }
    if (rc == 0)
        rc = take_command(argc, argv, orig, last_optarg, o, err);
    free(orig);
    return rc;
}

/* A suite is the whole matrix and its settings; --repeat and --warmup still apply
 * (scripts/ci-regress runs one repetition at a time), and so do the invocation's own options. */
static int load_suite(struct run_opts *o, struct pb_plan *plan, struct pb_err *err)
{
    static const struct {
        size_t offset;
        const char *name;
    } matrix_opts[] = {
        {offsetof(struct run_opts, tasks_given), "-n"},
        {offsetof(struct run_opts, duration_given), "--duration"},
        {offsetof(struct run_opts, rate_given), "--rate"},
        {offsetof(struct run_opts, arrivals_given), "--arrivals"},
        {offsetof(struct run_opts, pin_given), "--pin"},
        {offsetof(struct run_opts, timeout_given), "--timeout"},
        {offsetof(struct run_opts, grace_given), "--grace"},
        {offsetof(struct run_opts, queue_given), "--queue-depth"},
        {offsetof(struct run_opts, loops_given), "--loops"},
    };
    if (o->nrunners || o->workload || o->nlevel_opts || o->nparams || o->url || o->command)
        return pb_err_set(err, -EINVAL,
                          "--suite describes the matrix: drop -r, -w, -c, -p, --url and "
                          "-- COMMAND");
    for (size_t i = 0; i < sizeof(matrix_opts) / sizeof(matrix_opts[0]); i++)
        if (*(const int *)((const char *)o + matrix_opts[i].offset))
            return pb_err_set(
                err, -EINVAL, "--suite sets %s per group: drop %s (workloads/suites/README.md)",
                matrix_opts[i].name + (matrix_opts[i].name[1] == '-' ? 2 : 1), matrix_opts[i].name);
    int rc = pb_suite_load(plan->suite, plan, err);
    for (size_t i = 0; rc == 0 && i < plan->count; i++) {
        if (o->repeat_given)
            plan->cases[i].set.repeat = o->set.repeat;
        if (o->warmup_given)
            plan->cases[i].set.warmup = o->set.warmup;
    }
    return rc;
}

/* -c's levels, every -c option's items together, each once. */
static int parse_levels(struct run_opts *o, struct pb_err *err)
{
    size_t len = 1;
    for (size_t i = 0; i < o->nlevel_opts; i++)
        len += strlen(o->levels_text[i]) + 1;
    char *joined = malloc(len);
    if (!joined)
        return pb_err_set(err, -ENOMEM, "out of memory");
    joined[0] = 0;
    for (size_t i = 0; i < o->nlevel_opts; i++) {
        strcat(joined, i ? "," : "");
        strcat(joined, o->levels_text[i]);
    }
    int rc = pb_parse_levels(joined, 1, MAX_LEVEL, &o->levels, &o->nlevels, err);
    free(joined);
    return rc;
}

/* Values a command line's -p sweeps may multiply to: a suite's bound (harness/suite.c), and it
 * keeps the duplicate check below cheap. */
#define MAX_SWEEP 10000

/* The command line's parameters: each -p a list of values (a sweep), --url one value. */
struct axes {
    struct pb_param_axis axes[PB_PARAMS_MAX];
    char **split[PB_PARAMS_MAX]; /* -p's values, pb_split_values's block */
    const char *one[PB_PARAMS_MAX];
    char keys[PB_PARAMS_MAX][128];
    size_t n;
    double product; /* of the axes' value counts */
};

static void axes_free(struct axes *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->split[i]);
}

/* Checks key (len bytes of it), which opt gave: the workload must have it, once. Copies it to
 * the next axis's key. */
static int check_key(struct axes *a, const struct pb_workload_ops *w, const char *key, size_t len,
                     const char *opt, struct pb_err *err)
{
    struct pb_quote q;
    if (a->n == PB_PARAMS_MAX)
        return pb_err_set(err, -EINVAL, "%s: more than %d parameters", opt, PB_PARAMS_MAX);
    char *k = a->keys[a->n];
    snprintf(k, sizeof(a->keys[0]), "%.*s", (int)(len < sizeof(a->keys[0]) ? len : 127), key);
    const struct pb_params defs = {.defs = w->params, .count = w->nparams};
    if (len >= sizeof(a->keys[0]) || !pb_params_find(&defs, k)) {
        char names[512] = "";
        size_t used = 0;
        for (size_t i = 0; i < w->nparams && used < sizeof(names); i++)
            used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s", i ? ", " : "",
                                     w->params[i].name);
        return pb_err_set(err, -EINVAL, "%s: workload %s has no parameter %s (it has: %s)", opt,
                          w->name, pb_quote(&q, k), used ? names : "none");
    }
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->keys[i], k) == 0)
            return pb_err_set(err, -EINVAL, "%s: parameter %s is given twice", opt,
                              pb_quote(&q, k));
    return 0;
}

/* The same value as the parameter's type reads it: n=1000,1k is one value twice. */
static int same_value(enum pb_param_type type, const struct pb_param_value *x,
                      const struct pb_param_value *y)
{
    if (type == PB_PARAM_STRING)
        return strcmp(x->s, y->s) == 0;
    return type == PB_PARAM_DOUBLE ? x->d == y->d : x->i == y->i;
}

/* Each value the type takes (pb_params_set's message names the key and the value), each once;
 * text is the whole list, for the message. */
static int check_values(const struct pb_workload_ops *w, const char *key, const char *text,
                        char *const *values, size_t n, struct pb_err *err)
{
    struct pb_params *p = malloc(sizeof(*p));
    struct pb_param_value *seen = malloc(n * sizeof(*seen));
    struct pb_quote qa, qb, qt;
    int rc = p && seen ? pb_params_init(p, w->params, w->nparams, err)
                       : pb_err_set(err, -ENOMEM, "out of memory");
    long at = rc == 0 ? pb_params_find(p, key) - p->defs : 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if ((rc = pb_params_set(p, key, values[i], err)) < 0)
            break;
        seen[i] = p->v[at];
        for (size_t j = 0; rc == 0 && j < i; j++) {
            if (!same_value(p->defs[at].type, &seen[j], &seen[i]))
                continue;
            if (strcmp(values[j], values[i]) == 0)
                rc = pb_err_set(err, -EINVAL, "-p %s: value %s is given twice in %s", key,
                                pb_quote(&qa, values[i]), pb_quote(&qt, text));
            else
                rc = pb_err_set(err, -EINVAL, "-p %s: %s and %s are the same value in %s", key,
                                pb_quote(&qa, values[j]), pb_quote(&qb, values[i]),
                                pb_quote(&qt, text));
        }
    }
    free(seen);
    free(p);
    return rc;
}

/* -p key=v1,v2,..: one axis of the sweep. */
static int add_param(struct axes *a, const struct pb_workload_ops *w, const char *arg,
                     struct pb_err *err)
{
    struct pb_quote q;
    const char *eq = strchr(arg, '=');
    char what[160];
    size_t n = 0;
    if (!eq || eq == arg)
        return pb_err_set(err, -EINVAL, "-p %s: expected key=value", pb_quote(&q, arg));
    int rc = check_key(a, w, arg, (size_t)(eq - arg), "-p", err);
    const char *key = a->keys[a->n];
    snprintf(what, sizeof(what), "-p %s", key);
    if (rc == 0)
        rc = pb_split_values(eq + 1, what, &a->split[a->n], &n, err);
    if (rc == 0 && (a->product *= (double)n) > MAX_SWEEP)
        rc = pb_err_set(err, -EINVAL, "-p: the parameters' values make more than %d cases",
                        MAX_SWEEP);
    if (rc == 0)
        rc = check_values(w, key, eq + 1, a->split[a->n], n, err);
    if (rc < 0) {
        free(a->split[a->n]);
        a->split[a->n] = NULL;
        return rc;
    }
    a->axes[a->n] = (struct pb_param_axis){
        .key = key, .values = (const char *const *)a->split[a->n], .count = n};
    a->n++;
    return 0;
}

/* --url URL: url's one value, commas and all (a URL's query may have them). */
/* One value for key, commas and all: --url's, and the command after --. */
static int add_single(struct axes *a, const struct pb_workload_ops *w, const char *key,
                      const char *value, const char *opt, struct pb_err *err)
{
    int rc = check_key(a, w, key, strlen(key), opt, err);
    if (rc == 0)
        rc = check_values(w, key, value, (char *const *)&value, 1, err);
    if (rc < 0)
        return rc;
    a->one[a->n] = value;
    a->axes[a->n] =
        (struct pb_param_axis){.key = a->keys[a->n], .values = &a->one[a->n], .count = 1};
    a->n++;
    return 0;
}

static int build_plan(struct run_opts *o, struct pb_plan *plan, struct pb_err *err)
{
    struct pb_quote q;
    if (plan->suite[0])
        return load_suite(o, plan, err);
    if (o->command && o->workload && strcmp(o->workload, "exec"))
        return pb_err_set(err, -EINVAL,
                          "-- COMMAND runs the exec workload: drop -w %s, or the -- and what "
                          "follows it",
                          pb_quote(&q, o->workload));
    if (o->command)
        o->workload = "exec";
    if (!o->workload)
        return pb_err_set(err, -EINVAL, "no workload: give -w NAME ('parbench list' shows them)");
    const struct pb_workload_ops *w = pb_workload_find(o->workload);
    if (!w)
        return pb_err_set(err, -EINVAL, "unknown workload %s ('parbench list' shows them)",
                          pb_quote(&q, o->workload));
    if (o->tasks_given && o->duration_given)
        return pb_err_set(err, -EINVAL, "-n and --duration exclude each other: give one");
    if (o->duration_given)
        o->set.load.tasks = 0;
    if (o->rate_given && !o->tasks_given && !o->duration_given)
        return pb_err_set(err, -EINVAL, "--rate needs -n or --duration");
    if (!o->nrunners)
        return pb_err_set(err, -EINVAL, "no runner: give -r NAME[,NAME] ('parbench list')");
    const struct pb_runner_ops **runners = calloc(o->nrunners, sizeof(*runners));
    struct axes ax = {.n = 0, .product = 1};
    int rc = runners ? 0 : pb_err_set(err, -ENOMEM, "out of memory");
    for (size_t r = 0; rc == 0 && r < o->nrunners; r++) {
        runners[r] = pb_runner_find(o->runners[r]);
        if (!runners[r])
            rc = pb_err_set(err, -EINVAL, "unknown runner %s ('parbench list' shows them)",
                            pb_quote(&q, o->runners[r]));
        for (size_t k = 0; rc == 0 && k < r; k++)
            if (runners[k] == runners[r])
                rc = pb_err_set(err, -EINVAL, "-r: runner %s is listed twice",
                                pb_quote(&q, o->runners[r]));
    }
    if (rc == 0 && o->nlevel_opts)
        rc = parse_levels(o, err);
    for (size_t i = 0; rc == 0 && i < o->nparams; i++)
        rc = add_param(&ax, w, o->params[i], err);
    /* -- COMMAND is -p cmd=COMMAND; both would be the command twice. */
    for (size_t i = 0; rc == 0 && o->command && i < ax.n; i++)
        if (strcmp(ax.keys[i], "cmd") == 0)
            rc = pb_err_set(err, -EINVAL, "-p cmd= and -- COMMAND both give the command: give one");
    if (rc == 0 && o->command)
        rc = add_single(&ax, w, "cmd", o->command, "--", err);
    /* --url is -p url=URL (one value), for a workload with a url parameter. */
    if (rc == 0 && o->url)
        rc = add_single(&ax, w, "url", o->url, "--url", err);
    unsigned one = 1;
    struct pb_matrix m = {
        .workload = w,
        .runners = runners,
        .nrunners = o->nrunners,
        .levels = o->nlevels ? o->levels : &one,
        .nlevels = o->nlevels ? o->nlevels : 1,
        .levels_explicit = o->nlevels > 0,
        .axes = ax.axes,
        .naxes = ax.n,
        .set = o->set,
    };
    if (rc == 0)
        rc = pb_plan_expand(plan, &m, err);
    axes_free(&ax);
    free(runners);
    return rc;
}

/* --cases FILE: the plan keeps the cases FILE names, one id a line (blank lines ignored). */
static int select_cases(const char *path, struct pb_plan *plan, struct pb_err *err)
{
    struct pb_quote q;
    FILE *f = fopen(path, "r");
    char **ids = NULL, *line = NULL;
    size_t n = 0, cap = 0, len = 0;
    ssize_t got;
    int rc = 0;

    if (!f)
        return pb_err_set(err, -EINVAL, "--cases %s: %s", pb_quote(&q, path), strerror(errno));
    while (rc == 0 && (got = getline(&line, &len, f)) >= 0) {
        while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
            line[--got] = '\0';
        if (got == 0)
            continue;
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 16;
            char **v = realloc(ids, ncap * sizeof(*v));
            if (!v) {
                rc = pb_err_set(err, -ENOMEM, "out of memory");
                break;
            }
            ids = v;
            cap = ncap;
        }
        if (!(ids[n] = strdup(line)))
            rc = pb_err_set(err, -ENOMEM, "out of memory");
        else
            n++;
    }
    if (rc == 0 && ferror(f))
        rc = pb_err_set(err, -EINVAL, "--cases %s: %s", pb_quote(&q, path), strerror(errno));
    if (rc == 0 && n == 0)
        rc = pb_err_set(err, -EINVAL, "--cases %s: names no case", pb_quote(&q, path));
    if (rc == 0 && (rc = pb_plan_select(plan, ids, n, err)) == -EINVAL) {
        char msg[sizeof(err->msg)];
        snprintf(msg, sizeof(msg), "%s", err->msg);
        pb_err_set(err, rc, "--cases %s: %s", pb_quote(&q, path), msg);
    }
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    free(line);
    fclose(f);
    return rc;
}

/* The order of repetitions: the command line over the suite; a seed from the clock unless one
 * is given (the document records it, so any order can be run again). */
static int set_interleave(const struct run_opts *o, struct pb_plan *plan, struct pb_err *err)
{
    if (o->interleave >= 0)
        plan->interleave = o->interleave;
    if (o->seed_given && !plan->interleave)
        return pb_err_set(err, -EINVAL, "--interleave-seed needs --interleave");
    /* --isolate runs a case's repetitions in a child of their own, one case after another. */
    if (plan->interleave && plan->isolate)
        return pb_err_set(err, -EINVAL, "%s and --isolate exclude each other: give one%s",
                          o->interleave == 1 ? "--interleave" : "the suite's \"interleave\"",
                          o->interleave == 1 ? "" : " (or add --no-interleave)");
    plan->interleave_seed =
        o->seed_given ? o->seed : (pb_now_ns() ^ (uint64_t)getpid() << 32) & PB_MAX_INTERLEAVE_SEED;
    return 0;
}

static int exceeded_errors(const struct pb_plan *plan, const struct pb_outcome *o)
{
    if (plan->max_errors_is_pct)
        return o->tasks && 100.0 * (double)o->failed / (double)o->tasks > plan->max_errors;
    return (double)o->failed > plan->max_errors;
}

/* The arena the zygote shares: enough for the largest forking case (its records, queue and
 * slots) and the workloads' own state. */
static uint64_t arena_bytes(const struct pb_plan *plan)
{
    uint64_t most = 0;
    for (size_t i = 0; i < plan->count; i++) {
        const struct pb_case_spec *c = &plan->cases[i];
        if (!(c->runner->flags & PB_RUNNER_FORKS))
            continue;
        uint64_t n = pb_case_workers(c);
        uint64_t need = n * (sizeof(struct pb_worker_record) + sizeof(struct pb_cpuset) + 256) +
                        pb_taskq_size(c->set.queue_depth);
        if (need > most)
            most = need;
    }
    return most + ARENA_SLACK;
}

/* Runs the plan and writes the document, also when the run stopped or failed half way. */
static int run_plan(int argc, char **argv, const struct pb_plan *plan, const struct pb_topo *topo,
                    struct pb_err *err)
{
    struct pb_run_results results = {0};
    struct pb_outcome outcome;
    json_t *doc = pb_doc_new(argc, argv, topo, plan);
    int rc = pb_driver_run(plan, topo, &results, &outcome, err);
    const char *reason = rc < 0 ? "error" : pb_stop_reason_name(pb_stop_reason());
    pb_doc_finish(doc, reason);
    int code = PB_EXIT_ENV;
    struct pb_err werr = {""};
    if (pb_doc_set_cases(doc, results.cases, results.count) < 0) {
        fprintf(stderr, "parbench run: out of memory writing the document\n");
        goto out;
    }
    int wrc = pb_out_write_json(plan->output, doc, PB_DOC_JSON_FLAGS, &werr);
    pb_console_summary(results.cases, results.count, strcmp(plan->output, "-") ? stdout : stderr);
    pb_console_machine(results.cases, results.count, strcmp(plan->output, "-") ? stdout : stderr);
    if (wrc < 0) {
        /* A finished run is never thrown away: the document goes where it can. */
        char where[4096];
        struct pb_err rerr = {""};
        if (pb_out_rescue_json(doc, PB_DOC_JSON_FLAGS, plan->output, where, sizeof(where), &rerr) ==
            0)
            fprintf(stderr, "parbench run: %s; the document is in %s\n", werr.msg, where);
        else
            fprintf(stderr, "parbench run: %s; %s\n", werr.msg, rerr.msg);
        goto out;
    }
    if (strcmp(plan->output, "-"))
        fprintf(stderr, "parbench: wrote %s%s\n", plan->output,
                strcmp(reason, "completed") ? " (incomplete)" : "");
    if (rc < 0) {
        fprintf(stderr, "parbench run: %s\n", err->msg);
        code = rc == -EINVAL ? PB_EXIT_USAGE : PB_EXIT_ENV;
        goto out;
    }
    enum pb_stop_reason stop = pb_stop_reason();
    if (stop == PB_STOP_SIGNAL)
        code = PB_EXIT_INTERRUPTED;
    else if (stop == PB_STOP_ERROR)
        code = PB_EXIT_ENV;
    else if (stop == PB_STOP_FAIL_FAST || exceeded_errors(plan, &outcome) || outcome.check_failed)
        code = PB_EXIT_FAILED;
    else
        code = PB_EXIT_OK;
    if (code == PB_EXIT_FAILED)
        fprintf(stderr, "parbench: %llu of %llu tasks failed%s%s\n",
                (unsigned long long)outcome.failed, (unsigned long long)outcome.tasks,
                outcome.check_failed ? "; a workload's check failed" : "",
                stop == PB_STOP_FAIL_FAST ? "; --fail-fast stopped the run" : "");
out:
    pb_run_results_free(&results);
    json_decref(doc);
    return code;
}

int pb_cmd_run(int argc, char **argv)
{
    struct pb_err err = {""};
    struct pb_plan plan;
    struct run_opts opts;
    struct pb_topo *topo = NULL;
    int code = PB_EXIT_USAGE, zygote = 0;
    memset(&opts, 0, sizeof(opts));
    pb_plan_init(&plan);

    int rc = pb_plugin_load_env(&err);
    if (rc == 0)
        rc = parse_options(argc, argv, &opts, &plan, &err);
    if (rc == 1) {
        code = PB_EXIT_OK;
        goto out;
    }
    if (rc < 0 || (rc = build_plan(&opts, &plan, &err)) < 0 ||
        (opts.cases && (rc = select_cases(opts.cases, &plan, &err)) < 0) ||
        (rc = set_interleave(&opts, &plan, &err)) < 0)
        goto fail;
    if ((rc = pb_topo_load(&topo, NULL, &err)) < 0) {
        /* A PARBENCH_TOPOLOGY that cannot be read is bad input; this machine's, a refusal. */
        code = getenv("PARBENCH_TOPOLOGY") ? PB_EXIT_USAGE : PB_EXIT_ENV;
        goto fail;
    }
    unsigned out_flags = 0;
    if (!plan.output[0]) { /* the default directory is made when it is missing */
        pb_doc_default_path(plan.output, sizeof(plan.output), "results/runs");
        out_flags = PB_OUT_MKDIRS;
    }
    if ((rc = pb_plan_check(&plan, topo, &err)) < 0) {
        code = rc == -EINVAL ? PB_EXIT_USAGE : PB_EXIT_ENV;
        goto fail;
    }
    if ((rc = pb_out_check(plan.output, out_flags, &err)) < 0) {
        code = pb_out_exit_code(rc);
        goto fail;
    }
    /* Process workers come from the zygote, forked now: no thread exists yet. */
    if (pb_plan_forks(&plan) && !plan.isolate) {
        if ((rc = pb_shm_arena_reserve(arena_bytes(&plan))) < 0 ||
            (rc = pb_zygote_start(&err)) < 0) {
            if (!err.msg[0])
                pb_err_set(&err, rc, "cannot reserve shared memory: %s", strerror(-rc));
            code = PB_EXIT_ENV;
            goto fail;
        }
        zygote = 1;
    }
    pb_console_init(plan.quiet);
    code = run_plan(argc, argv, &plan, topo, &err);
    goto out;
fail:
    fprintf(stderr, "parbench run: %s\n", err.msg);
    if (code == PB_EXIT_USAGE && rc == -ENOMEM)
        code = PB_EXIT_ENV;
out:
    if (zygote)
        pb_zygote_stop();
    pb_topo_destroy(topo);
    pb_plan_free(&plan);
    opts_free(&opts);
    return code;
}
