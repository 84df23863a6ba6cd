"""Hold connections: usage hold.py HOST ADMIN ECHO SECONDS

Opens a connection to the echo port (round-trips 5 bytes) and one to the admin
port (one keep-alive GET /ready), prints "holding 2 connections", then keeps
both open for SECONDS (or until killed) and prints how they ended.
"""

import sys
import time

import httpc


def main():
    host, admin, echo, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    e = httpc.connect(host, echo, 5)
    e.sendall(b"hello")
    got = b""
    while len(got) < 5:
        chunk = e.recv(5 - len(got))
        if not chunk:
            break
        got += chunk
    if got != b"hello":
        print(f"echo returned {got!r}")
        return 1
    a = httpc.connect(host, admin, 5)
    a.sendall(httpc.request("GET", "/ready"))
    status = httpc.Reader(a).response().status
    if status != 200:
        print(f"GET /ready: {status}")
        return 1
    print("holding 2 connections", flush=True)
    e.settimeout(secs)
    t0 = time.monotonic()
    try:
        end = "closed by peer" if e.recv(1) == b"" else "data received"
    except OSError as err:
        end = f"{type(err).__name__}: {err}"
    print(f"echo connection ended after {time.monotonic() - t0:.2f}s: {end}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
