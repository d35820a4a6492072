"""The scripts as an adversarial user tries them: scripts/report and scripts/plot on documents
that are broken, not results, missing or directories, and with an -o that cannot be made, stop
with one line naming the file and parbench's exit codes (2 bad input, 3 the environment
refused), never a traceback; Ctrl-C is a quiet 130 that leaves no temporary file; names from
a document (a runner called ../../x, or with quotes, newlines, markup) never become paths or
share a file, and the charts show them as they are. scripts/bench and scripts/ci-regress check
their arguments before the long work: a bad --base fails in the first second with exit 2."""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from pbtest import check  # noqa: E402

SCRIPTS = os.path.join(pbtest.SOURCE_DIR, "scripts")
ROOT = os.geteuid() == 0


def script(name, args, timeout=60, env=None, cwd=None, python=True):
    """Runs scripts/NAME in its own process group; the group is killed when it overruns
    (a script that goes on to build and run a suite must not outlive the test)."""
    full = dict(os.environ, PARBENCH=os.path.abspath(pbtest.PARBENCH))
    full["PB_TEST_MARK"] = pbtest.MARK.split("=", 1)[1]
    full.update(env or {})
    cmd = ([sys.executable] if python else []) + [os.path.join(SCRIPTS, name)] + args
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=full, cwd=cwd, start_new_session=True)
    start = time.monotonic()
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        err += "\n[killed after %d s]" % timeout
    return subprocess.CompletedProcess(cmd, p.returncode, out, err), time.monotonic() - start


def one_line(what, r, code, needles):
    """Exit code, exactly one line on stderr, no traceback, and the line names each needle."""
    lines = r.stderr.strip().splitlines()
    ok = check(r.returncode == code, "%s: exit %s, expected %d; stderr:\n%s" %
               (what, r.returncode, code, r.stderr))
    ok = check("Traceback" not in r.stderr, "%s: a traceback:\n%s" % (what, r.stderr)) and ok
    ok = check(len(lines) == 1, "%s: expected one line on stderr, got %d:\n%s" %
               (what, len(lines), r.stderr)) and ok
    for n in needles:
        ok = check(n in r.stderr, "%s: the line does not name %r: %r" % (what, n, r.stderr)) and ok
    return ok


def tiny_doc(path, runners="serial,threads"):
    pbtest.run(["run", "-r", runners, "-w", "null", "-n", "1000", "--repeat", "3",
                "--warmup", "0", "-c", "1,2", "-o", path, "--quiet"], expect=0)
    with open(path) as f:
        return json.load(f)


def edited(d, name, doc, change):
    """A real document, loaded, changed by change(doc) and dumped again."""
    doc = json.loads(json.dumps(doc))
    change(doc)
    path = os.path.join(d, name)
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


def rename_runner(old, new):
    def change(doc):
        for c in doc["cases"]:
            if c["runner"] == old:
                c["runner"] = new
    return change


