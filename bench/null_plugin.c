/* null.ext: workloads/null.c's task that does nothing, as a plug-in (without null's test-only
 * parameters), so that bench/plugin-cost can set what a task costs when its workload is external
 * (a call through a descriptor loaded with dlopen, into a PIC shared object) against the
 * built-in null. Built by bench/plugin-cost against include/:
 *
 *     cc -O2 -shared -fPIC -Iinclude bench/null_plugin.c -o null_plugin.so */
#include <parbench/parbench.h>

static enum pb_status null_ext_run(void *wstate, uint64_t index, uint64_t *bytes)
{
    (void)wstate;
    (void)index;
    (void)bytes;
    return PB_OK;
}

static const struct pb_workload_ops null_ext = {
    .name = "null.ext",
    .description = "does nothing, from a plug-in: the runner's cost per task plus the plug-in's",
    .flags = 0,
    .run = null_ext_run,
};

static const struct pb_workload_ops *const workloads[] = {&null_ext};

PB_PLUGIN("null.ext", "1.0.0", NULL, 0, workloads, 1);
