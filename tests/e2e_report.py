"""End to end from a suite file to a report: a tiny suite runs into a document that validates,
scripts/report makes every chart without a gnuplot complaint and a well-formed report.html
and report.md with each chart and table; a hostile string arrives escaped; bad suites stop
with exit 2 and a line that names the place."""
import html
import html.parser
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from pbtest import check  # noqa: E402

SCRIPTS = os.path.join(pbtest.SOURCE_DIR, "scripts")
TINY = os.path.join(pbtest.SOURCE_DIR, "tests", "fixtures", "suite-tiny.json")
HOSTILE = "<script>alert(1)</script>"
VOID = {"meta", "br", "img", "hr", "input", "link", "wbr", "col", "area", "base", "source"}


class StrictParser(html.parser.HTMLParser):
    """html.parser forgives everything; this one records what a browser would have to guess:
    unclosed or crossed tags, and anything active."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.problems, self.tags = [], [], {}
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for k, v in attrs:
            if k.startswith("on") or (k in ("href", "src") and v and
                                      v.strip().lower().startswith("javascript:")):
                self.problems.append("active attribute %s=%r on <%s>" % (k, v, tag))
            if k == "id":
                if v in self.ids:
                    self.problems.append("duplicate id %r" % v)
                self.ids.add(v)
        if tag == "script":
            self.problems.append("a <script> element")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append("</%s> closes <%s>" % (tag, self.stack[-1] if self.stack
                                                         else "nothing"))
            return
        self.stack.pop()

    def close(self):
        super().close()
        if self.stack:
            self.problems.append("unclosed: %s" % " ".join(self.stack))


def script(name, args, timeout=120):
    env = dict(os.environ, PARBENCH=os.path.abspath(pbtest.PARBENCH))
    return subprocess.run([sys.executable, os.path.join(SCRIPTS, name)] + args,
                          capture_output=True, text=True, timeout=timeout, env=env)


def read_manifest(chartdir):
    with open(os.path.join(chartdir, "charts.tsv")) as f:
        lines = f.read().splitlines()
    return [dict(zip(lines[0].split("\t"), line.split("\t"))) for line in lines[1:]]


def check_charts(chartdir, what):
    charts = read_manifest(chartdir)
    check(charts, "%s: scripts/plot listed no charts" % what)
    for c in charts:
        for ext in ("png", "svg"):
            path = os.path.join(chartdir, c["file"] + "." + ext)
            if not check(os.path.isfile(path) and os.path.getsize(path) > 1000,
                         "%s: chart %s.%s is missing or empty" % (what, c["file"], ext)):
                continue
            with open(path, "rb") as f:
                data = f.read()
            if ext == "png":
                check(data.startswith(b"\x89PNG"), "%s: %s is not a PNG" % (what, path))
            else:
                try:
                    ET.fromstring(data)
                except ET.ParseError as e:
                    check(False, "%s: %s is not well-formed SVG: %s" % (what, path, e))
    return charts


def check_html(path, what):
    with open(path) as f:
        text = f.read()
    p = StrictParser()
    p.feed(text)
    p.close()
    check(not p.problems, "%s: report.html is not well-formed: %s" % (what, p.problems[:5]))
    return text, p


def suite_with_hostile_strings(d):
    """The tiny suite plus a group whose io.file dir carries markup (a real directory, so the
    case runs), and markup in the suite's name and description."""
    with open(TINY) as f:
        suite = json.load(f)
    dirpath = os.path.join(d, HOSTILE)
    os.makedirs(dirpath)
    suite["name"] = "tiny <b>bold</b>"
    suite["description"] = "desc <img src=x onerror=alert(2)>"
    suite["groups"].append({"runners": ["threads"], "concurrency": [1, 2],
                            "workload": "io.file",
                            "params": {"size": 4096, "dir": dirpath}, "tasks": 20})
    path = os.path.join(d, "suite.json")
    with open(path, "w") as f:
        json.dump(suite, f, indent=1)
    return path


