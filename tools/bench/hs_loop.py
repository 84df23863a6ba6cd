#!/usr/bin/python3
"""New TLS 1.3 connections in a loop, one request each: full or resumed handshakes.

Usage: hs_loop.py HOST PORT SECONDS full|resume CAFILE SNI
Prints "connections N resumed R errors E".  In `resume` mode each connection offers the
session (ticket) of the previous one; R counts those the server resumed.
"""
import socket
import ssl
import sys
import time

host, port, secs, mode, ca, sni = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), \
    sys.argv[4], sys.argv[5], sys.argv[6]
ctx = ssl.create_default_context(cafile=ca)
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
req = f"GET /small.txt HTTP/1.1\r\nHost: {sni}\r\nConnection: close\r\n\r\n".encode()
n = resumed = errors = 0
session = None
end = time.monotonic() + secs
while time.monotonic() < end:
    try:
        with socket.create_connection((host, port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname=sni,
                                 session=session if mode == "resume" else None) as s:
                s.sendall(req)
                while s.recv(65536):
                    pass
                n += 1
                resumed += s.session_reused
                if mode == "resume" and (session is None or not s.session_reused):
                    session = s.session
    except (OSError, ssl.SSLError):
        errors += 1
print(f"connections {n} resumed {resumed} errors {errors}", flush=True)
