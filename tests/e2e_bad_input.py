"""End to end: bad input is exit 2 with one line naming the problem, before any work; SIGINT
writes a partial document and exits 130."""
import json
import os
import signal
import subprocess
import tempfile
import time

from pbtest import MARK, PARBENCH, check, done, leftovers, run, validate

BASE = ["run", "-w", "null", "-n", "10", "--repeat", "1", "--quiet"]
CASES = [
    (["run", "-r", "fibers", "-w", "null"], "unknown runner 'fibers'"),
    (["run", "-r", "threads", "-w", "cpu.nope"], "unknown workload 'cpu.nope'"),
    (BASE + ["-r", "threads", "-p", "bogus=1"], "no parameter 'bogus'"),
    (["run", "-r", "threads", "-w", "cpu.sumsq", "-p", "n=abc"], "'abc' is not an integer"),
    (["run", "-r", "threads", "-w", "cpu.sumsq", "-p", "n=0"], "out of range"),
    (BASE + ["-r", "threads", "-c", "0"], "concurrency must be"),
    (BASE + ["-r", "serial", "-c", "4"], "serial runs one task at a time"),
    (BASE + ["-r", "threads", "-c", "1", "--pin", "list:0,999"], "CPU 999"),
    (BASE + ["-r", "threads", "--pin", "diagonal"], "diagonal"),
    (BASE + ["-r", "threads", "-o", "/nonexistent/dir/x.json"], "/nonexistent/dir/x.json"),
    (BASE + ["-r", "threads", "--frobnicate"], "--frobnicate"),
    (BASE + ["-r", "threads", "-n", "10", "--duration", "1s"], "exclude each other"),
    (BASE + ["-r", "threads", "--timeout", "soon"], "'soon'"),
]
for args, needle in CASES:
    p = run(args, expect=2)
    lines = p.stderr.strip().splitlines()
    check(len(lines) == 1 and needle in lines[0],
          "%s: one line naming '%s', got %r" % (" ".join(args), needle, p.stderr))
    check(p.stdout == "", "%s: nothing on stdout" % " ".join(args))

# SIGINT in the middle of a run: the document is written, incomplete, exit 130
with tempfile.TemporaryDirectory() as d:
    out = os.path.join(d, "r.json")
    for runner in ("threads", "processes"):
        env = dict(os.environ, PB_TEST_MARK=MARK.split("=", 1)[1])
        p = subprocess.Popen([PARBENCH, "run", "-r", runner, "-w", "cpu.sumsq", "-c", "2",
                              "-n", "100000", "-p", "n=200000", "--repeat", "3", "--warmup", "0", "-o", out,
                              "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=env)
        time.sleep(1.5)
        p.send_signal(signal.SIGINT)
        try:
            _, err = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            check(False, runner + ": SIGINT did not stop the run within 30 s")
            continue
        check(p.returncode == 130, "%s: SIGINT exits 130, got %d: %s" % (runner, p.returncode, err))
        with open(out) as f:
            doc = json.load(f)
        validate(doc, runner + " interrupted document")
        check(doc["complete"] is False and doc["stop_reason"] == "interrupted",
              runner + ": marked incomplete")
        rep = doc["cases"][0]["repetitions"][0]
        check(rep["complete"] is False and 0 < rep["tasks_ok"] < 100000,
              "%s: the partial repetition is kept (%d tasks)" % (runner, rep["tasks_ok"]))
        check(leftovers() == [], runner + ": no process left behind: %s" % leftovers())

done()
