"""TLS connections that sit idle give their record buffers back (mg_tls_release_idle(),
mbedTLS patch 0002; docs/PERFORMANCE.md) and work again when used: one keep-alive HTTPS
connection sends a request, waits 3 s (the gateway releases within 1-2 s), then sends two
more on the same connection; meanwhile /stats shows what mbedTLS holds fall below what one
connection's buffers alone take (24 KiB).
"""

from steps import Case, nginx, sh
from cases.tls import MAKE_CERTS, PKI, TLS

CLIENT = r'''
import json, socket, ssl, sys, time, urllib.request
gw, ca = sys.argv[1], sys.argv[2]
def mem():
    with urllib.request.urlopen(f"http://{gw}:9901/stats", timeout=5) as r:
        return json.load(r)["tls"]["mem_in_use"]
ctx = ssl.create_default_context(cafile=ca)
s = ctx.wrap_socket(socket.create_connection((gw, 8443), timeout=10), server_hostname="a.example.com")
f = s.makefile("rb")
def get():
    s.sendall(b"GET /small.txt HTTP/1.1\r\nHost: a.example.com\r\n\r\n")
    status = f.readline()
    n = 0
    while True:
        line = f.readline()
        if line in (b"\r\n", b""):
            break
        if line.lower().startswith(b"content-length:"):
            n = int(line.split(b":")[1])
    body = f.read(n)
    return status.split()[1], len(body)
a = get(); busy = mem(); time.sleep(3); idle = mem(); b = get(); c = get()
print(f"first {a} busy {busy} idle {idle} then {b} {c}")
ok = a == (b"200", 1024) and b == a and c == a and idle + 20000 < busy
sys.exit(0 if ok else 1)
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
]
