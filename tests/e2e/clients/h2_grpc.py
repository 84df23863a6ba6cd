"""gRPC calls through the gateway with Debian's python3-grpcio (a client nobody here wrote).

Usage: h2_grpc.py GATEWAY_ADDR:PORT h1
       h2_grpc.py GATEWAY_ADDR:PORT grpcio UPSTREAM_ADDR UPSTREAM_PORT

The gateway's grpcRoute leads to the service test.Echo (raw bytes, generic handlers, no
protoc).  In mode h1 the upstream is tests/e2e/servers/h1_echo_grpc.py (gRPC framing over
HTTP/1.1, already running).  In mode grpcio this script first checks that the gateway speaks
HTTP/2 to the upstream (a plain socket on UPSTREAM takes the gateway's first connection and
reads its first bytes): if the gateway sends an HTTP/1.1 request instead of the h2 preface,
it prints "SKIP: needs h2 upstreams ..." and exits 77.  Otherwise it runs a real grpcio
server on UPSTREAM with the same methods as h1_echo_grpc.py.

Checks (exit status 0 iff all hold; last stdout line is a summary):
  unary     30 calls to /test.Echo/Unary with 0 to 200 KiB payloads (beyond the 64 KiB
            stream window both ways) come back byte for byte
  stream    /test.Echo/Stream "500" yields the 500 messages "msg 0".."msg 499" in order
  collect   /test.Echo/Collect (client streaming) with 200 messages (0..20 KiB): the upstream
            counts 200 messages and their total size
  retry     20 calls to /test.Echo/Flaky (every other upstream answer is UNAVAILABLE) all
            succeed: the route's grpcRetryEvents [unavailable] retried them
  deadline  /test.Echo/Slow (3 s) with a 500 ms deadline: DEADLINE_EXCEEDED after 0.45..1.0 s
  timeout   /test.Echo/SlowRoute (3 s) under a route perRequest timeout of 1.5 s and a 10 s
            deadline: DEADLINE_EXCEEDED from the gateway after 1.4..2.5 s
"""

import os
import socket
import sys
import threading
import time

import grpc

OPTIONS = [("grpc.enable_retries", 0), ("grpc.max_receive_message_length", 8 << 20),
           ("grpc.max_send_message_length", 8 << 20)]
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def probe_upstream(gateway, addr, port):
    """Return the first bytes the gateway sends to <addr>:<port> for a gRPC call."""
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((addr, port))
    lsock.listen(16)
    lsock.settimeout(5)
    ch = grpc.insecure_channel(gateway, options=OPTIONS)
    call = threading.Thread(target=lambda: call_quietly(ch), daemon=True)
    call.start()
    first = b""
    try:
        conn, _ = lsock.accept()
        conn.settimeout(3)
        while len(first) < 24:
            b = conn.recv(24 - len(first))
            if not b:
                break
            first += b
        conn.close()
    except OSError as e:
        first = f"(nothing: {e})".encode()
    lsock.close()
    call.join(5)
    ch.close()
    return first


def call_quietly(ch):
    try:
        ch.unary_unary("/test.Echo/Unary")(b"probe", timeout=3)
    except grpc.RpcError:
        pass


def start_grpcio_server(addr, port):
    """A real grpcio server for test.Echo with the methods of h1_echo_grpc.py."""
    from concurrent import futures
    flaky = [0]
    lock = threading.Lock()

    def unary(req, ctx):
        return req

    def flaky_call(req, ctx):
        with lock:
            flaky[0] += 1
            odd = flaky[0] % 2
        if odd:
            ctx.abort(grpc.StatusCode.UNAVAILABLE, "flaky")
        return req

    def slow(req, ctx):
        time.sleep(3)
        return req

    def collect(reqs, ctx):
        msgs = list(reqs)
        return f"{len(msgs)} {sum(map(len, msgs))}".encode()

    def stream(req, ctx):
        for i in range(int(req or b"0")):
            yield f"msg {i}".encode()

    handlers = {
        "Unary": grpc.unary_unary_rpc_method_handler(unary),
        "Flaky": grpc.unary_unary_rpc_method_handler(flaky_call),
        "Slow": grpc.unary_unary_rpc_method_handler(slow),
        "SlowRoute": grpc.unary_unary_rpc_method_handler(slow),
        "Stream": grpc.unary_stream_rpc_method_handler(stream),
        "Collect": grpc.stream_unary_rpc_method_handler(collect),
    }
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16), options=OPTIONS)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("test.Echo",
                                                                         handlers),))
    server.add_insecure_port(f"{addr}:{port}")
    server.start()
    return server


