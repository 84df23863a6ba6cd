"""A gRPC-ish upstream over HTTP/1.1 that fails every other request: usage grpc_flaky.py ADDR
PORT.  Requests 1, 3, 5, ... get a Trailers-Only UNAVAILABLE (HTTP 200, grpc-status 14, no
body); requests 2, 4, ... get grpc-status 0 with a body naming the request's number.
Prints "ready" once listening."""

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
count = [0]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        with lock:
            count[0] += 1
            i = count[0]
        body = b"" if i % 2 else f"ok {i}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/grpc")
        self.send_header("grpc-status", "14" if i % 2 else "0")
        if i % 2:
            self.send_header("grpc-message", "flaky")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


srv = ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), Handler)
srv.daemon_threads = True
print("ready", flush=True)
srv.serve_forever()
