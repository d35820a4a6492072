/* The `parbench topo` subcommand: the detected topology and the pin plan. */
#ifndef PB_CMD_TOPO_H
#define PB_CMD_TOPO_H

/* argv[0] is "topo". Returns the exit code: 0, 2 for bad usage or input, 3 when this machine's
 * topology cannot be read. */
int pb_cmd_topo(int argc, char **argv);

#endif
