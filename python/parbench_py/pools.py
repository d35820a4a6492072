"""The threads and processes runners: concurrent.futures pools as the cheat sheet uses them.

threads:   ThreadPoolExecutor(max_workers=c, initializer=pin-and-index); a task is one
           executor.submit; each pool thread times its own tasks and packs their records into
           its own buffer (runners.Worker), written whole under a lock the threads share.
processes: ProcessPoolExecutor(max_workers=c, initializer=..., initargs=...) with the default
           start method; the task function runs in the pool process, times itself and returns
           its record's fields, which a done callback (in the executor's manager thread)
           appends. A pool process dying breaks the pool: the tasks running in it and in its
           siblings (which the executor terminates) are "crash", the pool is rebuilt, the rest
           go on.

Closed loop with a task count: every task submitted up front, then waited on in order (what
executor.map does). With a duration: c tasks in flight, a new one submitted as each finishes,
until the deadline. Open loop: the main thread sleeps until each task's time, then submits.
"""
import concurrent.futures as cf
import itertools
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures.process import BrokenProcessPool

from . import usage
from .protocol import CTL_IN, CTL_OUT, NO_CPU, RECORD, RECORDS_FD, LockedRecords, SetupError
from .runners import BATCH_BYTES, POLL_NS, RECORD_SIZE, Worker, arrivals, seal, sleep_until
from .workloads import TaskFailed, failure_text

SETUP_S = 100.0  # a pool's start; the C side gives set-up 120 s
REPORT_S = 2.0  # the end-of-run usage calls
POLL_S = POLL_NS / 1e9

_mono = time.monotonic_ns
_pack = RECORD.pack_into


def run_pool(run):
    c = run.concurrency
    if not 1 <= c <= run.workers:
        raise SetupError(f"py.{run.runner}: concurrency {c} is not a pool size for {run.workers} workers")
    (run_threads if run.runner == "threads" else run_processes)(run)


def stop_wait(run, futures):
    """After a stop: the queued futures are cancelled, the running ones get the grace. True
    when all ended within it."""
    for f in futures:
        f.cancel()
    _, not_done = cf.wait(futures, timeout=run.grace_ns / 1e9)
    return not not_done


def wait_in_order(run, futures):
    """Waits for each future in turn, as executor.map's results do; a stop ends it."""
    for k, f in enumerate(futures):
        while True:
            try:
                f.exception(timeout=POLL_S)
                break
            except cf.TimeoutError:
                if run.stop:
                    return stop_wait(run, futures[k:])
            except cf.CancelledError:
                break
    return True


# ---- threads ---------------------------------------------------------------------------------

def run_threads(run):
    global _trun, _tls
    c, wl, wlock = run.concurrency, run.wl, threading.Lock()
    wl.prepare("threads")
    tls, lock, errors, workers = threading.local(), threading.Lock(), [], {}
    _trun, _tls, up = run, tls, [0]

    def init():  # in each pool thread as it comes up: its index, its pin, its form
        with lock:
            k, up[0] = up[0], up[0] + 1
        tls.w = None
        try:
            usage.pin(run.pin_of(k), f"pool thread {k}")
            tls.w = workers[k] = Worker(run, k, wl.blocking(k), wlock)
        except SetupError as e:
            errors.append(str(e))
        except BaseException as e:
            errors.append(f"pool thread {k}: {failure_text(e)}")

    pool = cf.ThreadPoolExecutor(max_workers=c, initializer=init)
    barrier = threading.Barrier(c + 1)

    def warm():  # one per thread (the barrier holds each): every thread started and pinned
        if tls.w is not None:
            tls.w.base = usage.sample()
        barrier.wait(SETUP_S)

    for _ in range(c):
        pool.submit(warm)
    try:
        barrier.wait(SETUP_S)
    except threading.BrokenBarrierError:
        errors.append(f"the pool's {c} threads did not all start within {SETUP_S:.0f} s")
    if errors:
        raise SetupError(errors[0])
    run.facts.update(idiom=f"concurrent.futures.ThreadPoolExecutor(max_workers={c})",
                     submit="executor.submit per task", usage="RUSAGE_THREAD of each pool thread")
    run.ready()
    go = run.wait_go()
    if run.open:
        futures = []
        for i, when in arrivals(run, go):
            if not sleep_until(run, when):
                break
            futures.append(pool.submit(_thread_task_at, i, when))
            run.submitted += 1
        finished = wait_in_order(run, futures)
    elif run.tasks:
        finished = wait_in_order(run, [pool.submit(_thread_task, i) for i in range(run.tasks)])
    else:
        finished = keep_in_flight(run, pool, _thread_task, go + run.duration_ns)

    ends = {}
    if finished:  # each thread reads its own usage: one call each, held on a barrier
        rb = threading.Barrier(c)

        def report():
            end = usage.sample()
            try:
                rb.wait(REPORT_S)
            except threading.BrokenBarrierError:
                pass
            return tls.w.index, end

        done, _ = cf.wait([pool.submit(report) for _ in range(c)], timeout=2 * REPORT_S)
        for f in done:
            if f.exception() is None:
                k, end = f.result()
                ends.setdefault(k, usage.delta(workers[k].base, end, go))
    counts = seal(run, list(workers.values()), wlock)
    if not run.open:
        run.submitted = sum(w.total() for w in workers.values())
    run.done(counts, ends, usage.peak_rss_bytes(), unfinished=not finished)
    run.finish()


