"""Minimal blocking HTTP/1.1 client pieces shared by the e2e client scripts.

Only what the admin service needs: requests without bodies, responses framed
by Content-Length (or by connection close when it is absent).
"""

import socket


class HttpError(Exception):
    pass


def connect(host, port, timeout):
    """A connected TCP socket whose every operation times out after <timeout> s."""
    return socket.create_connection((host, port), timeout=timeout)


def request(method, path, close=False):
    """The bytes of a body-less HTTP/1.1 request."""
    conn = "Connection: close\r\n" if close else ""
    return f"{method} {path} HTTP/1.1\r\nHost: meshgate\r\n{conn}\r\n".encode()


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body


def parse_head(head):
    """(status, headers dict with lower-case names) from the bytes before CRLFCRLF."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise HttpError(f"bad status line {lines[0]!r}")
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise HttpError(f"bad header line {line!r}")
        headers[name.strip().lower()] = value.strip()
    return int(parts[1]), headers


class Reader:
    """Reads successive responses from one socket, keeping bytes read ahead."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise HttpError("connection closed before a complete response")
        self.buf += data

    def response(self):
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > 65536:
                raise HttpError("response head larger than 64 KiB")
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        status, headers = parse_head(head)
        if "content-length" in headers:
            n = int(headers["content-length"])
            while len(self.buf) < n:
                self._fill()
            body, self.buf = self.buf[:n], self.buf[n:]
        elif headers.get("transfer-encoding"):
            raise HttpError("chunked responses are not expected from the admin service")
        else:  # delimited by close
            while True:
                data = self.sock.recv(65536)
                if not data:
                    break
                self.buf += data
            body, self.buf = self.buf, b""
        return Response(status, headers, body)

    def expect_eof(self):
        """The server must close the connection next, sending nothing more."""
        data = self.buf or self.sock.recv(4096)
        if data:
            raise HttpError(f"unexpected bytes instead of close: {data[:80]!r}")


def get(host, port, path, timeout=5.0, close=True, method="GET"):
    """One request on a new connection; returns the Response."""
    with connect(host, port, timeout) as s:
        s.sendall(request(method, path, close))
        r = Reader(s)
        resp = r.response()
        if close:
            r.expect_eof()
        return resp
