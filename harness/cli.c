/* What the subcommands share in reading their command lines. */
#include "harness/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "harness/error.h"

int pb_cli_bad_usage(const char *cmd, const char *usage, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "parbench %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (%s)\n", usage);
    return PB_EXIT_USAGE;
}

int pb_cli_option_value(int argc, char **argv, int *i, const char *name, const char **val)
{
    const char *a = argv[*i];
    size_t len = strlen(name);
    if (strncmp(a, name, len) != 0)
        return 0;
    if (a[len] == '\0') {
        if (*i + 1 >= argc)
            return -1;
        *val = argv[++*i];
        return 1;
    }
    if (name[1] == '-' && a[len] == '=') {
        *val = a + len + 1;
        return 1;
    }
    if (name[1] != '-') {
        *val = a + len;
        return 1;
    }
    return 0;
}
