#!/usr/bin/python3
"""Open N TLS connections to HOST:PORT, complete each handshake, and hold them idle.

Usage: hold_tls.py HOST PORT N CAFILE SNI
Prints "open K" once K connections are established (K < N if some failed), then waits for
SIGTERM.  Used by tools/bench/bench.py for memory per idle TLS connection.
"""
import asyncio
import resource
import signal
import ssl
import sys


async def main():
    host, port, n, ca, sni = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], \
        sys.argv[5]
    resource.setrlimit(resource.RLIMIT_NOFILE, (20000, 20000))
    ctx = ssl.create_default_context(cafile=ca)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    sem = asyncio.Semaphore(64)
    held, errors = [], []

    async def one():
        async with sem:
            try:
                r, w = await asyncio.wait_for(
                    asyncio.open_connection(host, port, ssl=ctx, server_hostname=sni), 30)
                held.append(w)
            except Exception as e:  # noqa: BLE001 (counted, reported)
                errors.append(repr(e))
    await asyncio.gather(*(one() for _ in range(n)))
    print(f"open {len(held)} errors {len(errors)} {errors[:1]}", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()


asyncio.run(main())
