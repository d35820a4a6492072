"""What every runner shares (the run's state and messages, the open-loop schedule, a blocking
worker's task), the serial runner, and the dispatch to the others (pools.py, loops.py)."""
import contextlib
import math
import os
import random
import sys
import time

from . import probe, usage, workloads
from .protocol import BATCH, NO_CPU, RECORD, RECORDS_FD, SetupError, Statuses, write_all
from .workloads import TaskFailed, failure_text

RUNNERS = ("serial", "threads", "processes", "asyncio", "semaphore", "queue")
POLL_NS = 50_000_000  # the longest a waiting main thread goes without looking at a stop

_mono = time.monotonic_ns
_pack = RECORD.pack_into
RECORD_SIZE = RECORD.size
BATCH_BYTES = RECORD.size * BATCH


class Run:
    """One repetition: the case, the stop state, what the done message will say."""

    def __init__(self, case, ctl):
        self.case, self.ctl = case, ctl
        self.runner = case.get("runner")
        self.st = Statuses(case["statuses"])
        self.workers = int(case["workers"])
        self.concurrency = int(case["concurrency"])
        self.pins = [list(p) for p in case.get("pins") or []]
        self.tasks = int(case.get("tasks") or 0)
        self.duration_ns = int(case.get("duration_ns") or 0)
        self.rate = float(case.get("rate") or 0.0)
        self.poisson = case.get("arrivals") == "poisson"
        self.seed = int(case.get("seed") or 0)
        self.timeout_ns = int(case.get("timeout_ns") or 0)
        self.grace_ns = int(case.get("grace_ns") or 0)
        self.queue_depth = int(case.get("queue_depth") or 0)
        self.fail_fast = bool(case.get("fail_fast"))
        self.open = self.rate > 0
        if self.runner not in RUNNERS:
            raise SetupError(f"no Python runner {self.runner} (there are: {', '.join(RUNNERS)})")
        if self.workers < 1:
            raise SetupError(f"workers {self.workers}: at least one is needed")
        if not self.tasks and not self.duration_ns:
            raise SetupError("the case has neither tasks nor a duration")
        self.stop = False  # SIGINT: the run ends early
        self.halt = False  # no new task starts (a stop, or a failure under fail_fast)
        self.submitted = 0
        self.failures = {}  # worker -> its last failure's text
        self.facts = {}  # the runner's part of the report
        self.ready_sent = False
        self.sealed = False  # the records are all written: later ones are dropped
        self.wl = workloads.make(case, self.st)

    def pin_of(self, worker):
        return self.pins[worker] if worker < len(self.pins) else []

    def on_sigint(self, signum=None, frame=None):
        self.stop = self.halt = True

    def ready(self, loop=None):
        self.ctl.send({"ready": {"python": probe.facts(loop)}})
        self.ready_sent = True

    def wait_go(self):
        msg = self.ctl.read()
        if not isinstance(msg, dict) or not isinstance(msg.get("go"), int):
            raise RuntimeError(f"expected the go message, got {msg!r:.200}")
        return msg["go"]

    def done(self, counts, usages, peak_rss, unfinished=0):
        """The done message, after the last record was written. usages: worker -> usage dict."""
        report = dict(self.facts)
        report.update(self.wl.report())
        self.ctl.send({"done": {
            "submitted": self.submitted, "stopped": self.stop,
            "usage": [usages.get(w, usage.ZERO) for w in range(self.workers)],
            "failures": {str(w): t for w, t in sorted(self.failures.items())},
            "check": self.wl.check(counts) if not unfinished else None,
            "report": report, "peak_rss_bytes": int(peak_rss)}})

    def finish(self):
        """Exits at once: nothing left to do can hang the exit (a pool thread past the grace,
        an executor's join at exit)."""
        for f in (sys.stdout, sys.stderr):
            try:
                f.flush()
            except Exception:
                pass
        os._exit(0)


def arrivals(run, start_ns):
    """The open loop's schedule from start_ns: (index, scheduled_ns), task i at start + i/rate
    (uniform) or after exponential gaps from random.Random(seed) (poisson; the first at the
    start), while i < tasks or, for a duration, before its end."""
    gap, n = 1e9 / run.rate, run.tasks
    end = None if n else start_ns + run.duration_ns
    rng, t, i = random.Random(run.seed), float(start_ns), 0
    while not n or i < n:
        if run.poisson:
            if i:
                t += -math.log(1.0 - rng.random()) * gap
            when = int(t)
        else:
            when = start_ns + int(i * gap)
        if end is not None and when >= end:
            return
        yield i, when
        i += 1


