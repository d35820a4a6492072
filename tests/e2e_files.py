"""End to end: the files run, merge and export write. A device or a FIFO is written through,
never replaced; the temporary file cannot be redirected by a planted link and keeps the mode
fopen would give; a destination that cannot work fails before any work (2 for a directory, 3
for the environment); a run whose document cannot be written leaves it in the temporary
directory; standard output is checked."""
import json
import os
import resource
import select
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import docgen  # noqa: E402
import pbtest  # noqa: E402
from pbtest import check  # noqa: E402

PARBENCH = os.path.abspath(pbtest.PARBENCH)
TMP = tempfile.mkdtemp(prefix="pb-e2e-files-")
os.chmod(TMP, 0o755)  # the unprivileged runs below must reach their directories
RESCUE = os.path.join(TMP, "rescue")  # TMPDIR of every run: where a rescued document goes
os.mkdir(RESCUE)
# A run that warns about nothing (repetitions over 10 ms), and one whose work takes 3 s: a
# check made before the work returns long before that.
RUN = ["run", "-r", "serial", "-w", "io.sleep", "-p", "ms=1", "-n", "15", "--repeat", "1",
       "--warmup", "0", "--quiet"]
SLOW = ["run", "-r", "serial", "-w", "io.sleep", "-p", "ms=300", "-n", "10", "--repeat", "1",
        "--warmup", "0", "--quiet"]
SLOW_S = 3.0


def path(*names):
    return os.path.join(TMP, *names)


def launch(args, stdout=subprocess.PIPE, cwd=None, env=None, setup=None, timeout=120):
    """Runs parbench with args; setup runs in the child before exec (its pid is parbench's).
    Returns (exit code, stdout or '', stderr, seconds)."""
    full_env = dict(os.environ, PB_TEST_MARK=pbtest.MARK.split("=", 1)[1], TMPDIR=RESCUE)
    full_env.update(env or {})
    t0 = time.monotonic()
    p = subprocess.run([PARBENCH] + args, stdout=stdout, stderr=subprocess.PIPE, cwd=cwd,
                       env=full_env, preexec_fn=setup, timeout=timeout, text=True)
    return p.returncode, p.stdout or "", p.stderr, time.monotonic() - t0


def errors(stderr):
    """parbench's own lines on stderr, less warnings (the summary table and warnings are not
    the error line)."""
    return [line for line in stderr.splitlines()
            if line.startswith("parbench") and not line.startswith("parbench: warning:")]


def check_one_line(what, rc, expect, stderr, *needles):
    lines = errors(stderr)
    check(rc == expect, "%s: exit %d, expected %d\n%s" % (what, rc, expect, stderr))
    check(len(lines) == 1 and all(n in lines[0] for n in needles),
          "%s: one line naming %s, got %r" % (what, needles, stderr))
    return lines[0] if lines else ""


def listing(d):
    return sorted(os.listdir(d))


def load(p):
    with open(p) as f:
        return json.load(f)


def rescued(line, what):
    """The document a run said it left in the temporary directory; checks and removes it."""
    words = [w.rstrip(".;,") for w in line.split() if w.startswith("/")]
    found = [w for w in words if os.path.basename(w).startswith("parbench-") and
             os.path.isfile(w)]
    if not check(len(found) == 1, "%s: the line names the rescued document: %r" % (what, line)):
        return None
    doc = load(found[0])
    pbtest.validate(doc, what + ": the rescued document")
    check(doc["complete"] is True, what + ": the rescued document is the finished run")
    os.unlink(found[0])
    return doc


# The inputs of merge and export: a real run's document and a tiny one (an empty plan: its
# document fits in stdio's buffer, so only the final flush can see the write fail).
BASE = path("base.json")
rc, _, err, _ = launch(RUN + ["-o", BASE])
if not check(rc == 0 and os.path.isfile(BASE), "the input run: exit %d\n%s" % (rc, err)):
    pbtest.done()
