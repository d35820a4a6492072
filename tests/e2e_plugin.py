"""End to end: plug-ins. The example zlib workload under every built-in runner and the example
OpenMP runner with built-in workloads (its pinning read back); --plugin, PARBENCH_PLUGINS and a
suite's "plugins"; list; bad plug-ins refused in one line before any work; a crashing plug-in
task under process workers; compare's warning on different builds; the installed header and
pkg-config file building the examples out of tree for the installed binary; the binary's
exports against the header."""
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile

import pbtest
from pbtest import case, check, done, run, run_doc

SOURCE = os.path.abspath(pbtest.SOURCE_DIR)
BUILD = os.path.abspath(os.environ.get("PB_BUILD_DIR", os.path.join(SOURCE, "build")))
PARBENCH = os.path.abspath(pbtest.PARBENCH)
ZLIB = os.path.join(BUILD, "examples", "plugins", "zlib.so")
OPENMP = os.path.join(BUILD, "examples", "plugins", "openmp.so")
INCLUDE = os.path.join(SOURCE, "include")
BUILTIN_RUNNERS = ["serial", "threads", "processes", "eventloop", "semaphore"]
SIZE = 4096

TMP = tempfile.mkdtemp(prefix="pb-e2e-plugin-")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def cc(name, source, extra=(), cflags=None):
    """Compiles source (C text) into TMP/name.so; its path, or None (a failed check)."""
    src = os.path.join(TMP, name + ".c")
    out = os.path.join(TMP, name + ".so")
    with open(src, "w") as f:
        f.write(source)
    cmd = ["cc", "-shared", "-fPIC"] + (cflags or ["-I" + INCLUDE]) + [src, "-o", out] + \
        list(extra)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if not check(p.returncode == 0, "%s: %s\n%s" % (name, " ".join(cmd), p.stderr)):
        return None
    return out


def reps(doc):
    for c in doc["cases"]:
        for rep in c["repetitions"]:
            yield c, rep


def bytes_match(rep, tasks, size):
    """The document records bytes as bytes_per_s over wall_s: their product is bytes moved."""
    if "bytes_per_s" not in rep:
        return False
    moved = rep["bytes_per_s"] * rep["wall_s"]
    return abs(moved - tasks * size) <= 1e-6 * tasks * size + 1


# ---- zlib under every built-in runner, openmp beside them -----------------------------------
TASKS = 100
doc, _ = run_doc(["-r", ",".join(BUILTIN_RUNNERS + ["openmp"]), "-w", "zlib", "-c", "1,2",
                  "-p", "size=4Ki", "-n", str(TASKS), "--repeat", "1", "--warmup", "0",
                  "--plugin", ZLIB, "--plugin", OPENMP])
SANITIZER = doc["tool"]["sanitizer"] if doc else "none"
if doc:
    runners = sorted({c["runner"] for c in doc["cases"]})
    check(runners == sorted(BUILTIN_RUNNERS + ["openmp"]), "zlib ran under %s" % runners)
    for c, rep in reps(doc):
        name = "zlib %s c=%s" % (c["runner"], c["concurrency"])
        check(c["complete"] and c["workload"] == "zlib", name + ": complete")
        check(rep["tasks_ok"] == TASKS and rep["tasks_failed"] == 0,
              "%s: %d ok, got %d ok %d failed %s" % (name, TASKS, rep["tasks_ok"],
                                                      rep["tasks_failed"], rep["failures"]))
        check(bytes_match(rep, TASKS, SIZE), "%s: bytes %s/s x %s s = %d x %d" %
              (name, rep.get("bytes_per_s"), rep["wall_s"], TASKS, SIZE))
        check("bytes_per_s" in rep, name + ": bytes recorded")
        check(rep["workload"].get("compressed_bytes", 0) > 0, name + ": zlib's report kept")
        check(c.get("workload_kind") == "cpu", name + ": workload_kind %s" % c.get("workload_kind"))
    plugins = {p["name"]: p for p in doc.get("plugins", [])}
    check(sorted(plugins) == ["openmp", "zlib"], "both plug-ins recorded: %s" % list(plugins))
    for name, path, rs, ws in (("zlib", ZLIB, [], ["zlib"]), ("openmp", OPENMP, ["openmp"], [])):
        p = plugins.get(name)
        if not p:
            continue
        check(p["path"] == os.path.realpath(path), "%s: path %s" % (name, p["path"]))
        check(p["sha256"] == sha256(path), "%s: sha256 of the file" % name)
        check(p["runners"] == rs and p["workloads"] == ws,
              "%s: runners %s workloads %s" % (name, p["runners"], p["workloads"]))
        check(p["version"] == "1.0.0", "%s: version %s" % (name, p["version"]))

