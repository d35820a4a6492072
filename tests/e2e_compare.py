"""End-to-end tests of parbench compare and merge on synthesised documents whose truth is known
(tests/docgen.py): a 10% shift is a regression, identical distributions raise false alarms no
more often than alpha, three samples are too few, bad input is one line and exit 2."""
import json
import math
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import docgen  # noqa: E402
import pbtest  # noqa: E402
from pbtest import check  # noqa: E402

TMP = tempfile.mkdtemp(prefix="pb-e2e-compare-")


def path(name):
    return os.path.join(TMP, name)


def write(doc, name):
    p = path(name)
    docgen.write(doc, p)
    return p


def pair(name, base_cases, new_cases, **new_doc):
    """Writes BASE and NEW documents; returns their paths."""
    b = write(docgen.make_doc(base_cases), name + "-base.json")
    n = write(docgen.make_doc(new_cases, **new_doc), name + "-new.json")
    return b, n


def compare_json(args, expect):
    p = pbtest.run(["compare", "--json"] + args, expect=expect)
    try:
        return json.loads(p.stdout)
    except ValueError as e:
        check(False, "compare --json %s: not JSON (%s):\n%s" % (args, e, p.stdout))
        return {"comparisons": [], "counts": {}}


def verdicts(out):
    return {(c["case"], c["metric"]): c["verdict"] for c in out["comparisons"]}


# With 10 repetitions the 99% interval of the ratio is about +-1.5 CV wide, so the 10% shifts
# below are drawn with a CV of 2%: the whole interval then clears the 5% threshold.
CV = 0.02


def test_shift_is_regression():
    base = [docgen.make_case(seed=1, concurrency=2, cv=CV)]
    new = [docgen.make_case(seed=2, concurrency=2, cv=CV, throughput=10000.0 * 0.9)]
    b, n = pair("shift", base, new)
    p = pbtest.run(["compare", b, n], expect=1)
    rows = [l for l in p.stdout.splitlines() if " throughput " in l]
    check(len(rows) == 1 and "REGRESSION" in rows[0],
          "10%% throughput loss: a REGRESSION row\n%s" % p.stdout)
    check(p.stderr == "", "compare writes nothing on stderr: %r" % p.stderr)
    out = compare_json([b, n], expect=1)
    v = verdicts(out)
    name = base[0]["id"]
    check(v.get((name, "throughput")) == "regression", "throughput verdict: %s" % v)
    for m in ("latency_p50", "latency_p99", "service_p50", "service_p99"):
        check(v.get((name, m)) == "unchanged", "%s unchanged: %s" % (m, v))
    row = [c for c in out["comparisons"] if c["metric"] == "throughput"][0]
    check(abs(row["change_pct"] + 10) < 3, "change near -10%%: %s" % row["change_pct"])
    check(row["ci_low"] < 0.9 < row["ci_high"] or abs(row["ratio"] - 0.9) < 0.03,
          "the interval is about the true ratio: %s" % row)
    check(row["ci_high"] < 0.95, "the whole interval is beyond the threshold: %s" % row)
    check(row["p_adjusted"] < 0.01 and row["p_adjusted"] >= row["p"], "Holm-adjusted p: %s" % row)
    check(row["method"] == "exact" and row["n_base"] == 10 and row["n_new"] == 10,
          "exact test on 10 vs 10: %s" % row)
    check(out["regression"] is True and out["counts"]["regression"] == 1,
          "counts: %s" % out["counts"])

    # The same shift as an improvement, and as a latency regression (smaller is better).
    new = [docgen.make_case(seed=2, concurrency=2, cv=CV, throughput=10000.0 * 1.1)]
    b, n = pair("improve", base, new)
    out = compare_json([b, n], expect=0)
    check(verdicts(out).get((name, "throughput")) == "improvement",
          "10%% throughput gain: IMPROVEMENT: %s" % verdicts(out))
    new = [docgen.make_case(seed=2, concurrency=2, cv=CV, latency_p50=200000.0 * 1.2)]
    b, n = pair("latency", base, new)
    out = compare_json([b, n], expect=1)
    v = verdicts(out)
    check(v.get((name, "latency_p50")) == "regression" and
          v.get((name, "throughput")) == "unchanged",
          "20%% slower latency: a latency regression only: %s" % v)

    # A threshold the change does not pass: no verdict, exit 0.
    b, n = pair("shift", base, [docgen.make_case(seed=2, concurrency=2, cv=CV,
                                                  throughput=10000.0 * 0.9)])
    out = compare_json(["--threshold", "throughput=25", b, n], expect=0)
    check(verdicts(out).get((name, "throughput")) == "unchanged",
          "a 10%% loss is within a 25%% threshold: %s" % verdicts(out))
    check(out["thresholds"]["throughput"] == 0.25 and out["thresholds"]["latency_p50"] == 0.05,
          "per-metric threshold: %s" % out["thresholds"])


