"""End to end: the py runners. Every py runner on every workload with a Python form, at small
sizes, schema-validated, each task accounted for and the interpreter recorded; the GIL's
direction on cpu.sumsq (py.threads no faster than py.serial, py.processes faster); py.semaphore's
bound counted at the target; py.call with a function that raises, one that returns the wrong
value, an async one and a module that does not import; the refusals (no Python form, py.call
under a C runner, no interpreter, a bad --py-loop); and a stop of every py runner: exit 130, a
partial document, no Python process left."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from pbtest import (MARK, PARBENCH, SOURCE_DIR, case, check, done, leftovers, run, run_doc,
                    validate)

sys.path.insert(0, os.path.join(SOURCE_DIR, "scripts"))
import rules  # noqa: E402  (the report's rules of thumb, decided from a document)


def verdict(doc, start):
    """The report's verdict of the rule whose text starts so."""
    return [r for r in rules.rules(doc) if r["rule"].startswith(start)][0]

PY_RUNNERS = ["py.serial", "py.threads", "py.processes", "py.asyncio", "py.semaphore",
              "py.queue"]
LOOPS = {"py.asyncio", "py.semaphore", "py.queue"}
TMP = tempfile.mkdtemp(prefix="pb-e2e-python-")

# A module of our own for py.call: what a user's code may do.
with open(os.path.join(TMP, "usermod.py"), "w") as f:
    f.write("""
import asyncio

def square(i):
    return i * i

def seven():
    return 7

def boom(i):
    if i % 3 == 2:
        raise ValueError("task %d says no" % i)
    return i

async def nap(i):
    await asyncio.sleep(0.001)
    return "slept"
""")


def conc_args(runner, c):
    if runner in ("py.serial", "py.asyncio"):
        return []
    return ["-c", str(c)]


def tasks_of(doc):
    rep = doc["cases"][0]["repetitions"][0]
    return rep["tasks_ok"], rep["tasks_failed"], rep


def lines(text):
    return [l for l in text.strip().splitlines() if l]


# ---- the runners are there, and say what they run -------------------------------------------
p = run(["list", "--json"], expect=0)
listing = json.loads(p.stdout) if p.returncode == 0 else {"runners": [], "workloads": []}
py_listed = {r["name"]: r for r in listing["runners"] if r["name"].startswith("py.")}
check(sorted(py_listed) == sorted(PY_RUNNERS), "list shows the six py runners: %s" %
      sorted(py_listed))
check(all(r["available"] for r in py_listed.values()),
      "the py runners are available with /usr/bin/python3: %s" %
      [r.get("unavailable") for r in py_listed.values()])
forms = {w["name"] for w in listing["workloads"] if w.get("python_form")}
WORKLOADS = ["null", "cpu.sumsq", "cpu.primes", "io.sleep", "io.http", "io.file", "sync.lock",
             "py.call"]
check(forms == set(WORKLOADS), "list says which workloads have a Python form: %s" % sorted(forms))

p = run(["list", "--json"], env={"PARBENCH_PYTHON": "/nonexistent/python3"}, expect=0)
if p.returncode == 0:
    r = {x["name"]: x for x in json.loads(p.stdout)["runners"]}
    check(r["py.threads"]["available"] is False and "/nonexistent/python3" in
          r["py.threads"].get("unavailable", ""),
          "without an interpreter list says the py runners are unavailable and why: %s" %
          r["py.threads"])
    check(r["threads"]["available"] is True, "the C runners stay available")
p = run(["list"], env={"PARBENCH_PYTHON": "/nonexistent/python3"}, expect=0)
check("unavailable" in p.stdout, "list in words says unavailable: %r" % p.stdout[:300])

