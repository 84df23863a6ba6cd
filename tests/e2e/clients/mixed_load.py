"""Mixed load for the leak check: usage mixed_load.py HOST ADMIN ECHO DISCARD

Runs these groups in parallel threads, then closes every socket it opened:
  admin     20 x GET /ready with Connection: close; one keep-alive connection
            carrying /ready, /stats, /nope (404) and POST /ready (405) x 5
  echo      3 connections, each echoing 2 MB exactly
  discard   2 connections, each sending 4 MB, then closing
  resets    RST (SO_LINGER 0) with data in flight: 5 to echo after 64 KiB
            unread, 5 to admin in the middle of a request, 5 to discard after
            256 KiB, 5 right after connecting
  halfclose 3 to echo: send 100 kB, shut down writing, the whole echo must
            still come back; 3 to admin: request, shut down writing, the
            reply must still come back
Every socket operation times out after 10 s.  Exit 0 iff every check passed.
"""

import os
import socket
import struct
import sys
import threading

import httpc

TIMEOUT = 10.0


def roundtrip(sock, data):
    """Send <data> from a helper thread while reading; return the bytes echoed."""
    err = []

    def send():
        try:
            sock.sendall(data)
        except OSError as e:
            err.append(e)
    th = threading.Thread(target=send, daemon=True)
    th.start()
    got = bytearray()
    while len(got) < len(data):
        chunk = sock.recv(65536)
        if not chunk:
            break
        got += chunk
    th.join(TIMEOUT)
    if err:
        raise err[0]
    return bytes(got)


def reset(sock):
    """Close <sock> with an RST instead of a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def admin(h, p):
    for _ in range(20):
        r = httpc.get(h, p["admin"], "/ready", timeout=TIMEOUT)
        assert r.status == 200, f"GET /ready: {r.status}"
    with httpc.connect(h, p["admin"], TIMEOUT) as s:
        rd = httpc.Reader(s)
        for _ in range(5):
            for method, path, want in (("GET", "/ready", 200), ("GET", "/stats", 200),
                                       ("GET", "/nope", 404), ("POST", "/ready", 405)):
                s.sendall(httpc.request(method, path))
                r = rd.response()
                assert r.status == want, f"{method} {path}: {r.status}, expected {want}"


def echo(h, p):
    for i in range(3):
        data = os.urandom(2_000_000)
        with httpc.connect(h, p["echo"], TIMEOUT) as s:
            back = roundtrip(s, data)
        assert back == data, (f"echo {i}: {len(back)}/{len(data)} bytes back, "
                              f"prefix equal: {back == data[:len(back)]}")


def discard(h, p):
    for _ in range(2):
        with httpc.connect(h, p["discard"], TIMEOUT) as s:
            s.sendall(os.urandom(4_000_000))


def resets(h, p):
    for _ in range(5):
        s = httpc.connect(h, p["echo"], TIMEOUT)
        s.sendall(os.urandom(65536))
        reset(s)
        s = httpc.connect(h, p["admin"], TIMEOUT)
        s.sendall(b"GET /rea")
        reset(s)
        s = httpc.connect(h, p["discard"], TIMEOUT)
        s.sendall(os.urandom(262144))
        reset(s)
        reset(httpc.connect(h, p["echo"], TIMEOUT))


def halfclose(h, p):
    for i in range(3):
        data = os.urandom(100_000)
        with httpc.connect(h, p["echo"], TIMEOUT) as s:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            got = bytearray()
            while len(got) < len(data):
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
            assert bytes(got) == data, f"half-closed echo {i}: {len(got)}/{len(data)} bytes back"
        with httpc.connect(h, p["admin"], TIMEOUT) as s:
            s.sendall(httpc.request("GET", "/ready"))
            s.shutdown(socket.SHUT_WR)
            r = httpc.Reader(s).response()
            assert r.status == 200, f"half-closed GET /ready: {r.status}"


def main():
    h = sys.argv[1]
    ports = dict(zip(("admin", "echo", "discard"), map(int, sys.argv[2:5])))
    groups = (admin, echo, discard, resets, halfclose)
    errors = {}

    def run(fn):
        try:
            fn(h, ports)
        except (AssertionError, OSError, httpc.HttpError) as e:
            errors[fn.__name__] = f"{type(e).__name__}: {e}"
    threads = [threading.Thread(target=run, args=(g,), daemon=True) for g in groups]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    hung = [g.__name__ for g, t in zip(groups, threads) if t.is_alive()]
    for name in hung:
        errors[name] = "did not finish within 120 s"
    for name, e in sorted(errors.items()):
        print(f"{name}: {e}")
    print(f"mixed load: {len(groups) - len(errors)}/{len(groups)} groups ok")
    sys.stdout.flush()
    os._exit(1 if errors else 0)


if __name__ == "__main__":
    main()