def test_busy_machine():
    """A side measured on a busy machine decides nothing: the 10% loss that is a regression on
    a quiet machine is "busy" when most of the new side's repetitions were flagged, and the
    counts say so; a side with a minority of flagged repetitions still decides."""
    base = [docgen.make_case(seed=1, concurrency=2, cv=CV, busy_reps=0)]
    name = base[0]["id"]
    for busy, verdict, code in ((8, "busy", 0), (3, "regression", 1)):
        new = [docgen.make_case(seed=2, concurrency=2, cv=CV, throughput=10000.0 * 0.9,
                                busy_reps=busy)]
        b, n = pair("busy%d" % busy, base, new)
        out = compare_json([b, n], expect=code)
        v = verdicts(out)
        check(v.get((name, "throughput")) == verdict,
              "%d of 10 new repetitions busy: throughput %s, expected %s" % (busy, v, verdict))
        if verdict == "busy":
            check(all(x == "busy" for x in v.values()) and out["counts"]["busy"] == len(v),
                  "every metric of the busy case is busy: %s %s" % (v, out["counts"]))
            p = pbtest.run(["compare", b, n], expect=0)
            check("not measurable here (machine busy)" in p.stdout and
                  "not measurable here (a side ran on a busy machine)" in p.stdout,
                  "the table and the counts say busy:\n" + p.stdout)


def test_small_significant_change_within_threshold():
    base = [docgen.make_case(seed=11, cv=0.004)]
    new = [docgen.make_case(seed=12, cv=0.004, throughput=10000.0 * 0.97)]
    b, n = pair("small", base, new)
    out = compare_json([b, n], expect=0)
    row = [c for c in out["comparisons"] if c["metric"] == "throughput"][0]
    check(row["p_adjusted"] < 0.01 and row["verdict"] == "unchanged",
          "3%% is significant but within the 5%% threshold: %s" % row)
    out = compare_json(["--threshold", "1%", b, n], expect=1)
    check(verdicts(out).get((base[0]["id"], "throughput")) == "regression",
          "with a 1%% threshold it is a regression: %s" % verdicts(out))


def test_false_alarms():
    """Identical distributions: how often does compare call a difference?"""
    trials = 150
    alarms_default = 0
    alarms_strict = 0
    for seed in range(trials):
        base = [docgen.make_case(seed=1000 + 2 * seed, cv=0.05)]
        new = [docgen.make_case(seed=1001 + 2 * seed, cv=0.05)]
        b, n = pair("same", base, new)
        p = pbtest.run(["compare", b, n])
        if p.returncode not in (0, 1):
            check(False, "compare of identical distributions: exit %d\n%s" % (p.returncode,
                                                                             p.stderr))
            return
        alarms_default += p.returncode == 1
        # No practical threshold and a loose alpha: the test alone decides, so its
        # family-wise error rate is what is measured.
        out = compare_json(["--threshold", "0", "--alpha", "0.05", b, n], expect=None)
        if any(c["verdict"] in ("regression", "improvement") for c in out["comparisons"]):
            alarms_strict += 1
    slack = 3 * math.sqrt(trials * 0.05 * 0.95)
    check(alarms_default <= math.ceil(0.01 * trials),
          "false alarms at the defaults: %d of %d (at most alpha)" % (alarms_default, trials))
    check(alarms_strict <= 0.05 * trials + slack,
          "family-wise false alarms with threshold 0, alpha 0.05: %d of %d" %
          (alarms_strict, trials))
    print("false alarms: %d/%d at the defaults, %d/%d at alpha 0.05 without a threshold" %
          (alarms_default, trials, alarms_strict, trials))


