"""A tiny authoritative DNS server for tests: usage dns_server.py ADDR RECORDS_JSON

Answers A/IN queries over UDP on ADDR:53 from RECORDS_JSON, a file mapping names to
{"addrs": ["10.0.0.1", ...], "ttl": N}, read again for every query so that a test changes
answers by rewriting it (atomically).  Unknown names get NXDOMAIN, other query types an empty
answer.  Logs one line per query to stdout after "ready".
"""

import json
import socket
import struct
import sys


def parse_question(msg):
    """Returns (name, qtype, qclass, end offset) of the first question."""
    off, labels = 12, []
    while True:
        n = msg[off]
        if n == 0:
            off += 1
            break
        labels.append(msg[off + 1:off + 1 + n].decode("ascii").lower())
        off += 1 + n
    qtype, qclass = struct.unpack("!HH", msg[off:off + 4])
    return ".".join(labels), qtype, qclass, off + 4


def answer(msg, records):
    qid, flags = struct.unpack("!HH", msg[:4])
    name, qtype, qclass, end = parse_question(msg)
    question = msg[12:end]
    rec = records.get(name)
    rcode = 0 if rec is not None else 3
    answers = b""
    count = 0
    if rec is not None and qtype == 1 and qclass == 1:
        for a in rec["addrs"]:
            answers += b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, rec.get("ttl", 1), 4)
            answers += socket.inet_aton(a)
            count += 1
    hdr = struct.pack("!HHHHHH", qid, 0x8180 | (flags & 0x0100) | rcode, 1, count, 0, 0)
    return hdr + question + answers, name


def main():
    addr, path = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 53))
    print("ready", flush=True)
    while True:
        msg, peer = s.recvfrom(4096)
        try:
            with open(path, encoding="utf-8") as f:
                records = json.load(f)
            resp, name = answer(msg, records)
        except (ValueError, IndexError, OSError) as e:
            print(f"bad query from {peer}: {e}", flush=True)
            continue
        s.sendto(resp, peer)
        print(f"{peer[0]}:{peer[1]} {name} -> {records.get(name)}", flush=True)


if __name__ == "__main__":
    main()
