/* The `parbench merge` subcommand: several result documents of one plan into one. */
#ifndef PB_CMD_MERGE_H
#define PB_CMD_MERGE_H

/* argv[0] is "merge". Returns the exit code: 0, 2 for bad usage or input (one line naming the
 * file and the problem), 3 when the output cannot be written. */
int pb_cmd_merge(int argc, char **argv);

#endif