# What a pool thread runs per task: Worker.task's body, inline (one Python call per task
# besides the work; the run is one per process, so its state is a module global).
_trun = _tls = None


def _thread_task(index):
    if _trun.halt:
        return
    w = _tls.w
    t0 = _mono()
    try:
        status, nbytes = w.form(index)
    except BaseException as e:
        status, nbytes = w.fail(e)
    t1 = _mono()
    if w.tmo and t1 - t0 > w.tmo:
        status = w.timeout
    off = w.off
    _pack(w.buf, off, t0, t0, t1, nbytes, w.index, status, NO_CPU, 0)
    w.off = off = off + RECORD_SIZE
    if off == BATCH_BYTES:
        w.flush()
    if status != w.ok:
        w.failed(status)


def _thread_task_at(index, when):
    if not _trun.halt:
        _tls.w.task(index, when)


def keep_in_flight(run, pool, task, deadline):
    """A duration's closed loop: c tasks in flight; as each finishes (its done callback, in
    its pool thread) the next is submitted, until the deadline."""
    live, lock, idle, index = [run.concurrency], threading.Lock(), threading.Event(), itertools.count()

    def refill(f):
        if not run.halt and _mono() < deadline:
            try:
                pool.submit(task, next(index)).add_done_callback(refill)
                return
            except RuntimeError:  # shut down
                pass
        with lock:
            live[0] -= 1
            if not live[0]:
                idle.set()

    for _ in range(run.concurrency):
        pool.submit(task, next(index)).add_done_callback(refill)
    grace_end = None
    while not idle.wait(POLL_S):
        if run.stop and grace_end is None:
            grace_end = _mono() + run.grace_ns
        if grace_end is not None and _mono() >= grace_end:
            return False
    return True


# ---- processes: the pool process's side -------------------------------------------------------

class _Child:
    """This pool process's worker (set by the initializer)."""


_child = None


def _proc_init(wl, pins, counter, warm_barrier, report_barrier, slots, halt, tmo, close_fds, codes):
    global _child
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a stop is the worker's to handle
    if close_fds:  # forked: the worker's pipes are its own (their end of file is the C side's cue)
        for fd in (CTL_IN, CTL_OUT, RECORDS_FD):
            try:
                os.close(fd)
            except OSError:
                pass
    with counter.get_lock():
        k = counter.value
        counter.value += 1
    c = _Child()
    c.index, c.at, c.slots, c.halt, c.tmo = k, 2 * k, slots, halt, tmo
    c.warm_barrier, c.report_barrier, c.error, c.form = warm_barrier, report_barrier, None, None
    c.timeout, c.exception = codes
    try:
        usage.pin(pins[k] if k < len(pins) else [], f"pool process {k}")
        c.form = wl.blocking(k)
    except SetupError as e:
        c.error = str(e)
    except BaseException as e:
        c.error = f"pool process {k}: {failure_text(e)}"
    _child = c


def _proc_warm():
    c = _child
    c.base = usage.sample(usage.PROCESS)
    try:
        c.warm_barrier.wait(SETUP_S)
    except threading.BrokenBarrierError:
        pass
    return c.index, os.getpid(), c.error


def _proc_task(index, created):
    """The task, in the pool process: its record's fields, or None when the run halted."""
    c = _child
    if c.halt.value:
        return None
    slots, at = c.slots, c.at
    t0 = _mono()
    slots[at + 1] = t0
    slots[at] = index + 1  # running: what a crash report needs
    failure = None
    try:
        status, nbytes = c.form(index)
    except TaskFailed as f:
        status, nbytes, failure = f.status, f.nbytes, f.text
    except BaseException as e:
        status, nbytes, failure = c.exception, 0, failure_text(e)
    t1 = _mono()
    slots[at] = 0
    if c.tmo and t1 - t0 > c.tmo:
        status = c.timeout
    return index, created or t0, t0, t1, nbytes, status, c.index, failure


