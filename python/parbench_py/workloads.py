"""The Python forms of the workloads: the C ones' names, parameters and self-checks.

Every workload has a blocking form, blocking(worker) -> run(index), for the serial, threads and
processes runners (made in the thread or process that calls it), and a loop form, loop_form() ->
(run, is_async), for the asyncio runners (a plain run is called inline and blocks the loop; None:
nothing to run, the task is the bare coroutine). A
run returns (status, bytes); a failure with something to say raises TaskFailed instead, whose
text becomes the worker's last failure. Statuses are the case's codes (protocol.Statuses).
"""
import asyncio
import importlib
import inspect
import math
import multiprocessing
import os
import random
import signal
import sys
import threading
import time
import urllib.parse

from .protocol import SetupError

FAILURE_MAX = 127  # the C side keeps 128 bytes of a worker's last failure


class TaskFailed(Exception):
    """A task's failure of a known kind, with the text for the worker's last failure."""

    def __init__(self, status, text, nbytes=0):
        super().__init__(text)
        self.status, self.text, self.nbytes = status, text[:FAILURE_MAX], nbytes


def failure_text(e):
    """'TypeName: message', as the document shows an exception."""
    msg = str(e)
    return (f"{type(e).__name__}: {msg}" if msg else type(e).__name__)[:FAILURE_MAX]


class Workload:
    """The parameters (typed, defaults filled), the C side's facts and the status codes."""
    name = ""

    def __init__(self, case, st):
        self.p, self.facts, self.st = case["params"], case.get("facts") or {}, st
        self.timeout_ns = int(case.get("timeout_ns") or 0)
        self.kind = None

    def param(self, key, conv):
        try:
            return conv(self.p[key])
        except KeyError:
            raise SetupError(f"{self.name}: the case has no parameter {key}") from None
        except (TypeError, ValueError):
            raise SetupError(f"{self.name}: bad {key} {self.p[key]!r}") from None

    def prepare(self, kind):
        """Set-up in the worker process before any worker exists. kind: serial, threads,
        processes or loop (what the blocking and loop forms will be asked for)."""
        self.kind = kind

    def blocking(self, worker):
        raise NotImplementedError

    async def open_loop(self):
        """Set-up inside the loop, before ready (a session)."""

    def loop_form(self):
        return self.blocking(0), False

    async def close_loop(self):
        pass

    def check(self, counts):
        """The end-of-run check from the tasks per status: None, or what is wrong."""
        return None

    def report(self):
        return {}


class Null(Workload):
    """Does nothing; its test-only parameters make chosen tasks fail or kill their worker."""
    name = "null"

    def __init__(self, case, st):
        super().__init__(case, st)
        self.fail_every = self.param("fail_every", int)
        self.crash_every = self.param("crash_every", int)
        self.crash_mode = self.param("crash_mode", str)
        if self.crash_mode not in ("abort", "segv", "exit"):
            raise SetupError(f"null: crash_mode '{self.crash_mode}' is not abort, segv or exit")

    def blocking(self, worker):
        ok, wrong = (self.st.ok, 0), (self.st.wrong_result, 0)
        fail_every, crash_every, mode = self.fail_every, self.crash_every, self.crash_mode
        if not fail_every and not crash_every:
            return lambda index: ok

        def run(index):
            if crash_every and (index + 1) % crash_every == 0:
                crash(mode)
            if fail_every and (index + 1) % fail_every == 0:
                return wrong
            return ok
        return run

    def loop_form(self):
        if not self.fail_every and not self.crash_every:
            return None, False  # nothing at all: the task is the bare coroutine
        return self.blocking(0), False

    def report(self):
        return {"crash_mode": self.crash_mode} if self.crash_every else {}


def crash(mode):
    """Kills the calling process, as the C null's crashing task does."""
    if mode == "exit":
        os._exit(1)
    if mode == "segv":
        os.kill(os.getpid(), signal.SIGSEGV)
    os.abort()


def cpu_heavy(n):
    """The cheat sheet's CPU-bound task."""
    return sum(i**2 for i in range(n))


