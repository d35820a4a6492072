"""The tables scripts/plot and scripts/report share: a result document's cases as
`parbench export --format tsv|tsv-spectrum` gives them (the schema is understood in one place,
the C code), grouped the way the charts and the report show them."""
import csv
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNNER_ORDER = ["serial", "threads", "processes", "eventloop", "semaphore"]
DEFAULT_PIN = "compact"


def die(msg):
    sys.exit("%s: %s" % (os.path.basename(sys.argv[0]), msg))


def parbench_path():
    """$PARBENCH, else the build in the source tree, else parbench on PATH."""
    env = os.environ.get("PARBENCH")
    if env:
        return env
    built = os.path.join(ROOT, "build", "parbench")
    if os.access(built, os.X_OK):
        return built
    found = shutil.which("parbench")
    if not found:
        die("no parbench binary: build it (cmake --build build) or set PARBENCH")
    return found


def run_parbench(args, ok=(0,)):
    p = subprocess.run([parbench_path()] + args, capture_output=True, text=True)
    if p.returncode not in ok:
        die("parbench %s failed (exit %d): %s" % (" ".join(args), p.returncode,
                                                   p.stderr.strip()))
    return p.stdout


def _number(text):
    if text == "":
        return None
    try:
        v = float(text)
    except ValueError:
        return text
    return v if math.isfinite(v) else None


def read_tsv(text):
    rows = list(csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE))
    return [{k: (_number(v) if k not in ("case", "runner", "workload", "params", "load",
                                          "pin", "metric", "unit") else v)
             for k, v in r.items()} for r in rows]


def runner_rank(r):
    return (RUNNER_ORDER.index(r) if r in RUNNER_ORDER else len(RUNNER_ORDER), r)


class Case:
    """One case: its identity and, per metric, the export row (median, ci_low, ...)."""

    def __init__(self, row):
        self.name = row["case"]
        self.runner = row["runner"]
        self.workload = row["workload"]
        self.params = row["params"]
        c = row["concurrency"]
        self.concurrency = int(c) if c is not None else None  # None: every task at once
        self.load = row["load"]
        self.pin = row["pin"]
        self.metrics = {}

    def get(self, metric, column="median"):
        row = self.metrics.get(metric)
        return row.get(column) if row else None

    def clabel(self):
        return "all" if self.concurrency is None else str(self.concurrency)


class Group:
    """The cases of one workload with one set of parameters, load model and pin policy: what
    one chart shows."""

    def __init__(self, key, cases):
        self.workload, self.params, self.load, self.pin = key
        params = self.params
        self.cases = cases
        self.runners = sorted({c.runner for c in cases}, key=runner_rank)
        self.slug = ""
        self.shown_params = params  # set by groups(): what tells this group apart

    def title(self):
        t = self.workload
        extra = [self.shown_params] if self.shown_params else []
        if self.load and self.load != "closed":
            extra.append("load " + self.load)
        if self.pin and self.pin != DEFAULT_PIN:
            extra.append("pin " + self.pin)
        return t + (" (" + "; ".join(extra) + ")" if extra else "")

    def is_cpu(self):
        """Speed-up against serial is the point of CPU work; for waits it only counts overlap."""
        return workload_kinds().get(self.workload) == "cpu"

    def of(self, runner):
        return sorted((c for c in self.cases if c.runner == runner),
                      key=lambda c: (c.concurrency is None, c.concurrency or 0))

    def flat(self, runner):
        """Drawn as a reference line: a runner without a sweep (eventloop starts every task
        at once; serial runs at 1) beside runners that sweep."""
        mine = self.of(runner)
        if any(c.concurrency is None for c in mine):
            return True
        top = max((c.concurrency for c in self.cases if c.concurrency is not None), default=1)
        return len(mine) == 1 and mine[0].concurrency == 1 and top > 1

    def levels(self):
        return sorted({c.concurrency for c in self.cases if c.concurrency is not None})


def table(doc):
    """The cases of a document, in its order."""
    cases = {}
    for row in read_tsv(run_parbench(["export", "--format", "tsv", doc])):
        c = cases.get(row["case"])
        if c is None:
            c = cases[row["case"]] = Case(row)
        c.metrics[row["metric"]] = row
    return list(cases.values())


