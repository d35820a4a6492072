/* Set-up shared by the blocking workers. */
#include "harness/worker.h"

int pb_worker_setup(const struct pb_run_spec *spec, unsigned index, void **wstate,
                    struct pb_err *err)
{
    const struct pb_cpuset *set = &spec->pins->sets[index];
    int rc = pb_cpuset_bind_self(set);
    if (rc < 0)
        return pb_err_set(err, rc, "worker %u: cannot bind to its CPU set", index);
    struct pb_worker_env wenv = {.index = index, .loop = NULL};
    return pb_workload_worker_init(spec->wl, spec->wl_shared, spec->env, &wenv, wstate, err);
}