# ---- every runner x every workload ----------------------------------------------------------
SMALL = {
    "null": [],
    "cpu.sumsq": ["-p", "n=2000"],
    "cpu.primes": ["-p", "max=2000"],
    "io.sleep": ["-p", "ms=1"],
    "io.http": ["-p", "delay_ms=1", "-p", "size=300"],
    "io.file": ["-p", "size=4096", "-p", "dir=" + TMP],
    "sync.lock": ["-p", "increments=50"],
    "py.call": ["-p", "target=usermod:square", "-p", "path=" + TMP],
}
N = 24
for runner in PY_RUNNERS:
    for wl in WORKLOADS:
        name = "%s %s" % (runner, wl)
        doc, p = run_doc(["-r", runner, "-w", wl, "-n", str(N), "--repeat", "2", "--warmup", "0"] +
                         conc_args(runner, 2) + SMALL[wl], timeout=120)
        if not doc:
            continue
        c = doc["cases"][0]
        reps = c["repetitions"]
        check(len(reps) == 2 and all(r["complete"] for r in reps), name + ": two complete reps")
        for r in reps:
            check(r["tasks_ok"] == N and r["tasks_failed"] == 0 and r["tasks_submitted"] == N,
                  "%s: %d tasks ok, none failed: ok %d failed %d submitted %d (%s)" %
                  (name, N, r["tasks_ok"], r["tasks_failed"], r["tasks_submitted"],
                   r["failures"]))
            check(r["check"]["ok"] is True, "%s: the self-check passed: %s" % (name, r["check"]))
            check(r["latency_ns"]["p50"] > 0 and r["service_ns"]["p50"] > 0,
                  name + ": latency and service times recorded")
            py = r["workload"].get("python", {})
            check(py.get("executable") and py.get("version") and
                  py.get("implementation") == "cpython" and "gil_enabled" in py,
                  "%s: the interpreter is recorded: %s" % (name, py))
        workers = reps[0]["placement"]["workers"]
        want = 2 if runner in ("py.threads", "py.processes") else 1
        check(c["workers"] == want and len(workers) == want,
              "%s: %d worker(s): %d" % (name, want, c["workers"]))
        check(sum(w["tasks"] for w in workers) == N, name + ": the workers' tasks add up")
        if runner == "py.processes" and doc["host"]["pu_count"] >= 2:
            check(workers[0]["cpuset"] != workers[1]["cpuset"],
                  name + ": each pool process pinned to its own PU: %s" %
                  [w["cpuset"] for w in workers])
        if wl == "io.http" and runner in LOOPS:
            check("aiohttp" in json.dumps(reps[0]["workload"]),
                  name + ": the loops use aiohttp: %s" % reps[0]["workload"])

# a workload with no Python form, and py.call where only C runs
p = run(["run", "-r", "py.threads", "-w", "cpu.matmul", "-c", "2", "-n", "2", "--quiet",
         "-o", "-"], expect=2)
check(len(lines(p.stderr)) == 1 and "cpu.matmul has no Python form" in p.stderr,
      "a workload without a Python form: exit 2 naming it: %r" % p.stderr)
p = run(["run", "-r", "threads", "-w", "py.call", "-p", "target=usermod:square", "-c", "2",
         "-n", "2", "--quiet", "-o", "-"], expect=2)
check("py.call has no C form" in p.stderr and "py.threads" in p.stderr,
      "py.call under a C runner: exit 2 naming the py runners: %r" % p.stderr)
p = run(["run", "-r", "py.serial", "-w", "py.call", "-n", "2", "--quiet", "-o", "-"], expect=2)
check("target=module:function" in p.stderr, "py.call without a target: exit 2: %r" % p.stderr)
p = run(["run", "-r", "py.threads", "-w", "null", "-c", "2", "-n", "2", "--quiet", "-o", "-",
         "--python", "/nonexistent/python3"], expect=3)
check(len(lines(p.stderr)) == 1 and "/nonexistent/python3" in p.stderr,
      "no interpreter: exit 3 with the reason: %r" % p.stderr)
p = run(["run", "-r", "py.asyncio", "-w", "null", "-n", "2", "--quiet", "-o", "-",
         "--py-loop", "tokio"], expect=2)
check("--py-loop" in p.stderr, "an unknown --py-loop: exit 2: %r" % p.stderr)
p = run(["run", "-r", "py.asyncio", "-w", "null", "-n", "4", "--loops", "2", "--quiet", "-o",
         "-"], expect=2)
check("one event loop" in p.stderr, "py.asyncio --loops 2: exit 2: %r" % p.stderr)

# ---- py.call: what a user's function can do ------------------------------------------------
call = ["-w", "py.call", "-p", "path=" + TMP, "--repeat", "1", "--warmup", "0"]
doc, _ = run_doc(["-r", "py.threads", "-c", "2", "-n", "9", "-p", "target=usermod:boom"] + call,
                 expect=1)
if doc:
    ok, failed, rep = tasks_of(doc)
    check(ok == 6 and failed == 3 and rep["failures"].get("exception") == 3,
          "a raising function: 3 of 9 tasks fail as exception: %s" % rep["failures"])
    last = [w.get("last_failure", "") for w in rep["placement"]["workers"]]
    check(any("ValueError: task" in l for l in last),
          "the exception's type and message are the last failure: %s" % last)
doc, _ = run_doc(["-r", "py.processes", "-c", "2", "-n", "6", "-p", "target=usermod:seven",
                  "-p", "expect=8"] + call, expect=1)
