/* One-line error messages carried from where a problem is found to main, which prints them. */
#ifndef PB_ERROR_H
#define PB_ERROR_H

#include <stddef.h>

/* Exit codes of the parbench command (see README.md). */
enum pb_exit {
    PB_EXIT_OK = 0,
    PB_EXIT_FAILED = 1, /* tasks failed beyond what was allowed, or a regression */
    PB_EXIT_USAGE = 2,  /* bad usage or input */
    PB_EXIT_ENV = 3,    /* the environment refused */
    PB_EXIT_INTERRUPTED = 130,
};

struct pb_err {
    char msg[512];
};

/* Formats the message into err (when err is not NULL) and returns code, so that a failing
 * function can `return pb_err_set(err, -EINVAL, "...", ...)`. */
int pb_err_set(struct pb_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
