/* Every workload, one line each: PB_WORKLOAD(x) names pb_workload_x, defined in its own file
 * under workloads/. harness/registry.c expands this list; a new workload is its file and a
 * line. */
PB_WORKLOAD(null)
PB_WORKLOAD(cpu_sumsq)
PB_WORKLOAD(cpu_primes)
PB_WORKLOAD(cpu_matmul)
PB_WORKLOAD(mem_stream)
PB_WORKLOAD(sync_lock)
PB_WORKLOAD(io_sleep)
PB_WORKLOAD(io_http)
PB_WORKLOAD(io_file)
PB_WORKLOAD(exec)
PB_WORKLOAD(py_call)
