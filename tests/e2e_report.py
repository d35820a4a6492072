"""End to end from a suite file to a report: a tiny suite runs into a document that validates,
scripts/report makes every chart without a gnuplot complaint and a well-formed report.html
and report.md with each chart and table; the verdicts and every number it shows are those
`parbench export` gives (--format ranking, the table's text columns); the environment says
each case's settings and pin; a hostile string arrives escaped; bad suites stop with exit 2
and a line that names the place."""
import csv
import html
import html.parser
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))
import docgen
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


def export(fmt, doc_path):
    """The rows of `parbench export --format fmt` (TSV) as dicts of strings."""
    p = pbtest.run(["export", "--format", fmt, doc_path], expect=0)
    return list(csv.DictReader(io.StringIO(p.stdout), delimiter="\t", quoting=csv.QUOTE_NONE))


def md_cell(cell):
    """A Markdown table cell as text: bold marks off, backslash escapes and HTML undone."""
    cell = cell.strip()
    if cell.startswith("**") and cell.endswith("**") and len(cell) > 4:
        cell = cell[2:-2]
    return html.unescape(re.sub(r"\\(.)", r"\1", cell))


def md_tables(mdtext, head):
    """Each Markdown table whose header row starts with head: [(bold, [cell, ...]), ...]."""
    out, rows = [], None
    for line in mdtext.splitlines():
        if line.startswith(head):
            rows = []
            out.append(rows)
        elif rows is not None and line.startswith("|") and not line.startswith("|:"):
            cells = re.split(r"(?<!\\) \| ", line.strip()[2:-2])
            rows.append((cells[0].startswith("**"), [md_cell(c) for c in cells]))
        elif rows is not None and not line.startswith("|"):
            rows = None
    return out


def md_env(mdtext, key):
    """The value of the environment table's row key."""
    for line in mdtext.splitlines():
        if line.startswith("| %s | " % key):
            return md_cell(line[len(key) + 5:-2])
    return None


def at(concurrency):
    return "all at once" if concurrency == "" else "c=" + concurrency