def test_too_few_samples():
    base = [docgen.make_case(seed=21, n=3)]
    new = [docgen.make_case(seed=22, n=3, throughput=5000.0)]
    b, n = pair("few", base, new)
    p = pbtest.run(["compare", b, n], expect=0)
    rows = [l for l in p.stdout.splitlines() if l.startswith(base[0]["id"])]
    check(len(rows) == 5 and all("too few samples (need 7)" in l for l in rows),
          "3 samples, 5 metrics: too few samples, need 7 per side\n%s" % p.stdout)
    check("REGRESSION" not in p.stdout, "no verdict from too little data\n%s" % p.stdout)
    out = compare_json(["--metric", "throughput", b, n], expect=0)
    row = out["comparisons"][0]
    check(row["verdict"] == "too_few_samples" and row["need_per_side"] == 5,
          "one comparison at alpha 0.01 needs 5 per side: %s" % row)


def test_unmatched_and_warnings():
    base = [docgen.make_case(seed=31, runner="threads"),
            docgen.make_case(seed=32, runner="serial", concurrency=1)]
    new = [docgen.make_case(seed=33, runner="threads"),
           docgen.make_case(seed=34, runner="processes")]
    b, n = pair("unmatched", base, new, host="host-b", cpu_model="Other CPU",
                build_type="Debug")
    p = pbtest.run(["compare", b, n], expect=0)
    lines = p.stdout.splitlines()
    header_end = lines.index("") if "" in lines else len(lines)
    top = "\n".join(lines[:header_end])
    for what in ("different hosts", "different CPU models", "different build types"):
        check("warning: " + what in top, "%s warned at the top\n%s" % (what, p.stdout))
    check("only in base: " + base[1]["id"] in p.stdout, "unmatched base case listed")
    check("only in new: " + new[1]["id"] in p.stdout, "unmatched new case listed")
    check(sum(1 for l in lines if l.startswith(base[0]["id"])) == 5,
          "the matched case is compared on 5 metrics\n%s" % p.stdout)
    out = compare_json([b, n], expect=0)
    check(out["unmatched"] == {"base_only": [base[1]["id"]], "new_only": [new[1]["id"]]},
          "unmatched in JSON: %s" % out["unmatched"])
    check(len(out["warnings"]) == 3, "three warnings in JSON: %s" % out["warnings"])

    # Parameters, load and pin take part in matching; key order in params does not.
    c1 = docgen.make_case(seed=35, params={"a": 1, "b": "x"})
    c2 = docgen.make_case(seed=36, params={"b": "x", "a": 1.0})
    c3 = docgen.make_case(seed=37, params={"a": 2, "b": "x"})
    c4 = docgen.make_case(seed=38, params={"a": 1, "b": "x"}, pin="scatter")
    b, n = pair("params", [c1], [c2, c3, c4])
    out = compare_json([b, n], expect=0)
    check(len(out["comparisons"]) == 5 and len(out["unmatched"]["new_only"]) == 2,
          "matching by canonical parameters and pin policy: %s" % out["unmatched"])


