/* `parbench compare [--alpha A] [--threshold [METRIC=]PCT]... [--metric LIST] [--format text|md]
 * [--json] [--allow-disjoint] BASE NEW`: which cases got faster or slower, with a sound test
 * behind each verdict. */
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

static const char usage_line[] =
    "usage: parbench compare [--alpha A] [--threshold [METRIC=]PCT]... [--metric LIST] "
    "[--format text|md] [--json] [--allow-disjoint] BASE NEW";

static void usage(FILE *out)
{
    fprintf(out,
            "%s\n"
            "Compares two result documents case by case. For each case in both and each metric\n"
            "(throughput, latency_p50, latency_p99, service_p50, service_p99): a two-sided\n"
            "Mann-Whitney U test of the repetitions, the Hodges-Lehmann ratio new/base with its\n"
            "confidence interval, Holm-Bonferroni across all comparisons, and a verdict:\n"
            "REGRESSION when p < alpha and the whole interval is worse than the threshold,\n"
            "IMPROVEMENT the mirror image, '~' otherwise, or 'too few samples (need N)'.\n"
            "  --alpha A            family-wise significance level (default 0.01); the interval\n"
            "                       is at 1 - A\n"
            "  --threshold PCT      smallest change that counts, in percent (default 5)\n"
            "  --threshold M=PCT    the same for one metric (latency and service name both\n"
            "                       percentiles); repeatable\n"
            "  --metric LIST        metrics to compare, comma-separated (wall can be added)\n"
            "  --format text|md     aligned table (default) or Markdown for pull requests and\n"
            "                       $GITHUB_STEP_SUMMARY\n"
            "  --json               one JSON object with the same content\n"
            "  --allow-disjoint     accept documents without a case in common (nothing is\n"
            "                       compared); otherwise that is an error, so that a gate\n"
            "                       never passes having compared nothing\n"
            "BASE or NEW may be '-' for standard input.\n"
            "Exit: 0 no regression, 1 a regression, 2 bad usage or input (no case in common\n"
            "included).\n",
            usage_line);
}

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

static int parse_metrics(const char *list, struct pb_compare_opts *o)
{
    char buf[256], *save = NULL;
    int set[PB_METRIC_COUNT], any = 0;

    if (strlen(list) >= sizeof(buf))
        return pb_cli_bad_usage("compare", usage_line, "metric list too long");
    strcpy(buf, list);
    memset(o->metrics, 0, sizeof(o->metrics));
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (metric_set(tok, set) < 0)
            return pb_cli_bad_usage("compare", usage_line, "unknown metric '%s'", tok);
        for (int m = 0; m < PB_METRIC_COUNT; m++)
            o->metrics[m] |= set[m];
        any = 1;
    }
    if (!any)
        return pb_cli_bad_usage("compare", usage_line, "empty metric list");
    return 0;
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

int pb_cmd_compare(int argc, char **argv)
{
    struct pb_compare_opts opts;
    const char *paths[2] = {NULL, NULL}, *val = NULL, *format = "text";
    int npaths = 0, json = 0, m, rc, only_args = 0, allow_disjoint = 0;
    struct pb_doc docs[2] = {{0}, {0}};
    struct pb_compare *c = NULL;
    struct pb_err err = {{0}};

    pb_compare_opts_init(&opts);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_args || a[0] != '-' || strcmp(a, "-") == 0) {
            if (npaths == 2)
                return pb_cli_bad_usage("compare", usage_line, "unexpected argument '%s'", a);
            paths[npaths++] = a;
        } else if (strcmp(a, "--") == 0) {
            only_args = 1;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (strcmp(a, "--allow-disjoint") == 0) {
            allow_disjoint = 1;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return PB_EXIT_OK;
        } else if ((m = pb_cli_option_value(argc, argv, &i, "--alpha", &val)) != 0) {
            if (m < 0)
                return pb_cli_bad_usage("compare", usage_line, "option '%s' needs a value", a);
            if (parse_fraction(val, 1e-12, 0.5, 1.0, &opts.alpha) < 0)
                return pb_cli_bad_usage("compare", usage_line, "bad alpha '%s' (between 0 and 0.5)",
                                        val);
        } else if ((m = pb_cli_option_value(argc, argv, &i, "--threshold", &val)) != 0) {
            if (m < 0)
                return pb_cli_bad_usage("compare", usage_line, "option '%s' needs a value", a);
            if ((rc = parse_threshold(val, &opts)) != 0)
                return rc;
        } else if ((m = pb_cli_option_value(argc, argv, &i, "--metric", &val)) != 0) {
            if (m < 0)
                return pb_cli_bad_usage("compare", usage_line, "option '%s' needs a value", a);
            if ((rc = parse_metrics(val, &opts)) != 0)
                return rc;
        } else if ((m = pb_cli_option_value(argc, argv, &i, "--format", &val)) != 0) {
            if (m < 0)
                return pb_cli_bad_usage("compare", usage_line, "option '%s' needs a value", a);
            if (strcmp(val, "text") != 0 && strcmp(val, "md") != 0)
                return pb_cli_bad_usage("compare", usage_line, "unknown format '%s' (text or md)",
                                        val);
            format = val;
        } else {
            return pb_cli_bad_usage("compare", usage_line, "unknown option '%s'", a);
        }
    }
    if (npaths != 2)
        return pb_cli_bad_usage("compare", usage_line, "needs two result documents, BASE and NEW");
    if (strcmp(paths[0], "-") == 0 && strcmp(paths[1], "-") == 0)
        return pb_cli_bad_usage("compare", usage_line,
                                "only one of BASE and NEW can be standard input");

    rc = PB_EXIT_USAGE;
    for (int k = 0; k < 2; k++) {
        if (pb_doc_load(&docs[k], paths[k], &err) < 0) {
            fprintf(stderr, "parbench compare: %s\n", err.msg);
            goto out;
        }
    }
    if (pb_compare_run(&docs[0], &docs[1], &opts, &c, &err) < 0) {
        fprintf(stderr, "parbench compare: %s\n", err.msg);
        rc = PB_EXIT_ENV;
        goto out;
    }
    if (c->matched == 0 && !allow_disjoint) {
        fprintf(stderr,
                "parbench compare: %s and %s have no case in common (%zu and %zu cases): "
                "nothing to compare (--allow-disjoint accepts that)\n",
                docs[0].path, docs[1].path, docs[0].ncases, docs[1].ncases);
        goto out;
    }
    if (json)
        m = print_json(c);
    else if (strcmp(format, "md") == 0)
        m = pb_compare_print_md(c, stdout);
    else
        m = pb_compare_print_text(c, stdout);
    if (m == 0 && fflush(stdout) != 0)
        m = -EIO;
    if (m < 0) {
        fprintf(stderr, "parbench compare: writing the output: %s\n", strerror(-m));
        rc = PB_EXIT_ENV;
        goto out;
    }
    rc = pb_compare_has_regression(c) ? PB_EXIT_FAILED : PB_EXIT_OK;
out:
    pb_compare_destroy(c);
    pb_doc_destroy(&docs[0]);
    pb_doc_destroy(&docs[1]);
    return rc;
}
