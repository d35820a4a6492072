"""End-to-end tests of parbench compare and merge on synthesised documents whose truth is known
(tests/docgen.py): a 10% shift is a regression, an interval inside the threshold is unchanged,
identical distributions raise false alarms no more often than alpha (family-wise, Bonferroni),
three samples are undecided with the samples that would decide, bad input is one line and exit 2.
The paired, sequential, noisy, JUnit and summary parts of the gate are in tests/e2e_gate.py."""
import json
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import docgen  # noqa: E402
import pbtest  # noqa: E402
from pbtest import binomial_upper, check, compare_json  # noqa: E402

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


def verdicts(out):
    return {(c["case"], c["metric"]): c["verdict"] for c in out["comparisons"]}


# With 10 repetitions the 95% interval of the ratio is about +-1 CV wide, so the 10% shifts
# below are drawn with a CV of 2%: the whole interval then clears the 5% threshold.
CV = 0.02


def test_shift_is_regression():
    base = [docgen.make_case(seed=1, concurrency=2, cv=CV)]
    new = [docgen.make_case(seed=2, concurrency=2, cv=CV, throughput=10000.0 * 0.9)]
    b, n = pair("shift", base, new)
    p = pbtest.run(["compare", b, n], expect=1)
    rows = [l for l in p.stdout.splitlines() if " throughput " in l]
    check(len(rows) == 1 and "REGRESSION" in rows[0] and "(not gated)" not in rows[0],
          "10%% throughput loss: a gated REGRESSION row\n%s" % p.stdout)
    others = [l for l in p.stdout.splitlines() if l.startswith(base[0]["id"] + " ") and
              " throughput " not in l]
    check(len(others) == 4 and all(l.endswith("unchanged (not gated)") for l in others),
          "the latencies of a CPU workload: unchanged (not gated)\n%s" % p.stdout)
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
    check(row["ci_level"] >= 0.95 - 1e-9, "the interval is at 1 - alpha/family: %s" % row)
    # One gated comparison (throughput; the latencies of a CPU workload are reported only).
    check(out["family"] == 1 and row["gated"] is True and
          all(c["gated"] is False for c in out["comparisons"] if c["metric"] != "throughput"),
          "family 1, throughput gated only: %s" % out["family"])
    check(abs(row["level_alpha"] - 0.05) < 1e-12 and row["look"] == 1,
          "level alpha/family at one look: %s" % row)
    check(row["p"] < 0.001 and abs(row["p_adjusted"] - min(1.0, row["p"] * 0.05 /
                                                           row["level_alpha"])) < 1e-12,
          "p_adjusted = min(1, p alpha/level_alpha): %s" % row)
    check(row["method"] == "mann-whitney" and row["paired"] is False and
          row["test"] == "exact" and row["n_base"] == 10 and row["n_new"] == 10 and
          row["pairs"] == 0 and row["need"] is None,
          "exact Mann-Whitney test on 10 vs 10: %s" % row)
    check(out["regression"] is True and out["counts"]["regression"] == 1 and
          sum(out["counts"].values()) == 1 and sum(out["reported_counts"].values()) == 4 and
          out["reported_counts"]["unchanged"] == 4,
          "counts: %s, reported: %s" % (out["counts"], out["reported_counts"]))

    # The same shift as an improvement, and as a latency regression (smaller is better).
    new = [docgen.make_case(seed=2, concurrency=2, cv=CV, throughput=10000.0 * 1.1)]
    b, n = pair("improve", base, new)
    out = compare_json([b, n], expect=0)
    check(verdicts(out).get((name, "throughput")) == "improvement",
          "10%% throughput gain: IMPROVEMENT: %s" % verdicts(out))
    # A latency of a CPU workload is reported, not gated: exit 0 unless it is gated by name.
    new = [docgen.make_case(seed=2, concurrency=2, cv=CV, latency_p50=200000.0 * 1.2)]
    b, n = pair("latency", base, new)
    out = compare_json([b, n], expect=0)
    v = verdicts(out)
    check(v.get((name, "latency_p50")) == "regression" and
          v.get((name, "throughput")) == "unchanged",
          "20%% slower latency: a latency regression only: %s" % v)
    # docgen's p99 moves with its p50: both latencies regress.
    check(out["regression"] is False and out["counts"]["regression"] == 0 and
          out["reported_counts"]["regression"] == 2 and v.get((name, "latency_p99")) ==
          "regression",
          "reported, not gated: %s %s" % (out["counts"], out["reported_counts"]))
    p = pbtest.run(["compare", b, n], expect=0)
    check(any(" latency_p50 " in l and l.endswith("REGRESSION (not gated)")
              for l in p.stdout.splitlines()), "text: REGRESSION (not gated)\n%s" % p.stdout)
    out = compare_json(["--gate", "latency_p50", b, n], expect=1)
    check(out["regression"] is True and out["family"] == 1,
          "--gate latency_p50 gates it: %s" % out["counts"])

    # A threshold the change does not pass: the whole interval inside it is unchanged, exit 0.
    b, n = pair("shift", base, [docgen.make_case(seed=2, concurrency=2, cv=CV,
                                                  throughput=10000.0 * 0.9)])
    out = compare_json(["--threshold", "throughput=25", b, n], expect=0)
    row = [c for c in out["comparisons"] if c["metric"] == "throughput"][0]
    check(row["verdict"] == "unchanged" and row["ci_low"] >= 0.75 and row["ci_high"] <= 1.25,
          "a 10%% loss is within a 25%% threshold, interval and all: %s" % row)
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
            check(all(x == "busy" for x in v.values()) and out["counts"]["busy"] == 1 and
                  out["reported_counts"]["busy"] == len(v) - 1,
                  "every metric of the busy case is busy: %s %s %s" %
                  (v, out["counts"], out["reported_counts"]))
            check(all(c["p"] is None and c["need"] is None for c in out["comparisons"]),
                  "busy: no test, no need")
            p = pbtest.run(["compare", b, n], expect=0)
            check("not measurable here (machine busy)" in p.stdout and
                  "gated: 0 regressions, 0 improvements, 0 unchanged, 0 undecided, "
                  "1 not measurable here (machine busy)" in p.stdout,
                  "the table and the counts say busy:\n" + p.stdout)


