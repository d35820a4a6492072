"""End-to-end tests of the regression gate of parbench compare on synthesised documents whose
truth is known (tests/docgen.py): paired rounds see a shift through a drift that hides it from an
unpaired test; A/A false alarms stay under alpha family-wise, over one look and over five;
sequential looks are replayed at alpha 6/(pi^2 k^2) / family; busy pairs are dropped; --noisy,
--junit and --summary; bad usage."""
import json
import math
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import docgen  # noqa: E402
import pbtest  # noqa: E402
from pbtest import binomial_upper, check, compare_json  # noqa: E402

TMP = tempfile.mkdtemp(prefix="pb-e2e-gate-")
ALPHA = 0.05
_validated = set()  # the names pair() has validated documents of


def path(name):
    return os.path.join(TMP, name)


def pair(name, base_cases, new_cases):
    """Writes BASE and NEW documents; returns their paths."""
    b, n = path(name + "-base.json"), path(name + "-new.json")
    first = name not in _validated  # the first documents of each kind are valid documents
    _validated.add(name)
    for p, cases in ((b, base_cases), (n, new_cases)):
        doc = docgen.make_doc(cases)
        if first:
            pbtest.validate(doc, "synthesised document %s" % p)
        with open(p, "w") as f:
            json.dump(doc, f, separators=(",", ":"))  # compact: it is quicker
    return b, n


def row(out, case, metric="throughput"):
    rows = [c for c in out["comparisons"] if c["case"] == case and c["metric"] == metric]
    check(len(rows) == 1, "one %s row of %s: %s" % (metric, case, [c["case"] for c in rows]))
    return rows[0] if rows else {}


def close(a, b, rel=1e-9):
    return a is not None and b is not None and abs(a - b) <= rel * max(abs(a), abs(b))


def one_line_usage(args, what=""):
    """args must be refused: exit 2, one line on stderr (naming what), nothing on stdout."""
    p = pbtest.run(args, expect=2)
    err = p.stderr.strip().splitlines()
    check(len(err) == 1 and what in err[0],
          "%s: one line on stderr%s: %r" % (" ".join(args), " naming " + what if what else "",
                                            p.stderr))
    check(p.stdout == "", "%s: nothing on stdout: %r" % (" ".join(args), p.stdout[:200]))


def test_paired_sees_through_drift():
    """A 5% loss under a 10% round-to-round drift shared by both sides: the per-round ratios show
    it (regression, exit 1), the two samples side by side do not (undecided: the drift hides
    it). The threshold is 2% so that a 5% estimate is clearly beyond it."""
    for seed in (1, 2, 3):
        base, new = docgen.paired_cases(seed=seed, n=12, drift=0.10, cv=0.01, shift=0.95)
        b, n = pair("drift%d" % seed, [base], [new])
        name = base["id"]
        out = compare_json(["--threshold", "2", b, n], expect=1)
        r = row(out, name)
        check(r.get("verdict") == "regression" and r.get("method") == "wilcoxon" and
              r.get("paired") is True and r.get("n_base") == 12 and r.get("pairs") == 12 and
              r.get("busy_pairs") == 0 and r.get("test") == "exact",
              "seed %d, paired (auto): a regression by the exact Wilcoxon test on 12 pairs: %s" %
              (seed, r))
        check(r.get("ci_low", 0) > 0.93 and r.get("ci_high", 1) < 0.97 and
              abs(r.get("ratio", 0) - 0.95) < 0.01,
              "seed %d: the paired interval is tight about 0.95: %s" % (seed, r))
        check(out.get("regression") is True and out["counts"].get("regression") == 1 and
              out.get("family") == 1, "seed %d: counts %s family %s" %
              (seed, out.get("counts"), out.get("family")))
        paired_width = r.get("ci_high", 0) - r.get("ci_low", 0)
        out = compare_json(["--threshold", "2", "--paired", b, n], expect=1)
        check(row(out, name).get("verdict") == "regression", "--paired: the same regression")
        out = compare_json(["--threshold", "2", "--unpaired", b, n], expect=0)
        r = row(out, name)
        check(r.get("verdict") == "undecided" and r.get("method") == "mann-whitney" and
              r.get("paired") is False and r.get("n_base") == 12 and r.get("n_new") == 12 and
              isinstance(r.get("need"), int) and r["need"] > 12,
              "seed %d, --unpaired: the drift hides the loss (undecided, need > 12): %s" %
              (seed, r))
        check(r.get("ci_high", 0) - r.get("ci_low", 0) > 3 * paired_width,
              "seed %d: the unpaired interval is far wider than the paired one: %s" % (seed, r))
        check(out.get("regression") is False and out["counts"].get("undecided") == 1,
              "seed %d --unpaired: counts %s" % (seed, out.get("counts")))
    p = pbtest.run(["compare", "--threshold", "2", b, n], expect=1)
    rows = [l for l in p.stdout.splitlines() if l.startswith(name + " ") and " throughput " in l]
    check(len(rows) == 1 and "REGRESSION" in rows[0] and " 12 " in rows[0],
          "text: a REGRESSION row with n 12 (pairs)\n%s" % p.stdout)
    check("paired: Wilcoxon signed-rank test" in p.stdout, "the footer names the paired test")
    p = pbtest.run(["compare", "--threshold", "2", "--unpaired", b, n], expect=0)
    rows = [l for l in p.stdout.splitlines() if l.startswith(name + " ") and " throughput " in l]
    check(len(rows) == 1 and "undecided (need ~" in rows[0] and " per side)" in rows[0] and
          "12/12" in rows[0], "text --unpaired: undecided (need ~N per side), n 12/12\n%s" %
          p.stdout)