# ---- openmp with built-in workloads: its workers are pinned as the plan says ---------------
for wl, params in (("cpu.sumsq", ["-p", "n=2000"]), ("null", [])):
    doc, _ = run_doc(["-r", "openmp", "-w", wl, "-c", "2", "--pin", "compact", "-n", "100",
                      "--repeat", "2", "--warmup", "0", "--plugin", OPENMP] + params)
    if not doc:
        continue
    c = case(doc, "openmp", wl, 2)
    if not c:
        continue
    plan = c["pin"]["plan"]
    check(c["workers"] == 2 and len(plan) == 2, "openmp %s: 2 workers, plan %s" % (wl, plan))
    if doc["host"]["pu_count"] >= 2:
        check(plan == [[0], [1]], "openmp %s: compact plan on 2 PUs is [0],[1]: %s" % (wl, plan))
    for rep in c["repetitions"]:
        check(rep["tasks_ok"] == 100 and rep["tasks_failed"] == 0,
              "openmp %s: 100 ok, got %d" % (wl, rep["tasks_ok"]))
        workers = rep["placement"]["workers"]
        check(sum(w["tasks"] for w in workers) == 100, "openmp %s: tasks add up" % wl)
        for w in workers:
            check(w["cpuset"] == plan[w["worker"]],
                  "openmp %s: worker %d given %s, plan %s" % (wl, w["worker"], w["cpuset"],
                                                              plan[w["worker"]]))
            check(set(w["cpus_seen"]) <= set(w["cpuset"]),
                  "openmp %s: worker %d ran on %s only, saw %s" %
                  (wl, w["worker"], w["cpuset"], w["cpus_seen"]))

# ---- openmp refuses an open loop or a duration ----------------------------------------------
for opt in (["-n", "100", "--rate", "100"], ["--duration", "1s"]):
    out = os.path.join(TMP, "refused.json")
    p = run(["run", "-r", "openmp", "-w", "null", "--plugin", OPENMP, "-o", out] + opt,
            expect=2)
    lines = p.stderr.strip().splitlines()
    check(len(lines) == 1 and "openmp" in lines[0] and "closed loop" in lines[0],
          "openmp %s: one line: %s" % (opt, p.stderr))
    check(not os.path.exists(out), "openmp %s: no document" % opt)

# ---- list shows the plug-in's path; PARBENCH_PLUGINS loads the same -------------------------
for how, args, env in (("--plugin", ["--plugin", ZLIB], None),
                       ("PARBENCH_PLUGINS", [], {"PARBENCH_PLUGINS": ZLIB + ":" + OPENMP})):
    p = run(["list"] + args, env=env, expect=0)
    line = [l for l in p.stdout.splitlines() if re.match(r"\s*zlib\s", l)]
    check(line and "(plug-in %s)" % os.path.realpath(ZLIB) in line[0],
          "list %s: zlib with its path: %s" % (how, line))
    p = run(["list", "--json"] + args, env=env, expect=0)
    try:
        listed = json.loads(p.stdout)
    except ValueError:
        listed = {"runners": [], "workloads": []}
        check(False, "list --json %s: not JSON: %s" % (how, p.stdout))
    wls = {w["name"]: w for w in listed["workloads"]}
    check("zlib" in wls and wls["zlib"]["plugin"] == os.path.realpath(ZLIB),
          "list --json %s: zlib's plugin %s" % (how, wls.get("zlib", {}).get("plugin")))
    check(wls.get("null", {}).get("plugin", 0) is None, "list --json %s: null is built in" % how)
    rns = {r["name"]: r for r in listed["runners"]}
    check(rns.get("threads", {}).get("plugin", 0) is None,
          "list --json %s: threads is built in" % how)
    if env:
        check(rns.get("openmp", {}).get("plugin") == os.path.realpath(OPENMP),
              "list --json PARBENCH_PLUGINS: openmp's plugin %s" % rns.get("openmp"))

