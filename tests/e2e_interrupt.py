"""End to end: a stop by signal, for every runner, --isolate, --suite and --rate, by SIGINT to
parbench and by SIGTERM to its process group (as `timeout` and CI runners send it): exit 130,
the document written and marked incomplete, the finished repetitions kept as samples, the
repetition in flight kept but not a sample, no process left, and the end within --grace."""
import json
import os
import signal
import subprocess
import tempfile
import time

from pbtest import MARK, PARBENCH, check, done, leftovers, validate

GRACE_S = 0.5


def interrupt(args, sig, group, wait_s=1.6, limit_s=None, name=None):
    """Starts parbench run ARGS, sends sig after wait_s (to its group when group), and returns
    (document, process, seconds from the signal to the exit)."""
    name = name or " ".join(args)
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "r.json")
        env = dict(os.environ, PB_TEST_MARK=MARK.split("=", 1)[1])
        p = subprocess.Popen([PARBENCH, "run"] + args + ["-o", out, "--quiet"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                             start_new_session=True)
        time.sleep(wait_s)
        t0 = time.monotonic()
        if group:
            os.killpg(p.pid, sig)
        else:
            p.send_signal(sig)
        try:
            _, err = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            check(False, "%s: %s did not stop the run within 30 s" % (name, sig.name))
            return None, p, None
        took = time.monotonic() - t0
        check(p.returncode == 130, "%s, %s%s: exit 130, got %d: %s" %
              (name, sig.name, " to the group" if group else "", p.returncode, err.strip()))
        if not os.path.exists(out):
            check(False, "%s: no document after %s: %s" % (name, sig.name, err))
            return None, p, took
        with open(out) as f:
            doc = json.load(f)
    validate(doc, "%s interrupted by %s" % (name, sig.name))
    check(doc["complete"] is False and doc["stop_reason"] == "interrupted",
          "%s: the document says interrupted (%s)" % (name, doc["stop_reason"]))
    if limit_s is not None:
        check(took < limit_s, "%s: ended %.2f s after %s (limit %.1f s)" %
              (name, took, sig.name, limit_s))
    check(leftovers() == [], "%s: no process left behind: %s" % (name, leftovers()))
    return doc, p, took


def kept(doc, name, finished_at_least=1):
    """The finished repetitions are samples; the one that was running is kept, incomplete."""
    reps = doc["cases"][0]["repetitions"] if doc and doc["cases"] else []
    complete = [r for r in reps if r["complete"]]
    check(len(complete) >= finished_at_least,
          "%s: %d finished repetitions kept (want >= %d)" % (name, len(complete),
                                                              finished_at_least))
    summary = doc["cases"][0]["summary"]["throughput_per_s"] if reps else {"n": -1}
    check(summary["n"] == len(complete),
          "%s: the samples are the finished repetitions: n=%s" % (name, summary["n"]))
    return reps


# Every runner: repetitions of about 240 ms (twelve 40 ms sleeps, two at a time; the event loop
# runs all twelve at once, so its sleeps are 240 ms), so some finish before the signal; the grace
# lets the tasks in flight end (they are well inside it), so the stop takes about one task.
# A signal can land in the ~2 ms between two repetitions, when none is in flight: that case is
# run again once with the signal half a repetition later (the phase is the same run to run, so
# the same wait would land between the same two again): only a stop that loses the repetition
# in flight twice fails.
def sleep_args(runner):
    ms, conc = (240, []) if runner == "eventloop" else (40, [] if runner == "serial" else ["-c", "2"])
    return ["-r", runner] + conc + ["-w", "io.sleep", "-p", "ms=%d" % ms, "-n", "12",
                                    "--repeat", "50", "--warmup", "0", "--grace", "%gs" % GRACE_S]


for runner in ("serial", "threads", "processes", "eventloop", "semaphore"):
    for sig, group in ((signal.SIGINT, False), (signal.SIGTERM, True)):
        name = "%s %s" % (runner, sig.name)
        for attempt in range(2):
            doc, _, _ = interrupt(sleep_args(runner), sig, group, wait_s=1.6 + 0.12 * attempt,
                                  limit_s=GRACE_S + 2.0, name=name)
            reps = kept(doc, name) if doc else []
            if reps and reps[-1]["complete"] is False:
                break
        if not doc:
            continue
        check(reps and reps[-1]["complete"] is False,
              name + ": the repetition in flight is kept, incomplete")
        # Tasks in flight finished within the grace period: none was killed as a crash.
        check(all("crash" not in r["failures"] for r in reps),
              name + ": no task recorded as a crash: %s" % [r["failures"] for r in reps])

# --grace: tasks longer than the grace period are ended when it is over.
for runner in ("threads", "processes", "semaphore", "serial"):
    conc = ["-c", "2"] if runner != "serial" else []
    name = runner + " long tasks"
    doc, _, took = interrupt(["-r", runner] + conc + ["-w", "io.sleep", "-p", "ms=20000", "-n",
                                                      "4", "--repeat", "1", "--warmup", "0",
                                                      "--grace", "300ms"],
                             signal.SIGINT, False, wait_s=0.8, limit_s=3.0, name=name)

# An open loop (--rate) on every runner that takes one.
for runner in ("serial", "threads", "processes", "eventloop"):
    conc = ["-c", "2"] if runner in ("threads", "processes") else []
    name = runner + " --rate"
    doc, _, _ = interrupt(["-r", runner] + conc + ["-w", "null", "--rate", "200", "--duration",
                                                   "60s", "--repeat", "1", "--warmup", "0"],
                          signal.SIGINT, False, wait_s=1.0, limit_s=2.5, name=name)
    if doc:
        rep = doc["cases"][0]["repetitions"][0]
        check(100 <= rep["tasks_ok"] <= 400, "%s: the tasks until the stop are kept: %d" %
              (name, rep["tasks_ok"]))
# serial sleeping to a far arrival (0.01/s: 100 s between tasks) still stops at once
doc, _, _ = interrupt(["-r", "serial", "-w", "null", "--rate", "0.01", "-n", "5", "--repeat",
                       "1", "--warmup", "0"], signal.SIGINT, False, wait_s=0.5, limit_s=2.0,
                      name="serial --rate 0.01")

# --isolate: the finished children's repetitions are kept (the handler restarts the read of
# the child's document), by SIGINT to the parent alone and by SIGTERM to the whole group.
for sig, group in ((signal.SIGINT, False), (signal.SIGTERM, True)):
    name = "--isolate " + sig.name
    doc, _, _ = interrupt(sleep_args("threads") + ["--isolate"], sig, group,
                          wait_s=2.0, limit_s=GRACE_S + 3.0, name=name)
    if doc:
        kept(doc, name)

# --interleave: every case is set up at once and their repetitions alternate, so at the stop
# both cases hold finished rounds, neither is complete, and the one in flight is kept, incomplete.
for sig, group in ((signal.SIGINT, False), (signal.SIGTERM, True)):
    name = "--interleave " + sig.name
    args = ["-r", "serial,threads", "-c", "2"] + sleep_args("threads")[4:] + ["--interleave"]
    doc, _, _ = interrupt(args, sig, group, wait_s=2.0, limit_s=GRACE_S + 2.0, name=name)
    if not doc:
        continue
    cases = doc["cases"]
    check(len(cases) == 2 and all(c["complete"] is False for c in cases),
          name + ": both cases kept, both incomplete: %s" % [c["complete"] for c in cases])
    for c in cases:
        done_reps = [r for r in c["repetitions"] if r["complete"]]
        check(len(done_reps) >= 2 and all(r.get("round") for r in c["repetitions"]),
              "%s %s: finished rounds kept, each with its round: %s" %
              (name, c["runner"], [r.get("round") for r in c["repetitions"]]))
        check(c["summary"]["throughput_per_s"]["n"] == len(done_reps),
              "%s %s: the samples are the finished repetitions" % (name, c["runner"]))
    threads = [c for c in cases if c["runner"] == "threads"]
    check(threads and threads[0].get("speedup", {}).get("paired") is True,
          name + ": the rounds both cases finished pair: %s" % threads[0].get("speedup"))

# --suite: the cases before the stop are whole, the one in flight kept, the rest not run.
with tempfile.TemporaryDirectory() as d:
    suite = os.path.join(d, "s.json")
    with open(suite, "w") as f:
        json.dump({"name": "interrupt", "repeat": 40, "warmup": 0, "grace": "500ms",
                   "groups": [{"runners": ["threads", "eventloop"], "concurrency": 2,
                               "tasks": 12, "workload": "io.sleep", "params": {"ms": 40}}]}, f)
    for sig, group in ((signal.SIGINT, False), (signal.SIGTERM, True)):
        name = "--suite " + sig.name
        doc, _, _ = interrupt(["--suite", suite], sig, group, wait_s=1.5,
                              limit_s=GRACE_S + 2.0, name=name)
        if doc:
            check(len(doc["cases"]) == 1 and doc["cases"][0]["complete"] is False,
                  name + ": one case, interrupted: %d cases" % len(doc["cases"]))
            kept(doc, name)

# A signal while the plan is still being read (the suite comes from a FIFO that the test fills
# only after the signal) ends in a document of no case, exit 130: the handlers are in place before
# anything else runs.
with tempfile.TemporaryDirectory() as d:
    fifo = os.path.join(d, "suite.fifo")
    os.mkfifo(fifo)
    out = os.path.join(d, "r.json")
    env = dict(os.environ, PB_TEST_MARK=MARK.split("=", 1)[1])
    p = subprocess.Popen([PARBENCH, "run", "--suite", fifo, "-o", out, "--quiet"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(0.5)  # it waits in the suite's open: nothing is read until the test writes
    p.send_signal(signal.SIGINT)
    time.sleep(0.1)
    try:  # without a reader (it died of the signal) the write end does not open
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.write(fd, json.dumps({"groups": [{"runners": ["threads"], "workload": "null",
                                             "tasks": 100}]}).encode())
        os.close(fd)
    except OSError:
        pass
    _, err = p.communicate(timeout=30)
    check(p.returncode == 130, "a SIGINT while the plan is read: exit 130, got %d: %s" %
          (p.returncode, err.strip()))
    if check(os.path.exists(out), "a SIGINT while the plan is read: a document"):
        with open(out) as f:
            early = json.load(f)
        validate(early, "the document of a run stopped before its first case")
        check(early["stop_reason"] == "interrupted" and early["cases"] == [],
              "stopped before its first case: interrupted, no case: %s, %d cases" %
              (early["stop_reason"], len(early["cases"])))

# A signal during a long set-up (reserving 10M tasks' memory on a loop) ends it at once.
doc, _, _ = interrupt(["-r", "eventloop", "-w", "null", "-n", "10M", "--repeat", "1",
                       "--warmup", "0"], signal.SIGINT, False, wait_s=0.3, limit_s=1.0,
                      name="eventloop set-up of 10M tasks")

done()
