"""End to end, the hardening issue's faults, each by the reproduction that found it: limits
checked before any work, bad input refused in one line, stops that end blocking work, the
zygote, and what a stopped or crashing worker leaves."""
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time

from pbtest import MARK, PARBENCH, check, done, leftovers, limited, run, run_doc, validate

NULL = ["-w", "null", "-n", "10", "--repeat", "1", "--warmup", "0", "--quiet"]


def refused(args, code, needle, within_s=5.0, **kw):
    """parbench ARGS exits with code at once, with one line holding needle."""
    t0 = time.monotonic()
    p = run(args, **kw)
    took = time.monotonic() - t0
    lines = p.stderr.strip().splitlines()
    check(p.returncode == code and len(lines) == 1 and needle in lines[0],
          "%s: exit %d with one line naming %r; got %d: %r" %
          (" ".join(args), code, needle, p.returncode, p.stderr))
    check(took < within_s, "%s: refused in %.2f s, before any work" % (" ".join(args), took))
    return p


# Item 3: duplicates and cuts on the command line are exit 2 naming the problem.
refused(["run", "-r", "threads,threads", "-c", "1"] + NULL, 2, "'threads' is listed twice")
refused(["run", "-r", "threads", "-c", "1,1"] + NULL, 2, "1")
for bad in ("1,,2", ",", "", "1,"):
    refused(["run", "-r", "threads", "-c", bad] + NULL, 2, "-c")
# 100 levels are 100 cases (the list was cut at 64 without a word), 66 -c options 66 cases
doc, _ = run_doc(["-r", "threads", "-w", "null", "-n", "10", "--repeat", "1", "--warmup", "0",
                  "-c", ",".join(str(i) for i in range(1, 101))], timeout=120)
check(doc and len(doc["cases"]) == 100, "-c with 100 levels: 100 cases, got %s" %
      (len(doc["cases"]) if doc else None))
many = []
for i in range(1, 67):
    many += ["-c", str(i)]
doc, _ = run_doc(["-r", "threads", "-w", "null", "-n", "10", "--repeat", "1", "--warmup", "0"] +
                 many, timeout=120)
check(doc and len(doc["cases"]) == 66, "66 -c options: 66 cases, got %s" %
      (len(doc["cases"]) if doc else None))
refused(["run", "-r", "threads", "-c", "1", "-p", "fail_every=1", "-p", "fail_every=2"] + NULL, 2,
        "given twice")

# Item 14: a plan whose memory cannot fit is refused with the figures, before any work (run in a
# memory cgroup of its own, so that a regression meets that limit, not the machine's OOM killer).
MEM_LIMIT = 4 << 30
for args, code in ((["-r", "eventloop", "-w", "null", "-n", "1G"], 3),
                   (["-r", "eventloop", "-w", "null", "-n", "10000000000"], 3),
                   (["-r", "semaphore", "-c", "10", "-w", "null", "-n", "9223372036854775807"], 2),
                   (["-r", "eventloop", "-w", "null", "--rate", "1e9", "--duration", "1s"], 3)):
    p = refused(["run"] + args + ["--repeat", "1", "--quiet", "-o", "-"], code, "",
                preexec_fn=limited(mem=MEM_LIMIT))
    check("GiB" in p.stderr or "not a whole number" in p.stderr,
          "%s: the message gives the figures or the bound: %r" % (" ".join(args), p.stderr))

# Item 15: 100000 process workers are refused up front (process IDs, memory); and a fork storm
# that passes the check stops forking on SIGTERM. Both inside a pids cgroup of their own.
refused(["run", "-r", "processes", "-c", "100000"] + NULL, 3, "processes",
        preexec_fn=limited(pids=2000))