doc, _ = run_doc(["-r", "openmp,threads", "-w", "zlib", "-c", "2", "-p", "size=4Ki", "-n", "50",
                  "--repeat", "1", "--warmup", "0"],
                 env={"PARBENCH_PLUGINS": ZLIB + ":" + OPENMP})
if doc:
    check(sorted(p["name"] for p in doc["plugins"]) == ["openmp", "zlib"],
          "PARBENCH_PLUGINS: both recorded")
    for c, rep in reps(doc):
        check(rep["tasks_ok"] == 50 and bytes_match(rep, 50, SIZE),
              "PARBENCH_PLUGINS %s: 50 ok, bytes" % c["runner"])

# ---- a suite's "plugins", relative to the suite file ----------------------------------------
suite_dir = os.path.join(TMP, "suite")
os.mkdir(suite_dir)
shutil.copy(ZLIB, os.path.join(suite_dir, "zlib.so"))
suite = os.path.join(suite_dir, "s.json")
with open(suite, "w") as f:
    json.dump({"plugins": ["zlib.so"], "repeat": 1, "warmup": 0, "groups": [
        {"runners": ["threads"], "concurrency": [2], "workload": "zlib",
         "params": {"size": SIZE}, "tasks": 50}]}, f)
here = os.getcwd()
os.chdir(TMP)  # the plug-in's path is the suite's, not the working directory's
doc, _ = run_doc(["--suite", suite])
os.chdir(here)
if doc:
    c = case(doc, "threads", "zlib", 2)
    check(c and c["repetitions"][0]["tasks_ok"] == 50, "suite: zlib ran")
    check([p["path"] for p in doc["plugins"]] == [os.path.realpath(os.path.join(suite_dir,
                                                                                 "zlib.so"))],
          "suite: the plug-in beside the suite recorded: %s" % doc["plugins"])

# ---- bad plug-ins: exit 2, one line naming the file and the problem, no document ------------
WL = """#include <parbench/parbench.h>
static enum pb_status run(void *w, uint64_t i, uint64_t *b) { (void)w; (void)i; (void)b; return PB_OK; }
static const struct pb_workload_ops wl = {.name = "%s", .run = run};
static const struct pb_workload_ops *const wls[] = {&wl};
"""
text = os.path.join(TMP, "text.so")
with open(text, "w") as f:
    f.write("this is not a shared object\n")
longtext = os.path.join(TMP, "longtext.so")  # long enough for an ELF header: a wrong one
with open(longtext, "w") as f:
    f.write("this is not a shared object either\n" * 100)
