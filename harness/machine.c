/* The machine watch. */
#include "harness/machine.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "harness/clock.h"

/* Others (or steal) above this share of the case's PUs disturb it: a few percent each, and never
 * less than a tenth of a CPU, which a shell, an editor and the kernel's own threads stay under on
 * a quiet 2-vCPU VM. */
#define BUSY_SHARE_PER_PU 0.05
#define BUSY_MIN_CPUS     0.10
/* /proc/stat counts in ticks: each reading may be off by one per PU, twice per interval. */
#define TICK_SLACK 2.0
/* CPU per task this much above the quiet baseline: the same work cost more (a sibling hogged
 * the core, the clock dropped). Only for CPU-bound work, where CPU per task is the work. */
#define BUSY_CPU_RATIO 1.3

int pb_machine_parse_stat(const char *text, const struct pb_cpuset *pus,
                          struct pb_machine_jiffies *out)
{
    memset(out, 0, sizeof(*out));
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        unsigned cpu;
        unsigned long long v[8] = {0};
        /* "cpuN user nice system idle iowait irq softirq steal ..." ("cpu " is the total). */
        if (strncmp(p, "cpu", 3) ||
            sscanf(p, "cpu%u %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0], &v[1], &v[2],
                   &v[3], &v[4], &v[5], &v[6], &v[7]) < 8)
            continue;
        if (!pb_cpuset_has(pus, cpu))
            continue;
        out->busy += v[0] + v[1] + v[2] + v[5] + v[6];
        out->steal += v[7];
        out->cpus++;
    }
    return out->cpus ? 0 : -EINVAL;
}

void pb_machine_shares(const struct pb_machine_jiffies *before,
                       const struct pb_machine_jiffies *after, double ours_s, double wall_s,
                       double hz, double *others_cpus, double *steal_cpus)
{
    *others_cpus = *steal_cpus = 0;
    if (!(wall_s > 0) || !(hz > 0) || after->busy < before->busy || after->steal < before->steal)
        return;
    double busy_s = (double)(after->busy - before->busy) / hz;
    double others = (busy_s - ours_s) / wall_s;
    *others_cpus = others > 0 ? others : 0;
    *steal_cpus = (double)(after->steal - before->steal) / hz / wall_s;
}

/* The whole of a small /proc or /sys file into buf; its length, or -errno. */
static ssize_t read_text(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -errno;
    size_t n = fread(buf, 1, len - 1, f);
    fclose(f);
    buf[n] = '\0';
    return (ssize_t)n;
}

/* utime+stime+cutime+cstime of a process, in seconds: the zygote reaps its workers, so their
 * whole lives land in its children's times. */
static double proc_cpu_s(int pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    if (read_text(path, buf, sizeof(buf)) < 0)
        return 0;
    const char *p = strrchr(buf, ')'); /* the name may hold spaces */
    unsigned long long ut, st;
    long long cut, cst;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %lld %lld", &ut,
                     &st, &cut, &cst) != 4)
        return 0;
    return (double)(ut + st + (unsigned long long)(cut + cst)) / (double)sysconf(_SC_CLK_TCK);
}

uint64_t pb_machine_thread_wait_ns(void)
{
    char buf[128];
    unsigned long long run, wait;
    if (read_text("/proc/thread-self/schedstat", buf, sizeof(buf)) <= 0 ||
        sscanf(buf, "%llu %llu", &run, &wait) != 2)
        return 0;
    return wait;
}

static double tv_s(struct timeval t)
{
    return (double)t.tv_sec + (double)t.tv_usec / 1e6;
}