def check_verdicts(doc_path, mdtext, page, what):
    """The summary, the sentences and the bold rows say what `export --format ranking` says;
    every number of the case tables is a text column of `export --format tsv`."""
    ranking = export("ranking", doc_path)
    check(ranking, "%s: the ranking export has no rows" % what)
    summary = md_tables(mdtext, "| workload | fastest |")
    srows = summary[0] if summary else []
    check(len(srows) == len(ranking), "%s: %d summary rows for %d ranking rows" %
          (what, len(srows), len(ranking)))
    for (_, cells), r in zip(srows, ranking):
        busy, named = r["verdict"] == "busy", r["verdict"] in ("winner", "alone")
        fastest = "not measurable here" if busy else \
            r["winner"] + (" (tie)" if r["verdict"] == "tie" else "")
        vs = r["vs_serial_text"] + (" (suspect)" if r["vs_serial_suspect"] == "1" else "")
        expect = [fastest, at(r["winner_concurrency"]), r["winner_throughput_text"],
                  "%s %s" % (r["ratio_text"] or "–", r["runner_up"]) if r["runner_up_case"]
                  else "–", vs or "–", r["winner_latency_p99_text"] or "–"]
        check(cells[1:] == expect, "%s: summary row %s, the ranking export says %s" %
              (what, cells, expect))
        if busy:
            said = "Not measurable here: the machine was busy during %s" % r["busy_during"]
        else:
            said = "%s (%s): %s" % ("**%s**" % r["winner"] if named else
                                    "Highest median, no winner: " + r["winner"],
                                    at(r["winner_concurrency"]), r["winner_throughput_text"])
            if r["runner_up_case"]:
                said += ", %s the next best, %s (%s: %s)" % (
                    r["ratio_text"], r["runner_up"], at(r["runner_up_concurrency"]),
                    r["runner_up_throughput_text"])
        check(said in mdtext, "%s: report.md does not say %r" % (what, said))
        # No winner is named in bold where the verdict is not one: the group's own section,
        # from its "## workload" heading to the next heading, has no bold at all.
        section = re.search(r"^## %s\b.*?(?=^## |\Z)" % re.escape(r["workload"]), mdtext,
                            re.S | re.M)
        check(named or (section and "**" not in section.group(0)),
              "%s: report.md names %s the winner of a %s" % (what, r["winner"], r["verdict"]))
        if r["vs_serial_text"] and not busy:
            check("; %s serial%s" % (r["vs_serial_text"], " (suspect" if
                                     r["vs_serial_suspect"] == "1" else "") in mdtext,
                  "%s: report.md lacks %s vs serial" % (what, vs))
        if r["lowest_p99_case"] and not busy:
            low = "of the concurrent runners: %s (%s, %s)" % (
                r["lowest_p99_runner"], at(r["lowest_p99_concurrency"]), r["lowest_p99_text"])
            check(low in mdtext, "%s: report.md does not say %r" % (what, low))
    ties = sum(r["verdict"] == "tie" for r in ranking)
    check(mdtext.count("call it a tie") == ties and
          page.count("(tie)</td>") == ties,
          "%s: %d ties in the ranking, report.md says %d, report.html %d" %
          (what, ties, mdtext.count("call it a tie"), page.count("(tie)</td>")))

    rows = export("tsv", doc_path)
    cases = {}
    for row in rows:
        cases.setdefault(row["case"], {})[row["metric"]] = row
    kinds = {w["name"]: w.get("kind") for w in
             json.loads(pbtest.run(["list", "--json"], expect=0).stdout)["workloads"]}
    expected, winners = {}, set()
    for name, m in cases.items():
        t = m["throughput"]
        clabel = t["concurrency"] or "all"
        cpu = kinds.get(t["workload"]) == "cpu"
        # waits overlap without workers: efficiency only for CPU work
        eff = (t["efficiency_text"] or "–") if cpu else "–"
        runner = t["runner"] + (" (busy)" if t["trust"] == "busy" else "")
        speedup = (t["speedup_text"] or "–") + (" (suspect)" if t["speedup_suspect"] == "1"
                                                 else "")
        key = (runner, clabel, t["median_text"], t["ci_text"], t["cv_text"],
               m["latency_p50"]["median_text"], m["latency_p99"]["median_text"],
               speedup, eff, t["n"])
        expected[key] = expected.get(key, 0) + 1
    named = [r for r in ranking if r["verdict"] in ("winner", "alone")]
    for r in named:
        winners.add((r["winner"], r["winner_concurrency"] or "all", r["winner_throughput_text"]))
    tables = md_tables(mdtext, "| runner | c | throughput |")
    shown, bold = {}, set()
    for t in tables:
        check(sum(b for b, _ in t) <= 1, "%s: a case table has %d bold rows, expected one or "
              "none" % (what, sum(b for b, _ in t)))
        for b, cells in t:
            shown[tuple(cells)] = shown.get(tuple(cells), 0) + 1
            if b:
                bold.add(tuple(cells[:3]))
    check(shown == expected, "%s: the case tables are not export's text columns:\n"
          "shown but not exported %s\nexported but not shown %s" %
          (what, sorted(set(shown) - set(expected))[:3], sorted(set(expected) - set(shown))[:3]))
    check(bold == winners, "%s: bold rows %s, the ranking's winners %s" %
          (what, sorted(bold), sorted(winners)))
    check(page.count('<tr class="best">') == len(named),
          "%s: report.html marks %d rows best for %d winners" %
          (what, page.count('<tr class="best">'), len(named)))
    return cases