bad = [
    ("missing file", os.path.join(TMP, "absent.so"), ["No such file"]),
    ("not a shared object", text, ["cannot load"]),
    ("not a shared object (long)", longtext, ["cannot load", "ELF"]),
    ("no symbol", cc("nosym", "int pb_test_nothing(void) { return 1; }\n"),
     ["no symbol parbench_plugin"]),
    ("wrong ABI", cc("abi", WL % "abi.test" +
                     "__attribute__((visibility(\"default\"))) const struct pb_plugin "
                     "parbench_plugin = {.abi = 999, .name = \"abi\", .version = \"1\", "
                     ".workloads = wls, .nworkloads = 1};\n"),
     ["999", "ABI 1"]),
    ("built-in name", cc("dupnull", WL % "null" + 'PB_PLUGIN("dupnull", "1", NULL, 0, wls, 1);\n'),
     ["workload 'null'", "built-in"]),
    ("unexported symbol", cc("internal", """#include <parbench/parbench.h>
struct pb_plan;
extern void pb_plan_init(struct pb_plan *p);
static enum pb_status run(void *w, uint64_t i, uint64_t *b)
{ (void)i; (void)b; pb_plan_init(w); return PB_OK; }
static const struct pb_workload_ops wl = {.name = "internal", .run = run};
static const struct pb_workload_ops *const wls[] = {&wl};
PB_PLUGIN("internal", "1", NULL, 0, wls, 1);
"""), ["pb_plan_init"]),
]
dupzlib = cc("dupzlib", WL % "zlib" + 'PB_PLUGIN("dupzlib", "1", NULL, 0, wls, 1);\n')
for what, path, words in bad + [("name of another plug-in", dupzlib, ["workload 'zlib'",
                                                                     os.path.realpath(ZLIB)])]:
    if not path:
        continue
    out = os.path.join(TMP, "bad.json")
    pre = ["--plugin", ZLIB] if path == dupzlib else []
    for how, args, env in (("--plugin", ["--plugin", path], None),
                           ("PARBENCH_PLUGINS", [], {"PARBENCH_PLUGINS": path})):
        p = run(["run"] + pre + args + ["-r", "threads", "-w", "null", "-n", "10", "-o", out],
                env=env, expect=2)
        lines = p.stderr.strip().splitlines()
        check(len(lines) == 1, "%s (%s): one line on stderr, got:\n%s" % (what, how, p.stderr))
        msg = lines[0] if lines else ""
        check(path in msg, "%s (%s): the message names %s: %s" % (what, how, path, msg))
        for w in words:
            check(w in msg, "%s (%s): the message says %r: %s" % (what, how, w, msg))
        check(not os.path.exists(out), "%s (%s): no document written" % (what, how))
        check(p.stdout == "", "%s (%s): nothing ran: %s" % (what, how, p.stdout))
    # list refuses it the same way
    p = run(["list"] + pre + ["--plugin", path], expect=2)
    check(len(p.stderr.strip().splitlines()) == 1 and path in p.stderr,
          "%s: list refuses it in one line: %s" % (what, p.stderr))

# ---- a plug-in task that kills its process worker -------------------------------------------
crasher = cc("crasher", """#include <stdlib.h>
#include <parbench/parbench.h>
static enum pb_status run(void *w, uint64_t i, uint64_t *b)
{ (void)w; (void)b; if ((i + 1) %% 10 == 0) abort(); return PB_OK; }
static const struct pb_workload_ops wl = {.name = "crasher", .run = run};
static const struct pb_workload_ops *const wls[] = {&wl};
PB_PLUGIN("crasher", "1", NULL, 0, wls, 1);
""".replace("%%", "%"))
if crasher:
    # as tests/e2e_failures.py's crash_every: 5 of 50 crash, the other 45 complete
    for c in ("1", "2"):
        doc, _ = run_doc(["-r", "processes", "-w", "crasher", "-c", c, "-n", "50",
                          "--repeat", "1", "--warmup", "0", "--max-errors", "5",
                          "--plugin", crasher], expect=0)
        if not doc:
            continue
        rep = case(doc, "processes")["repetitions"][0]
        check(rep["tasks_ok"] == 45, "crasher c=%s: 45 ok, got %d" % (c, rep["tasks_ok"]))
        check(rep["failures"].get("crash") == 5, "crasher c=%s: 5 crashes: %s" %
              (c, rep["failures"]))
        workers = rep["placement"]["workers"]
        check(any("signal 6" in w.get("last_failure", "") for w in workers),
              "crasher c=%s: SIGABRT named: %s" % (c, [w.get("last_failure") for w in workers]))
        if c == "1":
            check(workers[0]["replaced"] == 4, "crasher c=1: 4 replacements, got %d" %
                  workers[0]["replaced"])
    # one more crash than allowed fails the run, which still completes
    doc, _ = run_doc(["-r", "processes", "-w", "crasher", "-c", "2", "-n", "50", "--repeat", "1",
                      "--warmup", "0", "--max-errors", "4", "--plugin", crasher], expect=1)
    if doc:
        rep = case(doc, "processes")["repetitions"][0]
        check(doc["complete"] and rep["failures"].get("crash") == 5 and rep["tasks_ok"] == 45,
              "crasher beyond --max-errors: completed, 5 crashes: %s" % rep["failures"])
check(pbtest.leftovers() == [], "no parbench process left: %s" % pbtest.leftovers())

