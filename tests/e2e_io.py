"""End to end, I/O: every runner x io.sleep, io.http (embedded target) and io.file; io.http
against nginx; failures by kind; the semaphore's limit counted at the target; open-loop counts;
timeouts; a server that never answers; eventloop's -c rule."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

from pbtest import PARBENCH, case, check, done, run, run_doc

RUNNERS = "serial,threads,processes,eventloop,semaphore"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def all_ok(doc, tasks, what):
    for c in doc["cases"]:
        for rep in c["repetitions"]:
            check(rep["tasks_ok"] == tasks and rep["tasks_failed"] == 0,
                  "%s %s c=%s: %d ok, got %d ok, failures %s" %
                  (what, c["runner"], c["concurrency"], tasks, rep["tasks_ok"], rep["failures"]))


# every runner x the three I/O workloads
doc, _ = run_doc(["-r", RUNNERS, "-w", "io.sleep", "-p", "ms=5", "-c", "1,4", "-n", "40",
                  "--repeat", "1", "--warmup", "0"])
if doc:
    all_ok(doc, 40, "io.sleep")
    for c in doc["cases"]:
        rep = c["repetitions"][0]
        check(rep["service_ns"]["min"] >= 5e6, "io.sleep %s: no wait shorter than 5 ms (%d ns)" %
              (c["runner"], rep["service_ns"]["min"]))
        check(rep["workload"]["requested_ms"] == 5, "io.sleep reports the requested wait")
    ev = case(doc, "eventloop")
    check(ev["concurrency"] is None and ev["repetitions"][0]["latency_ns"]["max"] < 1e9,
          "eventloop gathers all 40 sleeps at once")

doc, _ = run_doc(["-r", RUNNERS, "-w", "io.http", "-p", "size=3000", "-c", "1,8", "-n", "300",
                  "--repeat", "1", "--warmup", "0"])
if doc:
    all_ok(doc, 300, "io.http")
    for c in doc["cases"]:
        rep = c["repetitions"][0]
        check(abs(rep["bytes_per_s"] * rep["wall_s"] - 300 * 3000) < 10,
              "io.http %s: every body counted" % c["runner"])
        check("fixture" in rep and rep["fixture"]["url"].startswith("http://127.0.0.1:"),
              "io.http %s: the embedded target recorded" % c["runner"])

with tempfile.TemporaryDirectory() as d:
    doc, _ = run_doc(["-r", RUNNERS, "-w", "io.file", "-p", "size=8192", "-p", "dir=" + d,
                      "-c", "1,4", "-n", "50", "--repeat", "1", "--warmup", "0"])
    if doc:
        all_ok(doc, 50, "io.file")
        check(os.listdir(d) == [], "io.file leaves no file behind: %s" % os.listdir(d))
    ev = case(doc, "eventloop") if doc else None
    check(ev and "uv_threadpool_size" in ev["repetitions"][0]["workload"],
          "io.file on the loop records libuv's thread pool size")

# io.file into a directory that does not exist: exit 2 before any work
p = run(["run", "-r", "threads", "-w", "io.file", "-p", "dir=/nonexistent/x", "-n", "5",
         "--quiet", "-o", "-"], expect=2)
check("/nonexistent/x" in p.stderr and len(p.stderr.strip().splitlines()) == 1,
      "bad io.file dir named in one line: %r" % p.stderr)

# --loops 2: two loops on two pinned threads share the tasks (and the semaphore's permits)
doc, _ = run_doc(["-r", "eventloop,semaphore", "-w", "io.sleep", "-p", "ms=2", "-c", "4",
                  "--loops", "2", "-n", "101", "--repeat", "1", "--warmup", "0"])
if doc:
    all_ok(doc, 101, "--loops 2")
    for c in doc["cases"]:
        workers = c["repetitions"][0]["placement"]["workers"]
        check(c["workers"] == 2 and len(workers) == 2, c["runner"] + ": two loops")
        check(sorted(w["tasks"] for w in workers) == [50, 51],
              c["runner"] + ": the tasks split evenly: %s" % [w["tasks"] for w in workers])
        if doc["host"]["pu_count"] >= 2:
            check(workers[0]["cpuset"] != workers[1]["cpuset"],
                  c["runner"] + ": each loop on its own PU")

# more loops than tasks: the extra loops idle, exactly -n tasks run
for runner, extra in (("eventloop", []), ("semaphore", ["-c", "4"])):
    doc, _ = run_doc(["-r", runner, "-w", "null", "-n", "2", "--loops", "4", "--repeat", "1",
                      "--warmup", "0"] + extra, timeout=30)
    if doc:
        rep = doc["cases"][0]["repetitions"][0]
        check(rep["tasks_submitted"] == 2 and rep["tasks_ok"] == 2,
              "%s --loops 4 -n 2: exactly 2 tasks, got %d/%d" %
              (runner, rep["tasks_submitted"], rep["tasks_ok"]))
p = run(["run", "-r", "semaphore", "-w", "null", "-c", "2", "--loops", "4", "-n", "10",
         "--quiet", "-o", "-"], expect=2)
check("--loops 4" in p.stderr, "fewer permits than loops: exit 2 naming it: %r" % p.stderr)

# eventloop takes no -c of its own
p = run(["run", "-r", "eventloop", "-w", "io.sleep", "-c", "10", "-n", "5", "--quiet"], expect=2)
check("semaphore" in p.stderr, "eventloop -c points at semaphore: %r" % p.stderr)

# a target of our own: the semaphore's limit, counted where the requests arrive
serve = subprocess.Popen([PARBENCH, "serve", "--port", "0"], stdout=subprocess.PIPE, text=True)
try:
    port = int(serve.stdout.readline().split()[1])
    base = "http://127.0.0.1:%d/" % port
    urllib.request.urlopen(base + "__reset").read()
    doc, _ = run_doc(["-r", "semaphore", "-w", "io.http", "-c", "10", "-n", "200",
                      "--url", base + "?delay_ms=5&size=10", "--repeat", "1", "--warmup", "0"])
    stats = json.loads(urllib.request.urlopen(base + "__stats").read())
    check(stats["in_flight_max"] == 10,
          "semaphore -c 10: at most 10 requests in progress at the target, saw %d" %
          stats["in_flight_max"])
    check(stats["requests"] == 200, "the target answered 200 requests: %d" % stats["requests"])
    if doc:
        all_ok(doc, 200, "semaphore -c 10")

    # failures by kind: status 500, a closed connection, a delay past --timeout
    for query, kind, code in (("status=500", "http_status", 1), ("close=1", None, 1),
                              ("delay_ms=2000", "timeout", 1)):
        for runner in ("threads", "semaphore", "processes"):
            doc, _ = run_doc(["-r", runner, "-w", "io.http", "-c", "2", "-n", "6", "--url",
                              base + "?" + query, "--timeout", "300ms", "--repeat", "1",
                              "--warmup", "0"], expect=code)
            if not doc:
                continue
            rep = doc["cases"][0]["repetitions"][0]
            check(rep["tasks_failed"] == 6 and rep["tasks_ok"] == 0,
                  "%s %s: all 6 failed: %s" % (runner, query, rep["failures"]))
            if kind:
                check(rep["failures"].get(kind) == 6, "%s %s: counted as %s: %s" %
                      (runner, query, kind, rep["failures"]))
            if kind == "timeout":
                check(rep["timeouts"] == 6 and rep["wall_s"] < 1.9,
                      "%s: timeouts counted apart and cut short (%.2f s)" %
                      (runner, rep["wall_s"]))
    # --max-errors lets them pass
    run_doc(["-r", "threads", "-w", "io.http", "-c", "2", "-n", "6", "--url",
             base + "?status=500", "--max-errors", "100%", "--repeat", "1", "--warmup", "0"],
            expect=0)

    # open loop: rate x duration tasks are scheduled, whatever the completions
    for runner in ("semaphore", "threads", "eventloop"):
        doc, _ = run_doc(["-r", runner, "-w", "io.http", "--url", base + "?delay_ms=1"] +
                         ([] if runner == "eventloop" else ["-c", "8"]) +
                         ["--rate", "400", "--duration", "1s", "--repeat", "1", "--warmup", "0"])
        if doc:
            rep = doc["cases"][0]["repetitions"][0]
            check(rep["tasks_submitted"] == 400 and rep["tasks_ok"] == 400,
                  "%s --rate 400 --duration 1s: 400 scheduled and done, got %d/%d" %
                  (runner, rep["tasks_submitted"], rep["tasks_ok"]))
            check(0.95 < rep["wall_s"] < 1.5, "%s open loop lasts ~1 s: %.2f" %
                  (runner, rep["wall_s"]))
finally:
    serve.terminate()
    serve.wait(timeout=10)

# a server that never answers: exit 3, promptly
port = free_port()
t0 = time.time()
p = run(["run", "-r", "threads", "-w", "io.http", "--url", "http://127.0.0.1:%d/" % port,
         "-n", "5", "--quiet", "-o", "-"], expect=3)
check(time.time() - t0 < 10 and str(port) in p.stderr, "no server: exit 3 naming it: %r" %
      p.stderr)

# io.http against nginx, a real server
nginx = shutil.which("nginx") or "/usr/sbin/nginx"
if not os.path.exists(nginx):
    check(False, "nginx is not installed (scripts/setup installs nginx-light)")
else:
    with tempfile.TemporaryDirectory() as d:
        port = free_port()
        with open(os.path.join(d, "index.html"), "w") as f:
            f.write("x" * 2048)
        conf = os.path.join(d, "nginx.conf")
        with open(conf, "w") as f:
            f.write("""daemon off; worker_processes 1; pid %s/nginx.pid; error_log %s/error.log;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path %s; proxy_temp_path %s; fastcgi_temp_path %s;
       uwsgi_temp_path %s; scgi_temp_path %s; keepalive_requests 100000;
       server { listen 127.0.0.1:%d; root %s; } }
""" % (d, d, d, d, d, d, d, port, d))
        ng = subprocess.Popen([nginx, "-c", conf, "-p", d], stderr=subprocess.PIPE)
        try:
            for _ in range(50):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            doc, _ = run_doc(["-r", "threads,semaphore,eventloop", "-w", "io.http", "-c", "4",
                              "--url", "http://127.0.0.1:%d/index.html" % port, "-n", "500",
                              "--repeat", "1", "--warmup", "0"])
            if doc:
                all_ok(doc, 500, "nginx")
                for c in doc["cases"]:
                    rep = c["repetitions"][0]
                    check(abs(rep["bytes_per_s"] * rep["wall_s"] - 500 * 2048) < 10,
                          "nginx %s: full bodies" % c["runner"])
        finally:
            ng.terminate()
            ng.wait(timeout=10)

done()
