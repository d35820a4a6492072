/* The parbench command: one subcommand per job, each returning its exit code. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "build_info.h"
#include "harness/cmd_compare.h"
#include "harness/cmd_export.h"
#include "harness/cmd_list.h"
#include "harness/cmd_merge.h"
#include "harness/cmd_run.h"
#include "harness/cmd_serve.h"
#include "harness/cmd_topo.h"
#include "harness/cmd_trend.h"
#include "harness/error.h"
#include "harness/stop.h"

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
    int stops; /* takes SIGINT and SIGTERM as a stop (harness/stop.h), not as the end */
};

static const struct command commands[] = {
    {"run", pb_cmd_run, "run runners x workloads and write a result document", 1},
    {"list", pb_cmd_list, "runners and workloads with their parameters", 0},
    {"topo", pb_cmd_topo, "the detected topology and the pin plan", 0},
    {"serve", pb_cmd_serve, "the embedded HTTP target (127.0.0.1)", 0},
    {"compare", pb_cmd_compare, "BASE NEW: statistics and a verdict; exit 1 on a regression", 0},
    {"trend", pb_cmd_trend, "DOC...: where each metric shifted over a history of documents", 0},
    {"export", pb_cmd_export, "a result document as gbench, github, bmf, csv, tsv or a ranking", 0},
    {"merge", pb_cmd_merge, "[-o OUT] IN...: the repetitions of several runs as one document", 0},
};

static void usage(FILE *out)
{
    fprintf(out,
            "parbench %s (%s): which concurrency model wins, by how much\n\n"
            "usage: parbench COMMAND [options]\n\n",
            PB_VERSION, PB_GIT_COMMIT);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].help);
    fputs("\nexit codes: 0 ok; 1 tasks failed beyond --max-errors, or a regression; 2 bad usage "
          "or input;\n            3 the environment refused; 130 interrupted (partial results "
          "written)\n",
          out);
}

/* Many simultaneous connections need many descriptors: take all the hard limit allows. */
static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? PB_EXIT_USAGE : PB_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("parbench %s (%s, %s)\n", PB_VERSION, PB_GIT_COMMIT, PB_BUILD_TYPE);
        return PB_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name))
            continue;
        /* First of all: from now on a SIGINT or SIGTERM is a stop that ends in a document. */
        if (commands[i].stops && pb_stop_setup() < 0) {
            fprintf(stderr, "parbench: cannot map the stop channel\n");
            return PB_EXIT_ENV;
        }
        raise_nofile();
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
            fprintf(stderr, "parbench: cannot initialise libcurl\n");
            return PB_EXIT_ENV;
        }
        int code = commands[i].fn(argc - 1, argv + 1);
        curl_global_cleanup();
        return code;
    }
    fprintf(stderr, "parbench: unknown command '%s' (parbench --help lists them)\n", argv[1]);
    return PB_EXIT_USAGE;
}