with tempfile.TemporaryDirectory() as d:
    out = os.path.join(d, "r.json")
    env = dict(os.environ, PB_TEST_MARK=MARK.split("=", 1)[1])
    p = subprocess.Popen([PARBENCH, "run", "-r", "processes", "-c", "1500", "-w", "io.sleep",
                          "-p", "ms=100", "-n", "3000", "--repeat", "1", "--warmup", "0", "-o", out,
                          "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=env, start_new_session=True, preexec_fn=limited(pids=1800))
    time.sleep(0.3)
    t0 = time.monotonic()
    os.killpg(p.pid, signal.SIGTERM)
    try:
        p.communicate(timeout=20)
        check(p.returncode == 130, "fork storm: SIGTERM exits 130, got %d" % p.returncode)
        check(time.monotonic() - t0 < 5, "fork storm: stopped within 5 s of SIGTERM (%.1f s)" %
              (time.monotonic() - t0))
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        check(False, "fork storm: still forking 20 s after SIGTERM")
    time.sleep(0.2)
    check(leftovers() == [], "fork storm: no process left: %s" % leftovers())

# Item 16: the descriptor check counts what a blocking io.http worker really holds.
p = run(["run", "-r", "threads", "-c", "100", "-w", "io.http", "-n", "2000", "--repeat", "1",
         "--warmup", "0", "--quiet", "-o", "-"], preexec_fn=limited(nofile=256))
check(p.returncode == 3 and "open files" in p.stderr or p.returncode == 0,
      "ulimit -n 256, threads -c 100 io.http: refused up front or all tasks ok: %d %r" %
      (p.returncode, p.stderr[-300:]))
if p.returncode == 0:
    rep = json.loads(p.stdout)["cases"][0]["repetitions"][0]
    check(rep["tasks_ok"] == 2000, "ulimit -n 256: every task ok: %s" % rep["failures"])

# Item 17: a duration whose end would wrap is refused.
refused(["run", "-r", "threads", "-c", "1", "-w", "null", "--duration", "18446744073s"], 2,
        "--duration")

# Item 18: a suite is the matrix and its settings: the options that would be ignored are refused.
with tempfile.TemporaryDirectory() as d:
    suite = os.path.join(d, "s.json")
    with open(suite, "w") as f:
        json.dump({"groups": [{"runners": ["threads"], "workload": "null", "tasks": 10}]}, f)
    for opt in (["--pin", "none"], ["--rate", "10"], ["--queue-depth", "8"], ["--timeout", "1s"],
                ["--loops", "2"], ["--arrivals", "poisson"], ["--grace", "1s"], ["-n", "5"]):
        refused(["run", "--suite", suite] + opt, 2, opt[0])

# Item 19: numbers are decimal and finite; a pin spec has no spaces.
for opt in (["--max-errors", "nan"], ["--max-errors", "nan%"], ["--max-errors", "0x10"],
            ["--rate", "0x10"], ["--rate", " 5"], ["--pin", "list: 0"], ["-n", "x"]):
    refused(["run", "-r", "threads", "-c", "1", "-w", "null", "--quiet"] + opt, 2, opt[0])

# Item 24: one kind of mistake is one code.
refused(["run", "-r", "threads", "-c", "1", "-w", "io.http", "--url", "http://127.0.0.1:99999/"] +
        ["-n", "1", "--quiet"], 2, "99999")
refused(["run", "-r", "threads", "-c", "1"] + NULL, 2, "synthetic:garbage",
        env={"PARBENCH_TOPOLOGY": "synthetic:garbage"})
refused(["topo"], 2, "synthetic:garbage", env={"PARBENCH_TOPOLOGY": "synthetic:garbage"})
for runner in ("threads", "serial", "eventloop"):
    refused(["run", "-r", runner, "-w", "null", "-p", "crash_every=7", "-n", "20", "--quiet"], 2,
            "crash_every")

# Item 10: a blocking transfer to a server that stopped answering ends within the grace period:
# the embedded target is stopped with SIGSTOP, then parbench gets SIGINT.
with tempfile.TemporaryDirectory() as d:
    out = os.path.join(d, "r.json")
    for runner in ("threads", "serial"):
        env = dict(os.environ, PB_TEST_MARK=MARK.split("=", 1)[1])
        conc = ["-c", "4"] if runner == "threads" else []
        p = subprocess.Popen([PARBENCH, "run", "-r", runner] + conc +
                             ["-w", "io.http", "-n", "10000000", "--repeat", "1", "--warmup", "0",
                              "--grace", "500ms", "-o", out, "--quiet"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        time.sleep(1.0)
        target = [int(x) for x in subprocess.run(["pgrep", "-P", str(p.pid), "-f", "serve"],
                                                 capture_output=True, text=True).stdout.split()]
        check(len(target) == 1, "%s: the embedded target found: %s" % (runner, target))
        for t in target:
            os.kill(t, signal.SIGSTOP)
        time.sleep(0.3)
        t0 = time.monotonic()
        p.send_signal(signal.SIGINT)
        try:
            p.communicate(timeout=20)
            took = time.monotonic() - t0
            check(p.returncode == 130, "%s, target stopped: exit 130, got %d" %
                  (runner, p.returncode))
            check(took < 3.5, "%s, target stopped: ended %.1f s after SIGINT (grace 0.5 s, a "
                  "transfer looks at the stop about once a second)" % (runner, took))
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            check(False, runner + ": a stopped target holds the run past 20 s")
        for t in target:
            try:
                os.kill(t, signal.SIGCONT)
            except ProcessLookupError:
                pass
        time.sleep(0.3)
        check(leftovers() == [], runner + ": no process left: %s" % leftovers())

# Item 12: workers crashing as fast as they are replaced never hang the supervisor.
t0 = time.monotonic()
doc, _ = run_doc(["-r", "processes", "-c", "4", "-w", "null", "-p", "crash_every=2", "-n", "400",
                  "--repeat", "2", "--warmup", "0", "--max-errors", "100%"], timeout=60)
check(doc and doc["cases"][0]["repetitions"][0]["failures"].get("crash") == 200,
      "crash storm: every other task a crash, all accounted for: %s" %
      (doc["cases"][0]["repetitions"][0]["failures"] if doc else None))
check(time.monotonic() - t0 < 40, "crash storm: finished in %.1f s" % (time.monotonic() - t0))

# Item 28: with the timeout enforced inside the worker, a task that ends just inside --timeout
# is never counted as a timeout, and a task killed for overrunning is that task, not the next.
doc, _ = run_doc(["-r", "processes", "-c", "2", "-w", "io.sleep", "-p", "ms=40", "-n", "100",
                  "--timeout", "60ms", "--repeat", "1", "--warmup", "0"], timeout=60)
if doc:
    rep = doc["cases"][0]["repetitions"][0]
    check(rep["tasks_ok"] == 100 and rep["timeouts"] == 0,
          "40 ms tasks under a 60 ms timeout: none timed out: %s" % rep["failures"])

# Item 30: process workers are forked by the zygote, a process that never had a thread, even
# after a case that left libuv's thread pool running in the driver.
with tempfile.TemporaryDirectory() as d:
    suite = os.path.join(d, "s.json")
    out = os.path.join(d, "r.json")
    with open(suite, "w") as f:
        json.dump({"repeat": 1, "warmup": 0, "groups": [
            {"runners": ["eventloop"], "workload": "io.file", "tasks": 50,
             "params": {"dir": d}},
            {"runners": ["processes"], "concurrency": 2, "workload": "io.sleep", "tasks": 6,
             "params": {"ms": 500}}]}, f)
    env = dict(os.environ, PB_TEST_MARK=MARK.split("=", 1)[1])
    p = subprocess.Popen([PARBENCH, "run", "--suite", suite, "-o", out, "--quiet"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    parents = {}
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not parents and p.poll() is None:
        for pid in leftovers():
            try:
                with open("/proc/%d/stat" % pid) as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                with open("/proc/%d/cmdline" % pid, "rb") as f:
                    is_run = b"run" in f.read()
                if ppid != p.pid and ppid != os.getpid() and is_run:
                    with open("/proc/%d/status" % ppid) as f:
                        parents[ppid] = int(re.search(r"Threads:\s+(\d+)", f.read()).group(1))
            except (OSError, ValueError, AttributeError):
                continue
        time.sleep(0.05)
    p.communicate(timeout=60)
    check(p.returncode == 0, "the suite ran: %d" % p.returncode)
    with open(out) as f:
        sanitizer = json.load(f)["tool"]["sanitizer"]
    # ThreadSanitizer runs a thread of its own in every process it starts.
    allowed = 2 if sanitizer == "thread" else 1
    check(len(parents) == 1, "process workers have one parent besides parbench: %s" % parents)
    check(all(n <= allowed for n in parents.values()),
          "the workers' parent has no thread but its own (and a sanitizer's): %s" % parents)

# --isolate hands each child its case as a suite: the child runs exactly the case (the same id
# and the same settings), however unusual its settings and parameters.
CASE = ["-r", "threads", "-c", "3", "-w", "null", "-p", "fail_every=1000000",
        "-p", "crash_mode=exit", "-n", "200", "--rate", "5000", "--arrivals", "poisson",
        "--timeout", "1s", "--pin", "list:0", "--queue-depth", "64", "--grace", "1500ms",
        "--repeat", "2", "--warmup", "1"]
plain, _ = run_doc(CASE)
isolated, _ = run_doc(CASE + ["--isolate"])
if plain and isolated:
    a, b = plain["cases"][0], isolated["cases"][0]
    check(a["id"] == b["id"], "--isolate runs the same case: %s vs %s" % (a["id"], b["id"]))
    for key in ("settings", "load", "queue_depth", "params", "concurrency"):
        check(a[key] == b[key], "--isolate keeps %s: %s vs %s" % (key, a[key], b[key]))
    check(len(b["repetitions"]) == 2 and b["warmups"] == 2,
          "--isolate: 2 repetitions, each child's warm-up: %d, %d" % (len(b["repetitions"]),
                                                                      b["warmups"]))

# A reader that goes away (-o - | head): a failed write, so the document is rescued (exit 3),
# not a death by SIGPIPE.
env = dict(os.environ, PB_TEST_MARK=MARK.split("=", 1)[1], TMPDIR=tempfile.gettempdir())
p = subprocess.Popen([PARBENCH, "run", "-r", "threads", "-c", ",".join(map(str, range(1, 31))),
                      "-w", "null", "-n", "2000", "--repeat", "3", "--warmup", "0", "--quiet",
                      "-o", "-"],  # a document far larger than a pipe holds
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
p.stdout.read(10)
p.stdout.close()
err = p.stderr.read().decode()
p.wait(timeout=60)
m = re.search(r"the document is in (\S+)", err)
check(p.returncode == 3 and m, "-o - | head: exit 3 naming the rescued document, got %d: %r" %
      (p.returncode, err))
if m:
    with open(m.group(1)) as f:
        validate(json.load(f), "the rescued document")
    os.unlink(m.group(1))

done()
