/* What the subcommands share in reading their command lines. */
#ifndef PB_CLI_H
#define PB_CLI_H

/* Prints "parbench CMD: MESSAGE (USAGE)" on stderr; returns PB_EXIT_USAGE. */
int pb_cli_bad_usage(const char *cmd, const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Matches argv[*i] against an option that takes a value, as "--name X", "--name=X", "-o X" or
 * "-oX". Returns 1 and sets *val on a match (advancing *i past a separate value), 0 when
 * argv[*i] is another option, -1 when the value is missing. */
int pb_cli_option_value(int argc, char **argv, int *i, const char *name, const char **val);

#endif
