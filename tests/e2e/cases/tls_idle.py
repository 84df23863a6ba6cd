"""Two TLS cases about what a connection costs.

tls_idle_buffers_released: TLS connections that sit idle give their record buffers back (mg_tls_release_idle(),
mbedTLS patch 0002; docs/PERFORMANCE.md) and work again when used: one keep-alive HTTPS
connection sends a request, waits 3 s (the gateway releases within 1-2 s), then sends two
more on the same connection; meanwhile /stats shows what mbedTLS holds fall below what one
connection's buffers alone take (24 KiB).

tls_response_one_segment: a small response whose head and body reach the gateway together
leaves as one TLS record in one segment: 60 requests on one keep-alive HTTPS connection cost
the gateway's port at most 2 packets each (the request to nginx, the response to the
client).  Before, the head and the body were two records, two segments, and drew an ACK of
their own from the client: 3 packets sent and 3 received per request
(docs/PERFORMANCE.md).  The same for 60 POSTs with a 300-byte body: the request's head and
body, written to the upstream connection while the client connection's callback runs, leave
in one segment (before, a write to a connection other than the one whose callback runs was
sent at once: two segments).
"""

from steps import Case, nginx, sh
from cases.tls import MAKE_CERTS, PKI, TLS

# One keep-alive HTTPS connection to the gateway and a reader of one response, for both
# clients below (argv: gateway address, CA file).
PRELUDE = r'''
import json, socket, ssl, sys, time, urllib.request
gw, ca = sys.argv[1], sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
s = ctx.wrap_socket(socket.create_connection((gw, 8443), timeout=10), server_hostname="a.example.com")
f = s.makefile("rb")
def response():
    status = f.readline()
    n = 0
    while True:
        line = f.readline()
        if line in (b"\r\n", b""):
            break
        if line.lower().startswith(b"content-length:"):
            n = int(line.split(b":")[1])
    return status.split()[1], len(f.read(n))
'''

CLIENT = PRELUDE + r'''
def mem():
    with urllib.request.urlopen(f"http://{gw}:9901/stats", timeout=5) as r:
        return json.load(r)["tls"]["mem_in_use"]
def get():
    s.sendall(b"GET /small.txt HTTP/1.1\r\nHost: a.example.com\r\n\r\n")
    return response()
a = get(); busy = mem(); time.sleep(3); idle = mem(); b = get(); c = get()
print(f"first {a} busy {busy} idle {idle} then {b} {c}")
ok = a == (b"200", 1024) and b == a and c == a and idle + 20000 < busy
sys.exit(0 if ok else 1)
'''

SEGMENTS = PRELUDE + r'''
method = sys.argv[3]
def tx():
    with urllib.request.urlopen(f"http://{gw}:9901/stats", timeout=5) as r:
        return sum(p["tx_packets"] for p in json.load(r)["ports"])
def get():
    if method == "GET":
        s.sendall(b"GET /small.txt HTTP/1.1\r\nHost: a.example.com\r\n\r\n")
    else:  # nginx answers a POST to a static file 405: what counts is the request's segments
        s.sendall(b"POST /small.txt HTTP/1.1\r\nHost: a.example.com\r\n"
                  b"Content-Length: 300\r\n\r\n" + b"x" * 300)
    return response()
N = 60
first = get()
t0 = tx()
res = [get() for _ in range(N)]
t1 = tx()
per = (t1 - t0) / N
print(f"first {first} all {all(r == first for r in res)} tx {t1 - t0} per request {per:.2f}")
# 2 per request, plus the admin exchange (up to ~8 packets) and a delayed ACK or two
ok = first == (b"200", 1024) if method == "GET" else first[0] == b"405"
sys.exit(0 if ok and all(r == first for r in res) and t1 - t0 <= 2 * N + 14 else 1)
'''

CASES = [
    Case("tls_idle_buffers_released", config=TLS, needs=("nginx", "openssl"),
         setup=[sh("bash", MAKE_CERTS, PKI, desc="make the test PKI")],
         steps=[
             nginx(8080, files={"small.txt": 1024}),
             sh("/usr/bin/python3", "-c", CLIENT, "{gw}", PKI + "/ca.crt", timeout=30,
                stdout=r"first \(b'200', 1024\)",
                desc="request, 3 s idle (buffers released), two more requests on it"),
         ]),
    Case("tls_response_one_segment", config=TLS, needs=("nginx", "openssl"),
         setup=[sh("bash", MAKE_CERTS, PKI, desc="make the test PKI")],
         steps=[
             nginx(8080, files={"small.txt": 1024}),
             sh("/usr/bin/python3", "-c", SEGMENTS, "{gw}", PKI + "/ca.crt", "GET", timeout=30,
                stdout=r"all True",
                desc="60 keep-alive HTTPS requests cost at most 2 sent packets each"),
             sh("/usr/bin/python3", "-c", SEGMENTS, "{gw}", PKI + "/ca.crt", "POST", timeout=30,
                stdout=r"all True",
                desc="60 keep-alive HTTPS POSTs: head and body reach nginx in one segment"),
         ]),
]
