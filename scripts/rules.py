"""The seed's rules of thumb, each given a verdict from one result document's numbers: whether
it holds on the machine that ran it, and by how much. Nothing here is written in advance: a
free-threaded Python makes the GIL's rule come out the other way, a machine of one PU makes
processes no faster, and a run without the cases a rule needs says so.

rules(doc) -> [{"rule", "verdict", "evidence"}], verdict one of "holds", "does not hold",
"undecided", "not measurable here" (the machine was busy) or "not measured" (no such case)."""

# A speed-up inside [1/NOISE, NOISE] is no speed-up: run-to-run noise and scheduling.
NOISE = 1.25
# Overlapping waits is the point of threads and asyncio for I/O: at least this much faster.
IO_GAIN = 2.0
C_OF = {"py.serial": "serial", "py.threads": "threads", "py.processes": "processes",
        "py.asyncio": "eventloop", "py.semaphore": "semaphore"}


def _speedup(c):
    """(value, low, high) of a case's speed-up against its baseline, or None."""
    s = c.get("speedup")
    if not s or s.get("value") is None:
        return None
    return s["value"], s.get("ci_low"), s.get("ci_high")


def _busy(c):
    """Its numbers, or its speed-up's, are not to be trusted (a busy machine, a disturbed
    baseline: harness/result.c says which)."""
    return (c.get("trust") or {}).get("trustworthy") is False or \
        (c.get("speedup") or {}).get("suspect") is True


def _x(c):
    v, lo, hi = _speedup(c)
    if lo is None or hi is None:
        return "%.2fx" % v
    return "%.2fx [%.2f, %.2f]" % (v, lo, hi)


def _label(c):
    conc = c.get("concurrency")
    return "%s %s c=%s" % (c["runner"], c["workload"], "all" if not conc else conc)


def _median(c, metric="throughput_per_s"):
    return ((c.get("summary") or {}).get(metric) or {}).get("median")


def _pick(cases, runner, kind, pus):
    """runner's case of that workload kind with a speed-up, at the most workers the PUs hold
    (else the fewest above one)."""
    mine = [c for c in cases if c["runner"] == runner and c.get("workload_kind") == kind and
            _speedup(c) and (c.get("concurrency") or 0) != 1]
    if not mine:
        return None
    fit = [c for c in mine if (c.get("concurrency") or 0) <= pus]
    if fit:
        return max(fit, key=lambda c: (c.get("concurrency") or 0, _median(c) or 0))
    return min(mine, key=lambda c: c.get("concurrency") or 0)


def _twin(cases, c, runner):
    """The case of another runner on the same work and concurrency."""
    for o in cases:
        if o["runner"] == runner and o["workload"] == c["workload"] and \
                o.get("params") == c.get("params") and o.get("concurrency") == c.get("concurrency"):
            return o
    return None


def _faster(c, margin):
    """holds / does not hold / undecided for 'c is faster than its baseline by margin'."""
    if _busy(c):
        return "not measurable here"
    v, lo, hi = _speedup(c)
    lo = v if lo is None else lo
    hi = v if hi is None else hi
    if lo > margin:
        return "holds"
    if hi <= margin:
        return "does not hold"
    return "undecided"


def _python(cases):
    for c in cases:
        for r in c.get("repetitions") or []:
            py = (r.get("workload") or {}).get("python")
            if py:
                return py
    return None


