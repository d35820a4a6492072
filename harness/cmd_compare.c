/* `parbench compare [options] BASE NEW`: which cases got faster or slower, with a sound test
 * behind each verdict, as a table, Markdown, JSON and JUnit (harness/compare.h decides). */
#include "harness/cmd_compare.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "harness/cli.h"
#include "harness/compare.h"
#include "harness/compare_render.h"
#include "harness/doc_read.h"
#include "harness/error.h"
#include "harness/outfile.h"

static const char usage_line[] =
    "usage: parbench compare [--alpha A] [--threshold [METRIC=]PCT]... [--metric LIST] "
    "[--gate auto|LIST] [--paired|--unpaired] [--looks LIST] [--noisy FILE] [--format text|md] "
    "[--json] [--junit FILE] [--summary FILE] [--allow-disjoint] BASE NEW";

static void usage(FILE *out)
{
    fprintf(out,
            "%s\n"
            "Compares two result documents case by case and metric by metric, and gives each\n"
            "comparison one of three verdicts: a change (REGRESSION or IMPROVEMENT: p below the\n"
            "comparison's level, the interval excluding no change and the estimate beyond the\n"
            "threshold), unchanged (the whole interval inside the threshold), or undecided, with\n"
            "the samples that would likely decide it. Documents whose repetitions ran in rounds\n"
            "(merge --rounds) are paired: each round gives the ratio of the sides' best\n"
            "repetition in it, tested with the Wilcoxon signed-rank test of the log ratios, and\n"
            "sized by the paired Hodges-Lehmann ratio new/base; otherwise Mann-Whitney U and the\n"
            "two-sample Hodges-Lehmann ratio. Only gated comparisons decide the exit code, and\n"
            "alpha is shared among them only (Bonferroni).\n"
            "  --alpha A            family-wise error rate over the gated comparisons and every\n"
            "                       look (default 0.05)\n"
            "  --threshold PCT      smallest change that counts, in percent (default 5)\n"
            "  --threshold M=PCT    the same for one metric (latency and service name both\n"
            "                       percentiles); repeatable\n"
            "  --metric LIST        metrics to compare, comma-separated (default throughput,\n"
            "                       latency_p50, latency_p99, service_p50, service_p99)\n"
            "  --gate auto|LIST     what decides: auto (default) gates throughput for every\n"
            "                       workload and latency_p99 for I/O; LIST gates those metrics\n"
            "  --paired             every case must pair by rounds (an error otherwise)\n"
            "  --unpaired           treat the sides as independent samples even when they pair\n"
            "  --looks LIST         the round counts at which a sequential job looked (e.g.\n"
            "                       10,13,17): look k is tested at alpha 6/(pi^2 k^2) / family,\n"
            "                       and the first look that decides a comparison is its verdict\n"
            "  --noisy FILE         cases too noisy to gate, one key per line (the first\n"
            "                       tab-separated field; '#' starts a comment), as\n"
            "                       scripts/ci-regress --calibrate writes: reported, not gated\n"
            "  --format text|md     aligned table (default) or Markdown for pull requests\n"
            "  --json               one JSON object (parbench/compare/v2) with the same content\n"
            "  --junit FILE         also write JUnit XML: a test per gated comparison, a failure\n"
            "                       per regression, undecided and unmeasurable ones skipped\n"
            "  --summary FILE       also append the Markdown form to FILE ($GITHUB_STEP_SUMMARY)\n"
            "  --allow-disjoint     accept documents without a case in common (nothing is\n"
            "                       compared); otherwise that is an error, so that a gate\n"
            "                       never passes having compared nothing\n"
            "BASE or NEW may be '-' for standard input.\n"
            "Exit: 0 no gated regression, 1 a gated regression, 2 bad usage or input (no case in\n"
            "common included), 3 an output could not be written.\n",
            usage_line);
}

/* What compare writes where, besides the verdicts. */
struct compare_args {
    int json, allow_disjoint;
    const char *format, *junit, *summary;
};

static int parse_fraction(const char *text, double lo, double hi, double scale, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(text, &end);
    if (end == text || errno)
        return -EINVAL;
    if (scale != 1.0 && *end == '%')
        end++;
    if (*end != '\0' || !(v >= lo && v <= hi))
        return -EINVAL;
    *out = v / scale;
    return 0;
}

