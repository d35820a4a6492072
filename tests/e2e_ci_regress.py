"""End to end, the CI job of the regression gate: scripts/ci-regress with the built parbench on
both sides (--base-bin/--new-bin, so nothing is built) runs ABBA rounds, looks, stops the
comparisons it decided, and writes the verdicts as a table, compare.json, JUnit and a step
summary. A/A decides "unchanged" and exits 0; a new side whose throughput is 20% lower (its
documents rewritten by a wrapper, so the shift is known exactly) is a REGRESSION with exit 1,
found within a few looks; --calibrate writes noisy.tsv; bad options fail at once."""
import json
import math
import os
import stat
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pbtest  # noqa: E402
from pbtest import check  # noqa: E402
from e2e_scripts import one_line, script  # noqa: E402

BIN = os.path.abspath(pbtest.PARBENCH)
# Three gated comparisons: throughput of a CPU case, throughput and p99 of an I/O case.
SUITE = {"name": "gate-e2e", "warmup": 0, "groups": [
    {"runners": ["threads"], "concurrency": [2], "workload": "cpu.sumsq",
     "params": {"n": 100000}, "tasks": 200},
    {"runners": ["threads"], "concurrency": [2], "workload": "io.sleep",
     "params": {"ms": 1}, "tasks": 8}]}


# The new side of a regression: parbench as it is, then its document's throughputs 20% lower.
SLOWER = """#!/usr/bin/python3
import json, subprocess, sys
args = sys.argv[1:]
rc = subprocess.call([%r] + args)
if rc == 0 and args and args[0] == "run":
    out = args[args.index("-o") + 1]
    doc = json.load(open(out))
    for c in doc["cases"]:
        if c["workload"] == "cpu.sumsq":
            for r in c["repetitions"]:
                r["throughput_per_s"] *= 0.8
    json.dump(doc, open(out, "w"))
sys.exit(rc)
""" % BIN


def ci_regress(args, timeout=240):
    r, took = script("ci-regress", args, timeout=timeout, python=False)
    return r, took


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        check(False, "%s: %s" % (path, e))
        return {"comparisons": [], "counts": {}, "looks": [], "family": 0}


def suite(d):
    p = os.path.join(d, "suite.json")
    with open(p, "w") as f:
        json.dump(SUITE, f)
    return [p]


def test_aa(d):
    out, junit, summary = os.path.join(d, "aa"), os.path.join(d, "aa.xml"), \
        os.path.join(d, "summary.md")
    with open(summary, "w") as f:
        f.write("# earlier step\n\n")
    r, took = ci_regress(["--base-bin", BIN, "--new-bin", BIN, "--budget", "120s",
                          "--max-rounds", "30", "--threshold", "20", "-o", out,
                          "--junit", junit, "--summary", summary] + suite(d))
    check(r.returncode == 0, "A/A: exit 0, got %s\n%s" % (r.returncode, r.stderr[-3000:]))
    res = read_json(os.path.join(out, "compare.json"))
    if not res["comparisons"]:
        return
    gated = [c for c in res["comparisons"] if c["gated"]]
    check(len(gated) == 3 and res["family"] == 3,
          "A/A: throughput of both cases and io.sleep's p99 are gated: %s" %
          [(c["case"], c["metric"]) for c in gated])
    check(all(c["paired"] and c["method"] == "wilcoxon" for c in gated),
          "A/A: the rounds pair: %s" % [(c["paired"], c["method"]) for c in gated])
    # Nothing changed: no gated comparison may be called a change. The I/O case's spread is a
    # percent or two, so it is decided unchanged; the CPU case's 10 ms runs may still be
    # undecided when the budget ends on a loaded machine (a sanitizer build beside others).
    verdicts = [(c["case"], c["metric"], c["verdict"], c["ci_low"], c["ci_high"]) for c in gated]
    check(all(c["verdict"] in ("unchanged", "undecided") for c in gated) and
          all(c["verdict"] == "unchanged" for c in gated if "io.sleep" in c["case"]),
          "A/A at a 20%% threshold: the I/O case unchanged, nothing a change: %s" % verdicts)
    undecided = sum(c["verdict"] == "undecided" for c in gated)
    # The first look: the fewest rounds whose exact test can reach look 1's level at all.
    first = next(n for n in range(1, 64) if 2 / 2 ** n < 0.05 * 6 / math.pi ** 2 / 3)
    looks = res["looks"]
    check(looks and looks[0] == first, "A/A: the first look after %d rounds for a family of 3: %s"
          % (first, looks))
    # Each comparison's verdict is that of a look the job took (for one still undecided, the
    # last), on the rounds it had then.
    stopped_at = {}
    for c in gated:
        at = looks[c["look"] - 1] if 0 < c["look"] <= len(looks) else None
        check(c["n_base"] == at, "A/A: %s %s judged at look %s on its %s rounds: %s" %
              (c["case"], c["metric"], c["look"], at, c["n_base"]))
        stopped_at[c["case"]] = max(stopped_at.get(c["case"], 0), c["n_base"])
    # A case stops getting rounds once all its gated comparisons are decided.
    ran = {}
    rounds = sorted(os.listdir(os.path.join(out, "base")))
    for k, name in enumerate(rounds, 1):
        for c in read_json(os.path.join(out, "base", name)).get("cases", []):
            ran.setdefault(c["id"], []).append(k)
    check(len(rounds) == max(stopped_at.values() or [0]),
          "A/A: the job stopped when the last case did: %d rounds, %s" % (len(rounds), stopped_at))
    for case, n in stopped_at.items():
        check(ran.get(case) == list(range(1, n + 1)),
              "A/A: %s ran in rounds 1..%d only: %s" % (case, n, ran.get(case)))
    check("unchanged" in r.stdout and "gated: 0 regressions, 0 improvements" in r.stdout,
          "A/A: the table on stdout:\n%s" % r.stdout)
    root = pbtest.junit_check(junit, "A/A JUnit")
    if root is not None:
        cases = root.findall(".//testcase")
        check(len(cases) == 3 and not root.findall(".//failure") and
              len(root.findall(".//skipped")) == undecided,
              "A/A JUnit: three tests, none failed, the undecided skipped: %s" %
              [c.attrib for c in cases])
    with open(summary) as f:
        text = f.read()
    check(text.startswith("# earlier step\n\n"), "the summary is appended to:\n%s" % text[:200])
    tables = pbtest.markdown_tables(text)
    verdict_rows = [t for t in tables if t and t[0][:2] == ["case", "metric"]]
    check(len(verdict_rows) == 1 and len(verdict_rows[0]) == 1 + len(res["comparisons"]),
          "the summary holds the verdict table, a row per comparison: %s" % tables)


