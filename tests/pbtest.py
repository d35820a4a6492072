"""Shared helpers for the end-to-end tests: run the parbench binary, read back and validate the
document it wrote, and fail loudly with the output when anything is off."""
import atexit
import html.parser
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

import jsonschema

PARBENCH = os.environ.get("PARBENCH", "build/parbench")
SOURCE_DIR = os.environ.get("PB_SOURCE_DIR", os.path.dirname(os.path.dirname(__file__)))
SCHEMA_PATH = os.path.join(SOURCE_DIR, "results", "schema", "result-v1.schema.json")
# The Jenkins JUnit schema (junit-4.xsd); tests/fixtures/junit/README.md says where it is from.
JUNIT_XSD = os.path.join(SOURCE_DIR, "tests", "fixtures", "junit", "jenkins-junit.xsd")

# Every parbench this test starts carries this in its environment, so leftovers can be found.
MARK = "PB_TEST_MARK=%d-%d" % (os.getpid(), int(time.time()))

_failures = []
_checks = 0


def check(cond, what):
    """Records one assertion; the test exits non-zero at the end if any failed."""
    global _checks
    _checks += 1
    if not cond:
        _failures.append(what)
        print("FAIL: " + what, file=sys.stderr)
    return cond


def run(args, timeout=240, env=None, expect=None, preexec_fn=None):
    """Runs parbench with args; returns the CompletedProcess. expect: the exit code required."""
    full_env = dict(os.environ)
    full_env["PB_TEST_MARK"] = MARK.split("=", 1)[1]
    if env:
        full_env.update(env)
    p = subprocess.run([PARBENCH] + args, capture_output=True, text=True, timeout=timeout,
                       env=full_env, preexec_fn=preexec_fn)
    if expect is not None and p.returncode != expect:
        check(False, "parbench %s: exit %d, expected %d\nstdout:\n%s\nstderr:\n%s" %
              (" ".join(args), p.returncode, expect, p.stdout, p.stderr))
    return p


_cgroups = []


def _remove_cgroups():
    for d in _cgroups:
        for _ in range(50):
            try:
                os.rmdir(d)
                break
            except OSError:
                time.sleep(0.1)


atexit.register(_remove_cgroups)


def _cgroup(controller, files, value):
    """A new cgroup (v1 or v2) with files set to value; its cgroup.procs file."""
    for root in ("/sys/fs/cgroup/" + controller, "/sys/fs/cgroup/unified", "/sys/fs/cgroup"):
        if not os.path.exists(os.path.join(root, "cgroup.procs")):
            continue
        d = os.path.join(root, "pbtest-%s-%d-%d" % (controller, os.getpid(), len(_cgroups)))
        try:
            os.mkdir(d)
        except OSError:
            continue
        _cgroups.append(d)
        for name in files:
            if os.path.exists(os.path.join(d, name)):
                with open(os.path.join(d, name), "w") as f:
                    f.write(str(value))
                return os.path.join(d, "cgroup.procs")
    sys.exit("FAIL: no %s cgroup can be made here: this test will not run without one" %
             controller)


def limited(pids=None, mem=None, nofile=None):
    """A preexec_fn that runs the child inside limits of its own, so that a test that could hurt
    the machine cannot: a pids cgroup with pids.max, a memory cgroup with its limit (v1 or v2),
    and RLIMIT_NOFILE. The cgroups are made now and removed when the test ends; a machine
    without the controllers fails the test rather than risk it (address-space limits would not
    do: a sanitizer's shadow memory needs terabytes of it)."""
    procs = []
    if pids is not None:
        procs.append(_cgroup("pids", ["pids.max"], pids))
    if mem is not None:
        procs.append(_cgroup("memory", ["memory.limit_in_bytes", "memory.max"], mem))

    def apply():
        for p in procs:
            with open(p, "w") as f:
                f.write(str(os.getpid()))
        if nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
    return apply


def validate(doc, what="document"):
    with open(SCHEMA_PATH) as f:
        schema = json.load(f)
    try:
        jsonschema.validate(doc, schema, cls=jsonschema.Draft202012Validator)
        return check(True, what)
    except jsonschema.ValidationError as e:
        return check(False, "%s does not match the schema: %s at %s" %
                     (what, e.message, "/".join(str(p) for p in e.absolute_path)))


def junit_errors(path):
    """Validates the JUnit XML file at path against the Jenkins schema with xmllint; the error
    lines, [] when it is valid. Raises RuntimeError when xmllint is missing (libxml2-utils)."""
    xmllint = shutil.which("xmllint")
    if xmllint is None:
        raise RuntimeError("xmllint not found: install libxml2-utils (scripts/setup does); "
                           "JUnit files cannot be checked without it")
    p = subprocess.run([xmllint, "--noout", "--schema", JUNIT_XSD, path],
                       capture_output=True, text=True, timeout=60)
    if p.returncode == 0:
        return []
    lines = [l for l in (p.stdout + p.stderr).splitlines()
             if l.strip() and not l.endswith(" validates")]
    return lines or ["xmllint exited %d without a message" % p.returncode]


