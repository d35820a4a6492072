"""End-to-end: running part of a plan (run --cases FILE, what scripts/ci-regress asks for the
cases still undecided) and numbering merged inputs as rounds (merge --rounds, so that compare
can pair a job's base and new rounds)."""
import json
import os
import tempfile

import pbtest
from pbtest import check, done, run

ARGS = ["-r", "serial,threads", "-w", "null", "-c", "2", "-n", "10", "--repeat", "1",
        "--warmup", "0", "--quiet"]


def one_line(p, code, needle, what):
    lines = p.stderr.strip().splitlines()
    check(p.returncode == code and len(lines) == 1 and needle in lines[0],
          "%s: exit %d (expected %d), one line naming %r: %r" %
          (what, p.returncode, code, needle, p.stderr))


def run_to(path, extra=()):
    """parbench run ARGS into path; the document read back and validated."""
    run(["run"] + ARGS + list(extra) + ["-o", path], expect=0)
    with open(path) as f:
        doc = json.load(f)
    pbtest.validate(doc, path)
    return doc


def test_cases(d):
    full = run_to(os.path.join(d, "full.json"))
    ids = [c["id"] for c in full["cases"]]
    check(len(ids) == 2, "two cases in the plan: %s" % ids)
    keep = [i for i in ids if i.startswith("threads/")]
    listed = os.path.join(d, "ids")
    with open(listed, "w") as f:
        f.write("\n" + keep[0] + "\n\n")
    part = run_to(os.path.join(d, "part.json"), ["--cases", listed])
    check([c["id"] for c in part["cases"]] == keep, "only the listed case ran: %s" %
          [c["id"] for c in part["cases"]])
    with open(listed, "w") as f:
        f.write("threads/nope/c=2\n")
    one_line(run(["run"] + ARGS + ["--cases", listed, "-o", os.path.join(d, "x.json")]), 2,
             "threads/nope/c=2", "an id the plan lacks")
    with open(listed, "w") as f:
        f.write("\n")
    one_line(run(["run"] + ARGS + ["--cases", listed, "-o", os.path.join(d, "x.json")]), 2,
             "names no case", "an empty list")
    one_line(run(["run"] + ARGS + ["--cases", os.path.join(d, "missing"), "-o", os.path.join(d, "x.json")]),
             2, "missing", "a missing file")
    check(not os.path.exists(os.path.join(d, "x.json")), "refused before any work: no document")


def test_rounds(d):
    paths = []
    for k in range(3):
        paths.append(os.path.join(d, "round-%d.json" % k))
        run_to(paths[-1])
    out = os.path.join(d, "merged.json")
    run(["merge", "--rounds", "-o", out] + paths, expect=0)
    with open(out) as f:
        doc = json.load(f)
    pbtest.validate(doc, "merge --rounds")
    for c in doc["cases"]:
        reps = c["repetitions"]
        check([r.get("round") for r in reps] == [1, 2, 3] and
              all("order" not in r for r in reps),
              "%s: each input a round, in order, without an order within it: %s" %
              (c["id"], [(r.get("round"), r.get("order")) for r in reps]))
    # Without --rounds the repetitions stay sequential.
    run(["merge", "-o", out] + paths, expect=0)
    with open(out) as f:
        doc = json.load(f)
    check(all("round" not in r for c in doc["cases"] for r in c["repetitions"]),
          "a plain merge numbers no rounds")


with tempfile.TemporaryDirectory() as tmp:
    test_cases(tmp)
    test_rounds(tmp)
done()