def test_report(d):
    suite = suite_with_hostile_strings(d)
    doc_path = os.path.join(d, "run.json")
    p = pbtest.run(["run", "--suite", suite, "-o", doc_path, "--quiet"], expect=0, timeout=120)
    if not check(os.path.isfile(doc_path), "the suite run wrote no document: " + p.stderr):
        return
    with open(doc_path) as f:
        doc = json.load(f)
    pbtest.validate(doc, "document of the tiny suite")
    # 5 runners x 2 levels less serial's and eventloop's one; 3 runners x 2 workloads; io.file
    check(len(doc["cases"]) == 8 + 2 * 5 + 2,
          "the tiny suite expands to %d cases, expected 20" % len(doc["cases"]))
    check(doc["suite"] == suite, "the document names the suite: %r" % doc["suite"])
    sumsq = [c for c in doc["cases"] if c["workload"] == "cpu.sumsq"]
    check(all(c["tasks"] == 100 and len(c["repetitions"]) == 3 and c["warmups"] == 0
              for c in sumsq), "suite settings (tasks 100, repeat 3, warmup 0) reach the cases")
    check(any(c["runner"] == "eventloop" and c["concurrency"] is None for c in sumsq),
          "eventloop runs once with every task at once")

    out = os.path.join(d, "report")
    r = script("report", [doc_path, "-o", out])
    check(r.returncode == 0, "scripts/report: exit %d\n%s" % (r.returncode, r.stderr))
    check("gnuplot" not in r.stderr, "gnuplot complained: " + r.stderr)
    charts = check_charts(os.path.join(out, "charts"), "report")
    kinds = {c["kind"] for c in charts}
    check(kinds == {"throughput", "latency", "speedup", "spectrum"},
          "chart kinds of a run: %s" % sorted(kinds))
    check({c["workload"] for c in charts if c["kind"] == "speedup"} == {"cpu.sumsq"},
          "speed-up charts are for CPU workloads only")

    text, parser = check_html(os.path.join(out, "report.html"), "report")
    for c in charts:
        check(html_escape(c["title"]) in text, "report.html lacks chart %r" % c["title"])
    check(parser.tags.get("svg", 0) == len(charts),
          "report.html inlines %d SVGs for %d charts" % (parser.tags.get("svg", 0), len(charts)))
    groups = {(c["workload"], c["params"]) for c in charts}
    # the summary, one per workload (and parameter values)
    check(parser.tags.get("table", 0) == 1 + len(groups),
          "report.html has %d tables, expected %d" % (parser.tags.get("table", 0),
                                                      1 + len(groups)))
    for needle in ("Summary: which model won", "Environment", "Oxide" if "Oxide" in
                   doc["host"]["cpu_model"] else doc["host"]["cpu_model"][:10], "pin plan"):
        check(html_escape(needle) in text, "report.html lacks %r" % needle)
    check("http://" not in text.replace("http://www.w3.org/", "") and "https://" not in text,
          "report.html refers to the network")

    # The hostile strings: escaped everywhere, never markup.
    check(HOSTILE not in text, "the <script> string appears raw in report.html")
    check("&lt;script&gt;alert(1)&lt;/script&gt;" in text,
          "the <script> string does not appear escaped in report.html")
    check("tiny &lt;b&gt;bold&lt;/b&gt;" in text, "the suite name appears escaped")
    check("<img" not in text and "&lt;img src=x onerror=alert(2)&gt;" in text,
          "the suite description appears escaped")

    with open(os.path.join(out, "report.md")) as f:
        mdtext = f.read()
    check(mdtext.count("| runner | c | throughput |") == len(groups),
          "report.md has %d case tables for %d workloads" %
          (mdtext.count("| runner | c | throughput |"), len(groups)))
    check("| workload | fastest |" in mdtext, "report.md lacks the summary table")
    check(HOSTILE not in mdtext and "<img" not in mdtext, "report.md carries raw markup")
    for c in charts:
        check("(charts/%s.png)" % c["file"] in mdtext, "report.md lacks chart " + c["file"])

    # With a base: compare's verdicts and chart. The same document on both sides.
    base = os.path.join(d, "base.json")
    shutil.copy(doc_path, base)
    out2 = os.path.join(d, "report-base")
    r = script("report", [doc_path, "--base", base, "-o", out2])
    check(r.returncode == 0, "scripts/report --base: exit %d\n%s" % (r.returncode, r.stderr))
    charts = check_charts(os.path.join(out2, "charts"), "report --base")
    check(any(c["kind"] == "compare" for c in charts), "no base-vs-new chart")
    text, _ = check_html(os.path.join(out2, "report.html"), "report --base")
    check("Base vs new" in text and "v-unchanged" in text,
          "report.html --base lacks the compare verdicts")

    # A trend over two documents.
    out3 = os.path.join(d, "trend")
    r = script("report", ["--trend", base, doc_path, "-o", out3])
    check(r.returncode == 0, "scripts/report --trend: exit %d\n%s" % (r.returncode, r.stderr))
    charts = check_charts(os.path.join(out3, "charts"), "report --trend")
    check(charts and all(c["kind"] == "trend" for c in charts), "trend charts")
    check_html(os.path.join(out3, "report.html"), "report --trend")


def html_escape(s):
    return html.escape(s, quote=True)


BAD_SUITES = [
    ('{"groups": [{"runners": ["serial", "fibers"], "workload": "null"}]}',
     "groups[0].runners[1]: unknown runner 'fibers'"),
    ('{"groups": [{"runners": ["serial"], "workload": "null"},\n'
     ' {"runners": ["threads"], "workloads": [{"name": "cpu.sumsq", "params": {"n": "abc"}}]}]}',
     "groups[1].workloads[0].params.n: 'abc' is not an integer"),
    ('{"groups": [{"runners": ["serial"], "workload": "cpu.sumsq", "params": {"m": 1}}]}',
     "groups[0].params.m: workload cpu.sumsq has no parameter 'm'"),
    ('{"groups": [{"runners": ["serial"], "workload": "null", "concurency": [1, 2]}]}',
     "groups[0]: unknown key 'concurency' (did you mean 'concurrency'?)"),
    ('{"groups": [\n  {"runners": ["serial"],\n   "workload": "null",]}',
     "line 3 column 23: not JSON:"),
]


def test_bad_suites(d):
    for i, (text, needle) in enumerate(BAD_SUITES):
        path = os.path.join(d, "bad%d.json" % i)
        with open(path, "w") as f:
            f.write(text)
        out = os.path.join(d, "bad%d.out.json" % i)
        p = pbtest.run(["run", "--suite", path, "-o", out], expect=2)
        lines = p.stderr.strip().splitlines()
        check(len(lines) == 1 and (path + ": " + needle) in lines[0],
              "bad suite %d: expected one line with %r, got %r" % (i, needle, p.stderr))
        check(not os.path.exists(out), "bad suite %d: a document was written" % i)


def main():
    with tempfile.TemporaryDirectory() as d:
        test_bad_suites(d)
        test_report(d)
    pbtest.done()


if __name__ == "__main__":
    main()
