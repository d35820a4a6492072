/* `parbench run`: the command line into a plan, the plan into a result document. */
#include "harness/cmd_run.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "harness/console.h"
#include "harness/driver.h"
#include "harness/http_probe.h"
#include "harness/outfile.h"
#include "harness/registry.h"
#include "harness/result.h"
#include "harness/suite.h"
#include "harness/taskq.h"

#define MAX_LIST         64
#define MIN_RATE         0.001 /* tasks/s: one task per 1000 s */
#define MAX_RATE         1e9
#define FD_RESERVE       64   /* descriptors besides connections: files, loops, pipes */
#define PROBE_TIMEOUT_MS 5000 /* how long a --url server may take to accept a connection */

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    got_signal = sig;
    pb_stop_request();
}

static void install_signals(void)
{
    struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: waits return EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static void usage(FILE *out)
{
    fputs("usage: parbench run -r RUNNER[,..] -w WORKLOAD -c N[,..] [-n TASKS | --duration T]\n"
          "                    [--rate R [--arrivals uniform|poisson]] [--pin POLICY]\n"
          "                    [--repeat K] [--warmup K] [--timeout T] [--fail-fast]\n"
          "                    [--max-errors N|P%] [--queue-depth N] [--loops L] [--url URL]\n"
          "                    [-p key=value ...] [--isolate] [-o FILE|-] [--quiet]\n"
          "       parbench run --suite FILE [--repeat K] [--warmup K] [-o FILE|-] [--quiet] ...\n",
          out);
}

static int parse_uint(const char *opt, const char *text, unsigned min, unsigned *out,
                      struct pb_err *err)
{
    int64_t v;
    if (pb_parse_int(text, &v) < 0 || v < min || v > 1000000000)
        return pb_err_set(err, -EINVAL, "%s: '%s' is not a whole number of at least %u", opt, text,
                          min);
    *out = (unsigned)v;
    return 0;
}

static int parse_max_errors(const char *text, struct pb_plan *plan, struct pb_err *err)
{
    char *end;
    double v = strtod(text, &end);
    plan->max_errors_is_pct = *end == '%';
    if (end == text || v < 0 || (*end && strcmp(end, "%")) || (plan->max_errors_is_pct && v > 100))
        return pb_err_set(err, -EINVAL, "--max-errors: '%s' is not a count or a percentage", text);
    plan->max_errors = v;
    return 0;
}

/* The parts of a case every matrix entry shares, from the options. */
struct run_opts {
    char *runners[MAX_LIST], *concurrency[MAX_LIST], *params[MAX_LIST];
    size_t nrunners, nconcurrency, nparams;
    char *copies[MAX_LIST]; /* lists are split in copies: argv goes into the document intact */
    size_t ncopies;
    const char *workload, *url;
    struct pb_case_spec base;
    int tasks_given, duration_given, repeat_given, warmup_given;
};

/* Comma-separated words into list, from a copy of text kept in o. */
static size_t split(struct run_opts *o, const char *arg, char **list, size_t max)
{
    size_t n = 0;
    if (o->ncopies == MAX_LIST || !(o->copies[o->ncopies] = strdup(arg)))
        return 0;
    char *text = o->copies[o->ncopies++];
    for (char *save = NULL, *tok = strtok_r(text, ",", &save); tok && n < max;
         tok = strtok_r(NULL, ",", &save))
        list[n++] = tok;
    return n;
}

static int apply_params(struct pb_case_spec *c, char **params, size_t n, const char *url,
                        struct pb_err *err)
{
    int rc = pb_params_init(&c->params, c->workload->params, c->workload->nparams, err);
    if (rc < 0)
        return rc;
    if (url) {
        if (!pb_params_find(&c->params, "url"))
            return pb_err_set(err, -EINVAL, "--url: workload %s does not take a URL",
                              c->workload->name);
        if ((rc = pb_params_set(&c->params, "url", url, err)) < 0)
            return rc;
    }
    for (size_t i = 0; i < n; i++) {
        char key[128];
        const char *eq = strchr(params[i], '=');
        if (!eq || eq == params[i] || (size_t)(eq - params[i]) >= sizeof(key))
            return pb_err_set(err, -EINVAL, "-p '%s': expected key=value", params[i]);
        snprintf(key, sizeof(key), "%.*s", (int)(eq - params[i]), params[i]);
        rc = pb_params_set(&c->params, key, eq + 1, err);
        if (rc == -ENOENT) {
            char names[512] = "";
            size_t len = 0;
            for (size_t k = 0; k < c->workload->nparams && len < sizeof(names); k++)
                len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s", k ? ", " : "",
                                        c->workload->params[k].name);
            return pb_err_set(err, rc, "workload %s has no parameter '%s' (it has: %s)",
                              c->workload->name, key, len ? names : "none");
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* A suite is the whole matrix; --repeat and --warmup still apply (scripts/ci-regress runs
 * one repetition at a time). */
static int load_suite(struct run_opts *o, struct pb_plan *plan, struct pb_err *err)
{
    if (o->nrunners || o->workload || o->nconcurrency || o->nparams || o->url || o->tasks_given ||
        o->duration_given)
        return pb_err_set(err, -EINVAL,
                          "--suite describes the matrix: drop -r, -w, -c, -n, "
                          "--duration, -p and --url");
    int rc = pb_suite_load(plan->suite, plan, err);
    for (size_t i = 0; rc == 0 && i < plan->count; i++) {
        if (o->repeat_given)
            plan->cases[i].repeat = o->base.repeat;
        if (o->warmup_given)
            plan->cases[i].warmup = o->base.warmup;
    }
    return rc;
}

static int build_plan(struct run_opts *o, struct pb_plan *plan, struct pb_err *err)
{
    if (plan->suite[0])
        return load_suite(o, plan, err);
    struct pb_case_spec c = o->base;
    if (!o->workload)
        return pb_err_set(err, -EINVAL, "no workload: give -w NAME ('parbench list' shows them)");
    c.workload = pb_workload_find(o->workload);
    if (!c.workload)
        return pb_err_set(err, -EINVAL, "unknown workload '%s' ('parbench list' shows them)",
                          o->workload);
    int rc = apply_params(&c, o->params, o->nparams, o->url, err);
    if (rc < 0)
        return rc;
    if (o->tasks_given && o->duration_given)
        return pb_err_set(err, -EINVAL, "-n and --duration exclude each other: give one");
    if (c.rate > 0 && !o->tasks_given && !o->duration_given)
        return pb_err_set(err, -EINVAL, "--rate needs -n or --duration");
    if (!o->nrunners)
        return pb_err_set(err, -EINVAL, "no runner: give -r NAME[,NAME] ('parbench list')");

    unsigned levels[MAX_LIST];
    size_t nlevels = o->nconcurrency;
    for (size_t i = 0; i < nlevels; i++)
        if ((rc = parse_uint("-c", o->concurrency[i], 1, &levels[i], err)) < 0)
            return pb_err_set(err, rc,
                              "-c: concurrency must be a whole number of at least 1, "
                              "got '%s'",
                              o->concurrency[i]);
    if (!nlevels)
        levels[nlevels++] = 1;
    /* A lone -c is for the runners that take it; it is an error only when none does. */
    int sweep = nlevels > 1;
    for (size_t r = 0; r < o->nrunners; r++) {
        const struct pb_runner_ops *ops = pb_runner_find(o->runners[r]);
        if (ops && !(ops->flags & (PB_RUNNER_SINGLE | PB_RUNNER_GATHER)))
            sweep = 1;
    }

    for (size_t r = 0; r < o->nrunners; r++) {
        c.runner = pb_runner_find(o->runners[r]);
        if (!c.runner)
            return pb_err_set(err, -EINVAL, "unknown runner '%s' ('parbench list' shows them)",
                              o->runners[r]);
        /* Runners that do not take -c run once in a sweep, and refuse a lone -c. */
        if (c.runner->flags & (PB_RUNNER_SINGLE | PB_RUNNER_GATHER)) {
            unsigned only = c.runner->flags & PB_RUNNER_SINGLE ? 1 : 0;
            if (!sweep && o->nconcurrency && levels[0] != 1 && only == 1)
                return pb_err_set(err, -EINVAL,
                                  "serial runs one task at a time: -c %u is not possible "
                                  "(use -c 1, or a sweep such as -c 1,%u)",
                                  levels[0], levels[0]);
            if (!sweep && o->nconcurrency && only == 0)
                return pb_err_set(err, -EINVAL,
                                  "%s starts every task at once and takes no -c: "
                                  "use -r semaphore -c %u to limit concurrency",
                                  c.runner->name, levels[0]);
            c.concurrency = only;
            if ((rc = pb_plan_add(plan, &c)) < 0)
                return pb_err_set(err, rc, "out of memory");
            continue;
        }
        for (size_t l = 0; l < nlevels; l++) {
            c.concurrency = levels[l];
            if ((rc = pb_plan_add(plan, &c)) < 0)
                return pb_err_set(err, rc, "out of memory");
        }
    }
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
    OPT_ISOLATE,
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
    {"isolate", no_argument, NULL, OPT_ISOLATE},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static int parse_options(int argc, char **argv, struct run_opts *o, struct pb_plan *plan,
                         struct pb_err *err)
{
    struct pb_case_spec *b = &o->base;
    b->tasks = PB_DEFAULT_TASKS;
    b->repeat = PB_DEFAULT_REPEAT;
    b->warmup = PB_DEFAULT_WARMUP;
    b->queue_depth = PB_DEFAULT_QUEUE_DEPTH;
    b->loops = 1;
    int rc = pb_pin_parse("compact", &b->pin, err);
    int opt;
    optind = 1;
    opterr = 0;
    while (rc == 0 && (opt = getopt_long(argc, argv, ":r:w:c:n:p:o:", long_opts, NULL)) != -1) {
        int64_t v;
        char *end;
        switch (opt) {
        case 'r':
            o->nrunners += split(o, optarg, o->runners + o->nrunners, MAX_LIST - o->nrunners);
            break;
        case 'w':
            o->workload = optarg;
            break;
        case 'c':
            o->nconcurrency +=
                split(o, optarg, o->concurrency + o->nconcurrency, MAX_LIST - o->nconcurrency);
            break;
        case 'n':
            if (pb_parse_int(optarg, &v) < 0 || v < 1)
                rc = pb_err_set(err, -EINVAL, "-n: '%s' is not a task count of at least 1", optarg);
            b->tasks = (uint64_t)v;
            o->tasks_given = 1;
            break;
        case 'p':
            if (o->nparams == MAX_LIST)
                rc = pb_err_set(err, -EINVAL, "-p: too many parameters");
            else
                o->params[o->nparams++] = optarg;
            break;
        case 'o':
            snprintf(plan->output, sizeof(plan->output), "%s", optarg);
            break;
        case OPT_DURATION:
            if (pb_parse_duration_ns(optarg, &b->duration_ns) < 0 || !b->duration_ns)
                rc = pb_err_set(err, -EINVAL, "--duration: '%s' is not a duration (say 10s)",
                                optarg);
            b->tasks = 0;
            o->duration_given = 1;
            break;
        case OPT_RATE:
            b->rate = strtod(optarg, &end);
            if (end == optarg || *end || !(b->rate >= MIN_RATE && b->rate <= MAX_RATE))
                rc = pb_err_set(err, -EINVAL, "--rate: '%s' is not a tasks/s figure in [%g, %g]",
                                optarg, MIN_RATE, MAX_RATE);
            break;
        case OPT_ARRIVALS:
            if (strcmp(optarg, "uniform") == 0)
                b->arrivals = PB_ARRIVALS_UNIFORM;
            else if (strcmp(optarg, "poisson") == 0)
                b->arrivals = PB_ARRIVALS_POISSON;
            else
                rc = pb_err_set(err, -EINVAL, "--arrivals: '%s' is not uniform or poisson", optarg);
            break;
        case OPT_PIN:
            rc = pb_pin_parse(optarg, &b->pin, err);
            break;
        case OPT_REPEAT:
            rc = parse_uint("--repeat", optarg, 1, &b->repeat, err);
            o->repeat_given = 1;
            break;
        case OPT_WARMUP:
            rc = parse_uint("--warmup", optarg, 0, &b->warmup, err);
            o->warmup_given = 1;
            break;
        case OPT_ISOLATE:
            plan->isolate = 1;
            break;
        case OPT_SUITE:
            snprintf(plan->suite, sizeof(plan->suite), "%s", optarg);
            break;
        case OPT_TIMEOUT:
            if (pb_parse_duration_ns(optarg, &b->timeout_ns) < 0 || !b->timeout_ns)
                rc = pb_err_set(err, -EINVAL, "--timeout: '%s' is not a duration (say 500ms)",
                                optarg);
            break;
        case OPT_FAIL_FAST:
            plan->fail_fast = 1;
            break;
        case OPT_MAX_ERRORS:
            rc = parse_max_errors(optarg, plan, err);
            break;
        case OPT_QUEUE_DEPTH:
            rc = parse_uint("--queue-depth", optarg, 1, &b->queue_depth, err);
            b->queue_depth = pb_taskq_capacity_for(b->queue_depth);
            break;
        case OPT_LOOPS:
            rc = parse_uint("--loops", optarg, 1, &b->loops, err);
            break;
        case OPT_URL:
            o->url = optarg;
            break;
        case OPT_QUIET:
            plan->quiet = 1;
            break;
        case OPT_GRACE:
            if (pb_parse_duration_ns(optarg, &plan->grace_ns) < 0)
                rc = pb_err_set(err, -EINVAL, "--grace: '%s' is not a duration", optarg);
            break;
        case OPT_HELP:
            usage(stdout);
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
    if (rc == 0 && optind < argc)
        rc = pb_err_set(err, -EINVAL, "unexpected argument '%s'", argv[optind]);
    return rc;
}

/* Sockets the case keeps open at once: one per task in progress (every task for a gather), at
 * most io.http's max_connections on an event loop. */
static uint64_t planned_connections(const struct pb_case_spec *c)
{
    if (!(c->workload->flags & PB_WL_HTTP))
        return 0;
    uint64_t n = c->concurrency ? c->concurrency
                 : c->tasks     ? c->tasks
                                : (uint64_t)(c->rate * (double)c->duration_ns / 1e9) + 1;
    uint64_t pool = (uint64_t)pb_param_int(&c->params, "max_connections");
    return (c->runner->flags & PB_RUNNER_LOOPS) && n > pool ? pool : n;
}

/* An HTTP case needs descriptors for its connections and a server that accepts them. */
static int check_http(const struct pb_case_spec *c, struct pb_err *err)
{
    if (!(c->workload->flags & PB_WL_HTTP))
        return 0;
    struct rlimit rl;
    uint64_t need = planned_connections(c) + FD_RESERVE;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && need > rl.rlim_cur)
        return pb_err_set(err, -EMFILE,
                          "%s needs about %llu open files at once, but the limit is %llu "
                          "(raise ulimit -n, or lower -c or -n)",
                          c->workload->name, (unsigned long long)need,
                          (unsigned long long)rl.rlim_cur);
    const char *url = pb_param_str(&c->params, "url");
    if (url[0] && pb_http_probe(url, PROBE_TIMEOUT_MS, err) < 0)
        return -EHOSTUNREACH;
    return 0;
}

int pb_plan_check(const struct pb_plan *plan, const struct pb_topo *topo, struct pb_err *err)
{
    for (size_t i = 0; i < plan->count; i++) {
        const struct pb_case_spec *c = &plan->cases[i];
        if ((c->runner->flags & PB_RUNNER_GATHER) && !c->tasks && c->rate <= 0)
            return pb_err_set(err, -EINVAL,
                              "%s gathers a fixed set of tasks: give -n, or --rate with "
                              "--duration",
                              c->runner->name);
        if ((c->runner->flags & PB_RUNNER_LOOPS) && c->concurrency && c->concurrency < c->loops)
            return pb_err_set(err, -EINVAL,
                              "--loops %u shares -c %u permits between loops: give -c %u or more",
                              c->loops, c->concurrency, c->loops);
        struct pb_pin_plan *pins = NULL;
        int rc = pb_pin_plan_make(topo, &c->pin, pb_case_workers(c), &pins, err);
        pb_pin_plan_destroy(pins);
        if (rc < 0)
            return rc;
        if ((rc = check_http(c, err)) < 0)
            return rc;
        /* An HTTP workload without a URL will get the embedded target's: check with a stand-in. */
        struct pb_workload_env env = {.params = &c->params,
                                      .concurrency = c->concurrency,
                                      .workers = pb_case_workers(c),
                                      .tasks = c->tasks,
                                      .timeout_ns = c->timeout_ns,
                                      .url = c->workload->flags & PB_WL_HTTP ? "http://127.0.0.1/"
                                                                             : NULL};
        void *shared = NULL;
        rc = pb_workload_prepare(c->workload, &env, &shared, err);
        pb_workload_release(c->workload, shared);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int exceeded_errors(const struct pb_plan *plan, const struct pb_outcome *o)
{
    if (plan->max_errors_is_pct)
        return o->tasks && 100.0 * (double)o->failed / (double)o->tasks > plan->max_errors;
    return (double)o->failed > plan->max_errors;
}

int pb_cmd_run(int argc, char **argv)
{
    struct pb_err err = {""};
    struct pb_plan plan;
    struct run_opts opts;
    struct pb_topo *topo = NULL;
    json_t *doc = NULL;
    int code = PB_EXIT_USAGE;
    memset(&opts, 0, sizeof(opts));
    pb_plan_init(&plan);

    int rc = parse_options(argc, argv, &opts, &plan, &err);
    if (rc == 1) {
        code = PB_EXIT_OK;
        goto out;
    }
    if (rc < 0 || (rc = build_plan(&opts, &plan, &err)) < 0)
        goto fail;
    if ((rc = pb_topo_load(&topo, NULL, &err)) < 0) {
        code = PB_EXIT_ENV;
        goto fail;
    }
    if (!plan.output[0])
        pb_result_default_path(plan.output, sizeof(plan.output), "results/runs");
    if ((rc = pb_plan_check(&plan, topo, &err)) < 0) {
        if (rc == -EHOSTUNREACH || rc == -EMFILE)
            code = PB_EXIT_ENV;
        goto fail;
    }
    /* An output that cannot be written fails now, not after the run; the default directory is
     * made when the document is written. */
    if ((rc = pb_out_check(plan.output,
                           strncmp(plan.output, "results/runs/", 13) == 0 ? PB_OUT_MKDIRS : 0,
                           &err)) < 0) {
        code = pb_out_exit_code(rc);
        goto fail;
    }

    pb_console_init(plan.quiet);
    install_signals();
    doc = pb_result_new(argc, argv, topo, &plan);
    struct pb_outcome outcome;
    rc = pb_driver_run(&plan, topo, doc, &outcome, &err);
    const char *reason = rc < 0            ? "error"
                         : got_signal      ? "interrupted"
                         : outcome.stopped ? "fail_fast"
                                           : "completed";
    pb_result_finish(doc, reason);
    struct pb_err werr = {""};
    int wrc = pb_result_write(doc, plan.output, &werr);
    FILE *table = strcmp(plan.output, "-") == 0 ? stderr : stdout;
    pb_console_summary(doc, table);
    if (wrc < 0) {
        /* A finished run is never thrown away: the document goes where it can. */
        char where[PATH_MAX];
        struct pb_err rerr = {""};
        if (pb_out_rescue_json(doc, PB_RESULT_JSON_FLAGS, plan.output, where, sizeof(where),
                               &rerr) == 0)
            fprintf(stderr, "parbench run: %s; the document is in %s\n", werr.msg, where);
        else
            fprintf(stderr, "parbench run: %s; %s\n", werr.msg, rerr.msg);
        code = PB_EXIT_ENV;
        goto out;
    }
    if (strcmp(plan.output, "-"))
        fprintf(stderr, "parbench: wrote %s%s\n", plan.output,
                strcmp(reason, "completed") ? " (incomplete)" : "");
    if (rc < 0) {
        code = PB_EXIT_ENV;
        goto fail;
    }
    if (got_signal)
        code = PB_EXIT_INTERRUPTED;
    else if (outcome.stopped || exceeded_errors(&plan, &outcome) || outcome.check_failed)
        code = PB_EXIT_FAILED; /* stopped without a signal: --fail-fast saw a failure */
    else
        code = PB_EXIT_OK;
    if (code == PB_EXIT_FAILED)
        fprintf(stderr, "parbench: %llu of %llu tasks failed%s%s\n",
                (unsigned long long)outcome.failed, (unsigned long long)outcome.tasks,
                outcome.check_failed ? "; a workload's check failed" : "",
                outcome.stopped ? "; --fail-fast stopped the run" : "");
    goto out;
fail:
    fprintf(stderr, "parbench run: %s\n", err.msg);
    if (code == PB_EXIT_USAGE && rc == -ENOMEM)
        code = PB_EXIT_ENV;
out:
    json_decref(doc);
    pb_topo_destroy(topo);
    pb_plan_free(&plan);
    for (size_t i = 0; i < opts.ncopies; i++)
        free(opts.copies[i]);
    return code;
}