def test_output_shapes():
    base = [docgen.make_case(seed=41, cv=CV), docgen.make_case(seed=42, runner="processes")]
    new = [docgen.make_case(seed=43, cv=CV, throughput=9000.0),
           docgen.make_case(seed=44, runner="processes")]
    b, n = pair("shapes", base, new)
    p = pbtest.run(["compare", "--format", "md", b, n], expect=1)
    lines = p.stdout.splitlines()
    check(lines and lines[0] == "### parbench compare", "md title: %r" % lines[:1])
    head = "| case | metric | base | new | change | 99% CI | p (Holm) | verdict |"
    check(head in lines, "md table header\n%s" % p.stdout)
    if head in lines:
        i = lines.index(head)
        check(lines[i + 1].startswith("|:--|") and lines[i + 1].count("|") == 9,
              "md separator row: %r" % lines[i + 1])
        rows = [l for l in lines[i + 2:] if l.startswith("| ")]
        check(len(rows) == 10 and all(r.count(" | ") == 7 for r in rows),
              "10 md rows of 8 cells\n%s" % "\n".join(rows))
        check(sum("**REGRESSION**" in r for r in rows) == 1, "one bold REGRESSION")
    check(any(l.startswith("1 regression, ") for l in lines), "md summary line")

    p = pbtest.run(["compare", b, n], expect=1)
    table = [l for l in p.stdout.splitlines() if l.startswith("case ")]
    check(len(table) == 1 and all(h in table[0] for h in
                                  ("metric", "base", "new", "change", "99% CI",
                                   "p (Holm)", "verdict")),
          "text table header\n%s" % p.stdout)

    out = compare_json([b, n], expect=1)
    for k in ("schema", "base", "new", "warnings", "alpha", "thresholds", "holm_family",
              "unmatched", "comparisons", "counts", "regression"):
        check(k in out, "compare JSON has %s" % k)
    check(out.get("schema") == "parbench/compare/v1" and out.get("holm_family") == 10,
          "compare JSON schema and Holm family")
    for c in out["comparisons"]:
        for k in ("case", "runner", "workload", "concurrency", "metric", "unit", "n_base",
                  "n_new", "base_median", "new_median", "ratio", "change_pct", "ci_low",
                  "ci_high", "ci_level", "p", "p_adjusted", "method", "verdict"):
            if not check(k in c, "comparison has %s: %s" % (k, c)):
                return
    p = pbtest.run(["compare", "--json", "--format", "md", b, n], expect=1)
    check(p.stdout.lstrip().startswith("{"), "--json wins over --format")


def test_bad_input():
    good = write(docgen.make_doc([docgen.make_case(seed=51)]), "good.json")
    notjson = path("notjson.json")
    with open(notjson, "w") as f:
        f.write('{"schema": "parbench/result/v1",\n  "cases": [1, 2,,]}\n')
    other = write({"schema": "parbench/result/v2", "cases": []}, "other.json")
    noschema = write({"benchmarks": []}, "noschema.json")
    missing = path("missing.json")
    cases = [
        (missing, "cannot open"),
        (notjson, "not JSON: line 2"),
        (other, "schema 'parbench/result/v2' is not parbench/result/v1"),
        (noschema, "not a parbench result document (no 'schema')"),
        (TMP, "cannot open"),
    ]
    for bad, what in cases:
        for args in (["compare", good, bad], ["compare", bad, good],
                     ["export", "--format", "csv", bad], ["merge", good, bad]):
            p = pbtest.run(args, expect=2)
            err = p.stderr.strip().splitlines()
            check(len(err) == 1 and bad in err[0] and what in err[0],
                  "%s: one line naming %s and '%s': %r" % (" ".join(args[:1]), bad, what,
                                                          p.stderr))
            check(p.stdout == "", "nothing on stdout for bad input: %r" % p.stdout[:200])
    for args in (["compare", good], ["compare", "--alpha", "2", good, good],
                 ["compare", "--threshold", "nope=5", good, good],
                 ["compare", "--format", "html", good, good], ["compare", "--bogus", good, good]):
        p = pbtest.run(args, expect=2)
        check(len(p.stderr.strip().splitlines()) == 1, "bad usage, one line: %r" % p.stderr)


FIXTURES = os.path.join(pbtest.SOURCE_DIR, "tests", "fixtures", "old")


