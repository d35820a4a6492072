"""The tables scripts/plot and scripts/report share: a result document's cases as
`parbench export --format tsv|tsv-spectrum` gives them (the schema is understood in one place,
the C code), grouped the way the charts and the report show them; and what both scripts do
alike: check every input before any work, and fail as parbench fails (one line, exit 2 for bad
usage or input, 3 when the environment refused, 130 when interrupted)."""
import argparse
import contextlib
import csv
import hashlib
import io
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNNER_ORDER = ["serial", "threads", "processes", "eventloop", "semaphore"]
DEFAULT_PIN = "compact"
PROG = os.path.basename(sys.argv[0])


class Failure(Exception):
    """An expected failure: one line for the user and parbench's exit code for it. Anything
    else that escapes main is a bug and keeps its traceback."""

    def __init__(self, message, code=2, prefixed=False):
        super().__init__(message)
        self.code = code
        self.prefixed = prefixed  # a line passed on from a child that already names itself


def die(msg, code=2):
    raise Failure(msg, code)


def _terminate(signum, frame):
    raise KeyboardInterrupt


def main(fn):
    """Runs a script's main and exits: its Failure as one line and its code; Ctrl-C or SIGTERM
    quietly with 130 (the finally clauses have removed what was half written); an OSError that
    no check foresaw (a full disk) as one line and 3."""
    signal.signal(signal.SIGTERM, _terminate)
    try:
        code = fn()
    except Failure as e:
        print(str(e) if e.prefixed else "%s: %s" % (PROG, e), file=sys.stderr)
        code = e.code
    except KeyboardInterrupt:
        code = 130
    except OSError as e:
        print("%s: %s%s" % (PROG, "%s: " % e.filename if e.filename else "", e.strerror or e),
              file=sys.stderr)
        code = 3
    sys.exit(code)


class ArgParser(argparse.ArgumentParser):
    """argparse with parbench's way of refusing: one line, exit 2."""

    def error(self, message):
        raise Failure("%s (%s --help)" % (message, self.prog))


def output_dir(path):
    """Makes DIR (and its parents) and proves a file can be written there, before any work:
    exit 3 when the environment refuses."""
    if not path:
        die("-o needs a directory")
    if os.path.exists(path) and not os.path.isdir(path):
        die("%s: exists and is not a directory" % path, 3)
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        die("%s: cannot create the directory: %s" % (path, e.strerror), 3)
    with stops_held():  # a Ctrl-C inside mkstemp would leave the probe behind, unnamed
        try:
            fd, probe = tempfile.mkstemp(dir=path, prefix=".probe-")
            os.close(fd)
            os.unlink(probe)
        except OSError as e:
            die("%s: cannot write there: %s" % (path, e.strerror), 3)


@contextlib.contextmanager
def stops_held():
    """SIGINT and SIGTERM wait until the block is over: a file created inside it is named (and
    so removed) before KeyboardInterrupt can be raised."""
    held = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def write_text(path, text):
    """Writes a whole file or nothing: a temporary file renamed over it, removed on failure."""
    tmp = None
    try:
        # created exclusively beside the file: a link planted at a guessable name is not followed
        with stops_held():
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".",
                                       prefix=os.path.basename(path) + ".tmp.")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            if tmp:
                os.unlink(tmp)
        except OSError:
            pass
        raise


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


_parbench = None


def parbench_path():
    """$PARBENCH, else the build in the source tree, else parbench on PATH."""
    global _parbench
    if _parbench:
        return _parbench
    env = os.environ.get("PARBENCH")
    if env:
        if not (os.path.isfile(env) and os.access(env, os.X_OK)):
            die("PARBENCH=%s: not an executable file" % env, 3)
        _parbench = env
        return env
    built = os.path.join(ROOT, "build", "parbench")
    if os.access(built, os.X_OK):
        _parbench = built
        return built
    found = shutil.which("parbench")
    if not found:
        die("no parbench binary: build it (cmake --build build) or set PARBENCH", 3)
    _parbench = found
    return found


