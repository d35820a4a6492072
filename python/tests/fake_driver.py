#!/usr/bin/env python3
"""Plays runners/python.c's side of python/PROTOCOL.md against `python -m parbench_py`.

Starts the worker in a process group of its own with the case pipe on fd 3, the control pipe
on fd 4 and the records pipe on fd 5, sends the case, waits for ready (or error), sends go,
reads records and done, checks what it read, and prints a summary (--json: one JSON object).
Exit status: 0 when the exchange followed the protocol (an `error` message included), 1 when
something did not (see "problems"), 2 for bad arguments.

    fake_driver.py --runner threads --workload cpu.sumsq -p n=1000 -c 2 -n 20
    fake_driver.py --runner asyncio --workload io.sleep -p ms=50 --rate 100 --duration 2 \\
        --sigint-after 0.5 --json
"""
import argparse
import json
import os
import selectors
import signal
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_DIR = os.path.dirname(HERE)  # python/: holds parbench_py
RECORD = struct.Struct("=QQQQIIii")
STATUSES = ["ok", "wrong_result", "crash", "timeout", "connect", "http_status", "short_body",
            "io", "other", "exception"]
# The C workloads' parameters and defaults (workloads/*.c): -p values take their types.
DEFAULTS = {
    "null": {"fail_every": 0, "crash_every": 0, "crash_mode": "abort"},
    "cpu.sumsq": {"n": 1000000},
    "cpu.primes": {"max": 10000},
    "cpu.matmul": {"n": 64},
    "io.sleep": {"ms": 10.0},
    "io.http": {"url": "", "delay_ms": 0, "size": 1024, "max_connections": 256, "client": "urlopen"},
    "io.file": {"size": 65536, "fsync": False, "dir": "/tmp"},
    "sync.lock": {"increments": 1000},
    "py.call": {"target": "", "path": "", "expect": "", "to_thread": False},
}
POOLS = ("threads", "processes")
DRAIN_S = 5.0  # after done: the records' end of file
KILL_MARGIN_S = 2.0  # after a stop, past the grace: the group is killed


def typed(default, text):
    if isinstance(default, bool):
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"not a boolean: {text}")
    if isinstance(default, int):
        return int(text)
    if isinstance(default, float):
        return float(text)
    return text


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runner", required=True,
                    choices=("serial", "threads", "processes", "asyncio", "semaphore", "queue"))
    ap.add_argument("--workload", required=True)
    ap.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("-c", "--concurrency", type=int, help="default: 2 for pools, semaphore and queue; "
                    "1 for serial; 0 for asyncio")
    ap.add_argument("--workers", type=int, help="records' workers (default: c for pools, else 1)")
    ap.add_argument("-n", "--tasks", type=int, default=0)
    ap.add_argument("--duration", type=float, default=0.0, help="seconds (with -n 0)")
    ap.add_argument("--rate", type=float, default=0.0, help="open loop: tasks per second")
    ap.add_argument("--arrivals", choices=("uniform", "poisson"), default="uniform")
    ap.add_argument("--seed", type=int, default=24301)
    ap.add_argument("--timeout", type=float, default=0.0, help="per task, seconds")
    ap.add_argument("--grace", type=float, default=2.0, help="after a stop, seconds")
    ap.add_argument("--queue-depth", type=int, default=64)
    ap.add_argument("--fail-fast", action="store_true")
    ap.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    ap.add_argument("--pins", help="CPUs per worker, e.g. '0;1' or '0,1;0,1'; 'none': unpinned "
                    "(default: worker i on the i-th CPU this process may use, round robin)")
    ap.add_argument("--facts", default="{}", help="the C workload's report (JSON object)")
    ap.add_argument("--url", help="io.http: facts.url")
    ap.add_argument("--embedded", action="store_true", help="io.http: facts.embedded_target")
    ap.add_argument("--sigint-after", type=float, help="seconds after go: SIGINT the worker")
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--setup-timeout", type=float, default=120.0)
    ap.add_argument("--max-wall", type=float, default=300.0, help="after go: kill the group")
    ap.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    a = ap.parse_args(argv)
    if not a.tasks and not a.duration:
        ap.error("give -n TASKS or --duration SECONDS")
    return a