def bad_docs(d, good, doc):
    """(label, path, what the line must say) of documents no script may read."""
    with open(good, "rb") as f:
        data = f.read()
    out = []

    def raw(name, content):
        path = os.path.join(d, name)
        with open(path, "wb") as f:
            f.write(content)
        return path

    out.append(("truncated", raw("truncated.json", data[:len(data) // 2]), "not JSON"))
    out.append(("empty", raw("empty.json", b""), "not JSON"))
    out.append(("NUL", raw("nul.json", data[:200] + b"\0" + data[200:]), "not JSON"))
    out.append(("trailing garbage", raw("trailing.json", data + b"\n}garbage"), "not JSON"))
    out.append(("not UTF-8", raw("latin1.json", data.replace(b'"null"', b'"n\xe9"', 1)), ""))
    out.append(("not an object", raw("array.json", b"[1, 2]\n"), "not a parbench result"))
    out.append(("another schema", raw("other.json", b'{"schema": "other/v1", "cases": []}'),
                "schema"))
    out.append(("host not an object", edited(d, "host5.json", doc,
                                             lambda x: x.update(host=5)), "host"))
    out.append(("plan not a list", edited(d, "plan.json", doc,
                                          lambda x: x["cases"][0]["pin"].update(plan=7)),
                "plan"))
    out.append(("missing", os.path.join(d, "missing.json"), "no such file"))
    os.mkdir(os.path.join(d, "adir.json"))
    out.append(("a directory", os.path.join(d, "adir.json"), "directory"))
    return out


def test_bad_documents(d, good, doc):
    for label, path, needle in bad_docs(d, good, doc):
        for name in ("report", "plot"):
            out = os.path.join(d, "out-" + name)
            r, _ = script(name, [path, "-o", out])
            one_line("%s on a %s document" % (name, label), r, 2,
                     [path] + ([needle] if needle else []))
            check(not os.path.exists(os.path.join(out, "report.html")) and
                  not os.path.exists(os.path.join(out, "charts.tsv")),
                  "%s on a %s document wrote output" % (name, label))
        # As a base it is as bad, and it is named.
        r, _ = script("report", [good, "--base", path, "-o", os.path.join(d, "out-base")])
        one_line("report --base a %s document" % label, r, 2, [path])
        r, _ = script("report", ["--trend", good, path, "-o", os.path.join(d, "out-trend")])
        one_line("report --trend with a %s document" % label, r, 2, [path])


def test_bad_output(d, good):
    afile = os.path.join(d, "a-file")
    with open(afile, "w") as f:
        f.write("x")
    cases = [("-o is a file", afile), ("-o under a file", os.path.join(afile, "sub"))]
    if ROOT:  # root writes through any mode bits; sysfs refuses root too
        cases += [("-o cannot be made", "/sys/parbench-test-out"),
                  ("-o is not writable", "/sys")]
    else:
        ro = os.path.join(d, "read-only")
        os.mkdir(ro, 0o555)
        cases += [("-o cannot be made", os.path.join(ro, "sub")), ("-o is not writable", ro)]
    for label, out in cases:
        for name in ("report", "plot"):
            r, took = script(name, [good, "-o", out])
            one_line("%s: %s" % (name, label), r, 3, [out])
    check(not os.path.exists("/sys/parbench-test-out"), "a directory appeared in /sys")


def test_usage(d, good):
    for name, args, needle in [
            ("report", [good], "-o"),
            ("plot", [good], "-o"),
            ("report", [good, "-o", ""], "-o"),
            ("plot", [good, "-o", os.path.join(d, "u"), "--spectrum-c", "many"], "many"),
            ("report", [good, good, "-o", os.path.join(d, "u")], "one RESULT"),
            ("report", ["--trend", good, "--base", good, "-o", os.path.join(d, "u")],
             "--base"),
            ("plot", ["--trend", good, "--base", good, "-o", os.path.join(d, "u")], "--base"),
            ("report", [good, "-o", os.path.join(d, "u"), "--colour"], "--colour")]:
        r, _ = script(name, args)
        one_line("%s %s" % (name, " ".join(args)), r, 2, [needle])
    # A parbench that is not there is the environment's refusal, said in one line.
    r, _ = script("plot", [good, "-o", os.path.join(d, "u")],
                  env={"PARBENCH": os.path.join(d, "no-parbench")})
    one_line("plot with PARBENCH missing", r, 3, ["no-parbench"])


def test_interrupt(d, good):
    """Ctrl-C while the charts are drawn: exit 130, nothing on stderr but what parbench's
    children may say, no traceback, no temporary file left."""
    out = os.path.join(d, "out-int")
    env = dict(os.environ, PARBENCH=os.path.abspath(pbtest.PARBENCH))
    p = subprocess.Popen([sys.executable, os.path.join(SCRIPTS, "report"), good, "-o", out],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                         start_new_session=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and p.poll() is None and \
            not os.path.isdir(os.path.join(out, "charts", "data")):
        time.sleep(0.005)
    os.killpg(p.pid, signal.SIGINT)  # the terminal's Ctrl-C reaches the whole group
    try:
        _, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        _, err = p.communicate()
    check(p.returncode == 130, "report interrupted: exit %s, expected 130\n%s" %
          (p.returncode, err))
    check("Traceback" not in err and "KeyboardInterrupt" not in err,
          "report interrupted printed a traceback:\n%s" % err)
    left = [os.path.join(r, f) for r, _, fs in os.walk(out) for f in fs
            if ".tmp" in f or f.startswith(".probe")]
    check(not left, "report interrupted left temporary files: %s" % left)


def svg_text(path):
    """Every text the SVG shows, each <text> element's pieces joined."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        check(False, "%s: not a well-formed SVG: %s" % (path, e))
        return []
    return ["".join(t.itertext()) for t in root.iter() if t.tag.endswith("}text")]


def manifest(chartdir):
    """scripts/plot's charts.tsv as dicts: tab-separated, a backslash escapes \\, \\t, \\n
    and \\r in a field."""
    def unescape(field):
        return re.sub(r"\\(.)", lambda m: {"t": "\t", "n": "\n", "r": "\r"}.get(m.group(1),
                                                                             m.group(1)), field)
    with open(os.path.join(chartdir, "charts.tsv")) as f:
        lines = f.read().splitlines()
    head = lines[0].split("\t")
    return [dict(zip(head, map(unescape, line.split("\t")))) for line in lines[1:]]


def files_under(top):
    return sorted(os.path.relpath(os.path.join(r, f), top)
                  for r, _, fs in os.walk(top) for f in fs)


def test_names(d, doc):
    """Names that are paths, quotes, newlines, markup and near-collisions: every file stays a
    plain file under -o, two names never share one, and the chart keys show each name as
    parbench export gives it (a newline arrives as a space)."""
    names = [("dots", "../../x", "../../x"),
             ("quote", 'a"b\nc', 'a"b c'),
             ("markup", "x_y^z@{w}\\n'q", "x_y^z@{w}\\n'q"),
             ("control", "p\x01q", "p\\u0001q"),
             ("empty", "", None)]
    for label, name, shown in names:
        sub = os.path.join(d, "names-" + label)
        os.mkdir(sub)
        path = edited(sub, "doc.json", doc, rename_runner("threads", name))
        out = os.path.join(sub, "deep", "report")
        r, _ = script("report", [path, "--base", path, "-o", out])
        if not check(r.returncode == 0, "report with a runner %r: exit %d\n%s" %
                     (name, r.returncode, r.stderr)):
            continue
        check("gnuplot" not in r.stderr, "report with a runner %r: gnuplot said %s" %
              (name, r.stderr))
        outside = [f for f in files_under(sub) if not f.startswith("deep/report/") and
                   f != "doc.json"]
        check(not outside, "runner %r: files outside -o: %s" % (name, outside))
        data = os.path.join(out, "charts", "data")
        nested = [f for f in files_under(data) if os.sep in f]
        check(not nested, "runner %r: data files in subdirectories: %s" % (name, nested))
        for f in os.listdir(data):
            check(f.isprintable() and "/" not in f and not f.startswith("."),
                  "runner %r: data file name %r is not plain" % (name, f))
        if shown is not None:
            texts = svg_text(os.path.join(out, "charts", "throughput-null.svg"))
            check(shown in texts, "runner %r: the throughput key does not show %r: %s" %
                  (name, shown, texts))
        with open(os.path.join(out, "report.html")) as f:
            page = f.read()
        charts = manifest(os.path.join(out, "charts"))
        check(len(charts) == 6 and page.count("<svg") == len(charts),
              "runner %r: report.html inlines %d of %d charts" %
              (name, page.count("<svg"), len(charts)))

    # Two names a naive sanitiser maps to one file: two lines, two files.
    sub = os.path.join(d, "names-collide")
    os.mkdir(sub)

    def two(doc):
        for c in doc["cases"]:
            if c["runner"] == "threads":
                c["runner"] = "a/b" if c["concurrency"] == 1 else "a_b"
    path = edited(sub, "doc.json", doc, two)
    out = os.path.join(sub, "charts")
    r, _ = script("plot", [path, "-o", out])
    if check(r.returncode == 0, "plot with runners a/b and a_b: exit %d\n%s" %
             (r.returncode, r.stderr)):
        texts = svg_text(os.path.join(out, "throughput-null.svg"))
        check("a/b" in texts and "a_b" in texts,
              "runners a/b and a_b: the key shows %s" % texts)
        files = [f for f in os.listdir(os.path.join(out, "data"))
                 if f.startswith("throughput-null.")]
        check(len(files) == 3, "runners serial, a/b and a_b: throughput data files %s" % files)


def test_quoted_params(d, doc):
    """A parameter value with a double quote: the chart title keeps it, and the report still
    finds the workload's charts."""
    def change(doc):
        for c in doc["cases"]:
            c["params"]["crash_mode"] = 'ab"rt'
    path = edited(d, "quoted-params.json", doc, change)
    out = os.path.join(d, "out-quoted")
    r, _ = script("report", [path, "-o", out])
    if not check(r.returncode == 0, "report with a quoted parameter: exit %d\n%s" %
                 (r.returncode, r.stderr)):
        return
    charts = manifest(os.path.join(out, "charts"))
    with open(os.path.join(out, "report.html")) as f:
        page = f.read()
    check(len(charts) == 3 and page.count("<svg") == len(charts),
          "a quoted parameter: report.html inlines %d of %d charts" %
          (page.count("<svg"), len(charts)))
    check("crash_mode=ab&quot;rt" in page, "a quoted parameter: the title lost the quote")
    tput = [c for c in charts if c["kind"] == "throughput"]
    if check(tput, "a quoted parameter: no throughput chart"):
        check('crash_mode=ab"rt' in tput[0]["title"],
              "a quoted parameter: the manifest's title is %r" % tput[0]["title"])
        texts = svg_text(os.path.join(out, "charts", tput[0]["file"] + ".svg"))
        check(any('crash_mode=ab"rt' in t for t in texts),
              "a quoted parameter: the chart title shows %s" % texts)


def test_labels(d, good, doc):
    """The base-vs-new chart labels each case by its name, quotes and all; the trend chart
    each document by its commit, whatever that string holds."""
    out = os.path.join(d, "out-compare")

    def quote(doc):
        for c in doc["cases"]:
            c["params"]["crash_mode"] = 'ab"rt'
    quoted = edited(d, "quoted-labels.json", doc, quote)
    r, _ = script("plot", [quoted, "--base", quoted, "-o", out])
    if check(r.returncode == 0, "plot --base: exit %d\n%s" % (r.returncode, r.stderr)):
        texts = svg_text(os.path.join(out, "compare-throughput.svg"))
        check(any('crash_mode=ab"rt' in t for t in texts),
              "the compare chart does not label cases by their names: %s" % texts[:8])
    odd = edited(d, "odd-commit.json", doc, lambda x: x["tool"].update(git_commit='c"1\\@_'))
    out = os.path.join(d, "out-trend-labels")
    r, _ = script("plot", ["--trend", good, odd, "-o", out])
    if check(r.returncode == 0, "plot --trend: exit %d\n%s" % (r.returncode, r.stderr)):
        texts = svg_text(os.path.join(out, "trend-null.svg"))
        check(any(t.startswith('c"1\\@_ ') for t in texts),
              "the trend chart does not label a document by its commit: %s" % texts)
        check(any(t.startswith(doc["tool"]["git_commit"][:10] + " ") for t in texts),
              "the trend chart does not label a document by its commit: %s" % texts)


def bench(args, build, cwd=None, timeout=20):
    return script("bench", args, timeout=timeout, env={"PB_BUILD_DIR": build}, cwd=cwd,
                  python=False)


def test_bench(d, good):
    """scripts/bench checks what it was given before set-up, build and suite. Its build dir
    is a fresh one (no binary to ask: the check must not need one) or the real one."""
    fresh = os.path.join(d, "bench-build")
    real = os.path.abspath(os.environ.get("PB_BUILD_DIR") or
                           os.path.dirname(os.path.abspath(pbtest.PARBENCH)))
    notresult = os.path.join(d, "bench-not-result.json")
    with open(notresult, "w") as f:
        f.write('{"cases": []}\n')
    trunc = os.path.join(d, "bench-trunc.json")
    with open(good) as f, open(trunc, "w") as g:
        g.write(f.read()[:300])
    afile = os.path.join(d, "bench-a-file")
    with open(afile, "w") as f:
        f.write("x")
    cases = [
        (["--base", "/nonexistent"], 2, ["/nonexistent"]),
        (["--base", d], 2, [d]),
        (["--base", notresult], 2, [notresult]),
        (["--base", trunc], 2, [trunc]),
        (["--suite", os.path.join(d, "no-suite.json")], 2, ["no-suite.json"]),
        (["--suite"], 2, ["--suite"]),
        (["--base"], 2, ["--base"]),
        (["--frobnicate"], 2, ["--frobnicate"]),
        (["--quick", "--suite", good], 2, ["--suite"]),
        (["--base", good, "-o", afile], 3, [afile]),
        (["--base", good, "-o", os.path.join(afile, "sub")], 3, [afile]),
    ]
    for build in (fresh, real):
        for args, code, needles in cases:
            r, took = bench(args, build)
            what = "scripts/bench %s (build dir %s)" % (" ".join(args),
                                                         "fresh" if build == fresh else "real")
            one_line(what, r, code, needles)
            check(took < 5, "%s took %.1f s: it did not check first" % (what, took))
    check(not os.path.exists(os.path.join(fresh, "parbench")), "bench built before checking")
    # Relative paths are the caller's: a suite named from another directory is found (the
    # failure is then the base's).
    with open(os.path.join(d, "rel-suite.json"), "w") as f:
        f.write("{}")
    r, _ = bench(["--suite", "rel-suite.json", "--base", "rel-missing.json"], fresh, cwd=d)
    one_line("scripts/bench with relative paths", r, 2, ["rel-missing.json"])


def test_ci_regress(d):
    """The checks that need no build: bad -j, an -o that cannot be made, RUN_ARGS that
    ci-regress sets itself."""
    afile = os.path.join(d, "ci-a-file")
    with open(afile, "w") as f:
        f.write("x")
    for args, code, needles in [
            (["-j", "many", "HEAD"], 2, ["-j", "many"]),
            (["-j", "0", "HEAD"], 2, ["-j"]),
            (["-o", os.path.join(afile, "sub"), "HEAD"], 3, [afile]),
            (["-o", afile, "HEAD"], 3, [afile]),
            (["HEAD", "--", "-r", "serial", "-w", "null", "-o", "x.json"], 2, ["-o"]),
            (["HEAD", "--", "-r", "serial", "-w", "null", "--repeat", "3"], 2, ["--repeat"]),
            (["HEAD", os.path.join(d, "no-suite.json")], 2, ["no-suite.json"])]:
        r, took = script("ci-regress", args, timeout=20, python=False)
        what = "scripts/ci-regress %s" % " ".join(args)
        one_line(what, r, code, needles)
        check(took < 5, "%s took %.1f s" % (what, took))


def main():
    with tempfile.TemporaryDirectory() as d:
        good = os.path.join(d, "good.json")
        doc = tiny_doc(good)
        test_usage(d, good)
        test_bad_documents(d, good, doc)
        test_bad_output(d, good)
        test_interrupt(d, good)
        test_names(d, doc)
        test_quoted_params(d, doc)
        test_labels(d, good, doc)
        test_bench(d, good)
        test_ci_regress(d)
    pbtest.done()


if __name__ == "__main__":
    main()
