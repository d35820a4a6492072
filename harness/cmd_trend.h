/* The `parbench trend` subcommand: where each metric shifted over a history of documents. */
#ifndef PB_CMD_TREND_H
#define PB_CMD_TREND_H

/* argv[0] is "trend". Returns the exit code: 0 done (a shift is information, not a failure),
 * 2 bad usage or input (one line on stderr naming the file and the problem), 3 output failed. */
int pb_cmd_trend(int argc, char **argv);

#endif