def test_merge():
    rounds = []
    for r in range(3):
        cases = [docgen.make_case(seed=60 + r, n=4),
                 docgen.make_case(seed=70 + r, n=4, runner="serial", concurrency=1)]
        d = docgen.make_doc(cases, started_at="2024-05-01T12:0%d:00Z" % (5 - r))
        rounds.append(write(d, "round%d.json" % r))
    merged = path("merged.json")
    pbtest.run(["merge", "-o", merged] + rounds, expect=0)
    with open(merged) as f:
        doc = json.load(f)
    pbtest.validate(doc, "merged document")
    check(doc["merged_from"] == rounds, "merged_from lists the inputs")
    check(doc["started_at"] == "2024-05-01T12:03:00Z", "started_at is the earliest")
    check(len(doc["cases"]) == 2, "cases matched across rounds")
    for c in doc["cases"]:
        check(len(c["repetitions"]) == 12 and c["summary"]["throughput_per_s"]["n"] == 12,
              "12 repetitions and their summary in %s" % c["id"])
        check(c["settings"]["repeat"] == 12 and c["warmups"] == 3,
              "repeat and warm-ups are the sums: %s, %s" % (c["settings"], c["warmups"]))
    threads = [c for c in doc["cases"] if c["runner"] == "threads"][0]
    check("speedup" in threads, "speed-up recomputed against serial")
    out = compare_json(["--metric", "throughput", merged, merged], expect=0)
    check(out["comparisons"][0]["n_base"] == 12, "compare reads merged documents")

    # Documents of the previous version merge, and keep their top-level repeat summed.
    old = os.path.join(FIXTURES, "run.json")
    pbtest.run(["merge", "-o", merged, old, old], expect=0)
    with open(merged) as f:
        doc = json.load(f)
    pbtest.validate(doc, "merged documents of the previous version")
    check(doc["settings"]["repeat"] == 6 and len(doc["cases"]) == 6 and
          all(len(c["repetitions"]) == 6 for c in doc["cases"]),
          "two old documents: 6 cases of 6 repetitions")
    http = [c for c in doc["cases"] if c["workload"] == "io.http"][0]
    check(all("fixture" in r and "target" not in r for r in http["repetitions"]),
          "an old repetition's target is written as its fixture")


def test_merge_usage():
    """Issue item 23: README said `parbench merge m.json a.json b.json`, which fails; the usage
    documented everywhere is the one that works."""
    p = pbtest.run(["--help"], expect=0)
    line = [l for l in p.stdout.splitlines() if l.split()[:1] == ["merge"]]
    check(line and "[-o OUT] IN..." in line[0], "parbench --help: %r" % line)
    with open(os.path.join(pbtest.SOURCE_DIR, "README.md")) as f:
        readme = f.read()
    check("`parbench merge [-o OUT] IN...`" in readme and "merge OUT IN" not in readme,
          "README documents merge [-o OUT] IN...")
    p = pbtest.run(["merge", "--help"], expect=0)
    check(p.stdout.startswith("usage: parbench merge [-o OUT]"), "merge --help: %r" % p.stdout[:80])
    a = write(docgen.make_doc([docgen.make_case(seed=120, n=3)]), "usage-a.json")
    b = write(docgen.make_doc([docgen.make_case(seed=121, n=3)]), "usage-b.json")
    out = path("usage-merged.json")
    pbtest.run(["merge", "-o", out, a, b], expect=0)
    with open(out) as f:
        check(len(json.load(f)["cases"][0]["repetitions"]) == 6, "the documented form merges")


def one_line_error(args, what):
    """Runs args, which must fail with exit 2 and one line containing every string of what."""
    p = pbtest.run(args, expect=2)
    err = p.stderr.strip().splitlines()
    check(len(err) == 1 and all(w in err[0] for w in what),
          "%s: one line naming %s: %r" % (" ".join(args), what, p.stderr))
    check(p.stdout == "", "%s: nothing on stdout: %r" % (" ".join(args), p.stdout[:200]))
    return err[0] if err else ""


def test_duplicate_case():
    """Issue item 1: `run -r threads,threads` wrote one case twice, and merge overflowed a
    buffer sized for one spectrum per document. Such a document is refused by every reader."""
    dup = os.path.join(FIXTURES, "dup.json")
    for args in (["merge", dup], ["merge", "-o", path("dup-merged.json"), dup, dup],
                 ["compare", dup, dup], ["export", "--format", "csv", dup]):
        one_line_error(args, [dup, "cases[1]: the same case as cases[0]"])
    c = docgen.make_case(seed=80, n=3)
    d = write(docgen.make_doc([c, c, dict(c, id="another")]), "dup3.json")
    one_line_error(["merge", d], [d, "cases[1]: the same case as cases[0]"])