class SumSq(Workload):
    name = "cpu.sumsq"

    def __init__(self, case, st):
        super().__init__(case, st)
        self.n = self.param("n", int)
        self.expected = (self.n - 1) * self.n * (2 * self.n - 1) // 6  # exact: Python ints

    def blocking(self, worker):
        n, expected = self.n, self.expected
        ok, wrong = (self.st.ok, 0), (self.st.wrong_result, 0)
        return lambda index: ok if cpu_heavy(n) == expected else wrong

    def report(self):
        return {"function": "sum(i**2 for i in range(n))", "on_loops": "runs inline: blocks the loop"}


def count_primes(top):
    """sysbench's trial division as the C cpu.primes runs it: c counts when no l in 2..sqrt(c)
    (a float bound) divides it."""
    n = 0
    for c in range(3, top + 1):
        t = math.sqrt(c)
        l = 2
        while l <= t:
            if c % l == 0:
                break
            l += 1
        if l > t:
            n += 1
    return n


def sieve_count(top):
    """Primes in [3, top] by the sieve of Eratosthenes: the independent check."""
    composite = bytearray(top + 1)
    for i in range(2, math.isqrt(top) + 1):
        if not composite[i]:
            composite[i * i::i] = b"\1" * len(range(i * i, top + 1, i))
    return top - 1 - composite.count(1, 2) - 1  # [2, top] less its composites, less 2


class Primes(Workload):
    name = "cpu.primes"

    def __init__(self, case, st):
        super().__init__(case, st)
        self.max = self.param("max", int)
        if self.max < 3:
            raise SetupError(f"cpu.primes: max {self.max} is below 3")
        self.expected = sieve_count(self.max)

    def blocking(self, worker):
        top, expected = self.max, self.expected
        ok, wrong = (self.st.ok, 0), (self.st.wrong_result, 0)
        return lambda index: ok if count_primes(top) == expected else wrong

    def report(self):
        return {"expected_primes": self.expected, "on_loops": "runs inline: blocks the loop"}


class Sleep(Workload):
    """Waits ms milliseconds, and checks that it waited at least that long."""
    name = "io.sleep"

    def __init__(self, case, st):
        super().__init__(case, st)
        self.ms = self.param("ms", float)
        if not self.ms >= 0:
            raise SetupError(f"io.sleep: ms {self.ms} is not a duration")
        self.ns = math.ceil(self.ms * 1e6)
        self.slack_ns = 0

    def blocking(self, worker):
        s, ns, mono, sleep = self.ms / 1000, self.ns, time.monotonic_ns, time.sleep
        ok, wrong = (self.st.ok, 0), (self.st.wrong_result, 0)

        def run(index):
            t0 = mono()
            sleep(s)
            return ok if mono() - t0 >= ns else wrong
        return run

    def loop_form(self):
        # uvloop's timers are whole milliseconds (libuv's): its sleep may end up to 1 ms early
        self.slack_ns = 1_000_000 if type(asyncio.get_running_loop()).__module__.startswith("uvloop") else 0
        s, ns, mono, sleep = self.ms / 1000, self.ns - self.slack_ns, time.monotonic_ns, asyncio.sleep
        ok, wrong = (self.st.ok, 0), (self.st.wrong_result, 0)

        async def run(index):
            t0 = mono()
            await sleep(s)
            return ok if mono() - t0 >= ns else wrong
        return run, True

    def report(self):
        out = {"requested_ms": self.ms, "blocking": "time.sleep", "eventloop": "asyncio.sleep",
               "clock": "time.monotonic_ns", "check": "waited at least ms"}
        if self.slack_ns:
            out["check"] = "waited at least ms - 1 ms (uvloop's timers are whole milliseconds)"
        return out


PATTERN_SHIFTS = 4093  # a task starts at pattern[index % 4093]: a lost write shows


def _pwrite_all(fd, view, offset):
    while view:
        n = os.pwrite(fd, view, offset)
        view, offset = view[n:], offset + n


def _pread_all(fd, size, offset):
    data = os.pread(fd, size, offset)
    while len(data) < size:
        more = os.pread(fd, size - len(data), offset + len(data))
        if not more:
            break
        data += more
    return data


