"""End-to-end tests of parbench export: Google Benchmark JSON read by Google Benchmark's own
tools/compare.py (Debian libbenchmark-tools), github-action-benchmark and Bencher formats, and
the CSV/TSV tables the gnuplot scripts read."""
import csv
import io
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import docgen  # noqa: E402
import pbtest  # noqa: E402
from pbtest import check  # noqa: E402

TMP = tempfile.mkdtemp(prefix="pb-e2e-export-")
GBENCH_COMPARE = "/usr/share/benchmark/compare.py"
# compare.py needs numpy and scipy: Debian's python3 has them.
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
COLUMNS = ["case", "runner", "workload", "params", "concurrency", "load", "pin", "metric",
           "unit", "n", "median", "mean", "stddev", "cv", "min", "max", "ci_low", "ci_high",
           "ci_level", "speedup", "efficiency", "median_text", "ci_text", "cv_text",
           "speedup_text", "efficiency_text", "trust", "speedup_suspect"]
RANKING = ["workload", "params", "load", "pin", "runners", "order", "winner", "winner_case",
           "winner_concurrency", "winner_throughput", "winner_throughput_text", "winner_ci_text",
           "winner_latency_p99", "winner_latency_p99_text", "runner_up", "runner_up_case",
           "runner_up_concurrency", "runner_up_throughput", "runner_up_throughput_text",
           "ratio", "ratio_text", "tie", "verdict", "busy_during", "vs_serial", "vs_serial_text",
           "vs_serial_suspect", "lowest_p99_runner",
           "lowest_p99_case", "lowest_p99_concurrency", "lowest_p99", "lowest_p99_text"]
FIXTURES = os.path.join(pbtest.SOURCE_DIR, "tests", "fixtures", "old")
METRICS = ["throughput", "latency_p50", "latency_p99", "service_p50", "service_p99", "wall",
           "peak_rss"]


def path(name):
    return os.path.join(TMP, name)


def strict_json(text, what):
    def no_constant(name):
        raise ValueError("non-standard constant " + name)
    try:
        return json.loads(text, parse_constant=no_constant)
    except ValueError as e:
        check(False, "%s is not strict JSON: %s" % (what, e))
        return None


def sample_doc(seed, throughput=10000.0, incomplete_rep=False):
    cases = [docgen.make_case(seed=seed, runner="serial", concurrency=1, n=5),
             docgen.make_case(seed=seed + 1, runner="threads", concurrency=4, n=5,
                              throughput=throughput, speedup=3.5),
             docgen.make_case(seed=seed + 2, runner="eventloop", workload="io.sleep",
                              concurrency=8, n=5, params={"delay": "1ms", "note": 'a,"b"\tc'},
                              load={"model": "open", "rate_per_s": 500.0,
                                    "arrivals": "poisson"})]
    if incomplete_rep:
        cases[0]["repetitions"][2]["complete"] = False
    doc = docgen.make_doc(cases)
    pbtest.validate(doc, "synthesised document")
    p = path("doc%d.json" % seed)
    docgen.write(doc, p)
    return doc, p


def export(fmt, src, extra=None, expect=0):
    return pbtest.run(["export", "--format", fmt] + (extra or []) + [src], expect=expect)


