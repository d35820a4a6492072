"""Synthesises schema-valid parbench result documents with known distributions, so that the
compare, export and merge tests know the truth they are checking against.

    from docgen import make_doc, make_case
    doc = make_doc([make_case(seed=1, runner="threads", throughput=1000.0, n=10)])

or from the shell: python3 tests/docgen.py --seed 1 --throughput-shift 0.9 -n 10 -o new.json

Paired data (what merge --rounds gives compare): each repetition carries "round": k, and base and
new of round k share a common factor (the machine's drift that round) on top of their own noise:

    base, new = paired_cases(seed=1, n=12, drift=0.10, cv=0.01, shift=0.95)
"""
import argparse
import json
import math
import random
import statistics
import sys

SCHEMA = "parbench/result/v1"
# The points of a case's latency spectrum (pb_spectrum_percentiles in harness/result.c).
PERCENTILES = [0, 10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 95, 97, 99, 99.5, 99.9, 99.95,
               99.99, 99.999, 100]
DEFAULT_PIN = "compact"
DEFAULT_QUEUE_DEPTH = 1024


def _summary(values):
    n = len(values)
    if n == 0:
        return {"n": 0, "median": 0, "mean": 0, "stddev": 0, "cv": 0, "min": 0, "max": 0,
                "ci_low": 0, "ci_high": 0, "ci_level": 0}
    mean = statistics.fmean(values)
    sd = statistics.stdev(values) if n > 1 else 0.0
    return {"n": n, "median": statistics.median(values), "mean": mean, "stddev": sd,
            "cv": sd / mean if mean else 0.0, "min": min(values), "max": max(values),
            "ci_low": min(values), "ci_high": max(values), "ci_level": 0.95}


def _percentiles(rng, p50, cv):
    """Latency percentiles around a p50, ordered as a histogram's would be: whole ns, as
    parbench writes them."""
    v = {"p50": p50}
    v["min"] = p50 * 0.5
    v["p90"] = p50 * (1.3 + rng.random() * 0.05)
    v["p99"] = p50 * (2.0 + rng.random() * 0.1)
    v["p99_9"] = v["p99"] * 1.5
    v["max"] = v["p99_9"] * 2.0
    v = {k: int(round(x)) for k, x in v.items()}
    v["mean"] = p50 * 1.1
    return v


def _sigma(cv):
    """The sd of log x for a lognormal x with this coefficient of variation."""
    return math.sqrt(math.log(1.0 + cv * cv))


def make_repetition(rng, tasks, throughput, lat_p50, svc_p50, cv, complete=True, factor=1.0):
    """One repetition: throughput and the p50s are drawn lognormally with the given CV; p99 moves
    with p50 (its own noise added). factor multiplies throughput and divides the latencies (a
    faster round is faster in both); cv 0 gives exactly throughput * factor."""
    sigma = _sigma(cv)
    tp = throughput * factor * rng.lognormvariate(0.0, sigma)
    lat = _percentiles(rng, lat_p50 / factor * rng.lognormvariate(0.0, sigma), cv)
    svc = _percentiles(rng, svc_p50 / factor * rng.lognormvariate(0.0, sigma), cv)
    wall = tasks / tp
    return {
        "complete": complete, "wall_s": wall, "tasks_submitted": tasks, "tasks_ok": tasks,
        "tasks_failed": 0, "timeouts": 0, "failures": {}, "throughput_per_s": tp,
        "latency_ns": lat, "service_ns": svc,
        "cpu": {"user_s": wall * 0.9, "sys_s": wall * 0.05},
        "context_switches": {"voluntary": 10, "involuntary": 2},
        "faults": {"minor": 100, "major": 0}, "peak_rss_bytes": 10 << 20,
        "placement": {"migrations": 0, "workers": [
            {"worker": 0, "cpuset": [0], "cpus_seen": [0], "migrations": 0, "tasks": tasks,
             "replaced": 0}]},
        "check": {"ok": True},
    }


def _escaped(text):
    """A name or value as a case key writes it: '%', '/', '=', ',' and control bytes as %XX."""
    out = b""
    for b in text.encode():
        out += b"%%%02X" % b if b in b"%/=," or b < 0x20 or b == 0x7f else bytes([b])
    return out.decode()


def _number(v):
    """The shortest text that reads back as v; integral values without a fraction."""
    if v == math.floor(v) and abs(v) < 2.0 ** 53:
        return "%.0f" % v
    for prec in range(1, 18):
        t = "%.*g" % (prec, v)
        if float(t) == v:
            return t
    return repr(v)


def _value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _number(v)
    return str(v)


