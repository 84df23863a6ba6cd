"""Concurrent connections: usage concurrent_ready.py HOST PORT COUNT [TIMEOUT]

Opens COUNT TCP connections at once and holds them all open; once every one
is established, sends `GET /ready` (keep-alive) on each and reads each reply,
which must be 200.  The whole run must finish within TIMEOUT s (default 30).
Exit 0 iff all COUNT requests got 200.
"""

import errno
import selectors
import socket
import sys
import time

import httpc


def main():
    host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    deadline = time.monotonic() + (float(sys.argv[4]) if len(sys.argv) > 4 else 30.0)
    sel = selectors.DefaultSelector()
    socks, failures = [], []

    # Phase 1: start every connect, then wait until all are established.
    t0 = time.monotonic()
    for i in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        rc = s.connect_ex((host, port))
        if rc not in (0, errno.EINPROGRESS):
            failures.append(f"connection {i}: connect: {errno.errorcode.get(rc, rc)}")
            s.close()
            continue
        socks.append(s)
        sel.register(s, selectors.EVENT_WRITE, i)
    pending = len(socks)
    while pending and time.monotonic() < deadline:
        for key, _ in sel.select(deadline - time.monotonic()):
            sel.unregister(key.fileobj)
            pending -= 1
            err = key.fileobj.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                failures.append(f"connection {key.data}: connect: {errno.errorcode.get(err, err)}")
                socks.remove(key.fileobj)
                key.fileobj.close()
    if pending:
        failures.append(f"{pending} connections not established before the deadline")
        for key in list(sel.get_map().values()):
            sel.unregister(key.fileobj)
            socks.remove(key.fileobj)
            key.fileobj.close()
    t_conn = time.monotonic() - t0
    print(f"established {len(socks)}/{count} in {t_conn:.2f}s")

    # Phase 2: one request on each held connection, then read every reply.
    t1 = time.monotonic()
    bufs = {}
    for i, s in enumerate(socks):
        s.setblocking(True)
        s.settimeout(5)
        try:
            s.sendall(httpc.request("GET", "/ready"))
        except OSError as e:
            failures.append(f"send {i}: {e}")
            continue
        s.setblocking(False)
        bufs[s] = b""
        sel.register(s, selectors.EVENT_READ, i)
    ok = 0
    while sel.get_map() and time.monotonic() < deadline:
        for key, _ in sel.select(deadline - time.monotonic()):
            s, i = key.fileobj, key.data
            try:
                data = s.recv(65536)
            except OSError as e:
                data, err = b"", e
            else:
                err = None
            bufs[s] += data
            try:
                done = complete(bufs[s])
            except httpc.HttpError as e:
                sel.unregister(s)
                failures.append(f"connection {i}: {e}")
                continue
            if done or not data:
                sel.unregister(s)
                if done is None:
                    failures.append(f"connection {i}: closed before the reply ({err})")
                elif done.status != 200:
                    failures.append(f"connection {i}: status {done.status}")
                else:
                    ok += 1
    if sel.get_map():
        failures.append(f"{len(sel.get_map())} replies not received before the deadline")
    for s in socks:
        s.close()
    t_req = time.monotonic() - t1
    for line in failures[:10]:
        print(line)
    print(f"concurrent: {ok}/{count} ok, {count - ok} failed "
          f"(connect {t_conn:.2f}s, requests {t_req:.2f}s)")
    return 0 if ok == count else 1


def complete(buf):
    """The Response if <buf> holds a whole Content-Length-framed one, else None."""
    if b"\r\n\r\n" not in buf:
        return None
    head, body = buf.split(b"\r\n\r\n", 1)
    status, headers = httpc.parse_head(head)
    if len(body) < int(headers.get("content-length", 0)):
        return None
    return httpc.Response(status, headers, body)


if __name__ == "__main__":
    sys.exit(main())