def rules(doc):
    cases = doc.get("cases") or []
    pus = (doc.get("host") or {}).get("pu_count") or 1
    out = []
    py = _python(cases)
    gil = "GIL enabled" if not py or py.get("gil_enabled", True) else "GIL disabled"
    interp = "%s %s, %s" % (py.get("implementation"), py.get("version"), gil) if py else ""

    c = _pick(cases, "py.threads", "cpu", pus)
    if c is None:
        out.append({"rule": "threads do not run CPU-bound Python in parallel (the GIL)",
                    "verdict": "not measured", "evidence": "no py.threads case of CPU work"})
    else:
        v = _faster(c, NOISE)
        v = {"holds": "does not hold", "does not hold": "holds"}.get(v, v)
        twin = _twin(cases, c, "threads")
        ev = "%s: %s against py.serial (%s)" % (_label(c), _x(c), interp)
        if twin and _speedup(twin):
            ev += "; C threads at c=%s: %s" % (twin.get("concurrency"), _x(twin))
        out.append({"rule": "threads do not run CPU-bound Python in parallel (the GIL)",
                    "verdict": v, "evidence": ev})

    c = _pick(cases, "py.processes", "cpu", pus)
    rule = "processes do: CPU-bound work goes to a ProcessPoolExecutor"
    if c is None:
        out.append({"rule": rule, "verdict": "not measured",
                    "evidence": "no py.processes case of CPU work"})
    else:
        out.append({"rule": rule, "verdict": _faster(c, NOISE),
                    "evidence": "%s: %s against py.serial, with %d PUs" % (_label(c), _x(c), pus)})

    rule = "I/O-bound work goes to threads or asyncio: the waits overlap"
    picks = [x for x in (_pick(cases, "py.threads", "io", 10 ** 6),
                         _pick(cases, "py.asyncio", "io", 10 ** 6) or
                         _pick(cases, "py.semaphore", "io", 10 ** 6)) if x]
    if not picks:
        out.append({"rule": rule, "verdict": "not measured",
                    "evidence": "no py.threads, py.asyncio or py.semaphore case of I/O work"})
    else:
        verdicts = [_faster(x, IO_GAIN) for x in picks]
        v = verdicts[0] if len(set(verdicts)) == 1 else (
            "not measurable here" if "not measurable here" in verdicts else
            "does not hold" if "does not hold" in verdicts else "undecided")
        out.append({"rule": rule, "verdict": v, "evidence": "; ".join(
            "%s: %s against py.serial" % (_label(x), _x(x)) for x in picks) +
            " (holds from %.0fx)" % IO_GAIN})

    rule = "a Semaphore(c) bounds the requests in progress to c"
    seen = []
    for c in cases:
        if c["runner"] not in ("py.semaphore", "semaphore") or not c.get("concurrency"):
            continue
        peaks = [(r.get("fixture") or {}).get("in_flight_max") for r in c.get("repetitions") or []]
        peaks = [p for p in peaks if p is not None]
        if peaks:
            seen.append((c, max(peaks)))
    if not seen:
        out.append({"rule": rule, "verdict": "not measured",
                    "evidence": "no semaphore case against the embedded target"})
    else:
        seen.sort(key=lambda cp: not cp[0]["runner"].startswith("py."))  # the seed's first
        over = [(c, p) for c, p in seen if p > c["concurrency"]]
        v = "does not hold" if over else "holds"
        shown = over or seen
        out.append({"rule": rule, "verdict": v, "evidence": "; ".join(
            "%s: at most %d in progress at the target" % (_label(c), p) for c, p in shown[:4])})

    rule = "errors are results: gather(return_exceptions=True) lets the other tasks finish"
    failing = [c for c in cases if c["runner"] in ("py.asyncio", "py.semaphore") and
               any(r.get("tasks_failed") for r in c.get("repetitions") or [])]
    if not failing:
        out.append({"rule": rule, "verdict": "not measured",
                    "evidence": "no task of py.asyncio or py.semaphore failed in this run"})
    else:
        c = failing[0]
        r = [r for r in c["repetitions"] if r.get("tasks_failed")][0]
        whole = r["tasks_ok"] + r["tasks_failed"] == r["tasks_submitted"]
        out.append({"rule": rule, "verdict": "holds" if whole else "does not hold",
                    "evidence": "%s: %d failed, %d of the %d created still finished" %
                    (_label(c), r["tasks_failed"], r["tasks_ok"], r["tasks_submitted"])})

    factors = []
    for c in cases:
        cr = C_OF.get(c["runner"])
        twin = _twin(cases, c, cr) if cr else None
        if twin and _median(twin) and _median(c):
            factors.append("%s over %s on %s c=%s: %.0fx" % (
                cr, c["runner"], c["workload"], c.get("concurrency") or "all",
                _median(twin) / _median(c)))
    out.append({"rule": "C against Python, per model (median throughput)",
                "verdict": "measured" if factors else "not measured",
                "evidence": "; ".join(factors[:8]) if factors else
                "no py runner ran the same work as its C model"})
    return out
