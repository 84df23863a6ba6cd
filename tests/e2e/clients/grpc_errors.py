"""gRPC error answers through the gateway (HTTP/1.1 framing): usage grpc_errors.py MODE ARGS...

  status URL GRPC_STATUS       one gRPC POST answers HTTP 200, Content-Type application/grpc,
                               grpc-status GRPC_STATUS and a grpc-message
  deadline URL TIMEOUT_MS HI_MS [cold]one gRPC POST with grpc-timeout TIMEOUT_MS m (the route's own
                               timeout is longer) to an upstream that hangs answers grpc-status 4 (DEADLINE_EXCEEDED)
                               after TIMEOUT_MS to HI_MS milliseconds; a keep-alive request
                               warms the upstream connection first (not with a last argument
                               "cold": the deadline then also covers the upstream connect)
  retry URL N                  N gRPC POSTs to tests/e2e/servers/grpc_flaky.py (which answers
                               UNAVAILABLE to every other request) through a route with
                               grpcRetryEvents [unavailable]: every one gets grpc-status 0
  plain URL HTTP_STATUS        the same request without the gRPC Content-Type answers an
                               ordinary HTTP_STATUS error
Prints one summary line; exit 0 iff the check held.
"""

import http.client
import sys
import time
import urllib.parse

GRPC = {"content-type": "application/grpc", "te": "trailers"}


def post(url, headers, conn=None):
    u = urllib.parse.urlsplit(url)
    conn = conn or http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    t0 = time.monotonic()
    conn.request("POST", u.path + (f"?{u.query}" if u.query else ""), body=b"\0\0\0\0\0", headers=headers)
    r = conn.getresponse()
    r.body = r.read()
    return r, (time.monotonic() - t0) * 1000.0, conn


def status(url, want):
    r, _, _ = post(url, GRPC)
    got = (r.status, r.getheader("content-type"), r.getheader("grpc-status"))
    print(f"status: HTTP {got[0]} {got[1]} grpc-status {got[2]} "
          f"grpc-message {r.getheader('grpc-message')!r}")
    return got == (200, "application/grpc", str(want)) and r.getheader("grpc-message")


def deadline(url, timeout_ms, hi_ms, cold=""):
    if cold == "cold":
        warm, conn = None, None
    else:
        warm, _, conn = post(url, {"content-type": "application/grpc"})
    r, el, _ = post(url + "?fault=hang", dict(GRPC, **{"grpc-timeout": f"{timeout_ms}m"}), conn)
    st = r.getheader("grpc-status")
    print(f"deadline: warm HTTP {warm.status if warm else '-'}; grpc-timeout {timeout_ms}m answered HTTP "
          f"{r.status} grpc-status {st} after {el:.0f} ms (want {timeout_ms}..{hi_ms}) "
          f"{r.body[:80]!r}")
    return r.status == 200 and st == "4" and float(timeout_ms) <= el <= float(hi_ms)


def retry(url, n):
    got = {}
    for _ in range(int(n)):
        r, _, _ = post(url, GRPC)
        key = (r.status, r.getheader("grpc-status"))
        got[key] = got.get(key, 0) + 1
    print(f"retry: {n} calls through grpcRetryEvents [unavailable]: (HTTP, grpc-status) {got}")
    return got == {(200, "0"): int(n)}


def plain(url, want):
    r, _, _ = post(url, {"content-type": "application/octet-stream"})
    print(f"plain: HTTP {r.status} grpc-status {r.getheader('grpc-status')}")
    return r.status == int(want) and r.getheader("grpc-status") is None


if __name__ == "__main__":
    fn = {"status": status, "deadline": deadline, "plain": plain, "retry": retry}[sys.argv[1]]
    sys.exit(0 if fn(*sys.argv[2:]) else 1)