def run_parbench(args, ok=(0,)):
    """parbench's stdout. Its refusals (2 bad input, 3 the environment) are passed on as its
    last line and code; an interruption as one; anything else is a failure of parbench."""
    p = subprocess.run([parbench_path()] + args, capture_output=True, encoding="utf-8",
                       errors="replace")
    if p.returncode in ok:
        return p.stdout
    if p.returncode in (130, -signal.SIGINT, -signal.SIGTERM):
        raise KeyboardInterrupt
    said = [line for line in p.stderr.splitlines() if line.strip()]
    last = said[-1].strip() if said else ""
    if p.returncode in (2, 3) and last:
        # "parbench export: X: not JSON: ..." reads "report: X: not JSON: ..."
        raise Failure(re.sub(r"^parbench(?: [a-z]+)?: ", "", last), p.returncode)
    how = "exit %d" % p.returncode if p.returncode > 0 else "signal %d" % -p.returncode
    die("parbench %s failed (%s)%s" % (args[0], how, ": " + last if last else ""), 1)


# What the scripts read from a document themselves (the numbers come from parbench export,
# which does not look at these): present and not null, each must have its type, or a document
# edited by hand would stop with a traceback.
_SHAPE = [("tool", dict), ("host", dict), ("host.os", dict), ("host.topology", dict),
          ("host.topology.caches", list), ("host.topology.pu_os_indices", list),
          ("host.pu_count", int), ("settings", dict), ("libraries", dict),
          ("command_line", list), ("warnings", list), ("cases", list)]
_KIND = {dict: "an object", list: "an array", int: "an integer"}


def _json_kind(v):
    return "null" if v is None else "a boolean" if isinstance(v, bool) else \
        "a number" if isinstance(v, (int, float)) else "a string" if isinstance(v, str) else \
        "an array" if isinstance(v, list) else "an object"


def _shape_problem(raw):
    if not isinstance(raw, dict):
        return "%s, not an object" % _json_kind(raw)
    for path, kind in _SHAPE:
        v = raw
        for k in path.split("."):
            v = v.get(k) if isinstance(v, dict) else None
        if v is not None and (not isinstance(v, kind) or isinstance(v, bool) and kind is int):
            return "'%s' is %s, not %s" % (path, _json_kind(v), _KIND[kind])
    for i, c in enumerate(((raw.get("host") or {}).get("topology") or {}).get("caches") or []):
        if not isinstance(c, dict):
            return "'host.topology.caches[%d]' is %s, not an object" % (i, _json_kind(c))
    for i, c in enumerate(raw.get("cases") or []):
        if not isinstance(c, dict):
            return "'cases[%d]' is %s, not an object" % (i, _json_kind(c))
        for key in ("pin", "settings"):
            v = c.get(key)
            if v is not None and not isinstance(v, dict):
                return "'cases[%d].%s' is %s, not an object" % (i, key, _json_kind(v))
        pin = c.get("pin")
        plan = (pin or {}).get("plan")
        if plan is not None and not (isinstance(plan, list) and
                                     all(isinstance(w, list) for w in plan)):
            return "'cases[%d].pin.plan' is not an array of arrays" % i
    return None


_docs = {}


def load(path):
    """A result document, checked before any work: there, a regular file, a parbench result
    (parbench export decides, as for every reader) and of the shape the scripts read. Returns
    its JSON; table() reuses the export. Exit 2 with one line naming the file otherwise."""
    if path in _docs:
        return _docs[path][0]
    if not os.path.exists(path):
        die("%s: no such file" % path)
    if os.path.isdir(path):
        die("%s: is a directory, not a result document" % path)
    if not os.path.isfile(path):
        die("%s: not a regular file" % path)
    tsv = run_parbench(["export", "--format", "tsv", path])
    try:
        with open(path, "rb") as f:
            raw = json.loads(f.read().decode("utf-8"))
    except UnicodeDecodeError as e:
        die("%s: not UTF-8 at byte %d" % (path, e.start))
    except ValueError as e:  # what parbench accepted and Python does not
        die("%s: not JSON: %s" % (path, e))
    problem = _shape_problem(raw)
    if problem:
        die("%s: not a parbench result document: %s" % (path, problem))
    _docs[path] = (raw, tsv)
    return raw


_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_SAFE_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-")


