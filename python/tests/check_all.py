#!/usr/bin/env python3
"""Runs the Python worker through fake_driver.py over small cases, one at a time, and checks
each summary: every runner x every workload, failures of each kind, set-up errors, stops,
crashes. Sizes stay tiny (a fraction of a CPU second each).

    check_all.py [-k SUBSTRING] [-v]      (run it under `chrt -i 0` on a shared machine)
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DRIVER = os.path.join(HERE, "fake_driver.py")
PY = sys.executable
RUNNERS = ("serial", "threads", "processes", "asyncio", "semaphore", "queue")
LOOPS = ("asyncio", "semaphore", "queue")
CALL = ["-p", f"path={HERE}"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def drive(args):
    out = subprocess.run([PY, DRIVER, "--json", *args], capture_output=True, text=True, timeout=120)
    try:
        return json.loads(out.stdout.strip().splitlines()[-1]), out
    except (ValueError, IndexError):
        return None, out


def need(cond, what):
    if not cond:
        raise AssertionError(what)


def n_status(s, name):
    return s["by_status"].get(name, 0)


def all_ok(n):
    def check(s):
        assert not s["error"], s["error"]
        assert s["by_status"] == {"ok": n}, s["by_status"]
        assert s["submitted"] == n, s["submitted"]
    return check


def cases(port):
    url = f"http://127.0.0.1:{port}"
    out = []

    def case(name, args, check):
        out.append((name, args, check))

    for r in RUNNERS:
        R = ["--runner", r]
        case(f"{r} null", R + ["--workload", "null", "-n", "20"], all_ok(20))
        case(f"{r} cpu.sumsq", R + ["--workload", "cpu.sumsq", "-p", "n=1000", "-n", "10"], all_ok(10))
        case(f"{r} cpu.primes", R + ["--workload", "cpu.primes", "-p", "max=1000", "-n", "5"], all_ok(5))
        case(f"{r} io.sleep", R + ["--workload", "io.sleep", "-p", "ms=1", "-n", "10"], all_ok(10))

        def file_check(s):
            all_ok(10)(s)
            assert s["bytes"] == 10 * 8192, s["bytes"]
        case(f"{r} io.file", R + ["--workload", "io.file", "-p", "size=4096", "-p", "dir=/tmp", "-n", "10"],
             file_check)
        case(f"{r} io.file fsync", R + ["--workload", "io.file", "-p", "size=4096", "-p", "fsync=1",
                                         "-n", "4"], all_ok(4))

        def lock_check(s):
            all_ok(10)(s)
            assert s["check"] is None, s["check"]
            assert s["report"]["counter"] == 1000, s["report"]
        case(f"{r} sync.lock", R + ["--workload", "sync.lock", "-p", "increments=100", "-n", "10"], lock_check)
        case(f"{r} py.call double", R + ["--workload", "py.call", *CALL, "-p", "target=pycall_targets:double",
                                          "-n", "10"], all_ok(10))
        case(f"{r} py.call answer expect", R + ["--workload", "py.call", *CALL, "-p",
                                                 "target=pycall_targets:answer", "-p", "expect=42", "-n", "5"],
             all_ok(5))

        def boom(s):
            assert n_status(s, "exception") == 4, s["by_status"]
            assert any(t.startswith("ValueError: boom at") for t in s["failures"].values()), s["failures"]
        case(f"{r} py.call raising", R + ["--workload", "py.call", *CALL, "-p", "target=pycall_targets:boom",
                                           "-n", "4"], boom)

        def wrong(s):
            assert n_status(s, "wrong_result") == 3 and n_status(s, "ok") == 0, s["by_status"]
            assert any("expected '5'" in t for t in s["failures"].values()), s["failures"]
        case(f"{r} py.call wrong expect", R + ["--workload", "py.call", *CALL, "-p",
                                                "target=pycall_targets:double", "-p", "expect=5", "-n", "3"], wrong)

        def http_ok(s):
            all_ok(8)(s)
            assert s["bytes"] == 8 * 300, s["bytes"]
        case(f"{r} io.http", R + ["--workload", "io.http", "--url", f"{url}/?size=300", "--embedded",
                                   "-p", "size=300", "-n", "8"], http_ok)
        case(f"{r} io.http 500", R + ["--workload", "io.http", "--url", f"{url}/status/500", "-n", "3"],
             lambda s: need((n_status(s, "http_status") == 3), s["by_status"]))
        case(f"{r} io.http short", R + ["--workload", "io.http", "--url", f"{url}/short?size=1000", "-n", "3"],
             lambda s: need(n_status(s, "short_body") == 3, s["by_status"]))
        case(f"{r} io.http refused", R + ["--workload", "io.http", "--url", f"http://127.0.0.1:{free_port()}/",
                                           "-n", "3"],
             lambda s: need(n_status(s, "connect") == 3, s["by_status"]))
        case(f"{r} io.http wrong pattern", R + ["--workload", "io.http", "--url", f"{url}/?size=300",
                                                 "--embedded", "-p", "size=200", "-n", "2"],
             lambda s: need(n_status(s, "wrong_result") == 2, s["by_status"]))
        case(f"{r} open uniform", R + ["--workload", "null", "--rate", "500", "-n", "40"], all_ok(40))
        case(f"{r} open poisson duration", R + ["--workload", "null", "--rate", "300", "--arrivals", "poisson",
                                                 "--duration", "0.2"],
             lambda s: need((s["records"] == s["submitted"] > 20), s["submitted"]))

        def stopped(s):
            assert s["exit"] == 0 and s["stopped"] is True, (s["exit"], s["stopped"])
            assert not s["leftover_processes"], s["leftover_processes"]
            assert s["wall_s"] < 1.5, s["wall_s"]
            assert s["records"] > 0, s["records"]
        load = ["--rate", "200", "--duration", "2"] if r == "asyncio" else ["--duration", "2"]
        case(f"{r} SIGINT io.sleep", R + ["--workload", "io.sleep", "-p", "ms=20", *load, "--sigint-after", "0.5"],
             stopped)

        def timeouts(s):
            assert n_status(s, "timeout") == 3, s["by_status"]
        case(f"{r} timeout", R + ["--workload", "io.sleep", "-p", "ms=50", "--timeout", "0.01", "-n", "3"], timeouts)

        def fail_fast(s):
            assert 1 <= n_status(s, "wrong_result") and s["records"] < 60, s["by_status"]
        case(f"{r} fail_fast", R + ["--workload", "null", "-p", "fail_every=5", "-n", "200", "--fail-fast"],
             fail_fast)

    # the loops' own
    for r in LOOPS:
        R = ["--runner", r]
        case(f"{r} py.call async", R + ["--workload", "py.call", *CALL, "-p", "target=pycall_targets:anap",
                                         "-n", "10"],
             lambda s: need(all_ok(10)(s) or s["report"]["ran"] == "async def: awaited", s["report"]))
        case(f"{r} py.call async raising", R + ["--workload", "py.call", *CALL, "-p",
                                                 "target=pycall_targets:aboom", "-n", "3"],
             lambda s: need(n_status(s, "exception") == 3, s["by_status"]))
        case(f"{r} py.call to_thread", R + ["--workload", "py.call", *CALL, "-p", "target=pycall_targets:nap",
                                             "-p", "to_thread=1", "-p", "expect=ok", "-n", "6"],
             lambda s: need(all_ok(6)(s) or s["report"]["ran"] == "asyncio.to_thread", s["report"]))
        case(f"{r} py.call inline", R + ["--workload", "py.call", *CALL, "-p", "target=pycall_targets:nap",
                                          "-n", "3"],
             lambda s: need(all_ok(3)(s) or s["report"]["ran"] == "ran inline: blocks the loop", s["report"]))
        case(f"{r} uvloop io.sleep", R + ["--workload", "io.sleep", "-p", "ms=1", "--loop", "uvloop", "-n", "10"],
             lambda s: need(all_ok(10)(s) or s["ready"]["python"]["loop"].startswith("uvloop"), s["ready"]))
        case(f"{r} uvloop io.http", R + ["--workload", "io.http", "--loop", "uvloop", "--url", f"{url}/?size=100",
                                          "-n", "5"], all_ok(5))
    for r in ("serial", "threads"):
        case(f"{r} io.http http.client", ["--runner", r, "--workload", "io.http", "-p", "client=http.client",
                                          "--url", f"{url}/?size=300", "--embedded", "-p", "size=300", "-n", "8"],
             all_ok(8))
    case("processes io.http http.client", ["--runner", "processes", "--workload", "io.http", "-p",
                                           "client=http.client", "--url", f"{url}/status/404", "-n", "4"],
         lambda s: need(n_status(s, "http_status") == 4, s["by_status"]))
    case("semaphore duration", ["--runner", "semaphore", "--workload", "io.sleep", "-p", "ms=5", "-c", "3",
                                "--duration", "0.2"],
         lambda s: need(s["records"] == s["submitted"] > 20 and s["report"]["peak_in_flight"] == 3, (s["records"], s["submitted"], s["report"])))
    case("semaphore peak", ["--runner", "semaphore", "--workload", "io.sleep", "-p", "ms=5", "-c", "3", "-n", "12"],
         lambda s: need(s["report"]["peak_in_flight"] == 3, s["report"]))
    case("queue depth 1", ["--runner", "queue", "--workload", "io.sleep", "-p", "ms=1", "-c", "2",
                           "--queue-depth", "1", "-n", "10"], all_ok(10))

    # set-up errors
    def error(text):
        def check(s):
            assert s["error"] == text, s["error"]
            assert s["exit"] == 0 and s["ready"] is None
        return check
    case("error import", ["--runner", "threads", "--workload", "py.call", "-p", "target=nomod:fn", "-n", "1"],
         error("py.call: cannot import nomod: ModuleNotFoundError: No module named 'nomod'"))
    case("error attribute", ["--runner", "processes", "--workload", "py.call", *CALL, "-p",
                             "target=pycall_targets:nope", "-n", "1"],
         error("py.call: pycall_targets has no attribute nope"))
    case("error async under threads", ["--runner", "threads", "--workload", "py.call", *CALL, "-p",
                                       "target=pycall_targets:anap", "-n", "1"],
         error("py.call: pycall_targets:anap is async def: use py.asyncio, py.semaphore or py.queue"))
    case("error signature", ["--runner", "serial", "--workload", "py.call", *CALL, "-p",
                             "target=pycall_targets:two_args", "-n", "1"],
         error("py.call: pycall_targets:two_args(a, b) cannot be called as fn(index) or fn()"))
    case("error no form", ["--runner", "serial", "--workload", "cpu.matmul", "-n", "1"],
         error("no Python form of workload cpu.matmul (py runners run: null, cpu.sumsq, cpu.primes, io.sleep, "
               "io.http, io.file, sync.lock, py.call)"))
    case("error gather duration", ["--runner", "asyncio", "--workload", "null", "--duration", "1"],
         error("py.asyncio gathers a fixed set of tasks: give tasks, or a rate with a duration"))
    case("error pin", ["--runner", "threads", "--workload", "null", "--pins", "0;999", "-n", "1"],
         lambda s: need((s["error"] or "").startswith("cannot pin pool thread 1 to CPUs [999]"), s["error"]))

    # crashes: the pool is rebuilt, the crashed tasks are "crash"
    for mode in ("abort", "segv", "exit"):
        def crashed(s, mode=mode):
            assert s["exit"] == 0 and not s["problems"], s["problems"]
            # tasks 6, 13, 20, 27 die; a sibling running beside one dies with the pool (c = 2)
            assert 4 <= n_status(s, "crash") <= 8, s["by_status"]
            assert n_status(s, "ok") + n_status(s, "crash") == 30, s["by_status"]
            assert s["report"]["pool_rebuilds"] >= 2, s["report"]
            assert s["records"] == s["submitted"] == 30, (s["records"], s["submitted"])
            assert all(t.startswith("BrokenProcessPool") for t in s["failures"].values()), s["failures"]
            assert not s["leftover_processes"]
        case(f"processes crash {mode}", ["--runner", "processes", "--workload", "null", "-p", "crash_every=7",
                                         "-p", f"crash_mode={mode}", "-n", "30"], crashed)
    case("processes SIGINT open", ["--runner", "processes", "--workload", "io.sleep", "-p", "ms=20", "--rate",
                                   "100", "--duration", "2", "--sigint-after", "0.4"],
         lambda s: need(s["stopped"] and not s["leftover_processes"] and s["wall_s"] < 1.5, s))
    case("threads SIGINT past grace", ["--runner", "threads", "--workload", "io.sleep", "-p", "ms=3000",
                                       "--duration", "2", "--grace", "0.3", "--sigint-after", "0.3"],
         lambda s: need(s["stopped"] and s["exit"] == 0 and s["records"] == 0, (s["stopped"], s["exit"], s["records"])))
    case("processes SIGINT past grace", ["--runner", "processes", "--workload", "io.sleep", "-p", "ms=3000",
                                         "--duration", "2", "--grace", "0.3", "--sigint-after", "0.3"],
         lambda s: need(s["stopped"] and s["exit"] == 0 and s["records"] == 0 and not s["leftover_processes"],
                        (s["stopped"], s["exit"], s["records"], s["leftover_processes"])))
    case("asyncio SIGINT cancels after grace", ["--runner", "asyncio", "--workload", "io.sleep", "-p", "ms=3000",
                                                "-n", "5", "--grace", "0.3", "--sigint-after", "0.3"],
         lambda s: need(s["stopped"] and n_status(s, "other") == 5, s["by_status"]))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-k", default="", help="only cases whose name contains this")
    ap.add_argument("-v", action="store_true", help="print each summary")
    a = ap.parse_args()
    port = free_port()
    server = subprocess.Popen([PY, os.path.join(HERE, "http_target.py"), str(port)], stdout=subprocess.PIPE,
                              text=True)
    failed = 0
    try:
        server.stdout.readline()
        for name, args, check in cases(port):
            if a.k not in name:
                continue
            t = time.monotonic()
            s, out = drive(args)
            try:
                assert s is not None, f"no summary: {out.stdout[-500:]} {out.stderr[-1500:]}"
                assert not s["problems"] or "crash" in name, s["problems"]
                check(s)
                verdict = "ok"
            except AssertionError as e:
                verdict, failed = f"FAILED: {e}", failed + 1
                if out.stderr.strip():
                    verdict += "\n    stderr: " + out.stderr.strip()[-1500:].replace("\n", "\n    ")
            print(f"{name:45s} {time.monotonic() - t:5.2f} s  {verdict}", flush=True)
            if a.v and s:
                print("   ", json.dumps(s))
    finally:
        server.terminate()
        server.wait()
    print("all passed" if not failed else f"{failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
