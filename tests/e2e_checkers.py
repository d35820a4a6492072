"""Proves the checkers other tests lean on can fail: pbtest.junit_errors/junit_check (xmllint
against the Jenkins JUnit schema, tests/fixtures/junit/) accept a hand-written valid file and
reject each way a writer could get it wrong, and pbtest.markdown_tables finds the cells of a
real table and no table in text that only has pipes. Needs no parbench binary."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pbtest  # noqa: E402
from pbtest import check  # noqa: E402

TMP = tempfile.mkdtemp(prefix="pb-e2e-checkers-")

VALID = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="parbench compare" tests="3" failures="1" errors="0" time="1.5">
  <testsuite name="compare" tests="3" failures="1" errors="0" skipped="1" time="1.5"
             timestamp="2024-05-01T12:00:00" hostname="bench1">
    <properties>
      <property name="base" value="a.json"/>
      <property name="head" value="b.json"/>
    </properties>
    <testcase name="threads/cpu.sumsq/c=2" classname="compare.threads" time="0.5">
      <failure message="throughput -12.0% (p=0.001)" type="regression">base 10000 op/s,
head 8800 op/s</failure>
      <system-out>median 8800 op/s &lt;&amp;&gt; "quoted"</system-out>
    </testcase>
    <testcase name="processes/cpu.sumsq/c=2" classname="compare.processes" time="0.5">
      <skipped>only in base</skipped>
    </testcase>
    <testcase name="loop/io.echo/c=4" classname="compare.loop" time="0.5">
      <system-out>no change</system-out>
    </testcase>
    <system-out>2 cases compared</system-out>
  </testsuite>
</testsuites>
"""


def write(name, text):
    path = os.path.join(TMP, name + ".xml")
    with open(path, "w") as f:
        f.write(text)
    return path


def suite(body, suites_attrs="", suite_attrs=' name="s" tests="1"'):
    return "<testsuites%s><testsuite%s>%s</testsuite></testsuites>\n" % (
        suites_attrs, suite_attrs, body)


# --- a valid file passes, and junit_check hands back its tree ---
path = write("valid", VALID)
check(pbtest.junit_errors(path) == [], "valid file: errors %s" % pbtest.junit_errors(path))
root = pbtest.junit_check(path, "hand-written valid JUnit")
if check(root is not None, "junit_check returns the root of a valid file"):
    check(root.tag == "testsuites", "root is <testsuites>")
    cases = root.findall("./testsuite/testcase")
    check(len(cases) == 3, "3 testcases, got %d" % len(cases))
    check(cases[0].find("failure").get("message") == "throughput -12.0% (p=0.001)",
          "failure message read back")
    check(cases[1].find("skipped").text == "only in base", "skipped text read back")
    check(cases[0].find("system-out").text == 'median 8800 op/s <&> "quoted"',
          "escaped system-out read back")
# A lone <testsuite> root is valid too.
check(pbtest.junit_errors(write("suite-root", '<testsuite name="s" tests="0"/>')) == [],
      "a <testsuite> root is valid")

# --- each mistake is an error that names it ---
INVALID = [
    ("testcase-without-name", suite('<testcase classname="c"/>'),
     "attribute 'name' is required"),
    ("skipped-with-message", suite('<testcase name="a"><skipped message="x"/></testcase>'),
     "attribute 'message' is not allowed"),
    ("skipped-with-child", suite('<testcase name="a"><skipped><b/></skipped></testcase>'),
     "skipped"),
    ("testsuites-skipped-attr", suite("", suites_attrs=' skipped="1"'),
     "attribute 'skipped' is not allowed"),
    ("testsuites-timestamp-attr", suite("", suites_attrs=' timestamp="2024-05-01T12:00:00"'),
     "attribute 'timestamp' is not allowed"),
    ("testsuite-without-tests", suite("", suite_attrs=' name="s"'),
     "attribute 'tests' is required"),
    ("testsuite-without-name", suite("", suite_attrs=' tests="0"'),
     "attribute 'name' is required"),
    ("testcase-file-attr", suite('<testcase name="a" file="x.c"/>'),
     "attribute 'file' is not allowed"),
    ("failure-before-skipped", suite('<testcase name="a"><failure/><skipped/></testcase>'),
     "Element 'skipped': This element is not expected"),
    ("failure-before-error", suite('<testcase name="a"><failure/><error/></testcase>'),
     "Element 'error': This element is not expected"),
    ("system-out-before-failure",
     suite('<testcase name="a"><system-out>x</system-out><failure/></testcase>'),
     "Element 'failure': This element is not expected"),
    ("two-skipped", suite('<testcase name="a"><skipped/><skipped/></testcase>'),
     "Element 'skipped': This element is not expected"),
    ("properties-after-testcase",
     suite('<testcase name="a"/><properties><property name="k" value="v"/></properties>'),
     "Element 'properties': This element is not expected"),
    ("system-out-before-testcase",
     suite('<system-out>x</system-out><testcase name="a"/>'),
     "Element 'testcase': This element is not expected"),
    ("two-suite-system-outs",
     suite('<system-out>x</system-out><system-out>y</system-out>'),
     "Element 'system-out': This element is not expected"),
    ("empty-properties", suite("<properties/>"), "properties"),
    ("property-without-value", suite('<properties><property name="k"/></properties>'),
     "attribute 'value' is required"),
    ("properties-in-testcase",
     suite('<testcase name="a"><properties><property name="k" value="v"/></properties>'
           '</testcase>'),
     "Element 'properties': This element is not expected"),
    ("failure-with-child", suite('<testcase name="a"><failure><b/></failure></testcase>'),
     "failure"),
    ("unknown-root", "<results/>\n", "No matching global declaration"),
    ("not-well-formed", '<testsuites><testsuite name="s" tests="1">\n', "parser error"),
    ("empty-file", "", ""),
]
for name, text, want in INVALID:
    errs = pbtest.junit_errors(write(name, text))
    if check(errs, "%s: accepted, should be rejected:\n%s" % (name, text)):
        check(any(want in e for e in errs),
              "%s: no error mentions %r:\n%s" % (name, want, "\n".join(errs)))

