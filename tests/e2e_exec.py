"""End to end, exec: a command per task under every runner (ok counts, output bytes through
{task}), the exit status against status, stdout_sha256, a command that cannot start (exit 2
before any task), --timeout killing the command's whole process group (no grandchild
survives), a command killed by a signal, and the -- shorthand and its usage errors."""
import hashlib
import json
import os
import signal
import subprocess
import tempfile
import time

from pbtest import PARBENCH, check, done, run, validate

RUNNERS = "serial,threads,processes,eventloop,semaphore"
ONCE = ["--repeat", "1", "--warmup", "0"]


def run_doc(args, expect=0):
    """pbtest's run_doc, with -o and --quiet before a -- (after it they would be the
    command's)."""
    cut = args.index("--") if "--" in args else len(args)
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "result.json")
        p = run(["run"] + args[:cut] + ["-o", out, "--quiet"] + args[cut:], expect=expect)
        if not check(os.path.exists(out), "parbench run %s wrote no document\nstderr:\n%s" %
                     (" ".join(args), p.stderr)):
            return None, p
        with open(out) as f:
            doc = json.load(f)
    validate(doc, "document of run " + " ".join(args))
    return doc, p


def reps(doc):
    for c in doc["cases"]:
        for rep in c["repetitions"]:
            yield c, rep


def echo_bytes(n):
    return sum(len(str(i)) + 1 for i in range(n))


def survivors(marker):
    """Pids of processes whose command line holds marker, after giving SIGKILLed ones a moment
    to go."""
    for _ in range(40):
        p = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True)
        pids = p.stdout.split()
        if not pids:
            return []
        time.sleep(0.05)
    return pids


# every runner: {task} reaches the command, its output is counted exactly
doc, _ = run_doc(["-r", RUNNERS, "-c", "2", "-n", "30", "-p", "stdout=count"] + ONCE +
                 ["--", "/bin/echo", "{task}"])
if doc:
    check(len(doc["cases"]) == 5, "exec: a case per runner")
    for c, rep in reps(doc):
        w = rep["workload"]
        check(c["workload"] == "exec" and c["params"]["cmd"] == "/bin/echo '{task}'",
              "exec %s: -- is -w exec -p cmd=<quoted>: %s" % (c["runner"], c["params"]))
        check(rep["tasks_ok"] == 30 and rep["tasks_failed"] == 0,
              "exec %s: 30 ok, got %d ok, failures %s" %
              (c["runner"], rep["tasks_ok"], rep["failures"]))
        check(w["stdout_bytes"] == echo_bytes(30) and w["commands"] == 30,
              "exec %s: every task's own index echoed (%d bytes expected): %s" %
              (c["runner"], echo_bytes(30), w))
        check(w["path"] == "/bin/echo" and isinstance(w["command_cpu_s"], float) and
              w["command_cpu_s"] >= 0 and w["command_cpu_per_task_us"] is not None,
              "exec %s: the command's CPU time is reported: %s" % (c["runner"], w))
        check(rep["bytes_per_s"] > 0, "exec %s: the output counts as the task's bytes" %
              c["runner"])

# /bin/true, the shorthand, through every runner
doc, _ = run_doc(["-r", RUNNERS, "-c", "3", "-n", "20"] + ONCE + ["--", "/bin/true"])
if doc:
    for c, rep in reps(doc):
        check(rep["tasks_ok"] == 20 and rep["workload"]["stdout_bytes"] == 0,
              "exec %s /bin/true: 20 ok, nothing read: %d %s" %
              (c["runner"], rep["tasks_ok"], rep["workload"]))

# words as given: a quote, an empty word, an assignment-like word reach echo unchanged
doc, _ = run_doc(["-r", "threads", "-n", "5", "-p", "stdout=count"] + ONCE +
                 ["--", "echo", "it's", "", "a=b", "$HOME"])
if doc:
    rep = doc["cases"][0]["repetitions"][0]
    check(rep["workload"]["stdout_bytes"] == 5 * len("it's  a=b $HOME\n"),
          "exec --: words reach the command unchanged: %s" % rep["workload"])
    check(rep["workload"]["path"].endswith("/echo"), "exec: echo found on PATH")