def reordered(src, name):
    with open(src) as f:
        doc = json.load(f)
    doc["cases"].reverse()
    return write(doc, name)


def test_pin_groups():
    """Issue item 2: cases differing only in their pin list are different cases: compare pairs
    each with itself, merge keeps three."""
    pins = os.path.join(FIXTURES, "pin-groups.json")
    rev = reordered(pins, "pin-groups-reversed.json")
    out = compare_json(["--metric", "throughput", pins, rev], expect=0)
    rows = out["comparisons"]
    check(len(rows) == 3 and not out["unmatched"]["base_only"],
          "three cases matched: %s" % [r["case"] for r in rows])
    check(all(r["base_median"] == r["new_median"] for r in rows),
          "each case paired with itself, not by position: %s" %
          [(r["case"], r["base_median"], r["new_median"]) for r in rows])
    check(sorted(r["case"].rsplit("/", 1)[-1] for r in rows) ==
          ["pin=list:0", "pin=list:0-1", "pin=list:1"], "the pin is in the key")
    merged = path("pins-merged.json")
    pbtest.run(["merge", "-o", merged, pins, rev], expect=0)
    with open(merged) as f:
        doc = json.load(f)
    check(len(doc["cases"]) == 3 and all(len(c["repetitions"]) == 6 for c in doc["cases"]),
          "merge keeps three cases of 6 repetitions: %s" %
          [(c["id"], len(c["repetitions"])) for c in doc["cases"]])
    with open(pins) as f:
        orig = json.load(f)
    for c in doc["cases"]:
        o = [x for x in orig["cases"] if x["pin"]["spec"] == c["pin"]["spec"]][0]
        check(c["repetitions"][:3] == o["repetitions"] and c["repetitions"][3:] == o["repetitions"],
              "%s has its own repetitions twice" % c["id"])


def test_different_plans():
    """Issue item 20: documents of different plans do not merge or compare silently."""
    a = [docgen.make_case(seed=90, n=3), docgen.make_case(seed=91, n=3, concurrency=4)]
    b = [docgen.make_case(seed=92, n=3)]
    pa = write(docgen.make_doc(a), "plan-a.json")
    pb = write(docgen.make_doc(b), "plan-b.json")
    one_line_error(["merge", pa, pb], [pb, "has no case " + a[1]["id"], pa, "--union"])
    out = path("union.json")
    pbtest.run(["merge", "--union", "-o", out, pa, pb], expect=0)
    with open(out) as f:
        doc = json.load(f)
    check([len(c["repetitions"]) for c in doc["cases"]] == [6, 3],
          "--union: each case with what the inputs have")
    # An interrupted round has a subset of the cases: that merges.
    pi = write(docgen.make_doc(b, complete=False), "plan-b-interrupted.json")
    pbtest.run(["merge", "-o", out, pa, pi], expect=0)
    with open(out) as f:
        doc = json.load(f)
    check(doc["complete"] is False and [len(c["repetitions"]) for c in doc["cases"]] == [6, 3],
          "an incomplete round merges its cases; the merge is incomplete")
    # ... but not a case the complete rounds do not have.
    pc = write(docgen.make_doc([docgen.make_case(seed=93, n=3, concurrency=8)], complete=False),
               "plan-c-interrupted.json")
    one_line_error(["merge", pa, pc], [pa, "has no case " + "threads/cpu.sumsq/iterations=1000/c=8",
                                       pc])

    # compare: nothing in common is an error, unless asked for.
    empty = write(docgen.make_doc([]), "zero-cases.json")
    one_line_error(["compare", pa, empty], [pa, empty, "no case in common", "--allow-disjoint"])
    other = write(docgen.make_doc([docgen.make_case(seed=94, runner="processes")]),
                  "disjoint.json")
    one_line_error(["compare", "--json", pa, other], ["no case in common"])
    p = pbtest.run(["compare", "--allow-disjoint", pa, other], expect=0)
    check("(no case appears in both documents)" in p.stdout and "only in new: " in p.stdout,
          "--allow-disjoint: the empty comparison\n%s" % p.stdout)
    # Partly overlapping plans compare what they share, as before.
    pbtest.run(["compare", pa, pb], expect=0)