def check_environment(doc, mdtext, what):
    """Each case's settings and pin, said once when they agree; caches as parbench topo says
    them (the document was made on this machine)."""
    settings = md_env(mdtext, "settings") or ""
    for needle in ("repeat 3;", "warmup 0;", "grace_s 2.0;", "loops 1;", "queue_depth 1024;"):
        check(needle in settings, "%s: the settings row %r lacks %r" % (what, settings, needle))
    plan = md_env(mdtext, "pin plan") or ""
    check(plan.startswith("compact: worker→PU 0→"),
          "%s: the pin plan row says %r" % (what, plan))
    caches = md_env(mdtext, "caches") or ""
    topo = pbtest.run(["topo"], expect=0).stdout
    sizes = re.findall(r"^  L\d\w* (\d+(?:\.\d)? [KMGT]?i?B) x(\d+)$", topo, re.M)
    check(len(sizes) == len(doc["host"]["topology"]["caches"]),
          "%s: parbench topo lists caches %s, the document %d" %
          (what, sizes, len(doc["host"]["topology"]["caches"])))
    for size, count in sizes:
        check("%s×%s" % (size, count) in caches,
              "%s: the caches row %r lacks %s×%s (parbench topo)" % (what, caches, size, count))


def test_settings(d):
    """A document of two plans (merge --union): per-case settings and pins that differ are
    listed; one of the previous version (top-level repeat, warmup and pin) still reads."""
    a, b, ab = (os.path.join(d, n) for n in ("s-a.json", "s-b.json", "s-ab.json"))
    pbtest.run(["run", "-r", "serial,threads", "-w", "null", "-n", "1000", "--repeat", "3",
                "--warmup", "0", "-c", "1,2", "-o", a, "--quiet"], expect=0)
    pbtest.run(["run", "-r", "processes", "-w", "null", "-n", "1000", "--repeat", "4",
                "--warmup", "1", "-c", "2", "--pin", "scatter", "-o", b, "--quiet"], expect=0)
    pbtest.run(["merge", "--union", "-o", ab, a, b], expect=0)
    old = os.path.join(pbtest.SOURCE_DIR, "tests", "fixtures", "old", "pin-groups.json")
    for path, expect_settings, expect_plan in [
            (ab, ["repeat 3, 4;", "warmup 0, 1;", "loops 1;"], "compact, scatter; "),
            (old, ["repeat 3;", "warmup 0;", "queue_depth 1024;"], "list:0, list:1, list:0-1; ")]:
        out = os.path.join(d, "report-" + os.path.basename(path))
        r = script("report", [path, "-o", out])
        if not check(r.returncode == 0, "scripts/report %s: exit %d\n%s" %
                     (path, r.returncode, r.stderr)):
            continue
        with open(os.path.join(out, "report.md")) as f:
            mdtext = f.read()
        with open(os.path.join(out, "report.html")) as f:
            page = f.read()
        settings = md_env(mdtext, "settings") or ""
        for needle in expect_settings:
            check(needle in settings, "%s: the settings row %r lacks %r" %
                  (path, settings, needle))
        plan = md_env(mdtext, "pin plan") or ""
        check(plan.startswith(expect_plan) and "worker→PU 0→" in plan,
              "%s: the pin plan row says %r" % (path, plan))
        check_verdicts(path, mdtext, page, path)


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
    cases = check_verdicts(doc_path, mdtext, text, "report")
    check_environment(doc, mdtext, "report")
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
    # Both sides' medians as the table export says them (the same document on both sides).
    with open(os.path.join(out2, "report.md")) as f:
        comparisons = md_tables(f.read(), "| case | metric | base | new |")
    check(comparisons and comparisons[-1], "report.md --base has no comparison table")
    for _, cells in comparisons[-1] if comparisons else []:
        median = cases.get(cells[0], {}).get(cells[1], {}).get("median_text")
        check(cells[2] == cells[3] == median,
              "report --base: %s %s reads base %r, new %r; export says %r" %
              (cells[0], cells[1], cells[2], cells[3], median))

    # A trend over two documents.
    out3 = os.path.join(d, "trend")
    r = script("report", ["--trend", base, doc_path, "-o", out3])
    check(r.returncode == 0, "scripts/report --trend: exit %d\n%s" % (r.returncode, r.stderr))
    charts = check_charts(os.path.join(out3, "charts"), "report --trend")
    check(charts and all(c["kind"] == "trend" for c in charts), "trend charts")
    check_html(os.path.join(out3, "report.html"), "report --trend")
    # Each runner's peak as the table export says it, the same in both columns.
    with open(os.path.join(out3, "report.md")) as f:
        trend = md_tables(f.read(), "| runner | #1 | #2 |")
    peaks = {(m["throughput"]["runner"], "%s (%s)" % (
        m["throughput"]["median_text"], at(m["throughput"]["concurrency"])))
        for m in cases.values()}
    check(trend and all(rows for rows in trend), "report.md --trend has no runner tables")
    for rows in trend:
        for _, cells in rows:
            check(cells[1] == cells[2] and (cells[0], cells[1]) in peaks,
                  "report --trend: %s is no case's throughput text" % cells)


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


