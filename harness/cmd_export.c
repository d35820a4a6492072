/* `parbench export --format gbench|github|bmf|csv|tsv|tsv-spectrum|ranking [-o FILE|PREFIX]
 * RESULT`: a result document in the format another tool reads. */
#include "harness/cmd_export.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "harness/doc_read.h"
#include "harness/cli.h"
#include "harness/error.h"
#include "harness/export.h"

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

/* Where one output goes: standard output, or a temporary file renamed over path at the end so
 * that a reader never sees half of it. */
struct sink {
    const char *path; /* NULL: stdout */
    char tmp[4096];
    FILE *f;
};

static int sink_open(struct sink *s, const char *path)
{
    s->path = path;
    s->f = stdout;
    if (!path)
        return 0;
    snprintf(s->tmp, sizeof(s->tmp), "%s.tmp.%ld", path, (long)getpid());
    s->f = fopen(s->tmp, "w");
    if (!s->f) {
        fprintf(stderr, "parbench export: %s: cannot create: %s\n", path, strerror(errno));
        return PB_EXIT_USAGE;
    }
    return 0;
}

/* Finishes the output; failed says whether writing it went wrong already. */
static int sink_close(struct sink *s, int failed)
{
    const char *name = s->path ? s->path : "standard output";
    int err = failed || ferror(s->f);

    if (!s->path) {
        err |= fflush(stdout) != 0;
    } else {
        err |= fclose(s->f) != 0;
        if (!err && rename(s->tmp, s->path) != 0)
            err = 1;
        if (err)
            unlink(s->tmp);
    }
    s->f = NULL;
    if (err) {
        fprintf(stderr, "parbench export: %s: write failed: %s\n", name,
                strerror(errno ? errno : EIO));
        return PB_EXIT_ENV;
    }
    return 0;
}

static int dump_json(json_t *o, const char *path)
{
    struct sink s;
    int rc = sink_open(&s, path);

    if (rc)
        return rc;
    errno = 0;
    rc = json_dumpf(o, s.f, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) < 0 || fputc('\n', s.f) < 0;
    return sink_close(&s, rc);
}

static int export_github(const struct pb_doc *d, const char *prefix)
{
    json_t *bigger = NULL, *smaller = NULL, *both = NULL;
    char path[4096];
    int rc = PB_EXIT_ENV;

    if (pb_export_github(d, 1, &bigger) < 0 || pb_export_github(d, 0, &smaller) < 0)
        goto out;
    if (prefix) {
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
    rc = dump_json(both, NULL);
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
    struct sink s;
    int rc = sink_open(&s, path);

    if (rc)
        return rc;
    errno = 0;
    if (f == PB_EXPORT_TSV_SPECTRUM)
        rc = pb_export_spectrum(d, s.f);
    else if (f == PB_EXPORT_RANKING)
        rc = pb_export_ranking(d, s.f);
    else
        rc = pb_export_table(d, f == PB_EXPORT_CSV ? ',' : '\t', s.f);
    return sink_close(&s, rc < 0);
}

int pb_cmd_export(int argc, char **argv)
{
    const char *format = NULL, *out = NULL, *input = NULL, *val = NULL;
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
    if (out && strcmp(out, "-") == 0)
        out = NULL;

    if (pb_doc_load(d, input, &err) < 0) {
        fprintf(stderr, "parbench export: %s\n", err.msg);
        return PB_EXIT_USAGE;
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
