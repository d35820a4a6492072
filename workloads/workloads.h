/* The workload plug-ins, one const ops table each, listed for the registry. */
#ifndef PB_WORKLOADS_H
#define PB_WORKLOADS_H

#include "harness/workload.h"

extern const struct pb_workload_ops pb_workload_null;
extern const struct pb_workload_ops pb_workload_cpu_sumsq;
extern const struct pb_workload_ops pb_workload_cpu_primes;
extern const struct pb_workload_ops pb_workload_cpu_matmul;
extern const struct pb_workload_ops pb_workload_mem_stream;
extern const struct pb_workload_ops pb_workload_sync_lock;
extern const struct pb_workload_ops pb_workload_io_sleep;
extern const struct pb_workload_ops pb_workload_io_http;
extern const struct pb_workload_ops pb_workload_io_file;

#endif