if doc:
    ok, failed, rep = tasks_of(doc)
    check(ok == 0 and rep["failures"].get("wrong_result") == 6,
          "the wrong return value: every task a wrong_result: %s" % rep["failures"])
doc, _ = run_doc(["-r", "py.processes", "-c", "2", "-n", "6", "-p", "target=usermod:seven",
                  "-p", "expect=7"] + call)
if doc:
    check(tasks_of(doc)[0] == 6, "the right return value: every task ok")
doc, _ = run_doc(["-r", "py.asyncio", "-n", "9", "-p", "target=usermod:boom"] + call, expect=1)
if doc:
    r = verdict(doc, "errors are results")
    check(r["verdict"] == "holds" and "3 failed, 6 of the 9" in r["evidence"],
          "gather(return_exceptions=True): the report says errors are results: %s" % r)
for runner in ("py.asyncio", "py.semaphore"):
    doc, _ = run_doc(["-r", runner, "-n", "20", "-p", "target=usermod:nap", "-p", "expect=slept"] +
                     conc_args(runner, 5) + call)
    if doc:
        check(tasks_of(doc)[0] == 20, runner + ": an async def is awaited, 20 ok")
doc, _ = run_doc(["-r", "py.asyncio", "-n", "5", "-p", "target=usermod:square"] + call)
if doc:
    text = json.dumps(doc["cases"][0]["repetitions"][0]["workload"])
    check("inline" in text, "a plain function on a loop is said to run inline: %s" % text)
p = run(["run", "-r", "py.serial", "-n", "2", "-p", "target=nosuchmod:work", "--quiet", "-o",
         "-"] + call[:-4], expect=2)
check("cannot import nosuchmod: ModuleNotFoundError" in lines(p.stderr)[-1],
      "a module that does not import: exit 2, the last line naming it: %r" % p.stderr)
p = run(["run", "-r", "py.threads", "-c", "2", "-n", "2", "-p", "target=usermod:nap", "--quiet",
         "-o", "-"] + call[:-4], expect=2)
check("async" in p.stderr, "an async def under a blocking runner: exit 2: %r" % p.stderr)

# ---- the GIL, in direction: threads no faster than serial on CPU work, processes faster -----
gil = ["-w", "cpu.sumsq", "-p", "n=300000", "-n", "8", "--repeat", "3", "--warmup", "1"]
doc, _ = run_doc(["-r", "py.serial,py.threads,py.processes", "-c", "2"] + gil, timeout=240)
if doc and doc["host"]["pu_count"] >= 2:
    tp = {c["runner"]: c["summary"]["throughput_per_s"]["median"] for c in doc["cases"]}
    py = doc["cases"][0]["repetitions"][0]["workload"]["python"]
    if py["gil_enabled"]:
        check(tp["py.threads"] < 1.3 * tp["py.serial"],
              "the GIL: py.threads at c=2 is not faster than py.serial beyond noise: %s" % tp)
    check(tp["py.processes"] > 1.4 * tp["py.serial"],
          "py.processes at c=2 is faster than py.serial: %s" % tp)
    r = verdict(doc, "threads do not run")
    check(r["verdict"] == ("holds" if py["gil_enabled"] else "does not hold") or
          r["verdict"] == "not measurable here",
          "the report's GIL rule follows from the numbers: %s" % r)
    r = verdict(doc, "processes do")
    check(r["verdict"] in ("holds", "not measurable here"),
          "the report's processes rule holds on 2 PUs: %s" % r)

# ---- py.semaphore's bound, counted where the requests arrive --------------------------------
serve = subprocess.Popen([PARBENCH, "serve", "--port", "0"], stdout=subprocess.PIPE, text=True,
                         env=dict(os.environ, PB_TEST_MARK=MARK.split("=", 1)[1]))
