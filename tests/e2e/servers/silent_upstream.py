"""An upstream that accepts connections and reads requests but never answers:
usage silent_upstream.py ADDR PORT.  Prints "ready" once listening."""

import socket
import sys
import threading


def swallow(s):
    try:
        while s.recv(65536):
            pass
    except OSError:
        pass
    s.close()


ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((sys.argv[1], int(sys.argv[2])))
ls.listen(64)
print("ready", flush=True)
while True:
    c, _ = ls.accept()
    threading.Thread(target=swallow, args=(c,), daemon=True).start()