def make_case(a):
    params = dict(DEFAULTS.get(a.workload, {}))
    for item in a.param:
        name, eq, value = item.partition("=")
        if not eq:
            raise SystemExit(f"fake_driver: -p {item}: NAME=VALUE expected")
        params[name] = typed(params[name], value) if name in params else value
    c = a.concurrency
    if c is None:
        c = 2 if a.runner in POOLS + ("semaphore", "queue") else 0 if a.runner == "asyncio" else 1
    workers = a.workers or (c if a.runner in POOLS else 1)
    if a.pins == "none":
        pins = [[] for _ in range(workers)]
    elif a.pins:
        sets = [[int(x) for x in s.split(",") if x != ""] for s in a.pins.split(";")]
        pins = [sets[i % len(sets)] for i in range(workers)]
    else:
        cpus = sorted(os.sched_getaffinity(0))
        pins = [[cpus[i % len(cpus)]] for i in range(workers)]
    facts = json.loads(a.facts)
    if a.url:
        facts["url"] = a.url
    if a.embedded:
        facts["embedded_target"] = True
    return {"runner": a.runner, "workload": a.workload, "params": params, "facts": facts,
            "concurrency": c, "workers": workers, "tasks": a.tasks,
            "duration_ns": int(a.duration * 1e9) if not a.tasks else 0, "rate": a.rate,
            "arrivals": a.arrivals, "seed": a.seed, "timeout_ns": int(a.timeout * 1e9),
            "grace_ns": int(a.grace * 1e9), "queue_depth": a.queue_depth,
            "fail_fast": a.fail_fast, "pins": pins, "statuses": STATUSES, "loop": a.loop}


def high_dup(fd):
    """A close-on-exec copy of fd above the numbers the child will use."""
    import fcntl
    new = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return new


def group_members(pgid):
    pids = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[2]) == pgid and fields[0] != "Z":
                    pids.append(int(name))
            except (OSError, IndexError, ValueError):
                pass
    return pids


