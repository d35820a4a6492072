"""End-to-end: the machine watch. CPU hogs pinned to the workers' CPU make every repetition
busy, the case untrustworthy, its speed-up suspect, and the run says so once after the table;
without the hog the same cases stay (nearly) clean. Sensitive to whatever else runs: ctest runs
it alone (RUN_SERIAL)."""
import os
import sys
import resource
import subprocess
import time

import pbtest
from pbtest import check, done, run_doc

CPU = min(os.sched_getaffinity(0))
# About 0.1 s a repetition when quiet: long enough for the tick-counted /proc/stat.
ARGS = ["-r", "serial,threads,processes", "-w", "cpu.sumsq", "-c", "1", "--pin", "list:%d" % CPU,
        "-n", "100", "-p", "n=1000000", "--repeat", "5", "--warmup", "1"]
REPEAT = 5


def machine_of(c):
    return [r.get("machine") for r in c["repetitions"]]


def busy_run():
    # Two spinning processes: beside one, the worker's fair share leaves others at 0.5 of the
    # PU, on the busy limit itself, and a slow build (TSan) lands on either side of it.
    hogs = [subprocess.Popen(["taskset", "-c", str(CPU), "sh", "-c", "while :; do :; done"])
            for _ in range(2)]
    try:
        time.sleep(0.2)
        doc, p = run_doc(ARGS)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    if not doc:
        return
    for c in doc["cases"]:
        name = c["runner"]
        ms = machine_of(c)
        print("hog: %s: %s" % (name, [(round(m["others_cpus"], 2), round(m["run_wait"], 2),
                                       m["busy"]) for m in ms if m]))
        check(all(m is not None for m in ms), "%s: every repetition watched: %s" % (name, ms))
        ms = [m for m in ms if m]
        busy = [m for m in ms if m["busy"]]
        check(len(busy) > REPEAT // 2, "%s: most repetitions busy beside a hog: %s" % (name, ms))
        check(all("others used" in m.get("busy_reason", "") or
                  "waited" in m.get("busy_reason", "") for m in busy),
              "%s: busy reasons say what was seen: %s" % (name, [m.get("busy_reason") for m in busy]))
        # When the host steals, the hog gets less of the PU: what it lost shows as steal.
        check(all(m["others_cpus"] + m["steal_cpus"] > 0.2 for m in busy),
              "%s: others' share measured: %s" %
              (name, [(m["others_cpus"], m["steal_cpus"]) for m in ms]))
        t = c.get("trust", {})
        check(t.get("trustworthy") is False and t.get("busy_repetitions", 0) > REPEAT // 2 and
              "busy machine" in t.get("reason", ""),
              "%s: case not trustworthy: %s" % (name, t))
        check(any(w.startswith("busy machine:") for w in c.get("warnings", [])),
              "%s: the case's warnings say so: %s" % (name, c.get("warnings")))
        if name != "serial":
            sp = c.get("speedup", {})
            check(sp.get("suspect") is True and "busy machine" in sp.get("suspect_reason", ""),
                  "%s: speed-up suspect: %s" % (name, sp))
    out = p.stdout
    check(out.count("The machine was busy:") == 1, "one block after the table:\n" + out)
    check(out.find("The machine was busy:") > out.find("speedup"), "after the table:\n" + out)
    check(out.count("its numbers are not trustworthy") == 3, "a line per case:\n" + out)
    # The suspect speed-ups are marked in the table and say why under it.
    rows = [l for l in out.splitlines() if l.startswith(("threads ", "processes "))]
    check(len(rows) == 2 and all(l.endswith(" suspect") for l in rows),
          "the table marks the suspect speed-ups:\n" + out)
    check(out.count("suspect speed-up, ") == 2 and "measured on a busy machine" in out,
          "a line per suspect speed-up after the table:\n" + out)
    check("warning" not in p.stderr or "busy" not in p.stderr,
          "not a scroll of warnings:\n" + p.stderr)


def cpu_ticks(cpus):
    """Busy ticks of cpus so far (user nice system irq softirq), from /proc/stat."""
    names = {"cpu%d" % c for c in cpus}
    total = 0
    with open("/proc/stat") as f:
        for line in f:
            v = line.split()
            if v[0] in names:
                total += sum(int(x) for x in (v[1], v[2], v[3], v[6], v[7]))
    return total


def cpu_busy(cpus, seconds=0.3):
    """CPUs' worth of busy time on cpus over a short look of our own."""
    a = cpu_ticks(cpus)
    time.sleep(seconds)
    return (cpu_ticks(cpus) - a) / os.sysconf("SC_CLK_TCK") / seconds


def watched_run(args, cpus):
    """run_doc(args), and what others did on CPU by our own measure meanwhile: its busy ticks
    less parbench's whole tree's CPU time (our reaped children), over the wall time."""
    t0, k0 = time.monotonic(), cpu_ticks(cpus)
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    doc, p = run_doc(args)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, k1 = time.monotonic() - t0, cpu_ticks(cpus)
    ours = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
    return doc, p, max(0.0, ((k1 - k0) / os.sysconf("SC_CLK_TCK") - ours) / wall)


def quiet_case(label, args, runner, cpus=(CPU,)):
    """The hog gone: at most two busy repetitions of five in the case of runner. Whatever else
    the machine runs (a build beside the tests) may still disturb a run; only a run our own
    measure calls quiet is judged, and up to three tries decide. True: clean; False: judged and
    not clean; None: the machine was never quiet enough to ask."""
    verdict = None
    for attempt in range(3):
        looks = []
        for _ in range(4):
            looks.append(cpu_busy(cpus))
            if looks[-1] < 0.05:
                break
        else:
            print("quiet %s %d: CPUs %s busy without the hog (%s): not run" %
                  (label, attempt + 1, list(cpus), ["%.2f" % x for x in looks]))
            continue
        doc, p, others = watched_run(args, cpus)
        if not doc:
            return False
        c = pbtest.case(doc, runner)
        ms = [m for m in machine_of(c) if m]
        busy = [m.get("busy_reason") for m in ms if m["busy"]]
        t = c.get("trust", {})
        print("quiet %s %d (others %.2f by our own measure): %s" %
              (label, attempt + 1, others,
               [(round(m["others_cpus"], 2), round(m["run_wait"], 2), m["busy"]) for m in ms]))
        if others > 0.08:
            continue
        if len(ms) == REPEAT and len(busy) <= 2 and t.get("trustworthy") is True and \
                "not trustworthy" not in p.stdout:
            return True
        print("  disturbed: %s %s" % (busy, t))
        # Steal is the host's other guests, which our own look (busy ticks) cannot see, and it
        # inflates CPU per task too: the machine was not quiet enough to ask.
        if any(m["steal_cpus"] > 0.1 for m in ms):
            continue
        verdict = False
    return verdict


def quiet_run():
    """False when a case could not be judged (the machine was never quiet enough)."""
    verdicts = {r: quiet_case(r, ["-r", r] + ARGS[2:], r) for r in ("serial", "threads", "processes")}
    # The case's own queueing is not a busy machine: four workers on the one PU wait three
    # quarters of their time for it, and two threads on one lock spend far more CPU per task
    # than the serial run of the same work.
    verdicts["threads c=4 on one PU"] = quiet_case(
        "threads c=4", ["-r", "threads", "-w", "cpu.sumsq", "-c", "4", "--pin", "list:%d" % CPU,
                        "-n", "100", "-p", "n=1000000", "--repeat", "5", "--warmup", "1"],
        "threads")
    verdicts["threads sync.lock c=2"] = quiet_case(
        "sync.lock", ["-r", "serial,threads", "-w", "sync.lock", "-c", "2", "-n", "2000",
                      "-p", "increments=1000", "--repeat", "5", "--warmup", "1"], "threads",
        sorted(os.sched_getaffinity(0))[:2])
    check(False not in verdicts.values(), "without the hog the cases stay clean: %s" % verdicts)
    unjudged = [r for r, v in verdicts.items() if v is None]
    if unjudged:
        print("SKIPPED: the machine was never quiet enough to judge %s without the hog" %
              unjudged)
    return not unjudged


busy_run()
judged = quiet_run()
if judged or pbtest.failures():
    done()
# Everything checked passed, but a check could not run: ctest reports the test as skipped
# (SKIP_RETURN_CODE), never as a pass.
sys.exit(77)