# ---- installed, out of tree: the header and pkg-config build the examples -------------------
prefix = os.path.join(TMP, "prefix")
p = subprocess.run(["cmake", "--install", BUILD, "--prefix", prefix], capture_output=True,
                   text=True, timeout=120)
check(p.returncode == 0, "cmake --install: %s%s" % (p.stdout, p.stderr))
installed = os.path.join(prefix, "bin", "parbench")
outside = os.path.join(TMP, "outside")
os.mkdir(outside)
check(not os.path.realpath(outside).startswith(SOURCE + os.sep), "builds outside the source")
pc = subprocess.run(["pkg-config", "--cflags", "parbench"], capture_output=True, text=True,
                    env=dict(os.environ, PKG_CONFIG_PATH=os.path.join(prefix, "share",
                                                                      "pkgconfig")))
incdirs = [os.path.realpath(f[2:]) for f in pc.stdout.split() if f.startswith("-I")]
check(pc.returncode == 0 and os.path.realpath(os.path.join(prefix, "include")) in incdirs,
      "pkg-config --cflags parbench names the installed include: %s %s" % (pc.stdout, pc.stderr))
cflags = ["-O2", "-Wall", "-Wextra", "-Werror"] + pc.stdout.split()
oot = {}
for name, src, extra in (("zlib", "zlib_workload.c", ["-lz"]),
                         ("openmp", "openmp_runner.c", ["-fopenmp"])):
    shutil.copy(os.path.join(SOURCE, "examples", "plugins", src), outside)
    with open(os.path.join(outside, src)) as f:
        text_src = f.read()
    if name == "zlib":  # a different build of the same plug-in, for compare below
        text_src = text_src.replace('PB_PLUGIN("zlib", "1.0.0"', 'PB_PLUGIN("zlib", "1.0.1"')
        check('"1.0.1"' in text_src, "zlib copy: version changed")
    if name == "openmp" and SANITIZER == "thread":
        # Under TSan the runner is instrumented too, so that its team's stacks show libgomp
        # beneath them, which tests/tsan.supp's libgomp entry needs to recognise them.
        print("TSan build: the out-of-tree openmp.so is built with -fsanitize=thread as well")
        extra = extra + ["-fsanitize=thread"]
    oot[name] = cc(os.path.join("outside", name), text_src, extra=extra, cflags=cflags)
if os.path.exists(installed) and oot.get("zlib") and oot.get("openmp"):
    saved = pbtest.PARBENCH
    pbtest.PARBENCH = installed
    doc, _ = run_doc(["-r", "threads,openmp", "-w", "zlib", "-c", "2", "-p", "size=4Ki",
                      "-n", "50", "--repeat", "1", "--warmup", "0",
                      "--plugin", oot["zlib"], "--plugin", oot["openmp"]])
    pbtest.PARBENCH = saved
    if doc:
        for c, rep in reps(doc):
            check(rep["tasks_ok"] == 50 and bytes_match(rep, 50, SIZE),
                  "installed parbench, out-of-tree plug-ins, %s: 50 ok" % c["runner"])
        got = {p["name"]: p for p in doc["plugins"]}
        check(got.get("zlib", {}).get("version") == "1.0.1" and
              got["zlib"]["sha256"] == sha256(oot["zlib"]) and
              got["zlib"]["path"] == os.path.realpath(oot["zlib"]),
              "out-of-tree zlib recorded: %s" % got.get("zlib"))
        check(got.get("openmp", {}).get("sha256") == sha256(oot["openmp"]),
              "out-of-tree openmp recorded: %s" % got.get("openmp"))

# the installed binary runs the installed Python worker (share/parbench/python), not the tree's
if os.path.exists(installed):
    saved = pbtest.PARBENCH
    pbtest.PARBENCH = installed
    doc, _ = run_doc(["-r", "py.serial", "-w", "null", "-n", "20", "--repeat", "1", "--warmup",
                      "0"])
    pbtest.PARBENCH = saved
    if doc:
        py = doc["cases"][0]["repetitions"][0]["workload"].get("python", {})
        check(os.path.realpath(py.get("package", "")) == os.path.realpath(
            os.path.join(prefix, "share", "parbench", "python", "parbench_py")),
            "the installed parbench uses the installed parbench_py: %s" % py.get("package"))

