/* `parbench list`: every runner and workload with its parameters. */
#ifndef PB_CMD_LIST_H
#define PB_CMD_LIST_H

int pb_cmd_list(int argc, char **argv);

#endif