# --- junit_check fails the test that calls it, and refuses a root the schema alone allows ---
CHILD = """import sys
sys.path.insert(0, %r)
import pbtest
print("root:", pbtest.junit_check(sys.argv[1], "child"))
pbtest.done()
""" % os.path.dirname(os.path.abspath(__file__))
for name, text, want in [("testcase-without-name-child", suite('<testcase/>'), "is required"),
                         ("testcase-root", '<testcase name="a"/>\n', "has root <testcase>"),
                         ("valid-child", VALID, None)]:
    path = write(name, text)
    if name == "testcase-root":
        check(pbtest.junit_errors(path) == [], "the schema alone accepts a <testcase> root")
    p = subprocess.run([sys.executable, "-c", CHILD, path], capture_output=True, text=True,
                       timeout=60)
    if want is None:
        check(p.returncode == 0 and "root: <Element 'testsuites'" in p.stdout,
              "%s: exit %d\n%s%s" % (name, p.returncode, p.stdout, p.stderr))
    else:
        check(p.returncode == 1 and "root: None" in p.stdout and "FAIL:" in p.stderr
              and want in p.stderr,
              "%s: junit_check should fail the test: exit %d\n%s%s" %
              (name, p.returncode, p.stdout, p.stderr))

# --- a missing xmllint is an error, not a pass ---
saved = os.environ["PATH"]
os.environ["PATH"] = TMP
try:
    pbtest.junit_errors(write("valid", VALID))
    check(False, "junit_errors without xmllint on PATH did not raise")
except RuntimeError as e:
    check("libxml2-utils" in str(e), "missing xmllint message names the package: %s" % e)
finally:
    os.environ["PATH"] = saved

# --- Markdown: a real table is cells, pipes without a separator row are none ---
SUMMARY = """## parbench compare

| case | base op/s | head op/s | change | verdict |
|:-----|----------:|----------:|-------:|:-------:|
| `threads/cpu.sumsq/c=2` | 10000 | 8800 | **-12.0%** | :x: regression |
| `loop/io.echo/c=4` | 5000 | 5010 | +0.2% | same |
| a \\| b | 1 | 2 | | |

1 regression in 2 cases.

| runner | regressions |
|---|---|
| threads | 1 |
"""
tables = pbtest.markdown_tables(SUMMARY)
check(len(tables) == 2, "summary: 2 tables, got %d: %s" % (len(tables), tables))
if tables:
    check(tables[0] == [
        ["case", "base op/s", "head op/s", "change", "verdict"],
        ["threads/cpu.sumsq/c=2", "10000", "8800", "-12.0%", ":x: regression"],
        ["loop/io.echo/c=4", "5000", "5010", "+0.2%", "same"],
        ["a | b", "1", "2", "", ""]], "summary table cells: %s" % tables[0])
if len(tables) == 2:
    check(tables[1] == [["runner", "regressions"], ["threads", "1"]],
          "second table: %s" % tables[1])
check("<h2>parbench compare</h2>" in pbtest.markdown_html(SUMMARY), "heading rendered")

for name, text in [
        ("pipes, no separator row", "| case | change |\n| threads | -12% |\n"),
        ("bare pipes, no separator row", "a | b\nc | d\n"),
        ("separator without a blank line before the table",
         "Results:\n| a | b |\n|---|---|\n| 1 | 2 |\n"),
        ("table in a code block", "```\n| a | b |\n|---|---|\n| 1 | 2 |\n```\n"),
        ("no pipes", "just text\n")]:
    t = pbtest.markdown_tables(text)
    check(t == [], "%s: expected no table, got %s" % (name, t))

t = pbtest.markdown_tables("x | y\n--- | ---\n1 | 2\n")
check(t == [[["x", "y"], ["1", "2"]]], "a table without outer pipes: %s" % t)
# A short row is padded to the header's width (as on GitHub); a long one is cut.
t = pbtest.markdown_tables("| a | b |\n|---|---|\n| 1 |\n| 1 | 2 | 3 |\n")
check(t == [[["a", "b"], ["1", ""], ["1", "2"]]], "short and long rows: %s" % t)

pbtest.done()
