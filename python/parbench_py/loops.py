"""The asyncio runners, one loop on the main thread (asyncio's, or uvloop's):

asyncio:   every task an asyncio.create_task made at go, then
           asyncio.gather(*tasks, return_exceptions=True).
semaphore: every task created, `async with sem:` (asyncio.Semaphore(c)) around the work.
queue:     asyncio.Queue(maxsize=queue_depth), one producer (`await queue.put(i)`, then a None
           per consumer) and c consumers (`item = await queue.get()` ... `queue.task_done()`).

Open loop: the producer awaits asyncio.sleep until each task's time, then creates (or puts)
it. A task's timeout is asyncio.wait_for. A stop: nothing new starts; after the grace, what is
still running is cancelled (status "other", as the C loop runners count a stop's cancels).
"""
import asyncio
import collections
import itertools
import signal
import time

from . import usage
from .protocol import BATCH, NO_CPU, RECORD, Records, SetupError
from .runners import POLL_NS, arrivals
from .workloads import TaskFailed, failure_text

CLOSE_S = 1.0  # the workload's loop teardown (a session's close)
ABANDON_NS = 1_000_000_000  # past the grace: tasks that ignore their cancel are left behind

_mono = time.monotonic_ns
_pack = RECORD.pack_into
RECORD_SIZE = RECORD.size
BATCH_BYTES = RECORD.size * BATCH  # Records.buf's size


def run_loop(run):
    kind, c = run.runner, run.concurrency
    if run.workers != 1:
        raise SetupError(f"py.{kind} runs one event loop: {run.workers} workers are not possible")
    if kind == "queue" and c < 1:
        raise SetupError("py.queue needs concurrency >= 1 (its consumers)")
    if not run.open and not run.tasks and (kind == "asyncio" or not c):
        raise SetupError(f"py.{kind} gathers a fixed set of tasks: give tasks, or a rate with a duration")
    loop = run.case.get("loop") or "asyncio"
    if loop == "uvloop":
        try:
            import uvloop
        except ImportError as e:
            raise SetupError(f"py.{kind} --py-loop uvloop: uvloop is not importable: "
                             f"{failure_text(e)} (apt-get install python3-uvloop)") from None
        factory, name = uvloop.new_event_loop, f"uvloop {uvloop.__version__}"
    elif loop == "asyncio":
        factory, name = None, "asyncio"
    else:
        raise SetupError(f"the loop is asyncio or uvloop, not '{loop}'")
    usage.pin(run.pin_of(0), "the loop's thread")
    run.wl.prepare("loop")
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(LoopRun(run, name).main())


