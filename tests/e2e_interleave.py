"""End to end: --interleave. Every case's repetitions carry rounds 1..K, each round's order is a
permutation of its cases, a seed gives the same order again and is recorded; --isolate with it
is bad usage (exit 2, one line); the paired speed-up is the median of the per-round ratios the
test recomputes from the repetitions; a suite's "interleave" key does the same, and
--no-interleave overrides it; cases with different repeat counts drop out of later rounds."""
import json
import os
import statistics
import tempfile

from pbtest import case, check, done, run, run_doc

REPEAT = 4
ARGS = ["-r", "serial,threads", "-w", "cpu.sumsq", "-c", "2", "-p", "n=20000", "-n", "20",
        "--repeat", str(REPEAT), "--warmup", "1"]


def orders(doc):
    """{round: [(order, case id)]} over every case's repetitions."""
    by = {}
    for c in doc["cases"]:
        for r in c["repetitions"]:
            by.setdefault(r.get("round"), []).append((r.get("order"), c["id"]))
    return {k: sorted(v) for k, v in by.items()}


def check_rounds(doc, name, repeats):
    """Case i (by id) has rounds 1..repeats[id]; each round's orders are 1..its case count."""
    for c in doc["cases"]:
        rounds = [r.get("round") for r in c["repetitions"]]
        check(rounds == list(range(1, repeats[c["id"]] + 1)),
              "%s %s: rounds 1..%d in order: %s" % (name, c["id"], repeats[c["id"]], rounds))
        check(c["complete"] is True and c["warmups"] == 1,
              "%s %s: complete, its warm-up run" % (name, c["id"]))
    for k, placed in orders(doc).items():
        want = sum(1 for n in repeats.values() if n >= k)
        check([o for o, _ in placed] == list(range(1, want + 1)),
              "%s round %s: orders are a permutation of 1..%d: %s" % (name, k, want, placed))


# Rounds, orders and the recorded seed.
doc, _ = run_doc(ARGS + ["--interleave", "--interleave-seed", "12345"])
if doc:
    check(doc["settings"].get("interleave") is True and
          doc["settings"].get("interleave_seed") == 12345,
          "the settings record the interleaving and its seed: %s" % doc["settings"])
    check_rounds(doc, "--interleave", {c["id"]: REPEAT for c in doc["cases"]})

    # The paired speed-up: the median of the per-round ratios, and its interval among them.
    serial, threads = case(doc, "serial"), case(doc, "threads")
    base = {r["round"]: r["throughput_per_s"] for r in serial["repetitions"] if r["complete"]}
    ratios = sorted(r["throughput_per_s"] / base[r["round"]] for r in threads["repetitions"]
                    if r["complete"] and r["round"] in base)
    sp = threads.get("speedup", {})
    check(sp.get("paired") is True and sp.get("pairs") == len(ratios) == REPEAT,
          "the speed-up is paired over %d rounds: %s" % (REPEAT, sp))
    check(abs(sp.get("value", 0) - statistics.median(ratios)) <= 1e-6 * statistics.median(ratios),
          "the speed-up is the median of the per-round ratios: %s vs %s" %
          (sp.get("value"), statistics.median(ratios)))
    # Four samples reach no 95% by order statistics: the interval is their range (stats.c).
    check(abs(sp.get("ci_low", 0) - ratios[0]) <= 1e-6 * ratios[0] and
          abs(sp.get("ci_high", 0) - ratios[-1]) <= 1e-6 * ratios[-1],
          "the interval is the ratios' range: [%s, %s] vs %s" %
          (sp.get("ci_low"), sp.get("ci_high"), ratios))
    check(abs(sp.get("efficiency", 0) - sp.get("value", 0) / 2) < 1e-6,
          "efficiency is the paired speed-up per worker: %s" % sp)

    # The same seed, the same orders; a sequential run has no rounds and an unpaired speed-up.
    again, _ = run_doc(ARGS + ["--interleave", "--interleave-seed", "12345"])
    if again:
        check(orders(again) == orders(doc), "the same seed gives the same order: %s vs %s" %
              (orders(again), orders(doc)))

