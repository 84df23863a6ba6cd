"""A strict recording HTTP/1.1 upstream: usage record_upstream.py ADDR PORT LOGFILE

Accepts connections, reads requests one after another (Content-Length or
chunked bodies, nothing else), answers each with 200 "ok" (keep-alive), and
appends one JSON line per request to LOGFILE: {"method", "path", "body_len",
"headers", "trailers"}.  Anything it cannot read as a well-formed request is logged as
{"desync": "<what it saw>"} and the connection is closed: the gateway in
front of it must never make that happen.  Prints "ready" once listening.
"""

import json
import socket
import sys
import threading

TOKEN = set(b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


class Desync(Exception):
    pass


class Conn:
    def __init__(self, sock):
        self.s, self.buf = sock, b""

    def fill(self):
        b = self.s.recv(65536)
        if not b:
            raise EOFError
        self.buf += b

    def line(self):
        while b"\r\n" not in self.buf:
            if len(self.buf) > 65536:
                raise Desync("line too long")
            self.fill()
        ln, self.buf = self.buf.split(b"\r\n", 1)
        if b"\r" in ln or b"\n" in ln or b"\0" in ln:
            raise Desync(f"bad line {ln[:80]!r}")
        return ln

    def take(self, n):
        while len(self.buf) < n:
            self.fill()
        b, self.buf = self.buf[:n], self.buf[n:]
        return b


def read_request(c):
    start = c.line()
    parts = start.split(b" ")
    if len(parts) != 3 or not parts[0] or not set(parts[0]) <= TOKEN or not parts[1].startswith(b"/") \
            or parts[2] != b"HTTP/1.1":
        raise Desync(f"bad request line {start[:80]!r}")
    headers = []
    while True:
        ln = c.line()
        if not ln:
            break
        name, sep, value = ln.partition(b":")
        if not sep or not name or not set(name) <= TOKEN:
            raise Desync(f"bad field {ln[:80]!r}")
        headers.append((name.decode().lower(), value.strip().decode("latin-1")))
    names = [h[0] for h in headers]
    if names.count("host") != 1:
        raise Desync("Host count %d" % names.count("host"))
    cl = [v for n, v in headers if n == "content-length"]
    te = [v for n, v in headers if n == "transfer-encoding"]
    if cl and te or len(cl) > 1 or len(te) > 1 or (te and te[0] != "chunked"):
        raise Desync(f"ambiguous framing cl={cl} te={te}")
    body, trailers = 0, []
    if cl:
        if not cl[0].isdigit():
            raise Desync(f"bad content-length {cl[0]!r}")
        body = len(c.take(int(cl[0])))
    elif te:
        while True:
            size_line = c.line()
            if not size_line or any(ch not in b"0123456789abcdef" for ch in size_line):
                raise Desync(f"non-canonical chunk size {size_line!r}")  # the gateway re-chunks
            n = int(size_line, 16)
            if n == 0:
                while True:
                    ln = c.line()
                    if not ln:
                        break
                    name, sep, value = ln.partition(b":")
                    if not sep or not name or not set(name) <= TOKEN:
                        raise Desync(f"bad trailer {ln[:80]!r}")
                    trailers.append((name.decode().lower(), value.strip().decode("latin-1")))
                break
            body += len(c.take(n))
            if c.take(2) != b"\r\n":
                raise Desync("chunk without CRLF")
    return {"method": parts[0].decode(), "path": parts[1].decode(), "body_len": body,
            "headers": headers, "trailers": trailers}


def serve(sock, log, lock):
    c = Conn(sock)
    try:
        while True:
            rec = read_request(c)
            with lock:
                log.write(json.dumps(rec) + "\n")
                log.flush()
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    except EOFError:
        pass
    except Desync as e:
        with lock:
            log.write(json.dumps({"desync": str(e)}) + "\n")
            log.flush()
    except OSError:
        pass
    finally:
        sock.close()


def main():
    addr, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    log, lock = open(path, "a", encoding="utf-8"), threading.Lock()
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(512)
    print("ready", flush=True)
    while True:
        s, _ = ls.accept()
        threading.Thread(target=serve, args=(s, log, lock), daemon=True).start()


if __name__ == "__main__":
    main()
