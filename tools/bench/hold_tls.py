#!/usr/bin/python3
"""Open N TLS connections to HOST:PORT, complete each handshake, and hold them idle.

Usage: hold_tls.py HOST PORT N CAFILE SNI [SRC,SRC,...] [request]
Prints "open K" once K connections are established (K < N if some failed), then waits for
SIGTERM.  Used by tools/bench/bench.py for memory per idle TLS connection.  With source
addresses, connections take them in turn (one address has fewer than 64k ports, and one
process at most as many as its open-file limit: the 100,000-connection mode,
BENCH_ONLY=idle100k, runs six of these, one address each); progress goes to stderr.
With "request", each connection first makes one keep-alive request (GET /small.txt) and
reads the response, so that it idles under the keep-alive idle timeout (up to an hour)
rather than the request-head timeout (at most 300 s, less than opening 100,000 takes here).
"""
import asyncio
import asyncio.sslproto
import re
import resource
import signal
import ssl
import sys
import time


# asyncio's TLS transport gives every connection a 256 KiB read buffer (SSLProtocol.max_size):
# 26 GB of client memory at 100,000 connections.  Idle connections read next to nothing.
asyncio.sslproto.SSLProtocol.max_size = 4096


async def main():
    host, port, n, ca, sni = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], \
        sys.argv[5]
    srcs = sys.argv[6].split(",") if len(sys.argv) > 6 and sys.argv[6] else []
    request = len(sys.argv) > 7 and sys.argv[7] == "request"
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    ctx = ssl.create_default_context(cafile=ca)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    sem = asyncio.Semaphore(64)
    held, errors = [], []
    t0 = time.monotonic()

    async def one(i):
        src = {"local_addr": (srcs[i % len(srcs)], 0)} if srcs else {}
        async with sem:
            try:
                r, w = await asyncio.wait_for(
                    asyncio.open_connection(host, port, ssl=ctx, server_hostname=sni, **src), 30)
                if request:
                    w.write(b"GET /small.txt HTTP/1.1\r\nHost: " + sni.encode() + b"\r\n\r\n")
                    head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 30)
                    m = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
                    if not head.startswith(b"HTTP/1.1 200") or m is None:
                        raise RuntimeError(head[:80])
                    await asyncio.wait_for(r.readexactly(int(m.group(1))), 30)
                held.append(w)
            except Exception as e:  # noqa: BLE001 (counted, reported)
                errors.append(repr(e))
            if n >= 10000 and (len(held) + len(errors)) % 5000 == 0:
                print(f"hold_tls: {len(held)} open, {len(errors)} errors, "
                      f"{time.monotonic() - t0:.0f} s", file=sys.stderr, flush=True)
    await asyncio.gather(*(one(i) for i in range(n)))
    print(f"open {len(held)} errors {len(errors)} {errors[:1]}", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()


asyncio.run(main())