def test_invalid_values():
    """Issue item 21: a value of the wrong type or range is refused, naming file and path."""
    def bad(name, change, where):
        doc = docgen.make_doc([docgen.make_case(seed=100, n=3)])
        change(doc)
        p = write(doc, name)
        for args in (["compare", p, p], ["export", "--format", "csv", p], ["merge", p]):
            one_line_error(args, [p + ": " + where])

    def rep(key, value):
        def change(doc):
            doc["cases"][0]["repetitions"][1][key] = value
        return change

    def case(key, value):
        def change(doc):
            doc["cases"][0][key] = value
        return change

    def reps(doc):
        doc["cases"][0]["repetitions"] = [1, "a", None]

    bad("reps.json", reps, "cases[0].repetitions[0]: expected an object, got 1")
    bad("fast.json", rep("throughput_per_s", "fast"),
        'cases[0].repetitions[1].throughput_per_s: expected a number >= 0, got "fast"')
    bad("negative.json", rep("tasks_ok", -5),
        "cases[0].repetitions[1].tasks_ok: expected an integer >= 0, got -5")
    bad("null.json", rep("wall_s", None),
        "cases[0].repetitions[1].wall_s: expected a number >= 0, got null")
    bad("two.json", case("concurrency", "two"),
        'cases[0].concurrency: expected an integer >= 1 or null, got "two"')
    bad("pin.json", case("pin", 3), "cases[0].pin: expected an object, got 3")
    bad("summary.json", case("summary", "x"), 'cases[0].summary: expected an object, got "x"')
    bad("id.json", case("id", 5), "cases[0].id: expected a string, got 5")
    bad("params.json", case("params", {"n": {"deep": 1}}),
        "cases[0].params.n: expected an integer, number, boolean or string")


def test_terminal_safety():
    """Issue item 25: text from documents reaches the terminal with its control characters made
    visible, and Markdown escaped."""
    c = docgen.make_case(seed=110, runner="threads\x1b[31m")
    evil = dict(host="host\x1b]0;pwned\x07\n", cpu_model="CPU\r\x9b2J")
    b = write(docgen.make_doc([c]), "evil-base.json")
    n = write(docgen.make_doc([c], **evil), "evil-new.json")
    p = pbtest.run(["compare", b, n], expect=0)
    check("\x1b" not in p.stdout and "\x07" not in p.stdout and "\r" not in p.stdout and
          "\x9b" not in p.stdout, "no control character reaches the terminal: %r" % p.stdout)
    check("host\\x1b]0;pwned\\x07\\x0a" in p.stdout and "CPU\\x0d\\u009b2J" in p.stdout,
          "they are shown as escapes: %r" % p.stdout)
    check("threads%1B[31m/cpu.sumsq" in p.stdout, "a case's key escapes them itself")
    lines = p.stdout.splitlines()
    check(len([l for l in lines if l.startswith("new:")]) == 1 and
          any("different hosts" in l for l in lines), "one line per document and warning")
    p = pbtest.run(["compare", "--format", "md", b, n], expect=0)
    check("\x1b" not in p.stdout and "\r" not in p.stdout, "Markdown: no control characters")
    out = compare_json([b, n], expect=0)
    check(out["comparisons"][0]["runner"] == "threads\x1b[31m",
          "JSON keeps the text as it is (escaped by JSON)")


def main():
    test_shift_is_regression()
    test_busy_machine()
    test_small_significant_change_within_threshold()
    test_too_few_samples()
    test_unmatched_and_warnings()
    test_output_shapes()
    test_bad_input()
    test_merge()
    test_merge_usage()
    test_duplicate_case()
    test_pin_groups()
    test_different_plans()
    test_invalid_values()
    test_terminal_safety()
    test_false_alarms()
    pbtest.done()


if __name__ == "__main__":
    main()