class File(Workload):
    """Writes size bytes of the task's own pattern to the worker's file (unlinked once open),
    optionally fsyncs, reads them back and compares."""
    name = "io.file"

    def __init__(self, case, st):
        super().__init__(case, st)
        self.size = self.param("size", int)
        self.fsync = self.param("fsync", bool)
        self.dir = self.param("dir", str)
        if self.size < 1:
            raise SetupError(f"io.file: size {self.size} is below 1")

    def prepare(self, kind):
        super().prepare(kind)
        os.close(self._open("probe"))  # the C side's check: the directory takes a new file

    def _open(self, tag):
        path = os.path.join(self.dir, f"parbench-py-{os.getpid()}-{threading.get_ident()}-{tag}")
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        except OSError as e:
            raise SetupError(f"io.file: directory '{self.dir}' is not writable: {e.strerror}") from None
        os.unlink(path)
        return fd

    def _pattern(self, worker):
        return random.Random(0x9E3779B97F4A7C15 * (worker + 1)).randbytes(self.size + PATTERN_SHIFTS)

    def blocking(self, worker):
        fd, pattern, size, do_fsync = self._open(worker), self._pattern(worker), self.size, self.fsync
        view, ok, st = memoryview(pattern), (self.st.ok, 2 * size), self.st

        def run(index):
            off = index % PATTERN_SHIFTS
            try:
                _pwrite_all(fd, view[off:off + size], 0)
                if do_fsync:
                    os.fsync(fd)
                data = _pread_all(fd, size, 0)
            except OSError as e:
                raise TaskFailed(st.io, "io.file: " + failure_text(e)) from None
            if len(data) == size and pattern.startswith(data, off):
                return ok
            raise TaskFailed(st.wrong_result, "io.file: the data read back differs", 2 * size)
        return run

    def loop_form(self):
        """asyncio.to_thread for each blocking call (pwrite, fsync, pread); each task in flight
        owns a region of the file (a slot), as the C loop form does."""
        fd, pattern, size, do_fsync = self._open(0), self._pattern(0), self.size, self.fsync
        view, ok, st, free, to_thread = memoryview(pattern), (self.st.ok, 2 * size), self.st, [], asyncio.to_thread
        slots = [0]

        async def run(index):
            if free:
                slot = free.pop()
            else:
                slot, slots[0] = slots[0], slots[0] + 1
            at, off = slot * size, index % PATTERN_SHIFTS
            try:
                await to_thread(_pwrite_all, fd, view[off:off + size], at)
                if do_fsync:
                    await to_thread(os.fsync, fd)
                data = await to_thread(_pread_all, fd, size, at)
            except OSError as e:
                free.append(slot)
                raise TaskFailed(st.io, "io.file: " + failure_text(e)) from None
            # a cancelled task's thread may still use its slot: only a finished one is reused
            free.append(slot)
            if len(data) == size and pattern.startswith(data, off):
                return ok
            raise TaskFailed(st.wrong_result, "io.file: the data read back differs", 2 * size)
        return run, True

    def report(self):
        return {"dir": self.dir, "bytes_per_task": 2 * self.size, "fsync": self.fsync,
                "blocking": "os.pwrite, os.fsync, os.pread on the worker's own unlinked file",
                "eventloop": "asyncio.to_thread per call (pwrite, fsync, pread), a region per task "
                             "in flight"}


