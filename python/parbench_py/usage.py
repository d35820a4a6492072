"""A worker's pinning and its usage readings: rusage (of the thread, or of a pool process) and
/proc/thread-self/schedstat's wait for a CPU, as the C workers read them."""
import os
import resource
import time

THREAD = resource.RUSAGE_THREAD
PROCESS = resource.RUSAGE_SELF


def pin(cpus, who):
    """Pins the calling thread (Linux: pid 0 is the caller) to cpus; [] leaves it unpinned."""
    if not cpus:
        return
    try:
        os.sched_setaffinity(0, cpus)
    except OSError as e:
        from .protocol import SetupError
        raise SetupError(f"cannot pin {who} to CPUs {list(cpus)}: {e.strerror or e}") from None


def sched_wait_ns():
    try:
        with open("/proc/thread-self/schedstat", "rb") as f:
            return int(f.read().split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def sample(who=THREAD):
    """A reading: (user_s, sys_s, nvcsw, nivcsw, minflt, majflt, sched_wait_ns, monotonic_ns)."""
    r = resource.getrusage(who)
    return (r.ru_utime, r.ru_stime, r.ru_nvcsw, r.ru_nivcsw, r.ru_minflt, r.ru_majflt,
            sched_wait_ns(), time.monotonic_ns())


def delta(a, b, wall_from=None):
    """The usage between readings a and b; the wall time counts from wall_from (go) if later."""
    start = a[7] if wall_from is None else max(a[7], wall_from)
    return {"user_s": max(0.0, b[0] - a[0]), "sys_s": max(0.0, b[1] - a[1]),
            "voluntary_switches": max(0, b[2] - a[2]),
            "involuntary_switches": max(0, b[3] - a[3]),
            "minor_faults": max(0, b[4] - a[4]), "major_faults": max(0, b[5] - a[5]),
            "sched_wait_ns": max(0, b[6] - a[6]), "sched_wall_ns": max(0, b[7] - start)}


ZERO = delta((0.0, 0.0, 0, 0, 0, 0, 0, 0), (0.0, 0.0, 0, 0, 0, 0, 0, 0))


def peak_rss_bytes(who=PROCESS):
    return resource.getrusage(who).ru_maxrss * 1024
