#!/usr/bin/python3
"""Open N TLS connections to HOST:PORT, complete each handshake, and hold them idle.

Usage: hold_tls.py HOST PORT N CAFILE SNI [SRC,SRC,...]
Prints "open K" once K connections are established (K < N if some failed), then waits for
SIGTERM.  Used by tools/bench/bench.py for memory per idle TLS connection.  With source
addresses, connections take them in turn (one address has fewer than 64k ports: the
100,000-connection mode, BENCH_ONLY=idle100k, uses several); progress goes to stderr.
"""
import asyncio
import asyncio.sslproto
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
    nofile = max(20000, n + 1000)
    resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
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
                held.append(w)
            except Exception as e:  # noqa: BLE001 (counted, reported)
                errors.append(repr(e))
            if n >= 50000 and (len(held) + len(errors)) % 10000 == 0:
                print(f"hold_tls: {len(held)} open, {len(errors)} errors, "
                      f"{time.monotonic() - t0:.0f} s", file=sys.stderr, flush=True)
    await asyncio.gather(*(one(i) for i in range(n)))
    print(f"open {len(held)} errors {len(errors)} {errors[:1]}", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()


asyncio.run(main())