def test_gbench():
    doc_a, a = sample_doc(1, incomplete_rep=True)
    doc_b, b = sample_doc(10, throughput=9000.0)
    outs = []
    for src, name in ((a, "a.gbench.json"), (b, "b.gbench.json")):
        p = export("gbench", src)
        g = strict_json(p.stdout, "gbench export")
        if g is None:
            return
        with open(path(name), "w") as f:
            f.write(p.stdout)
        outs.append(path(name))
        ctx = g["context"]
        for k in ("date", "host_name", "num_cpus", "mhz_per_cpu", "caches",
                  "library_build_type"):
            check(k in ctx, "gbench context has %s" % k)
        check(ctx["library_build_type"] == "release", "build type in Google's spelling")
        check(ctx["caches"] and ctx["caches"][0]["type"] == "Data" and
              ctx["caches"][0]["size"] == 32768, "caches: %s" % ctx["caches"])
    g = strict_json(open(outs[0]).read(), "gbench a")
    serial = [r for r in g["benchmarks"] if r["run_name"] == doc_a["cases"][0]["id"]]
    its = [r for r in serial if r["run_type"] == "iteration"]
    aggs = [r for r in serial if r["run_type"] == "aggregate"]
    check(len(its) == 4, "an interrupted repetition is no row: %d iteration rows" % len(its))
    check([r["repetition_index"] for r in its] == [0, 1, 2, 3] and
          all(r["repetitions"] == 4 for r in its), "repetition_index and repetitions")
    check(all(r["time_unit"] == "ns" and r["real_time"] > 0 and "cpu_time" in r for r in its),
          "times in ns")
    check(sorted(r["aggregate_name"] for r in aggs) == ["cv", "mean", "median", "stddev"],
          "aggregates: %s" % [r.get("aggregate_name") for r in aggs])
    check(all(r["name"] == r["run_name"] + "_" + r["aggregate_name"] for r in aggs),
          "aggregate names end in _mean etc.")
    reps = [r for r in doc_a["cases"][0]["repetitions"] if r["complete"]]
    check(abs(its[0]["real_time"] - reps[0]["service_ns"]["p50"]) < 1e-6 and
          abs(its[0]["items_per_second"] - reps[0]["throughput_per_s"]) < 1e-6,
          "real_time is the p50 service time, items_per_second the throughput")

    p = subprocess.run([PYTHON, GBENCH_COMPARE, "--no-color", "benchmarks"] + outs,
                       capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, "compare.py exit %d\n%s\n%s" % (p.returncode, p.stdout, p.stderr))
    check("Comparing" in p.stdout and "Time Old" in p.stdout, "compare.py printed its table")
    for c in doc_a["cases"]:
        check(c["id"] in p.stdout, "compare.py lists %s" % c["id"])
    check("_pvalue" in p.stdout and "_median" in p.stdout, "U test and aggregate rows")
    print(p.stdout)


def test_github_and_bmf():
    doc, src = sample_doc(20)
    p = export("github", src)
    both = strict_json(p.stdout, "github export")
    if both is None:
        return
    check(sorted(both) == ["customBiggerIsBetter", "customSmallerIsBetter"],
          "without -o: one object with both lists")
    prefix = path("gh")
    p = export("github", src, ["-o", prefix])
    check(p.stdout == "", "with -o nothing on stdout")
    files = {}
    for side in ("bigger", "smaller"):
        with open(prefix + "-%s.json" % side) as f:
            files[side] = strict_json(f.read(), "github %s" % side)
    check(files["bigger"] == both["customBiggerIsBetter"] and
          files["smaller"] == both["customSmallerIsBetter"], "files match the object")
    big, small = files["bigger"], files["smaller"]
    check(len(big) == 3 and all(e["name"].endswith(" throughput") and e["unit"] == "tasks/s"
                                for e in big), "bigger: one throughput entry per case")
    check(len(small) == 12 and all(e["unit"] == "ns" for e in small),
          "smaller: latency and service p50/p99 per case")
    for e in big + small:
        check(set(e) == {"name", "unit", "value", "range", "extra"} and
              isinstance(e["value"], float) and isinstance(e["range"], str),
              "github entry shape: %s" % e)
    median = doc["cases"][1]["summary"]["throughput_per_s"]["median"]
    check(abs(big[1]["value"] - median) < 1e-6 * median, "value is the summary median")

    p = export("bmf", src)
    bmf = strict_json(p.stdout, "bmf export")
    if bmf is None:
        return
    check(sorted(bmf) == sorted(c["id"] for c in doc["cases"]), "bmf: one entry per case")
    for name, measures in bmf.items():
        check(set(measures) == {"throughput", "latency", "latency-p99", "service-p50",
                                "service-p99"}, "bmf measures: %s" % sorted(measures))
        for m in measures.values():
            check(set(m) == {"value", "lower_value", "upper_value"} and
                  m["lower_value"] <= m["value"] <= m["upper_value"], "bmf metric: %s" % m)