def run_checks(gateway):
    ch = grpc.insecure_channel(gateway, options=OPTIONS)
    try:
        grpc.channel_ready_future(ch).result(timeout=5)
    except grpc.FutureTimeoutError:
        check(False, f"channel to {gateway} ready within 5 s")
        return {}
    figures = {}

    unary = ch.unary_unary("/test.Echo/Unary")
    sizes = [0, 1, 100, 16383, 16384, 65535, 65536, 65537, 100000, 200 * 1024] + \
        [(i * 7919) % 70000 for i in range(20)]
    good = 0
    t0 = time.monotonic()
    for n in sizes:
        payload = os.urandom(n)
        try:
            got = unary(payload, timeout=10)
            good += got == payload
            if got != payload:
                print(f"  unary {n} bytes: got {len(got)} bytes back, differing", flush=True)
        except grpc.RpcError as e:
            print(f"  unary {n} bytes: {e.code()} {e.details()}", flush=True)
    check(good == len(sizes), f"unary: {good}/{len(sizes)} payloads (0..200 KiB) echoed intact")
    figures["unary"] = f"{good}/{len(sizes)} unary in {time.monotonic() - t0:.2f}s"

    try:
        msgs = list(ch.unary_stream("/test.Echo/Stream")(b"500", timeout=20))
        want = [f"msg {i}".encode() for i in range(500)]
        check(msgs == want, f"server streaming: {len(msgs)} of 500 messages, in order: "
              f"{msgs == want}")
    except grpc.RpcError as e:
        check(False, f"server streaming: {e.code()} {e.details()}")
    figures["stream"] = "500 streamed"

    parts = [os.urandom(i * 997 % 20000) for i in range(200)]
    try:
        got = ch.stream_unary("/test.Echo/Collect")(iter(parts), timeout=20)
        want = f"{len(parts)} {sum(map(len, parts))}".encode()
        check(got == want, f"client streaming: upstream saw {got!r}, sent {want!r}")
    except grpc.RpcError as e:
        check(False, f"client streaming: {e.code()} {e.details()}")
    figures["collect"] = "200 sent"

    flaky = ch.unary_unary("/test.Echo/Flaky")
    ok = 0
    codes = {}
    for i in range(20):
        try:
            ok += flaky(b"call %d" % i, timeout=10) == b"call %d" % i
        except grpc.RpcError as e:
            codes[str(e.code())] = codes.get(str(e.code()), 0) + 1
    check(ok == 20, f"retry on UNAVAILABLE: {ok}/20 calls succeeded {codes or ''}")
    figures["retry"] = f"{ok}/20 retried ok"

    t0 = time.monotonic()
    try:
        ch.unary_unary("/test.Echo/Slow")(b"x", timeout=0.5)
        check(False, "deadline 500 ms: the call succeeded")
    except grpc.RpcError as e:
        took = time.monotonic() - t0
        check(e.code() == grpc.StatusCode.DEADLINE_EXCEEDED and 0.45 <= took <= 1.0,
              f"deadline 500 ms: {e.code()} after {took:.3f}s ({e.details()})")
        figures["deadline"] = f"deadline {took:.2f}s"

    t0 = time.monotonic()
    try:
        ch.unary_unary("/test.Echo/SlowRoute")(b"x", timeout=10)
        check(False, "route timeout 1.5 s: the call succeeded")
    except grpc.RpcError as e:
        took = time.monotonic() - t0
        check(e.code() == grpc.StatusCode.DEADLINE_EXCEEDED and 1.4 <= took <= 2.5,
              f"route timeout 1.5 s: {e.code()} after {took:.3f}s ({e.details()})")
        figures["timeout"] = f"route timeout {took:.2f}s"
    ch.close()
    return figures


def main():
    gateway, mode = sys.argv[1], sys.argv[2]
    server = None
    if mode == "grpcio":
        addr, port = sys.argv[3], int(sys.argv[4])
        first = probe_upstream(gateway, addr, port)
        print(f"gateway's first bytes to the grpc upstream: {first!r}", flush=True)
        if not first.startswith(b"PRI * HTTP/2.0"):
            line = first.split(b"\r\n")[0].decode("latin-1")
            print(f"SKIP: needs h2 upstreams (the gateway sent {line!r} to the grpc virtual "
                  "node, not the HTTP/2 preface)", flush=True)
            return 77
        server = start_grpcio_server(addr, port)
    try:
        figures = run_checks(gateway)
    finally:
        if server is not None:
            server.stop(0)
    print(f"{len(failures)} failed: " + ", ".join(failures) if failures else
          "gRPC ok: " + ", ".join(figures.values()), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