class Lock(Workload):
    """increments x (lock; counter += 1; unlock) per task on one shared counter."""
    name = "sync.lock"

    def __init__(self, case, st):
        super().__init__(case, st)
        self.inc = self.param("increments", int)
        self.box = [0]

    def prepare(self, kind):
        super().prepare(kind)
        if kind == "processes":
            ctx = multiprocessing.get_context()
            self.lock, self.value = ctx.Lock(), ctx.Value("q", 0, lock=False)
        elif kind == "loop":
            self.lock = None  # an asyncio.Lock, made in loop_form
        else:
            self.lock = threading.Lock()

    def blocking(self, worker):
        inc, lock, ok = self.inc, self.lock, (self.st.ok, 0)
        if self.kind == "processes":
            value = self.value

            def run(index):
                for _ in range(inc):
                    with lock:
                        value.value += 1
                return ok
        else:
            box = self.box

            def run(index):
                for _ in range(inc):
                    with lock:
                        box[0] += 1
                return ok
        return run

    def loop_form(self):
        inc, box, ok = self.inc, self.box, (self.st.ok, 0)
        lock = self.lock = asyncio.Lock()

        async def run(index):
            for _ in range(inc):
                async with lock:
                    box[0] += 1
            return ok
        return run, True

    def counter(self):
        return self.value.value if self.kind == "processes" else self.box[0]

    def check(self, counts):
        """Every completed task added exactly increments; one cut short may have added part."""
        ok, c = counts[self.st.ok], self.counter()
        # cut short: crashed, cancelled by a stop (other) or by wait_for (timeout)
        partial = counts[self.st.crash] + counts[self.st.other] + counts[self.st.timeout]
        low, high = ok * self.inc, (ok + partial) * self.inc
        if low <= c <= high:
            return None
        return f"sync.lock: counter is {c}, expected {low} ({ok} tasks x {self.inc})"

    def report(self):
        lock = {"processes": "multiprocessing.Lock, multiprocessing.Value('q', lock=False)",
                "loop": "asyncio.Lock"}.get(self.kind, "threading.Lock")
        return {"counter": self.counter(), "increments_per_task": self.inc, "lock": lock}


ALPHABET = b"abcdefghijklmnopqrstuvwxyz"
PATTERN_CHECK_MAX = 64 << 20  # the embedded target's bodies are compared up to this size