def test_small_significant_change_within_threshold():
    """Significance alone is no verdict: a 3% loss measured tightly has its whole interval
    inside +-5% (unchanged); a 4% loss measured loosely is significant, its estimate inside the
    threshold, its interval across it: undecided, not a regression and not unchanged."""
    base = [docgen.make_case(seed=11, cv=0.004)]
    new = [docgen.make_case(seed=12, cv=0.004, throughput=10000.0 * 0.97)]
    b, n = pair("small", base, new)
    out = compare_json([b, n], expect=0)
    row = [c for c in out["comparisons"] if c["metric"] == "throughput"][0]
    check(row["p_adjusted"] < 0.01 and row["verdict"] == "unchanged" and
          0.95 <= row["ci_low"] and row["ci_high"] < 1.0,
          "3%% is significant but its interval is within the 5%% threshold: %s" % row)
    out = compare_json(["--threshold", "1%", b, n], expect=1)
    check(verdicts(out).get((base[0]["id"], "throughput")) == "regression",
          "with a 1%% threshold it is a regression: %s" % verdicts(out))
    base = [docgen.make_case(seed=13, cv=0.02)]
    new = [docgen.make_case(seed=14, cv=0.02, throughput=10000.0 * 0.96)]
    b, n = pair("small-loose", base, new)
    out = compare_json([b, n], expect=0)
    row = [c for c in out["comparisons"] if c["metric"] == "throughput"][0]
    check(row["p"] < row["level_alpha"] and row["ci_high"] < 1.0 and row["ci_low"] < 0.95 and
          abs(row["ratio"] - 1) < 0.05,
          "the data: significant, the interval across -5%%, the estimate inside: %s" % row)
    check(row["verdict"] == "undecided" and isinstance(row["need"], int) and row["need"] > 10,
          "a significant change that may yet prove small is undecided, with need: %s" % row)


