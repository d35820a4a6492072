/* What a person sees on the terminal: the progress line, warnings and the summary table. */
#ifndef PB_CONSOLE_H
#define PB_CONSOLE_H

#include <stddef.h>
#include <stdio.h>

#include "harness/result.h"

/* quiet: no progress line. The line appears only on a terminal, once a run has taken a second. */
void pb_console_init(int quiet);
void pb_console_progress(const char *label, unsigned rep, unsigned warmups, unsigned repeats);
void pb_console_progress_done(void);
void pb_console_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* One row per case: runner, workload, concurrency, throughput median, p50/p99 latency,
 * failures, speed-up against serial. */
void pb_console_summary(const struct pb_case_result *cases, size_t n, FILE *out);
/* After the table, once: the cases whose repetitions ran on a busy machine (harness/machine.h),
 * how many and what was seen; nothing when the machine was quiet. */
void pb_console_machine(const struct pb_case_result *cases, size_t n, FILE *out);

#endif