class Http(Workload):
    """A GET of facts["url"] (the C side's full URL), checked for 200 and the whole body."""
    name = "io.http"

    def __init__(self, case, st):
        super().__init__(case, st)
        self.url = str(self.facts.get("url") or self.param("url", str))
        if not self.url:
            raise SetupError("io.http: no url: give --url or -p url=URL")
        self.embedded = bool(self.facts.get("embedded_target"))
        self.size = self.param("size", int)
        self.max_connections = self.param("max_connections", int)
        self.client = self.param("client", str)
        if self.client not in ("urlopen", "http.client"):
            raise SetupError(f"io.http: client is urlopen or http.client, not '{self.client}'")
        u = urllib.parse.urlsplit(self.url)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise SetupError(f"io.http: '{self.url}' is not an http or https URL")
        self.https, self.host, self.port = u.scheme == "https", u.hostname, u.port
        self.path = (u.path or "/") + ("?" + u.query if u.query else "")
        self.loopback = u.hostname in ("127.0.0.1", "localhost", "::1")
        self.expected = None
        if self.embedded and self.size <= PATTERN_CHECK_MAX:
            self.expected = (ALPHABET * (self.size // 26 + 1))[:self.size]
        self.timeout_s = self.timeout_ns / 1e9 if self.timeout_ns else None
        self.session = None

    def judge(self, code, body, length):
        """The status of a response: 200, and the body whole (the embedded target's: its size
        and pattern; another server's: its Content-Length)."""
        st, n = self.st, len(body)
        if code != 200:
            raise TaskFailed(st.http_status, f"io.http: HTTP status {code}", n)
        if self.embedded:
            if n < self.size:
                raise TaskFailed(st.short_body, f"io.http: {n} body bytes of {self.size}", n)
            if n > self.size or (self.expected is not None and body != self.expected):
                raise TaskFailed(st.wrong_result, "io.http: the body is not the target's pattern", n)
        elif length is not None and n < length:
            raise TaskFailed(st.short_body, f"io.http: {n} body bytes of {length}", n)
        return st.ok, n

    def blocking(self, worker):
        return self._urlopen() if self.client == "urlopen" else self._http_client()

    def _urlopen(self):
        """The cheat sheet's `with urllib.request.urlopen(url) as r: r.read()`: a connection per
        task (an opener without proxies for the loopback)."""
        import http.client
        import urllib.error
        import urllib.request
        opener = urllib.request.build_opener(*([urllib.request.ProxyHandler({})] if self.loopback else []))
        url, st, judge = self.url, self.st, self.judge
        kw = {"timeout": self.timeout_s} if self.timeout_s else {}

        def run(index):
            try:
                with opener.open(url, **kw) as r:
                    length = r.length
                    return judge(r.status, r.read(), length)
            except urllib.error.HTTPError as e:  # a status urllib does not follow
                e.close()
                raise TaskFailed(st.http_status, f"io.http: HTTP status {e.code}") from None
            except urllib.error.URLError as e:  # sending the request: connecting
                kind = st.timeout if isinstance(e.reason, TimeoutError) else \
                    st.connect if isinstance(e.reason, OSError) else st.exception
                raise TaskFailed(kind, "io.http: " + failure_text(e.reason)) from None
            except http.client.IncompleteRead as e:
                raise TaskFailed(st.short_body, "io.http: " + failure_text(e), len(e.partial)) from None
            except http.client.RemoteDisconnected as e:  # closed before an answer
                raise TaskFailed(st.short_body, "io.http: " + failure_text(e)) from None
            except TimeoutError as e:
                raise TaskFailed(st.timeout, "io.http: " + failure_text(e)) from None
        return run

    def _http_client(self):
        """One kept-alive http.client connection per worker; a connection the server closed
        while idle is reopened once (what a keep-alive client does), any failure reconnects."""
        import http.client
        cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
        host, port, path, st, judge, tmo = self.host, self.port, self.path, self.st, self.judge, self.timeout_s
        conn = [None]
        stale = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)

        def connect():
            c = cls(host, port, timeout=tmo)
            try:
                c.connect()
            except OSError as e:
                raise TaskFailed(st.connect, "io.http: " + failure_text(e)) from None
            return c

        def get(c):
            c.request("GET", path)
            r = c.getresponse()
            length = r.length
            body = r.read()
            if r.will_close:
                c.close()
                conn[0] = None
            return judge(r.status, body, length)

        def run(index):
            c, reused = conn[0], conn[0] is not None
            if c is None:
                c = conn[0] = connect()
            try:
                try:
                    return get(c)
                except stale:
                    if not reused:
                        raise
                    c.close()
                    c = conn[0] = connect()
                    return get(c)
            except TaskFailed:
                raise
            except BaseException as e:
                c.close()
                conn[0] = None
                kind = st.short_body if isinstance(e, (http.client.IncompleteRead, http.client.RemoteDisconnected)) \
                    else st.timeout if isinstance(e, TimeoutError) else st.exception
                nbytes = len(e.partial) if isinstance(e, http.client.IncompleteRead) else 0
                raise TaskFailed(kind, "io.http: " + failure_text(e), nbytes) from None
        return run

    async def open_loop(self):
        try:
            import aiohttp
        except ImportError as e:
            raise SetupError(f"io.http on a loop needs aiohttp: {failure_text(e)} "
                             "(apt-get install python3-aiohttp)") from None
        self.aiohttp = aiohttp
        # trust_env=False (the default): no proxy from the environment
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self.max_connections))

    def loop_form(self):
        aiohttp, session, url, st, judge = self.aiohttp, self.session, self.url, self.st, self.judge

        async def run(index):
            try:
                async with session.get(url) as r:
                    body = await r.read()
                    return judge(r.status, body, r.content_length)
            except aiohttp.ClientConnectorError as e:
                raise TaskFailed(st.connect, "io.http: " + failure_text(e)) from None
            except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError) as e:
                raise TaskFailed(st.short_body, "io.http: " + failure_text(e)) from None
            except asyncio.TimeoutError as e:  # aiohttp's own (a task's timeout is wait_for's)
                raise TaskFailed(st.timeout, "io.http: " + failure_text(e)) from None
        return run, True

    async def close_loop(self):
        if self.session is not None:
            await self.session.close()

    def report(self):
        if self.kind == "loop":
            client = f"aiohttp.ClientSession, TCPConnector(limit={self.max_connections})"
        elif self.client == "urlopen":
            client = "urllib.request.urlopen" + (" (an opener without proxies)" if self.loopback else "")
        else:
            client = "http.client." + ("HTTPSConnection" if self.https else "HTTPConnection") + \
                " kept alive per worker"
        out = {"url": self.url, "embedded_target": self.embedded, "client": client}
        if self.embedded:
            out["body_bytes"] = self.size
        return out


