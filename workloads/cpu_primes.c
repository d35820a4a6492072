/* cpu.primes: count the primes up to max by trial division, the same work as sysbench's cpu
 * test (so the two can be compared); the count is checked against a sieve made in prepare. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "parbench/parbench.h"

struct primes_state {
    uint64_t max;
    uint64_t expected;
};

static const struct pb_param_def primes_params[] = {
    {"max", PB_PARAM_INT, "10000", 3, 1e9, "count primes from 3 to max (sysbench --cpu-max-prime)"},
};

/* Primes in [3, max], by the sieve of Eratosthenes: an independent check of the trial divisions. */
static int sieve_count(uint64_t max, uint64_t *count)
{
    unsigned char *composite = calloc(max + 1, 1);
    if (!composite)
        return -ENOMEM;
    uint64_t n = 0;
    for (uint64_t i = 2; i <= max; i++) {
        if (composite[i])
            continue;
        if (i >= 3)
            n++;
        for (uint64_t j = i * i; j <= max; j += i)
            composite[j] = 1;
    }
    free(composite);
    *count = n;
    return 0;
}

static int primes_prepare(const struct pb_workload_env *env, void **shared, struct pb_err *err)
{
    struct primes_state *s = pb_shm_alloc(sizeof(*s));
    if (!s)
        return pb_err_set(err, -ENOMEM, "cpu.primes: out of memory");
    s->max = (uint64_t)pb_param_int(env->params, "max");
    if (sieve_count(s->max, &s->expected) < 0) {
        pb_shm_free(s, sizeof(*s));
        return pb_err_set(err, -ENOMEM, "cpu.primes: out of memory for the check");
    }
    *shared = s;
    return 0;
}

static void primes_release(void *shared)
{
    pb_shm_free(shared, sizeof(struct primes_state));
}

/* sysbench's loop, as in its cpu test: a double square root bound and a modulo per divisor. */
static enum pb_status primes_run(void *wstate, uint64_t index, uint64_t *bytes)
{
    const struct primes_state *s = wstate;
    uint64_t n = 0;
    for (uint64_t c = 3; c <= s->max; c++) {
        double t = sqrt((double)c);
        uint64_t l;
        for (l = 2; (double)l <= t; l++)
            if (c % l == 0)
                break;
        if ((double)l > t)
            n++;
    }
    return n == s->expected ? PB_OK : PB_FAIL_WRONG_RESULT;
}

const struct pb_workload_ops pb_workload_cpu_primes = {
    .name = "cpu.primes",
    .description = "count primes up to max by trial division (sysbench cpu)",
    .flags = PB_WL_CPU,
    .params = primes_params,
    .nparams = sizeof(primes_params) / sizeof(primes_params[0]),
    .prepare = primes_prepare,
    .release = primes_release,
    .run = primes_run,
};
