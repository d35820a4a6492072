#!/usr/bin/env python3
"""A tiny HTTP/1.1 keep-alive server for the io.http tests, shaped like parbench's embedded
target: GET /?delay_ms=D&size=N answers N bytes of 'a' + i % 26 after D ms. Also:
/status/CODE (that status, a short body) and /short?size=N (announces N, sends half, closes).

    http_target.py PORT        (127.0.0.1; prints "ready PORT" once listening)
"""
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ALPHABET = b"abcdefghijklmnopqrstuvwxyz"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes

    def log_message(self, *args):
        pass

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        if u.path.startswith("/status/"):
            body = b"status\n"
            self.send_response(int(u.path.rsplit("/", 1)[1]))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        size = int(q.get("size", "1024"))
        body = (ALPHABET * (size // 26 + 1))[:size]
        if float(q.get("delay_ms", "0")) > 0:
            time.sleep(float(q["delay_ms"]) / 1000)
        self.send_response(200)
        self.send_header("Content-Length", str(size))
        self.end_headers()
        if u.path == "/short":
            self.wfile.write(body[:size // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


if __name__ == "__main__":
    srv = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    srv.daemon_threads = True
    print("ready", srv.server_address[1], flush=True)
    srv.serve_forever()