/* "latency" and "service" stand for both of their percentiles. */
static int metric_set(const char *name, int *set)
{
    enum pb_metric m;

    memset(set, 0, PB_METRIC_COUNT * sizeof(*set));
    if (strcmp(name, "latency") == 0) {
        set[PB_METRIC_LATENCY_P50] = set[PB_METRIC_LATENCY_P99] = 1;
        return 0;
    }
    if (strcmp(name, "service") == 0) {
        set[PB_METRIC_SERVICE_P50] = set[PB_METRIC_SERVICE_P99] = 1;
        return 0;
    }
    if (pb_metric_find(name, &m) < 0)
        return -ENOENT;
    set[m] = 1;
    return 0;
}

static int parse_threshold(const char *text, struct pb_compare_opts *o)
{
    const char *eq = strchr(text, '=');
    int set[PB_METRIC_COUNT];
    char name[64];
    double t;

    if (!eq) {
        if (parse_fraction(text, 0.0, 1000.0, 100.0, &t) < 0)
            return pb_cli_bad_usage("compare", usage_line,
                                    "bad threshold '%s' (a percentage, 0 to 1000)", text);
        for (int m = 0; m < PB_METRIC_COUNT; m++)
            o->threshold[m] = t;
        return 0;
    }
    if ((size_t)(eq - text) >= sizeof(name))
        return pb_cli_bad_usage("compare", usage_line, "unknown metric in threshold '%s'", text);
    memcpy(name, text, (size_t)(eq - text));
    name[eq - text] = '\0';
    if (metric_set(name, set) < 0)
        return pb_cli_bad_usage(
            "compare", usage_line,
            "unknown metric '%s' in threshold (throughput, latency, latency_p50, "
            "latency_p99, service, service_p50, service_p99, wall)",
            name);
    if (parse_fraction(eq + 1, 0.0, 1000.0, 100.0, &t) < 0)
        return pb_cli_bad_usage("compare", usage_line,
                                "bad threshold '%s' (a percentage, 0 to 1000)", eq + 1);
    for (int m = 0; m < PB_METRIC_COUNT; m++)
        if (set[m])
            o->threshold[m] = t;
    return 0;
}

/* A comma-separated list of metrics (and "latency", "service") into set. */
static int parse_metric_list(const char *list, int *set)
{
    char buf[256], *save = NULL;
    int one[PB_METRIC_COUNT], any = 0;

    if (strlen(list) >= sizeof(buf))
        return pb_cli_bad_usage("compare", usage_line, "metric list too long");
    strcpy(buf, list);
    memset(set, 0, PB_METRIC_COUNT * sizeof(*set));
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (metric_set(tok, one) < 0)
            return pb_cli_bad_usage("compare", usage_line, "unknown metric '%s'", tok);
        for (int m = 0; m < PB_METRIC_COUNT; m++)
            set[m] |= one[m];
        any = 1;
    }
    if (!any)
        return pb_cli_bad_usage("compare", usage_line, "empty metric list");
    return 0;
}

static int parse_gate(const char *list, struct pb_compare_opts *o)
{
    int set[PB_METRIC_COUNT];

    if (strcmp(list, "auto") == 0) {
        o->gate_auto = 1;
        return 0;
    }
    if (parse_metric_list(list, set) != 0)
        return PB_EXIT_USAGE;
    o->gate_auto = 0;
    memcpy(o->gate, set, sizeof(set));
    return 0;
}

static int parse_looks(const char *list, struct pb_compare_opts *o)
{
    const char *s = list;

    o->nlooks = 0;
    while (*s) {
        char *end;
        unsigned long v;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (end == s || errno || v == 0 || v > 1000000 || (*end && *end != ',') ||
            (*end == ',' && end[1] == '\0') || (o->nlooks && v <= o->looks[o->nlooks - 1]))
            return pb_cli_bad_usage("compare", usage_line,
                                    "bad looks '%s' (increasing pair counts, comma-separated)",
                                    list);
        if (o->nlooks == PB_COMPARE_MAX_LOOKS)
            return pb_cli_bad_usage("compare", usage_line, "more than %d looks in '%s'",
                                    PB_COMPARE_MAX_LOOKS, list);
        o->looks[o->nlooks++] = (unsigned)v;
        s = *end ? end + 1 : end;
    }
    if (!o->nlooks)
        return pb_cli_bad_usage("compare", usage_line, "empty looks list");
    return 0;
}