class Call(Workload):
    """The user's own function, -p target=module:function, called for each task."""
    name = "py.call"

    def __init__(self, case, st):
        super().__init__(case, st)
        self.target = self.param("target", str)
        self.path = self.param("path", str)
        self.expect = self.param("expect", str)
        self.to_thread = self.param("to_thread", bool)
        mod, _, attr = self.target.partition(":")
        if not mod or not attr:
            raise SetupError(f"py.call: -p target=module:function is needed (got '{self.target}')")
        self.module, self.attr = mod, attr

    def resolve(self):
        """Imports the target (path first on sys.path): in the worker, and in each pool process."""
        if self.path and (not sys.path or sys.path[0] != self.path):
            sys.path.insert(0, self.path)
        try:
            obj = importlib.import_module(self.module)
        except BaseException as e:
            raise SetupError(f"py.call: cannot import {self.module}: {failure_text(e)}") from None
        for part in self.attr.split("."):
            try:
                obj = getattr(obj, part)
            except AttributeError:
                raise SetupError(f"py.call: {self.module} has no attribute {self.attr}") from None
        if not callable(obj):
            raise SetupError(f"py.call: {self.target} is not callable")
        return obj

    def prepare(self, kind):
        super().prepare(kind)
        fn = self.fn = self.resolve()
        self.is_async = inspect.iscoroutinefunction(fn)
        if self.is_async and kind != "loop":
            raise SetupError(f"py.call: {self.target} is async def: use py.asyncio, py.semaphore "
                             "or py.queue")
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):  # a builtin without one: try the index
            self.with_index = True
            return
        for args, with_index in (((0,), True), ((), False)):
            try:
                sig.bind(*args)
                self.with_index = with_index
                return
            except TypeError:
                pass
        raise SetupError(f"py.call: {self.target}{sig} cannot be called as fn(index) or fn()")

    def _checked(self, call):
        """run(index) from call(index) -> value: str(value) must be expect (when given)."""
        expect, ok, wrong = self.expect, (self.st.ok, 0), self.st.wrong_result
        if not expect:
            def run(index):
                call(index)
                return ok
            return run

        def run(index):
            got = str(call(index))
            if got == expect:
                return ok
            raise TaskFailed(wrong, f"py.call: returned {got[:48]!r}, expected {expect[:48]!r}")
        return run

    def _call(self, fn):
        return fn if self.with_index else (lambda index: fn())

    def blocking(self, worker):
        fn = self.resolve() if self.kind == "processes" else self.fn  # by name, in each process
        if self.with_index and not self.expect:
            ok = (self.st.ok, 0)

            def run(index):
                fn(index)
                return ok
            return run
        return self._checked(self._call(fn))

    def loop_form(self):
        fn, expect, ok, wrong = self.fn, self.expect, (self.st.ok, 0), self.st.wrong_result
        if self.is_async:
            call = self._call(fn)
        elif self.to_thread:
            call = (lambda index: asyncio.to_thread(fn, index)) if self.with_index else \
                (lambda index: asyncio.to_thread(fn))
        else:
            return self.blocking(0), False  # inline: blocks the loop

        async def run(index):
            got = await call(index)
            if not expect or str(got) == expect:
                return ok
            got = str(got)
            raise TaskFailed(wrong, f"py.call: returned {got[:48]!r}, expected {expect[:48]!r}")
        return run, True

    def report(self):
        out = {"target": self.target, "path": self.path, "called_as": "fn(index)" if self.with_index else "fn()",
               "expect": self.expect or None}
        if self.kind == "loop":
            out["ran"] = ("async def: awaited" if self.is_async else
                          "asyncio.to_thread" if self.to_thread else "ran inline: blocks the loop")
        else:
            out["ran"] = "async def: refused" if self.is_async else "plain function"
        return out


WORKLOADS = {w.name: w for w in (Null, SumSq, Primes, Sleep, Http, File, Lock, Call)}


def make(case, st):
    name = case.get("workload")
    cls = WORKLOADS.get(name)
    if cls is None:
        raise SetupError(f"no Python form of workload {name} (py runners run: {', '.join(WORKLOADS)})")
    return cls(case, st)
