"""End to end: `parbench serve`, the embedded HTTP target, spoken to over raw sockets: answers,
keep-alive, pipelining, malformed input, thousands of connections, counters and signals; header
and idle timeouts; clients that misbehave (never read, trickle bytes, flood connections)."""
import json
import os
import random
import resource
import select
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pbtest import PARBENCH, check, done  # noqa: E402

TIMEOUT = 10


def start(*extra, nofile=None):
    """Starts parbench serve --port 0 (with at most nofile descriptors); returns (process, port)."""
    def limit():
        if nofile:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
    p = subprocess.Popen([PARBENCH, "serve", "--port", "0"] + list(extra),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=limit)
    ready, _, _ = select.select([p.stdout], [], [], TIMEOUT)
    line = p.stdout.readline().decode() if ready else ""
    if not line.startswith("port "):
        p.kill()
        _, err = p.communicate()
        check(False, "serve printed %r, stderr %r" % (line, err))
        done()
    return p, int(line.split()[1])


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


class Reader:
    """Reads HTTP/1.1 responses off one socket."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self):
        try:
            data = self.sock.recv(1 << 20)
        except (ConnectionResetError, socket.timeout):
            data = b""
        self.buf += data
        return bool(data)

    def eof(self):
        """True when the server closed the connection with nothing more to read."""
        while not self.buf:
            if not self._fill():
                return True
        return False

    def response(self, head=False):
        """(status, headers dict with lower-case names, body); None at end of stream."""
        while b"\r\n\r\n" not in self.buf:
            if not self._fill():
                return None
        raw, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
        n = 0 if head or status in (204, 304) else int(headers.get("content-length", "0"))
        while len(self.buf) < n:
            if not self._fill():
                return None
        body, self.buf = self.buf[:n], self.buf[n:]
        return status, headers, body


def request(path, method="GET", version="HTTP/1.1", extra=""):
    return ("%s %s %s\r\nHost: t\r\n%s\r\n" % (method, path, version, extra)).encode()


def get(port, path, method="GET"):
    with connect(port) as s:
        s.sendall(request(path, method, extra="Connection: close\r\n"))
        return Reader(s).response(head=method == "HEAD")


def stats(port, path="/__stats"):
    r = get(port, path)
    return json.loads(r[2]) if r and r[0] == 200 else {}


def pattern(n, start=0):
    return bytes(97 + (i % 26) for i in range(start, start + n))


def alive(port, what):
    r = get(port, "/?size=7")
    check(r is not None and r[0] == 200 and r[2] == pattern(7), "server answers after " + what)


def test_basic(port):
    r = get(port, "/?size=100")
    check(r and r[0] == 200 and r[2] == pattern(100), "GET size=100: status and pattern body")
    check(r and r[1].get("content-type") == "application/octet-stream", "content type")
    check(r and r[1].get("connection") == "close", "Connection: close is echoed when closing")
    r = get(port, "/")
    check(r and r[0] == 200 and r[2] == b"", "GET / answers an empty 200")
    r = get(port, "/some/path?size=3&unknown=x")
    check(r and r[0] == 200 and r[2] == b"abc", "any path, unknown keys ignored")
    r = get(port, "/?size=5000000")
    check(r and len(r[2]) == 5000000 and r[2] == pattern(5000000), "5 MB body is the pattern")
    r = get(port, "/?status=404&size=4")
    check(r and r[0] == 404 and r[2] == b"abcd", "status=404 with a body")
    r = get(port, "/?status=503")
    check(r and r[0] == 503, "status=503")
    r = get(port, "/?size=10", method="HEAD")
    check(r and r[0] == 200 and r[1].get("content-length") == "10" and r[2] == b"",
          "HEAD: Content-Length without a body")

    t0 = time.monotonic()
    r = get(port, "/?delay_ms=200&size=2")
    took = time.monotonic() - t0
    check(r and r[0] == 200 and r[2] == b"ab" and took >= 0.19,
          "delay_ms=200 answers after 200 ms (took %.3f s)" % took)

    # a delay must not block the loop: another connection is answered meanwhile
    slow = connect(port)
    slow.sendall(request("/?delay_ms=1000"))
    time.sleep(0.05)
    t0 = time.monotonic()
    r = get(port, "/?size=1")
    took = time.monotonic() - t0
    check(r and r[0] == 200 and took < 0.5, "answered during another's delay (%.3f s)" % took)
    r = Reader(slow).response()
    check(r and r[0] == 200, "the delayed request is answered too")
    slow.close()

    with connect(port) as s:
        s.sendall(request("/?close=1&size=10"))
        rd = Reader(s)
        check(rd.eof(), "close=1 closes without a response")
    alive(port, "close=1")


def test_keepalive(port):
    stats(port, "/__reset")
    with connect(port) as s:
        rd = Reader(s)
        for i in range(1, 6):
            s.sendall(request("/?size=%d" % i))
            r = rd.response()
            check(r and r[0] == 200 and r[2] == pattern(i) and "connection" not in r[1],
                  "keep-alive request %d on one connection" % i)
    st = stats(port)
    check(st.get("requests") == 5 and st.get("connections_accepted") == 2,
          "5 requests over 1 connection (+1 for the stats): %s" % st)

    # HTTP/1.0 closes by default, keeps alive when asked
    with connect(port) as s:
        s.sendall(request("/?size=3", version="HTTP/1.0"))
        rd = Reader(s)
        r = rd.response()
        check(r and r[2] == b"abc" and r[1].get("connection") == "close", "HTTP/1.0 answer")
        check(rd.eof(), "HTTP/1.0 without keep-alive is closed")
    with connect(port) as s:
        rd = Reader(s)
        for i in range(2):
            s.sendall(request("/?size=3", version="HTTP/1.0", extra="Connection: keep-alive\r\n"))
            r = rd.response()
            check(r and r[2] == b"abc" and r[1].get("connection") == "keep-alive",
                  "HTTP/1.0 keep-alive request %d" % i)
    with connect(port) as s:
        s.sendall(request("/?size=2", extra="Connection: close\r\n") + request("/?size=9"))
        rd = Reader(s)
        r = rd.response()
        check(r and r[2] == b"ab", "Connection: close is answered")
        check(rd.eof(), "and nothing after it: the connection closes")


def test_pipelining(port):
    with connect(port) as s:
        reqs = [request("/?size=%d%s" % (i, "&delay_ms=100" if i == 3 else ""))
                for i in range(1, 11)]
        reqs.insert(5, request("/?size=4", method="HEAD"))
        s.sendall(b"".join(reqs))
        rd = Reader(s)
        sizes = []
        for i in range(11):
            r = rd.response(head=i == 5)
            sizes.append(len(r[2]) if r else None)
        check(sizes == [1, 2, 3, 4, 5, 0, 6, 7, 8, 9, 10],
              "11 pipelined requests (one delayed, one HEAD) answered in order: %s" % sizes)

    # more pipelined requests than the input buffer holds, sent by one thread, read by another
    n = 3000
    with connect(port) as s:
        got = []

        def reader():
            rd = Reader(s)
            for _ in range(n):
                r = rd.response()
                if not r:
                    break
                got.append(len(r[2]))

        th = threading.Thread(target=reader)
        th.start()
        s.sendall(b"".join(request("/?size=%d" % (i % 50)) for i in range(n)))
        th.join(TIMEOUT * 3)
        check(got == [i % 50 for i in range(n)], "%d pipelined requests: %d answered in order" %
              (n, len(got)))
    alive(port, "deep pipelining")

    # requests cut at random places, sent a few bytes at a time: heads cross reads and the
    # input buffer's compaction
    rng = random.Random(1)
    n = 300
    data = b"".join(request("/?size=%d" % (i % 7), extra="X-Pad: %s\r\n" %
                            ("p" * rng.randrange(3000))) for i in range(n))
    with connect(port) as s:
        got = []

        def reader():
            rd = Reader(s)
            for _ in range(n):
                r = rd.response()
                if not r:
                    break
                got.append(r[2])

        th = threading.Thread(target=reader)
        th.start()
        i = 0
        while i < len(data):
            k = rng.randrange(1, 200)
            s.sendall(data[i:i + k])
            i += k
        th.join(TIMEOUT * 3)
        check(got == [pattern(i % 7) for i in range(n)],
              "%d pipelined requests in random pieces: %d answered in order" % (n, len(got)))


def expect_error(port, data, status, what):
    with connect(port) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        rd = Reader(s)
        r = rd.response()
        check(r is not None and r[0] == status and r[1].get("connection") == "close",
              "%s: %s expected, got %s" % (what, status, r and r[0]))
        check(rd.eof(), "%s: connection closed after the error" % what)
    alive(port, what)


def test_malformed(port):
    cases = [
        (b"garbage\r\n\r\n", 400, "garbage"),
        (b"\x00\xff\xfe junk\r\n\r\n", 400, "binary garbage"),
        (b"GET /\r\n\r\n", 400, "missing version"),
        (b"GET / HTTP/2.0\r\n\r\n", 505, "HTTP/2.0"),
        (b"GET / HTTP/1.9\r\n\r\n", 505, "HTTP/1.9"),
        (b"GET / HTTP/0.9\r\n\r\n", 505, "HTTP/0.9"),
        (b"GET / HTTP/3.0\r\nHost: t\r\n", 505, "HTTP/3.0, head not yet complete"),
        (b"GET / HTTP/1.10\r\n\r\n", 400, "garbage version"),
        (b"GET / HTTX/1.1\r\n\r\n", 400, "garbage protocol"),
        (b"GET / HTTP/1.1\r\r\r\r", 400, "bare CRs and no LF"),
        (b"\r\r\r\r", 400, "only bare CRs"),
        (b"nonsense\r\n", 400, "garbage line, head not complete"),
        (b"GET  / HTTP/1.1\r\n\r\n", 400, "double space"),
        (b"GET / HTTP/1.1\r\nHost: t\r\n folded\r\n\r\n", 400, "obs-fold"),
        (b"GET / HTTP/1.1\r\nName : v\r\n\r\n", 400, "space before colon"),
        (b"GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400, "header without colon"),
        (b"GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", 400, "bare CR in a value"),
        (b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n", 400, "bad Content-Length"),
        (b"GET /?size=abc HTTP/1.1\r\n\r\n", 400, "size not a number"),
        (b"GET /?size=99999999999999999999999 HTTP/1.1\r\n\r\n", 400, "size overflow"),
        (b"GET /?status=99 HTTP/1.1\r\n\r\n", 400, "status out of range"),
        (b"GET /?delay_ms=-1 HTTP/1.1\r\n\r\n", 400, "negative delay"),
        (request("/", extra="X-Big: %s\r\n" % ("a" * 9000)), 431, "header section over 8 KiB"),
        (b"GET / HTTP/1.1\r\nX: " + b"b" * 12000, 431, "unterminated head over 8 KiB"),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", 431, "request-line over 8 KiB"),
        (b"\r\n" * 5000, 431, "endless empty lines"),
        (request("/", extra="Content-Length: 99999999999999999999\r\n"), 400,
         "Content-Length past 2^64"),
        (request("/", extra="Content-Length: 18446744073709551615\r\n"), 413,
         "Content-Length 2^64-1 on a GET"),
        (request("/", extra="Content-Length: 0\r\nTransfer-Encoding: chunked\r\n"), 400,
         "Content-Length and Transfer-Encoding"),
        (request("/", extra="Content-Length: 1\r\nContent-Length: 2\r\n"), 400,
         "two Content-Lengths"),
        (b"GET /?size=1099511627777 HTTP/1.1\r\n\r\n", 400, "size over 1 TiB"),
        (b"GET /?delay_ms=3600001 HTTP/1.1\r\n\r\n", 400, "delay over an hour"),
        (b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello", 405, "POST with a body"),
        (b"DELETE / HTTP/1.1\r\n\r\n", 405, "DELETE"),
        (b"GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 413, "GET with a body"),
        (b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 413, "chunked GET"),
    ]
    for data, status, what in cases:
        expect_error(port, data, status, what)

    # a valid request, then garbage on the same connection: the first is answered
    with connect(port) as s:
        s.sendall(request("/?size=2") + b"nonsense\r\n\r\n")
        rd = Reader(s)
        r1, r2 = rd.response(), rd.response()
        check(r1 and r1[0] == 200 and r2 and r2[0] == 400 and rd.eof(),
              "valid then malformed: 200, 400, closed")

    # random bytes, complete or not, on many connections
    rng = random.Random(4)
    for i in range(200):
        with connect(port) as s:
            junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 3000)))
            if i % 2:
                junk += b"\r\n\r\n"
            try:
                s.sendall(junk)
                if i % 4 == 1:
                    Reader(s).response()
            except (BrokenPipeError, ConnectionResetError):
                pass
    alive(port, "200 connections of random bytes")


def test_many_connections(port):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft < 8000:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8000), hard))
    n = 3000
    if hard < n + 200:
        # the server's limit is this one too: test as many as it can hold
        n = hard - 200
        print("note: RLIMIT_NOFILE hard limit %d, testing %d connections" % (hard, n))
    socks = []
    try:
        for i in range(n):
            s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
            socks.append(s)
    except OSError as e:
        check(False, "opening %d connections: %s after %d" % (n, e, len(socks)))
    # half send half a request; a quarter a whole delayed one whose answers are read below
    for i, s in enumerate(socks):
        if i % 4 == 0:
            s.sendall(request("/?delay_ms=300&size=%d" % (i % 100)))
        elif i % 2:
            s.sendall(b"GET /?size=10 HTTP/1.1\r\nHo")
    st = {}
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        st = stats(port)
        if st.get("connections", 0) >= n + 1:
            break
        time.sleep(0.05)
    check(st.get("connections", 0) >= n + 1, "%d connections open at once: %s" % (n, st))
    alive(port, "%d connections open" % n)
    ok = 0
    for i in range(0, n, 4):
        r = Reader(socks[i]).response()
        ok += bool(r and r[0] == 200 and r[2] == pattern(i % 100))
    check(ok == n // 4, "%d of %d delayed requests answered among %d connections" %
          (ok, n // 4, n))
    # drop them: some with a reset, mid-request
    for i, s in enumerate(socks):
        if i % 3 == 0:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        st = stats(port)
        if st.get("connections") == 1:
            break
        time.sleep(0.05)
    check(st.get("connections") == 1 and st.get("in_flight") == 0,
          "all %d dropped connections are gone: %s" % (n, st))
    alive(port, "%d connections dropped" % n)


def test_in_flight(port):
    n = 40
    stats(port, "/__reset")
    socks = [connect(port) for _ in range(n)]
    for s in socks:
        s.sendall(request("/?delay_ms=1000&size=1"))
    time.sleep(0.1)
    mid = stats(port)
    answered = sum(1 for s in socks if (Reader(s).response() or (0,))[0] == 200)
    for s in socks:
        s.close()
    st = stats(port)
    check(answered == n, "%d concurrent delayed requests answered" % answered)
    check(mid.get("in_flight") == n, "in_flight while they wait is %d: %s" % (n, mid))
    check(st.get("in_flight_max") == n and st.get("in_flight") == 0 and st.get("requests") == n,
          "in_flight_max is %d, in_flight back to 0: %s" % (n, st))
    before = stats(port, "/__reset")
    after = stats(port)
    check(before.get("requests") == n and after.get("requests") == 0 and
          after.get("in_flight_max") == 0,
          "/__reset answers the old counters and zeroes them: %s -> %s" % (before, after))


def stop_with(p, sig, what, conns=()):
    p.send_signal(sig)
    try:
        rc = p.wait(TIMEOUT)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = p.wait()
    out = p.stdout.read().decode()
    err = p.stderr.read().decode()
    check(rc == 0, "%s: exit %s, expected 0 (stderr %r)" % (what, rc, err))
    check(out == "", "nothing after the port line on stdout: %r" % out)
    for s in conns:
        s.close()


def test_usage():
    # a CPU this machine does not have
    no_cpu = max(int(d[3:]) for d in os.listdir("/sys/devices/system/cpu")
                 if d.startswith("cpu") and d[3:].isdigit()) + 1
    for args in (["--port", "70000"], ["--port", "x"], ["--port"], ["--bogus"], ["stray"],
                 ["--pin", "x"], ["--pin", "-1"], ["--pin", str(no_cpu)],
                 ["--host", "nowhere"], ["--host=256.1.1.1"], ["--host", ""],
                 ["--header-timeout", "x"], ["--header-timeout", "-1"], ["--idle-timeout"],
                 ["--idle-timeout", "25h"]):
        p = subprocess.run([PARBENCH, "serve"] + args, capture_output=True, text=True,
                           timeout=TIMEOUT)
        check(p.returncode == 2 and p.stderr.startswith("parbench serve: ") and
              len(p.stderr.strip().splitlines()) == 1 and p.stdout == "",
              "serve %s: exit %d (%r), expected 2 and one line" %
              (" ".join(args), p.returncode, p.stderr))
    p, port = start()
    q = subprocess.run([PARBENCH, "serve", "--port", str(port)], capture_output=True,
                       text=True, timeout=TIMEOUT)
    check(q.returncode == 3 and "listen" in q.stderr, "port in use: exit 3 (%s)" % q.stderr)
    stop_with(p, signal.SIGTERM, "second instance")


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n), hard))
    return min(hard, n)


def wait_stats(port, pred, seconds):
    """Polls /__stats until pred(stats) holds or seconds pass; the last stats."""
    deadline = time.monotonic() + seconds
    st = stats(port)
    while not pred(st) and time.monotonic() < deadline:
        time.sleep(0.05)
        st = stats(port)
    return st


def closed(s, wait):
    """(True, data) when the server closed s within wait seconds, with what it sent first."""
    s.settimeout(max(wait, 0.001))
    data = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return True, data
            data += d
    except socket.timeout:
        return False, data
    except ConnectionResetError:
        return True, data


def test_timeouts():
    """Short timeouts: partial heads get 408 and are closed, silent and idle connections are
    closed, a trickle of bytes does not keep a head alive; a delay, a slow reader that makes
    progress and an active keep-alive connection are not cut."""
    header, idle = 0.5, 1.5
    p, port = start("--header-timeout", "500ms", "--idle-timeout", "1.5s")
    try:
        n = raise_nofile(4000) - 400
        n = min(n, 1000)
        t_open = time.monotonic()
        partial = [connect(port) for _ in range(n)]
        for s in partial:
            s.sendall(b"GET /?size=10 HTTP/1.1\r\nHo")
        st = stats(port)
        if time.monotonic() - t_open < header * 0.8:
            check(st.get("connections", 0) >= n + 1, "%d partial heads open: %s" % (n, st))
        else:
            print("note: opening %d connections took longer than the header timeout" % n)
        silent = [connect(port) for _ in range(50)]
        idle_socks = []
        t_idle = time.monotonic()
        for _ in range(50):
            s = connect(port)
            s.sendall(request("/?size=1"))
            r = Reader(s).response()
            check(r and r[0] == 200, "a keep-alive answer before idling")
            idle_socks.append(s)
        t_idle_last = time.monotonic()
        delayed = connect(port)
        delayed.sendall(request("/?delay_ms=2500&size=3"))
        t0 = time.monotonic()
        # a slowloris: a byte every 100 ms, well within any per-read timeout
        slow = connect(port)
        answer = b""
        for b in b"GET / HTTP/1.1\r\nX-A: " + b"a" * 40:
            try:
                slow.sendall(bytes([b]))
                # the answer, or the end: the server may still drain what we send
                gone, answer = closed(slow, 0.1)
            except (BrokenPipeError, ConnectionResetError):
                gone = True
            if gone or answer or time.monotonic() - t0 > header + 1.5:
                break
        took = time.monotonic() - t0
        check(answer.startswith(b"HTTP/1.1 408 ") and took < header + 1.0,
              "a head trickling in is answered 408 after the header timeout (%.2f s): %r" %
              (took, answer[:20]))
        # idle connections past the header timeout, short of the idle one, are still open
        time.sleep(max(0, t_idle + header + 0.4 - time.monotonic()))
        if time.monotonic() - t_idle_last < idle - 0.3:
            still = sum(not closed(s, 0)[0] for s in idle_socks)
            check(still == 50, "idle keep-alive connections outlive the header timeout: %d of 50" %
                  still)
        else:
            print("note: too slow to see idle connections outlive the header timeout")
        # an active keep-alive connection, a request every 0.4 s for longer than the idle time
        active = connect(port)
        rd = Reader(active)
        ok = 0
        for _ in range(5):
            active.sendall(request("/?size=2"))
            r = rd.response()
            ok += bool(r and r[0] == 200)
            time.sleep(0.4)
        check(ok == 5, "a keep-alive connection busier than the idle timeout stays: %d of 5" % ok)

        # all of them should be closed by now; a shared deadline bounds the wait if not
        deadline = time.monotonic() + 3

        def left():
            return deadline - time.monotonic()

        got408 = 0
        for s in partial:
            gone, data = closed(s, left())
            got408 += gone and data.startswith(b"HTTP/1.1 408 ")
        check(got408 == n, "%d of %d partial heads answered 408 and closed" % (got408, n))
        quiet = sum(closed(s, left()) == (True, b"") for s in silent)
        check(quiet == 50, "%d of 50 silent connections closed without a word" % quiet)
        quiet = sum(closed(s, left()) == (True, b"") for s in idle_socks)
        check(quiet == 50, "%d of 50 idle keep-alive connections closed" % quiet)
        r = Reader(delayed).response()
        check(r and r[0] == 200 and r[2] == b"abc",
              "a 2.5 s delay outlives both timeouts: %s" % (r and r[0]))
        for s in partial + silent + idle_socks + [slow, delayed, active]:
            s.close()
        st = wait_stats(port, lambda st: st.get("connections") == 1, 5)
        check(st.get("connections") == 1 and st.get("timeouts", 0) >= n + 101,
              "/__stats: connections back to 1, every timeout counted: %s" % st)

        # a reader slower than the idle timeout overall, but never stalled that long
        with connect(port) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 16)
            size = 24 << 20
            s.sendall(request("/?size=%d" % size))
            got, t0 = 0, time.monotonic()
            s.settimeout(TIMEOUT)
            while got < size:
                try:
                    d = s.recv(1 << 20)
                except ConnectionResetError:
                    break
                if not d:
                    break
                got += len(d)
                time.sleep(0.02)
            took = time.monotonic() - t0
        check(got >= size, "a slow reader (%.1f s for %d MiB) gets the whole body: %d bytes" %
              (took, size >> 20, got))

        # a client that pipelines and never reads: closed once its answers stall
        stats(port, "/__reset")
        hog = connect(port)
        try:
            hog.sendall(request("/?size=1000000") * 200)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass
        st = wait_stats(port, lambda st: st.get("connections") == 1, idle + 3)
        check(st.get("connections") == 1 and st.get("timeouts") == 1,
              "a client that never reads is closed after the idle timeout: %s" % st)
        hog.close()
        alive(port, "the timeouts")
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    check(p.returncode == 0, "serve with timeouts: exit %s" % p.returncode)


def test_fd_flood():
    """More connections than the server has descriptors: it sheds them and recovers."""
    raise_nofile(1000)
    p, port = start(nofile=100)
    try:
        socks = []
        for _ in range(300):
            try:
                socks.append(socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT))
            except OSError:
                break
        time.sleep(0.3)
        for s in socks:
            s.close()
        st = wait_stats(port, lambda st: st.get("connections") == 1, TIMEOUT)
        check(st.get("connections") == 1 and st.get("connections_max", 0) < 100,
              "a flood past its descriptor limit is shed: %s" % st)
        alive(port, "a flood of connections past its descriptor limit")
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    check(p.returncode == 0, "serve after the flood: exit %s" % p.returncode)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_hogs(p, port):
    """Clients that ask much and read nothing: the server's memory stays bounded."""
    before = rss_kib(p.pid)
    socks = []
    for i in range(200):
        s = connect(port)
        s.setblocking(False)
        # 1 MiB answers, pipelined far beyond what the input buffer holds, never read
        try:
            s.send(request("/?size=1048576&delay_ms=%d" % (i % 3)) * 2000)
        except (BlockingIOError, BrokenPipeError, ConnectionResetError):
            pass
        socks.append(s)
    time.sleep(1.0)
    grown = rss_kib(p.pid) - before
    alive(port, "200 connections that never read")
    st = stats(port)
    check(grown < 64 * 1024, "server memory grew %d KiB for 200 hogs (bounded): %s" % (grown, st))
    for s in socks:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()
    st = wait_stats(port, lambda st: st.get("connections") == 1, TIMEOUT)
    check(st.get("connections") == 1, "the hogs' connections are gone: %s" % st)


def main():
    p, port = start()
    try:
        test_basic(port)
        test_keepalive(port)
        test_pipelining(port)
        test_malformed(port)
        test_many_connections(port)
        test_in_flight(port)
        test_hogs(p, port)
        # SIGTERM with an idle keep-alive connection and a delayed request open
        idle = connect(port)
        busy = connect(port)
        busy.sendall(request("/?delay_ms=5000"))
        time.sleep(0.1)
        t0 = time.monotonic()
        stop_with(p, signal.SIGTERM, "SIGTERM", (idle, busy))
        check(time.monotonic() - t0 < 2, "SIGTERM stops it at once")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    p, port = start("--pin", str(min(os.sched_getaffinity(0))))
    alive(port, "--pin")
    stop_with(p, signal.SIGINT, "SIGINT")
    test_timeouts()
    test_fd_flood()
    test_usage()
    done()


if __name__ == "__main__":
    main()