def test_regression(d):
    wrapper = os.path.join(d, "slower")
    with open(wrapper, "w") as f:
        f.write(SLOWER)
    os.chmod(wrapper, os.stat(wrapper).st_mode | stat.S_IXUSR)
    out, junit = os.path.join(d, "reg"), os.path.join(d, "reg.xml")
    r, _ = ci_regress(["--base-bin", BIN, "--new-bin", wrapper, "--budget", "120s",
                       "--max-rounds", "30", "--threshold", "5", "-o", out, "--junit", junit,
                       "--summary", os.devnull] + suite(d))
    check(r.returncode == 1, "20%% slower: exit 1, got %s\n%s" % (r.returncode, r.stderr[-3000:]))
    res = read_json(os.path.join(out, "compare.json"))
    row = [c for c in res["comparisons"]
           if c["workload"] == "cpu.sumsq" and c["metric"] == "throughput"]
    check(len(row) == 1 and row[0]["verdict"] == "regression" and 0.7 < row[0]["ratio"] < 0.9,
          "20%% slower: a regression, ratio about 0.8: %s" % row)
    check(res["counts"]["regression"] == 1, "one gated regression: %s" % res["counts"])
    root = pbtest.junit_check(junit, "regression JUnit")
    if root is not None:
        failed = [c for c in root.findall(".//testcase") if c.find("failure") is not None]
        check(len(failed) == 1 and failed[0].get("classname", "").startswith("threads/cpu.sumsq")
              and failed[0].get("name") == "throughput",
              "JUnit: the failure names the case and metric: %s" % [c.attrib for c in failed])


def test_calibrate(d):
    out = os.path.join(d, "cal")
    # A threshold of 0.1% no A/A of 10 ms runs can meet: everything is too noisy to gate.
    r, _ = ci_regress(["--calibrate", "--new-bin", BIN, "--budget", "60s", "--max-rounds", "8",
                       "--threshold", "0.1", "-o", out] + suite(d))
    check(r.returncode == 0, "calibrate: exit 0, got %s\n%s" % (r.returncode, r.stderr[-3000:]))
    try:
        with open(os.path.join(out, "noisy.tsv")) as f:
            rows = [l.split("\t") for l in f.read().splitlines()]
    except OSError as e:
        check(False, "calibrate: noisy.tsv: %s" % e)
        return
    names = sorted(r[0] for r in rows)
    check(len(names) == 2 and names[0].startswith("threads/cpu.sumsq") and
          names[1].startswith("threads/io.sleep"),
          "calibrate at 0.1%%: both cases named too noisy: %s" % rows)
    # Given back, they are reported, not gated: nothing is left to gate.
    res = pbtest.run(["compare", "--json", "--noisy", os.path.join(out, "noisy.tsv"),
                      os.path.join(out, "base.json"), os.path.join(out, "new.json")], expect=0)
    try:
        res = json.loads(res.stdout)
        check(res["family"] == 0 and all(c["verdict"] == "noisy" for c in res["comparisons"]),
              "--noisy: every comparison noisy, none gated: %s" %
              [(c["case"], c["verdict"]) for c in res["comparisons"]])
    except ValueError as e:
        check(False, "compare --noisy: not JSON: %s" % e)


def test_bad_options(d):
    for args, needles in [
            (["--budget", "soon", "HEAD"], ["--budget", "soon"]),
            (["--max-rounds", "0", "HEAD"], ["--max-rounds"]),
            (["--per-round", "x", "HEAD"], ["--per-round"]),
            (["--alpha", "2", "HEAD"], ["--alpha"]),
            (["--base-bin", os.path.join(d, "nothing"), "HEAD"], ["nothing"]),
            (["--noisy", os.path.join(d, "none.tsv"), "HEAD"], ["none.tsv"]),
            (["--junit", os.path.join(d, "no", "dir.xml"), "HEAD"], ["dir.xml"]),
            (["--base-bin", BIN, "--new-bin", BIN, "--gate", "nosuch"] + suite(d), ["nosuch"])]:
        r, took = ci_regress(args, timeout=30)
        what = "scripts/ci-regress %s" % " ".join(args[:4])
        one_line(what, r, 2, needles)
        check(took < 10, "%s took %.1f s: it did not check first" % (what, took))


def main():
    with tempfile.TemporaryDirectory() as d:
        test_bad_options(d)
        test_aa(d)
        test_regression(d)
        test_calibrate(d)
    pbtest.done()


if __name__ == "__main__":
    main()
