/* The `parbench compare` subcommand: two result documents, statistics and a verdict. */
#ifndef PB_CMD_COMPARE_H
#define PB_CMD_COMPARE_H

/* argv[0] is "compare". Returns the exit code: 0 no regression, 1 at least one regression, 2 bad
 * usage or input (one line on stderr naming the file and the problem). */
int pb_cmd_compare(int argc, char **argv);

#endif
