"""1 GiB each way through the proxy: usage big_transfer.py HOST PORT WWWDIR MIB [CAFILE SNI]

PUTs MIB MiB of pseudo-random data (generated on the fly, chunked) through
the gateway to nginx, checks nginx's copy on disk, then GETs it back through
the gateway; SHA-256 must be identical all three times.  Prints throughput.
With CAFILE and SNI it speaks HTTPS to HOST, asking for and verifying SNI.
"""

import hashlib
import http.client
import os
import socket
import ssl
import sys
import time

CHUNK = 1 << 20


def blocks(mib):
    seed = hashlib.sha256(b"meshgate").digest()
    for i in range(mib):
        # 1 MiB of pseudo-random bytes per step: fast and reproducible.
        block = hashlib.shake_256(seed + i.to_bytes(8, "big")).digest(CHUNK)
        yield block


def main():
    host, port, www, mib = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    want = hashlib.sha256()
    sent = 0

    def body():
        nonlocal sent
        for b in blocks(mib):
            want.update(b)
            sent += len(b)
            yield b

    if len(sys.argv) > 6:
        ctx = ssl.create_default_context(cafile=sys.argv[5])
        sni = sys.argv[6]

        class Conn(http.client.HTTPSConnection):
            def connect(self):
                sock = socket.create_connection((self.host, self.port), self.timeout)
                self.sock = ctx.wrap_socket(sock, server_hostname=sni)

        c = Conn(host, port, timeout=120)
    else:
        c = http.client.HTTPConnection(host, port, timeout=120)
    t0 = time.monotonic()
    c.request("PUT", "/big.bin", body=body(), encode_chunked=True)
    r = c.getresponse()
    r.read()
    t_up = time.monotonic() - t0
    if r.status not in (201, 204):
        print(f"PUT: status {r.status}")
        return 1
    disk = hashlib.sha256()
    with open(os.path.join(www, "big.bin"), "rb") as f:
        while True:
            b = f.read(CHUNK)
            if not b:
                break
            disk.update(b)
    t0 = time.monotonic()
    c.request("GET", "/big.bin")
    r = c.getresponse()
    got, n = hashlib.sha256(), 0
    while True:
        b = r.read(CHUNK)
        if not b:
            break
        got.update(b)
        n += len(b)
    t_down = time.monotonic() - t0
    ok = r.status == 200 and n == sent and want.digest() == disk.digest() == got.digest()
    print(f"big transfer: {mib} MiB up in {t_up:.1f}s ({sent / t_up / 1e6:.0f} MB/s), down in "
          f"{t_down:.1f}s ({n / t_down / 1e6:.0f} MB/s), SHA-256 {'identical' if ok else 'DIFFERENT'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
