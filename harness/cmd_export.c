/* `parbench export --format gbench|github|bmf|csv|tsv|tsv-spectrum|ranking [-o FILE|PREFIX]
 * RESULT`: a result document in the format another tool reads. */
#include "harness/cmd_export.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "harness/doc_read.h"
#include "harness/cli.h"
#include "harness/error.h"
#include "harness/export.h"
#include "harness/outfile.h"

static const char usage_line[] =
    "usage: parbench export --format gbench|github|bmf|csv|tsv|tsv-spectrum|ranking "
    "[-o FILE|PREFIX] RESULT";

static void usage(FILE *out)
{
    fprintf(
        out,
        "%s\n"
        "Writes a result document in the format another tool reads (RESULT '-': stdin).\n"
        "  gbench        Google Benchmark JSON; tools/compare.py reads it. real_time is a\n"
        "                task's p50 latency, cpu_time its CPU time, one row per repetition\n"
        "                plus mean/median/stddev/cv aggregates\n"
        "  github        github-action-benchmark custom format. With -o PREFIX: "
        "PREFIX-bigger.json\n"
        "                (customBiggerIsBetter: throughput) and PREFIX-smaller.json\n"
        "                (customSmallerIsBetter: latency and service p50/p99). Without -o: one\n"
        "                object {\"customBiggerIsBetter\": [...], \"customSmallerIsBetter\": "
        "[...]}\n"
        "  bmf           Bencher Metric Format\n"
        "  csv, tsv      one row per case x metric, with a header row: the summary's numbers,\n"
        "                then the same as text (median_text, ci_text, cv_text, speedup_text,\n"
        "                efficiency_text); text a spreadsheet would run as a formula starts\n"
        "                with a single quote\n"
        "  tsv-spectrum  the latency percentile spectrum of every case, one row per point\n"
        "  ranking       tab-separated, one row per group of comparable cases (workload,\n"
        "                parameters, load and pin): the runners ranked by their best median\n"
        "                throughput, the winner and the runner-up with their cases, the ratio,\n"
        "                tie (1 when their median CIs overlap), the winner against serial,\n"
        "                and the lowest p99 latency of the runners other than serial\n"
        "  -o FILE       write FILE (atomically) instead of standard output\n",
        usage_line);
}

/* Writes o as JSON to path ("-": stdout); the exit code. */
static int dump_json(json_t *o, const char *path)
{
    struct pb_err err = {{0}};
    if (pb_out_write_json(path, o, JSON_INDENT(2) | JSON_REAL_PRECISION(15), &err) < 0) {
        fprintf(stderr, "parbench export: %s\n", err.msg);
        return PB_EXIT_ENV;
    }
    return 0;
}

static int export_github(const struct pb_doc *d, const char *prefix)
{
    json_t *bigger = NULL, *smaller = NULL, *both = NULL;
    char path[PATH_MAX];
    int rc = PB_EXIT_ENV;

    if (pb_export_github(d, 1, &bigger) < 0 || pb_export_github(d, 0, &smaller) < 0)
        goto out;
    if (strcmp(prefix, "-") != 0) {
        snprintf(path, sizeof(path), "%s-bigger.json", prefix);
        rc = dump_json(bigger, path);
        if (rc == 0) {
            snprintf(path, sizeof(path), "%s-smaller.json", prefix);
            rc = dump_json(smaller, path);
        }
        goto out;
    }
    both = json_object();
    if (!both || json_object_set(both, "customBiggerIsBetter", bigger) ||
        json_object_set(both, "customSmallerIsBetter", smaller))
        goto out;
    rc = dump_json(both, "-");
out:
    if (rc == PB_EXIT_ENV && !bigger)
        fputs("parbench export: out of memory\n", stderr);
    json_decref(bigger);
    json_decref(smaller);
    json_decref(both);
    return rc;
}