def test_tables():
    doc, src = sample_doc(30)
    p = export("csv", src)
    rows = list(csv.reader(io.StringIO(p.stdout)))
    check(rows and rows[0] == COLUMNS, "csv header: %s" % (rows[0] if rows else None))
    body = rows[1:]
    check(len(body) == 3 * len(METRICS), "one row per case x metric: %d" % len(body))
    check(all(len(r) == len(COLUMNS) for r in body), "every csv row is complete")
    hostile = [r for r in body if r[2] == "io.sleep"]
    check(hostile and 'note=a,"b"\tc' in hostile[0][3],
          "csv quotes commas and quotes: %s" % (hostile[0][3] if hostile else None))
    check(hostile and hostile[0][5] == "open:500/s,poisson", "load column: %s" % hostile[0][5])
    by = {(r[1], r[7]): dict(zip(COLUMNS, r)) for r in body}
    t = by[("threads", "throughput")]
    check(t["concurrency"] == "4" and t["unit"] == "tasks/s" and t["n"] == "5",
          "plain concurrency, unit and n: %s" % t)
    check(abs(float(t["median"]) -
              doc["cases"][1]["summary"]["throughput_per_s"]["median"]) < 1e-3,
          "median from the summary")
    check(float(t["speedup"]) == 3.5 and abs(float(t["efficiency"]) - 0.875) < 1e-9,
          "speed-up and efficiency")
    check(by[("serial", "throughput")]["speedup"] == "", "no speed-up: empty field")
    check([r[7] for r in body[:len(METRICS)]] == METRICS, "metrics in order")
    # The same numbers as text, as parbench writes them.
    check(t["speedup_text"] == "3.50x" and t["efficiency_text"] == "88%",
          "speed-up and efficiency as text: %s %s" % (t["speedup_text"], t["efficiency_text"]))
    check(t["median_text"].endswith("k/s") and t["ci_text"].startswith("[") and
          t["cv_text"].endswith("%"), "throughput as text: %s %s %s" %
          (t["median_text"], t["ci_text"], t["cv_text"]))
    lat = by[("threads", "latency_p50")]
    check(lat["median_text"].endswith(" us") and abs(float(lat["median_text"][:-3]) * 1e3 -
                                                    float(lat["median"])) < 0.1 * 1e3,
          "latency as text: %s for %s" % (lat["median_text"], lat["median"]))
    check(by[("serial", "throughput")]["speedup_text"] == "", "no speed-up: empty text")

    out = path("t.tsv")
    p = export("tsv", src, ["-o", out])
    check(p.stdout == "", "-o: nothing on stdout")
    with open(out) as f:
        lines = f.read().splitlines()
    check(lines[0].split("\t") == COLUMNS, "tsv header")
    check(all(len(l.split("\t")) == len(COLUMNS) for l in lines[1:]),
          "tabs in values do not add tsv columns")
    check(len(lines) == 1 + 3 * len(METRICS), "tsv rows")

    p = export("tsv-spectrum", src)
    lines = p.stdout.splitlines()
    check(lines[0] == "case\trunner\tworkload\tconcurrency\tpercentile\tvalue_ns",
          "spectrum header: %r" % lines[0])
    check(len(lines) == 1 + 3 * len(docgen.PERCENTILES), "one row per spectrum point")
    first = lines[1].split("\t")
    check(first[1] == "serial" and first[3] == "1" and float(first[4]) == 0 and
          float(first[5]) > 0, "spectrum row: %s" % first)


def test_formula_injection():
    """Issue item 25: text a spreadsheet would run as a formula starts with a single quote."""
    hostile = ['=HYPERLINK("http://x","y")', "@SUM(1+1)", "+1", "-2", "\tx"]
    cases = [docgen.make_case(seed=200 + i, runner=r, n=3) for i, r in enumerate(hostile)]
    cases.append(docgen.make_case(seed=210, workload="=cmd|' /C calc'!A0", n=3,
                                  params={"note": "@x"}))
    doc = docgen.make_doc(cases)
    src = path("formula.json")
    docgen.write(doc, src)
    rows = list(csv.reader(io.StringIO(export("csv", src).stdout)))[1:]
    lines = [l.split("\t") for l in export("tsv", src).stdout.splitlines()[1:]]
    spectrum = [l.split("\t") for l in export("tsv-spectrum", src).stdout.splitlines()[1:]]
    ranking = [l.split("\t") for l in export("ranking", src).stdout.splitlines()[1:]]
    for table, what in ((rows, "csv"), (lines, "tsv"), (spectrum, "tsv-spectrum"),
                        (ranking, "ranking")):
        cells = [c for r in table for c in r]
        bad = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
        check(table and not bad, "%s: no cell starts a formula: %s" % (what, bad[:3]))
    runners = {r[1] for r in rows}
    check(runners == {"'" + h for h in hostile} | {"threads"},
          "csv: the text itself after the quote: %s" % sorted(runners))
    check({l[1] for l in lines} == {"'" + h.replace("\t", " ") for h in hostile} | {"threads"},
          "tsv: quoted, a tab a space: %s" % sorted({l[1] for l in lines}))
    check("'=cmd|' /C calc'!A0" in {r[2] for r in rows} and
          "note=@x" in {r[3] for r in rows}, "only a cell's first character counts")
    check(any(r[0].startswith("%3DHYPERLINK") for r in rows),
          "a case's key escapes '=' itself: %s" % [r[0] for r in rows][:2])