# ---- compare warns on different builds of a plug-in, and only then --------------------------
docs = {}
for tag, path in (("a", ZLIB), ("b", ZLIB), ("oot", oot.get("zlib"))):
    if not path:
        continue
    out = os.path.join(TMP, "cmp-%s.json" % tag)
    run(["run", "-r", "threads", "-w", "zlib", "-c", "2", "-p", "size=4Ki", "-n", "100",
         "--repeat", "2", "--warmup", "0", "--plugin", path, "-o", out, "--quiet"], expect=0)
    if os.path.exists(out):
        docs[tag] = out
check(sorted(docs) == ["a", "b", "oot"], "compare: three documents written: %s" % sorted(docs))
if "a" in docs and "b" in docs:
    p = run(["compare", docs["a"], docs["b"]])
    check(p.returncode in (0, 1) and "plug-in" not in p.stdout + p.stderr,
          "compare, same build: no plug-in warning:\n%s%s" % (p.stdout, p.stderr))
if "a" in docs and "oot" in docs:
    p = run(["compare", docs["a"], docs["oot"]])
    lines = [l for l in (p.stdout + p.stderr).splitlines() if "different builds of plug-in zlib"
             in l]
    check(p.returncode in (0, 1) and len(lines) == 1 and "1.0.0" in lines[0] and
          "1.0.1" in lines[0], "compare, different builds: one warning:\n%s%s" %
          (p.stdout, p.stderr))
    p = run(["compare", "--json", docs["a"], docs["oot"]])
    try:
        warnings = json.loads(p.stdout)["warnings"]
    except (ValueError, KeyError):
        warnings = []
    check(any("different builds of plug-in zlib" in w for w in warnings),
          "compare --json: the warning listed: %s" % warnings)
if "a" in docs:
    # a document without the plug-in: it "ran only in" the other
    out = os.path.join(TMP, "cmp-none.json")
    run(["run", "-r", "threads", "-w", "null", "-c", "2", "-n", "100", "--repeat", "2",
         "--warmup", "0", "-o", out, "--quiet"], expect=0)
    p = run(["compare", "--allow-disjoint", docs["a"], out])
    check("plug-in zlib ran only in the base document" in p.stdout + p.stderr,
          "compare: plug-in only in base:\n%s%s" % (p.stdout, p.stderr))

# ---- merge keeps every plug-in build its inputs ran, and says when they differ -------------
if "a" in docs and "oot" in docs:
    out = os.path.join(TMP, "merged.json")
    p = run(["merge", docs["a"], docs["oot"], "-o", out])
    if check(p.returncode == 0 and os.path.exists(out), "merge: %s" % p.stderr):
        with open(out) as f:
            merged = json.load(f)
        builds = sorted((x["name"], x["version"]) for x in merged.get("plugins", []))
        check(builds == [("zlib", "1.0.0"), ("zlib", "1.0.1")], "merge: both builds: %s" % builds)
        check(any("different builds of plug-in zlib" in w for w in merged["warnings"]),
              "merge: warns of the two builds: %s" % merged["warnings"])
        pbtest.validate(merged, "merged document")

# ---- --isolate: each repetition's child loads the plug-ins too ------------------------------
doc, _ = run_doc(["-r", "threads,openmp", "-w", "zlib", "-c", "2", "-p", "size=4Ki", "-n", "50",
                  "--repeat", "2", "--warmup", "0", "--isolate", "--plugin", ZLIB,
                  "--plugin", OPENMP])
if doc:
    ok = [rep["tasks_ok"] for _, rep in reps(doc)]
    check(ok == [50] * 4, "--isolate: every repetition ran its 50 tasks: %s" % ok)