static int export_text(const struct pb_doc *d, enum pb_export_format f, const char *path)
{
    struct pb_out out;
    struct pb_err err = {{0}};
    int rc = pb_out_open(&out, path, &err);

    if (rc < 0) {
        fprintf(stderr, "parbench export: %s\n", err.msg);
        return PB_EXIT_ENV;
    }
    if (f == PB_EXPORT_TSV_SPECTRUM)
        rc = pb_export_spectrum(d, out.f);
    else if (f == PB_EXPORT_RANKING)
        rc = pb_export_ranking(d, out.f);
    else
        rc = pb_export_table(d, f == PB_EXPORT_CSV ? ',' : '\t', out.f);
    if (rc < 0 && !out.error) { /* not a write that failed: the table itself */
        pb_out_abort(&out);
        fprintf(stderr, "parbench export: %s\n", strerror(-rc));
        return PB_EXIT_ENV;
    }
    if (pb_out_commit(&out, &err) < 0) {
        fprintf(stderr, "parbench export: %s\n", err.msg);
        return PB_EXIT_ENV;
    }
    return 0;
}

/* Every file the export will write can be written: checked before any of them is. */
static int check_outputs(enum pb_export_format f, const char *out)
{
    struct pb_err err = {{0}};
    char bigger[PATH_MAX], smaller[PATH_MAX];
    int rc;

    if (f == PB_EXPORT_GITHUB && strcmp(out, "-") != 0) {
        snprintf(bigger, sizeof(bigger), "%s-bigger.json", out);
        snprintf(smaller, sizeof(smaller), "%s-smaller.json", out);
        if ((rc = pb_out_check(bigger, 0, &err)) == 0)
            rc = pb_out_check(smaller, 0, &err);
    } else {
        rc = pb_out_check(out, 0, &err);
    }
    if (rc == 0)
        return 0;
    fprintf(stderr, "parbench export: %s\n", err.msg);
    return pb_out_exit_code(rc);
}

int pb_cmd_export(int argc, char **argv)
{
    const char *format = NULL, *out = "-", *input = NULL, *val = NULL;
    enum pb_export_format f;
    struct pb_doc doc = {0}, *d = &doc;
    struct pb_err err = {{0}};
    json_t *o = NULL;
    int m, rc;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || strcmp(a, "-") == 0) {
            if (input)
                return pb_cli_bad_usage("export", usage_line,
                                        "unexpected argument '%s' (one RESULT at a time)", a);
            input = a;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return PB_EXIT_OK;
        } else if ((m = pb_cli_option_value(argc, argv, &i, "--format", &val)) != 0) {
            if (m < 0)
                return pb_cli_bad_usage("export", usage_line, "option '%s' needs a format", a);
            format = val;
        } else if ((m = pb_cli_option_value(argc, argv, &i, "-o", &val)) != 0) {
            if (m < 0 || !*val)
                return pb_cli_bad_usage("export", usage_line, "option '%s' needs a file", a);
            out = val;
        } else {
            return pb_cli_bad_usage("export", usage_line, "unknown option '%s'", a);
        }
    }
    if (!format)
        return pb_cli_bad_usage("export", usage_line, "needs --format");
    if (pb_export_format_parse(format, &f) < 0)
        return pb_cli_bad_usage("export", usage_line, "unknown format '%s'", format);
    if (!input)
        return pb_cli_bad_usage("export", usage_line, "needs a result document");

    if (pb_doc_load(d, input, &err) < 0) {
        fprintf(stderr, "parbench export: %s\n", err.msg);
        return PB_EXIT_USAGE;
    }
    if ((rc = check_outputs(f, out)) != 0) {
        pb_doc_destroy(d);
        return rc;
    }
    switch (f) {
    case PB_EXPORT_GBENCH:
    case PB_EXPORT_BMF:
        rc = f == PB_EXPORT_GBENCH ? pb_export_gbench(d, &o) : pb_export_bmf(d, &o);
        if (rc < 0) {
            fprintf(stderr, "parbench export: %s\n", strerror(-rc));
            rc = PB_EXIT_ENV;
            break;
        }
        rc = dump_json(o, out);
        break;
    case PB_EXPORT_GITHUB:
        rc = export_github(d, out);
        break;
    default:
        rc = export_text(d, f, out);
        break;
    }
    json_decref(o);
    pb_doc_destroy(d);
    return rc;
}