def ranked_doc():
    """Groups whose winners are known: cv 0 makes every repetition the median."""
    def case(seed, runner, c, tp, p99=200000.0, **kw):
        return docgen.make_case(seed=seed, runner=runner, concurrency=c, n=5, cv=0.0,
                                throughput=tp, latency_p50=p99 / 2, **kw)
    cases = [
        case(1, "serial", 1, 1000.0, p99=100000.0),
        case(2, "threads", 1, 950.0, p99=300000.0),
        case(3, "threads", 2, 1900.0, p99=250000.0),
        case(4, "threads", 4, 1900.0, p99=260000.0),   # as fast as c=2: c=2 is its best
        case(5, "processes", 2, 1800.0, p99=240000.0),
        case(6, "processes", 4, 1700.0, p99=400000.0),
        # another group: other parameters
        case(7, "threads", 2, 500.0, params={"iterations": 5000}),
        case(8, "serial", 1, 600.0, params={"iterations": 5000}),
        # every task at once against a pool, on a wait
        case(9, "eventloop", None, 8000.0, workload="io.sleep", params={"ms": 1}),
        case(10, "threads", 8, 7000.0, workload="io.sleep", params={"ms": 1}),
        # the same work pinned elsewhere is a group of its own
        case(11, "threads", 2, 1000.0, pin="list:0"),
        case(12, "threads", 2, 1100.0, pin="list:1"),
    ]
    # processes' median CI reaches threads': a tie in the first group.
    cases[4]["summary"]["throughput_per_s"]["ci_high"] = 1950.0
    cases[2]["summary"]["throughput_per_s"]["ci_low"] = 1850.0
    doc = docgen.make_doc(cases)
    pbtest.validate(doc, "ranking document")
    return doc


def test_ranking():
    doc = ranked_doc()
    src = path("ranking.json")
    docgen.write(doc, src)
    p = export("ranking", src)
    lines = p.stdout.splitlines()
    check(lines and lines[0].split("\t") == RANKING, "ranking header: %r" % lines[:1])
    rows = [dict(zip(RANKING, l.split("\t"))) for l in lines[1:]]
    check(all(len(l.split("\t")) == len(RANKING) for l in lines[1:]), "every row complete")
    check(len(rows) == 5, "five groups: %d" % len(rows))
    if len(rows) != 5:
        return
    g = rows[0]
    check(g["workload"] == "cpu.sumsq" and g["params"] == "iterations=1000" and
          g["load"] == "closed" and g["pin"] == "compact", "group identity: %s" % g)
    check(g["order"] == "threads,processes,serial" and g["runners"] == "3", "order: %s" % g)
    check(g["winner"] == "threads" and g["winner_case"] == doc["cases"][2]["id"] and
          g["winner_concurrency"] == "2", "winner threads at c=2 (the lower of equals): %s" % g)
    check(float(g["winner_throughput"]) == 1900.0 and g["winner_throughput_text"] == "1.9k/s",
          "winner's throughput: %s %s" % (g["winner_throughput"], g["winner_throughput_text"]))
    check(g["runner_up"] == "processes" and g["runner_up_concurrency"] == "2" and
          g["runner_up_throughput_text"] == "1.8k/s", "runner-up: %s" % g)
    check(abs(float(g["ratio"]) - 1900 / 1800) < 1e-9 and g["ratio_text"] == "1.06x",
          "ratio: %s" % g["ratio"])
    check(g["tie"] == "1", "overlapping median CIs tie")
    check(float(g["vs_serial"]) == 1.9 and g["vs_serial_text"] == "1.90x", "vs serial")
    check(g["lowest_p99_runner"] == "processes" and g["lowest_p99_case"] == doc["cases"][4]["id"],
          "lowest p99 of the concurrent runners (serial's is lower but left out): %s" % g)
    check(g["winner_latency_p99_text"].endswith(" us"), "p99 as text")
    g = rows[1]
    check(g["params"] == "iterations=5000" and g["winner"] == "serial" and g["tie"] == "0" and
          g["vs_serial"] == "" and g["runner_up"] == "threads", "serial wins: %s" % g)
    g = rows[2]
    check(g["workload"] == "io.sleep" and g["winner"] == "eventloop" and
          g["winner_concurrency"] == "" and g["runner_up_concurrency"] == "8" and
          g["vs_serial"] == "", "all at once wins, concurrency empty: %s" % g)
    check([r["pin"] for r in rows[3:]] == ["list:0", "list:1"] and
          all(r["runners"] == "1" and r["runner_up"] == "" and r["tie"] == "" and
              r["ratio"] == "" for r in rows[3:]), "pin groups apart, alone: %s" % rows[3:])

    # The tie rule (median CIs overlap), worked out from the table export.
    table = list(csv.DictReader(io.StringIO(export("tsv", src).stdout), delimiter="\t"))
    tp = {r["case"]: r for r in table if r["metric"] == "throughput"}
    for g in rows:
        win, second = tp[g["winner_case"]], tp.get(g["runner_up_case"])
        if second:
            check((float(win["ci_low"]) <= float(second["ci_high"])) == (g["tie"] == "1"),
                  "tie is the CI overlap: %s" % g)

    p = export("ranking", os.path.join(FIXTURES, "run.json"))
    rows = [dict(zip(RANKING, l.split("\t"))) for l in p.stdout.splitlines()[1:]]
    sumsq = [r for r in rows if r["workload"] == "cpu.sumsq"]
    check(len(rows) == 4 and len(sumsq) == 1 and sumsq[0]["order"] in
          ("threads,serial", "serial,threads"), "a document of the previous version: %s" % rows)