# A merge of two interleaved runs pairs too: each run's round k with its own round k.
with tempfile.TemporaryDirectory() as tmp:
    paths = [os.path.join(tmp, "m%d.json" % i) for i in range(3)]
    for i, path in enumerate(paths[:2]):
        run(["run"] + ARGS + ["--interleave", "--interleave-seed", str(i), "-o", path,
                              "--quiet"], expect=0)
    run(["merge", "-o", paths[2]] + paths[:2], expect=0)
    merged = {"cases": []}
    if check(all(os.path.exists(p) for p in paths), "two interleaved runs, merged"):
        with open(paths[2]) as f:
            merged = json.load(f)
    ratios = []
    for path in paths[:2] if merged["cases"] else []:
        with open(path) as f:
            one = json.load(f)
        base = {r["round"]: r["throughput_per_s"] for r in case(one, "serial")["repetitions"]}
        ratios += [r["throughput_per_s"] / base[r["round"]]
                   for r in case(one, "threads")["repetitions"]]
    sp = (case(merged, "threads") or {}).get("speedup", {}) if ratios else {}
    med = statistics.median(ratios) if ratios else float("nan")
    check(sp.get("paired") is True and sp.get("pairs") == 2 * REPEAT and
          abs(sp.get("value", 0) - med) <= 1e-6 * med,
          "merged: paired over both runs' rounds, the median of their ratios: %s vs %s" %
          (sp, med))

# Over several seeds the order changes (a fixed order would pass the checks above).
seen = set()
for seed in range(8):
    d, _ = run_doc(ARGS + ["--repeat", "2", "--interleave", "--interleave-seed", str(seed)])
    if d:
        seen.add(json.dumps(orders(d)))
check(len(seen) > 1, "different seeds give different orders: %d distinct of 8" % len(seen))

# Without a seed one is drawn, and recorded.
d, _ = run_doc(ARGS + ["--interleave"])
if d:
    check(isinstance(d["settings"].get("interleave_seed"), int),
          "a drawn seed is recorded: %s" % d["settings"])

seq, _ = run_doc(ARGS)
if seq:
    check(seq["settings"].get("interleave") is False and "interleave_seed" not in seq["settings"],
          "sequential: interleave false, no seed: %s" % seq["settings"])
    check(all("round" not in r for c in seq["cases"] for r in c["repetitions"]),
          "sequential repetitions carry no round")
    sp = case(seq, "threads").get("speedup", {})
    check(sp.get("paired") is False and "pairs" not in sp,
          "a sequential speed-up is unpaired: %s" % sp)

# Bad usage: exit 2, one line.
for extra, what in ((["--interleave", "--isolate"], "--isolate"),
                    (["--interleave-seed", "3"], "needs --interleave"),
                    (["--interleave", "--interleave-seed", "-1"], "--interleave-seed")):
    p = run(["run"] + ARGS + extra + ["-o", "/dev/null"], expect=2)
    lines = p.stderr.strip().splitlines()
    check(len(lines) == 1 and what in lines[0],
          "%s: one line naming %s: %r" % (" ".join(extra), what, p.stderr))

# A suite: "interleave": true at the top; a group with fewer repetitions drops out of later
# rounds; --no-interleave runs it in order; with --isolate it is bad usage.
with tempfile.TemporaryDirectory() as tmp:
    suite = os.path.join(tmp, "s.json")
    with open(suite, "w") as f:
        json.dump({"name": "il", "interleave": True, "warmup": 1, "tasks": 20,
                   "groups": [{"runners": ["serial", "threads"], "concurrency": 2,
                               "workload": "cpu.sumsq", "params": {"n": 20000}, "repeat": 3},
                              {"runners": ["threads"], "concurrency": 2, "workload": "null",
                               "repeat": 1}]}, f)
    d, _ = run_doc(["--suite", suite, "--interleave-seed", "9"])
    if d:
        check(d["settings"].get("interleave") is True, "the suite's key interleaves")
        check_rounds(d, "suite", {c["id"]: 1 if c["workload"] == "null" else 3
                                  for c in d["cases"]})
    d, _ = run_doc(["--suite", suite, "--no-interleave"])
    if d:
        check(d["settings"].get("interleave") is False and
              all("round" not in r for c in d["cases"] for r in c["repetitions"]),
              "--no-interleave overrides the suite")
    p = run(["run", "--suite", suite, "--isolate", "-o", "/dev/null"], expect=2)
    check(len(p.stderr.strip().splitlines()) == 1 and "--no-interleave" in p.stderr,
          "a suite that interleaves with --isolate: one line suggesting --no-interleave: %r" %
          p.stderr)
    with open(suite, "w") as f:
        json.dump({"interleave": "yes", "groups": [{"runners": ["serial"], "workload": "null"}]},
                  f)
    p = run(["run", "--suite", suite, "-o", "/dev/null"], expect=2)
    check("interleave" in p.stderr and "true or false" in p.stderr,
          "a suite's interleave must be a boolean: %r" % p.stderr)

done()
