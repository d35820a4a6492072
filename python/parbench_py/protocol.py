"""The exchange with the C side (PROTOCOL.md): JSON lines on fds 3 (in) and 4 (out), 48-byte task
records on fd 5, and the status codes of the case."""
import json
import os
import struct
import threading

CTL_IN, CTL_OUT, RECORDS_FD = 3, 4, 5

# created_ns, started_ns, finished_ns, bytes, worker, status, cpu, 0
RECORD = struct.Struct("=QQQQIIii")
BATCH = 512  # records per write: the buffer is flushed when full, at the end, and on a stop
NO_CPU = -1  # os.sched_getcpu does not exist in the Pythons we run on


class SetupError(Exception):
    """The case cannot run here (an import, a parameter, a pin): the `error` message's text."""


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class Control:
    """The control lines: the case and `go` come in on fd 3, ready/error/done go out on fd 4."""

    def __init__(self):
        self._buf = b""

    def read(self):
        while b"\n" not in self._buf:
            chunk = os.read(CTL_IN, 65536)
            if not chunk:
                raise EOFError("the control pipe (fd 3) closed")
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return json.loads(line)

    def send(self, msg):
        write_all(CTL_OUT, (json.dumps(msg, separators=(",", ":")) + "\n").encode())


class Statuses:
    """The case's status names as attributes holding their codes (the index in "statuses")."""

    NAMES = ("ok", "wrong_result", "crash", "timeout", "connect", "http_status", "short_body",
             "io", "other", "exception")

    def __init__(self, names):
        code = {n: i for i, n in enumerate(names)}
        missing = [n for n in self.NAMES if n not in code]
        if missing:
            raise SetupError("the case's statuses lack " + ", ".join(missing))
        for n in self.NAMES:
            setattr(self, n, code[n])
        self.count = len(names)


class Records:
    """One writer's buffer of task records, written whole (a record is never split). add() is
    the general path; a hot loop may pack into buf at off itself, calling flush() when full
    (it then keeps counts of its failures only: see count_ok)."""

    def __init__(self, nstatus):
        self.buf = bytearray(RECORD.size * BATCH)
        self.off = 0
        self.written = 0
        self.counts = [0] * nstatus  # tasks per status, for the end-of-run checks
        self.sealed = False  # after the final flush: later records are dropped
        self._pack = RECORD.pack_into

    def add(self, created, started, finished, nbytes, worker, status):
        if self.sealed:
            return
        self._pack(self.buf, self.off, created, started, finished, nbytes, worker, status, NO_CPU, 0)
        self.counts[status] += 1
        self.off += RECORD.size
        if self.off == len(self.buf):
            self.flush()

    def flush(self):
        if self.sealed:
            self.off = 0
        elif self.off:
            write_all(RECORDS_FD, memoryview(self.buf)[:self.off])
            self.written += self.off // RECORD.size
            self.off = 0

    def seal(self):
        self.flush()
        self.sealed = True

    def total(self):
        return self.written + self.off // RECORD.size

    def count_ok(self, ok):
        """For a writer that counted only its failures: the rest were ok."""
        self.counts[ok] = self.total() - sum(n for s, n in enumerate(self.counts) if s != ok)


class LockedRecords(Records):
    """Records shared by threads: a process pool's done callbacks and the main thread."""

    def __init__(self, nstatus):
        super().__init__(nstatus)
        self._lock = threading.Lock()
        self._add = super().add

    def add(self, created, started, finished, nbytes, worker, status):
        with self._lock:
            self._add(created, started, finished, nbytes, worker, status)

    def seal(self):
        with self._lock:
            super().seal()
