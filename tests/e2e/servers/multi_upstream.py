"""A strict recording HTTP/1.1 upstream on several ports, each standing for one virtual node.

Usage: multi_upstream.py ADDR LOGFILE PORT=LABEL [PORT=LABEL...]

Listens on ADDR:PORT for every PORT=LABEL pair (LABEL names the virtual node, and its
listener, the port stands for), reads requests as record_upstream.py does (a request it
cannot read as well-formed is logged as {"desync": ...} and its connection closed), and
answers each with 200 (keep-alive) and these headers, which the routing checks read:

    X-Upstream-Port: <the port that received the request>
    X-Upstream-Node: <its LABEL>
    X-Echo-Method, X-Echo-Host, X-Echo-Path: the method, Host and request target received

plus the same as a JSON body (no body for HEAD).  Appends one JSON line per request to
LOGFILE: record_upstream.py's record plus "port" and "node".  Prints "ready" once every
port listens.
"""

import json
import socket
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from record_upstream import Conn, Desync, read_request  # noqa: E402


def header_safe(s):
    """<s> as a header value: what the gateway forwarded is already one, but never let a
    CR or LF through into our own response."""
    return s.replace("\r", "\\r").replace("\n", "\\n")


def serve(sock, port, label, log, lock):
    c = Conn(sock)
    try:
        while True:
            rec = read_request(c)
            host = next((v for n, v in rec["headers"] if n == "host"), "")
            rec.update(port=port, node=label)
            with lock:
                log.write(json.dumps(rec) + "\n")
                log.flush()
            body = json.dumps({"port": port, "node": label, "method": rec["method"],
                               "host": host, "path": rec["path"]}).encode()
            head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    f"X-Upstream-Port: {port}\r\nX-Upstream-Node: {header_safe(label)}\r\n"
                    f"X-Echo-Method: {header_safe(rec['method'])}\r\n"
                    f"X-Echo-Host: {header_safe(host)}\r\n"
                    f"X-Echo-Path: {header_safe(rec['path'])}\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1")
            sock.sendall(head if rec["method"] == "HEAD" else head + body)
    except EOFError:
        pass
    except Desync as e:
        with lock:
            log.write(json.dumps({"desync": str(e), "port": port, "node": label}) + "\n")
            log.flush()
    except OSError:
        pass
    finally:
        sock.close()


def accept_loop(ls, port, label, log, lock):
    while True:
        s, _ = ls.accept()
        threading.Thread(target=serve, args=(s, port, label, log, lock), daemon=True).start()


def main():
    addr, path = sys.argv[1], sys.argv[2]
    pairs = [a.split("=", 1) for a in sys.argv[3:]]
    log, lock = open(path, "a", encoding="utf-8"), threading.Lock()
    threads = []
    for port, label in pairs:
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((addr, int(port)))
        ls.listen(512)
        threads.append(threading.Thread(target=accept_loop,
                                        args=(ls, int(port), label, log, lock), daemon=True))
    for t in threads:
        t.start()
    print("ready", flush=True)
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
