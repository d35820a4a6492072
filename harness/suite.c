/* Suite files (placeholder until the suite loader lands). */
#include "harness/suite.h"

#include <errno.h>

int pb_suite_load(const char *path, struct pb_plan *plan, struct pb_err *err)
{
    return pb_err_set(err, -ENOSYS, "%s: suites are not supported yet", path);
}
