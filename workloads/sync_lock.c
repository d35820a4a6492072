/* sync.lock: increments of one shared counter under one mutex (the seed's threading.Lock). The
 * mutex is process-shared and robust and lives in shared memory, so process workers contend
 * for the same lock and a worker that dies holding it does not wedge the rest. The final value
 * is checked against the tasks that completed. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>

#include "parbench/parbench.h"

struct lock_shared {
    pthread_mutex_t mutex;
    uint64_t counter;
    uint64_t increments;
};

static const struct pb_param_def lock_params[] = {
    {"increments", PB_PARAM_INT, "1000", 1, 1e12, "lock, increment, unlock: this many per task"},
};

static int lock_prepare(const struct pb_workload_env *env, void **shared, struct pb_err *err)
{
    struct lock_shared *s = pb_shm_alloc(sizeof(*s));
    if (!s)
        return pb_err_set(err, -ENOMEM, "sync.lock: cannot map shared memory");
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    int rc = pthread_mutex_init(&s->mutex, &attr);
    pthread_mutexattr_destroy(&attr);
    if (rc) {
        pb_shm_free(s, sizeof(*s));
        return pb_err_set(err, -rc, "sync.lock: cannot create a process-shared mutex");
    }
    s->increments = (uint64_t)pb_param_int(env->params, "increments");
    *shared = s;
    return 0;
}

static void lock_release(void *shared)
{
    struct lock_shared *s = shared;
    if (!s)
        return;
    pthread_mutex_destroy(&s->mutex);
    pb_shm_free(s, sizeof(*s));
}

static enum pb_status lock_run(void *wstate, uint64_t index, uint64_t *bytes)
{
    struct lock_shared *s = wstate;
    for (uint64_t i = 0; i < s->increments; i++) {
        int rc = pthread_mutex_lock(&s->mutex);
        if (rc == EOWNERDEAD) /* its holder died; the counter is checked at the end anyway */
            pthread_mutex_consistent(&s->mutex);
        else if (rc)
            return PB_FAIL_OTHER;
        s->counter++;
        pthread_mutex_unlock(&s->mutex);
    }
    return PB_OK;
}

/* Every completed task added exactly `increments`; a task that died may have added part. */
static int lock_verify(void *shared, const struct pb_workload_env *env, uint64_t tasks_ok,
                       uint64_t tasks_crashed, struct pb_err *err)
{
    const struct lock_shared *s = shared;
    uint64_t low = tasks_ok * s->increments, high = (tasks_ok + tasks_crashed) * s->increments;
    if (s->counter < low || s->counter > high)
        return pb_err_set(err, -EIO,
                          "sync.lock: counter is %llu, expected %llu (%llu tasks x %llu)",
                          (unsigned long long)s->counter, (unsigned long long)low,
                          (unsigned long long)tasks_ok, (unsigned long long)s->increments);
    return 0;
}

static json_t *lock_report(void *shared, const struct pb_workload_env *env)
{
    const struct lock_shared *s = shared;
    json_t *o = json_object();
    json_object_set_new(o, "counter", json_integer((json_int_t)s->counter));
    json_object_set_new(o, "increments_per_task", json_integer((json_int_t)s->increments));
    return o;
}

const struct pb_workload_ops pb_workload_sync_lock = {
    .name = "sync.lock",
    .description = "increments of one shared counter under a (process-shared) mutex",
    .flags = PB_WL_CPU,
    .params = lock_params,
    .nparams = sizeof(lock_params) / sizeof(lock_params[0]),
    .prepare = lock_prepare,
    .verify = lock_verify,
    .report = lock_report,
    .release = lock_release,
    .run = lock_run,
};
