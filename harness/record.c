/* What one worker records of its tasks. */
#include "harness/record.h"

#include <string.h>

static const char *const status_names[PB_STATUS_COUNT] = {
    [PB_OK] = "ok",
    [PB_FAIL_WRONG_RESULT] = "wrong_result",
    [PB_FAIL_CRASH] = "crash",
    [PB_FAIL_TIMEOUT] = "timeout",
    [PB_FAIL_CONNECT] = "connect",
    [PB_FAIL_HTTP_STATUS] = "http_status",
    [PB_FAIL_SHORT_BODY] = "short_body",
    [PB_FAIL_IO] = "io",
    [PB_FAIL_OTHER] = "other",
    [PB_FAIL_EXCEPTION] = "exception",
};

const char *pb_status_name(enum pb_status s)
{
    return (unsigned)s < PB_STATUS_COUNT ? status_names[s] : "other";
}

void pb_record_reset(struct pb_worker_record *r, const struct pb_cpuset *given)
{
    memset(r, 0, sizeof(*r));
    pb_hist_reset(&r->latency);
    pb_hist_reset(&r->service);
    r->given = *given;
    r->last_cpu = -1;
}

uint64_t pb_record_tasks(const struct pb_worker_record *r)
{
    uint64_t n = 0;
    for (int i = 0; i < PB_STATUS_COUNT; i++)
        n += r->status[i];
    return n;
}

static double tv_s(struct timeval t)
{
    return (double)t.tv_sec + (double)t.tv_usec / 1e6;
}

void pb_usage_add(struct pb_usage *u, const struct rusage *before, const struct rusage *after)
{
    u->user_s += tv_s(after->ru_utime) - tv_s(before->ru_utime);
    u->sys_s += tv_s(after->ru_stime) - tv_s(before->ru_stime);
    u->voluntary_switches += (uint64_t)(after->ru_nvcsw - before->ru_nvcsw);
    u->involuntary_switches += (uint64_t)(after->ru_nivcsw - before->ru_nivcsw);
    u->minor_faults += (uint64_t)(after->ru_minflt - before->ru_minflt);
    u->major_faults += (uint64_t)(after->ru_majflt - before->ru_majflt);
}
