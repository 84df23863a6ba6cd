"""Slow clients against the admin listener: usage slow_admin.py HOST ADMIN N

Opens N connections (more than the admin pool holds), each sending only part
of a request head and then one more byte every 2 s (a slowloris).  Checks
that connections beyond the pool are refused at once, that every accepted one
is reset by the gateway between 9 and 16 s after it opened (the admin
deadline is 10 s and partial input must not extend it), and that afterwards a
normal GET /ready succeeds.  Prints one summary line.
"""

import selectors
import socket
import sys
import time

import httpc


def main():
    host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    sel = selectors.DefaultSelector()
    opened, refused = {}, 0
    for _ in range(n):
        s = socket.socket()
        s.settimeout(5)
        try:
            s.connect((host, port))
            s.sendall(b"GET /ready HTTP/1.1\r\nHost")
        except OSError:
            refused += 1
            s.close()
            continue
        s.setblocking(False)
        opened[s] = time.monotonic()
        sel.register(s, selectors.EVENT_READ)
    # Connections the pool could not take are reset by the gateway right
    # after the handshake; collect those within the first second.
    ended, early = {}, 0
    deadline = time.monotonic() + 25
    next_trickle = time.monotonic() + 2
    while opened.keys() - ended.keys() and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.2):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if data:
                print(f"unexpected data from the gateway: {data[:80]!r}")
                return 1
            age = time.monotonic() - opened[s]
            ended[s] = age
            if age < 1.0:
                early += 1
            sel.unregister(s)
            s.close()
        if time.monotonic() >= next_trickle:
            next_trickle += 2
            for s in opened.keys() - ended.keys():
                try:
                    s.send(b"x")
                except OSError:
                    pass
    alive = len(opened) - len(ended)
    late = [a for a in ended.values() if a >= 1.0]
    bad = [a for a in late if not 9.0 <= a <= 16.0]
    for s in opened.keys() - ended.keys():
        s.close()
    summary = (f"slowloris: {n} opened, {refused + early} refused at once, {len(late)} reset after "
               f"{min(late, default=0):.1f}-{max(late, default=0):.1f}s, {alive} still open")
    if alive or bad or not late or refused + early < n - 256:
        print(summary)
        return 1
    c = httpc.connect(host, port, 5)
    c.sendall(httpc.request("GET", "/ready"))
    status = httpc.Reader(c).response().status
    if status != 200:
        print(summary + f"; GET /ready afterwards: {status}")
        return 1
    print(summary + "; GET /ready afterwards: 200")
    return 0


if __name__ == "__main__":
    sys.exit(main())
