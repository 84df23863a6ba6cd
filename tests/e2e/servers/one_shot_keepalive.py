"""An upstream that plays the keep-alive race every time: on each connection it answers the
first request (200, keep-alive) and closes the connection, without a word, when the second
request arrives, as a server whose idle timeout fired just as the request was sent does.
usage one_shot_keepalive.py ADDR PORT.  Prints "ready" once listening; logs one line per
connection ("conn N: answered 1, closed on request 2")."""

import socket
import sys
import threading

count = [0]


def serve(s, n):
    buf = b""
    answered = 0
    try:
        while True:
            data = s.recv(65536)
            if not data:
                break
            buf += data
            while b"\r\n\r\n" in buf:
                _, buf = buf.split(b"\r\n\r\n", 1)
                if answered == 1:
                    print(f"conn {n}: answered 1, closed on request 2", flush=True)
                    s.close()
                    return
                s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                answered += 1
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
    count[0] += 1
    threading.Thread(target=serve, args=(c, count[0]), daemon=True).start()