def sleep_until(run, when):
    """Sleeps until when on the monotonic clock, in pieces (a stop is seen); False if halted."""
    while not run.halt:
        left = when - _mono()
        if left <= 0:
            return True
        time.sleep(min(left, POLL_NS) / 1e9)
    return False


class Worker:
    """A blocking worker (the main thread, or a pool thread): times its tasks and packs their
    records into its own buffer, written whole (under the run's write lock when several
    workers share fd 5). It counts its failures; the rest of its records were ok."""

    def __init__(self, run, index, form, wlock=None):
        self.run, self.index, self.form, self.wlock = run, index, form, wlock
        st = run.st
        self.ok, self.timeout, self.exception = st.ok, st.timeout, st.exception
        self.tmo, self.fail_fast = run.timeout_ns, run.fail_fast
        self.buf, self.off, self.written = bytearray(BATCH_BYTES), 0, 0
        self.counts = [0] * st.count
        self.base = None  # its usage reading at the start

    def task(self, index, created=0):
        """created: the scheduled time in an open loop; 0: the task's start (a pull)."""
        t0 = _mono()
        try:
            status, nbytes = self.form(index)
        except BaseException as e:
            status, nbytes = self.fail(e)
        t1 = _mono()
        if self.tmo and t1 - t0 > self.tmo:
            status = self.timeout
        off = self.off
        _pack(self.buf, off, created or t0, t0, t1, nbytes, self.index, status, NO_CPU, 0)
        self.off = off = off + RECORD_SIZE
        if off == BATCH_BYTES:
            self.flush()
        if status != self.ok:
            self.failed(status)

    def fail(self, e):
        """(status, bytes) of a task that raised e; its text is the worker's last failure."""
        if isinstance(e, TaskFailed):
            self.run.failures[self.index] = e.text
            return e.status, e.nbytes
        self.run.failures[self.index] = failure_text(e)
        return self.exception, 0

    def failed(self, status):
        self.counts[status] += 1
        if self.fail_fast:
            self.run.halt = True

    def flush(self):
        if self.wlock is None:
            self._write()
        else:
            with self.wlock:
                self._write()

    def _write(self):
        if self.run.sealed:  # after the final flush (a task past the grace): dropped
            self.off = 0
        elif self.off:
            write_all(RECORDS_FD, memoryview(self.buf)[:self.off])
            self.written += self.off // RECORD_SIZE
            self.off = 0

    def total(self):
        return self.written + self.off // RECORD_SIZE


def seal(run, workers, wlock=None):
    """The workers' last records written, later ones dropped; their counts per status."""
    with wlock or contextlib.nullcontext():
        for w in workers:
            w._write()
        run.sealed = True
    counts = [0] * run.st.count
    for w in workers:
        for s, n in enumerate(w.counts):
            counts[s] += n
        counts[run.st.ok] += w.total() - sum(w.counts)
    return counts


def run_serial(run):
    """A plain loop of calls on the main thread (worker 0)."""
    run.wl.prepare("serial")
    usage.pin(run.pin_of(0), "the main thread")
    w = Worker(run, 0, run.wl.blocking(0))
    run.facts["idiom"] = "a plain loop of calls on the main thread"
    run.ready()
    go = run.wait_go()
    base = usage.sample()
    task = w.task
    if run.open:  # the main thread sleeps until each task's time, then runs it
        for i, when in arrivals(run, go):
            if not sleep_until(run, when):
                break
            run.submitted += 1
            task(i, when)
    elif run.tasks:
        for i in range(run.tasks):
            if run.halt:
                break
            task(i)
    else:
        end, i = go + run.duration_ns, 0
        while not run.halt and _mono() < end:
            task(i)
            i += 1
    end = usage.sample()
    counts = seal(run, [w])
    if not run.open:
        run.submitted = w.total()
    run.done(counts, {0: usage.delta(base, end)}, usage.peak_rss_bytes())
    run.finish()


def run_case(run):
    """Runs the repetition: set-up, ready (or SetupError), go, the tasks, done, exit."""
    if run.runner == "serial":
        run_serial(run)
    elif run.runner in ("threads", "processes"):
        from . import pools
        pools.run_pool(run)
    else:
        from . import loops
        loops.run_loop(run)
