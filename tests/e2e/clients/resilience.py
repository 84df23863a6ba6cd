"""Resilience checks through the gateway: usage resilience.py MODE ARGS...

  success URL N MIN_PERCENT        N keep-alive GETs; at least MIN_PERCENT % answer 200
  overflow URL N OK OVERLOADED MS  N GETs at once, each on its own connection: exactly OK answer
                                   200 and OVERLOADED answer 503 with x-envoy-overloaded: true,
                                   each of those within MS milliseconds
  timeout URL LO_MS HI_MS          one GET answers 504 after LO_MS to HI_MS milliseconds
  eject URL CONTROL SECONDS PORTS  GETs for SECONDS: after the first second (one sweep interval)
                                   every answer is 200; then PORTS are healed through the fault
                                   upstream's CONTROL address and must get traffic again within
                                   the ejection time
  health URL CONTROL PORT REMOVE_S RETURN_S
                                   once PORT serves, it is black-holed
                                   (answers nothing): after REMOVE_S seconds no request fails
                                   any more; healed, PORT serves again within RETURN_S seconds
  status URL N STATUS MS            N keep-alive GETs each answer STATUS within MS milliseconds
Prints one summary line; exit 0 iff the check held.
"""

import http.client
import json
import selectors
import socket
import sys
import time
import urllib.parse
import urllib.request


def get(conn, path):
    conn.request("GET", path)
    r = conn.getresponse()
    body = r.read()
    return r.status, r.getheader("x-envoy-overloaded"), body


def success(url, n, min_pct):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    ok = 0
    codes = {}
    for i in range(int(n)):
        try:
            st, _, _ = get(conn, u.path + f"?i={i}")
        except (OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
            st = "error"
        codes[st] = codes.get(st, 0) + 1
        ok += st == 200
    pct = 100.0 * ok / int(n)
    print(f"success: {ok}/{n} answered 200 ({pct:.2f} %, need {min_pct} %), statuses {codes}")
    return pct >= float(min_pct)


def overflow(url, n, want_ok, want_over, ms):
    """<n> concurrent requests, each on its own connection, sent and read by one thread with
    non-blocking sockets (threads would add the GIL's 5 ms switch interval to the times)."""
    u = urllib.parse.urlsplit(url)
    n = int(n)
    socks = [socket.create_connection((u.hostname, u.port), timeout=30) for _ in range(n)]
    sel = selectors.DefaultSelector()
    t0, data, results = [0.0] * n, [b""] * n, [None] * n
    for i, s in enumerate(socks):
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, i)
    for i, s in enumerate(socks):
        t0[i] = time.monotonic()
        s.send(f"GET {u.path}?i={i} HTTP/1.1\r\nHost: {u.hostname}\r\n\r\n".encode())
    deadline = time.monotonic() + 60
    pending = n
    while pending and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=1):
            i = key.data
            now = time.monotonic()
            try:
                b = socks[i].recv(4096)
            except BlockingIOError:
                continue
            data[i] += b
            if b"\r\n\r\n" in data[i] or not b:
                head = data[i].split(b"\r\n\r\n")[0].decode(errors="replace").lower()
                status = int(head[9:12]) if head.startswith("http/1.1 ") else None
                results[i] = (status, "x-envoy-overloaded: true" in head, (now - t0[i]) * 1000)
                sel.unregister(socks[i])
                pending -= 1
    for s in socks:
        s.close()
    ok = sum(1 for r in results if r and r[0] == 200)
    over = [r for r in results if r and r[0] == 503 and r[1]]
    slow = [round(r[2], 1) for r in over if r[2] > float(ms)]
    other = [r for r in results if not r or (r[0] != 200 and not (r[0] == 503 and r[1]))]
    good = ok == int(want_ok) and len(over) == int(want_over) and not slow and not other
    worst = max((r[2] for r in over), default=0)
    print(f"overflow: {ok} x 200, {len(over)} x 503 x-envoy-overloaded (slowest {worst:.1f} ms,"
          f" limit {ms} ms), {len(other)} other; expected {want_ok} and {want_over}"
          f"{'' if not slow else f'; too slow: {slow}'}")
    return good


