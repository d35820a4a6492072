"""End to end: -p key=v1,v2 sweeps a parameter as -c sweeps levels: one case per value (per
combination, the first -p fastest), distinct ids, quoted values with commas intact, and bad
lists refused with exit 2, one line and no document."""
import os
import tempfile

from pbtest import check, done, run, run_doc

# 2 runners x 2 levels x 2 values; serial runs once per value in a sweep: 6 cases
doc, p = run_doc(["-r", "serial,threads", "-w", "cpu.sumsq", "-c", "1,2", "-p", "n=1000,2000",
                  "-n", "20", "--repeat", "1"])
if doc:
    got = [(c["runner"], c["concurrency"], c["params"]["n"]) for c in doc["cases"]]
    want = [(r, c, n) for n in (1000, 2000) for r, c in
            (("serial", 1), ("threads", 1), ("threads", 2))]
    check(got == want, "the cases of the sweep, in order: %r" % got)
    ids = [c["id"] for c in doc["cases"]]
    check(len(set(ids)) == len(ids), "distinct ids: %r" % ids)
    check(all(("n=%d" % c["params"]["n"]) in c["id"] for c in doc["cases"]),
          "each id names its n: %r" % ids)
    for c in doc["cases"]:
        check(c["repetitions"][0]["tasks_ok"] == 20, c["id"] + ": 20 tasks ok")
# run_doc's --quiet keeps the console table; it names the swept value per row
p = run(["run", "-r", "threads", "-w", "cpu.sumsq", "-c", "1", "-p", "n=1000,2000", "-n", "20",
         "--repeat", "1", "--warmup", "0", "-o", os.devnull, "--quiet"], expect=0)
rows = [l.split() for l in p.stdout.splitlines()]
check(rows and rows[0][3] == "params" and [r[3] for r in rows[1:3]] == ["n=1000", "n=2000"],
      "the console's params column:\n" + p.stdout)

# two swept parameters: the cross product, the first -p varying fastest (as a suite's matrix)
doc, _ = run_doc(["-r", "serial", "-w", "io.http", "-p", "delay_ms=0,1", "-p", "size=100,200,300",
                  "-n", "5", "--repeat", "1", "--warmup", "0"])
if doc:
    got = [(c["params"]["delay_ms"], c["params"]["size"]) for c in doc["cases"]]
    want = [(d, s) for s in (100, 200, 300) for d in (0, 1)]
    check(got == want, "delay_ms x size, delay_ms fastest: %r" % got)
    check(len({c["id"] for c in doc["cases"]}) == 6, "6 distinct ids")

# a quoted value keeps its comma and reaches the workload: io.file writes into that directory
with tempfile.TemporaryDirectory() as d:
    odd = os.path.join(d, "a,b")
    os.mkdir(odd)
    doc, _ = run_doc(["-r", "serial", "-w", "io.file", "-p", "size=1Ki", "-p", "dir='%s'" % odd,
                      "-n", "5", "--repeat", "1", "--warmup", "0"])
    if doc:
        check(len(doc["cases"]) == 1 and doc["cases"][0]["params"]["dir"] == odd,
              "dir='%s' is one value, unquoted: %r" % (odd, [c["params"] for c in doc["cases"]]))
        check(doc["cases"][0]["repetitions"][0]["tasks_ok"] == 5, "io.file ran in " + odd)
    # and an unquoted one splits into two directories, of which the first does not exist
    p = run(["run", "-r", "serial", "-w", "io.file", "-p", "dir=" + odd, "-n", "5", "--repeat",
             "1", "-o", os.path.join(d, "x.json"), "--quiet"])
    check(p.returncode == 2 and "'%s' is not writable" % odd.split(",")[0] in p.stderr,
          "dir=%s unquoted is two values, %s first: %r" % (odd, odd.split(",")[0], p.stderr))

# bad lists: exit 2, one line naming -p, the key and the text, no document
BAD = [
    ("n=1,,2", "-p n: '1,,2' has an empty item"),
    ("n=1,", "-p n: '1,' has an empty item"),
    ("n=,1", "-p n: ',1' has an empty item"),
    ("n=", "parameter 'n': '' is not an integer"),  # as before sweeps: the type judges ""
    ("n='1000", "-p n: ''1000' has an unterminated ' quote"),
    ("n=1000,2000,1000", "-p n: value '1000' is given twice in '1000,2000,1000'"),
    ("n=1000,1k", "-p n: '1000' and '1k' are the same value in '1000,1k'"),
    ("n=1000,abc", "parameter 'n': 'abc' is not an integer"),
    ("n=1000,0", "parameter 'n': '0' is out of range"),
]
with tempfile.TemporaryDirectory() as d:
    out = os.path.join(d, "r.json")
    for arg, needle in BAD:
        p = run(["run", "-r", "threads", "-w", "cpu.sumsq", "-c", "1", "-n", "5", "--repeat", "1",
                 "-p", arg, "-o", out, "--quiet"], expect=2)
        lines = p.stderr.strip().splitlines()
        check(len(lines) == 1 and needle in lines[0],
              "-p %s: one line naming %r, got %r" % (arg, needle, p.stderr))
        check(p.stdout == "" and not os.path.exists(out), "-p %s: no document, no table" % arg)
    # --url stays one value, commas and all (the embedded target is not asked; preflight is)
    p = run(["run", "-r", "serial", "-w", "io.http", "--url", "http://127.0.0.1:1/a,b", "-n", "1",
             "--repeat", "1", "-o", out, "--quiet"])
    check("http://127.0.0.1:1/a,b " in p.stderr, "--url keeps its comma: %r" % p.stderr)

done()