BASE_TEXT = open(BASE).read()
TINY = path("tiny.json")
docgen.write(docgen.make_doc([]), TINY)
_, CSV_TEXT, _, _ = launch(["export", "--format", "csv", BASE])
check(CSV_TEXT.startswith("case,"), "export csv to stdout: %r" % CSV_TEXT[:80])

# Each writer, as (name, arguments before -o, how to check what it wrote).
WRITERS = [
    ("run", RUN, lambda text: pbtest.validate(json.loads(text), "run document")),
    ("merge", ["merge"],
     lambda text: check(len(json.loads(text)["cases"]) == 1, "merged document: one case")),
    ("export gbench", ["export", "--format", "gbench"],
     lambda text: check("benchmarks" in json.loads(text), "gbench document")),
    ("export csv", ["export", "--format", "csv"],
     lambda text: check(text == CSV_TEXT, "the csv table written in full")),
]


def verified(what, verify, text):
    """verify(text), where text that is not the document is a failed check, not a crash."""
    try:
        verify(text)
    except ValueError as e:
        check(False, "%s: %d bytes that are not the document (%s)" % (what, len(text), e))


def writer_args(name, head, out):
    return head + ["-o", out] + ([] if name == "run" else [BASE])


def private_devices():
    """Copies of /dev/null and /dev/full (the same device numbers) in a directory of the test:
    a regression replaces these, not the machine's. None where mknod is not allowed."""
    d = path("dev")
    os.mkdir(d)
    try:
        for name, minor in (("null", 3), ("full", 7)):
            os.mknod(os.path.join(d, name), stat.S_IFCHR | 0o666, os.makedev(1, minor))
        with open(os.path.join(d, "null"), "w") as f:
            f.write("x")
    except OSError as e:
        print("no private device nodes (%s): testing /dev/null and /dev/full" % e)
        return None
    return os.path.join(d, "null"), os.path.join(d, "full")


def same_node(p, before):
    st = os.lstat(p)
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == before.st_rdev and \
        st.st_ino == before.st_ino


def test_devices(null, full, leftovers_of):
    """-o NULL succeeds and -o FULL fails with ENOSPC, for every writer; neither node is
    replaced, nothing is left next to them. Returns whether all held."""
    before = len(pbtest._failures)
    d = os.path.dirname(null)
    seen = leftovers_of(d)
    st_null, st_full = os.lstat(null), os.lstat(full)
    for name, head, _ in WRITERS:
        rc, out, err, _ = launch(writer_args(name, head, null))
        check(rc == 0, "%s -o %s: exit %d\n%s" % (name, null, rc, err))
        check(same_node(null, st_null), "%s -o %s: still the device node" % (name, null))
        rc, out, err, _ = launch(writer_args(name, head, full))
        line = check_one_line("%s -o %s" % (name, full), rc, 3, err, full,
                              "No space left on device")
        check(same_node(full, st_full), "%s -o %s: still the device node" % (name, full))
        if name == "run":
            rescued(line, "run -o " + full)
        check(leftovers_of(d) == seen, "%s: nothing left next to the devices: %s" %
              (name, sorted(set(leftovers_of(d)) - set(seen))))
    return len(pbtest._failures) == before


class FifoReader:
    """Reads a FIFO from a thread until its writer closes it, or until stop() once the writer
    has exited (so a writer that never opens the FIFO cannot hang the test)."""

    def __init__(self, p):
        self.fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)  # a writer's open does not block
        self.data = bytearray()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._read)
        self.thread.start()

    def _read(self):
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.1)
            if not ready:
                if self.stopping.is_set():
                    return
                continue
            try:
                chunk = os.read(self.fd, 65536)
            except BlockingIOError:
                continue
            if not chunk:
                return  # the writer closed it
            self.data += chunk

    def stop(self):
        self.stopping.set()
        self.thread.join()
        os.close(self.fd)
        return self.data.decode(errors="replace")


