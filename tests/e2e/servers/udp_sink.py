"""A UDP sink: usage udp_sink.py ADDR PORT FILE.  Appends every datagram received on
ADDR:PORT to FILE as one JSON string per line.  Prints "ready" once bound."""

import json
import socket
import sys

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
print("ready", flush=True)
with open(sys.argv[3], "a", encoding="utf-8") as out:
    while True:
        data, _ = s.recvfrom(65536)
        out.write(json.dumps(data.decode("utf-8", "replace")) + "\n")
        out.flush()
