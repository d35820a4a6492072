/* The py runners' side of the harness: which interpreter they use and whether it can run them.
 * The runners themselves are runners/python.c; the Python side and the protocol between the two
 * are python/parbench_py and python/PROTOCOL.md. */
#ifndef PB_PYTHON_H
#define PB_PYTHON_H

#include "harness/error.h"

#define PB_PY_RUNNERS "py.serial, py.threads, py.processes, py.asyncio, py.semaphore, py.queue"

/* The interpreter (--python, PARBENCH_PYTHON; default /usr/bin/python3) and the loop of the
 * asyncio runners (--py-loop, PARBENCH_PY_LOOP: asyncio or uvloop). Set in the environment, so
 * that what parbench starts (an --isolate child) uses the same. -EINVAL for an unknown loop. */
int pb_python_configure(const char *python, const char *loop, struct pb_err *err);

/* 0 when the interpreter runs parbench_py; else -errno with err saying why (asked once, then
 * remembered). */
int pb_python_available(struct pb_err *err);
/* Whether the py runners can run this workload (0 too when the interpreter cannot run them). */
int pb_python_has_form(const char *workload);

#endif