class LoopRun:
    def __init__(self, run, name):
        self.run, self.name = run, name
        self.recs = Records(run.st.count)
        self.tasks, self.live, self.consumers = [], set(), []
        self.producer = self.queue = self.grace_handle = None
        self.stop_ns = None
        self.inflight = self.peak = 0

    # ---- the stop ------------------------------------------------------------------------

    def on_sigint(self, signum=None, frame=None):
        """The Python-level handler: seen between bytecodes even while inline work blocks the
        loop (tasks not yet started then skip); the loop does the rest."""
        self.run.on_sigint()
        self.loop.call_soon_threadsafe(self.on_stop)

    def on_stop(self):
        if self.stop_ns is not None:
            return
        self.stop_ns = _mono()
        if self.producer is not None and not self.producer.done():
            self.producer.cancel()
            if self.queue is not None:  # it puts no None now: the consumers get theirs here
                self.closer = asyncio.ensure_future(self.close_queue())
        self.grace_handle = self.loop.call_later(self.run.grace_ns / 1e9, self.cancel_all)

    async def close_queue(self):
        for _ in self.consumers:
            await self.queue.put(None)

    def cancel_all(self):
        for t in itertools.chain(self.tasks, list(self.live), self.consumers):
            t.cancel()

    # ---- the run -------------------------------------------------------------------------

    async def main(self):
        run = self.run
        self.loop = asyncio.get_running_loop()
        await run.wl.open_loop()
        self.form, self.is_async = run.wl.loop_form()
        c = run.concurrency
        run.facts.update(loop=self.name, idiom={
            "asyncio": "asyncio.create_task per task, asyncio.gather(*tasks, return_exceptions=True)",
            "semaphore": f"asyncio.Semaphore({c}): async with sem around each task" if c else
                         "no semaphore (concurrency 0: no limit)",
            "queue": f"asyncio.Queue(maxsize={run.queue_depth}), one producer, {c} consumers"}[run.runner],
            usage="RUSAGE_THREAD of the loop's thread")
        if self.is_async and run.timeout_ns:
            run.facts["timeout"] = "asyncio.wait_for"
        signal.signal(signal.SIGINT, self.on_sigint)
        if run.stop:
            self.on_stop()
        run.ready(self.name)
        go = run.wait_go()  # blocks the loop: nothing else runs yet
        base = usage.sample()
        work = asyncio.ensure_future(getattr(self, "run_" + run.runner)(go))
        while not work.done():  # a stop's cancels may be ignored by user code: not forever
            await asyncio.wait({work}, timeout=POLL_NS / 1e9)
            if self.stop_ns is not None and _mono() > self.stop_ns + run.grace_ns + ABANDON_NS:
                break
        unfinished = not work.done()
        end = usage.sample()
        self.recs.seal()
        self.recs.count_ok(run.st.ok)
        if self.grace_handle is not None:
            self.grace_handle.cancel()
        try:
            await asyncio.wait_for(run.wl.close_loop(), CLOSE_S)
        except BaseException:
            pass
        if run.runner == "semaphore":
            run.facts["peak_in_flight"] = self.peak
        run.done(self.recs.counts, {0: usage.delta(base, end)}, usage.peak_rss_bytes(), unfinished)
        run.finish()

    def make_task(self):
        """The coroutine of one task (below), its state set for this run."""
        global _run, _form, _recs, _buf, _ok, _tmo_ns, _tmo_s, _kit
        _run, _form, _recs, _buf = self.run, self.form, self.recs, self.recs.buf
        _ok, _tmo_ns, _tmo_s, _kit = self.run.st.ok, self.run.timeout_ns, self.run.timeout_ns / 1e9, _TaskKit(self)
        if self.form is None:
            return _task_null
        if not self.is_async:
            return _task_inline
        return _task_wait_for if _tmo_ns else _task_await

    async def produce(self, go, spawn):
        """The open loop's producer: sleeps until each task's time, then spawn(index, when)."""
        run, mono, sleep = self.run, _mono, asyncio.sleep

        async def producer():
            for i, when in arrivals(run, go):
                delay = when - mono()
                await sleep(delay / 1e9 if delay > 0 else 0)
                while (now := mono()) < when:  # never early: created is the scheduled time
                    await sleep((when - now) / 1e9)
                if run.halt:
                    return
                await spawn(i, when)
                run.submitted += 1

        self.producer = asyncio.ensure_future(producer())
        await asyncio.gather(self.producer, return_exceptions=True)

    async def run_asyncio(self, go):
        run, task, create = self.run, self.make_task(), asyncio.create_task
        if run.open:
            async def spawn(i, when):
                self.tasks.append(create(task(i, when)))
            await self.produce(go, spawn)
        else:
            now = _mono()
            self.tasks = [create(task(i, now)) for i in range(run.tasks)]
            run.submitted = run.tasks
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def run_semaphore(self, go):
        run, task, create = self.run, self.make_task(), asyncio.create_task
        if run.concurrency:
            sem = asyncio.Semaphore(run.concurrency)

            async def limited(i, created):
                async with sem:
                    self.inflight += 1
                    if self.inflight > self.peak:
                        self.peak = self.inflight
                    await task(i, created)
                    self.inflight -= 1
        else:
            limited = task
        if run.open:
            async def spawn(i, when):
                self.tasks.append(create(limited(i, when)))
            await self.produce(go, spawn)
        elif run.tasks:
            now = _mono()
            self.tasks = [create(limited(i, now)) for i in range(run.tasks)]
            run.submitted = run.tasks
        else:  # a duration: one task per permit, then one per freed permit, until its end
            deadline, index, all_done = go + run.duration_ns, itertools.count(), self.loop.create_future()

            def spawn_one():
                t = create(limited(next(index), _mono()))
                self.live.add(t)
                t.add_done_callback(refill)
                run.submitted += 1

            def refill(t):
                self.live.discard(t)
                if not run.halt and _mono() < deadline:
                    spawn_one()
                elif not self.live and not all_done.done():
                    all_done.set_result(None)

            for _ in range(run.concurrency):
                spawn_one()
            await all_done
            return
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def run_queue(self, go):
        run, task, c = self.run, self.make_task(), self.run.concurrency
        q = self.queue = asyncio.Queue(maxsize=run.queue_depth)
        created, mono = collections.deque(), _mono  # put order is get order: one producer

        async def producer():
            if run.tasks and not run.open:
                for i in range(run.tasks):
                    if run.halt:
                        break
                    await q.put(i)
                    created.append(mono())  # created: when put returned
                    run.submitted += 1
            elif not run.open:
                deadline, i = go + run.duration_ns, 0
                while not run.halt and mono() < deadline:
                    await q.put(i)
                    created.append(mono())
                    run.submitted += 1
                    i += 1
            else:
                for i, when in arrivals(run, go):
                    delay = when - mono()
                    await asyncio.sleep(delay / 1e9 if delay > 0 else 0)
                    while (now := mono()) < when:
                        await asyncio.sleep((when - now) / 1e9)
                    if run.halt:
                        break
                    await q.put(i)
                    created.append(when)  # open loop: created is the scheduled time
                    run.submitted += 1
            for _ in range(c):
                await q.put(None)

        async def consumer():
            while True:
                item = await q.get()
                if item is None:
                    q.task_done()
                    return
                await task(item, created.popleft())
                q.task_done()

        self.consumers = [asyncio.create_task(consumer()) for _ in range(c)]
        self.producer = asyncio.create_task(producer())
        await asyncio.gather(self.producer, *self.consumers, return_exceptions=True)