def case_id(runner, workload, params, concurrency, load, pin, loops=1,
            queue_depth=DEFAULT_QUEUE_DEPTH):
    """The key a case has (pb_case_info_finish in harness/case_info.c): what compare and merge
    match on, and the name export gives it."""
    parts = [_escaped(runner), _escaped(workload)]
    parts += ["%s=%s" % (_escaped(k), _escaped(_value(params[k]))) for k in sorted(params)]
    if concurrency is not None:
        parts.append("c=%d" % concurrency)
    if loops > 1:
        parts.append("loops=%d" % loops)
    if load.get("model") == "open":
        parts.append(("open:%s/s,%s" % (_number(float(load["rate_per_s"])),
                                                load["arrivals"])))
    if pin != DEFAULT_PIN:
        parts.append("pin=" + _escaped(pin))
    if queue_depth != DEFAULT_QUEUE_DEPTH:
        parts.append("qd=%d" % queue_depth)
    return "/".join(parts)


def make_case(seed=0, runner="threads", workload="cpu.sumsq", concurrency=2, n=10, tasks=1000,
              throughput=10000.0, latency_p50=200000.0, service_p50=100000.0, cv=0.03,
              params=None, load=None, pin="compact", spectrum=True, speedup=None,
              busy_reps=None, rounds=False, factors=None):
    """A case whose repetitions are drawn from lognormal distributions with the given medians
    and coefficient of variation; the same seed gives the same samples. With busy_reps, every
    repetition says what the machine did: busy_reps an int flags the first busy_reps of them
    busy, a set or list flags those indices (0-based). rounds: repetition i ran in round i + 1
    (rep["round"]), or rounds a list gives each repetition's round. factors: a multiplier per
    repetition (make_repetition's factor), e.g. the drift of its round."""
    rng = random.Random(seed)
    factors = list(factors) if factors is not None else [1.0] * n
    if len(factors) != n:
        raise ValueError("make_case: %d factors for %d repetitions" % (len(factors), n))
    reps = [make_repetition(rng, tasks, throughput, latency_p50, service_p50, cv, factor=f)
            for f in factors]
    if rounds is True:
        rounds = list(range(1, n + 1))
    for r, k in zip(reps, rounds or []):
        r["round"] = k
    if busy_reps is None:
        busy = None
    elif isinstance(busy_reps, int):
        busy = set(range(busy_reps))
    else:
        busy = set(busy_reps)
    for i, r in enumerate(reps if busy is not None else []):
        r["machine"] = {"others_cpus": 0.9 if i in busy else 0.0, "steal_cpus": 0.0,
                        "load1": 1.0, "freq_mhz": None, "governor": None, "run_wait": 0.0,
                        "involuntary_switches": 0, "cpu_per_task_ns": 1e5,
                        "cpu_per_task_ratio": None, "busy": i in busy}
        if i in busy:
            r["machine"]["busy_reason"] = "others used 0.90 of 2 CPUs"
    params = params if params is not None else {"iterations": 1000}
    load = load or {"model": "closed", "rate_per_s": None, "arrivals": None}
    summary = {
        "throughput_per_s": _summary([r["throughput_per_s"] for r in reps]),
        "wall_s": _summary([r["wall_s"] for r in reps]),
        "latency_p50_ns": _summary([r["latency_ns"]["p50"] for r in reps]),
        "latency_p99_ns": _summary([r["latency_ns"]["p99"] for r in reps]),
        "service_p50_ns": _summary([r["service_ns"]["p50"] for r in reps]),
        "service_p99_ns": _summary([r["service_ns"]["p99"] for r in reps]),
    }
    c = {
        "id": case_id(runner, workload, params, concurrency, load, pin),
        "runner": runner, "workload": workload, "params": params,
        "concurrency": concurrency, "workers": concurrency or 1, "tasks": tasks,
        "duration_s": None, "load": load,
        "pin": {"policy": pin.split(":")[0], "spec": pin,
                "plan": [[i] for i in range(concurrency or 1)]},
        "queue_depth": DEFAULT_QUEUE_DEPTH,
        "settings": {"repeat": n, "warmup": 1, "timeout_s": None, "grace_s": 2.0, "loops": 1},
        "complete": True, "warmups": 1, "repetitions": reps, "summary": summary,
        "latency_spectrum_ns": ([{"percentile": p, "value": int(latency_p50 * (1 + p / 50.0))}
                                 for p in PERCENTILES] if spectrum else []),
        "warnings": [],
    }
    if busy is not None:
        c["trust"] = {"trustworthy": 2 * len(busy) <= n, "busy_repetitions": len(busy)}
    if speedup is not None:
        c["speedup"] = {"baseline": "serial/%s/c=1" % workload, "value": speedup,
                        "efficiency": speedup / (concurrency or 1)}
    return c