# status: /bin/false fails every task; sh -c 'exit 3' with status=3 passes
doc, _ = run_doc(["-r", "threads,eventloop", "-c", "2", "-n", "20"] + ONCE +
                 ["--", "/bin/false"], expect=1)
if doc:
    for c, rep in reps(doc):
        check(rep["tasks_ok"] == 0 and rep["failures"].get("wrong_result") == 20,
              "exec %s /bin/false: 20 wrong_result, got %s" % (c["runner"], rep["failures"]))
        check("exited with status 1, not 0" in rep["workload"].get("last_failure", ""),
              "exec %s: the cause recorded: %s" % (c["runner"], rep["workload"]))
doc, _ = run_doc(["-r", "serial,processes,semaphore", "-c", "2", "-n", "20", "-w", "exec",
                  "-p", "shell=1", "-p", "cmd=exit 3", "-p", "status=3"] + ONCE)
if doc:
    for c, rep in reps(doc):
        check(rep["tasks_ok"] == 20 and rep["workload"]["path"] == "/bin/sh",
              "exec %s: exit 3 with status=3 is success: %d ok" % (c["runner"], rep["tasks_ok"]))
# a command killed by a signal: other, and the signal named
doc, _ = run_doc(["-r", "threads,eventloop", "-c", "2", "-n", "10", "-w", "exec",
                  "-p", "shell=1", "-p", "cmd=kill -9 $$"] + ONCE, expect=1)
if doc:
    for c, rep in reps(doc):
        w = rep["workload"]
        check(rep["failures"].get("other") == 10 and w["killed_by_signal"] == 10 and
              "signal 9" in w.get("last_failure", ""),
              "exec %s: killed by SIGKILL counted as other: %s %s" %
              (c["runner"], rep["failures"], w))

# stdout_sha256: the right digest passes (upper case too), a wrong one is wrong_result
digest = hashlib.sha256(b"hello 7\n").hexdigest()
doc, _ = run_doc(["-r", "threads,eventloop", "-c", "2", "-n", "12",
                  "-p", "stdout_sha256=" + digest.upper()] + ONCE +
                 ["--", "/bin/echo", "hello", "7"])
if doc:
    for c, rep in reps(doc):
        check(rep["tasks_ok"] == 12 and rep["workload"]["stdout_bytes"] == 12 * 8,
              "exec %s: the right SHA-256 passes: %d ok, %s" %
              (c["runner"], rep["tasks_ok"], rep["workload"]))
doc, _ = run_doc(["-r", "processes,semaphore", "-c", "2", "-n", "12",
                  "-p", "stdout_sha256=" + hashlib.sha256(b"other").hexdigest()] + ONCE +
                 ["--", "/bin/echo", "hello", "7"], expect=1)
if doc:
    for c, rep in reps(doc):
        check(rep["failures"].get("wrong_result") == 12,
              "exec %s: a wrong SHA-256 is wrong_result: %s" % (c["runner"], rep["failures"]))
# output larger than a pipe holds is drained, on both forms
doc, _ = run_doc(["-r", "threads,eventloop", "-c", "2", "-n", "4", "-p", "stdout=count",
                  "-w", "exec", "-p", "cmd=head -c 1000000 /dev/zero"] + ONCE)
if doc:
    for c, rep in reps(doc):
        check(rep["tasks_ok"] == 4 and rep["workload"]["stdout_bytes"] == 4000000,
              "exec %s: 1 MB of output per task read to its end: %s" %
              (c["runner"], rep["workload"]))