class Session:
    def __init__(self, a, case):
        self.a, self.case = a, case
        self.problems, self.bad_records = [], []
        self.ready = self.done = self.error = None
        self.records = []
        self.rec_chunks = []
        self.lines_buf = b""
        self.lines_eof = self.records_eof = False
        self.go_ns = None

    def spawn(self):
        case_r, case_w = os.pipe()
        ctl_r, ctl_w = os.pipe()
        rec_r, rec_w = os.pipe()
        child = [high_dup(case_r), high_dup(ctl_w), high_dup(rec_w)]
        self.case_w, self.ctl_r, self.rec_r = case_w, ctl_r, rec_r

        def in_child():  # fds 3, 4, 5 (dup2 leaves them inheritable); a group of its own
            for target, fd in zip((3, 4, 5), child):
                os.dup2(fd, target)
            os.setpgid(0, 0)

        env = dict(os.environ)
        env["PYTHONPATH"] = PACKAGE_DIR + (":" + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        # close_fds=False: everything else Python opened is close-on-exec; fds 3-5 are not
        self.proc = subprocess.Popen([self.a.python, "-u", "-m", "parbench_py"], env=env,
                                     stdin=subprocess.DEVNULL, stdout=sys.stderr.fileno(),
                                     close_fds=False, preexec_fn=in_child)
        self.pgid = self.proc.pid
        for fd in child:
            os.close(fd)
        self.sel = selectors.DefaultSelector()
        self.sel.register(ctl_r, selectors.EVENT_READ, "lines")
        self.sel.register(rec_r, selectors.EVENT_READ, "records")

    def send(self, msg):
        data = (json.dumps(msg) + "\n").encode()
        while data:
            data = data[os.write(self.case_w, data):]

    def pump(self, timeout):
        for key, _ in self.sel.select(timeout):
            chunk = os.read(key.fd, 1 << 16)
            if key.data == "records":
                if not chunk:
                    self.records_eof = True
                    self.sel.unregister(key.fd)
                    continue
                self.rec_chunks.append(chunk)  # parsed at the end: the run gets the CPU
            else:
                if not chunk:
                    self.lines_eof = True
                    self.sel.unregister(key.fd)
                    continue
                self.lines_buf += chunk
                while b"\n" in self.lines_buf:
                    line, _, self.lines_buf = self.lines_buf.partition(b"\n")
                    self.take_line(line)

    def take_line(self, line):
        try:
            msg = json.loads(line)
        except ValueError:
            self.problems.append(f"a malformed control line: {line[:200]!r}")
            return
        if isinstance(msg.get("ready"), dict) and self.ready is None:
            self.ready = msg["ready"]
        elif isinstance(msg.get("done"), dict) and self.done is None:
            self.done = msg["done"]
        elif isinstance(msg.get("error"), str):
            self.error = msg["error"]
        else:
            self.problems.append(f"an unexpected message: {line[:200]!r}")

    def take_record(self, r):
        created, started, finished, nbytes, worker, status, cpu, pad = r
        why = []
        if worker >= self.case["workers"]:
            why.append("worker out of range")
        if status >= len(STATUSES):
            why.append("status out of range")
        if not created <= started <= finished:
            why.append("times out of order")
        if self.go_ns is not None and created < self.go_ns:
            why.append("created before go")
        if pad != 0:
            why.append("padding not 0")
        if why:
            self.bad_records.append({"record": list(r), "why": why})
        self.records.append(r)

    def run(self):
        a = self.a
        t_start = time.monotonic()
        self.spawn()
        self.send(self.case)
        deadline = time.monotonic() + a.setup_timeout
        while self.ready is None and self.error is None and not self.lines_eof:
            if time.monotonic() > deadline:
                self.problems.append(f"not ready after {a.setup_timeout} s")
                break
            self.pump(0.1)
        if self.rec_chunks:
            self.problems.append("records before go")
        self.setup_s = time.monotonic() - t_start
        if self.ready is not None:
            self.go_ns = time.monotonic_ns()
            self.send({"go": self.go_ns})
            self.after_go()
        self.finish()

    def after_go(self):
        a = self.a
        t_go = time.monotonic()
        sigint_at = t_go + a.sigint_after if a.sigint_after is not None else None
        kill_at = t_go + a.max_wall
        drain_until = None
        while True:
            now = time.monotonic()
            if self.records_eof and (self.lines_eof or self.done is not None):
                break
            if sigint_at is not None and now >= sigint_at:
                os.kill(self.proc.pid, signal.SIGINT)
                self.sigint_sent = now
                kill_at = min(kill_at, now + a.grace + KILL_MARGIN_S)
                sigint_at = None
            if (self.done is not None or self.lines_eof) and drain_until is None:
                drain_until = now + DRAIN_S
            if drain_until is not None and now >= drain_until:
                self.problems.append("the records pipe stayed open after the worker's end "
                                     "(a pool process holding it?)")
                break
            if now >= kill_at:
                self.problems.append(f"killed the group: no done {now - t_go:.1f} s after go")
                self.killpg()
                kill_at = float("inf")
            self.pump(0.05)
        self.run_s = time.monotonic() - t_go

    def killpg(self):
        try:
            os.killpg(self.pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def finish(self):
        if self.ready is None and self.error is None:
            self.killpg()
        try:
            self.exit = self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.problems.append("the worker did not exit within 10 s after its end")
            self.killpg()
            self.exit = self.proc.wait()
        if self.exit != 0:
            self.problems.append(f"the worker's exit status is {self.exit}")
        data = b"".join(self.rec_chunks)
        whole = len(data) // RECORD.size * RECORD.size
        for r in RECORD.iter_unpack(data[:whole]):
            self.take_record(r)
        if len(data) > whole:
            self.problems.append(f"{len(data) - whole} bytes of a partial record")
        # the group must empty itself (pool processes, helpers): no leftovers
        left, until = group_members(self.pgid), time.monotonic() + 3
        while left and time.monotonic() < until:
            time.sleep(0.05)
            left = group_members(self.pgid)
        self.leftover = left
        if left:
            self.problems.append(f"processes left in the worker's group: {left}")
            self.killpg()
        if self.ready is not None and self.done is None and not self.problems:
            self.problems.append("no done message")
        if self.bad_records:
            self.problems.append(f"{len(self.bad_records)} bad records")
        d = self.done
        if d is not None:
            if len(d.get("usage", [])) != self.case["workers"]:
                self.problems.append(f"usage has {len(d.get('usage', []))} entries for "
                                     f"{self.case['workers']} workers")
            if d.get("submitted", 0) < len(self.records):
                self.problems.append(f"{len(self.records)} records but submitted {d.get('submitted')}")
            if not self.case["rate"] and self.case["tasks"] and not d.get("stopped") and \
                    not self.case["fail_fast"] and d.get("submitted") != self.case["tasks"]:
                self.problems.append(f"submitted {d.get('submitted')} of {self.case['tasks']} tasks")
        for p in (self.case_w, self.ctl_r, self.rec_r):
            try:
                os.close(p)
            except OSError:
                pass

    def summary(self):
        by_worker, by_status, nbytes = {}, {}, 0
        lat = []
        for created, started, finished, b, worker, status, cpu, pad in self.records:
            name = STATUSES[status] if status < len(STATUSES) else str(status)
            w = by_worker.setdefault(str(worker), {})
            w[name] = w.get(name, 0) + 1
            by_status[name] = by_status.get(name, 0) + 1
            nbytes += b
            lat.append(finished - created)
        lat.sort()
        pct = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] / 1e6) if lat else (lambda q: None)
        d = self.done or {}
        last = max((r[2] for r in self.records), default=self.go_ns or 0)
        return {"runner": self.case["runner"], "workload": self.case["workload"],
                "ready": self.ready, "error": self.error, "exit": self.exit,
                "records": len(self.records), "bytes": nbytes, "by_status": by_status,
                "by_worker": dict(sorted(by_worker.items(), key=lambda kv: int(kv[0]))),
                "latency_ms": {"p50": pct(0.5), "p99": pct(0.99), "max": lat[-1] / 1e6 if lat else None},
                "wall_s": (last - self.go_ns) / 1e9 if self.go_ns else None,
                "submitted": d.get("submitted"), "stopped": d.get("stopped"),
                "check": d.get("check"), "failures": d.get("failures"), "usage": d.get("usage"),
                "peak_rss_bytes": d.get("peak_rss_bytes"), "report": d.get("report"),
                "leftover_processes": self.leftover, "bad_records": self.bad_records[:10],
                "problems": self.problems}


def print_text(s):
    print(f"{s['runner']} x {s['workload']}: exit {s['exit']}")
    if s["error"]:
        print(f"  error: {s['error']}")
    if s["ready"]:
        print(f"  ready: {json.dumps(s['ready']['python'])}")
    print(f"  records {s['records']}, submitted {s['submitted']}, stopped {s['stopped']}, "
          f"wall {s['wall_s'] if s['wall_s'] is None else round(s['wall_s'], 4)} s, bytes {s['bytes']}")
    for w, counts in s["by_worker"].items():
        print(f"  worker {w}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    print(f"  latency ms: {s['latency_ms']}")
    if s["failures"]:
        print(f"  failures: {s['failures']}")
    print(f"  check: {s['check']}")
    print(f"  report: {json.dumps(s['report'])}")
    print(f"  problems: {s['problems'] or 'none'}")


def main(argv):
    a = parse_args(argv)
    case = make_case(a)
    sess = Session(a, case)
    sess.run()
    s = sess.summary()
    if a.json:
        print(json.dumps(s))
    else:
        print_text(s)
    return 1 if s["problems"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
