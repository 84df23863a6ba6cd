"""An HTTP/1.1 upstream for the HTTP/2 cases: echo, and gRPC over HTTP/1.1 framing.
Usage: h1_echo_grpc.py ADDR PORT.  Prints "ready" once listening.

  GET  /hello/headers...  200 with the request's header fields, one "name: value" a line
  GET  /hello/bighdr/N    200 with a response header x-big of N bytes
  GET  /hello...     200 "hello path=<target> host=<Host>\\n"
  GET  /bytes/N      200 with N bytes (byte i is i % 251), for flow-control checks
  POST /echo...      200 echoing the request body (Content-Length or chunked), with
                     x-body-len and x-body-sha256 of what arrived
  gRPC (POST, Content-Type application/grpc...), answered with chunked gRPC messages and
  grpc-status / grpc-message in HTTP/1.1 trailers:
    /test.Echo/Unary    the request message back
    /test.Echo/Stream   the request message is a count N (ASCII): N messages "msg i"
    /test.Echo/Collect  client streaming: one message "<messages> <total bytes>"
    /test.Echo/Flaky    every other call (1st, 3rd, ...) a Trailers-Only grpc-status 14
                        (HTTP 200, Content-Length 0); the others like Unary
    /test.Echo/Slow, /test.Echo/SlowRoute   sleep 3 s, then like Unary
    anything else       Trailers-Only grpc-status 12 (UNIMPLEMENTED)
Idle keep-alive connections are closed after 2 s.  Every request is logged on stdout as one line "METHOD target body_len".
"""

import hashlib
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
flaky_calls = [0]


def grpc_frame(msg):
    return b"\x00" + len(msg).to_bytes(4, "big") + msg


def grpc_messages(body):
    out = []
    while len(body) >= 5:
        n = int.from_bytes(body[1:5], "big")
        out.append(body[5:5 + n])
        body = body[5 + n:]
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 2  # idle keep-alive connections end, so the gateway's pools return to idle

    def log_message(self, *args):
        pass

    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def plain(self, status, body, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        print(f"GET {self.path} 0", flush=True)
        if self.path.startswith("/hello/bighdr/"):
            n = min(int(self.path.split("/")[3]), 1 << 20)
            return self.plain(200, b"big header\n", [("x-big", "b" * n)])
        if self.path.startswith("/hello/headers"):
            return self.plain(200, "".join(f"{k}: {v}\n" for k, v in self.headers.items())
                              .encode())
        if self.path.startswith("/bytes/"):
            n = min(int(self.path.split("/")[2]), 64 << 20)
            pattern = bytes(i % 251 for i in range(251 * 64))
            body = (pattern * (n // len(pattern) + 1))[:n]
            return self.plain(200, body)
        self.plain(200, f"hello path={self.path} host={self.headers.get('Host')}\n".encode())

    def do_POST(self):
        body = self.read_body()
        print(f"POST {self.path} {len(body)}", flush=True)
        if (self.headers.get("Content-Type") or "").startswith("application/grpc"):
            return self.grpc(body)
        self.plain(200, body, [("x-body-len", str(len(body))),
                               ("x-body-sha256", hashlib.sha256(body).hexdigest())])

    def trailers_only(self, status, message):
        self.send_response(200)
        self.send_header("Content-Type", "application/grpc")
        self.send_header("grpc-status", str(status))
        self.send_header("grpc-message", message)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def grpc(self, body):
        msgs = grpc_messages(body)
        method = self.path
        if method == "/test.Echo/Flaky":
            with lock:
                flaky_calls[0] += 1
                odd = flaky_calls[0] % 2
            if odd:
                return self.trailers_only(14, "flaky")
            method = "/test.Echo/Unary"
        if method in ("/test.Echo/Slow", "/test.Echo/SlowRoute"):
            time.sleep(3)
            method = "/test.Echo/Unary"
        if method == "/test.Echo/Unary":
            out = [msgs[0] if msgs else b""]
        elif method == "/test.Echo/Collect":
            out = [f"{len(msgs)} {sum(map(len, msgs))}".encode()]
        elif method == "/test.Echo/Stream":
            n = int(msgs[0] or b"0") if msgs else 0
            out = [f"msg {i}".encode() for i in range(n)]
        else:
            return self.trailers_only(12, "unknown method")
        self.send_response(200)
        self.send_header("Content-Type", "application/grpc")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Trailer", "grpc-status, grpc-message")
        self.end_headers()
        for m in out:
            f = grpc_frame(m)
            self.wfile.write(b"%x\r\n%s\r\n" % (len(f), f))
            self.wfile.flush()
        self.wfile.write(b"0\r\ngrpc-status: 0\r\ngrpc-message: ok\r\n\r\n")
        self.wfile.flush()


srv = ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), Handler)
srv.daemon_threads = True
srv.request_queue_size = 1024
print("ready", flush=True)
srv.serve_forever()