def test_fifo():
    for i, (name, head, verify) in enumerate(WRITERS):
        fifo = path("fifo%d" % i)
        os.mkfifo(fifo)
        reader = FifoReader(fifo)
        try:
            rc, _, err, _ = launch(writer_args(name, head, fifo))
        finally:
            text = reader.stop()
        check(rc == 0, "%s -o FIFO: exit %d\n%s" % (name, rc, err))
        check(stat.S_ISFIFO(os.lstat(fifo).st_mode), "%s -o FIFO: still a FIFO" % name)
        verified("%s -o FIFO: what the reader got" % name, verify, text)
        os.unlink(fifo)
    check(not [n for n in listing(TMP) if n.startswith("fifo")], "nothing left by the FIFOs")


def test_planted_link():
    """The old temporary name OUT.tmp.PID, planted as a link to another file, is not followed.
    A link at OUT is followed to the file it names, never replaced by one."""
    d = path("link")
    os.mkdir(d)
    target = os.path.join(d, "target.txt")
    for name, head, verify in WRITERS:
        victim = os.path.join(d, "victim.json")
        with open(target, "w") as f:
            f.write("precious\n")

        def plant():
            os.symlink(target, "%s.tmp.%d" % (victim, os.getpid()))

        rc, _, err, _ = launch(writer_args(name, head, victim), setup=plant)
        check(rc == 0, "%s with a planted link: exit %d\n%s" % (name, rc, err))
        check(open(target).read() == "precious\n",
              "%s: the planted link's target is untouched" % name)
        check(os.path.isfile(victim) and not os.path.islink(victim), "%s: OUT written" % name)
        if os.path.isfile(victim):
            verified(name + " -o OUT", verify, open(victim).read())
        links = [n for n in listing(d) if ".tmp." in n]
        check(len(links) == 1 and os.path.islink(os.path.join(d, links[0])),
              "%s: only the planted link beside OUT: %s" % (name, listing(d)))
        for n in links:
            os.unlink(os.path.join(d, n))
        os.unlink(victim)

        # A link at OUT to a file: the file is replaced (as fopen would write it), the link
        # stays. A dangling one is replaced, not followed into a new file.
        os.symlink("target.txt", victim)
        rc, _, err, _ = launch(writer_args(name, head, victim))
        check(rc == 0 and os.path.islink(victim) and open(target).read() != "precious\n",
              "%s -o LINK: the file it names gets the document (exit %d)\n%s" %
              (name, rc, err))
        if os.path.isfile(target):
            verified(name + " -o LINK", verify, open(target).read())
        os.unlink(victim)
        os.symlink("missing.txt", victim)
        rc, _, err, _ = launch(writer_args(name, head, victim))
        check(rc == 0 and not os.path.islink(victim) and os.path.isfile(victim) and
              not os.path.exists(os.path.join(d, "missing.txt")),
              "%s -o DANGLING_LINK: the link is replaced (exit %d)\n%s" % (name, rc, err))
        os.unlink(victim)

        # /dev/stdout's shape: a link to /proc/self/fd/1, here with stdout a file. The file
        # gets the document; the link is not replaced.
        link = os.path.join(d, "stdout")
        os.symlink("/proc/self/fd/1", link)
        captured = os.path.join(d, "captured")
        with open(captured, "w") as f:
            rc, _, err, _ = launch(writer_args(name, head, link), stdout=f)
        check(rc == 0 and os.path.islink(link) and os.readlink(link) == "/proc/self/fd/1",
              "%s -o LINK_TO_STDOUT: the link stays (exit %d)\n%s" % (name, rc, err))
        verified(name + " -o LINK_TO_STDOUT", verify, open(captured).read())
        os.unlink(link)
        os.unlink(captured)
    check(listing(d) == ["target.txt"], "nothing else left: %s" % listing(d))


