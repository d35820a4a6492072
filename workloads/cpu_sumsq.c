/* cpu.sumsq: the seed's cpu_heavy(n), the sum of i*i for i < n, in 64-bit wrapping arithmetic.
 * Each i is XORed with a key read through a volatile, so no compiler can replace the loop with
 * the closed form; the key is zero at run time, so the result is checked against that form. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "parbench/parbench.h"

static volatile uint64_t sumsq_key; /* always 0; the compiler cannot know */

struct sumsq_state {
    uint64_t n;
    uint64_t expected;
};

static const struct pb_param_def sumsq_params[] = {
    {"n", PB_PARAM_INT, "1000000", 1, 1e12, "values summed per task (cost grows linearly)"},
};

/* sum_{i<n} i^2 = (n-1) n (2n-1) / 6, exactly in 128 bits, then wrapped to 64 like the loop. */
static uint64_t closed_form(uint64_t n)
{
    unsigned __int128 m = n;
    unsigned __int128 s = (m - 1) * m / 2; /* exact: one of two consecutive numbers is even */
    unsigned __int128 t = 2 * m - 1;
    /* (m-1) m (2m-1) is divisible by 6; divide by 3 wherever the factor 3 is. */
    if (s % 3 == 0)
        s /= 3;
    else
        t /= 3;
    return (uint64_t)(s * t);
}

static int sumsq_prepare(const struct pb_workload_env *env, void **shared, struct pb_err *err)
{
    struct sumsq_state *s = pb_shm_alloc(sizeof(*s));
    if (!s)
        return pb_err_set(err, -ENOMEM, "cpu.sumsq: out of memory");
    s->n = (uint64_t)pb_param_int(env->params, "n");
    s->expected = closed_form(s->n);
    *shared = s; /* read-only during the run, so process workers may use their copy */
    return 0;
}

static void sumsq_release(void *shared)
{
    pb_shm_free(shared, sizeof(struct sumsq_state));
}

static enum pb_status sumsq_run(void *wstate, uint64_t index, uint64_t *bytes)
{
    const struct sumsq_state *s = wstate;
    uint64_t key = sumsq_key, sum = 0;
    for (uint64_t i = 0; i < s->n; i++) {
        uint64_t v = i ^ key;
        sum += v * v;
    }
    return sum == s->expected ? PB_OK : PB_FAIL_WRONG_RESULT;
}

const struct pb_workload_ops pb_workload_cpu_sumsq = {
    .name = "cpu.sumsq",
    .description = "sum of squares of n values (the seed's cpu_heavy)",
    .flags = PB_WL_CPU,
    .params = sumsq_params,
    .nparams = sizeof(sumsq_params) / sizeof(sumsq_params[0]),
    .prepare = sumsq_prepare,
    .release = sumsq_release,
    .run = sumsq_run,
};