def test_false_alarms():
    """Identical distributions, unpaired, 5 cases (5 gated comparisons): how often does
    compare call a difference? Without a threshold the test alone decides, so the runs with any
    gated change measure the family-wise error rate: at most alpha (Bonferroni over the
    family), up to binomial chance; alpha per comparison would give about 23%."""
    trials = 150
    alarms_default = 0
    alarms_strict = 0
    alarms_01 = 0
    for seed in range(trials):
        base = [docgen.make_case(seed=1000 + 10 * seed + i, cv=0.05, concurrency=i + 1)
                for i in range(5)]
        new = [docgen.make_case(seed=1005 + 10 * seed + i, cv=0.05, concurrency=i + 1)
               for i in range(5)]
        b, n = pair("same", base, new)
        p = pbtest.run(["compare", b, n])
        if p.returncode not in (0, 1):
            check(False, "compare of identical distributions: exit %d\n%s" % (p.returncode,
                                                                             p.stderr))
            return
        alarms_default += p.returncode == 1
        for args in (["--threshold", "0"], ["--threshold", "0", "--alpha", "0.01"]):
            out = compare_json(args + ["--metric", "throughput", b, n], expect=None)
            gated = [c for c in out["comparisons"] if c["gated"]]
            if not check(len(gated) == 5 and out["family"] == 5,
                         "5 gated comparisons: %s" % out.get("family")):
                return
            alarm = any(c["verdict"] in ("regression", "improvement") for c in gated)
            if "0.01" in args:
                alarms_01 += alarm
            else:
                alarms_strict += alarm
    check(alarms_default <= binomial_upper(trials, 0.05),
          "false alarms at the defaults: %d of %d (at most alpha 0.05)" %
          (alarms_default, trials))
    check(alarms_strict <= binomial_upper(trials, 0.05),
          "family-wise false alarms with threshold 0, alpha 0.05: %d of %d (bound %d)" %
          (alarms_strict, trials, binomial_upper(trials, 0.05)))
    check(alarms_01 <= binomial_upper(trials, 0.01) and alarms_01 <= alarms_strict,
          "family-wise false alarms with threshold 0, alpha 0.01: %d of %d (bound %d)" %
          (alarms_01, trials, binomial_upper(trials, 0.01)))
    print("false alarms: %d/%d at the defaults, %d/%d at alpha 0.05 and %d/%d at 0.01 without "
          "a threshold" % (alarms_default, trials, alarms_strict, trials, alarms_01, trials))


