/* The machine's limits. */
#include "harness/limits.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "harness/taskq.h"

/* The first number in a file, or UINT64_MAX when it cannot be read ("max" included). */
static uint64_t read_number(const char *path)
{
    FILE *f = fopen(path, "r");
    unsigned long long v;
    int ok = f && fscanf(f, "%llu", &v) == 1;
    if (f)
        fclose(f);
    return ok ? (uint64_t)v : UINT64_MAX;
}

/* This process's cgroup directory for a controller: cgroup v1 ("4:memory:/a/b" under
 * /sys/fs/cgroup/memory), else v2 ("0::/a/b" under /sys/fs/cgroup). "" when not found. */
static int cgroup_dir(const char *controller, char *buf, size_t len)
{
    char line[512], v2[512] = "";
    int v1 = 0;
    buf[0] = 0;
    FILE *f = fopen("/proc/self/cgroup", "r");
    while (f && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = 0;
        char *ctrl = strchr(line, ':'), *path = ctrl ? strchr(ctrl + 1, ':') : NULL;
        if (!path)
            continue;
        *path++ = 0;
        if (strcmp(ctrl + 1, "") == 0)
            snprintf(v2, sizeof(v2), "%s", path);
        else if (strstr(ctrl + 1, controller)) {
            snprintf(buf, len, "/sys/fs/cgroup/%s%s", controller, path);
            v1 = 1;
        }
    }
    if (f)
        fclose(f);
    if (!v1 && v2[0])
        snprintf(buf, len, "/sys/fs/cgroup%s", v2);
    return v1;
}

/* limit - used for a controller's files (v1 and v2 names), or UINT64_MAX without a limit. */
static uint64_t cgroup_left(const char *controller, const char *const files[4])
{
    char dir[600], path[700];
    int v1 = cgroup_dir(controller, dir, sizeof(dir));
    if (!dir[0])
        return UINT64_MAX;
    snprintf(path, sizeof(path), "%s/%s", dir, files[v1 ? 2 : 0]);
    uint64_t max = read_number(path);
    snprintf(path, sizeof(path), "%s/%s", dir, files[v1 ? 3 : 1]);
    uint64_t cur = read_number(path);
    if (max == UINT64_MAX || cur == UINT64_MAX || max >= (UINT64_C(1) << 62))
        return UINT64_MAX; /* v1 writes "no limit" as a huge number */
    return max > cur ? max - cur : 0;
}

uint64_t pb_limits_memory_available(void)
{
    char line[256];
    unsigned long long kb = 0;
    uint64_t avail = UINT64_MAX;
    FILE *f = fopen("/proc/meminfo", "r");
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
            avail = (uint64_t)kb * 1024;
    if (f)
        fclose(f);
    static const char *const files[4] = {"memory.max", "memory.current", "memory.limit_in_bytes",
                                         "memory.usage_in_bytes"};
    uint64_t cg = cgroup_left("memory", files);
    return cg < avail ? cg : avail;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

uint64_t pb_limits_tasks_available(void)
{
    /* The fourth field of loadavg is running/total: every thread of the system. */
    unsigned long long total = 0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (!f || fscanf(f, "%*s %*s %*s %*u/%llu", &total) != 1)
        total = 0;
    if (f)
        fclose(f);
    uint64_t left = UINT64_MAX;
    uint64_t pid_max = read_number("/proc/sys/kernel/pid_max");
    uint64_t threads_max = read_number("/proc/sys/kernel/threads-max");
    /* Some IDs stay taken or reserved: keep a margin for the rest of the system. */
    if (pid_max != UINT64_MAX)
        left = min_u64(left, pid_max > total + 300 ? pid_max - total - 300 : 0);
    if (threads_max != UINT64_MAX)
        left = min_u64(left, threads_max > total + 300 ? threads_max - total - 300 : 0);
    static const char *const files[4] = {"pids.max", "pids.current", "pids.max", "pids.current"};
    left = min_u64(left, cgroup_left("pids", files));
    struct rlimit rl;
    if (geteuid() != 0 && getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        left = min_u64(left, rl.rlim_cur > total ? rl.rlim_cur - total : 0);
    return left;
}

int pb_limits_check(const char *what, uint64_t threads, uint64_t processes, uint64_t bytes,
                    const char *hint, struct pb_err *err)
{
    uint64_t tasks = pb_limits_tasks_available();
    if (threads + processes > tasks)
        return pb_err_set(err, -EAGAIN,
                          "%s needs %" PRIu64 " %s, but only %" PRIu64
                          " more can be started here (pid_max, threads-max, the cgroup's "
                          "pids.max, ulimit -u): %s",
                          what, threads + processes, processes ? "processes" : "threads", tasks,
                          hint);
    uint64_t mem = pb_limits_memory_available();
    if (bytes > mem)
        return pb_err_set(err, -ENOMEM,
                          "%s needs about %.1f GiB of memory, but %.1f GiB are available: %s", what,
                          (double)bytes / (1u << 30), (double)mem / (1u << 30), hint);
    return 0;
}

uint64_t pb_limits_worker_bytes(const struct pb_run_spec *spec, uint64_t per_worker, int queued)
{
    return (uint64_t)spec->workers * (sizeof(struct pb_worker_record) + per_worker) +
           (queued ? pb_taskq_size(spec->queue_depth) : 0);
}
