"""End to end: every blocking runner x every CPU workload; the document read back and checked
for counts, statuses, placement, speed-up and the lock counter; list and topo output."""
import json

from pbtest import check, case, done, run, run_doc

RUNNERS = ["serial", "threads", "processes"]
WORKLOADS = {
    "null": [],
    "cpu.sumsq": ["-p", "n=20000"],
    "cpu.primes": ["-p", "max=2000"],
    "cpu.matmul": ["-p", "size=24"],
    "mem.stream": ["-p", "size_mb=1"],
    "sync.lock": ["-p", "increments=500"],
}
TASKS = 40

for wl, params in WORKLOADS.items():
    doc, _ = run_doc(["-r", ",".join(RUNNERS), "-w", wl, "-c", "1,2", "-n", str(TASKS),
                      "--repeat", "2", "--warmup", "1"] + params)
    if not doc:
        continue
    check(doc["complete"] and doc["stop_reason"] == "completed", wl + ": run completed")
    check(",".join(RUNNERS) in doc["command_line"] and "1,2" in doc["command_line"],
          wl + ": the command line is recorded as given: %s" % doc["command_line"])
    # serial runs once in a sweep; the others once per level
    check(len(doc["cases"]) == 5, "%s: 5 cases, got %d" % (wl, len(doc["cases"])))
    for c in doc["cases"]:
        name = "%s %s c=%s" % (c["runner"], wl, c["concurrency"])
        check(c["complete"] and c["warmups"] == 1 and len(c["repetitions"]) == 2,
              name + ": 1 warm-up and 2 repetitions kept")
        check(c["workers"] == (1 if c["runner"] == "serial" else c["concurrency"]),
              name + ": worker count")
        for rep in c["repetitions"]:
            check(rep["tasks_ok"] == TASKS and rep["tasks_failed"] == 0,
                  "%s: %d ok, got %d ok %d failed" % (name, TASKS, rep["tasks_ok"],
                                                       rep["tasks_failed"]))
            check(rep["check"]["ok"], name + ": workload check")
            workers = rep["placement"]["workers"]
            check(sum(w["tasks"] for w in workers) == TASKS, name + ": tasks per worker add up")
            for w in workers:
                check(set(w["cpus_seen"]) <= set(w["cpuset"]) or c["pin"]["policy"] == "none",
                      "%s: worker %d ran only on its set %s, saw %s" %
                      (name, w["worker"], w["cpuset"], w["cpus_seen"]))
            check(rep["latency_ns"]["p50"] <= rep["latency_ns"]["p99"] <=
                  rep["latency_ns"]["max"], name + ": percentiles ordered")
            check(rep["service_ns"]["p50"] <= rep["latency_ns"]["max"],
                  name + ": service within latency")
            check(rep["throughput_per_s"] > 0 and rep["wall_s"] > 0, name + ": throughput")
            if wl == "sync.lock":
                check(rep["workload"]["counter"] == TASKS * 500,
                      "%s: lock counter %s == %d" % (name, rep["workload"]["counter"],
                                                     TASKS * 500))
            if wl == "mem.stream":
                check(abs(rep.get("bytes_per_s", 0) * rep["wall_s"] -
                          TASKS * 3 * 1024 * 1024) < 1024, name + ": stream bytes counted")
        plan = c["pin"]["plan"]
        check(len(plan) == c["workers"] and all(len(s) == 1 for s in plan),
              name + ": compact pin plan has one PU per worker")
        if c["runner"] != "serial":
            check("speedup" in c and c["speedup"]["value"] > 0,
                  name + ": speed-up against serial")
            check(abs(c["speedup"]["efficiency"] * c["workers"] - c["speedup"]["value"]) < 1e-6,
                  name + ": efficiency = speed-up / workers")

# pin none: every worker may use every PU
doc, _ = run_doc(["-r", "threads", "-w", "null", "-c", "2", "-n", "100", "--repeat", "1",
                  "--pin", "none"])
if doc:
    c = case(doc, "threads")
    check(c["pin"]["policy"] == "none" and len(c["pin"]["plan"][0]) == doc["host"]["pu_count"],
          "pin none: the whole machine per worker")

# open loop: 200 tasks at 2000/s take about 0.1 s, scheduled, not bunched
doc, _ = run_doc(["-r", "threads", "-w", "null", "-c", "2", "-n", "200", "--rate", "2000",
                  "--repeat", "1", "--warmup", "0"])
if doc:
    rep = case(doc, "threads")["repetitions"][0]
    check(0.09 < rep["wall_s"] < 0.5, "rate 2000/s x 200 tasks lasts ~0.1 s, got %.3f" %
          rep["wall_s"])
    check(case(doc, "threads")["load"]["model"] == "open", "open loop recorded")

# --isolate: each repetition in a fresh process, merged into one case
doc, _ = run_doc(["-r", "serial,threads", "-w", "cpu.sumsq", "-p", "n=5000", "-c", "1,2",
                  "-n", "200", "--repeat", "3", "--warmup", "0", "--isolate"])
if doc:
    check(doc["settings"]["isolate"] is True, "isolate recorded in settings")
    check([len(c["repetitions"]) for c in doc["cases"]] == [3, 3, 3],
          "isolate: 3 repetitions per case from 3 processes")
    check(all(r["tasks_ok"] == 200 for c in doc["cases"] for r in c["repetitions"]),
          "isolate: every task ran")
    check("speedup" in case(doc, "threads", concurrency=2), "isolate: speed-up still computed")

# list and list --json
p = run(["list", "--json"], expect=0)
lst = json.loads(p.stdout)
names = [w["name"] for w in lst["workloads"]]
for wl in WORKLOADS:
    check(wl in names, "list --json has " + wl)
check([r["name"] for r in lst["runners"]][:3] == RUNNERS, "list --json has the runners")
sumsq = [w for w in lst["workloads"] if w["name"] == "cpu.sumsq"][0]
check(sumsq["params"][0]["name"] == "n" and sumsq["params"][0]["default"] == "1000000",
      "list --json shows parameter defaults")
p = run(["list"], expect=0)
check("cpu.primes" in p.stdout and "max" in p.stdout, "list in words")

# topo
p = run(["topo", "--json"], expect=0)
t = json.loads(p.stdout)
check(t["topology"]["pus"] >= 1, "topo --json counts PUs")

done()