def fname(name):
    """The word that stands for a name from a document (a runner, a verdict) in file names
    and gnuplot's word lists: the name itself when plain (up to 64 letters, digits, '_' and
    '-', not first '_' or '-'), else '_' and its UTF-8 with every byte but letters, digits
    and '-' written _XX. No two names share a word: only the others start with '_', and after
    that first one every '_' starts an escape. No word has a '.', so NAME.WORD.tsv splits one
    way. Beyond 96 characters the head is kept with '_h' and 64 bits of a hash of the name:
    no escape writes '_h'."""
    name = str(name)
    if _PLAIN.fullmatch(name):
        return name
    raw = name.encode("utf-8", "surrogatepass")
    word = "_" + "".join(chr(b) if b in _SAFE_BYTES else "_%02x" % b for b in raw)
    if len(word) > 96:
        word = word[:72] + "_h" + hashlib.sha256(raw).hexdigest()[:16]
    return word


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def shown(s):
    """A name as a chart shows it: control characters, which a chart line or an SVG cannot
    carry, as their JSON escapes; everything else as it is."""
    return _CONTROL.sub(lambda m: {"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(
        m.group(), "\\u%04x" % ord(m.group())), "" if s is None else str(s))


def manifest_line(fields):
    """One line of charts.tsv: tab-separated, a backslash escaping itself, tab and newline, so
    that any title or parameter text comes back as it was."""
    esc = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
    return "\t".join(re.sub(r"[\\\t\n\r]", lambda m: esc[m.group()], str(f))
                     for f in fields) + "\n"


def manifest_fields(line):
    """manifest_line undone."""
    esc = {"t": "\t", "n": "\n", "r": "\r"}
    return [re.sub(r"\\(.)", lambda m: esc.get(m.group(1), m.group(1)), f)
            for f in line.rstrip("\n").split("\t")]


def _number(text):
    if text == "":
        return None
    try:
        v = float(text)
    except ValueError:
        return text
    return v if math.isfinite(v) else None


# Columns read as text: names, and the `*_text` columns, which say a number as parbench does
# (harness/format.c), so that the scripts show numbers without formatting any themselves.
_TEXT_COLUMNS = frozenset({"case", "runner", "workload", "params", "load", "pin", "metric",
                           "unit", "order", "tie", "winner", "winner_case", "runner_up",
                           "runner_up_case", "lowest_p99_runner", "lowest_p99_case",
                           "verdict", "busy_during", "vs_serial_suspect", "trust",
                           "speedup_suspect"})


def _is_text(column):
    return column in _TEXT_COLUMNS or str(column).endswith("_text")


def read_tsv(text):
    rows = list(csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE))
    return [{k: (v if _is_text(k) else _number(v)) for k, v in r.items()} for r in rows]


def tsv_cell(text):
    """A text as parbench's TSV exports write it (export.c, put_text): tab, newline and CR as
    spaces, and a leading quote on what a spreadsheet would run as a formula. A name taken
    from JSON (compare --json) finds its row of an export with this."""
    text = "" if text is None else str(text)
    quote = "'" if text[:1] and text[0] in "=+-@\t\r" else ""
    return quote + re.sub(r"[\t\n\r]", " ", text)


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
    tsv = _docs[doc][1] if doc in _docs else run_parbench(["export", "--format", "tsv", doc])
    for row in read_tsv(tsv):
        c = cases.get(row["case"])
        if c is None:
            c = cases[row["case"]] = Case(row)
        c.metrics[row["metric"]] = row
    return list(cases.values())


def ranking(doc):
    """{(workload, params, load, pin): the row of `parbench export --format ranking`}: for each
    group of comparable cases, the runners ranked by their best median throughput, the winner
    and the runner-up with their cases and texts, their ratio, tie ("1" when the median CIs
    overlap), the winner against serial and the lowest p99 of the other runners. ranking.c
    decides all of it; the scripts only show it. A group without a throughput has no row."""
    return {(r["workload"], r["params"], r["load"], r["pin"]): r
            for r in read_tsv(run_parbench(["export", "--format", "ranking", doc]))}


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


def load_colors():
    """Runner colours from scripts/gnuplot/style.gp, so tables and charts agree."""
    colors = {}
    with open(os.path.join(ROOT, "scripts", "gnuplot", "style.gp"), encoding="utf-8") as f:
        for line in f:
            m = re.match(r"color_(\w+)\s*=\s*'(#[0-9A-Fa-f]{6})'", line)
            if m:
                colors[m.group(1)] = m.group(2)
    return colors