# a command that cannot start: exit 2, one line naming it, no task run, no document
missing = "no-such-command-%d" % os.getpid()
with tempfile.TemporaryDirectory() as d:
    out = os.path.join(d, "r.json")
    for args in (["--", missing, "x"], ["-w", "exec", "-p", "cmd=" + missing],
                 ["--", "/etc/passwd"], ["--", "/"]):
        p = run(["run", "-r", "threads", "-n", "5", "-o", out, "--quiet"] + args, expect=2)
        name = args[1] if args[0] == "--" else missing
        check(name in p.stderr and len(p.stderr.strip().splitlines()) == 1 and
              not os.path.exists(out),
              "exec %s: exit 2 in one line naming it, no document: %r" % (args, p.stderr))
    p = run(["run", "-r", "threads", "-n", "5", "-o", out, "-w", "exec"], expect=2)
    check("no command" in p.stderr, "exec without cmd: exit 2: %r" % p.stderr)
    p = run(["run", "-r", "threads", "-n", "5", "-o", out, "-w", "exec",
             "-p", "cmd=echo 'open"], expect=2)
    check("unterminated" in p.stderr, "exec: an unterminated quote is exit 2: %r" % p.stderr)

# --timeout: the command's whole group dies, the grandchild too, in both forms
marker = "30.%d" % (os.getpid() % 100000)
doc, _ = run_doc(["-r", "threads,eventloop,processes,semaphore", "-c", "2", "-n", "4",
                  "--timeout", "200ms", "-w", "exec", "-p", "shell=1",
                  "-p", "cmd=sleep %s & sleep %s" % (marker, marker)] + ONCE, expect=1)
if doc:
    for c, rep in reps(doc):
        check(rep["failures"].get("timeout") == 4 and rep["tasks_ok"] == 0,
              "exec %s: 4 timeouts, got %s" % (c["runner"], rep["failures"]))
left = survivors("^sleep " + marker)
check(not left, "exec --timeout: no sleep of the commands' groups survives: %s" % left)
# what a command leaves behind in its group when it exits is killed too
marker2 = "31.%d" % (os.getpid() % 100000)
doc, _ = run_doc(["-r", "threads,eventloop", "-c", "2", "-n", "3", "-w", "exec",
                  "-p", "shell=1", "-p", "stdout=count",
                  "-p", "cmd=sleep %s & echo started" % marker2] + ONCE)
if doc:
    for c, rep in reps(doc):
        check(rep["tasks_ok"] == 3, "exec %s: a command that exits is done: %s" %
              (c["runner"], rep["failures"]))
left = survivors("^sleep " + marker2)
check(not left, "exec: a background process left in the command's group is killed: %s" % left)

# a stop (SIGINT) while commands run: after --grace their groups are killed too
marker3 = "32.%d" % (os.getpid() % 100000)
for runner in ("threads", "processes", "eventloop"):
    conc = [] if runner == "eventloop" else ["-c", "2"]
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "r.json")
        p = subprocess.Popen(
            [PARBENCH, "run", "-r", runner, "-n", "4", "--grace", "100ms", "-w", "exec",
             "-p", "shell=1", "-p", "cmd=sleep %s & sleep %s" % (marker3, marker3),
             "-o", out, "--quiet"] + conc + ONCE,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for _ in range(100):  # until the commands run (or 5 s)
            if subprocess.run(["pgrep", "-f", "^sleep " + marker3],
                              capture_output=True).returncode == 0:
                break
            time.sleep(0.05)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=60)
        check(p.returncode == 130 and os.path.exists(out),
              "exec %s: SIGINT is exit 130 with a document: %d %r" % (runner, p.returncode, err))
    left = survivors("^sleep " + marker3)
    check(not left, "exec %s: no command survives a stop: %s" % (runner, left))

# usage: -- with another workload, with -p cmd=, with nothing after it
for args, what in ((["-w", "io.sleep", "--", "/bin/true"], "drop -w"),
                   (["-p", "cmd=/bin/true", "--", "/bin/true"], "give one"),
                   (["--"], "no command")):
    p = run(["run", "-r", "threads", "-n", "5", "-o", "-", "--quiet"] + args, expect=2)
    check(what in p.stderr and len(p.stderr.strip().splitlines()) == 1,
          "run %s: exit 2, %r" % (args, p.stderr))

# parbench list shows exec and its parameters
p = run(["list"], expect=0)
check("exec" in p.stdout and "stdout_sha256" in p.stdout and "cmd" in p.stdout,
      "parbench list shows exec with its parameters")

done()
