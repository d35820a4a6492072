/* cpu.matmul: a dense size x size double matrix product C = A B per task, checked with
 * Freivalds' identity C 1 = A (B 1); the entries are small integers, so every sum is exact. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "parbench/parbench.h"

struct matmul_worker {
    size_t n;
    double *a, *b, *c;
    double *b1, *ab1; /* B 1 and A (B 1), computed once: the expected row sums of C */
};

static const struct pb_param_def matmul_params[] = {
    {"size", PB_PARAM_INT, "128", 1, 4096, "rows and columns of the square matrices"},
};

static void matmul_fini(void *wstate)
{
    struct matmul_worker *w = wstate;
    if (!w)
        return;
    free(w->a);
    free(w->b);
    free(w->c);
    free(w->b1);
    free(w->ab1);
    free(w);
}

/* Matrices belong to the worker and are filled by it, so their pages are local to its core. */
static int matmul_init(void *shared, const struct pb_workload_env *env,
                       const struct pb_worker_env *wenv, void **wstate, struct pb_err *err)
{
    size_t n = (size_t)pb_param_int(env->params, "size");
    struct matmul_worker *w = calloc(1, sizeof(*w));
    if (!w)
        goto oom;
    w->n = n;
    w->a = malloc(n * n * sizeof(double));
    w->b = malloc(n * n * sizeof(double));
    w->c = malloc(n * n * sizeof(double));
    w->b1 = calloc(n, sizeof(double));
    w->ab1 = calloc(n, sizeof(double));
    if (!w->a || !w->b || !w->c || !w->b1 || !w->ab1)
        goto oom;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            w->a[i * n + j] = (double)((i * 7 + j * 3) % 17) - 8;
            w->b[i * n + j] = (double)((i * 5 + j * 11) % 13) - 6;
        }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            w->b1[i] += w->b[i * n + j];
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < n; k++)
            w->ab1[i] += w->a[i * n + k] * w->b1[k];
    *wstate = w;
    return 0;
oom:
    matmul_fini(w);
    return pb_err_set(err, -ENOMEM, "cpu.matmul: out of memory for %zu x %zu matrices", n, n);
}

static enum pb_status matmul_run(void *wstate, uint64_t index, uint64_t *bytes)
{
    struct matmul_worker *w = wstate;
    size_t n = w->n;
    memset(w->c, 0, n * n * sizeof(double));
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < n; k++) {
            double aik = w->a[i * n + k];
            const double *brow = &w->b[k * n];
            double *crow = &w->c[i * n];
            for (size_t j = 0; j < n; j++)
                crow[j] += aik * brow[j];
        }
    for (size_t i = 0; i < n; i++) {
        double sum = 0;
        for (size_t j = 0; j < n; j++)
            sum += w->c[i * n + j];
        if (sum != w->ab1[i])
            return PB_FAIL_WRONG_RESULT;
    }
    return PB_OK;
}

const struct pb_workload_ops pb_workload_cpu_matmul = {
    .name = "cpu.matmul",
    .description = "dense size x size double matrix product",
    .flags = PB_WL_CPU,
    .params = matmul_params,
    .nparams = sizeof(matmul_params) / sizeof(matmul_params[0]),
    .worker_init = matmul_init,
    .worker_fini = matmul_fini,
    .run = matmul_run,
};