/* The first tab-separated field of each line that is not blank or a comment. */
static int load_noisy(const char *path, struct pb_compare_opts *o)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    int rc = 0;

    if (!f) {
        fprintf(stderr, "parbench compare: --noisy %s: %s\n", path, strerror(errno));
        return PB_EXIT_USAGE;
    }
    while (rc == 0 && getline(&line, &cap, f) >= 0) {
        line[strcspn(line, "\t\r\n")] = '\0';
        if (line[0] && line[0] != '#')
            rc = pb_strlist_add(&o->noisy, "%s", line);
    }
    if (rc == 0 && ferror(f)) {
        fprintf(stderr, "parbench compare: --noisy %s: %s\n", path, strerror(errno));
        rc = PB_EXIT_USAGE;
    } else if (rc < 0) {
        fprintf(stderr, "parbench compare: --noisy %s: %s\n", path, strerror(-rc));
        rc = PB_EXIT_ENV;
    }
    free(line);
    fclose(f);
    return rc;
}

/* JUnit through the atomic writer: a reader never sees half a file. */
static int write_junit(const struct pb_compare *c, const char *path)
{
    struct pb_out o;
    struct pb_err err = {{0}};
    int rc = pb_out_open(&o, path, &err);

    if (rc == 0) {
        if (pb_compare_print_junit(c, o.f) < 0)
            o.error = o.error ? o.error : EIO;
        rc = pb_out_commit(&o, &err);
    }
    if (rc < 0)
        fprintf(stderr, "parbench compare: --junit: %s\n", err.msg);
    return rc;
}

/* A step summary is appended to: earlier steps wrote theirs. */
static int append_summary(const struct pb_compare *c, const char *path)
{
    FILE *f = fopen(path, "a");
    int rc;

    if (!f) {
        fprintf(stderr, "parbench compare: --summary %s: %s\n", path, strerror(errno));
        return -errno;
    }
    rc = pb_compare_print_md(c, f);
    if (fclose(f) != 0 && rc == 0)
        rc = -errno;
    if (rc < 0)
        fprintf(stderr, "parbench compare: --summary %s: %s\n", path, strerror(-rc));
    return rc;
}

static int print_json(const struct pb_compare *c)
{
    json_t *o = NULL;
    int rc = pb_compare_to_json(c, &o);

    if (rc < 0)
        return rc;
    if (json_dumpf(o, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) < 0 ||
        fputc('\n', stdout) == EOF)
        rc = -EIO;
    json_decref(o);
    return rc;
}

/* One option of compare's: 1 when it was one (rc set: 0, or an exit code), 0 when not. */
static int take_option(int argc, char **argv, int *i, struct pb_compare_opts *o,
                       struct compare_args *args, int *rc)
{
    const char *a = argv[*i], *val = NULL;
    int m;

    *rc = 0;
    if (strcmp(a, "--json") == 0) {
        args->json = 1;
    } else if (strcmp(a, "--allow-disjoint") == 0) {
        args->allow_disjoint = 1;
    } else if (strcmp(a, "--paired") == 0) {
        o->pairing = PB_PAIRING_PAIRED;
    } else if (strcmp(a, "--unpaired") == 0) {
        o->pairing = PB_PAIRING_UNPAIRED;
    } else if ((m = pb_cli_option_value(argc, argv, i, "--alpha", &val)) != 0 ||
               (m = pb_cli_option_value(argc, argv, i, "--threshold", &val)) != 0 ||
               (m = pb_cli_option_value(argc, argv, i, "--metric", &val)) != 0 ||
               (m = pb_cli_option_value(argc, argv, i, "--gate", &val)) != 0 ||
               (m = pb_cli_option_value(argc, argv, i, "--looks", &val)) != 0 ||
               (m = pb_cli_option_value(argc, argv, i, "--noisy", &val)) != 0 ||
               (m = pb_cli_option_value(argc, argv, i, "--format", &val)) != 0 ||
               (m = pb_cli_option_value(argc, argv, i, "--junit", &val)) != 0 ||
               (m = pb_cli_option_value(argc, argv, i, "--summary", &val)) != 0) {
        char name[16];
        snprintf(name, sizeof(name), "%.*s", (int)strcspn(a, "="), a);
        if (m < 0)
            *rc = pb_cli_bad_usage("compare", usage_line, "option '%s' needs a value", name);
        else if (strcmp(name, "--alpha") == 0 &&
                 parse_fraction(val, 1e-12, 0.5, 1.0, &o->alpha) < 0)
            *rc =
                pb_cli_bad_usage("compare", usage_line, "bad alpha '%s' (between 0 and 0.5)", val);
        else if (strcmp(name, "--threshold") == 0)
            *rc = parse_threshold(val, o);
        else if (strcmp(name, "--metric") == 0)
            *rc = parse_metric_list(val, o->metrics);
        else if (strcmp(name, "--gate") == 0)
            *rc = parse_gate(val, o);
        else if (strcmp(name, "--looks") == 0)
            *rc = parse_looks(val, o);
        else if (strcmp(name, "--noisy") == 0)
            *rc = load_noisy(val, o);
        else if (strcmp(name, "--junit") == 0)
            args->junit = val;
        else if (strcmp(name, "--summary") == 0)
            args->summary = val;
        else if (strcmp(name, "--format") == 0 && strcmp(val, "text") != 0 &&
                 strcmp(val, "md") != 0)
            *rc = pb_cli_bad_usage("compare", usage_line, "unknown format '%s' (text or md)", val);
        else if (strcmp(name, "--format") == 0)
            args->format = val;
    } else {
        return 0;
    }
    return 1;
}

