"""An HTTP/1.1 upstream that says who it is: usage whoami_upstream.py ADDR PORT

Answers every GET with 200 and the body "addr=ADDR port=PORT host=<Host> path=<target>\\n"
(keep-alive).  Prints "ready" once listening.
"""

import http.server
import sys


def main():
    addr, port = sys.argv[1], int(sys.argv[2])

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body leave at once

        def do_GET(self):
            body = (f"addr={addr} port={port} host={self.headers.get('Host')} "
                    f"path={self.path}\n").encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer((addr, port), Handler)
    server.daemon_threads = True
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