def aa_family(name, seed, rounds):
    """An A/A pair of documents of 9 cases (9 gated throughputs), each of the given rounds with
    a shared 10% drift and 1% noise of its own; their paths."""
    base, new = [], []
    for i in range(9):
        b, n = docgen.paired_cases(seed=seed + i, n=rounds, drift=0.10, cv=0.01,
                                   runner="threads", concurrency=i + 1)
        base.append(b)
        new.append(n)
    return pair(name, base, new)


def test_aa_false_alarms():
    """Identical distributions, paired: 9 cases (9 gated comparisons) of 12 rounds each, 200
    seeds. Without a threshold the test alone decides, so the runs with any gated change are
    the family-wise error rate: at most alpha, up to binomial chance. Uncorrected (alpha per
    comparison) it would be about 37%. With the default 5% threshold and 1% noise every gated
    comparison is unchanged: the whole interval lies inside +-5% (checked on every 4th seed, to
    keep the test quick)."""
    seeds = 200
    alarms = alarms_default = all_unchanged = 0
    first_bad = None
    start = time.monotonic()
    for seed in range(seeds):
        b, n = aa_family("aa", 10000 + 9 * seed, rounds=12)
        # Only the gated metric is compared: the others would not change the family.
        for args, default in ((["--threshold", "0"], False), ([], True)):
            if default and seed % 4:
                continue
            args = ["--metric", "throughput"] + args
            out = compare_json(args + [b, n], expect=None)
            gated = [c for c in out["comparisons"] if c["gated"]]
            if len(gated) != 9 or out.get("family") != 9 or \
                    any(c["method"] != "wilcoxon" for c in gated):
                first_bad = first_bad or (seed, args, out.get("family"), gated[:1])
                continue
            alarm = any(c["verdict"] in ("regression", "improvement") for c in gated)
            if default:
                alarms_default += alarm
                all_unchanged += all(c["verdict"] == "unchanged" for c in gated)
            else:
                alarms += alarm
    check(first_bad is None, "every A/A run: 9 gated paired comparisons, family 9: %s" %
          (first_bad,))
    bound = binomial_upper(seeds, ALPHA)
    check(alarms <= bound, "A/A paired, threshold 0: %d of %d runs with a gated change "
          "(at most %d for alpha %g)" % (alarms, seeds, bound, ALPHA))
    check(alarms_default <= binomial_upper(seeds // 4, ALPHA),
          "A/A paired, defaults: %d of %d runs with a gated change" % (alarms_default, seeds // 4))
    check(all_unchanged == seeds // 4, "A/A paired, cv 1%%, threshold 5%%: every gated "
          "comparison unchanged in %d of %d runs" % (all_unchanged, seeds // 4))
    print("A/A paired: %d/%d runs alarmed at threshold 0 (bound %d); at the defaults %d/%d "
          "alarmed, %d all unchanged; %.1f s" % (alarms, seeds, bound, alarms_default, seeds // 4,
                                                 all_unchanged, time.monotonic() - start))


def test_sequential_false_alarms():
    """Sequential stopping keeps the rate: A/A, 9 cases of 28 rounds, 150 seeds, each compared
    with --looks 10,13,17,22,28 at threshold 0 (so nothing is ever called unchanged and every
    look is taken): the runs with a gated change at any look stay within alpha, up to binomial
    chance. Testing each look at the whole alpha / family instead would alarm in about 2.5
    times as many runs."""
    seeds, alarms, looks_used = 150, 0, set()
    for seed in range(seeds):
        b, n = aa_family("seq-aa", 50000 + 9 * seed, rounds=28)
        out = compare_json(["--metric", "throughput", "--threshold", "0",
                            "--looks", "10,13,17,22,28", b, n], expect=None)
        gated = [c for c in out["comparisons"] if c["gated"]]
        alarms += any(c["verdict"] in ("regression", "improvement") for c in gated)
        looks_used.update(c["look"] for c in gated if c["verdict"] == "undecided")
    check(looks_used == {5}, "every undecided comparison went through all 5 looks: %s" %
          looks_used)
    bound = binomial_upper(seeds, ALPHA)
    check(alarms <= bound, "A/A paired over 5 looks: %d of %d runs with a gated change (at "
          "most %d for alpha %g)" % (alarms, seeds, bound, ALPHA))
    print("A/A paired over 5 looks: %d/%d runs alarmed (bound %d)" % (alarms, seeds, bound))


def crafted(seed, log_ratios, **kw):
    """A base and a new case of len(log_ratios) rounds without noise of their own: round k's
    throughput ratio new/base is exactly exp(log_ratios[k-1]) under a shared drift."""
    f = docgen.round_factors(seed, len(log_ratios), 0.10)
    base = docgen.make_case(seed=2 * seed, n=len(f), cv=0.0, rounds=True, factors=f, **kw)
    new = docgen.make_case(seed=2 * seed + 1, n=len(f), cv=0.0, rounds=True,
                           factors=[x * math.exp(d) for x, d in zip(f, log_ratios)], **kw)
    return base, new


def test_sequential_looks():
    """--looks 10,13,17 over 17 rounds, 3 gated comparisons: look k is at
    gamma_k = alpha 6/(pi^2 k^2) / 3. A: every ratio about -11%: decided at look 1 on 10 pairs.
    B: two small positives (ranks 1 and 3 of |log r|) among -10% ones, so T+ = 4: the exact
    two-sided p is 14/1024 = 0.0137 at 10 pairs (> gamma_1 = 0.0101) and 14/8192 = 0.0017 at 13
    (< gamma_2 = 0.0025): decided at look 2 on 13. C: a +3% centre with +-8% spread: undecided
    at the last look, needing more than the 17 pairs it had."""
    big = [-0.10 - 0.002 * k for k in range(17)]
    a_lr = [-0.11 + 0.001 * k for k in range(17)]
    b_lr = [0.005, -0.01, 0.015] + big[:7] + big[7:10] + big[10:14]
    # (no two |log r| tie, none is 0: the exact test applies)
    c_lr = [0.03 + 0.08 * (((7 * k) % 17) - 8) / 8.0 + 0.0007 * k for k in range(17)]
    ca = crafted(300, a_lr, runner="threads", concurrency=2)
    cb = crafted(301, b_lr, runner="processes", concurrency=2)
    cc = crafted(302, c_lr, runner="serial", concurrency=1)
    b, n = pair("looks", [ca[0], cb[0], cc[0]], [ca[1], cb[1], cc[1]])
    out = compare_json(["--looks", "10,13,17", b, n], expect=1)
    check_against_reference(out, [ca, cb, cc])
    check(out.get("looks") == [10, 13, 17] and out.get("family") == 3,
          "looks and family in JSON: %s %s" % (out.get("looks"), out.get("family")))
    ra, rb, rc = row(out, ca[0]["id"]), row(out, cb[0]["id"]), row(out, cc[0]["id"])
    check(ra.get("verdict") == "regression" and ra.get("look") == 1 and ra.get("n_base") == 10
          and ra.get("n_new") == 10 and ra.get("pairs") == 17,
          "A decided at look 1 on 10 of its 17 pairs: %s" % ra)
    check(rb.get("verdict") == "regression" and rb.get("look") == 2 and rb.get("n_base") == 13,
          "B decided at look 2 on 13 pairs: %s" % rb)
    check(close(rb.get("p"), 14 / 8192.0), "B's exact p at 13 pairs is 14/8192: %s" % rb.get("p"))
    check(rc.get("verdict") == "undecided" and rc.get("look") == 3 and rc.get("n_base") == 17 and
          isinstance(rc.get("need"), int) and rc["need"] > 17,
          "C undecided at look 3 on 17 pairs, need > 17: %s" % rc)
    for c in out["comparisons"]:
        k = c.get("look")
        if not check(isinstance(k, int) and 1 <= k <= 3, "a look 1..3: %s" % c):
            continue
        gamma = ALPHA * 6 / (math.pi ** 2 * k * k) / 3
        check(close(c["level_alpha"], gamma),
              "%s %s: level_alpha %s at look %d, expected alpha 6/(pi^2 k^2)/family = %s" %
              (c["case"], c["metric"], c["level_alpha"], k, gamma))
        check(close(c["p_adjusted"], min(1.0, c["p"] * ALPHA / gamma)),
              "p_adjusted = min(1, p alpha / level_alpha): %s" % c)
        check(c["ci_level"] >= 1 - c["level_alpha"] - 1e-9 or c["verdict"] == "undecided",
              "a decided comparison's interval is at its look's level: %s" % c)
    # Without looks all 17 pairs are seen at once at alpha / 3: B decides there too.
    out = compare_json([b, n], expect=1)
    r = row(out, cb[0]["id"])
    check(r.get("look") == 1 and r.get("n_base") == 17 and close(r.get("level_alpha"), ALPHA / 3),
          "one look without --looks: 17 pairs at alpha/3: %s" % r)
    p = pbtest.run(["compare", "--looks", "10,13,17", b, n], expect=1)
    rows = [l for l in p.stdout.splitlines() if l.startswith(cc[0]["id"] + " ") and
            " throughput " in l]
    check(len(rows) == 1 and ("undecided (need ~%d pairs)" % rc.get("need", -1)) in rows[0],
          "text: C undecided (need ~N pairs)\n%s" % p.stdout)
    check("looks at 10, 13, 17 pairs" in p.stdout, "the footer names the looks\n%s" % p.stdout)


# ---- reference statistics, computed here from the definitions, for exact tests without ties ----

def _wsr_counts(n):
    """How many subsets of the ranks 1..n sum to each T+."""
    c = [1]
    for i in range(1, n + 1):
        c = [a + b for a, b in zip(c + [0] * i, [0] * i + c)]
    return c


def _mwu_counts(m, n, memo={}):
    """How many arrangements of m against n values give each U."""
    if m == 0 or n == 0:
        return [1]
    if (m, n) not in memo:
        a, b = _mwu_counts(m - 1, n), _mwu_counts(m, n - 1)
        out = [0] * (m * n + 1)
        for u, v in enumerate(a):
            out[u + n] += v
        for u, v in enumerate(b):
            out[u] += v
        memo[(m, n)] = out
    return memo[(m, n)]


def _critical(counts, q):
    """The largest k with P(X <= k) <= q, -1 when none."""
    total, cum, k = sum(counts), 0, -1
    for i, v in enumerate(counts):
        cum += v
        if cum / total > q:
            break
        k = i
    return k


def _median(v):
    v = sorted(v)
    return (v[(len(v) - 1) // 2] + v[len(v) // 2]) / 2


def reference_paired(d, gamma):
    """Exact two-sided Wilcoxon p and the paired Hodges-Lehmann estimate and interval (Walsh
    averages W(k+1)..W(M-k), k the critical value for gamma/2) of the log ratios d, as ratios."""
    n = len(d)
    counts = _wsr_counts(n)
    ranks = {i: r + 1 for r, i in enumerate(sorted(range(n), key=lambda i: abs(d[i])))}
    t = sum(ranks[i] for i in range(n) if d[i] > 0)
    t = min(t, n * (n + 1) // 2 - t)
    p = min(1.0, 2 * sum(counts[:t + 1]) / 2.0 ** n)
    w = sorted((d[i] + d[j]) / 2 for i in range(n) for j in range(i, n))
    k = _critical(counts, gamma / 2)
    lo, hi = (w[k], w[-k - 1]) if k >= 0 else (w[0], w[-1])
    return p, math.exp(_median(w)), math.exp(lo), math.exp(hi)


def reference_unpaired(x, y, gamma):
    """Exact two-sided Mann-Whitney p and the Hodges-Lehmann ratio y/x with its interval
    (D(k+1)..D(mn-k) of the log differences)."""
    counts = _mwu_counts(len(x), len(y))
    u = sum(1 for a in x for b in y if b > a)
    p = min(1.0, 2 * min(sum(counts[:u + 1]), sum(counts[u:])) / sum(counts))
    d = sorted(math.log(b) - math.log(a) for a in x for b in y)
    k = _critical(counts, gamma / 2)
    lo, hi = (d[k], d[-k - 1]) if k >= 0 else (d[0], d[-1])
    return p, math.exp(_median(d)), math.exp(lo), math.exp(hi)


def check_against_reference(out, pairs, paired=True):
    """Each (base case, new case)'s throughput row against the reference at the row's own level
    and sample count."""
    for base, new in pairs:
        r = row(out, base["id"])
        if not r.get("p"):
            continue
        xb = [x["throughput_per_s"] for x in base["repetitions"]]
        xn = [x["throughput_per_s"] for x in new["repetitions"]]
        if paired:
            k = r["n_base"]
            want = reference_paired([math.log(b / a) for a, b in zip(xb[:k], xn[:k])],
                                    r["level_alpha"])
        else:
            want = reference_unpaired(xb, xn, r["level_alpha"])
        got = (r["p"], r["ratio"], r["ci_low"], r["ci_high"])
        check(r["test"] == "exact" and all(close(g, w, 1e-9) for g, w in zip(got, want)),
              "%s: p, ratio, interval %s; the definitions give %s" % (base["id"], got, want))


def test_busy_pairs():
    """A pair where either repetition ran on a busy machine is dropped; more than half of the
    pairs dropped: busy. Neither side alone has a majority of busy repetitions, so only the
    pairing can say so."""
    base, new = docgen.paired_cases(seed=400, n=12, shift=0.9, new_busy=[0, 3, 7],
                                    base_busy=[3, 5])
    b, n = pair("busy-few", [base], [new])
    out = compare_json([b, n], expect=1)
    r = row(out, base["id"])
    check(r.get("busy_pairs") == 4 and r.get("pairs") == 12 and r.get("n_base") == 8 and
          r.get("verdict") == "regression",
          "4 busy pairs (one busy on both sides) dropped, 8 decide: %s" % r)
    for base_busy, new_busy, verdict, code in (([0, 1, 2], [3, 4, 5], "regression", 1),
                                               ([0, 1, 2, 3], [4, 5, 6], "busy", 0)):
        base, new = docgen.paired_cases(seed=401, n=12, shift=0.9, new_busy=new_busy,
                                        base_busy=base_busy)
        b, n = pair("busy-half", [base], [new])
        out = compare_json([b, n], expect=code)
        r = row(out, base["id"])
        busy = len(set(base_busy) | set(new_busy))
        check(r.get("busy_pairs") == busy and r.get("verdict") == verdict,
              "%d of 12 pairs busy: %s, expected %s: %s" % (busy, r.get("verdict"), verdict, r))
        if verdict == "busy":
            check(all(c["verdict"] == "busy" for c in out["comparisons"]) and
                  out["counts"].get("busy") == 1 and out["reported_counts"].get("busy") == 4,
                  "every metric busy; counts %s reported %s" %
                  (out.get("counts"), out.get("reported_counts")))
            check(r.get("p") is None and r.get("need") is None, "busy: no p, no need: %s" % r)
            junit = path("busy.xml")
            p = pbtest.run(["compare", "--junit", junit, b, n], expect=0)
            root = pbtest.junit_check(junit, "compare --junit of a busy case")
            cases = root.findall(".//testcase") if root is not None else []
            check(len(cases) == 1 and cases[0].find("skipped") is not None and
                  cases[0].find("failure") is None, "JUnit: the busy comparison is skipped")
            check("not measurable here (machine busy)" in p.stdout and
                  "gated: 0 regressions, 0 improvements, 0 unchanged, 0 undecided, "
                  "1 not measurable here (machine busy)" in p.stdout,
                  "text says busy:\n" + p.stdout)


def test_invalid():
    """A value <= 0 has no ratio: invalid, paired or not; a gated invalid decides nothing and is
    skipped in JUnit."""
    for paired in (False, True):
        if paired:
            base, new = docgen.paired_cases(seed=450, n=12)
        else:
            base, new = docgen.make_case(seed=451), docgen.make_case(seed=452)
        new["repetitions"][2]["throughput_per_s"] = 0.0
        b, n = pair("invalid-%s" % paired, [base], [new])
        junit = path("invalid.xml")
        out = compare_json(["--junit", junit, b, n], expect=0)
        r = row(out, base["id"])
        check(r.get("verdict") == "invalid" and r.get("gated") is True and
              r.get("p") is None and r.get("need") is None and out["counts"].get("invalid") == 1
              and r.get("method") == ("wilcoxon" if paired else "mann-whitney"),
              "paired %s: a throughput of 0 is invalid: %s" % (paired, r))
        root = pbtest.junit_check(junit, "compare --junit of an invalid comparison")
        cases = root.findall(".//testcase") if root is not None else []
        check(len(cases) == 1 and cases[0].find("skipped") is not None,
              "JUnit: the invalid comparison is skipped")
        p = pbtest.run(["compare", b, n], expect=0)
        check(any(" throughput " in l and l.endswith("n/a (value <= 0)")
                  for l in p.stdout.splitlines()), "text: n/a (value <= 0)\n%s" % p.stdout)


def test_noisy():
    """--noisy FILE: the listed cases are reported (verdict noisy), not gated, out of the
    family; '#' lines are comments and only the first tab-separated field is a key."""
    cs = [docgen.make_case(seed=500 + i, runner=r, concurrency=c, cv=0.02,
                           throughput=10000.0 * (0.9 if i == 0 else 1.0))
          for i, (r, c) in enumerate([("threads", 2), ("processes", 2), ("serial", 1)])]
    base = [docgen.make_case(seed=510 + i, runner=c["runner"], concurrency=c["concurrency"],
                             cv=0.02) for i, c in enumerate(cs)]
    b, n = pair("noisy", base, cs)
    keys = [c["id"] for c in base]
    out = compare_json([b, n], expect=1)
    check(out.get("family") == 3 and row(out, keys[0]).get("verdict") == "regression" and
          out.get("noisy") == [], "without --noisy: family 3, the first case a regression")
    noisy = path("noisy.tsv")
    with open(noisy, "w") as f:
        f.write("# case\tcv\tnote (written by ci-regress --calibrate)\n")
        f.write("%s\t0.081\ttoo noisy at 5%%\n" % keys[0])
        f.write("# %s\n" % keys[1])
        f.write("\n")
        f.write("not-a-case\t%s\n" % keys[2])
    out = compare_json(["--noisy", noisy, b, n], expect=0)
    check(out.get("noisy") == [keys[0], "not-a-case"],
          "the keys read: first fields, no comments: %s" % out.get("noisy"))
    check(out.get("family") == 2, "the noisy case leaves the family: %s" % out.get("family"))
    rows = [c for c in out["comparisons"] if c["case"] == keys[0]]
    check(len(rows) == 5 and all(c["verdict"] == "noisy" and c["gated"] is False for c in rows),
          "the noisy case's rows: noisy, not gated: %s" %
          [(c["metric"], c["verdict"], c["gated"]) for c in rows])
    check(all(c["gated"] for c in out["comparisons"]
              if c["case"] != keys[0] and c["metric"] == "throughput"),
          "the commented and second-field cases stay gated")
    check(out["counts"].get("noisy") == 0 and out["reported_counts"].get("noisy") == 5 and
          out["counts"].get("regression") == 0 and out.get("regression") is False,
          "counts %s reported %s" % (out.get("counts"), out.get("reported_counts")))
    r = row(out, keys[1])
    check(close(r.get("level_alpha"), ALPHA / 2), "the others are tested at alpha/2: %s" % r)
    p = pbtest.run(["compare", "--noisy", noisy, b, n], expect=0)
    lines = [l for l in p.stdout.splitlines() if l.startswith(keys[0] + " ")]
    check(len(lines) == 5 and all("too noisy to gate (not gated)" in l for l in lines),
          "text: too noisy to gate (not gated)\n%s" % p.stdout)
    one_line_usage(["compare", "--noisy", path("no-such-noisy.tsv"), b, n], "no-such-noisy.tsv")


EVIL = 'x<&"y'


def junit_docs():
    """Three gated comparisons: a regression whose key holds XML's markup characters, an
    undecided one (3 repetitions a side), an unchanged one."""
    reg = docgen.make_case(seed=600, cv=0.02, params={"tag": EVIL})
    reg_new = docgen.make_case(seed=601, cv=0.02, params={"tag": EVIL}, throughput=9000.0)
    few = docgen.make_case(seed=602, runner="processes", n=3)
    few_new = docgen.make_case(seed=603, runner="processes", n=3)
    same = docgen.make_case(seed=604, runner="serial", concurrency=1, cv=0.01)
    same_new = docgen.make_case(seed=605, runner="serial", concurrency=1, cv=0.01)
    b, n = pair("junit", [reg, few, same], [reg_new, few_new, same_new])
    return b, n, reg["id"], few["id"], same["id"]


def test_junit():
    b, n, reg, few, same = junit_docs()
    check(EVIL in reg, "the key keeps the markup characters: %s" % reg)
    out = compare_json([b, n], expect=1)
    with open(b) as f, open(n) as g:
        check_against_reference(out, zip(json.load(f)["cases"], json.load(g)["cases"]),
                                paired=False)
    v = {c["case"]: c["verdict"] for c in out["comparisons"] if c["gated"]}
    check(v == {reg: "regression", few: "undecided", same: "unchanged"},
          "the three gated verdicts: %s" % v)
    junit = path("compare.xml")
    p = pbtest.run(["compare", "--junit", junit, b, n], expect=1)
    check("REGRESSION" in p.stdout, "the table still goes to stdout")
    root = pbtest.junit_check(junit, "compare --junit")
    if root is None:
        return
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    cases = [t for s in suites for t in s.findall("testcase")]
    check(len(cases) == out.get("family") == 3, "a testcase per gated comparison: %d, family %s"
          % (len(cases), out.get("family")))
    check(all(t.get("name") == "throughput" for t in cases), "each named by its metric")
    fails = [t for t in cases if t.find("failure") is not None]
    skips = [t for t in cases if t.find("skipped") is not None]
    check(len(fails) == 1 and fails[0].get("classname") == reg,
          "one failure, classname the regression's key: %s" % [t.get("classname") for t in fails])
    check(len(skips) == 1 and skips[0].get("classname") == few,
          "the undecided comparison skipped: %s" % [t.get("classname") for t in skips])
    check(sorted(t.get("classname") for t in cases) == sorted([reg, few, same]),
          "classnames are the case keys: %s" % [t.get("classname") for t in cases])
    totals = suites[0].attrib if suites else {}
    check(totals.get("tests") == "3" and totals.get("failures") == "1" and
          totals.get("skipped") == "1", "testsuite totals: %s" % totals)
    if fails:
        msg = fails[0].find("failure").get("message", "")
        check("REGRESSION" in msg, "the failure's message says what: %r" % msg)
    with open(junit) as f:
        raw = f.read()
    check('x&lt;&amp;&quot;y' in raw and EVIL not in raw,
          "the key's '<&\"' are escaped in the file")
    # Undecided and busy are skipped, unchanged passes, --paired/--unpaired do not matter here.
    check(not any(t.find("skipped") is not None or t.find("failure") is not None
                  for t in cases if t.get("classname") == same), "unchanged: a plain pass")
    # A file where its directory should be: it cannot be written (a missing directory is made).
    p = pbtest.run(["compare", "--junit", os.path.join(b, "compare.xml"), b, n])
    err = p.stderr.strip().splitlines()
    check(p.returncode == 3 and len(err) == 1 and "--junit" in err[0],
          "an unwritable --junit: exit 3, one line: %d %r" % (p.returncode, p.stderr))


MD_HEAD = ["case", "metric", "n", "base", "new", "change", "interval", "p adj", "verdict"]


def test_summary():
    b, n, reg, few, same = junit_docs()
    summary = path("step-summary.md")
    earlier = "## Build\n\nbuilt in 42 s\n\n"
    with open(summary, "w") as f:
        f.write(earlier)
    md = pbtest.run(["compare", "--format", "md", b, n], expect=1).stdout
    p = pbtest.run(["compare", "--summary", summary, b, n], expect=1)
    check(not p.stdout.startswith("### parbench compare"), "stdout keeps the text table")
    with open(summary) as f:
        text = f.read()
    check(text.startswith(earlier), "what the summary held is kept: %r" % text[:80])
    check(text == earlier + md, "the Markdown form is appended as --format md writes it")
    out = compare_json([b, n], expect=1)
    tables = [t for t in pbtest.markdown_tables(text) if t and t[0] == MD_HEAD]
    check(len(tables) == 1, "one verdict table with header %s in %s" %
          (MD_HEAD, [t[0] for t in pbtest.markdown_tables(text) if t]))
    if tables:
        rows = tables[0][1:]
        check(len(rows) == len(out["comparisons"]) == 15,
              "one row per comparison: %d rows, %d comparisons" %
              (len(rows), len(out["comparisons"])))
        check(all(len(r) == 9 for r in rows), "9 cells a row: %s" % [len(r) for r in rows])
        check([r[0] for r in rows] == [c["case"] for c in out["comparisons"]] and
              [r[1] for r in rows] == [c["metric"] for c in out["comparisons"]],
              "the case and metric cells are the comparisons', markup included: %s" %
              [r[0] for r in rows][:3])
        verdicts = {(r[0], r[1]): r[8] for r in rows}
        check(verdicts.get((reg, "throughput")) == "REGRESSION" and
              verdicts.get((same, "throughput")) == "unchanged" and
              verdicts.get((few, "throughput"), "").startswith("undecided (need ~") and
              verdicts.get((same, "latency_p50"), "").endswith("(not gated)"),
              "verdict cells: %s" % verdicts)
    pbtest.run(["compare", "--summary", summary, b, n], expect=1)
    with open(summary) as f:
        check(f.read() == earlier + md + md, "a second run appends again")
    # The CI form: JSON on stdout, the Markdown in the step summary all the same.
    json_summary = path("json-summary.md")
    p = pbtest.run(["compare", "--json", "--summary", json_summary, b, n], expect=1)
    with open(json_summary) as f:
        check(p.stdout.lstrip().startswith("{") and f.read() == md,
              "--json --summary: JSON on stdout, the Markdown form in the summary")
    p = pbtest.run(["compare", "--summary", os.path.join(b, "summary.md"), b, n])
    err = p.stderr.strip().splitlines()
    check(p.returncode == 3 and len(err) == 1 and "--summary" in err[0],
          "an unwritable --summary: exit 3, one line: %d %r" % (p.returncode, p.stderr))


def test_gate_selection():
    """--gate auto: throughput everywhere, latency_p99 too for I/O workloads; --gate LIST
    gates those metrics everywhere instead."""
    wls = ["cpu.sumsq", "io.sleep", "io.http", "io.file"]
    base = [docgen.make_case(seed=700 + i, workload=w, params={}) for i, w in enumerate(wls)]
    new = [docgen.make_case(seed=710 + i, workload=w, params={}) for i, w in enumerate(wls)]
    b, n = pair("gate", base, new)
    out = compare_json([b, n], expect=0)
    gated = sorted((c["workload"], c["metric"]) for c in out["comparisons"] if c["gated"])
    expect = sorted([(w, "throughput") for w in wls] +
                    [(w, "latency_p99") for w in wls if w.startswith("io.")])
    check(gated == expect and out.get("family") == 7, "auto gating: %s, family %s" %
          (gated, out.get("family")))
    out = compare_json(["--gate", "latency_p50,service_p99", b, n], expect=0)
    gated = sorted((c["workload"], c["metric"]) for c in out["comparisons"] if c["gated"])
    check(gated == sorted([(w, m) for w in wls for m in ("latency_p50", "service_p99")]) and
          out.get("family") == 8, "--gate latency_p50,service_p99: %s" % gated)
    # A 20% latency loss on a CPU workload: reported, not gated, unless gated by name.
    lat = [docgen.make_case(seed=720, cv=0.02)]
    lat_new = [docgen.make_case(seed=721, cv=0.02, latency_p50=200000.0 * 1.2)]
    b, n = pair("gate-lat", lat, lat_new)
    out = compare_json([b, n], expect=0)
    r = row(out, lat[0]["id"], "latency_p50")
    check(r.get("verdict") == "regression" and r.get("gated") is False and
          out["reported_counts"].get("regression", 0) >= 1 and
          out["counts"].get("regression") == 0 and out.get("regression") is False,
          "a latency_p50 regression of a CPU workload is reported only: %s" % r)
    out = compare_json(["--gate", "latency_p50", b, n], expect=1)
    check(row(out, lat[0]["id"], "latency_p50").get("gated") is True and
          row(out, lat[0]["id"]).get("gated") is False and out.get("family") == 1,
          "--gate latency_p50: it alone gates, and fails")


def test_bad_usage():
    base, new = docgen.paired_cases(seed=800, n=12)
    b, n = pair("usage", [base], [new])
    ub, un = pair("usage-unpaired", [docgen.make_case(seed=801)], [docgen.make_case(seed=802)])
    for args, what in ((["--looks", "10,5"], "10,5"), (["--looks", "x"], "'x'"),
                       (["--looks", "10,10"], "10,10"), (["--looks", "0"], "'0'"),
                       (["--looks", ""], ""),
                       (["--gate", "nosuch"], "nosuch"), (["--gate", ""], ""),
                       (["--paired", "--looks"], "")):
        one_line_usage(["compare"] + args + [b, n], what)
    one_line_usage(["compare", "--paired", ub, un], "--paired")
    pbtest.run(["compare", "--unpaired", b, n], expect=0)


def main():
    start = time.monotonic()
    test_paired_sees_through_drift()
    test_sequential_looks()
    test_busy_pairs()
    test_invalid()
    test_noisy()
    test_junit()
    test_summary()
    test_gate_selection()
    test_bad_usage()
    test_aa_false_alarms()
    test_sequential_false_alarms()
    print("e2e_gate: %.1f s" % (time.monotonic() - start))
    pbtest.done()


if __name__ == "__main__":
    main()
