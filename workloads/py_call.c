/* py.call: the user's own Python function as the task, -p target=module:function (-p path=DIR
 * joins sys.path). It has no C form: only the py runners run it, each in its own idiom (a plain
 * function in the serial, threads and processes runners; an async def awaited on the loops, where
 * a plain function runs inline and blocks the loop unless -p to_thread=1). python/parbench_py
 * holds the form that runs; here are its parameters, so that the plan checks them. */
#include <errno.h>

#include "parbench/parbench.h"

static const struct pb_param_def call_params[] = {
    {"target", PB_PARAM_STRING, "", 0, -1, "module:function to call for each task"},
    {"path", PB_PARAM_STRING, "", 0, -1, "a directory put first on sys.path (\"\": none)"},
    {"expect", PB_PARAM_STRING, "", 0, -1,
     "str() of the value every call must return (\"\": not checked)"},
    {"to_thread", PB_PARAM_BOOL, "0", 0, -1,
     "loops: a plain function goes through asyncio.to_thread instead of blocking the loop"},
};

static int call_preflight(const struct pb_workload_env *env, struct pb_err *err)
{
    const char *target = pb_param_str(env->params, "target");
    const char *colon = target;
    while (*colon && *colon != ':')
        colon++;
    if (!*target || *colon != ':' || colon == target || !colon[1])
        return pb_err_set(err, -EINVAL, "py.call: -p target=module:function is needed (got '%s')",
                          target);
    return 0;
}

/* Never called: the plan refuses py.call under a runner of this program. */
static enum pb_status call_run(void *wstate, uint64_t index, uint64_t *bytes)
{
    return PB_FAIL_OTHER;
}

const struct pb_workload_ops pb_workload_py_call = {
    .name = "py.call",
    .description = "your Python function (-p target=module:function): py runners only",
    .flags = PB_WL_FOREIGN,
    .params = call_params,
    .nparams = sizeof(call_params) / sizeof(call_params[0]),
    .preflight = call_preflight,
    .run = call_run,
};