void pb_machine_sample(struct pb_machine_sample *s, const struct pb_cpuset *pus, int zygote)
{
    /* /proc/stat grows by a line per CPU: 128 bytes each is ample. */
    static char buf[PB_CPUSET_MAX * 128];
    memset(s, 0, sizeof(*s));
    /* ours: this process and the children it reaped (a py runner's Python workers) */
    struct rusage ru, children;
    getrusage(RUSAGE_SELF, &ru);
    getrusage(RUSAGE_CHILDREN, &children);
    s->self_cpu_s =
        tv_s(ru.ru_utime) + tv_s(ru.ru_stime) + tv_s(children.ru_utime) + tv_s(children.ru_stime);
    s->zygote_cpu_s = zygote > 0 ? proc_cpu_s(zygote) : 0;
    s->ok = read_text("/proc/stat", buf, sizeof(buf)) > 0 &&
            pb_machine_parse_stat(buf, pus, &s->jiffies) == 0;
    s->now_ns = pb_now_ns();
}

/* Mean current frequency of the PUs (MHz) and the first one's governor; 0 and "" when unknown
 * (VMs seldom show cpufreq). */
static void read_cpufreq(const struct pb_cpuset *pus, struct pb_rep_machine *m)
{
    char path[96], buf[64];
    double sum = 0;
    unsigned n = 0;
    for (int cpu = pb_cpuset_next(pus, 0); cpu >= 0; cpu = pb_cpuset_next(pus, (unsigned)cpu + 1)) {
        snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_cur_freq", cpu);
        if (read_text(path, buf, sizeof(buf)) <= 0)
            break; /* one absent: all are */
        sum += strtod(buf, NULL) / 1e3;
        n++;
        if (!m->governor[0]) {
            snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor",
                     cpu);
            if (read_text(path, buf, sizeof(buf)) > 0) {
                buf[strcspn(buf, "\n")] = '\0';
                snprintf(m->governor, sizeof(m->governor), "%.31s", buf);
            }
        }
    }
    m->freq_mhz = n ? sum / n : 0;
}

void pb_machine_measure(const struct pb_machine_sample *before,
                        const struct pb_machine_sample *after, const struct pb_cpuset *pus,
                        const struct pb_worker_record *recs, unsigned nrecs,
                        const struct pb_rep_result *r, struct pb_rep_machine *m)
{
    memset(m, 0, sizeof(*m));
    if (!before->ok || !after->ok || after->now_ns <= before->now_ns)
        return;
    m->watched = 1;
    double wall = (double)(after->now_ns - before->now_ns) / 1e9;
    /* RUSAGE_SELF holds the thread workers and the driver; the zygote's times the process
     * workers. The records' usage is a part of one of these, so it is not added again. */
    double ours =
        (after->self_cpu_s - before->self_cpu_s) + (after->zygote_cpu_s - before->zygote_cpu_s);
    pb_machine_shares(&before->jiffies, &after->jiffies, ours, wall, (double)sysconf(_SC_CLK_TCK),
                      &m->others_cpus, &m->steal_cpus);
    char buf[128];
    if (read_text("/proc/loadavg", buf, sizeof(buf)) > 0)
        m->load1 = strtod(buf, NULL);
    read_cpufreq(pus, m);
    uint64_t wait_ns = 0, wall_ns = 0;
    for (unsigned i = 0; i < nrecs; i++) {
        /* A worker that died mid-run left its start readings (negative): no figure from it. */
        if ((int64_t)recs[i].sched_wall_ns <= 0 || (int64_t)recs[i].sched_wait_ns < 0)
            continue;
        wait_ns += recs[i].sched_wait_ns;
        wall_ns += recs[i].sched_wall_ns;
    }
    m->run_wait = wall_ns ? (double)wait_ns / (double)wall_ns : 0;
    m->involuntary_switches = r->usage.involuntary_switches;
    uint64_t tasks = r->ok + r->failed;
    m->cpu_per_task_ns = tasks ? (r->usage.user_s + r->usage.sys_s) * 1e9 / (double)tasks : 0;
}

/* The share of others or steal above which a repetition of this wall time was disturbed. */
static double busy_limit(unsigned npus, double wall_s)
{
    double share = BUSY_SHARE_PER_PU * npus;
    double slack = wall_s > 0 ? TICK_SLACK * npus / (double)sysconf(_SC_CLK_TCK) / wall_s : 0;
    return (share > BUSY_MIN_CPUS ? share : BUSY_MIN_CPUS) + slack;
}

