"""The seed's Python idioms with nothing around them, to hold the py runners against: each mode
prints one JSON line with what it measured. Set-up (the pool, its warm-up, the session) is not
timed, as parbench does not time it either.

    py_bare.py gather N                      N null coroutines, create_task + gather
    py_bare.py threadmap N C                 ThreadPoolExecutor(C).map(null, range(N))
    py_bare.py processmap N C K              ProcessPoolExecutor(C).map(null, range(N), chunksize=K)
    py_bare.py sumsq N C threads|processes   C tasks of sum(i**2 for i in range(N)) in a pool of C
    py_bare.py fetch URL N C semaphore|threads   N GETs, C at once: aiohttp + asyncio.Semaphore(C),
                                             or urllib.request.urlopen in ThreadPoolExecutor(C)
    py_bare.py sleeps N MS asyncio|uvloop    N concurrent asyncio.sleep(MS / 1000)
"""
import asyncio
import json
import resource
import sys
import threading
import time
import urllib.request
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor


def null(i):
    return None


def cpu_heavy(n):
    return sum(i**2 for i in range(n))


def warm(pool, c):
    """Starts every worker of the pool before the clock does (parbench's runners do too): a
    thread pool starts a thread only when none is idle, so c calls wait for each other."""
    if isinstance(pool, ThreadPoolExecutor):
        barrier = threading.Barrier(c)
        list(pool.map(lambda i: barrier.wait(), range(c)))
    else:
        list(pool.map(null, range(4 * c)))


def report(**facts):
    facts["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps(facts))


def gather(n):
    async def task():
        return None

    async def main():
        t0 = time.monotonic_ns()
        tasks = [asyncio.create_task(task()) for _ in range(n)]
        await asyncio.gather(*tasks, return_exceptions=True)
        return time.monotonic_ns() - t0

    wall = asyncio.run(main())
    report(mode="gather", tasks=n, wall_s=wall / 1e9, tasks_per_s=n / (wall / 1e9))


def pool_map(kind, n, c, chunksize=1):
    make = ThreadPoolExecutor if kind == "threads" else ProcessPoolExecutor
    with make(max_workers=c) as pool:
        warm(pool, c)
        t0 = time.monotonic_ns()
        list(pool.map(null, range(n), chunksize=chunksize))
        wall = time.monotonic_ns() - t0
    report(mode=kind + "map", tasks=n, workers=c, chunksize=chunksize, wall_s=wall / 1e9,
           tasks_per_s=n / (wall / 1e9))


def sumsq(n, c, kind):
    make = ThreadPoolExecutor if kind == "threads" else ProcessPoolExecutor
    with make(max_workers=c) as pool:
        warm(pool, c)
        t0 = time.monotonic_ns()
        list(pool.map(cpu_heavy, [n] * c))
        wall = time.monotonic_ns() - t0
    report(mode="sumsq", kind=kind, n=n, workers=c, wall_s=wall / 1e9, tasks_per_s=c / (wall / 1e9))


def fetch_urlopen(url):
    with urllib.request.urlopen(url) as r:
        return len(r.read())


def fetch(url, n, c, kind):
    latencies = []
    if kind == "threads":
        def timed(i):
            t = time.monotonic_ns()
            fetch_urlopen(url)
            latencies.append(time.monotonic_ns() - t)

        with ThreadPoolExecutor(max_workers=c) as pool:
            warm(pool, c)
            t0 = time.monotonic_ns()
            list(pool.map(timed, range(n)))
            wall = time.monotonic_ns() - t0
    else:
        import aiohttp

        async def main():
            sem = asyncio.Semaphore(c)
            async with aiohttp.ClientSession() as session:
                async def fetch_one(i):
                    async with sem:
                        t = time.monotonic_ns()
                        async with session.get(url) as response:
                            await response.read()
                        latencies.append(time.monotonic_ns() - t)

                t0 = time.monotonic_ns()
                await asyncio.gather(*[fetch_one(i) for i in range(n)])
                return time.monotonic_ns() - t0

        wall = asyncio.run(main())
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    report(mode="fetch", kind=kind, tasks=n, concurrency=c, wall_s=wall / 1e9,
           tasks_per_s=n / (wall / 1e9), p99_ms=p99 / 1e6)


def sleeps(n, ms, loop):
    async def main():
        t0 = time.monotonic_ns()
        tasks = [asyncio.create_task(asyncio.sleep(ms / 1000)) for _ in range(n)]
        await asyncio.gather(*tasks, return_exceptions=True)
        return time.monotonic_ns() - t0

    if loop == "uvloop":
        import uvloop
        wall = uvloop.run(main()) if hasattr(uvloop, "run") else None
        if wall is None:
            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
            wall = asyncio.run(main())
    else:
        wall = asyncio.run(main())
    report(mode="sleeps", loop=loop, tasks=n, ms=ms, wall_s=wall / 1e9)


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    mode, a = argv[1], argv[2:]
    if mode == "gather":
        gather(int(a[0]))
    elif mode in ("threadmap", "processmap"):
        pool_map("threads" if mode == "threadmap" else "processes", int(a[0]), int(a[1]),
                 int(a[2]) if len(a) > 2 else 1)
    elif mode == "sumsq":
        sumsq(int(a[0]), int(a[1]), a[2])
    elif mode == "fetch":
        fetch(a[0], int(a[1]), int(a[2]), a[3])
    elif mode == "sleeps":
        sleeps(int(a[0]), float(a[1]), a[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
