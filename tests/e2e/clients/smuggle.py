"""Malformed and smuggling requests: usage smuggle.py HOST PORT UPSTREAM_LOG

Sends each case of the corpus below on its own connection to the gateway at
HOST:PORT (which forwards to servers/record_upstream.py, logging to
UPSTREAM_LOG), reads the first response, and checks its status.  Then checks
the upstream's log: no desynchronised request, no request for a path that a
case tried to smuggle (/smuggled...), and exactly the paths of the cases
that were expected to reach it.  Prints one summary line; exit 0 iff all
held.
"""

import json
import socket
import sys
import time

H = b"Host: gw\r\n"

# (name, raw request bytes, expected status, reaches the upstream)
CASES = [
    # -- controls: valid requests reach the upstream
    ("get", b"GET /ok-get HTTP/1.1\r\n" + H + b"\r\n", 200, True),
    ("post_cl", b"POST /ok-post HTTP/1.1\r\n" + H + b"Content-Length: 5\r\n\r\nhello", 200, True),
    ("post_chunked_ext", b"POST /ok-chunked HTTP/1.1\r\n" + H +
     b"Transfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX-Trailer: y\r\n\r\n", 200, True),
    ("http10", b"GET /ok-http10 HTTP/1.0\r\n\r\n", 200, True),
    # trailers: forwarded, except those that frame, route or authenticate (see TRAILERS_SEEN)
    ("trailers", b"POST /ok-trailers HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n"
     b"5\r\nhello\r\n0\r\nX-Checksum: abc\r\nContent-Length: 99\r\nHost: evil\r\n"
     b"Authorization: Bearer x\r\nTransfer-Encoding: chunked\r\nGrpc-Status: 0\r\n\r\n", 200, True),
    ("upper_hex_chunk", b"POST /ok-hex HTTP/1.1\r\n" + H +
     b"Transfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n", 200, True),
    # -- CL / TE conflicts (CL.TE, TE.CL, TE.TE)
    ("cl_te", b"POST /c-clte HTTP/1.1\r\n" + H + b"Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"0\r\n\r\nGET /smuggled-1 HTTP/1.1\r\n" + H + b"\r\n", 400, False),
    ("te_cl", b"POST /c-tecl HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"
     b"5c\r\nGPOST /smuggled-2 HTTP/1.1\r\n\r\n0\r\n\r\n", 400, False),
    ("te_xchunked", b"POST /c-x HTTP/1.1\r\n" + H + b"Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 501, False),
    ("te_space_colon", b"POST /c-sp HTTP/1.1\r\n" + H + b"Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400, False),
    ("te_chunked_identity", b"POST /c-ci HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked, identity\r\n\r\n", 400, False),
    ("te_chunked_twice", b"POST /c-cc HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400, False),
    ("te_two_lines", b"POST /c-2te HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, False),
    ("te_http10", b"POST /c-te10 HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, False),
    ("te_tab", b"POST /c-tab HTTP/1.1\r\n" + H + b"Transfer-Encoding:\tchunked\x0b\r\n\r\n0\r\n\r\n", 400, False),
    # -- Content-Length forms
    ("cl_differ", b"POST /c-cl2 HTTP/1.1\r\n" + H + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400, False),
    ("cl_plus", b"POST /c-clp HTTP/1.1\r\n" + H + b"Content-Length: +5\r\n\r\nhello", 400, False),
    ("cl_negative", b"POST /c-cln HTTP/1.1\r\n" + H + b"Content-Length: -1\r\n\r\n", 400, False),
    ("cl_overflow", b"POST /c-clo HTTP/1.1\r\n" + H + b"Content-Length: 99999999999999999999\r\n\r\n", 400, False),
    ("cl_inner_space", b"POST /c-cls HTTP/1.1\r\n" + H + b"Content-Length: 1 0\r\n\r\n0123456789", 400, False),
    ("cl_leading_zero", b"POST /c-cl0 HTTP/1.1\r\n" + H + b"Content-Length: 05\r\n\r\nhello", 400, False),
    ("cl_hex", b"POST /c-clx HTTP/1.1\r\n" + H + b"Content-Length: 0x5\r\n\r\nhello", 400, False),
    # -- chunked body errors (the head was fine: the gateway stops mid-body)
    ("chunk_0x", b"POST /c-b1 HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", 400, None),
    ("chunk_negative", b"POST /c-b2 HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n-1\r\n\r\n", 400, None),
    ("chunk_overflow", b"POST /c-b3 HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\nfffffffffffffffff1\r\nx\r\n", 400, None),
    ("chunk_no_crlf", b"POST /c-b4 HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", 400, None),
    ("chunk_bare_lf", b"POST /c-b5 HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", 400, None),
    # -- head syntax
    ("obs_fold", b"GET /c-fold HTTP/1.1\r\n" + H + b"X-A: a\r\n b\r\n\r\n", 400, False),
    ("bare_lf", b"GET /c-lf HTTP/1.1\n" + H + b"\r\n", 400, False),
    ("bare_cr", b"GET /c-cr HTTP/1.1\r\n" + H + b"X-A: a\rb\r\n\r\n", 400, False),
    ("nul", b"GET /c-nul HTTP/1.1\r\n" + H + b"X-A: a\0b\r\n\r\n", 400, False),
    ("ws_before_field", b"GET /c-ws HTTP/1.1\r\n X-A: a\r\n" + H + b"\r\n", 400, False),
    ("ws_before_colon", b"GET /c-wsc HTTP/1.1\r\n" + H + b"X-A : a\r\n\r\n", 400, False),
    ("name_8bit", b"GET /c-8bit HTTP/1.1\r\n" + H + b"X-\xe9: a\r\n\r\n", 400, False),
    ("no_host", b"GET /c-nohost HTTP/1.1\r\n\r\n", 400, False),
    ("two_hosts", b"GET /c-2host HTTP/1.1\r\n" + H + b"Host: other\r\n\r\n", 400, False),
    ("absolute_host_mismatch", b"GET http://a.example/c-abs HTTP/1.1\r\nHost: b.example\r\n\r\n", 400, False),
    ("bad_method", b"G@T /c-m HTTP/1.1\r\n" + H + b"\r\n", 400, False),
    ("double_space", b"GET  /c-ds HTTP/1.1\r\n" + H + b"\r\n", 400, False),
    ("http2_version", b"GET /c-v2 HTTP/2.0\r\n" + H + b"\r\n", 505, False),
    ("http12_version", b"GET /c-v12 HTTP/1.2\r\n" + H + b"\r\n", 505, False),
    ("uri_too_long", b"GET /c-" + b"a" * 9000 + b" HTTP/1.1\r\n" + H + b"\r\n", 414, False),
    ("too_many_fields", b"GET /c-many HTTP/1.1\r\n" + H + b"".join(b"X-%d: v\r\n" % i for i in range(120)) + b"\r\n", 431, False),
    ("head_too_large", b"GET /c-big HTTP/1.1\r\n" + H + b"X-Big: " + b"v" * 40000 + b"\r\n\r\n", 431, False),
    ("expect_other", b"GET /c-exp HTTP/1.1\r\n" + H + b"Expect: teapot\r\n\r\n", 417, False),
]


# What the upstream must see as the trailers of each path (others: not checked).
TRAILERS_SEEN = {"/ok-trailers": [["x-checksum", "abc"], ["grpc-status", "0"]]}


def status_of(host, port, raw):
    s = socket.create_connection((host, port), timeout=5)
    try:
        s.sendall(raw)
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    got = b""
    deadline = time.monotonic() + 5
    while b"\r\n" not in got and time.monotonic() < deadline:
        try:
            b = s.recv(4096)
        except OSError:
            break
        if not b:
            break
        got += b
    s.close()
    line = got.split(b"\r\n", 1)[0]
    return int(line[9:12]) if line.startswith(b"HTTP/1.1 ") and line[9:12].isdigit() else None


def main():
    host, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    problems = []
    for name, raw, want, _ in CASES:
        got = status_of(host, port, raw)
        if got != want:
            problems.append(f"{name}: status {got}, expected {want}")
    time.sleep(0.5)
    seen, desync = [], []
    with open(log, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            if "desync" in rec:
                desync.append(rec["desync"])
            else:
                seen.append(rec["path"])
                want_tr = TRAILERS_SEEN.get(rec["path"])
                if want_tr is not None and rec["trailers"] != want_tr:
                    problems.append(f"{rec['path']}: upstream saw trailers {rec['trailers']}, "
                                    f"expected {want_tr}")
    if desync:
        problems.append(f"upstream saw desynchronised input: {desync}")
    smuggled = [p for p in seen if "smuggled" in p]
    if smuggled:
        problems.append(f"smuggled requests reached the upstream: {smuggled}")
    want_paths = {raw.split(b" ")[1].decode() for _, raw, _, reach in CASES if reach}
    maybe = {raw.split(b" ")[1].decode() for _, raw, _, reach in CASES if reach is None}
    unexpected = [p for p in seen if p not in want_paths and p not in maybe]
    missing = want_paths - set(seen)
    if unexpected:
        problems.append(f"rejected requests reached the upstream: {unexpected}")
    if missing:
        problems.append(f"valid requests did not reach the upstream: {sorted(missing)}")
    for p in problems:
        print(p)
    print(f"smuggling corpus: {len(CASES)} cases, {len(CASES) - sum(1 for p in problems if ':' in p.split(' ')[0])} "
          f"with the documented status, upstream saw {len(seen)} request(s), {len(desync)} desync: "
          f"{'ok' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
