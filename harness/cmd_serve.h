/* The `parbench serve` subcommand: the embedded HTTP/1.1 target as a process of its own. */
#ifndef PB_CMD_SERVE_H
#define PB_CMD_SERVE_H

/*
 * `parbench serve [--host 127.0.0.1] [--port 8080] [--pin CPU] [--header-timeout 10s]
 * [--idle-timeout 60s]`; argv[0] is "serve". What it answers is described in
 * fixtures/http_server.h. Once it listens it prints exactly one line, "port N", on stdout
 * (flushed), and nothing after it. Returns the exit code: 0 after SIGTERM or SIGINT, 2 on bad
 * usage (an unknown option, a host that is no IP address, a port, CPU or timeout out of range),
 * 3 when it cannot pin itself, bind or listen.
 */
int pb_cmd_serve(int argc, char **argv);

#endif
