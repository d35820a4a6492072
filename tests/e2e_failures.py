"""End to end: failures are results. A crashing process worker is replaced and its task
recorded with the cause; wrong results count against --max-errors; --fail-fast stops early."""
from pbtest import case, check, done, leftovers, run_doc

# every 10th task aborts its worker: 5 of 50 crash, the other 45 complete
for c in ("1", "2"):
    doc, _ = run_doc(["-r", "processes", "-w", "null", "-c", c, "-n", "50", "--repeat", "1",
                      "--warmup", "0", "-p", "crash_every=10", "--max-errors", "5"], expect=0)
    if not doc:
        continue
    rep = case(doc, "processes")["repetitions"][0]
    check(rep["tasks_ok"] == 45, "c=%s: 45 tasks ok, got %d" % (c, rep["tasks_ok"]))
    check(rep["failures"].get("crash") == 5, "c=%s: 5 crashes recorded, got %s" %
          (c, rep["failures"]))
    workers = rep["placement"]["workers"]
    causes = [w.get("last_failure", "") for w in workers]
    check(any("signal 6" in cause for cause in causes), "cause names SIGABRT: %s" % causes)
    if c == "1":
        # one worker: each crash but the one on the last task leaves work, so it is replaced
        check(workers[0]["replaced"] == 4, "c=1: 4 replacements, got %d" % workers[0]["replaced"])

# a process worker over --timeout is killed and replaced; its task counts as a timeout
doc, _ = run_doc(["-r", "processes", "-w", "cpu.sumsq", "-p", "n=20000000000", "-c", "1",
                  "-n", "3", "--timeout", "200ms", "--repeat", "1", "--warmup", "0",
                  "--max-errors", "100%"], expect=0)
if doc:
    rep = case(doc, "processes")["repetitions"][0]
    check(rep["timeouts"] == 3 and rep["failures"] == {"timeout": 3},
          "3 overrunning tasks killed as timeouts: %s" % rep["failures"])
    # under ThreadSanitizer each replacement worker's start costs about a second more
    limit = 8 if doc["tool"]["sanitizer"] == "thread" else 3
    check(rep["wall_s"] < limit, "killed promptly: %.2f s" % rep["wall_s"])
    check(rep["placement"]["workers"][0]["replaced"] == 2, "the worker was replaced twice")
    check("timeout" in rep["placement"]["workers"][0].get("last_failure", ""),
          "cause says timeout")

# exit and segv are crashes too; one more failure than allowed is exit 1
for mode, cause in (("exit", "exited with status 3"), ("segv", "signal 11")):
    doc, _ = run_doc(["-r", "processes", "-w", "null", "-c", "2", "-n", "20", "--repeat", "1",
                      "--warmup", "0", "-p", "crash_every=7", "-p", "crash_mode=" + mode],
                     expect=1)
    if doc:
        rep = case(doc, "processes")["repetitions"][0]
        check(rep["failures"].get("crash") == 2 and rep["tasks_ok"] == 18,
              mode + ": 2 crashes, 18 ok: %s" % rep["failures"])
        if mode == "segv" and doc["tool"]["sanitizer"] != "none":
            cause = "exited with status"  # a sanitizer catches SIGSEGV, reports, and exits
        check(any(cause in w.get("last_failure", "") for w in rep["placement"]["workers"]),
              mode + ": cause recorded")

# no worker process is left behind
check(leftovers() == [], "no parbench process left: %s" % leftovers())

# wrong results: 10% of tasks; --max-errors 10% passes, 5% fails
for limit, code in (("10%", 0), ("5%", 1)):
    doc, _ = run_doc(["-r", "threads", "-w", "null", "-c", "2", "-n", "100", "--repeat", "1",
                      "--warmup", "0", "-p", "fail_every=10", "--max-errors", limit],
                     expect=code)
    if doc:
        rep = case(doc, "threads")["repetitions"][0]
        check(rep["failures"] == {"wrong_result": 10}, "10 wrong results: %s" % rep["failures"])

# --fail-fast stops at the first failure and still writes the document
doc, _ = run_doc(["-r", "serial,threads", "-w", "null", "-c", "1,2", "-n", "1000",
                  "--repeat", "3", "--warmup", "0", "-p", "fail_every=50", "--fail-fast"],
                 expect=1)
if doc:
    check(not doc["complete"] and doc["stop_reason"] == "fail_fast", "fail-fast: incomplete")
    check(len(doc["cases"]) == 1, "fail-fast: stopped in the first case")
    rep = doc["cases"][0]["repetitions"][0]
    check(rep["tasks_ok"] == 49 and rep["tasks_failed"] == 1,
          "fail-fast: serial stopped at task 50: %d ok" % rep["tasks_ok"])

# --fail-fast in an open loop with process workers, and across --isolate children: exit 1, the
# document says why, nothing runs after the failure's repetition
for extra in (["-r", "processes", "-c", "2", "--rate", "2000", "-n", "400"],
              ["-r", "threads", "-c", "2", "-n", "400", "--isolate"]):
    doc, _ = run_doc(extra + ["-w", "null", "-p", "fail_every=10", "--fail-fast", "--repeat", "3",
                              "--warmup", "0"], expect=1)
    if doc:
        reps = doc["cases"][0]["repetitions"]
        check(doc["stop_reason"] == "fail_fast" and len(reps) == 1 and not reps[0]["complete"],
              "%s: fail-fast stops after the first repetition: %s, %d" %
              (" ".join(extra), doc["stop_reason"], len(reps)))

done()