def round_factors(seed, n, drift):
    """n per-round common factors, lognormal with CV drift: what a machine whose speed wanders
    from round to round does to both sides of each round."""
    rng = random.Random("drift-%s" % seed)
    return [rng.lognormvariate(0.0, _sigma(drift)) for _ in range(n)]


def paired_cases(seed=0, n=12, drift=0.10, cv=0.01, shift=1.0, latency_shift=1.0,
                 throughput=10000.0, latency_p50=200000.0, service_p50=100000.0,
                 base_busy=None, new_busy=None, factors=None, **kw):
    """A base and a new case that ran in the same n rounds: round k's repetitions carry
    "round": k and share the factor round_factors(seed, n, drift)[k-1] (or factors), each with
    its own lognormal noise of CV cv. New's throughput is shift times base's, its latencies
    latency_shift times. A paired test sees the shift through the drift; an unpaired one sees
    drift-wide samples. base_busy, new_busy: busy_reps of make_case for each side. kw goes to
    make_case for both (runner, workload, params, concurrency, ...)."""
    f = list(factors) if factors is not None else round_factors(seed, n, drift)
    base = make_case(seed=2 * seed, n=n, cv=cv, throughput=throughput, latency_p50=latency_p50,
                     service_p50=service_p50, rounds=True, factors=f, busy_reps=base_busy, **kw)
    new = make_case(seed=2 * seed + 1, n=n, cv=cv, throughput=throughput * shift,
                    latency_p50=latency_p50 * latency_shift,
                    service_p50=service_p50 * latency_shift, rounds=True, factors=f,
                    busy_reps=new_busy, **kw)
    return base, new


def make_doc(cases, host="host-a", cpu_model="Test CPU 9000", build_type="Release",
             git_commit="0123456789ab", started_at="2024-05-01T12:00:00Z", complete=True):
    return {
        "schema": SCHEMA, "complete": complete,
        "stop_reason": "completed" if complete else "interrupted",
        "tool": {"name": "parbench", "version": "0.1.0", "git_commit": git_commit,
                 "build_type": build_type, "compiler": "gcc 12", "sanitizer": "none"},
        "command_line": ["parbench", "run", "-r", "threads", "-w", "cpu.sumsq"],
        "suite": None, "started_at": started_at, "finished_at": started_at,
        "host": {"hostname": host, "os": {"sysname": "Linux", "release": "6.1",
                                          "machine": "x86_64"},
                 "cpu_model": cpu_model, "pu_count": 4, "core_count": 2,
                 "topology": {"caches": [{"type": "Data", "level": 1, "size": 32768,
                                          "num_sharing": 2},
                                         {"type": "Unified", "level": 3, "size": 8388608,
                                          "num_sharing": 4}]}},
        "libraries": {"hwloc": "2.9", "jansson": "2.14", "libcurl": "7.88", "libuv": "1.44"},
        "settings": {"fail_fast": False, "max_errors": 0.0, "isolate": False,
                     "clock": "CLOCK_MONOTONIC"},
        "warnings": [], "cases": cases,
    }


def write(doc, path):
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("-n", type=int, default=10, help="repetitions per case")
    ap.add_argument("--throughput-shift", type=float, default=1.0)
    ap.add_argument("--latency-shift", type=float, default=1.0)
    ap.add_argument("--cv", type=float, default=0.03)
    ap.add_argument("--host", default="host-a")
    ap.add_argument("--rounds", action="store_true",
                    help="repetition i ran in round i+1 (as merge --rounds writes)")
    ap.add_argument("--drift", type=float, default=0.0,
                    help="CV of a per-round factor shared by every document made with the same "
                         "--drift-seed (implies --rounds)")
    ap.add_argument("--drift-seed", type=int, default=0)
    ap.add_argument("-o", default="-")
    a = ap.parse_args()
    cases = [make_case(seed=a.seed * 100 + i, runner=r, concurrency=c, n=a.n, cv=a.cv,
                       throughput=10000.0 * c * a.throughput_shift,
                       latency_p50=200000.0 * a.latency_shift,
                       service_p50=100000.0 * a.latency_shift,
                       rounds=a.rounds or a.drift > 0,
                       factors=(round_factors("%d-%d" % (a.drift_seed, i), a.n, a.drift)
                                if a.drift > 0 else None))
             for i, (r, c) in enumerate([("threads", 1), ("threads", 2), ("processes", 2)])]
    doc = make_doc(cases, host=a.host)
    if a.o == "-":
        json.dump(doc, sys.stdout, indent=1)
    else:
        write(doc, a.o)


if __name__ == "__main__":
    main()