/* Appends "; what" to a reason. */
__attribute__((format(printf, 3, 4))) static void reason_add(char *buf, size_t len, const char *fmt,
                                                             ...)
{
    size_t used = strlen(buf);
    if (used && used + 2 < len) {
        memcpy(buf + used, "; ", 3);
        used += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    if (used < len)
        vsnprintf(buf + used, len - used, fmt, ap);
    va_end(ap);
}

/* The rules that need no baseline: others and steal. The workers' wait for a CPU (run_wait) is
 * recorded but decides nothing: a case's own threads queue for its PUs whenever they outnumber
 * them (4 workers on 2 PUs wait half their time, an event loop beside its file-I/O pool 84%), and
 * a neighbour that takes a CPU shows in others anyway. */
static int judge_direct(const struct pb_rep_result *r, unsigned npus, char *why, size_t len)
{
    const struct pb_rep_machine *m = &r->machine;
    double limit = busy_limit(npus, r->wall_s);
    why[0] = '\0';
    if (m->others_cpus > limit)
        reason_add(why, len, "others used %.2f of %u CPU%s", m->others_cpus, npus,
                   npus == 1 ? "" : "s");
    if (m->steal_cpus > limit)
        reason_add(why, len, "the hypervisor stole %.2f of %u CPU%s", m->steal_cpus, npus,
                   npus == 1 ? "" : "s");
    return why[0] != '\0';
}

double pb_machine_quiet_cpu_per_task(const struct pb_case_result *c)
{
    double best = 0;
    for (size_t i = 0; i < c->nreps; i++) {
        const struct pb_rep_machine *m = &c->reps[i].machine;
        if (m->watched && !m->busy && c->reps[i].complete && m->cpu_per_task_ns > 0 &&
            (best == 0 || m->cpu_per_task_ns < best))
            best = m->cpu_per_task_ns;
    }
    return best;
}

void pb_machine_judge_case(struct pb_case_result *c, unsigned npus, int cpu_bound,
                           double base_cpu_per_task_ns)
{
    char why[sizeof(c->reps[0].machine.busy_reason)];
    unsigned watched = 0, busy = 0;
    double own = 0;
    npus = npus ? npus : 1;
    /* The baseline: the cheapest repetition the direct rules leave clean, or the one given. */
    for (size_t i = 0; i < c->nreps; i++) {
        struct pb_rep_result *r = &c->reps[i];
        if (!r->machine.watched)
            continue;
        r->machine.busy = judge_direct(r, npus, why, sizeof(why));
        snprintf(r->machine.busy_reason, sizeof(r->machine.busy_reason), "%s", why);
    }
    own = pb_machine_quiet_cpu_per_task(c);
    double base = own;
    if (base_cpu_per_task_ns > 0 && (base == 0 || base_cpu_per_task_ns < base))
        base = base_cpu_per_task_ns;
    size_t first_busy = c->nreps;
    for (size_t i = 0; i < c->nreps; i++) {
        struct pb_rep_machine *m = &c->reps[i].machine;
        if (!m->watched)
            continue;
        watched++;
        m->cpu_per_task_ratio = base > 0 && m->cpu_per_task_ns > 0 ? m->cpu_per_task_ns / base : 0;
        if (cpu_bound && m->cpu_per_task_ratio > BUSY_CPU_RATIO) {
            m->busy = 1;
            reason_add(m->busy_reason, sizeof(m->busy_reason),
                       "CPU per task %.2fx the quiet baseline", m->cpu_per_task_ratio);
        }
        busy += m->busy != 0;
        if (m->busy && first_busy == c->nreps)
            first_busy = i;
    }
    pb_case_judge_trust(c);
    /* The count, and what the first busy repetition saw. */
    if (!c->trust.trustworthy)
        snprintf(c->trust.reason, sizeof(c->trust.reason),
                 "%u of %u repetitions ran on a busy machine (%.190s)", busy, watched,
                 c->reps[first_busy].machine.busy_reason);
}