def timeout(url, lo, hi):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    t0 = time.monotonic()
    st, _, body = get(conn, u.path)
    dt = (time.monotonic() - t0) * 1000
    print(f"timeout: {st} after {dt:.0f} ms (expected 504 in {lo}..{hi} ms): {body[:60]!r}")
    return st == 504 and float(lo) <= dt <= float(hi)


def eject(url, control, seconds, ports):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    t_end = time.monotonic() + float(seconds)
    t_start = time.monotonic()
    late_fail, n, fails = 0, 0, 0
    while time.monotonic() < t_end:
        st, _, _ = get(conn, u.path)
        n += 1
        if st != 200:
            fails += 1
            if time.monotonic() - t_start > 1.0:
                late_fail += 1
        time.sleep(0.01)
    ports = ports.split(",")

    def counts():
        with urllib.request.urlopen(f"http://{control}/stats", timeout=5) as r:
            return json.load(r)

    for p in ports:
        urllib.request.urlopen(f"http://{control}/set?port={p}&mode=ok", timeout=5).read()
    before = counts()
    t0 = time.monotonic()
    back = None
    while time.monotonic() - t0 < 15:
        st, _, _ = get(conn, u.path)
        now = counts()
        if all(now[p] > before[p] for p in ports):
            back = time.monotonic() - t0
            break
        time.sleep(0.02)
    print(f"eject: {n} requests in {seconds} s, {fails} failed, {late_fail} after the first "
          f"second; healed endpoints {ports} back in traffic after "
          f"{'never' if back is None else f'{back:.1f} s'}")
    return late_fail == 0 and back is not None


def health(url, control, port, remove_s, return_s):
    u = urllib.parse.urlsplit(url)
    remove_s, return_s = float(remove_s), float(return_s)

    def one():
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        try:
            st, _, body = get(conn, u.path)
        except (OSError, http.client.HTTPException):
            st, body = 0, b""
        conn.close()
        return st, body

    t0 = time.monotonic()
    warm = False
    while time.monotonic() - t0 < 20:  # PORT healthy (checked) and in traffic
        st, body = one()
        if st == 200 and f":{port} ".encode() in body:
            warm = True
            break
        time.sleep(0.05)
    if not warm:
        print(f"health: {port} never served at first")
        return False
    urllib.request.urlopen(f"http://{control}/set?port={port}&mode=hang", timeout=5).read()
    t0 = time.monotonic()
    fails, last_fail, n = 0, None, 0
    while time.monotonic() - t0 < remove_s + 3:
        t_req = time.monotonic() - t0  # when the failing request was sent
        st, _ = one()
        n += 1
        if st != 200:
            fails += 1
            last_fail = t_req
        time.sleep(0.02)
    urllib.request.urlopen(f"http://{control}/set?port={port}&mode=ok", timeout=5).read()
    t1 = time.monotonic()
    back = None
    while time.monotonic() - t1 < return_s + 5:
        st, body = one()
        if st == 200 and f":{port} ".encode() in body:
            back = time.monotonic() - t1
            break
        time.sleep(0.05)
    removed = last_fail is not None and last_fail <= remove_s
    print(f"health: {n} requests while {port} was black-holed, {fails} failed, the last after "
          f"{'-' if last_fail is None else f'{last_fail:.1f}'} s (limit {remove_s:g} s); healed, "
          f"back in traffic after {'never' if back is None else f'{back:.1f} s'} "
          f"(limit {return_s:g} s)")
    return removed and back is not None and back <= return_s


def status(url, n, want, ms):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    codes, slowest, good = {}, 0.0, 0
    for i in range(int(n)):
        t = time.monotonic()
        try:
            st, _, _ = get(conn, u.path + f"?i={i}")
        except (OSError, http.client.HTTPException):
            st = 0
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        dt = (time.monotonic() - t) * 1000
        slowest = max(slowest, dt)
        codes[st] = codes.get(st, 0) + 1
        good += st == int(want) and dt <= float(ms)
    print(f"status: {good}/{n} answered {want} within {ms} ms (slowest {slowest:.1f} ms), "
          f"statuses {codes}")
    return good == int(n)


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    ok = {"success": success, "overflow": overflow, "timeout": timeout, "eject": eject,
          "health": health, "status": status}[mode](*args)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
