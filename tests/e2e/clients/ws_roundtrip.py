"""WebSocket round-trips through the gateway: usage ws_roundtrip.py URL N

Opens a WebSocket (python3-websockets' client) to URL, sends N text and N
binary messages of growing size (up to 1 MiB), expects each echoed back
unchanged, then closes cleanly.  Prints one summary line."""

import asyncio
import os
import sys
import time

import websockets


async def main():
    url, n = sys.argv[1], int(sys.argv[2])
    t0 = time.monotonic()
    moved = 0
    async with websockets.connect(url, max_size=None, open_timeout=10, close_timeout=5) as ws:
        for i in range(n):
            for msg in (f"hello {i} " * (1 + 64 * i), os.urandom(min(1 << 20, 1 + 4096 * i * i))):
                await ws.send(msg)
                got = await asyncio.wait_for(ws.recv(), 10)
                if got != msg:
                    print(f"message {i}: echo differs ({len(got)} vs {len(msg)} bytes)")
                    return 1
                moved += len(msg)
    print(f"websocket: {2 * n} messages ({moved >> 10} KiB) echoed through the gateway in "
          f"{time.monotonic() - t0:.2f}s, clean close")
    return 0


sys.exit(asyncio.run(main()))