def test_verdict_rules(d):
    """Known documents: a group whose intervals overlap is a tie, one with a case that ran on a
    busy machine is not measurable, one clearly apart names its winner; a speed-up above the
    PUs the workers had (2 here) is suspect wherever it is shown."""
    def group(workload, serial, threads, processes, cv, busy=None):
        return [docgen.make_case(seed=s, runner=r, workload=workload, throughput=t, cv=cv,
                                 concurrency=1 if r == "serial" else 2,
                                 busy_reps=8 if r == busy else 1)
                for s, (r, t) in enumerate((("serial", serial), ("threads", threads),
                                            ("processes", processes)))]
    cases = (group("cpu.sumsq", 1000, 1950, 1000, 0.01) +        # threads clearly ahead
             group("cpu.primes", 1000, 1500, 1480, 0.05) +       # threads ~ processes
             group("cpu.matmul", 1000, 2600, 1300, 0.01) +       # 2.6x on 2 PUs: suspect
             group("mem.stream", 1000, 1900, 1000, 0.01, busy="serial"))
    path = os.path.join(d, "verdicts.json")
    docgen.write(docgen.make_doc(cases), path)
    # The speed-ups and their judgement are parbench's: a merge of the one document redoes them.
    merged = os.path.join(d, "verdicts-merged.json")
    pbtest.run(["merge", path, "-o", merged], expect=0)
    verdicts = {r["workload"]: r for r in export("ranking", merged)}
    check({w: r["verdict"] for w, r in verdicts.items()} ==
          {"cpu.sumsq": "winner", "cpu.primes": "tie", "cpu.matmul": "winner",
           "mem.stream": "busy"}, "ranking verdicts: %s" %
          {w: r["verdict"] for w, r in verdicts.items()})
    check(verdicts["cpu.matmul"]["vs_serial_suspect"] == "1" and
          verdicts["cpu.sumsq"]["vs_serial_suspect"] == "0",
          "a speed-up above the PUs is suspect, one below is not: %s %s" %
          (verdicts["cpu.matmul"]["vs_serial_suspect"],
           verdicts["cpu.sumsq"]["vs_serial_suspect"]))
    check("serial cpu.primes" not in verdicts["mem.stream"]["busy_during"] and
          "serial mem.stream" in verdicts["mem.stream"]["busy_during"],
          "busy_during names the busy case: %r" % verdicts["mem.stream"]["busy_during"])
    out = os.path.join(d, "verdicts-report")
    r = script("report", [merged, "-o", out])
    if not check(r.returncode == 0, "report of known verdicts: exit %d\n%s" %
                 (r.returncode, r.stderr)):
        return
    with open(os.path.join(out, "report.md")) as f:
        mdtext = f.read()
    with open(os.path.join(out, "report.html")) as f:
        page = f.read()
    check_verdicts(merged, mdtext, page, "known verdicts")
    check("**threads** (c=2)" in mdtext and "Not measurable here: the machine was busy during "
          "serial mem.stream" in mdtext and "Highest median, no winner: threads" in mdtext and
          "(suspect: above what the workers' PUs allow" in mdtext,
          "report.md states the verdicts:\n" + mdtext[:3000])


def main():
    with tempfile.TemporaryDirectory() as d:
        test_verdict_rules(d)
        test_bad_suites(d)
        test_report(d)
        test_settings(d)
    pbtest.done()


if __name__ == "__main__":
    main()
