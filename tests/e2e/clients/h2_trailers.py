"""A request with trailers over h2c (python3-h2) and over HTTP/1.1 (chunked, raw socket).

Usage: h2_trailers.py ADDR PORT PATH
Sends POST PATH over HTTP/2 with a 10-byte body and the trailer "x-trailer: h2", then the same
over HTTP/1.1 with the trailer "x-trailer: h1".  Exit 0 iff both got status 200 (what reached
the upstream is checked by the case, from record_upstream.py's log).  Last line: a summary.
"""

import socket
import sys

import h2.config
import h2.connection
import h2.events


def over_h2(host, port, path):
    s = socket.create_connection((host, port), timeout=5)
    c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    c.initiate_connection()
    c.send_headers(1, [(":method", "POST"), (":path", path), (":scheme", "http"),
                       (":authority", host), ("te", "trailers")])
    c.send_data(1, b"hello body")
    c.send_headers(1, [("x-trailer", "h2")], end_stream=True)
    s.sendall(c.data_to_send())
    status, ended = None, False
    while not ended:
        d = s.recv(65536)
        if not d:
            break
        for ev in c.receive_data(d):
            if isinstance(ev, h2.events.ResponseReceived):
                status = dict(ev.headers).get(b":status", b"").decode()
            elif isinstance(ev, h2.events.DataReceived):
                c.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, (h2.events.StreamEnded, h2.events.StreamReset)):
                ended = True
        s.sendall(c.data_to_send())
    s.close()
    return status


def over_h1(host, port, path):
    s = socket.create_connection((host, port), timeout=5)
    s.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n"
              "Connection: close\r\n\r\na\r\nhello body\r\n0\r\nx-trailer: h1\r\n\r\n".encode())
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
    s.close()
    return data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/1.1 ") else None


def main():
    host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    a, b = over_h2(host, port, path), over_h1(host, port, path)
    print(f"h2 status {a}, HTTP/1.1 status {b}")
    return 0 if a == "200" and b == "200" else 1


if __name__ == "__main__":
    sys.exit(main())