def junit_check(path, what):
    """Checks that the file at path is JUnit XML the Jenkins schema accepts, rooted at
    <testsuites> or <testsuite> (the schema alone would take any of its elements as the root);
    returns the parsed root element for further checks, or None."""
    errors = junit_errors(path)
    if not check(not errors, "%s: %s is not valid JUnit XML:\n%s" %
                 (what, path, "\n".join(errors))):
        return None
    root = ET.parse(path).getroot()
    if not check(root.tag in ("testsuites", "testsuite"),
                 "%s: %s has root <%s>, not <testsuites> or <testsuite>" % (what, path, root.tag)):
        return None
    return root


def markdown_html(text):
    """Text rendered as HTML by python3-markdown with its tables extension. It is stricter than
    GitHub in one way that matters: a table needs a blank line before it. It is laxer in one:
    a '|' inside `code` in a cell does not split the cell here but does on GitHub, so a writer
    must put a backslash before every '|' in a cell."""
    try:
        import markdown
    except ImportError:
        raise RuntimeError("python module markdown not found: install python3-markdown "
                           "(scripts/setup does); Markdown cannot be checked without it")
    return markdown.markdown(text, extensions=["tables"])


class _Tables(html.parser.HTMLParser):
    """Collects the rows and cell texts of every <table>; a nested table is a table of its own."""

    def __init__(self):
        super().__init__()
        self.tables = []
        self._open = []   # indices in tables of the tables open now, innermost last
        self._cell = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._open.append(len(self.tables))
            self.tables.append([])
        elif tag == "tr" and self._open:
            self.tables[self._open[-1]].append([])
        elif tag in ("th", "td") and self._open and self.tables[self._open[-1]]:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            self.tables[self._open[-1]][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table" and self._open:
            self._open.pop()

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def markdown_tables(text):
    """The tables Markdown text renders to: a list of tables, each a list of rows (header row
    first), each a list of cell texts (markup dropped, whitespace stripped). [] when the text
    holds no table, as when its lines have pipes but no header separator row."""
    p = _Tables()
    p.feed(markdown_html(text))
    p.close()
    return p.tables


def run_doc(args, expect=0, timeout=240, env=None):
    """Runs parbench run ARGS -o TMP --quiet, checks the exit code, validates the document
    against the schema and returns (doc, process)."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "result.json")
        p = run(["run"] + args + ["-o", out, "--quiet"], timeout=timeout, env=env,
                expect=expect)
        if not os.path.exists(out):
            check(False, "parbench run %s wrote no document\nstderr:\n%s" %
                  (" ".join(args), p.stderr))
            return None, p
        with open(out) as f:
            doc = json.load(f)
    validate(doc, "document of run " + " ".join(args))
    return doc, p


def case(doc, runner, workload=None, concurrency=None):
    for c in doc["cases"]:
        if c["runner"] == runner and (workload is None or c["workload"] == workload) and \
                (concurrency is None or c["concurrency"] == concurrency):
            return c
    check(False, "no case %s/%s/c=%s in document" % (runner, workload, concurrency))
    return None


def leftovers():
    """Pids of processes started by this test (parbench, its workers, its target) still alive."""
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/environ" % pid, "rb") as f:
                if MARK.encode() in f.read().split(b"\0"):
                    pids.append(int(pid))
        except OSError:
            pass
    return pids


def failures():
    """How many checks have failed so far."""
    return len(_failures)


def done():
    """Prints the closing line and exits with the verdict."""
    failed = len(_failures)
    print("%d passed, %d failed" % (_checks - failed, failed))
    sys.exit(1 if failed or _checks == 0 else 0)


def compare_json(args, expect):
    """parbench compare --json ARGS, its exit code checked; the object, or an empty one (and a
    failed check) when it is not JSON."""
    p = run(["compare", "--json"] + args, expect=expect)
    try:
        return json.loads(p.stdout)
    except ValueError as e:
        check(False, "compare --json %s: not JSON (%s):\n%s\n%s" % (args, e, p.stdout, p.stderr))
        return {"comparisons": [], "counts": {}, "reported_counts": {}, "family": None}


def binomial_upper(n, p, tail=1e-3):
    """The smallest k with P(X > k) < tail for X ~ Binomial(n, p): how many of n runs may
    raise a false alarm at rate p before the rate is shown to be above p."""
    cum = 0.0
    for k in range(n + 1):
        cum += math.comb(n, k) * p ** k * (1 - p) ** (n - k)
        if 1.0 - cum < tail:
            return k
    return n
