"""parbench_py: the Python worker of parbench's py.* runners.

Started by runners/python.c as `python -u -m parbench_py`; PROTOCOL.md (beside this package) is
the exchange. Each module has one job:

    protocol   the control lines (fds 3 and 4), the task records (fd 5), the statuses
    probe      what this interpreter is and can run (`python -m parbench_py.probe`)
    usage      pinning, rusage and schedstat readings of a worker
    workloads  the Python forms of the workloads (a blocking and a loop form each)
    runners    the run's shared state, the open-loop schedule, the serial runner, dispatch
    pools      the threads and processes runners (concurrent.futures)
    loops      the asyncio, semaphore and queue runners
"""
