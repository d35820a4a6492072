/* One-line error messages carried from where a problem is found to main. */
#include "harness/error.h"

#include <stdarg.h>
#include <stdio.h>

int pb_err_set(struct pb_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return code;
}