def test_modes():
    """A new file gets 0666 & ~umask, as fopen gives; a replaced one keeps its mode."""
    d = path("modes")
    os.mkdir(d)
    for name, head, _ in WRITERS:
        for mask, want in ((0o022, 0o644), (0o027, 0o640), (0o077, 0o600)):
            out = os.path.join(d, "new.out")
            rc, _, err, _ = launch(writer_args(name, head, out),
                                   setup=lambda m=mask: os.umask(m))
            mode = stat.S_IMODE(os.stat(out).st_mode) if os.path.exists(out) else None
            check(rc == 0 and mode == want, "%s, umask %03o: mode %s, expected %03o\n%s" %
                  (name, mask, oct(mode or 0), want, err))
            if os.path.exists(out):
                os.unlink(out)
        out = os.path.join(d, "old.out")
        with open(out, "w") as f:
            f.write("old\n")
        os.chmod(out, 0o604)
        rc, _, err, _ = launch(writer_args(name, head, out))
        mode = stat.S_IMODE(os.stat(out).st_mode)
        check(rc == 0 and mode == 0o604 and open(out).read() != "old\n",
              "%s over a file of mode 604: replaced, mode %s\n%s" % (name, oct(mode), err))
        os.unlink(out)
    check(listing(d) == [], "no temporary file left: %s" % listing(d))


def test_write_fails():
    """The file grows past RLIMIT_FSIZE while written (as a disk that fills up): exit 3, one
    line, the old OUT intact, no temporary left; a run's rescue hits the same limit and
    says so."""
    d = path("fsize")
    os.mkdir(d)
    out = os.path.join(d, "out.json")

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))

    for name, head, _ in WRITERS:
        with open(out, "w") as f:
            f.write("old\n")
        seen = listing(RESCUE)
        rc, _, err, _ = launch(writer_args(name, head, out), setup=limit)
        check_one_line("%s past RLIMIT_FSIZE" % name, rc, 3, err, out, "too large")
        check(open(out).read() == "old\n", "%s: the old file intact" % name)
        check(listing(d) == ["out.json"], "%s: no temporary left: %s" % (name, listing(d)))
        check(listing(RESCUE) == seen, "%s: nothing half-written in TMPDIR" % name)
    os.unlink(out)


def test_upfront_directory():
    """-o DIR is bad input: exit 2 before any work, nothing written."""
    d = path("isdir")
    os.mkdir(d)
    rc, out, err, secs = launch(SLOW + ["-o", d])
    check_one_line("run -o DIR", rc, 2, err, d, "directory")
    check(out == "" and len(err.splitlines()) == 1, "run -o DIR: only the line: %r %r" %
          (out, err))
    check(secs < SLOW_S * 0.6, "run -o DIR: refused before the run (%.1f s)" % secs)
    for name, head, _ in WRITERS[1:]:
        rc, out, err, _ = launch(writer_args(name, head, d))
        check_one_line("%s -o DIR" % name, rc, 2, err, d, "directory")
        check(out == "", "%s -o DIR: nothing on stdout" % name)
    # github writes PREFIX-bigger.json and PREFIX-smaller.json: both are checked first.
    prefix = os.path.join(d, "gh")
    os.mkdir(prefix + "-smaller.json")
    rc, _, err, _ = launch(["export", "--format", "github", "-o", prefix, BASE])
    check_one_line("export github, PREFIX-smaller.json a directory", rc, 2, err,
                   prefix + "-smaller.json")
    os.rmdir(prefix + "-smaller.json")
    check(listing(d) == [], "nothing written beside or into DIR: %s" % listing(d))
    check(listing(TMP).count("isdir") == 1 and
          not [n for n in listing(TMP) if n.startswith("isdir.")],
          "nothing left beside DIR: %s" % listing(TMP))


