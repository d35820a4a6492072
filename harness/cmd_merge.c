/* `parbench merge [-o OUT] [--union] IN...`: the result documents of several runs of one plan (the
 * interleaved rounds of scripts/ci-regress) as one document with every repetition. */
#include "harness/cmd_merge.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "harness/cli.h"
#include "harness/doc.h"
#include "harness/doc_read.h"
#include "harness/error.h"
#include "harness/merge.h"
#include "harness/outfile.h"

static const char usage_line[] = "usage: parbench merge [-o OUT] [--union] [--rounds] IN...";

static void usage(FILE *out)
{
    fprintf(out,
            "%s\n"
            "Merges result documents of the same plan into one: matching cases (same runner,\n"
            "workload, parameters, concurrency, load, pin and runner settings) get all\n"
            "repetitions, in the order of the inputs; summaries and speed-ups are recomputed\n"
            "from them. The latency spectrum becomes the per-percentile median of the inputs'\n"
            "spectra. Every complete input must have every case (an interrupted one may lack\n"
            "some): documents of different plans are refused.\n"
            "  -o OUT    write OUT (atomically) instead of standard output\n"
            "  --union   merge documents of different plans: each case with what the inputs\n"
            "            have of it\n"
            "  --rounds  each input is one round of a paired job (scripts/ci-regress): its\n"
            "            repetitions get the input's place, 1-based, as their round (an\n"
            "            interleaved run's own rounds included), so that compare pairs\n"
            "            them with the other side's round\n"
            "Exit: 0 merged, 2 bad usage or input (different plans included), 3 cannot write.\n",
            usage_line);
}

int pb_cmd_merge(int argc, char **argv)
{
    const char *out = "-";
    struct pb_doc *docs = NULL;
    size_t n = 0;
    json_t *merged = NULL;
    struct pb_err err = {{0}};
    int rc = PB_EXIT_USAGE, only_args = 0, stdin_used = 0, union_plans = 0, rounds = 0;

    docs = calloc((size_t)(argc > 1 ? argc : 1), sizeof(*docs));
    if (!docs) {
        fputs("parbench merge: out of memory\n", stderr);
        return PB_EXIT_ENV;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!only_args && strcmp(a, "--") == 0) {
            only_args = 1;
        } else if (!only_args && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
            usage(stdout);
            rc = PB_EXIT_OK;
            goto out;
        } else if (!only_args && strcmp(a, "--union") == 0) {
            union_plans = 1;
        } else if (!only_args && strcmp(a, "--rounds") == 0) {
            rounds = 1;
        } else if (!only_args && strcmp(a, "-o") == 0) {
            if (i + 1 >= argc || !*argv[i + 1]) {
                rc = pb_cli_bad_usage("merge", usage_line, "option '-o' needs a file");
                goto out;
            }
            out = argv[++i];
        } else if (!only_args && strncmp(a, "-o", 2) == 0) {
            out = a + 2;
        } else if (!only_args && a[0] == '-' && a[1] != '\0') {
            rc = pb_cli_bad_usage("merge", usage_line, "unknown option '%s'", a);
            goto out;
        } else {
            if (strcmp(a, "-") == 0 && stdin_used++) {
                rc = pb_cli_bad_usage("merge", usage_line, "standard input can be read once");
                goto out;
            }
            if (pb_doc_load(&docs[n], a, &err) < 0) {
                fprintf(stderr, "parbench merge: %s\n", err.msg);
                goto out;
            }
            n++;
        }
    }
    if (n == 0) {
        rc = pb_cli_bad_usage("merge", usage_line, "needs at least one result document");
        goto out;
    }
    int m = pb_out_check(out, 0, &err); /* before the work */
    if (m < 0) {
        fprintf(stderr, "parbench merge: %s\n", err.msg);
        rc = pb_out_exit_code(m);
        goto out;
    }
    for (size_t k = 0; rounds && k < n; k++)
        for (size_t c = 0; c < docs[k].ncases; c++)
            for (size_t r = 0; r < docs[k].cases[c].nreps; r++)
                docs[k].cases[c].reps[r].round = (unsigned)(k + 1);
    m = pb_merge_docs(docs, n, union_plans, &merged, &err);
    if (m < 0) {
        fprintf(stderr, "parbench merge: %s\n", err.msg);
        rc = m == -EINVAL ? PB_EXIT_USAGE : PB_EXIT_ENV;
        goto out;
    }
    if (pb_out_write_json(out, merged, PB_DOC_JSON_FLAGS, &err) < 0) {
        fprintf(stderr, "parbench merge: %s\n", err.msg);
        rc = PB_EXIT_ENV;
        goto out;
    }
    rc = PB_EXIT_OK;
out:
    for (size_t i = 0; i < n; i++)
        pb_doc_destroy(&docs[i]);
    free(docs);
    json_decref(merged);
    return rc;
}
