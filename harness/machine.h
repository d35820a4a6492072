/* The machine watch: what the rest of the machine did on the case's PUs while a repetition ran
 * (/proc/stat, /proc/loadavg, cpufreq, our own CPU time), and the judgement of whether that
 * disturbed it. A few /proc reads per repetition; nothing per task. */
#ifndef PB_MACHINE_H
#define PB_MACHINE_H

#include <stdint.h>

#include "harness/cpuset.h"
#include "harness/result.h"

/* Jiffies of the PUs of a set, summed: busy is user+nice+system+irq+softirq. */
struct pb_machine_jiffies {
    uint64_t busy, steal;
    unsigned cpus; /* members of the set found in the text */
};

/* One reading, taken before and after a repetition. */
struct pb_machine_sample {
    int ok; /* 0: /proc/stat could not be read */
    uint64_t now_ns;
    struct pb_machine_jiffies jiffies;
    double self_cpu_s;   /* this process and its reaped children (RUSAGE_SELF + CHILDREN) */
    double zygote_cpu_s; /* the zygote and the process workers it reaped; 0 without one */
};

/* Sums the "cpuN" lines of /proc/stat text for the CPUs in pus. -EINVAL when none is found. */
int pb_machine_parse_stat(const char *text, const struct pb_cpuset *pus,
                          struct pb_machine_jiffies *out);
/* Others' and steal CPUs' worth from two readings over wall_s, our CPU time subtracted from the
 * busy jiffies (hz: jiffies per second); both clamped at 0. */
void pb_machine_shares(const struct pb_machine_jiffies *before,
                       const struct pb_machine_jiffies *after, double ours_s, double wall_s,
                       double hz, double *others_cpus, double *steal_cpus);

/* How long the calling thread has been runnable without a CPU (schedstat's second field), ns;
 * 0 where the kernel does not say. A worker reads it at its start and end. */
uint64_t pb_machine_thread_wait_ns(void);
/* Reads the machine now; zygote: the zygote's pid, or 0. Never fails: s->ok says whether it saw. */
void pb_machine_sample(struct pb_machine_sample *s, const struct pb_cpuset *pus, int zygote);
/* Fills m from two readings (others, steal, load, cpufreq) and the workers' records (their wait
 * for a CPU, their CPU time per task). Leaves m unwatched when a reading failed. */
void pb_machine_measure(const struct pb_machine_sample *before,
                        const struct pb_machine_sample *after, const struct pb_cpuset *pus,
                        const struct pb_worker_record *recs, unsigned nrecs,
                        const struct pb_rep_result *r, struct pb_rep_machine *m);

/* Flags each watched repetition of c busy or not, and fills c->trust. npus: the PUs the case's
 * workers may use; cpu_bound: the workload burns CPU (the CPU-per-task rule applies);
 * base_cpu_per_task_ns: a quiet baseline from elsewhere (the serial case of the same work), or 0.
 * Idempotent: it judges from the measured fields only. */
void pb_machine_judge_case(struct pb_case_result *c, unsigned npus, int cpu_bound,
                           double base_cpu_per_task_ns);
/* The lowest CPU time per task among c's unflagged repetitions, or 0 (none, or not judged). */
double pb_machine_quiet_cpu_per_task(const struct pb_case_result *c);

#endif