class _TaskKit:
    """A task's rare paths: an exception's status and text, a failure's count and fail_fast."""

    def __init__(self, lr):
        run, st = lr.run, lr.run.st
        self.run, self.counts, self.failures = run, lr.recs.counts, run.failures
        self.tmo_ns, self.fail_fast = run.timeout_ns, run.fail_fast
        self.timeout, self.stopped, self.exception = st.timeout, st.other, st.exception

    def fail(self, e, t0):
        """(status, bytes) of a task that raised e."""
        if isinstance(e, TaskFailed):
            self.failures[0] = e.text
            return e.status, e.nbytes
        if isinstance(e, asyncio.CancelledError):  # only a stop cancels a task
            return self.stopped, 0
        if isinstance(e, TimeoutError) and self.tmo_ns and (
                isinstance(e.__cause__, asyncio.CancelledError) or _mono() - t0 >= self.tmo_ns):
            return self.timeout, 0  # wait_for's: it comes from the cancel of the work
        self.failures[0] = failure_text(e)
        return self.exception, 0

    def failed(self, status):
        self.counts[status] += 1
        if self.fail_fast:
            self.run.halt = True


# ---- a task --------------------------------------------------------------------------------------
# The coroutine of one task: times the work (after the permit, for a semaphore) and records it;
# a task the run halted before it started leaves no record. Its path is what a bare gather pays
# plus two clock reads and a pack_into. One coroutine per kind of form, reading the run's state
# from module globals (set by make_task: a worker runs one loop): a closure's cells cost a
# coroutine ~20% more instructions than the rest of the path. Failures go out of line (_kit).
_run = _form = _recs = _buf = _kit = None
_ok = _tmo_ns = 0
_tmo_s = 0.0
_wait_for = asyncio.wait_for


async def _task_null(index, created):
    """null: nothing to run."""
    if _run.halt:
        return
    t0 = _mono()
    t1 = _mono()
    status = _ok if not _tmo_ns or t1 - t0 <= _tmo_ns else _kit.timeout
    off = _recs.off
    _pack(_buf, off, created, t0, t1, 0, 0, status, NO_CPU, 0)
    _recs.off = off = off + RECORD_SIZE
    if off == BATCH_BYTES:
        _recs.flush()
    if status != _ok:
        _kit.failed(status)


async def _task_inline(index, created):
    """A plain function: runs inline, blocking the loop."""
    if _run.halt:
        return
    t0 = _mono()
    try:
        status, nbytes = _form(index)
    except BaseException as e:
        status, nbytes = _kit.fail(e, t0)
    t1 = _mono()
    if _tmo_ns and t1 - t0 > _tmo_ns:
        status = _kit.timeout  # inline work cannot be cancelled: counted when it ends
    off = _recs.off
    _pack(_buf, off, created, t0, t1, nbytes, 0, status, NO_CPU, 0)
    _recs.off = off = off + RECORD_SIZE
    if off == BATCH_BYTES:
        _recs.flush()
    if status != _ok:
        _kit.failed(status)


async def _task_await(index, created):
    if _run.halt:
        return
    t0 = _mono()
    try:
        status, nbytes = await _form(index)
    except BaseException as e:
        status, nbytes = _kit.fail(e, t0)
    t1 = _mono()
    off = _recs.off
    _pack(_buf, off, created, t0, t1, nbytes, 0, status, NO_CPU, 0)
    _recs.off = off = off + RECORD_SIZE
    if off == BATCH_BYTES:
        _recs.flush()
    if status != _ok:
        _kit.failed(status)


async def _task_wait_for(index, created):
    """asyncio.wait_for(work, timeout)."""
    if _run.halt:
        return
    t0 = _mono()
    try:
        status, nbytes = await _wait_for(_form(index), _tmo_s)
    except BaseException as e:
        status, nbytes = _kit.fail(e, t0)
    t1 = _mono()
    if t1 - t0 > _tmo_ns and status != _kit.stopped:
        status = _kit.timeout
    off = _recs.off
    _pack(_buf, off, created, t0, t1, nbytes, 0, status, NO_CPU, 0)
    _recs.off = off = off + RECORD_SIZE
    if off == BATCH_BYTES:
        _recs.flush()
    if status != _ok:
        _kit.failed(status)
