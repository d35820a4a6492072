/* A bounded check that an HTTP server accepts connections, before any work is planned on it. */
#ifndef PB_HTTP_PROBE_H
#define PB_HTTP_PROBE_H

#include "harness/error.h"

/* 0 when a TCP connection to url's host and port opens within timeout_ms; -EHOSTUNREACH with
 * err naming the URL otherwise (-EINVAL for a URL libcurl rejects). */
int pb_http_probe(const char *url, long timeout_ms, struct pb_err *err);

#endif