def _proc_report(go):
    c = _child
    end = usage.sample(usage.PROCESS)
    try:
        c.report_barrier.wait(REPORT_S)
    except threading.BrokenBarrierError:
        pass
    return c.index, usage.delta(c.base, end, go), usage.peak_rss_bytes()


# ---- processes: the worker's side -------------------------------------------------------------

class ProcPool:
    """A ProcessPoolExecutor that is rebuilt when a pool process dies."""

    def __init__(self, run, recs):
        self.run, self.recs, self.c = run, recs, run.concurrency
        self.ctx = multiprocessing.get_context()
        self.fork = self.ctx.get_start_method() == "fork"
        self.slots = self.ctx.RawArray("q", 2 * self.c)  # per worker: index + 1 running, its start
        self.halt = self.ctx.RawValue("b", 0)  # the pool processes' view of run.halt
        self.pending = {}  # future -> (index, created)
        self.lost = []  # (index, created) of the tasks a broken pool failed
        self.broken = False
        self.changed = threading.Event()  # a task ended (each, or the last: wake_each)
        self.wake_each = False  # a duration: the main thread refills as each ends
        self.rebuilds = self.crashes = 0
        self.ex, self.procs, self.pid_worker = None, {}, {}

    def start(self):
        """A new pool, every process started, pinned and waiting (a barrier) before it returns."""
        ctx, c, run = self.ctx, self.c, self.run
        warm, report = ctx.Barrier(c), ctx.Barrier(c)
        self.ex = cf.ProcessPoolExecutor(
            max_workers=c, mp_context=ctx, initializer=_proc_init,
            initargs=(run.wl, run.pins, ctx.Value("i", 0), warm, report, self.slots, self.halt,
                      run.timeout_ns, self.fork, (run.st.timeout, run.st.exception)))
        futures = [self.ex.submit(_proc_warm) for _ in range(c)]
        done, not_done = cf.wait(futures, timeout=SETUP_S, return_when=cf.FIRST_EXCEPTION)
        errors = [] if not not_done else [f"the pool's {c} processes did not all start within {SETUP_S:.0f} s"]
        self.pid_worker = {}
        for f in done:
            if f.exception() is not None:
                errors.insert(0, f"a pool process did not start: {failure_text(f.exception())}")
                continue
            k, pid, error = f.result()
            self.pid_worker[pid] = k
            if error:
                errors.insert(0, error)
        self.procs = dict(self.ex._processes or {})  # pid -> Process: how one died
        if errors:
            self.kill()
            raise SetupError(errors[0])

    def kill(self):
        for p in self.procs.values():
            try:
                p.kill()
            except Exception:
                pass
        try:
            self.ex.shutdown(wait=False, cancel_futures=True)
        except Exception:
            pass

    def sync_halt(self):
        if self.run.halt and not self.halt.value:
            self.halt.value = 1

    def submit(self, index, created=0):
        try:
            f = self.ex.submit(_proc_task, index, created)
        except (BrokenProcessPool, RuntimeError):
            self.broken = True
            self.lost.append((index, created))
            return
        self.pending[f] = (index, created)
        f.add_done_callback(self._done)

    def _done(self, f):
        """A task ended (in the manager thread; a cancelled one in the main thread)."""
        ic = self.pending.pop(f, None)
        if not f.cancelled():
            e = f.exception()
            if e is None:
                r = f.result()
                if r is not None:
                    index, created, t0, t1, nbytes, status, k, failure = r
                    self.recs.add(created, t0, t1, nbytes, k, status)
                    if failure:
                        self.run.failures[k] = failure
                    if status != self.run.st.ok and self.run.fail_fast:
                        self.run.halt = True
                        self.halt.value = 1
            elif isinstance(e, BrokenProcessPool):
                self.broken = True
                if ic is not None:
                    self.lost.append(ic)
            elif ic is not None:  # the pool could not run it at all
                now = _mono()
                self.recs.add(ic[1] or now, now, now, 0, 0, self.run.st.exception)
                self.run.failures[0] = failure_text(e)
        if self.wake_each or not self.pending or self.broken:  # the main thread waits for these
            self.changed.set()

    def deaths(self):
        """Worker -> how its process ended (after a broken pool was shut down)."""
        out = {}
        for pid, p in self.procs.items():
            code, k = p.exitcode, self.pid_worker.get(pid)
            if k is None or code is None:
                continue
            if code == -signal.SIGTERM:
                how = "terminated with the broken pool"
            elif code < 0:
                try:
                    how = f"killed by {signal.Signals(-code).name}"
                except ValueError:
                    how = f"killed by signal {-code}"
            else:
                how = f"exited with status {code}"
            out[k] = f"BrokenProcessPool: pool process {pid} {how}"
        return out

    def recover(self):
        """After a pool broke: the tasks that were running are "crash", the pool is rebuilt and
        the tasks it had not started are submitted again."""
        run, st = self.run, self.run.st
        self.ex.shutdown(wait=True)  # its manager thread has failed every pending future
        now, running = _mono(), {}
        for k in range(self.c):
            if self.slots[2 * k]:
                running[self.slots[2 * k] - 1] = (k, self.slots[2 * k + 1])
                self.slots[2 * k] = 0
        how, lost, again = self.deaths(), sorted(self.lost), []
        self.lost, self.broken = [], False
        for index, created in lost:
            if index in running:
                k, t0 = running[index]
                self.recs.add(created or t0, t0, max(now, t0), 0, k, st.crash)
                run.failures[k] = how.get(k, "BrokenProcessPool: a pool process died")
                self.crashes += 1
                if run.fail_fast:
                    run.halt = True
            else:
                again.append((index, created))
        self.sync_halt()
        if run.halt:
            return
        self.rebuilds += 1
        try:
            self.start()
        except SetupError as e:  # no pool: no more tasks
            run.failures[0] = f"the pool could not be rebuilt: {e}"[:127]
            run.halt = True
            self.sync_halt()
            return
        for index, created in again:
            self.submit(index, created)

    def drain(self):
        """Waits until every task submitted has ended; False when a stop's grace ran out."""
        grace_end = None
        while True:
            if self.broken:
                self.recover()
            self.sync_halt()
            if not self.pending and not self.broken:
                return True
            if self.run.stop and grace_end is None:
                grace_end = _mono() + self.run.grace_ns
                for f in list(self.pending):
                    f.cancel()
            if grace_end is not None and _mono() >= grace_end:
                return False
            self.changed.wait(POLL_S)
            self.changed.clear()

    def keep_in_flight(self, deadline):
        """A duration's closed loop: c tasks in flight, one submitted as each ends."""
        index, self.wake_each = itertools.count(), True
        while True:
            if self.broken:
                self.recover()
            self.sync_halt()
            if self.run.halt or _mono() >= deadline:
                return
            while len(self.pending) < self.c and not self.broken and _mono() < deadline:
                self.submit(next(index))
            self.changed.wait(POLL_S)
            self.changed.clear()

    def reports(self, go):
        """Each pool process's usage over the run, one call each (a barrier holds each)."""
        out = {}
        if self.broken:
            return out
        try:
            futures = [self.ex.submit(_proc_report, go) for _ in range(self.c)]
        except (BrokenProcessPool, RuntimeError):
            return out
        done, _ = cf.wait(futures, timeout=2 * REPORT_S)
        for f in done:
            if f.exception() is None:
                k, u, rss = f.result()
                out.setdefault(k, (u, rss))
        return out


