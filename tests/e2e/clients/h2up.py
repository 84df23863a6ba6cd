"""gRPC calls made with HTTP/1.1 through the gateway to an HTTP/2 upstream, read with a raw
socket so the chunked trailer section (grpc-status) can be checked: usage h2up.py MODE ARGS...

  unary URL N CONC        N calls of SayHello (CONC at a time): each answers HTTP 200, chunked,
                          the message b"hello <i>" (5-byte gRPC prefix), and trailers
                          grpc-status 0 and x-trailer yes
  status URL GRPC_STATUS  one call answers grpc-status GRPC_STATUS (head or trailers)
  overflow URL N MAXREQ   N concurrent calls of a one-second method through a route whose
                          node has connectionPool grpc maxRequests MAXREQ: MAXREQ succeed, the
                          others get grpc-status 14 with x-envoy-overloaded at once
  retry URL N             N sequential calls of /test.Svc/Flaky (UNAVAILABLE every other call)
                          through a route with grpcRetryEvents [unavailable]: all succeed
  who URL N WANT          N calls of /test.Svc/Who all answered by the server WANT
  plain URL               a GET answers 200 with a body (an HTTP/2 server that is not gRPC)
Prints one summary line; exit 0 iff the check held.
"""

import socket
import sys
import threading
import time
import urllib.parse


def read_until(s, buf, sep):
    while sep not in buf:
        d = s.recv(65536)
        if not d:
            raise EOFError("connection closed")
        buf += d
    i = buf.index(sep) + len(sep)
    return buf[:i], buf[i:]


def read_n(s, buf, n):
    while len(buf) < n:
        d = s.recv(65536)
        if not d:
            raise EOFError("connection closed")
        buf += d
    return buf[:n], buf[n:]


def fields(block):
    out = {}
    for line in block.decode("latin-1").split("\r\n"):
        if ":" in line:
            k, v = line.split(":", 1)
            out[k.strip().lower()] = v.strip()
    return out


def call(url, msg=b"", method="POST", grpc=True, timeout=20):
    """Returns (status, head fields, body bytes, trailer fields, seconds)."""
    u = urllib.parse.urlsplit(url)
    t0 = time.monotonic()
    s = socket.create_connection((u.hostname, u.port), timeout=timeout)
    try:
        body = (b"\0" + len(msg).to_bytes(4, "big") + msg) if grpc else b""
        head = f"{method} {u.path} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\n"
        if grpc:
            head += "Content-Type: application/grpc\r\nTE: trailers\r\n"
        if method == "POST":
            head += f"Content-Length: {len(body)}\r\n"
        s.sendall((head + "\r\n").encode() + body)
        h, rest = read_until(s, b"", b"\r\n\r\n")
        status = int(h.split(b" ", 2)[1])
        hf = fields(h.split(b"\r\n", 1)[1])
        data, trailers = b"", {}
        if hf.get("transfer-encoding", "").lower() == "chunked":
            while True:
                line, rest = read_until(s, rest, b"\r\n")
                n = int(line.split(b";")[0], 16)
                if n == 0:
                    t, rest = read_until(s, rest, b"\r\n") if rest.startswith(b"\r\n") \
                        else read_until(s, rest, b"\r\n\r\n")
                    trailers = fields(t)
                    break
                d, rest = read_n(s, rest, n + 2)
                data += d[:-2]
        else:
            data, rest = read_n(s, rest, int(hf.get("content-length", "0")))
        return status, hf, data, trailers, time.monotonic() - t0
    finally:
        s.close()


def grpc_status(hf, tr):
    return tr.get("grpc-status", hf.get("grpc-status"))


def unary(url, n, conc):
    n, conc = int(n), int(conc)
    errors, lock = [], threading.Lock()
    it = iter(range(n))

    def worker():
        while True:
            with lock:
                i = next(it, None)
            if i is None:
                return
            try:
                m = f"{i}".encode()
                st, hf, data, tr, _ = call(url, m)
                want = b"\0" + (6 + len(m)).to_bytes(4, "big") + b"hello " + m
                if st != 200 or data != want or grpc_status(hf, tr) != "0" or \
                        tr.get("x-trailer") != "yes":
                    raise ValueError(f"call {i}: HTTP {st} head {hf} body {data!r} "
                                     f"trailers {tr}")
            except Exception as e:  # noqa: BLE001
                with lock:
                    errors.append(str(e))
    ts = [threading.Thread(target=worker) for _ in range(conc)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print(f"unary: {n - len(errors)}/{n} calls answered hello with grpc-status 0 in the "
          f"trailers ({conc} concurrent)" + (f"; first error: {errors[0]}" if errors else ""))
    return not errors


def status(url, want):
    st, hf, data, tr, _ = call(url, b"x")
    got = grpc_status(hf, tr)
    where = "trailers" if "grpc-status" in tr else "head"
    print(f"status: HTTP {st} grpc-status {got} (in the {where}) grpc-message "
          f"{tr.get('grpc-message', hf.get('grpc-message'))!r}")
    return st == 200 and got == str(want)


def overflow(url, n, maxreq):
    n, maxreq = int(n), int(maxreq)
    res, lock = [], threading.Lock()

    def one():
        try:
            st, hf, data, tr, secs = call(url, b"x")
            r = (grpc_status(hf, tr), hf.get("x-envoy-overloaded"), secs)
        except Exception as e:  # noqa: BLE001
            r = (f"error {e}", None, 0)
        with lock:
            res.append(r)
    ts = [threading.Thread(target=one) for _ in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    ok = sum(1 for r in res if r[0] == "0")
    over = [r for r in res if r[0] == "14" and r[1] == "true"]
    slowest_over = max((r[2] for r in over), default=0)
    print(f"overflow: {ok} ok, {len(over)} overflowed (slowest overflow answer "
          f"{slowest_over * 1000:.0f} ms), {n - ok - len(over)} other of {n}; "
          f"maxRequests {maxreq}")
    return ok >= maxreq and ok + len(over) == n and len(over) >= n - 2 * maxreq and \
        slowest_over < 0.9


def retry(url, n):
    n, bad = int(n), []
    for i in range(n):
        st, hf, data, tr, _ = call(url, b"x")
        if st != 200 or grpc_status(hf, tr) != "0" or b"ok " not in data:
            bad.append((st, grpc_status(hf, tr), data))
    print(f"retry: {n - len(bad)}/{n} calls to a server failing every other call with "
          f"UNAVAILABLE got grpc-status 0" + (f"; first failure {bad[0]}" if bad else ""))
    return not bad


def who(url, n, want):
    got = {}
    for _ in range(int(n)):
        st, hf, data, tr, _ = call(url, b"")
        k = data[5:].decode(errors="replace") if st == 200 else f"HTTP {st}"
        got[k] = got.get(k, 0) + 1
    print(f"who: {got} ({want} wanted for all)")
    return got == {want: int(n)}


def plain(url):
    st, hf, data, tr, _ = call(url, method="GET", grpc=False)
    print(f"plain: HTTP {st}, {len(data)} body bytes, {hf.get('transfer-encoding')}")
    return st == 200 and len(data) > 0


MODES = {"who": who, "retry": retry, "unary": unary, "status": status, "overflow": overflow, "plain": plain}
sys.exit(0 if MODES[sys.argv[1]](*sys.argv[2:]) else 1)