def test_upfront_environment():
    """A destination the environment refuses fails before any work, exit 3, nothing left."""
    # `results` a regular file: the default results/runs/ cannot be made.
    cwd = path("cwd-file")
    os.mkdir(cwd)
    with open(os.path.join(cwd, "results"), "w") as f:
        f.write("not a directory\n")
    rc, out, err, secs = launch(SLOW, cwd=cwd)
    check_one_line("run, results a file", rc, 3, err, "results")
    check(out == "" and len(err.splitlines()) == 1 and secs < SLOW_S * 0.6,
          "run, results a file: refused before the run (%.1f s): %r %r" % (secs, out, err))
    check(listing(cwd) == ["results"], "nothing made: %s" % listing(cwd))
    # ... and an explicit path under a file, for every writer.
    under = os.path.join(cwd, "results", "x.json")
    for name, head, _ in WRITERS:
        rc, out, err, _ = launch(writer_args(name, head, under) if name != "run"
                                 else SLOW + ["-o", under])
        check_one_line("%s -o FILE/x.json" % name, rc, 3, err, under)
        check(out == "", "%s -o FILE/x.json: nothing on stdout: %r" % (name, out))
    check(listing(cwd) == ["results"], "nothing made: %s" % listing(cwd))

    # A working directory this user cannot write (root runs parbench as nobody).
    ro = path("cwd-ro")
    os.mkdir(ro, 0o555)
    os.chmod(ro, 0o555)
    drop = None
    if os.geteuid() == 0:
        def drop():
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
    rc, out, err, secs = launch(SLOW, cwd=ro, setup=drop)
    check_one_line("run in a read-only working directory", rc, 3, err, "results/runs",
                   "Permission denied")
    check(out == "" and len(err.splitlines()) == 1 and secs < SLOW_S * 0.6,
          "read-only working directory: refused before the run (%.1f s): %r" % (secs, err))
    rc, out, err, _ = launch(["merge", "-o", os.path.join(ro, "m.json"), BASE], setup=drop)
    check_one_line("merge into a read-only directory", rc, 3, err, os.path.join(ro, "m.json"))
    check(listing(ro) == [], "nothing made: %s" % listing(ro))

    # A read-only file system: the directory bind-mounted read-only in a mount namespace of
    # the run's own (root only; it goes away with the run).
    if os.geteuid() == 0 and subprocess.run(["unshare", "-m", "true"],
                                            capture_output=True).returncode == 0:
        rofs = path("cwd-rofs")
        os.mkdir(rofs)
        script = 'mount --bind -o ro "$1" "$1" && cd "$1" && shift && exec "$@"'
        t0 = time.monotonic()
        p = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", rofs, PARBENCH] + SLOW,
                           capture_output=True, text=True, timeout=120,
                           env=dict(os.environ, PB_TEST_MARK=pbtest.MARK.split("=", 1)[1]))
        secs = time.monotonic() - t0
        check_one_line("run on a read-only file system", p.returncode, 3, p.stderr,
                       "results/runs", "Read-only file system")
        check(p.stdout == "" and secs < SLOW_S * 0.6,
              "read-only file system: refused before the run (%.1f s)" % secs)
        check(listing(rofs) == [], "nothing made: %s" % listing(rofs))
    else:
        print("skipped: a read-only file system needs root and unshare")

    # The default directory is made when it is missing and can be.
    fresh = path("cwd-fresh")
    os.mkdir(fresh)
    rc, _, err, _ = launch(RUN, cwd=fresh)
    runs = os.path.join(fresh, "results", "runs")
    docs = listing(runs) if os.path.isdir(runs) else []
    check(rc == 0 and len(docs) == 1 and docs[0].endswith(".json"),
          "the default results/runs/ is made: exit %d %s\n%s" % (rc, docs, err))


