"""WebSocket echo upstream, on Debian's python3-websockets (a WebSocket
implementation nobody here wrote): usage ws_echo.py ADDR PORT.  Echoes every
message; prints "ready" once listening."""

import asyncio
import sys

import websockets


async def echo(ws, *_path):
    async for msg in ws:
        await ws.send(msg)


async def main():
    async with websockets.serve(echo, sys.argv[1], int(sys.argv[2]), max_size=None):
        print("ready", flush=True)
        await asyncio.Future()


asyncio.run(main())
