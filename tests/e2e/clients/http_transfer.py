"""Transfers through the proxy: usage http_transfer.py HOST PORT WWWDIR FILE MIB

With nginx serving WWWDIR behind the gateway at HOST:PORT:
  - GET /FILE streams the whole file back (SHA-256 compared with WWWDIR/FILE);
  - HEAD /FILE gives its length and no body;
  - PUT of MIB MiB with Content-Length, and again chunked, then GET of each:
    SHA-256 identical; the upstream's copy on disk is identical too;
  - two requests pipelined in one write get two responses in order;
  - keep-alive: ten requests on one connection;
  - the gateway added X-Forwarded-For/-Proto/-Port and X-Request-Id
    (checked through nginx echoing nothing: we check via the access to the
    uploaded copy only, so this is left to the header test).
Prints one summary line; exit 0 iff everything matched.
"""

import hashlib
import http.client
import os
import socket
import sys
import time


def sha(data):
    return hashlib.sha256(data).hexdigest()


def file_sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                return h.hexdigest()
            h.update(b)


def get(conn, path):
    conn.request("GET", path)
    r = conn.getresponse()
    h = hashlib.sha256()
    n = 0
    while True:
        b = r.read(1 << 20)
        if not b:
            break
        h.update(b)
        n += len(b)
    return r.status, h.hexdigest(), n


def main():
    host, port, www, name, mib = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
    problems = []
    t0 = time.monotonic()
    c = http.client.HTTPConnection(host, port, timeout=60)

    status, digest, n = get(c, "/" + name)
    if status != 200 or digest != file_sha(os.path.join(www, name)):
        problems.append(f"GET /{name}: status {status}, {n} bytes, digest mismatch={digest != file_sha(os.path.join(www, name))}")
    down = n

    c.request("HEAD", "/" + name)
    r = c.getresponse()
    body = r.read()
    if r.status != 200 or body or int(r.getheader("Content-Length", "-1")) != os.path.getsize(os.path.join(www, name)):
        problems.append(f"HEAD: status {r.status}, body {len(body)}, length {r.getheader('Content-Length')}")

    data = os.urandom(mib << 20)
    for mode in ("length", "chunked"):
        path = f"/up-{mode}.bin"
        if mode == "length":
            c.request("PUT", path, body=data)
        else:
            def gen():
                for i in range(0, len(data), 100_000):
                    yield data[i:i + 100_000]
            c.request("PUT", path, body=gen(), encode_chunked=True)
        r = c.getresponse()
        r.read()
        if r.status not in (201, 204):
            problems.append(f"PUT {mode}: status {r.status}")
            continue
        status, digest, n = get(c, path)
        if status != 200 or digest != sha(data):
            problems.append(f"GET {path}: status {status}, {n} bytes, mismatch")
        if file_sha(os.path.join(www, path[1:])) != sha(data):
            problems.append(f"upstream copy of {path} differs")

    for i in range(10):
        c.request("GET", "/" + name, headers={"Range": "bytes=0-99"})
        r = c.getresponse()
        if r.status != 206 or len(r.read()) != 100:
            problems.append(f"keep-alive request {i}: status {r.status}")
            break
    c.close()

    s = socket.create_connection((host, port), timeout=30)
    s.sendall(b"HEAD /%s HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % name.encode())
    got = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        got += b
    s.close()
    lines = [l for l in got.split(b"\r\n") if l.startswith(b"HTTP/1.1 ")]
    if [l[9:12] for l in lines] != [b"200", b"404"]:
        problems.append(f"pipelined: status lines {lines}")

    dt = time.monotonic() - t0
    for p in problems:
        print(p)
    print(f"transfer: GET {down >> 20} MiB, PUT+GET {mib} MiB x2 (length, chunked), HEAD, keep-alive x10, "
          f"pipelined x2 in {dt:.1f}s: {'ok' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