def run_processes(run):
    c, wl = run.concurrency, run.wl
    wl.prepare("processes")
    recs = LockedRecords(run.st.count)
    pool = ProcPool(run, recs)
    pool.start()
    run.facts.update(idiom=f"concurrent.futures.ProcessPoolExecutor(max_workers={c})",
                     start_method=pool.ctx.get_start_method(), submit="executor.submit per task",
                     chunksize=1, usage="RUSAGE_SELF of each pool process since its warm-up "
                     "(a process lost with a broken pool takes its usage with it)")
    run.ready()
    go = run.wait_go()
    if run.open:
        for i, when in arrivals(run, go):
            if pool.broken:
                pool.recover()
            pool.sync_halt()
            if not sleep_until(run, when):
                break
            pool.submit(i, when)
            run.submitted += 1
    elif run.tasks:
        for i in range(run.tasks):
            if run.halt:
                break
            pool.submit(i)
    else:
        pool.keep_in_flight(go + run.duration_ns)
    finished = pool.drain()
    reports = pool.reports(go) if finished else {}
    if finished:
        pool.ex.shutdown(wait=True)
    else:
        pool.kill()
    recs.seal()
    if not run.open:
        run.submitted = recs.total()
    run.facts.update(pool_rebuilds=pool.rebuilds, crashed_tasks=pool.crashes)
    peak = usage.peak_rss_bytes() + sum(rss for _, rss in reports.values())
    run.done(recs.counts, {k: u for k, (u, _) in reports.items()}, peak, unfinished=not finished)
    run.finish()