def test_previous_version():
    """A document written before typed results exports (ids are recomputed keys)."""
    src = os.path.join(FIXTURES, "run.json")
    rows = list(csv.DictReader(io.StringIO(export("csv", src).stdout)))
    cases = {r["case"] for r in rows}
    check("semaphore/null/crash_every=0/crash_mode=abort/fail_every=0/c=2/loops=2" in cases and
          "eventloop/io.sleep/ms=1/open:2000/s,poisson" in cases, "keys: %s" % cases)
    bytes_rows = [r for r in rows if r["metric"] == "bytes"]
    check(len(bytes_rows) == 1 and bytes_rows[0]["workload"] == "io.http" and
          bytes_rows[0]["median_text"].endswith("B/s"), "bytes/s where bytes moved")
    g = strict_json(export("gbench", src).stdout, "gbench of an old document")
    check(g is not None and len(g["benchmarks"]) == 6 * (3 + 4), "gbench rows")


def test_bad_usage():
    _, src = sample_doc(40)
    for args in (["export", src], ["export", "--format", "xml", src],
                 ["export", "--format", "csv"], ["export", "--format", "csv", src, src]):
        p = pbtest.run(args, expect=2)
        check(len(p.stderr.strip().splitlines()) == 1, "one line: %r" % p.stderr)
    p = export("csv", src, ["-o", os.path.join(TMP, "no", "such", "dir.csv")], expect=2)
    check("cannot create" in p.stderr, "unwritable output named: %r" % p.stderr)
    p = pbtest.run(["export", "--help"], expect=0)
    check("ranking" in p.stdout and "tie" in p.stdout, "--help describes ranking")


def test_real_runs():
    """Two real runs, exported and read by compare.py (the documents parbench writes)."""
    paths = []
    for k in range(2):
        doc, p = pbtest.run_doc(["-r", "serial,threads", "-w", "cpu.sumsq", "-c", "1,2",
                                 "-n", "20", "--repeat", "3", "-p", "n=20000"])
        if doc is None:
            return
        out = path("real%d.gbench.json" % k)
        src = path("real%d.json" % k)
        docgen.write(doc, src)
        p = export("gbench", src)
        if strict_json(p.stdout, "gbench export of a real run") is None:
            return
        with open(out, "w") as f:
            f.write(p.stdout)
        paths.append(out)
    p = subprocess.run([PYTHON, GBENCH_COMPARE, "--no-color", "benchmarks"] + paths,
                       capture_output=True, text=True, timeout=120)
    check(p.returncode == 0 and "threads/cpu.sumsq" in p.stdout,
          "compare.py on real runs\n%s\n%s" % (p.stdout, p.stderr))


def main():
    test_gbench()
    test_github_and_bmf()
    test_tables()
    test_formula_injection()
    test_ranking()
    test_previous_version()
    test_bad_usage()
    test_real_runs()
    pbtest.done()


if __name__ == "__main__":
    main()