def test_rescue(full):
    """A run whose document cannot be written at the end leaves it in the temporary directory
    and says where, in the one line that names the failure; the exit code is 3. full: a
    device that refuses writes, or None where none is safe to use."""
    # The destination's directory becomes a file while the run runs.
    gone = path("gone")
    os.mkdir(gone)
    out = os.path.join(gone, "x.json")
    env = dict(os.environ, PB_TEST_MARK=pbtest.MARK.split("=", 1)[1], TMPDIR=RESCUE)
    p = subprocess.Popen([PARBENCH] + SLOW + ["-o", out], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(SLOW_S / 3)
    os.rmdir(gone)
    with open(gone, "w") as f:
        f.write("in the way\n")
    _, err = p.communicate(timeout=120)
    line = check_one_line("run whose directory went away", p.returncode, 3, err, out, RESCUE)
    rescued(line, "run whose directory went away")
    os.unlink(gone)

    # TMPDIR unusable: /tmp is next.
    if full:
        rc, _, err, _ = launch(RUN + ["-o", full], env={"TMPDIR": path("no-such-dir")})
        line = check_one_line("run -o FULL, TMPDIR missing", rc, 3, err, full, "/tmp/")
        rescued(line, "run -o FULL with TMPDIR missing")
    else:
        print("skipped the rescue into /tmp: no device node is safe to write")
    check(listing(RESCUE) == [], "every rescued document was named: %s" % listing(RESCUE))


def test_stdout():
    """Standard output is checked: a document lost on it is exit 3 and one line."""
    if not check(stat.S_ISCHR(os.stat("/dev/full").st_mode), "/dev/full is a device"):
        return
    with open("/dev/full", "w") as full:
        rc, _, err, _ = launch(RUN + ["-o", "-"], stdout=full)
        line = check_one_line("run -o - > /dev/full", rc, 3, err, "standard output",
                              "No space left on device")
        rescued(line, "run -o - > /dev/full")
        for doc in (TINY, BASE):
            rc, _, err, _ = launch(["merge", doc], stdout=full)
            check_one_line("merge %s > /dev/full" % os.path.basename(doc), rc, 3, err,
                           "standard output", "No space left on device")
        for fmt in ("gbench", "github", "csv", "tsv-spectrum"):
            rc, _, err, _ = launch(["export", "--format", fmt, BASE], stdout=full)
            check_one_line("export %s > /dev/full" % fmt, rc, 3, err, "standard output")
        rc, _, err, _ = launch(["compare", BASE, BASE], stdout=full)
        check_one_line("compare > /dev/full", rc, 3, err)

    # Standard output closed: run -o - refuses before the run.
    rc, _, err, secs = launch(SLOW + ["-o", "-"], stdout=None, setup=lambda: os.close(1))
    check_one_line("run -o - with stdout closed", rc, 3, err, "standard output")
    check(len(err.splitlines()) == 1 and secs < SLOW_S * 0.6,
          "stdout closed: refused before the run (%.1f s): %r" % (secs, err))

    # And it still works.
    rc, out, err, _ = launch(["merge", BASE])
    check(rc == 0 and len(json.loads(out)["cases"]) == 1, "merge to stdout: exit %d" % rc)


def test_plain():
    """The ordinary case: OUT written whole, nothing left beside it."""
    d = path("plain")
    os.mkdir(d)
    for name, head, verify in WRITERS:
        out = os.path.join(d, "out")
        for _ in range(2):  # new, then replacing the first
            rc, _, err, _ = launch(writer_args(name, head, out))
            check(rc == 0 and listing(d) == ["out"], "%s -o FILE: exit %d, %s\n%s" %
                  (name, rc, listing(d), err))
        verified(name + " -o FILE", verify, open(out).read())
        os.unlink(out)


def dev_leftovers(d):
    return [n for n in listing(d) if n.startswith(("null.", "full."))]


test_plain()
# A regression is caught on the private copies; only then are the machine's own nodes written
# (-o), and a failure there stops every later test from writing them.
copies = private_devices()
devices_ok = test_devices(copies[0], copies[1], listing) if copies else True
if devices_ok:
    devices_ok = test_devices("/dev/null", "/dev/full", dev_leftovers)
else:
    print("skipped /dev/null and /dev/full: the private copies failed")
test_fifo()
test_planted_link()
test_modes()
test_write_fails()
test_upfront_directory()
test_upfront_environment()
test_rescue(copies[1] if copies else "/dev/full" if devices_ok else None)
test_stdout()
check(pbtest.leftovers() == [], "no parbench left running: %s" % pbtest.leftovers())
if not pbtest._failures:
    subprocess.run(["rm", "-rf", TMP])
else:
    print("kept " + TMP)
pbtest.done()