# ---- the gate knows a plug-in workload's kind from the document, without the plug-in --------
iowl = cc("iowait", """#include <time.h>
#include <parbench/parbench.h>
static enum pb_status run(void *w, uint64_t i, uint64_t *b)
{
    struct timespec t = {0, 200000};
    (void)w, (void)i, (void)b;
    nanosleep(&t, NULL);
    return PB_OK;
}
static const struct pb_workload_ops wl = {.name = "iowait", .flags = PB_WL_IO, .run = run};
static const struct pb_workload_ops *const wls[] = {&wl};
PB_PLUGIN("iowait", "1", NULL, 0, wls, 1);
""")
if iowl:
    out = os.path.join(TMP, "io.json")
    run(["run", "-r", "threads", "-w", "iowait", "-c", "2", "-n", "100", "--repeat", "3",
         "--warmup", "0", "--plugin", iowl, "-o", out, "--quiet"], expect=0)
    if check(os.path.exists(out), "iowait document written"):
        with open(out) as f:
            kind = json.load(f)["cases"][0].get("workload_kind")
        check(kind == "io", "iowait: workload_kind %s" % kind)
        p = run(["compare", "--json", out, out])  # no --plugin: the document says the kind
        try:
            rows = json.loads(p.stdout)["comparisons"]
        except (ValueError, KeyError):
            rows = []
        gated = sorted(r["metric"] for r in rows if r.get("gated"))
        check(gated == ["latency_p99", "throughput"],
              "compare gates an I/O plug-in workload's throughput and p99: %s" % gated)

# ---- the report names the plug-ins ------------------------------------------------------------
if "a" in docs:
    rep_dir = os.path.join(TMP, "report")
    p = subprocess.run([os.path.join(SOURCE, "scripts", "report"), docs["a"], "-o", rep_dir],
                       capture_output=True, text=True, timeout=240,
                       env=dict(os.environ, PARBENCH=PARBENCH))
    html = ""
    if check(p.returncode == 0, "report: exit %d\n%s" % (p.returncode, p.stderr)):
        with open(os.path.join(rep_dir, "report.html")) as f:
            html = f.read()
    check("plug-ins" in html and "zlib 1.0.0" in html and sha256(ZLIB)[:12] in html,
          "the report names plug-in zlib, its version and its sha256")

# ---- the binary exports exactly what the header declares ------------------------------------
with open(os.path.join(INCLUDE, "parbench", "parbench.h")) as f:
    header = f.read()
header = re.sub(r"/\*.*?\*/", " ", header, flags=re.S)
header = re.sub(r"//[^\n]*", " ", header)
header = re.sub(r"^\s*#(?:[^\n]*\\\n)*[^\n]*", " ", header, flags=re.M)
statements, depth, cur = [], 0, []
for ch in header:
    if ch == "{":
        depth += 1
    elif ch == "}":
        depth -= 1
        if depth == 0:
            statements.append("".join(cur) + "{}")
            cur = []
            continue
    elif ch == ";" and depth == 0:
        statements.append("".join(cur))
        cur = []
        continue
    if depth == 0:
        cur.append(ch)
declared = set()
for s in statements:
    s = " ".join(s.split())
    if not s or s.startswith("static") or s.startswith("typedef"):
        continue
    if s.startswith("extern "):
        m = re.search(r"(\w+)\s*$", s)
        declared.add(m.group(1))
        continue
    m = re.search(r"\b(\w+)\s*\(", s)
    if m and not s.endswith("{}"):
        declared.add(m.group(1))
check(len(declared) >= 15 and "pb_stop_word" in declared and "pb_run_task" in declared,
      "header declarations parsed: %s" % sorted(declared))
nm = subprocess.run(["nm", "-D", "--defined-only", PARBENCH], capture_output=True, text=True,
                    timeout=60)
check(nm.returncode == 0, "nm -D: %s" % nm.stderr)
exported = {l.split()[-1].split("@")[0] for l in nm.stdout.splitlines() if l.split()}
pb_exported = {s for s in exported if s.startswith("pb_")}
check(declared <= exported, "declared but not exported: %s" % sorted(declared - exported))
check(pb_exported <= declared, "exported but not declared: %s" % sorted(pb_exported - declared))
with open(os.path.join(SOURCE, "harness", "plugin_exports.list")) as f:
    listed = set(re.findall(r"^\s*(\w+)\s*;", re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S),
                            flags=re.M))
check(listed == declared, "plugin_exports.list and the header agree: only list %s, only "
      "header %s" % (sorted(listed - declared), sorted(declared - listed)))

shutil.rmtree(TMP, ignore_errors=True)
done()
