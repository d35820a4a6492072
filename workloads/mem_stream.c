/* mem.stream: the STREAM triad a = b + q c over three arrays of size_mb MiB each, per worker;
 * memory bandwidth, which shows pinning and NUMA placement. Bytes count as STREAM does: two
 * arrays read and one written per element. */
#include <errno.h>
#include <stdlib.h>

#include "parbench/parbench.h"

#define TRIAD_Q      3.0
#define CHECK_POINTS 64

struct stream_worker {
    size_t n;
    double *a, *b, *c;
};

static const struct pb_param_def stream_params[] = {
    {"size_mb", PB_PARAM_INT, "16", 1, 65536, "MiB per array (three arrays per worker)"},
};

static void stream_fini(void *wstate)
{
    struct stream_worker *w = wstate;
    if (!w)
        return;
    free(w->a);
    free(w->b);
    free(w->c);
    free(w);
}

/* The worker touches its arrays first, so their pages sit on its NUMA node. */
static int stream_init(void *shared, const struct pb_workload_env *env,
                       const struct pb_worker_env *wenv, void **wstate, struct pb_err *err)
{
    size_t mb = (size_t)pb_param_int(env->params, "size_mb");
    struct stream_worker *w = calloc(1, sizeof(*w));
    if (!w)
        goto oom;
    w->n = mb * 1024 * 1024 / sizeof(double);
    w->a = malloc(w->n * sizeof(double));
    w->b = malloc(w->n * sizeof(double));
    w->c = malloc(w->n * sizeof(double));
    if (!w->a || !w->b || !w->c)
        goto oom;
    for (size_t i = 0; i < w->n; i++) {
        w->a[i] = 0.0;
        w->b[i] = 1.0;
        w->c[i] = 2.0;
    }
    *wstate = w;
    return 0;
oom:
    stream_fini(w);
    return pb_err_set(err, -ENOMEM, "mem.stream: out of memory for 3 x %zu MiB", mb);
}

static enum pb_status stream_run(void *wstate, uint64_t index, uint64_t *bytes)
{
    struct stream_worker *w = wstate;
    double *restrict a = w->a;
    const double *restrict b = w->b, *restrict c = w->c;
    size_t n = w->n;
    for (size_t i = 0; i < n; i++)
        a[i] = b[i] + TRIAD_Q * c[i];
    *bytes += 3 * n * sizeof(double);
    /* Spot checks across the array: enough to catch a skipped or partial pass. */
    for (size_t k = 0; k < CHECK_POINTS; k++) {
        size_t i = (n - 1) * k / (CHECK_POINTS - 1);
        if (a[i] != 1.0 + TRIAD_Q * 2.0)
            return PB_FAIL_WRONG_RESULT;
    }
    return PB_OK;
}

static json_t *stream_report(void *shared, const struct pb_workload_env *env)
{
    int64_t mb = pb_param_int(env->params, "size_mb");
    json_t *o = json_object();
    json_object_set_new(o, "array_bytes", json_integer(mb * 1024 * 1024));
    json_object_set_new(o, "bytes_per_task", json_integer(3 * mb * 1024 * 1024));
    json_object_set_new(o, "kernel", json_string("triad a[i] = b[i] + 3.0 * c[i]"));
    return o;
}

const struct pb_workload_ops pb_workload_mem_stream = {
    .name = "mem.stream",
    .description = "STREAM triad over three arrays per worker: memory bandwidth",
    .flags = PB_WL_CPU,
    .params = stream_params,
    .nparams = sizeof(stream_params) / sizeof(stream_params[0]),
    .report = stream_report,
    .worker_init = stream_init,
    .worker_fini = stream_fini,
    .run = stream_run,
};