static int print_result(const struct pb_compare *c, const struct compare_args *args)
{
    int m;

    if (args->json)
        m = print_json(c);
    else if (strcmp(args->format, "md") == 0)
        m = pb_compare_print_md(c, stdout);
    else
        m = pb_compare_print_text(c, stdout);
    if (m == 0 && fflush(stdout) != 0)
        m = -EIO;
    if (m < 0) {
        fprintf(stderr, "parbench compare: writing the output: %s\n", strerror(-m));
        return PB_EXIT_ENV;
    }
    if (args->junit && write_junit(c, args->junit) < 0)
        return PB_EXIT_ENV;
    if (args->summary && append_summary(c, args->summary) < 0)
        return PB_EXIT_ENV;
    return PB_EXIT_OK;
}

int pb_cmd_compare(int argc, char **argv)
{
    struct pb_compare_opts opts;
    struct compare_args args = {.format = "text"};
    const char *paths[2] = {NULL, NULL};
    int npaths = 0, rc = PB_EXIT_OK, only_args = 0;
    struct pb_doc docs[2] = {{0}, {0}};
    struct pb_compare *c = NULL;
    struct pb_err err = {{0}};

    pb_compare_opts_init(&opts);
    for (int i = 1; i < argc && rc == PB_EXIT_OK; i++) {
        const char *a = argv[i];
        if (only_args || a[0] != '-' || strcmp(a, "-") == 0) {
            if (npaths == 2)
                rc = pb_cli_bad_usage("compare", usage_line, "unexpected argument '%s'", a);
            else
                paths[npaths++] = a;
        } else if (strcmp(a, "--") == 0) {
            only_args = 1;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            goto out;
        } else if (!take_option(argc, argv, &i, &opts, &args, &rc)) {
            rc = pb_cli_bad_usage("compare", usage_line, "unknown option '%s'", a);
        }
    }
    if (rc != PB_EXIT_OK)
        goto out;
    rc = PB_EXIT_USAGE;
    if (npaths != 2) {
        rc = pb_cli_bad_usage("compare", usage_line, "needs two result documents, BASE and NEW");
        goto out;
    }
    if (strcmp(paths[0], "-") == 0 && strcmp(paths[1], "-") == 0) {
        rc = pb_cli_bad_usage("compare", usage_line,
                              "only one of BASE and NEW can be standard input");
        goto out;
    }
    for (int k = 0; k < 2; k++) {
        if (pb_doc_load(&docs[k], paths[k], &err) < 0) {
            fprintf(stderr, "parbench compare: %s\n", err.msg);
            goto out;
        }
    }
    if ((rc = pb_compare_run(&docs[0], &docs[1], &opts, &c, &err)) < 0) {
        fprintf(stderr, "parbench compare: %s\n", err.msg);
        rc = rc == -EINVAL ? PB_EXIT_USAGE : PB_EXIT_ENV;
        goto out;
    }
    rc = PB_EXIT_USAGE;
    if (c->matched == 0 && !args.allow_disjoint) {
        fprintf(stderr,
                "parbench compare: %s and %s have no case in common (%zu and %zu cases): "
                "nothing to compare (--allow-disjoint accepts that)\n",
                docs[0].path, docs[1].path, docs[0].ncases, docs[1].ncases);
        goto out;
    }
    rc = print_result(c, &args);
    if (rc == PB_EXIT_OK && pb_compare_has_regression(c))
        rc = PB_EXIT_FAILED;
out:
    pb_compare_destroy(c);
    pb_doc_destroy(&docs[0]);
    pb_doc_destroy(&docs[1]);
    pb_compare_opts_free(&opts);
    return rc;
}
