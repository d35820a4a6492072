"""End-to-end tests of parbench trend on synthesised histories whose truth is known
(tests/docgen.py): a 10% throughput drop from document 7 on is one change point there, a
regression of about -10%, in every output; a history without a shift has none; sorting by time,
the base, and bad input (one document, a missing file, not JSON) as one line and exit 2."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import docgen  # noqa: E402
import pbtest  # noqa: E402
from pbtest import check  # noqa: E402

TMP = tempfile.mkdtemp(prefix="pb-e2e-trend-")
SHIFTED = docgen.case_id("threads", "cpu.sumsq", {"iterations": 1000}, 2,
                         {"model": "closed"}, "compact")


def history(name, n=12, drop_from=None, factor=0.9, timed=True):
    """n documents, one per 'commit', oldest first: two cases, the threads one's throughput
    times factor from document drop_from on (1-based). Returns their paths."""
    paths = []
    for i in range(1, n + 1):
        tp = 10000.0 * (factor if drop_from and i >= drop_from else 1.0)
        cases = [docgen.make_case(seed=1000 * i + 1, runner="threads", throughput=tp, cv=0.02),
                 docgen.make_case(seed=1000 * i + 2, runner="processes", cv=0.02)]
        doc = docgen.make_doc(cases, git_commit="%040x" % (0xc0ffee00 + i),
                              started_at="2024-05-%02dT12:00:00Z" % i)
        if not timed:
            del doc["started_at"], doc["finished_at"]
        p = os.path.join(TMP, "%s-%02d.json" % (name, i))
        docgen.write(doc, p)
        paths.append(p)
    return paths


def trend_json(args, expect=0):
    p = pbtest.run(["trend", "--json"] + args, expect=expect)
    try:
        return json.loads(p.stdout)
    except ValueError as e:
        check(False, "trend --json: not JSON (%s):\n%s" % (e, p.stdout))
        return {"series": [], "documents": [], "counts": {}}


def all_cps(out):
    return [(s["case"], s["metric"], cp) for s in out["series"] for cp in s["change_points"]]


def test_drop():
    docs = history("drop", drop_from=7)
    out = trend_json(docs)
    cps = all_cps(out)
    check(len(out["documents"]) == 12 and out["order"] == "given", "12 documents, as given")
    tp = [cp for case, m, cp in cps if case == SHIFTED and m == "throughput"]
    check(len(tp) == 1, "one throughput change point on the shifted case: %r" % cps)
    if tp:
        cp = tp[0]
        check(cp["index"] == 6 and cp["path"] == docs[6], "it names document 7: %r" % cp)
        check(cp["git_commit"] == "%040x" % (0xc0ffee00 + 7), "with its commit: %r" % cp)
        check(cp["started_at"] == "2024-05-07T12:00:00Z", "and its time")
        check(abs(cp["change_pct"] + 10.0) < 2.5, "about -10%%: %r" % cp["change_pct"])
        check(cp["direction"] == "regression", "a regression: %r" % cp["direction"])
        check(cp["confidence"] >= 0.95, "confident: %r" % cp["confidence"])
    others = [(c, m) for c, m, _ in cps if c != SHIFTED]
    check(not others, "no change point on the steady case: %r" % others)
    ser = [s for s in out["series"] if s["case"] == SHIFTED and s["metric"] == "throughput"][0]
    check(abs(ser["since_base_pct"] + 10.0) < 4.0 and ser["since_base_direction"] == "regression",
          "since base about -10%%: %r" % ser["since_base_pct"])
    check(len(ser["values"]) == 12 and ser["points"] == 12, "twelve points")
    check(out["counts"]["change_points"] == len(cps), "counts")

    p = pbtest.run(["trend"] + docs, expect=0)
    rows = [l for l in p.stdout.splitlines() if "REGRESSION" in l]
    check(len(rows) == 1 and os.path.basename(docs[6]) in rows[0] and "throughput" in rows[0]
          and ("-10." in rows[0] or "-9." in rows[0]) and "#7 " in rows[0],
          "text: one row naming document 7\n" + p.stdout)
    check("series without a change point" in p.stdout, "text: the count line\n" + p.stdout)
    check("started_at" in p.stdout, "text: says which time field it shows")
    p = pbtest.run(["trend", "--format", "md"] + docs, expect=0)
    rows = [l for l in p.stdout.splitlines() if l.startswith("|") and "REGRESSION" in l]
    check(len(rows) == 1 and os.path.basename(docs[6]) in rows[0], "md: one row\n" + p.stdout)

    # Given shuffled, --sort time puts them back: the same change point.
    shuffled = docs[6:] + docs[:6]
    out = trend_json(["--sort", "time"] + shuffled)
    tp = [cp for case, m, cp in all_cps(out) if case == SHIFTED and m == "throughput"]
    check(out["order"] == "started_at" and len(tp) == 1 and tp[0]["path"] == docs[6],
          "--sort time restores the history: %r" % tp)
    # A later base: nothing changed since document 9.
    out = trend_json(["--base", docs[8]] + docs)
    ser = [s for s in out["series"] if s["case"] == SHIFTED and s["metric"] == "throughput"][0]
    check(out["base"]["index"] == 8 and abs(ser["since_base_pct"]) < 4.0,
          "--base DOC: since base near 0: %r" % ser["since_base_pct"])
    out = trend_json(["--metric", "throughput"] + docs)
    check({s["metric"] for s in out["series"]} == {"throughput"}, "--metric")


def test_no_shift():
    docs = history("flat")
    out = trend_json(docs)
    check(all_cps(out) == [], "no shift, no change point: %r" % all_cps(out))
    p = pbtest.run(["trend"] + docs, expect=0)
    check("REGRESSION" not in p.stdout and "%d series without" % len(out["series"]) in p.stdout,
          "text: only the count line\n" + p.stdout)
    # Untimed documents: no time span, and --sort time is refused.
    docs = history("untimed", n=4, timed=False)
    p = pbtest.run(["trend"] + docs, expect=0)
    check("started_at" not in p.stdout, "untimed: no time span")
    p = pbtest.run(["trend", "--sort", "time"] + docs, expect=2)
    check(len(p.stderr.strip().splitlines()) == 1 and "started_at" in p.stderr,
          "--sort time without times: one line: %r" % p.stderr)


def test_sparse():
    """A case in some documents only, two documents, a zero throughput: no crash."""
    docs = history("sparse", n=3)
    extra = os.path.join(TMP, "sparse-extra.json")
    c = docgen.make_case(seed=5, runner="processes", concurrency=4)
    for r in c["repetitions"]:
        r["throughput_per_s"] = 0.0
    c["summary"]["throughput_per_s"].update(median=0.0, mean=0.0, min=0.0, max=0.0, ci_low=0.0,
                                            ci_high=0.0, stddev=0.0, cv=0.0)
    docgen.write(docgen.make_doc([c]), extra)
    out = trend_json(docs + [extra])
    check(len(out["documents"]) == 4, "four documents")
    zero = [s for s in out["series"] if s["case"].endswith("c=4") and s["metric"] == "throughput"]
    check(len(zero) == 1 and zero[0]["points"] == 0 and zero[0]["left_out"] == 4
          and zero[0]["latest_level"] is None, "a zero throughput is left out: %r" % zero)
    p = pbtest.run(["trend", "--format", "md"] + docs + [extra], expect=0)
    check("too short to split" in p.stdout, "md: the short series are counted\n" + p.stdout)
    out = trend_json(docs[:2])
    check(all_cps(out) == [], "two documents: too short to split")


def test_bad_input():
    good = history("good", n=2)
    notjson = os.path.join(TMP, "notjson.json")
    with open(notjson, "w") as f:
        f.write("{\n  nope\n")
    missing = os.path.join(TMP, "missing.json")
    for args, what in ((["trend", good[0]], "at least two"),
                       (["trend", good[0], missing], missing + ": cannot open"),
                       (["trend", good[0], notjson], notjson + ": not JSON"),
                       (["trend", "--base", missing] + good, missing + ": cannot open"),
                       (["trend", "--alpha", "2"] + good, "alpha"),
                       (["trend", "--min-size", "1"] + good, "min size"),
                       (["trend", "--metric", "nope"] + good, "nope"),
                       (["trend", "--format", "html"] + good, "html"),
                       (["trend", "--bogus"] + good, "--bogus")):
        p = pbtest.run(args, expect=2)
        err = p.stderr.strip().splitlines()
        check(len(err) == 1 and what in err[0], "%s: one line with '%s': %r" %
              (" ".join(args), what, p.stderr))
        check(p.stdout == "", "nothing on stdout for bad input")


def main():
    test_drop()
    test_no_shift()
    test_sparse()
    test_bad_input()
    pbtest.done()


if __name__ == "__main__":
    main()