def test_too_few_samples():
    """Three samples a side cannot reach p < 0.05 (the smallest two-sided p is 2/20): even a 50%
    loss is undecided, and says how many would decide."""
    base = [docgen.make_case(seed=21, n=3)]
    new = [docgen.make_case(seed=22, n=3, throughput=5000.0)]
    b, n = pair("few", base, new)
    p = pbtest.run(["compare", b, n], expect=0)
    rows = [l for l in p.stdout.splitlines() if l.startswith(base[0]["id"])]
    need = [re.search(r"undecided \(need ~(\d+) per side\)", l) for l in rows]
    check(len(rows) == 5 and all(need) and all(int(m.group(1)) > 3 for m in need),
          "3 samples, 5 metrics: undecided, need ~N > 3 per side\n%s" % p.stdout)
    check(not any("REGRESSION" in l or "IMPROVEMENT" in l or "unchanged" in l for l in rows),
          "no verdict from too little data\n%s" % p.stdout)
    check("too few samples" not in p.stdout, "the old wording is gone\n%s" % p.stdout)
    out = compare_json([b, n], expect=0)
    check(all(c["verdict"] == "undecided" and isinstance(c["need"], int) and c["need"] > 3
              for c in out["comparisons"]) and out["counts"]["undecided"] == 1 and
          out["reported_counts"]["undecided"] == 4,
          "JSON: undecided with need everywhere: %s" %
          [(c["metric"], c["verdict"], c["need"]) for c in out["comparisons"]])
    out = compare_json(["--metric", "throughput", b, n], expect=0)
    row = out["comparisons"][0]
    # 2/C(8,4) = 0.029 < 0.05: four a side is the least that can decide a 50% loss.
    check(row["verdict"] == "undecided" and row["need"] == 4 and "need_per_side" not in row,
          "one comparison at alpha 0.05 needs 4 per side: %s" % row)
    out = compare_json(["--metric", "throughput", "--alpha", "0.01", b, n], expect=0)
    check(out["comparisons"][0]["need"] == 5,
          "at alpha 0.01, 5 per side (2/C(10,5) = 0.008): %s" % out["comparisons"][0])


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
    head = "| case | metric | n | base | new | change | interval | p adj | verdict |"
    check(head in lines, "md table header\n%s" % p.stdout)
    if head in lines:
        i = lines.index(head)
        check(lines[i + 1].startswith("|:--|") and lines[i + 1].count("|") == 10,
              "md separator row: %r" % lines[i + 1])
        rows = [l for l in lines[i + 2:] if l.startswith("| ")]
        check(len(rows) == 10 and all(r.count(" | ") == 8 for r in rows),
              "10 md rows of 9 cells\n%s" % "\n".join(rows))
        check(sum("**REGRESSION**" in r for r in rows) == 1, "one bold REGRESSION")
    cells = head.strip("| ").split(" | ")
    tables = [t for t in pbtest.markdown_tables(p.stdout) if t and t[0] == cells]
    check(len(tables) == 1 and len(tables[0]) == 11 and all(len(r) == 9 for r in tables[0]),
          "the md verdict table renders: 10 rows of 9 cells\n%s" % p.stdout)
    check(any(l.startswith("gated: 1 regression, ") for l in lines), "md summary line")
    check("p (Holm)" not in p.stdout and "Holm" not in p.stdout, "no Holm left in md")

    p = pbtest.run(["compare", b, n], expect=1)
    table = [l for l in p.stdout.splitlines() if l.startswith("case ")]
    check(len(table) == 1 and table[0].split() == ["case", "metric", "n", "base", "new",
                                                   "change", "interval", "p", "adj", "verdict"],
          "text table header\n%s" % p.stdout)
    check(any(l.startswith("gated: 1 regression, ") for l in p.stdout.splitlines()) and
          "alpha 0.05 family-wise over 2 gated comparisons (Bonferroni)" in p.stdout,
          "text footer: the gated counts, alpha and family\n%s" % p.stdout)

    out = compare_json([b, n], expect=1)
    for k in ("schema", "base", "new", "warnings", "alpha", "thresholds", "family", "looks",
              "noisy", "unmatched", "comparisons", "counts", "reported_counts", "regression"):
        check(k in out, "compare JSON has %s" % k)
    check("holm_family" not in out, "no holm_family in v2")
    check(out.get("schema") == "parbench/compare/v2" and out.get("family") == 2 and
          out.get("alpha") == 0.05 and out.get("looks") == [] and out.get("noisy") == [],
          "compare JSON schema, alpha and family (2 gated): %s %s %s" %
          (out.get("schema"), out.get("alpha"), out.get("family")))
    check(sum(out["counts"].values()) == 2 and sum(out["reported_counts"].values()) == 8,
          "counts the gated, reported_counts the rest: %s %s" %
          (out["counts"], out["reported_counts"]))
    for c in out["comparisons"]:
        for k in ("case", "runner", "workload", "concurrency", "metric", "unit",
                  "bigger_is_better", "gated", "paired", "method", "n_base", "n_new", "pairs",
                  "busy_pairs", "base_median", "new_median", "ratio", "change_pct", "ci_low",
                  "ci_high", "ci_level", "p", "p_adjusted", "level_alpha", "look", "test",
                  "threshold", "verdict", "need"):
            if not check(k in c, "comparison has %s: %s" % (k, c)):
                return
        check(c["bigger_is_better"] == (c["metric"] == "throughput") and
              c["gated"] == (c["metric"] == "throughput") and c["threshold"] == 0.05 and
              c["method"] == "mann-whitney" and c["test"] in ("exact", "asymptotic") and
              abs(c["level_alpha"] - 0.025) < 1e-12 and
              abs(c["p_adjusted"] - min(1.0, c["p"] * 2)) < 1e-12,
              "a comparison's fields: %s" % c)
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
    check(out["comparisons"][0]["n_base"] == 12 and
          out["comparisons"][0]["method"] == "mann-whitney",
          "compare reads merged documents; without rounds they do not pair")
    # merge --rounds: each input's repetitions carry its place as their round, and two such
    # merges pair round by round: each round one pair, so 3 pairs, too few to decide.
    others = []
    for r in range(3):
        cases = [docgen.make_case(seed=160 + r, n=4),
                 docgen.make_case(seed=170 + r, n=4, runner="serial", concurrency=1)]
        others.append(write(docgen.make_doc(cases), "other-round%d.json" % r))
    mb, mn = path("merged-rounds-base.json"), path("merged-rounds-new.json")
    pbtest.run(["merge", "--rounds", "-o", mb] + rounds, expect=0)
    pbtest.run(["merge", "--rounds", "-o", mn] + others, expect=0)
    with open(mb) as f:
        doc = json.load(f)
    pbtest.validate(doc, "merged --rounds document")
    check(all([r.get("round") for r in c["repetitions"]] == [1] * 4 + [2] * 4 + [3] * 4
              for c in doc["cases"]), "merge --rounds: rounds 1, 2, 3 by input")
    out = compare_json(["--metric", "throughput", mb, mn], expect=None)
    check(all(c["method"] == "wilcoxon" and c["paired"] and c["pairs"] == 3 and
              c["n_base"] == 3 and c["verdict"] == "undecided" and c["need"] > 3
              for c in out["comparisons"]) and len(out["comparisons"]) == 2,
          "merged rounds pair, a pair a round: %s" %
          [(c["method"], c["pairs"], c["verdict"], c["need"]) for c in out["comparisons"]])
    one_line_error(["compare", "--paired", merged, mn], ["--paired"])

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
