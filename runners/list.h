/* Every runner, one line each: PB_RUNNER(x) names pb_runner_x, defined in runners/x.c (or a file
 * of its own name). harness/registry.c expands this list; a new runner is its file and a line. */
PB_RUNNER(serial)
PB_RUNNER(threads)
PB_RUNNER(processes)
PB_RUNNER(eventloop)
PB_RUNNER(semaphore)
PB_RUNNER(py_serial)
PB_RUNNER(py_threads)
PB_RUNNER(py_processes)
PB_RUNNER(py_asyncio)
PB_RUNNER(py_semaphore)
PB_RUNNER(py_queue)