def spectrum(doc):
    """{case name: [(percentile, value_ns), ...]}."""
    out = {}
    for row in read_tsv(run_parbench(["export", "--format", "tsv-spectrum", doc])):
        out.setdefault(row["case"], []).append((row["percentile"], row["value_ns"]))
    return out


def slugify(text, taken):
    s = re.sub(r"[^A-Za-z0-9._-]+", "_", text.replace("=", "-")).strip("_.")[:80] or "chart"
    base, n = s, 2
    while s in taken:
        s = "%s_%d" % (base, n)
        n += 1
    taken.add(s)
    return s


_workloads = None


def _list():
    """The workloads of `parbench list --json`, read once."""
    global _workloads
    if _workloads is None:
        _workloads = json.loads(run_parbench(["list", "--json"])).get("workloads", [])
    return _workloads


def param_defaults():
    """{workload: {parameter: default text}}."""
    return {w["name"]: {p["name"]: p.get("default", "") for p in w["params"]} for w in _list()}


def workload_kinds():
    """{workload: "cpu" | "io" | "none"}."""
    return {w["name"]: w.get("kind", "none") for w in _list()}


def _canon(v):
    """One spelling per value, as parbench reads it: "64Ki" is 65536, "0" is false."""
    low = v.strip().lower()
    if low in ("false", "no"):
        return "0"
    if low in ("true", "yes"):
        return "1"
    m = re.match(r"^([+-]?\d+)(k|M|G|Ki|Mi|Gi)?$", v.strip())
    if m:
        mult = {"k": 10**3, "M": 10**6, "G": 10**9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
        return str(int(m.group(1)) * mult.get(m.group(2), 1))
    try:
        f = float(v)
        return str(int(f)) if f.is_integer() else repr(f)
    except ValueError:
        return v


def split_params(text):
    """"a=1,b=x,y" -> [("a", "1"), ("b", "x,y")]: a comma starts a parameter only before
    a name and '='."""
    if not text:
        return []
    return [tuple(p.split("=", 1)) if "=" in p else (p, "")
            for p in re.split(r",(?=[A-Za-z_][A-Za-z0-9_]*=)", text)]


def _shown_params(g, siblings):
    """The parameters worth a title: those off their default, and those that differ between
    groups of the same workload."""
    defaults = param_defaults().get(g.workload, {})
    mine = split_params(g.params)
    varying = set()
    for other in siblings:
        theirs = dict(split_params(other.params))
        varying |= {k for k, v in mine if _canon(theirs.get(k, v)) != _canon(v)}
    return ",".join("%s=%s" % (k, v) for k, v in mine
                    if k in varying or k not in defaults or _canon(defaults[k]) != _canon(v))


def groups(cases):
    order, by_key = [], {}
    for c in cases:
        key = (c.workload, c.params, c.load, c.pin)
        if key not in by_key:
            by_key[key] = []
            order.append(key)
        by_key[key].append(c)
    out = [Group(key, by_key[key]) for key in order]
    taken = set()
    for g in out:
        g.shown_params = _shown_params(g, [o for o in out if o.workload == g.workload])
        g.slug = slugify(g.title().replace(" (", "_").replace("; ", "_"), taken)
    return out


def time_unit(values_ns):
    """The unit a set of latencies reads best in: (name, ns per unit)."""
    vs = sorted(v for v in values_ns if v)
    mid = vs[len(vs) // 2] if vs else 1
    for name, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if mid >= scale:
            return name, scale
    return "ns", 1.0


def fmt_si(v, unit=""):
    """12345.6 -> '12.3k'."""
    if v is None:
        return "–"
    a = abs(v)
    for div, p in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            return "%.3g%s%s" % (v / div, p, unit)
    return "%.3g%s" % (v, unit)


def fmt_ns(v):
    if v is None:
        return "–"
    for div, u in ((1e9, "s"), (1e6, "ms"), (1e3, "µs")):
        if abs(v) >= div:
            return "%.3g %s" % (v / div, u)
    return "%.3g ns" % v


def load_colors():
    """Runner colours from scripts/gnuplot/style.gp, so tables and charts agree."""
    colors = {}
    with open(os.path.join(ROOT, "scripts", "gnuplot", "style.gp")) as f:
        for line in f:
            m = re.match(r"color_(\w+)\s*=\s*'(#[0-9A-Fa-f]{6})'", line)
            if m:
                colors[m.group(1)] = m.group(2)
    return colors