try:
    port = int(serve.stdout.readline().split()[1])
    base = "http://127.0.0.1:%d/" % port
    urllib.request.urlopen(base + "__reset").read()
    doc, _ = run_doc(["-r", "py.semaphore", "-w", "io.http", "-c", "10", "-n", "200", "--url",
                      base + "?delay_ms=5&size=10", "--repeat", "1", "--warmup", "0"])
    stats = json.loads(urllib.request.urlopen(base + "__stats").read())
    check(stats["in_flight_max"] <= 10 and stats["in_flight_max"] >= 5,
          "py.semaphore -c 10: at most 10 requests at the target at once, saw %d" %
          stats["in_flight_max"])
    check(stats["requests"] == 200, "the target answered 200 requests: %d" % stats["requests"])
    # against the embedded target, each repetition's fixture counts the same
    doc, _ = run_doc(["-r", "py.semaphore", "-w", "io.http", "-c", "6", "-n", "60", "-p",
                      "delay_ms=5", "--repeat", "2", "--warmup", "0"])
    if doc:
        peaks = [r["fixture"].get("in_flight_max") for r in doc["cases"][0]["repetitions"]]
        check(all(p is not None and 3 <= p <= 6 for p in peaks),
              "py.semaphore -c 6: the embedded target saw at most 6 at once: %s" % peaks)
        r = verdict(doc, "a Semaphore")
        check(r["verdict"] == "holds", "the report's semaphore rule holds: %s" % r)
    # failures by kind from the Python clients too
    for runner in ("py.threads", "py.asyncio"):
        doc, _ = run_doc(["-r", runner, "-w", "io.http", "-n", "4", "--url",
                          base + "?status=500", "--repeat", "1", "--warmup", "0"] +
                         conc_args(runner, 2), expect=1)
        if doc:
            check(tasks_of(doc)[2]["failures"].get("http_status") == 4,
                  runner + ": status 500 is an http_status failure: %s" %
                  tasks_of(doc)[2]["failures"])
finally:
    serve.terminate()
    serve.wait(timeout=10)

# ---- an open loop and a duration -------------------------------------------------------------
doc, _ = run_doc(["-r", "py.threads", "-c", "2", "-w", "io.sleep", "-p", "ms=1", "--rate", "200",
                  "-n", "40", "--repeat", "1", "--warmup", "0"])
if doc:
    rep = doc["cases"][0]["repetitions"][0]
    check(rep["tasks_ok"] == 40 and 0.15 < rep["wall_s"] < 2.0,
          "py.threads --rate 200 -n 40 follows the schedule (about 0.2 s): %.3f s, %d ok" %
          (rep["wall_s"], rep["tasks_ok"]))
doc, _ = run_doc(["-r", "py.semaphore", "-c", "4", "-w", "io.sleep", "-p", "ms=2",
                  "--duration", "300ms", "--repeat", "1", "--warmup", "0"])
if doc:
    rep = doc["cases"][0]["repetitions"][0]
    check(rep["tasks_ok"] > 50 and rep["tasks_ok"] == rep["tasks_submitted"],
          "py.semaphore --duration 300ms: tasks created until the end, all finished: %d of %d" %
          (rep["tasks_ok"], rep["tasks_submitted"]))


# ---- a stop of every py runner ---------------------------------------------------------------
def interrupt(runner):
    # repetitions of 2 s: a duration, or (gathered up front) 1.5 s sleeps; py.queue's queue is
    # short, so that a duration's end is not followed by a full queue's worth of tasks
    load = ["-n", "40", "-p", "ms=1500"] if runner == "py.asyncio" else \
        ["--duration", "2s", "-p", "ms=20"] + (["--queue-depth", "4"] if runner == "py.queue" else [])
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "r.json")
        env = dict(os.environ, PB_TEST_MARK=MARK.split("=", 1)[1])
        p = subprocess.Popen([PARBENCH, "run", "-r", runner, "-w", "io.sleep", "--repeat", "3",
                              "--warmup", "0", "--grace", "1s", "-o", out, "--quiet"] + load +
                             conc_args(runner, 4),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                             start_new_session=True)
        time.sleep(3.0)  # the first repetition is finished, the second running
        p.send_signal(signal.SIGINT)
        try:
            _, err = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            check(False, runner + ": SIGINT did not stop the run within 30 s")
            return
        check(p.returncode == 130, "%s: SIGINT: exit 130, got %d: %s" %
              (runner, p.returncode, err.strip()))
        if not check(os.path.exists(out), runner + ": a document after SIGINT"):
            return
        with open(out) as f:
            doc = json.load(f)
    validate(doc, runner + " interrupted")
    check(doc["complete"] is False, runner + ": the document is marked incomplete")
    reps = doc["cases"][0]["repetitions"]
    check(len(reps) >= 2 and reps[0]["complete"] and not reps[-1]["complete"] and
          reps[-1]["tasks_ok"] > 0,
          "%s: the finished repetition kept, the one in flight kept incomplete with its tasks: %s"
          % (runner, [(r["complete"], r["tasks_ok"]) for r in reps]))
    time.sleep(0.2)
    check(leftovers() == [], "%s: no Python process left: %s" % (runner, leftovers()))


for runner in PY_RUNNERS:
    interrupt(runner)

done()
