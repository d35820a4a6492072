/* The `parbench export` subcommand: a result document in another tool's format. */
#ifndef PB_CMD_EXPORT_H
#define PB_CMD_EXPORT_H

/* argv[0] is "export". Returns the exit code: 0, 2 for bad usage or input (one line naming the
 * file and the problem), 3 when the output cannot be written. */
int pb_cmd_export(int argc, char **argv);

#endif
